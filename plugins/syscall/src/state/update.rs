//! State updates from events (libsinsp parser semantics, current event versions only: old
//! captures go through [`crate::convert::EventConverter`] first).

use std::net::{IpAddr, Ipv6Addr};

use plugin_api::event::EventRef;

use super::{FdInfo, FdType, L4Proto, SocketInfo, SocketRole, ThreadInfo, ThreadTable};
use crate::event_table::Direction;
use crate::params::{DecodedEvent, ParamError, ParamValue, SockAddr, SockTuple};

/// `PPM_CL_CLONE_THREAD`.
pub const CLONE_THREAD: u32 = 1 << 13;
/// `PPM_O_CLOEXEC`.
pub const O_CLOEXEC: u32 = 1 << 12;
/// `PPM_O_DIRECTORY`.
pub const O_DIRECTORY: u32 = 1 << 10;
/// `PPM_FCNTL_F_DUPFD` / `PPM_FCNTL_F_DUPFD_CLOEXEC`.
pub const FCNTL_F_DUPFD: u64 = 1;
pub const FCNTL_F_DUPFD_CLOEXEC: u64 = 26;
/// `PR_SET_NAME` (the driver passes the Linux value).
pub const PR_SET_NAME: u64 = 15;
/// `AT_FDCWD` as the driver reports it in `dirfd`.
pub const AT_FDCWD: i64 = -100;
/// Most threads with enter-event data awaiting their exit; beyond it the map is reset.
pub const MAX_PENDING_ENTER_DATA: usize = 65_536;
/// Exit events that may change a thread's own data (not its fds).
const THREAD_UPDATING_EXITS: [&str; 16] = [
    "clone",
    "clone3",
    "fork",
    "vfork",
    "execve",
    "execveat",
    "chdir",
    "fchdir",
    "setuid",
    "setresuid",
    "setgid",
    "setresgid",
    "setsid",
    "setpgid",
    "capset",
    "prctl",
];
/// Most bytes of a comm (`TASK_COMM_LEN` - 1).
pub const MAX_COMM_LEN: usize = 15;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("event type {event_type} at ts {ts}: {source}")]
    Param {
        event_type: u16,
        ts: u64,
        #[source]
        source: ParamError,
    },
}

/// What an enter event leaves for its exit.
#[derive(Debug, Clone, Default)]
pub(super) struct EnterData {
    pub path: String,
    /// The enter event's `fd` (exits of some syscalls, e.g. connect, do not repeat it).
    pub fd: Option<i64>,
}

/// Typed parameter access by name; absent or undecodable params read as `None`.
struct Params<'a> {
    ev: DecodedEvent<'a>,
    /// `fd` of the matching enter event, used when the exit has none.
    enter_fd: Option<i64>,
}

impl<'a> Params<'a> {
    fn get(&self, name: &str) -> Option<ParamValue<'a>> {
        match self.ev.param_by_name(name)? {
            Ok(ParamValue::Empty) | Err(_) => None,
            Ok(v) => Some(v),
        }
    }
    fn int(&self, name: &str) -> Option<i64> {
        let v = match self.get(name) {
            Some(ParamValue::Signed(v)) => Some(v),
            Some(ParamValue::Unsigned(v)) => Some(v as i64),
            _ => None,
        };
        if v.is_none() && name == "fd" {
            return self.enter_fd;
        }
        v
    }
    fn uint(&self, name: &str) -> Option<u64> {
        self.int(name).map(|v| v as u64)
    }
    fn str(&self, name: &str) -> Option<String> {
        match self.get(name)? {
            ParamValue::Str(b) | ParamValue::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
            _ => None,
        }
    }
    fn bytes(&self, name: &str) -> Option<&'a [u8]> {
        match self.get(name)? {
            ParamValue::Str(b) | ParamValue::Bytes(b) => Some(b),
            _ => None,
        }
    }
}

/// An IPv6 address, shown as IPv4 when it is IPv4-mapped (as libsinsp does).
pub(super) fn ipv6_or_mapped(b: &[u8; 16]) -> IpAddr {
    let a = Ipv6Addr::from(*b);
    match a.to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(a),
    }
}

