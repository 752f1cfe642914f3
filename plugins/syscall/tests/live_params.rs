//! Live capture fills the parameters the rules read, with Falco's values: real syscalls in a
//! forked child → raw records → scap events ([`ScapBuilder`]) → the replay decoder.
//!
//! Needs root (or CAP_BPF + CAP_PERFMON) and a BTF kernel. Where that is not available, set
//! `SAKER_SKIP_LIVE=1` to skip; without it these tests fail and say why.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use plugin_api::event::EventRef;
use syscall::live::bpf::{Probe, ProbeOptions};
use syscall::live::records::RawRecord;
use syscall::live::spec::{capture_table, WantedSet, DEFAULT_SNAPLEN};
use syscall::live::to_scap::ScapBuilder;
use syscall::params::{DecodedEvent, ParamValue, SockTuple};

/// How long a test waits for the events of its child before giving up.
const WAIT_LIMIT: Duration = Duration::from_secs(20);

/// The probe capturing only `syscalls` (by kernel name), or None when SAKER_SKIP_LIVE=1 and it
/// cannot open.
fn probe_for(syscalls: &[&str]) -> Option<Probe> {
    let mut probe = match Probe::open(&ProbeOptions::default()) {
        Ok(p) => p,
        Err(e) if std::env::var("SAKER_SKIP_LIVE").as_deref() == Ok("1") => {
            eprintln!("skipped: the live probe cannot open here ({e}); SAKER_SKIP_LIVE=1");
            return None;
        }
        Err(e) => panic!("the live probe cannot open: {e}\n(set SAKER_SKIP_LIVE=1 to skip the live tests)"),
    };
    // A custom set without repair: exactly these syscalls.
    let wanted = WantedSet {
        custom_set: syscalls.iter().map(|s| s.to_string()).collect(),
        ..WantedSet::default()
    };
    assert_eq!(wanted.syscalls().len(), syscalls.len(), "unknown name in {syscalls:?}");
    probe
        .set_syscall_table(&capture_table(&wanted, DEFAULT_SNAPLEN, false))
        .unwrap();
    probe.enable(true).unwrap();
    Some(probe)
}

/// Forks a child that runs `body` and `_exit`s with its result. The test process has other
/// threads, so `body` must only make raw syscalls on memory prepared before the fork (no
/// allocation, no locks, no panics); a non-zero result names the step that failed.
fn fork_child(body: impl FnOnce() -> i32) -> libc::pid_t {
    // SAFETY: fork has no memory preconditions; the child only runs `body` (see above) and
    // `_exit`, which skips the atexit handlers and the parent's destructors.
    unsafe {
        let pid = libc::fork();
        assert!(pid >= 0, "fork failed: {}", std::io::Error::last_os_error());
        if pid == 0 {
            libc::_exit(body());
        }
        pid
    }
}

/// Waits for the child to exit and checks it exited 0.
fn wait_exit(pid: libc::pid_t) {
    let mut status = 0;
    // SAFETY: status is a valid, writable int.
    let r = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(r, pid, "waitpid: {}", std::io::Error::last_os_error());
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the child failed at step {} (status {status:#x})",
        libc::WEXITSTATUS(status)
    );
}

/// The scap events built from the child's records, once `names` have all been seen.
fn events_of(probe: &mut Probe, pid: libc::pid_t, names: &[&str]) -> Vec<Vec<u8>> {
    let mut builder = ScapBuilder::default();
    let mut events: Vec<Vec<u8>> = Vec::new();
    let start = Instant::now();
    let missing = |events: &[Vec<u8>]| -> Vec<String> {
        names
            .iter()
            .filter(|n| !events.iter().any(|e| decoded(e).info.name == **n))
            .map(|n| n.to_string())
            .collect()
    };
    while !missing(&events).is_empty() && start.elapsed() < WAIT_LIMIT {
        probe
            .poll(4096, Duration::from_millis(100), &mut |b| {
                let raw = RawRecord::parse(b).unwrap_or_else(|e| panic!("bad raw record: {e}"));
                if raw.hdr.pid != pid as u32 {
                    return;
                }
                // sendmmsg/recvmmsg records make an event per message.
                for msg in 0..ScapBuilder::events_in(&raw) {
                    let mut out = Vec::new();
                    if builder
                        .build_message(&raw, msg as u8, &mut out)
                        .expect("record → event")
                    {
                        events.push(out);
                    }
                }
            })
            .expect("poll");
    }
    let left = missing(&events);
    assert!(left.is_empty(), "no {left:?} event of pid {pid} within {WAIT_LIMIT:?}");
    events
}

fn decoded(e: &[u8]) -> DecodedEvent<'_> {
    DecodedEvent::new(EventRef::parse_any(e).expect("a scap event")).expect("a known event type")
}

/// The first event called `name`.
fn event<'a>(events: &'a [Vec<u8>], name: &str) -> DecodedEvent<'a> {
    events
        .iter()
        .map(|e| decoded(e))
        .find(|d| d.info.name == name)
        .unwrap_or_else(|| panic!("no {name} event"))
}

/// Every event called `name`, in order.
fn all_events<'a>(events: &'a [Vec<u8>], name: &str) -> Vec<DecodedEvent<'a>> {
    events
        .iter()
        .map(|e| decoded(e))
        .filter(|d| d.info.name == name)
        .collect()
}

fn val<'a>(d: &DecodedEvent<'a>, name: &str) -> ParamValue<'a> {
    d.param_by_name(name)
        .unwrap_or_else(|| panic!("{} has no parameter {name}", d.info.name))
        .unwrap_or_else(|e| panic!("{}.{name} does not decode: {e}", d.info.name))
}

fn uint(d: &DecodedEvent<'_>, name: &str) -> u64 {
    match val(d, name) {
        ParamValue::Unsigned(n) => n,
        ParamValue::Signed(n) => n as u64,
        v => panic!("{}.{name} is not a number: {v:?}", d.info.name),
    }
}

/// `evt.arg.NAME` as the rules see it.
fn rendered(d: &DecodedEvent<'_>, name: &str) -> String {
    d.render_param(d.info.param_index(name).expect("parameter"))
        .expect("rendered")
}

fn bytes<'a>(d: &DecodedEvent<'a>, name: &str) -> &'a [u8] {
    match val(d, name) {
        ParamValue::Bytes(b) => b,
        v => panic!("{}.{name} is not a byte buffer: {v:?}", d.info.name),
    }
}

fn cstr(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).unwrap()
}

