//! Table wrappers against a small fake host written in Rust: its `threads` table is an
//! [`OwnedTable`] served through the same `extern "C"` vtables the host would call, so both
//! directions of the tables API cross a real C-ABI boundary.

use super::*;
use std::ffi::c_char;
use std::sync::Mutex;

/// The fake host behind the `owner` pointer.
struct FakeHost {
    threads: OwnedTable,
    infos: Vec<ffi::ss_plugin_table_info>,
    last_error: Mutex<CString>,
    added: Mutex<Vec<AddedTable>>,
}

/// What the host keeps from a plugin's `add_table` (copied, as libsinsp does).
#[derive(Clone, Copy)]
struct AddedTable {
    name: *const c_char,
    table: *mut ss_plugin_table_t,
    reader: ffi::ss_plugin_table_reader_vtable_ext,
    writer: ffi::ss_plugin_table_writer_vtable_ext,
    fields: ffi::ss_plugin_table_fields_vtable_ext,
}

fn host<'a>(o: *mut ffi::ss_plugin_owner_t) -> &'a FakeHost {
    // SAFETY: tests pass a pointer to a FakeHost that outlives every call.
    unsafe { &*o.cast::<FakeHost>() }
}

unsafe extern "C" fn list_tables(o: *mut ffi::ss_plugin_owner_t, n: *mut u32) -> *const ffi::ss_plugin_table_info {
    let h = host(o);
    // SAFETY: writable count from the plugin side.
    unsafe { n.write(h.infos.len() as u32) };
    h.infos.as_ptr()
}

unsafe extern "C" fn get_table(
    o: *mut ffi::ss_plugin_owner_t,
    name: *const c_char,
    key_type: ffi::ss_plugin_state_type,
) -> *mut ss_plugin_table_t {
    let h = host(o);
    // SAFETY: the plugin passes a C string.
    let name = unsafe { CStr::from_ptr(name) };
    if name == c"threads" && key_type == ffi::SS_PLUGIN_ST_INT64 {
        return h.threads.raw();
    }
    *h.last_error.lock().unwrap() = CString::new(format!("no table {name:?} with key type {key_type}")).unwrap();
    std::ptr::null_mut()
}

unsafe extern "C" fn add_table(
    o: *mut ffi::ss_plugin_owner_t,
    input: *const ffi::ss_plugin_table_input,
) -> ffi::ss_plugin_rc {
    let h = host(o);
    // SAFETY: valid during the call.
    let i = unsafe { &*input };
    // SAFETY: the _ext pointers are valid during the call (checked non-NULL first).
    let (Some(r), Some(w), Some(f)) = (
        unsafe { i.reader_ext.as_ref() },
        unsafe { i.writer_ext.as_ref() },
        unsafe { i.fields_ext.as_ref() },
    ) else {
        *h.last_error.lock().unwrap() = c"broken or inconsistent reader/writer/fields vtables".into();
        return ffi::SS_PLUGIN_FAILURE;
    };
    // libsinsp requires the legacy vtables to carry the same functions.
    let same = i.reader.get_table_entry.map(|f| f as usize) == r.get_table_entry.map(|f| f as usize)
        && i.writer.write_entry_field.map(|f| f as usize) == w.write_entry_field.map(|f| f as usize)
        && i.fields.add_table_field.map(|f| f as usize) == f.add_table_field.map(|f| f as usize);
    if !same {
        return ffi::SS_PLUGIN_FAILURE;
    }
    h.added.lock().unwrap().push(AddedTable {
        name: i.name,
        table: i.table,
        reader: *r,
        writer: *w,
        fields: *f,
    });
    ffi::SS_PLUGIN_SUCCESS
}

unsafe extern "C" fn owner_error(o: *mut ffi::ss_plugin_owner_t) -> *const c_char {
    host(o).last_error.lock().unwrap().as_ptr()
}

fn fake_host() -> Box<FakeHost> {
    let threads = OwnedTable::new(
        "threads",
        StateType::I64,
        &[("comm", StateType::Str), ("pid", StateType::I64)],
    )
    .unwrap();
    threads
        .set(StateValue::I64(42), "comm", StateValue::Str("bash"))
        .unwrap();
    threads.set(StateValue::I64(42), "pid", StateValue::I64(40)).unwrap();
    let infos = vec![ffi::ss_plugin_table_info {
        name: c"threads".as_ptr(),
        key_type: ffi::SS_PLUGIN_ST_INT64,
    }];
    Box::new(FakeHost {
        threads,
        infos,
        last_error: Mutex::new(CString::default()),
        added: Mutex::new(Vec::new()),
    })
}

