//! The `threads` table shared with the host and other plugins through the tables API
//! (`reference/plugin-abi.md` §12), mirrored from [`ThreadTable`].
//!
//! The SDK's [`OwnedTable`] stores its own copies of values, so the live state cannot be
//! exposed in place: threads are copied into the table when they change (clone, execve,
//! set*id, …, tracked by [`ThreadTable::take_changes`]), not on every event. Subtables
//! (`args`, `env`, `file_descriptors`) are not offered: `OwnedTable` has no table-typed
//! fields. The cgroups are offered as one string field instead, see [`CGROUPS_FIELD`].

use plugin_api::sdk::{OwnedTable, StateType, StateValue, TableError};

use crate::state::{ThreadInfo, ThreadTable};

/// Name of the table, as libsinsp names it.
pub const THREADS_TABLE: &str = "threads";

/// libsinsp's scalar fields of `threads` with their types.
pub const THREAD_FIELDS: &[(&str, StateType)] = &[
    ("tid", StateType::I64),
    ("pid", StateType::I64),
    ("ptid", StateType::I64),
    ("reaper_tid", StateType::I64),
    ("sid", StateType::I64),
    ("vtid", StateType::I64),
    ("vpid", StateType::I64),
    ("vpgid", StateType::I64),
    ("pgid", StateType::I64),
    ("fd_limit", StateType::I64),
    ("comm", StateType::Str),
    ("exe", StateType::Str),
    ("exe_path", StateType::Str),
    ("root", StateType::Str),
    ("cwd", StateType::Str),
    ("flags", StateType::U32),
    ("uid", StateType::U32),
    ("gid", StateType::U32),
    ("loginuid", StateType::U32),
    ("tty", StateType::U32),
    ("exe_ino", StateType::U64),
    ("exe_ino_ctime", StateType::U64),
    ("exe_ino_mtime", StateType::U64),
    ("pidns_init_start_ts", StateType::U64),
    ("exe_writable", StateType::Bool),
    ("exe_upper_layer", StateType::Bool),
    ("exe_lower_layer", StateType::Bool),
    ("exe_from_memfd", StateType::Bool),
    (CGROUPS_FIELD, StateType::Str),
];

/// Saker's `cgroups` field: the thread's cgroups as `subsystem=path` lines joined by `\n`, in
/// `/proc/<pid>/cgroup` order (libsinsp has a `cgroups` subtable instead; the container
/// plugin reads this field).
pub const CGROUPS_FIELD: &str = "cgroups";

/// The `cgroups` field text of a thread.
pub fn cgroups_text(cgroups: &[(String, String)]) -> String {
    let mut s = String::new();
    for (subsystem, path) in cgroups {
        if !s.is_empty() {
            s.push('\n');
        }
        s.push_str(subsystem);
        s.push('=');
        s.push_str(path);
    }
    s
}

/// A new, empty `threads` table (INT64 key = tid).
pub fn new_threads_table() -> Result<OwnedTable, TableError> {
    OwnedTable::new(THREADS_TABLE, StateType::I64, THREAD_FIELDS)
}

fn write_thread(table: &OwnedTable, t: &ThreadInfo) -> Result<(), TableError> {
    let k = StateValue::I64(t.tid);
    let ints = [
        ("tid", t.tid),
        ("pid", t.pid),
        ("ptid", t.ptid),
        ("reaper_tid", t.reaper_tid),
        ("sid", t.sid),
        ("vtid", t.vtid),
        ("vpid", t.vpid),
        ("vpgid", t.vpgid),
        ("pgid", t.pgid),
        ("fd_limit", t.fd_limit),
    ];
    for (f, v) in ints {
        table.set(k, f, StateValue::I64(v))?;
    }
    let strs = [
        ("comm", &t.comm),
        ("exe", &t.exe),
        ("exe_path", &t.exepath),
        ("root", &t.root),
        ("cwd", &t.cwd),
    ];
    for (f, v) in strs {
        table.set(k, f, StateValue::Str(v))?;
    }
    table.set(k, CGROUPS_FIELD, StateValue::Str(&cgroups_text(&t.cgroups)))?;
    for (f, v) in [
        ("flags", t.flags),
        ("uid", t.uid),
        ("gid", t.gid),
        ("loginuid", t.loginuid),
        ("tty", t.tty),
    ] {
        table.set(k, f, StateValue::U32(v))?;
    }
    let u64s = [
        ("exe_ino", t.exe_ino),
        ("exe_ino_ctime", t.exe_ino_ctime),
        ("exe_ino_mtime", t.exe_ino_mtime),
        ("pidns_init_start_ts", t.pidns_init_start_ts),
    ];
    for (f, v) in u64s {
        table.set(k, f, StateValue::U64(v))?;
    }
    let bools = [
        ("exe_writable", t.exe_writable),
        ("exe_upper_layer", t.exe_upper_layer),
        ("exe_lower_layer", t.exe_lower_layer),
        ("exe_from_memfd", t.exe_from_memfd),
    ];
    for (f, v) in bools {
        table.set(k, f, StateValue::Bool(v))?;
    }
    Ok(())
}

/// Copies the threads changed since the last sync into `table` and drops removed ones.
/// Fields other plugins added (e.g. `container_id`) are kept on updated entries.
pub fn sync_threads_table(state: &mut ThreadTable, table: &OwnedTable) -> Result<(), TableError> {
    let changes = state.take_changes();
    if changes.is_empty() {
        return Ok(());
    }
    if changes.full_resync {
        for t in state.iter() {
            write_thread(table, t)?;
        }
    }
    for tid in &changes.removed {
        if state.thread(*tid).is_none() {
            table.remove(StateValue::I64(*tid))?;
        }
    }
    for tid in &changes.updated {
        if let Some(t) = state.thread(*tid) {
            write_thread(table, t)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroups_are_offered_as_lines_of_subsystem_and_path() {
        let cgroups = vec![
            ("cpuset".to_string(), "/docker/abc".to_string()),
            ("name=systemd".to_string(), "/docker/abc".to_string()),
        ];
        assert_eq!(cgroups_text(&cgroups), "cpuset=/docker/abc\nname=systemd=/docker/abc");
        assert_eq!(cgroups_text(&[]), "");
        let table = new_threads_table().unwrap();
        let t = ThreadInfo {
            tid: 42,
            cgroups,
            ..ThreadInfo::default()
        };
        write_thread(&table, &t).unwrap();
        let got = table.get(StateValue::I64(42), CGROUPS_FIELD).unwrap();
        assert_eq!(
            got,
            Some(plugin_api::sdk::tables::TableValue::Str(
                "cpuset=/docker/abc\nname=systemd=/docker/abc".into()
            ))
        );
    }
}
