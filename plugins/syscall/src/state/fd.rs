//! File descriptors: what an fd refers to, per process (the main thread's table).

use std::collections::BTreeMap;
use std::net::IpAddr;

/// Most fds kept per process; opening more evicts the lowest-numbered fd (counted).
pub const MAX_FDS_PER_PROCESS: usize = 65_536;

/// What kind of object an fd refers to (libsinsp `scap_fd_type`, with `FILE_V2` folded into `File`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FdType {
    Unknown,
    File,
    Directory,
    Ipv4Socket,
    Ipv6Socket,
    Ipv4ServerSocket,
    Ipv6ServerSocket,
    Fifo,
    UnixSocket,
    Event,
    Unsupported,
    Signalfd,
    Eventpoll,
    Inotify,
    Timerfd,
    Netlink,
    Bpf,
    Userfaultfd,
    IoUring,
    Memfd,
    Pidfd,
}

impl FdType {
    /// The `fd.type` string libsinsp shows.
    pub fn as_str(self) -> &'static str {
        match self {
            FdType::Unknown | FdType::Unsupported => "<NA>",
            FdType::File => "file",
            FdType::Directory => "directory",
            FdType::Ipv4Socket | FdType::Ipv4ServerSocket => "ipv4",
            FdType::Ipv6Socket | FdType::Ipv6ServerSocket => "ipv6",
            FdType::Fifo => "pipe",
            FdType::UnixSocket => "unix",
            FdType::Event => "event",
            FdType::Signalfd => "signalfd",
            FdType::Eventpoll => "eventpoll",
            FdType::Inotify => "inotify",
            FdType::Timerfd => "timerfd",
            FdType::Netlink => "netlink",
            FdType::Bpf => "bpf",
            FdType::Userfaultfd => "userfaultfd",
            FdType::IoUring => "io_uring",
            FdType::Memfd => "memfd",
            FdType::Pidfd => "pidfd",
        }
    }

    /// The one-letter `fd.typechar`.
    pub fn as_char(self) -> char {
        match self {
            FdType::File => 'f',
            FdType::Directory => 'd',
            FdType::Ipv4Socket | FdType::Ipv4ServerSocket => '4',
            FdType::Ipv6Socket | FdType::Ipv6ServerSocket => '6',
            FdType::Fifo => 'p',
            FdType::UnixSocket => 'u',
            FdType::Event => 'e',
            FdType::Signalfd => 's',
            FdType::Eventpoll => 'l',
            FdType::Inotify => 'i',
            FdType::Timerfd => 't',
            FdType::Netlink => 'n',
            FdType::Bpf => 'b',
            FdType::Userfaultfd => 'u',
            FdType::IoUring => 'r',
            FdType::Memfd => 'm',
            FdType::Pidfd => 'P',
            FdType::Unknown | FdType::Unsupported => 'o',
        }
    }

    /// From a capture's `scap_fd_type` byte.
    pub fn from_scap(t: u8) -> FdType {
        use crate::scap::fd_type as s;
        match t {
            s::FILE | s::FILE_V2 => FdType::File,
            s::DIRECTORY => FdType::Directory,
            s::IPV4_SOCK => FdType::Ipv4Socket,
            s::IPV6_SOCK => FdType::Ipv6Socket,
            s::IPV4_SERVSOCK => FdType::Ipv4ServerSocket,
            s::IPV6_SERVSOCK => FdType::Ipv6ServerSocket,
            s::FIFO => FdType::Fifo,
            s::UNIX_SOCK => FdType::UnixSocket,
            s::EVENT => FdType::Event,
            s::UNSUPPORTED => FdType::Unsupported,
            s::SIGNALFD => FdType::Signalfd,
            s::EVENTPOLL => FdType::Eventpoll,
            s::INOTIFY => FdType::Inotify,
            s::TIMERFD => FdType::Timerfd,
            s::NETLINK => FdType::Netlink,
            s::BPF => FdType::Bpf,
            s::USERFAULTFD => FdType::Userfaultfd,
            s::IOURING => FdType::IoUring,
            s::MEMFD => FdType::Memfd,
            s::PIDFD => FdType::Pidfd,
            _ => FdType::Unknown,
        }
    }

    pub fn is_socket(self) -> bool {
        matches!(
            self,
            FdType::Ipv4Socket
                | FdType::Ipv6Socket
                | FdType::Ipv4ServerSocket
                | FdType::Ipv6ServerSocket
                | FdType::UnixSocket
                | FdType::Netlink
        )
    }
}

