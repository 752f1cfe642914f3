//! Linux flag values (as the kernel programs read them from registers) → the `PPM_*` values
//! scap events carry (libs `driver/ppm_flag_helpers.h` semantics).

/// `(Linux bit, PPM bit)` pairs of open(2) flags other than the access mode.
const OPEN_BITS: [(u32, u32); 11] = [
    (0o100, 1 << 2),      // O_CREAT
    (0o2000, 1 << 3),     // O_APPEND
    (0o10000, 1 << 4),    // O_DSYNC
    (0o200, 1 << 5),      // O_EXCL
    (0o4000, 1 << 6),     // O_NONBLOCK
    (0o4000000, 1 << 7),  // __O_SYNC (O_SYNC = __O_SYNC | O_DSYNC)
    (0o1000, 1 << 8),     // O_TRUNC
    (0o40000, 1 << 9),    // O_DIRECT
    (0o200000, 1 << 10),  // O_DIRECTORY
    (0o100000, 1 << 11),  // O_LARGEFILE
    (0o2000000, 1 << 12), // O_CLOEXEC
];
/// `__O_TMPFILE` (O_TMPFILE also sets O_DIRECTORY) → `PPM_O_TMPFILE`.
const O_TMPFILE_BIT: (u32, u32) = (0o20000000, 1 << 13);

/// open(2)/openat(2) `flags` → `PPM_O_*`, access mode included.
pub fn open_flags(linux: u32) -> u32 {
    let acc = match linux & 3 {
        0 => 1, // PPM_O_RDONLY
        1 => 2, // PPM_O_WRONLY
        _ => 3, // PPM_O_RDWR
    };
    acc | open_flag_bits(linux)
}

/// Flags without an access mode (pipe2, dup3, inotify_init1…) → `PPM_O_*` bits.
pub fn open_flag_bits(linux: u32) -> u32 {
    let mut out = 0;
    for (l, p) in OPEN_BITS {
        if linux & l != 0 {
            out |= p;
        }
    }
    if linux & O_TMPFILE_BIT.0 != 0 {
        out |= O_TMPFILE_BIT.1;
        out &= !(1 << 10); // O_TMPFILE is not reported as a directory open
    }
    out
}

/// `(Linux CLONE_*, PPM_CL_*)` pairs.
const CLONE_BITS: [(u64, u32); 22] = [
    (0x0000_0400, 1 << 0),  // CLONE_FILES
    (0x0000_0200, 1 << 1),  // CLONE_FS
    (0x8000_0000, 1 << 2),  // CLONE_IO
    (0x0800_0000, 1 << 3),  // CLONE_NEWIPC
    (0x4000_0000, 1 << 4),  // CLONE_NEWNET
    (0x0002_0000, 1 << 5),  // CLONE_NEWNS
    (0x2000_0000, 1 << 6),  // CLONE_NEWPID
    (0x0400_0000, 1 << 7),  // CLONE_NEWUTS
    (0x0000_8000, 1 << 8),  // CLONE_PARENT
    (0x0010_0000, 1 << 9),  // CLONE_PARENT_SETTID
    (0x0000_2000, 1 << 10), // CLONE_PTRACE
    (0x0000_0800, 1 << 11), // CLONE_SIGHAND
    (0x0004_0000, 1 << 12), // CLONE_SYSVSEM
    (0x0001_0000, 1 << 13), // CLONE_THREAD
    (0x0080_0000, 1 << 14), // CLONE_UNTRACED
    (0x0000_0100, 1 << 15), // CLONE_VM
    (0x1000_0000, 1 << 20), // CLONE_NEWUSER
    (0x0020_0000, 1 << 23), // CLONE_CHILD_CLEARTID
    (0x0100_0000, 1 << 24), // CLONE_CHILD_SETTID
    (0x0008_0000, 1 << 25), // CLONE_SETTLS
    (0x0000_4000, 1 << 27), // CLONE_VFORK
    (0x0200_0000, 1 << 28), // CLONE_NEWCGROUP
];
/// `PPM_CL_CHILD_IN_PIDNS`: the child lives in a pid namespace other than the host's.
pub const PPM_CL_CHILD_IN_PIDNS: u32 = 1 << 29;

