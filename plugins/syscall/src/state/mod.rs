//! Process, thread, fd and user state built from a capture's metadata blocks and its events,
//! with the lookups the syscall fields need.
//!
//! Semantics follow libsinsp's parsers (documented in `reference/fields/syscall.md`): threads
//! are created at clone/fork exit, updated at execve exit, removed a bounded time after
//! procexit; fds belong to the process (kept on its main thread).

mod datagram;
mod fd;
mod interfaces;
mod plan;
mod thread;
mod update;

pub use update::{resolve_path, resolve_path_into};
mod users;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use foldhash::HashMap;

pub use fd::{FdInfo, FdTable, FdType, L4Proto, SocketInfo, SocketRole, MAX_FDS_PER_PROCESS};
pub use interfaces::{Interfaces, MAX_INTERFACES};
pub use thread::{parse_cgroups, split_nul_list, ThreadInfo, UNKNOWN_ID};
pub use update::StateError;
pub use users::{GroupInfo, UserInfo, UserTable, MAX_USERS};

use crate::scap::{CaptureItem, FdEntry, Interface, ProcessEntry, UserListEntry};

/// Most threads kept; beyond it the least recently active are evicted (counted).
pub const MAX_THREADS: usize = 262_144;
/// Threads evicted at once when the table is full (amortizes the scan for the oldest).
pub const THREAD_EVICTION_BATCH: usize = 256;
/// Event-time delay between a thread's procexit and its removal, so late events of the
/// exiting thread (and of its parent reaping it) still resolve it.
pub const PROCEXIT_REMOVAL_DELAY_NS: u64 = 1_000_000_000;
/// Most exited threads waiting for removal; older ones are removed early beyond it.
pub const MAX_PENDING_REMOVALS: usize = 4096;
/// Most spare strings kept for reuse (names of closed fds, consumed enter data).
pub const MAX_SPARE_STRINGS: usize = 64;
/// Deepest ancestor chain walked (guards against ptid loops in corrupt captures).
pub const MAX_ANCESTOR_DEPTH: usize = 256;

/// Counters of what the state did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateStats {
    pub threads_created: u64,
    pub threads_removed: u64,
    /// Threads dropped because [`MAX_THREADS`] was reached.
    pub threads_evicted: u64,
    /// Fds dropped because a process reached [`MAX_FDS_PER_PROCESS`].
    pub fds_evicted: u64,
    /// Events whose thread was not known and was created from the event alone.
    pub threads_from_events: u64,
    pub events_parsed: u64,
}

/// Most changed tids remembered between two [`ThreadTable::take_changes`]; beyond it the
/// change set says "everything" (`full_resync`).
pub const MAX_TRACKED_CHANGES: usize = 65_536;

/// Threads whose data changed, for mirrors of the state (the exported `threads` table).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadChanges {
    pub updated: Vec<i64>,
    pub removed: Vec<i64>,
    /// Too many changes were tracked: mirrors must resynchronize every thread.
    pub full_resync: bool,
}

impl ThreadChanges {
    fn push(list: &mut Vec<i64>, full: &mut bool, tid: i64) {
        if list.len() >= MAX_TRACKED_CHANGES {
            *full = true;
        } else {
            list.push(tid);
        }
    }
    fn updated(&mut self, tid: i64) {
        Self::push(&mut self.updated, &mut self.full_resync, tid)
    }
    fn removed(&mut self, tid: i64) {
        Self::push(&mut self.removed, &mut self.full_resync, tid)
    }
    pub fn is_empty(&self) -> bool {
        self.updated.is_empty() && self.removed.is_empty() && !self.full_resync
    }
}