/// A fresh directory for one test.
fn test_dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("saker-live-params-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `MAP_SHARED` memory the child writes its findings to (fds, inodes) for the parent.
struct Shared(*mut u64);

impl Shared {
    fn new() -> Shared {
        // SAFETY: an anonymous shared mapping of one page; checked for MAP_FAILED.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(p, libc::MAP_FAILED, "mmap: {}", std::io::Error::last_os_error());
        Shared(p.cast())
    }
    fn set(&self, i: usize, v: u64) {
        assert!(i < 512);
        // SAFETY: i is inside the 4096-byte mapping, which lives as long as self.
        unsafe { self.0.add(i).write_volatile(v) }
    }
    fn get(&self, i: usize) -> u64 {
        assert!(i < 512);
        // SAFETY: as in set.
        unsafe { self.0.add(i).read_volatile() }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // SAFETY: the mapping made in new, unmapped once.
        unsafe { libc::munmap(self.0.cast(), 4096) };
    }
}

#[test]
fn ptrace_request_is_the_ppm_value() {
    let Some(mut probe) = probe_for(&["ptrace"]) else {
        return;
    };
    let mut target = Command::new("sleep").arg("30").spawn().expect("run sleep");
    let tpid = target.id() as libc::pid_t;
    let pid = fork_child(|| {
        // SAFETY: raw syscalls on integers and a local int.
        unsafe {
            if libc::ptrace(libc::PTRACE_ATTACH, tpid, 0, 0) != 0 {
                return 1;
            }
            let mut st = 0;
            if libc::waitpid(tpid, &mut st, libc::__WALL) != tpid {
                return 2;
            }
            if libc::ptrace(libc::PTRACE_DETACH, tpid, 0, 0) != 0 {
                return 3;
            }
        }
        0
    });
    wait_exit(pid);
    let _ = target.kill();
    let _ = target.wait();

    let events = events_of(&mut probe, pid, &["ptrace"]);
    let calls = all_events(&events, "ptrace");
    assert_eq!(calls.len(), 2, "attach and detach");
    let attach = &calls[0];
    assert_eq!(uint(attach, "request"), 11, "PPM_PTRACE_ATTACH");
    assert!(
        rendered(attach, "request").contains("PTRACE_ATTACH"),
        "{}",
        rendered(attach, "request")
    );
    assert_eq!(uint(attach, "pid"), tpid as u64);
    assert_eq!(uint(attach, "res"), 0);
    let detach = &calls[1];
    assert_eq!(uint(detach, "request"), 12, "PPM_PTRACE_DETACH");
    assert_eq!(
        val(detach, "data"),
        ParamValue::Dyn { index: 1, bytes: &[0] },
        "DETACH's data is a signal (PPM_PTRACE_IDX_SIGTYPE)"
    );
}

#[test]
fn pipe_inode_and_iovec_data_are_captured() {
    let Some(mut probe) = probe_for(&["pipe", "pipe2", "writev", "readv"]) else {
        return;
    };
    let shared = Shared::new();
    let (a, b) = (b"hello ".to_vec(), b"world".to_vec());
    let mut r1 = vec![0u8; 4];
    let mut r2 = vec![0u8; 32];
    let pid = fork_child(|| {
        // SAFETY: raw syscalls on buffers allocated before the fork.
        unsafe {
            let mut fds = [0i32; 2];
            if libc::syscall(libc::SYS_pipe, fds.as_mut_ptr()) != 0 {
                return 1;
            }
            let mut st: libc::stat = std::mem::zeroed();
            if libc::fstat(fds[0], &mut st) != 0 {
                return 2;
            }
            shared.set(0, st.st_ino);
            if libc::fstat(fds[1], &mut st) != 0 {
                return 3;
            }
            shared.set(1, st.st_ino);
            shared.set(2, fds[0] as u64);
            shared.set(3, fds[1] as u64);
            let w = [
                libc::iovec {
                    iov_base: a.as_ptr() as *mut _,
                    iov_len: a.len(),
                },
                libc::iovec {
                    iov_base: b.as_ptr() as *mut _,
                    iov_len: b.len(),
                },
            ];
            if libc::writev(fds[1], w.as_ptr(), 2) != 11 {
                return 4;
            }
            let r = [
                libc::iovec {
                    iov_base: r1.as_mut_ptr().cast(),
                    iov_len: r1.len(),
                },
                libc::iovec {
                    iov_base: r2.as_mut_ptr().cast(),
                    iov_len: r2.len(),
                },
            ];
            if libc::readv(fds[0], r.as_ptr(), 2) != 11 {
                return 5;
            }
            if libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) != 0 {
                return 6;
            }
        }
        0
    });
    wait_exit(pid);
    let events = events_of(&mut probe, pid, &["pipe", "pipe2", "writev", "readv"]);

    let pipe = event(&events, "pipe");
    assert_eq!(uint(&pipe, "fd1"), shared.get(2));
    assert_eq!(uint(&pipe, "fd2"), shared.get(3));
    assert_ne!(shared.get(0), 0);
    assert_eq!(uint(&pipe, "ino"), shared.get(0), "fstat inode of the read end");
    assert_eq!(uint(&pipe, "ino"), shared.get(1), "fstat inode of the write end");
    let pipe2 = event(&events, "pipe2");
    assert_ne!(uint(&pipe2, "ino"), 0);
    assert_ne!(uint(&pipe2, "ino"), shared.get(0), "a new pipe");
    assert_eq!(
        uint(&pipe2, "flags"),
        (1 << 6) | (1 << 12),
        "PPM_O_NONBLOCK|PPM_O_CLOEXEC"
    );
    assert!(rendered(&pipe2, "flags").contains("O_NONBLOCK|O_CLOEXEC"));

    let writev = event(&events, "writev");
    assert_eq!(bytes(&writev, "data"), b"hello world", "both buffers");
    assert_eq!(uint(&writev, "size"), 11);
    assert_eq!(uint(&writev, "fd"), shared.get(3));
    let readv = event(&events, "readv");
    assert_eq!(
        bytes(&readv, "data"),
        b"hello world",
        "what was read, across both buffers"
    );
    assert_eq!(uint(&readv, "size"), 11);
    assert_eq!(uint(&readv, "res"), 11);
}

#[test]
fn socketpair_sockets_msg_data_sockopt_and_shutdown() {
    let names = ["socketpair", "sendmsg", "recvmsg", "getsockopt", "shutdown"];
    let Some(mut probe) = probe_for(&names) else {
        return;
    };
    let (a, b) = (b"ping ".to_vec(), b"pong".to_vec());
    let mut rbuf = vec![0u8; 64];
    let pid = fork_child(|| {
        // SAFETY: raw syscalls on buffers allocated before the fork.
        unsafe {
            let mut sv = [0i32; 2];
            if libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, sv.as_mut_ptr()) != 0 {
                return 1;
            }
            let mut w = [
                libc::iovec {
                    iov_base: a.as_ptr() as *mut _,
                    iov_len: a.len(),
                },
                libc::iovec {
                    iov_base: b.as_ptr() as *mut _,
                    iov_len: b.len(),
                },
            ];
            let mut m: libc::msghdr = std::mem::zeroed();
            m.msg_iov = w.as_mut_ptr();
            m.msg_iovlen = 2;
            if libc::sendmsg(sv[0], &m, 0) != 9 {
                return 2;
            }
            let mut r = [libc::iovec {
                iov_base: rbuf.as_mut_ptr().cast(),
                iov_len: rbuf.len(),
            }];
            let mut m: libc::msghdr = std::mem::zeroed();
            m.msg_iov = r.as_mut_ptr();
            m.msg_iovlen = 1;
            if libc::recvmsg(sv[1], &mut m, 0) != 9 {
                return 3;
            }
            let mut ty = 0i32;
            let mut len = 4 as libc::socklen_t;
            if libc::getsockopt(
                sv[0],
                libc::SOL_SOCKET,
                libc::SO_TYPE,
                (&mut ty as *mut i32).cast(),
                &mut len,
            ) != 0
            {
                return 4;
            }
            if libc::shutdown(sv[0], libc::SHUT_WR) != 0 {
                return 5;
            }
        }
        0
    });
    wait_exit(pid);
    let events = events_of(&mut probe, pid, &names);

    let pair = event(&events, "socketpair");
    let (source, peer) = (uint(&pair, "source"), uint(&pair, "peer"));
    assert!(source != 0 && peer != 0 && source != peer, "{source:#x} {peer:#x}");
    let send = event(&events, "sendmsg");
    assert_eq!(bytes(&send, "data"), b"ping pong");
    assert_eq!(uint(&send, "size"), 9);
    // Falco's order: a send puts the peer's socket first, a receive its own socket first; both
    // ends of the pair name the same two sockets in the same order.
    match val(&send, "tuple") {
        ParamValue::SockTuple(SockTuple::Unix { source: s, dest, .. }) => {
            assert_eq!(
                (s, dest),
                (peer, source),
                "sendmsg on the first fd: its peer, then itself"
            )
        }
        v => panic!("sendmsg tuple: {v:?}"),
    }
    let recv = event(&events, "recvmsg");
    match val(&recv, "tuple") {
        ParamValue::SockTuple(SockTuple::Unix { source: s, dest, .. }) => {
            assert_eq!(
                (s, dest),
                (peer, source),
                "recvmsg on the second fd: itself, then its peer"
            )
        }
        v => panic!("recvmsg tuple: {v:?}"),
    }
    assert_eq!(bytes(&recv, "data"), b"ping pong");
    assert_eq!(uint(&recv, "size"), 9);

    let opt = event(&events, "getsockopt");
    assert_eq!(uint(&opt, "level"), 1, "PPM_SOCKOPT_LEVEL_SOL_SOCKET");
    assert_eq!(uint(&opt, "optname"), 3, "PPM_SOCKOPT_SO_TYPE");
    assert_eq!(
        val(&opt, "val"),
        ParamValue::Dyn {
            index: 2,
            bytes: &(libc::SOCK_STREAM as u32).to_le_bytes()
        },
        "PPM_SOCKOPT_IDX_UINT32 SOCK_STREAM"
    );
    assert_eq!(uint(&opt, "optlen"), 4);

    let shut = event(&events, "shutdown");
    assert_eq!(uint(&shut, "how"), 1, "PPM_SHUT_WR");
    assert!(rendered(&shut, "how").contains("SHUT_WR"), "{}", rendered(&shut, "how"));
}