/// clone/clone3/unshare/setns flags → `PPM_CL_*`.
pub fn clone_flags(linux: u64) -> u32 {
    CLONE_BITS
        .iter()
        .filter(|(l, _)| linux & l != 0)
        .fold(0, |acc, (_, p)| acc | p)
}

/// mmap(2) flags → `PPM_MAP_*`.
pub fn mmap_flags(linux: u64) -> u32 {
    const BITS: [(u64, u32); 12] = [
        (0x01, 1),       // MAP_SHARED
        (0x02, 2),       // MAP_PRIVATE
        (0x10, 4),       // MAP_FIXED
        (0x20, 8),       // MAP_ANONYMOUS
        (0x40, 16),      // MAP_32BIT
        (0x4000, 64),    // MAP_NORESERVE
        (0x8000, 128),   // MAP_POPULATE
        (0x10000, 256),  // MAP_NONBLOCK
        (0x100, 512),    // MAP_GROWSDOWN
        (0x800, 1024),   // MAP_DENYWRITE
        (0x1000, 2048),  // MAP_EXECUTABLE
        (0x2000, 16384), // MAP_LOCKED
    ];
    BITS.iter().filter(|(l, _)| linux & l != 0).fold(0, |a, (_, p)| a | p)
}

/// fcntl(2) `cmd` → `PPM_FCNTL_*` (0 = unknown).
pub fn fcntl_cmd(linux: u64) -> u64 {
    match linux {
        0 => 1,     // F_DUPFD
        1 => 2,     // F_GETFD
        2 => 3,     // F_SETFD
        3 => 4,     // F_GETFL
        4 => 5,     // F_SETFL
        5 => 6,     // F_GETLK
        6 => 8,     // F_SETLK
        7 => 9,     // F_SETLKW
        8 => 10,    // F_SETOWN
        9 => 12,    // F_GETOWN
        10 => 13,   // F_SETSIG
        11 => 15,   // F_GETSIG
        15 => 16,   // F_SETOWN_EX
        16 => 17,   // F_GETOWN_EX
        1024 => 18, // F_SETLEASE
        1025 => 19, // F_GETLEASE
        1029 => 20, // F_CANCELLK
        1030 => 26, // F_DUPFD_CLOEXEC
        1026 => 27, // F_NOTIFY
        1031 => 28, // F_SETPIPE_SZ
        1032 => 29, // F_GETPIPE_SZ
        36 => 30,   // F_OFD_GETLK
        37 => 31,   // F_OFD_SETLK
        38 => 32,   // F_OFD_SETLKW
        _ => 0,
    }
}

/// Linux `O_NONBLOCK` / `O_CLOEXEC` (x86_64), which the `*_NONBLOCK` / `*_CLOEXEC` flags of
/// eventfd2, signalfd4, timerfd_create, inotify_init1, accept4 and socket alias.
const O_NONBLOCK: u64 = 0o4000;
const O_CLOEXEC: u64 = 0o2000000;
const O_DIRECT: u64 = 0o40000;
const O_TRUNC: u64 = 0o1000;
/// `PPM_O_NONBLOCK` / `PPM_O_CLOEXEC`.
const PPM_O_NONBLOCK: u32 = 1 << 6;
const PPM_O_CLOEXEC: u32 = 1 << 12;

/// Keeps the bits of `linux` listed in `bits` (`(Linux, PPM)` pairs) as their PPM values.
fn map_bits(linux: u64, bits: &[(u64, u32)]) -> u32 {
    bits.iter().filter(|(l, _)| linux & l != 0).fold(0, |a, (_, p)| a | p)
}

/// `PPM_O_F_CREATED`: the open created the file (the file's `f_mode` has `FMODE_CREATED`).
pub const PPM_O_F_CREATED: u32 = 1 << 14;
/// Linux `FMODE_CREATED` (`f_mode` bit, Linux 4.19+).
pub const FMODE_CREATED: u32 = 1 << 20;

