//! json.* fields through the extractor API on the real payloads of Falco's test suite.

use json::{JsonFieldError, JsonFieldExtractor};

fn trace(rel: &str) -> Option<Vec<u8>> {
    let mut dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    loop {
        let c = dir.join("shared/conformance/falco-legacy/test/trace_files").join(rel);
        if c.is_file() {
            return Some(std::fs::read(c).unwrap());
        }
        if !dir.pop() {
            eprintln!("skipped: shared/conformance not found above CARGO_MANIFEST_DIR");
            return None;
        }
    }
}

/// The first line of a trace file (the audit event), without its newline.
fn first_line(rel: &str) -> Option<Vec<u8>> {
    let t = trace(rel)?;
    let end = t.iter().position(|&b| b == b'\n').unwrap_or(t.len());
    Some(t[..end].to_vec())
}

const VALUE: usize = 0;
const OBJ: usize = 1;
const RAWTIME: usize = 2;
const JEVT_VALUE: usize = 3;
const JEVT_OBJ: usize = 4;
const JEVT_RAWTIME: usize = 5;

fn get(x: &mut JsonFieldExtractor, evt: u64, payload: &[u8], field: usize, arg: Option<&str>) -> Vec<String> {
    let mut v = Vec::new();
    x.extract(evt, 7, payload, field, arg, &mut |s| v.push(s.to_owned()))
        .unwrap_or_else(|e| panic!("field {field}[{arg:?}]: {e}"));
    v
}

