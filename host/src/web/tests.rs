use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::*;
use crate::engine::telemetry::{EngineTelemetry, PluginFigures};
use crate::outputs::{FormattedAlert, Outputs, QueueOptions, QueuePolicy};
use crate::plugins::PluginMetric;
use crate::rules::load::items::Priority;
use crate::rules::stats::Stats;

fn config() -> WebConfig {
    WebConfig {
        listen_address: "127.0.0.1".into(),
        listen_port: 0,
        healthz_path: "/healthz".into(),
        metrics: true,
        tls_pem: None,
    }
}

fn get(stream: &mut (impl Read + Write), host: &str, path: &str) -> (u16, String) {
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n").unwrap();
    let mut text = Vec::new();
    let _ = stream.read_to_end(&mut text);
    let text = String::from_utf8(text).unwrap();
    let status = text.split(' ').nth(1).unwrap().parse().unwrap();
    let body = text.split_once("\r\n\r\n").unwrap().1.to_string();
    (status, body)
}

fn get_plain(server: &WebServer, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(server.local_addr()).unwrap();
    get(&mut stream, "localhost", path)
}

/// Parses Prometheus text format strictly enough to catch malformed output: every sample
/// belongs to a family declared by `# TYPE` before it; label values are quoted and escaped.
fn parse_prometheus(text: &str) -> HashMap<String, f64> {
    let mut families = std::collections::HashSet::new();
    let mut samples = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split(' ');
            let name = parts.next().unwrap();
            let kind = parts.next().unwrap();
            assert!(["counter", "gauge", "untyped"].contains(&kind), "bad type in {line}");
            assert!(families.insert(name.to_string()), "family {name} declared twice");
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("bad value: {line}"));
        let name = series.split('{').next().unwrap();
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "bad name {name}"
        );
        assert!(families.contains(name), "sample before its # TYPE: {line}");
        if let Some(labels) = series.strip_prefix(name).filter(|l| !l.is_empty()) {
            assert!(labels.starts_with('{') && labels.ends_with('}'), "bad labels {labels}");
        }
        assert!(
            samples.insert(series.to_string(), value).is_none(),
            "duplicate series {series}"
        );
    }
    samples
}

fn telemetry() -> (Arc<EngineTelemetry>, Outputs) {
    let outputs = Outputs::new(
        vec![(
            Box::new(crate::outputs::syslog::SyslogSink::new("/nonexistent/saker.sock")),
            QueueOptions {
                capacity: 8,
                policy: QueuePolicy::Drop,
                flush_each: true,
            },
        )],
        None,
        false,
    );
    let mut stats = Stats::new(["Rule \"quoted\"", "Other"]);
    stats.record(0, Priority::Warning);
    stats.record(0, Priority::Warning);
    let t = Arc::new(EngineTelemetry::new(
        ["countgen".to_string()],
        stats,
        outputs.telemetry(),
    ));
    t.sources[0].events.store(1234, Ordering::Relaxed);
    *t.sources[0].plugins.lock().unwrap() = vec![PluginFigures {
        name: "countgen_rs".into(),
        next_batch_calls: 7,
        metrics: vec![PluginMetric {
            name: "countgen_rs.evts".into(),
            monotonic: true,
            value: 99.0,
        }],
        ..PluginFigures::default()
    }];
    (t, outputs)
}

#[test]
fn metrics_are_valid_prometheus_text_with_the_engine_figures() {
    let (t, mut outputs) = telemetry();
    outputs.emit(FormattedAlert {
        text: "x".into(),
        priority: Priority::Error,
        json: false,
    });
    outputs.flush();
    let server = WebServer::start(config(), t, "{}".into()).unwrap();
    let (status, body) = get_plain(&server, "/metrics");
    assert_eq!(status, 200);
    let m = parse_prometheus(&body);
    assert_eq!(m["saker_events_total{source=\"countgen\"}"], 1234.0);
    assert_eq!(m["saker_source_up{source=\"countgen\"}"], 1.0);
    assert_eq!(m["saker_rule_matches_total{rule=\"Rule \\\"quoted\\\"\"}"], 2.0);
    assert_eq!(m["saker_rule_matches_total{rule=\"Other\"}"], 0.0);
    assert_eq!(m["saker_priority_matches_total{priority=\"Warning\"}"], 2.0);
    assert_eq!(
        m["saker_plugin_calls_total{source=\"countgen\",plugin=\"countgen_rs\",call=\"next_batch\"}"],
        7.0
    );
    assert_eq!(
        m["saker_plugin_metric{source=\"countgen\",plugin=\"countgen_rs\",metric=\"countgen_rs.evts\",kind=\"monotonic\"}"],
        99.0
    );
    assert_eq!(
        m["saker_output_dropped_total{sink=\"syslog\",reason=\"delivery_failed\"}"],
        1.0
    );
    assert_eq!(m["saker_output_queue_depth{sink=\"syslog\"}"], 0.0);
    assert_eq!(m["saker_output_queue_capacity{sink=\"syslog\",policy=\"drop\"}"], 8.0);
    assert!(m["saker_memory_rss_bytes"] > 1_000_000.0);
}

