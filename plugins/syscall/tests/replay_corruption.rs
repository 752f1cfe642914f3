//! Truncated and corrupted captures through replay, conversion and state: errors carry the
//! file and byte offset; nothing panics.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use syscall::replay::{clone_meta, CaptureReplay, ReplayError};
use syscall::state::ThreadTable;

fn decompressed(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn temp_file(tag: &str, bytes: &[u8]) -> PathBuf {
    let p = std::env::temp_dir().join(format!("saker-replay-{}-{tag}.scap", std::process::id()));
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Replays into a fresh state; returns events replayed and the error that ended it, if any.
fn replay(path: &Path) -> (u64, Option<ReplayError>) {
    let mut r = match CaptureReplay::open(path) {
        Ok(r) => r,
        Err(e) => return (0, Some(e)),
    };
    let mut st = ThreadTable::new();
    loop {
        let mut metas = Vec::new();
        match r.next_event(|m| metas.push(clone_meta(m))) {
            Ok(Some(ev)) => {
                for m in metas.iter().flatten() {
                    st.apply_capture_item(m);
                }
                // Corrupt params are the state's errors, not panics.
                let _ = st.parse_event(ev);
            }
            Ok(None) => return (r.events(), None),
            Err(e) => return (r.events(), Some(e)),
        }
    }
}

#[test]
fn truncated_captures_end_with_an_offset_error() {
    for path in common::captures() {
        let bytes = decompressed(&path);
        let (full, err) = replay(&path);
        assert!(err.is_none(), "{}: {err:?}", path.display());
        let len = bytes.len();
        for cut in [len / 2, len - 5] {
            let p = temp_file(&format!("cut{cut}"), &bytes[..cut]);
            let (n, err) = replay(&p);
            std::fs::remove_file(&p).ok();
            let err = err.unwrap_or_else(|| panic!("{}: cut at {cut} replayed without error", path.display()));
            let msg = err.to_string();
            assert!(
                msg.contains("at byte") && msg.contains(&p.display().to_string()),
                "{msg}"
            );
            assert!(n <= full);
        }
    }
}

#[test]
fn corrupted_captures_never_panic_in_replay_or_state() {
    for path in common::captures() {
        let bytes = decompressed(&path);
        let mut rng = 0x2545_F491_4F6C_DD1Du64;
        let p = temp_file("flip", &bytes);
        for i in 0..60 {
            let mut v = bytes.clone();
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let at = (rng as usize) % v.len();
            let end = (at + 1 + i % 8).min(v.len());
            v[at..end].iter_mut().for_each(|b| *b ^= 0xA5);
            std::fs::write(&p, &v).unwrap();
            let _ = replay(&p);
        }
        std::fs::remove_file(&p).ok();
    }
}

#[test]
fn missing_file_error_names_it() {
    let Err(e) = CaptureReplay::open("/nonexistent/trace.scap") else {
        panic!("opened a missing file")
    };
    let msg = e.to_string();
    assert!(
        msg.contains("/nonexistent/trace.scap") && msg.contains("open parameter"),
        "{msg}"
    );
}
