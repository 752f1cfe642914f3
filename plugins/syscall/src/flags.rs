//! Name tables for flag/enum parameters and errno values, used when rendering `evt.args`.
//!
//! The event table (`event_table.tsv`) does not say which flag table a parameter uses nor its
//! print format, so the mapping below covers the parameters checked against `sysdig` on the
//! conformance captures; other flag parameters render as plain numbers.

/// Linux errno names, index = errno - 1 (x86-64 / asm-generic numbering).
const ERRNO_NAMES: [Option<&str>; 133] = [
    Some("EPERM"),
    Some("ENOENT"),
    Some("ESRCH"),
    Some("EINTR"),
    Some("EIO"),
    Some("ENXIO"),
    Some("E2BIG"),
    Some("ENOEXEC"),
    Some("EBADF"),
    Some("ECHILD"),
    Some("EAGAIN"),
    Some("ENOMEM"),
    Some("EACCES"),
    Some("EFAULT"),
    Some("ENOTBLK"),
    Some("EBUSY"),
    Some("EEXIST"),
    Some("EXDEV"),
    Some("ENODEV"),
    Some("ENOTDIR"),
    Some("EISDIR"),
    Some("EINVAL"),
    Some("ENFILE"),
    Some("EMFILE"),
    Some("ENOTTY"),
    Some("ETXTBSY"),
    Some("EFBIG"),
    Some("ENOSPC"),
    Some("ESPIPE"),
    Some("EROFS"),
    Some("EMLINK"),
    Some("EPIPE"),
    Some("EDOM"),
    Some("ERANGE"),
    Some("EDEADLK"),
    Some("ENAMETOOLONG"),
    Some("ENOLCK"),
    Some("ENOSYS"),
    Some("ENOTEMPTY"),
    Some("ELOOP"),
    None,
    Some("ENOMSG"),
    Some("EIDRM"),
    Some("ECHRNG"),
    Some("EL2NSYNC"),
    Some("EL3HLT"),
    Some("EL3RST"),
    Some("ELNRNG"),
    Some("EUNATCH"),
    Some("ENOCSI"),
    Some("EL2HLT"),
    Some("EBADE"),
    Some("EBADR"),
    Some("EXFULL"),
    Some("ENOANO"),
    Some("EBADRQC"),
    Some("EBADSLT"),
    None,
    Some("EBFONT"),
    Some("ENOSTR"),
    Some("ENODATA"),
    Some("ETIME"),
    Some("ENOSR"),
    Some("ENONET"),
    Some("ENOPKG"),
    Some("EREMOTE"),
    Some("ENOLINK"),
    Some("EADV"),
    Some("ESRMNT"),
    Some("ECOMM"),
    Some("EPROTO"),
    Some("EMULTIHOP"),
    Some("EDOTDOT"),
    Some("EBADMSG"),
    Some("EOVERFLOW"),
    Some("ENOTUNIQ"),
    Some("EBADFD"),
    Some("EREMCHG"),
    Some("ELIBACC"),
    Some("ELIBBAD"),
    Some("ELIBSCN"),
    Some("ELIBMAX"),
    Some("ELIBEXEC"),
    Some("EILSEQ"),
    Some("ERESTART"),
    Some("ESTRPIPE"),
    Some("EUSERS"),
    Some("ENOTSOCK"),
    Some("EDESTADDRREQ"),
    Some("EMSGSIZE"),
    Some("EPROTOTYPE"),
    Some("ENOPROTOOPT"),
    Some("EPROTONOSUPPORT"),
    Some("ESOCKTNOSUPPORT"),
    Some("EOPNOTSUPP"),
    Some("EPFNOSUPPORT"),
    Some("EAFNOSUPPORT"),
    Some("EADDRINUSE"),
    Some("EADDRNOTAVAIL"),
    Some("ENETDOWN"),
    Some("ENETUNREACH"),
    Some("ENETRESET"),
    Some("ECONNABORTED"),
    Some("ECONNRESET"),
    Some("ENOBUFS"),
    Some("EISCONN"),
    Some("ENOTCONN"),
    Some("ESHUTDOWN"),
    Some("ETOOMANYREFS"),
    Some("ETIMEDOUT"),
    Some("ECONNREFUSED"),
    Some("EHOSTDOWN"),
    Some("EHOSTUNREACH"),
    Some("EALREADY"),
    Some("EINPROGRESS"),
    Some("ESTALE"),
    Some("EUCLEAN"),
    Some("ENOTNAM"),
    Some("ENAVAIL"),
    Some("EISNAM"),
    Some("EREMOTEIO"),
    Some("EDQUOT"),
    Some("ENOMEDIUM"),
    Some("EMEDIUMTYPE"),
    Some("ECANCELED"),
    Some("ENOKEY"),
    Some("EKEYEXPIRED"),
    Some("EKEYREVOKED"),
    Some("EKEYREJECTED"),
    Some("EOWNERDEAD"),
    Some("ENOTRECOVERABLE"),
    Some("ERFKILL"),
    Some("EHWPOISON"),
];

