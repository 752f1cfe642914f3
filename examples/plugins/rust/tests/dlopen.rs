//! Loads the built `libcountgen_rs.so` like a host does and drives every exported capability.

#[path = "../../../../plugin-api/tests/support/mod.rs"]
mod support;

use std::ffi::CString;
use std::path::PathBuf;

use plugin_api::event::{EventRef, PluginEvent};
use plugin_api::ffi::*;
use support::{num_of, requests, with_args, LoadedPlugin, Request, Value};

fn so_path() -> PathBuf {
    support::built_so("libcountgen_rs.so")
}

fn plugin() -> LoadedPlugin {
    LoadedPlugin::load(&so_path())
}

/// Events of a fresh instance with `params`.
fn events(p: &LoadedPlugin, config: &str, params: &str) -> Vec<Vec<u8>> {
    let (s, rc) = p.init(config);
    assert_eq!(rc, SS_PLUGIN_SUCCESS, "{}", p.last_error(s));
    let h = p.open(s, params).unwrap();
    let (rc, evs) = p.all_events(s, h);
    assert_eq!(rc, SS_PLUGIN_EOF);
    p.close(s, h);
    p.destroy(s);
    evs
}

#[test]
fn exports_every_symbol_of_its_capabilities() {
    let p = plugin();
    for sym in [
        "plugin_get_required_api_version",
        "plugin_get_version",
        "plugin_get_name",
        "plugin_get_description",
        "plugin_get_contact",
        "plugin_get_init_schema",
        "plugin_init",
        "plugin_destroy",
        "plugin_get_last_error",
        "plugin_set_config",
        "plugin_get_metrics",
        "plugin_get_id",
        "plugin_get_event_source",
        "plugin_open",
        "plugin_close",
        "plugin_next_batch",
        "plugin_get_progress",
        "plugin_event_to_string",
        "plugin_list_open_params",
        "plugin_get_fields",
        "plugin_extract_fields",
        "plugin_get_extract_event_sources",
        "plugin_get_extract_event_types",
        "plugin_parse_event",
        "plugin_get_parse_event_types",
        "plugin_get_parse_event_sources",
        "saker_plugin_manifest",
        "plugin_get_required_event_schema_version",
    ] {
        assert!(p.has(sym), "missing {sym}");
    }
    assert!(!p.has("plugin_set_async_event_handler"));
    assert!(!p.has("plugin_capture_open"));
    assert_eq!(p.get_str("plugin_get_name"), "countgen_rs");
    assert_eq!(p.get_str("plugin_get_required_api_version"), "3.12.0");
    assert_eq!(p.get_str("plugin_get_version"), "0.1.0");
    assert_eq!(p.get_str("plugin_get_event_source"), "countgen");
    assert_eq!(p.get_str("plugin_get_extract_event_sources"), "[]");
    let schema: symbols::get_required_event_schema_version = p.sym("plugin_get_required_event_schema_version");
    // SAFETY: ABI getter; NULL means "3.0.0" to the host.
    assert!(unsafe { schema(std::ptr::null_mut()) }.is_null());
    // SAFETY: ABI getter.
    let id = unsafe { p.lib.get::<symbols::get_id>(b"plugin_get_id").unwrap()() };
    assert_eq!(id, 999);
    let mut ty = 99u32;
    // SAFETY: ABI getter with a writable out param.
    let schema = unsafe {
        support::cstr(p
            .lib
            .get::<symbols::get_init_schema>(b"plugin_get_init_schema")
            .unwrap()(&mut ty))
    };
    assert_eq!(ty, SS_PLUGIN_SCHEMA_JSON);
    let schema: serde_json::Value = serde_json::from_str(&schema).unwrap();
    assert_eq!(schema["properties"]["start"]["type"], "integer");
    let mut n = 0u32;
    // SAFETY: ABI getter with a writable count.
    let types = unsafe {
        p.lib
            .get::<symbols::get_event_types>(b"plugin_get_extract_event_types")
            .unwrap()(&mut n, std::ptr::null_mut())
    };
    // SAFETY: the plugin returned `n` codes.
    assert_eq!(unsafe { std::slice::from_raw_parts(types, n as usize) }, &[322]);
}

