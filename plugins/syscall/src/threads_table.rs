//! The `threads` table shared with the host and other plugins through the tables API
//! (`reference/plugin-abi.md` §12), mirrored from [`ThreadTable`].
//!
//! The SDK's [`OwnedTable`] stores its own copies of values, so the live state cannot be
//! exposed in place: threads are copied into the table when they change (clone, execve,
//! set*id, …, tracked by [`ThreadTable::take_changes`]), not on every event. Subtables
//! (`args`, `env`, `file_descriptors`) are not offered: `OwnedTable` has no table-typed
//! fields. The cgroups are offered as one string field instead, see [`CGROUPS_FIELD`].

use plugin_api::sdk::{OwnedFieldId, OwnedTable, StateType, StateValue, TableError};

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
    cgroups_text_into(&mut s, cgroups);
    s
}

/// [`cgroups_text`] into a reused buffer (cleared first).
fn cgroups_text_into(s: &mut String, cgroups: &[(String, String)]) {
    s.clear();
    for (subsystem, path) in cgroups {
        if !s.is_empty() {
            s.push('\n');
        }
        s.push_str(subsystem);
        s.push('=');
        s.push_str(path);
    }
}

/// A new, empty `threads` table (INT64 key = tid).
pub fn new_threads_table() -> Result<OwnedTable, TableError> {
    OwnedTable::new(THREADS_TABLE, StateType::I64, THREAD_FIELDS)
}

/// The `threads` fields this plugin writes, resolved once ([`THREAD_FIELDS`] order).
#[derive(Debug, Clone)]
pub struct ThreadFieldIds([OwnedFieldId; THREAD_FIELDS.len()]);

impl ThreadFieldIds {
    /// Resolves [`THREAD_FIELDS`] in `table` (a table made by [`new_threads_table`]).
    pub fn resolve(table: &OwnedTable) -> Result<Self, TableError> {
        let mut ids = Vec::with_capacity(THREAD_FIELDS.len());
        for &(name, ty) in THREAD_FIELDS {
            ids.push(table.field_id(name, ty)?);
        }
        let ids: [OwnedFieldId; THREAD_FIELDS.len()] = ids.try_into().expect("one id per field");
        Ok(ThreadFieldIds(ids))
    }
}

/// Writes every exported field of `t` into its entry (one lock; fields whose value did not
/// change are left as they are, so only changed fields are copied).
fn write_thread(
    table: &OwnedTable,
    ids: &ThreadFieldIds,
    t: &ThreadInfo,
    cgroups: &mut String,
) -> Result<(), TableError> {
    cgroups_text_into(cgroups, &t.cgroups);
    let id = &ids.0;
    // Written in the order the fields were always written (on a bad string the fields after
    // it stay as they were); ids are indexed in THREAD_FIELDS order.
    let values = [
        (id[0], StateValue::I64(t.tid)),
        (id[1], StateValue::I64(t.pid)),
        (id[2], StateValue::I64(t.ptid)),
        (id[3], StateValue::I64(t.reaper_tid)),
        (id[4], StateValue::I64(t.sid)),
        (id[5], StateValue::I64(t.vtid)),
        (id[6], StateValue::I64(t.vpid)),
        (id[7], StateValue::I64(t.vpgid)),
        (id[8], StateValue::I64(t.pgid)),
        (id[9], StateValue::I64(t.fd_limit)),
        (id[10], StateValue::Str(&t.comm)),
        (id[11], StateValue::Str(&t.exe)),
        (id[12], StateValue::Str(&t.exepath)),
        (id[13], StateValue::Str(&t.root)),
        (id[14], StateValue::Str(&t.cwd)),
        (id[28], StateValue::Str(cgroups)),
        (id[15], StateValue::U32(t.flags)),
        (id[16], StateValue::U32(t.uid)),
        (id[17], StateValue::U32(t.gid)),
        (id[18], StateValue::U32(t.loginuid)),
        (id[19], StateValue::U32(t.tty)),
        (id[20], StateValue::U64(t.exe_ino)),
        (id[21], StateValue::U64(t.exe_ino_ctime)),
        (id[22], StateValue::U64(t.exe_ino_mtime)),
        (id[23], StateValue::U64(t.pidns_init_start_ts)),
        (id[24], StateValue::Bool(t.exe_writable)),
        (id[25], StateValue::Bool(t.exe_upper_layer)),
        (id[26], StateValue::Bool(t.exe_lower_layer)),
        (id[27], StateValue::Bool(t.exe_from_memfd)),
    ];
    table.set_fields(StateValue::I64(t.tid), &values)
}

/// Copies the threads changed since the last sync into `table` and drops removed ones.
/// Fields other plugins added (e.g. `container_id`) are kept on updated entries.
pub fn sync_threads_table(state: &mut ThreadTable, table: &OwnedTable) -> Result<(), TableError> {
    if state.has_changes() {
        let ids = ThreadFieldIds::resolve(table)?;
        sync_threads_table_with(state, table, &ids, &mut String::new())?;
    }
    Ok(())
}

/// [`sync_threads_table`] with the field ids resolved once and a reused text buffer.
pub fn sync_threads_table_with(
    state: &mut ThreadTable,
    table: &OwnedTable,
    ids: &ThreadFieldIds,
    scratch: &mut String,
) -> Result<(), TableError> {
    if !state.has_changes() {
        return Ok(());
    }
    let changes = state.take_changes();
    if changes.full_resync {
        for t in state.iter() {
            write_thread(table, ids, t, scratch)?;
        }
    }
    for tid in &changes.removed {
        if state.thread(*tid).is_none() {
            table.remove(StateValue::I64(*tid))?;
        }
    }
    for tid in &changes.updated {
        if let Some(t) = state.thread(*tid) {
            write_thread(table, ids, t, scratch)?;
        }
    }
    state.recycle_changes(changes);
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
        let ids = ThreadFieldIds::resolve(&table).unwrap();
        write_thread(&table, &ids, &t, &mut String::new()).unwrap();
        let got = table.get(StateValue::I64(42), CGROUPS_FIELD).unwrap();
        assert_eq!(
            got,
            Some(plugin_api::sdk::tables::TableValue::Str(
                "cpuset=/docker/abc\nname=systemd=/docker/abc".into()
            ))
        );
    }
}