/// Name of a positive errno value (`2` → `ENOENT`).
pub fn errno_name(errno: i64) -> Option<&'static str> {
    let i = usize::try_from(errno.checked_sub(1)?).ok()?;
    ERRNO_NAMES.get(i).copied().flatten()
}

/// Linux signal names, index = signal number - 1 (x86-64).
const SIGNAL_NAMES: [&str; 31] = [
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

/// Name of a signal number (`9` → `SIGKILL`).
pub fn signal_name(sig: u64) -> Option<&'static str> {
    SIGNAL_NAMES.get(usize::try_from(sig.checked_sub(1)?).ok()?).copied()
}

/// How a flag table combines values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagKind {
    /// Bit set: every entry whose bits are all set is named, `|`-joined; entries are consumed.
    Bits,
    /// Enumeration: the entry equal to the value.
    Enum,
}

/// A named set of values for one kind of parameter (e.g. open flags).
#[derive(Debug, Clone, Copy)]
pub struct FlagTable {
    pub name: &'static str,
    pub kind: FlagKind,
    pub entries: &'static [(&'static str, u64)],
}

impl FlagTable {
    /// `O_RDONLY|O_CLOEXEC`-style rendering; empty if nothing matches.
    pub fn render(&self, value: u64) -> String {
        match self.kind {
            FlagKind::Enum => self
                .entries
                .iter()
                .find(|(_, v)| *v == value)
                .map(|(n, _)| (*n).to_string())
                .unwrap_or_default(),
            FlagKind::Bits => {
                let mut names: Vec<&str> = Vec::new();
                let mut rest = value;
                for (n, v) in self.entries {
                    if *v == 0 {
                        if value == 0 {
                            names.push(n);
                        }
                    } else if rest & v == *v {
                        names.push(n);
                        rest &= !v;
                    }
                }
                names.join("|")
            }
        }
    }
}

/// `PPM_O_*` open flags (driver encoding, not the kernel's).
pub static FILE_FLAGS: FlagTable = FlagTable {
    name: "file_flags",
    kind: FlagKind::Bits,
    entries: &[
        ("O_RDWR", 3),
        ("O_RDONLY", 1),
        ("O_WRONLY", 2),
        ("O_CREAT", 1 << 2),
        ("O_APPEND", 1 << 3),
        ("O_DSYNC", 1 << 4),
        ("O_EXCL", 1 << 5),
        ("O_NONBLOCK", 1 << 6),
        ("O_SYNC", 1 << 7),
        ("O_TRUNC", 1 << 8),
        ("O_DIRECT", 1 << 9),
        ("O_DIRECTORY", 1 << 10),
        ("O_LARGEFILE", 1 << 11),
        ("O_CLOEXEC", 1 << 12),
        ("O_TMPFILE", 1 << 13),
        ("O_F_CREATED", 1 << 14),
        ("FD_UPPER_LAYER", PPM_FD_UPPER_LAYER as u64),
        ("FD_LOWER_LAYER", PPM_FD_LOWER_LAYER as u64),
    ],
};

/// `PPM_FD_UPPER_LAYER` / `PPM_FD_LOWER_LAYER`: open flags the driver adds for a file opened
/// through an overlayfs (an upper-layer copy, or in a lower layer only).
pub const PPM_FD_UPPER_LAYER: u32 = 1 << 15;
pub const PPM_FD_LOWER_LAYER: u32 = 1 << 16;
/// The same for creat, which has no `flags`: bits of its 16-bit `creat_flags` parameter.
pub const PPM_FD_UPPER_LAYER_CREAT: u32 = 1 << 0;
pub const PPM_FD_LOWER_LAYER_CREAT: u32 = 1 << 1;