struct Vtables {
    reader: ffi::ss_plugin_table_reader_vtable_ext,
    writer: ffi::ss_plugin_table_writer_vtable_ext,
    fields: ffi::ss_plugin_table_fields_vtable_ext,
}

fn init_input(v: &mut Vtables) -> ffi::ss_plugin_init_tables_input {
    ffi::ss_plugin_init_tables_input {
        list_tables: Some(list_tables),
        get_table: Some(get_table),
        add_table: Some(add_table),
        fields: v.fields,
        fields_ext: &mut v.fields,
        reader_ext: &mut v.reader,
        writer_ext: &mut v.writer,
    }
}

#[test]
fn plugin_reads_and_writes_the_hosts_threads_table() {
    let host = fake_host();
    let owner = (&*host as *const FakeHost).cast_mut().cast();
    let mut v = Vtables {
        reader: owned::vtables::READER,
        writer: owned::vtables::WRITER,
        fields: owned::vtables::FIELDS,
    };
    let input = init_input(&mut v);
    // SAFETY: input, vtables and host outlive `tables`.
    let tables = unsafe { InitTables::from_raw(&input, owner, Some(owner_error)) };

    assert_eq!(
        tables.list_tables().unwrap(),
        vec![("threads".to_owned(), StateType::I64)]
    );
    let err = tables.get_table("containers", StateType::Str).unwrap_err();
    assert_eq!(
        err.to_string(),
        "host has no table \"containers\" with key type string: no table \"containers\" with key type 9"
    );

    let threads = tables.get_table("threads", StateType::I64).unwrap();
    let comm = tables.get_field(&threads, "comm", StateType::Str).unwrap();
    assert!(matches!(
        tables.get_field(&threads, "comm", StateType::U64),
        Err(TableError::NoSuchField { .. })
    ));
    let container_id = tables.add_field(&threads, "container_id", StateType::Str).unwrap();

    let reader = tables.reader();
    let writer = tables.writer();
    assert_eq!(reader.size(&threads).unwrap(), 1);
    let entry = reader
        .entry(&threads, StateValue::I64(42))
        .unwrap()
        .expect("tid 42 exists");
    assert_eq!(reader.read(&threads, &entry, &comm).unwrap(), StateValue::Str("bash"));
    assert_eq!(
        reader.read(&threads, &entry, &container_id).unwrap(),
        StateValue::Str("")
    );
    writer
        .write(&threads, &entry, &container_id, StateValue::Str("c0ffee"))
        .unwrap();
    assert_eq!(
        reader.read(&threads, &entry, &container_id).unwrap(),
        StateValue::Str("c0ffee")
    );
    let err = writer
        .write(&threads, &entry, &container_id, StateValue::U64(1))
        .unwrap_err();
    assert!(
        matches!(
            err,
            TableError::TypeMismatch {
                expected: StateType::Str,
                found: StateType::U64,
                ..
            }
        ),
        "{err}"
    );
    drop(entry);
    // The host sees the plugin's write.
    assert_eq!(
        host.threads.get(StateValue::I64(42), "container_id").unwrap(),
        Some(TableValue::Str("c0ffee".into()))
    );

    assert!(reader.entry(&threads, StateValue::I64(7)).unwrap().is_none());
    assert!(matches!(
        reader.entry(&threads, StateValue::U64(42)),
        Err(TableError::TypeMismatch { .. })
    ));

    let fresh = writer.create_entry(&threads).unwrap();
    writer
        .write_detached(&threads, &fresh, &comm, StateValue::Str("sh"))
        .unwrap();
    let added = writer.add_entry(&threads, StateValue::I64(7), fresh).unwrap();
    assert_eq!(reader.read(&threads, &added, &comm).unwrap(), StateValue::Str("sh"));
    drop(added);
    assert_eq!(reader.size(&threads).unwrap(), 2);
    writer.erase(&threads, StateValue::I64(7)).unwrap();
    assert_eq!(reader.size(&threads).unwrap(), 1);
    assert!(writer.erase(&threads, StateValue::I64(7)).is_err());
}

