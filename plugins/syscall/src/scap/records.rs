//! Metadata records of a capture (machine info, processes, fds, interfaces, users) and their
//! version-specific layouts (`reference/scap-format.md` §3–§7).

use super::{block, ErrorKind};

/// Longest comm/exe/exepath/cwd/root string (`SCAP_MAX_PATH_SIZE`).
pub const MAX_PATH_LEN: usize = 1024;
/// Longest args/env/cgroups list (`SCAP_MAX_ARGS_SIZE`, `SCAP_MAX_ENV_SIZE`, `SCAP_MAX_CGROUPS_SIZE`).
pub const MAX_LIST_LEN: usize = 4096;
/// Longest user/group name, home or shell (`MAX_CREDENTIALS_STR_LEN`).
pub const MAX_CREDENTIAL_LEN: usize = 256;
/// Longest interface name.
pub const MAX_IFNAME_LEN: usize = 1024;
/// Size of the machine info body.
pub const MACHINE_INFO_LEN: usize = 180;
/// Size of the hostname field of the machine info.
pub const HOSTNAME_LEN: usize = 128;
/// `entry_len - bytes_read` at or below which a V9 process entry predates libs 0.10 (no
/// `pidns_init_start_ts`/`tty`): loginuid (4) + exe_writable (1) + 3 capability sets (24).
pub const PRE_0_10_TAIL_LEN: usize = 29;
/// `loginuid` meaning "unset".
pub const LOGINUID_UNSET: u32 = u32::MAX;

/// Section header (`SHB`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionHeader {
    pub major_version: u16,
    pub minor_version: u16,
    pub section_length: u64,
}

/// Machine info (`MI`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MachineInfo {
    pub num_cpus: u32,
    pub memory_size_bytes: u64,
    pub max_pid: u64,
    pub hostname: String,
    /// Boot time, ns since the epoch.
    pub boot_ts_epoch: u64,
    pub flags: u64,
}

/// One thread of the process list (`PL`, any version; fields absent in old versions keep the
/// libscap defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessEntry {
    pub tid: u64,
    pub pid: u64,
    pub ptid: u64,
    pub sid: i64,
    pub vpgid: i64,
    pub comm: String,
    pub exe: String,
    pub exepath: String,
    /// `argv[1..]`, each NUL-terminated.
    pub args: Vec<u8>,
    pub cwd: String,
    pub fdlimit: u64,
    /// `PPM_CL_*` flags.
    pub flags: u32,
    pub uid: u32,
    pub gid: u32,
    pub vmsize_kb: u32,
    pub vmrss_kb: u32,
    pub vmswap_kb: u32,
    pub pfmajor: u64,
    pub pfminor: u64,
    /// `K=V` entries, NUL-separated.
    pub env: Vec<u8>,
    pub vtid: i64,
    pub vpid: i64,
    /// `subsys=path` entries, NUL-separated.
    pub cgroups: Vec<u8>,
    pub root: String,
    pub pidns_init_start_ts: u64,
    pub tty: u32,
    pub loginuid: u32,
    pub exe_writable: bool,
    pub cap_inheritable: u64,
    pub cap_permitted: u64,
    pub cap_effective: u64,
    pub exe_upper_layer: bool,
    pub exe_ino: u64,
    pub exe_ino_ctime: u64,
    pub exe_ino_mtime: u64,
    pub exe_from_memfd: bool,
    pub exe_lower_layer: bool,
    pub pgid: i64,
}

impl Default for ProcessEntry {
    fn default() -> Self {
        ProcessEntry {
            tid: 0,
            pid: 0,
            ptid: 0,
            sid: -1,
            vpgid: -1,
            comm: String::new(),
            exe: String::new(),
            exepath: String::new(),
            args: Vec::new(),
            cwd: String::new(),
            fdlimit: 0,
            flags: 0,
            uid: 0,
            gid: 0,
            vmsize_kb: 0,
            vmrss_kb: 0,
            vmswap_kb: 0,
            pfmajor: 0,
            pfminor: 0,
            env: Vec::new(),
            vtid: -1,
            vpid: -1,
            cgroups: Vec::new(),
            root: String::new(),
            pidns_init_start_ts: 0,
            tty: 0,
            loginuid: LOGINUID_UNSET,
            exe_writable: false,
            cap_inheritable: 0,
            cap_permitted: 0,
            cap_effective: 0,
            exe_upper_layer: false,
            exe_ino: 0,
            exe_ino_ctime: 0,
            exe_ino_mtime: 0,
            exe_from_memfd: false,
            exe_lower_layer: false,
            pgid: -1,
        }
    }
}