/// creat's `creat_flags` (`PPM_FD_*_LAYER_CREAT`): the overlayfs layer of the created file.
pub static CREAT_FLAGS: FlagTable = FlagTable {
    name: "creat_flags",
    kind: FlagKind::Bits,
    entries: &[
        ("FD_UPPER_LAYER_CREAT", PPM_FD_UPPER_LAYER_CREAT as u64),
        ("FD_LOWER_LAYER_CREAT", PPM_FD_LOWER_LAYER_CREAT as u64),
    ],
};

/// chmod(2) mode bits (`PPM_S_*`, the same bits as Linux's), lowest first as libsinsp lists them.
pub static MODE_FLAGS: FlagTable = FlagTable {
    name: "chmod_mode",
    kind: FlagKind::Bits,
    entries: &[
        ("S_IXOTH", 0o1),
        ("S_IWOTH", 0o2),
        ("S_IROTH", 0o4),
        ("S_IXGRP", 0o10),
        ("S_IWGRP", 0o20),
        ("S_IRGRP", 0o40),
        ("S_IXUSR", 0o100),
        ("S_IWUSR", 0o200),
        ("S_IRUSR", 0o400),
        ("S_ISVTX", 0o1000),
        ("S_ISGID", 0o2000),
        ("S_ISUID", 0o4000),
    ],
};

/// access(2) modes (`PPM_*_OK`).
pub static ACCESS_FLAGS: FlagTable = FlagTable {
    name: "access_flags",
    kind: FlagKind::Bits,
    entries: &[("F_OK", 0), ("X_OK", 1), ("W_OK", 2), ("R_OK", 4)],
};

/// mmap/mprotect protections (`PPM_PROT_*`).
pub static PROT_FLAGS: FlagTable = FlagTable {
    name: "prot_flags",
    kind: FlagKind::Bits,
    entries: &[("PROT_NONE", 0), ("PROT_READ", 1), ("PROT_WRITE", 2), ("PROT_EXEC", 4)],
};

/// mmap flags (`PPM_MAP_*`).
pub static MMAP_FLAGS: FlagTable = FlagTable {
    name: "mmap_flags",
    kind: FlagKind::Bits,
    entries: &[
        ("MAP_SHARED", 1),
        ("MAP_PRIVATE", 2),
        ("MAP_FIXED", 4),
        ("MAP_ANONYMOUS", 8),
        ("MAP_32BIT", 16),
        ("MAP_RENAME", 32),
        ("MAP_NORESERVE", 64),
        ("MAP_POPULATE", 128),
        ("MAP_NONBLOCK", 256),
        ("MAP_GROWSDOWN", 512),
        ("MAP_DENYWRITE", 1024),
        ("MAP_EXECUTABLE", 2048),
        ("MAP_INHERIT", 4096),
        ("MAP_FILE", 8192),
        ("MAP_LOCKED", 16384),
    ],
};

/// Socket address families (`PPM_AF_*`, equal to Linux `AF_*`).
pub static SOCKET_FAMILIES: FlagTable = FlagTable {
    name: "socket_families",
    kind: FlagKind::Enum,
    entries: &[
        ("AF_UNSPEC", 0),
        ("AF_LOCAL", 1),
        ("AF_INET", 2),
        ("AF_AX25", 3),
        ("AF_IPX", 4),
        ("AF_APPLETALK", 5),
        ("AF_NETROM", 6),
        ("AF_BRIDGE", 7),
        ("AF_ATMPVC", 8),
        ("AF_X25", 9),
        ("AF_INET6", 10),
        ("AF_NETLINK", 16),
        ("AF_PACKET", 17),
    ],
};

