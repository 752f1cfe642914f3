//! Live eBPF capture end to end: the real `saker` binary captures real child processes of the
//! test, and the alerts carry the right field values.
//!
//! Needs root (the probe loads eBPF programs) and a BTF kernel. Each test prints why and
//! returns when not run as root or when `SAKER_SKIP_LIVE=1` is set; otherwise a capture that
//! cannot open fails the test.
//!
//! Tests run in parallel: each one has its own directory (`/tmp/saker-live-e2e-<test>-<pid>`)
//! and rules that only match files under it (or its own listener port), and its own web server
//! port or none. Every `saker` is killed when its guard drops, so a failed assertion leaves no
//! capture running.

mod ops_common;

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ops_common::{saker, syscall_plugin};
use serde_json::Value;

/// Longest wait for anything a test expects from a running `saker` (an alert, a metric).
const WAIT_LIMIT: Duration = Duration::from_secs(60);

/// The burst of the drop test fills every capture's buffers on the machine, so it runs alone.
static BURST: RwLock<()> = RwLock::new(());

/// Whether the live tests run here; prints why not when they do not.
fn can_run(test: &str) -> bool {
    if std::env::var("SAKER_SKIP_LIVE").as_deref() == Ok("1") {
        eprintln!("skipped {test}: SAKER_SKIP_LIVE=1");
        return false;
    }
    // SAFETY: geteuid has no arguments and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped {test}: live capture tests need root (run them as root, or set SAKER_SKIP_LIVE=1)");
        return false;
    }
    syscall_plugin();
    true
}

/// `None` (after saying why) when the live tests cannot run; else a guard that keeps the
/// drop test's burst away while the test runs.
fn live_or_skip(test: &str) -> Option<RwLockReadGuard<'static, ()>> {
    can_run(test).then(|| BURST.read().unwrap_or_else(|e| e.into_inner()))
}

/// As [`live_or_skip`], for the burst: no other live test runs meanwhile.
fn live_alone_or_skip(test: &str) -> Option<RwLockWriteGuard<'static, ()>> {
    can_run(test).then(|| BURST.write().unwrap_or_else(|e| e.into_inner()))
}

/// The test's own directory, world-readable (the capability test runs saker as nobody).
fn test_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("saker-live-e2e-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
}

/// Output fields of the open rule (evt.res and evt.rawres tell success from failure).
const OPEN_FIELDS: &str = "proc.name=%proc.name proc.pname=%proc.pname proc.cmdline=%proc.cmdline \
    user.name=%user.name proc.exepath=%proc.exepath fd.name=%fd.name evt.res=%evt.res \
    evt.rawres=%evt.rawres proc.pid=%proc.pid proc.ppid=%proc.ppid proc.is_exe_writable=%proc.is_exe_writable \
    proc.pidns_init_start_ts=%proc.pidns_init_start_ts";

/// A rule on every open under `dir` (successful or not) plus `extra` rules.
fn rules(dir: &Path, extra: &str) -> String {
    format!(
        "- rule: live e2e open\n  desc: opens under the test directory\n  \
         condition: evt.type in (open, openat, openat2) and evt.dir = < and fd.name startswith {dir}/\n  \
         output: \"open {OPEN_FIELDS}\"\n  priority: WARNING\n{extra}",
        dir = dir.display(),
    )
}

/// A configuration for live capture with `rules_file`, JSON alerts on stdout, and the web
/// server on `port` (none when `None`); `extra` is appended (more keys; `log_level` replaces
/// the default `info`).
fn config(dir: &Path, rules_file: &Path, preset: u32, port: Option<u16>, extra: &str) -> PathBuf {
    let web = match port {
        Some(port) => format!(
            "webserver:\n  enabled: true\n  listen_port: {port}\n  listen_address: 127.0.0.1\n  \
             k8s_healthz_endpoint: /healthz\n  prometheus_metrics_enabled: true\n"
        ),
        None => "webserver:\n  enabled: false\n".into(),
    };
    let log_level = if extra.contains("log_level:") {
        ""
    } else {
        "log_level: info\n"
    };
    let text = format!(
        "engine:\n  kind: modern_ebpf\n  modern_ebpf:\n    buf_size_preset: {preset}\n    \
         cpus_for_each_buffer: 2\nrules_files: [{rules}]\njson_output: true\npriority: debug\n\
         stdout_output:\n  enabled: true\n{web}{log_level}log_stderr: true\nwatch_config_files: false\n{extra}",
        rules = rules_file.display(),
    );
    let path = dir.join("falco.yaml");
    write(&path, &text);
    path
}

/// A running `saker` whose stdout and stderr are collected; killed when dropped.
struct Saker {
    child: Option<Child>,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

fn collect(stream: impl Read + Send + 'static, into: Arc<Mutex<String>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        while matches!(reader.read_line(&mut line), Ok(n) if n > 0) {
            into.lock().unwrap().push_str(&line);
            line.clear();
        }
    })
}

impl Saker {
    fn start(mut cmd: Command) -> Saker {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting saker");
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let readers = vec![
            collect(child.stdout.take().unwrap(), stdout.clone()),
            collect(child.stderr.take().unwrap(), stderr.clone()),
        ];
        Saker {
            child: Some(child),
            stdout,
            stderr,
            readers,
        }
    }

    fn with_config(config: &Path) -> Saker {
        let mut cmd = Command::new(saker());
        cmd.arg("-c").arg(config);
        Saker::start(cmd)
    }

    fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Every JSON alert so far.
    fn alerts(&self) -> Vec<Value> {
        json_alerts(&self.stdout())
    }

    /// Fails the test (with saker's stderr) when saker already ended.
    fn check_running(&mut self) {
        let child = self.child.as_mut().expect("saker runs");
        if let Some(status) = child.try_wait().unwrap() {
            // Let the readers see the end of the streams first.
            for r in self.readers.drain(..) {
                let _ = r.join();
            }
            panic!(
                "saker ended early ({status}); stderr:\n{}\nstdout:\n{}",
                self.stderr(),
                self.stdout()
            );
        }
    }

    /// Waits for the first alert `matches` accepts among those of other processes than the
    /// test's own (which writes the files its children open).
    fn wait_alert(&mut self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        self.wait_alerts(what, 1, matches).swap_remove(0)
    }