#[test]
fn plugin_owned_table_is_usable_by_the_host_through_add_table() {
    let host = fake_host();
    let owner = (&*host as *const FakeHost).cast_mut().cast();
    let mut v = Vtables {
        reader: owned::vtables::READER,
        writer: owned::vtables::WRITER,
        fields: owned::vtables::FIELDS,
    };
    let input = init_input(&mut v);
    // SAFETY: input, vtables and host outlive `tables`.
    let tables = unsafe { InitTables::from_raw(&input, owner, Some(owner_error)) };

    let sessions = OwnedTable::new("sessions", StateType::Str, &[("hits", StateType::U64)]).unwrap();
    sessions
        .set(StateValue::Str("alice"), "hits", StateValue::U64(5))
        .unwrap();
    sessions
        .set(StateValue::Str("bob"), "hits", StateValue::U64(1))
        .unwrap();
    tables.add_table(&sessions).unwrap();

    let t = host.added.lock().unwrap()[0];
    // The host uses only what it copied: name, table pointer, function pointers.
    // SAFETY: the following calls go through the plugin's vtables with its table handle,
    // exactly as another plugin's calls would through the host.
    unsafe {
        assert_eq!(CStr::from_ptr(t.name), c"sessions");
        assert_eq!(CStr::from_ptr(t.reader.get_table_name.unwrap()(t.table)), c"sessions");
        assert_eq!(t.reader.get_table_size.unwrap()(t.table), 2);
        let mut n = 0;
        let infos = t.fields.list_table_fields.unwrap()(t.table, &mut n);
        assert_eq!(n, 1);
        assert_eq!(CStr::from_ptr((*infos).name), c"hits");
        let hits = t.fields.get_table_field.unwrap()(t.table, c"hits".as_ptr(), ffi::SS_PLUGIN_ST_UINT64);
        assert!(!hits.is_null());
        assert!(t.fields.get_table_field.unwrap()(t.table, c"hits".as_ptr(), ffi::SS_PLUGIN_ST_STRING).is_null());
        let key = ss_plugin_state_data {
            str_: c"alice".as_ptr(),
        };
        let e = t.reader.get_table_entry.unwrap()(t.table, &key);
        assert!(!e.is_null());
        let mut out = ss_plugin_state_data { u64_: 0 };
        assert_eq!(
            t.reader.read_entry_field.unwrap()(t.table, e, hits, &mut out),
            ffi::SS_PLUGIN_SUCCESS
        );
        assert_eq!(out.u64_, 5);
        // Another plugin adds a dynamic field and writes it.
        let note = t.fields.add_table_field.unwrap()(t.table, c"note".as_ptr(), ffi::SS_PLUGIN_ST_STRING);
        let text = ss_plugin_state_data { str_: c"vip".as_ptr() };
        assert_eq!(
            t.writer.write_entry_field.unwrap()(t.table, e, note, &text),
            ffi::SS_PLUGIN_SUCCESS
        );
        t.reader.release_table_entry.unwrap()(t.table, e);

        unsafe extern "C" fn count(
            s: *mut ffi::ss_plugin_table_iterator_state_t,
            _e: *mut ss_plugin_table_entry_t,
        ) -> u32 {
            // SAFETY: the state is the test's counter.
            unsafe { *s.cast::<u32>() += 1 };
            1
        }
        let mut seen = 0u32;
        assert_eq!(
            t.reader.iterate_entries.unwrap()(t.table, Some(count), (&mut seen as *mut u32).cast()),
            1
        );
        assert_eq!(seen, 2);

        let missing = ss_plugin_state_data {
            str_: c"carol".as_ptr(),
        };
        assert!(t.reader.get_table_entry.unwrap()(t.table, &missing).is_null());
        assert_eq!(
            t.writer.erase_table_entry.unwrap()(t.table, &missing),
            ffi::SS_PLUGIN_FAILURE
        );
    }
    // The plugin sees the host-side write through its Rust API.
    assert_eq!(
        sessions.get(StateValue::Str("alice"), "note").unwrap(),
        Some(TableValue::Str("vip".into()))
    );
    assert_eq!(
        sessions.get(StateValue::Str("alice"), "hits").unwrap(),
        Some(TableValue::UInt(5))
    );
    assert!(sessions.remove(StateValue::Str("bob")).unwrap());
    assert_eq!(sessions.len(), 1);
}

#[test]
fn missing_vtables_give_actionable_errors() {
    let reader = TableReader::none();
    let t = Table {
        raw: std::ptr::null_mut(),
        name: "threads".into(),
        key_type: StateType::I64,
    };
    let err = reader.size(&t).unwrap_err();
    assert!(
        err.to_string().contains("the host offered no table reader vtable"),
        "{err}"
    );
    assert!(OwnedTable::new("x", StateType::Table, &[]).is_err());
    assert!(matches!(
        OwnedTable::new("a\0b", StateType::I64, &[]),
        Err(TableError::Nul(_))
    ));
}