/// ptrace requests (`PPM_PTRACE_*`).
pub static PTRACE_REQUESTS: FlagTable = FlagTable {
    name: "ptrace_requests",
    kind: FlagKind::Enum,
    entries: &[
        ("PTRACE_UNKNOWN", 0),
        ("PTRACE_TRACEME", 1),
        ("PTRACE_PEEKTEXT", 2),
        ("PTRACE_PEEKDATA", 3),
        ("PTRACE_PEEKUSR", 4),
        ("PTRACE_POKETEXT", 5),
        ("PTRACE_POKEDATA", 6),
        ("PTRACE_POKEUSR", 7),
        ("PTRACE_CONT", 8),
        ("PTRACE_KILL", 9),
        ("PTRACE_SINGLESTEP", 10),
        ("PTRACE_ATTACH", 11),
        ("PTRACE_DETACH", 12),
        ("PTRACE_SYSCALL", 13),
        ("PTRACE_SETOPTIONS", 14),
        ("PTRACE_GETEVENTMSG", 15),
        ("PTRACE_GETSIGINFO", 16),
        ("PTRACE_SETSIGINFO", 17),
        ("PTRACE_GETREGSET", 18),
        ("PTRACE_SETREGSET", 19),
        ("PTRACE_SEIZE", 20),
        ("PTRACE_INTERRUPT", 21),
        ("PTRACE_LISTEN", 22),
        ("PTRACE_PEEKSIGINFO", 23),
        ("PTRACE_GETSIGMASK", 24),
        ("PTRACE_SETSIGMASK", 25),
        ("PTRACE_GETREGS", 26),
        ("PTRACE_SETREGS", 27),
        ("PTRACE_GETFPREGS", 28),
        ("PTRACE_SETFPREGS", 29),
        ("PTRACE_GETFPXREGS", 30),
        ("PTRACE_SETFPXREGS", 31),
        ("PTRACE_OLDSETOPTIONS", 32),
        ("PTRACE_GET_THREAD_AREA", 33),
        ("PTRACE_SET_THREAD_AREA", 34),
        ("PTRACE_ARCH_PRCTL", 35),
        ("PTRACE_SYSEMU", 36),
        ("PTRACE_SYSEMU_SINGLESTEP", 37),
        ("PTRACE_SINGLEBLOCK", 38),
    ],
};

/// shutdown(2) `how` (`PPM_SHUT_*`).
pub static SHUTDOWN_HOW: FlagTable = FlagTable {
    name: "shutdown_how",
    kind: FlagKind::Enum,
    entries: &[
        ("SHUT_RD", 0),
        ("SHUT_WR", 1),
        ("SHUT_RDWR", 2),
        ("SHUT_UNKNOWN", 0xffff),
    ],
};

/// unlinkat flags (`PPM_AT_REMOVEDIR`).
pub static UNLINKAT_FLAGS: FlagTable = FlagTable {
    name: "unlinkat_flags",
    kind: FlagKind::Bits,
    entries: &[("AT_REMOVEDIR", 0x200)],
};

/// linkat flags (`PPM_AT_*`).
pub static LINKAT_FLAGS: FlagTable = FlagTable {
    name: "linkat_flags",
    kind: FlagKind::Bits,
    entries: &[("AT_SYMLINK_FOLLOW", 0x400), ("AT_EMPTY_PATH", 0x1000)],
};

/// mount flags (`PPM_MS_*`).
pub static MOUNT_FLAGS: FlagTable = FlagTable {
    name: "mount_flags",
    kind: FlagKind::Bits,
    entries: &[
        ("RDONLY", 1),
        ("NOSUID", 1 << 1),
        ("NODEV", 1 << 2),
        ("NOEXEC", 1 << 3),
        ("SYNCHRONOUS", 1 << 4),
        ("REMOUNT", 1 << 5),
        ("MANDLOCK", 1 << 6),
        ("DIRSYNC", 1 << 7),
        ("NOATIME", 1 << 10),
        ("NODIRATIME", 1 << 11),
        ("BIND", 1 << 12),
        ("MOVE", 1 << 13),
        ("REC", 1 << 14),
        ("SILENT", 1 << 15),
        ("POSIXACL", 1 << 16),
        ("UNBINDABLE", 1 << 17),
        ("PRIVATE", 1 << 18),
        ("SLAVE", 1 << 19),
        ("SHARED", 1 << 20),
        ("RELATIME", 1 << 21),
        ("KERNMOUNT", 1 << 22),
        ("I_VERSION", 1 << 23),
        ("STRICTATIME", 1 << 24),
        ("LAZYTIME", 1 << 25),
        ("NOSEC", 1 << 28),
        ("BORN", 1 << 29),
        ("ACTIVE", 1 << 30),
        ("NOUSER", 1 << 31),
    ],
};