/// `cip:cport->sip:sport` (inet), `sip:sport` (server sockets) or the unix path.
pub(super) fn socket_name(info: &FdInfo) -> String {
    let Some(s) = &info.socket else {
        return String::new();
    };
    if info.fd_type == FdType::UnixSocket {
        return s.unix_path.clone();
    }
    let ip = |a: &Option<IpAddr>| a.map_or_else(|| "0.0.0.0".to_string(), |a| a.to_string());
    match (info.role, &s.client_ip) {
        (SocketRole::Server, None) => format!("{}:{}", ip(&s.server_ip), s.server_port),
        _ => format!(
            "{}:{}->{}:{}",
            ip(&s.client_ip),
            s.client_port,
            ip(&s.server_ip),
            s.server_port
        ),
    }
}

/// Joins a possibly relative path to a base directory and normalizes `.`/`..` lexically.
pub fn resolve_path(base: &str, path: &str) -> String {
    if path.is_empty() {
        return String::new();
    }
    let joined = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{}/{}", base.trim_end_matches('/'), path)
    };
    let mut parts: Vec<&str> = Vec::new();
    for c in joined.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

/// The fd type a path-less fd-creating syscall makes, and its `fd.name`.
fn anon_fd(name: &str) -> Option<(FdType, &'static str)> {
    Some(match name {
        "eventfd" | "eventfd2" => (FdType::Event, "[eventfd]"),
        "signalfd" | "signalfd4" => (FdType::Signalfd, "[signalfd]"),
        "timerfd_create" => (FdType::Timerfd, "[timerfd]"),
        "inotify_init" | "inotify_init1" => (FdType::Inotify, "[inotify]"),
        "epoll_create" | "epoll_create1" => (FdType::Eventpoll, "[eventpoll]"),
        "userfaultfd" => (FdType::Userfaultfd, "[userfaultfd]"),
        "io_uring_setup" => (FdType::IoUring, "[io_uring]"),
        "bpf" => (FdType::Bpf, "[bpf]"),
        "pidfd_open" => (FdType::Pidfd, "[pidfd]"),
        _ => return None,
    })
}

fn sock_info_from_tuple(t: &SockTuple<'_>) -> (FdType, SocketInfo) {
    let mut s = SocketInfo::default();
    let ty = match t {
        SockTuple::V4 { src, dst } => {
            s.client_ip = Some(IpAddr::V4(src.0));
            s.client_port = src.1;
            s.server_ip = Some(IpAddr::V4(dst.0));
            s.server_port = dst.1;
            FdType::Ipv4Socket
        }
        SockTuple::V6 { src, dst } => {
            s.client_ip = Some(ipv6_or_mapped(&src.0.octets()));
            s.client_port = src.1;
            s.server_ip = Some(ipv6_or_mapped(&dst.0.octets()));
            s.server_port = dst.1;
            FdType::Ipv6Socket
        }
        SockTuple::Unix { source, dest, path } => {
            s.unix_source = *source;
            s.unix_dest = *dest;
            s.unix_path = String::from_utf8_lossy(path).into_owned();
            FdType::UnixSocket
        }
        SockTuple::Other(..) => FdType::Unknown,
    };
    // The driver already orders inet tuples client → server for both connect and accept.
    (ty, s)
}