/// poll(2) `events` / `revents` → `PPM_POLL*`.
pub fn poll_events(linux: u16) -> u16 {
    const BITS: [(u64, u32); 11] = [
        (0x001, 1 << 0),  // POLLIN
        (0x002, 1 << 1),  // POLLPRI
        (0x004, 1 << 2),  // POLLOUT
        (0x2000, 1 << 3), // POLLRDHUP
        (0x008, 1 << 4),  // POLLERR
        (0x010, 1 << 5),  // POLLHUP
        (0x020, 1 << 6),  // POLLNVAL
        (0x040, 1 << 7),  // POLLRDNORM
        (0x080, 1 << 8),  // POLLRDBAND
        (0x100, 1 << 9),  // POLLWRNORM
        (0x200, 1 << 10), // POLLWRBAND
    ];
    map_bits(linux as u64, &BITS) as u16
}

/// eventfd2 / signalfd4 / timerfd_create / inotify_init1 / accept4 flags → `PPM_O_NONBLOCK`
/// and `PPM_O_CLOEXEC` (the only bits the driver keeps); a negative int is 0.
pub fn nonblock_cloexec_flags(linux: u64) -> u32 {
    if (linux as u32 as i32) < 0 {
        return 0;
    }
    map_bits(linux, &[(O_NONBLOCK, PPM_O_NONBLOCK), (O_CLOEXEC, PPM_O_CLOEXEC)])
}

/// pipe2 flags → `PPM_O_*` (O_CLOEXEC, O_DIRECT, O_NONBLOCK only, as the driver).
pub fn pipe2_flags(linux: u64) -> u32 {
    if (linux as u32 as i32) < 0 {
        return 0;
    }
    open_flag_bits((linux & (O_CLOEXEC | O_DIRECT | O_NONBLOCK)) as u32)
}

/// epoll_create1 flags → `PPM_EPOLL_CLOEXEC`.
pub fn epoll_create1_flags(linux: u64) -> u32 {
    map_bits(linux, &[(O_CLOEXEC, 1)])
}

/// pidfd_open flags → `PPM_PIDFD_NONBLOCK`.
pub fn pidfd_open_flags(linux: u64) -> u32 {
    map_bits(linux, &[(O_NONBLOCK, 1)])
}

/// delete_module flags → `PPM_DELETE_MODULE_O_TRUNC` (1) / `_O_NONBLOCK` (2).
pub fn delete_module_flags(linux: u64) -> u32 {
    map_bits(linux, &[(O_TRUNC, 1), (O_NONBLOCK, 2)])
}

/// Flag parameters whose PPM bits equal the Linux bits: only the bits the driver knows are
/// kept (e.g. `PPM_AT_REMOVEDIR` = `AT_REMOVEDIR` = 0x200).
pub mod same_bits {
    /// unlinkat: `AT_REMOVEDIR`.
    pub const UNLINKAT: u64 = 0x200;
    /// linkat and fchownat: `AT_SYMLINK_FOLLOW | AT_EMPTY_PATH` (fchownat's AT_SYMLINK_NOFOLLOW
    /// is dropped by the driver too).
    pub const LINKAT: u64 = 0x400 | 0x1000;
    /// newfstatat: `AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH`.
    pub const NEWFSTATAT: u64 = 0x100 | 0x800 | 0x1000;
    /// umount2: `MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW`.
    pub const UMOUNT2: u64 = 0xf;
    /// memfd_create: `MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB`.
    pub const MEMFD_CREATE: u64 = 0x7;
    /// splice: `SPLICE_F_MOVE | _NONBLOCK | _MORE | _GIFT`.
    pub const SPLICE: u64 = 0xf;
    /// flock: `LOCK_SH | LOCK_EX | LOCK_NB | LOCK_UN`.
    pub const FLOCK: u64 = 0xf;
    /// mlockall: `MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT`.
    pub const MLOCKALL: u64 = 0x7;
    /// mlock2: `MLOCK_ONFAULT`.
    pub const MLOCK2: u64 = 0x1;
    /// close_range: `CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC`.
    pub const CLOSE_RANGE: u64 = 0x6;
    /// finit_module: `MODULE_INIT_IGNORE_MODVERSIONS | _IGNORE_VERMAGIC | _COMPRESSED_FILE`.
    pub const FINIT_MODULE: u64 = 0x7;
}