/// All threads, keyed by tid, with the users/groups tables.
#[derive(Debug, Default)]
pub struct ThreadTable {
    threads: HashMap<i64, ThreadInfo>,
    users: UserTable,
    /// Exited threads awaiting removal: (tid, procexit ts).
    pending_removal: VecDeque<(i64, u64)>,
    stats: StateStats,
    /// Thread of the last parsed event.
    last_tid: i64,
    /// The fd number the last parsed event is about (`fd.num`).
    last_fd_num: Option<i64>,
    /// The fd the last event destroyed (close), as it was, so its fields still resolve.
    closed_fd: Option<FdInfo>,
    /// The last event renamed its fd (`fd.name_changed`; set by the datagram tuple updates).
    last_fd_name_changed: bool,
    /// The machine's addresses, completing half-known datagram tuples.
    interfaces: Interfaces,
    /// Threads created/updated/removed since the last [`ThreadTable::take_changes`].
    changes: ThreadChanges,
    /// Enter-event data needed at exit, by tid (e.g. open's path for TOCTOU-safe naming).
    pending_enter: HashMap<i64, update::EnterData>,
    /// Emptied strings of destroyed fds and consumed enter data, reused for new fd names so
    /// that a steady open/close workload does not allocate per event.
    spare_strings: Vec<String>,
}