/// `scap_fd_type` values.
pub mod fd_type {
    pub const UNKNOWN: u8 = 0;
    pub const FILE: u8 = 1;
    pub const DIRECTORY: u8 = 2;
    pub const IPV4_SOCK: u8 = 3;
    pub const IPV6_SOCK: u8 = 4;
    pub const IPV4_SERVSOCK: u8 = 5;
    pub const IPV6_SERVSOCK: u8 = 6;
    pub const FIFO: u8 = 7;
    pub const UNIX_SOCK: u8 = 8;
    pub const EVENT: u8 = 9;
    pub const UNSUPPORTED: u8 = 10;
    pub const SIGNALFD: u8 = 11;
    pub const EVENTPOLL: u8 = 12;
    pub const INOTIFY: u8 = 13;
    pub const TIMERFD: u8 = 14;
    pub const NETLINK: u8 = 15;
    pub const FILE_V2: u8 = 16;
    pub const BPF: u8 = 17;
    pub const USERFAULTFD: u8 = 18;
    pub const IOURING: u8 = 19;
    pub const MEMFD: u8 = 20;
    pub const PIDFD: u8 = 21;
}

/// What an fd refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FdInfo {
    Ipv4Socket {
        sip: [u8; 4],
        dip: [u8; 4],
        sport: u16,
        dport: u16,
        l4proto: u8,
    },
    Ipv6Socket {
        sip: [u8; 16],
        dip: [u8; 16],
        sport: u16,
        dport: u16,
        l4proto: u8,
    },
    Ipv4Server {
        ip: [u8; 4],
        port: u16,
        l4proto: u8,
    },
    Ipv6Server {
        ip: [u8; 16],
        port: u16,
        l4proto: u8,
    },
    Unix {
        source: u64,
        dest: u64,
        name: String,
    },
    /// `FILE_V2`: open flags (`PPM_O_*`), name and device (absent in old lists).
    File {
        open_flags: u32,
        name: String,
        dev: Option<u32>,
    },
    /// Every other known type: just a name (path or description).
    Named {
        fd_type: u8,
        name: String,
    },
    /// A type this reader does not know (V2 lists only, where the entry length lets us skip it).
    Unknown {
        fd_type: u8,
    },
}

impl FdInfo {
    /// The `scap_fd_type` value.
    pub fn fd_type(&self) -> u8 {
        match self {
            FdInfo::Ipv4Socket { .. } => fd_type::IPV4_SOCK,
            FdInfo::Ipv6Socket { .. } => fd_type::IPV6_SOCK,
            FdInfo::Ipv4Server { .. } => fd_type::IPV4_SERVSOCK,
            FdInfo::Ipv6Server { .. } => fd_type::IPV6_SERVSOCK,
            FdInfo::Unix { .. } => fd_type::UNIX_SOCK,
            FdInfo::File { .. } => fd_type::FILE_V2,
            FdInfo::Named { fd_type, .. } | FdInfo::Unknown { fd_type } => *fd_type,
        }
    }
}

/// One fd of one thread (`FDL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdEntry {
    pub tid: u64,
    pub fd: i64,
    pub ino: u64,
    pub info: FdInfo,
}

/// Interface list entry (`IL`); `linkspeed` is `None` for the `*_NOLINKSPEED` types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interface {
    V4 {
        addr: [u8; 4],
        netmask: [u8; 4],
        bcast: [u8; 4],
        linkspeed: Option<u64>,
        name: String,
    },
    V6 {
        addr: [u8; 16],
        netmask: [u8; 16],
        bcast: [u8; 16],
        linkspeed: Option<u64>,
        name: String,
    },
}

/// `IL` entry types.
const IF_IPV4: u16 = 1;
const IF_IPV6: u16 = 2;
const IF_IPV4_NOLINKSPEED: u16 = 3;
const IF_IPV6_NOLINKSPEED: u16 = 4;

/// User list entry (`UL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserListEntry {
    User {
        uid: u32,
        gid: u32,
        name: String,
        home: String,
        shell: String,
    },
    Group {
        gid: u32,
        name: String,
    },
}

const USER_ENTRY: u8 = 0;
const GROUP_ENTRY: u8 = 1;

/// Little-endian reader over a block body. `base` is the body's offset in the stream, so
/// errors point at the exact byte.
pub(crate) struct Cursor<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) base: u64,
}