impl ThreadTable {
    /// Updates the state from one event (current event versions). Unknown event types and
    /// undecodable params are errors naming the event; the state stays consistent.
    pub fn parse_event(&mut self, ev: EventRef<'_>) -> Result<(), StateError> {
        let decoded = DecodedEvent::new(ev).map_err(|source| StateError::Param {
            event_type: ev.event_type(),
            ts: ev.ts(),
            source,
        })?;
        self.stats.events_parsed += 1;
        let tid = ev.tid() as i64;
        let ts = ev.ts();
        self.reap(ts);
        let info = decoded.info;
        self.last_tid = tid;
        self.last_fd_num = None;
        self.closed_fd = None;
        if tid >= 0 && info.name != "procexit" {
            if let Some(t) = self.threads.get_mut(&tid) {
                t.last_event_ts = ts;
            }
        }
        if info.direction == Direction::Enter {
            let p = Params {
                ev: decoded,
                enter_fd: None,
            };
            self.last_fd_num = p.int("fd");
            self.parse_enter(tid, ts, info.name, &p);
            return Ok(());
        }
        let enter = self.pending_enter.remove(&tid);
        let p = Params {
            ev: decoded,
            enter_fd: enter.as_ref().and_then(|e| e.fd),
        };
        // The fd the event is about (libsinsp `fd.num`): its fd argument, else the fd it
        // duplicates, else the fd it creates.
        self.last_fd_num = p.int("fd").or_else(|| p.int("oldfd")).or_else(|| {
            if info.flags.contains(crate::event_table::EventFlags::CREATES_FD) {
                p.int("res")
            } else {
                None
            }
        });
        // A destroyed fd stays visible to this event's fields.
        if info.flags.contains(crate::event_table::EventFlags::DESTROYS_FD) {
            if let Some(fd) = self.last_fd_num {
                self.closed_fd = self.fd(tid, fd).cloned();
            }
        }
        let name = info.name;
        if THREAD_UPDATING_EXITS.contains(&name) {
            self.mark_updated(tid);
            if matches!(name, "clone" | "clone3" | "fork" | "vfork") {
                if let Some(child) = p.int("res").filter(|&r| r > 0) {
                    self.mark_updated(child);
                }
            }
        }
        match name {
            "clone" | "clone3" | "fork" | "vfork" => self.on_clone(tid, ts, &p),
            "execve" | "execveat" => self.on_execve(tid, ts, &p),
            "open" | "openat" | "openat2" | "creat" | "open_by_handle_at" => {
                self.on_open(tid, ts, name, &p, enter.as_ref())
            }
            "close" => {
                if p.int("res") == Some(0) {
                    if let Some(fd) = p.int("fd") {
                        self.remove_fd(tid, fd);
                    }
                }
            }
            "dup" | "dup2" | "dup3" => {
                if let (Some(res), Some(old)) = (p.int("res"), p.int("oldfd")) {
                    if res >= 0 {
                        let cloexec = name == "dup3" && p.uint("flags").is_some_and(|f| f as u32 & O_CLOEXEC != 0);
                        self.dup_fd(tid, old, res, cloexec, ts);
                    }
                }
            }
            "fcntl" => {
                let cmd = p.uint("cmd");
                if matches!(cmd, Some(FCNTL_F_DUPFD) | Some(FCNTL_F_DUPFD_CLOEXEC)) {
                    if let (Some(res), Some(old)) = (p.int("res"), p.int("fd")) {
                        if res >= 0 {
                            self.dup_fd(tid, old, res, cmd == Some(FCNTL_F_DUPFD_CLOEXEC), ts);
                        }
                    }
                }
            }
            "socket" => {
                if let Some(fd) = p.int("fd").filter(|&f| f >= 0) {
                    let domain = p.uint("domain").unwrap_or(0) as u32;
                    let ty = match domain as u8 {
                        crate::params::PPM_AF_INET => FdType::Ipv4Socket,
                        crate::params::PPM_AF_INET6 => FdType::Ipv6Socket,
                        crate::params::PPM_AF_UNIX => FdType::UnixSocket,
                        16 => FdType::Netlink,
                        _ => FdType::Unknown,
                    };
                    let mut f = FdInfo::new(fd, ty, String::new());
                    f.sock_domain = domain;
                    f.sock_type = p.uint("type").unwrap_or(0) as u32;
                    f.open_ts = ts;
                    if ty != FdType::UnixSocket && ty != FdType::Netlink {
                        f.socket = Some(SocketInfo {
                            l4proto: l4_from_socket(f.sock_type, p.uint("proto").unwrap_or(0)),
                            ..SocketInfo::default()
                        });
                    }
                    self.insert_fd(tid, f);
                }
            }
            "connect" => {
                let ok = p.int("res").is_some_and(|r| r >= 0 || r == -115); // EINPROGRESS
                if let (true, Some(fd), Some(ParamValue::SockTuple(t))) = (ok, p.int("fd"), p.get("tuple")) {
                    self.set_socket_tuple(tid, fd, &t, SocketRole::Client, ts);
                }
            }
            "accept" | "accept4" => {
                if let (Some(fd), Some(ParamValue::SockTuple(t))) = (p.int("fd").filter(|&f| f >= 0), p.get("tuple")) {
                    self.set_socket_tuple(tid, fd, &t, SocketRole::Server, ts);
                }
            }
            "bind" => {
                if let (Some(0), Some(fd)) = (p.int("res"), p.int("fd")) {
                    self.on_bind(tid, fd, p.get("addr"));
                }
            }
            "listen" => {
                if let (Some(0), Some(fd)) = (p.int("res"), p.int("fd")) {
                    if let Some(f) = self.fd_mut(tid, fd) {
                        f.role = SocketRole::Server;
                        f.fd_type = match f.fd_type {
                            FdType::Ipv4Socket => FdType::Ipv4ServerSocket,
                            FdType::Ipv6Socket => FdType::Ipv6ServerSocket,
                            t => t,
                        };
                    }
                }
            }
            "socketpair" => {
                if p.int("res") == Some(0) {
                    for (k, peer) in [("fd1", "peer"), ("fd2", "source")] {
                        if let Some(fd) = p.int(k) {
                            let mut f = FdInfo::new(fd, FdType::UnixSocket, String::new());
                            f.socket = Some(SocketInfo {
                                unix_source: p.uint("source").unwrap_or(0),
                                unix_dest: p.uint(peer).unwrap_or(0),
                                ..SocketInfo::default()
                            });
                            f.open_ts = ts;
                            self.insert_fd(tid, f);
                        }
                    }
                }
            }
            "pipe" | "pipe2" => {
                if p.int("res") == Some(0) {
                    let cloexec = p.uint("flags").is_some_and(|f| f as u32 & O_CLOEXEC != 0);
                    for k in ["fd1", "fd2"] {
                        if let Some(fd) = p.int(k) {
                            let mut f = FdInfo::new(fd, FdType::Fifo, String::new());
                            f.ino = p.uint("ino").unwrap_or(0);
                            f.cloexec = cloexec;
                            f.open_ts = ts;
                            self.insert_fd(tid, f);
                        }
                    }
                }
            }
            "memfd_create" => {
                if let Some(fd) = p.int("fd").filter(|&f| f >= 0) {
                    let n = format!("memfd:{}", p.str("name").unwrap_or_default());
                    let mut f = FdInfo::new(fd, FdType::Memfd, n);
                    f.open_ts = ts;
                    self.insert_fd(tid, f);
                }
            }
            "chdir" => {
                if p.int("res") == Some(0) {
                    if let Some(path) = p.str("path") {
                        let t = self.thread_or_create(tid);
                        t.cwd = with_slash(&resolve_path(&t.cwd, &path));
                        let cwd = t.cwd.clone();
                        self.for_process_threads(tid, |t| t.cwd = cwd.clone());
                    }
                }
            }
            "fchdir" => {
                if let (Some(0), Some(fd)) = (p.int("res"), p.int("fd")) {
                    if let Some(dir) = self.fd(tid, fd).map(|f| with_slash(&f.name)) {
                        self.for_process_threads(tid, |t| t.cwd = dir.clone());
                    }
                }
            }
            "setuid" | "setresuid" | "setgid" | "setresgid" => {
                if p.int("res") == Some(0) {
                    self.on_setid(tid, name, &p);
                }
            }
            "setsid" => {
                if let Some(sid) = p.int("res").filter(|&r| r >= 0) {
                    let t = self.thread_or_create(tid);
                    t.sid = sid;
                    t.vpgid = sid;
                    t.pgid = sid;
                }
            }
            "setpgid" => {
                if let (Some(0), Some(pid), Some(pgid)) = (p.int("res"), p.int("pid"), p.int("pgid")) {
                    let target = if pid == 0 { tid } else { pid };
                    if let Some(t) = self.threads.get_mut(&target) {
                        let g = if pgid == 0 { t.pid } else { pgid };
                        t.pgid = g;
                        t.vpgid = g;
                    }
                }
            }
            "capset" => {
                if p.int("res") == Some(0) {
                    let t = self.thread_or_create(tid);
                    t.cap_inheritable = p.uint("cap_inheritable").unwrap_or(t.cap_inheritable);
                    t.cap_permitted = p.uint("cap_permitted").unwrap_or(t.cap_permitted);
                    t.cap_effective = p.uint("cap_effective").unwrap_or(t.cap_effective);
                }
            }
            "prctl" => {
                if p.int("res") == Some(0) && p.uint("option") == Some(PR_SET_NAME) {
                    if let Some(n) = p.str("arg2_str") {
                        let t = self.thread_or_create(tid);
                        t.comm = n.chars().take(MAX_COMM_LEN).collect();
                    }
                }
            }
            n => {
                if let Some((ty, label)) = anon_fd(n) {
                    let fd = p.int("res").or_else(|| p.int("fd")).filter(|&f| f >= 0);
                    if let Some(fd) = fd {
                        let mut f = FdInfo::new(fd, ty, label);
                        f.open_ts = ts;
                        self.insert_fd(tid, f);
                    }
                }
            }
        }
        Ok(())
    }

