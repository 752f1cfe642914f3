//! The eBPF probe on the running kernel: real child processes, raw records (bpf/records.h).
//!
//! Needs root (or CAP_BPF + CAP_PERFMON) and a BTF kernel. Where that is not available, set
//! `SAKER_SKIP_LIVE=1` to skip; without it these tests fail and say why.

use std::collections::HashMap;
use std::io::Read;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use syscall::live::bpf::{
    arg_kind, ret_kind, Probe, ProbeError, ProbeOptions, SyscallCfg, DROP_BUFFER_FULL, SAKER_MAX_SYSCALLS,
};

const NR_READ: usize = 0;
const NR_CLOSE: usize = 3;
const NR_CONNECT: usize = 42;
const NR_CLONE: usize = 56;
const NR_FORK: usize = 57;
const NR_VFORK: usize = 58;
const NR_EXECVE: usize = 59;
const NR_OPENAT: usize = 257;
const NR_CLONE3: usize = 435;

const REC_SYS_EXIT: u16 = 1;
const REC_SYS_ENTER: u16 = 2;
const REC_PROC_EXIT: u16 = 3;
const REC_PROC_EXEC: u16 = 4;
const F_TASK: u16 = 1;
const D_USTR: u8 = 1;
const D_SOCKADDR: u8 = 3;
const D_TUPLE: u8 = 4;
const D_FDINFO: u8 = 5;
const D_EXE_PATH: u8 = 6;
const D_ARGS: u8 = 7;
const D_ENV: u8 = 8;
const D_CWD: u8 = 9;
const D_CGROUPS: u8 = 10;
const D_FD_PATH: u8 = 12;
const HDR_LEN: usize = 88;
const TASK_LEN: usize = 176;
/// How long a test waits for the records of its children before giving up.
const WAIT_LIMIT: Duration = Duration::from_secs(20);

/// The tests take turns: each one's probe sees every process on the host, so a test's
/// workload (2000 opens into a one-page buffer, an overlay mount …) stays out of the others'.
static SERIAL: Mutex<()> = Mutex::new(());

/// The probe (and this test's turn), or None (and a note) when SAKER_SKIP_LIVE=1 and it cannot
/// open.
fn open_probe(open: impl FnOnce() -> Result<Probe, ProbeError>) -> Option<(Probe, MutexGuard<'static, ()>)> {
    let turn = SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    match open() {
        Ok(p) => Some((p, turn)),
        Err(e) if std::env::var("SAKER_SKIP_LIVE").as_deref() == Ok("1") => {
            eprintln!("skipped: the live probe cannot open here ({e}); SAKER_SKIP_LIVE=1");
            None
        }
        Err(e) => panic!("the live probe cannot open: {e}\n(set SAKER_SKIP_LIVE=1 to skip the live tests)"),
    }
}

/// One parsed raw record.
#[derive(Debug, Clone)]
struct Rec {
    pid: u32,
    kind: u16,
    nr: u16,
    ret: i64,
    args: [u64; 6],
    flags: u16,
    task: Option<Vec<u8>>,
    items: Vec<(u8, u8, Vec<u8>)>,
}

impl Rec {
    fn item(&self, tag: u8) -> Option<&[u8]> {
        self.items.iter().find(|i| i.0 == tag).map(|i| i.2.as_slice())
    }
    fn comm(&self) -> String {
        let t = self.task.as_ref().expect("a task block");
        let comm = &t[TASK_LEN - 16..];
        let end = comm.iter().position(|&b| b == 0).unwrap_or(16);
        String::from_utf8_lossy(&comm[..end]).into_owned()
    }
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes(b[o..o + 2].try_into().unwrap())
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}

fn parse(b: &[u8]) -> Rec {
    assert!(b.len() >= HDR_LEN, "record shorter than its header: {} bytes", b.len());
    let len = u32_at(b, 16) as usize;
    assert_eq!(len, b.len(), "header len and ring buffer item size differ");
    let flags = u16_at(b, 82);
    let mut off = HDR_LEN;
    let task = (flags & F_TASK != 0).then(|| {
        off += TASK_LEN;
        b[HDR_LEN..off].to_vec()
    });
    let mut items = Vec::new();
    for _ in 0..u16_at(b, 80) {
        let ilen = u16_at(b, off) as usize;
        assert!(
            off + 4 + ilen <= len,
            "item at {off} of {ilen} bytes overruns the record: {b:02x?}"
        );
        let (tag, arg) = (b[off + 2], b[off + 3]);
        items.push((tag, arg, b[off + 4..off + 4 + ilen].to_vec()));
        off += 4 + ilen;
    }
    assert_eq!(off, len, "items do not end where the record ends");
    Rec {
        pid: u32_at(b, 12),
        kind: u16_at(b, 20),
        nr: u16_at(b, 22),
        ret: i64::from_le_bytes(b[24..32].try_into().unwrap()),
        args: std::array::from_fn(|i| u64::from_le_bytes(b[32 + 8 * i..40 + 8 * i].try_into().unwrap())),
        flags,
        task,
        items,
    }
}

/// Polls until `done` holds over the records gathered so far (or WAIT_LIMIT passes).
fn gather(probe: &mut Probe, mut done: impl FnMut(&[Rec]) -> bool) -> Vec<Rec> {
    let mut recs = Vec::new();
    let start = Instant::now();
    while !done(&recs) && start.elapsed() < WAIT_LIMIT {
        probe
            .poll(4096, Duration::from_millis(100), &mut |b| recs.push(parse(b)))
            .expect("poll");
    }
    recs
}