#[test]
fn path_and_mount_flags_are_ppm_values() {
    let names = ["unlinkat", "linkat", "mount", "umount2"];
    let Some(mut probe) = probe_for(&names) else {
        return;
    };
    let dir = test_dir("flags");
    std::fs::create_dir(dir.join("d")).unwrap();
    std::fs::write(dir.join("f"), b"x").unwrap();
    std::fs::create_dir(dir.join("mnt")).unwrap();
    let (d, f, f2, mnt) = (
        cstr(&dir.join("d")),
        cstr(&dir.join("f")),
        cstr(&dir.join("f2")),
        cstr(&dir.join("mnt")),
    );
    let none = CString::new("none").unwrap();
    let pid = fork_child(|| {
        // SAFETY: raw syscalls on C strings made before the fork.
        unsafe {
            if libc::unlinkat(libc::AT_FDCWD, d.as_ptr(), libc::AT_REMOVEDIR) != 0 {
                return 1;
            }
            if libc::linkat(
                libc::AT_FDCWD,
                f.as_ptr(),
                libc::AT_FDCWD,
                f2.as_ptr(),
                libc::AT_SYMLINK_FOLLOW,
            ) != 0
            {
                return 2;
            }
            // Remounting a directory that is no mount point fails (EINVAL) and changes nothing;
            // the flags still carry the historical magic in the upper half.
            let flags = 0xc0ed_0000 | libc::MS_REMOUNT | libc::MS_RDONLY;
            if libc::mount(none.as_ptr(), mnt.as_ptr(), none.as_ptr(), flags, std::ptr::null()) == 0 {
                return 3;
            }
            if libc::umount2(mnt.as_ptr(), libc::MNT_DETACH) == 0 {
                return 4;
            }
        }
        0
    });
    wait_exit(pid);
    let events = events_of(&mut probe, pid, &names);
    let _ = std::fs::remove_dir_all(&dir);

    let unlinkat = event(&events, "unlinkat");
    assert_eq!(uint(&unlinkat, "flags"), 0x200, "PPM_AT_REMOVEDIR");
    assert!(rendered(&unlinkat, "flags").contains("AT_REMOVEDIR"));
    assert_eq!(val(&unlinkat, "name"), ParamValue::Str(d.as_bytes()));
    let linkat = event(&events, "linkat");
    assert_eq!(uint(&linkat, "flags"), 0x400, "PPM_AT_SYMLINK_FOLLOW");
    assert!(rendered(&linkat, "flags").contains("AT_SYMLINK_FOLLOW"));
    let mount = event(&events, "mount");
    assert_eq!(
        uint(&mount, "flags"),
        0x21,
        "PPM_MS_REMOUNT|PPM_MS_RDONLY without the magic"
    );
    assert!(
        rendered(&mount, "flags").contains("RDONLY|REMOUNT"),
        "{}",
        rendered(&mount, "flags")
    );
    assert_eq!(val(&mount, "dir"), ParamValue::Str(mnt.as_bytes()));
    let umount = event(&events, "umount2");
    assert_eq!(uint(&umount, "flags"), 2, "PPM_MNT_DETACH");
    assert!(rendered(&umount, "flags").contains("DETACH"));
}

#[test]
fn fd_creating_flags_are_ppm_values() {
    let names = [
        "eventfd2",
        "signalfd4",
        "timerfd_create",
        "memfd_create",
        "inotify_init1",
        "epoll_create1",
    ];
    let Some(mut probe) = probe_for(&names) else {
        return;
    };
    let memfd_name = CString::new("saker-live-params").unwrap();
    let pid = fork_child(|| {
        // SAFETY: raw syscalls on locals and a C string made before the fork.
        unsafe {
            if libc::syscall(libc::SYS_eventfd2, 0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) < 0 {
                return 1;
            }
            let mask = 0u64;
            if libc::syscall(libc::SYS_signalfd4, -1, &mask as *const u64, 8, libc::SFD_CLOEXEC) < 0 {
                return 2;
            }
            if libc::syscall(libc::SYS_timerfd_create, libc::CLOCK_MONOTONIC, libc::TFD_NONBLOCK) < 0 {
                return 3;
            }
            let mfd = libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING;
            if libc::syscall(libc::SYS_memfd_create, memfd_name.as_ptr(), mfd) < 0 {
                return 4;
            }
            if libc::syscall(libc::SYS_inotify_init1, libc::IN_NONBLOCK | libc::IN_CLOEXEC) < 0 {
                return 5;
            }
            if libc::syscall(libc::SYS_epoll_create1, libc::EPOLL_CLOEXEC) < 0 {
                return 6;
            }
        }
        0
    });
    wait_exit(pid);
    let events = events_of(&mut probe, pid, &names);
    const NONBLOCK: u64 = 1 << 6;
    const CLOEXEC: u64 = 1 << 12;

    let efd = event(&events, "eventfd2");
    assert_eq!(uint(&efd, "flags"), NONBLOCK | CLOEXEC);
    assert!(
        rendered(&efd, "flags").contains("O_NONBLOCK|O_CLOEXEC"),
        "{}",
        rendered(&efd, "flags")
    );
    assert_eq!(uint(&event(&events, "signalfd4"), "flags"), CLOEXEC);
    assert_eq!(uint(&event(&events, "timerfd_create"), "flags"), NONBLOCK);
    let memfd = event(&events, "memfd_create");
    assert_eq!(uint(&memfd, "flags"), 3, "PPM_MFD_CLOEXEC|PPM_MFD_ALLOW_SEALING");
    assert!(rendered(&memfd, "flags").contains("MFD_CLOEXEC|MFD_ALLOW_SEALING"));
    assert_eq!(val(&memfd, "name"), ParamValue::Str(b"saker-live-params"));
    assert_eq!(uint(&event(&events, "inotify_init1"), "flags"), NONBLOCK | CLOEXEC);
    assert_eq!(uint(&event(&events, "epoll_create1"), "flags"), 1, "PPM_EPOLL_CLOEXEC");
}

/// VmSize of a process, in KiB.
fn vm_size_kib(pid: libc::pid_t) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix("VmSize:"))
        .expect("VmSize in /proc/PID/status");
    line.trim().trim_end_matches("kB").trim().parse().unwrap()
}

#[test]
fn mmap_munmap_and_brk_carry_the_memory_counters() {
    let Some(mut probe) = probe_for(&["mmap", "munmap", "brk"]) else {
        return;
    };
    const LEN: usize = 1 << 20;
    let pid = fork_child(|| {
        // SAFETY: raw syscalls; the mapping is the child's own and unmapped before exit.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                LEN,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if p == libc::MAP_FAILED {
                return 1;
            }
            // Stopped here, the parent reads VmSize as the mmap exit saw it.
            libc::kill(libc::getpid(), libc::SIGSTOP);
            if libc::munmap(p, LEN) != 0 {
                return 2;
            }
            libc::syscall(libc::SYS_brk, 0);
        }
        0
    });
    let mut status = 0;
    // SAFETY: status is a valid, writable int.
    let r = unsafe { libc::waitpid(pid, &mut status, libc::WUNTRACED) };
    assert!(
        r == pid && libc::WIFSTOPPED(status),
        "the child did not stop: {status:#x}"
    );
    let vm_size = vm_size_kib(pid);
    // SAFETY: signalling our own stopped child.
    unsafe { libc::kill(pid, libc::SIGCONT) };
    wait_exit(pid);
    let events = events_of(&mut probe, pid, &["mmap", "munmap", "brk"]);

    let mmap = all_events(&events, "mmap")
        .into_iter()
        .find(|d| uint(d, "length") == LEN as u64)
        .expect("the child's 1 MiB mmap");
    let at_mmap = uint(&mmap, "vm_size");
    assert!(
        at_mmap.abs_diff(vm_size) <= 4,
        "vm_size {at_mmap} KiB, /proc VmSize {vm_size} KiB"
    );
    let rss = uint(&mmap, "vm_rss");
    assert!(rss > 0 && rss <= at_mmap, "vm_rss {rss} KiB of {at_mmap}");
    let munmap = event(&events, "munmap");
    assert_eq!(
        uint(&munmap, "vm_size"),
        at_mmap - (LEN as u64 >> 10),
        "the unmapped MiB is gone"
    );
    let brk = event(&events, "brk");
    assert_eq!(uint(&brk, "vm_size"), uint(&munmap, "vm_size"));
    assert!(uint(&brk, "vm_rss") > 0);
}

