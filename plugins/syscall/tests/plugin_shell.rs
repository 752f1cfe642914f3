//! The plugin shell: replay through the SDK source trait, and the exported symbols of
//! `target/<profile>/libsyscall.so` loaded with dlopen.

mod common;

use std::ffi::{c_char, CStr};

use plugin_api::sdk::{BatchEnd, EventBatch, SourceInstance, SourcePlugin};
use syscall::plugin::{event_table_json, SyscallPlugin, MAX_BATCH_EVENTS};
use syscall::replay::replay_into_state;

#[test]
fn source_replays_every_capture_with_metadata_into_state() {
    for path in common::captures() {
        let mut plugin = SyscallPlugin::default();
        let mut inst = plugin.open(&format!("replay:{}", path.display())).unwrap();
        let mut n = 0u64;
        loop {
            let mut batch = EventBatch::new(0);
            let end = inst.next_batch(&mut plugin, &mut batch).unwrap();
            assert!(batch.len() <= MAX_BATCH_EVENTS);
            n += batch.len() as u64;
            if matches!(end, BatchEnd::Eof) {
                break;
            }
        }
        let (state, expected) = replay_into_state(&path).unwrap();
        assert_eq!(n, expected, "{}: events", path.display());
        assert_eq!(inst.get_progress(&mut plugin).unwrap().pct, 10_000);
        // The process list blocks reached the plugin's state before the events.
        let seeded = plugin.state.len();
        assert!(seeded > 0, "{}: process list seeded", path.display());
        assert!(!state.is_empty());
    }
}

#[test]
fn open_errors_name_the_problem() {
    let mut plugin = SyscallPlugin::default();
    let e = plugin.open("").err().unwrap().to_string();
    assert!(e.contains("replay:"), "{e}");
    let e = plugin.open("replay:/nonexistent/x.scap").err().unwrap().to_string();
    assert!(e.contains("/nonexistent/x.scap"), "{e}");
}

#[test]
fn event_table_json_lists_current_and_old_events() {
    let j = event_table_json();
    assert!(j.starts_with("{\"events\":["));
    assert!(j.contains("{\"code\":3,\"name\":\"open\",\"dir\":\"X\",\"old\":false}"));
    assert!(j.contains("{\"code\":16,\"name\":\"procexit\",\"dir\":\"E\",\"old\":true}"));
    let generic = &j[j.find("\"generic_syscalls\":[").unwrap()..];
    assert!(
        generic.contains("\"madvise\"") && !generic.contains("\"open\""),
        "{generic}"
    );
    assert!(j.ends_with("]}"));
}

#[test]
fn cdylib_exports_identity_and_event_table() {
    let Some(path) = common::cdylib() else {
        eprintln!("skipped: libsyscall.so not built");
        return;
    };
    // SAFETY: loading our own plugin library; its initializers have no side effects.
    let lib = unsafe { libloading::Library::new(&path) }.unwrap();
    let s = |name: &[u8]| -> String {
        // SAFETY: every symbol looked up here is `extern "C" fn() -> *const c_char` returning a
        // static NUL-terminated string.
        unsafe {
            let f: libloading::Symbol<unsafe extern "C" fn() -> *const c_char> = lib.get(name).unwrap();
            CStr::from_ptr(f()).to_string_lossy().into_owned()
        }
    };
    assert_eq!(s(b"plugin_get_name"), "syscall");
    assert_eq!(s(b"plugin_get_version"), "0.1.0");
    assert_eq!(s(b"plugin_get_event_source"), "");
    assert_eq!(s(b"saker_plugin_event_table"), event_table_json());
    // SAFETY: plugin_get_id is `extern "C" fn() -> u32`.
    let id = unsafe { lib.get::<unsafe extern "C" fn() -> u32>(b"plugin_get_id").unwrap()() };
    assert_eq!(id, 0);
}

#[test]
fn threads_table_mirrors_state_during_replay() {
    use plugin_api::sdk::tables::TableValue;
    use plugin_api::sdk::StateValue;
    use syscall::replay::{clone_meta, CaptureReplay};
    use syscall::threads_table::{new_threads_table, sync_threads_table};

    let Some(dir) = common::trace_dir() else { return };
    let table = new_threads_table().unwrap();
    let mut st = syscall::state::ThreadTable::new();
    let mut r = CaptureReplay::open(dir.join("cat_write.scap")).unwrap();
    let mut saw_cat = false;
    loop {
        let mut metas = Vec::new();
        let Some(ev) = r.next_event(|m| metas.push(clone_meta(m))).unwrap() else {
            break;
        };
        for m in metas.iter().flatten() {
            st.apply_capture_item(m);
        }
        st.parse_event(ev).unwrap();
        sync_threads_table(&mut st, &table).unwrap();
        assert_eq!(table.len(), st.len(), "table and state hold the same threads");
        if st.thread(20072).is_some_and(|t| t.comm == "cat") {
            let key = StateValue::I64(20072);
            assert_eq!(table.get(key, "comm").unwrap(), Some(TableValue::Str("cat".into())));
            assert_eq!(table.get(key, "pid").unwrap(), Some(TableValue::Int(20072)));
            let ptid = st.thread(20072).unwrap().ptid;
            assert_eq!(table.get(key, "ptid").unwrap(), Some(TableValue::Int(ptid)));
            saw_cat = true;
        }
    }
    assert!(saw_cat);
}
