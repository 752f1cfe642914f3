//! Loads the built `libjson.so` like a host and extracts one field per call.

#[path = "../../../plugin-api/tests/support/mod.rs"]
mod support;

use plugin_api::event::encode_plugin_event;
use plugin_api::ffi::*;
use support::{fields_of, LoadedPlugin, Request, Value};

fn plugin() -> LoadedPlugin {
    let dir = support::target_dir();
    for c in [dir.join("libjson.so"), dir.join("deps").join("libjson.so")] {
        if c.exists() {
            return LoadedPlugin::load(&c);
        }
    }
    panic!(
        "libjson.so not found under {}; run `cargo build -p json-plugin`",
        dir.display()
    );
}

fn event(ts: u64, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_plugin_event(ts, 1, data, &mut out).unwrap();
    out
}

#[test]
fn identity_and_fields() {
    let p = plugin();
    assert_eq!(p.get_str("plugin_get_name"), "json");
    assert_eq!(p.get_str("plugin_get_version"), "0.7.4");
    assert_eq!(p.get_str("plugin_get_required_api_version"), "3.12.0");
    assert!(!p.has("plugin_get_id"), "extractor only: no source symbols");
    let fields = fields_of(&p);
    let names: Vec<&str> = fields.iter().map(|f| f.1.as_str()).collect();
    assert_eq!(
        names,
        [
            "json.value",
            "json.obj",
            "json.rawtime",
            "jevt.value",
            "jevt.obj",
            "jevt.rawtime"
        ]
    );
    assert!(fields.iter().all(|f| f.2 == FTYPE_STRING && !f.3));
    assert_eq!(fields[0].4["arg"]["isRequired"], true);
    assert_eq!(fields[0].4["arg"]["isKey"], true);
}

#[test]
fn extracts_through_the_c_abi() {
    let p = plugin();
    // Falco's plugin ignores its init config, even when it is not JSON.
    let (s, rc) = p.init("not json");
    assert_eq!(rc, SS_PLUGIN_SUCCESS);
    let payload = br#"{"stage":"ResponseComplete","code":403,"list":[{"k":"v"}]}"#;
    let ev = event(1_700_000_000_123_456_789, payload);
    let one = |req: Request| {
        let (rc, vals) = p.extract(s, &ev, 1, &[req]);
        assert_eq!(rc, SS_PLUGIN_SUCCESS, "{}", p.last_error(s));
        vals.into_iter().next().unwrap()
    };
    let str_ = |v: &str| vec![Value::Str(v.to_owned())];
    assert_eq!(
        one(Request::new(0, "json.value", FTYPE_STRING, false).key("/stage")),
        str_("ResponseComplete")
    );
    assert_eq!(
        one(Request::new(3, "jevt.value", FTYPE_STRING, false).key("/code")),
        str_("403")
    );
    assert_eq!(
        one(Request::new(0, "json.value", FTYPE_STRING, false).key("/list/0")),
        str_(r#"{"k":"v"}"#)
    );
    assert_eq!(
        one(Request::new(0, "json.value", FTYPE_STRING, false).key("/missing")),
        vec![]
    );
    assert_eq!(
        one(Request::new(2, "json.rawtime", FTYPE_STRING, false)),
        str_("1700000000123456789")
    );
    assert_eq!(
        one(Request::new(5, "jevt.rawtime", FTYPE_STRING, false)),
        str_("1700000000123456789")
    );
    assert_eq!(
        one(Request::new(1, "json.obj", FTYPE_STRING, false)),
        str_("{\n  \"stage\": \"ResponseComplete\",\n  \"code\": 403,\n  \"list\": [\n    {\n      \"k\": \"v\"\n    }\n  ]\n}")
    );
    // A non-JSON payload fails the call with a message naming the field.
    let bad = event(1, b"plain text");
    let (rc, _) = p.extract(
        s,
        &bad,
        2,
        &[Request::new(0, "json.value", FTYPE_STRING, false).key("/a")],
    );
    assert_eq!(rc, SS_PLUGIN_FAILURE);
    let err = p.last_error(s);
    assert!(
        err.contains("json.value") && err.contains("invalid json format"),
        "{err}"
    );
    p.destroy(s);
}