/// mount(2) flags → `PPM_MS_*` (same bits); the historical magic `0xC0ED` in the upper half
/// (`MS_MGC_VAL`) is removed, as the driver does.
pub fn mount_flags(linux: u64) -> u32 {
    const MGC_MSK: u32 = 0xffff_0000;
    const MGC_VAL: u32 = 0xc0ed_0000;
    let f = linux as u32;
    if f & MGC_MSK == MGC_VAL {
        f & !MGC_MSK
    } else {
        f
    }
}

/// shutdown(2) `how` → `PPM_SHUT_*` (`0xffff`: unknown).
pub fn shutdown_how(linux: u64) -> u64 {
    match linux {
        0..=2 => linux,
        _ => 0xffff,
    }
}

/// lseek(2) `whence` → `PPM_SEEK_*` (SEEK_SET, SEEK_CUR, SEEK_END; 0 otherwise).
pub fn lseek_whence(linux: u64) -> u64 {
    if linux <= 2 {
        linux
    } else {
        0
    }
}

/// open/openat/openat2/creat `mode` → `PPM_S_*` (same bits as Linux): only when the flags
/// create a file (O_CREAT or O_TMPFILE), 0 otherwise, as the driver.
pub fn open_mode(linux_flags: u64, mode: u64) -> u64 {
    const O_CREAT: u64 = 0o100;
    const O_TMPFILE: u64 = 0o20000000;
    if linux_flags & (O_CREAT | O_TMPFILE) == 0 {
        return 0;
    }
    chmod_mode(mode)
}

/// chmod/fchmod/fchmodat `mode` → `PPM_S_*`: the permission, sticky, setuid and setgid bits
/// (the PPM bits equal Linux's).
pub fn chmod_mode(mode: u64) -> u64 {
    mode & 0o7777
}

/// setrlimit/getrlimit `resource` → `PPM_RLIMIT_*` (0..=15 share the numbers; 255 unknown).
pub fn rlimit_resource(linux: u64) -> u64 {
    if linux <= 15 {
        linux
    } else {
        255
    }
}

/// `PPM_PTRACE_*` of the ptrace requests whose data argument is a signal number.
pub const PPM_PTRACE_SIGNAL_REQUESTS: [u16; 4] = [8, 10, 12, 13]; // CONT SINGLESTEP DETACH SYSCALL

/// ptrace(2) `request` (x86_64 values) → `PPM_PTRACE_*` (0: unknown).
pub fn ptrace_request(linux: u64) -> u16 {
    match linux {
        0 => 1,       // TRACEME
        1 => 2,       // PEEKTEXT
        2 => 3,       // PEEKDATA
        3 => 4,       // PEEKUSR
        4 => 5,       // POKETEXT
        5 => 6,       // POKEDATA
        6 => 7,       // POKEUSR
        7 => 8,       // CONT
        8 => 9,       // KILL
        9 => 10,      // SINGLESTEP
        12 => 26,     // GETREGS
        13 => 27,     // SETREGS
        14 => 28,     // GETFPREGS
        15 => 29,     // SETFPREGS
        16 => 11,     // ATTACH
        17 => 12,     // DETACH
        18 => 30,     // GETFPXREGS
        19 => 31,     // SETFPXREGS
        21 => 32,     // OLDSETOPTIONS
        24 => 13,     // SYSCALL
        25 => 33,     // GET_THREAD_AREA
        26 => 34,     // SET_THREAD_AREA
        30 => 35,     // ARCH_PRCTL
        31 => 36,     // SYSEMU
        32 => 37,     // SYSEMU_SINGLESTEP
        33 => 38,     // SINGLEBLOCK
        0x4200 => 14, // SETOPTIONS
        0x4201 => 15, // GETEVENTMSG
        0x4202 => 16, // GETSIGINFO
        0x4203 => 17, // SETSIGINFO
        0x4204 => 18, // GETREGSET
        0x4205 => 19, // SETREGSET
        0x4206 => 20, // SEIZE
        0x4207 => 21, // INTERRUPT
        0x4208 => 22, // LISTEN
        0x4209 => 23, // PEEKSIGINFO
        0x420a => 24, // GETSIGMASK
        0x420b => 25, // SETSIGMASK
        _ => 0,
    }
}

