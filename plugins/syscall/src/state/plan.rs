//! What the state does with each event code, decided once from the event table: the action
//! (by event name, as libsinsp's parsers dispatch) and where each parameter the state reads
//! sits in that code's parameter list. The per-event work is then an index, not a name search.

use std::sync::OnceLock;

use super::FdType;
use crate::event_table::{all_events, EventInfo};

/// Marks a parameter the event type does not have.
const ABSENT: u8 = u8::MAX;

macro_rules! param_keys {
    ($($key:ident = $name:literal,)*) => {
        /// A parameter the state reads, by its event-table name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(u8)]
        pub(super) enum ParamKey {
            $($key,)*
        }
        /// Event-table name of each [`ParamKey`], in declaration order.
        const KEY_NAMES: &[&str] = &[$($name,)*];
    };
}

param_keys! {
    Addr = "addr",
    Arg2Str = "arg2_str",
    Args = "args",
    CapEffective = "cap_effective",
    CapInheritable = "cap_inheritable",
    CapPermitted = "cap_permitted",
    Cgroups = "cgroups",
    Cmd = "cmd",
    Comm = "comm",
    CreatFlags = "creat_flags",
    Cwd = "cwd",
    Dev = "dev",
    Dirfd = "dirfd",
    Domain = "domain",
    Egid = "egid",
    Env = "env",
    Euid = "euid",
    Exe = "exe",
    ExeIno = "exe_ino",
    ExeInoCtime = "exe_ino_ctime",
    ExeInoMtime = "exe_ino_mtime",
    Fd = "fd",
    Fd1 = "fd1",
    Fd2 = "fd2",
    Fdlimit = "fdlimit",
    Flags = "flags",
    Gid = "gid",
    Ino = "ino",
    Loginuid = "loginuid",
    Mode = "mode",
    Name = "name",
    Oldfd = "oldfd",
    PrctlOption = "option",
    Path = "path",
    Peer = "peer",
    PgftMaj = "pgft_maj",
    PgftMin = "pgft_min",
    Pgid = "pgid",
    Pid = "pid",
    PidnsInitStartTs = "pidns_init_start_ts",
    Proto = "proto",
    Ptid = "ptid",
    ReaperTid = "reaper_tid",
    Res = "res",
    Rgid = "rgid",
    Ruid = "ruid",
    Sgid = "sgid",
    Source = "source",
    Suid = "suid",
    TrustedExepath = "trusted_exepath",
    Tty = "tty",
    Tuple = "tuple",
    SockType = "type",
    Uid = "uid",
    VmRss = "vm_rss",
    VmSize = "vm_size",
    VmSwap = "vm_swap",
    Vpgid = "vpgid",
    Vpid = "vpid",
    Vtid = "vtid",
}

/// Number of [`ParamKey`]s.
const KEY_COUNT: usize = KEY_NAMES.len();

/// The state update an event code triggers (exit events; enter events only record what
/// their exit needs, and procexit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    None,
    Clone,
    Execve,
    Open,
    Close,
    Dup,
    Fcntl,
    Socket,
    Connect,
    Accept,
    Bind,
    Listen,
    Socketpair,
    Pipe,
    MemfdCreate,
    Chdir,
    Fchdir,
    /// setuid, setresuid, setgid, setresgid.
    SetId,
    Setsid,
    Setpgid,
    Capset,
    Prctl,
    Procexit,
    /// recv, recvfrom, recvmsg, recvmmsg: the datagram's tuple may re-point the socket.
    Receive,
    /// send, sendto, sendmsg, sendmmsg: as [`Action::Receive`], outgoing.
    Send,
    /// read, readv, pread, preadv, write, writev, pwrite, pwritev: a success marks an inet
    /// connection socket connected.
    Transfer,
    /// A path-less fd-creating syscall: the fd type it makes and its `fd.name`.
    AnonFd(FdType, &'static str),
}

