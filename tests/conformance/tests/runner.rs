//! The runner end to end, against a stand-in engine that reports no detections: tests that
//! expect none pass, tests that expect some fail, and the expected-failures list decides the
//! exit status.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

fn conformance() -> Option<PathBuf> {
    let mut dir = Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf();
    loop {
        if dir.join("shared/conformance/falco-legacy").is_dir() {
            return Some(dir.join("shared/conformance"));
        }
        if !dir.pop() {
            eprintln!("skipped: no shared/conformance above {}", env!("CARGO_MANIFEST_DIR"));
            return None;
        }
    }
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("saker-conformance-runner-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An engine that records its command line and environment and detects nothing.
fn quiet_engine(dir: &Path) -> PathBuf {
    let path = dir.join("quiet-engine.sh");
    let log = dir.join("args.log");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\necho \"$(pwd) $FALCO_HOSTNAME $*\" >> {}\necho 'Events detected: 0'\necho 'Rule counts by severity:'\necho 'Triggered rules by rule name:'\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn run(conformance: &Path, engine: &Path, extra: &[&str]) -> (String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_saker-conformance"))
        .arg("--engine")
        .arg(engine)
        .arg("--conformance")
        .arg(conformance)
        .args([
            "--test",
            "builtin_rules_no_warnings",
            "--test",
            "rule_names_with_spaces",
            "--jobs",
            "2",
        ])
        .args(extra)
        .output()
        .unwrap();
    (String::from_utf8(out.stdout).unwrap(), out.status.code().unwrap())
}

#[test]
fn results_summary_and_expected_list() {
    let Some(conformance) = conformance() else { return };
    let dir = scratch();
    let engine = quiet_engine(&dir);

    let (stdout, status) = run(&conformance, &engine, &[]);
    assert!(stdout.contains("PASS builtin_rules_no_warnings\n"), "{stdout}");
    assert!(
        stdout.contains("FAIL rule_names_with_spaces: no events detected, expected some\n"),
        "{stdout}"
    );
    assert!(stdout.ends_with("1 passed, 1 failed\n"), "{stdout}");
    assert_eq!(status, 1);
    let log = std::fs::read_to_string(dir.join("args.log")).unwrap();
    let test_dir = conformance.join("falco-legacy/test").canonicalize().unwrap();
    assert!(
        log.lines()
            .all(|l| l.starts_with(&format!("{} test-falco-hostname -r ", test_dir.display()))),
        "{log}"
    );
    assert!(
        log.contains(" -e trace_files/empty.scap -o json_output=False "),
        "{log}"
    );

    let list = dir.join("expected.txt");
    std::fs::write(&list, "rule_names_with_spaces  # the engine detects nothing\n").unwrap();
    let (stdout, status) = run(&conformance, &engine, &["--expected", list.to_str().unwrap()]);
    assert_eq!(status, 0, "{stdout}");

    std::fs::write(
        &list,
        "rule_names_with_spaces  # detects nothing\nbuiltin_rules_no_warnings  # was broken\n",
    )
    .unwrap();
    let (stdout, status) = run(&conformance, &engine, &["--expected", list.to_str().unwrap()]);
    assert_eq!(status, 1);
    assert!(
        stdout.contains("builtin_rules_no_warnings: now passes: remove it from the list"),
        "{stdout}"
    );
    assert!(stdout.ends_with("1 passed, 1 failed\n"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}
