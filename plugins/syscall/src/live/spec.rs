//! The per-syscall capture table the kernel programs read (`syscall_cfg` map, `struct
//! saker_sc_cfg` in `bpf/records.h`): which syscalls send records and which data items each
//! record carries so that every parameter of the syscall's exit event can be built.
//!
//! Which syscalls are enabled follows Falco's `base_syscalls` (Falco 0.35+): the syscalls the
//! rules use, plus either the full set the state needs (default), or the user's `custom_set`
//! (`!name` removes) optionally `repair`ed with the minimum the state needs, or `all`.

use std::collections::BTreeSet;

use super::syscall_nr::{self, MAX_SYSCALLS};
use crate::event_table::event_info;

/// `SAKER_ARG_*` (what to read for one syscall argument at exit) and `SAKER_RET_*` (what to
/// read about the returned fd): the loader's constants.
pub use super::bpf::{arg_kind as arg, ret_kind as ret};

/// Falco's default `snaplen`: bytes of I/O buffers captured.
pub const DEFAULT_SNAPLEN: u16 = 80;

/// One entry of the capture table (`struct saker_sc_cfg`, 20 bytes): the loader's type.
pub use super::bpf::SyscallCfg as ScCfg;

impl ScCfg {
    /// The entry's bytes as the BPF map stores them.
    pub fn as_bytes(&self) -> [u8; std::mem::size_of::<ScCfg>()] {
        let mut b = [0u8; std::mem::size_of::<ScCfg>()];
        b[0] = self.enabled;
        b[1] = self.enter;
        b[2] = self.task;
        b[3] = self.ret_kind;
        b[4..10].copy_from_slice(&{ self.arg_kind });
        b[10..16].copy_from_slice(&{ self.arg_len });
        b[16..18].copy_from_slice(&{ self.snaplen }.to_le_bytes());
        b[18] = self.drop_failed;
        b[19] = self.vm;
        b
    }
}

/// The syscalls the state needs to follow processes and fds (Falco's sinsp state set).
pub const STATE_SYSCALLS: &[&str] = &[
    "clone",
    "clone3",
    "fork",
    "vfork",
    "execve",
    "execveat",
    "open",
    "openat",
    "openat2",
    "creat",
    "open_by_handle_at",
    "close",
    "dup",
    "dup2",
    "dup3",
    "fcntl",
    "socket",
    "connect",
    "accept",
    "accept4",
    "bind",
    "listen",
    "pipe",
    "pipe2",
    "socketpair",
    "chdir",
    "fchdir",
    "chroot",
    "setuid",
    "setgid",
    "setresuid",
    "setresgid",
    "setreuid",
    "setregid",
    "eventfd",
    "eventfd2",
    "signalfd",
    "signalfd4",
    "timerfd_create",
    "inotify_init",
    "inotify_init1",
    "epoll_create",
    "epoll_create1",
    "userfaultfd",
    "memfd_create",
    "pidfd_open",
    "io_uring_setup",
    "bpf",
    "prctl",
    "capset",
    "setsid",
    "setpgid",
];

/// What `repair` adds whatever the rules use: the process lifecycle and fd bookkeeping
/// without which no event can be attributed to a process or an fd name.
pub const REPAIR_SYSCALLS: &[&str] = &[
    "clone", "clone3", "fork", "vfork", "execve", "execveat", "close", "dup", "dup2", "dup3", "fcntl", "chdir",
    "fchdir", "setsid", "setpgid", "prctl",
];
/// What `repair` adds when a rule uses a syscall of the matching group (fd creators).
const REPAIR_FILE: &[&str] = &["open", "openat", "openat2", "creat", "open_by_handle_at"];
const REPAIR_NET: &[&str] = &["socket", "connect", "accept", "accept4", "bind", "listen", "socketpair"];