fn cfg_table() -> Box<[SyscallCfg; SAKER_MAX_SYSCALLS]> {
    let on = SyscallCfg {
        enabled: 1,
        snaplen: 80,
        ..SyscallCfg::default()
    };
    let mut t = Box::new([SyscallCfg::default(); SAKER_MAX_SYSCALLS]);
    t[NR_OPENAT] = SyscallCfg {
        arg_kind: [0, arg_kind::USTR, 0, 0, 0, 0],
        ret_kind: ret_kind::FDINFO,
        ..on
    };
    t[NR_EXECVE] = SyscallCfg {
        task: 1,
        arg_kind: [arg_kind::USTR, 0, 0, 0, 0, 0],
        ..on
    };
    for nr in [NR_CLONE, NR_CLONE3, NR_FORK, NR_VFORK] {
        t[nr] = SyscallCfg { task: 1, ..on };
    }
    t[NR_CONNECT] = SyscallCfg {
        arg_kind: [arg_kind::TUPLE, arg_kind::SOCKADDR, 0, 0, 0, 0],
        arg_len: [0, 2, 0, 0, 0, 0],
        ..on
    };
    t[NR_CLOSE] = on;
    t
}

#[test]
fn cat_records_its_open_and_exec() {
    let Some((mut probe, _serial)) = open_probe(|| Probe::open(&ProbeOptions::default())) else {
        return;
    };
    let mut table = cfg_table();
    table[NR_OPENAT].enter = 1;
    probe.set_syscall_table(&table).unwrap();
    probe.set_settings(true, true).unwrap();
    probe.enable(true).unwrap();

    let mut child = Command::new("/bin/cat")
        .arg0("cat")
        .arg("/etc/hostname")
        .stdout(Stdio::null())
        .spawn()
        .expect("run /bin/cat");
    let pid = child.id();
    child.wait().unwrap();

    let has = |recs: &[Rec], nr: usize| recs.iter().any(|r| r.pid == pid && r.nr as usize == nr);
    let kind = |recs: &[Rec], k: u16| recs.iter().any(|r| r.pid == pid && r.kind == k);
    let recs = gather(&mut probe, |r| {
        has(r, NR_OPENAT) && has(r, NR_EXECVE) && has(r, NR_CLOSE) && kind(r, REC_PROC_EXIT)
    });
    let mine: Vec<&Rec> = recs.iter().filter(|r| r.pid == pid && r.kind == REC_SYS_EXIT).collect();

    let open = mine
        .iter()
        .find(|r| r.nr as usize == NR_OPENAT && r.item(D_USTR) == Some(b"/etc/hostname\0"))
        .unwrap_or_else(|| panic!("no openat of /etc/hostname by pid {pid} in {mine:#?}"));
    assert!(open.ret >= 0, "openat failed: {}", open.ret);
    let fdinfo = open.item(D_FDINFO).expect("openat carries FDINFO of the returned fd");
    assert_eq!(fdinfo.len(), 28);
    let ino = u64::from_le_bytes(fdinfo[8..16].try_into().unwrap());
    let meta = std::fs::metadata("/etc/hostname").unwrap();
    assert_eq!(
        ino,
        std::os::unix::fs::MetadataExt::ino(&meta),
        "FDINFO inode of /etc/hostname"
    );

    let exec = mine
        .iter()
        .find(|r| r.nr as usize == NR_EXECVE && r.ret == 0)
        .unwrap_or_else(|| panic!("no successful execve exit of pid {pid} in {mine:#?}"));
    assert!(exec.flags & F_TASK != 0, "execve exit has the task block");
    assert_eq!(exec.comm(), "cat");
    let exe = std::fs::canonicalize("/bin/cat").unwrap();
    let mut want_exe = exe.to_str().unwrap().as_bytes().to_vec();
    want_exe.push(0);
    assert_eq!(
        exec.item(D_EXE_PATH).map(String::from_utf8_lossy),
        Some(String::from_utf8_lossy(&want_exe))
    );
    assert_eq!(exec.item(D_ARGS), Some(&b"cat\0/etc/hostname\0"[..]));
    let mut cwd = std::env::current_dir().unwrap().to_str().unwrap().as_bytes().to_vec();
    cwd.push(0);
    assert_eq!(
        exec.item(D_CWD).map(String::from_utf8_lossy),
        Some(String::from_utf8_lossy(&cwd))
    );
    let cgroups = exec.item(D_CGROUPS).expect("execve exit has CGROUPS");
    if !cgroups.is_empty() {
        let text = String::from_utf8_lossy(cgroups);
        assert!(
            text.split('\0').filter(|e| !e.is_empty()).all(|e| e.contains("=/")),
            "cgroups entries are subsys=path: {text:?}"
        );
    }

    // The child's side of the spawn (posix_spawn: clone3 or vfork) carries its task block.
    let forks = [NR_CLONE, NR_CLONE3, NR_FORK, NR_VFORK];
    let spawned = mine
        .iter()
        .find(|r| forks.contains(&(r.nr as usize)) && r.ret == 0)
        .unwrap_or_else(|| panic!("no clone-family exit in the child {pid}: {mine:#?}"));
    let task = spawned.task.as_ref().expect("clone exit has the task block");
    assert_eq!(u32_at(task, 0), std::process::id(), "ppid of the child");
    assert_eq!(u32_at(task, 4), pid, "vtid (same pid namespace)");

    let enter = recs
        .iter()
        .find(|r| r.pid == pid && r.kind == REC_SYS_ENTER && r.nr as usize == NR_OPENAT)
        .expect("openat has enter records (cfg.enter = 1)");
    assert!(enter.items.is_empty() && enter.ret == 0);
    let exec_ev = recs
        .iter()
        .find(|r| r.pid == pid && r.kind == REC_PROC_EXEC)
        .expect("a sched_process_exec record (proc_exec on)");
    assert_eq!(exec_ev.comm(), "cat");
    assert_eq!(exec_ev.item(D_ARGS), Some(&b"cat\0/etc/hostname\0"[..]));
    let exit = recs.iter().find(|r| r.pid == pid && r.kind == REC_PROC_EXIT).unwrap();
    assert_eq!(exit.args[0], 0, "cat exited with status 0");

    let counters = probe.counters().unwrap();
    assert!(counters.sent_total() > 0);

    // Without an entry asking for enter records the sys_enter program is detached.
    assert!(probe.sys_enter_attached());
    probe.set_syscall_table(&cfg_table()).unwrap();
    assert!(!probe.sys_enter_attached());
    let mut second = Command::new("/bin/cat")
        .arg0("cat")
        .arg("/etc/hostname")
        .stdout(Stdio::null())
        .spawn()
        .expect("run /bin/cat");
    let pid = second.id();
    second.wait().unwrap();
    let recs = gather(&mut probe, |r| {
        r.iter()
            .any(|r| r.pid == pid && r.kind == REC_SYS_EXIT && r.nr as usize == NR_OPENAT)
    });
    assert!(recs.iter().any(|r| r.pid == pid && r.nr as usize == NR_OPENAT));
    assert!(
        !recs.iter().any(|r| r.pid == pid && r.kind == REC_SYS_ENTER),
        "enter records after the table stopped asking for them"
    );
}

