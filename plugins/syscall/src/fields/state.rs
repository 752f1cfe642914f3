//! Fields read from the process/fd/user state after the event was parsed: `proc.*`,
//! `thread.*`, `user.*`, `group.*` and `fd.*`.

use std::borrow::Cow;
use std::net::IpAddr;

use super::defs::FieldId;
use super::event::{FieldArg, FieldValue};
use super::sink::{Joined, Sink};
use crate::event_table::EventFlags;
use crate::flags::{PPM_FD_LOWER_LAYER, PPM_FD_UPPER_LAYER};
use crate::params::{DecodedEvent, ParamValue};
use crate::state::{resolve_path, FdInfo, FdType, SocketRole, ThreadInfo, ThreadTable};

/// What libsinsp shows for a thread whose comm could not be resolved.
const UNKNOWN_COMM: &str = "<NA>";
/// Login uid meaning "not set" (shown as -1).
const LOGINUID_UNSET: u32 = u32::MAX;
/// `AT_FDCWD`: a dirfd meaning "relative to the cwd".
const AT_FDCWD: i64 = -100;
/// Linux capability names in bit order (bit 0 = `CAP_CHOWN`).
const CAPABILITY_NAMES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// `thread.cap_*` rendering: names of the set bits, space separated.
pub fn capability_names(caps: u64) -> String {
    CapabilityNames(caps).to_string()
}

/// [`capability_names`] written where it is shown (no intermediate `String`).
struct CapabilityNames(u64);

impl std::fmt::Display for CapabilityNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = CAPABILITY_NAMES
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1u64 << i) != 0)
            .map(|(_, n)| *n);
        for (i, name) in set.enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(name)?;
        }
        Ok(())
    }
}

fn comm(t: &ThreadInfo) -> &str {
    if t.comm.is_empty() {
        UNKNOWN_COMM
    } else {
        &t.comm
    }
}

/// `<NA>` for the exe of a thread libsinsp could not resolve (no comm, no exe), else `v`.
fn unresolved_or<'a>(t: &ThreadInfo, v: &'a str) -> &'a str {
    if t.comm.is_empty() && v.is_empty() {
        UNKNOWN_COMM
    } else {
        v
    }
}

fn s(out: &mut impl Sink, v: &str) {
    out.str(v);
}

fn i(out: &mut impl Sink, v: i64) {
    out.push(FieldValue::signed(v));
}

/// The ancestor selected by an index argument (0 = the process itself).
fn ancestor(state: &ThreadTable, tid: i64, n: u64) -> Option<&ThreadInfo> {
    if n == 0 {
        return state.main_thread(tid);
    }
    state.ancestors(tid).get(usize::try_from(n - 1).ok()?).copied()
}

fn index_arg(arg: FieldArg<'_>) -> Option<u64> {
    match arg {
        FieldArg::Index(n) => Some(n),
        FieldArg::Key(k) => k.parse().ok(),
        FieldArg::None => None,
    }
}

/// Writes `items` separated by spaces (`proc.args`, `proc.env` …).
fn joined(out: &mut impl Sink, items: &[String]) {
    out.str_fmt(format_args!(
        "{}",
        Joined {
            head: None,
            items,
            sep: " "
        }
    ));
}

/// `head` then each of `items`, space separated (`proc.cmdline`, `proc.exeline`).
fn line(out: &mut impl Sink, head: &str, items: &[String]) {
    out.str_fmt(format_args!(
        "{}",
        Joined {
            head: Some(head),
            items,
            sep: " "
        }
    ));
}

/// Process-scoped value of a thread field for the `proc.a*` family.
fn ancestor_field(id: FieldId, t: &ThreadInfo, out: &mut impl Sink) {
    use FieldId as F;
    match id {
        F::ProcAname => out.str(comm(t)),
        F::ProcAexe => out.str(&t.exe),
        F::ProcAexepath => out.str(&t.exepath),
        F::ProcAcmdline => line(out, &t.comm, &t.args),
        F::ProcAargs => joined(out, &t.args),
        F::ProcAenv => joined(out, &t.env),
        _ => out.push(FieldValue::signed(t.pid)),
    }
}