    fn parse_enter(&mut self, tid: i64, ts: u64, name: &str, p: &Params<'_>) {
        if name == "procexit" {
            self.on_procexit(tid, ts, p);
            return;
        }
        let path = match name {
            "open" | "openat" | "openat2" | "creat" => p.str("name").unwrap_or_default(),
            _ => String::new(),
        };
        let fd = p.int("fd");
        if path.is_empty() && fd.is_none() {
            self.pending_enter.remove(&tid);
            return;
        }
        if self.pending_enter.len() >= MAX_PENDING_ENTER_DATA && !self.pending_enter.contains_key(&tid) {
            self.pending_enter.clear();
        }
        self.pending_enter.insert(tid, EnterData { path, fd });
    }

    fn for_process_threads(&mut self, tid: i64, f: impl Fn(&mut ThreadInfo)) {
        let pid = self.threads.get(&tid).map_or(tid, |t| t.pid);
        let mut touched = Vec::new();
        for t in self.threads.values_mut().filter(|t| t.pid == pid || t.tid == tid) {
            f(t);
            touched.push(t.tid);
        }
        for t in touched {
            self.mark_updated(t);
        }
    }

    fn on_clone(&mut self, tid: i64, ts: u64, p: &Params<'_>) {
        let Some(res) = p.int("res") else { return };
        if res < 0 {
            return;
        }
        // Exit of the parent (res = child tid) or of the child (res = 0, tid = child).
        let child_tid = if res == 0 { tid } else { res };
        let flags = p.uint("flags").unwrap_or(0) as u32;
        if res > 0
            && self
                .threads
                .get(&child_tid)
                .is_some_and(|c| c.clone_ts != 0 && !c.exited)
        {
            return; // the child's exit came first and created it
        }
        if res == 0
            && self
                .threads
                .get(&child_tid)
                .is_some_and(|c| c.clone_ts != 0 && !c.exited)
        {
            return;
        }
        let is_thread = flags & CLONE_THREAD != 0;
        let caller_pid = p.int("pid").unwrap_or(tid);
        let parent_tid = if res == 0 { p.int("ptid").unwrap_or(-1) } else { tid };
        let mut child = match self.threads.get(&parent_tid) {
            Some(parent) => {
                let mut c = parent.clone();
                c.fds = Default::default();
                c
            }
            None => ThreadInfo::default(),
        };
        child.tid = child_tid;
        child.clone_ts = ts;
        child.exited = false;
        child.last_event_ts = ts;
        child.flags = flags;
        if res == 0 {
            child.pid = caller_pid;
            child.ptid = p.int("ptid").unwrap_or(parent_tid);
            child.vtid = p.int("vtid").unwrap_or(child.vtid);
            child.vpid = p.int("vpid").unwrap_or(child.vpid);
        } else {
            child.pid = if is_thread { caller_pid } else { child_tid };
            child.ptid = if is_thread {
                self.threads.get(&tid).map_or(tid, |t| t.ptid)
            } else {
                tid
            };
        }
        if let Some(exe) = p.str("exe") {
            child.exe = exe;
        }
        if let Some(a) = p.bytes("args") {
            child.args = super::split_nul_list(a);
        }
        if let Some(c) = p.str("comm") {
            child.comm = c;
        }
        // The child inherits the parent's tracked cwd; the event's `cwd` only fills in for an
        // unknown parent.
        if !self.threads.contains_key(&parent_tid) {
            if let Some(c) = p.str("cwd") {
                child.cwd = with_slash(&c);
            }
        }
        if let Some(c) = p.bytes("cgroups") {
            child.cgroups = super::parse_cgroups(c);
        }
        if let Some(v) = p.uint("uid") {
            child.uid = v as u32;
        }
        if let Some(v) = p.uint("gid") {
            child.gid = v as u32;
        }
        child.fd_limit = p.int("fdlimit").unwrap_or(child.fd_limit);
        child.vmsize_kb = p.uint("vm_size").unwrap_or(0) as u32;
        child.vmrss_kb = p.uint("vm_rss").unwrap_or(0) as u32;
        child.vmswap_kb = p.uint("vm_swap").unwrap_or(0) as u32;
        child.pfmajor = p.uint("pgft_maj").unwrap_or(0);
        child.pfminor = p.uint("pgft_min").unwrap_or(0);
        child.pidns_init_start_ts = p.uint("pidns_init_start_ts").unwrap_or(child.pidns_init_start_ts);
        // A new process gets a copy of the parent's fds; a thread shares its main thread's.
        if child.pid == child.tid {
            if let Some(fds) = self.fds(parent_tid).cloned() {
                child.fds = fds;
            }
        }
        self.insert(child);
    }