/// umount2 flags (`PPM_MNT_*`, `PPM_UMOUNT_NOFOLLOW`).
pub static UMOUNT_FLAGS: FlagTable = FlagTable {
    name: "umount_flags",
    kind: FlagKind::Bits,
    entries: &[("FORCE", 1), ("DETACH", 2), ("EXPIRE", 4), ("NOFOLLOW", 8)],
};

/// memfd_create flags (`PPM_MFD_*`).
pub static MEMFD_CREATE_FLAGS: FlagTable = FlagTable {
    name: "memfd_create_flags",
    kind: FlagKind::Bits,
    entries: &[("MFD_CLOEXEC", 1), ("MFD_ALLOW_SEALING", 2), ("MFD_HUGETLB", 4)],
};

/// quotactl commands (`PPM_Q_*`, one bit each).
pub static QUOTACTL_CMDS: FlagTable = FlagTable {
    name: "quotactl_cmds",
    kind: FlagKind::Bits,
    entries: &[
        ("Q_QUOTAON", 1 << 0),
        ("Q_QUOTAOFF", 1 << 1),
        ("Q_GETFMT", 1 << 2),
        ("Q_GETINFO", 1 << 3),
        ("Q_SETINFO", 1 << 4),
        ("Q_GETQUOTA", 1 << 5),
        ("Q_SETQUOTA", 1 << 6),
        ("Q_SYNC", 1 << 7),
        ("Q_XQUOTAON", 1 << 8),
        ("Q_XQUOTAOFF", 1 << 9),
        ("Q_XGETQUOTA", 1 << 10),
        ("Q_XSETQLIM", 1 << 11),
        ("Q_XGETQSTAT", 1 << 12),
        ("Q_XQUOTARM", 1 << 13),
        ("Q_XQUOTASYNC", 1 << 14),
    ],
};

/// quotactl quota types (`PPM_USRQUOTA`, `PPM_GRPQUOTA`).
pub static QUOTACTL_TYPES: FlagTable = FlagTable {
    name: "quotactl_types",
    kind: FlagKind::Bits,
    entries: &[("USRQUOTA", 1 << 0), ("GRPQUOTA", 1 << 1)],
};

/// quotactl quota formats (`PPM_QFMT_*`).
pub static QUOTACTL_QUOTA_FMTS: FlagTable = FlagTable {
    name: "quotactl_quota_fmts",
    kind: FlagKind::Bits,
    entries: &[
        ("QFMT_NOT_USED", 1 << 0),
        ("QFMT_VFS_OLD", 1 << 1),
        ("QFMT_VFS_V0", 1 << 2),
        ("QFMT_VFS_V1", 1 << 3),
    ],
};

/// quotactl `if_dqinfo` flags (`PPM_DQF_NONE`, `PPM_V1_DQF_RSQUASH`).
pub static QUOTACTL_DQI_FLAGS: FlagTable = FlagTable {
    name: "quotactl_dqi_flags",
    kind: FlagKind::Bits,
    entries: &[("DQF_NONE", 1 << 0), ("V1_DQF_RSQUASH", 1 << 1)],
};

/// semop's `sem_flg` (`PPM_IPC_NOWAIT`, `PPM_SEM_UNDO`).
pub static SEMOP_FLAGS: FlagTable = FlagTable {
    name: "semop_flags",
    kind: FlagKind::Bits,
    entries: &[("IPC_NOWAIT", 1 << 0), ("SEM_UNDO", 1 << 1)],
};

/// semget's `semflg` (`PPM_IPC_EXCL`, `PPM_IPC_CREAT`), in libsinsp's order.
pub static SEMGET_FLAGS: FlagTable = FlagTable {
    name: "semget_flags",
    kind: FlagKind::Bits,
    entries: &[("IPC_EXCL", 1 << 14), ("IPC_CREAT", 1 << 13)],
};

