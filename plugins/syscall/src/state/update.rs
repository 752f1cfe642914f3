//! State updates from events (libsinsp parser semantics, current event versions only: old
//! captures go through [`crate::convert::EventConverter`] first).

use std::borrow::Cow;
use std::net::{IpAddr, Ipv6Addr};

use plugin_api::event::EventRef;

use super::plan::{plan, Action, EventPlan, ParamKey as K};
use super::{FdInfo, FdType, L4Proto, SocketInfo, SocketRole, ThreadInfo, ThreadTable};
use crate::event_table::{Direction, ParamInfo};
use crate::flags::{PPM_FD_LOWER_LAYER, PPM_FD_LOWER_LAYER_CREAT, PPM_FD_UPPER_LAYER, PPM_FD_UPPER_LAYER_CREAT};
use crate::params::{decode, DecodedEvent, ParamError, ParamValue, SockAddr, SockTuple};

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
    /// open's path; connect's unix address path.
    pub path: String,
    /// The enter event's `fd` (exits of some syscalls, e.g. connect, do not repeat it).
    pub fd: Option<i64>,
}

/// Parameters split once per event at most; later ones are found by walking the length slots.
const SPLIT_PARAMS: usize = 8;

/// Typed parameter access by [`ParamKey`]; absent or undecodable params read as `None`.
struct Params<'a> {
    ev: DecodedEvent<'a>,
    plan: &'static EventPlan,
    /// `fd` of the matching enter event, used when the exit has none.
    enter_fd: Option<i64>,
    /// The bytes of the parameters up to the last one the plan reads (`split_len` of them,
    /// at most [`SPLIT_PARAMS`]).
    split: [&'a [u8]; SPLIT_PARAMS],
    split_len: usize,
}

impl<'a> Params<'a> {
    #[inline]
    fn new(ev: DecodedEvent<'a>, plan: &'static EventPlan, enter_fd: Option<i64>) -> Self {
        let mut split: [&'a [u8]; SPLIT_PARAMS] = [&[]; SPLIT_PARAMS];
        let wanted = plan.params_read().min(SPLIT_PARAMS);
        let split_len = ev.event.split_params(&mut split[..wanted]);
        Params {
            ev,
            plan,
            enter_fd,
            split,
            split_len,
        }
    }

    /// The bytes of `key`'s parameter with its table entry.
    #[inline]
    fn raw(&self, key: K) -> Option<(&'a [u8], &'static ParamInfo)> {
        let i = self.plan.param_index(key)?;
        let raw = if i < self.split_len {
            self.split[i]
        } else {
            self.ev.event.param(i)?
        };
        // Every index in the plan comes from this code's table row.
        Some((raw, self.ev.info.params.get(i)?))
    }

    fn get(&self, key: K) -> Option<ParamValue<'a>> {
        let (raw, p) = self.raw(key)?;
        decode_value(p, raw)
    }

    #[inline]
    fn int(&self, key: K) -> Option<i64> {
        let v = self.raw(key).and_then(|(raw, p)| {
            // The usual fixed-width integers directly; anything else as `decode` reads it.
            use crate::event_table::ParamType as T;
            match (p.param_type, raw.len()) {
                (T::Int64 | T::Errno | T::Fd | T::Pid | T::Uint64 | T::RelTime | T::AbsTime, 8) => {
                    Some(i64::from_le_bytes(raw.try_into().ok()?))
                }
                (T::Int32 | T::Fd32 | T::Pid32, 4) => Some(i32::from_le_bytes(raw.try_into().ok()?) as i64),
                (T::Uint32 | T::Flags32 | T::EnumFlags32 | T::Uid | T::Gid | T::SigSet | T::Mode, 4) => {
                    Some(u32::from_le_bytes(raw.try_into().ok()?) as i64)
                }
                _ => match decode_value(p, raw) {
                    Some(ParamValue::Signed(v)) => Some(v),
                    Some(ParamValue::Unsigned(v)) => Some(v as i64),
                    _ => None,
                },
            }
        });
        if v.is_none() && key == K::Fd {
            return self.enter_fd;
        }
        v
    }
    fn uint(&self, key: K) -> Option<u64> {
        self.int(key).map(|v| v as u64)
    }
    /// A text parameter, borrowed from the event when it is valid UTF-8.
    fn str(&self, key: K) -> Option<Cow<'a, str>> {
        let (raw, p) = self.raw(key)?;
        use crate::event_table::ParamType as T;
        if matches!(p.param_type, T::CharBuf | T::FsPath | T::FsRelPath) && !raw.is_empty() {
            return Some(utf8_lossy(raw.strip_suffix(&[0]).unwrap_or(raw)));
        }
        match decode_value(p, raw)? {
            ParamValue::Str(b) | ParamValue::Bytes(b) => Some(utf8_lossy(b)),
            _ => None,
        }
    }
    fn bytes(&self, key: K) -> Option<&'a [u8]> {
        match self.get(key)? {
            ParamValue::Str(b) | ParamValue::Bytes(b) => Some(b),
            _ => None,
        }
    }
}