#[test]
fn modes_ids_times_and_paths_read_after_the_call() {
    let names = [
        "openat",
        "fchmodat",
        "socket",
        "getresuid",
        "getrlimit",
        "nanosleep",
        "getcwd",
        "sendfile",
    ];
    let Some(mut probe) = probe_for(&names) else {
        return;
    };
    let dir = test_dir("modes");
    let file = cstr(&dir.join("f"));
    let mut cwd = vec![0u8; 4096];
    let pid = fork_child(|| {
        // SAFETY: raw syscalls on locals and buffers made before the fork.
        unsafe {
            let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_CLOEXEC;
            let fd = libc::openat(libc::AT_FDCWD, file.as_ptr(), flags, 0o100640);
            if fd < 0 {
                return 1;
            }
            if libc::fchmodat(libc::AT_FDCWD, file.as_ptr(), 0o4755, 0) != 0 {
                return 2;
            }
            let s = libc::socket(
                libc::AF_INET,
                libc::SOCK_DGRAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                0,
            );
            if s < 0 {
                return 3;
            }
            let (mut r, mut e, mut su) = (0u32, 0u32, 0u32);
            if libc::getresuid(&mut r, &mut e, &mut su) != 0 {
                return 4;
            }
            let mut rl: libc::rlimit = std::mem::zeroed();
            // glibc's getrlimit and nanosleep use prlimit64 and clock_nanosleep
            if libc::syscall(libc::SYS_getrlimit, libc::RLIMIT_NOFILE, &mut rl as *mut libc::rlimit) != 0 {
                return 5;
            }
            let ts = libc::timespec {
                tv_sec: 0,
                tv_nsec: 1_000_000,
            };
            if libc::syscall(libc::SYS_nanosleep, &ts as *const libc::timespec, 0usize) != 0 {
                return 6;
            }
            if libc::syscall(libc::SYS_getcwd, cwd.as_mut_ptr(), cwd.len()) <= 0 {
                return 7;
            }
            // sendfile from the file (one byte written first) to itself is refused by some
            // file systems; to a pipe it is not.
            if libc::pwrite(fd, b"x".as_ptr().cast(), 1, 0) != 1 {
                return 8;
            }
            let rfd = libc::open(file.as_ptr(), libc::O_RDONLY);
            let mut p = [0i32; 2];
            if rfd < 0 || libc::pipe(p.as_mut_ptr()) != 0 {
                return 9;
            }
            let mut off: libc::off_t = 0;
            if libc::sendfile(p[1], rfd, &mut off, 1) != 1 {
                return 10;
            }
        }
        0
    });
    wait_exit(pid);
    let events = events_of(&mut probe, pid, &names);
    let want_cwd = std::env::current_dir().unwrap();
    let _ = std::fs::remove_dir_all(&dir);

    let open = all_events(&events, "openat")
        .into_iter()
        .find(|d| val(d, "name") == ParamValue::Str(file.as_bytes()))
        .expect("the openat of the test file");
    assert_eq!(uint(&open, "mode"), 0o640, "O_CREAT: the permission bits only");
    let chmod = event(&events, "fchmodat");
    assert_eq!(uint(&chmod, "mode"), 0o4755, "PPM_S_ISUID|0755");
    let socket = event(&events, "socket");
    assert_eq!(
        uint(&socket, "flags"),
        (1 << 6) | (1 << 12),
        "PPM_O_NONBLOCK|PPM_O_CLOEXEC"
    );
    // SAFETY: getuid/geteuid have no preconditions.
    let (uid, euid) = unsafe { (libc::getuid(), libc::geteuid()) };
    let res = event(&events, "getresuid");
    assert_eq!((uint(&res, "ruid"), uint(&res, "euid")), (uid as u64, euid as u64));
    let rl = event(&events, "getrlimit");
    assert_eq!(uint(&rl, "resource"), 7, "PPM_RLIMIT_NOFILE");
    let mut limit: libc::rlimit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: limit is a valid, writable rlimit.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) }, 0);
    assert_eq!((uint(&rl, "cur"), uint(&rl, "max")), (limit.rlim_cur, limit.rlim_max));
    assert_eq!(uint(&event(&events, "nanosleep"), "interval"), 1_000_000, "ns");
    assert_eq!(
        val(&event(&events, "getcwd"), "path"),
        ParamValue::Str(want_cwd.as_os_str().as_bytes())
    );
    assert_eq!(
        uint(&event(&events, "sendfile"), "offset"),
        1,
        "the offset after the call"
    );
}

/// The `PT_DYN` bytes of a keyctl int64 argument.
fn keyctl_int(v: i64) -> Vec<u8> {
    [&[0u8][..], &v.to_le_bytes()].concat()
}

#[test]
fn sem_calls_carry_their_arguments_and_sembufs() {
    let Some(mut probe) = probe_for(&["semget", "semop", "semctl"]) else {
        return;
    };
    let shared = Shared::new();
    // struct sembuf: u16 sem_num, i16 sem_op, i16 sem_flg
    let two: [[i16; 3]; 2] = [[0, 2, 0x1000], [1, 1, 0o4000]]; // SEM_UNDO, IPC_NOWAIT
    let one: [[i16; 3]; 1] = [[1, -1, 0o4000]];
    let pid = fork_child(|| {
        // SAFETY: raw syscalls on integers and arrays made before the fork.
        unsafe {
            let id = libc::syscall(libc::SYS_semget, libc::IPC_PRIVATE, 2, libc::IPC_CREAT | 0o600);
            if id < 0 {
                return 1;
            }
            shared.set(0, id as u64);
            if libc::syscall(libc::SYS_semop, id, two.as_ptr(), 2) != 0 {
                return 2;
            }
            if libc::syscall(libc::SYS_semctl, id, 1, libc::SETVAL, 5) != 0 {
                return 3;
            }
            if libc::syscall(libc::SYS_semop, id, one.as_ptr(), 1) != 0 {
                return 4;
            }
            if libc::syscall(libc::SYS_semctl, id, 0, libc::IPC_RMID, 0) != 0 {
                return 5;
            }
        }
        0
    });
    wait_exit(pid);
    let events = events_of(&mut probe, pid, &["semget", "semop", "semctl"]);
    let semid = shared.get(0);

    let get = event(&events, "semget");
    assert_eq!(uint(&get, "res"), semid);
    assert_eq!(uint(&get, "key"), 0, "IPC_PRIVATE");
    assert_eq!(uint(&get, "nsems"), 2);
    assert_eq!(uint(&get, "semflg"), 1 << 13, "PPM_IPC_CREAT, without the mode bits");
    assert_eq!(
        get.render_args(),
        format!("res={semid} key=0 nsems=2 semflg=8192(IPC_CREAT)"),
        "evt.args names the flags"
    );

    let ops = all_events(&events, "semop");
    assert_eq!(ops.len(), 2);
    let (a, b) = (&ops[0], &ops[1]);
    assert_eq!(uint(a, "semid"), semid);
    assert_eq!(uint(a, "nsops"), 2);
    assert_eq!(
        [uint(a, "sem_num_0"), uint(a, "sem_op_0"), uint(a, "sem_flg_0")],
        [0, 2, 1 << 1],
        "PPM_SEM_UNDO"
    );
    assert_eq!(
        [uint(a, "sem_num_1"), uint(a, "sem_op_1"), uint(a, "sem_flg_1")],
        [1, 1, 1 << 0],
        "PPM_IPC_NOWAIT"
    );
    assert_eq!(rendered(a, "sem_flg_0"), "2(SEM_UNDO)");
    assert_eq!(rendered(a, "sem_flg_1"), "1(IPC_NOWAIT)");
    assert_eq!(uint(b, "nsops"), 1);
    assert_eq!(
        [uint(b, "sem_num_0"), uint(b, "sem_op_0"), uint(b, "sem_flg_0")],
        [1, -1i64 as u64, 1]
    );
    assert_eq!(
        [uint(b, "sem_num_1"), uint(b, "sem_op_1"), uint(b, "sem_flg_1")],
        [0, 0, 0],
        "one entry: the second is empty"
    );

    let ctls = all_events(&events, "semctl");
    assert_eq!(ctls.len(), 2);
    assert_eq!(uint(&ctls[0], "semid"), semid);
    assert_eq!(uint(&ctls[0], "semnum"), 1);
    assert_eq!(uint(&ctls[0], "cmd"), 1 << 12, "PPM_SETVAL");
    assert_eq!(uint(&ctls[0], "val"), 5);
    assert_eq!(uint(&ctls[1], "cmd"), 1 << 2, "PPM_IPC_RMID");
    assert_eq!(
        ctls[0].render_args(),
        format!("res=0 semid={semid} semnum=1 cmd=4096(SETVAL) val=5")
    );
    assert_eq!(rendered(&ctls[1], "cmd"), "4(IPC_RMID)");
    assert_eq!(uint(&ctls[1], "val"), 0, "only SETVAL has a value");
}

