//! Falco's own output configurations (falco-legacy/test/confs: file_output.yaml,
//! program_output.yaml) drive the file and program sinks of the real binary; the countgen
//! source stands in for the syscall capture those tests use.

mod ops_common;

use std::path::PathBuf;

use ops_common::*;

fn conformance_confs() -> Option<PathBuf> {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    loop {
        let candidate = dir.join("shared/conformance/falco-legacy/test/confs");
        if candidate.is_dir() {
            return Some(candidate);
        }
        if !dir.pop() {
            return None;
        }
    }
}

/// Runs `conf` (its `/tmp/falco_outputs` redirected to a temp dir) on 5 countgen events;
/// returns (stdout, the file the conf writes alerts to).
fn run_conf(conf: &str, output_file: &str) -> Option<(String, String)> {
    let Some(confs) = conformance_confs() else {
        eprintln!("skipped: shared/conformance not found above CARGO_MANIFEST_DIR");
        return None;
    };
    let dir = temp_dir(conf.trim_end_matches(".yaml"));
    let text = std::fs::read_to_string(confs.join(conf)).unwrap();
    let text: String = text
        .lines()
        .filter(|l| !l.starts_with("rules_file:"))
        .map(|l| l.replace("/tmp/falco_outputs", &dir.display().to_string()) + "\n")
        .collect();
    std::fs::write(dir.join("rules.yaml"), every_event_rule("Every event", "event")).unwrap();
    let config = config(&dir, 5, &format!("{text}\ntime_format_iso_8601: true\n"));
    let (code, stdout, stderr) = finish(spawn(&config));
    assert_eq!(code, Some(0), "{stderr}");
    let written = std::fs::read_to_string(dir.join(output_file)).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    Some((stdout, written))
}

fn alert_lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.contains(": Warning event ")).collect()
}

#[test]
fn falco_file_output_conf_writes_the_alerts_to_the_file() {
    let Some((stdout, file)) = run_conf("file_output.yaml", "file_output.txt") else {
        return;
    };
    let lines = alert_lines(&file);
    assert_eq!(lines.len(), 5, "{file}");
    assert_eq!(lines, alert_lines(&stdout), "file and stdout carry the same alerts");
    assert!(lines[0].ends_with("Warning event 1") && lines[4].ends_with("Warning event 5"));
    // ISO 8601 time prefix as `time_format_iso_8601` asks.
    assert_eq!(&lines[0][4..5], "-");
}

#[test]
fn falco_program_output_conf_pipes_the_alerts_into_the_program() {
    let Some((stdout, file)) = run_conf("program_output.yaml", "program_output.txt") else {
        return;
    };
    let lines = alert_lines(&file);
    assert_eq!(lines.len(), 5, "{file}");
    assert_eq!(lines, alert_lines(&stdout));
}