/// Which syscalls to capture (Falco's `base_syscalls` plus the rules' event types).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WantedSet {
    /// Kernel syscall names the rules use (from their event codes).
    pub rule_syscalls: BTreeSet<&'static str>,
    /// `base_syscalls.custom_set` (names; a leading `!` removes the syscall).
    pub custom_set: Vec<String>,
    /// `base_syscalls.all`: every syscall.
    pub all: bool,
    /// `base_syscalls.repair`: add only what the state needs for the selected syscalls.
    pub repair: bool,
    /// Whether some rule uses `procexit` (always sent when the state set is on).
    pub procexit: bool,
}

/// A `custom_set` entry that names no x86_64 syscall.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "base_syscalls.custom_set: {name:?} is not an x86_64 syscall name; check its spelling (e.g. `openat`, `pread64`)"
)]
pub struct UnknownSyscall {
    pub name: String,
}

impl WantedSet {
    /// The syscalls behind scap event `codes` (what the rules' `evt.type`s select).
    pub fn from_event_codes(codes: impl IntoIterator<Item = u16>) -> WantedSet {
        let mut w = WantedSet::default();
        w.add_event_codes(codes);
        w
    }

    pub fn add_event_codes(&mut self, codes: impl IntoIterator<Item = u16>) {
        for code in codes {
            let Some(e) = event_info(code) else { continue };
            if e.name == "procexit" {
                self.procexit = true;
            }
            for s in syscall_nr::all().filter(|s| s.event_name == e.name) {
                self.rule_syscalls.insert(s.name);
            }
        }
    }

    /// Checks the `custom_set` names.
    pub fn validate(&self) -> Result<(), UnknownSyscall> {
        for n in &self.custom_set {
            let name = n.strip_prefix('!').unwrap_or(n);
            if syscall_nr::by_name(name).is_none() && name != "procexit" {
                return Err(UnknownSyscall { name: name.to_string() });
            }
        }
        Ok(())
    }

    /// Kernel names of the enabled syscalls.
    pub fn syscalls(&self) -> BTreeSet<&'static str> {
        if self.all {
            return syscall_nr::all().map(|s| s.name).collect();
        }
        let mut set = self.rule_syscalls.clone();
        let mut removed = BTreeSet::new();
        for n in &self.custom_set {
            let (remove, name) = match n.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, n.as_str()),
            };
            if let Some(s) = syscall_nr::by_name(name) {
                if remove {
                    removed.insert(s.name);
                } else {
                    set.insert(s.name);
                }
            }
        }
        let state: Vec<&'static str> = if self.repair {
            let mut v = REPAIR_SYSCALLS.to_vec();
            if set.iter().any(|s| uses_fd(s)) {
                v.extend_from_slice(REPAIR_FILE);
            }
            if set.iter().any(|s| is_net(s)) {
                v.extend_from_slice(REPAIR_NET);
            }
            v
        } else if self.custom_set.is_empty() {
            STATE_SYSCALLS.to_vec()
        } else {
            Vec::new()
        };
        set.extend(state.into_iter().filter_map(|n| syscall_nr::by_name(n).map(|s| s.name)));
        set.retain(|s| !removed.contains(s));
        set
    }

    /// Whether the kernel should send `SAKER_REC_PROC_EXIT` records.
    pub fn wants_procexit(&self) -> bool {
        self.all || self.procexit || self.custom_set.is_empty() || self.repair
    }
}

fn uses_fd(name: &str) -> bool {
    syscall_nr::by_name(name)
        .and_then(|s| event_info(s.exit_event))
        .is_some_and(|e| e.flags.contains(crate::event_table::EventFlags::USES_FD))
}

fn is_net(name: &str) -> bool {
    syscall_nr::by_name(name)
        .and_then(|s| event_info(s.exit_event))
        .is_some_and(|e| e.category.class == crate::event_table::CategoryClass::Net)
}