#[test]
fn keyctl_arguments_are_typed_by_operation() {
    let Some(mut probe) = probe_for(&["keyctl"]) else {
        return;
    };
    let ring = CString::new("saker-live-ring").unwrap();
    let (ty, desc) = (
        CString::new("user").unwrap(),
        CString::new("saker-no-such-key").unwrap(),
    );
    let pid = fork_child(|| {
        // SAFETY: raw syscalls on integers and strings made before the fork; the results do not
        // matter (a kernel without keys fails them, the arguments are still recorded).
        unsafe {
            libc::syscall(libc::SYS_keyctl, 1, ring.as_ptr()); // KEYCTL_JOIN_SESSION_KEYRING
                                                               // KEYCTL_SEARCH in KEY_SPEC_SESSION_KEYRING (-3), no destination keyring
            libc::syscall(libc::SYS_keyctl, 10, -3i64, ty.as_ptr(), desc.as_ptr(), 0);
            libc::syscall(libc::SYS_keyctl, 3, 12345); // KEYCTL_REVOKE of a key that is not there
        }
        0
    });
    wait_exit(pid);
    let events = events_of(&mut probe, pid, &["keyctl"]);
    let calls = all_events(&events, "keyctl");
    assert_eq!(calls.len(), 3);
    let dynv = |d: &DecodedEvent<'_>, n: &str| match val(d, n) {
        ParamValue::Dyn { index, bytes } => [&[index][..], bytes].concat(),
        v => panic!("keyctl.{n} is not PT_DYN: {v:?}"),
    };
    let join = &calls[0];
    assert_eq!(uint(join, "operation"), 1);
    assert_eq!(
        dynv(join, "arg2"),
        b"\x01saker-live-ring\0",
        "a string (PPM_KEYCTL_IDX_CHARBUF)"
    );
    assert_eq!(dynv(join, "arg3"), keyctl_int(0));
    let search = &calls[1];
    assert_eq!(uint(search, "operation"), 10);
    assert_eq!(dynv(search, "arg2"), keyctl_int(-3));
    assert_eq!(dynv(search, "arg3"), b"\x01user\0");
    assert_eq!(dynv(search, "arg4"), b"\x01saker-no-such-key\0");
    assert_eq!(dynv(search, "arg5"), keyctl_int(0));
    let revoke = &calls[2];
    assert_eq!(uint(revoke, "operation"), 3);
    assert_eq!(dynv(revoke, "arg2"), keyctl_int(12345));
    assert_eq!(dynv(revoke, "arg3"), keyctl_int(0), "REVOKE has one argument");
    // evt.args: the operation's name, each argument by its type
    let res = |d: &DecodedEvent<'_>| rendered(d, "res");
    assert_eq!(
        join.render_args(),
        format!(
            "res={} operation=1(KEYCTL_JOIN_SESSION_KEYRING) arg2=saker-live-ring arg3=0 arg4=0 arg5=0",
            res(join)
        )
    );
    assert_eq!(
        search.render_args(),
        format!(
            "res={} operation=10(KEYCTL_SEARCH) arg2=-3 arg3=user arg4=saker-no-such-key arg5=0",
            res(search)
        )
    );
    assert_eq!(rendered(revoke, "arg2"), "12345");
}

/// `QCMD(cmd, type)`.
fn qcmd(cmd: u64, ty: u64) -> u64 {
    (cmd << 8) | ty
}

#[test]
fn quotactl_reads_addr_by_command() {
    let Some(mut probe) = probe_for(&["quotactl"]) else {
        return;
    };
    let dev = CString::new("/dev/saker-no-such-device").unwrap();
    let qfile = CString::new("/tmp/saker-aquota.group").unwrap();
    // if_dqblk: bhardlimit, bsoftlimit, curspace, ihardlimit, isoftlimit, curinodes, btime,
    // itime, then u32 valid = QIF_BLIMITS | QIF_ITIME
    let dqblk: [u64; 9] = [100, 50, 7, 40, 30, 3, 11, 22, 1 | 32];
    // if_dqinfo: bgrace, igrace, u32 flags | u32 valid = IIF_BGRACE | IIF_FLAGS
    let dqinfo: [u64; 3] = [600, 700, 5 | ((1 | 4) << 32)];
    let pid = fork_child(|| {
        // SAFETY: raw syscalls on integers and buffers made before the fork; they fail (no such
        // device), the driver reads `addr` anyway.
        unsafe {
            libc::syscall(
                libc::SYS_quotactl,
                qcmd(0x80_0007, 0),
                dev.as_ptr(),
                1234,
                dqblk.as_ptr(),
            );
            libc::syscall(libc::SYS_quotactl, qcmd(0x80_0002, 1), dev.as_ptr(), 2, qfile.as_ptr());
            libc::syscall(
                libc::SYS_quotactl,
                qcmd(0x80_0005, 1),
                dev.as_ptr(),
                99,
                dqinfo.as_ptr(),
            );
        }
        0
    });
    wait_exit(pid);
    let events = events_of(&mut probe, pid, &["quotactl"]);
    let calls = all_events(&events, "quotactl");
    assert_eq!(calls.len(), 3);
    let s = |d: &DecodedEvent<'_>, n: &str| rendered(d, n);

    let getq = &calls[0];
    assert_eq!(s(getq, "special"), "/dev/saker-no-such-device");
    assert_eq!(uint(getq, "cmd"), 1 << 5, "PPM_Q_GETQUOTA");
    assert_eq!(uint(getq, "type"), 1 << 0, "PPM_USRQUOTA");
    assert_eq!(uint(getq, "id"), 1234);
    assert_eq!(uint(getq, "quota_fmt"), 1, "PPM_QFMT_NOT_USED");
    assert_eq!(uint(getq, "quota_fmt_out"), 1);
    assert_eq!(rendered(getq, "cmd"), "32(Q_GETQUOTA)");
    assert_eq!(rendered(getq, "type"), "1(USRQUOTA)");
    assert_eq!(rendered(getq, "quota_fmt"), "1(QFMT_NOT_USED)");
    assert_eq!(s(getq, "quotafilepath"), "");
    assert_eq!(
        [
            uint(getq, "dqb_bhardlimit"),
            uint(getq, "dqb_bsoftlimit"),
            uint(getq, "dqb_curspace"),
            uint(getq, "dqb_ihardlimit"),
            uint(getq, "dqb_isoftlimit"),
            uint(getq, "dqb_btime"),
            uint(getq, "dqb_itime"),
        ],
        [100, 50, 0, 0, 0, 0, 22],
        "only the fields dqb_valid marks"
    );

    let on = &calls[1];
    assert_eq!(uint(on, "cmd"), 1 << 0, "PPM_Q_QUOTAON");
    assert_eq!(uint(on, "type"), 1 << 1, "PPM_GRPQUOTA");
    assert_eq!(s(on, "quotafilepath"), "/tmp/saker-aquota.group");
    assert_eq!(uint(on, "quota_fmt"), 1 << 2, "PPM_QFMT_VFS_V0");
    assert_eq!(
        [rendered(on, "cmd"), rendered(on, "type"), rendered(on, "quota_fmt")],
        ["1(Q_QUOTAON)", "2(GRPQUOTA)", "4(QFMT_VFS_V0)"]
    );
    assert_eq!(uint(on, "id"), 0, "the format id is not a user id");

    let info = &calls[2];
    assert_eq!(uint(info, "cmd"), 1 << 3, "PPM_Q_GETINFO");
    assert_eq!(
        [
            uint(info, "dqi_bgrace"),
            uint(info, "dqi_igrace"),
            uint(info, "dqi_flags")
        ],
        [600, 0, 5]
    );
    assert_eq!(uint(info, "dqb_bhardlimit"), 0, "no if_dqblk for GETINFO");
}

#[test]
fn fsconfig_value_follows_its_command() {
    let Some(mut probe) = probe_for(&["fsconfig"]) else {
        return;
    };
    let tmpfs = CString::new("tmpfs").unwrap();
    let (size, one_m) = (CString::new("size").unwrap(), CString::new("1m").unwrap());
    let blob = [1u8, 2, 3];
    let pid = fork_child(|| {
        // SAFETY: raw syscalls on integers and buffers made before the fork.
        unsafe {
            let fd = libc::syscall(libc::SYS_fsopen, tmpfs.as_ptr(), 0);
            if fd < 0 {
                return 1;
            }
            // FSCONFIG_SET_STRING
            if libc::syscall(libc::SYS_fsconfig, fd, 1, size.as_ptr(), one_m.as_ptr(), 0) != 0 {
                return 2;
            }
            // FSCONFIG_SET_BINARY: tmpfs refuses it
            if libc::syscall(libc::SYS_fsconfig, fd, 2, size.as_ptr(), blob.as_ptr(), 3) >= 0 {
                return 3;
            }
        }
        0
    });
    wait_exit(pid);
    let events = events_of(&mut probe, pid, &["fsconfig"]);
    let calls = all_events(&events, "fsconfig");
    assert_eq!(calls.len(), 2);
    let set = &calls[0];
    assert_eq!(uint(set, "res"), 0);
    assert_eq!(uint(set, "cmd"), 1, "PPM_FSCONFIG_SET_STRING");
    assert_eq!(rendered(set, "cmd"), "1(FSCONFIG_SET_STRING)");
    assert_eq!(rendered(set, "key"), "size");
    assert_eq!(rendered(set, "value_charbuf"), "1m");
    assert_eq!(val(set, "value_bytebuf"), ParamValue::Empty);
    assert_eq!(uint(set, "aux"), 0);
    let bin = &calls[1];
    assert_eq!(uint(bin, "cmd"), 2, "PPM_FSCONFIG_SET_BINARY");
    assert_eq!(rendered(bin, "cmd"), "2(FSCONFIG_SET_BINARY)");
    assert_eq!(rendered(bin, "key"), "size");
    assert_eq!(
        val(bin, "value_bytebuf"),
        ParamValue::Empty,
        "a failed call sends no value"
    );
    assert_eq!(val(bin, "value_charbuf"), ParamValue::Empty);
    assert_eq!(uint(bin, "aux"), 3);
}

