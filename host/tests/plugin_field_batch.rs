//! `Plugin::extract_batch`: several fields of one event in one `extract_fields` call (Saker-SDK
//! plugins and C plugins that declare it) or one call per field (others), with the same values as `Plugin::extract`, driven
//! against the Rust-SDK countgen, the C countgen and the official-Rust-SDK plugin.

use saker::plugins::{
    BatchEnd, ExtractedValue, ExtractedValues, FieldArg, FieldBatch, LoadOptions, Plugin, TableRegistry,
};
use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};
use std::process::Command;

mod ops_common;
#[path = "fixtures/plugins/support.rs"]
mod support;

/// `examples/plugins/c/countgen.c` compiled into the test's tmp dir.
fn countgen_c() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("field-batch-libcountgen.so");
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-O2", "-std=c11", "-I"])
        .arg(root.join("plugin-api/include"))
        .arg("-o")
        .arg(&out)
        .arg(root.join("examples/plugins/c/countgen.c"))
        .status()
        .expect("run cc (gcc must be installed)");
    assert!(status.success(), "building countgen.c failed");
    out
}

fn init(path: PathBuf, config: &str) -> Plugin {
    let mut plugin = Plugin::load(path, &LoadOptions::default()).unwrap();
    plugin.init(config, &TableRegistry::new()).unwrap();
    plugin
}

/// The first `n` events of the plugin's source opened with `params`.
fn events(plugin: &Plugin, params: &str, n: usize) -> Vec<Vec<u8>> {
    let mut instance = plugin.open(params).unwrap();
    let mut events = Vec::new();
    while events.len() < n {
        let batch = instance.next_batch().unwrap();
        events.extend(batch.events().map(<[u8]>::to_vec));
        assert!(
            batch.end != BatchEnd::Eof || events.len() >= n,
            "the source ended early"
        );
    }
    events.truncate(n);
    events
}

fn text(values: &ExtractedValues) -> Vec<String> {
    values
        .iter()
        .map(|v| match v {
            ExtractedValue::U64(n) => n.to_string(),
            ExtractedValue::Bool(b) => b.to_string(),
            ExtractedValue::Str(s) => String::from_utf8_lossy(s).into_owned(),
            ExtractedValue::Ip(b) => format!("{b:?}"),
        })
        .collect()
}

fn batch_of(plugin: &Plugin, fields: &[(&str, FieldArg)]) -> FieldBatch {
    FieldBatch::new(
        fields
            .iter()
            .map(|(name, arg)| (plugin.field_index(name).unwrap(), arg.clone())),
    )
}

/// Every field of `batch`, extracted with one `extract` call each.
fn one_by_one(plugin: &Plugin, event: &[u8], source: &CStr, batch: &FieldBatch) -> Vec<Vec<String>> {
    let mut out = ExtractedValues::new();
    batch
        .fields()
        .iter()
        .map(|(index, arg)| {
            if plugin.extract(event, 1, source, *index, arg, &mut out) {
                text(&out)
            } else {
                Vec::new()
            }
        })
        .collect()
}

fn batched(plugin: &Plugin, event: &[u8], source: &CStr, batch: &mut FieldBatch) -> Vec<Vec<String>> {
    let found = plugin.extract_batch(event, 1, source, batch);
    let values: Vec<Vec<String>> = batch.all_values().iter().map(text).collect();
    assert_eq!(found, values.iter().filter(|v| !v.is_empty()).count());
    values
}

/// Every countgen field type, a list, and both argument kinds.
fn countgen_fields() -> Vec<(&'static str, FieldArg)> {
    vec![
        ("countgen.num", FieldArg::None),
        ("countgen.str", FieldArg::None),
        ("countgen.even", FieldArg::None),
        ("countgen.reltime", FieldArg::None),
        ("countgen.abstime", FieldArg::None),
        ("countgen.ip", FieldArg::None),
        ("countgen.net", FieldArg::None),
        ("countgen.list", FieldArg::None),
        ("countgen.byindex", FieldArg::Index(3)),
        ("countgen.bykey", FieldArg::Key(CString::new("k").unwrap())),
        // The same field twice: both results must survive the other fields of the call.
        ("countgen.str", FieldArg::None),
    ]
}