/// semctl commands (`PPM_IPC_*`, `PPM_SEM_*`, `PPM_GET*`, `PPM_SET*`, one bit each).
pub static SEMCTL_COMMANDS: FlagTable = FlagTable {
    name: "semctl_commands",
    kind: FlagKind::Bits,
    entries: &[
        ("IPC_STAT", 1 << 0),
        ("IPC_SET", 1 << 1),
        ("IPC_RMID", 1 << 2),
        ("IPC_INFO", 1 << 3),
        ("SEM_INFO", 1 << 4),
        ("SEM_STAT", 1 << 5),
        ("GETALL", 1 << 6),
        ("GETNCNT", 1 << 7),
        ("GETPID", 1 << 8),
        ("GETVAL", 1 << 9),
        ("GETZCNT", 1 << 10),
        ("SETALL", 1 << 11),
        ("SETVAL", 1 << 12),
    ],
};

/// io_uring_setup `flags` (`PPM_IORING_SETUP_*`; libsinsp names ATTACH_WQ `ATTACH_RW`).
pub static IO_URING_SETUP_FLAGS: FlagTable = FlagTable {
    name: "io_uring_setup_flags",
    kind: FlagKind::Bits,
    entries: &[
        ("IORING_SETUP_IOPOLL", 1 << 0),
        ("IORING_SETUP_SQPOLL", 1 << 1),
        ("IORING_SQ_NEED_WAKEUP", 1 << 2),
        ("IORING_SETUP_SQ_AFF", 1 << 3),
        ("IORING_SETUP_CQSIZE", 1 << 4),
        ("IORING_SETUP_CLAMP", 1 << 5),
        ("IORING_SETUP_ATTACH_RW", 1 << 6),
        ("IORING_SETUP_R_DISABLED", 1 << 7),
    ],
};

/// io_uring_setup `features` (`PPM_IORING_FEAT_*`).
pub static IO_URING_SETUP_FEATS: FlagTable = FlagTable {
    name: "io_uring_setup_feats",
    kind: FlagKind::Bits,
    entries: &[
        ("IORING_FEAT_SINGLE_MMAP", 1 << 0),
        ("IORING_FEAT_NODROP", 1 << 1),
        ("IORING_FEAT_SUBMIT_STABLE", 1 << 2),
        ("IORING_FEAT_RW_CUR_POS", 1 << 3),
        ("IORING_FEAT_CUR_PERSONALITY", 1 << 4),
        ("IORING_FEAT_FAST_POLL", 1 << 5),
        ("IORING_FEAT_POLL_32BITS", 1 << 6),
        ("IORING_FEAT_SQPOLL_NONFIXED", 1 << 7),
        ("IORING_FEAT_ENTER_EXT_ARG", 1 << 8),
        ("IORING_FEAT_NATIVE_WORKERS", 1 << 9),
        ("IORING_FEAT_RSRC_TAGS", 1 << 10),
    ],
};

/// io_uring_enter `flags` (`PPM_IORING_ENTER_*`).
pub static IO_URING_ENTER_FLAGS: FlagTable = FlagTable {
    name: "io_uring_enter_flags",
    kind: FlagKind::Bits,
    entries: &[
        ("IORING_ENTER_GETEVENTS", 1 << 0),
        ("IORING_ENTER_SQ_WAKEUP", 1 << 1),
        ("IORING_ENTER_SQ_WAIT", 1 << 2),
        ("IORING_ENTER_EXT_ARG", 1 << 3),
    ],
};

/// io_uring_register opcodes (`PPM_IORING_REGISTER_*` / `_UNREGISTER_*`).
pub static IO_URING_REGISTER_OPCODES: FlagTable = FlagTable {
    name: "io_uring_register_opcodes",
    kind: FlagKind::Enum,
    entries: &[
        ("IORING_REGISTER_BUFFERS", 0),
        ("IORING_UNREGISTER_BUFFERS", 1),
        ("IORING_REGISTER_FILES", 2),
        ("IORING_UNREGISTER_FILES", 3),
        ("IORING_REGISTER_EVENTFD", 4),
        ("IORING_UNREGISTER_EVENTFD", 5),
        ("IORING_REGISTER_FILES_UPDATE", 6),
        ("IORING_REGISTER_EVENTFD_ASYNC", 7),
        ("IORING_REGISTER_PROBE", 8),
        ("IORING_REGISTER_PERSONALITY", 9),
        ("IORING_UNREGISTER_PERSONALITY", 10),
        ("IORING_REGISTER_RESTRICTIONS", 11),
        ("IORING_REGISTER_ENABLE_RINGS", 12),
        ("IORING_REGISTER_FILES2", 13),
        ("IORING_REGISTER_FILES_UPDATE2", 14),
        ("IORING_REGISTER_BUFFERS2", 15),
        ("IORING_REGISTER_BUFFERS_UPDATE", 16),
        ("IORING_REGISTER_IOWQ_AFF", 17),
        ("IORING_UNREGISTER_IOWQ_AFF", 18),
        ("IORING_REGISTER_IOWQ_MAX_WORKERS", 19),
        ("IORING_REGISTER_RING_FDS", 20),
        ("IORING_UNREGISTER_RING_FDS", 21),
    ],
};