/// What the iteration test's callback needs: the vtable and field to read, and what it saw.
struct Visit {
    table: *mut ss_plugin_table_t,
    read: unsafe extern "C" fn(
        *mut ss_plugin_table_t,
        *mut ss_plugin_table_entry_t,
        *const ss_plugin_table_field_t,
        *mut ss_plugin_state_data,
    ) -> ffi::ss_plugin_rc,
    tid: *mut ss_plugin_table_field_t,
    seen: Vec<i64>,
}

#[test]
fn owned_table_reads_each_type_and_defaults_and_iterates_in_key_order() {
    let table = OwnedTable::new(
        "threads",
        StateType::I64,
        &[
            ("tid", StateType::I64),
            ("nice", StateType::I8),
            ("port", StateType::U16),
            ("alive", StateType::Bool),
            ("comm", StateType::Str),
        ],
    )
    .unwrap();
    for tid in [300, -2, 7, 1 << 40, 0] {
        table.set(StateValue::I64(tid), "tid", StateValue::I64(tid)).unwrap();
    }
    table.set(StateValue::I64(7), "nice", StateValue::I8(-5)).unwrap();
    table.set(StateValue::I64(7), "port", StateValue::U16(65535)).unwrap();
    table.set(StateValue::I64(7), "alive", StateValue::Bool(true)).unwrap();
    table.set(StateValue::I64(7), "comm", StateValue::Str("bash")).unwrap();
    let (r, f) = (owned::vtables::READER, owned::vtables::FIELDS);
    let t = table.raw();
    // SAFETY: the calls go through the table's own vtables with its handle, as the host's do.
    unsafe {
        let field = |name: &CStr, ty| f.get_table_field.unwrap()(t, name.as_ptr(), ty);
        let (nice, port, alive, comm) = (
            field(c"nice", ffi::SS_PLUGIN_ST_INT8),
            field(c"port", ffi::SS_PLUGIN_ST_UINT16),
            field(c"alive", ffi::SS_PLUGIN_ST_BOOL),
            field(c"comm", ffi::SS_PLUGIN_ST_STRING),
        );
        // A field another plugin adds after the entries exist.
        let note = f.add_table_field.unwrap()(t, c"note".as_ptr(), ffi::SS_PLUGIN_ST_STRING);
        let read = r.read_entry_field.unwrap();
        let get = r.get_table_entry.unwrap();
        let e = get(t, &ss_plugin_state_data { s64: 7 });
        let mut out = ss_plugin_state_data { u64_: u64::MAX };
        assert_eq!(read(t, e, nice, &mut out), ffi::SS_PLUGIN_SUCCESS);
        assert_eq!(out.s8, -5);
        assert_eq!(read(t, e, port, &mut out), ffi::SS_PLUGIN_SUCCESS);
        assert_eq!(out.u16_, 65535);
        assert_eq!(read(t, e, alive, &mut out), ffi::SS_PLUGIN_SUCCESS);
        assert_eq!(out.b, 1);
        assert_eq!(read(t, e, comm, &mut out), ffi::SS_PLUGIN_SUCCESS);
        assert_eq!(CStr::from_ptr(out.str_), c"bash");
        assert_eq!(read(t, e, note, &mut out), ffi::SS_PLUGIN_SUCCESS);
        assert_eq!(CStr::from_ptr(out.str_), c"");
        assert_eq!(read(t, e, 99 as *const _, &mut out), ffi::SS_PLUGIN_FAILURE);
        r.release_table_entry.unwrap()(t, e);
        // Never-written fields read as their type's zero.
        let e = get(t, &ss_plugin_state_data { s64: 300 });
        let mut out = ss_plugin_state_data { u64_: u64::MAX };
        assert_eq!(read(t, e, nice, &mut out), ffi::SS_PLUGIN_SUCCESS);
        assert_eq!(out.u64_, 0);
        assert_eq!(read(t, e, comm, &mut out), ffi::SS_PLUGIN_SUCCESS);
        assert_eq!(CStr::from_ptr(out.str_), c"");
        r.release_table_entry.unwrap()(t, e);
        assert!(get(t, &ss_plugin_state_data { s64: 8 }).is_null());

        unsafe extern "C" fn visit(
            s: *mut ffi::ss_plugin_table_iterator_state_t,
            e: *mut ss_plugin_table_entry_t,
        ) -> u32 {
            // SAFETY: the state is the test's Visit.
            let v = unsafe { &mut *s.cast::<Visit>() };
            let mut out = ss_plugin_state_data { s64: 0 };
            // SAFETY: reading a live entry of the table being iterated.
            assert_eq!(unsafe { (v.read)(v.table, e, v.tid, &mut out) }, ffi::SS_PLUGIN_SUCCESS);
            // SAFETY: `tid` is an INT64 field.
            v.seen.push(unsafe { out.s64 });
            1
        }
        let mut v = Visit {
            table: t,
            read,
            tid: field(c"tid", ffi::SS_PLUGIN_ST_INT64),
            seen: Vec::new(),
        };
        assert_eq!(
            r.iterate_entries.unwrap()(t, Some(visit), (&mut v as *mut Visit).cast()),
            1
        );
        assert_eq!(v.seen, [-2, 0, 7, 300, 1 << 40]);
    }
    assert_eq!(
        table.get(StateValue::I64(7), "alive").unwrap(),
        Some(TableValue::Bool(true))
    );
    assert_eq!(
        table.get(StateValue::I64(7), "nice").unwrap(),
        Some(TableValue::Int(-5))
    );
    assert_eq!(table.get(StateValue::I64(8), "nice").unwrap(), None);
}