/// Extracts a thread/process/user/group field for the event's thread. Returns `false` when
/// `id` is not one of them.
pub fn extract_thread_field(
    id: FieldId,
    arg: FieldArg<'_>,
    ev: &DecodedEvent<'_>,
    state: &ThreadTable,
    out: &mut impl Sink,
) -> bool {
    use FieldId as F;
    if !is_thread_field(id) {
        return false;
    }
    let tid = ev.event.tid() as i64;
    // libsinsp creates an empty thread for a tid it cannot resolve; its fields still exist.
    let unknown;
    let t = match state.thread(tid) {
        Some(t) => t,
        None => {
            unknown = ThreadInfo::unknown(tid);
            &unknown
        }
    };
    let main = state.main_thread(tid).unwrap_or(t);
    // Only the parent fields walk to the parent.
    let parent = || state.parent(tid);
    let ts = ev.event.ts();
    let users = state.users();
    match id {
        F::ProcName => s(out, comm(t)),
        F::ProcExe => s(out, unresolved_or(main, &main.exe)),
        F::ProcExepath => s(out, unresolved_or(main, &main.exepath)),
        F::ProcArgs => match arg {
            FieldArg::None => joined(out, &main.args),
            a => {
                if let Some(v) = index_arg(a).and_then(|n| main.args.get(usize::try_from(n).ok()?)) {
                    s(out, v.as_str());
                }
            }
        },
        // comm (or its placeholder) then the args.
        F::ProcCmdline => line(out, comm(main), &main.args),
        F::ProcExeline => line(out, &main.exe, &main.args),
        F::ProcCmdnargs => out.push(FieldValue::U64(main.args.len() as u64)),
        F::ProcCmdlenargs => out.push(FieldValue::U64(main.args.iter().map(|a| a.len() as u64).sum())),
        F::ProcEnv => match arg {
            FieldArg::Key(k) => {
                if let Some(v) = main.env_var(k) {
                    s(out, v.trim());
                }
            }
            _ => joined(out, &main.env),
        },
        F::ProcCwd => s(out, t.cwd.as_str()),
        // The eldest process in the ancestry (self included) whose name ends in "sh".
        F::ProcLoginshellid => {
            let shell = std::iter::once(main)
                .chain(state.ancestors(tid))
                .rfind(|a| a.comm.ends_with("sh"));
            if let Some(sh) = shell {
                i(out, sh.pid)
            }
        }
        F::ProcTty => out.push(FieldValue::U64(u64::from(main.tty))),
        F::ProcPid => i(out, t.pid),
        F::ProcPpid => i(out, main.ptid),
        F::ProcVpid => i(out, t.vpid),
        F::ProcPvpid => {
            if let Some(p) = parent() {
                i(out, p.vpid)
            }
        }
        F::ProcSid => i(out, main.sid),
        F::ProcVpgid => i(out, main.vpgid),
        F::ProcPgid => i(out, main.pgid),
        F::ProcPname | F::ProcPexe | F::ProcPexepath | F::ProcPcmdline => {
            if let Some(p) = parent() {
                match id {
                    F::ProcPname => s(out, comm(p)),
                    F::ProcPexe => s(out, p.exe.as_str()),
                    F::ProcPexepath => s(out, p.exepath.as_str()),
                    _ => line(out, &p.comm, &p.args),
                }
            }
        }
        F::ProcAname | F::ProcAexe | F::ProcAexepath | F::ProcAcmdline | F::ProcApid | F::ProcAargs | F::ProcAenv => {
            match index_arg(arg) {
                Some(n) => {
                    if let Some(a) = ancestor(state, tid, n) {
                        ancestor_field(id, a, out);
                    }
                }
                // Without an index: one value per ancestor (not the process itself), nearest
                // first ("sakerAnyAncestor": Saker's host compares any of them).
                None => {
                    for a in state.ancestors(tid) {
                        ancestor_field(id, a, out);
                    }
                }
            }
        }
        F::ProcSname | F::ProcSidExe | F::ProcSidExepath => {
            // The session leader: the thread whose pid is the sid when known, else the eldest
            // ancestor still in the session (the process itself when its parent is not).
            let leader = state.thread(main.sid).or_else(|| {
                let mut leader = main;
                for a in state.ancestors(tid) {
                    if a.sid != main.sid {
                        break;
                    }
                    leader = a;
                }
                Some(leader)
            });
            if let Some(l) = leader {
                match id {
                    F::ProcSname => s(out, comm(l)),
                    F::ProcSidExe => s(out, l.exe.as_str()),
                    _ => s(out, l.exepath.as_str()),
                }
            }
        }
        F::ProcVpgidName
        | F::ProcVpgidExe
        | F::ProcVpgidExepath
        | F::ProcPgidName
        | F::ProcPgidExe
        | F::ProcPgidExepath => {
            let gid = if matches!(id, F::ProcVpgidName | F::ProcVpgidExe | F::ProcVpgidExepath) {
                main.vpgid
            } else {
                main.pgid
            };
            if let Some(l) = state.thread(gid) {
                match id {
                    F::ProcVpgidName | F::ProcPgidName => s(out, comm(l)),
                    F::ProcVpgidExe | F::ProcPgidExe => s(out, l.exe.as_str()),
                    _ => s(out, l.exepath.as_str()),
                }
            }
        }
        F::ProcDuration => {
            if main.clone_ts != 0 {
                out.push(FieldValue::RelTime(ts.saturating_sub(main.clone_ts)));
            }
        }
        F::ProcPpidDuration => {
            if let Some(p) = parent().filter(|p| p.clone_ts != 0) {
                out.push(FieldValue::RelTime(ts.saturating_sub(p.clone_ts)));
            }
        }
        F::ProcPidTs => out.push(FieldValue::RelTime(main.clone_ts)),
        F::ProcPpidTs => {
            if let Some(p) = parent() {
                out.push(FieldValue::RelTime(p.clone_ts))
            }
        }
        F::ProcIsExeWritable => out.push(FieldValue::Bool(main.exe_writable)),
        F::ProcIsExeUpperLayer => out.push(FieldValue::Bool(main.exe_upper_layer)),
        F::ProcIsExeLowerLayer => out.push(FieldValue::Bool(main.exe_lower_layer)),
        F::ProcIsExeFromMemfd => out.push(FieldValue::Bool(main.exe_from_memfd)),
        F::ProcIsSidLeader => out.push(FieldValue::Bool(main.sid == main.vpid)),
        F::ProcIsVpgidLeader => out.push(FieldValue::Bool(main.vpgid == main.vpid)),
        F::ProcIsPgidLeader => out.push(FieldValue::Bool(main.pgid == main.pid)),
        F::ProcExeIno => {
            if main.exe_ino != 0 {
                out.push(FieldValue::U64(main.exe_ino))
            }
        }
        F::ProcExeInoCtime => {
            if main.exe_ino_ctime != 0 {
                out.push(FieldValue::AbsTime(main.exe_ino_ctime))
            }
        }
        F::ProcExeInoMtime => {
            if main.exe_ino_mtime != 0 {
                out.push(FieldValue::AbsTime(main.exe_ino_mtime))
            }
        }
        F::ProcExeInoCtimeDurationProcStart => {
            if main.exe_ino_ctime != 0 && main.clone_ts != 0 {
                out.push(FieldValue::AbsTime(main.clone_ts.saturating_sub(main.exe_ino_ctime)))
            }
        }
        F::ProcExeInoCtimeDurationPidnsStart => {
            if main.exe_ino_ctime != 0 && main.pidns_init_start_ts != 0 {
                out.push(FieldValue::AbsTime(
                    main.pidns_init_start_ts.saturating_sub(main.exe_ino_ctime),
                ))
            }
        }
        F::ProcPidnsInitStartTs => out.push(FieldValue::U64(main.pidns_init_start_ts)),
        F::ThreadCapPermitted => out.str_fmt(format_args!("{}", CapabilityNames(t.cap_permitted))),
        F::ThreadCapInheritable => out.str_fmt(format_args!("{}", CapabilityNames(t.cap_inheritable))),
        F::ThreadCapEffective => out.str_fmt(format_args!("{}", CapabilityNames(t.cap_effective))),
        F::ProcFdopencount => out.push(FieldValue::U64(main.fds.len() as u64)),
        F::ProcFdlimit => i(out, main.fd_limit),
        F::ProcFdusage => {
            if main.fd_limit > 0 {
                let usage = main.fds.len() as f64 * 100.0 / main.fd_limit as f64;
                out.push(FieldValue::U64(usage.to_bits()));
            }
        }
        F::ProcVmsize => out.push(FieldValue::U64(u64::from(main.vmsize_kb))),
        F::ProcVmrss => out.push(FieldValue::U64(u64::from(main.vmrss_kb))),
        F::ProcVmswap => out.push(FieldValue::U64(u64::from(main.vmswap_kb))),
        F::ThreadPfmajor => out.push(FieldValue::U64(t.pfmajor)),
        F::ThreadPfminor => out.push(FieldValue::U64(t.pfminor)),
        F::ThreadTid => i(out, t.tid),
        F::ThreadIsmain => out.push(FieldValue::Bool(t.is_main_thread())),
        F::ThreadVtid => i(out, t.vtid),
        F::ThreadCgroups => {
            let all: Vec<String> = t.cgroups.iter().map(|(k, v)| format!("{k}={v}")).collect();
            joined(out, &all);
        }
        F::ThreadCgroup => {
            if let FieldArg::Key(k) = arg {
                if let Some(p) = t.cgroup(k) {
                    s(out, p);
                }
            }
        }
        F::ProcNthreads => out.push(FieldValue::U64(
            state.iter().filter(|o| o.pid == main.pid && !o.exited).count() as u64,
        )),
        F::ProcNchilds => out.push(FieldValue::U64(
            state
                .iter()
                .filter(|o| o.pid == main.pid && o.tid != main.tid && !o.exited)
                .count() as u64,
        )),
        F::ThreadVmsize => out.push(FieldValue::U64(u64::from(t.vmsize_kb))),
        F::ThreadVmrss => out.push(FieldValue::U64(u64::from(t.vmrss_kb))),
        F::ProcStdinType
        | F::ProcStdoutType
        | F::ProcStderrType
        | F::ProcStdinName
        | F::ProcStdoutName
        | F::ProcStderrName => {
            let fdnum = match id {
                F::ProcStdinType | F::ProcStdinName => 0,
                F::ProcStdoutType | F::ProcStdoutName => 1,
                _ => 2,
            };
            if let Some(f) = main.fds.get(fdnum) {
                match id {
                    F::ProcStdinType | F::ProcStdoutType | F::ProcStderrType => s(out, f.fd_type.as_str()),
                    _ => s(out, f.name.as_str()),
                }
            }
        }
        F::UserUid => out.push(FieldValue::U64(u64::from(t.uid))),
        F::UserName | F::UserHomedir | F::UserShell => match users.user(t.uid) {
            Some(u) => match id {
                F::UserName => s(out, u.name.as_str()),
                F::UserHomedir => s(out, u.home.as_str()),
                _ => s(out, u.shell.as_str()),
            },
            None if id == F::UserName => s(out, if t.uid == 0 { "root" } else { UNKNOWN_COMM }),
            None => {}
        },
        F::UserLoginuid => i(
            out,
            if t.loginuid == LOGINUID_UNSET {
                -1
            } else {
                i64::from(t.loginuid)
            },
        ),
        F::UserLoginname => match users.user(t.loginuid) {
            Some(u) => s(out, u.name.as_str()),
            None => s(out, if t.loginuid == 0 { "root" } else { UNKNOWN_COMM }),
        },
        F::GroupGid => out.push(FieldValue::U64(u64::from(t.gid))),
        F::GroupName => match users.group(t.gid) {
            Some(g) => s(out, g.name.as_str()),
            None => s(out, if t.gid == 0 { "root" } else { UNKNOWN_COMM }),
        },
        _ => return false,
    }
    true
}