#[test]
fn healthz_turns_unhealthy_when_a_source_fails() {
    let (t, _outputs) = telemetry();
    let server = WebServer::start(config(), t.clone(), "{}".into()).unwrap();
    assert_eq!(get_plain(&server, "/healthz"), (200, "{\"status\": \"ok\"}".into()));
    *t.sources[0].failure.lock().unwrap() = Some("plugin closed the stream".into());
    let (status, body) = get_plain(&server, "/healthz");
    assert_eq!(status, 503);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "unhealthy");
    assert_eq!(v["failures"][0], "countgen: plugin closed the stream");
    let (status, body) = get_plain(&server, "/metrics");
    assert_eq!(status, 200);
    assert_eq!(parse_prometheus(&body)["saker_source_up{source=\"countgen\"}"], 0.0);
}

#[test]
fn versions_and_unknown_paths_and_disabled_metrics() {
    let (t, _outputs) = telemetry();
    let cfg = WebConfig {
        metrics: false,
        healthz_path: "/live".into(),
        ..config()
    };
    let server = WebServer::start(cfg, t, r#"{"saker_version":"1"}"#.into()).unwrap();
    assert_eq!(
        get_plain(&server, "/versions"),
        (200, r#"{"saker_version":"1"}"#.into())
    );
    assert_eq!(get_plain(&server, "/metrics").0, 404);
    assert_eq!(get_plain(&server, "/healthz").0, 404);
    assert_eq!(get_plain(&server, "/live").0, 200);
}

#[test]
fn https_when_ssl_enabled() {
    use rcgen::{CertificateParams, KeyPair};
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let dir = std::env::temp_dir().join(format!("saker-web-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pem = dir.join("falco.pem");
    std::fs::write(&pem, format!("{}{}", key.serialize_pem(), cert.pem())).unwrap();
    let (t, _outputs) = telemetry();
    let server = WebServer::start(
        WebConfig {
            tls_pem: Some(pem.display().to_string()),
            ..config()
        },
        t,
        "{}".into(),
    )
    .unwrap();

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let conn = rustls::ClientConnection::new(Arc::new(client), "localhost".try_into().unwrap()).unwrap();
    let tcp = TcpStream::connect(server.local_addr()).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    assert_eq!(get(&mut tls, "localhost", "/healthz").0, 200);

    let bad = dir.join("empty.pem");
    std::fs::write(&bad, "").unwrap();
    let (t, _outputs) = telemetry();
    let e = WebServer::start(
        WebConfig {
            tls_pem: Some(bad.display().to_string()),
            ..config()
        },
        t,
        "{}".into(),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("empty.pem") && e.contains("PEM"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn syscall_drop_counters_render_by_cause_and_cpu() {
    use crate::engine::drops::DropCounters;
    let (countgen, _outputs) = telemetry();
    // A source without drop monitoring shows no syscall families.
    assert!(!metrics::render(&countgen).contains("saker_syscall"));

    let t = EngineTelemetry::new(["syscall".to_string()], Stats::default(), countgen.outputs.clone());
    let drops = &t.sources[0].drops;
    drops.monitored.store(true, Ordering::Relaxed);
    drops.occurrences.store(9, Ordering::Relaxed);
    drops.actions_taken.store(4, Ordering::Relaxed);
    let metric = |name: &str, value: f64| PluginMetric {
        name: name.into(),
        monotonic: true,
        value,
    };
    let counters = DropCounters::from_metrics(
        &[
            metric("n_evts", 5000.0),
            metric("n_drops", 30.0),
            metric("n_drops_buffer_full", 25.0),
            metric("n_drops_too_large", 5.0),
            metric("n_drops_user_read", 2.0),
            metric("n_evts_cpu_0", 3000.0),
            metric("n_evts_cpu_1", 2000.0),
            metric("n_drops_cpu_1", 30.0),
            metric("n_drops_buffer_full_cpu_1", 25.0),
        ],
        0,
    );
    *drops.counters.lock().unwrap() = Some(counters);
    let m = parse_prometheus(&metrics::render(&t));
    assert_eq!(m["saker_syscall_events_total"], 5000.0);
    assert_eq!(m["saker_syscall_events_total{cpu=\"0\"}"], 3000.0);
    assert_eq!(m["saker_syscall_events_total{cpu=\"1\"}"], 2000.0);
    assert_eq!(m["saker_syscall_event_drops_total"], 30.0);
    assert_eq!(m["saker_syscall_event_drops_total{cause=\"buffer_full\"}"], 25.0);
    assert_eq!(m["saker_syscall_event_drops_total{cause=\"too_large\"}"], 5.0);
    assert_eq!(m["saker_syscall_event_drops_total{cause=\"user_read\"}"], 2.0);
    assert_eq!(m["saker_syscall_event_drops_total{cause=\"kernel_read\"}"], 0.0);
    assert_eq!(m["saker_syscall_event_drops_total{cpu=\"0\"}"], 0.0);
    assert_eq!(m["saker_syscall_event_drops_total{cpu=\"1\"}"], 30.0);
    assert_eq!(
        m["saker_syscall_event_drops_total{cause=\"buffer_full\",cpu=\"1\"}"],
        25.0
    );
    assert_eq!(m["saker_syscall_drop_checks_total{outcome=\"over_threshold\"}"], 9.0);
    assert_eq!(m["saker_syscall_drop_checks_total{outcome=\"actions_taken\"}"], 4.0);
}