/// getsockopt/setsockopt `optname` → `PPM_SOCKOPT_*`: SOL_SOCKET options only (other
/// levels and unknown names are 0). x86_64 numbering; the `_NEW` timeval options map like
/// their `_OLD` twins.
pub fn sockopt_name(level: u64, linux: u64) -> u64 {
    const SOL_SOCKET: u64 = 1;
    if level != SOL_SOCKET {
        return 0;
    }
    match linux {
        1..=50 => linux, // SO_DEBUG … SO_ATTACH_BPF share their numbers
        59 => 51,        // SO_PEERGROUPS
        55 => 52,        // SO_MEMINFO
        57 => 53,        // SO_COOKIE
        62 => 29,        // SO_TIMESTAMP_NEW
        63 => 35,        // SO_TIMESTAMPNS_NEW
        65 => 37,        // SO_TIMESTAMPING_NEW
        66 => 20,        // SO_RCVTIMEO_NEW
        67 => 21,        // SO_SNDTIMEO_NEW
        _ => 0,
    }
}

/// semop's `sem_flg` → `PPM_IPC_NOWAIT` / `PPM_SEM_UNDO`.
pub fn semop_flags(linux: u16) -> u16 {
    const BITS: [(u64, u32); 2] = [(0o4000, 1 << 0), (0x1000, 1 << 1)]; // IPC_NOWAIT, SEM_UNDO
    map_bits(linux as u64, &BITS) as u16
}

/// semget's `semflg` → `PPM_IPC_CREAT` / `PPM_IPC_EXCL` (the permission bits are dropped).
pub fn semget_flags(linux: u64) -> u32 {
    const BITS: [(u64, u32); 2] = [(0o1000, 1 << 13), (0o2000, 1 << 14)]; // IPC_CREAT, IPC_EXCL
    map_bits(linux, &BITS)
}

/// `SETVAL`, the semctl command whose fourth argument is the value set.
pub const SEMCTL_SETVAL: u16 = 16;

/// semctl's `cmd` (its low 16 bits, as the driver reads it) → `PPM_IPC_*` / `PPM_SEM_*` /
/// `PPM_GET*` / `PPM_SET*` (one bit each; 0 when unknown, `IPC_64` included).
pub fn semctl_cmd(linux: u16) -> u16 {
    match linux {
        2 => 1 << 0,   // IPC_STAT
        1 => 1 << 1,   // IPC_SET
        0 => 1 << 2,   // IPC_RMID
        3 => 1 << 3,   // IPC_INFO
        19 => 1 << 4,  // SEM_INFO
        18 => 1 << 5,  // SEM_STAT
        13 => 1 << 6,  // GETALL
        14 => 1 << 7,  // GETNCNT
        11 => 1 << 8,  // GETPID
        12 => 1 << 9,  // GETVAL
        15 => 1 << 10, // GETZCNT
        17 => 1 << 11, // SETALL
        16 => 1 << 12, // SETVAL
        _ => 0,
    }
}

/// quotactl's `cmd >> 8` values.
pub mod quotactl {
    pub const Q_QUOTAON: u64 = 0x80_0002;
    pub const Q_GETFMT: u64 = 0x80_0004;
    pub const Q_GETINFO: u64 = 0x80_0005;
    pub const Q_SETINFO: u64 = 0x80_0006;
    pub const Q_GETQUOTA: u64 = 0x80_0007;
    pub const Q_SETQUOTA: u64 = 0x80_0008;
    /// XFS `Q_XGETQUOTA` / `Q_XSETQLIM` (`('X' << 8) + 3 / 4`): commands whose id is a user id.
    pub const Q_XGETQUOTA: u64 = 0x5803;
    pub const Q_XSETQLIM: u64 = 0x5804;
}