#[test]
fn recvmsg_and_recvmmsg_carry_the_control_data() {
    let Some(mut probe) = probe_for(&["sendmsg", "recvmsg", "recvmmsg"]) else {
        return;
    };
    let shared = Shared::new();
    let payload = b"fd".to_vec();
    let mut inbuf = vec![0u8; 16];
    // cmsghdr (len 20, SOL_SOCKET, SCM_RIGHTS) + one fd, padded to CMSG_SPACE(4) = 24
    let mut ctl_out = [0u8; 24];
    ctl_out[..8].copy_from_slice(&20u64.to_le_bytes());
    ctl_out[8..12].copy_from_slice(&1i32.to_le_bytes());
    ctl_out[12..16].copy_from_slice(&1i32.to_le_bytes()); // fd 0 follows: pass stdin
    let mut ctl_in = [0u8; 64];
    let mut ctl_in2 = [0u8; 64];
    let pid = fork_child(|| {
        // SAFETY: raw syscalls on buffers made before the fork; the msghdrs point into them.
        unsafe {
            let mut sv = [0i32; 2];
            if libc::socketpair(libc::AF_UNIX, libc::SOCK_DGRAM, 0, sv.as_mut_ptr()) != 0 {
                return 1;
            }
            for _ in 0..2 {
                let mut iov = libc::iovec {
                    iov_base: payload.as_ptr() as *mut _,
                    iov_len: payload.len(),
                };
                let mut m: libc::msghdr = std::mem::zeroed();
                m.msg_iov = &mut iov;
                m.msg_iovlen = 1;
                m.msg_control = ctl_out.as_mut_ptr().cast();
                m.msg_controllen = ctl_out.len();
                if libc::sendmsg(sv[0], &m, 0) != 2 {
                    return 2;
                }
            }
            let mut iov = libc::iovec {
                iov_base: inbuf.as_mut_ptr().cast(),
                iov_len: inbuf.len(),
            };
            let mut m: libc::msghdr = std::mem::zeroed();
            m.msg_iov = &mut iov;
            m.msg_iovlen = 1;
            m.msg_control = ctl_in.as_mut_ptr().cast();
            m.msg_controllen = ctl_in.len();
            if libc::recvmsg(sv[1], &mut m, 0) != 2 {
                return 3;
            }
            shared.set(0, m.msg_controllen as u64);
            let mut mm: libc::mmsghdr = std::mem::zeroed();
            mm.msg_hdr.msg_iov = &mut iov;
            mm.msg_hdr.msg_iovlen = 1;
            mm.msg_hdr.msg_control = ctl_in2.as_mut_ptr().cast();
            mm.msg_hdr.msg_controllen = ctl_in2.len();
            if libc::recvmmsg(sv[1], &mut mm, 1, 0, std::ptr::null_mut()) != 1 {
                return 4;
            }
            shared.set(1, mm.msg_hdr.msg_controllen as u64);
        }
        0
    });
    wait_exit(pid);
    let events = events_of(&mut probe, pid, &["sendmsg", "recvmsg", "recvmmsg"]);
    assert_eq!(shared.get(0), 24, "CMSG_SPACE(4) of control data received");
    let rm = event(&events, "recvmsg");
    let c = bytes(&rm, "msgcontrol");
    assert_eq!(c.len(), 24, "msg_controllen after the call");
    assert_eq!(&c[..16], &ctl_out[..16], "cmsg_len 20, SOL_SOCKET, SCM_RIGHTS");
    let received_fd = i32::from_le_bytes(c[16..20].try_into().unwrap());
    assert!(received_fd > 2, "the fd installed in the receiver, not the sender's 0");
    let rmm = event(&events, "recvmmsg");
    let c2 = bytes(&rmm, "msgcontrol");
    assert_eq!(c2.len() as u64, shared.get(1));
    assert_eq!(&c2[..16], &ctl_out[..16]);
    assert_eq!(bytes(&event(&events, "sendmsg"), "data"), b"fd");
}

#[test]
fn io_uring_calls_carry_params_flags_and_opcode() {
    let Some(mut probe) = probe_for(&["io_uring_setup", "io_uring_enter", "io_uring_register"]) else {
        return;
    };
    let shared = Shared::new();
    // struct io_uring_params (120 bytes): sq_entries, cq_entries, flags, sq_thread_cpu,
    // sq_thread_idle, features, wq_fd, resv[3], sq_off (40), cq_off (40)
    let mut params = [0u32; 30];
    params[1] = 64; // cq_entries, with IORING_SETUP_CQSIZE
    params[2] = 8 | 16; // IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP
    let pid = fork_child(|| {
        // SAFETY: raw syscalls on integers and the params array made before the fork.
        unsafe {
            let fd = libc::syscall(libc::SYS_io_uring_setup, 8, params.as_mut_ptr());
            if fd < 0 {
                return 1;
            }
            shared.set(0, fd as u64);
            shared.set(1, params[0] as u64);
            shared.set(2, params[1] as u64);
            shared.set(3, params[5] as u64);
            // IORING_ENTER_GETEVENTS with nothing to wait for
            if libc::syscall(libc::SYS_io_uring_enter, fd, 0, 0, 1, 0, 0) < 0 {
                return 2;
            }
            // IORING_UNREGISTER_BUFFERS without buffers: fails
            libc::syscall(libc::SYS_io_uring_register, fd, 1, 0, 0);
        }
        0
    });
    wait_exit(pid);
    let events = events_of(
        &mut probe,
        pid,
        &["io_uring_setup", "io_uring_enter", "io_uring_register"],
    );
    let fd = shared.get(0);

    let setup = event(&events, "io_uring_setup");
    assert_eq!(uint(&setup, "res"), fd);
    assert_eq!(uint(&setup, "entries"), 8);
    assert_eq!(uint(&setup, "sq_entries"), shared.get(1));
    assert_eq!(uint(&setup, "sq_entries"), 8);
    assert_eq!(uint(&setup, "cq_entries"), 64);
    assert_eq!(
        uint(&setup, "flags"),
        (1 << 4) | (1 << 5),
        "PPM_IORING_SETUP_CQSIZE|CLAMP"
    );
    assert_eq!(rendered(&setup, "flags"), "48(IORING_SETUP_CQSIZE|IORING_SETUP_CLAMP)");
    assert!(
        rendered(&setup, "features").contains("(IORING_FEAT_SINGLE_MMAP|IORING_FEAT_NODROP|"),
        "{}",
        rendered(&setup, "features")
    );
    assert_ne!(shared.get(3), 0);
    assert_eq!(
        uint(&setup, "features"),
        shared.get(3) & 0x7ff,
        "the features the kernel wrote"
    );

    let enter = event(&events, "io_uring_enter");
    assert_eq!(uint(&enter, "fd"), fd);
    assert_eq!(uint(&enter, "to_submit"), 0);
    assert_eq!(uint(&enter, "flags"), 1, "PPM_IORING_ENTER_GETEVENTS");
    assert_eq!(rendered(&enter, "flags"), "1(IORING_ENTER_GETEVENTS)");

    let reg = event(&events, "io_uring_register");
    assert_eq!(uint(&reg, "fd"), fd);
    assert_eq!(uint(&reg, "opcode"), 1, "PPM_IORING_UNREGISTER_BUFFERS");
    assert_eq!(rendered(&reg, "opcode"), "1(IORING_UNREGISTER_BUFFERS)");
    assert_eq!(rendered(&reg, "arg"), "0", "a NULL arg in hex");
    assert_eq!(uint(&reg, "nr_args"), 0);
}

