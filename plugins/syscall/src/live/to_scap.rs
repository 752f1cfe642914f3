//! Raw kernel records → scap exit events with every parameter of the event table entry, in
//! the encodings the replay path reads (`params::decode`, `state::update`). Exit events carry
//! the parameters that older drivers put on enter events (Falco 0.41+ / libs 0.21+ model).

use std::borrow::Cow;

use plugin_api::event::{EventError, EventWriter};

use super::linux_flags::{
    chmod_mode, clone_flags, delete_module_flags, epoll_create1_flags, fcntl_cmd, lseek_whence, mmap_flags,
    mount_flags, nonblock_cloexec_flags, open_flags, open_mode, pidfd_open_flags, pipe2_flags, poll_events,
    ptrace_request, rlimit_resource, same_bits, shutdown_how, sockopt_name, FMODE_CREATED, PPM_CL_CHILD_IN_PIDNS,
    PPM_O_F_CREATED, PPM_PTRACE_SIGNAL_REQUESTS,
};
use super::linux_flags::{
    io_uring_enter_flags, io_uring_setup_features, io_uring_setup_flags, keyctl_str_arg, quotactl, quotactl_cmd,
    quotactl_fmt, quotactl_type, semctl_cmd, semget_flags, semop_flags, PPM_QFMT_NOT_USED, SEMCTL_SETVAL,
};
use super::records::{
    tag, RawFdInfo, RawMmsg, RawRecord, RawTuple, ARG_RET, LAYER_LOWER, LAYER_UPPER, REC_PROC_EXEC, REC_PROC_EXIT,
    REC_SYS_ENTER, REC_SYS_EXIT,
};
use super::syscall_nr::{self, SyscallInfo, GENERIC_X};
use crate::event_table::{event_info, EventFlags, EventInfo, ParamInfo, ParamType};
use crate::flags::{PPM_FD_LOWER_LAYER, PPM_FD_LOWER_LAYER_CREAT, PPM_FD_UPPER_LAYER, PPM_FD_UPPER_LAYER_CREAT};
use crate::params::{PPM_AF_INET, PPM_AF_INET6, PPM_AF_UNIX};

/// `PPM_SOCKOPT_IDX_*`: the dynamic type of getsockopt's `val`.
const SOCKOPT_IDX_UNKNOWN: u8 = 0;
const SOCKOPT_IDX_ERRNO: u8 = 1;
const SOCKOPT_IDX_UINT32: u8 = 2;
const SOCKOPT_IDX_UINT64: u8 = 3;
const SOCKOPT_IDX_TIMEVAL: u8 = 4;
/// `PPM_PTRACE_IDX_SIGTYPE`: ptrace's `data` is a signal number.
const PTRACE_IDX_SIGTYPE: u8 = 1;
/// `PPM_PTRACE_IDX_UINT64`: ptrace's `data` is a plain 64-bit value.
const PTRACE_IDX_UINT64: u8 = 0;

/// `PPME_PROCEXIT_1_E`.
pub const PROCEXIT_E: u16 = 186;
/// `PPME_SYSCALL_EXECVE_19_X`.
pub const EXECVE_X: u16 = 293;
/// `PR_SET_NAME` / `PR_GET_NAME`: prctl options whose second argument is a string.
const PR_SET_NAME: u64 = 15;
const PR_GET_NAME: u64 = 16;
/// Linux `SOL_SOCKET` / `SOL_TCP` (→ `PPM_SOCKOPT_LEVEL_*` 1 / 2; other levels are 0, unknown).
const SOL_SOCKET: u64 = 1;
const SOL_TCP: u64 = 6;
/// -EINPROGRESS: a non-blocking connect under way.
const EINPROGRESS: i64 = 115;
/// Linux `AF_*` of raw sockaddrs (`PPM_AF_*` share the numbers).
const AF_UNIX: u16 = 1;
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

/// Why a record could not become an event.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("raw record for syscall {nr}: event type {event_type} is not in the event table")]
    UnknownEvent { nr: u16, event_type: u16 },
    #[error("raw record for syscall {nr} ({name}): cannot encode event {event_type}: {source}")]
    Encode {
        nr: u16,
        name: &'static str,
        event_type: u16,
        #[source]
        source: EventError,
    },
}

/// Counters of what the builder saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BuildStats {
    pub events: u64,
    /// Enter records and records for syscall numbers outside the table.
    pub no_event: u64,
    /// Records whose data items were cut by the kernel (snaplen, path caps).
    pub truncated: u64,
}

/// Epoch ns at boot: `CLOCK_REALTIME - CLOCK_BOOTTIME`, read once.
pub fn boot_offset_now() -> u64 {
    let read = |clock| {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `ts` is a valid, writable timespec; clock_gettime only writes it.
        let r = unsafe { libc::clock_gettime(clock, &mut ts) };
        if r != 0 {
            return 0;
        }
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    };
    read(libc::CLOCK_REALTIME).saturating_sub(read(libc::CLOCK_BOOTTIME))
}

/// Turns raw records into scap events.
#[derive(Debug, Clone)]
pub struct ScapBuilder {
    boot_offset: u64,
    stats: BuildStats,
    /// Per event code, where each parameter comes from, worked out from the parameter names
    /// on the code's first record (see [`Plan`]).
    plans: Vec<Option<Plan>>,
}

/// How the parameters of one event code are filled, so that records after the first skip the
/// comparisons of event and parameter names.
#[derive(Debug, Clone)]
struct Plan {
    /// clone/fork/execve family: every parameter from [`Ctx::process_param`].
    process: bool,
    params: Vec<Route>,
}

/// Where one parameter of a dedicated exit event comes from.
#[derive(Debug, Clone, Copy)]
struct Route {
    /// Ask [`Ctx::specific`] first; cleared once it said it has no arm for the parameter
    /// (a property of the event and parameter names, whatever the record holds).
    specific: bool,
    /// Otherwise (or when the per-event arm finds nothing in the record).
    shared: Shared,
}

/// The parameter names most events share ([`Ctx::shared`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shared {
    Ret,
    /// An `int` first argument (fds, dirfd).
    IntArg0,
    Data,
    Size,
    Tuple,
    Dev,
    Ino,
    Empty,
}

impl Shared {
    /// The shared meaning of parameter `name` (index `i`) of `info`.
    fn of(info: &EventInfo, name: &str, i: usize) -> Shared {
        match name {
            "res" => Shared::Ret,
            // fd-creating events whose first parameter is the new fd.
            "fd" if i == 0 && info.flags.contains(EventFlags::CREATES_FD) => Shared::Ret,
            "fd" | "dirfd" => Shared::IntArg0,
            "data" => Shared::Data,
            "size" => Shared::Size,
            "tuple" => Shared::Tuple,
            "dev" => Shared::Dev,
            "ino" => Shared::Ino,
            _ => Shared::Empty,
        }
    }
}

impl Plan {
    fn new(info: &EventInfo) -> Plan {
        let ev = info.name;
        let params = info
            .params
            .iter()
            .enumerate()
            .map(|(i, p)| Route {
                // Names no event gives its own meaning skip the per-event table (most
                // parameters of the busiest events: open/close/read/write results and fds).
                specific: match p.name {
                    // sendmmsg/recvmmsg events are per message: res is the message's msg_len.
                    "res" => matches!(ev, "sendmmsg" | "recvmmsg"),
                    "dirfd" => false,
                    "fd" => matches!(ev, "mmap" | "mmap2"),
                    _ => true,
                },
                shared: Shared::of(info, p.name, i),
            })
            .collect();
        Plan {
            process: is_process_event(ev),
            params,
        }
    }
}

impl Default for ScapBuilder {
    fn default() -> Self {
        ScapBuilder::new(boot_offset_now())
    }
}

