//! Seeds the state at start from /proc (processes, threads, their fds) and /etc (users,
//! groups), as libscap's /proc scan does. The result is capture records
//! ([`ProcessEntry`], [`FdEntry`], [`UserListEntry`]) so the same values go to the state and
//! to a capture file. Processes that exit during the scan are skipped and counted.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::scap::{
    fd_type, CaptureWriter, FdEntry, FdInfo, Interface, ProcessEntry, ScapError, UserListEntry, LOGINUID_UNSET,
    MAX_LIST_LEN,
};
use crate::state::ThreadTable;

use super::linux_flags::open_flags;
use super::records::{KernelTask, TaskBlock, EXE_FROM_MEMFD, EXE_LOWER_LAYER, EXE_UPPER_LAYER, EXE_WRITABLE};

/// `scap_l4_proto` values of fd list entries.
const L4_TCP: u8 = 1;
const L4_UDP: u8 = 2;
/// TCP state `LISTEN` in /proc/net/tcp*.
const TCP_LISTEN: &str = "0A";

/// What a scan found and skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanStats {
    pub processes: u64,
    pub threads: u64,
    pub fds: u64,
    /// Processes, threads or fds that disappeared between listing and reading (normal races).
    pub vanished: u64,
    /// Entries skipped for another error (permissions…).
    pub unreadable: u64,
    /// Tasks the kernel listed (BPF task iterator); 0 when it was not available.
    pub kernel_tasks: u64,
    /// Of those, tasks /proc did not list (hidden from it, or started during the scan):
    /// seeded from the kernel's fields.
    pub kernel_only: u64,
}

/// The seeded process, fd and user lists.
#[derive(Debug, Clone, Default)]
pub struct ProcSnapshot {
    pub processes: Vec<ProcessEntry>,
    /// Fds, grouped by `tid` (the main thread of each process).
    pub fds: Vec<FdEntry>,
    pub users: Vec<UserListEntry>,
    /// The host's network addresses (libsinsp completes half-known socket tuples with them).
    pub interfaces: Vec<Interface>,
    pub stats: ScanStats,
}

impl ProcSnapshot {
    /// Adds everything to the state.
    pub fn apply(&self, state: &mut ThreadTable) {
        for p in &self.processes {
            state.add_process_entry(p);
        }
        for f in &self.fds {
            state.add_fd_entry(f);
        }
        for u in &self.users {
            state.add_user_entry(u);
        }
        for i in &self.interfaces {
            state.add_interface(i);
        }
    }

    /// Completes the scan with the kernel's task list: what /proc does not tell (whether the
    /// executable is writable by the task's user or on an overlayfs layer, the start of the
    /// task's pid namespace) and what it could not read; tasks /proc did not list at all are
    /// added (threads take their process's entry when /proc listed the process).
    pub fn merge_kernel_tasks(&mut self, tasks: &[KernelTask]) {
        let mut by_tid: HashMap<u64, &KernelTask> = tasks.iter().map(|k| (u64::from(k.tid), k)).collect();
        for p in &mut self.processes {
            if let Some(k) = by_tid.remove(&p.tid) {
                complete_from_kernel(p, &k.task);
            }
        }
        let mut rest: Vec<&KernelTask> = by_tid.into_values().collect();
        rest.sort_unstable_by_key(|k| k.tid);
        for k in rest {
            let pid = u64::from(k.pid);
            let mut entry = match self.processes.iter().find(|p| p.tid == pid) {
                Some(main) => main.clone(),
                None => kernel_entry(k),
            };
            entry.tid = u64::from(k.tid);
            entry.vtid = i64::from(k.task.vtid);
            entry.comm = String::from_utf8_lossy(k.task.comm()).into_owned();
            self.processes.push(entry);
            self.stats.kernel_only += 1;
        }
        self.stats.kernel_tasks = tasks.len() as u64;
    }

    /// Writes the process, fd and user lists to a capture.
    pub fn write_to<W: Write>(&self, w: &mut CaptureWriter<W>) -> Result<(), ScapError> {
        w.write_processes(&self.processes)?;
        for group in self.fds.chunk_by(|a, b| a.tid == b.tid) {
            w.write_fds(group[0].tid, group)?;
        }
        w.write_users(&self.users)?;
        w.write_interfaces(&self.interfaces)
    }
}