#[test]
fn set_fields_writes_like_set_and_leaves_equal_values_in_place() {
    let fields = [
        ("tid", StateType::I64),
        ("uid", StateType::U32),
        ("alive", StateType::Bool),
        ("comm", StateType::Str),
    ];
    let table = OwnedTable::new("threads", StateType::I64, &fields).unwrap();
    let ids: Vec<OwnedFieldId> = fields.iter().map(|&(n, ty)| table.field_id(n, ty).unwrap()).collect();
    assert!(table.field_id("uid", StateType::U64).is_err());
    assert!(table.field_id("nope", StateType::U64).is_err());
    let key = StateValue::I64(9);
    let row = |uid, comm| {
        [
            (ids[0], StateValue::I64(9)),
            (ids[1], StateValue::U32(uid)),
            (ids[2], StateValue::Bool(true)),
            (ids[3], StateValue::Str(comm)),
        ]
    };
    table.set_fields(key, &row(0, "bash")).unwrap();
    assert_eq!(table.get(key, "comm").unwrap(), Some(TableValue::Str("bash".into())));
    assert_eq!(table.get(key, "alive").unwrap(), Some(TableValue::Bool(true)));
    let t = table.raw();
    // SAFETY: the table's own vtables with its handle, as the host calls them.
    let comm_ptr = || unsafe {
        let comm = owned::vtables::FIELDS.get_table_field.unwrap()(t, c"comm".as_ptr(), ffi::SS_PLUGIN_ST_STRING);
        let e = owned::vtables::READER.get_table_entry.unwrap()(t, &ss_plugin_state_data { s64: 9 });
        let mut out = ss_plugin_state_data { u64_: 0 };
        owned::vtables::READER.read_entry_field.unwrap()(t, e, comm, &mut out);
        owned::vtables::READER.release_table_entry.unwrap()(t, e);
        out.str_
    };
    let before = comm_ptr();
    // Unchanged text keeps its copy; a changed number is written.
    table.set_fields(key, &row(1000, "bash")).unwrap();
    assert_eq!(comm_ptr(), before);
    assert_eq!(table.get(key, "uid").unwrap(), Some(TableValue::UInt(1000)));
    table.set_fields(key, &row(1000, "sh")).unwrap();
    assert_eq!(table.get(key, "comm").unwrap(), Some(TableValue::Str("sh".into())));
    // Stops at the first bad value, as a sequence of `set` calls does: earlier fields are set.
    let bad = [
        (ids[1], StateValue::U32(5)),
        (ids[3], StateValue::Str("a\0b")),
        (ids[1], StateValue::U32(6)),
    ];
    assert!(matches!(table.set_fields(key, &bad), Err(TableError::Nul(_))));
    assert_eq!(table.get(key, "uid").unwrap(), Some(TableValue::UInt(5)));
    let wrong_type = [(ids[1], StateValue::U64(5))];
    assert!(matches!(
        table.set_fields(key, &wrong_type),
        Err(TableError::TypeMismatch { .. })
    ));
    assert_eq!(table.len(), 1);
}