/// A parameter value before its `PT_*` encoding.
enum Val<'a> {
    Empty,
    Int(i64),
    /// A string without NUL (one is appended).
    Str(&'a [u8]),
    Bytes(Cow<'a, [u8]>),
}

impl ScapBuilder {
    /// A builder adding `boot_offset` (epoch ns at boot, see [`boot_offset_now`]) to the
    /// kernel's boot-time stamps.
    pub fn new(boot_offset: u64) -> Self {
        ScapBuilder {
            boot_offset,
            stats: BuildStats::default(),
            plans: Vec::new(),
        }
    }

    pub fn stats(&self) -> &BuildStats {
        &self.stats
    }

    /// Appends the scap event of `rec` to `out`. `Ok(false)`: the record makes no event.
    /// A sendmmsg/recvmmsg record makes one event per message ([`ScapBuilder::events_in`]):
    /// this is the first one's, [`ScapBuilder::build_message`] the others'.
    pub fn build(&mut self, rec: &RawRecord<'_>, out: &mut Vec<u8>) -> Result<bool, BuildError> {
        self.build_message(rec, 0, out)
    }

    /// How many events `rec` makes when [`ScapBuilder::build`] makes one: Falco's driver sends a
    /// sendmmsg/recvmmsg exit event per message (the first 16), other records make one.
    pub fn events_in(rec: &RawRecord<'_>) -> usize {
        if rec.hdr.kind != REC_SYS_EXIT || rec.hdr.ret <= 1 {
            return 1;
        }
        match syscall_nr::by_nr(rec.hdr.nr) {
            Some(s) if matches!(s.event_name, "sendmmsg" | "recvmmsg") => {
                rec.items().filter(|i| i.tag == tag::MMSG).count().max(1)
            }
            _ => 1,
        }
    }

    /// Appends the event of message `msg` of a sendmmsg/recvmmsg record (`msg` 0 for any other
    /// record) to `out`.
    pub fn build_message(&mut self, rec: &RawRecord<'_>, msg: u8, out: &mut Vec<u8>) -> Result<bool, BuildError> {
        let (code, sc) = match rec.hdr.kind {
            REC_PROC_EXIT => (PROCEXIT_E, None),
            REC_PROC_EXEC => (EXECVE_X, syscall_nr::by_name("execve")),
            REC_SYS_EXIT => match syscall_nr::by_nr(rec.hdr.nr) {
                Some(s) => (s.exit_event, Some(s)),
                None => {
                    self.stats.no_event += 1;
                    return Ok(false);
                }
            },
            _ => {
                debug_assert_eq!(rec.hdr.kind, REC_SYS_ENTER);
                self.stats.no_event += 1;
                return Ok(false);
            }
        };
        let info = event_info(code).ok_or(BuildError::UnknownEvent {
            nr: rec.hdr.nr,
            event_type: code,
        })?;
        let ctx = Ctx {
            rec,
            info,
            proc_exec: rec.hdr.kind == REC_PROC_EXEC,
            msg,
        };
        let ts = rec.hdr.ts.wrapping_add(self.boot_offset);
        let mut w = EventWriter::begin(out, ts, rec.hdr.tid as u64, code, info.params.len() as u32);
        let enc = |source| BuildError::Encode {
            nr: rec.hdr.nr,
            name: sc.map_or("procexit", |s| s.name),
            event_type: code,
            source,
        };
        let code_at = code as usize;
        if self.plans.len() <= code_at {
            self.plans.resize(code_at + 1, None);
        }
        let plan = self.plans[code_at].get_or_insert_with(|| Plan::new(info));
        for ((i, p), route) in info.params.iter().enumerate().zip(plan.params.iter_mut()) {
            let v = match (code, sc) {
                (GENERIC_X, Some(s)) => generic_param(s, i),
                (PROCEXIT_E, _) => ctx.procexit_param(p),
                _ if plan.process => ctx.process_param(p.name),
                _ => ctx.param(p.name, route),
            };
            write_param(&mut w, p.param_type, &v).map_err(enc)?;
        }
        w.finish().map_err(enc)?;
        self.stats.events += 1;
        if rec.truncated() {
            self.stats.truncated += 1;
        }
        Ok(true)
    }
}

fn generic_param(s: &SyscallInfo, i: usize) -> Val<'static> {
    match i {
        0 => Val::Int(s.ppm_sc as i64),
        _ => Val::Int(s.nr as i64),
    }
}

/// The events whose parameters come from the task block and process items
/// ([`Ctx::process_param`]).
fn is_process_event(name: &str) -> bool {
    matches!(name, "clone" | "clone3" | "fork" | "vfork" | "execve" | "execveat")
}

/// Writes `v` as the next parameter, of type `pt`, straight into the event.
fn write_param(w: &mut EventWriter<'_>, pt: ParamType, v: &Val<'_>) -> Result<(), EventError> {
    use ParamType as T;
    let n = match v {
        Val::Empty => return w.param(&[]),
        Val::Int(n) => *n,
        Val::Str(s) if matches!(pt, T::CharBuf | T::FsPath | T::FsRelPath) => return w.param_parts(&[s, &[0]]),
        Val::Str(s) => return w.param(s),
        Val::Bytes(b) => return w.param(b),
    };
    let width = match pt {
        T::Int8 | T::Uint8 | T::SigType | T::L4Proto | T::SockFamily | T::Flags8 | T::EnumFlags8 => 1,
        T::Int16 | T::Uint16 | T::Port | T::SyscallId | T::Flags16 | T::EnumFlags16 => 2,
        T::Int32
        | T::Uint32
        | T::Flags32
        | T::EnumFlags32
        | T::Uid
        | T::Gid
        | T::SigSet
        | T::Mode
        | T::Bool
        | T::Fd32
        | T::Pid32 => 4,
        T::Dyn => {
            // Index 0 of every dynamic-type list is a plain 64-bit value.
            return w.param_parts(&[&[0], &n.to_le_bytes()]);
        }
        _ => 8,
    };
    w.param(&n.to_le_bytes()[..width])
}

/// Strips one trailing NUL.
fn no_nul(b: &[u8]) -> &[u8] {
    b.strip_suffix(&[0]).unwrap_or(b)
}

/// A raw `struct sockaddr` → the scap `PT_SOCKADDR` encoding.
pub fn encode_sockaddr(b: &[u8]) -> Option<Vec<u8>> {
    let family = u16::from_le_bytes([*b.first()?, *b.get(1)?]);
    let mut out = Vec::new();
    match family {
        AF_INET if b.len() >= 8 => {
            out.push(PPM_AF_INET);
            out.extend_from_slice(&b[4..8]);
            out.extend_from_slice(&u16::from_be_bytes([b[2], b[3]]).to_le_bytes());
        }
        AF_INET6 if b.len() >= 24 => {
            out.push(PPM_AF_INET6);
            out.extend_from_slice(&b[8..24]);
            out.extend_from_slice(&u16::from_be_bytes([b[2], b[3]]).to_le_bytes());
        }
        AF_UNIX => {
            out.push(PPM_AF_UNIX);
            let path = &b[2..];
            // Abstract sockets start with a NUL; libsinsp shows it as '@'.
            let (lead, rest) = match path.split_first() {
                Some((0, rest)) if !rest.is_empty() => (Some(b'@'), rest),
                _ => (None, path),
            };
            let end = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
            out.extend(lead);
            out.extend_from_slice(&rest[..end]);
            out.push(0);
        }
        _ => return None,
    }
    Some(out)
}

/// Which end of a socket a `PT_SOCKTUPLE` puts first, as Falco's driver fills it per syscall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// connect, send, sendto, sendmsg, sendmmsg: inet local → remote; unix the peer's pointer,
    /// the socket's own, then the peer's path.
    Outbound,
    /// accept, accept4, recv, recvfrom, recvmsg, recvmmsg: inet remote → local; unix the
    /// socket's own pointer, the peer's, then the socket's own path.
    Inbound,
}

impl Direction {
    /// The direction of the tuple of an event by name.
    pub fn of_event(ev: &str) -> Direction {
        match ev {
            "accept" | "accept4" | "recv" | "recvfrom" | "recvmsg" | "recvmmsg" => Direction::Inbound,
            _ => Direction::Outbound,
        }
    }
}