/// Fills in what only the kernel knows, and what /proc could not be read for.
fn complete_from_kernel(p: &mut ProcessEntry, t: &TaskBlock) {
    p.pidns_init_start_ts = t.pidns_init_start_ts;
    p.exe_writable = t.exe_flags & EXE_WRITABLE != 0;
    p.exe_upper_layer = t.exe_flags & EXE_UPPER_LAYER != 0;
    p.exe_lower_layer = t.exe_flags & EXE_LOWER_LAYER != 0;
    p.exe_from_memfd |= t.exe_flags & EXE_FROM_MEMFD != 0;
    if p.exe_ino == 0 {
        p.exe_ino = t.exe_ino;
        p.exe_ino_ctime = t.exe_ctime;
        p.exe_ino_mtime = t.exe_mtime;
    }
    if p.fdlimit == 0 {
        p.fdlimit = t.fdlimit;
    }
}

/// A task that only the kernel listed.
fn kernel_entry(k: &KernelTask) -> ProcessEntry {
    let t = &k.task;
    let comm = String::from_utf8_lossy(t.comm()).into_owned();
    let mut p = ProcessEntry {
        tid: u64::from(k.tid),
        pid: u64::from(k.pid),
        ptid: u64::from(t.ppid),
        sid: i64::from(t.sid),
        pgid: i64::from(t.pgid),
        vpgid: i64::from(t.vpgid),
        exe: comm.clone(),
        comm,
        uid: t.uid,
        gid: t.gid,
        loginuid: t.loginuid,
        tty: t.tty,
        cap_inheritable: t.cap_inheritable,
        cap_permitted: t.cap_permitted,
        cap_effective: t.cap_effective,
        vtid: i64::from(t.vtid),
        vpid: i64::from(t.vpid),
        vmsize_kb: t.vm_size,
        vmrss_kb: t.vm_rss,
        vmswap_kb: t.vm_swap,
        pfmajor: t.pgft_maj,
        pfminor: t.pgft_min,
        ..ProcessEntry::default()
    };
    complete_from_kernel(&mut p, t);
    p
}

/// Where to scan (the host's /proc and /etc unless a test or a container says otherwise).
#[derive(Debug, Clone)]
pub struct ProcScanner {
    pub proc_root: PathBuf,
    pub etc_root: PathBuf,
}

impl Default for ProcScanner {
    fn default() -> Self {
        ProcScanner {
            proc_root: PathBuf::from("/proc"),
            etc_root: PathBuf::from("/etc"),
        }
    }
}

/// Sockets of one network namespace by inode.
type SocketMap = HashMap<u64, FdInfo>;

/// Reads a file; `Err(true)` when it vanished, `Err(false)` for other errors.
fn read(path: &Path) -> Result<Vec<u8>, bool> {
    fs::read(path).map_err(|e| matches!(e.kind(), ErrorKind::NotFound) || e.raw_os_error() == Some(libc::ESRCH))
}

fn read_link(path: &Path) -> String {
    fs::read_link(path)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).trim_end_matches('\n').to_string()
}

/// `Key:\tvalue` lines of /proc/PID/status.
fn status_field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .map(str::trim)
}

fn status_nth(status: &str, key: &str, n: usize) -> Option<u64> {
    status_field(status, key)?.split_whitespace().nth(n)?.parse().ok()
}

fn status_last(status: &str, key: &str) -> Option<i64> {
    status_field(status, key)?.split_whitespace().last()?.parse().ok()
}

fn status_hex(status: &str, key: &str) -> u64 {
    status_field(status, key)
        .and_then(|v| u64::from_str_radix(v, 16).ok())
        .unwrap_or(0)
}

/// The kernel's `new_encode_dev` of a user-space `dev_t`.
fn kernel_dev(dev: u64) -> u32 {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    ((minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)) as u32
}

/// A NUL-separated list (args, environment, cgroups) cut to what a process entry holds, as
/// libscap's scan reads at most that much: whole entries are kept, a single entry longer than
/// the limit is cut inside.
fn bounded_list(mut list: Vec<u8>) -> Vec<u8> {
    if list.len() > MAX_LIST_LEN {
        let cut = list[..MAX_LIST_LEN]
            .iter()
            .rposition(|&c| c == 0)
            .map_or(MAX_LIST_LEN, |i| i + 1);
        list.truncate(cut);
    }
    list
}