#[test]
fn static_manifest_matches_get_fields_and_getters() {
    let p = plugin();
    let bytes = std::fs::read(so_path()).unwrap();
    let text = plugin_api::manifest::read_manifest(&bytes)
        .unwrap()
        .expect("no .saker_manifest section");
    let m: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(m["saker_manifest"], 1);
    assert_eq!(m["name"], "countgen_rs");
    assert_eq!(m["version"], "0.1.0");
    assert_eq!(m["required_api_version"], "3.12.0");
    assert_eq!(m["id"], 999);
    assert_eq!(m["event_source"], "countgen");
    assert_eq!(
        m["capabilities"],
        serde_json::json!(["sourcing", "extraction", "parsing"])
    );
    let fields: serde_json::Value = serde_json::from_str(&p.get_str("plugin_get_fields")).unwrap();
    assert_eq!(m["fields"], fields);
    assert_eq!(fields.as_array().unwrap().len(), 11);
    // Escaping: the description of countgen.str contains quotes.
    assert_eq!(fields[1]["desc"], "Event number as text, e.g. \"event-7\"");
    assert_eq!(
        fields[9]["arg"],
        serde_json::json!({"isRequired": true, "isIndex": false, "isKey": true})
    );
    assert_eq!(fields[9]["addOutput"], true);
    let schema = m["init_schema"].as_str().unwrap();
    let mut ty = 0;
    // SAFETY: ABI getter with a writable out param.
    let got = unsafe {
        support::cstr(p
            .lib
            .get::<symbols::get_init_schema>(b"plugin_get_init_schema")
            .unwrap()(&mut ty))
    };
    assert_eq!(schema, got);
    // The exported accessor returns the same text.
    let f: symbols::get_static_string = p.sym("saker_plugin_manifest");
    // SAFETY: returns the static manifest.
    assert_eq!(unsafe { support::cstr(f()) }, text);
}