    fn on_execve(&mut self, tid: i64, ts: u64, p: &Params<'_>) {
        if p.int("res") != Some(0) {
            return; // failed execve changes nothing
        }
        let t = self.thread_or_create(tid);
        if let Some(v) = p.str("exe") {
            t.exe = v;
        }
        if let Some(v) = p.bytes("args") {
            t.args = super::split_nul_list(v);
        }
        if let Some(v) = p.str("comm") {
            t.comm = v;
        }
        // The working directory survives execve; libsinsp keeps the one it tracked (sysdig
        // shows the tracked value, not execve's `cwd` param).
        if let Some(v) = p.bytes("env") {
            t.env = super::split_nul_list(v);
        }
        if let Some(v) = p.bytes("cgroups") {
            t.cgroups = super::parse_cgroups(v);
        }
        if let Some(v) = p.int("pid") {
            t.pid = v;
        }
        if let Some(v) = p.int("ptid") {
            t.ptid = v;
        }
        t.fd_limit = p.int("fdlimit").unwrap_or(t.fd_limit);
        t.vmsize_kb = p.uint("vm_size").unwrap_or(t.vmsize_kb as u64) as u32;
        t.vmrss_kb = p.uint("vm_rss").unwrap_or(t.vmrss_kb as u64) as u32;
        t.vmswap_kb = p.uint("vm_swap").unwrap_or(t.vmswap_kb as u64) as u32;
        t.pfmajor = p.uint("pgft_maj").unwrap_or(t.pfmajor);
        t.pfminor = p.uint("pgft_min").unwrap_or(t.pfminor);
        t.tty = p.uint("tty").unwrap_or(t.tty as u64) as u32;
        t.vpgid = p.int("vpgid").unwrap_or(t.vpgid);
        t.pgid = p.int("pgid").unwrap_or(t.pgid);
        t.loginuid = p.uint("loginuid").unwrap_or(t.loginuid as u64) as u32;
        t.flags = p.uint("flags").unwrap_or(t.flags as u64) as u32;
        t.cap_inheritable = p.uint("cap_inheritable").unwrap_or(t.cap_inheritable);
        t.cap_permitted = p.uint("cap_permitted").unwrap_or(t.cap_permitted);
        t.cap_effective = p.uint("cap_effective").unwrap_or(t.cap_effective);
        t.exe_ino = p.uint("exe_ino").unwrap_or(t.exe_ino);
        t.exe_ino_ctime = p.uint("exe_ino_ctime").unwrap_or(t.exe_ino_ctime);
        t.exe_ino_mtime = p.uint("exe_ino_mtime").unwrap_or(t.exe_ino_mtime);
        if let Some(v) = p.uint("uid") {
            t.uid = v as u32;
        }
        if let Some(v) = p.uint("gid") {
            t.gid = v as u32;
        }
        // exepath: trusted_exepath when the driver sent it, else exe resolved against cwd.
        t.exepath = match p.str("trusted_exepath") {
            Some(x) if !x.is_empty() => x,
            _ => {
                let exe = t.exe.clone();
                if exe.starts_with('/') {
                    exe
                } else {
                    resolve_path(&t.cwd, &exe)
                }
            }
        };
        // execve flags carry the exe's upper/lower layer, memfd and writable bits.
        let f = t.flags;
        t.exe_writable = f & EXE_WRITABLE != 0;
        t.exe_upper_layer = f & EXE_UPPER_LAYER != 0;
        t.exe_from_memfd = f & EXE_FROM_MEMFD != 0;
        t.exe_lower_layer = f & EXE_LOWER_LAYER != 0;
        t.lastexec_ts = ts;
        let owner = self.fd_owner(tid);
        if let Some(o) = self.threads.get_mut(&owner) {
            o.fds.close_on_exec();
        }
    }