/// A body parse error with the stream offset where it happened.
pub(crate) type Located = (u64, ErrorKind);

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8], base: u64) -> Self {
        Cursor { bytes, pos: 0, base }
    }
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }
    pub(crate) fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], Located> {
        if self.remaining() < n {
            return Err((
                self.offset(),
                ErrorKind::FieldTruncated {
                    field,
                    needed: n,
                    available: self.remaining(),
                },
            ));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, Located> {
        Ok(self.take(1, field)?[0])
    }
    pub(crate) fn u16(&mut self, field: &'static str) -> Result<u16, Located> {
        let b = self.take(2, field)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, Located> {
        let b = self.take(4, field)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub(crate) fn u64(&mut self, field: &'static str) -> Result<u64, Located> {
        let b = self.take(8, field)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    /// A field appended to an entry in a later version: read when the entry has room for it,
    /// else `None` (an older writer's entry ends before it).
    fn tail<const N: usize>(&mut self) -> Option<[u8; N]> {
        let a = self.bytes.get(self.pos..self.pos + N)?.try_into().ok()?;
        self.pos += N;
        Some(a)
    }
    fn tail_u64(&mut self, absent: u64) -> u64 {
        self.tail().map_or(absent, u64::from_le_bytes)
    }
    fn tail_u32(&mut self, absent: u32) -> u32 {
        self.tail().map_or(absent, u32::from_le_bytes)
    }
    fn tail_flag(&mut self, absent: bool) -> bool {
        self.tail::<1>().map_or(absent, |[b]| b != 0)
    }
    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], Located> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, field)?);
        Ok(a)
    }
    /// `u16 len` + bytes, at most `max` bytes.
    fn lbytes(&mut self, field: &'static str, max: usize) -> Result<&'a [u8], Located> {
        let at = self.offset();
        let len = self.u16(field)? as usize;
        if len > max {
            return Err((at, ErrorKind::FieldTooLong { field, len, max }));
        }
        self.take(len, field)
    }
    fn lstring(&mut self, field: &'static str, max: usize) -> Result<String, Located> {
        Ok(String::from_utf8_lossy(self.lbytes(field, max)?).into_owned())
    }
}

pub(crate) fn parse_section_header(body: &[u8], base: u64) -> Result<SectionHeader, Located> {
    let mut c = Cursor::new(body, base);
    let magic = c.u32("byte_order_magic")?;
    if magic != block::BYTE_ORDER_MAGIC {
        return Err((base, ErrorKind::BadMagic { found: magic }));
    }
    let major_version = c.u16("major_version")?;
    if major_version > block::MAX_MAJOR_VERSION {
        return Err((base + 4, ErrorKind::VersionMismatch { major: major_version }));
    }
    Ok(SectionHeader {
        major_version,
        minor_version: c.u16("minor_version")?,
        section_length: c.u64("section_length")?,
    })
}

pub(crate) fn parse_machine_info(body: &[u8], base: u64) -> Result<MachineInfo, Located> {
    let mut c = Cursor::new(body, base);
    let num_cpus = c.u32("num_cpus")?;
    let memory_size_bytes = c.u64("memory_size_bytes")?;
    let max_pid = c.u64("max_pid")?;
    let raw = c.take(HOSTNAME_LEN, "hostname")?;
    let end = raw.iter().position(|b| *b == 0).unwrap_or(raw.len());
    Ok(MachineInfo {
        num_cpus,
        memory_size_bytes,
        max_pid,
        hostname: String::from_utf8_lossy(&raw[..end]).into_owned(),
        boot_ts_epoch: c.u64("boot_ts_epoch")?,
        flags: c.u64("flags")?,
    })
}

/// Parses every entry of a process list block of layout version `version` (1..=9).
pub(crate) fn parse_process_list(body: &[u8], base: u64, version: u8) -> Result<Vec<ProcessEntry>, Located> {
    let mut c = Cursor::new(body, base);
    let mut out = Vec::new();
    while c.remaining() >= block::MIN_ENTRY_REMAINDER {
        if version >= 9 {
            let start = c.pos;
            let at = c.offset();
            let entry_len = c.u32("process entry_len")? as usize;
            if entry_len < 4 || entry_len > c.remaining() + 4 {
                return Err((
                    at,
                    ErrorKind::BadEntryLength {
                        entry: "process",
                        len: entry_len,
                        available: c.remaining() + 4,
                    },
                ));
            }
            let mut sub = Cursor::new(&body[start + 4..start + entry_len], at + 4);
            out.push(parse_process_v9(&mut sub)?);
            c.pos = start + entry_len;
        } else {
            out.push(parse_process_old(&mut c, version)?);
        }
    }
    Ok(out)
}

fn parse_process_old(c: &mut Cursor<'_>, version: u8) -> Result<ProcessEntry, Located> {
    let mut p = ProcessEntry {
        tid: c.u64("tid")?,
        pid: c.u64("pid")?,
        ptid: c.u64("ptid")?,
        ..ProcessEntry::default()
    };
    if version >= 6 {
        p.sid = c.u64("sid")? as i64;
    }
    if version >= 8 {
        p.vpgid = c.u64("vpgid")? as i64;
    }
    p.comm = c.lstring("comm", MAX_PATH_LEN)?;
    p.exe = c.lstring("exe", MAX_PATH_LEN)?;
    if version >= 7 {
        p.exepath = c.lstring("exepath", MAX_PATH_LEN)?;
    }
    p.args = c.lbytes("args", MAX_LIST_LEN)?.to_vec();
    p.cwd = c.lstring("cwd", MAX_PATH_LEN)?;
    p.fdlimit = c.u64("fdlimit")?;
    p.flags = c.u32("flags")?;
    p.uid = c.u32("uid")?;
    p.gid = c.u32("gid")?;
    if version >= 2 {
        p.vmsize_kb = c.u32("vmsize_kb")?;
        p.vmrss_kb = c.u32("vmrss_kb")?;
        p.vmswap_kb = c.u32("vmswap_kb")?;
        p.pfmajor = c.u64("pfmajor")?;
        p.pfminor = c.u64("pfminor")?;
    }
    if version >= 3 {
        p.env = c.lbytes("env", MAX_LIST_LEN)?.to_vec();
    }
    if version >= 4 {
        p.vtid = c.u64("vtid")? as i64;
        p.vpid = c.u64("vpid")? as i64;
        p.cgroups = c.lbytes("cgroups", MAX_LIST_LEN)?.to_vec();
    }
    if version >= 5 {
        p.root = c.lstring("root", MAX_PATH_LEN)?;
    }
    Ok(p)
}

fn parse_process_v9(c: &mut Cursor<'_>) -> Result<ProcessEntry, Located> {
    let mut p = ProcessEntry {
        tid: c.u64("tid")?,
        pid: c.u64("pid")?,
        ptid: c.u64("ptid")?,
        sid: c.u64("sid")? as i64,
        vpgid: c.u64("vpgid")? as i64,
        comm: c.lstring("comm", MAX_PATH_LEN)?,
        exe: c.lstring("exe", MAX_PATH_LEN)?,
        exepath: c.lstring("exepath", MAX_PATH_LEN)?,
        args: c.lbytes("args", MAX_LIST_LEN)?.to_vec(),
        cwd: c.lstring("cwd", MAX_PATH_LEN)?,
        fdlimit: c.u64("fdlimit")?,
        flags: c.u32("flags")?,
        uid: c.u32("uid")?,
        gid: c.u32("gid")?,
        vmsize_kb: c.u32("vmsize_kb")?,
        vmrss_kb: c.u32("vmrss_kb")?,
        vmswap_kb: c.u32("vmswap_kb")?,
        pfmajor: c.u64("pfmajor")?,
        pfminor: c.u64("pfminor")?,
        env: c.lbytes("env", MAX_LIST_LEN)?.to_vec(),
        vtid: c.u64("vtid")? as i64,
        vpid: c.u64("vpid")? as i64,
        cgroups: c.lbytes("cgroups", MAX_LIST_LEN)?.to_vec(),
        root: c.lstring("root", MAX_PATH_LEN)?,
        ..ProcessEntry::default()
    };
    // Fields appended over time: each is present only if the entry still has room for it.
    if c.remaining() > PRE_0_10_TAIL_LEN {
        p.pidns_init_start_ts = c.tail_u64(p.pidns_init_start_ts);
        p.tty = c.tail_u32(p.tty);
    }
    p.loginuid = c.tail_u32(p.loginuid);
    p.exe_writable = c.tail_flag(p.exe_writable);
    p.cap_inheritable = c.tail_u64(p.cap_inheritable);
    p.cap_permitted = c.tail_u64(p.cap_permitted);
    p.cap_effective = c.tail_u64(p.cap_effective);
    p.exe_upper_layer = c.tail_flag(p.exe_upper_layer);
    p.exe_ino = c.tail_u64(p.exe_ino);
    p.exe_ino_ctime = c.tail_u64(p.exe_ino_ctime);
    p.exe_ino_mtime = c.tail_u64(p.exe_ino_mtime);
    p.exe_from_memfd = c.tail_flag(p.exe_from_memfd);
    p.exe_lower_layer = c.tail_flag(p.exe_lower_layer);
    p.pgid = c.tail_u64(p.pgid as u64) as i64;
    Ok(p)
}

/// Parses an fd list block (`with_entry_len`: V2 layout).
pub(crate) fn parse_fd_list(body: &[u8], base: u64, with_entry_len: bool) -> Result<Vec<FdEntry>, Located> {
    let mut c = Cursor::new(body, base);
    let tid = c.u64("fd list tid")?;
    let mut out = Vec::new();
    while c.remaining() >= block::MIN_ENTRY_REMAINDER {
        if with_entry_len {
            let start = c.pos;
            let at = c.offset();
            let entry_len = c.u32("fd entry_len")? as usize;
            if entry_len < 4 || entry_len > c.remaining() + 4 {
                return Err((
                    at,
                    ErrorKind::BadEntryLength {
                        entry: "fd",
                        len: entry_len,
                        available: c.remaining() + 4,
                    },
                ));
            }
            let mut sub = Cursor::new(&body[start + 4..start + entry_len], at + 4);
            out.push(parse_fd(&mut sub, tid, true)?);
            c.pos = start + entry_len;
        } else {
            out.push(parse_fd(&mut c, tid, false)?);
        }
    }
    Ok(out)
}

fn parse_fd(c: &mut Cursor<'_>, tid: u64, bounded: bool) -> Result<FdEntry, Located> {
    use fd_type as T;
    let fd = c.u64("fd")? as i64;
    let ino = c.u64("ino")?;
    let at = c.offset();
    let ty = c.u8("fd type")?;
    let info = match ty {
        T::IPV4_SOCK => FdInfo::Ipv4Socket {
            sip: c.array("sip")?,
            dip: c.array("dip")?,
            sport: c.u16("sport")?,
            dport: c.u16("dport")?,
            l4proto: c.u8("l4proto")?,
        },
        T::IPV6_SOCK => FdInfo::Ipv6Socket {
            sip: c.array("sip")?,
            dip: c.array("dip")?,
            sport: c.u16("sport")?,
            dport: c.u16("dport")?,
            l4proto: c.u8("l4proto")?,
        },
        T::IPV4_SERVSOCK => FdInfo::Ipv4Server {
            ip: c.array("ip")?,
            port: c.u16("port")?,
            l4proto: c.u8("l4proto")?,
        },
        T::IPV6_SERVSOCK => FdInfo::Ipv6Server {
            ip: c.array("ip")?,
            port: c.u16("port")?,
            l4proto: c.u8("l4proto")?,
        },
        T::UNIX_SOCK => FdInfo::Unix {
            source: c.u64("source")?,
            dest: c.u64("destination")?,
            name: c.lstring("fname", MAX_PATH_LEN)?,
        },
        T::FILE_V2 => {
            let open_flags = c.u32("open_flags")?;
            let name = c.lstring("fname", MAX_PATH_LEN)?;
            let dev = if bounded && c.remaining() >= 4 {
                Some(c.u32("dev")?)
            } else {
                None
            };
            FdInfo::File { open_flags, name, dev }
        }
        T::UNKNOWN
        | T::FILE
        | T::DIRECTORY
        | T::FIFO
        | T::EVENT
        | T::UNSUPPORTED
        | T::SIGNALFD
        | T::EVENTPOLL
        | T::INOTIFY
        | T::TIMERFD
        | T::NETLINK
        | T::BPF
        | T::USERFAULTFD
        | T::IOURING
        | T::MEMFD
        | T::PIDFD => FdInfo::Named {
            fd_type: ty,
            name: c.lstring("fname", MAX_PATH_LEN)?,
        },
        other if bounded => {
            // The entry length lets us step over a type added after this reader.
            c.pos = c.bytes.len();
            FdInfo::Unknown { fd_type: other }
        }
        other => return Err((at, ErrorKind::UnknownFdType { fd_type: other })),
    };
    Ok(FdEntry { tid, fd, ino, info })
}

/// Parses an interface list block (`v2`: entries carry a length excluding itself).
pub(crate) fn parse_interface_list(body: &[u8], base: u64, v2: bool) -> Result<Vec<Interface>, Located> {
    let mut c = Cursor::new(body, base);
    let mut out = Vec::new();
    while c.remaining() >= block::MIN_ENTRY_REMAINDER {
        if v2 {
            let at = c.offset();
            let entry_len = c.u32("interface entry_len")? as usize;
            if entry_len > c.remaining() {
                return Err((
                    at,
                    ErrorKind::BadEntryLength {
                        entry: "interface",
                        len: entry_len,
                        available: c.remaining(),
                    },
                ));
            }
            let start = c.pos;
            let mut sub = Cursor::new(&body[start..start + entry_len], at + 4);
            out.push(parse_interface(&mut sub)?);
            c.pos = start + entry_len;
        } else {
            out.push(parse_interface(&mut c)?);
        }
    }
    Ok(out)
}

fn parse_interface(c: &mut Cursor<'_>) -> Result<Interface, Located> {
    let at = c.offset();
    let ty = c.u16("interface type")?;
    let namelen = c.u16("ifnamelen")? as usize;
    if namelen >= MAX_IFNAME_LEN {
        return Err((
            at + 2,
            ErrorKind::FieldTooLong {
                field: "ifname",
                len: namelen,
                max: MAX_IFNAME_LEN - 1,
            },
        ));
    }
    Ok(match ty {
        IF_IPV4 | IF_IPV4_NOLINKSPEED => {
            let addr = c.array("addr")?;
            let netmask = c.array("netmask")?;
            let bcast = c.array("bcast")?;
            let linkspeed = if ty == IF_IPV4 { Some(c.u64("linkspeed")?) } else { None };
            let name = String::from_utf8_lossy(c.take(namelen, "ifname")?).into_owned();
            Interface::V4 {
                addr,
                netmask,
                bcast,
                linkspeed,
                name,
            }
        }
        IF_IPV6 | IF_IPV6_NOLINKSPEED => {
            let addr = c.array("addr")?;
            let netmask = c.array("netmask")?;
            let bcast = c.array("bcast")?;
            let linkspeed = if ty == IF_IPV6 { Some(c.u64("linkspeed")?) } else { None };
            let name = String::from_utf8_lossy(c.take(namelen, "ifname")?).into_owned();
            Interface::V6 {
                addr,
                netmask,
                bcast,
                linkspeed,
                name,
            }
        }
        other => return Err((at, ErrorKind::UnknownInterfaceType { if_type: other })),
    })
}

/// Parses a user list block (`v2`: entries carry a length including itself).
pub(crate) fn parse_user_list(body: &[u8], base: u64, v2: bool) -> Result<Vec<UserListEntry>, Located> {
    let mut c = Cursor::new(body, base);
    let mut out = Vec::new();
    while c.remaining() >= block::MIN_ENTRY_REMAINDER {
        if v2 {
            let start = c.pos;
            let at = c.offset();
            let entry_len = c.u32("user entry_len")? as usize;
            if entry_len < 4 || entry_len > c.remaining() + 4 {
                return Err((
                    at,
                    ErrorKind::BadEntryLength {
                        entry: "user",
                        len: entry_len,
                        available: c.remaining() + 4,
                    },
                ));
            }
            let mut sub = Cursor::new(&body[start + 4..start + entry_len], at + 4);
            out.push(parse_user(&mut sub)?);
            c.pos = start + entry_len;
        } else {
            out.push(parse_user(&mut c)?);
        }
    }
    Ok(out)
}

fn parse_user(c: &mut Cursor<'_>) -> Result<UserListEntry, Located> {
    let at = c.offset();
    Ok(match c.u8("user entry type")? {
        USER_ENTRY => UserListEntry::User {
            uid: c.u32("uid")?,
            gid: c.u32("gid")?,
            name: c.lstring("user name", MAX_CREDENTIAL_LEN)?,
            home: c.lstring("home", MAX_PATH_LEN)?,
            shell: c.lstring("shell", MAX_PATH_LEN)?,
        },
        GROUP_ENTRY => UserListEntry::Group {
            gid: c.u32("gid")?,
            name: c.lstring("group name", MAX_CREDENTIAL_LEN)?,
        },
        other => return Err((at, ErrorKind::UnknownUserEntryType { entry_type: other })),
    })
}

// ---- encoding (current layouts only) ----

fn put_lbytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u16).to_le_bytes());
    out.extend_from_slice(b);
}

