//! Test helpers: Falco's k8s audit trace files, found by walking up from the crate.
#![allow(dead_code)]

use std::path::PathBuf;

/// `<ancestor>/shared/conformance/falco-legacy/test/trace_files/k8s_audit`, if present.
pub fn trace_dir() -> Option<PathBuf> {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    loop {
        let c = dir.join("shared/conformance/falco-legacy/test/trace_files/k8s_audit");
        if c.is_dir() {
            return Some(c);
        }
        if !dir.pop() {
            eprintln!("skipped: shared/conformance not found above CARGO_MANIFEST_DIR");
            return None;
        }
    }
}

/// The first audit event (line) of a trace file.
pub fn trace_event(name: &str) -> Vec<u8> {
    let text = std::fs::read(trace_dir().expect("checked by the caller").join(name)).unwrap();
    let line = text.split(|&b| b == b'\n').find(|l| !l.is_empty()).unwrap();
    line.to_vec()
}

/// `event` with the first occurrence of `from` replaced by `to` (panics if absent, so a
/// changed trace file cannot silently weaken a test).
pub fn edit(event: &[u8], from: &str, to: &str) -> Vec<u8> {
    let text = std::str::from_utf8(event).unwrap();
    assert!(text.contains(from), "{from:?} not in the event");
    text.replacen(from, to, 1).into_bytes()
}