    fn on_procexit(&mut self, tid: i64, ts: u64, p: &Params<'_>) {
        self.mark_updated(tid);
        if let Some(t) = self.threads.get_mut(&tid) {
            t.exited = true;
            t.last_event_ts = ts;
            if let Some(r) = p.int("reaper_tid") {
                t.reaper_tid = r;
            }
            self.pending_removal.push_back((tid, ts));
        }
    }

    fn on_open(&mut self, tid: i64, ts: u64, name: &str, p: &Params<'_>, enter: Option<&EnterData>) {
        let Some(fd) = p.int("fd").filter(|&f| f >= 0) else {
            return;
        };
        let raw = match p.str(if name == "open_by_handle_at" { "path" } else { "name" }) {
            Some(n) if !n.is_empty() => n,
            _ => enter.map(|e| e.path.clone()).unwrap_or_default(),
        };
        let base = match p.int("dirfd") {
            Some(d) if d != AT_FDCWD && !raw.starts_with('/') => self.fd(tid, d).map(|f| f.name.clone()),
            _ => None,
        };
        let base = base.unwrap_or_else(|| self.thread(tid).map(|t| t.cwd.clone()).unwrap_or_default());
        let resolved = if raw.starts_with('/') || base.is_empty() {
            if raw.starts_with('/') {
                resolve_path("/", &raw)
            } else {
                raw.clone()
            }
        } else {
            resolve_path(&base, &raw)
        };
        let flags = p.uint("flags").unwrap_or(0) as u32;
        let ty = if flags & O_DIRECTORY != 0 {
            FdType::Directory
        } else {
            FdType::File
        };
        let mut f = FdInfo::new(fd, ty, resolved);
        f.name_raw = raw;
        f.open_flags = flags;
        f.mode = p.uint("mode").unwrap_or(0) as u32;
        f.dev = p.uint("dev").unwrap_or(0) as u32;
        f.ino = p.uint("ino").unwrap_or(0);
        f.cloexec = flags & O_CLOEXEC != 0;
        f.open_ts = ts;
        self.insert_fd(tid, f);
    }

