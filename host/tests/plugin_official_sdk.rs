//! A plugin built with the official Falco Rust SDK (`falco_plugin` 0.5.1,
//! tests/plugins/official-sdk) driven through Saker's host: load, init with its JSON schema,
//! source, parse and extract every field type.

use saker::plugins::{
    BatchEnd, ExtractedValue, ExtractedValues, FieldArg, FieldType, LoadOptions, Plugin, TableRegistry,
};
use std::ffi::{CStr, CString};
use std::process::Command;

#[path = "fixtures/plugins/support.rs"]
mod support;

use support::official_plugin_path;

const SOURCE: &CStr = c"officialgen";
fn loaded() -> Plugin {
    Plugin::load(official_plugin_path(), &LoadOptions::default()).expect("official SDK plugin loads")
}

fn values(plugin: &Plugin, event: &[u8], field: &str, arg: FieldArg) -> Option<Vec<String>> {
    let index = plugin.field_index(field).unwrap_or_else(|| panic!("no field {field}"));
    let mut out = ExtractedValues::new();
    if !plugin.extract(event, 7, SOURCE, index, &arg, &mut out) {
        return None;
    }
    Some(
        out.iter()
            .map(|v| match v {
                ExtractedValue::U64(n) => n.to_string(),
                ExtractedValue::Bool(b) => b.to_string(),
                ExtractedValue::Str(s) => String::from_utf8_lossy(s).into_owned(),
                ExtractedValue::Ip(b) => format!("{b:?}"),
            })
            .collect(),
    )
}

fn one(v: impl ToString) -> Option<Vec<String>> {
    Some(vec![v.to_string()])
}

#[test]
fn static_info_of_an_official_sdk_plugin() {
    let plugin = loaded();
    let info = plugin.info();
    assert_eq!(info.name, "officialgen");
    assert_eq!(info.version_text, "1.2.3");
    assert_eq!(info.required_api_version.major, 3);
    assert_eq!(info.capabilities.names(), vec!["sourcing", "extraction", "parsing"]);
    assert_eq!((info.id, info.event_source.as_str()), (1000, "officialgen"));
    let types: Vec<(&str, FieldType, bool)> = info.fields.iter().map(|f| (f.name.as_str(), f.ty, f.is_list)).collect();
    assert_eq!(
        types,
        vec![
            ("og.num", FieldType::Uint64, false),
            ("og.text", FieldType::String, false),
            ("og.even", FieldType::Bool, false),
            ("og.rel", FieldType::Reltime, false),
            ("og.abs", FieldType::Abstime, false),
            ("og.ip", FieldType::Ipaddr, false),
            ("og.net", FieldType::Ipnet, false),
            ("og.list", FieldType::Uint64, true),
            ("og.times", FieldType::Uint64, false),
            ("og.greet", FieldType::String, false),
            ("og.parsed", FieldType::Uint64, false),
            ("og.oddonly", FieldType::Uint64, false),
            ("og.panic", FieldType::Uint64, false),
        ]
    );
    let times = &info.fields[8].arg;
    assert!(times.required && times.index && !times.key);
    let greet = &info.fields[9].arg;
    assert!(greet.required && greet.key && !greet.index);
    assert_eq!(info.fields[1].display, "Text");
    assert!(info.fields[11].add_output);
    assert!(info
        .init_schema
        .as_ref()
        .expect("schemars schema")
        .text
        .contains("count"));
}

