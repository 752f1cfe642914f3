//! Loads the built `libk8saudit.so` like a host: identity, fields, open params, events read
//! from Falco's trace files and from the webhook, and every rule-relevant field extracted
//! through `plugin_extract_fields`, one field per call.

mod common;
#[path = "../../../plugin-api/tests/support/mod.rs"]
mod support;
mod webhook_support;

use std::net::TcpStream;

use common::{trace_dir, trace_event};
use plugin_api::ffi::*;
use support::{fields_of, payload, LoadedPlugin, Request, Value};

fn plugin() -> LoadedPlugin {
    let dir = support::target_dir();
    for c in [dir.join("libk8saudit.so"), dir.join("deps").join("libk8saudit.so")] {
        if c.exists() {
            return LoadedPlugin::load(&c);
        }
    }
    panic!(
        "libk8saudit.so not found under {}; run `cargo build -p k8saudit`",
        dir.display()
    );
}

/// Field id and list-ness by name, from the plugin's own get_fields JSON.
fn field(p: &LoadedPlugin, name: &str) -> (u32, bool) {
    let f = fields_of(p)
        .into_iter()
        .find(|f| f.1 == name)
        .unwrap_or_else(|| panic!("no {name}"));
    (f.0, f.3)
}

/// Extracts one field (alone in its call) and returns its string values.
fn one(p: &LoadedPlugin, s: *mut ss_plugin_t, ev: &[u8], evtnum: u64, name: &str, arg: Option<&str>) -> Vec<String> {
    let (id, list) = field(p, name);
    let mut req = Request::new(id, name, FTYPE_STRING, list);
    if let Some(a) = arg {
        req = match a.parse::<u64>() {
            Ok(i) => req.index(i),
            Err(_) => req.key(a),
        };
    }
    let (rc, vals) = p.extract(s, ev, evtnum, &[req]);
    assert_eq!(rc, SS_PLUGIN_SUCCESS, "{name}: {}", p.last_error(s));
    vals.into_iter()
        .next()
        .unwrap()
        .into_iter()
        .map(|v| match v {
            Value::Str(s) => s,
            other => panic!("{name}: not a string: {other:?}"),
        })
        .collect()
}