#[test]
fn sendmmsg_and_recvmmsg_make_an_event_per_message() {
    let Some(mut probe) = probe_for(&["sendmmsg", "recvmmsg"]) else {
        return;
    };
    let texts: [&[u8]; 3] = [b"alpha", b"bravo!", b"charlie!!"];
    let mut inbufs = [[0u8; 32]; 3];
    // recvmmsg's first message carries an fd (SCM_RIGHTS), the others none
    let mut ctl_out = [0u8; 24];
    ctl_out[..8].copy_from_slice(&20u64.to_le_bytes());
    ctl_out[8..12].copy_from_slice(&1i32.to_le_bytes());
    ctl_out[12..16].copy_from_slice(&1i32.to_le_bytes());
    let mut ctl_in = [[0u8; 64]; 3];
    let pid = fork_child(|| {
        // SAFETY: raw syscalls on buffers made before the fork; the headers point into them.
        unsafe {
            let mut sv = [0i32; 2];
            if libc::socketpair(libc::AF_UNIX, libc::SOCK_DGRAM, 0, sv.as_mut_ptr()) != 0 {
                return 1;
            }
            let mut iov: [libc::iovec; 3] = std::mem::zeroed();
            let mut mm: [libc::mmsghdr; 3] = std::mem::zeroed();
            for i in 0..3 {
                iov[i] = libc::iovec {
                    iov_base: texts[i].as_ptr() as *mut _,
                    iov_len: texts[i].len(),
                };
                mm[i].msg_hdr.msg_iov = &mut iov[i];
                mm[i].msg_hdr.msg_iovlen = 1;
            }
            mm[0].msg_hdr.msg_control = ctl_out.as_mut_ptr().cast();
            mm[0].msg_hdr.msg_controllen = ctl_out.len();
            if libc::sendmmsg(sv[0], mm.as_mut_ptr(), 3, 0) != 3 {
                return 2;
            }
            for i in 0..3 {
                iov[i] = libc::iovec {
                    iov_base: inbufs[i].as_mut_ptr().cast(),
                    iov_len: inbufs[i].len(),
                };
                mm[i] = std::mem::zeroed();
                mm[i].msg_hdr.msg_iov = &mut iov[i];
                mm[i].msg_hdr.msg_iovlen = 1;
                mm[i].msg_hdr.msg_control = ctl_in[i].as_mut_ptr().cast();
                mm[i].msg_hdr.msg_controllen = ctl_in[i].len();
            }
            if libc::recvmmsg(sv[1], mm.as_mut_ptr(), 3, 0, std::ptr::null_mut()) != 3 {
                return 3;
            }
        }
        0
    });
    wait_exit(pid);
    let events = events_of(&mut probe, pid, &["sendmmsg", "recvmmsg"]);
    let sends = all_events(&events, "sendmmsg");
    let recvs = all_events(&events, "recvmmsg");
    assert_eq!((sends.len(), recvs.len()), (3, 3), "an event per message");
    for (i, text) in texts.iter().enumerate() {
        let (s, r) = (&sends[i], &recvs[i]);
        assert_eq!(uint(s, "res"), text.len() as u64, "the message's msg_len");
        assert_eq!(uint(s, "size"), text.len() as u64, "the message's iov_len sum");
        assert_eq!(bytes(s, "data"), *text);
        assert_eq!(uint(r, "res"), text.len() as u64);
        assert_eq!(uint(r, "size"), text.len() as u64);
        assert_eq!(bytes(r, "data"), *text);
        assert!(
            matches!(val(s, "tuple"), ParamValue::SockTuple(_)),
            "{:?}",
            val(s, "tuple")
        );
    }
    let c = bytes(&recvs[0], "msgcontrol");
    assert_eq!(c.len(), 24, "CMSG_SPACE(4)");
    assert_eq!(&c[..16], &ctl_out[..16], "cmsg_len 20, SOL_SOCKET, SCM_RIGHTS");
    assert_eq!(val(&recvs[1], "msgcontrol"), ParamValue::Empty, "no control data");
}

/// A UDP socket bound to 127.0.0.1 on a free port, and that port.
fn udp_loopback() -> (std::net::UdpSocket, u16) {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind a UDP socket");
    let port = s.local_addr().unwrap().port();
    (s, port)
}

#[test]
fn mmsg_tuples_of_unconnected_sockets_name_each_peer() {
    use std::os::fd::AsRawFd;
    let Some(mut probe) = probe_for(&["sendmmsg", "recvmmsg"]) else {
        return;
    };
    // An unconnected sender sends one message to each of two receivers.
    let (tx, tx_port) = udp_loopback();
    let (rx1, rx1_port) = udp_loopback();
    let (rx2, rx2_port) = udp_loopback();
    let name = |port: u16| libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes([127, 0, 0, 1]),
        },
        sin_zero: [0; 8],
    };
    let mut names = [name(rx1_port), name(rx2_port)];
    let texts: [&[u8]; 2] = [b"to-one", b"to-two"];
    let mut from = [name(0)];
    let mut inbuf = [0u8; 32];
    let (txfd, rx1fd, rx2fd) = (tx.as_raw_fd(), rx1.as_raw_fd(), rx2.as_raw_fd());
    let pid = fork_child(|| {
        // SAFETY: raw syscalls on sockets and buffers made before the fork; the headers point
        // into them.
        unsafe {
            let mut iov: [libc::iovec; 2] = std::mem::zeroed();
            let mut mm: [libc::mmsghdr; 2] = std::mem::zeroed();
            for i in 0..2 {
                iov[i] = libc::iovec {
                    iov_base: texts[i].as_ptr() as *mut _,
                    iov_len: texts[i].len(),
                };
                mm[i].msg_hdr.msg_name = (&mut names[i] as *mut libc::sockaddr_in).cast();
                mm[i].msg_hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_in>() as u32;
                mm[i].msg_hdr.msg_iov = &mut iov[i];
                mm[i].msg_hdr.msg_iovlen = 1;
            }
            if libc::sendmmsg(txfd, mm.as_mut_ptr(), 2, 0) != 2 {
                return 1;
            }
            // rx1 receives its message with the sender's name
            let mut riov = libc::iovec {
                iov_base: inbuf.as_mut_ptr().cast(),
                iov_len: inbuf.len(),
            };
            let mut r: libc::mmsghdr = std::mem::zeroed();
            r.msg_hdr.msg_name = from.as_mut_ptr().cast();
            r.msg_hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_in>() as u32;
            r.msg_hdr.msg_iov = &mut riov;
            r.msg_hdr.msg_iovlen = 1;
            if libc::recvmmsg(rx1fd, &mut r, 1, 0, std::ptr::null_mut()) != 1 {
                return 2;
            }
            // rx2 receives without asking for the name
            r.msg_hdr.msg_name = std::ptr::null_mut();
            r.msg_hdr.msg_namelen = 0;
            if libc::recvmmsg(rx2fd, &mut r, 1, 0, std::ptr::null_mut()) != 1 {
                return 3;
            }
        }
        0
    });
    wait_exit(pid);
    let events = events_of(&mut probe, pid, &["sendmmsg", "recvmmsg"]);
    let sends = all_events(&events, "sendmmsg");
    assert_eq!(sends.len(), 2, "an event per message");
    assert_eq!(
        [rendered(&sends[0], "tuple"), rendered(&sends[1], "tuple")],
        [
            format!("127.0.0.1:{tx_port}->127.0.0.1:{rx1_port}"),
            format!("127.0.0.1:{tx_port}->127.0.0.1:{rx2_port}"),
        ],
        "each message's destination from its msg_name"
    );
    let recvs = all_events(&events, "recvmmsg");
    assert_eq!(recvs.len(), 2);
    assert_eq!(
        rendered(&recvs[0], "tuple"),
        format!("127.0.0.1:{tx_port}->127.0.0.1:{rx1_port}"),
        "the sender from msg_name, first (Falco's inbound order: remote → local)"
    );
    assert_eq!(
        rendered(&recvs[1], "tuple"),
        format!("0.0.0.0:0->127.0.0.1:{rx2_port}"),
        "no msg_name: the unconnected socket's tuple (no remote end, then itself)"
    );
    drop((tx, rx1, rx2));
}

/// The tuple of every event called `name`.
fn tuples<'a>(events: &'a [Vec<u8>], name: &str) -> Vec<SockTuple<'a>> {
    all_events(events, name)
        .iter()
        .map(|d| match val(d, "tuple") {
            ParamValue::SockTuple(t) => t,
            v => panic!("{name} tuple: {v:?}"),
        })
        .collect()
}

/// The raw `struct sockaddr_in` of an IPv4 address, as a call takes it.
fn sockaddr_v4(ip: [u8; 4], port: u16) -> Vec<u8> {
    let mut b = vec![0u8; 16];
    b[..2].copy_from_slice(&(libc::AF_INET as u16).to_le_bytes());
    b[2..4].copy_from_slice(&port.to_be_bytes());
    b[4..8].copy_from_slice(&ip);
    b
}