/// The capture spec of one syscall: data items so that every exit event parameter can be
/// built (x86_64 argument order).
pub fn syscall_spec(name: &str) -> ScCfg {
    use arg::*;
    let mut c = ScCfg::default();
    fn set(c: &mut ScCfg, i: usize, kind: u8, len: u8) {
        c.arg_kind[i] = kind;
        c.arg_len[i] = len;
    }
    match name {
        "read" | "pread64" | "recv" => set(&mut c, 1, UBUF_RET, 0),
        "write" | "pwrite64" | "send" => set(&mut c, 1, UBUF_ARG, 2),
        "recvfrom" => {
            set(&mut c, 0, TUPLE, 0);
            set(&mut c, 1, UBUF_RET, 0);
            set(&mut c, 4, SOCKADDR_PTR, 5); // src_addr after the call: the peer of an unconnected socket
        }
        "sendto" => {
            set(&mut c, 0, TUPLE, 0);
            set(&mut c, 1, UBUF_ARG, 2);
            set(&mut c, 4, SOCKADDR, 5); // dest_addr: the peer of an unconnected socket
        }
        "readv" | "preadv" => set(&mut c, 1, IOVEC_RET, 2),
        "writev" | "pwritev" => set(&mut c, 1, IOVEC_ARG, 2),
        "sendmsg" => {
            set(&mut c, 0, TUPLE, 0);
            set(&mut c, 1, MSGHDR_ARG, 0);
        }
        "recvmsg" => {
            set(&mut c, 0, TUPLE, 0);
            set(&mut c, 1, MSGHDR_RET, 0);
            set(&mut c, 2, MSGCONTROL, 1); // the msghdr in argument 1
        }
        "sendmmsg" => {
            set(&mut c, 0, TUPLE, 0);
            set(&mut c, 1, MMSGHDR, 0); // each message's data (up to 16)
        }
        "recvmmsg" => {
            set(&mut c, 0, TUPLE, 0);
            set(&mut c, 1, MMSGHDR, 1); // each message's data and control data
        }
        "semop" => set(&mut c, 1, SEMBUFS, 2),
        "keyctl" => {
            for i in 1..4 {
                set(&mut c, i, KEYCTL_STR, 0);
            }
        }
        "quotactl" => {
            set(&mut c, 1, USTR, 0);
            set(&mut c, 3, QUOTACTL_ADDR, 0);
        }
        "fsconfig" => {
            set(&mut c, 2, USTR, 0);
            set(&mut c, 3, FSCONFIG_VALUE, 0);
        }
        "io_uring_setup" => set(&mut c, 1, UBUF_LEN, 24), // struct io_uring_params up to features
        "getsockopt" => set(&mut c, 3, UBUF_LENPTR, 4),
        "getrlimit" | "setrlimit" => set(&mut c, 1, UBUF_LEN, 16), // struct rlimit
        "getresuid" | "getresgid" => {
            for i in 0..3 {
                set(&mut c, i, UBUF_LEN, 4);
            }
        }
        "nanosleep" => set(&mut c, 0, UBUF_LEN, 16), // struct timespec
        "sendfile" => set(&mut c, 2, UBUF_LEN, 8),   // the offset after the call
        "getcwd" => set(&mut c, 0, USTR, 0),
        "process_vm_readv" | "process_vm_writev" => set(&mut c, 1, IOVEC_RET, 2),
        "mmap" | "munmap" | "brk" => c.vm = 1,
        "open" | "creat" => {
            set(&mut c, 0, USTR, 0);
            c.ret_kind = ret::FDINFO;
        }
        "openat" => {
            set(&mut c, 1, USTR, 0);
            c.ret_kind = ret::FDINFO;
        }
        "openat2" => {
            set(&mut c, 1, USTR, 0);
            set(&mut c, 2, UBUF_ARG, 3); // struct open_how: flags, mode, resolve
            c.ret_kind = ret::FDINFO;
        }
        "open_by_handle_at" => c.ret_kind = ret::FDINFO,
        "connect" => {
            set(&mut c, 0, TUPLE, 0);
            set(&mut c, 1, SOCKADDR, 2);
        }
        "bind" => set(&mut c, 1, SOCKADDR, 2),
        "accept" | "accept4" => {
            set(&mut c, 0, SOCK_QUEUE, 0); // the listening socket's accept queue
            c.ret_kind = ret::TUPLE;
        }
        "poll" => set(&mut c, 0, POLLFDS, 1),
        "ppoll" => {
            set(&mut c, 0, POLLFDS, 1);
            set(&mut c, 2, UBUF_LEN, 16); // struct timespec
            set(&mut c, 3, UBUF_LEN, 8); // the first word of the sigset
        }
        "ptrace" => set(&mut c, 3, PTRACE_WORD, 0),
        "pipe" | "pipe2" => set(&mut c, 0, PIPE_FDS, 0),
        "socketpair" => set(&mut c, 3, SOCKPAIR_FDS, 0),
        "chdir" | "chroot" | "unlink" | "rmdir" | "mkdir" | "chmod" | "chown" | "lchown" | "umount2" | "stat"
        | "lstat" | "access" | "memfd_create" | "mknod" | "delete_module" => set(&mut c, 0, USTR, 0),
        "unlinkat" | "mkdirat" | "fchmodat" | "fchownat" | "newfstatat" | "mknodat" => set(&mut c, 1, USTR, 0),
        "rename" | "link" | "symlink" => {
            set(&mut c, 0, USTR, 0);
            set(&mut c, 1, USTR, 0);
        }
        "renameat" | "renameat2" | "linkat" => {
            set(&mut c, 1, USTR, 0);
            set(&mut c, 3, USTR, 0);
        }
        "symlinkat" => {
            set(&mut c, 0, USTR, 0);
            set(&mut c, 2, USTR, 0);
        }
        "mount" => {
            set(&mut c, 0, USTR, 0);
            set(&mut c, 1, USTR, 0);
            set(&mut c, 2, USTR, 0);
        }
        "prctl" => set(&mut c, 1, USTR, 0),
        "init_module" => {
            set(&mut c, 0, UBUF_ARG, 1);
            set(&mut c, 2, USTR, 0);
        }
        "finit_module" => set(&mut c, 1, USTR, 0),
        "setsockopt" => set(&mut c, 3, UBUF_ARG, 4),
        "clone" | "clone3" | "fork" | "vfork" | "capset" => c.task = 1,
        "execve" => {
            c.task = 1;
            set(&mut c, 0, USTR, 0);
        }
        "execveat" => {
            c.task = 1;
            set(&mut c, 1, USTR, 0);
        }
        _ => {}
    }
    c
}