#[test]
fn failed_syscalls_are_dropped_with_drop_failed_exit() {
    let opts = ProbeOptions {
        drop_failed_exit: true,
        ..ProbeOptions::default()
    };
    let Some((mut probe, _serial)) = open_probe(|| Probe::open(&opts)) else {
        return;
    };
    probe.set_syscall_table(&cfg_table()).unwrap();
    probe.enable(true).unwrap();
    let status = Command::new("/bin/cat")
        .arg0("cat")
        .args(["/nonexistent/saker-live-test", "/etc/hostname"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success());
    let recs = gather(&mut probe, |r| {
        r.iter()
            .any(|r| r.item(D_USTR) == Some(b"/etc/hostname\0") && r.nr as usize == NR_OPENAT)
    });
    let opens: Vec<&Rec> = recs.iter().filter(|r| r.nr as usize == NR_OPENAT).collect();
    assert!(opens.iter().any(|r| r.item(D_USTR) == Some(b"/etc/hostname\0")));
    assert!(opens.iter().all(|r| r.ret >= 0), "a failed openat was sent: {opens:#?}");
}

#[test]
fn connect_carries_the_loopback_tuple() {
    let Some((mut probe, _serial)) = open_probe(|| Probe::open(&ProbeOptions::default())) else {
        return;
    };
    probe.set_syscall_table(&cfg_table()).unwrap();
    probe.enable(true).unwrap();

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // A child process: the test's own threads are Saker's tgid, which the probe skips.
    let mut child = Command::new("/bin/bash")
        .arg("-c")
        .arg(format!("exec 3<>/dev/tcp/127.0.0.1/{port}; echo hi >&3"))
        .spawn()
        .expect("run bash");
    let pid = child.id();
    let (mut conn, _) = listener.accept().unwrap();
    let mut got = String::new();
    conn.read_to_string(&mut got).unwrap();
    assert_eq!(got, "hi\n");
    child.wait().unwrap();

    // The child may connect elsewhere first (glibc tries nscd's unix socket, which fails with
    // ENOENT where nscd is not running), so the record looked for is the connect to the port.
    let to_port = |r: &Rec| {
        r.pid == pid
            && r.nr as usize == NR_CONNECT
            && r.item(D_SOCKADDR)
                .is_some_and(|sa| sa.len() >= 4 && sa[0] == 2 && u16::from_be_bytes([sa[2], sa[3]]) == port)
    };
    let recs = gather(&mut probe, |r| r.iter().any(to_port));
    // Every failure below shows the records of the child and the probe's counters (drops by cause).
    let seen = format!(
        "records of pid {pid}: {:#?}\nprobe counters: {:?}",
        recs.iter().filter(|r| r.pid == pid).collect::<Vec<_>>(),
        probe.counters()
    );
    let conn_rec = recs
        .iter()
        .find(|r| to_port(r))
        .unwrap_or_else(|| panic!("no connect record of pid {pid} to port {port}; {seen}"));
    assert_eq!(conn_rec.ret, 0, "{seen}");
    let t = conn_rec
        .item(D_TUPLE)
        .unwrap_or_else(|| panic!("connect carries no TUPLE; {seen}"));
    assert_eq!(t.len(), 276, "TUPLE length (struct saker_tuple); {seen}");
    assert_eq!(t[0], 2, "AF_INET; {seen}");
    assert_eq!(u32_at(t, 4), 1, "SOCK_STREAM; {seen}");
    assert_eq!(&t[24..28], &[127, 0, 0, 1], "remote address; {seen}");
    assert_eq!(&t[8..12], &[127, 0, 0, 1], "local address; {seen}");
    assert_eq!(u16_at(t, 42), port, "remote port; {seen}");
    assert_ne!(u16_at(t, 40), 0, "local port; {seen}");
    let sa = conn_rec
        .item(D_SOCKADDR)
        .unwrap_or_else(|| panic!("connect carries no sockaddr; {seen}"));
    assert_eq!(sa.len(), 16, "sockaddr length; {seen}");
    assert_eq!(u16::from_be_bytes([sa[2], sa[3]]), port, "sockaddr port; {seen}");
}

#[test]
fn a_full_ring_buffer_counts_drops() {
    let opts = ProbeOptions {
        cpus_for_each_buffer: 0,
        ..ProbeOptions::default()
    };
    let Some((mut probe, _serial)) = open_probe(|| Probe::open_with_ring_size(&opts, 4096)) else {
        return;
    };
    probe.set_syscall_table(&cfg_table()).unwrap();
    probe.enable(true).unwrap();

    // 2000 openat of /etc/hostname (~130 bytes each) into one page, nobody reading.
    let status = Command::new("/bin/bash")
        .arg("-c")
        .arg("for i in $(seq 2000); do : < /etc/hostname; done")
        .status()
        .expect("run bash");
    assert!(status.success());

    let c = probe.counters().unwrap();
    assert!(c.drops_total(DROP_BUFFER_FULL) > 0, "no buffer-full drops: {c:?}");
    assert!(c.seen_total() >= c.sent_total() + c.drops_total(DROP_BUFFER_FULL));
    let mut n = 0;
    probe
        .poll(usize::MAX, Duration::ZERO, &mut |b| {
            parse(b);
            n += 1;
        })
        .unwrap();
    assert!(n > 0, "what fit in the buffer is still readable");
}

/// The run cost per call of each program, printed for the report (not asserted).
#[test]
fn program_stats_are_readable() {
    let Some((probe, _serial)) = open_probe(|| Probe::open(&ProbeOptions::default())) else {
        return;
    };
    let stats = probe.program_stats().unwrap();
    let names: HashMap<_, _> = stats.iter().map(|s| (s.name, s)).collect();
    for p in [
        "saker_sys_enter",
        "saker_sys_exit",
        "saker_proc_exit",
        "saker_proc_exec",
    ] {
        assert!(names.contains_key(p), "{p} in {stats:?}");
    }
    for s in &stats {
        eprintln!("{}: verified insns {:?}", s.name, s.verified_insns);
    }
}

/// Forks a child that only connects a fresh socket of `family` to `addr` and exits: the test
/// process's own syscalls are skipped by the probe, and a forked child is another tgid.
fn connect_in_child(family: i32, addr: &[u8]) -> u32 {
    // SAFETY: the child runs only async-signal-safe syscalls on memory prepared before fork.
    unsafe {
        let pid = libc::fork();
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let fd = libc::socket(family, libc::SOCK_STREAM, 0);
            let r = libc::connect(fd, addr.as_ptr().cast(), addr.len() as libc::socklen_t);
            libc::_exit(if r == 0 { 0 } else { 1 });
        }
        let mut status = 0;
        libc::waitpid(pid, &mut status, 0);
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "the child's connect failed"
        );
        pid as u32
    }
}