/// A parameter's value; `None` when it is empty or does not decode.
#[inline]
fn decode_value<'a>(p: &ParamInfo, raw: &'a [u8]) -> Option<ParamValue<'a>> {
    match decode(p.name, p.param_type, raw) {
        Ok(ParamValue::Empty) | Err(_) => None,
        Ok(v) => Some(v),
    }
}

/// `b` as text, borrowed when it is valid UTF-8 (the common case, checked by the fast
/// validator), else with invalid sequences replaced.
#[inline]
fn utf8_lossy(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
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

/// `cip:cport->sip:sport` (inet), `sip:sport` (server sockets) or the unix path (bound
/// sockets and sockets from /proc).
pub(super) fn socket_name(info: &FdInfo) -> String {
    let mut out = String::new();
    if let Some(s) = &info.socket {
        write_socket_name(info.fd_type, info.role, s, &mut out);
    }
    out
}

/// [`socket_name`] of a socket of type `fd_type` and role `role`, appended to `out`.
fn write_socket_name(fd_type: FdType, role: SocketRole, s: &SocketInfo, out: &mut String) {
    if fd_type == FdType::UnixSocket {
        out.push_str(&s.unix_path);
        return;
    }
    if let (SocketRole::Server, None) = (role, &s.client_ip) {
        push_ip(out, s.server_ip);
        out.push(':');
        push_u64(out, s.server_port.into());
        return;
    }
    push_ip(out, s.client_ip);
    out.push(':');
    push_u64(out, s.client_port.into());
    out.push_str("->");
    push_ip(out, s.server_ip);
    out.push(':');
    push_u64(out, s.server_port.into());
}

/// An address as `Display` shows it (`0.0.0.0` when unknown); IPv4, the common case,
/// without the formatting machinery.
pub(super) fn push_ip(out: &mut String, ip: Option<IpAddr>) {
    match ip {
        None => out.push_str("0.0.0.0"),
        Some(IpAddr::V4(a)) => {
            for (i, octet) in a.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_u64(out, octet.into());
            }
        }
        Some(IpAddr::V6(a)) => {
            use std::fmt::Write;
            // Writing to a String cannot fail.
            let _ = write!(out, "{a}");
        }
    }
}

/// `v` in decimal.
pub(super) fn push_u64(out: &mut String, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or_default());
}

/// Joins a possibly relative path to a base directory and normalizes `.`/`..` lexically.
pub fn resolve_path(base: &str, path: &str) -> String {
    let mut out = String::new();
    resolve_path_into(base, path, &mut out);
    out
}

/// [`resolve_path`] appended to `out` (cleared first), reusing its buffer.
pub fn resolve_path_into(base: &str, path: &str, out: &mut String) {
    out.clear();
    if path.is_empty() {
        return;
    }
    // Already-normal inputs (the usual case) resolve to themselves joined.
    if path.starts_with('/') {
        if is_normal_absolute(path) {
            out.push_str(path);
            return;
        }
    } else if let Some(dir) = base.strip_suffix('/') {
        if (dir.is_empty() || is_normal_absolute(dir)) && is_normal_relative(path) {
            out.push_str(base);
            out.push_str(path);
            return;
        }
    }
    let base = if path.starts_with('/') { "" } else { base };
    for c in base.split('/').chain(path.split('/')) {
        match c {
            "" | "." => {}
            ".." => {
                // Drop the last component (and its slash); the root stays.
                let cut = out.rfind('/').unwrap_or(0);
                out.truncate(cut);
            }
            c => {
                out.push('/');
                out.push_str(c);
            }
        }
    }
    if out.is_empty() {
        out.push('/');
    }
}