pub(crate) fn encode_section_header(out: &mut Vec<u8>) {
    out.extend_from_slice(&block::BYTE_ORDER_MAGIC.to_le_bytes());
    out.extend_from_slice(&block::WRITER_MAJOR_VERSION.to_le_bytes());
    out.extend_from_slice(&block::WRITER_MINOR_VERSION.to_le_bytes());
    out.extend_from_slice(&u64::MAX.to_le_bytes());
}

pub(crate) fn encode_machine_info(m: &MachineInfo, out: &mut Vec<u8>) {
    out.extend_from_slice(&m.num_cpus.to_le_bytes());
    out.extend_from_slice(&m.memory_size_bytes.to_le_bytes());
    out.extend_from_slice(&m.max_pid.to_le_bytes());
    let mut host = [0u8; HOSTNAME_LEN];
    // Keep one NUL like the C struct does.
    let n = m.hostname.len().min(HOSTNAME_LEN - 1);
    host[..n].copy_from_slice(&m.hostname.as_bytes()[..n]);
    out.extend_from_slice(&host);
    out.extend_from_slice(&m.boot_ts_epoch.to_le_bytes());
    out.extend_from_slice(&m.flags.to_le_bytes());
    out.extend_from_slice(&[0u8; 16]);
}

fn check_len(field: &'static str, len: usize, max: usize) -> Result<(), ErrorKind> {
    if len > max {
        return Err(ErrorKind::FieldTooLong { field, len, max });
    }
    Ok(())
}