/// The capture table for the wanted syscalls: enabled entries carry their data item spec.
///
/// ```
/// use syscall::live::spec::{capture_table, WantedSet};
/// let t = capture_table(&WantedSet::from_event_codes([307]), 80, false);
/// assert_eq!(t[257].enabled, 1); // openat
/// ```
pub fn capture_table(wanted: &WantedSet, snaplen: u16, drop_failed_exit: bool) -> Box<[ScCfg; MAX_SYSCALLS]> {
    let mut t = Box::new([ScCfg::default(); MAX_SYSCALLS]);
    for name in wanted.syscalls() {
        let Some(s) = syscall_nr::by_name(name) else { continue };
        let mut c = syscall_spec(s.name);
        c.enabled = 1;
        c.snaplen = snaplen;
        c.drop_failed = u8::from(drop_failed_exit);
        t[s.nr as usize] = c;
    }
    t
}

/// Whether the kernel should send `SAKER_REC_PROC_EXEC` records (`settings.proc_exec`): only
/// when neither execve nor execveat exits are enabled, so the state still sees every exec.
pub fn needs_proc_exec(table: &[ScCfg; MAX_SYSCALLS]) -> bool {
    ["execve", "execveat"]
        .iter()
        .filter_map(|n| syscall_nr::by_name(n))
        .all(|s| table[s.nr as usize].enabled == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nr(name: &str) -> usize {
        syscall_nr::by_name(name).unwrap().nr as usize
    }

    #[test]
    fn cfg_layout_matches_records_h() {
        assert_eq!(std::mem::size_of::<ScCfg>(), 20);
        let c = ScCfg {
            enabled: 1,
            arg_kind: [0, 3, 0, 0, 0, 0],
            arg_len: [0, 2, 0, 0, 0, 0],
            snaplen: 0x1234,
            drop_failed: 1,
            vm: 1,
            ..ScCfg::default()
        };
        let b = c.as_bytes();
        assert_eq!(
            (b[0], b[5], b[11], b[16], b[17], b[18], b[19]),
            (1, 3, 2, 0x34, 0x12, 1, 1)
        );
    }

    #[test]
    fn default_set_is_rules_plus_state() {
        let w = WantedSet::from_event_codes(crate::event_table::codes_for_name("write").iter().copied());
        let t = capture_table(&w, 80, true);
        assert_eq!(t[nr("write")].enabled, 1);
        assert_eq!({ t[nr("write")].arg_kind }[1], arg::UBUF_ARG);
        assert_eq!(t[nr("write")].drop_failed, 1);
        assert_eq!(t[nr("execve")].task, 1);
        assert_eq!(t[nr("openat")].ret_kind, ret::FDINFO);
        assert_eq!(t[nr("accept4")].ret_kind, ret::TUPLE);
        assert_eq!(t[nr("read")].enabled, 0);
        assert_eq!({ t[nr("write")].snaplen }, 80);
        assert!(w.wants_procexit());
        assert!(!needs_proc_exec(&t));
        let mut w = WantedSet::from_event_codes([23]);
        w.custom_set = vec!["connect".into()];
        assert!(needs_proc_exec(&capture_table(&w, 80, false)));
    }

    #[test]
    fn kernel_reads_what_the_params_need_and_no_more() {
        let w = WantedSet {
            all: true,
            ..WantedSet::default()
        };
        let t = capture_table(&w, 80, false);
        let kinds = |n: &str| ({ t[nr(n)].arg_kind }, { t[nr(n)].arg_len });
        assert_eq!(kinds("writev").0[1], arg::IOVEC_ARG);
        assert_eq!(kinds("readv"), ([0, arg::IOVEC_RET, 0, 0, 0, 0], [0, 2, 0, 0, 0, 0]));
        assert_eq!(kinds("sendmsg").0[1], arg::MSGHDR_ARG);
        assert_eq!(kinds("recvmsg").0[1], arg::MSGHDR_RET);
        assert_eq!(kinds("pipe2").0[0], arg::PIPE_FDS);
        assert_eq!(kinds("socketpair").0[3], arg::SOCKPAIR_FDS);
        assert_eq!(
            kinds("getsockopt"),
            ([0, 0, 0, arg::UBUF_LENPTR, 0, 0], [0, 0, 0, 4, 0, 0])
        );
        assert_eq!(
            kinds("setrlimit"),
            ([0, arg::UBUF_LEN, 0, 0, 0, 0], [0, 16, 0, 0, 0, 0])
        );
        for n in ["mmap", "munmap", "brk"] {
            assert_eq!(t[nr(n)].vm, 1, "{n} carries the memory counters");
        }
        // The busiest syscalls pay for nothing new.
        for n in ["read", "write", "openat", "close", "mprotect"] {
            assert_eq!(t[nr(n)].vm, 0, "{n}");
        }
        assert_eq!(
            kinds("ptrace").0,
            [0, 0, 0, arg::PTRACE_WORD, 0, 0],
            "ptrace reads only the word a PEEK request stored"
        );
        assert_eq!(kinds("poll"), ([arg::POLLFDS, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0]));
        assert_eq!(kinds("accept4").0[0], arg::SOCK_QUEUE);
    }

    #[test]
    fn custom_set_repair_and_all() {
        let mut w = WantedSet::from_event_codes(crate::event_table::codes_for_name("connect").iter().copied());
        w.custom_set = vec!["read".into(), "!listen".into()];
        let s = w.syscalls();
        assert!(s.contains("connect") && s.contains("read"));
        assert!(
            !s.contains("execve"),
            "custom_set without repair adds no state syscalls"
        );
        w.repair = true;
        let s = w.syscalls();
        assert!(s.contains("execve") && s.contains("socket") && s.contains("openat"));
        assert!(!s.contains("listen"), "`!name` removes");
        assert!(!s.contains("memfd_create"));
        w.all = true;
        assert!(w.syscalls().len() > 300);
        w.custom_set = vec!["nosuchcall".into()];
        assert!(w.validate().is_err());
    }
}
