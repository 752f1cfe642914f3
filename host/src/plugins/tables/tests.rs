//! The tables vtables driven from Rust exactly as a plugin would drive them.

use super::vtable::{self, FIELDS, READER_EXT, WRITER};
use super::{HostTable, StateType, TableKey, TableRegistry, TableValue};
use crate::plugins::owner::Owner;
use plugin_api::ffi::{self, ss_plugin_state_data, SS_PLUGIN_FAILURE, SS_PLUGIN_SUCCESS};
use std::ffi::{c_void, CStr};

fn threads() -> (std::sync::Arc<TableRegistry>, HostTable) {
    let registry = TableRegistry::new();
    let threads = HostTable::new("threads", StateType::Int64).unwrap();
    let comm = threads.define_field("comm", StateType::String).unwrap();
    let pid = threads.define_field("pid", StateType::Int64).unwrap();
    let (_, args) = threads.define_subtable("args", StateType::Uint64).unwrap();
    args.define_field("value", StateType::String).unwrap();
    threads
        .set(TableKey::Int(1), comm, TableValue::Str("bash".into()))
        .unwrap();
    threads.set(TableKey::Int(1), pid, TableValue::Int(-7)).unwrap();
    threads
        .set(TableKey::Int(2), comm, TableValue::Str("sh".into()))
        .unwrap();
    registry.add_host_table(&threads).unwrap();
    (registry, threads)
}