/// A kernel tuple → the scap `PT_SOCKTUPLE` encoding in Falco's order for `dir`.
pub fn encode_tuple(t: &RawTuple<'_>, dir: Direction) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let local = (&t.local_addr, t.local_port);
    let remote = (&t.remote_addr, t.remote_port);
    let ((a, ap), (b, bp)) = match dir {
        Direction::Outbound => (local, remote),
        Direction::Inbound => (remote, local),
    };
    match t.family {
        PPM_AF_INET => {
            out.push(PPM_AF_INET);
            out.extend_from_slice(&a[..4]);
            out.extend_from_slice(&ap.to_le_bytes());
            out.extend_from_slice(&b[..4]);
            out.extend_from_slice(&bp.to_le_bytes());
        }
        PPM_AF_INET6 => {
            out.push(PPM_AF_INET6);
            out.extend_from_slice(a);
            out.extend_from_slice(&ap.to_le_bytes());
            out.extend_from_slice(b);
            out.extend_from_slice(&bp.to_le_bytes());
        }
        PPM_AF_UNIX => {
            let (first, second, path) = match dir {
                Direction::Outbound => (t.unix_peer, t.unix_local, t.unix_peer_path),
                Direction::Inbound => (t.unix_local, t.unix_peer, t.unix_path),
            };
            out.push(PPM_AF_UNIX);
            out.extend_from_slice(&first.to_le_bytes());
            out.extend_from_slice(&second.to_le_bytes());
            out.extend_from_slice(path);
            out.push(0);
        }
        _ => return None,
    }
    Some(out)
}

/// The peer of an unconnected socket taken from the call's user `struct sockaddr` (sendto's
/// dest_addr, recvfrom's src_addr, a message's msg_name), as Falco's driver fills tuples: an
/// inet socket without a remote port gets the name's address and port; an unconnected unix
/// socket sending (`outbound`) gets the name's path as its peer's. Other tuples, and names too
/// short for their family, are left as they are.
pub fn peer_from_msg_name<'a>(t: &mut RawTuple<'a>, name: &'a [u8], outbound: bool) {
    let family = match name {
        [a, b, ..] => u16::from_le_bytes([*a, *b]),
        _ => return,
    };
    let port = |n: &[u8]| u16::from_be_bytes([n[2], n[3]]);
    match (t.family, family) {
        (PPM_AF_INET, AF_INET) if t.remote_port == 0 && name.len() >= 8 => {
            t.remote_addr = [0; 16];
            t.remote_addr[..4].copy_from_slice(&name[4..8]);
            t.remote_port = port(name);
        }
        (PPM_AF_INET6, AF_INET6) if t.remote_port == 0 && name.len() >= 24 => {
            t.remote_addr.copy_from_slice(&name[8..24]);
            t.remote_port = port(name);
        }
        (PPM_AF_UNIX, AF_UNIX) if outbound && t.unix_peer == 0 => {
            // An abstract name's leading NUL is skipped, as the driver does.
            let path = name[2..].strip_prefix(&[0]).unwrap_or(&name[2..]);
            let end = path.iter().position(|&c| c == 0).unwrap_or(path.len());
            t.unix_peer_path = &path[..end];
        }
        _ => {}
    }
}

/// One record and its event row, answering parameters by name.
struct Ctx<'a> {
    rec: &'a RawRecord<'a>,
    info: &'static EventInfo,
    proc_exec: bool,
    /// The message of a sendmmsg/recvmmsg record this event is about.
    msg: u8,
}

