//! Helpers shared by the `config_*` integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// `<ancestor>/shared/conformance`, found by walking up from this crate; `None` (and the test
/// prints why and returns) when this checkout has no conformance material.
pub fn conformance_dir() -> Option<PathBuf> {
    let mut dir = Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf();
    loop {
        let candidate = dir.join("shared/conformance");
        if candidate.is_dir() {
            return Some(candidate);
        }
        if !dir.pop() {
            eprintln!(
                "skipped: no shared/conformance directory above {}",
                env!("CARGO_MANIFEST_DIR")
            );
            return None;
        }
    }
}

/// A fresh empty directory under the system temp dir.
pub fn scratch_dir(label: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "saker-config-test-{}-{label}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create parent");
    }
    std::fs::write(&path, text).expect("write file");
    path
}