#[test]
fn init_config_against_the_sdk_schema() {
    let tables = TableRegistry::new();
    let mut plugin = loaded();
    let err = plugin.init(r#"{"count":"many"}"#, &tables).unwrap_err().to_string();
    assert!(err.starts_with("plugin officialgen: init config: In /count, "), "{err}");
    let err = plugin.init(r#"{"bogus":1}"#, &tables).unwrap_err().to_string();
    assert!(err.contains("bogus"), "{err}");
    // Empty config: the host passes "{}" (the SDK fails init on an empty string).
    plugin.init("", &tables).expect("empty config accepted as {}");
    // set_config goes through the same schema validation.
    plugin.set_config(r#"{"count":2}"#).expect("valid config accepted");
    let err = plugin.set_config(r#"{"count":-1}"#).unwrap_err().to_string();
    assert!(err.starts_with("plugin officialgen: init config: In /count, "), "{err}");
    assert!(
        plugin.metrics().is_empty(),
        "the SDK exports get_metrics with no metrics"
    );
}

#[test]
fn source_parse_and_extract_every_type() {
    let mut plugin = loaded();
    plugin.init(r#"{"count":4}"#, &TableRegistry::new()).unwrap();
    let err = plugin.open("fail").err().unwrap().to_string();
    assert!(err.contains("could not open event source with params 'fail'"), "{err}");
    assert!(err.contains("officialgen refuses to open with params 'fail'"), "{err}");

    let mut instance = plugin.open("").unwrap();
    let mut events = Vec::new();
    loop {
        let batch = instance.next_batch().expect("next_batch");
        events.extend(batch.events().map(|e| e.to_vec()));
        if batch.end == BatchEnd::Eof {
            break;
        }
        assert!(events.len() <= 4);
    }
    drop(instance);
    assert_eq!(events.len(), 4);

    for (n, event) in events.iter().enumerate() {
        let n = n as u64;
        assert_eq!(u32::from_ne_bytes(event[34..38].try_into().unwrap()), 1000);
        assert!(plugin.parse(event, n, SOURCE));
        assert_eq!(values(&plugin, event, "og.num", FieldArg::None), one(n));
        assert_eq!(
            values(&plugin, event, "og.text", FieldArg::None),
            one(format!("officialgen-{n}"))
        );
        assert_eq!(values(&plugin, event, "og.even", FieldArg::None), one(n % 2 == 0));
        assert_eq!(values(&plugin, event, "og.rel", FieldArg::None), one(n * 1_500_000_000));
        assert_eq!(
            values(&plugin, event, "og.abs", FieldArg::None),
            one((1_700_000_000 + n) * 1_000_000_000)
        );
        assert_eq!(
            values(&plugin, event, "og.ip", FieldArg::None),
            one(format!("{:?}", [192u8, 168, 0, n as u8]))
        );
        let mut v6 = [0u8; 16];
        v6[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        v6[15] = n as u8;
        assert_eq!(values(&plugin, event, "og.net", FieldArg::None), one(format!("{v6:?}")));
        assert_eq!(
            values(&plugin, event, "og.list", FieldArg::None),
            Some(vec![n.to_string(), (n + 1).to_string(), (n + 2).to_string()])
        );
        assert_eq!(values(&plugin, event, "og.times", FieldArg::Index(3)), one(3 * n));
        let bob = FieldArg::Key(CString::new("bob").unwrap());
        assert_eq!(values(&plugin, event, "og.greet", bob), one("hello bob"));
        assert_eq!(values(&plugin, event, "og.parsed", FieldArg::None), one(n + 1));
        let odd = values(&plugin, event, "og.oddonly", FieldArg::None);
        assert_eq!(odd, if n % 2 == 1 { one(n) } else { None });
        // A required index argument missing: the SDK fails, the host reports "no value".
        assert_eq!(values(&plugin, event, "og.times", FieldArg::None), None);
    }
    assert_eq!(
        plugin.event_to_string(&events[2], 3, SOURCE),
        "officialgen says officialgen-2"
    );
    let counters = plugin.counters();
    assert_eq!((counters.parse_calls, counters.parse_failures), (4, 0));
    assert_eq!(
        counters.extract_no_value,
        2 + 4,
        "two even og.oddonly + four og.times without arg"
    );
}

/// falco_plugin 0.5.1 exports `extern "C-unwind"` functions without catch_unwind: a panic in
/// the plugin unwinds into the host, where a foreign Rust panic aborts the process. Saker
/// cannot catch it either, so this test documents it: a child process runs the panicking
/// extraction and must die abnormally, with the plugin's panic message on stderr.
#[test]
fn a_panicking_official_sdk_plugin_takes_the_process_down() {
    if std::env::var_os("SAKER_PANIC_CHILD").is_some() {
        let mut plugin = loaded();
        plugin.init("", &TableRegistry::new()).unwrap();
        let mut instance = plugin.open("").unwrap();
        let event = instance.next_batch().unwrap().event(0).unwrap().to_vec();
        drop(instance);
        values(&plugin, &event, "og.panic", FieldArg::None);
        println!("SURVIVED");
        return;
    }
    let _ = official_plugin_path();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_panicking_official_sdk_plugin_takes_the_process_down",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("SAKER_PANIC_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "child survived:\n{stdout}\n{stderr}");
    assert!(!stdout.contains("SURVIVED"), "{stdout}");
    assert!(stderr.contains("officialgen panics on purpose in og.panic"), "{stderr}");
}