/// fsconfig commands (`PPM_FSCONFIG_*`, Linux's numbers).
pub static FSCONFIG_CMDS: FlagTable = FlagTable {
    name: "fsconfig_cmds",
    kind: FlagKind::Enum,
    entries: &[
        ("FSCONFIG_SET_FLAG", 0),
        ("FSCONFIG_SET_STRING", 1),
        ("FSCONFIG_SET_BINARY", 2),
        ("FSCONFIG_SET_PATH", 3),
        ("FSCONFIG_SET_PATH_EMPTY", 4),
        ("FSCONFIG_SET_FD", 5),
        ("FSCONFIG_CMD_CREATE", 6),
        ("FSCONFIG_CMD_RECONFIGURE", 7),
    ],
};

/// keyctl operations (`PPM_KEYCTL_*`, Linux's numbers).
pub static KEYCTL_OPERATIONS: FlagTable = FlagTable {
    name: "keyctl_operations",
    kind: FlagKind::Enum,
    entries: &[
        ("KEYCTL_GET_KEYRING_ID", 0),
        ("KEYCTL_JOIN_SESSION_KEYRING", 1),
        ("KEYCTL_UPDATE", 2),
        ("KEYCTL_REVOKE", 3),
        ("KEYCTL_CHOWN", 4),
        ("KEYCTL_SETPERM", 5),
        ("KEYCTL_DESCRIBE", 6),
        ("KEYCTL_CLEAR", 7),
        ("KEYCTL_LINK", 8),
        ("KEYCTL_UNLINK", 9),
        ("KEYCTL_SEARCH", 10),
        ("KEYCTL_READ", 11),
        ("KEYCTL_INSTANTIATE", 12),
        ("KEYCTL_NEGATE", 13),
        ("KEYCTL_SET_REQKEY_KEYRING", 14),
        ("KEYCTL_SET_TIMEOUT", 15),
        ("KEYCTL_ASSUME_AUTHORITY", 16),
        ("KEYCTL_GET_SECURITY", 17),
        ("KEYCTL_SESSION_TO_PARENT", 18),
        ("KEYCTL_REJECT", 19),
        ("KEYCTL_INSTANTIATE_IOV", 20),
        ("KEYCTL_INVALIDATE", 21),
        ("KEYCTL_GET_PERSISTENT", 22),
        ("KEYCTL_DH_COMPUTE", 23),
        ("KEYCTL_PKEY_QUERY", 24),
        ("KEYCTL_PKEY_ENCRYPT", 25),
        ("KEYCTL_PKEY_DECRYPT", 26),
        ("KEYCTL_PKEY_SIGN", 27),
        ("KEYCTL_PKEY_VERIFY", 28),
        ("KEYCTL_RESTRICT_KEYRING", 29),
        ("KEYCTL_MOVE", 30),
        ("KEYCTL_CAPABILITIES", 31),
        ("KEYCTL_WATCH_KEY", 32),
    ],
};