/// Appends a V9 process entry.
pub(crate) fn encode_process_v9(p: &ProcessEntry, out: &mut Vec<u8>) -> Result<(), ErrorKind> {
    for (field, len, max) in [
        ("comm", p.comm.len(), MAX_PATH_LEN),
        ("exe", p.exe.len(), MAX_PATH_LEN),
        ("exepath", p.exepath.len(), MAX_PATH_LEN),
        ("args", p.args.len(), MAX_LIST_LEN),
        ("cwd", p.cwd.len(), MAX_PATH_LEN),
        ("env", p.env.len(), MAX_LIST_LEN),
        ("cgroups", p.cgroups.len(), MAX_LIST_LEN),
        ("root", p.root.len(), MAX_PATH_LEN),
    ] {
        check_len(field, len, max)?;
    }
    let start = out.len();
    out.extend_from_slice(&[0u8; 4]);
    for v in [p.tid, p.pid, p.ptid, p.sid as u64, p.vpgid as u64] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    put_lbytes(out, p.comm.as_bytes());
    put_lbytes(out, p.exe.as_bytes());
    put_lbytes(out, p.exepath.as_bytes());
    put_lbytes(out, &p.args);
    put_lbytes(out, p.cwd.as_bytes());
    out.extend_from_slice(&p.fdlimit.to_le_bytes());
    for v in [p.flags, p.uid, p.gid, p.vmsize_kb, p.vmrss_kb, p.vmswap_kb] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&p.pfmajor.to_le_bytes());
    out.extend_from_slice(&p.pfminor.to_le_bytes());
    put_lbytes(out, &p.env);
    out.extend_from_slice(&p.vtid.to_le_bytes());
    out.extend_from_slice(&p.vpid.to_le_bytes());
    put_lbytes(out, &p.cgroups);
    put_lbytes(out, p.root.as_bytes());
    out.extend_from_slice(&p.pidns_init_start_ts.to_le_bytes());
    out.extend_from_slice(&p.tty.to_le_bytes());
    out.extend_from_slice(&p.loginuid.to_le_bytes());
    out.push(p.exe_writable as u8);
    for v in [p.cap_inheritable, p.cap_permitted, p.cap_effective] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.push(p.exe_upper_layer as u8);
    for v in [p.exe_ino, p.exe_ino_ctime, p.exe_ino_mtime] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.push(p.exe_from_memfd as u8);
    out.push(p.exe_lower_layer as u8);
    out.extend_from_slice(&p.pgid.to_le_bytes());
    let len = (out.len() - start) as u32;
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    Ok(())
}