/// True for the fields [`extract_thread_field`] handles (so an unknown thread means "no value").
fn is_thread_field(id: FieldId) -> bool {
    id.family() == super::Family::Thread
}

fn int_param(ev: &DecodedEvent<'_>, name: &str) -> Option<i64> {
    match ev.param_by_name(name)? {
        Ok(ParamValue::Signed(v)) => Some(v),
        Ok(ParamValue::Unsigned(v)) => Some(v as i64),
        _ => None,
    }
}

/// `tinfo.m_lastevent_fd` of the event just parsed into `state` (its fd argument, its enter
/// event's, the duplicated fd or the created one); -1 when the syscall failed to make one.
fn event_fd(state: &ThreadTable) -> Option<i64> {
    state.last_event_fd_num().map(|fd| if fd < 0 { -1 } else { fd })
}

/// `fd.typechar` libsinsp guesses when the event has no fd info (e.g. a failed open).
fn guessed_typechar(name: &str) -> char {
    match name {
        "openat" | "openat2" | "creat" | "open_by_handle_at" => 'f',
        "socket" | "accept" | "accept4" | "connect" => '4',
        "pipe" | "pipe2" => 'p',
        "eventfd" | "eventfd2" => 'e',
        "signalfd" | "signalfd4" => 's',
        "epoll_create" | "epoll_create1" => 'l',
        "inotify_init" | "inotify_init1" => 'i',
        "timerfd_create" => 't',
        "userfaultfd" => 'u',
        "io_uring_setup" => 'r',
        "memfd_create" => 'm',
        "pidfd_open" | "pidfd_getfd" => 'P',
        "bpf" => 'b',
        _ => 'o',
    }
}

