//! `libsyscall.so` driven by Saker's own plugin host (dlopen, init with the host's tables,
//! open/next_batch, parse, extract), checked against `sysdig -r` on the conformance captures.

mod common;

use std::ffi::CString;
use std::process::Command;

use saker::plugins::tables::TableRegistry;
use saker::plugins::{ExtractedValue, ExtractedValues, FieldArg, LoadOptions, Plugin};

fn text(v: &ExtractedValues) -> String {
    match v.get(0) {
        Some(ExtractedValue::Str(s)) => String::from_utf8_lossy(s).into_owned(),
        Some(ExtractedValue::U64(n)) => n.to_string(),
        Some(other) => format!("{other:?}"),
        None => "<NA>".into(),
    }
}

#[test]
fn host_replays_parses_and_extracts_like_sysdig() {
    let (Some(lib), Some(dir)) = (common::cdylib(), common::trace_dir()) else {
        eprintln!("skipped: libsyscall.so or the conformance captures are missing");
        return;
    };
    let tables = TableRegistry::new();
    let mut plugin = Plugin::load(&lib, &LoadOptions::default()).unwrap();
    plugin.init("", &tables).unwrap();
    assert!(
        tables.list().iter().any(|(name, _)| name == "threads"),
        "the plugin registered the threads table: {:?}",
        tables.list()
    );
    let source = CString::new("syscall").unwrap();
    let fields = ["evt.type", "proc.name", "fd.name"]
        .map(|f| plugin.field_index(f).unwrap_or_else(|| panic!("field {f} declared")));
    let capture = dir.join("cat_write.scap");
    let mut inst = plugin.open(&format!("replay:{}", capture.display())).unwrap();
    let mut out = ExtractedValues::new();
    let mut lines = Vec::new();
    let mut evtnum = 0u64;
    loop {
        let batch = inst.next_batch().unwrap();
        let end = batch.end;
        for ev in batch.events() {
            evtnum += 1;
            assert!(plugin.parse(ev, evtnum, &source), "parse of event {evtnum}");
            let mut vals = Vec::new();
            for &f in &fields {
                plugin.extract(ev, evtnum, &source, f, &FieldArg::None, &mut out);
                vals.push(text(&out));
            }
            if vals[0] == "open" && u16::from_le_bytes([ev[20], ev[21]]) % 2 == 1 && vals[2] != "<NA>" {
                lines.push(format!("{} {}", vals[1], vals[2]));
            }
        }
        if end == saker::plugins::BatchEnd::Eof {
            break;
        }
    }
    assert!(evtnum > 0);
    let Ok(out) = Command::new("sysdig")
        .arg("-r")
        .arg(&capture)
        .arg("-p")
        .arg("*%proc.name %fd.name")
        .arg("evt.type=open and evt.dir=< and fd.num>=0")
        .output()
    else {
        eprintln!("sysdig not available: counted {} opens", lines.len());
        return;
    };
    let expected: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert!(!expected.is_empty(), "sysdig printed no opens");
    assert_eq!(lines, expected);
}