/// The raw `struct sockaddr_un` of a path, as a call takes it.
fn sockaddr_unix(path: &Path) -> Vec<u8> {
    let mut b = (libc::AF_UNIX as u16).to_le_bytes().to_vec();
    b.extend_from_slice(path.as_os_str().as_bytes());
    b.push(0);
    b
}

/// Live tuples in the order of Falco's driver: a TCP client and server, a UDP client (sendto)
/// and server (recvfrom), a unix stream client and server and an unconnected unix datagram
/// sender all name the same ends the same way (client → server; unix: the server-side socket,
/// the client socket, the server path).
#[test]
fn socket_tuples_follow_falcos_order_for_clients_and_servers() {
    use std::net::{Ipv4Addr, TcpListener, UdpSocket};
    use std::os::fd::AsRawFd;
    use std::os::unix::net::{UnixDatagram, UnixListener};
    let names = ["connect", "accept4", "sendto", "recvfrom", "sendmsg", "recvmsg"];
    let Some(mut probe) = probe_for(&names) else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("saker-tuples-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (stream_path, dgram_path) = (dir.join("stream"), dir.join("dgram"));
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp_port = tcp.local_addr().unwrap().port();
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let udp_port = udp.local_addr().unwrap().port();
    let ul = UnixListener::bind(&stream_path).unwrap();
    let ud = UnixDatagram::bind(&dgram_path).unwrap();
    let (tcp_fd, udp_fd, ul_fd, ud_fd) = (tcp.as_raw_fd(), udp.as_raw_fd(), ul.as_raw_fd(), ud.as_raw_fd());
    let tcp_sa = sockaddr_v4([127, 0, 0, 1], tcp_port);
    let udp_sa = sockaddr_v4([127, 0, 0, 1], udp_port);
    let stream_sa = sockaddr_unix(&stream_path);
    let dgram_sa = sockaddr_unix(&dgram_path);
    let mut buf = vec![0u8; 64];
    let mut from = vec![0u8; 128];
    let pid = fork_child(|| {
        // SAFETY: raw syscalls on buffers allocated before the fork.
        unsafe {
            let b = buf.as_mut_ptr().cast::<libc::c_void>();
            let sa = |v: &Vec<u8>| (v.as_ptr().cast::<libc::sockaddr>(), v.len() as libc::socklen_t);
            // TCP client and server.
            let c = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
            if c < 0 || libc::connect(c, sa(&tcp_sa).0, sa(&tcp_sa).1) != 0 {
                return 1;
            }
            let a = libc::accept4(tcp_fd, std::ptr::null_mut(), std::ptr::null_mut(), 0);
            if a < 0 || libc::sendto(c, b"t".as_ptr().cast(), 1, 0, std::ptr::null(), 0) != 1 {
                return 2;
            }
            if libc::recvfrom(a, b, 64, 0, std::ptr::null_mut(), std::ptr::null_mut()) != 1 {
                return 3;
            }
            // UDP: an unconnected client sends, the server receives with the sender's address.
            let u = libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0);
            if u < 0 || libc::sendto(u, b"u".as_ptr().cast(), 1, 0, sa(&udp_sa).0, sa(&udp_sa).1) != 1 {
                return 4;
            }
            let mut len = from.len() as libc::socklen_t;
            if libc::recvfrom(udp_fd, b, 64, 0, from.as_mut_ptr().cast(), &mut len) != 1 {
                return 5;
            }
            // Unix stream client and server.
            let x = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0);
            if x < 0 || libc::connect(x, sa(&stream_sa).0, sa(&stream_sa).1) != 0 {
                return 6;
            }
            let y = libc::accept4(ul_fd, std::ptr::null_mut(), std::ptr::null_mut(), 0);
            let mut iov = libc::iovec {
                iov_base: b,
                iov_len: 1,
            };
            let mut m: libc::msghdr = std::mem::zeroed();
            m.msg_iov = &mut iov;
            m.msg_iovlen = 1;
            if y < 0 || libc::sendmsg(x, &m, 0) != 1 || libc::recvmsg(y, &mut m, 0) != 1 {
                return 7;
            }
            // An unconnected unix datagram socket sends to the bound one.
            let z = libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM, 0);
            if z < 0 || libc::sendto(z, b"d".as_ptr().cast(), 1, 0, sa(&dgram_sa).0, sa(&dgram_sa).1) != 1 {
                return 8;
            }
            if libc::recvfrom(ud_fd, b, 64, 0, std::ptr::null_mut(), std::ptr::null_mut()) != 1 {
                return 9;
            }
        }
        0
    });
    wait_exit(pid);
    let events = events_of(&mut probe, pid, &names);
    let seen = |name: &str| format!("{name}: {:?}", tuples(&events, name));
    let loopback = Ipv4Addr::LOCALHOST;

    // TCP: connect, accept4, the client's send and the server's receive: client → server.
    let connect = tuples(&events, "connect");
    let tcp_tuple = connect
        .iter()
        .find(|t| matches!(t, SockTuple::V4 { dst, .. } if dst.1 == tcp_port))
        .cloned()
        .unwrap_or_else(|| panic!("no TCP connect; {}", seen("connect")));
    let SockTuple::V4 {
        src: client,
        dst: server,
    } = tcp_tuple.clone()
    else {
        unreachable!()
    };
    assert_eq!(server, (loopback, tcp_port), "{}", seen("connect"));
    assert_eq!(client.0, loopback, "{}", seen("connect"));
    assert!(client.1 != 0 && client.1 != tcp_port, "{}", seen("connect"));
    for name in ["accept4", "sendto", "recvfrom"] {
        assert!(
            tuples(&events, name).contains(&tcp_tuple),
            "{name} of the TCP pair, want {tcp_tuple:?}; {}",
            seen(name)
        );
    }

    // UDP: the sender's tuple is its own end (unbound address) → the destination it named;
    // the receiver's is the sender (from src_addr) → itself.
    let sends = tuples(&events, "sendto");
    let Some(&SockTuple::V4 { src: udp_client, dst }) = sends
        .iter()
        .find(|t| matches!(t, SockTuple::V4 { dst, .. } if dst.1 == udp_port))
    else {
        panic!("no UDP sendto towards port {udp_port}; {}", seen("sendto"))
    };
    assert_eq!(dst, (loopback, udp_port));
    assert_eq!(
        udp_client.0,
        Ipv4Addr::UNSPECIFIED,
        "an unconnected socket has no local address"
    );
    assert_ne!(udp_client.1, 0, "the send bound a port");
    let want = SockTuple::V4 {
        src: (loopback, udp_client.1),
        dst: (loopback, udp_port),
    };
    assert!(
        tuples(&events, "recvfrom").contains(&want),
        "UDP recvfrom, want {want:?}; {}",
        seen("recvfrom")
    );

    // Unix stream: connect, accept4, sendmsg and recvmsg all read (server-side socket, client
    // socket, server path).
    let path = stream_path.as_os_str().as_bytes();
    let unix_connect = connect
        .iter()
        .find(|t| matches!(t, SockTuple::Unix { path: p, .. } if *p == path))
        .cloned()
        .unwrap_or_else(|| panic!("no unix connect to {path:?}; {}", seen("connect")));
    let SockTuple::Unix { source, dest, .. } = unix_connect.clone() else {
        unreachable!()
    };
    assert!(source != 0 && dest != 0 && source != dest, "{unix_connect:?}");
    for name in ["accept4", "sendmsg", "recvmsg"] {
        assert_eq!(
            tuples(&events, name).iter().filter(|t| **t == unix_connect).count(),
            1,
            "{name}, want {unix_connect:?}; {}",
            seen(name)
        );
    }

    // Unix datagram, unconnected: the sender names no peer, itself, then the destination path;
    // the receiver itself, no peer, then its own path.
    let dpath = dgram_path.as_os_str().as_bytes();
    let Some(&SockTuple::Unix {
        source: 0,
        dest: sender,
        ..
    }) = sends
        .iter()
        .find(|t| matches!(t, SockTuple::Unix { path: p, .. } if *p == dpath))
    else {
        panic!("no unix sendto naming {dpath:?} with no peer; {}", seen("sendto"))
    };
    let recvs = tuples(&events, "recvfrom");
    let Some(&SockTuple::Unix {
        source: receiver,
        dest: 0,
        ..
    }) = recvs
        .iter()
        .find(|t| matches!(t, SockTuple::Unix { path: p, .. } if *p == dpath))
    else {
        panic!("no unix recvfrom on {dpath:?} without a peer; {}", seen("recvfrom"))
    };
    assert!(
        sender != 0 && receiver != 0 && sender != receiver,
        "{sender:#x} {receiver:#x}"
    );

    drop((tcp, udp, ul, ud));
    let _ = std::fs::remove_dir_all(&dir);
}