/// Appends a V2 fd entry (the block's leading tid is written by the caller).
pub(crate) fn encode_fd_v2(f: &FdEntry, out: &mut Vec<u8>) -> Result<(), ErrorKind> {
    let start = out.len();
    out.extend_from_slice(&[0u8; 4]);
    out.extend_from_slice(&f.fd.to_le_bytes());
    out.extend_from_slice(&f.ino.to_le_bytes());
    out.push(f.info.fd_type());
    match &f.info {
        FdInfo::Ipv4Socket {
            sip,
            dip,
            sport,
            dport,
            l4proto,
        } => {
            out.extend_from_slice(sip);
            out.extend_from_slice(dip);
            out.extend_from_slice(&sport.to_le_bytes());
            out.extend_from_slice(&dport.to_le_bytes());
            out.push(*l4proto);
        }
        FdInfo::Ipv6Socket {
            sip,
            dip,
            sport,
            dport,
            l4proto,
        } => {
            out.extend_from_slice(sip);
            out.extend_from_slice(dip);
            out.extend_from_slice(&sport.to_le_bytes());
            out.extend_from_slice(&dport.to_le_bytes());
            out.push(*l4proto);
        }
        FdInfo::Ipv4Server { ip, port, l4proto } => {
            out.extend_from_slice(ip);
            out.extend_from_slice(&port.to_le_bytes());
            out.push(*l4proto);
        }
        FdInfo::Ipv6Server { ip, port, l4proto } => {
            out.extend_from_slice(ip);
            out.extend_from_slice(&port.to_le_bytes());
            out.push(*l4proto);
        }
        FdInfo::Unix { source, dest, name } => {
            check_len("fname", name.len(), MAX_PATH_LEN)?;
            out.extend_from_slice(&source.to_le_bytes());
            out.extend_from_slice(&dest.to_le_bytes());
            put_lbytes(out, name.as_bytes());
        }
        FdInfo::File { open_flags, name, dev } => {
            check_len("fname", name.len(), MAX_PATH_LEN)?;
            out.extend_from_slice(&open_flags.to_le_bytes());
            put_lbytes(out, name.as_bytes());
            if let Some(dev) = dev {
                out.extend_from_slice(&dev.to_le_bytes());
            }
        }
        FdInfo::Named { name, .. } => {
            check_len("fname", name.len(), MAX_PATH_LEN)?;
            put_lbytes(out, name.as_bytes());
        }
        FdInfo::Unknown { fd_type } => {
            out.truncate(start);
            return Err(ErrorKind::UnknownFdType { fd_type: *fd_type });
        }
    }
    let len = (out.len() - start) as u32;
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    Ok(())
}