impl<'a> Ctx<'a> {
    fn arg(&self, i: usize) -> Val<'a> {
        Val::Int(self.rec.hdr.args[i] as i64)
    }
    /// An `int` argument (fds, pids, dirfd): the low 32 bits, sign-extended.
    fn int_arg(&self, i: usize) -> Val<'a> {
        Val::Int(self.rec.hdr.args[i] as u32 as i32 as i64)
    }
    fn ret(&self) -> Val<'a> {
        Val::Int(self.rec.hdr.ret)
    }
    fn ustr(&self, i: u8) -> Val<'a> {
        match self.rec.item(tag::USTR, i) {
            Some(b) if !b.is_empty() => Val::Str(no_nul(b)),
            _ => Val::Empty,
        }
    }
    fn item_str(&self, t: u8) -> Val<'a> {
        match self.rec.item_any(t) {
            Some(b) if !b.is_empty() => Val::Str(no_nul(b)),
            _ => Val::Empty,
        }
    }
    fn item_bytes(&self, t: u8, arg: Option<u8>) -> Val<'a> {
        let b = match arg {
            Some(a) => self.rec.item(t, a),
            None => self.rec.item_any(t),
        };
        b.map_or(Val::Empty, |b| Val::Bytes(Cow::Borrowed(b)))
    }
    fn ret_fdinfo(&self) -> Option<RawFdInfo> {
        RawFdInfo::read(self.rec.item(tag::FDINFO, ARG_RET)?)
    }
    /// The tuple item of argument `arg` in Falco's order for this event, the peer of an
    /// unconnected socket from the call's user sockaddr (the SOCKADDR item of `name_arg`).
    /// Empty where the driver leaves it so: a failed call (connect also has its tuple while in
    /// progress).
    fn tuple(&self, arg: u8, name_arg: Option<u8>) -> Val<'a> {
        let ret = self.rec.hdr.ret;
        let done = match self.info.name {
            "connect" => ret == 0 || ret == -EINPROGRESS,
            "sendto" | "recvfrom" | "sendmsg" | "recvmsg" => ret >= 0,
            _ => true,
        };
        if !done {
            return Val::Empty;
        }
        let Some(mut t) = self.rec.item(tag::TUPLE, arg).and_then(RawTuple::read) else {
            return Val::Empty;
        };
        let dir = Direction::of_event(self.info.name);
        if let Some(name) = name_arg.and_then(|a| self.rec.item(tag::SOCKADDR, a)) {
            peer_from_msg_name(&mut t, name, dir == Direction::Outbound);
        }
        encode_tuple(&t, dir).map_or(Val::Empty, |b| Val::Bytes(Cow::Owned(b)))
    }
    fn sockaddr(&self, arg: u8) -> Val<'a> {
        self.rec
            .item(tag::SOCKADDR, arg)
            .and_then(encode_sockaddr)
            .map_or(Val::Empty, |b| Val::Bytes(Cow::Owned(b)))
    }
    fn pair(&self, arg: u8, second: bool) -> Val<'a> {
        match self.rec.item(tag::UINT_PAIR, arg) {
            Some(b) if b.len() == 8 => {
                let at = if second { 4 } else { 0 };
                Val::Int(i32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as i64)
            }
            _ => Val::Empty,
        }
    }
    /// A u64 field of openat2's `struct open_how` (flags, mode, resolve).
    fn open_how(&self, field: usize) -> Option<u64> {
        let b = self.rec.item(tag::UBUF, 2)?;
        Some(u64::from_le_bytes(b.get(field * 8..field * 8 + 8)?.try_into().ok()?))
    }

    /// The data bytes of the IOVEC item of argument 1 (readv, writev, sendmsg, recvmsg …).
    fn iovec_data(&self) -> Val<'a> {
        match self.rec.item(tag::IOVEC, 1) {
            Some(b) if b.len() >= 4 => Val::Bytes(Cow::Borrowed(&b[4..])),
            _ => Val::Empty,
        }
    }
    /// The sum of the iov_len of the IOVEC item of argument 1 (what a write asked to write).
    fn iovec_total(&self) -> Val<'a> {
        match self.rec.item(tag::IOVEC, 1) {
            Some(b) if b.len() >= 4 => Val::Int(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64),
            _ => Val::Empty,
        }
    }
    /// A u64 at byte `at` of the UBUF item of argument `arg`.
    fn user_u64(&self, arg: u8, at: usize) -> Option<u64> {
        let b = self.rec.item(tag::UBUF, arg)?;
        Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
    }
    /// The socket's tuple, with the peer of an unconnected socket from this message's name.
    fn mmsg_tuple(&self) -> Val<'a> {
        let Some(mut t) = self.rec.item(tag::TUPLE, 0).and_then(RawTuple::read) else {
            return Val::Empty;
        };
        if let Some(m) = self.mmsg() {
            peer_from_msg_name(&mut t, m.name, self.info.name == "sendmmsg");
        }
        encode_tuple(&t, Direction::of_event(self.info.name)).map_or(Val::Empty, |b| Val::Bytes(Cow::Owned(b)))
    }
    /// The MMSG item of this event's message (sendmmsg, recvmmsg).
    fn mmsg(&self) -> Option<RawMmsg<'a>> {
        self.rec.item(tag::MMSG, self.msg).and_then(RawMmsg::read)
    }
    /// A u32 at byte `at` of the UBUF item of argument `arg`, 0 when not there.
    fn user_u32(&self, arg: u8, at: usize) -> u32 {
        self.rec
            .item(tag::UBUF, arg)
            .and_then(|b| b.get(at..at + 4))
            .map_or(0, |w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
    }
    /// semop's `sem_num_N` / `sem_op_N` / `sem_flg_N` from the struct sembuf array read at exit
    /// (0 when the call failed or the array has no entry N).
    fn sembuf(&self, name: &str) -> i64 {
        let Some(b) = self.rec.item(tag::UBUF, 1) else { return 0 };
        let entry = if name.ends_with('1') { 6 } else { 0 };
        let field = match name.as_bytes().get(4) {
            Some(b'n') => 0,
            Some(b'o') => 2,
            _ => 4,
        };
        let Some(w) = b.get(entry + field..entry + field + 2) else {
            return 0;
        };
        let v = u16::from_le_bytes([w[0], w[1]]);
        match field {
            2 => v as i16 as i64,
            4 => semop_flags(v) as i64,
            _ => v as i64,
        }
    }
    /// keyctl's `arg2` … `arg5` (`PT_DYN`): as the driver sends them for the operation, an int64
    /// (index 0) or a string (index 1) where the operation takes one; 0 for the unused ones.
    fn keyctl_arg(&self, name: &str) -> Val<'a> {
        const IDX_INT64: u8 = 0;
        const IDX_CHARBUF: u8 = 1;
        // name is "argN": register N - 1.
        let reg = name.as_bytes()[3].wrapping_sub(b'1') as usize;
        let op = self.rec.hdr.args[0];
        let used = match op {
            1 | 3 | 7 | 14 | 16 | 21 => 1,
            0 | 5 | 8 | 9 | 15 | 22 | 31 => 2,
            2 | 4 | 6 | 11 | 13 | 17 | 24 | 29 | 32 => 3,
            10 | 12 | 19 | 20 | 23 | 25..=28 | 30 => 4,
            _ => 0,
        };
        if reg > used {
            return Val::Bytes(Cow::Owned([&[IDX_INT64][..], &0i64.to_le_bytes()].concat()));
        }
        match self.rec.item(tag::USTR, reg as u8) {
            Some(s) => Val::Bytes(Cow::Owned([&[IDX_CHARBUF][..], s].concat())),
            None if keyctl_str_arg(op, reg) => Val::Bytes(Cow::Owned(vec![IDX_CHARBUF])),
            None => Val::Bytes(Cow::Owned(
                [&[IDX_INT64][..], &self.rec.hdr.args[reg].to_le_bytes()].concat(),
            )),
        }
    }
    /// quotactl's command (`cmd >> 8`).
    fn quota_cmd(&self) -> u64 {
        self.rec.hdr.args[0] >> 8
    }
    /// A field of the `if_dqblk` (GETQUOTA/SETQUOTA) or `if_dqinfo` (GETINFO/SETINFO) read at
    /// `addr`, 0 unless its `valid` bit says it is set, as the driver sends it.
    fn quota_field(&self, name: &str) -> u64 {
        use super::linux_flags::quotactl::*;
        let b = self.rec.item(tag::UBUF, 3).unwrap_or_default();
        let u64_at = |at: usize| {
            b.get(at..at + 8)
                .map_or(0, |w| u64::from_le_bytes(w.try_into().unwrap_or_default()))
        };
        let cmd = self.quota_cmd();
        if matches!(cmd, Q_GETQUOTA | Q_SETQUOTA) && b.len() >= 72 {
            // if_dqblk: 7 u64 (… curinodes at 40, btime 48, itime 56), then u32 dqb_valid
            let valid = self.user_u32(3, 64);
            let (at, bit) = match name {
                "dqb_bhardlimit" => (0, 1), // QIF_BLIMITS
                "dqb_bsoftlimit" => (8, 1),
                "dqb_curspace" => (16, 2),   // QIF_SPACE
                "dqb_ihardlimit" => (24, 4), // QIF_ILIMITS
                "dqb_isoftlimit" => (32, 4),
                "dqb_btime" => (48, 16), // QIF_BTIME
                "dqb_itime" => (56, 32), // QIF_ITIME
                _ => return 0,
            };
            return if valid & bit != 0 { u64_at(at) } else { 0 };
        }
        if matches!(cmd, Q_GETINFO | Q_SETINFO) && b.len() >= 24 {
            // if_dqinfo: u64 bgrace, u64 igrace, u32 flags, u32 valid
            let valid = self.user_u32(3, 20);
            return match name {
                "dqi_bgrace" if valid & 1 != 0 => u64_at(0),
                "dqi_igrace" if valid & 2 != 0 => u64_at(8),
                "dqi_flags" if valid & 4 != 0 => self.user_u32(3, 16) as u8 as u64,
                _ => 0,
            };
        }
        0
    }
    /// One of vm_size / vm_rss / vm_swap from the VM item.
    fn vm(&self, field: usize) -> Val<'a> {
        match self.rec.item(tag::VM, 0) {
            Some(b) if b.len() >= 12 => {
                let at = field * 4;
                Val::Int(u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as i64)
            }
            _ => Val::Empty,
        }
    }
    /// getsockopt's `val` (`PT_DYN`, by the option's type) from the UBUF item of optval.
    fn sockopt_val(&self) -> Option<Val<'a>> {
        const SOL_SOCKET_LINUX: u64 = 1;
        const SO_ERROR: u64 = 4;
        const SO_COOKIE: u64 = 57;
        let b = self.rec.item(tag::UBUF, 3)?;
        let (level, name) = (self.rec.hdr.args[1], self.rec.hdr.args[2]);
        let mut v = Vec::with_capacity(b.len() + 1);
        let int = |n: usize| -> Option<[u8; 8]> {
            let mut w = [0u8; 8];
            w[..n].copy_from_slice(b.get(..n)?);
            Some(w)
        };
        match sockopt_name(level, name) {
            _ if level != SOL_SOCKET_LINUX => {
                v.push(SOCKOPT_IDX_UNKNOWN);
                v.extend_from_slice(b);
            }
            4 if name == SO_ERROR => {
                v.push(SOCKOPT_IDX_ERRNO);
                let e = i32::from_le_bytes(int(4)?[..4].try_into().ok()?);
                v.extend_from_slice(&(-(e as i64)).to_le_bytes());
            }
            20 | 21 => {
                // struct timeval → ns
                let sec = i64::from_le_bytes(int(8)?);
                let usec = i64::from_le_bytes(b.get(8..16)?.try_into().ok()?);
                v.push(SOCKOPT_IDX_TIMEVAL);
                v.extend_from_slice(
                    &(sec.wrapping_mul(1_000_000_000).wrapping_add(usec.wrapping_mul(1000))).to_le_bytes(),
                );
            }
            53 if name == SO_COOKIE => {
                v.push(SOCKOPT_IDX_UINT64);
                v.extend_from_slice(&int(8)?);
            }
            // the int-valued options (SO_LINGER, SO_PEERCRED, SO_PEERNAME … are not ints)
            1..=3 | 5..=12 | 14..=16 | 18 | 19 | 22..=25 | 27 | 29..=49 => {
                v.push(SOCKOPT_IDX_UINT32);
                v.extend_from_slice(&int(4)?[..4]);
            }
            _ => {
                v.push(SOCKOPT_IDX_UNKNOWN);
                v.extend_from_slice(b);
            }
        }
        Some(Val::Bytes(Cow::Owned(v)))
    }
    /// The open flags the driver adds from the returned fd's file (FDINFO): `PPM_O_F_CREATED`
    /// when the open created it, `PPM_FD_UPPER_LAYER`/`LOWER_LAYER` for an overlayfs file.
    fn opened(&self) -> u32 {
        let Some(f) = self.ret_fdinfo() else {
            return 0;
        };
        let created = if f.mode & FMODE_CREATED != 0 {
            PPM_O_F_CREATED
        } else {
            0
        };
        created
            | match f.layer {
                LAYER_UPPER => PPM_FD_UPPER_LAYER,
                LAYER_LOWER => PPM_FD_LOWER_LAYER,
                _ => 0,
            }
    }
    /// creat's `creat_flags`: only the overlayfs layer, in its own 16-bit bits.
    fn creat_layer(&self) -> u32 {
        match self.ret_fdinfo().map(|f| f.layer) {
            Some(LAYER_UPPER) => PPM_FD_UPPER_LAYER_CREAT,
            Some(LAYER_LOWER) => PPM_FD_LOWER_LAYER_CREAT,
            _ => 0,
        }
    }
    /// accept's `queuepct`, `queuelen` or `queuemax` from the listening socket's accept queue
    /// (0 when the call failed or the queue was not read).
    fn accept_queue(&self, name: &str) -> i64 {
        let Some(b) = self.rec.item(tag::SOCK_QUEUE, 0).filter(|b| b.len() == 8) else {
            return 0;
        };
        let len = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64;
        let max = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as u64;
        (match name {
            "queuelen" => len,
            "queuemax" => max,
            _ if len != 0 && max != 0 => (len * 100 / max) as u8 as u64,
            _ => 0,
        }) as i64
    }
    /// poll/ppoll `fds` (`PT_FDLIST`): each `struct pollfd` read at exit as (fd, revents).
    fn fdlist(&self) -> Val<'a> {
        let b = self.rec.item(tag::UBUF, 0).unwrap_or_default();
        let n = b.len() / 8;
        let mut out = Vec::with_capacity(2 + n * 10);
        out.extend_from_slice(&(n as u16).to_le_bytes());
        for p in b.chunks_exact(8) {
            let fd = i32::from_le_bytes([p[0], p[1], p[2], p[3]]) as i64;
            out.extend_from_slice(&fd.to_le_bytes());
            out.extend_from_slice(&poll_events(u16::from_le_bytes([p[6], p[7]])).to_le_bytes());
        }
        Val::Bytes(Cow::Owned(out))
    }

    /// ptrace's `data` (`PT_DYN`): the signal for CONT/SINGLESTEP/DETACH/SYSCALL, the word read
    /// for PEEKTEXT/PEEKDATA/PEEKUSR, otherwise the argument (0 when the call failed).
    fn ptrace_data(&self) -> Val<'a> {
        if self.rec.hdr.ret < 0 {
            return Val::Int(0);
        }
        let data = self.rec.hdr.args[3];
        if matches!(ptrace_request(self.rec.hdr.args[0]), 2..=4) {
            // PEEKTEXT, PEEKDATA, PEEKUSR: 0 when the word could not be read.
            let mut v = vec![PTRACE_IDX_UINT64];
            match self.rec.item(tag::UBUF, 3).filter(|w| w.len() == 8) {
                Some(w) => v.extend_from_slice(w),
                None => v.extend_from_slice(&[0; 8]),
            }
            return Val::Bytes(Cow::Owned(v));
        }
        if PPM_PTRACE_SIGNAL_REQUESTS.contains(&ptrace_request(self.rec.hdr.args[0])) {
            return Val::Bytes(Cow::Owned(vec![PTRACE_IDX_SIGTYPE, data as u8]));
        }
        Val::Int(data as i64)
    }

    /// `procexit` from a `SAKER_REC_PROC_EXIT` record (args[0] = exit code, args[1] = reaper).
    fn procexit_param(&self, p: &ParamInfo) -> Val<'a> {
        let code = self.rec.hdr.args[0] as i64;
        match p.name {
            "status" => Val::Int(code),
            "ret" => Val::Int((code >> 8) & 0xff),
            "sig" => Val::Int(code & 0x7f),
            "core" => Val::Int(i64::from(code & 0x80 != 0)),
            "reaper_tid" => Val::Int(self.rec.hdr.args[1] as i64),
            _ => Val::Empty,
        }
    }

    /// The parameters of clone/fork/execve-family exits, from the task block and items.
    fn process_param(&self, name: &str) -> Val<'a> {
        let args = self.rec.item_any(tag::ARGS).unwrap_or_default();
        let (exe, rest) = match args.iter().position(|&c| c == 0) {
            Some(i) => (&args[..i], &args[i + 1..]),
            None => (args, &[][..]),
        };
        if name == "res" {
            return if self.proc_exec { Val::Int(0) } else { self.ret() };
        }
        match name {
            "exe" if !args.is_empty() => return Val::Str(exe),
            "args" if !args.is_empty() => return Val::Bytes(Cow::Borrowed(rest)),
            "tid" => return Val::Int(self.rec.hdr.tid as i64),
            "pid" => return Val::Int(self.rec.hdr.pid as i64),
            "cwd" => return self.item_str(tag::CWD),
            "cgroups" => return self.item_bytes(tag::CGROUPS, None),
            "env" => return self.item_bytes(tag::ENV, None),
            "trusted_exepath" => return self.item_str(tag::EXE_PATH),
            "filename" => {
                return match self.info.name {
                    "execveat" => self.ustr(1),
                    _ => self.ustr(0),
                }
            }
            _ => {}
        }
        let Some(t) = &self.rec.task else {
            return Val::Empty;
        };
        let clone = matches!(self.info.name, "clone" | "clone3" | "fork" | "vfork");
        Val::Int(match name {
            "ptid" => t.ppid as i64,
            "fdlimit" => t.fdlimit as i64,
            "pgft_maj" => t.pgft_maj as i64,
            "pgft_min" => t.pgft_min as i64,
            "vm_size" => t.vm_size as i64,
            "vm_rss" => t.vm_rss as i64,
            "vm_swap" => t.vm_swap as i64,
            "comm" => return Val::Str(t.comm()),
            "flags" if clone => {
                let mut f = clone_flags(t.clone_flags);
                // Only the child's record knows the child's namespace ids.
                if self.rec.hdr.ret == 0 && t.vtid != self.rec.hdr.tid {
                    f |= PPM_CL_CHILD_IN_PIDNS;
                }
                f as i64
            }
            // SAKER_EXE_* bits are PPM_EXE_* bits.
            "flags" => t.exe_flags as i64,
            "uid" => t.uid as i64,
            "gid" => t.gid as i64,
            "vtid" => t.vtid as i64,
            "vpid" => t.vpid as i64,
            "pidns_init_start_ts" => t.pidns_init_start_ts as i64,
            "tty" => t.tty as i64,
            "vpgid" => t.vpgid as i64,
            "pgid" => t.pgid as i64,
            "loginuid" => t.loginuid as i64,
            "cap_inheritable" => t.cap_inheritable as i64,
            "cap_permitted" => t.cap_permitted as i64,
            "cap_effective" => t.cap_effective as i64,
            "exe_ino" => t.exe_ino as i64,
            "exe_ino_ctime" => t.exe_ctime as i64,
            "exe_ino_mtime" => t.exe_mtime as i64,
            _ => return Val::Empty,
        })
    }

    /// Parameter `name` of a dedicated exit event other than the process events, by its
    /// route (whose `specific` is cleared when the per-event table has no arm for it).
    fn param(&self, name: &str, route: &mut Route) -> Val<'a> {
        if route.specific {
            let mut no_arm = false;
            if let Some(v) = self.specific(self.info.name, name, &mut no_arm) {
                return v;
            }
            route.specific = !no_arm;
        }
        self.shared(route.shared)
    }

    /// The value of a name most events share.
    fn shared(&self, kind: Shared) -> Val<'a> {
        match kind {
            Shared::Ret => self.ret(),
            Shared::IntArg0 => self.int_arg(0),
            Shared::Data => match self.rec.item(tag::UBUF, 1) {
                Some(b) => Val::Bytes(Cow::Borrowed(b)),
                None => Val::Empty,
            },
            Shared::Size => self.arg(2),
            Shared::Tuple => self.tuple(0, None),
            Shared::Dev => self.ret_fdinfo().map_or(Val::Empty, |f| Val::Int(f.dev as i64)),
            Shared::Ino => self.ret_fdinfo().map_or(Val::Empty, |f| Val::Int(f.ino as i64)),
            Shared::Empty => Val::Empty,
        }
    }

    /// Per-event parameters that the shared names above do not cover. `None` with `no_arm`
    /// set: the table has nothing for this event and name (whatever the record holds).
    fn specific(&self, ev: &str, name: &str, no_arm: &mut bool) -> Option<Val<'a>> {
        let a = |i| self.arg(i);
        let fd = |i| self.int_arg(i);
        let flags = |i: usize| Val::Int(self.rec.hdr.args[i] as i64);
        // Flags whose PPM bits are the Linux bits: the bits the driver knows.
        let masked = |i: usize, known: u64| Val::Int((self.rec.hdr.args[i] & known) as i64);
        Some(match (ev, name) {
            ("open", "name") | ("creat", "name") => self.ustr(0),
            ("open", "flags") => Val::Int((open_flags(self.rec.hdr.args[1] as u32) | self.opened()) as i64),
            ("open", "mode") => Val::Int(open_mode(self.rec.hdr.args[1], self.rec.hdr.args[2]) as i64),
            ("creat", "mode") => Val::Int(chmod_mode(self.rec.hdr.args[1]) as i64),
            ("creat", "creat_flags") => Val::Int(self.creat_layer() as i64),
            ("openat", "name") | ("openat2", "name") => self.ustr(1),
            ("openat", "flags") => Val::Int((open_flags(self.rec.hdr.args[2] as u32) | self.opened()) as i64),
            ("openat", "mode") => Val::Int(open_mode(self.rec.hdr.args[2], self.rec.hdr.args[3]) as i64),
            ("openat2", "flags") => Val::Int((open_flags(self.open_how(0)? as u32) | self.opened()) as i64),
            ("openat2", "mode") => Val::Int(open_mode(self.open_how(0)?, self.open_how(1)?) as i64),
            ("openat2", "resolve") => Val::Int(self.open_how(2)? as i64),
            ("open_by_handle_at", "mountfd") => fd(0),
            ("open_by_handle_at", "flags") => {
                Val::Int((open_flags(self.rec.hdr.args[2] as u32) | self.opened()) as i64)
            }
            ("open_by_handle_at", "path") => self.rec.item(tag::FD_PATH, ARG_RET).map(|b| Val::Str(no_nul(b)))?,
            ("readv" | "preadv" | "recvmsg", "size") => Val::Int(self.rec.hdr.ret.max(0)),
            ("writev" | "pwritev" | "sendmsg", "size") => self.iovec_total(),
            (
                "readv" | "preadv" | "writev" | "pwritev" | "sendmsg" | "recvmsg" | "process_vm_readv"
                | "process_vm_writev",
                "data",
            ) => self.iovec_data(),
            ("pread" | "pwrite" | "preadv" | "pwritev", "pos") => a(3),
            ("recvmsg", "msgcontrol") => self.item_bytes(tag::UBUF, Some(2)),
            // One event per message, as the driver sends them; nothing but res and fd when the
            // call failed or sent nothing.
            ("sendmmsg" | "recvmmsg", "res") => match self.mmsg() {
                Some(m) if self.rec.hdr.ret > 0 => Val::Int(m.msg_len as i64),
                _ => self.ret(),
            },
            ("sendmmsg" | "recvmmsg", _) if self.rec.hdr.ret <= 0 => match name {
                "size" => Val::Int(0),
                _ => Val::Empty,
            },
            ("sendmmsg" | "recvmmsg", "tuple") => self.mmsg_tuple(),
            ("sendmmsg", "size") => Val::Int(self.mmsg().map_or(0, |m| m.iov_total as i64)),
            ("recvmmsg", "size") => Val::Int(self.mmsg().map_or(0, |m| m.msg_len as i64)),
            ("sendmmsg" | "recvmmsg", "data") => self.mmsg().map_or(Val::Empty, |m| Val::Bytes(Cow::Borrowed(m.data))),
            ("recvmmsg", "msgcontrol") => match self.mmsg() {
                Some(m) if !m.control.is_empty() => Val::Bytes(Cow::Borrowed(m.control)),
                _ => Val::Empty,
            },
            ("socket" | "socketpair", "domain") => a(0),
            ("socket" | "socketpair", "type") => a(1),
            ("socket" | "socketpair", "proto") => a(2),
            ("socket", "flags") => Val::Int(nonblock_cloexec_flags(self.rec.hdr.args[1]) as i64),
            ("connect" | "bind", "addr") => self.sockaddr(1),
            ("listen", "backlog") => fd(1),
            ("accept" | "accept4", "tuple") => self.tuple(ARG_RET, None),
            // The user sockaddr: sendto's dest_addr, recvfrom's src_addr, the msghdr's msg_name,
            // connect's addr.
            ("sendto" | "recvfrom", "tuple") => self.tuple(0, Some(4)),
            ("sendmsg" | "recvmsg" | "connect", "tuple") => self.tuple(0, Some(1)),
            ("accept" | "accept4", "queuepct" | "queuelen" | "queuemax") => Val::Int(self.accept_queue(name)),
            ("poll" | "ppoll", "fds") => self.fdlist(),
            // The int milliseconds, zero-extended as the driver does (-1 is 4294967295).
            ("poll", "timeout") => Val::Int(self.rec.hdr.args[2] as u32 as i64),
            // 0 when the pointers were NULL or unreadable.
            ("ppoll", "timeout") => {
                let (sec, nsec) = (self.user_u64(2, 0).unwrap_or(0), self.user_u64(2, 8).unwrap_or(0));
                Val::Int(sec.wrapping_mul(1_000_000_000).wrapping_add(nsec) as i64)
            }
            ("ppoll", "sigmask") => Val::Int(self.user_u64(3, 0).unwrap_or(0) as u32 as i64),
            ("accept4", "flags") => Val::Int(nonblock_cloexec_flags(self.rec.hdr.args[3]) as i64),
            ("shutdown", "how") => Val::Int(shutdown_how(self.rec.hdr.args[1]) as i64),
            ("getsockopt" | "setsockopt", "level") => Val::Int(match self.rec.hdr.args[1] {
                SOL_SOCKET => 1,
                SOL_TCP => 2,
                _ => 0,
            }),
            ("getsockopt" | "setsockopt", "optname") => {
                Val::Int(sockopt_name(self.rec.hdr.args[1], self.rec.hdr.args[2]) as i64)
            }
            ("setsockopt", "val") => {
                let b = self.rec.item(tag::UBUF, 3)?;
                let mut v = vec![0u8];
                v.extend_from_slice(b);
                Val::Bytes(Cow::Owned(v))
            }
            ("setsockopt", "optlen") => a(4),
            ("getsockopt", "val") => self.sockopt_val()?,
            ("getsockopt", "optlen") => Val::Int(self.rec.item(tag::UBUF, 3)?.len() as i64),
            ("pipe" | "pipe2", "fd1") => self.pair(0, false),
            ("pipe" | "pipe2", "fd2") => self.pair(0, true),
            ("pipe" | "pipe2", "ino") => Val::Int(
                self.rec
                    .item(tag::FDINFO, 0)
                    .and_then(RawFdInfo::read)
                    .map_or(0, |f| f.ino as i64),
            ),
            ("pipe2", "flags") => Val::Int(pipe2_flags(self.rec.hdr.args[1]) as i64),
            ("socketpair", "fd1") => self.pair(3, false),
            ("socketpair", "fd2") => self.pair(3, true),
            ("socketpair", "source" | "peer") => {
                let t = self.rec.item(tag::TUPLE, 3).and_then(RawTuple::read);
                Val::Int(t.map_or(0, |t| if name == "source" { t.unix_local } else { t.unix_peer }) as i64)
            }
            ("eventfd" | "eventfd2", "initval") => a(0),
            ("eventfd", "flags") => Val::Int(0),
            ("eventfd2", "flags") => Val::Int(nonblock_cloexec_flags(self.rec.hdr.args[1]) as i64),
            ("signalfd" | "signalfd4", "mask") => Val::Int(0),
            ("signalfd", "flags") => Val::Int(0),
            ("signalfd4", "flags") => Val::Int(nonblock_cloexec_flags(self.rec.hdr.args[3]) as i64),
            ("timerfd_create", "clockid") => a(0),
            ("timerfd_create", "flags") => Val::Int(nonblock_cloexec_flags(self.rec.hdr.args[1]) as i64),
            ("inotify_init", "flags") => Val::Int(0),
            ("inotify_init1", "flags") => Val::Int(nonblock_cloexec_flags(self.rec.hdr.args[0]) as i64),
            ("epoll_create1", "flags") => Val::Int(epoll_create1_flags(self.rec.hdr.args[0]) as i64),
            ("userfaultfd", "flags") => flags(0),
            ("epoll_create", "size") => fd(0),
            ("memfd_create", "name") => self.ustr(0),
            ("memfd_create", "flags") => masked(1, same_bits::MEMFD_CREATE),
            ("pidfd_open", "pid") => fd(0),
            ("pidfd_open", "flags") => Val::Int(pidfd_open_flags(self.rec.hdr.args[1]) as i64),
            ("pidfd_getfd", "pid_fd") => fd(0),
            ("pidfd_getfd", "target_fd") => fd(1),
            ("pidfd_getfd", "flags") => flags(2),
            ("io_uring_setup", "entries") => a(0),
            // struct io_uring_params as the call left it (0 when unreadable).
            ("io_uring_setup", "sq_entries") => Val::Int(self.user_u32(1, 0) as i64),
            ("io_uring_setup", "cq_entries") => Val::Int(self.user_u32(1, 4) as i64),
            ("io_uring_setup", "flags") => Val::Int(io_uring_setup_flags(self.user_u32(1, 8) as u64) as i64),
            ("io_uring_setup", "sq_thread_cpu") => Val::Int(self.user_u32(1, 12) as i64),
            ("io_uring_setup", "sq_thread_idle") => Val::Int(self.user_u32(1, 16) as i64),
            ("io_uring_setup", "features") => Val::Int(io_uring_setup_features(self.user_u32(1, 20) as u64) as i64),
            ("io_uring_enter", "to_submit") => a(1),
            ("io_uring_enter", "min_complete") => a(2),
            ("io_uring_enter", "flags") => Val::Int(io_uring_enter_flags(self.rec.hdr.args[3]) as i64),
            // The low 32 bits of the sigset pointer, as the driver sends them.
            ("io_uring_enter", "sig") => a(4),
            ("io_uring_register", "opcode") => a(1),
            ("io_uring_register", "arg") => a(2),
            ("io_uring_register", "nr_args") => a(3),
            ("semop", "nsops") => a(2),
            ("semop", "sem_num_0" | "sem_op_0" | "sem_flg_0" | "sem_num_1" | "sem_op_1" | "sem_flg_1") => {
                Val::Int(self.sembuf(name))
            }
            ("semop" | "semctl", "semid") => fd(0),
            ("semctl", "semnum") => fd(1),
            ("semctl", "cmd") => Val::Int(semctl_cmd(self.rec.hdr.args[2] as u16) as i64),
            ("semctl", "val") if self.rec.hdr.args[2] as u16 == SEMCTL_SETVAL => fd(3),
            ("semctl", "val") => Val::Int(0),
            ("semget", "key") => fd(0),
            ("semget", "nsems") => fd(1),
            ("semget", "semflg") => Val::Int(semget_flags(self.rec.hdr.args[2]) as i64),
            ("keyctl", "operation") => a(0),
            ("keyctl", "arg2" | "arg3" | "arg4" | "arg5") => self.keyctl_arg(name),
            ("quotactl", "special") => self.ustr(1),
            ("quotactl", "quotafilepath") if self.quota_cmd() == quotactl::Q_QUOTAON => self.ustr(3),
            ("quotactl", "quotafilepath") => Val::Empty,
            (
                "quotactl",
                "dqb_bhardlimit" | "dqb_bsoftlimit" | "dqb_curspace" | "dqb_ihardlimit" | "dqb_isoftlimit",
            )
            | ("quotactl", "dqb_btime" | "dqb_itime" | "dqi_bgrace" | "dqi_igrace" | "dqi_flags") => {
                Val::Int(self.quota_field(name) as i64)
            }
            ("quotactl", "quota_fmt_out") if self.quota_cmd() == quotactl::Q_GETFMT => {
                Val::Int(quotactl_fmt(self.user_u32(3, 0) as u64) as i64)
            }
            ("quotactl", "quota_fmt_out") => Val::Int(PPM_QFMT_NOT_USED as i64),
            ("quotactl", "cmd") => Val::Int(quotactl_cmd(self.rec.hdr.args[0]) as i64),
            ("quotactl", "type") => Val::Int(quotactl_type(self.rec.hdr.args[0]) as i64),
            // A user or group id only for the commands about one.
            ("quotactl", "id") => match self.quota_cmd() {
                quotactl::Q_GETQUOTA | quotactl::Q_SETQUOTA | quotactl::Q_XGETQUOTA | quotactl::Q_XSETQLIM => {
                    Val::Int(self.rec.hdr.args[2] as u32 as i64)
                }
                _ => Val::Int(0),
            },
            ("quotactl", "quota_fmt") if self.quota_cmd() == quotactl::Q_QUOTAON => {
                Val::Int(quotactl_fmt(self.rec.hdr.args[2] as u32 as u64) as i64)
            }
            ("quotactl", "quota_fmt") => Val::Int(PPM_QFMT_NOT_USED as i64),
            // fsconfig commands are the same numbers in PPM_FSCONFIG_*.
            ("fsconfig", "cmd") => Val::Int(self.rec.hdr.args[1] as u32 as i64),
            ("fsconfig", "key") => self.ustr(2),
            ("fsconfig", "value_bytebuf") => match self.rec.item(tag::UBUF, 3) {
                Some(b) => Val::Bytes(Cow::Borrowed(b)),
                None => Val::Empty,
            },
            ("fsconfig", "value_charbuf") => self.ustr(3),
            ("fsconfig", "aux") => fd(4),
            ("bpf", "cmd") => a(0),
            ("dup" | "dup2" | "dup3", "oldfd") => fd(0),
            ("dup2" | "dup3", "newfd") => fd(1),
            ("dup3", "flags") => Val::Int(nonblock_cloexec_flags(self.rec.hdr.args[2] & 0o2000000) as i64),
            ("fcntl", "cmd") => Val::Int(fcntl_cmd(self.rec.hdr.args[1]) as i64),
            ("fcntl", "arg") => a(2),
            ("chdir" | "chroot" | "unlink" | "rmdir" | "mkdir" | "stat" | "lstat", "path") => self.ustr(0),
            ("mkdir", "mode") => a(1),
            ("setuid", "uid") | ("setgid", "gid") => fd(0),
            ("setresuid", "ruid") | ("setresgid", "rgid") | ("setreuid", "ruid") | ("setregid", "rgid") => fd(0),
            ("setresuid", "euid") | ("setresgid", "egid") | ("setreuid", "euid") | ("setregid", "egid") => fd(1),
            ("setresuid", "suid") | ("setresgid", "sgid") => fd(2),
            ("prctl", "option") => a(0),
            ("prctl", "arg2_str") => match self.rec.hdr.args[0] {
                PR_SET_NAME | PR_GET_NAME => self.ustr(1),
                _ => Val::Empty,
            },
            ("prctl", "arg2_int") => a(1),
            ("capset", cap) => {
                let t = self.rec.task.as_ref()?;
                Val::Int(match cap {
                    "cap_inheritable" => t.cap_inheritable,
                    "cap_permitted" => t.cap_permitted,
                    "cap_effective" => t.cap_effective,
                    _ => return None,
                } as i64)
            }
            ("setpgid", "pid") => fd(0),
            ("setpgid", "pgid") => fd(1),
            ("unlinkat", "name") | ("mkdirat", "path") | ("fchmodat", "filename") | ("fchownat", "pathname") => {
                self.ustr(1)
            }
            ("newfstatat" | "mknodat", "path") => self.ustr(1),
            ("unlinkat", "flags") => masked(2, same_bits::UNLINKAT),
            ("newfstatat", "flags") => masked(3, same_bits::NEWFSTATAT),
            ("mkdirat", "mode") => a(2),
            ("fchmodat", "mode") => Val::Int(chmod_mode(self.rec.hdr.args[2]) as i64),
            ("rename" | "link", "oldpath") => self.ustr(0),
            ("rename" | "link", "newpath") => self.ustr(1),
            ("renameat" | "renameat2", "olddirfd") | ("linkat", "olddir") => fd(0),
            ("renameat" | "renameat2" | "linkat", "oldpath") => self.ustr(1),
            ("renameat" | "renameat2", "newdirfd") | ("linkat", "newdir") => fd(2),
            ("renameat" | "renameat2" | "linkat", "newpath") => self.ustr(3),
            ("renameat2", "flags") => flags(4),
            ("linkat", "flags") => masked(4, same_bits::LINKAT),
            ("symlink" | "symlinkat", "target") => self.ustr(0),
            ("symlink", "linkpath") => self.ustr(1),
            ("symlinkat", "linkdirfd") => fd(1),
            ("symlinkat", "linkpath") => self.ustr(2),
            ("chmod", "filename") => self.ustr(0),
            ("chmod" | "fchmod", "mode") => Val::Int(chmod_mode(self.rec.hdr.args[1]) as i64),
            ("chown" | "lchown", "path") => self.ustr(0),
            ("chown" | "lchown" | "fchown", "uid") => a(1),
            ("chown" | "lchown" | "fchown", "gid") => a(2),
            ("fchownat", "uid") => a(2),
            ("fchownat", "gid") => a(3),
            ("fchownat", "flags") => masked(4, same_bits::LINKAT),
            ("access", "name") => self.ustr(0),
            ("access", "mode") => a(1),
            ("mknod", "path") => self.ustr(0),
            ("mknod", "mode") => a(1),
            ("mknod", "dev") => a(2),
            ("mknodat", "mode") => a(2),
            ("mknodat", "dev") => a(3),
            ("mount", "dev") => self.ustr(0),
            ("mount", "dir") => self.ustr(1),
            ("mount", "type") => self.ustr(2),
            ("mount", "flags") => Val::Int(mount_flags(self.rec.hdr.args[3]) as i64),
            ("umount2" | "umount", "name") => self.ustr(0),
            ("umount2", "flags") => masked(1, same_bits::UMOUNT2),
            ("ptrace", "request") => Val::Int(ptrace_request(self.rec.hdr.args[0]) as i64),
            ("ptrace", "pid") => fd(1),
            ("ptrace", "addr") if self.rec.hdr.ret < 0 => Val::Int(0),
            ("ptrace", "addr") => a(2),
            ("ptrace", "data") => self.ptrace_data(),
            ("kill", "pid") | ("tkill", "tid") | ("tgkill", "pid") => fd(0),
            ("kill" | "tkill", "sig") => a(1),
            ("tgkill", "tid") => fd(1),
            ("tgkill", "sig") => a(2),
            ("setns", "nstype") => Val::Int(clone_flags(self.rec.hdr.args[1]) as i64),
            ("unshare", "flags") => Val::Int(clone_flags(self.rec.hdr.args[0]) as i64),
            ("init_module", "img") => self.rec.item(tag::UBUF, 0).map(|b| Val::Bytes(Cow::Borrowed(b)))?,
            ("init_module", "length") => a(1),
            ("init_module", "uargs") => self.ustr(2),
            ("finit_module", "uargs") => self.ustr(1),
            ("finit_module", "flags") => masked(2, same_bits::FINIT_MODULE),
            ("delete_module", "name") => self.ustr(0),
            ("delete_module", "flags") => Val::Int(delete_module_flags(self.rec.hdr.args[1]) as i64),
            ("mmap" | "mmap2" | "munmap" | "mprotect", "addr") => a(0),
            ("mmap" | "mmap2" | "munmap" | "mprotect", "length") => a(1),
            ("mmap" | "mmap2" | "mprotect", "prot") => a(2),
            ("mmap" | "mmap2", "flags") => Val::Int(mmap_flags(self.rec.hdr.args[3]) as i64),
            ("mmap" | "mmap2", "fd") => fd(4),
            ("mmap", "offset") | ("mmap2", "pgoffset") => a(5),
            ("brk", "addr") => a(0),
            ("mmap" | "mmap2" | "munmap" | "brk", "vm_size") => self.vm(0),
            ("mmap" | "mmap2" | "munmap" | "brk", "vm_rss") => self.vm(1),
            ("mmap" | "mmap2" | "munmap" | "brk", "vm_swap") => self.vm(2),
            ("getrlimit" | "setrlimit", "resource") => Val::Int(rlimit_resource(self.rec.hdr.args[0]) as i64),
            ("getrlimit", "cur" | "max") if self.rec.hdr.ret != 0 => Val::Int(-1),
            ("getrlimit" | "setrlimit", "cur" | "max") => {
                let b = self.rec.item(tag::UBUF, 1)?;
                let at = if name == "cur" { 0 } else { 8 };
                Val::Int(i64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
            }
            ("lseek" | "llseek", "offset") => a(1),
            ("lseek" | "llseek", "whence") => Val::Int(lseek_whence(self.rec.hdr.args[2]) as i64),
            ("sendfile", "out_fd") => fd(0),
            ("sendfile", "in_fd") => fd(1),
            ("sendfile", "offset") => Val::Int(self.user_u64(2, 0).unwrap_or(0) as i64),
            ("sendfile", "size") => a(3),
            ("splice", "fd_in") => fd(0),
            ("splice", "fd_out") => fd(2),
            ("splice", "size") => a(4),
            ("splice", "flags") => masked(5, same_bits::SPLICE),
            ("ioctl", "request") => a(1),
            ("ioctl", "argument") => a(2),
            ("flock", "operation") => masked(1, same_bits::FLOCK),
            ("futex", "addr") => a(0),
            ("futex", "op") => a(1),
            ("futex", "val") => a(2),
            ("getcwd", "path") if self.rec.hdr.ret >= 0 => self.ustr(0),
            ("getcwd", "path") => Val::Empty,
            ("getuid", "uid") | ("geteuid", "euid") | ("getgid", "gid") | ("getegid", "egid") => self.ret(),
            ("getresuid" | "getresgid", id) => {
                let i = match id.as_bytes().first() {
                    Some(b'r') => 0,
                    Some(b'e') => 1,
                    _ => 2,
                };
                let b = self.rec.item(tag::UBUF, i as u8)?;
                Val::Int(u32::from_le_bytes(b.get(..4)?.try_into().ok()?) as i64)
            }
            ("nanosleep", "interval") => {
                let (sec, nsec) = (self.user_u64(0, 0)?, self.user_u64(0, 8)?);
                Val::Int(sec.wrapping_mul(1_000_000_000).wrapping_add(nsec) as i64)
            }
            ("epoll_wait", "maxevents") => fd(2),
            ("seccomp", "op") => a(0),
            ("seccomp", "flags") => a(1),
            ("close_range", "first") => a(0),
            ("close_range", "last") => a(1),
            ("close_range", "flags") => masked(2, same_bits::CLOSE_RANGE),
            ("copy_file_range", "fdin") => fd(0),
            ("copy_file_range", "fdout") => fd(2),
            // The loff_t pointers, as the driver sends them.
            ("copy_file_range", "offin") => a(1),
            ("copy_file_range", "offout") => a(3),
            ("copy_file_range", "len") => a(4),
            ("mlock" | "munlock" | "mlock2", "addr") => a(0),
            ("mlock" | "munlock" | "mlock2", "len") => a(1),
            ("mlock2", "flags") => masked(2, same_bits::MLOCK2),
            ("mlockall", "flags") => masked(0, same_bits::MLOCKALL),
            ("process_vm_readv" | "process_vm_writev", "pid") => fd(0),
            _ => {
                *no_arm = true;
                return None;
            }
        })
    }
}

#[cfg(test)]
mod tests;
