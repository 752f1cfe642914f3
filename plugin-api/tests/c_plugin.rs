//! Builds `examples/plugins/c/countgen.c` against `include/plugin_api.h` with `cc` and drives
//! it through the ABI like a host: static getters, fields JSON, batches, extraction.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use plugin_api::event::{EventRef, PluginEvent};
use plugin_api::ffi::*;
use support::{countgen_expected, num_of, requests, with_args, LoadedPlugin, Request, Value};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Builds the C plugin once per test binary.
fn so_path() -> &'static PathBuf {
    static SO: OnceLock<PathBuf> = OnceLock::new();
    SO.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("c_plugin");
        std::fs::create_dir_all(&dir).unwrap();
        let so = dir.join("libcountgen.so");
        let root = repo_root();
        let out = Command::new("cc")
            .args([
                "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", "-std=c11", "-I",
            ])
            .arg(root.join("plugin-api/include"))
            .arg("-o")
            .arg(&so)
            .arg(root.join("examples/plugins/c/countgen.c"))
            .output()
            .expect("`cc` not found: install a C compiler (apt-get install gcc)");
        assert!(
            out.status.success(),
            "countgen.c failed to build:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        so
    })
}

fn plugin() -> LoadedPlugin {
    LoadedPlugin::load(so_path())
}

#[test]
fn static_getters_and_fields_json() {
    let p = plugin();
    assert_eq!(p.get_str("plugin_get_name"), "countgen");
    assert_eq!(p.get_str("plugin_get_required_api_version"), "3.12.0");
    assert_eq!(p.get_str("plugin_get_event_source"), "countgen");
    let fields = support::fields_of(&p);
    let names: Vec<&str> = fields.iter().map(|f| f.1.as_str()).collect();
    assert_eq!(
        names,
        [
            "countgen.num",
            "countgen.str",
            "countgen.even",
            "countgen.reltime",
            "countgen.abstime",
            "countgen.ip",
            "countgen.net",
            "countgen.list",
            "countgen.byindex",
            "countgen.bykey"
        ]
    );
    let types: Vec<u32> = fields.iter().map(|f| f.2).collect();
    assert_eq!(
        types,
        [
            FTYPE_UINT64,
            FTYPE_STRING,
            FTYPE_BOOL,
            FTYPE_RELTIME,
            FTYPE_ABSTIME,
            FTYPE_IPADDR,
            FTYPE_IPNET,
            FTYPE_STRING,
            FTYPE_UINT64,
            FTYPE_STRING
        ]
    );
    assert!(fields[7].3, "countgen.list is a list");
    assert_eq!(fields[9].4["arg"]["isRequired"], true);
    // A C plugin has no Saker manifest.
    let bytes = std::fs::read(so_path()).unwrap();
    assert_eq!(plugin_api::manifest::read_manifest(&bytes).unwrap(), None);
}

#[test]
fn one_batch_then_eof_with_valid_plugin_events() {
    let p = plugin();
    let (s, rc) = p.init("");
    assert_eq!(rc, SS_PLUGIN_SUCCESS);
    let h = p.open(s, "5").unwrap();
    let (rc, evs) = p.next_batch(s, h);
    assert_eq!(rc, SS_PLUGIN_SUCCESS);
    assert_eq!(evs.len(), 5);
    for (i, ev) in evs.iter().enumerate() {
        let r = EventRef::parse_any(ev).unwrap();
        assert_eq!(PluginEvent::parse(&r).unwrap().plugin_id, 999);
        assert_eq!(num_of(ev), i as u64 + 1);
    }
    assert_eq!(p.next_batch(s, h), (SS_PLUGIN_EOF, vec![]));
    p.close(s, h);
    let err = p.open(s, "five").unwrap_err();
    assert_eq!(err, "open_params should be a number of events, found \"five\"");
    p.destroy(s);

    let (s, rc) = p.init(r#"{"start": "x"}"#);
    assert_eq!(rc, SS_PLUGIN_FAILURE);
    assert!(
        p.last_error(s).contains("\"start\" should be a non-negative integer"),
        "{}",
        p.last_error(s)
    );
    p.destroy(s);
}

#[test]
fn extracts_every_field_type_singly_and_three_per_call() {
    let p = plugin();
    let (s, _) = p.init(r#"{"start": 300}"#);
    let h = p.open(s, "4").unwrap();
    let (_, evs) = p.all_events(s, h);
    p.close(s, h);
    assert_eq!(evs.len(), 4);
    let all = with_args(requests(&p));
    for ev in &evs {
        let n = num_of(ev);
        let want = countgen_expected(n, EventRef::parse_any(ev).unwrap().ts());
        for (i, req) in all.iter().enumerate() {
            let (rc, vals) = p.extract(s, ev, 1, std::slice::from_ref(req));
            assert_eq!(rc, SS_PLUGIN_SUCCESS, "{:?}", req.name);
            assert_eq!(vals[0], want[i], "field {:?} of event {n}", req.name);
        }
        let three: Vec<Request> = [7, 6, 2].iter().map(|&i| all[i].clone()).collect();
        let (rc, vals) = p.extract(s, ev, 1, &three);
        assert_eq!(rc, SS_PLUGIN_SUCCESS);
        assert_eq!(vals, vec![want[7].clone(), want[6].clone(), want[2].clone()]);
    }
    let (rc, vals) = p.extract(s, &evs[0], 1, &[Request::new(9, "countgen.bykey", FTYPE_STRING, false)]);
    assert_eq!((rc, vals), (SS_PLUGIN_FAILURE, vec![Vec::<Value>::new()]));
    assert!(p.last_error(s).contains("needs a key argument"));
    p.destroy(s);
}