/// `/proc/PID/cgroup` → `subsys=path` entries; the v2 line `0::path` stands for every
/// enabled controller (`controllers`).
fn cgroups(text: &str, controllers: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, subsys, path) = match (parts.next(), parts.next(), parts.next()) {
            (Some(h), Some(s), Some(p)) => (h, s, p),
            _ => continue,
        };
        let names: Vec<&str> = if subsys.is_empty() {
            controllers.iter().map(String::as_str).collect()
        } else {
            subsys
                .split(',')
                .map(|s| s.strip_prefix("name=").unwrap_or(s))
                .collect()
        };
        for n in names {
            out.extend_from_slice(n.as_bytes());
            out.push(b'=');
            out.extend_from_slice(path.as_bytes());
            out.push(0);
        }
    }
    out
}

/// The fields of /proc/PID/stat after the comm.
fn stat_fields(stat: &str) -> Vec<&str> {
    stat.rfind(')')
        .map(|i| stat[i + 1..].split_whitespace().collect())
        .unwrap_or_default()
}

fn nth<T: std::str::FromStr + Default>(f: &[&str], i: usize) -> T {
    f.get(i).and_then(|v| v.parse().ok()).unwrap_or_default()
}

/// `0100007F:1F90` → (address bytes in network order, port).
fn hex_endpoint(s: &str) -> Option<(Vec<u8>, u16)> {
    let (addr, port) = s.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let mut out = Vec::with_capacity(16);
    for chunk in addr.as_bytes().chunks(8) {
        let word = u32::from_str_radix(std::str::from_utf8(chunk).ok()?, 16).ok()?;
        out.extend_from_slice(&word.to_le_bytes());
    }
    Some((out, port))
}

/// Parses /proc/net/{tcp,udp}[6] of one namespace into `map`.
fn parse_inet(text: &str, l4proto: u8, map: &mut SocketMap) {
    let rows: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split_whitespace().collect()).collect();
    let listening: HashSet<u16> = rows
        .iter()
        .filter(|r| r.get(3) == Some(&TCP_LISTEN) && l4proto == L4_TCP)
        .filter_map(|r| hex_endpoint(r.get(1)?).map(|e| e.1))
        .collect();
    for r in rows {
        let (Some(local), Some(remote), Some(st), Some(ino)) = (r.get(1), r.get(2), r.get(3), r.get(9)) else {
            continue;
        };
        let (Some((la, lp)), Some((ra, rp)), Ok(ino)) = (hex_endpoint(local), hex_endpoint(remote), ino.parse()) else {
            continue;
        };
        let server = if l4proto == L4_TCP { *st == TCP_LISTEN } else { rp == 0 };
        // An accepted connection: the client is the remote end.
        let ((sa, sp), (da, dp)) = if listening.contains(&lp) {
            ((ra.clone(), rp), (la.clone(), lp))
        } else {
            ((la.clone(), lp), (ra.clone(), rp))
        };
        let info = match (la.len(), server) {
            (4, true) => FdInfo::Ipv4Server {
                ip: la[..4].try_into().unwrap_or_default(),
                port: lp,
                l4proto,
            },
            (16, true) => FdInfo::Ipv6Server {
                ip: la[..16].try_into().unwrap_or_default(),
                port: lp,
                l4proto,
            },
            (4, false) => FdInfo::Ipv4Socket {
                sip: sa[..4].try_into().unwrap_or_default(),
                dip: da[..4].try_into().unwrap_or_default(),
                sport: sp,
                dport: dp,
                l4proto,
            },
            (16, false) => FdInfo::Ipv6Socket {
                sip: sa[..16].try_into().unwrap_or_default(),
                dip: da[..16].try_into().unwrap_or_default(),
                sport: sp,
                dport: dp,
                l4proto,
            },
            _ => continue,
        };
        map.insert(ino, info);
    }
}

/// Parses /proc/net/unix into `map`.
fn parse_unix(text: &str, map: &mut SocketMap) {
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (Some(num), Some(ino)) = (f.first(), f.get(6)) else {
            continue;
        };
        let source = u64::from_str_radix(num.trim_end_matches(':'), 16).unwrap_or(0);
        let Ok(ino) = ino.parse() else { continue };
        map.insert(
            ino,
            FdInfo::Unix {
                source,
                dest: 0,
                name: f.get(7).map(|s| s.to_string()).unwrap_or_default(),
            },
        );
    }
}