fn connect_record(probe: &mut Probe, pid: u32) -> Rec {
    let recs = gather(probe, |r| r.iter().any(|r| r.pid == pid && r.nr as usize == NR_CONNECT));
    recs.into_iter()
        .find(|r| r.pid == pid && r.nr as usize == NR_CONNECT)
        .unwrap_or_else(|| panic!("no connect record of pid {pid}"))
}

#[test]
fn connect_carries_ipv6_and_unix_tuples() {
    let Some((mut probe, _serial)) = open_probe(|| Probe::open(&ProbeOptions::default())) else {
        return;
    };
    probe.set_syscall_table(&cfg_table()).unwrap();
    probe.enable(true).unwrap();

    // IPv6 loopback
    let listener = TcpListener::bind("[::1]:0").expect("IPv6 loopback");
    let port = listener.local_addr().unwrap().port();
    let mut sa6 = [0u8; 28];
    sa6[..2].copy_from_slice(&(libc::AF_INET6 as u16).to_le_bytes());
    sa6[2..4].copy_from_slice(&port.to_be_bytes());
    sa6[8 + 15] = 1; // ::1
    let pid = connect_in_child(libc::AF_INET6, &sa6);
    let rec = connect_record(&mut probe, pid);
    let t = rec.item(D_TUPLE).expect("TUPLE");
    assert_eq!(t[0], 10, "AF_INET6");
    let loopback6: [u8; 16] = std::net::Ipv6Addr::LOCALHOST.octets();
    assert_eq!(&t[8..24], &loopback6, "local address");
    assert_eq!(&t[24..40], &loopback6, "remote address");
    assert_eq!(u16_at(t, 42), port);
    drop(listener);

    // Unix stream socket
    let dir = std::env::temp_dir().join(format!("saker-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("sock");
    let _ = std::fs::remove_file(&path);
    let ul = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let mut sun = vec![0u8; 2];
    sun[..2].copy_from_slice(&(libc::AF_UNIX as u16).to_le_bytes());
    sun.extend_from_slice(path.to_str().unwrap().as_bytes());
    sun.push(0);
    let pid = connect_in_child(libc::AF_UNIX, &sun);
    let rec = connect_record(&mut probe, pid);
    let t = rec.item(D_TUPLE).expect("TUPLE");
    assert_eq!(t[0], 1, "AF_UNIX");
    let local = u64::from_le_bytes(t[44..52].try_into().unwrap());
    let peer = u64::from_le_bytes(t[52..60].try_into().unwrap());
    assert!(
        local != 0 && peer != 0 && local != peer,
        "kernel addresses {local:#x} {peer:#x}"
    );
    // The client is unbound (no path of its own); its peer, the server's side of the
    // connection, carries the listener's path (Falco's connect tuple names it).
    let nul_padded = |b: &[u8]| b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())].to_vec();
    assert_eq!(nul_padded(&t[60..168]), b"", "the client's own path");
    assert_eq!(
        nul_padded(&t[168..276]),
        path.to_str().unwrap().as_bytes(),
        "the peer's path"
    );
    let sa = rec.item(D_SOCKADDR).expect("SOCKADDR");
    assert_eq!(&sa[2..2 + path.as_os_str().len()], path.to_str().unwrap().as_bytes());
    drop(ul);
    let _ = std::fs::remove_dir_all(&dir);
}