/// Which end of a connection this process is (libsinsp `FLAGS_ROLE_CLIENT/SERVER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SocketRole {
    #[default]
    None,
    Client,
    Server,
}

/// Layer-4 protocol of an inet socket (`scap_l4_proto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum L4Proto {
    #[default]
    Unknown,
    Tcp,
    Udp,
    Icmp,
    Raw,
}

impl L4Proto {
    /// From the `scap_l4_proto` byte of captures and socktuples.
    pub fn from_scap(v: u8) -> L4Proto {
        match v {
            1 => L4Proto::Tcp,
            2 => L4Proto::Udp,
            3 => L4Proto::Icmp,
            4 => L4Proto::Raw,
            _ => L4Proto::Unknown,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            L4Proto::Unknown => "<NA>",
            L4Proto::Tcp => "tcp",
            L4Proto::Udp => "udp",
            L4Proto::Icmp => "icmp",
            L4Proto::Raw => "raw",
        }
    }
}

/// Socket endpoints. For connected inet sockets `client`/`server` follow the role; for
/// server (listening) sockets only `server` is set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SocketInfo {
    pub client_ip: Option<IpAddr>,
    pub client_port: u16,
    pub server_ip: Option<IpAddr>,
    pub server_port: u16,
    pub l4proto: L4Proto,
    /// Unix sockets: kernel addresses of this end and the peer.
    pub unix_source: u64,
    pub unix_dest: u64,
    /// Unix sockets: the bound/connected path.
    pub unix_path: String,
}

/// One open file descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdInfo {
    pub fd: i64,
    pub fd_type: FdType,
    /// `fd.name`: path for files, `cip:cport->sip:sport` for inet sockets, path for unix
    /// sockets, description for the others (e.g. `[eventfd]`).
    pub name: String,
    /// Path as given to the syscall before resolution (`fd.nameraw`).
    pub name_raw: String,
    /// `PPM_O_*` open flags (files) / socket flags.
    pub open_flags: u32,
    /// File mode from open's `mode` param.
    pub mode: u32,
    pub dev: u32,
    pub ino: u64,
    pub role: SocketRole,
    pub socket: Option<SocketInfo>,
    /// Socket `domain`/`type`/`proto` from the socket() call (0 when unknown).
    pub sock_domain: u32,
    pub sock_type: u32,
    /// The fd was opened with O_CLOEXEC (closed by a successful execve).
    pub cloexec: bool,
    /// Timestamp of the event that created this fd.
    pub open_ts: u64,
}

impl FdInfo {
    pub fn new(fd: i64, fd_type: FdType, name: impl Into<String>) -> FdInfo {
        let name = name.into();
        FdInfo::with_names(fd, fd_type, name.clone(), name)
    }

    /// An fd with its resolved name and the name as the syscall gave it (`fd.nameraw`).
    pub fn with_names(fd: i64, fd_type: FdType, name: String, name_raw: String) -> FdInfo {
        FdInfo {
            fd,
            fd_type,
            name_raw,
            name,
            open_flags: 0,
            mode: 0,
            dev: 0,
            ino: 0,
            role: SocketRole::None,
            socket: None,
            sock_domain: 0,
            sock_type: 0,
            cloexec: false,
            open_ts: 0,
        }
    }

    /// `fd.directory`: the directory part of a file path.
    pub fn directory(&self) -> Option<&str> {
        match self.fd_type {
            FdType::Directory => Some(&self.name),
            FdType::File => self.name.rfind('/').map(|i| if i == 0 { "/" } else { &self.name[..i] }),
            _ => None,
        }
    }