/// `anon_inode:[eventfd]` and friends → their fd type and the name the live path gives them.
fn anon_inode(kind: &str) -> (u8, &'static str) {
    match kind {
        "[eventfd]" => (fd_type::EVENT, "[eventfd]"),
        "[signalfd]" => (fd_type::SIGNALFD, "[signalfd]"),
        "[eventpoll]" => (fd_type::EVENTPOLL, "[eventpoll]"),
        "inotify" => (fd_type::INOTIFY, "[inotify]"),
        "[timerfd]" => (fd_type::TIMERFD, "[timerfd]"),
        "[userfaultfd]" => (fd_type::USERFAULTFD, "[userfaultfd]"),
        "[io_uring]" => (fd_type::IOURING, "[io_uring]"),
        "[pidfd]" => (fd_type::PIDFD, "[pidfd]"),
        k if k.starts_with("bpf") => (fd_type::BPF, "[bpf]"),
        _ => (fd_type::UNSUPPORTED, ""),
    }
}

/// `pipe:[123]` → 123.
fn bracket_ino(target: &str, prefix: &str) -> Option<u64> {
    target
        .strip_prefix(prefix)?
        .strip_prefix('[')?
        .strip_suffix(']')?
        .parse()
        .ok()
}

impl ProcScanner {
    /// Why the kernel's task list (host thread ids) cannot complete this scan: another /proc
    /// than the host's, or Saker in a pid namespace of its own (/proc then lists its ids).
    pub fn kernel_tasks_mismatch(&self) -> Option<String> {
        if self.proc_root != Path::new("/proc") {
            return Some(format!("{} is not the host's /proc", self.proc_root.display()));
        }
        let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
        let nspid = status.lines().find_map(|l| l.strip_prefix("NSpid:"))?;
        (nspid.split_whitespace().count() > 1).then(|| {
            "Saker runs in a pid namespace other than the host's (NSpid in /proc/self/status); \
             run it with the host's pid namespace (hostPID)"
                .to_string()
        })
    }

    /// Scans every process, thread and fd, and the user and group lists.
    pub fn scan(&self) -> ProcSnapshot {
        let mut snap = ProcSnapshot {
            interfaces: super::interfaces::host_interfaces(),
            ..ProcSnapshot::default()
        };
        let controllers: Vec<String> = fs::read_to_string("/sys/fs/cgroup/cgroup.controllers")
            .map(|s| s.split_whitespace().map(String::from).collect())
            .unwrap_or_default();
        let mut nets: HashMap<u64, SocketMap> = HashMap::new();
        let mut pids: Vec<u64> = match fs::read_dir(&self.proc_root) {
            Ok(d) => d
                .flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect(),
            Err(_) => Vec::new(),
        };
        pids.sort_unstable();
        for pid in pids {
            self.scan_process(pid, &controllers, &mut nets, &mut snap);
        }
        snap.users = self.users();
        snap
    }

