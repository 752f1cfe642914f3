use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;
use crate::outputs::receiver::HttpReceiver;
use crate::outputs::{FormattedAlert, Outputs, QueueOptions, QueuePolicy};
use crate::rules::load::items::Priority;

fn alert(i: usize) -> FormattedAlert {
    FormattedAlert {
        text: format!(
            r#"{{"output":"alert {i}","priority":"Warning","rule":"r","time":"2026-01-01T00:00:00.000000000Z","output_fields":{{"n":{i}}},"hostname":"h","source":"s","tags":[]}}"#
        ),
        priority: Priority::Warning,
        json: true,
    }
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        attempts: 200,
        initial: Duration::from_millis(5),
        max: Duration::from_millis(20),
    }
}

fn wait_for(mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(20), "timed out");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The `output_fields.n` of each received body, in the order received.
fn numbers(server: &HttpReceiver) -> Vec<u64> {
    server
        .bodies()
        .iter()
        .map(|b| {
            serde_json::from_str::<serde_json::Value>(b).unwrap()["output_fields"]["n"]
                .as_u64()
                .unwrap()
        })
        .collect()
}

fn sorted(mut v: Vec<u64>) -> Vec<u64> {
    v.sort_unstable();
    v
}

/// A sink with `connections` in its pool and quick retries.
fn pooled(server: &HttpReceiver, connections: usize) -> HttpSink {
    let mut cfg = HttpSinkConfig::for_url(&server.url("/")).unwrap();
    cfg.max_connections = connections;
    HttpSink::new(cfg).unwrap().with_retry(fast_retry())
}

#[test]
fn delivers_falco_json_bodies_in_order_on_one_connection() {
    let server = HttpReceiver::start();
    let mut cfg = HttpSinkConfig::for_url(&server.url("/falco")).unwrap();
    cfg.max_connections = 1;
    cfg.headers.push(("X-Token".into(), "secret".into()));
    let sink = HttpSink::new(cfg).unwrap();
    let mut outputs = Outputs::new(vec![(Box::new(sink), QueueOptions::default())], None, true);
    for i in 0..100 {
        outputs.emit(alert(i));
    }
    outputs.flush();
    let received = server.received.lock().unwrap().clone();
    assert_eq!(received.len(), 100);
    for (i, r) in received.iter().enumerate() {
        assert_eq!(r.path, "/falco");
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("user-agent"), Some("falcosecurity/falco"));
        assert_eq!(r.header("x-token"), Some("secret"));
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["output_fields"]["n"], i);
        for key in [
            "output",
            "priority",
            "rule",
            "time",
            "output_fields",
            "hostname",
            "source",
            "tags",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
    }
    let t = outputs.telemetry();
    assert_eq!(t.sinks[0].counters.sent.load(Ordering::Relaxed), 100);
    assert_eq!(server.connections.load(Ordering::Relaxed), 1);
}

#[test]
fn a_pool_delivers_every_alert_once_on_several_connections() {
    let server = HttpReceiver::start();
    let sink = pooled(&server, 4);
    // A small queue keeps the output thread waiting on the sink, so the workers find alerts
    // queued behind each other and write them back to back.
    let opts = QueueOptions {
        capacity: 64,
        ..QueueOptions::default()
    };
    let mut outputs = Outputs::new(vec![(Box::new(sink), opts)], None, true);
    for i in 0..2000 {
        outputs.emit(alert(i));
    }
    outputs.flush();
    assert_eq!(sorted(numbers(&server)), (0..2000).collect::<Vec<_>>());
    let t = outputs.telemetry();
    assert_eq!(t.sinks[0].counters.sent.load(Ordering::Relaxed), 2000);
    assert_eq!(t.sinks[0].counters.retried.load(Ordering::Relaxed), 0);
    assert!(server.connections.load(Ordering::Relaxed) <= 4);
    for r in server.received.lock().unwrap().iter() {
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("user-agent"), Some("falcosecurity/falco"));
    }
}

#[test]
fn pipelined_requests_answered_503_or_cut_by_a_close_are_sent_again_once() {
    let server = HttpReceiver::start();
    server.fail_every.store(7, Ordering::Relaxed);
    server.close_every.store(5, Ordering::Relaxed);
    let sink = pooled(&server, 2);
    let opts = QueueOptions {
        capacity: 64,
        ..QueueOptions::default()
    };
    let mut outputs = Outputs::new(vec![(Box::new(sink), opts)], None, true);
    for i in 0..500 {
        outputs.emit(alert(i));
    }
    outputs.flush();
    // Each alert recorded exactly once although answers were 503 or connections closed with
    // requests still unanswered behind them.
    assert_eq!(sorted(numbers(&server)), (0..500).collect::<Vec<_>>());
    let t = outputs.telemetry();
    let c = &t.sinks[0].counters;
    assert_eq!(c.sent.load(Ordering::Relaxed), 500);
    assert_eq!(c.dropped_delivery_failed.load(Ordering::Relaxed), 0);
    let answered = server.answered.load(Ordering::Relaxed) as u64;
    let failed = answered / 7;
    // Every 503 is one retry; requests left behind a close go out again at once, unanswered
    // before, so they are no retry.
    assert_eq!(c.retried.load(Ordering::Relaxed), failed, "{c:?}");
    assert_eq!(answered, 500 + failed);
    assert!(server.connections.load(Ordering::Relaxed) >= (answered / 5) as usize);
}

