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

fn temp_file(name: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("saker-program-{name}-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

#[test]
fn keep_alive_program_receives_every_line() {
    let out = temp_file("keep");
    let cfg = ProgramSinkConfig {
        command: format!("cat >> {}", out.display()),
        keep_alive: true,
    };
    let mut outputs = Outputs::new(
        vec![(Box::new(ProgramSink::new(cfg)), QueueOptions::default())],
        None,
        false,
    );
    for i in 0..5 {
        outputs.emit(alert(&format!("line {i}")));
    }
    outputs.shutdown();
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text, "line 0\nline 1\nline 2\nline 3\nline 4\n");
    std::fs::remove_file(&out).unwrap();
}

#[test]
fn without_keep_alive_one_program_per_alert() {
    let out = temp_file("each");
    // Each run appends its pid and what it read: three alerts, three processes.
    let cfg = ProgramSinkConfig {
        command: format!("read l; echo \"$$ $l\" >> {}", out.display()),
        keep_alive: false,
    };
    let mut outputs = Outputs::new(
        vec![(Box::new(ProgramSink::new(cfg)), QueueOptions::default())],
        None,
        false,
    );
    for i in 0..3 {
        outputs.emit(alert(&format!("a{i}")));
    }
    outputs.shutdown();
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    let pids: std::collections::HashSet<&str> = lines.iter().map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(pids.len(), 3);
    assert!(lines.iter().enumerate().all(|(i, l)| l.ends_with(&format!("a{i}"))));
    std::fs::remove_file(&out).unwrap();
}