    /// `fd.filename`: the last path component of a file.
    pub fn filename(&self) -> Option<&str> {
        match self.fd_type {
            FdType::File | FdType::Directory => self.name.rsplit('/').next(),
            _ => None,
        }
    }
}

/// Fds below this number are kept in a vector indexed by fd (processes use small, dense fd
/// numbers); others in an ordered map.
pub const DENSE_FDS: i64 = 1024;

/// Fds of one process, ordered by number; bounded by [`MAX_FDS_PER_PROCESS`].
///
/// Fds `0..DENSE_FDS` sit in a vector slot of their own (a lookup is an index, an insert or
/// a close moves nothing else); negative and larger fds, rare, in a `BTreeMap`.
#[derive(Debug, Clone, Default)]
pub struct FdTable {
    /// Slot `n` holds fd `n` (`n < DENSE_FDS`); grows to the highest fd seen.
    dense: Vec<Option<FdInfo>>,
    /// Fds outside `0..DENSE_FDS`.
    sparse: BTreeMap<i64, FdInfo>,
    /// Fds held (both parts).
    len: usize,
    /// Fds dropped because the table was full.
    pub evicted: u64,
}

impl PartialEq for FdTable {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.evicted == other.evicted && self.iter().eq(other.iter())
    }
}
impl Eq for FdTable {}

/// The dense slot of `fd`, if it has one.
#[inline]
fn dense_slot(fd: i64) -> Option<usize> {
    if (0..DENSE_FDS).contains(&fd) {
        Some(fd as usize)
    } else {
        None
    }
}

impl FdTable {
    #[inline]
    pub fn get(&self, fd: i64) -> Option<&FdInfo> {
        match dense_slot(fd) {
            Some(i) => self.dense.get(i)?.as_ref(),
            None => self.sparse.get(&fd),
        }
    }
    #[inline]
    pub fn get_mut(&mut self, fd: i64) -> Option<&mut FdInfo> {
        match dense_slot(fd) {
            Some(i) => self.dense.get_mut(i)?.as_mut(),
            None => self.sparse.get_mut(&fd),
        }
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The fds in ascending fd order.
    pub fn iter(&self) -> impl Iterator<Item = &FdInfo> {
        self.sparse
            .range(..0)
            .map(|(_, f)| f)
            .chain(self.dense.iter().flatten())
            .chain(self.sparse.range(DENSE_FDS..).map(|(_, f)| f))
    }
    /// Adds or replaces an fd, evicting the lowest other fd when full.
    /// Returns the fd it replaced (same number), if any.
    pub fn insert(&mut self, info: FdInfo) -> Option<FdInfo> {
        if self.len >= MAX_FDS_PER_PROCESS && self.get(info.fd).is_none() {
            let victim = self.iter().next().map(|f| f.fd);
            if let Some(victim) = victim {
                self.remove(victim);
                self.evicted += 1;
            }
        }
        let replaced = match dense_slot(info.fd) {
            Some(i) => {
                if i >= self.dense.len() {
                    self.dense.resize_with(i + 1, || None);
                }
                self.dense[i].replace(info)
            }
            None => self.sparse.insert(info.fd, info),
        };
        if replaced.is_none() {
            self.len += 1;
        }
        replaced
    }
    pub fn remove(&mut self, fd: i64) -> Option<FdInfo> {
        let removed = match dense_slot(fd) {
            Some(i) => self.dense.get_mut(i)?.take(),
            None => self.sparse.remove(&fd),
        };
        if removed.is_some() {
            self.len -= 1;
        }
        removed
    }
    /// Drops the fds marked close-on-exec (after a successful execve).
    pub fn close_on_exec(&mut self) {
        for slot in &mut self.dense {
            if slot.as_ref().is_some_and(|f| f.cloexec) {
                *slot = None;
                self.len -= 1;
            }
        }
        let before = self.sparse.len();
        self.sparse.retain(|_, f| !f.cloexec);
        self.len -= before - self.sparse.len();
    }
}