#[test]
fn identity_schema_and_fields() {
    let p = plugin();
    assert_eq!(p.get_str("plugin_get_name"), "k8saudit");
    assert_eq!(p.get_str("plugin_get_version"), "0.18.0");
    assert_eq!(p.get_str("plugin_get_event_source"), "k8s_audit");
    let get_id: symbols::get_id = p.sym("plugin_get_id");
    // SAFETY: ABI getter.
    assert_eq!(unsafe { get_id() }, 1);
    let fields = fields_of(&p);
    assert_eq!(fields.len(), 100);
    assert!(fields.iter().all(|f| f.2 == FTYPE_STRING));
    let by_name = |n: &str| fields.iter().find(|f| f.1 == n).unwrap().4.clone();
    assert_eq!(by_name("ka.uri.param")["arg"]["isKey"], true);
    assert_eq!(by_name("ka.uri.param")["arg"]["isRequired"], true);
    assert_eq!(by_name("ka.req.pod.containers.image")["arg"]["isIndex"], true);
    assert_eq!(by_name("ka.req.pod.containers.image")["isList"], true);
    // Empty init config: defaults; bad values: init fails naming the key.
    let (s, rc) = p.init("");
    assert_eq!(rc, SS_PLUGIN_SUCCESS);
    p.destroy(s);
    let (s, rc) = p.init(r#"{"maxEventSize": 0}"#);
    assert_eq!(rc, SS_PLUGIN_FAILURE);
    let _ = s;
}

#[test]
fn reads_trace_files_and_extracts_fields_through_the_c_abi() {
    let Some(dir) = trace_dir() else { return };
    let p = plugin();
    let (s, rc) = p.init("{}");
    assert_eq!(rc, SS_PLUGIN_SUCCESS);

    // list_open_params
    let list: symbols::list_open_params = p.sym("plugin_list_open_params");
    let mut lrc = -9;
    // SAFETY: state from init.
    let params = unsafe { std::ffi::CStr::from_ptr(list(s, &mut lrc)) }
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(lrc, SS_PLUGIN_SUCCESS);
    let params: serde_json::Value = serde_json::from_str(&params).unwrap();
    assert_eq!(params[0]["value"], "http://:9765/k8s-audit");

    let path = dir.join("create_nginx_pod_privileged.json");
    let h = p.open(s, path.to_str().unwrap()).unwrap();
    let (rc, events) = p.all_events(s, h);
    assert_eq!(rc, SS_PLUGIN_EOF);
    assert_eq!(events.len(), 1);
    let ev = &events[0];
    assert_eq!(payload(ev), trace_event("create_nginx_pod_privileged.json"));
    p.close(s, h);

    let f = |name: &str, arg: Option<&str>| one(&p, s, ev, 1, name, arg);
    assert_eq!(f("ka.verb", None), ["create"]);
    assert_eq!(f("ka.target.resource", None), ["pods"]);
    assert_eq!(f("ka.target.namespace", None), ["default"]);
    assert_eq!(
        f("ka.user.name", None),
        ["system:serviceaccount:kube-system:replicaset-controller"]
    );
    assert_eq!(f("ka.auth.decision", None), ["allow"]);
    assert_eq!(f("ka.response.code", None), ["201"]);
    assert_eq!(f("ka.resp.name", None), ["nginx-deployment-5cdcc99dbf-rgw6z"]);
    assert_eq!(f("ka.req.pod.containers.privileged", None), ["true"]);
    assert_eq!(f("ka.req.pod.containers.privileged", Some("0")), ["true"]);
    assert_eq!(f("ka.req.pod.containers.privileged", Some("1")), Vec::<String>::new());
    assert_eq!(f("ka.req.pod.containers.image", None), ["nginx"]);
    assert_eq!(f("ka.req.pod.containers.image.repository", None), ["nginx"]);
    assert_eq!(f("ka.req.pod.initContainers.privileged", None), Vec::<String>::new());
    assert_eq!(f("ka.user.groups", None).len(), 3);
    assert_eq!(f("ka.target.name", None), Vec::<String>::new());

    // exec: the query parameter the rules print.
    let h = p.open(s, dir.join("exec_pod.json").to_str().unwrap()).unwrap();
    let (_, events) = p.all_events(s, h);
    p.close(s, h);
    assert_eq!(one(&p, s, &events[0], 2, "ka.uri.param", Some("command")), ["bash"]);
    assert_eq!(one(&p, s, &events[0], 2, "ka.target.subresource", None), ["exec"]);

    // event_to_string: the JSON itself.
    let to_string: symbols::event_to_string = p.sym("plugin_event_to_string");
    let input = ss_plugin_event_input {
        evt: events[0].as_ptr().cast(),
        evtnum: 2,
        evtsrc: c"k8s_audit".as_ptr(),
    };
    // SAFETY: valid state and event input.
    let text = unsafe { std::ffi::CStr::from_ptr(to_string(s, &input)) }
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(text.as_bytes(), trace_event("exec_pod.json"));

    // Not audit data: skipped (and logged with Falco's message), the capture ends normally.
    let h = p.open(s, dir.join("fal_01_003.json").to_str().unwrap()).unwrap();
    let (rc, events) = p.all_events(s, h);
    assert_eq!(rc, SS_PLUGIN_EOF);
    assert!(events.is_empty());
    p.close(s, h);

    // Bad open params fail open with the reason.
    let e = p.open(s, "ftp://example/x").unwrap_err();
    assert!(e.contains("scheme \"ftp\" is not supported"), "{e}");
    p.destroy(s);
}

#[test]
fn webhook_events_reach_next_batch() {
    if trace_dir().is_none() {
        return;
    }
    let p = plugin();
    let (s, rc) = p.init("");
    assert_eq!(rc, SS_PLUGIN_SUCCESS);
    // A port that was free a moment ago.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let h = p.open(s, &format!("http://127.0.0.1:{port}/k8s-audit")).unwrap();
    let a = String::from_utf8(trace_event("create_configmap.json")).unwrap();
    let b = String::from_utf8(trace_event("exec_pod.json")).unwrap();
    let body = format!(r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{a}, {b}]}}"#);
    let mut conn = webhook_support::HttpConnection::new(TcpStream::connect(("127.0.0.1", port)).unwrap());
    let resp = conn.post_json("/k8s-audit", body.as_bytes()).unwrap();
    assert_eq!(resp.status, 200, "{}", resp.body);
    let mut got = Vec::new();
    for _ in 0..100 {
        let (rc, evs) = p.next_batch(s, h);
        assert!(
            rc == SS_PLUGIN_SUCCESS || rc == SS_PLUGIN_TIMEOUT,
            "rc {rc}: {}",
            p.last_error(s)
        );
        got.extend(evs);
        if got.len() >= 2 {
            break;
        }
    }
    assert_eq!(got.len(), 2);
    assert_eq!(payload(&got[0]), a.as_bytes());
    assert_eq!(payload(&got[1]), b.as_bytes());
    assert_eq!(one(&p, s, &got[1], 10, "ka.uri.param", Some("command")), ["bash"]);
    assert_eq!(one(&p, s, &got[0], 11, "ka.req.configmap.name", None), ["my-config"]);
    p.close(s, h);
    p.destroy(s);
}