/// FD_PATH walks up through a mount point (/proc is its own mount); execve exits carry ENV.
#[test]
fn fd_paths_cross_mounts_and_exec_carries_env() {
    let Some((mut probe, _serial)) = open_probe(|| Probe::open(&ProbeOptions::default())) else {
        return;
    };
    let mut table = cfg_table();
    table[NR_READ] = SyscallCfg {
        enabled: 1,
        arg_kind: [arg_kind::FD_PATH, 0, 0, 0, 0, 0],
        ..SyscallCfg::default()
    };
    probe.set_syscall_table(&table).unwrap();
    probe.enable(true).unwrap();

    let mut child = Command::new("/bin/cat")
        .arg("/proc/version")
        .env("SAKER_LIVE_TEST", "fd-path")
        .stdout(Stdio::null())
        .spawn()
        .expect("run /bin/cat");
    let pid = child.id();
    child.wait().unwrap();

    let wanted = b"/proc/version\0";
    let read_of = |r: &Rec| r.pid == pid && r.nr as usize == NR_READ && r.item(D_FD_PATH) == Some(&wanted[..]);
    let recs = gather(&mut probe, |r| {
        r.iter().any(read_of) && r.iter().any(|r| r.pid == pid && r.nr as usize == NR_EXECVE)
    });
    assert!(
        recs.iter().any(read_of),
        "no read of /proc/version with its FD_PATH: {:#?}",
        recs.iter()
            .filter(|r| r.pid == pid && r.nr as usize == NR_READ)
            .collect::<Vec<_>>()
    );
    let exec = recs
        .iter()
        .find(|r| r.pid == pid && r.nr as usize == NR_EXECVE && r.ret == 0)
        .unwrap();
    let env = exec.item(D_ENV).expect("execve exit carries ENV");
    assert!(
        env.split(|&b| b == 0).any(|e| e == b"SAKER_LIVE_TEST=fd-path"),
        "ENV lacks SAKER_LIVE_TEST: {:?}",
        String::from_utf8_lossy(env)
    );
}