/// Which flag table renders parameter `param` of events named `event` (None: plain number).
pub fn table_for(event: &str, param: &str) -> Option<&'static FlagTable> {
    Some(match (event, param) {
        ("open" | "openat" | "openat2" | "creat" | "open_by_handle_at", "flags") => &FILE_FLAGS,
        ("creat", "creat_flags") => &CREAT_FLAGS,
        ("access" | "faccessat" | "faccessat2", "mode") => &ACCESS_FLAGS,
        ("chmod" | "fchmod" | "fchmodat", "mode") => &MODE_FLAGS,
        ("mmap" | "mmap2" | "mprotect", "prot") => &PROT_FLAGS,
        ("mmap" | "mmap2", "flags") => &MMAP_FLAGS,
        ("socket" | "socketpair", "domain") => &SOCKET_FAMILIES,
        ("pipe2" | "dup3" | "eventfd2" | "signalfd4" | "inotify_init1" | "userfaultfd", "flags") => &FILE_FLAGS,
        ("ptrace", "request") => &PTRACE_REQUESTS,
        ("shutdown", "how") => &SHUTDOWN_HOW,
        ("unlinkat", "flags") => &UNLINKAT_FLAGS,
        ("linkat", "flags") => &LINKAT_FLAGS,
        ("mount", "flags") => &MOUNT_FLAGS,
        ("umount2", "flags") => &UMOUNT_FLAGS,
        ("memfd_create", "flags") => &MEMFD_CREATE_FLAGS,
        ("quotactl", "cmd") => &QUOTACTL_CMDS,
        ("quotactl", "type") => &QUOTACTL_TYPES,
        ("quotactl", "quota_fmt" | "quota_fmt_out") => &QUOTACTL_QUOTA_FMTS,
        ("quotactl", "dqi_flags") => &QUOTACTL_DQI_FLAGS,
        ("semop", "sem_flg_0" | "sem_flg_1") => &SEMOP_FLAGS,
        ("semget", "semflg") => &SEMGET_FLAGS,
        ("semctl", "cmd") => &SEMCTL_COMMANDS,
        ("io_uring_setup", "flags") => &IO_URING_SETUP_FLAGS,
        ("io_uring_setup", "features") => &IO_URING_SETUP_FEATS,
        ("io_uring_enter", "flags") => &IO_URING_ENTER_FLAGS,
        ("io_uring_register", "opcode") => &IO_URING_REGISTER_OPCODES,
        ("fsconfig", "cmd") => &FSCONFIG_CMDS,
        ("keyctl", "operation") => &KEYCTL_OPERATIONS,
        _ => return None,
    })
}

/// Parameters libsinsp prints in octal with a leading 0 (`PF_OCT`): file modes.
pub fn is_octal_param(event: &str, param: &str) -> bool {
    matches!(
        (event, param),
        (
            "open" | "openat" | "openat2" | "creat" | "chmod" | "fchmod" | "fchmodat" | "mknod" | "mknodat",
            "mode"
        )
    )
}

/// `n` as C's `%#o` prints it: `0` alone, else a leading 0 and octal digits.
pub fn write_octal(out: &mut String, n: u64) {
    use std::fmt::Write as _;
    if n == 0 {
        out.push('0');
    } else {
        let _ = write!(out, "0{n:o}");
    }
}

/// Parameters libsinsp prints in hexadecimal (`PF_HEX`): addresses, IPC keys.
pub fn is_hex_param(event: &str, param: &str) -> bool {
    matches!(
        (event, param),
        ("brk" | "mmap" | "mmap2", "res")
            | ("brk" | "mmap" | "mmap2" | "munmap" | "mprotect", "addr")
            // ptrace's dynamic words (a signal number there renders as a signal first)
            | ("ptrace", "addr" | "data")
            // PF_HEX in the event table
            | ("semget", "key")
            | ("io_uring_register", "arg")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_names_follow_linux_numbering() {
        assert_eq!(errno_name(2), Some("ENOENT"));
        assert_eq!(errno_name(13), Some("EACCES"));
        assert_eq!(errno_name(111), Some("ECONNREFUSED"));
        assert_eq!(errno_name(0), None);
        assert_eq!(errno_name(-5), None);
        assert_eq!(errno_name(10_000), None);
        assert_eq!(signal_name(9), Some("SIGKILL"));
        assert_eq!(signal_name(31), Some("SIGSYS"));
        assert_eq!(signal_name(0), None);
    }

    #[test]
    fn bit_flags_consume_combined_entries() {
        assert_eq!(FILE_FLAGS.render(4097), "O_RDONLY|O_CLOEXEC");
        assert_eq!(FILE_FLAGS.render(3 | 4), "O_RDWR|O_CREAT");
        assert_eq!(ACCESS_FLAGS.render(0), "F_OK");
        assert_eq!(MMAP_FLAGS.render(1030), "MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE");
        assert_eq!(SOCKET_FAMILIES.render(10), "AF_INET6");
        assert_eq!(SOCKET_FAMILIES.render(99), "");
    }
}
