//! Webhook ingestion over loopback: events/s and ack latency (p50/p99) posting recorded audit
//! events, against a baseline measured in the same run (splitting the same bodies in-process).
//!
//! Run: `cargo bench -p k8saudit --bench webhook` (prints a small table; no timed assertions).

#[path = "../tests/webhook_support/mod.rs"]
mod webhook_support;

use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use k8saudit::webhook::{split_into_events, Webhook, WebhookConfig};
use webhook_support::{event_list, recorded_events, synthetic_event, HttpConnection};

const PATH: &str = "/k8s-audit";
/// kube-apiserver's default `--audit-webhook-batch-max-size`.
const EVENTS_PER_REQUEST: usize = 400;
const REQUESTS_PER_CONNECTION: usize = 125;
const QUEUE_CAPACITY: usize = 16 * 1024;

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then run a short smoke pass.
    let full = std::env::args().any(|arg| arg == "--bench");
    let requests_per_connection = if full { REQUESTS_PER_CONNECTION } else { 2 };

    let items = sample_events();
    let body = event_list(items.iter().cycle().take(EVENTS_PER_REQUEST).map(String::as_str));
    println!(
        "webhook bench: {} recorded events cycled, {EVENTS_PER_REQUEST} events/request, {} bytes/request",
        items.len(),
        body.len()
    );

    let baseline = split_baseline(&body, requests_per_connection * 4);
    println!("  baseline: split_into_events in-process: {baseline:>10.0} events/s");
    for connections in [1usize, 4] {
        let run = post_over_loopback(&body, connections, requests_per_connection);
        println!(
            "  {connections} connection(s): {:>10.0} events/s ({:.2}x baseline), ack latency p50 {:?} p99 {:?} per {EVENTS_PER_REQUEST}-event request",
            run.events_per_second,
            run.events_per_second / baseline,
            run.p50,
            run.p99
        );
    }
}

fn sample_events() -> Vec<String> {
    match recorded_events() {
        Some(recorded) => recorded
            .into_iter()
            .filter(|event| event.line.contains("stageTimestamp"))
            .map(|event| event.line)
            .collect(),
        None => (0..50).map(synthetic_event).collect(),
    }
}

fn split_baseline(body: &str, requests: usize) -> f64 {
    let started = Instant::now();
    let mut events = 0;
    for _ in 0..requests {
        events += split_into_events(body.as_bytes()).expect("sample body is valid").len();
    }
    events as f64 / started.elapsed().as_secs_f64()
}

struct Run {
    events_per_second: f64,
    p50: Duration,
    p99: Duration,
}

fn post_over_loopback(body: &str, connections: usize, requests_per_connection: usize) -> Run {
    let webhook = Webhook::start(WebhookConfig {
        queue_capacity: QUEUE_CAPACITY,
        ..WebhookConfig::new("127.0.0.1:0".parse().unwrap(), PATH)
    })
    .expect("webhook starts");
    let addr = webhook.local_addr();
    let total_events = connections * requests_per_connection * EVENTS_PER_REQUEST;
    let receiver = webhook.receiver();
    let consumer = thread::spawn(move || {
        for _ in 0..total_events {
            receiver.recv_timeout(Duration::from_secs(30)).expect("events arrive");
        }
    });
    let started = Instant::now();
    let senders: Vec<_> = (0..connections)
        .map(|_| {
            let body = body.to_owned();
            thread::spawn(move || {
                let mut client = HttpConnection::new(TcpStream::connect(addr).unwrap());
                let mut latencies = Vec::with_capacity(requests_per_connection);
                for _ in 0..requests_per_connection {
                    let sent = Instant::now();
                    let response = client.post_json(PATH, body.as_bytes()).unwrap();
                    assert_eq!(response.status, 200, "{}", response.body);
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = senders.into_iter().flat_map(|sender| sender.join().unwrap()).collect();
    consumer.join().unwrap();
    let elapsed = started.elapsed();
    webhook.shutdown();
    latencies.sort();
    let percentile = |p: usize| latencies[(latencies.len() * p / 100).min(latencies.len() - 1)];
    Run {
        events_per_second: total_events as f64 / elapsed.as_secs_f64(),
        p50: percentile(50),
        p99: percentile(99),
    }
}
