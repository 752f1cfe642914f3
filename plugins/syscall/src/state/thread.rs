//! Threads and processes as libsinsp models them (`sinsp_threadinfo`).

use super::fd::FdTable;

/// Value of id fields that are not known (libsinsp uses -1).
pub const UNKNOWN_ID: i64 = -1;

/// One thread. Process-wide data (exe, args, env, cwd, fds) is kept on every thread as
/// libsinsp does, copied at clone; fds are read through the main thread ([`super::ThreadTable::fds`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadInfo {
    pub tid: i64,
    pub pid: i64,
    pub ptid: i64,
    /// Thread that reaps this one when its parent dies (0/-1 when unknown).
    pub reaper_tid: i64,
    pub sid: i64,
    pub vtid: i64,
    pub vpid: i64,
    pub vpgid: i64,
    pub pgid: i64,
    pub comm: String,
    pub exe: String,
    pub exepath: String,
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    pub root: String,
    /// Effective uid/gid (what libsinsp shows as `user.uid` / `group.gid`).
    pub uid: u32,
    pub gid: u32,
    /// Real and saved ids when known from setres*id (else equal to the effective ones).
    pub ruid: u32,
    pub suid: u32,
    pub rgid: u32,
    pub sgid: u32,
    pub loginuid: u32,
    pub cap_permitted: u64,
    pub cap_effective: u64,
    pub cap_inheritable: u64,
    pub tty: u32,
    /// `PPM_CL_*` clone flags of the clone that made this thread.
    pub flags: u32,
    /// When the thread was created (clone exit ts; 0 for threads from the process list).
    pub clone_ts: u64,
    /// Last successful execve (0 if none seen).
    pub lastexec_ts: u64,
    pub pidns_init_start_ts: u64,
    /// `(subsystem, path)` pairs.
    pub cgroups: Vec<(String, String)>,
    pub exe_writable: bool,
    pub exe_upper_layer: bool,
    pub exe_lower_layer: bool,
    pub exe_from_memfd: bool,
    pub exe_ino: u64,
    pub exe_ino_ctime: u64,
    pub exe_ino_mtime: u64,
    pub fd_limit: i64,
    pub vmsize_kb: u32,
    pub vmrss_kb: u32,
    pub vmswap_kb: u32,
    pub pfmajor: u64,
    pub pfminor: u64,
    /// Set by procexit; the entry is removed after a bounded delay
    /// ([`super::PROCEXIT_REMOVAL_DELAY`]).
    pub exited: bool,
    /// Timestamp of the last event of this thread.
    pub last_event_ts: u64,
    /// The process's fds; authoritative on the main thread (tid == pid).
    pub fds: FdTable,
}

impl Default for ThreadInfo {
    fn default() -> Self {
        ThreadInfo {
            tid: UNKNOWN_ID,
            pid: UNKNOWN_ID,
            ptid: UNKNOWN_ID,
            reaper_tid: UNKNOWN_ID,
            sid: UNKNOWN_ID,
            vtid: UNKNOWN_ID,
            vpid: UNKNOWN_ID,
            vpgid: UNKNOWN_ID,
            pgid: UNKNOWN_ID,
            comm: String::new(),
            exe: String::new(),
            exepath: String::new(),
            args: Vec::new(),
            env: Vec::new(),
            cwd: String::new(),
            root: String::new(),
            uid: u32::MAX,
            gid: u32::MAX,
            ruid: u32::MAX,
            suid: u32::MAX,
            rgid: u32::MAX,
            sgid: u32::MAX,
            loginuid: u32::MAX,
            cap_permitted: 0,
            cap_effective: 0,
            cap_inheritable: 0,
            tty: 0,
            flags: 0,
            clone_ts: 0,
            lastexec_ts: 0,
            pidns_init_start_ts: 0,
            cgroups: Vec::new(),
            exe_writable: false,
            exe_upper_layer: false,
            exe_lower_layer: false,
            exe_from_memfd: false,
            exe_ino: 0,
            exe_ino_ctime: 0,
            exe_ino_mtime: 0,
            fd_limit: 0,
            vmsize_kb: 0,
            vmrss_kb: 0,
            vmswap_kb: 0,
            pfmajor: 0,
            pfminor: 0,
            exited: false,
            last_event_ts: 0,
            fds: FdTable::default(),
        }
    }
}

impl ThreadInfo {
    /// A thread known only by its id (first seen in an event, absent from the process list).
    pub fn unknown(tid: i64) -> ThreadInfo {
        ThreadInfo {
            tid,
            pid: tid,
            ..ThreadInfo::default()
        }
    }

    pub fn is_main_thread(&self) -> bool {
        self.tid == self.pid
    }

    /// `proc.cmdline`: comm followed by the args, space separated.
    pub fn cmdline(&self) -> String {
        let mut s = self.comm.clone();
        for a in &self.args {
            s.push(' ');
            s.push_str(a);
        }
        s
    }

    /// `proc.exeline`: exe followed by the args.
    pub fn exeline(&self) -> String {
        let mut s = self.exe.clone();
        for a in &self.args {
            s.push(' ');
            s.push_str(a);
        }
        s
    }

    /// Value of one environment variable.
    pub fn env_var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .find_map(|e| e.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
    }

    /// Cgroup path of one subsystem.
    pub fn cgroup(&self, subsystem: &str) -> Option<&str> {
        self.cgroups
            .iter()
            .find(|(s, _)| s == subsystem)
            .map(|(_, p)| p.as_str())
    }
}

/// Splits a NUL-separated byte list (args, env, cgroups) into strings; a trailing NUL does not
/// make an empty last item.
pub fn split_nul_list(bytes: &[u8]) -> Vec<String> {
    let bytes = bytes.strip_suffix(&[0]).unwrap_or(bytes);
    if bytes.is_empty() {
        return Vec::new();
    }
    bytes
        .split(|&b| b == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

/// Splits `subsys=path` cgroup entries.
pub fn parse_cgroups(bytes: &[u8]) -> Vec<(String, String)> {
    split_nul_list(bytes)
        .into_iter()
        .filter_map(|e| e.split_once('=').map(|(s, p)| (s.to_string(), p.to_string())))
        .collect()
}

/// `list` is what [`split_nul_list`] makes of `bytes` (checked without allocating, so that an
/// unchanged list is not rebuilt). Items that are not valid UTF-8 compare unequal.
pub fn same_nul_list(list: &[String], bytes: &[u8]) -> bool {
    let bytes = bytes.strip_suffix(&[0]).unwrap_or(bytes);
    if bytes.is_empty() {
        return list.is_empty();
    }
    let mut items = list.iter();
    bytes
        .split(|&b| b == 0)
        .all(|part| items.next().is_some_and(|item| item.as_bytes() == part))
        && items.next().is_none()
}

/// `cgroups` is what [`parse_cgroups`] makes of `bytes` (checked without allocating).
pub fn same_cgroups(cgroups: &[(String, String)], bytes: &[u8]) -> bool {
    let bytes = bytes.strip_suffix(&[0]).unwrap_or(bytes);
    let mut items = cgroups.iter();
    if !bytes.is_empty() {
        for part in bytes.split(|&b| b == 0) {
            let Some(eq) = part.iter().position(|&b| b == b'=') else {
                continue;
            };
            let same = items
                .next()
                .is_some_and(|(s, p)| s.as_bytes() == &part[..eq] && p.as_bytes() == &part[eq + 1..]);
            if !same {
                return false;
            }
        }
    }
    items.next().is_none()
}