#[test]
fn server_away_then_back_every_alert_delivered_once() {
    let mut server = HttpReceiver::start();
    let sink = pooled(&server, 1);
    let mut outputs = Outputs::new(vec![(Box::new(sink), QueueOptions::default())], None, true);
    for i in 0..10 {
        outputs.emit(alert(i));
    }
    outputs.flush();
    server.stop();
    for i in 10..30 {
        outputs.emit(alert(i));
    }
    let t = outputs.telemetry();
    wait_for(|| t.sinks[0].counters.retried.load(Ordering::Relaxed) >= 3);
    server.restart();
    outputs.flush();
    assert_eq!(
        numbers(&server),
        (0..30).collect::<Vec<_>>(),
        "each alert once, in order"
    );
    assert_eq!(t.sinks[0].counters.sent.load(Ordering::Relaxed), 30);
    assert_eq!(t.sinks[0].counters.dropped_delivery_failed.load(Ordering::Relaxed), 0);
}

#[test]
fn a_pool_loses_and_repeats_nothing_while_the_server_is_away() {
    let mut server = HttpReceiver::start();
    let sink = pooled(&server, 4);
    let mut outputs = Outputs::new(vec![(Box::new(sink), QueueOptions::default())], None, true);
    for i in 0..100 {
        outputs.emit(alert(i));
    }
    outputs.flush();
    server.stop();
    for i in 100..300 {
        outputs.emit(alert(i));
    }
    let t = outputs.telemetry();
    wait_for(|| t.sinks[0].counters.retried.load(Ordering::Relaxed) >= 8);
    server.restart();
    outputs.flush();
    assert_eq!(
        sorted(numbers(&server)),
        (0..300).collect::<Vec<_>>(),
        "each alert once"
    );
    assert_eq!(t.sinks[0].counters.sent.load(Ordering::Relaxed), 300);
    assert_eq!(t.sinks[0].counters.dropped_delivery_failed.load(Ordering::Relaxed), 0);
}

#[test]
fn a_kept_alive_connection_the_server_closed_while_idle_is_replaced_without_a_retry() {
    let mut server = HttpReceiver::start();
    let sink = pooled(&server, 1);
    let mut outputs = Outputs::new(vec![(Box::new(sink), QueueOptions::default())], None, true);
    outputs.emit(alert(0));
    outputs.flush();
    // Closes the connection without a word, and listens again on the same port.
    server.restart();
    outputs.emit(alert(1));
    outputs.flush();
    assert_eq!(numbers(&server), vec![0, 1]);
    let t = outputs.telemetry();
    assert_eq!(t.sinks[0].counters.sent.load(Ordering::Relaxed), 2);
    assert_eq!(t.sinks[0].counters.retried.load(Ordering::Relaxed), 0);
    assert_eq!(server.connections.load(Ordering::Relaxed), 2);
}

#[test]
fn full_queue_with_drop_policy_counts_drops() {
    let mut server = HttpReceiver::start();
    server.stop();
    let sink = pooled(&server, 1);
    let opts = QueueOptions {
        capacity: 4,
        policy: QueuePolicy::Drop,
        flush_each: true,
    };
    let mut outputs = Outputs::new(vec![(Box::new(sink), opts)], None, true);
    for i in 0..50 {
        outputs.emit(alert(i));
    }
    let t = outputs.telemetry();
    let dropped = t.sinks[0].counters.dropped_queue_full.load(Ordering::Relaxed);
    // At most the queue plus the alert being retried are held; the rest is dropped at once.
    assert!(dropped >= 50 - 5, "dropped {dropped}");
    server.restart();
    outputs.flush();
    let sent = t.sinks[0].counters.sent.load(Ordering::Relaxed);
    assert_eq!(sent + dropped, 50);
    assert_eq!(server.bodies().len() as u64, sent);
}

#[test]
fn full_queue_with_block_policy_loses_nothing() {
    let server = HttpReceiver::start();
    let sink = HttpSink::new(HttpSinkConfig::for_url(&server.url("/")).unwrap()).unwrap();
    let opts = QueueOptions {
        capacity: 2,
        policy: QueuePolicy::Block,
        flush_each: true,
    };
    let mut outputs = Outputs::new(vec![(Box::new(sink), opts)], None, true);
    for i in 0..200 {
        outputs.emit(alert(i));
    }
    outputs.flush();
    let t = outputs.telemetry();
    assert_eq!(t.sinks[0].counters.dropped_queue_full.load(Ordering::Relaxed), 0);
    assert_eq!(server.bodies().len(), 200);
}