fn text(p: *const std::ffi::c_char) -> String {
    // SAFETY: test helper on host-returned NUL-terminated strings.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

unsafe extern "C" fn count_entries(state: *mut c_void, _e: *mut ffi::ss_plugin_table_entry_t) -> ffi::ss_plugin_bool {
    // SAFETY: the test passes a pointer to a u32 counter.
    unsafe { *(state as *mut u32) += 1 };
    1
}

#[test]
fn host_tables_through_the_vtables() {
    let (registry, threads) = threads();
    let owner = Owner::new("tester", registry.clone());
    let o = owner.as_ffi();
    let input = vtable::init_tables_input();
    let r = READER_EXT;
    let w = WRITER;
    let f = FIELDS;
    // SAFETY: all calls below follow the plugin API's contract with handles from this host.
    unsafe {
        let mut n = 0u32;
        let infos = input.list_tables.unwrap()(o, &mut n);
        assert_eq!(n, 1);
        assert_eq!(text((*infos).name), "threads");
        assert_eq!((*infos).key_type, ffi::SS_PLUGIN_ST_INT64);

        // Key type must match.
        let t = input.get_table.unwrap()(o, c"threads".as_ptr(), ffi::SS_PLUGIN_ST_UINT64);
        assert!(t.is_null());
        assert_eq!(
            owner.last_error().unwrap(),
            "get_table: table 'threads' has key type Int64, the plugin asked for Uint64"
        );
        assert!(input.get_table.unwrap()(o, c"nope".as_ptr(), ffi::SS_PLUGIN_ST_INT64).is_null());
        assert_eq!(owner.last_error().unwrap(), "get_table: no table named 'nope'");
        let t = input.get_table.unwrap()(o, c"threads".as_ptr(), ffi::SS_PLUGIN_ST_INT64);
        assert!(!t.is_null());
        assert_eq!(
            t,
            input.get_table.unwrap()(o, c"threads".as_ptr(), ffi::SS_PLUGIN_ST_INT64),
            "stable handle"
        );
        assert_eq!(text(r.get_table_name.unwrap()(t)), "threads");
        assert_eq!(r.get_table_size.unwrap()(t), 2);

        let comm = f.get_table_field.unwrap()(t, c"comm".as_ptr(), ffi::SS_PLUGIN_ST_STRING);
        let pid = f.get_table_field.unwrap()(t, c"pid".as_ptr(), ffi::SS_PLUGIN_ST_INT64);
        let args = f.get_table_field.unwrap()(t, c"args".as_ptr(), ffi::SS_PLUGIN_ST_TABLE);
        assert!(!comm.is_null() && !pid.is_null() && !args.is_null());
        assert!(f.get_table_field.unwrap()(t, c"comm".as_ptr(), ffi::SS_PLUGIN_ST_UINT64).is_null());
        assert_eq!(
            owner.last_error().unwrap(),
            "table 'threads': field 'comm' has type String, requested Uint64"
        );
        let cid = f.add_table_field.unwrap()(t, c"container_id".as_ptr(), ffi::SS_PLUGIN_ST_STRING);
        assert!(!cid.is_null());
        assert_eq!(threads.field("container_id").map(|(_, ty)| ty), Some(StateType::String));
        let mut nf = 0u32;
        let list = f.list_table_fields.unwrap()(t, &mut nf);
        assert_eq!(nf, 4);
        assert_eq!(text((*list.add(3)).name), "container_id");

        // Read an entry.
        let key = ss_plugin_state_data { s64: 1 };
        let e = r.get_table_entry.unwrap()(t, &key);
        assert!(!e.is_null());
        let mut out = ss_plugin_state_data { u64_: 0 };
        assert_eq!(r.read_entry_field.unwrap()(t, e, comm, &mut out), SS_PLUGIN_SUCCESS);
        assert_eq!(text(out.str_), "bash");
        assert_eq!(r.read_entry_field.unwrap()(t, e, pid, &mut out), SS_PLUGIN_SUCCESS);
        assert_eq!(out.s64, -7);
        // Write the dynamic field; the Rust side sees it.
        let v = ss_plugin_state_data {
            str_: c"abc123".as_ptr(),
        };
        assert_eq!(w.write_entry_field.unwrap()(t, e, cid, &v), SS_PLUGIN_SUCCESS);
        let (cid_id, _) = threads.field("container_id").unwrap();
        assert_eq!(
            threads.get(&TableKey::Int(1), cid_id),
            Some(TableValue::Str("abc123".into()))
        );

        // Subtable: read gives an ephemeral table handle usable with the same vtables.
        assert_eq!(r.read_entry_field.unwrap()(t, e, args, &mut out), SS_PLUGIN_SUCCESS);
        let sub = out.table;
        assert_eq!(r.get_table_size.unwrap()(sub), 0);
        let value = f.get_table_field.unwrap()(sub, c"value".as_ptr(), ffi::SS_PLUGIN_ST_STRING);
        assert!(!value.is_null());
        let fresh = w.create_table_entry.unwrap()(sub);
        let v = ss_plugin_state_data {
            str_: c"--verbose".as_ptr(),
        };
        assert_eq!(w.write_entry_field.unwrap()(sub, fresh, value, &v), SS_PLUGIN_SUCCESS);
        let k0 = ss_plugin_state_data { u64_: 0 };
        let added = w.add_table_entry.unwrap()(sub, &k0, fresh);
        assert!(!added.is_null());
        // The created handle was consumed by add_table_entry.
        assert!(w.add_table_entry.unwrap()(sub, &k0, fresh).is_null());
        r.release_table_entry.unwrap()(sub, added);
        let (args_id, _) = threads.field("args").unwrap();
        let args_rust = threads.subtable(&TableKey::Int(1), args_id).unwrap();
        let (value_id, _) = args_rust.field("value").unwrap();
        assert_eq!(
            args_rust.get(&TableKey::Uint(0), value_id),
            Some(TableValue::Str("--verbose".into()))
        );
        // A field handle of another table kind is refused.
        assert_eq!(r.read_entry_field.unwrap()(t, e, value, &mut out), SS_PLUGIN_FAILURE);
        assert!(owner.last_error().unwrap().contains("does not belong to this table"));
        r.release_table_entry.unwrap()(t, e);
        // Released entries are refused.
        assert_eq!(r.read_entry_field.unwrap()(t, e, comm, &mut out), SS_PLUGIN_FAILURE);
        assert!(owner.last_error().unwrap().contains("invalid or released entry"));

        let missing = ss_plugin_state_data { s64: 99 };
        assert!(r.get_table_entry.unwrap()(t, &missing).is_null());
        assert_eq!(
            owner.last_error().unwrap(),
            "table 'threads': get_entry found no element at given key Int(99)"
        );

        let mut count = 0u32;
        assert_eq!(
            r.iterate_entries.unwrap()(t, Some(count_entries), &mut count as *mut u32 as *mut c_void),
            1
        );
        assert_eq!(count, 2);

        // Unreleased entries and ephemeral subtables are collected after the callback.
        let leaked = r.get_table_entry.unwrap()(t, &key);
        assert!(!leaked.is_null());
        owner.collect_garbage();
        assert!(owner.handles.lock().unwrap().entries.is_empty());
        assert!(owner.handles.lock().unwrap().ephemeral.is_empty());

        assert_eq!(w.erase_table_entry.unwrap()(t, &key), SS_PLUGIN_SUCCESS);
        assert_eq!(w.erase_table_entry.unwrap()(t, &key), SS_PLUGIN_FAILURE);
        assert_eq!(r.get_table_size.unwrap()(t), 1);
        assert_eq!(w.clear_table.unwrap()(t), SS_PLUGIN_SUCCESS);
        assert!(threads.is_empty());
    }
}

#[test]
fn host_table_rust_api_checks_types() {
    let t = HostTable::new("containers", StateType::String).unwrap();
    let image = t.define_field("image", StateType::String).unwrap();
    let err = t.set(TableKey::Int(1), image, TableValue::Str("x".into())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "table 'containers': key type is String, the key given is Int(1)"
    );
    let err = t
        .set(TableKey::Str("c1".into()), image, TableValue::Uint(3))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "table 'containers': field 'image' has type String, the value given is Uint(3)"
    );
    let err = t.define_field("image", StateType::Uint64).unwrap_err();
    assert!(err.to_string().contains("already defined with type String"));
    assert!(HostTable::new("bad", StateType::Table).is_err());
    let registry = TableRegistry::new();
    registry.add_host_table(&t).unwrap();
    assert_eq!(
        registry.add_host_table(&t).unwrap_err().to_string(),
        "a table named 'containers' is already registered; table names must be unique"
    );
}