    fn scan_process(
        &self,
        pid: u64,
        controllers: &[String],
        nets: &mut HashMap<u64, SocketMap>,
        snap: &mut ProcSnapshot,
    ) {
        let dir = self.proc_root.join(pid.to_string());
        let skip = |snap: &mut ProcSnapshot, vanished: bool| {
            if vanished {
                snap.stats.vanished += 1;
            } else {
                snap.stats.unreadable += 1;
            }
        };
        let (stat, status) = match (read(&dir.join("stat")), read(&dir.join("status"))) {
            (Ok(s), Ok(st)) => (text(&s), text(&st)),
            (Err(v), _) | (_, Err(v)) => return skip(snap, v),
        };
        let f = stat_fields(&stat);
        let cmdline = read(&dir.join("cmdline")).unwrap_or_default();
        let (exe, args) = match cmdline.iter().position(|&c| c == 0) {
            Some(i) => (
                String::from_utf8_lossy(&cmdline[..i]).into_owned(),
                bounded_list(cmdline[i + 1..].to_vec()),
            ),
            None => (String::from_utf8_lossy(&cmdline).into_owned(), Vec::new()),
        };
        let exepath = read_link(&dir.join("exe"));
        let exe_meta = fs::metadata(dir.join("exe")).ok();
        let limits = fs::read_to_string(dir.join("limits")).unwrap_or_default();
        let fdlimit = limits
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .and_then(|l| l.split_whitespace().nth(3)?.parse().ok())
            .unwrap_or(0);
        let base = ProcessEntry {
            pid,
            ptid: status_nth(&status, "PPid", 0).unwrap_or(0),
            sid: nth(&f, 3),
            pgid: nth(&f, 2),
            vpgid: status_last(&status, "NSpgid").unwrap_or(nth(&f, 2)),
            exe: if exe.is_empty() {
                text(&read(&dir.join("comm")).unwrap_or_default())
            } else {
                exe
            },
            exe_from_memfd: exepath.starts_with("/memfd:"),
            exepath,
            args,
            env: bounded_list(read(&dir.join("environ")).unwrap_or_default()),
            cwd: read_link(&dir.join("cwd")),
            root: read_link(&dir.join("root")),
            fdlimit,
            uid: status_nth(&status, "Uid", 1).unwrap_or(0) as u32,
            gid: status_nth(&status, "Gid", 1).unwrap_or(0) as u32,
            vmsize_kb: status_nth(&status, "VmSize", 0).unwrap_or(0) as u32,
            vmrss_kb: status_nth(&status, "VmRSS", 0).unwrap_or(0) as u32,
            vmswap_kb: status_nth(&status, "VmSwap", 0).unwrap_or(0) as u32,
            pfminor: nth(&f, 7),
            pfmajor: nth(&f, 9),
            vpid: status_last(&status, "NSpid").unwrap_or(pid as i64),
            cgroups: bounded_list(cgroups(
                &fs::read_to_string(dir.join("cgroup")).unwrap_or_default(),
                controllers,
            )),
            tty: nth(&f, 4),
            loginuid: fs::read_to_string(dir.join("loginuid"))
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(LOGINUID_UNSET),
            cap_inheritable: status_hex(&status, "CapInh"),
            cap_permitted: status_hex(&status, "CapPrm"),
            cap_effective: status_hex(&status, "CapEff"),
            exe_ino: exe_meta.as_ref().map_or(0, |m| m.ino()),
            exe_ino_ctime: exe_meta
                .as_ref()
                .map_or(0, |m| (m.ctime() as u64) * 1_000_000_000 + m.ctime_nsec() as u64),
            exe_ino_mtime: exe_meta
                .as_ref()
                .map_or(0, |m| (m.mtime() as u64) * 1_000_000_000 + m.mtime_nsec() as u64),
            ..ProcessEntry::default()
        };
        let mut tids: Vec<u64> = match fs::read_dir(dir.join("task")) {
            Ok(d) => d
                .flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect(),
            Err(e) => return skip(snap, e.kind() == ErrorKind::NotFound),
        };
        tids.sort_unstable();
        snap.stats.processes += 1;
        for tid in tids {
            let tdir = dir.join("task").join(tid.to_string());
            let comm = match read(&tdir.join("comm")) {
                Ok(c) => text(&c),
                Err(v) => {
                    skip(snap, v);
                    continue;
                }
            };
            let tstatus = fs::read_to_string(tdir.join("status")).unwrap_or_default();
            snap.processes.push(ProcessEntry {
                tid,
                comm,
                vtid: status_last(&tstatus, "NSpid").unwrap_or(tid as i64),
                ..base.clone()
            });
            snap.stats.threads += 1;
        }
        let net_ino = fs::metadata(dir.join("ns/net")).map(|m| m.ino()).unwrap_or(0);
        let sockets = nets.entry(net_ino).or_insert_with(|| self.sockets(&dir));
        self.scan_fds(pid, &dir, sockets, snap);
    }

    /// The sockets of the network namespace `dir`'s process lives in.
    fn sockets(&self, dir: &Path) -> SocketMap {
        let mut map = SocketMap::new();
        for (file, proto) in [("tcp", L4_TCP), ("tcp6", L4_TCP), ("udp", L4_UDP), ("udp6", L4_UDP)] {
            if let Ok(t) = fs::read_to_string(dir.join("net").join(file)) {
                parse_inet(&t, proto, &mut map);
            }
        }
        if let Ok(t) = fs::read_to_string(dir.join("net/unix")) {
            parse_unix(&t, &mut map);
        }
        map
    }