/// exe_flags tell an executable of an overlayfs lower layer from one written to the upper layer.
#[test]
fn exe_flags_tell_overlay_layers() {
    let Some((mut probe, _serial)) = open_probe(|| Probe::open(&ProbeOptions::default())) else {
        return;
    };
    probe.set_syscall_table(&cfg_table()).unwrap();
    probe.enable(true).unwrap();

    let base = std::env::temp_dir().join(format!("saker-live-ovl-{}", std::process::id()));
    let dirs = ["lower", "upper", "work", "merged"].map(|d| base.join(d));
    for d in &dirs {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::copy("/bin/true", dirs[0].join("lowertrue")).unwrap();
    let opts = format!(
        "lowerdir={},upperdir={},workdir={}",
        dirs[0].display(),
        dirs[1].display(),
        dirs[2].display()
    );
    let status = Command::new("mount")
        .args(["-t", "overlay", "overlay", "-o", &opts])
        .arg(&dirs[3])
        .status()
        .expect("run mount");
    assert!(
        status.success(),
        "cannot mount an overlayfs at {} (root needed)",
        dirs[3].display()
    );
    std::fs::copy("/bin/true", dirs[3].join("uppertrue")).unwrap();

    let run = |name: &str| {
        let mut c = Command::new(dirs[3].join(name)).spawn().expect("run from the overlay");
        let pid = c.id();
        c.wait().unwrap();
        pid
    };
    let (lower, upper) = (run("lowertrue"), run("uppertrue"));
    // cat opens a lower-only file, an upper one and the overlay's root directory.
    let mut c = Command::new("cat")
        .arg(dirs[3].join("lowertrue"))
        .arg(dirs[3].join("uppertrue"))
        .arg(&dirs[3])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run cat");
    let cat = c.id();
    c.wait().unwrap();
    let exec_of = |r: &Rec, pid: u32| r.pid == pid && r.nr as usize == NR_EXECVE && r.ret == 0;
    let open_of = |r: &Rec, name: &str| {
        r.pid == cat
            && r.nr as usize == NR_OPENAT
            && r.ret >= 0
            && r.item(D_USTR)
                .is_some_and(|p| p.strip_suffix(b"\0").unwrap_or(p).ends_with(name.as_bytes()))
    };
    let merged = dirs[3].to_str().unwrap().to_string();
    let recs = gather(&mut probe, |r| {
        r.iter().any(|r| exec_of(r, lower))
            && r.iter().any(|r| exec_of(r, upper))
            && ["lowertrue", "uppertrue", merged.as_str()]
                .iter()
                .all(|n| r.iter().any(|r| open_of(r, n)))
    });
    let _ = Command::new("umount").arg(&dirs[3]).status();
    let _ = std::fs::remove_dir_all(&base);

    const EXE_FLAGS: usize = 124;
    const UPPER: u32 = 2;
    const LOWER: u32 = 8;
    let flags = |pid: u32| {
        let r = recs.iter().find(|r| exec_of(r, pid)).expect("execve exit");
        u32_at(r.task.as_ref().unwrap(), EXE_FLAGS)
    };
    assert_eq!(flags(lower) & (UPPER | LOWER), LOWER, "lower-layer executable");
    assert_eq!(flags(upper) & (UPPER | LOWER), UPPER, "upper-layer executable");

    // saker_fdinfo.layer (offset 16): SAKER_LAYER_UPPER 1, SAKER_LAYER_LOWER 2.
    const FDINFO_LAYER: usize = 16;
    let layer = |name: &str| {
        let r = recs.iter().find(|r| open_of(r, name)).expect("cat's openat");
        u32_at(r.item(D_FDINFO).expect("fdinfo of the opened file"), FDINFO_LAYER)
    };
    assert_eq!(layer("lowertrue"), 2, "a file only in the lower layer");
    assert_eq!(layer("uppertrue"), 1, "a file copied to the upper layer");
    assert_eq!(layer(&merged), 1, "the overlay's root directory has an upper dentry");
}

const NR_POLL: usize = 7;
const NR_PTRACE: usize = 101;
const NR_ACCEPT4: usize = 288;
const D_UBUF: u8 = 2;
const D_SOCK_QUEUE: u8 = 15;
/// Linux `FMODE_CREATED` (`struct file`'s f_mode).
const FMODE_CREATED: u32 = 1 << 20;

/// Runs `script` with python3 in a child process and returns its pid once it exited 0.
fn python_child(script: &str) -> u32 {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .spawn()
        .expect("run python3");
    let pid = child.id();
    assert!(child.wait().unwrap().success(), "the python3 child failed");
    pid
}

#[test]
fn an_open_that_creates_its_file_has_fmode_created() {
    let Some((mut probe, _serial)) = open_probe(|| Probe::open(&ProbeOptions::default())) else {
        return;
    };
    probe.set_syscall_table(&cfg_table()).unwrap();
    probe.enable(true).unwrap();

    let dir = std::env::temp_dir().join(format!("saker-live-probe-created-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("new");
    // Both redirections open with O_CREAT; only the first creates the file.
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(format!(": > {p}; : > {p}", p = path.display()))
        .spawn()
        .expect("run sh");
    let pid = child.id();
    assert!(child.wait().unwrap().success());
    let name = format!("{}\0", path.display()).into_bytes();
    let opens_of = |recs: &[Rec]| -> Vec<Rec> {
        recs.iter()
            .filter(|r| r.pid == pid && r.nr as usize == NR_OPENAT && r.item(D_USTR) == Some(&name[..]))
            .cloned()
            .collect()
    };
    let recs = gather(&mut probe, |r| opens_of(r).len() >= 2);
    let opens = opens_of(&recs);
    assert_eq!(opens.len(), 2, "two opens of {}: {opens:#?}", path.display());
    let mode = |r: &Rec| {
        let f = r.item(D_FDINFO).expect("FDINFO of the returned fd");
        assert_eq!(f.len(), 28);
        u32::from_le_bytes(f[24..28].try_into().unwrap())
    };
    assert_ne!(mode(&opens[0]) & FMODE_CREATED, 0, "the first open created the file");
    assert_eq!(mode(&opens[1]) & FMODE_CREATED, 0, "the second open found it");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn accept_poll_and_ptrace_peek_carry_their_kernel_values() {
    let Some((mut probe, _serial)) = open_probe(|| Probe::open(&ProbeOptions::default())) else {
        return;
    };
    let on = SyscallCfg {
        enabled: 1,
        snaplen: 80,
        ..SyscallCfg::default()
    };
    let mut table = cfg_table();
    table[NR_ACCEPT4] = SyscallCfg {
        arg_kind: [arg_kind::SOCK_QUEUE, 0, 0, 0, 0, 0],
        ret_kind: ret_kind::TUPLE,
        ..on
    };
    table[NR_POLL] = SyscallCfg {
        arg_kind: [arg_kind::POLLFDS, 0, 0, 0, 0, 0],
        arg_len: [1, 0, 0, 0, 0, 0],
        ..on
    };
    table[NR_PTRACE] = SyscallCfg {
        arg_kind: [0, 0, 0, arg_kind::PTRACE_WORD, 0, 0],
        ..on
    };
    probe.set_syscall_table(&table).unwrap();
    probe.enable(true).unwrap();

    // A listener with a backlog of 5 and three connections waiting: after one accept, two
    // are left. Then a poll of a pipe with data (POLLIN on the read end, POLLOUT on the write
    // end), and a PTRACE_PEEKDATA of a known word in a stopped child.
    let pid = python_child(
        r#"
import ctypes, os, select, signal, socket
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(5)
cs = [socket.create_connection(l.getsockname()) for _ in range(3)]
c, _ = l.accept()
r, w = os.pipe(); os.write(w, b"x")
p = select.poll(); p.register(r, select.POLLIN); p.register(w, select.POLLOUT)
assert len(p.poll(0)) == 2
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
word = ctypes.c_uint64(0x5A4B3C2D1E0F9876)
out = ctypes.c_uint64(0)
kid = os.fork()
if kid == 0:
    libc.syscall(ctypes.c_long(101), ctypes.c_long(0), ctypes.c_long(0), ctypes.c_long(0), ctypes.c_long(0))
    os.kill(os.getpid(), signal.SIGSTOP)
    os._exit(0)
os.waitpid(kid, os.WUNTRACED)
res = libc.syscall(ctypes.c_long(101), ctypes.c_long(2), ctypes.c_long(kid),
                   ctypes.c_long(ctypes.addressof(word)), ctypes.c_long(ctypes.addressof(out)))
assert res == 0 and out.value == word.value, (res, hex(out.value))
os.kill(kid, signal.SIGKILL); os.waitpid(kid, 0)
"#,
    );
    let find = |recs: &[Rec], nr: usize, request: Option<u64>| {
        recs.iter()
            .find(|r| {
                r.pid == pid && r.kind == REC_SYS_EXIT && r.nr as usize == nr && request.is_none_or(|q| r.args[0] == q)
            })
            .cloned()
    };
    let recs = gather(&mut probe, |r| {
        find(r, NR_ACCEPT4, None).is_some() && find(r, NR_POLL, None).is_some() && find(r, NR_PTRACE, Some(2)).is_some()
    });

    let accept = find(&recs, NR_ACCEPT4, None).expect("the accept4 record");
    assert!(accept.ret >= 0, "{accept:?}");
    let q = accept
        .item(D_SOCK_QUEUE)
        .expect("accept carries the listening socket's queue");
    assert_eq!(
        (u32_at(q, 0), u32_at(q, 4)),
        (2, 5),
        "sk_ack_backlog after one accept of three, sk_max_ack_backlog"
    );

    let poll = find(&recs, NR_POLL, None).expect("the poll record");
    assert_eq!(poll.ret, 2);
    let fds = poll
        .items
        .iter()
        .find(|i| i.0 == D_UBUF && i.1 == 0)
        .map(|i| &i.2)
        .expect("pollfd array");
    assert_eq!(fds.len(), 16, "two struct pollfd");
    let revents = |i: usize| u16_at(fds, 8 * i + 6);
    assert_eq!((revents(0), revents(1)), (libc::POLLIN as u16, libc::POLLOUT as u16));
    assert_eq!(u16_at(fds, 4), libc::POLLIN as u16, "events of the first fd");

    let peek = find(&recs, NR_PTRACE, Some(2)).expect("the PTRACE_PEEKDATA record");
    assert_eq!(peek.ret, 0);
    let w = peek
        .items
        .iter()
        .find(|i| i.0 == D_UBUF && i.1 == 3)
        .map(|i| &i.2)
        .expect("the word read");
    assert_eq!(u64::from_le_bytes(w[..].try_into().unwrap()), 0x5A4B_3C2D_1E0F_9876);
    // PTRACE_TRACEME (request 0) reads nothing.
    let traceme = recs
        .iter()
        .find(|r| r.nr as usize == NR_PTRACE && r.args[0] == 0 && r.kind == REC_SYS_EXIT)
        .expect("the PTRACE_TRACEME record");
    assert!(traceme.items.is_empty(), "{traceme:?}");
}

#[test]
fn sendmmsg_and_recvmmsg_carry_each_message() {
    const NR_RECVMMSG: usize = 299;
    const NR_SENDMMSG: usize = 307;
    const D_MMSG: u8 = 16;
    let Some((mut probe, _serial)) = open_probe(|| Probe::open(&ProbeOptions::default())) else {
        return;
    };
    let mut table = cfg_table();
    for nr in [NR_RECVMMSG, NR_SENDMMSG] {
        table[nr] = SyscallCfg {
            enabled: 1,
            snaplen: 80,
            arg_kind: [arg_kind::TUPLE, arg_kind::MMSGHDR, 0, 0, 0, 0],
            ..SyscallCfg::default()
        };
    }
    probe.set_syscall_table(&table).unwrap();
    probe.enable(true).unwrap();

    // Two datagrams over a unix socketpair: "first mmsg" then "second".
    let pid = python_child(
        r#"
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
def msgs(bufs):
    iovs = (iovec * len(bufs))()
    m = (mmsghdr * len(bufs))()
    for i, b in enumerate(bufs):
        iovs[i].base = ctypes.cast(b, ctypes.c_void_p); iovs[i].len = len(b) - 1
        m[i].hdr.iov = ctypes.pointer(iovs[i]); m[i].hdr.iovlen = 1
    return m, iovs
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
out = [ctypes.create_string_buffer(b"first mmsg"), ctypes.create_string_buffer(b"second")]
m, keep = msgs(out)
assert libc.sendmmsg(a.fileno(), m, 2, 0) == 2
into = [ctypes.create_string_buffer(64), ctypes.create_string_buffer(64)]
r, keep2 = msgs(into)
assert libc.recvmmsg(b.fileno(), r, 2, 0, None) == 2
assert r[0].len == 10 and into[0].raw[:10] == b"first mmsg"
"#,
    );
    let find = |recs: &[Rec], nr: usize| {
        recs.iter()
            .find(|r| r.pid == pid && r.kind == REC_SYS_EXIT && r.nr as usize == nr)
            .cloned()
    };
    let recs = gather(&mut probe, |r| {
        find(r, NR_SENDMMSG).is_some() && find(r, NR_RECVMMSG).is_some()
    });
    for nr in [NR_SENDMMSG, NR_RECVMMSG] {
        let rec = find(&recs, nr).expect("the mmsg record");
        assert_eq!(rec.ret, 2, "{rec:?}");
        let msg = |j: u8| {
            rec.items
                .iter()
                .find(|i| i.0 == D_MMSG && i.1 == j)
                .map(|i| &i.2)
                .unwrap_or_else(|| panic!("syscall {nr}: message {j}: {rec:?}"))
        };
        // struct saker_mmsg: msg_len, iov_total, data_len, control_len, name_len, pad; then the
        // data (no control data asked for, no msg_name given).
        for (j, text) in [(0, &b"first mmsg"[..]), (1, &b"second"[..])] {
            let m = msg(j);
            assert_eq!(u32_at(m, 0), text.len() as u32, "syscall {nr}: message {j}'s msg_len");
            assert_eq!(
                u32_at(m, 4),
                if nr == NR_SENDMMSG { text.len() as u32 } else { 63 },
                "sum of iov_len"
            );
            assert_eq!(&m[16..], text, "syscall {nr}: message {j}'s data up to its msg_len");
        }
        assert!(
            !rec.items.iter().any(|i| i.0 == D_MMSG && i.1 == 2),
            "ret messages only"
        );
        let t = rec.item(D_TUPLE).expect("the socket's tuple");
        assert_eq!(t[0], 1, "AF_UNIX");
    }
}

/// Clock ticks per second of /proc/PID/stat times (USER_HZ).
const USER_HZ: u64 = 100;

#[test]
fn processes_started_before_the_probe_get_what_only_the_kernel_knows() {
    use std::os::unix::fs::PermissionsExt;
    use syscall::live::instance::ProbeSource;
    use syscall::live::session::LiveSession;
    use syscall::live::to_scap::{boot_offset_now, ScapBuilder};
    use syscall::state::ThreadTable;

    // Two copies of sleep, run as nobody before the probe opens: one everybody may write,
    // one only root may.
    let dir = std::env::temp_dir().join(format!("saker-live-iter-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let start = |name: &str, mode: u32| {
        let exe = dir.join(name);
        std::fs::copy("/bin/sleep", &exe).unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(mode)).unwrap();
        Command::new(&exe)
            .arg("30")
            .uid(65534)
            .gid(65534)
            .spawn()
            .expect("run sleep as nobody")
    };
    let mut open = start("opensleep", 0o777);
    let mut shut = start("shutsleep", 0o755);
    // Both have exec'd once /proc shows their own executable.
    let deadline = Instant::now() + WAIT_LIMIT;
    for c in [&open, &shut] {
        while !std::fs::read_link(format!("/proc/{}/exe", c.id())).is_ok_and(|p| p.to_string_lossy().contains("sleep"))
        {
            assert!(Instant::now() < deadline, "the sleep children did not start");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    let Some((probe, _serial)) = open_probe(|| Probe::open(&ProbeOptions::default())) else {
        let _ = (open.kill(), shut.kill(), open.wait(), shut.wait());
        return;
    };
    let mut session = LiveSession::new(ProbeSource(probe), ScapBuilder::new(boot_offset_now()));
    let mut state = ThreadTable::new();
    let seeded = session.seed(&mut state).unwrap();
    let _ = (open.kill(), shut.kill(), open.wait(), shut.wait());
    let _ = std::fs::remove_dir_all(&dir);

    assert_eq!(seeded.task_iter_error, None, "the task iterator runs on this kernel");
    let stats = seeded.snapshot.stats;
    assert!(
        stats.kernel_tasks >= stats.processes && stats.processes > 0,
        "the kernel listed {} tasks, /proc {} processes",
        stats.kernel_tasks,
        stats.processes
    );
    let thread = |pid: u32| state.thread(i64::from(pid)).expect("a seeded entry");
    let (o, s) = (thread(open.id()), thread(shut.id()));
    assert!(o.exe_writable, "nobody may write opensleep (0777)");
    assert!(!s.exe_writable, "nobody may not write shutsleep (0755, root's)");

    // Host processes live in the first pid namespace, whose init is pid 1.
    let stat = std::fs::read_to_string("/proc/1/stat").unwrap();
    let after_comm = &stat[stat.rfind(')').unwrap() + 2..];
    let ticks: u64 = after_comm.split(' ').nth(19).unwrap().parse().unwrap();
    let init_start = ticks * (1_000_000_000 / USER_HZ);
    for t in [o, s] {
        assert!(
            t.pidns_init_start_ts.abs_diff(init_start) <= 2 * (1_000_000_000 / USER_HZ),
            "pidns_init_start_ts {} is the start of pid 1 ({init_start} from /proc/1/stat)",
            t.pidns_init_start_ts
        );
    }
}
