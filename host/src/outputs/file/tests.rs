use std::sync::atomic::Ordering;

use super::*;
use crate::outputs::{Outputs, QueueOptions};
use crate::rules::load::items::Priority;

fn alert(text: &str) -> FormattedAlert {
    FormattedAlert {
        text: text.into(),
        priority: Priority::Notice,
        json: false,
    }
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("saker-file-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn appends_lines_and_reopens_after_rotation_by_rename() {
    let dir = temp_dir("rotate");
    let path = dir.join("events.txt");
    std::fs::write(&path, "earlier\n").unwrap();
    let cfg = FileSinkConfig {
        path: path.clone(),
        keep_alive: true,
    };
    let mut outputs = Outputs::new(
        vec![(Box::new(FileSink::new(&cfg).unwrap()), QueueOptions::default())],
        None,
        false,
    );
    outputs.emit(alert("one"));
    outputs.flush();
    std::fs::rename(&path, dir.join("events.txt.1")).unwrap();
    std::thread::sleep(REOPEN_CHECK_INTERVAL + std::time::Duration::from_millis(50));
    outputs.emit(alert("two"));
    outputs.flush();
    outputs.shutdown();
    assert_eq!(
        std::fs::read_to_string(dir.join("events.txt.1")).unwrap(),
        "earlier\none\n"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "two\n");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn without_keep_alive_each_flush_reopens() {
    let dir = temp_dir("reopen");
    let path = dir.join("a.txt");
    let cfg = FileSinkConfig {
        path: path.clone(),
        keep_alive: false,
    };
    let mut sink = FileSink::new(&cfg).unwrap();
    sink.deliver(&alert("x")).unwrap();
    sink.flush().unwrap();
    std::fs::rename(&path, dir.join("b.txt")).unwrap();
    // No wait needed: the file was closed at the flush.
    sink.deliver(&alert("y")).unwrap();
    sink.flush().unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "y\n");
    assert_eq!(std::fs::read_to_string(dir.join("b.txt")).unwrap(), "x\n");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_directory_is_reported_with_the_path() {
    let cfg = FileSinkConfig {
        path: "/nonexistent-saker-dir/x.txt".into(),
        keep_alive: true,
    };
    let e = FileSink::new(&cfg).err().unwrap().to_string();
    assert!(
        e.contains("/nonexistent-saker-dir/x.txt") && e.contains("writable"),
        "{e}"
    );
    let mut outputs = Outputs::new(Vec::new(), None, false);
    outputs.emit(alert("nowhere"));
    assert_eq!(outputs.telemetry().emitted.load(Ordering::Relaxed), 1);
}