#[test]
fn a_4xx_answer_is_not_retried() {
    let server = HttpReceiver::start();
    server.status.store(400, Ordering::Relaxed);
    let sink = HttpSink::new(HttpSinkConfig::for_url(&server.url("/")).unwrap())
        .unwrap()
        .with_retry(fast_retry());
    let mut outputs = Outputs::new(vec![(Box::new(sink), QueueOptions::default())], None, true);
    outputs.emit(alert(0));
    outputs.flush();
    let t = outputs.telemetry();
    assert_eq!(t.sinks[0].counters.dropped_delivery_failed.load(Ordering::Relaxed), 1);
    assert_eq!(t.sinks[0].counters.retried.load(Ordering::Relaxed), 0);
}

struct Pki {
    ca_pem: String,
    server: Arc<rustls::ServerConfig>,
}

fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
        )
        .unwrap();
    Pki {
        ca_pem: ca.pem(),
        server: Arc::new(server),
    }
}

#[test]
fn https_with_a_generated_ca() {
    let pki = pki();
    let server = HttpReceiver::start_tls(pki.server.clone());
    let dir = std::env::temp_dir().join(format!("saker-https-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();

    let mut cfg = HttpSinkConfig::for_url(&server.url("/tls")).unwrap();
    cfg.ca_files = vec![ca.display().to_string()];
    let sink = HttpSink::new(cfg).unwrap();
    let mut outputs = Outputs::new(vec![(Box::new(sink), QueueOptions::default())], None, true);
    outputs.emit(alert(7));
    outputs.flush();
    assert_eq!(server.bodies().len(), 1);

    // Without the CA the server is not trusted: nothing is delivered.
    let cfg = HttpSinkConfig {
        ca_path: dir.display().to_string() + "/none",
        ..HttpSinkConfig::for_url(&server.url("/")).unwrap()
    };
    assert!(matches!(HttpSink::new(cfg), Err(OutputsError::Tls(_))));
    let other = pki_ca_only();
    std::fs::write(&ca, other).unwrap();
    let mut cfg = HttpSinkConfig::for_url(&server.url("/tls")).unwrap();
    cfg.ca_files = vec![ca.display().to_string()];
    let sink = HttpSink::new(cfg).unwrap().with_retry(RetryPolicy {
        attempts: 1,
        ..fast_retry()
    });
    let mut outputs = Outputs::new(vec![(Box::new(sink), QueueOptions::default())], None, true);
    outputs.emit(alert(8));
    outputs.flush();
    assert_eq!(server.bodies().len(), 1);
    assert_eq!(
        outputs.telemetry().sinks[0]
            .counters
            .dropped_delivery_failed
            .load(Ordering::Relaxed),
        1
    );

    // `insecure: true` accepts the unknown CA.
    let mut cfg = HttpSinkConfig::for_url(&server.url("/tls")).unwrap();
    cfg.insecure = true;
    let mut outputs = Outputs::new(
        vec![(Box::new(HttpSink::new(cfg).unwrap()), QueueOptions::default())],
        None,
        true,
    );
    outputs.emit(alert(9));
    outputs.flush();
    assert_eq!(server.bodies().len(), 2);

    // A pool over TLS, with requests written back to back: every alert once.
    let mut cfg = HttpSinkConfig::for_url(&server.url("/tls")).unwrap();
    cfg.ca_files = vec![ca_file(&dir, &pki.ca_pem)];
    cfg.max_connections = 2;
    let opts = QueueOptions {
        capacity: 16,
        ..QueueOptions::default()
    };
    let mut outputs = Outputs::new(vec![(Box::new(HttpSink::new(cfg).unwrap()), opts)], None, true);
    for i in 100..400 {
        outputs.emit(alert(i));
    }
    outputs.flush();
    let mut tls_numbers: Vec<u64> = numbers(&server).into_iter().filter(|n| *n >= 100).collect();
    tls_numbers.sort_unstable();
    assert_eq!(tls_numbers, (100..400).collect::<Vec<_>>());
    assert_eq!(outputs.telemetry().sinks[0].counters.sent.load(Ordering::Relaxed), 300);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Writes a CA file of its own (the test rewrites `ca.pem` with an untrusted CA).
fn ca_file(dir: &std::path::Path, pem: &str) -> String {
    let path = dir.join("pool-ca.pem");
    std::fs::write(&path, pem).unwrap();
    path.display().to_string()
}

fn pki_ca_only() -> String {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap())
        .unwrap()
        .pem()
}

#[test]
fn bad_urls_are_explained() {
    for url in ["ftp://x/", "http://:80/", "http://host:99999/"] {
        let e = Endpoint::parse(url).unwrap_err().to_string();
        assert!(e.contains(url) && e.contains("expected http://"), "{e}");
    }
    let e = Endpoint::parse("http://[::1]:8080/a?b=c").unwrap();
    assert_eq!((e.host.as_str(), e.port, e.path.as_str()), ("::1", 8080, "/a?b=c"));
}