/// Appends a V2 interface entry.
pub(crate) fn encode_interface_v2(i: &Interface, out: &mut Vec<u8>) -> Result<(), ErrorKind> {
    let start = out.len();
    out.extend_from_slice(&[0u8; 4]);
    match i {
        Interface::V4 {
            addr,
            netmask,
            bcast,
            linkspeed,
            name,
        } => {
            check_len("ifname", name.len(), MAX_IFNAME_LEN - 1)?;
            let ty = if linkspeed.is_some() {
                IF_IPV4
            } else {
                IF_IPV4_NOLINKSPEED
            };
            out.extend_from_slice(&ty.to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(addr);
            out.extend_from_slice(netmask);
            out.extend_from_slice(bcast);
            if let Some(s) = linkspeed {
                out.extend_from_slice(&s.to_le_bytes());
            }
            out.extend_from_slice(name.as_bytes());
        }
        Interface::V6 {
            addr,
            netmask,
            bcast,
            linkspeed,
            name,
        } => {
            check_len("ifname", name.len(), MAX_IFNAME_LEN - 1)?;
            let ty = if linkspeed.is_some() {
                IF_IPV6
            } else {
                IF_IPV6_NOLINKSPEED
            };
            out.extend_from_slice(&ty.to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(addr);
            out.extend_from_slice(netmask);
            out.extend_from_slice(bcast);
            if let Some(s) = linkspeed {
                out.extend_from_slice(&s.to_le_bytes());
            }
            out.extend_from_slice(name.as_bytes());
        }
    }
    // V2 interface lengths exclude the length field itself.
    let len = (out.len() - start - 4) as u32;
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    Ok(())
}

/// Appends a V2 user list entry.
pub(crate) fn encode_user_v2(u: &UserListEntry, out: &mut Vec<u8>) -> Result<(), ErrorKind> {
    let start = out.len();
    out.extend_from_slice(&[0u8; 4]);
    match u {
        UserListEntry::User {
            uid,
            gid,
            name,
            home,
            shell,
        } => {
            check_len("user name", name.len(), MAX_CREDENTIAL_LEN)?;
            check_len("home", home.len(), MAX_PATH_LEN)?;
            check_len("shell", shell.len(), MAX_PATH_LEN)?;
            out.push(USER_ENTRY);
            out.extend_from_slice(&uid.to_le_bytes());
            out.extend_from_slice(&gid.to_le_bytes());
            put_lbytes(out, name.as_bytes());
            put_lbytes(out, home.as_bytes());
            put_lbytes(out, shell.as_bytes());
        }
        UserListEntry::Group { gid, name } => {
            check_len("group name", name.len(), MAX_CREDENTIAL_LEN)?;
            out.push(GROUP_ENTRY);
            out.extend_from_slice(&gid.to_le_bytes());
            put_lbytes(out, name.as_bytes());
        }
    }
    let len = (out.len() - start) as u32;
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    Ok(())
}