#[test]
fn rust_sdk_plugin_answers_every_field_in_one_call() {
    let plugin = init(ops_common::countgen(), "{}");
    assert!(plugin.extracts_several_fields_per_call());
    let mut batch = batch_of(&plugin, &countgen_fields());
    for event in events(&plugin, "5", 5) {
        let expected = one_by_one(&plugin, &event, c"countgen", &batch);
        assert!(expected.iter().all(|v| !v.is_empty()), "{expected:?}");
        let before = plugin.counters();
        assert_eq!(batched(&plugin, &event, c"countgen", &mut batch), expected);
        let after = plugin.counters();
        assert_eq!(after.extract_calls - before.extract_calls, batch.len() as u64);
        assert_eq!(after.extract_no_value, before.extract_no_value);
    }
    let event = &events(&plugin, "1", 1)[0];
    let values = batched(&plugin, event, c"countgen", &mut batch);
    assert_eq!(values[0], vec!["1"]);
    assert_eq!(values[1], vec!["event-1"]);
    assert_eq!(values[8], vec!["3"]);
    assert_eq!(values[9], vec!["k=1"]);
    assert_eq!(values[10], vec!["event-1"]);
}

#[test]
fn a_failing_field_does_not_hide_the_others() {
    let plugin = init(ops_common::countgen(), "{}");
    // countgen.bykey without a key argument fails the plugin's whole call.
    let fields = [
        ("countgen.num", FieldArg::None),
        ("countgen.bykey", FieldArg::None),
        ("countgen.str", FieldArg::None),
    ];
    let mut batch = batch_of(&plugin, &fields);
    let event = &events(&plugin, "1", 1)[0];
    let before = plugin.counters();
    let values = batched(&plugin, event, c"countgen", &mut batch);
    assert_eq!(values, vec![vec!["1".to_string()], vec![], vec!["event-1".to_string()]]);
    assert_eq!(plugin.counters().extract_no_value - before.extract_no_value, 1);

    // An index the plugin does not declare: no value for it, values for the others.
    let mut batch = FieldBatch::new([(0, FieldArg::None), (999, FieldArg::None)]);
    let values = batched(&plugin, event, c"countgen", &mut batch);
    assert_eq!(values, vec![vec!["1".to_string()], vec![]]);

    // Not an event of this plugin (too short for a header): no value anywhere.
    let values = batched(&plugin, &event[..10], c"countgen", &mut batch);
    assert_eq!(values, vec![Vec::<String>::new(), vec![]]);
}

/// countgen.c declares `saker_plugin_extracts_several_fields`.
#[test]
fn c_plugin_answers_every_field_in_one_call() {
    let plugin = init(countgen_c(), "{}");
    assert!(plugin.extracts_several_fields_per_call());
    let mut batch = batch_of(&plugin, &countgen_fields());
    for event in events(&plugin, "4", 4) {
        let expected = one_by_one(&plugin, &event, c"countgen", &batch);
        assert!(expected.iter().all(|v| !v.is_empty()), "{expected:?}");
        assert_eq!(batched(&plugin, &event, c"countgen", &mut batch), expected);
    }
}

/// falco_plugin 0.5.1 returns garbage for multi-field calls (plugin-abi.md §14): the host must
/// ask it one field at a time.
#[test]
fn official_sdk_plugin_gets_one_call_per_field() {
    let plugin = init(support::official_plugin_path(), r#"{"count":3}"#);
    assert!(!plugin.extracts_several_fields_per_call());
    let fields = [
        ("og.num", FieldArg::None),
        ("og.text", FieldArg::None),
        ("og.even", FieldArg::None),
        ("og.abs", FieldArg::None),
    ];
    let mut batch = batch_of(&plugin, &fields);
    for event in events(&plugin, "", 3) {
        let expected = one_by_one(&plugin, &event, c"officialgen", &batch);
        assert!(expected.iter().all(|v| !v.is_empty()), "{expected:?}");
        assert_eq!(batched(&plugin, &event, c"officialgen", &mut batch), expected);
    }
}