    fn dup_fd(&mut self, tid: i64, old: i64, new: i64, cloexec: bool, ts: u64) {
        if old == new {
            return;
        }
        if let Some(mut f) = self.fd(tid, old).cloned() {
            f.fd = new;
            f.cloexec = cloexec;
            f.open_ts = ts;
            self.insert_fd(tid, f);
        }
    }

    fn set_socket_tuple(&mut self, tid: i64, fd: i64, t: &SockTuple<'_>, role: SocketRole, ts: u64) {
        let (ty, mut s) = sock_info_from_tuple(t);
        if ty == FdType::Unknown {
            return;
        }
        let mut f = self.fd(tid, fd).cloned().unwrap_or_else(|| {
            let mut f = FdInfo::new(fd, ty, String::new());
            f.open_ts = ts;
            f
        });
        if let Some(old) = &f.socket {
            s.l4proto = old.l4proto;
            if s.unix_path.is_empty() {
                s.unix_path = old.unix_path.clone();
            }
        }
        if s.l4proto == L4Proto::Unknown && ty != FdType::UnixSocket {
            s.l4proto = L4Proto::Tcp;
        }
        f.fd = fd;
        f.fd_type = ty;
        f.role = role;
        f.socket = Some(s);
        f.name = socket_name(&f);
        f.name_raw = f.name.clone();
        self.insert_fd(tid, f);
    }