    fn scan_fds(&self, pid: u64, dir: &Path, sockets: &SocketMap, snap: &mut ProcSnapshot) {
        let entries = match fs::read_dir(dir.join("fd")) {
            Ok(d) => d,
            Err(e) => {
                if e.kind() == ErrorKind::NotFound {
                    snap.stats.vanished += 1;
                } else {
                    snap.stats.unreadable += 1;
                }
                return;
            }
        };
        let mut fds: Vec<i64> = entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .collect();
        fds.sort_unstable();
        for fd in fds {
            let link = dir.join("fd").join(fd.to_string());
            let target = match fs::read_link(&link) {
                Ok(t) => t.to_string_lossy().into_owned(),
                Err(_) => {
                    snap.stats.vanished += 1;
                    continue;
                }
            };
            let meta = fs::metadata(&link).ok();
            let ino = meta.as_ref().map_or(0, |m| m.ino());
            let info = if target.starts_with('/') {
                if meta.as_ref().is_some_and(|m| m.is_dir()) {
                    FdInfo::Named {
                        fd_type: fd_type::DIRECTORY,
                        name: target,
                    }
                } else {
                    let fdinfo = fs::read_to_string(dir.join("fdinfo").join(fd.to_string())).unwrap_or_default();
                    let flags = fdinfo
                        .lines()
                        .find_map(|l| l.strip_prefix("flags:"))
                        .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
                        .unwrap_or(0);
                    FdInfo::File {
                        open_flags: open_flags(flags),
                        name: target,
                        dev: meta.as_ref().map(|m| kernel_dev(m.dev())),
                    }
                }
            } else if let Some(sino) = bracket_ino(&target, "socket:") {
                sockets.get(&sino).cloned().unwrap_or(FdInfo::Named {
                    fd_type: fd_type::UNKNOWN,
                    name: String::new(),
                })
            } else if bracket_ino(&target, "pipe:").is_some() {
                FdInfo::Named {
                    fd_type: fd_type::FIFO,
                    name: target,
                }
            } else if let Some(kind) = target.strip_prefix("anon_inode:") {
                let (t, name) = anon_inode(kind);
                FdInfo::Named {
                    fd_type: t,
                    name: if name.is_empty() {
                        target.clone()
                    } else {
                        name.to_string()
                    },
                }
            } else {
                FdInfo::Named {
                    fd_type: fd_type::UNSUPPORTED,
                    name: target,
                }
            };
            snap.fds.push(FdEntry {
                tid: pid,
                fd,
                ino,
                info,
            });
            snap.stats.fds += 1;
        }
    }