/// quotactl's command (`cmd >> 8`) → `PPM_Q_*` (0 when unknown).
pub fn quotactl_cmd(linux: u64) -> u16 {
    match linux >> 8 {
        0x80_0002 => 1 << 0, // Q_QUOTAON
        0x80_0003 => 1 << 1, // Q_QUOTAOFF
        0x80_0004 => 1 << 2, // Q_GETFMT
        0x80_0005 => 1 << 3, // Q_GETINFO
        0x80_0006 => 1 << 4, // Q_SETINFO
        0x80_0007 => 1 << 5, // Q_GETQUOTA
        0x80_0008 => 1 << 6, // Q_SETQUOTA
        0x80_0001 => 1 << 7, // Q_SYNC
        0x5801 => 1 << 8,    // Q_XQUOTAON
        0x5802 => 1 << 9,    // Q_XQUOTAOFF
        0x5803 => 1 << 10,   // Q_XGETQUOTA
        0x5804 => 1 << 11,   // Q_XSETQLIM
        0x5805 => 1 << 12,   // Q_XGETQSTAT
        0x5806 => 1 << 13,   // Q_XQUOTARM
        0x5807 => 1 << 14,   // Q_XQUOTASYNC
        _ => 0,
    }
}

/// quotactl's quota type (`cmd & 0xff`) → `PPM_USRQUOTA` / `PPM_GRPQUOTA` (0 otherwise).
pub fn quotactl_type(linux: u64) -> u8 {
    match linux & 0xff {
        0 => 1 << 0,
        1 => 1 << 1,
        _ => 0,
    }
}

/// A quota format id (`QFMT_*`) → `PPM_QFMT_*` (`PPM_QFMT_NOT_USED` when unknown).
pub fn quotactl_fmt(linux: u64) -> u8 {
    match linux {
        1 => 1 << 1, // QFMT_VFS_OLD
        2 => 1 << 2, // QFMT_VFS_V0
        4 => 1 << 3, // QFMT_VFS_V1
        _ => PPM_QFMT_NOT_USED,
    }
}

/// `PPM_QFMT_NOT_USED`.
pub const PPM_QFMT_NOT_USED: u8 = 1 << 0;

/// io_uring_setup's `flags` → `PPM_IORING_SETUP_*`. Bit 0 also sets `PPM_IORING_SQ_NEED_WAKEUP`
/// (Linux `IORING_SQ_NEED_WAKEUP` is 1 too, and the driver tests it against these flags).
pub fn io_uring_setup_flags(linux: u64) -> u32 {
    const BITS: [(u64, u32); 8] = [
        (1 << 0, 1 << 0), // IORING_SETUP_IOPOLL
        (1 << 1, 1 << 1), // IORING_SETUP_SQPOLL
        (1 << 0, 1 << 2), // IORING_SQ_NEED_WAKEUP
        (1 << 2, 1 << 3), // IORING_SETUP_SQ_AFF
        (1 << 3, 1 << 4), // IORING_SETUP_CQSIZE
        (1 << 4, 1 << 5), // IORING_SETUP_CLAMP
        (1 << 5, 1 << 6), // IORING_SETUP_ATTACH_WQ
        (1 << 6, 1 << 7), // IORING_SETUP_R_DISABLED
    ];
    map_bits(linux, &BITS)
}

/// io_uring_setup's `features` → `PPM_IORING_FEAT_*`: the same bits, the 11 the driver knows
/// (`SINGLE_MMAP` … `RSRC_TAGS`).
pub fn io_uring_setup_features(linux: u64) -> u32 {
    (linux & 0x7ff) as u32
}

/// io_uring_enter's `flags` → `PPM_IORING_ENTER_*`: the same bits, the 4 the driver knows
/// (`GETEVENTS`, `SQ_WAKEUP`, `SQ_WAIT`, `EXT_ARG`).
pub fn io_uring_enter_flags(linux: u64) -> u32 {
    (linux & 0xf) as u32
}