    fn on_bind(&mut self, tid: i64, fd: i64, addr: Option<ParamValue<'_>>) {
        let Some(f) = self.fd_mut(tid, fd) else { return };
        let s = f.socket.get_or_insert_with(SocketInfo::default);
        match addr {
            Some(ParamValue::SockAddr(SockAddr::V4(ip, port))) => {
                s.server_ip = Some(IpAddr::V4(ip));
                s.server_port = port;
            }
            Some(ParamValue::SockAddr(SockAddr::V6(ip, port))) => {
                s.server_ip = Some(ipv6_or_mapped(&ip.octets()));
                s.server_port = port;
            }
            Some(ParamValue::SockAddr(SockAddr::Unix(path))) => {
                s.unix_path = String::from_utf8_lossy(path).into_owned();
            }
            _ => return,
        }
        let name = socket_name(&FdInfo {
            role: SocketRole::Server,
            ..f.clone()
        });
        if f.fd_type == FdType::UnixSocket {
            f.name = name;
        } else if f.role != SocketRole::Client {
            f.role = SocketRole::Server;
            f.name = name;
        }
    }

    fn on_setid(&mut self, tid: i64, name: &str, p: &Params<'_>) {
        let keep = |v: Option<u64>| v.map(|v| v as u32).filter(|&v| v != u32::MAX);
        self.for_process_threads(tid, |t| match name {
            "setuid" => {
                if let Some(u) = keep(p.uint("uid")) {
                    t.uid = u;
                    t.ruid = u;
                    t.suid = u;
                }
            }
            "setresuid" => {
                if let Some(u) = keep(p.uint("ruid")) {
                    t.ruid = u;
                }
                if let Some(u) = keep(p.uint("euid")) {
                    t.uid = u;
                }
                if let Some(u) = keep(p.uint("suid")) {
                    t.suid = u;
                }
            }
            "setgid" => {
                if let Some(g) = keep(p.uint("gid")) {
                    t.gid = g;
                    t.rgid = g;
                    t.sgid = g;
                }
            }
            _ => {
                if let Some(g) = keep(p.uint("rgid")) {
                    t.rgid = g;
                }
                if let Some(g) = keep(p.uint("egid")) {
                    t.gid = g;
                }
                if let Some(g) = keep(p.uint("sgid")) {
                    t.sgid = g;
                }
            }
        });
    }
}

/// `PPM_EXE_WRITABLE` and friends, in execve's `flags`.
pub const EXE_WRITABLE: u32 = 1 << 0;
pub const EXE_UPPER_LAYER: u32 = 1 << 1;
pub const EXE_FROM_MEMFD: u32 = 1 << 2;
pub const EXE_LOWER_LAYER: u32 = 1 << 3;

/// Linux `SOCK_STREAM`/`SOCK_DGRAM`/`SOCK_RAW` (low bits of socket()'s type) and proto.
fn l4_from_socket(sock_type: u32, proto: u64) -> L4Proto {
    match (sock_type & 0xf, proto) {
        (_, 6) | (1, 0) => L4Proto::Tcp,
        (_, 17) | (2, 0) => L4Proto::Udp,
        (_, 1) | (_, 58) => L4Proto::Icmp,
        (3, _) => L4Proto::Raw,
        _ => L4Proto::Unknown,
    }
}

fn with_slash(p: &str) -> String {
    super::with_trailing_slash(p)
}
