//! Shared by the reload/web/outputs integration tests: runs the real `saker` binary on the
//! countgen example source (built on demand) with a generated configuration.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn saker() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_saker"))
}

/// target/<profile>/`file` (where `saker` looks for plugins by name), built from the workspace
/// package `package` with cargo when missing; one build at a time in a test binary.
pub fn workspace_library(package: &str, file: &str) -> PathBuf {
    static BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    let dir = saker().parent().unwrap().to_path_buf();
    let lib = dir.join(file);
    if !lib.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-j", "1", "-p", package]);
        if dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("running cargo");
        assert!(status.success(), "building {package} ({file}) failed");
    }
    lib
}

/// target/<profile>/libcountgen_rs.so, built with cargo when missing.
pub fn countgen() -> PathBuf {
    workspace_library("saker-example-plugin", "libcountgen_rs.so")
}

/// target/<profile>/libsyscall.so, built with cargo when missing.
pub fn syscall_plugin() -> PathBuf {
    workspace_library("syscall", "libsyscall.so")
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("saker-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A rules file with one rule matching every countgen event, printing `<label> <number>`.
pub fn every_event_rule(name: &str, label: &str) -> String {
    format!(
        "- rule: {name}\n  desc: every event\n  condition: countgen.num > 0\n  output: {label} %countgen.num\n  priority: WARNING\n  source: countgen\n"
    )
}

/// A configuration running countgen for `events` events into `extra` outputs.
pub fn config(dir: &Path, events: u64, extra: &str) -> PathBuf {
    let text = format!(
        "rules_files: [{rules}]\nplugins:\n  - name: countgen_rs\n    library_path: {lib}\n    init_config: {{start: 1}}\n    open_params: \"{events}\"\nload_plugins: [countgen_rs]\npriority: debug\nlog_level: info\nlog_stderr: true\n{extra}\n",
        rules = dir.join("rules.yaml").display(),
        lib = countgen().display(),
    );
    let path = dir.join("falco.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

pub fn spawn(config: &Path) -> Child {
    Command::new(saker())
        .arg("-c")
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting saker")
}

pub fn signal(child: &Child, signal: i32) {
    // SAFETY: kill has no memory-safety preconditions; the pid is our child's.
    let rc = unsafe { libc::kill(child.id() as i32, signal) };
    assert_eq!(rc, 0);
}

pub fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// GET over plain HTTP; (status, body), or None when nothing listens yet.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let status = text.split(' ').nth(1)?.parse().ok()?;
    Some((status, text.split_once("\r\n\r\n")?.1.to_string()))
}

/// Output of a finished child: (status code, stdout, stderr).
pub fn finish(child: Child) -> (Option<i32>, String, String) {
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