/// `fd.name` (resolved) and `fd.nameraw` rebuilt from the event's path parameter when there
/// is no fd info; the raw name is borrowed from the event when it is valid UTF-8.
fn name_from_params<'e>(ev: &DecodedEvent<'e>, state: &ThreadTable) -> Option<(Cow<'e, str>, Cow<'e, str>)> {
    let raw = ["name", "path", "pathname", "filename"]
        .iter()
        .find_map(|p| match ev.param_by_name(p) {
            Some(Ok(ParamValue::Str(s))) if !s.is_empty() => Some(String::from_utf8_lossy(s)),
            _ => None,
        })?;
    if raw.starts_with('/') {
        return Some((Cow::Owned(resolve_path("/", &raw)), raw));
    }
    let tid = ev.event.tid() as i64;
    let base = match int_param(ev, "dirfd") {
        Some(d) if d != AT_FDCWD => state.fd(tid, d).map(|f| f.name.as_str()),
        _ => None,
    }
    .or_else(|| state.thread(tid).map(|t| t.cwd.as_str()))
    .unwrap_or_default();
    if base.is_empty() {
        return Some((raw.clone(), raw));
    }
    Some((Cow::Owned(resolve_path(base, &raw)), raw))
}

/// Client/server addresses of an inet socket.
fn endpoints(f: &FdInfo) -> Option<(Option<IpAddr>, u16, Option<IpAddr>, u16)> {
    let sock = f.socket.as_ref()?;
    if !matches!(
        f.fd_type,
        FdType::Ipv4Socket | FdType::Ipv6Socket | FdType::Ipv4ServerSocket | FdType::Ipv6ServerSocket
    ) {
        return None;
    }
    Some((sock.client_ip, sock.client_port, sock.server_ip, sock.server_port))
}