/// `path` is `/`-separated components that resolution keeps as they are: none empty (no
/// leading, doubled or trailing slash), `.` or `..`.
fn is_normal_relative(path: &str) -> bool {
    let b = path.as_bytes();
    let mut start = 0;
    for i in 0..=b.len() {
        if i == b.len() || b[i] == b'/' {
            if matches!(&b[start..i], b"" | b"." | b"..") {
                return false;
            }
            start = i + 1;
        }
    }
    true
}

/// `path` is `/` or absolute with only normal components and no trailing slash: what
/// [`resolve_path`] produces, so resolving it changes nothing.
fn is_normal_absolute(path: &str) -> bool {
    match path.strip_prefix('/') {
        Some("") => true,
        Some(rest) => is_normal_relative(rest),
        None => false,
    }
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

/// The exit's `tuple` when libsinsp would read it (`sinsp_utils::is_socktuple_valid`).
fn valid_tuple<'a>(p: &Params<'a>) -> Option<SockTuple<'a>> {
    let (raw, _) = p.raw(K::Tuple)?;
    if !super::datagram::is_valid_tuple(raw) {
        return None;
    }
    match p.get(K::Tuple)? {
        ParamValue::SockTuple(t) => Some(t),
        _ => None,
    }
}

/// The peer path a connected unix socket is named after (libsinsp
/// `resolve_connect_unix_destination`): the tuple's, unless it only repeats the exit's user
/// address, then the enter event's address (read before the call could change it).
fn connect_unix_path<'a>(
    t: &SockTuple<'a>,
    exit_addr: Option<ParamValue<'a>>,
    enter_path: Option<&'a str>,
) -> &'a [u8] {
    let SockTuple::Unix { path, .. } = *t else { return &[] };
    match (exit_addr, enter_path) {
        (Some(ParamValue::SockAddr(SockAddr::Unix(exit))), Some(enter)) if exit == path => enter.as_bytes(),
        _ => path,
    }
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
        let plan = plan(ev.event_type());
        self.last_tid = tid;
        self.last_fd_num = None;
        self.last_fd_name_changed = false;
        self.recycle_closed_fd();
        if tid >= 0 && plan.action != Action::Procexit {
            if let Some(t) = self.threads.get_mut(&tid) {
                t.last_event_ts = ts;
            }
        }
        if info.direction == Direction::Enter {
            let p = Params::new(decoded, plan, None);
            self.last_fd_num = p.int(K::Fd);
            self.parse_enter(tid, ts, info.name, &p);
            return Ok(());
        }
        let enter = self.pending_enter.remove(&tid);
        let p = Params::new(decoded, plan, enter.as_ref().and_then(|e| e.fd));
        // The fd the event is about (libsinsp `fd.num`): its fd argument, else the fd it
        // duplicates, else the fd it creates.
        self.last_fd_num = p.int(K::Fd).or_else(|| p.int(K::Oldfd)).or_else(|| {
            if info.flags.contains(crate::event_table::EventFlags::CREATES_FD) {
                p.int(K::Res)
            } else {
                None
            }
        });
        let name = info.name;
        if plan.updates_thread {
            self.mark_updated(tid);
            if plan.action == Action::Clone {
                if let Some(child) = p.int(K::Res).filter(|&r| r > 0) {
                    self.mark_updated(child);
                }
            }
        }
        match plan.action {
            Action::Clone => self.on_clone(tid, ts, &p),
            Action::Execve => self.on_execve(tid, ts, &p),
            Action::Open => self.on_open(tid, ts, name, &p, enter.as_ref()),
            Action::Close => {
                // The closed fd stays visible to this event's fields (`last_event_fd`).
                if p.int(K::Res) == Some(0) {
                    if let Some(fd) = p.int(K::Fd) {
                        self.closed_fd = self.remove_fd(tid, fd);
                    }
                }
            }
            Action::Dup => {
                if let (Some(res), Some(old)) = (p.int(K::Res), p.int(K::Oldfd)) {
                    if res >= 0 {
                        let cloexec = name == "dup3" && p.uint(K::Flags).is_some_and(|f| f as u32 & O_CLOEXEC != 0);
                        self.dup_fd(tid, old, res, cloexec, ts);
                    }
                }
            }
            Action::Fcntl => {
                let cmd = p.uint(K::Cmd);
                if matches!(cmd, Some(FCNTL_F_DUPFD) | Some(FCNTL_F_DUPFD_CLOEXEC)) {
                    if let (Some(res), Some(old)) = (p.int(K::Res), p.int(K::Fd)) {
                        if res >= 0 {
                            self.dup_fd(tid, old, res, cmd == Some(FCNTL_F_DUPFD_CLOEXEC), ts);
                        }
                    }
                }
            }
            Action::Socket => {
                if let Some(fd) = p.int(K::Fd).filter(|&f| f >= 0) {
                    let domain = p.uint(K::Domain).unwrap_or(0) as u32;
                    let ty = match domain as u8 {
                        crate::params::PPM_AF_INET => FdType::Ipv4Socket,
                        crate::params::PPM_AF_INET6 => FdType::Ipv6Socket,
                        crate::params::PPM_AF_UNIX => FdType::UnixSocket,
                        16 => FdType::Netlink,
                        _ => FdType::Unknown,
                    };
                    let mut f = FdInfo::new(fd, ty, String::new());
                    f.sock_domain = domain;
                    f.sock_type = p.uint(K::SockType).unwrap_or(0) as u32;
                    f.open_ts = ts;
                    if ty != FdType::UnixSocket && ty != FdType::Netlink {
                        f.socket = Some(SocketInfo {
                            l4proto: l4_from_socket(f.sock_type, p.uint(K::Proto).unwrap_or(0)),
                            ..SocketInfo::default()
                        });
                    }
                    self.insert_fd(tid, f);
                }
            }
            Action::Connect => {
                // Successful or in progress: connected (libsinsp without connection-status
                // tracking, as Falco runs it), whether or not the tuple says more.
                let ok = p.int(K::Res).is_some_and(|r| r >= 0 || r == -115); // EINPROGRESS
                if let (true, Some(fd)) = (ok, p.int(K::Fd)) {
                    if let Some(t) = valid_tuple(&p) {
                        let enter_path = enter.as_ref().map(|e| e.path.as_str());
                        let dpath = connect_unix_path(&t, p.get(K::Addr), enter_path);
                        self.set_socket_tuple(tid, fd, &t, dpath, SocketRole::Client, ts);
                    }
                    if let Some(f) = self.fd_mut(tid, fd) {
                        f.connected = true;
                    }
                }
            }
            Action::Accept => {
                if let (Some(fd), Some(t)) = (p.int(K::Fd).filter(|&f| f >= 0), valid_tuple(&p)) {
                    let path = match t {
                        SockTuple::Unix { path, .. } => path,
                        _ => &[],
                    };
                    if self.set_socket_tuple(tid, fd, &t, path, SocketRole::Server, ts) {
                        if let Some(f) = self.fd_mut(tid, fd) {
                            f.connected = true;
                        }
                    }
                }
            }
            Action::Bind => {
                if let (Some(0), Some(fd)) = (p.int(K::Res), p.int(K::Fd)) {
                    self.on_bind(tid, fd, p.get(K::Addr));
                }
            }
            Action::Listen => {
                if let (Some(0), Some(fd)) = (p.int(K::Res), p.int(K::Fd)) {
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
            Action::Socketpair => {
                if p.int(K::Res) == Some(0) {
                    for (k, peer) in [(K::Fd1, K::Peer), (K::Fd2, K::Source)] {
                        if let Some(fd) = p.int(k) {
                            let mut f = FdInfo::new(fd, FdType::UnixSocket, String::new());
                            f.socket = Some(SocketInfo {
                                unix_source: p.uint(K::Source).unwrap_or(0),
                                unix_dest: p.uint(peer).unwrap_or(0),
                                ..SocketInfo::default()
                            });
                            f.open_ts = ts;
                            self.insert_fd(tid, f);
                        }
                    }
                }
            }
            Action::Pipe => {
                if p.int(K::Res) == Some(0) {
                    let cloexec = p.uint(K::Flags).is_some_and(|f| f as u32 & O_CLOEXEC != 0);
                    for k in [K::Fd1, K::Fd2] {
                        if let Some(fd) = p.int(k) {
                            let mut f = FdInfo::new(fd, FdType::Fifo, String::new());
                            f.ino = p.uint(K::Ino).unwrap_or(0);
                            f.cloexec = cloexec;
                            f.open_ts = ts;
                            self.insert_fd(tid, f);
                        }
                    }
                }
            }
            Action::MemfdCreate => {
                if let Some(fd) = p.int(K::Fd).filter(|&f| f >= 0) {
                    let n = format!("memfd:{}", p.str(K::Name).unwrap_or_default());
                    let mut f = FdInfo::new(fd, FdType::Memfd, n);
                    f.open_ts = ts;
                    self.insert_fd(tid, f);
                }
            }
            Action::Chdir => {
                if p.int(K::Res) == Some(0) {
                    if let Some(path) = p.str(K::Path) {
                        let t = self.thread_or_create(tid);
                        t.cwd = with_slash(&resolve_path(&t.cwd, &path));
                        let cwd = t.cwd.clone();
                        self.for_process_threads(tid, |t| t.cwd = cwd.clone());
                    }
                }
            }
            Action::Fchdir => {
                if let (Some(0), Some(fd)) = (p.int(K::Res), p.int(K::Fd)) {
                    if let Some(dir) = self.fd(tid, fd).map(|f| with_slash(&f.name)) {
                        self.for_process_threads(tid, |t| t.cwd = dir.clone());
                    }
                }
            }
            Action::SetId => {
                if p.int(K::Res) == Some(0) {
                    self.on_setid(tid, name, &p);
                }
            }
            Action::Setsid => {
                if let Some(sid) = p.int(K::Res).filter(|&r| r >= 0) {
                    let t = self.thread_or_create(tid);
                    t.sid = sid;
                    t.vpgid = sid;
                    t.pgid = sid;
                }
            }
            Action::Setpgid => {
                if let (Some(0), Some(pid), Some(pgid)) = (p.int(K::Res), p.int(K::Pid), p.int(K::Pgid)) {
                    let target = if pid == 0 { tid } else { pid };
                    if let Some(t) = self.threads.get_mut(&target) {
                        let g = if pgid == 0 { t.pid } else { pgid };
                        t.pgid = g;
                        t.vpgid = g;
                    }
                }
            }
            Action::Capset => {
                if p.int(K::Res) == Some(0) {
                    let t = self.thread_or_create(tid);
                    t.cap_inheritable = p.uint(K::CapInheritable).unwrap_or(t.cap_inheritable);
                    t.cap_permitted = p.uint(K::CapPermitted).unwrap_or(t.cap_permitted);
                    t.cap_effective = p.uint(K::CapEffective).unwrap_or(t.cap_effective);
                }
            }
            Action::Prctl => {
                if p.int(K::Res) == Some(0) && p.uint(K::PrctlOption) == Some(PR_SET_NAME) {
                    if let Some(n) = p.str(K::Arg2Str) {
                        let t = self.thread_or_create(tid);
                        t.comm = n.chars().take(MAX_COMM_LEN).collect();
                    }
                }
            }
            Action::AnonFd(ty, label) => {
                let fd = p.int(K::Res).or_else(|| p.int(K::Fd)).filter(|&f| f >= 0);
                if let Some(fd) = fd {
                    let mut f = FdInfo::new(fd, ty, label);
                    f.open_ts = ts;
                    self.insert_fd(tid, f);
                }
            }
            Action::Receive | Action::Send => {
                // A failed call's tuple says nothing (libsinsp returns before looking at it).
                if let (Some(0..), Some(fd)) = (p.int(K::Res), p.int(K::Fd)) {
                    let tuple = p.raw(K::Tuple).map(|(raw, _)| raw);
                    self.on_datagram(tid, fd, plan.action == Action::Send, tuple, info, ts);
                }
            }
            Action::Transfer => {
                if let (Some(0..), Some(fd)) = (p.int(K::Res), p.int(K::Fd)) {
                    if let Some(f) = self.fd_mut(tid, fd) {
                        super::datagram::mark_transfer(f);
                    }
                }
            }
            Action::Procexit | Action::None => {}
        }
        if let Some(e) = enter {
            self.recycle_string(e.path);
        }
        Ok(())
    }

    fn parse_enter(&mut self, tid: i64, ts: u64, name: &str, p: &Params<'_>) {
        if p.plan.action == Action::Procexit {
            self.on_procexit(tid, ts, p);
            return;
        }
        let path = match p.plan.action {
            Action::Open if name != "open_by_handle_at" => p.str(K::Name).unwrap_or_default(),
            Action::Connect => match p.get(K::Addr) {
                Some(ParamValue::SockAddr(SockAddr::Unix(path))) => utf8_lossy(path),
                _ => Cow::Borrowed(""),
            },
            _ => Cow::Borrowed(""),
        };
        let fd = p.int(K::Fd);
        if let Some(old) = self.pending_enter.remove(&tid) {
            self.recycle_string(old.path);
        }
        if path.is_empty() && fd.is_none() {
            return;
        }
        let path = {
            let mut s = self.take_string();
            s.push_str(&path);
            s
        };
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
        let Some(res) = p.int(K::Res) else { return };
        if res < 0 {
            return;
        }
        // Exit of the parent (res = child tid) or of the child (res = 0, tid = child).
        let child_tid = if res == 0 { tid } else { res };
        let flags = p.uint(K::Flags).unwrap_or(0) as u32;
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
        let caller_pid = p.int(K::Pid).unwrap_or(tid);
        let parent_tid = if res == 0 { p.int(K::Ptid).unwrap_or(-1) } else { tid };
        let mut child = match self.threads.get_mut(&parent_tid) {
            Some(parent) => {
                // Copied without its fds (a thread has none of its own; a process's are
                // copied below).
                let fds = std::mem::take(&mut parent.fds);
                let c = parent.clone();
                parent.fds = fds;
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
            child.ptid = p.int(K::Ptid).unwrap_or(parent_tid);
            child.vtid = p.int(K::Vtid).unwrap_or(child.vtid);
            child.vpid = p.int(K::Vpid).unwrap_or(child.vpid);
        } else {
            child.pid = if is_thread { caller_pid } else { child_tid };
            child.ptid = if is_thread {
                self.threads.get(&tid).map_or(tid, |t| t.ptid)
            } else {
                tid
            };
        }
        if let Some(exe) = p.str(K::Exe) {
            set_str(&mut child.exe, &exe);
        }
        if let Some(a) = p.bytes(K::Args) {
            if !super::thread::same_nul_list(&child.args, a) {
                child.args = super::split_nul_list(a);
            }
        }
        if let Some(c) = p.str(K::Comm) {
            set_str(&mut child.comm, &c);
        }
        // The child inherits the parent's tracked cwd; the event's `cwd` only fills in for an
        // unknown parent.
        if !self.threads.contains_key(&parent_tid) {
            if let Some(c) = p.str(K::Cwd) {
                child.cwd = with_slash(&c);
            }
        }
        if let Some(c) = p.bytes(K::Cgroups) {
            if !super::thread::same_cgroups(&child.cgroups, c) {
                child.cgroups = super::parse_cgroups(c);
            }
        }
        if let Some(v) = p.uint(K::Uid) {
            child.uid = v as u32;
        }
        if let Some(v) = p.uint(K::Gid) {
            child.gid = v as u32;
        }
        child.fd_limit = p.int(K::Fdlimit).unwrap_or(child.fd_limit);
        child.vmsize_kb = p.uint(K::VmSize).unwrap_or(0) as u32;
        child.vmrss_kb = p.uint(K::VmRss).unwrap_or(0) as u32;
        child.vmswap_kb = p.uint(K::VmSwap).unwrap_or(0) as u32;
        child.pfmajor = p.uint(K::PgftMaj).unwrap_or(0);
        child.pfminor = p.uint(K::PgftMin).unwrap_or(0);
        child.pidns_init_start_ts = p.uint(K::PidnsInitStartTs).unwrap_or(child.pidns_init_start_ts);
        // A new process gets a copy of the parent's fds; a thread shares its main thread's.
        if child.pid == child.tid {
            if let Some(fds) = self.fds(parent_tid).cloned() {
                child.fds = fds;
            }
        }
        self.insert(child);
    }

    fn on_execve(&mut self, tid: i64, ts: u64, p: &Params<'_>) {
        if p.int(K::Res) != Some(0) {
            return; // failed execve changes nothing
        }
        let t = self.thread_or_create(tid);
        if let Some(v) = p.str(K::Exe) {
            set_str(&mut t.exe, &v);
        }
        if let Some(v) = p.bytes(K::Args) {
            if !super::thread::same_nul_list(&t.args, v) {
                t.args = super::split_nul_list(v);
            }
        }
        if let Some(v) = p.str(K::Comm) {
            set_str(&mut t.comm, &v);
        }
        // The working directory survives execve; libsinsp keeps the one it tracked (sysdig
        // shows the tracked value, not execve's `cwd` param).
        if let Some(v) = p.bytes(K::Env) {
            if !super::thread::same_nul_list(&t.env, v) {
                t.env = super::split_nul_list(v);
            }
        }
        if let Some(v) = p.bytes(K::Cgroups) {
            if !super::thread::same_cgroups(&t.cgroups, v) {
                t.cgroups = super::parse_cgroups(v);
            }
        }
        if let Some(v) = p.int(K::Pid) {
            t.pid = v;
        }
        if let Some(v) = p.int(K::Ptid) {
            t.ptid = v;
        }
        t.fd_limit = p.int(K::Fdlimit).unwrap_or(t.fd_limit);
        t.vmsize_kb = p.uint(K::VmSize).unwrap_or(t.vmsize_kb as u64) as u32;
        t.vmrss_kb = p.uint(K::VmRss).unwrap_or(t.vmrss_kb as u64) as u32;
        t.vmswap_kb = p.uint(K::VmSwap).unwrap_or(t.vmswap_kb as u64) as u32;
        t.pfmajor = p.uint(K::PgftMaj).unwrap_or(t.pfmajor);
        t.pfminor = p.uint(K::PgftMin).unwrap_or(t.pfminor);
        t.tty = p.uint(K::Tty).unwrap_or(t.tty as u64) as u32;
        t.vpgid = p.int(K::Vpgid).unwrap_or(t.vpgid);
        t.pgid = p.int(K::Pgid).unwrap_or(t.pgid);
        t.loginuid = p.uint(K::Loginuid).unwrap_or(t.loginuid as u64) as u32;
        t.flags = p.uint(K::Flags).unwrap_or(t.flags as u64) as u32;
        t.cap_inheritable = p.uint(K::CapInheritable).unwrap_or(t.cap_inheritable);
        t.cap_permitted = p.uint(K::CapPermitted).unwrap_or(t.cap_permitted);
        t.cap_effective = p.uint(K::CapEffective).unwrap_or(t.cap_effective);
        t.exe_ino = p.uint(K::ExeIno).unwrap_or(t.exe_ino);
        t.exe_ino_ctime = p.uint(K::ExeInoCtime).unwrap_or(t.exe_ino_ctime);
        t.exe_ino_mtime = p.uint(K::ExeInoMtime).unwrap_or(t.exe_ino_mtime);
        if let Some(v) = p.uint(K::Uid) {
            t.uid = v as u32;
        }
        if let Some(v) = p.uint(K::Gid) {
            t.gid = v as u32;
        }
        // exepath: trusted_exepath when the driver sent it, else exe resolved against cwd.
        t.exepath = match p.str(K::TrustedExepath) {
            Some(x) if !x.is_empty() => x.into_owned(),
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
            if let Some(r) = p.int(K::ReaperTid) {
                t.reaper_tid = r;
            }
            self.pending_removal.push_back((tid, ts));
        }
    }

    fn on_open(&mut self, tid: i64, ts: u64, name: &str, p: &Params<'_>, enter: Option<&EnterData>) {
        let Some(fd) = p.int(K::Fd).filter(|&f| f >= 0) else {
            return;
        };
        let raw = match p.str(if name == "open_by_handle_at" { K::Path } else { K::Name }) {
            Some(n) if !n.is_empty() => n,
            _ => Cow::Borrowed(enter.map_or("", |e| e.path.as_str())),
        };
        let mut resolved = self.take_string();
        if raw.starts_with('/') {
            resolve_path_into("/", &raw, &mut resolved);
        } else {
            let dir = match p.int(K::Dirfd) {
                Some(d) if d != AT_FDCWD => self.fd(tid, d).map(|f| f.name.as_str()),
                _ => None,
            };
            let base = dir.or_else(|| self.thread(tid).map(|t| t.cwd.as_str())).unwrap_or("");
            if base.is_empty() {
                resolved.push_str(&raw);
            } else {
                resolve_path_into(base, &raw, &mut resolved);
            }
        }
        let mut name_raw = self.take_string();
        name_raw.push_str(&raw);
        // creat has no flags: its creat_flags carry the overlayfs layer in bits of their own.
        let flags = match p.uint(K::CreatFlags) {
            Some(c) if c & u64::from(PPM_FD_UPPER_LAYER_CREAT) != 0 => PPM_FD_UPPER_LAYER,
            Some(c) if c & u64::from(PPM_FD_LOWER_LAYER_CREAT) != 0 => PPM_FD_LOWER_LAYER,
            Some(_) => 0,
            None => p.uint(K::Flags).unwrap_or(0) as u32,
        };
        let ty = if flags & O_DIRECTORY != 0 {
            FdType::Directory
        } else {
            FdType::File
        };
        let mut f = FdInfo::with_names(fd, ty, resolved, name_raw);
        f.open_flags = flags;
        f.mode = p.uint(K::Mode).unwrap_or(0) as u32;
        f.dev = p.uint(K::Dev).unwrap_or(0) as u32;
        f.ino = p.uint(K::Ino).unwrap_or(0);
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

    /// Points `fd` at the connection `t` (connect's or accept's); `unix_path` is the peer path
    /// a unix socket is named after. `false` when the tuple's family is not a socket's.
    fn set_socket_tuple(
        &mut self,
        tid: i64,
        fd: i64,
        t: &SockTuple<'_>,
        unix_path: &[u8],
        role: SocketRole,
        ts: u64,
    ) -> bool {
        let (ty, mut s) = sock_info_from_tuple(t);
        if ty == FdType::Unknown {
            return false;
        }
        if ty == FdType::UnixSocket {
            s.unix_path = String::from_utf8_lossy(unix_path).into_owned();
        }
        let fill = |f: &mut FdInfo, mut s: SocketInfo| {
            if let Some(old) = &mut f.socket {
                s.l4proto = old.l4proto;
            }
            if s.l4proto == L4Proto::Unknown && ty != FdType::UnixSocket {
                s.l4proto = L4Proto::Tcp;
            }
            f.fd = fd;
            f.fd_type = ty;
            f.role = role;
            f.name.clear();
            if ty == FdType::UnixSocket {
                // libsinsp names a connected or accepted unix socket after the whole tuple
                // (`encode_unix_tuple_fd_name`, the tuple's text for accept).
                crate::params::write_unix_tuple(&mut f.name, s.unix_source, s.unix_dest, s.unix_path.as_bytes());
            } else {
                write_socket_name(ty, role, &s, &mut f.name);
            }
            f.name_raw.clear();
            f.name_raw.push_str(&f.name);
            f.socket = Some(s);
        };
        // Updated in place when the fd is known (its other data stays), else created.
        if let Some(f) = self.fd_mut(tid, fd) {
            fill(f, s);
            return true;
        }
        let mut f = FdInfo::new(fd, ty, String::new());
        f.open_ts = ts;
        fill(&mut f, s);
        self.insert_fd(tid, f);
        true
    }

    fn on_bind(&mut self, tid: i64, fd: i64, addr: Option<ParamValue<'_>>) {
        let Some(f) = self.fd_mut(tid, fd) else { return };
        // A bind to port 0 (a client choosing its local address) makes no server: libsinsp only
        // renames the socket after the address, and its ends stay for later tuples.
        let portless = match addr {
            Some(ParamValue::SockAddr(SockAddr::V4(ip, 0))) => Some(IpAddr::V4(ip)),
            Some(ParamValue::SockAddr(SockAddr::V6(ip, 0))) => Some(ipv6_or_mapped(&ip.octets())),
            _ => None,
        };
        if let Some(ip) = portless {
            f.name.clear();
            push_ip(&mut f.name, Some(ip));
            f.name.push_str(":0");
            return;
        }
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
        let mut name = String::new();
        write_socket_name(f.fd_type, SocketRole::Server, s, &mut name);
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
                if let Some(u) = keep(p.uint(K::Uid)) {
                    t.uid = u;
                    t.ruid = u;
                    t.suid = u;
                }
            }
            "setresuid" => {
                if let Some(u) = keep(p.uint(K::Ruid)) {
                    t.ruid = u;
                }
                if let Some(u) = keep(p.uint(K::Euid)) {
                    t.uid = u;
                }
                if let Some(u) = keep(p.uint(K::Suid)) {
                    t.suid = u;
                }
            }
            "setgid" => {
                if let Some(g) = keep(p.uint(K::Gid)) {
                    t.gid = g;
                    t.rgid = g;
                    t.sgid = g;
                }
            }
            _ => {
                if let Some(g) = keep(p.uint(K::Rgid)) {
                    t.rgid = g;
                }
                if let Some(g) = keep(p.uint(K::Egid)) {
                    t.gid = g;
                }
                if let Some(g) = keep(p.uint(K::Sgid)) {
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

/// Sets `dst` to `v`, keeping its buffer (and doing nothing when it already holds `v`).
fn set_str(dst: &mut String, v: &str) {
    if dst != v {
        dst.clear();
        dst.push_str(v);
    }
}

fn with_slash(p: &str) -> String {
    super::with_trailing_slash(p)
}