impl Action {
    fn for_name(name: &str) -> Action {
        match name {
            "clone" | "clone3" | "fork" | "vfork" => Action::Clone,
            "execve" | "execveat" => Action::Execve,
            "open" | "openat" | "openat2" | "creat" | "open_by_handle_at" => Action::Open,
            "close" => Action::Close,
            "dup" | "dup2" | "dup3" => Action::Dup,
            "fcntl" => Action::Fcntl,
            "socket" => Action::Socket,
            "connect" => Action::Connect,
            "accept" | "accept4" => Action::Accept,
            "bind" => Action::Bind,
            "listen" => Action::Listen,
            "socketpair" => Action::Socketpair,
            "pipe" | "pipe2" => Action::Pipe,
            "memfd_create" => Action::MemfdCreate,
            "chdir" => Action::Chdir,
            "fchdir" => Action::Fchdir,
            "setuid" | "setresuid" | "setgid" | "setresgid" => Action::SetId,
            "setsid" => Action::Setsid,
            "setpgid" => Action::Setpgid,
            "capset" => Action::Capset,
            "prctl" => Action::Prctl,
            "procexit" => Action::Procexit,
            "recv" | "recvfrom" | "recvmsg" | "recvmmsg" => Action::Receive,
            "send" | "sendto" | "sendmsg" | "sendmmsg" => Action::Send,
            "read" | "readv" | "pread" | "preadv" | "write" | "writev" | "pwrite" | "pwritev" => Action::Transfer,
            "eventfd" | "eventfd2" => Action::AnonFd(FdType::Event, "[eventfd]"),
            "signalfd" | "signalfd4" => Action::AnonFd(FdType::Signalfd, "[signalfd]"),
            "timerfd_create" => Action::AnonFd(FdType::Timerfd, "[timerfd]"),
            "inotify_init" | "inotify_init1" => Action::AnonFd(FdType::Inotify, "[inotify]"),
            "epoll_create" | "epoll_create1" => Action::AnonFd(FdType::Eventpoll, "[eventpoll]"),
            "userfaultfd" => Action::AnonFd(FdType::Userfaultfd, "[userfaultfd]"),
            "io_uring_setup" => Action::AnonFd(FdType::IoUring, "[io_uring]"),
            "bpf" => Action::AnonFd(FdType::Bpf, "[bpf]"),
            "pidfd_open" => Action::AnonFd(FdType::Pidfd, "[pidfd]"),
            _ => Action::None,
        }
    }

    /// Exits of these may change the thread's own data (not only its fds): mirrors of the
    /// state (the `threads` table) are told.
    fn updates_thread(self) -> bool {
        matches!(
            self,
            Action::Clone
                | Action::Execve
                | Action::Chdir
                | Action::Fchdir
                | Action::SetId
                | Action::Setsid
                | Action::Setpgid
                | Action::Capset
                | Action::Prctl
        )
    }
}

/// The state's view of one event code.
#[derive(Debug)]
pub(super) struct EventPlan {
    pub action: Action,
    /// [`Action::updates_thread`], for exits.
    pub updates_thread: bool,
    /// Position of each [`ParamKey`] in the code's parameters, [`ABSENT`] if it has none.
    index: [u8; KEY_COUNT],
    /// One past the last position in `index`.
    params_read: u8,
}

impl EventPlan {
    fn new(info: &EventInfo) -> EventPlan {
        let mut index = [ABSENT; KEY_COUNT];
        for (slot, name) in index.iter_mut().zip(KEY_NAMES) {
            // Event types have at most a few dozen parameters, far below ABSENT.
            if let Some(i) = info.param_index(name).and_then(|i| u8::try_from(i).ok()) {
                *slot = i;
            }
        }
        let action = Action::for_name(info.name);
        let params_read = index
            .iter()
            .filter(|&&i| i != ABSENT)
            .map(|&i| i + 1)
            .max()
            .unwrap_or(0);
        EventPlan {
            action,
            updates_thread: action.updates_thread(),
            index,
            params_read,
        }
    }

    /// How many leading parameters hold every parameter the state reads of this code.
    #[inline]
    pub fn params_read(&self) -> usize {
        self.params_read as usize
    }

    /// Position of `key` in this code's parameters.
    #[inline]
    pub fn param_index(&self, key: ParamKey) -> Option<usize> {
        match self.index[key as usize] {
            ABSENT => None,
            i => Some(i as usize),
        }
    }
}

/// The plan of `code` (codes beyond the table get the plan of an event without parameters).
#[inline]
pub(super) fn plan(code: u16) -> &'static EventPlan {
    static PLANS: OnceLock<Vec<EventPlan>> = OnceLock::new();
    static NONE: EventPlan = EventPlan {
        action: Action::None,
        updates_thread: false,
        index: [ABSENT; KEY_COUNT],
        params_read: 0,
    };
    let plans = PLANS.get_or_init(|| all_events().iter().map(EventPlan::new).collect());
    plans.get(code as usize).unwrap_or(&NONE)
}
