//! Shared helpers of the integration tests: locating Falco's conformance captures.
#![allow(dead_code)]

use std::path::PathBuf;

/// `<ancestor>/shared/conformance/falco-legacy/test/trace_files`, or `None` (tests then skip).
pub fn trace_dir() -> Option<PathBuf> {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    loop {
        let candidate = dir.join("shared/conformance/falco-legacy/test/trace_files");
        if candidate.is_dir() {
            return Some(candidate);
        }
        if !dir.pop() {
            return None;
        }
    }
}

/// Every `.scap` in the trace directory, sorted.
pub fn captures() -> Vec<PathBuf> {
    let Some(dir) = trace_dir() else {
        eprintln!("skipped: no shared/conformance above CARGO_MANIFEST_DIR");
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "scap"))
        .collect();
    v.sort();
    v
}

/// `libsyscall.so` built from the current sources: integration tests only get the rlib, so
/// the cdylib is (re)built here with the same cargo.
pub fn cdylib() -> Option<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let status = std::process::Command::new(env!("CARGO"))
        .args(["build", "-j", "1", "--lib", "-p", "syscall", "--manifest-path"])
        .arg(manifest.join("Cargo.toml"))
        .status();
    if !status.as_ref().is_ok_and(|s| s.success()) {
        eprintln!("skipped: cannot build libsyscall.so ({status:?})");
        return None;
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../../target"));
    let p = target.join("debug/libsyscall.so");
    p.exists().then_some(p)
}