#[test]
fn batches_deliver_numbered_events_then_eof() {
    let p = plugin();
    let (s, rc) = p.init("");
    assert_eq!(rc, SS_PLUGIN_SUCCESS);
    let h = p.open(s, "300").unwrap();
    let (rc, first) = p.next_batch(s, h);
    assert_eq!(rc, SS_PLUGIN_SUCCESS);
    assert_eq!(first.len(), 128);
    let mut pct = 0u32;
    // SAFETY: ABI call on a live instance.
    let text = unsafe {
        support::cstr(p.lib.get::<symbols::get_progress>(b"plugin_get_progress").unwrap()(
            s, h, &mut pct,
        ))
    };
    assert_eq!((pct, text.as_str()), (4266, "128/300"));
    let (rc, rest) = p.all_events(s, h);
    assert_eq!(rc, SS_PLUGIN_EOF);
    let all: Vec<_> = first.into_iter().chain(rest).collect();
    assert_eq!(all.len(), 300);
    for (i, ev) in all.iter().enumerate() {
        let r = EventRef::parse_any(ev).unwrap();
        let pe = PluginEvent::parse(&r).unwrap();
        assert_eq!(pe.plugin_id, 999);
        assert_eq!(r.tid(), u64::MAX);
        assert_eq!(num_of(ev), i as u64 + 1);
        assert_eq!(r.ts(), 1_700_000_000_000_000_000 + (i as u64 + 1) * 1000);
    }
    // Further calls keep saying EOF.
    assert_eq!(p.next_batch(s, h).0, SS_PLUGIN_EOF);
    p.close(s, h);
    p.destroy(s);

    assert_eq!(events(&plugin(), "", "").len(), 10, "default count");
    let evs = events(&plugin(), r#"{"start": 100}"#, "2");
    assert_eq!(evs.iter().map(|e| num_of(e)).collect::<Vec<_>>(), vec![100, 101]);
}

fn expected(n: u64, ts: u64) -> Vec<Vec<Value>> {
    let mut v = support::countgen_expected(n, ts);
    v.push(vec![Value::U64(0)]); // countgen.parsed: nothing parsed by this state
    v
}

#[test]
fn extracts_every_field_type_one_field_per_call() {
    let p = plugin();
    let evs = events(&p, "", "6");
    let (s, _) = p.init("");
    for ev in &evs[4..6] {
        let n = num_of(ev);
        let ts = EventRef::parse_any(ev).unwrap().ts();
        let want = expected(n, ts);
        for (i, req) in with_args(requests(&p)).into_iter().enumerate() {
            let (rc, vals) = p.extract(s, ev, 1, std::slice::from_ref(&req));
            assert_eq!(rc, SS_PLUGIN_SUCCESS, "{:?}: {}", req.name, p.last_error(s));
            assert_eq!(vals[0], want[i], "field {:?} of event {n}", req.name);
        }
    }
    p.destroy(s);
}

#[test]
fn extracts_several_fields_in_one_call_without_clobbering() {
    let p = plugin();
    let evs = events(&p, "", "8");
    let (s, _) = p.init("");
    let all = with_args(requests(&p));
    for ev in &evs {
        let n = num_of(ev);
        let ts = EventRef::parse_any(ev).unwrap().ts();
        let want = expected(n, ts);
        // Three fields of different types in one call, then all eleven.
        let pick = [7usize, 0, 5];
        let reqs: Vec<Request> = pick.iter().map(|&i| all[i].clone()).collect();
        let (rc, vals) = p.extract(s, ev, 1, &reqs);
        assert_eq!(rc, SS_PLUGIN_SUCCESS);
        for (k, &i) in pick.iter().enumerate() {
            assert_eq!(vals[k], want[i]);
        }
        let (rc, vals) = p.extract(s, ev, 1, &all);
        assert_eq!(rc, SS_PLUGIN_SUCCESS);
        assert_eq!(vals, want);
    }
    p.destroy(s);
}

#[test]
fn missing_required_key_fails_the_field_only() {
    let p = plugin();
    let evs = events(&p, "", "1");
    let (s, _) = p.init("");
    let reqs = requests(&p);
    let bykey = Request::new(9, "countgen.bykey", FTYPE_STRING, false);
    let num = Request::new(0, "countgen.num", reqs[0].ftype, false);
    let (rc, vals) = p.extract(s, &evs[0], 1, &[num, bykey]);
    assert_eq!(rc, SS_PLUGIN_FAILURE);
    assert_eq!(vals, vec![vec![Value::U64(1)], vec![]]);
    assert!(
        p.last_error(s).contains("countgen.bykey needs a key argument"),
        "{}",
        p.last_error(s)
    );
    // Out-of-range field id.
    let (rc, _) = p.extract(s, &evs[0], 1, &[Request::new(42, "nope", FTYPE_UINT64, false)]);
    assert_eq!(rc, SS_PLUGIN_FAILURE);
    assert!(
        p.last_error(s).contains("field id 42 is out of range"),
        "{}",
        p.last_error(s)
    );
    p.destroy(s);
}

#[test]
fn panic_in_plugin_code_becomes_failure_with_message() {
    let p = plugin();
    let (s, rc) = p.init("");
    assert_eq!(rc, SS_PLUGIN_SUCCESS);
    let err = p.open(s, "panic").unwrap_err();
    assert_eq!(err, "plugin panicked: countgen_rs was asked to panic by open_params");
    // The state stays usable.
    let h = p.open(s, "3").unwrap();
    assert_eq!(p.all_events(s, h).1.len(), 3);
    p.close(s, h);
    let err = p.open(s, "many").unwrap_err();
    assert!(
        err.contains("open_params should be a number of events, found \"many\""),
        "{err}"
    );
    p.destroy(s);
}

#[test]
fn bad_init_config_fails_with_reason_and_state_can_be_destroyed() {
    let p = plugin();
    let (s, rc) = p.init(r#"{"start": "ten"}"#);
    assert_eq!(rc, SS_PLUGIN_FAILURE);
    assert!(!s.is_null());
    let err = p.last_error(s);
    assert!(err.contains("init_config is not the expected JSON"), "{err}");
    // Capability calls on a failed state fail politely.
    assert!(p.open(s, "1").unwrap_err().contains("not initialized"));
    p.destroy(s);
}

#[test]
fn parse_counts_events_seen_by_metric_and_field() {
    let p = plugin();
    let evs = events(&p, "", "5");
    let (s, _) = p.init("");
    let parse: symbols::parse_event = p.sym("plugin_parse_event");
    let mut reader = ss_plugin_table_reader_vtable_ext::default();
    let mut writer = ss_plugin_table_writer_vtable_ext::default();
    let input = ss_plugin_event_parse_input {
        owner: std::ptr::null_mut(),
        get_owner_last_error: None,
        table_reader: Default::default(),
        table_writer: Default::default(),
        table_reader_ext: &mut reader,
        table_writer_ext: &mut writer,
    };
    let src = CString::new("countgen").unwrap();
    for (i, ev) in evs.iter().enumerate() {
        let e = ss_plugin_event_input {
            evt: ev.as_ptr().cast(),
            evtnum: i as u64,
            evtsrc: src.as_ptr(),
        };
        // SAFETY: valid inputs for the call.
        assert_eq!(unsafe { parse(s, &e, &input) }, SS_PLUGIN_SUCCESS);
    }
    let (rc, vals) = p.extract(
        s,
        &evs[0],
        9,
        &[Request::new(10, "countgen.parsed", FTYPE_UINT64, false)],
    );
    assert_eq!(rc, SS_PLUGIN_SUCCESS);
    assert_eq!(vals, vec![vec![Value::U64(5)]]);
    let get_metrics: symbols::get_metrics = p.sym("plugin_get_metrics");
    let mut n = 0;
    // SAFETY: ABI call with a live state.
    let m = unsafe { get_metrics(s, &mut n) };
    assert_eq!(n, 1);
    // SAFETY: the plugin returned one metric.
    let m = unsafe { &*m };
    // SAFETY: name is a C string; value_type says u64.
    assert_eq!(unsafe { support::cstr(m.name) }, "parsed_events");
    assert_eq!(m.value_type, SS_PLUGIN_METRIC_VALUE_TYPE_U64);
    // SAFETY: value_type is U64.
    assert_eq!(unsafe { m.value.u64_ }, 5);
    p.destroy(s);
}

#[test]
fn event_to_string_and_open_params() {
    let p = plugin();
    let evs = events(&p, "", "5");
    let (s, _) = p.init("");
    let f: symbols::event_to_string = p.sym("plugin_event_to_string");
    let e = ss_plugin_event_input {
        evt: evs[4].as_ptr().cast(),
        evtnum: 1,
        evtsrc: c"countgen".as_ptr(),
    };
    // SAFETY: valid input.
    assert_eq!(unsafe { support::cstr(f(s, &e)) }, "num=5");
    let f: symbols::list_open_params = p.sym("plugin_list_open_params");
    let mut rc = -9;
    // SAFETY: live state, writable rc.
    let json = unsafe { support::cstr(f(s, &mut rc)) };
    assert_eq!(rc, SS_PLUGIN_SUCCESS);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v,
        serde_json::json!([{"value": "10", "desc": "number of events to generate"}])
    );
    assert!(support::LOGS
        .lock()
        .unwrap()
        .iter()
        .any(|m| m.contains("countgen_rs initialized")));
    p.destroy(s);
}
