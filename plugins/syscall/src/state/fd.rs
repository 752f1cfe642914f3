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
    /// `fd.name`: path for files, `cip:cport->sip:sport` for inet sockets, for unix sockets
    /// `source->dest path` (hex kernel addresses) once connected or accepted and the path
    /// when only bound or found in /proc, description for the others (e.g. `[eventfd]`).
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
    /// `fd.connected` (libsinsp `FLAGS_SOCKET_CONNECTED`): set by a successful connect, by
    /// accept, and by a successful read or write on an inet connection socket; never cleared.
    pub connected: bool,
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
            connected: false,
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

    /// Bytes of this fd's strings on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.name.capacity() + self.name_raw.capacity() + self.socket.as_ref().map_or(0, |s| s.unix_path.capacity())
    }

    /// `fd.filename`: the last path component of a file.
    pub fn filename(&self) -> Option<&str> {
        match self.fd_type {
            FdType::File | FdType::Directory => self.name.rsplit('/').next(),
            _ => None,
        }
    }
}

/// Fds below this number are found through a slot vector indexed by fd (processes use small,
/// dense fd numbers); others through an ordered map.
pub const DENSE_FDS: i64 = 1024;

/// Slot value of an fd below [`DENSE_FDS`] that is not open.
const NO_FD: u16 = 0;

/// Fds of one process, ordered by number; bounded by [`MAX_FDS_PER_PROCESS`].
///
/// Memory follows the fds open, not the highest fd number: an fd `n < DENSE_FDS` is found
/// through `slots[n]`, a 2-byte index into `open`, which holds only open fds (a lookup is two
/// loads, an insert a push, a close a swap with the last entry). `slots` ends at the highest
/// open dense fd, so a process holding fd 255 pays 512 bytes for the slots, not 256 entries.
/// Negative and larger fds, rare, are kept in a `BTreeMap`.
#[derive(Debug, Clone, Default)]
pub struct FdTable {
    /// `slots[n]`: [`NO_FD`], or 1 + the position of fd `n` in `open`. Never ends with
    /// [`NO_FD`].
    slots: Vec<u16>,
    /// The open fds in `0..DENSE_FDS`, in no particular order.
    open: Vec<FdInfo>,
    /// Fds outside `0..DENSE_FDS`.
    sparse: BTreeMap<i64, FdInfo>,
    /// Fds dropped because the table was full.
    pub evicted: u64,
}

impl PartialEq for FdTable {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.evicted == other.evicted && self.iter().eq(other.iter())
    }
}
impl Eq for FdTable {}

/// The slot of `fd`, if it has one.
#[inline]
fn dense_slot(fd: i64) -> Option<usize> {
    if (0..DENSE_FDS).contains(&fd) {
        Some(fd as usize)
    } else {
        None
    }
}

/// Below this many bytes of capacity `open` is not shrunk: a process opening and closing a few
/// fds in turn must not reallocate each time.
const SHRINK_OPEN_MIN_BYTES: usize = 4096;
/// Likewise for `slots` (64 fds' worth), shrunk when the highest open fd drops: a child that
/// execs after a fork drops its parent's high close-on-exec fds (bash's 255).
const SHRINK_SLOTS_MIN_BYTES: usize = 128;

/// Gives back most of `v`'s spare capacity once it holds under a quarter of it and at least
/// `min_bytes`.
fn shrink_mostly_empty<T>(v: &mut Vec<T>, min_bytes: usize) {
    if v.capacity() * std::mem::size_of::<T>() >= min_bytes && v.len() * 4 <= v.capacity() {
        v.shrink_to(v.len() * 2);
    }
}