impl ThreadTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// The thread with this tid.
    pub fn thread(&self, tid: i64) -> Option<&ThreadInfo> {
        self.threads.get(&tid)
    }

    /// The main thread (tid == pid) of the process `tid` belongs to; the thread itself when
    /// its main thread is not known.
    pub fn main_thread(&self, tid: i64) -> Option<&ThreadInfo> {
        let t = self.threads.get(&tid)?;
        if t.tid == t.pid {
            return Some(t);
        }
        self.threads.get(&t.pid).or(Some(t))
    }

    /// The parent process's main thread (`proc.p*`), if known.
    pub fn parent(&self, tid: i64) -> Option<&ThreadInfo> {
        let t = self.main_thread(tid)?;
        if t.ptid <= 0 || t.ptid == t.tid {
            return None;
        }
        let p = self.threads.get(&t.ptid)?;
        self.threads.get(&p.pid).or(Some(p))
    }

    /// Ancestors, nearest first (`proc.aname[1]` is the first item); stops at an unknown
    /// parent, a loop or [`MAX_ANCESTOR_DEPTH`].
    pub fn ancestors(&self, tid: i64) -> Vec<&ThreadInfo> {
        let mut out = Vec::new();
        let mut cur = tid;
        while out.len() < MAX_ANCESTOR_DEPTH {
            match self.parent(cur) {
                Some(p) if !out.iter().any(|a: &&ThreadInfo| a.tid == p.tid) && p.tid != tid => {
                    cur = p.tid;
                    out.push(p);
                }
                _ => break,
            }
        }
        out
    }

    /// The fds of the process `tid` belongs to.
    pub fn fds(&self, tid: i64) -> Option<&FdTable> {
        self.main_thread(tid).map(|t| &t.fds)
    }

    /// One fd of the process `tid` belongs to.
    pub fn fd(&self, tid: i64, fd: i64) -> Option<&FdInfo> {
        self.fds(tid)?.get(fd)
    }

    /// The fd number the last parsed event is about (`fd.num`): its fd argument (or its enter
    /// event's), else the fd it duplicates, else the fd it creates.
    pub fn last_event_fd_num(&self) -> Option<i64> {
        self.last_fd_num
    }

    /// The fd the last parsed event is about, as after the event; for an event that destroyed
    /// it (close) as it was before, so the close still shows what was closed.
    pub fn last_event_fd(&self) -> Option<&FdInfo> {
        let num = self.last_fd_num?;
        match &self.closed_fd {
            Some(f) if f.fd == num => Some(f),
            _ => self.fd(self.last_tid, num),
        }
    }

    /// Whether the last parsed event changed the name of its fd (`fd.name_changed`). Only
    /// the tuple updates of reads and writes on sockets set it.
    pub fn last_event_fd_name_changed(&self) -> bool {
        self.last_fd_name_changed
    }

    /// Bytes the fd tables of all threads hold on the heap ([`FdTable::heap_bytes`]).
    pub fn fd_heap_bytes(&self) -> usize {
        self.threads.values().map(|t| t.fds.heap_bytes()).sum()
    }

    pub fn users(&self) -> &UserTable {
        &self.users
    }

    pub fn len(&self) -> usize {
        self.threads.len()
    }

    pub fn is_empty(&self) -> bool {
        self.threads.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &ThreadInfo> {
        self.threads.values()
    }

    /// Threads created, updated or removed since the last call (clears the set).
    pub fn take_changes(&mut self) -> ThreadChanges {
        std::mem::take(&mut self.changes)
    }

    /// Whether any thread was created, updated or removed since the last
    /// [`ThreadTable::take_changes`].
    #[inline]
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }

    /// Hands back a change set taken with [`ThreadTable::take_changes`] once it is applied, so
    /// its buffers are reused (no allocation per changed event). Changes recorded since are kept.
    pub fn recycle_changes(&mut self, mut done: ThreadChanges) {
        if self.changes.is_empty() {
            done.updated.clear();
            done.removed.clear();
            done.full_resync = false;
            if done.updated.capacity() > self.changes.updated.capacity() {
                self.changes.updated = done.updated;
            }
            if done.removed.capacity() > self.changes.removed.capacity() {
                self.changes.removed = done.removed;
            }
        }
    }

    /// Marks a thread's data as changed.
    pub(crate) fn mark_updated(&mut self, tid: i64) {
        self.changes.updated(tid);
    }

    pub fn stats(&self) -> &StateStats {
        &self.stats
    }

    /// Adds or replaces a thread, evicting old threads when full.
    pub fn insert(&mut self, t: ThreadInfo) {
        if self.threads.len() >= MAX_THREADS && !self.threads.contains_key(&t.tid) {
            self.evict();
        }
        self.changes.updated(t.tid);
        self.threads.insert(t.tid, t);
        self.stats.threads_created += 1;
    }

    /// Removes a thread now (a main thread with live threads is kept, marked exited).
    pub fn remove(&mut self, tid: i64) -> Option<ThreadInfo> {
        let t = self.threads.get(&tid)?;
        if t.is_main_thread()
            && self
                .threads
                .values()
                .any(|o| o.pid == t.pid && o.tid != tid && !o.exited)
        {
            return None;
        }
        self.stats.threads_removed += 1;
        self.changes.removed(tid);
        self.threads.remove(&tid)
    }

    fn evict(&mut self) {
        // Exited threads first, then the least recently active.
        let mut candidates: Vec<(bool, u64, i64)> = self
            .threads
            .values()
            .map(|t| (!t.exited, t.last_event_ts, t.tid))
            .collect();
        let n = THREAD_EVICTION_BATCH.min(candidates.len());
        if n == 0 {
            return;
        }
        candidates.select_nth_unstable(n - 1);
        for &(_, _, tid) in &candidates[..n] {
            self.threads.remove(&tid);
            self.changes.removed(tid);
            self.stats.threads_evicted += 1;
        }
    }

    /// Adds one of the machine's network addresses (a capture's interface list entry).
    pub fn add_interface(&mut self, i: &Interface) {
        self.interfaces.add(i);
    }

    /// Applies one capture metadata item (process, fd, interface and user lists); events are parsed with
    /// [`ThreadTable::parse_event`]. Other items are ignored.
    pub fn apply_capture_item(&mut self, item: &CaptureItem<'_>) {
        match item {
            CaptureItem::Process(p) => self.add_process_entry(p),
            CaptureItem::Fd(f) => self.add_fd_entry(f),
            CaptureItem::User(u) => self.add_user_entry(u),
            CaptureItem::Interface(i) => self.add_interface(i),
            _ => {}
        }
    }

    pub fn add_process_entry(&mut self, p: &ProcessEntry) {
        let args = split_nul_list(&p.args);
        let t = ThreadInfo {
            tid: p.tid as i64,
            pid: p.pid as i64,
            ptid: p.ptid as i64,
            sid: p.sid,
            vtid: p.vtid,
            vpid: p.vpid,
            vpgid: p.vpgid,
            pgid: p.pgid,
            comm: p.comm.clone(),
            exe: p.exe.clone(),
            exepath: p.exepath.clone(),
            args,
            env: split_nul_list(&p.env),
            cwd: with_trailing_slash(&p.cwd),
            root: p.root.clone(),
            uid: p.uid,
            gid: p.gid,
            ruid: p.uid,
            suid: p.uid,
            rgid: p.gid,
            sgid: p.gid,
            loginuid: p.loginuid,
            cap_permitted: p.cap_permitted,
            cap_effective: p.cap_effective,
            cap_inheritable: p.cap_inheritable,
            tty: p.tty,
            flags: p.flags,
            pidns_init_start_ts: p.pidns_init_start_ts,
            cgroups: parse_cgroups(&p.cgroups),
            exe_writable: p.exe_writable,
            exe_upper_layer: p.exe_upper_layer,
            exe_lower_layer: p.exe_lower_layer,
            exe_from_memfd: p.exe_from_memfd,
            exe_ino: p.exe_ino,
            exe_ino_ctime: p.exe_ino_ctime,
            exe_ino_mtime: p.exe_ino_mtime,
            fd_limit: p.fdlimit as i64,
            vmsize_kb: p.vmsize_kb,
            vmrss_kb: p.vmrss_kb,
            vmswap_kb: p.vmswap_kb,
            pfmajor: p.pfmajor,
            pfminor: p.pfminor,
            ..ThreadInfo::default()
        };
        self.insert(t);
    }

    pub fn add_fd_entry(&mut self, f: &FdEntry) {
        use crate::scap::FdInfo as Scap;
        let ty = FdType::from_scap(f.info.fd_type());
        let mut info = FdInfo::new(f.fd, ty, String::new());
        info.ino = f.ino;
        match &f.info {
            Scap::Ipv4Socket {
                sip,
                dip,
                sport,
                dport,
                l4proto,
            } => {
                info.socket = Some(SocketInfo {
                    client_ip: Some((*sip).into()),
                    client_port: *sport,
                    server_ip: Some((*dip).into()),
                    server_port: *dport,
                    l4proto: L4Proto::from_scap(*l4proto),
                    ..SocketInfo::default()
                });
            }
            Scap::Ipv6Socket {
                sip,
                dip,
                sport,
                dport,
                l4proto,
            } => {
                info.socket = Some(SocketInfo {
                    client_ip: Some(update::ipv6_or_mapped(sip)),
                    client_port: *sport,
                    server_ip: Some(update::ipv6_or_mapped(dip)),
                    server_port: *dport,
                    l4proto: L4Proto::from_scap(*l4proto),
                    ..SocketInfo::default()
                });
            }
            Scap::Ipv4Server { ip, port, l4proto } => {
                info.role = SocketRole::Server;
                info.socket = Some(SocketInfo {
                    server_ip: Some((*ip).into()),
                    server_port: *port,
                    l4proto: L4Proto::from_scap(*l4proto),
                    ..SocketInfo::default()
                });
            }
            Scap::Ipv6Server { ip, port, l4proto } => {
                info.role = SocketRole::Server;
                info.socket = Some(SocketInfo {
                    server_ip: Some(update::ipv6_or_mapped(ip)),
                    server_port: *port,
                    l4proto: L4Proto::from_scap(*l4proto),
                    ..SocketInfo::default()
                });
            }
            Scap::Unix { source, dest, name } => {
                info.socket = Some(SocketInfo {
                    unix_source: *source,
                    unix_dest: *dest,
                    unix_path: name.clone(),
                    ..SocketInfo::default()
                });
                info.name = name.clone();
            }
            Scap::File { open_flags, name, dev } => {
                info.open_flags = *open_flags;
                info.name = name.clone();
                info.dev = dev.unwrap_or(0);
            }
            Scap::Named { name, .. } => info.name = name.clone(),
            Scap::Unknown { .. } => {}
        }
        if info.name.is_empty() {
            info.name = update::socket_name(&info);
        }
        info.name_raw = info.name.clone();
        self.insert_fd(f.tid as i64, info);
    }

    pub fn add_user_entry(&mut self, u: &UserListEntry) {
        match u {
            UserListEntry::User {
                uid,
                gid,
                name,
                home,
                shell,
            } => self.users.add_user(UserInfo {
                uid: *uid,
                gid: *gid,
                name: name.clone(),
                home: home.clone(),
                shell: shell.clone(),
            }),
            UserListEntry::Group { gid, name } => self.users.add_group(GroupInfo {
                gid: *gid,
                name: name.clone(),
            }),
        }
    }

    /// The tid whose fd table holds the fds of `tid`'s process.
    fn fd_owner(&self, tid: i64) -> i64 {
        match self.threads.get(&tid) {
            Some(t) if t.tid != t.pid && self.threads.contains_key(&t.pid) => t.pid,
            _ => tid,
        }
    }

    /// Adds an fd to the process of `tid` (creating an unknown thread if needed).
    pub fn insert_fd(&mut self, tid: i64, info: FdInfo) {
        let owner = self.fd_owner(tid);
        let t = self.thread_or_create(owner);
        let before = t.fds.evicted;
        let replaced = t.fds.insert(info);
        let added = t.fds.evicted - before;
        self.stats.fds_evicted += added;
        if let Some(old) = replaced {
            self.recycle_fd(old);
        }
    }

    /// An empty string, reusing a spare buffer when there is one.
    pub(crate) fn take_string(&mut self) -> String {
        self.spare_strings.pop().unwrap_or_default()
    }

    /// Keeps `s`'s buffer for [`ThreadTable::take_string`].
    pub(crate) fn recycle_string(&mut self, mut s: String) {
        if s.capacity() > 0 && self.spare_strings.len() < MAX_SPARE_STRINGS {
            s.clear();
            self.spare_strings.push(s);
        }
    }

    /// Keeps the strings of a destroyed fd for reuse.
    fn recycle_fd(&mut self, f: FdInfo) {
        self.recycle_string(f.name);
        self.recycle_string(f.name_raw);
        if let Some(s) = f.socket {
            self.recycle_string(s.unix_path);
        }
    }

    /// The fd the previous event closed is no longer shown: its strings are reused.
    fn recycle_closed_fd(&mut self) {
        if let Some(f) = self.closed_fd.take() {
            self.recycle_fd(f);
        }
    }

    pub fn remove_fd(&mut self, tid: i64, fd: i64) -> Option<FdInfo> {
        let owner = self.fd_owner(tid);
        self.threads.get_mut(&owner)?.fds.remove(fd)
    }

    fn fd_mut(&mut self, tid: i64, fd: i64) -> Option<&mut FdInfo> {
        let owner = self.fd_owner(tid);
        self.threads.get_mut(&owner)?.fds.get_mut(fd)
    }

    fn thread_or_create(&mut self, tid: i64) -> &mut ThreadInfo {
        if !self.threads.contains_key(&tid) {
            self.stats.threads_from_events += 1;
            self.insert(ThreadInfo::unknown(tid));
        }
        self.threads.entry(tid).or_insert_with(|| ThreadInfo::unknown(tid))
    }

    /// Removes exited threads whose delay has passed (or beyond the pending cap).
    fn reap(&mut self, now: u64) {
        while let Some(&(tid, ts)) = self.pending_removal.front() {
            let due = now.saturating_sub(ts) >= PROCEXIT_REMOVAL_DELAY_NS;
            if !due && self.pending_removal.len() <= MAX_PENDING_REMOVALS {
                break;
            }
            self.pending_removal.pop_front();
            if self.threads.get(&tid).is_some_and(|t| t.exited) {
                self.remove(tid);
            }
        }
    }
}

/// libsinsp shows cwd with a trailing slash.
fn with_trailing_slash(p: &str) -> String {
    if p.is_empty() || p.ends_with('/') {
        p.to_string()
    } else {
        format!("{p}/")
    }
}
