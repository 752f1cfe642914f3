//! Open params over Falco's trace files: single files, directories, multi-line documents,
//! followed files, errors. Drives the plugin through the SDK traits.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::{trace_dir, trace_event};
use k8saudit::{AuditCapture, K8sAuditConfig, K8sAuditPlugin, OpenTarget};
use plugin_api::event::{EventRef, PluginEvent};
use plugin_api::sdk::{BatchEnd, EventBatch, SourceInstance};

fn plugin() -> K8sAuditPlugin {
    K8sAuditPlugin::with_config(K8sAuditConfig::default()).unwrap()
}

/// (timestamp, payload) of every event of a batch.
fn decode(batch: &EventBatch) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rest = batch.bytes();
    while !rest.is_empty() {
        let ev = EventRef::parse_any(rest).unwrap();
        let pe = PluginEvent::parse(&ev).unwrap();
        assert_eq!(pe.plugin_id, 1);
        out.push((ev.ts(), pe.data.to_vec()));
        rest = &rest[ev.as_bytes().len()..];
    }
    out
}

/// Reads a capture to its end; returns the events and the error that ended it, if any.
fn drain(p: &mut K8sAuditPlugin, cap: &mut AuditCapture) -> (Vec<(u64, Vec<u8>)>, Option<String>) {
    let mut all = Vec::new();
    let mut batch = EventBatch::new(1);
    for _ in 0..1000 {
        batch = EventBatch::new(1);
        match cap.next_batch(p, &mut batch) {
            Ok(BatchEnd::Eof) => {
                all.extend(decode(&batch));
                return (all, None);
            }
            Ok(_) => all.extend(decode(&batch)),
            Err(e) => {
                all.extend(decode(&batch));
                return (all, Some(e.to_string()));
            }
        }
    }
    let _ = batch;
    panic!("capture never ended");
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("k8saudit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn open(p: &K8sAuditPlugin, params: &str) -> AuditCapture {
    AuditCapture::open(p, params).unwrap_or_else(|e| panic!("{params}: {e}"))
}

#[test]
fn json_lines_file_gives_one_event_per_line_stamped_with_stage_timestamp() {
    let Some(dir) = trace_dir() else { return };
    let mut p = plugin();
    let path = dir.join("create_configmap_sensitive_values.json");
    let mut cap = open(&p, &format!("  {}  ", path.display()));
    let (events, err) = drain(&mut p, &mut cap);
    assert_eq!(err, None);
    assert_eq!(events.len(), 6);
    // 2018-10-26T09:51:20.717013Z
    assert_eq!(events[0].0, 1_540_547_480_717_013_000);
    let text = std::fs::read(&path).unwrap();
    let first_line = text.split(|&b| b == b'\n').next().unwrap();
    assert_eq!(events[0].1, first_line, "compact lines are passed through unchanged");
    assert!(events.windows(2).all(|w| w[0].0 <= w[1].0));
}

#[test]
fn directory_is_read_in_modification_time_order() {
    if trace_dir().is_none() {
        return;
    }
    let d = temp_dir("dir");
    let names = ["a.json", "b.json", "c.json"];
    let sources = [
        "create_configmap.json",
        "create_nginx_pod_privileged.json",
        "exec_pod.json",
    ];
    let now = std::time::SystemTime::now();
    for (i, (n, s)) in names.iter().zip(sources).enumerate() {
        let mut f = std::fs::File::create(d.join(n)).unwrap();
        f.write_all(&trace_event(s)).unwrap();
        f.write_all(b"\n").unwrap();
        // a.json newest, c.json oldest.
        f.set_modified(now - std::time::Duration::from_secs(10 * i as u64))
            .unwrap();
    }
    std::fs::create_dir(d.join("subdir-ignored")).unwrap();
    let mut p = plugin();
    let mut cap = open(&p, d.to_str().unwrap());
    let (events, err) = drain(&mut p, &mut cap);
    assert_eq!(err, None);
    let got: Vec<Vec<u8>> = events.into_iter().map(|e| e.1).collect();
    assert_eq!(
        got,
        [
            trace_event("exec_pod.json"),
            trace_event("create_nginx_pod_privileged.json"),
            trace_event("create_configmap.json")
        ]
    );
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn pretty_event_lists_and_arrays_are_split_and_compacted() {
    if trace_dir().is_none() {
        return;
    }
    let d = temp_dir("pretty");
    let a = String::from_utf8(trace_event("create_configmap.json")).unwrap();
    let b = String::from_utf8(trace_event("delete_secret.json")).unwrap();
    let pretty = format!(
        "{{\n  \"kind\": \"EventList\",\n  \"apiVersion\": \"audit.k8s.io/v1\",\n  \"items\": [\n    {a},\n    {b}\n  ]\n}}\n[{b}, {{\"kind\" : \"EventList\", \"items\": [ {a} ]}}]\n"
    );
    let path = d.join("list.json");
    std::fs::write(&path, pretty).unwrap();
    let mut p = plugin();
    let mut cap = open(&p, path.to_str().unwrap());
    let (events, err) = drain(&mut p, &mut cap);
    assert_eq!(err, None);
    let got: Vec<String> = events.iter().map(|e| String::from_utf8(e.1.clone()).unwrap()).collect();
    assert_eq!(got, [a.clone(), b.clone(), b, a]);
    // 2018-10-26T13:13:03.544952Z
    assert_eq!(events[0].0, 1_540_559_583_544_952_000);
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn non_audit_data_is_skipped_and_counted_and_the_capture_ends_normally() {
    let Some(dir) = trace_dir() else { return };
    let mut p = plugin();
    let path = dir.join("fal_01_003.json");
    let mut cap = open(&p, path.to_str().unwrap());
    let (events, err) = drain(&mut p, &mut cap);
    assert!(events.is_empty());
    assert_eq!(err, None, "Falco ends such a file normally (exit 0)");
    let metrics = plugin_api::sdk::Plugin::metrics(&mut p);
    let skipped = metrics.iter().find(|m| m.name == "events_skipped").expect("metric");
    assert!(
        matches!(skipped.value, plugin_api::sdk::MetricValue::U64(1)),
        "{:?}",
        skipped.value
    );
}

#[test]
fn events_before_a_bad_line_are_delivered_and_bad_events_skipped() {
    if trace_dir().is_none() {
        return;
    }
    let d = temp_dir("bad");
    let good = String::from_utf8(trace_event("create_configmap.json")).unwrap();
    let no_ts = good.replace("\"stageTimestamp\":", "\"stageTimestampX\":");
    let path = d.join("mixed.json");
    std::fs::write(
        &path,
        format!("{good}\n{no_ts}\n\n{good}\n{{\"auditID\": 1,}}\n{good}\n"),
    )
    .unwrap();
    let mut p = plugin();
    let mut cap = open(&p, path.to_str().unwrap());
    let (events, err) = drain(&mut p, &mut cap);
    assert_eq!(
        events.len(),
        2,
        "line 2 skipped (no stageTimestamp), line 6 never reached"
    );
    let err = err.unwrap();
    assert!(err.contains("mixed.json:5") && err.contains("invalid JSON"), "{err}");
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn oversized_events_are_skipped() {
    if trace_dir().is_none() {
        return;
    }
    let d = temp_dir("big");
    let small = trace_event("delete_secret.json");
    let big = trace_event("create_nginx_pod_privileged.json");
    let path = d.join("sizes.json");
    std::fs::write(&path, [big.as_slice(), b"\n", small.as_slice(), b"\n"].concat()).unwrap();
    let config: K8sAuditConfig = serde_json::from_str(r#"{"maxEventSize": 1000}"#).unwrap();
    let mut p = K8sAuditPlugin::with_config(config).unwrap();
    let mut cap = open(&p, path.to_str().unwrap());
    let (events, err) = drain(&mut p, &mut cap);
    assert_eq!(err, None);
    assert_eq!(events.iter().map(|e| e.1.clone()).collect::<Vec<_>>(), [small]);
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn followed_file_reads_appended_lines_and_survives_truncation() {
    if trace_dir().is_none() {
        return;
    }
    let d = temp_dir("follow");
    let path = d.join("audit.log");
    let old = trace_event("delete_secret.json");
    std::fs::write(&path, [old.as_slice(), b"\n"].concat()).unwrap();
    let mut p = plugin();
    let mut cap = open(&p, &format!("file://{}", path.display()));
    let mut batch = EventBatch::new(1);
    assert_eq!(
        cap.next_batch(&mut p, &mut batch).unwrap(),
        BatchEnd::Timeout,
        "existing lines are not read"
    );
    let new = trace_event("exec_pod.json");
    let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    // A line arriving in two writes is read once complete.
    f.write_all(&new[..100]).unwrap();
    let mut batch = EventBatch::new(1);
    assert_eq!(cap.next_batch(&mut p, &mut batch).unwrap(), BatchEnd::Timeout);
    f.write_all(&new[100..]).unwrap();
    f.write_all(b"\n").unwrap();
    let mut batch = EventBatch::new(1);
    assert_eq!(cap.next_batch(&mut p, &mut batch).unwrap(), BatchEnd::Success);
    assert_eq!(
        decode(&batch).into_iter().map(|e| e.1).collect::<Vec<_>>(),
        std::slice::from_ref(&new)
    );
    // copytruncate: the file starts over.
    let third = trace_event("create_configmap.json");
    std::fs::write(&path, [third.as_slice(), b"\n"].concat()).unwrap();
    let mut batch = EventBatch::new(1);
    assert_eq!(cap.next_batch(&mut p, &mut batch).unwrap(), BatchEnd::Success);
    assert_eq!(decode(&batch).into_iter().map(|e| e.1).collect::<Vec<_>>(), [third]);
    // Rotation: a new file at the same path is read from its start.
    std::fs::rename(&path, d.join("audit.log.1")).unwrap();
    std::fs::write(&path, [new.as_slice(), b"\n"].concat()).unwrap();
    let mut batch = EventBatch::new(1);
    assert_eq!(cap.next_batch(&mut p, &mut batch).unwrap(), BatchEnd::Success);
    assert_eq!(decode(&batch).into_iter().map(|e| e.1).collect::<Vec<_>>(), [new]);
    cap.close(&mut p);
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn open_params_forms_and_errors() {
    assert_eq!(
        OpenTarget::parse("http://:9765/k8s-audit").unwrap(),
        OpenTarget::Webhook {
            addr: "0.0.0.0:9765".parse().unwrap(),
            path: "/k8s-audit".into(),
            tls: false
        }
    );
    assert_eq!(
        OpenTarget::parse("https://127.0.0.1:443/audit").unwrap(),
        OpenTarget::Webhook {
            addr: "127.0.0.1:443".parse().unwrap(),
            path: "/audit".into(),
            tls: true
        }
    );
    assert_eq!(
        OpenTarget::parse("file:///var/log/audit.log").unwrap(),
        OpenTarget::Follow(PathBuf::from("/var/log/audit.log"))
    );
    assert_eq!(
        OpenTarget::parse(" ./x.json ").unwrap(),
        OpenTarget::Path(PathBuf::from("./x.json"))
    );
    let err = |p: &str| OpenTarget::parse(p).unwrap_err().to_string();
    assert!(err("").contains("open_params is empty"));
    assert_eq!(
        err("ftp://x/y"),
        "scheme \"ftp\" is not supported; use http, https, file, or a plain path"
    );
    assert!(err("http://:99999/x").contains("port"), "{}", err("http://:99999/x"));
    assert!(err("http://:9765").contains("no path"));
    let p = plugin();
    let e = AuditCapture::open(&p, "/nonexistent/audit.json")
        .err()
        .unwrap()
        .to_string();
    assert!(e.starts_with("cannot read /nonexistent/audit.json:"), "{e}");
    assert!(Path::new("/dev/null").exists());
    let e = AuditCapture::open(&p, "/dev/null").err().unwrap().to_string();
    assert_eq!(e, "/dev/null is neither a regular file nor a directory");
}

#[test]
fn init_config_defaults_extras_and_errors() {
    let c = K8sAuditConfig::default();
    assert_eq!(c.max_event_size, 262_144);
    assert_eq!(c.webhook_max_batch_size, 12 * 1024 * 1024);
    assert_eq!(c.ssl_certificate, PathBuf::from("/etc/falco/falco.pem"));
    let c: K8sAuditConfig = serde_json::from_str(
        r#"{"sslCertificate":"/c.pem","sslKey":"/k.pem","useAsync":false,"queueCapacity":5,"other":1}"#,
    )
    .unwrap();
    assert_eq!(c.ssl_key, Some(PathBuf::from("/k.pem")));
    assert_eq!(c.queue_capacity, 5);
    assert!(c.unknown.contains_key("other"));
    let zero: K8sAuditConfig = serde_json::from_str(r#"{"maxEventSize":0}"#).unwrap();
    assert_eq!(
        K8sAuditPlugin::with_config(zero).err().unwrap().to_string(),
        "invalid plugin config: init_config key `maxEventSize` must be at least 1, found 0"
    );
    assert!(serde_json::from_str::<K8sAuditConfig>(r#"{"maxEventSize":"big"}"#).is_err());
}