impl FdTable {
    /// Position in `open` of dense slot `i`.
    #[inline]
    fn position(&self, i: usize) -> Option<usize> {
        match self.slots.get(i) {
            Some(&s) if s != NO_FD => Some(s as usize - 1),
            _ => None,
        }
    }
    #[inline]
    pub fn get(&self, fd: i64) -> Option<&FdInfo> {
        match dense_slot(fd) {
            Some(i) => self.open.get(self.position(i)?),
            None => self.sparse.get(&fd),
        }
    }
    #[inline]
    pub fn get_mut(&mut self, fd: i64) -> Option<&mut FdInfo> {
        match dense_slot(fd) {
            Some(i) => {
                let pos = self.position(i)?;
                self.open.get_mut(pos)
            }
            None => self.sparse.get_mut(&fd),
        }
    }
    pub fn len(&self) -> usize {
        self.open.len() + self.sparse.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The fds in ascending fd order.
    pub fn iter(&self) -> impl Iterator<Item = &FdInfo> {
        self.sparse
            .range(..0)
            .map(|(_, f)| f)
            .chain(
                self.slots
                    .iter()
                    .filter(|&&s| s != NO_FD)
                    .map(|&s| &self.open[s as usize - 1]),
            )
            .chain(self.sparse.range(DENSE_FDS..).map(|(_, f)| f))
    }
    /// Adds or replaces an fd, evicting the lowest other fd when full.
    /// Returns the fd it replaced (same number), if any.
    pub fn insert(&mut self, info: FdInfo) -> Option<FdInfo> {
        if self.len() >= MAX_FDS_PER_PROCESS && self.get(info.fd).is_none() {
            let victim = self.iter().next().map(|f| f.fd);
            if let Some(victim) = victim {
                self.remove(victim);
                self.evicted += 1;
            }
        }
        let Some(i) = dense_slot(info.fd) else {
            return self.sparse.insert(info.fd, info);
        };
        if let Some(pos) = self.position(i) {
            return Some(std::mem::replace(&mut self.open[pos], info));
        }
        if i >= self.slots.len() {
            self.slots.resize(i + 1, NO_FD);
        }
        self.open.push(info);
        // At most DENSE_FDS (< u16::MAX) fds are dense.
        self.slots[i] = self.open.len() as u16;
        None
    }
    pub fn remove(&mut self, fd: i64) -> Option<FdInfo> {
        let Some(i) = dense_slot(fd) else {
            return self.sparse.remove(&fd);
        };
        let pos = self.position(i)?;
        self.slots[i] = NO_FD;
        let removed = self.open.swap_remove(pos);
        if let Some(moved) = self.open.get(pos) {
            // The last entry took the freed position; its fd is dense like every entry's.
            self.slots[moved.fd as usize] = pos as u16 + 1;
        }
        if i + 1 == self.slots.len() {
            self.trim_slots();
        }
        shrink_mostly_empty(&mut self.open, SHRINK_OPEN_MIN_BYTES);
        Some(removed)
    }
    /// Drops trailing free slots (the highest open dense fd was closed).
    fn trim_slots(&mut self) {
        let end = self.slots.iter().rposition(|&s| s != NO_FD).map_or(0, |p| p + 1);
        self.slots.truncate(end);
        shrink_mostly_empty(&mut self.slots, SHRINK_SLOTS_MIN_BYTES);
    }
    /// Drops the fds marked close-on-exec (after a successful execve).
    pub fn close_on_exec(&mut self) {
        if self.open.iter().any(|f| f.cloexec) {
            self.open.retain(|f| !f.cloexec);
            self.slots.fill(NO_FD);
            for (pos, f) in self.open.iter().enumerate() {
                self.slots[f.fd as usize] = pos as u16 + 1;
            }
            self.trim_slots();
            shrink_mostly_empty(&mut self.open, SHRINK_OPEN_MIN_BYTES);
        }
        self.sparse.retain(|_, f| !f.cloexec);
    }
    /// Bytes this table holds on the heap: its vectors' capacities, the map's entries and the
    /// fds' strings (allocator overhead and map nodes' spare room not counted).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let strings: usize = self
            .open
            .iter()
            .chain(self.sparse.values())
            .map(FdInfo::heap_bytes)
            .sum();
        self.slots.capacity() * size_of::<u16>()
            + self.open.capacity() * size_of::<FdInfo>()
            + self.sparse.len() * (size_of::<i64>() + size_of::<FdInfo>())
            + strings
    }
}