    /// /etc/passwd and /etc/group.
    fn users(&self) -> Vec<UserListEntry> {
        let mut out = Vec::new();
        for line in fs::read_to_string(self.etc_root.join("passwd"))
            .unwrap_or_default()
            .lines()
        {
            let f: Vec<&str> = line.split(':').collect();
            if let [name, _, uid, gid, _, home, shell, ..] = f[..] {
                if let (Ok(uid), Ok(gid)) = (uid.parse(), gid.parse()) {
                    out.push(UserListEntry::User {
                        uid,
                        gid,
                        name: name.into(),
                        home: home.into(),
                        shell: shell.into(),
                    });
                }
            }
        }
        for line in fs::read_to_string(self.etc_root.join("group"))
            .unwrap_or_default()
            .lines()
        {
            let f: Vec<&str> = line.split(':').collect();
            if let [name, _, gid, ..] = f[..] {
                if let Ok(gid) = gid.parse() {
                    out.push(UserListEntry::Group { gid, name: name.into() });
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::net::{IpAddr, Ipv4Addr, TcpListener, TcpStream};

    use super::*;
    use crate::state::FdType;

    #[test]
    fn hex_endpoints_and_cgroups_parse() {
        assert_eq!(hex_endpoint("0100007F:1F90"), Some((vec![127, 0, 0, 1], 8080)));
        let v6 = hex_endpoint("00000000000000000000000001000000:0050").unwrap();
        assert_eq!((v6.0[15], v6.1), (1, 80));
        let c = cgroups("12:cpu,cpuacct:/a\n0::/user.slice\n", &["memory".into()]);
        assert_eq!(c, b"cpu=/a\0cpuacct=/a\0memory=/user.slice\0");
        assert_eq!(kernel_dev(libc::makedev(8, 3)), 0x803);
        assert_eq!(
            kernel_dev(libc::makedev(259, 300)),
            (300 & 0xff) | (259 << 8) | ((300 & !0xff) << 12)
        );
    }

    fn kernel_task(tid: u32, pid: u32, comm: &str, exe_flags: u32) -> KernelTask {
        let mut task = TaskBlock {
            ppid: 1,
            vtid: tid,
            vpid: pid,
            uid: 1000,
            exe_flags,
            exe_ino: 77,
            pidns_init_start_ts: 5_000,
            ..TaskBlock::default()
        };
        task.comm[..comm.len()].copy_from_slice(comm.as_bytes());
        KernelTask { tid, pid, task }
    }

    #[test]
    fn the_kernels_task_list_completes_and_extends_the_scan() {
        let mut snap = ProcSnapshot::default();
        snap.processes.push(ProcessEntry {
            tid: 10,
            pid: 10,
            comm: "web".into(),
            exe: "/usr/bin/web".into(),
            args: b"--port\08080\0".to_vec(),
            exe_ino: 99,
            ..ProcessEntry::default()
        });
        snap.processes.push(ProcessEntry {
            tid: 20,
            pid: 20,
            comm: "gone".into(),
            ..ProcessEntry::default()
        });
        let tasks = [
            kernel_task(10, 10, "web", EXE_WRITABLE | EXE_UPPER_LAYER),
            kernel_task(11, 10, "web-worker", 0),
            kernel_task(30, 30, "hidden", EXE_LOWER_LAYER),
        ];
        let mut bytes = Vec::new();
        for t in &tasks {
            t.write_to(&mut bytes);
        }
        bytes.extend_from_slice(&[0; 7]); // a cut-off record is ignored
        let tasks = KernelTask::parse_all(&bytes);
        assert_eq!(tasks.len(), 3);
        snap.merge_kernel_tasks(&tasks);

        let by_tid = |tid: u64| snap.processes.iter().find(|p| p.tid == tid).unwrap();
        let web = by_tid(10);
        assert!(web.exe_writable && web.exe_upper_layer && !web.exe_lower_layer);
        assert_eq!(
            (web.pidns_init_start_ts, web.exe_ino),
            (5_000, 99),
            "/proc's inode stays"
        );
        let gone = by_tid(20);
        assert!(
            !gone.exe_writable && gone.pidns_init_start_ts == 0,
            "not listed by the kernel: as scanned"
        );
        let worker = by_tid(11);
        assert_eq!(
            (worker.pid, worker.comm.as_str(), worker.exe.as_str(), &worker.args[..]),
            (10, "web-worker", "/usr/bin/web", &b"--port\08080\0"[..]),
            "a thread /proc missed takes its process's entry"
        );
        let hidden = by_tid(30);
        assert_eq!(
            (
                hidden.pid,
                hidden.ptid,
                hidden.comm.as_str(),
                hidden.exe.as_str(),
                hidden.uid
            ),
            (30, 1, "hidden", "hidden", 1000)
        );
        assert!(hidden.exe_lower_layer && hidden.exe_ino == 77);
        assert_eq!((snap.stats.kernel_tasks, snap.stats.kernel_only), (3, 2));
    }

    #[test]
    fn only_the_hosts_proc_takes_the_kernels_task_list() {
        let other = ProcScanner {
            proc_root: PathBuf::from("/srv/container/proc"),
            etc_root: PathBuf::from("/etc"),
        };
        let why = other.kernel_tasks_mismatch().unwrap();
        assert!(why.contains("/srv/container/proc is not the host's /proc"), "{why}");
        // The test runs in the host's pid namespace, as the live tests need.
        assert_eq!(ProcScanner::default().kernel_tasks_mismatch(), None);
    }

    #[test]
    fn long_lists_keep_whole_entries_up_to_the_limit() {
        let short = b"a\0b\0".to_vec();
        assert_eq!(bounded_list(short.clone()), short);
        let mut long = Vec::new();
        while long.len() <= MAX_LIST_LEN {
            long.extend_from_slice(b"0123456789\0");
        }
        let cut = bounded_list(long.clone());
        assert!(
            cut.len() <= MAX_LIST_LEN && cut.len() > MAX_LIST_LEN - 11,
            "{}",
            cut.len()
        );
        assert_eq!(cut.last(), Some(&0));
        assert!(long.starts_with(&cut));
        assert_eq!(bounded_list(vec![b'x'; MAX_LIST_LEN + 5]).len(), MAX_LIST_LEN);
    }

    /// A process with an argument list and environment longer than a capture's process entry
    /// holds is seeded with them cut, and the snapshot still writes to a capture.
    #[test]
    fn a_process_with_huge_args_and_environment_is_seeded_and_recorded() {
        let long_arg = "y".repeat(3000);
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sleep 30", "sh"])
            .args(std::iter::repeat_n(long_arg.as_str(), 9))
            .env("SAKER_LONG_ENV", "z".repeat(20_000))
            .spawn()
            .unwrap();
        let pid = u64::from(child.id());
        let mut snap = ProcSnapshot::default();
        // The child may still be exec'ing sh: scan until its cmdline shows the arguments.
        for _ in 0..100 {
            snap = ProcScanner::default().scan();
            if snap.processes.iter().any(|p| p.tid == pid && !p.args.is_empty()) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        let p = snap
            .processes
            .iter()
            .find(|p| p.tid == pid)
            .expect("the child is seeded");
        assert!(p.args.starts_with(b"-c\0sleep 30\0sh\0yyy"), "{:?}", &p.args[..20]);
        assert!(p.args.len() <= MAX_LIST_LEN && p.args.len() > 3000, "{}", p.args.len());
        assert!(p.env.len() <= MAX_LIST_LEN, "{}", p.env.len());
        let mut w = CaptureWriter::new(Vec::new(), "test").unwrap();
        snap.write_to(&mut w).expect("the snapshot fits a capture");
    }

    #[test]
    fn seeds_this_process_with_its_file_and_socket() {
        let path = std::env::temp_dir().join(format!("saker-proc-scan-{}", std::process::id()));
        let mut file = fs::File::create(&path).unwrap();
        file.write_all(b"x").unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (_accepted, _) = listener.accept().unwrap();

        let snap = ProcScanner::default().scan();
        let mut state = ThreadTable::new();
        snap.apply(&mut state);
        let pid = std::process::id() as i64;
        let me = state.thread(pid).expect("this process is seeded");
        let exe = std::env::current_exe().unwrap();
        let bin = exe.file_name().unwrap().to_string_lossy();
        assert_eq!(me.comm, bin.chars().take(15).collect::<String>());
        assert_eq!(me.exepath, exe.to_string_lossy());
        assert_eq!(me.cwd, format!("{}/", std::env::current_dir().unwrap().display()));
        // SAFETY: geteuid has no preconditions.
        assert_eq!(me.uid, unsafe { libc::geteuid() });
        assert!(me.fd_limit > 0);
        assert!(
            state.iter().filter(|t| t.pid == pid).count() > 1,
            "the test threads are seeded too"
        );

        let fds = state.fds(pid).unwrap();
        let f = fds
            .iter()
            .find(|f| f.name == path.to_string_lossy())
            .expect("the open file");
        assert_eq!(f.fd_type, FdType::File);
        let sock = fds
            .iter()
            .find(|f| {
                f.socket
                    .as_ref()
                    .is_some_and(|s| s.client_port == client.local_addr().unwrap().port() && s.server_ip.is_some())
            })
            .expect("the connected socket");
        let s = sock.socket.as_ref().unwrap();
        assert_eq!(sock.fd_type, FdType::Ipv4Socket);
        assert_eq!(s.server_port, listener.local_addr().unwrap().port());
        assert_eq!(s.server_ip, Some(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        assert!(fds
            .iter()
            .any(|f| f.fd_type == FdType::Ipv4ServerSocket && f.socket.as_ref().unwrap().server_port == s.server_port));
        assert!(state.users().user(0).is_some_and(|u| u.name == "root"));
        assert!(snap.stats.processes > 1 && snap.stats.fds > 3);
        drop(file);
        let _ = fs::remove_file(&path);
    }
}