/// Whether keyctl operation `op` (Linux `KEYCTL_*`, the same numbers as `PPM_KEYCTL_*`) takes
/// a string in argument register `reg` (the kernel program's rule, `bpf/saker.bpf.c`):
/// JOIN_SESSION_KEYRING's name, SEARCH's and RESTRICT_KEYRING's type and description or
/// restriction, PKEY_QUERY's info, PKEY_ENCRYPT … PKEY_VERIFY's info.
pub fn keyctl_str_arg(op: u64, reg: usize) -> bool {
    match reg {
        1 => op == 1,
        2 => matches!(op, 10 | 29 | 25..=28),
        3 => matches!(op, 10 | 29 | 24),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::FILE_FLAGS;

    #[test]
    fn open_flags_render_as_libsinsp_names() {
        // O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC as glibc passes it.
        let f = open_flags(0o1 | 0o100 | 0o1000 | 0o2000000);
        assert_eq!(FILE_FLAGS.render(f as u64), "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC");
        assert_eq!(FILE_FLAGS.render(open_flags(0o200000) as u64), "O_RDONLY|O_DIRECTORY");
        assert_eq!(FILE_FLAGS.render(open_flags(0o20200002) as u64), "O_RDWR|O_TMPFILE");
    }

    #[test]
    fn clone_thread_maps_to_the_state_bit() {
        // glibc pthread_create: CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID
        let f = clone_flags(0x3d0f00);
        assert_ne!(f & (1 << 13), 0, "PPM_CL_CLONE_THREAD");
        assert_eq!(f & (1 << 15), 1 << 15);
        assert_eq!(clone_flags(0x11), 0, "the exit signal is not a flag");
        assert_eq!(fcntl_cmd(1030), 26);
        assert_eq!(fcntl_cmd(0), 1);
        assert_eq!(mmap_flags(0x22), 2 | 8);
    }

    #[test]
    fn linux_values_become_ppm_values() {
        assert_eq!(ptrace_request(16), 11, "PTRACE_ATTACH");
        assert_eq!(ptrace_request(0x4206), 20, "PTRACE_SEIZE");
        assert_eq!(ptrace_request(4), 5, "PTRACE_POKETEXT");
        assert_eq!(ptrace_request(1000), 0, "unknown");
        assert_eq!(shutdown_how(1), 1);
        assert_eq!(shutdown_how(7), 0xffff);
        assert_eq!(mount_flags(0xc0ed_0000 | 0x1000 | 0x4000), 0x5000, "magic removed");
        assert_eq!(mount_flags(0x1000), 0x1000);
        // O_NONBLOCK | O_CLOEXEC | EFD_SEMAPHORE
        assert_eq!(nonblock_cloexec_flags(0o4000 | 0o2000000 | 1), (1 << 6) | (1 << 12));
        assert_eq!(nonblock_cloexec_flags(-1i64 as u64), 0, "a negative int is no flag");
        assert_eq!(pipe2_flags(0o2000000 | 0o200), 1 << 12, "O_EXCL is not a pipe2 flag");
        assert_eq!(epoll_create1_flags(0o2000000), 1);
        assert_eq!(pidfd_open_flags(0o4000), 1);
        assert_eq!(delete_module_flags(0o4000 | 0o1000), 3);
        assert_eq!(sockopt_name(1, 4), 4, "SO_ERROR");
        assert_eq!(sockopt_name(1, 57), 53, "SO_COOKIE");
        assert_eq!(sockopt_name(1, 66), 20, "SO_RCVTIMEO_NEW");
        assert_eq!(sockopt_name(6, 1), 0, "TCP options are not named");
        assert_eq!(open_mode(0o100, 0o100644), 0o644, "O_CREAT: the permission bits");
        assert_eq!(open_mode(0, 0o644), 0, "no mode without O_CREAT/O_TMPFILE");
        assert_eq!(chmod_mode(0o104755), 0o4755);
        assert_eq!(rlimit_resource(7), 7);
        assert_eq!(rlimit_resource(99), 255);
        assert_eq!(lseek_whence(3), 0, "SEEK_DATA has no PPM value");
    }
}