/// The fd info of the fd the event is about, if known.
pub fn event_fd_info<'s>(ev: &DecodedEvent<'_>, state: &'s ThreadTable) -> Option<&'s FdInfo> {
    if !uses_fds(ev) {
        return None;
    }
    let fd = event_fd(state).filter(|fd| *fd >= 0)?;
    state.last_event_fd().filter(|f| f.fd == fd)
}

/// Events whose flags give them an fd (libsinsp's fd field class applies).
fn uses_fds(ev: &DecodedEvent<'_>) -> bool {
    let fd_flags = EventFlags::CREATES_FD.0 | EventFlags::USES_FD.0 | EventFlags::DESTROYS_FD.0;
    ev.info.flags.0 & fd_flags != 0
}

/// Which `evt.count.error.*` field an event counts in: by its fd's kind, or without fd info
/// by the event type (open family = file, accept/connect = net).
pub(super) fn error_class(ev: &DecodedEvent<'_>, state: &ThreadTable) -> FieldId {
    match event_fd_info(ev, state).map(|f| f.fd_type) {
        Some(FdType::File | FdType::Directory) => FieldId::EvtCountErrorFile,
        Some(
            FdType::Ipv4Socket
            | FdType::Ipv6Socket
            | FdType::Ipv4ServerSocket
            | FdType::Ipv6ServerSocket
            | FdType::UnixSocket,
        ) => FieldId::EvtCountErrorNet,
        Some(_) => FieldId::EvtCountErrorOther,
        None => match ev.info.name {
            "open" | "creat" | "openat" | "openat2" | "open_by_handle_at" => FieldId::EvtCountErrorFile,
            "accept" | "accept4" | "connect" => FieldId::EvtCountErrorNet,
            _ => FieldId::EvtCountErrorOther,
        },
    }
}