#[test]
fn json_value_pointers_on_a_k8s_audit_event() {
    let Some(p) = first_line("k8s_audit/create_nginx_pod_privileged.json") else {
        return;
    };
    let mut x = JsonFieldExtractor::new();
    for field in [VALUE, JEVT_VALUE] {
        assert_eq!(get(&mut x, 1, &p, field, Some("/stage")), ["ResponseComplete"]);
        // A leading slash is optional, as in Falco's plugin.
        assert_eq!(get(&mut x, 1, &p, field, Some("stage")), ["ResponseComplete"]);
        assert_eq!(get(&mut x, 1, &p, field, Some("/responseStatus/code")), ["201"]);
        assert_eq!(
            get(&mut x, 1, &p, field, Some("/responseStatus")),
            [r#"{"metadata":{},"code":201}"#]
        );
        assert_eq!(
            get(
                &mut x,
                1,
                &p,
                field,
                Some("/requestObject/spec/containers/0/securityContext/privileged")
            ),
            ["true"]
        );
        assert_eq!(
            get(&mut x, 1, &p, field, Some("/user/groups/1")),
            ["system:serviceaccounts:kube-system"]
        );
        assert_eq!(
            get(&mut x, 1, &p, field, Some("/requestObject/metadata/creationTimestamp")),
            ["null"]
        );
        // `~1` is `/` inside a key; escaped quotes are decoded.
        assert_eq!(
            get(
                &mut x,
                1,
                &p,
                field,
                Some("/annotations/authorization.k8s.io~1decision")
            ),
            ["allow"]
        );
        assert_eq!(
            get(&mut x, 1, &p, field, Some("/annotations/authorization.k8s.io~1reason")),
            [
                r#"RBAC: allowed by ClusterRoleBinding "system:controller:replicaset-controller" of ClusterRole "system:controller:replicaset-controller" to ServiceAccount "replicaset-controller/kube-system""#
            ]
        );
        // Missing steps: no value, no error.
        assert!(get(&mut x, 1, &p, field, Some("/nope")).is_empty());
        assert!(get(&mut x, 1, &p, field, Some("invalid_pointer")).is_empty());
        assert!(get(&mut x, 1, &p, field, Some("/user/groups/3")).is_empty());
        assert!(get(&mut x, 1, &p, field, Some("/stage/x")).is_empty());
        // Empty pointer: the whole document, compact (the file line is already compact).
        assert_eq!(
            get(&mut x, 1, &p, field, Some("")),
            [String::from_utf8(p.clone()).unwrap()]
        );
    }
}

#[test]
fn json_value_on_a_pretty_printed_cloudtrail_file() {
    let Some(p) = trace("plugins/alice_start_instances.json") else {
        return;
    };
    let mut x = JsonFieldExtractor::new();
    assert_eq!(
        get(&mut x, 9, &p, VALUE, Some("/Records/0/userIdentity/userName")),
        ["Alice"]
    );
    assert_eq!(
        get(&mut x, 9, &p, VALUE, Some("/Records/0/eventName")),
        ["StartInstances"]
    );
    assert_eq!(
        get(&mut x, 9, &p, VALUE, Some("/Records/0/requestParameters")),
        [r#"{"instancesSet":{"items":[{"instanceId":"i-ebeaf9e2"}]}}"#]
    );
}

#[test]
fn json_obj_is_go_json_indent_of_the_payload() {
    let mut x = JsonFieldExtractor::new();
    let p = br#"{"a":{"b":[1,"x"]},"c":{},"d":"e f"}"#;
    let expected = "{\n  \"a\": {\n    \"b\": [\n      1,\n      \"x\"\n    ]\n  },\n  \"c\": {},\n  \"d\": \"e f\"\n}";
    assert_eq!(get(&mut x, 1, p, OBJ, None), [expected]);
    assert_eq!(get(&mut x, 1, p, JEVT_OBJ, None), [expected]);
    let Some(p) = first_line("k8s_audit/create_nginx_pod_privileged.json") else {
        return;
    };
    let obj = get(&mut x, 2, &p, OBJ, None).remove(0);
    assert!(obj.starts_with("{\n  \"kind\": \"Event\",\n  \"apiVersion\": \"audit.k8s.io/v1beta1\",\n  \"metadata\": {\n    \"creationTimestamp\": \"2018-10-25T14:09:12Z\"\n  },"), "{obj}");
    assert!(obj.ends_with("  \"annotations\": {\n    \"authorization.k8s.io/decision\": \"allow\",\n    \"authorization.k8s.io/reason\": \"RBAC: allowed by ClusterRoleBinding \\\"system:controller:replicaset-controller\\\" of ClusterRole \\\"system:controller:replicaset-controller\\\" to ServiceAccount \\\"replicaset-controller/kube-system\\\"\"\n  }\n}"), "{obj}");
}

#[test]
fn json_rawtime_is_the_event_timestamp() {
    let mut x = JsonFieldExtractor::new();
    let mut v = Vec::new();
    x.extract(3, 1_540_476_552_581_541_000, b"{}", RAWTIME, None, &mut |s| {
        v.push(s.to_owned())
    })
    .unwrap();
    x.extract(3, 1_540_476_552_581_541_000, b"{}", JEVT_RAWTIME, None, &mut |s| {
        v.push(s.to_owned())
    })
    .unwrap();
    assert_eq!(v, ["1540476552581541000", "1540476552581541000"]);
}

#[test]
fn non_json_payloads_are_errors_naming_the_event() {
    let mut x = JsonFieldExtractor::new();
    let e = x.extract(5, 0, b"hello", VALUE, Some("/a"), &mut |_| {}).unwrap_err();
    assert!(matches!(e, JsonFieldError::NotJson { evt_num: 5, .. }));
    assert_eq!(
        e.to_string(),
        "invalid json format: event 5 payload starts with byte 0x68, expected '{' or '['"
    );
    let e = x
        .extract(6, 0, br#"{"a":"#, VALUE, Some("/a"), &mut |_| {})
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "event 6 payload is not valid JSON: JSON text ends at byte 5 inside a value (truncated or incomplete document)"
    );
    assert!(x.extract(7, 0, b"", OBJ, None, &mut |_| {}).is_err());
    assert!(matches!(
        x.extract(8, 0, b"{}", 6, None, &mut |_| {}),
        Err(JsonFieldError::UnknownField(6))
    ));
}

#[test]
fn cache_follows_the_event_number() {
    let mut x = JsonFieldExtractor::new();
    assert_eq!(get(&mut x, 1, br#"{"a":1}"#, VALUE, Some("/a")), ["1"]);
    assert_eq!(get(&mut x, 2, br#"{"a":22}"#, VALUE, Some("/a")), ["22"]);
    assert_eq!(get(&mut x, 3, br#"[{"a":"s"}]"#, VALUE, Some("/0/a")), ["s"]);
}

/// The first parse of an event records only its top: values read the same whichever pointer
/// comes first, and a payload broken deep inside is refused even for a top-level pointer.
#[test]
fn top_level_pointers_read_the_same_before_and_after_a_deep_one() {
    let event = br#"{"kind":"Event","stage":"ResponseComplete","user":{"username":"u","groups":["a","b"]},"list":[{"x":1}, 2],"n":5}"#;
    let pointers = [
        "/stage",
        "/user",
        "/list",
        "/n",
        "",
        "/user/groups/1",
        "/list/0/x",
        "/user/username",
    ];
    let expected: Vec<Vec<String>> = pointers
        .iter()
        .map(|p| get(&mut JsonFieldExtractor::new(), 1, event, VALUE, Some(p)))
        .collect();
    assert_eq!(expected[1], [r#"{"username":"u","groups":["a","b"]}"#]);
    assert_eq!(expected[2], [r#"[{"x":1},2]"#]);
    assert_eq!(expected[6], ["1"]);
    for first in pointers {
        let mut x = JsonFieldExtractor::new();
        get(&mut x, 1, event, VALUE, Some(first));
        for (p, want) in pointers.iter().zip(&expected) {
            assert_eq!(&get(&mut x, 1, event, VALUE, Some(p)), want, "{p} after {first}");
        }
    }
    let mut x = JsonFieldExtractor::new();
    for broken in [
        &br#"{"stage":"s","user":{"groups":["a",]}}"#[..],
        br#"{"stage":"s","user":{"u":"\q"}}"#,
    ] {
        for field in [VALUE, OBJ, RAWTIME] {
            let e = x.extract(9, 0, broken, field, Some("/stage"), &mut |_| {}).unwrap_err();
            assert!(matches!(e, JsonFieldError::Parse { evt_num: 9, .. }), "{e}");
        }
    }
}
