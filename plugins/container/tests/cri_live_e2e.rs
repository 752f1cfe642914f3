//! End to end with live capture: the real `saker` (modern eBPF, this crate's
//! `libcontainer.so` asking containerd's CRI socket) alerts on `cat /etc/shadow` run inside a
//! CRI pod's container, and the alert names the container and the pod.
//!
//! Needs root, a BTF kernel and containerd with CRI (`scripts/runtimes-up`; see
//! `tests/cri_runtime.rs`). Skips, saying why, without them, unless `SAKER_RUNTIMES=1`, which
//! makes a missing runtime a failure; `SAKER_SKIP_LIVE=1` skips it as it does the other live
//! tests. The `saker` binary and the plugins of this test's profile are built with cargo
//! when missing.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{runtime_socket, CriPod};

/// Longest wait for the alert (the capture starts in a few seconds).
const WAIT_LIMIT: Duration = Duration::from_secs(90);
/// Pause between two `cat /etc/shadow` in the container while waiting for the alert.
const EXEC_EVERY: Duration = Duration::from_millis(500);
/// containerd's namespace for CRI containers.
const CRI_NAMESPACE: &str = "k8s.io";

/// target/<profile>/ of this test, with `saker`, `libsyscall.so` and `libcontainer.so` built.
fn binaries() -> PathBuf {
    let dir = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(Path::parent)
        .expect("the test runs from target/<profile>/deps")
        .to_path_buf();
    let built = ["saker", "libsyscall.so", "libcontainer.so"]
        .iter()
        .all(|f| dir.join(f).exists());
    if !built {
        // `--bin` would limit every package to binaries: the plugins are built apart.
        let targets: [&[&str]; 2] = [
            &["-p", "saker", "--bin", "saker"],
            &["--lib", "-p", "syscall", "-p", "container"],
        ];
        for args in targets {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let mut cmd = Command::new(cargo);
            cmd.args(["build", "-j", "1"]).args(args);
            if dir.file_name().is_some_and(|n| n == "release") {
                cmd.arg("--release");
            }
            assert!(
                cmd.status().expect("running cargo").success(),
                "cargo build {args:?} failed"
            );
        }
    }
    dir
}

/// `saker` with its output collected; killed when dropped.
struct Saker {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

fn collect(stream: impl Read + Send + 'static, into: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        while matches!(reader.read_line(&mut line), Ok(n) if n > 0) {
            into.lock().unwrap().push_str(&line);
            line.clear();
        }
    });
}

impl Saker {
    fn start(bin: &Path, config: &Path) -> Saker {
        let mut child = Command::new(bin.join("saker"))
            .arg("-c")
            .arg(config)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting saker");
        let (stdout, stderr) = (Arc::default(), Arc::default());
        collect(child.stdout.take().unwrap(), Arc::clone(&stdout));
        collect(child.stderr.take().unwrap(), Arc::clone(&stderr));
        Saker { child, stdout, stderr }
    }

    fn alerts(&self) -> Vec<Value> {
        let out = self.stdout.lock().unwrap();
        out.lines()
            .filter(|l| l.starts_with('{'))
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    fn report(&self) -> String {
        format!(
            "stderr:\n{}\nstdout:\n{}",
            self.stderr.lock().unwrap(),
            self.stdout.lock().unwrap()
        )
    }
}

impl Drop for Saker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn can_run_live(test: &str) -> bool {
    if std::env::var("SAKER_SKIP_LIVE").as_deref() == Ok("1") {
        eprintln!("skipped {test}: SAKER_SKIP_LIVE=1");
        return false;
    }
    // SAFETY: geteuid has no arguments and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped {test}: live capture needs root");
        return false;
    }
    true
}

fn output_field(alert: &Value, name: &str) -> String {
    match &alert["output_fields"][name] {
        Value::String(s) => s.clone(),
        Value::Null => "<none>".into(),
        v => v.to_string(),
    }
}

#[test]
fn saker_alerts_on_a_shadow_read_in_a_cri_container_with_pod_metadata() {
    let test = "saker_alerts_on_a_shadow_read_in_a_cri_container_with_pod_metadata";
    let Some(socket) = runtime_socket(test, "SAKER_CRI_SOCKET") else {
        return;
    };
    if !can_run_live(test) {
        return;
    }
    let bin = binaries();
    let pod = CriPod::start(&socket, "payments-0", "prod");

    let dir = std::env::temp_dir().join(format!("saker-cri-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rules = dir.join("rules.yaml");
    std::fs::write(
        &rules,
        "- rule: shadow read in a container\n  desc: /etc/shadow opened inside a container\n  \
         condition: evt.type in (open, openat, openat2) and evt.dir = < and fd.name = /etc/shadow \
         and container.id != host\n  \
         output: \"shadow read container.id=%container.id container.name=%container.name \
         container.type=%container.type container.image.repository=%container.image.repository \
         k8s.pod.name=%k8s.pod.name k8s.ns.name=%k8s.ns.name proc.name=%proc.name\"\n  priority: WARNING\n",
    )
    .unwrap();
    let init_config = serde_json::json!({"engines": {"cri": {"enabled": true, "sockets": [socket]}}});
    let config = dir.join("falco.yaml");
    std::fs::write(
        &config,
        format!(
            "engine:\n  kind: modern_ebpf\nplugins:\n  - name: container\n    library_path: {lib}\n    \
             init_config: {init_config}\nload_plugins: [container]\nrules_files: [{rules}]\n\
             json_output: true\npriority: debug\nstdout_output:\n  enabled: true\n\
             webserver:\n  enabled: false\nlog_stderr: true\nwatch_config_files: false\n",
            lib = bin.join("libcontainer.so").display(),
            rules = rules.display(),
        ),
    )
    .unwrap();
    let mut saker = Saker::start(&bin, &config);

    let short_id = &pod.container_id[..12];
    let start = Instant::now();
    let mut execs = 0;
    let alert = loop {
        if let Some(a) = saker
            .alerts()
            .into_iter()
            .find(|a| output_field(a, "container.id") == short_id)
        {
            break a;
        }
        if let Some(status) = saker.child.try_wait().unwrap() {
            panic!("saker ended early ({status}); {}", saker.report());
        }
        assert!(
            start.elapsed() < WAIT_LIMIT,
            "no alert for container {short_id} after {execs} reads; {}",
            saker.report()
        );
        execs += 1;
        let out = Command::new("ctr")
            .arg("--address")
            .arg(&socket)
            .args(["-n", CRI_NAMESPACE, "task", "exec", "--exec-id"])
            .arg(format!("saker-shadow-{execs}"))
            .args([&pod.container_id, "cat", "/etc/shadow"])
            .output()
            .expect("running ctr (from the containerd package)");
        assert!(
            out.status.success(),
            "ctr task exec failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(EXEC_EVERY);
    };
    let f = |name| output_field(&alert, name);
    assert_eq!(f("container.name"), "main", "{alert}");
    assert_eq!(f("container.type"), "containerd", "{alert}");
    assert_eq!(f("container.image.repository"), "localhost/busybox", "{alert}");
    assert_eq!(f("k8s.pod.name"), "payments-0", "{alert}");
    assert_eq!(f("k8s.ns.name"), "prod", "{alert}");
    assert_eq!(f("proc.name"), "cat", "{alert}");
    drop(saker);
    let _ = std::fs::remove_dir_all(&dir);
}