/// `evt.category` of I/O events: libsinsp names it after the kind of fd used.
pub fn io_category(ev: &DecodedEvent<'_>, state: &ThreadTable) -> &'static str {
    match event_fd_info(ev, state).map(|f| f.fd_type) {
        Some(FdType::File | FdType::Directory) => "file",
        Some(FdType::Ipv4Socket | FdType::Ipv6Socket | FdType::Ipv4ServerSocket | FdType::Ipv6ServerSocket) => "net",
        // Lower-case here, unlike the "IPC" of non-I/O events (libsinsp's spelling).
        Some(
            FdType::Fifo
            | FdType::UnixSocket
            | FdType::Event
            | FdType::Signalfd
            | FdType::Inotify
            | FdType::Userfaultfd,
        ) => "ipc",
        _ => "unknown",
    }
}

/// `fd.types`: the distinct kinds of the process's open fds (sorted), or of one fd given as
/// `fd.types[N]`; exists for every event of a known thread.
pub(super) fn fd_types(arg: FieldArg<'_>, ev: &DecodedEvent<'_>, state: &ThreadTable, out: &mut impl Sink) {
    let tid = ev.event.tid() as i64;
    let Some(fds) = state.fds(tid) else { return };
    let only = index_arg(arg).map(|n| n as i64);
    let mut kinds: Vec<&str> = fds
        .iter()
        .filter(|f| only.is_none_or(|n| f.fd == n))
        .map(|f| f.fd_type.as_str())
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    for k in kinds {
        out.str(k);
    }
}

/// Extracts an `fd.*` field. Returns `false` when `id` is not an fd field.
pub fn extract_fd_field(id: FieldId, ev: &DecodedEvent<'_>, state: &ThreadTable, out: &mut impl Sink) -> bool {
    use FieldId as F;
    if id.family() != super::Family::Fd {
        return false;
    }
    if !uses_fds(ev) {
        return true;
    }
    let Some(fdnum) = event_fd(state) else { return true };
    let tid = ev.event.tid() as i64;
    let info = event_fd_info(ev, state);
    let Some(f) = info else {
        // No fd info: a few fields are rebuilt from the event (libsinsp's fallbacks).
        match id {
            F::FdNum => i(out, fdnum),
            F::FdTypechar => s(out, guessed_typechar(ev.info.name).encode_utf8(&mut [0; 4])),
            F::FdName | F::FdNameraw | F::FdDirectory | F::FdFilename => {
                // Events without a path parameter still yield an empty name (libsinsp).
                let (name, raw) = name_from_params(ev, state).unwrap_or_default();
                match id {
                    F::FdName => s(out, &name),
                    F::FdNameraw => s(out, &raw),
                    F::FdDirectory => s(
                        out,
                        name.rfind('/').map_or("/", |i| if i == 0 { "/" } else { &name[..i] }),
                    ),
                    _ => {
                        if let Some(f) = name.rsplit('/').next().filter(|f| !f.is_empty()) {
                            s(out, f)
                        }
                    }
                }
            }
            _ => {}
        }
        return true;
    };
    let ep = endpoints(f);
    // libsinsp calls the client end "local" when the client IP is one of the machine's
    // addresses. Without the interface list, a loopback address or the client role stands
    // for that (exact whenever the capture's interface list would contain the address).
    let connected = matches!(f.fd_type, FdType::Ipv4Socket | FdType::Ipv6Socket) && f.role != SocketRole::None;
    let client_is_local =
        ep.is_some_and(|(cip, ..)| cip.is_some_and(|a| a.is_loopback())) || f.role == SocketRole::Client;
    let is_server = f.role == SocketRole::Server;
    match id {
        F::FdNum => i(out, f.fd),
        F::FdType if !matches!(f.fd_type, FdType::Unknown | FdType::Unsupported) => s(out, f.fd_type.as_str()),
        F::FdTypechar => s(out, f.fd_type.as_char().encode_utf8(&mut [0; 4])),
        F::FdName => s(out, f.name.as_str()),
        F::FdNameraw => s(out, f.name_raw.as_str()),
        F::FdDirectory => {
            if let Some(d) = f.directory() {
                s(out, d)
            }
        }
        F::FdFilename if f.fd_type == FdType::File => {
            if let Some(n) = f.filename() {
                s(out, n)
            }
        }
        F::FdCip | F::FdSip | F::FdLip | F::FdRip | F::FdIp => {
            if let Some((cip, _, sip, _)) = ep {
                let v: [Option<IpAddr>; 2] = match id {
                    F::FdCip => [cip, None],
                    F::FdSip => [sip, None],
                    F::FdLip if connected => [if client_is_local { cip } else { sip }, None],
                    F::FdRip if connected => [if client_is_local { sip } else { cip }, None],
                    F::FdLip | F::FdRip => [None, None],
                    // fd.ip ("sakerEitherEnd"): the server end, then the client end. Saker's
                    // host compares any of them (`!=`: none), and outputs show the first.
                    _ => [sip, cip],
                };
                out.extend(v.into_iter().flatten().map(FieldValue::Ip));
            }
        }
        F::FdCnet | F::FdSnet | F::FdLnet | F::FdRnet | F::FdNet => {
            if let Some((cip, _, sip, _)) = ep {
                let v = match id {
                    F::FdCnet => cip,
                    F::FdSnet => sip,
                    F::FdLnet if connected => Some(if client_is_local { cip } else { sip }).flatten(),
                    F::FdRnet if connected => Some(if client_is_local { sip } else { cip }).flatten(),
                    _ => None,
                };
                if id == F::FdNet {
                    // Either end, server first (see fd.ip).
                    out.extend([sip, cip].into_iter().flatten().map(FieldValue::IpNet));
                } else if let Some(a) = v {
                    out.push(FieldValue::IpNet(a));
                }
            }
        }
        F::FdCport | F::FdSport | F::FdLport | F::FdRport | F::FdPort => {
            if let Some((_, cp, _, sp)) = ep {
                let v: [Option<u16>; 2] = match id {
                    F::FdCport => [Some(cp), None],
                    F::FdSport => [Some(sp), None],
                    F::FdLport if connected => [Some(if client_is_local { cp } else { sp }), None],
                    F::FdRport if connected => [Some(if client_is_local { sp } else { cp }), None],
                    F::FdLport | F::FdRport => [None, None],
                    // Either end, server first (see fd.ip).
                    _ => [Some(sp), Some(cp)],
                };
                out.extend(v.into_iter().flatten().map(|p| FieldValue::U64(u64::from(p))));
            }
        }
        F::FdL4proto => {
            if let Some(sock) = &f.socket {
                s(out, sock.l4proto.as_str());
            }
        }
        F::FdSockfamily => match f.fd_type {
            FdType::Ipv4Socket | FdType::Ipv6Socket | FdType::Ipv4ServerSocket | FdType::Ipv6ServerSocket => {
                s(out, "ip")
            }
            FdType::UnixSocket => s(out, "unix"),
            _ => {}
        },
        // Listening sockets are servers; a connected inet socket is when its server end is
        // local (loopback, or this process accepted it).
        F::FdIsServer => out.push(FieldValue::Bool(match f.fd_type {
            FdType::Ipv4ServerSocket | FdType::Ipv6ServerSocket => true,
            FdType::Ipv4Socket | FdType::Ipv6Socket => {
                is_server || ep.is_some_and(|(_, _, sip, _)| sip.is_some_and(|a| a.is_loopback()))
            }
            _ => false,
        })),
        F::FdNameChanged => out.push(FieldValue::Bool(state.last_event_fd_name_changed())),
        F::FdConnected => out.push(FieldValue::Bool(f.connected)),
        F::FdDev => i(out, i64::from(f.dev as i32)),
        F::FdDevMajor => i(out, i64::from(f.dev >> 20)),
        F::FdDevMinor => i(out, i64::from(f.dev & 0xfffff)),
        F::FdIno => i(out, f.ino as i64),
        // The layer bits the driver adds to an open's flags (libsinsp keeps them per fd).
        F::FdIsUpperLayer | F::FdIsLowerLayer => {
            let bit = if id == F::FdIsUpperLayer {
                PPM_FD_UPPER_LAYER
            } else {
                PPM_FD_LOWER_LAYER
            };
            let file = matches!(f.fd_type, FdType::File | FdType::Directory);
            out.push(FieldValue::Bool(file && f.open_flags & bit != 0));
        }
        F::FdUid => out.str_fmt(format_args!("{tid}{}", f.fd)),
        _ => {}
    }
    true
}