    /// Waits for `n` alerts `matches` accepts (of other processes than the test's own).
    fn wait_alerts(&mut self, what: &str, n: usize, matches: impl Fn(&Value) -> bool) -> Vec<Value> {
        let own_pid = std::process::id().to_string();
        let start = Instant::now();
        loop {
            let found: Vec<Value> = self
                .alerts()
                .into_iter()
                .filter(|a| field(a, "proc.pid") != own_pid && matches(a))
                .collect();
            if found.len() >= n {
                return found;
            }
            self.check_running();
            assert!(
                start.elapsed() < WAIT_LIMIT,
                "{} of {n} alerts for {what}; stderr:\n{}\nstdout:\n{}",
                found.len(),
                self.stderr(),
                self.stdout()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Opens `dir/ready` until its alert comes: the probe is attached and the rules run.
    fn wait_ready(&mut self, dir: &Path) {
        let ready = dir.join("ready");
        write(&ready, "");
        let name = ready.to_str().unwrap().to_string();
        let start = Instant::now();
        loop {
            drop(std::fs::File::open(&ready).unwrap());
            if self.alerts().iter().any(|a| field(a, "fd.name") == name) {
                return;
            }
            self.check_running();
            assert!(
                start.elapsed() < WAIT_LIMIT,
                "saker never reported the open of {name}; stderr:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM, then the exit status, stdout and stderr.
    fn stop(mut self) -> (Option<i32>, String, String) {
        let mut child = self.child.take().expect("saker runs");
        // SAFETY: kill has no memory-safety preconditions; the pid is our child's.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let status = child.wait().unwrap();
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        (status.code(), self.stdout(), self.stderr())
    }

    /// Waits for saker to end by itself: exit status, stdout and stderr.
    fn finish(mut self) -> (Option<i32>, String, String) {
        let mut child = self.child.take().expect("saker runs");
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > WAIT_LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                panic!("saker did not end by itself; stderr:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        (status.code(), self.stdout(), self.stderr())
    }
}

impl Drop for Saker {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Kills the child processes of a test when it fails.
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn json_alerts(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// An output field as text (numbers too).
fn field(alert: &Value, name: &str) -> String {
    match &alert["output_fields"][name] {
        Value::String(s) => s.clone(),
        Value::Null => "<none>".into(),
        v => v.to_string(),
    }
}

fn rule_is(alert: &Value, rule: &str) -> bool {
    alert["rule"] == rule
}

/// The executable `name` on PATH, with symlinks resolved (what the kernel reports as the
/// executable of a process started from it).
fn on_path(name: &str) -> PathBuf {
    let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into());
    let found = path
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} is not on PATH"));
    std::fs::canonicalize(found).unwrap()
}

fn run(cmd: &mut Command) -> std::process::Output {
    cmd.stdin(Stdio::null()).output().expect("running a child process")
}

#[test]
fn cat_started_from_sh_has_its_process_user_and_file_fields() {
    let Some(_live) = live_or_skip("cat_from_sh") else {
        return;
    };
    let dir = test_dir("cat");
    let rules_file = dir.join("rules.yaml");
    write(&rules_file, &rules(&dir, ""));
    let config = config(&dir, &rules_file, 4, None, "");
    let mut saker = Saker::with_config(&config);
    saker.wait_ready(&dir);

    let target = dir.join("target.txt");
    write(&target, "hello\n");
    let script = format!("cat {}; true", target.display());
    let mut sh = Command::new("sh");
    sh.args(["-c", &script]).stdout(Stdio::null());
    let child = sh.spawn().unwrap();
    let sh_pid = child.id();
    assert!(child.wait_with_output().unwrap().status.success());

    let name = target.to_str().unwrap();
    let alert = saker.wait_alert("cat of the target", |a| field(a, "fd.name") == name);
    assert!(rule_is(&alert, "live e2e open"), "{alert}");
    assert_eq!(field(&alert, "proc.name"), "cat", "{alert}");
    assert_eq!(field(&alert, "proc.pname"), "sh", "{alert}");
    assert_eq!(field(&alert, "proc.ppid"), sh_pid.to_string(), "{alert}");
    assert_eq!(field(&alert, "proc.cmdline"), format!("cat {name}"), "{alert}");
    assert_eq!(field(&alert, "user.name"), "root", "{alert}");
    assert_eq!(
        field(&alert, "proc.exepath"),
        on_path("cat").to_str().unwrap(),
        "{alert}"
    );
    assert_eq!(field(&alert, "evt.res"), "SUCCESS", "{alert}");
    let output = alert["output"].as_str().unwrap();
    assert!(
        output.contains(&format!(
            "proc.name=cat proc.pname=sh proc.cmdline=cat {name} user.name=root"
        )),
        "{output}"
    );
    let (code, _, stderr) = saker.stop();
    assert_eq!(code, Some(0), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A process that changed its user (setpriv, then exec of cat) has the new user's fields.
#[test]
fn a_process_of_another_user_has_that_users_fields() {
    let Some(_live) = live_or_skip("other_user") else {
        return;
    };
    let dir = test_dir("user");
    let target = dir.join("target");
    write(&target, "u");
    let rules_file = dir.join("rules.yaml");
    write(
        &rules_file,
        &rules(&dir, "").replace(
            "proc.pid=%proc.pid",
            "proc.pid=%proc.pid user.uid=%user.uid group.gid=%group.gid",
        ),
    );
    let config = config(&dir, &rules_file, 4, None, "");
    let mut saker = Saker::with_config(&config);
    saker.wait_ready(&dir);
    let out = run(Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--", "cat"])
        .arg(&target));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let name = target.to_str().unwrap();
    let alert = saker.wait_alert("cat as nobody", |a| field(a, "fd.name") == name);
    assert_eq!(field(&alert, "proc.name"), "cat", "{alert}");
    assert_eq!(field(&alert, "user.uid"), "65534", "{alert}");
    assert_eq!(field(&alert, "user.name"), "nobody", "{alert}");
    assert_eq!(field(&alert, "group.gid"), "65534", "{alert}");
    let (code, _, stderr) = saker.stop();
    assert_eq!(code, Some(0), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A relative path opened after `cd` is named absolutely, from the process's working directory.
#[test]
fn a_relative_open_is_resolved_against_the_working_directory() {
    let Some(_live) = live_or_skip("relative") else {
        return;
    };
    let dir = test_dir("relative");
    let sub = dir.join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    write(&sub.join("rel"), "r");
    let rules_file = dir.join("rules.yaml");
    write(
        &rules_file,
        &rules(&dir, "").replace("proc.pid=%proc.pid", "proc.pid=%proc.pid proc.cwd=%proc.cwd"),
    );
    let config = config(&dir, &rules_file, 4, None, "");
    let mut saker = Saker::with_config(&config);
    saker.wait_ready(&dir);
    let script = format!("cd {} && cat rel ../sub/rel > /dev/null; true", sub.display());
    assert!(run(Command::new("sh").args(["-c", &script])).status.success());
    let name = sub.join("rel");
    let name = name.to_str().unwrap();
    // Both relative forms name the same file.
    let cats = saker.wait_alerts("cat of two relative paths", 2, |a| field(a, "proc.name") == "cat");
    for alert in &cats {
        assert_eq!(field(alert, "fd.name"), name, "{alert}");
        assert_eq!(field(alert, "proc.cwd"), format!("{}/", sub.display()), "{alert}");
    }
    let (code, _, stderr) = saker.stop();
    assert_eq!(code, Some(0), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn open_results_tell_success_from_enoent() {
    let Some(_live) = live_or_skip("open_results") else {
        return;
    };
    let dir = test_dir("res");
    let rules_file = dir.join("rules.yaml");
    write(&rules_file, &rules(&dir, ""));
    let config = config(&dir, &rules_file, 4, None, "");
    let mut saker = Saker::with_config(&config);
    saker.wait_ready(&dir);

    let present = dir.join("present");
    write(&present, "x");
    let missing = dir.join("missing");
    // cat reports the failed open and exits 1; the open of `present` succeeds.
    let out = run(Command::new("cat").arg(&present).arg(&missing));
    assert_eq!(out.status.code(), Some(1));

    let (present, missing) = (present.to_str().unwrap(), missing.to_str().unwrap());
    let ok = saker.wait_alert("the successful open", |a| field(a, "fd.name") == present);
    assert_eq!(field(&ok, "evt.res"), "SUCCESS", "{ok}");
    let fd: i64 = field(&ok, "evt.rawres").parse().expect("evt.rawres is a number");
    assert!(fd >= 0, "{ok}");
    let failed = saker.wait_alert("the failed open", |a| field(a, "fd.name") == missing);
    assert_eq!(field(&failed, "evt.res"), "ENOENT", "{failed}");
    assert_eq!(field(&failed, "evt.rawres"), (-libc::ENOENT).to_string(), "{failed}");
    assert_eq!(field(&failed, "proc.name"), "cat", "{failed}");
    let (code, _, stderr) = saker.stop();
    assert_eq!(code, Some(0), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_loopback_tcp_connect_has_its_addresses_ports_and_protocol() {
    let Some(_live) = live_or_skip("tcp_connect") else {
        return;
    };
    let dir = test_dir("tcp");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let rules_file = dir.join("rules.yaml");
    let connect_rule = format!(
        "- rule: live e2e connect\n  desc: connects to the test's listener\n  \
         condition: evt.type = connect and evt.dir = < and fd.sport = {port}\n  \
         output: \"connect fd.name=%fd.name fd.sip=%fd.sip fd.sport=%fd.sport fd.cip=%fd.cip \
         fd.cport=%fd.cport fd.l4proto=%fd.l4proto fd.type=%fd.type proc.name=%proc.name \
         proc.pid=%proc.pid evt.res=%evt.res\"\n  priority: NOTICE\n"
    );
    write(&rules_file, &rules(&dir, &connect_rule));
    let config = config(&dir, &rules_file, 4, None, "");
    let mut saker = Saker::with_config(&config);
    saker.wait_ready(&dir);

    let script = format!("exec 3<>/dev/tcp/127.0.0.1/{port}");
    let mut child = Children(vec![Command::new("bash")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .spawn()
        .unwrap()]);
    let bash_pid = child.0[0].id();
    assert!(child.0[0].wait().unwrap().success(), "bash could not connect");
    // The connection waits in the backlog; accepting tells the client's port.
    listener.set_nonblocking(true).unwrap();
    let (_conn, peer) = listener.accept().expect("the connection is in the backlog");

    let alert = saker.wait_alert("the connect", |a| rule_is(a, "live e2e connect"));
    assert_eq!(field(&alert, "proc.pid"), bash_pid.to_string(), "{alert}");
    assert_eq!(field(&alert, "proc.name"), "bash", "{alert}");
    assert_eq!(field(&alert, "fd.sip"), "127.0.0.1", "{alert}");
    assert_eq!(field(&alert, "fd.sport"), port.to_string(), "{alert}");
    assert_eq!(field(&alert, "fd.cip"), "127.0.0.1", "{alert}");
    assert_eq!(field(&alert, "fd.cport"), peer.port().to_string(), "{alert}");
    assert_eq!(field(&alert, "fd.l4proto"), "tcp", "{alert}");
    assert_eq!(field(&alert, "fd.type"), "ipv4", "{alert}");
    assert_eq!(
        field(&alert, "fd.name"),
        format!("127.0.0.1:{}->127.0.0.1:{port}", peer.port()),
        "{alert}"
    );
    assert_eq!(field(&alert, "evt.res"), "SUCCESS", "{alert}");
    let (code, _, stderr) = saker.stop();
    assert_eq!(code, Some(0), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A child making the real calls of a TCP client and server, a UDP client (sendto) and server
/// (recvfrom) and a unix stream client and server, in one process; it prints what it saw.
const SOCKETS_SCRIPT: &str = r#"
import json, socket, sys
d = sys.argv[1]
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen()
c = socket.socket(); c.connect(ls.getsockname())
a, _ = ls.accept()
c.send(b"t"); a.recv(8)
us = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); us.bind(("127.0.0.1", 0))
uc = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); uc.sendto(b"u", us.getsockname())
us.recvfrom(8)
ul = socket.socket(socket.AF_UNIX); ul.bind(d + "/srv.sock"); ul.listen()
x = socket.socket(socket.AF_UNIX); x.connect(d + "/srv.sock")
y, _ = ul.accept()
x.sendmsg([b"m"]); y.recvmsg(8)
print(json.dumps({"tcp": [ls.getsockname()[1], c.getsockname()[1], c.fileno(), a.fileno()],
    "udp": [us.getsockname()[1], uc.getsockname()[1], uc.fileno(), us.fileno()],
    "unix": [x.fileno(), y.fileno()]}))
"#;

/// The socket fields of live events (tuples in Falco's order): a TCP client and server, a UDP
/// client and server, a unix client and server all name their connection the same way.
#[test]
fn live_socket_fields_of_clients_and_servers() {
    let Some(_live) = live_or_skip("socket_fields") else {
        return;
    };
    let dir = test_dir("sockets");
    let rules_file = dir.join("rules.yaml");
    let rule = "- rule: live e2e sockets\n  desc: the socket calls of the test's child\n  \
         condition: evt.type in (connect, accept, accept4, sendto, recvfrom, sendmsg, recvmsg) and \
         evt.dir = < and proc.cmdline contains saker-e2e-sockets\n  \
         output: \"sock evt.type=%evt.type fd.num=%fd.num fd.name=%fd.name fd.cip=%fd.cip \
         fd.sip=%fd.sip fd.cport=%fd.cport fd.sport=%fd.sport fd.lip=%fd.lip fd.rip=%fd.rip \
         fd.lport=%fd.lport fd.rport=%fd.rport evt.arg.tuple=%evt.arg.tuple proc.pid=%proc.pid\"\n  \
         priority: NOTICE\n";
    write(&rules_file, &rules(&dir, rule));
    let config = config(&dir, &rules_file, 4, None, "");
    let mut saker = Saker::with_config(&config);
    saker.wait_ready(&dir);

    let out = run(Command::new("python3").args(["-c", SOCKETS_SCRIPT, dir.to_str().unwrap(), "saker-e2e-sockets"]));
    assert!(
        out.status.success(),
        "the socket script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).expect("the script's JSON line");
    let n = |k: &str, i: usize| seen[k][i].as_u64().expect("a number").to_string();
    let (tcp_port, tcp_client_port, c_fd, a_fd) = (n("tcp", 0), n("tcp", 1), n("tcp", 2), n("tcp", 3));
    let (udp_port, udp_client_port, uc_fd, us_fd) = (n("udp", 0), n("udp", 1), n("udp", 2), n("udp", 3));
    let (x_fd, y_fd) = (n("unix", 0), n("unix", 1));
    let srv = format!("{}/srv.sock", dir.display());

    let wanted = 10;
    let alerts = saker.wait_alerts("the socket calls", wanted, |a| rule_is(a, "live e2e sockets"));
    let find = |ty: &str, fd: &str| -> Value {
        alerts
            .iter()
            .find(|a| field(a, "evt.type") == ty && field(a, "fd.num") == fd)
            .cloned()
            .unwrap_or_else(|| panic!("no {ty} alert on fd {fd}; alerts: {alerts:#?}"))
    };
    // TCP: the client's connect and send, the server's accept and receive: one connection,
    // client → server.
    // (libsinsp takes the client end as the local one when its address is this machine's, as
    // on loopback, so fd.lport is the client's port on both sides.)
    let tcp_name = format!("127.0.0.1:{tcp_client_port}->127.0.0.1:{tcp_port}");
    for (ty, fd) in [
        ("connect", &c_fd),
        ("sendto", &c_fd),
        ("accept4", &a_fd),
        ("recvfrom", &a_fd),
    ] {
        let a = find(ty, fd);
        assert_eq!(field(&a, "fd.name"), tcp_name, "{ty}: {a}");
        assert_eq!(field(&a, "evt.arg.tuple"), tcp_name, "{ty}: {a}");
        assert_eq!(field(&a, "fd.cip"), "127.0.0.1", "{ty}: {a}");
        assert_eq!(field(&a, "fd.sip"), "127.0.0.1", "{ty}: {a}");
        assert_eq!(field(&a, "fd.cport"), tcp_client_port, "{ty}: {a}");
        assert_eq!(field(&a, "fd.sport"), tcp_port, "{ty}: {a}");
        assert_eq!(field(&a, "fd.lip"), "127.0.0.1", "{ty}: {a}");
        assert_eq!(field(&a, "fd.rip"), "127.0.0.1", "{ty}: {a}");
        assert_eq!(field(&a, "fd.lport"), tcp_client_port, "{ty}: {a}");
        assert_eq!(field(&a, "fd.rport"), tcp_port, "{ty}: {a}");
    }
    // UDP: the client's unconnected socket sends from 0.0.0.0 (its tuple says so); libsinsp
    // completes that end with the machine's address for the peer (loopback). The server,
    // bound to port 0 (no server socket for libsinsp), takes the sender as client end at its
    // first receive. Both name the exchange client → server.
    let udp_name = format!("127.0.0.1:{udp_client_port}->127.0.0.1:{udp_port}");
    let a = find("sendto", &uc_fd);
    assert_eq!(
        field(&a, "evt.arg.tuple"),
        format!("0.0.0.0:{udp_client_port}->127.0.0.1:{udp_port}"),
        "{a}"
    );
    let b = find("recvfrom", &us_fd);
    assert_eq!(field(&b, "evt.arg.tuple"), udp_name, "{b}");
    for a in [a, b] {
        assert_eq!(field(&a, "fd.name"), udp_name, "{a}");
        assert_eq!(field(&a, "fd.sip"), "127.0.0.1", "{a}");
        assert_eq!(field(&a, "fd.sport"), udp_port, "{a}");
        assert_eq!(field(&a, "fd.cip"), "127.0.0.1", "{a}");
        assert_eq!(field(&a, "fd.cport"), udp_client_port, "{a}");
    }
    // Unix: the client's connect and the server's accept name the socket after their tuple,
    // `source->dest path` with the server's path (libsinsp); so does a send or receive
    // carrying a unix tuple.
    for (ty, fd) in [("connect", &x_fd), ("accept4", &y_fd)] {
        let a = find(ty, fd);
        assert!(field(&a, "evt.arg.tuple").ends_with(&format!(" {srv}")), "{ty}: {a}");
        assert_eq!(field(&a, "fd.name"), field(&a, "evt.arg.tuple"), "{ty}: {a}");
    }
    for (ty, fd) in [("sendmsg", &x_fd), ("recvmsg", &y_fd)] {
        let a = find(ty, fd);
        assert!(field(&a, "evt.arg.tuple").ends_with(&srv), "{ty}: {a}");
        assert_eq!(field(&a, "fd.name"), field(&a, "evt.arg.tuple"), "{ty}: {a}");
    }
    let (code, _, stderr) = saker.stop();
    assert_eq!(code, Some(0), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A shell started before saker waits for a file, then opens one itself and runs `cat` on
/// another: the shell is known from the /proc scan only, and so is cat's parent.
#[test]
fn a_process_started_before_saker_is_known_from_the_proc_scan() {
    let Some(_live) = live_or_skip("proc_seed") else {
        return;
    };
    let dir = test_dir("seed");
    let (go, own, cat) = (dir.join("go"), dir.join("own"), dir.join("cat"));
    write(&own, "1");
    write(&cat, "2");
    let script = format!(
        "while [ ! -e {go} ]; do sleep 0.05; done; exec 3< {own}; cat {cat} > /dev/null; true",
        go = go.display(),
        own = own.display(),
        cat = cat.display()
    );
    let mut children = Children(vec![Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .spawn()
        .unwrap()]);
    let sh_pid = children.0[0].id();

    let rules_file = dir.join("rules.yaml");
    write(&rules_file, &rules(&dir, ""));
    let config = config(&dir, &rules_file, 4, None, "");
    let mut saker = Saker::with_config(&config);
    saker.wait_ready(&dir);
    write(&go, "");
    assert!(children.0[0].wait().unwrap().success());

    // The test's main thread names the test process (the shell's parent).
    let test_comm = std::fs::read_to_string("/proc/self/comm").unwrap();
    let own = saker.wait_alert("the shell's own open", |a| field(a, "fd.name") == own.to_str().unwrap());
    assert_eq!(field(&own, "proc.pid"), sh_pid.to_string(), "{own}");
    assert_eq!(field(&own, "proc.name"), "sh", "{own}");
    assert_eq!(field(&own, "proc.cmdline"), format!("sh -c {script}"), "{own}");
    assert_eq!(field(&own, "proc.pname"), test_comm.trim_end(), "{own}");
    assert_eq!(field(&own, "proc.ppid"), std::process::id().to_string(), "{own}");
    assert_eq!(field(&own, "user.name"), "root", "{own}");
    assert_eq!(field(&own, "proc.exepath"), on_path("sh").to_str().unwrap(), "{own}");
    // What /proc does not tell, from the kernel's task list: root may write its shell, and the
    // host's pid namespace started at boot with pid 1.
    assert_eq!(field(&own, "proc.is_exe_writable"), "true", "{own}");
    assert_ne!(field(&own, "proc.pidns_init_start_ts"), "0", "{own}");

    let cat = saker.wait_alert("cat from the shell", |a| field(a, "fd.name") == cat.to_str().unwrap());
    assert_eq!(field(&cat, "proc.name"), "cat", "{cat}");
    assert_eq!(field(&cat, "proc.pname"), "sh", "{cat}");
    assert_eq!(field(&cat, "proc.ppid"), sh_pid.to_string(), "{cat}");
    let (code, _, stderr) = saker.stop();
    assert_eq!(code, Some(0), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Alerts without the time (the output text starts with it).
fn timeless(alerts: &[Value]) -> Vec<(String, String, Value)> {
    alerts
        .iter()
        .map(|a| {
            let output = a["output"].as_str().unwrap_or_default();
            let text = output.split_once(": ").map_or(output, |(_, rest)| rest);
            (
                a["rule"].as_str().unwrap_or_default().to_string(),
                text.to_string(),
                a["output_fields"].clone(),
            )
        })
        .collect()
}

#[test]
fn a_recorded_capture_replays_to_the_same_alerts() {
    let Some(_live) = live_or_skip("record_replay") else {
        return;
    };
    let dir = test_dir("record");
    let rules_file = dir.join("rules.yaml");
    write(&rules_file, &rules(&dir, ""));
    let config = config(&dir, &rules_file, 4, None, "");
    let capture = dir.join("live.scap");
    let mut cmd = Command::new(saker());
    cmd.arg("-c").arg(&config).arg("--capture").arg(&capture);
    let mut saker = Saker::start(cmd);
    saker.wait_ready(&dir);
    let target = dir.join("recorded");
    write(&target, "r");
    let out = run(Command::new("sh")
        .arg("-c")
        .arg(format!("cat {} > /dev/null; true", target.display())));
    assert!(out.status.success());
    let name = target.to_str().unwrap();
    saker.wait_alert("the recorded cat", |a| field(a, "fd.name") == name);
    let (code, live_out, stderr) = saker.stop();
    assert_eq!(code, Some(0), "{stderr}");
    let live = json_alerts(&live_out);

    let out = run(Command::new(self::saker())
        .arg("-c")
        .arg(&config)
        .arg("-e")
        .arg(&capture));
    let replay_out = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "replay of {}: {}",
        capture.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let replayed = json_alerts(&replay_out);
    assert!(
        replayed
            .iter()
            .any(|a| field(a, "fd.name") == name && field(a, "proc.pname") == "sh"),
        "{replay_out}"
    );
    assert_eq!(timeless(&replayed), timeless(&live));
    // The event times come from the capture, so they match too.
    let times = |alerts: &[Value]| alerts.iter().map(|a| a["time"].clone()).collect::<Vec<_>>();
    assert_eq!(times(&replayed), times(&live));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `name value` of an unlabelled Prometheus sample, or a labelled one whose labels contain
/// `labels`.
fn metric(text: &str, name: &str, labels: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        let rest = l.strip_prefix(name)?;
        let (series, value) = rest.rsplit_once(' ')?;
        let matches = if labels.is_empty() {
            series.is_empty()
        } else {
            series.starts_with('{') && series.contains(labels)
        };
        matches.then(|| value.parse().ok()).flatten()
    })
}

/// Many processes opening files in a tight loop on the smallest ring buffers: every open the
/// capture did not deliver is counted as a drop (and the log action reports drops).
#[test]
fn drops_under_a_burst_are_counted_not_hidden() {
    let Some(_alone) = live_alone_or_skip("drops") else {
        return;
    };
    let dir = test_dir("drops");
    let rules_file = dir.join("rules.yaml");
    // The second rule never fires; it makes the kernel send the shell's other syscalls too.
    let burst_rule = format!(
        "- rule: live e2e burst\n  desc: opens of the burst files\n  \
         condition: evt.type in (open, openat, openat2) and evt.dir = < and fd.name startswith {dir}/burst\n  \
         output: \"burst %fd.name\"\n  priority: WARNING\n\
         - rule: live e2e volume\n  desc: more syscalls in the capture\n  \
         condition: evt.type in (close, fcntl, dup, dup2, dup3) and fd.name = {dir}/never\n  \
         output: never\n  priority: WARNING\n",
        dir = dir.display()
    );
    write(&rules_file, &burst_rule);
    let port = ops_common::free_port();
    let config = config(
        &dir,
        &rules_file,
        1,
        Some(port),
        // The log action logs at debug level, as Falco's does.
        "syscall_event_drops:\n  threshold: 0\n  actions: [log]\n  rate: 1\n  max_burst: 100\nlog_level: debug\n",
    );
    let mut saker = Saker::with_config(&config);
    // Ready once the first burst open is reported.
    let probe = dir.join("burst-ready");
    write(&probe, "");
    let probe_name = probe.to_str().unwrap().to_string();
    let start = Instant::now();
    while !saker.stdout().contains(&probe_name) {
        drop(std::fs::File::open(&probe).unwrap());
        saker.check_running();
        assert!(start.elapsed() < WAIT_LIMIT, "never ready: {}", saker.stderr());
        std::thread::sleep(Duration::from_millis(100));
    }

    const WORKERS: usize = 6;
    const OPENS: usize = 20_000;
    let mut workers = Children(Vec::new());
    for w in 0..WORKERS {
        let file = dir.join(format!("burst{w}"));
        write(&file, "");
        let script = format!(
            "i=0; while [ $i -lt {OPENS} ]; do : < {file}; i=$((i+1)); done",
            file = file.display()
        );
        workers.0.push(
            Command::new("sh")
                .args(["-c", &script])
                .stdin(Stdio::null())
                .spawn()
                .unwrap(),
        );
    }
    for w in &mut workers.0 {
        assert!(w.wait().unwrap().success());
    }

    // Wait until the capture caught up: no new burst alert for a while (the rest of the
    // machine keeps the capture's own counters moving).
    let count = |stdout: &str| {
        (0..WORKERS)
            .map(|w| {
                let file = format!("burst {}\"", dir.join(format!("burst{w}")).display());
                stdout.lines().filter(|l| l.contains(&file)).count()
            })
            .sum::<usize>()
    };
    let mut last = None;
    let start = Instant::now();
    let delivered = loop {
        std::thread::sleep(Duration::from_millis(1500));
        saker.check_running();
        let now = count(&saker.stdout());
        if last == Some(now) {
            break now;
        }
        assert!(
            start.elapsed() < WAIT_LIMIT * 2,
            "the burst alerts never stopped coming"
        );
        last = Some(now);
    };
    let text = ops_common::http_get(port, "/metrics").expect("/metrics answers").1;
    let expected = WORKERS * OPENS;
    let drops = metric(&text, "saker_syscall_event_drops_total", "").expect("the drop counter");
    let seen = metric(&text, "saker_syscall_events_total", "").expect("the event counter");
    let events = metric(&text, "saker_events_total", "source=\"syscall\"").expect("events of the source");
    eprintln!(
        "burst: {expected} opens, {delivered} alerts; capture saw {seen}, dropped {drops}, source delivered {events}"
    );
    assert!(delivered <= expected, "more alerts than opens");
    let missing = (expected - delivered) as f64;
    assert!(
        missing <= drops,
        "{missing} opens are missing but only {drops} drops were counted\n{text}"
    );
    assert!(seen >= events, "{text}");
    if drops > 0.0 {
        // The drop check runs once per second of event time: the one that sees the burst's
        // drops may come after the last alert, so wait for it (bounded).
        let acted = |text: &str| {
            metric(text, "saker_syscall_drop_checks_total", "outcome=\"actions_taken\"").is_some_and(|n| n > 0.0)
        };
        let mut text = text;
        let start = Instant::now();
        while !acted(&text) && start.elapsed() < WAIT_LIMIT {
            std::thread::sleep(Duration::from_millis(500));
            text = ops_common::http_get(port, "/metrics").expect("/metrics answers").1;
        }
        assert!(acted(&text), "drops were counted but no drop action was taken\n{text}");
    }
    let (code, _, stderr) = saker.stop();
    assert_eq!(code, Some(0), "{stderr}");
    if drops > 0.0 {
        assert!(
            stderr.contains("Falco internal: syscall event drop. "),
            "drops without the log action's message: {stderr}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `saker` and its syscall plugin copied to `dir/bin`, where uid 65534 can run them.
fn copy_for_nobody(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    for (from, name) in [(saker(), "saker"), (syscall_plugin(), "libsyscall.so")] {
        let to = bin.join(name);
        std::fs::copy(&from, &to).unwrap();
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin.join("saker")
}

/// `setpriv` running `saker -c config` as nobody with the ambient capabilities `caps`
/// (setpriv's names, e.g. `+bpf,+perfmon`; none when empty).
fn as_nobody(bin: &Path, config: &Path, caps: &str) -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"]);
    if !caps.is_empty() {
        cmd.arg(format!("--inh-caps={caps}"))
            .arg(format!("--ambient-caps={caps}"));
    }
    cmd.arg("--").arg(bin).arg("-c").arg(config);
    cmd.env("SAKER_PLUGINS_DIR", bin.parent().unwrap());
    cmd
}

#[test]
fn without_capabilities_saker_stops_at_once_naming_them() {
    let Some(_live) = live_or_skip("no_caps") else {
        return;
    };
    let dir = test_dir("nocaps");
    let bin = copy_for_nobody(&dir);
    let rules_file = dir.join("rules.yaml");
    write(&rules_file, &rules(&dir, ""));
    let config = config(&dir, &rules_file, 4, None, "");
    let (code, stdout, stderr) = Saker::start(as_nobody(&bin, &config, "")).finish();
    assert_eq!(code, Some(1), "stdout:\n{stdout}\nstderr:\n{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("Error: source 'syscall': ") && last.contains("missing: CAP_BPF, CAP_PERFMON."),
        "{stderr}"
    );
    // Kernels from 5.11 on do not charge BPF memory to RLIMIT_MEMLOCK.
    assert!(
        !last.contains("missing: CAP_BPF, CAP_PERFMON, CAP_SYS_RESOURCE"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// CAP_BPF and CAP_PERFMON are enough (this kernel does not charge BPF memory to
/// RLIMIT_MEMLOCK). Without CAP_SYS_PTRACE the /proc scan cannot read other users' fd tables,
/// executables and environments: Saker warns and runs.
#[test]
fn cap_bpf_and_cap_perfmon_are_enough_for_live_capture() {
    let Some(_live) = live_or_skip("bpf_perfmon") else {
        return;
    };
    let dir = test_dir("caps");
    let bin = copy_for_nobody(&dir);
    let rules_file = dir.join("rules.yaml");
    write(&rules_file, &rules(&dir, ""));
    let config = config(&dir, &rules_file, 4, None, "");
    let mut saker = Saker::start(as_nobody(&bin, &config, "+bpf,+perfmon"));
    saker.wait_ready(&dir);
    let target = dir.join("target");
    write(&target, "t");
    let out = run(Command::new("sh")
        .arg("-c")
        .arg(format!("cat {} > /dev/null; true", target.display())));
    assert!(out.status.success());
    let name = target.to_str().unwrap();
    let alert = saker.wait_alert("cat seen by an unprivileged saker", |a| field(a, "fd.name") == name);
    assert_eq!(field(&alert, "proc.name"), "cat", "{alert}");
    assert_eq!(field(&alert, "proc.pname"), "sh", "{alert}");
    assert_eq!(field(&alert, "user.name"), "root", "{alert}");
    let (code, _, stderr) = saker.stop();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("/proc scan could not read"), "{stderr}");
    assert!(
        !stderr.contains("task iterator"),
        "the task iterator runs with CAP_BPF and CAP_PERFMON alone: {stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A rules reload changes what the kernel sends: `mkdir` is neither used by the first rules
/// nor needed by the state, so only the reloaded rules make the probe capture it.
#[test]
fn a_reload_selects_the_new_rules_syscalls_in_the_kernel() {
    let Some(_live) = live_or_skip("reload_reselects") else {
        return;
    };
    let dir = test_dir("reload");
    let rules_file = dir.join("rules.yaml");
    write(&rules_file, &rules(&dir, ""));
    let config = config(&dir, &rules_file, 4, None, "");
    let mut saker = Saker::with_config(&config);
    saker.wait_ready(&dir);

    let mkdir_rule = format!(
        "- rule: live e2e mkdir\n  desc: directories made under the test directory\n  \
         condition: evt.type in (mkdir, mkdirat) and evt.dir = < and evt.arg.path startswith {dir}/\n  \
         output: \"mkdir path=%evt.arg.path proc.name=%proc.name evt.res=%evt.res\"\n  priority: WARNING\n",
        dir = dir.display(),
    );
    write(&rules_file, &rules(&dir, &mkdir_rule));
    let pid = saker.child.as_ref().expect("saker runs").id() as i32;
    // SAFETY: kill has no memory-safety preconditions; the pid is our child's.
    unsafe { libc::kill(pid, libc::SIGHUP) };

    // The reload is asynchronous: make directories until one is reported.
    let start = Instant::now();
    // Any of them counts: an alert may arrive after the next directory is made.
    let mut made_paths = Vec::new();
    let made = loop {
        let path = dir.join(format!("made-{}", made_paths.len()));
        run(Command::new("mkdir").arg(&path));
        made_paths.push(path.to_str().unwrap().to_string());
        if let Some(a) = saker
            .alerts()
            .into_iter()
            .find(|a| rule_is(a, "live e2e mkdir") && made_paths.contains(&field(a, "evt.arg.path")))
        {
            break a;
        }
        saker.check_running();
        assert!(
            start.elapsed() < WAIT_LIMIT,
            "no mkdir alert after the reload; stderr:\n{}",
            saker.stderr()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(field(&made, "proc.name"), "mkdir", "{made}");
    assert_eq!(field(&made, "evt.res"), "SUCCESS", "{made}");
    let (code, _, stderr) = saker.stop();
    assert_eq!(code, Some(0), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An argument given to the python children of the parameter tests, so that their rules match
/// only them (not another python process that happens to poll or copy on the machine).
const CHILD_MARK: &str = "saker-e2e-child";

/// Live parameters beyond the plain registers reach the rules: the `O_F_CREATED` open flag,
/// the accept queue counters of the listening socket, poll's fd list and copy_file_range's
/// offset pointers.
#[test]
fn created_opens_accept_queues_poll_fds_and_copy_offsets_reach_the_rules() {
    let Some(_live) = live_or_skip("kernel_params") else {
        return;
    };
    let dir = test_dir("kparams");
    let rules_file = dir.join("rules.yaml");
    let extra = format!(
        "- rule: live e2e created\n  desc: opens that created their file under the test directory\n  \
         condition: evt.type in (open, openat, openat2) and evt.dir = < and evt.is_open_create = true \
         and fd.name startswith {dir}/\n  \
         output: \"created fd.name=%fd.name flags=%evt.arg.flags proc.pid=%proc.pid\"\n  priority: NOTICE\n\
         - rule: live e2e accept queue\n  desc: accepts on a listener with a backlog of 7\n  \
         condition: evt.type in (accept, accept4) and evt.dir = < and evt.arg.queuemax = 7\n  \
         output: \"accept queuepct=%evt.arg.queuepct queuelen=%evt.arg.queuelen \
         queuemax=%evt.arg.queuemax proc.pid=%proc.pid\"\n  priority: NOTICE\n\
         - rule: live e2e poll\n  desc: polls of the python child\n  \
         condition: evt.type in (poll, ppoll) and evt.dir = < and proc.args contains {CHILD_MARK}\n  \
         output: \"poll fds=%evt.arg.fds res=%evt.res timeout=%evt.arg.timeout \
         sigmask=%evt.arg.sigmask proc.pid=%proc.pid\"\n  priority: NOTICE\n\
         - rule: live e2e copy_file_range\n  desc: copies of the python child\n  \
         condition: evt.type = copy_file_range and evt.dir = < and proc.args contains {CHILD_MARK}\n  \
         output: \"copy offin=%evt.arg.offin offout=%evt.arg.offout len=%evt.arg.len \
         proc.pid=%proc.pid\"\n  priority: NOTICE\n",
        dir = dir.display(),
    );
    // Falco's engine alerts on the first rule an event matches: these come before the
    // catch-all open rule that wait_ready needs.
    write(&rules_file, &format!("{extra}{}", rules(&dir, "")));
    let config = config(&dir, &rules_file, 4, None, "");
    let mut saker = Saker::with_config(&config);
    saker.wait_ready(&dir);

    let new = dir.join("new");
    let script = format!(": > {p}; : > {p}", p = new.display());
    assert!(run(Command::new("sh").args(["-c", &script])).status.success());
    let py = r#"
import os, select, socket
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(7)
cs = [socket.create_connection(l.getsockname()) for _ in range(3)]
c, _ = l.accept()
r, w = os.pipe(); os.write(w, b"x")
p = select.poll(); p.register(r, select.POLLIN)
assert len(p.poll(5)) == 1
import ctypes
class pollfd(ctypes.Structure):
    _fields_ = [("fd", ctypes.c_int), ("events", ctypes.c_short), ("revents", ctypes.c_short)]
class timespec(ctypes.Structure):
    _fields_ = [("sec", ctypes.c_long), ("nsec", ctypes.c_long)]
fds = (pollfd * 1)(); fds[0].fd = r; fds[0].events = select.POLLIN
ts = timespec(2, 5); mask = ctypes.c_uint64(1 << 9)
assert ctypes.CDLL(None).ppoll(fds, ctypes.c_ulong(1), ctypes.byref(ts), ctypes.byref(mask)) == 1
print(r)
"#;
    let out = run(Command::new("python3").args(["-c", py, CHILD_MARK]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let read_end = String::from_utf8_lossy(&out.stdout).trim().to_string();
    // copy_file_range without offsets (NULL pointers), then with a source offset only.
    let src = dir.join("src");
    write(&src, "hello world");
    let py = format!(
        "import os\nfi = os.open('{src}', os.O_RDONLY)\nfo = os.open('{dst}', os.O_WRONLY | os.O_CREAT)\n\
         assert os.copy_file_range(fi, fo, 5) == 5\nassert os.copy_file_range(fi, fo, 3, 1) == 3\n",
        src = src.display(),
        dst = dir.join("dst").display()
    );
    let out = run(Command::new("python3").args(["-c", &py, CHILD_MARK]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // Two O_CREAT opens of `new`: only the first created it.
    let new = new.to_str().unwrap();
    let created = saker.wait_alert("the creating open", |a| rule_is(a, "live e2e created"));
    assert_eq!(field(&created, "fd.name"), new, "{created}");
    assert!(field(&created, "evt.arg.flags").contains("O_F_CREATED"), "{created}");
    let second = saker.wait_alert("the open that found new", |a| {
        rule_is(a, "live e2e open") && field(a, "fd.name") == new
    });
    assert_eq!(field(&second, "proc.name"), "sh", "{second}");

    let accept = saker.wait_alert("the accept", |a| rule_is(a, "live e2e accept queue"));
    assert_eq!(
        (
            field(&accept, "evt.arg.queuelen"),
            field(&accept, "evt.arg.queuemax"),
            field(&accept, "evt.arg.queuepct")
        ),
        ("2".into(), "7".into(), "28".into()),
        "two of three connections left waiting after one accept: {accept}"
    );
    // The read end of the pipe with its returned events: PPM_POLLIN (1).
    let polls = saker.wait_alerts("the poll and the ppoll", 2, |a| rule_is(a, "live e2e poll"));
    for poll in &polls {
        assert_eq!(field(poll, "evt.arg.fds"), format!("{read_end}:1"), "{poll}");
    }
    assert_eq!(
        field(&polls[0], "evt.arg.timeout"),
        "5",
        "poll's milliseconds: {}",
        polls[0]
    );
    // ppoll's timespec as the kernel left it (the time remaining of 2 s), and its sigset.
    let left: u64 = field(&polls[1], "evt.arg.timeout").parse().expect("a number of ns");
    assert!((1_000_000_000..=2_000_000_005).contains(&left), "{}", polls[1]);
    assert_eq!(field(&polls[1], "evt.arg.sigmask"), "512", "{}", polls[1]);
    let copies = saker.wait_alerts("both copies", 2, |a| rule_is(a, "live e2e copy_file_range"));
    let arg = |i: usize, name: &str| field(&copies[i], &format!("evt.arg.{name}"));
    assert_eq!(
        (arg(0, "offin"), arg(0, "offout"), arg(0, "len")),
        ("0".into(), "0".into(), "5".into())
    );
    assert_ne!(
        arg(1, "offin"),
        "0",
        "the pointer to the source offset: {:?}",
        copies[1]
    );
    assert_eq!((arg(1, "offout"), arg(1, "len")), ("0".into(), "3".into()));
    let (code, stdout, stderr) = saker.stop();
    assert_eq!(code, Some(0), "{stderr}");
    let of_new = json_alerts(&stdout)
        .into_iter()
        .filter(|a| field(a, "fd.name") == new)
        .count();
    assert_eq!(of_new, 2, "one alert per open of new, only the first one created it");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn mmsg_messages_sem_and_fsconfig_params_reach_the_rules() {
    let Some(_live) = live_or_skip("mmsg_sem_fsconfig") else {
        return;
    };
    let dir = test_dir("mmsgsem");
    let rules_file = dir.join("rules.yaml");
    let extra = format!(
        "- rule: live e2e sendmmsg\n  desc: messages sent by the python child\n  \
         condition: evt.type = sendmmsg and evt.dir = < and proc.args contains {CHILD_MARK}\n  \
         output: \"sendmmsg res=%evt.rawres size=%evt.arg.size data=%evt.arg.data proc.pid=%proc.pid\"\n  \
         priority: NOTICE\n\
         - rule: live e2e semget\n  desc: semaphore sets made by the python child\n  \
         condition: evt.type = semget and evt.dir = < and proc.args contains {CHILD_MARK}\n  \
         output: \"semget nsems=%evt.arg.nsems semflg=%evt.arg.semflg raw=%evt.rawarg.semflg proc.pid=%proc.pid\"\n  \
         priority: NOTICE\n\
         - rule: live e2e fsconfig\n  desc: filesystem configuration by the python child\n  \
         condition: evt.type = fsconfig and evt.dir = < and evt.arg.key = size\n  \
         output: \"fsconfig cmd=%evt.arg.cmd raw=%evt.rawarg.cmd value=%evt.arg.value_charbuf proc.pid=%proc.pid\"\n  \
         priority: NOTICE\n"
    );
    write(&rules_file, &format!("{extra}{}", rules(&dir, "")));
    let config = config(&dir, &rules_file, 4, None, "");
    let mut saker = Saker::with_config(&config);
    saker.wait_ready(&dir);

    let py = r#"
import ctypes, socket
libc = ctypes.CDLL(None, use_errno=True)
class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
class msghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint), ("iov", ctypes.POINTER(iovec)),
                ("iovlen", ctypes.c_size_t), ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]
class mmsghdr(ctypes.Structure):
    _fields_ = [("hdr", msghdr), ("len", ctypes.c_uint)]
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
bufs = [ctypes.create_string_buffer(t) for t in (b"one", b"two22", b"three333")]
iovs = (iovec * 3)()
m = (mmsghdr * 3)()
for i, buf in enumerate(bufs):
    iovs[i].base = ctypes.cast(buf, ctypes.c_void_p); iovs[i].len = len(buf) - 1
    m[i].hdr.iov = ctypes.pointer(iovs[i]); m[i].hdr.iovlen = 1
assert libc.sendmmsg(a.fileno(), m, 3, 0) == 3
IPC_PRIVATE, IPC_CREAT, IPC_RMID = 0, 0o1000, 0
semid = libc.syscall(64, IPC_PRIVATE, 3, IPC_CREAT | 0o600)
assert semid >= 0
assert libc.syscall(66, semid, 0, IPC_RMID, 0) == 0
fd = libc.syscall(430, b"tmpfs", 0)
assert fd >= 0
assert libc.syscall(431, fd, 1, b"size", b"2m", 0) == 0
"#;
    let out = run(Command::new("python3").args(["-c", py, CHILD_MARK]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // An event per message, as Falco's driver sends them.
    let sends = saker.wait_alerts("the three messages", 3, |a| rule_is(a, "live e2e sendmmsg"));
    let got: Vec<(String, String, String)> = sends
        .iter()
        .map(|a| {
            (
                field(a, "evt.rawres"),
                field(a, "evt.arg.size"),
                field(a, "evt.arg.data"),
            )
        })
        .collect();
    assert_eq!(
        got,
        [("3", "3", "one"), ("5", "5", "two22"), ("8", "8", "three333")]
            .map(|(r, s, d)| (r.to_string(), s.to_string(), d.to_string()))
            .to_vec(),
        "{sends:?}"
    );
    let semget = saker.wait_alert("the semget", |a| rule_is(a, "live e2e semget"));
    assert_eq!(field(&semget, "evt.arg.nsems"), "3", "{semget}");
    // PPM_IPC_CREAT, without the permission bits: evt.arg names it, evt.rawarg is the number
    assert_eq!(field(&semget, "evt.arg.semflg"), "IPC_CREAT", "{semget}");
    assert_eq!(field(&semget, "evt.rawarg.semflg"), (1 << 13).to_string(), "{semget}");
    let fsconfig = saker.wait_alert("the fsconfig", |a| rule_is(a, "live e2e fsconfig"));
    assert_eq!(
        (
            field(&fsconfig, "evt.arg.cmd"),
            field(&fsconfig, "evt.rawarg.cmd"),
            field(&fsconfig, "evt.arg.value_charbuf")
        ),
        ("FSCONFIG_SET_STRING".into(), "1".into(), "2m".into()),
        "FSCONFIG_SET_STRING of size=2m: {fsconfig}"
    );
    let (code, _, stderr) = saker.stop();
    assert_eq!(code, Some(0), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
