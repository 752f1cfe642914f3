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
}
