//! Webhook ingestion over loopback: events/s and ack latency (p50/p99) posting recorded audit
//! events, against a baseline measured in the same run (splitting the same bodies in-process).
//!
//! Run: `cargo bench -p k8saudit --bench webhook` (prints a small table; no timed assertions).
//! Wall-clock rates depend on what else runs on the machine; the CPU-time rates (this process's
//! user+system time, which includes the in-process clients) are steadier on a shared machine.

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
/// Linux `USER_HZ`: the unit of the CPU times in `/proc/self/stat`.
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

/// This process's user+system CPU time so far (Linux; zero elsewhere).
fn process_cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: f64 = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|field| field.parse::<f64>().ok())
        .sum();
    Duration::from_secs_f64(ticks / CLOCK_TICKS_PER_SECOND)
}

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
    println!(
        "  baseline: split_into_events in-process: {:>8.0} events/s, {:>8.0} events/CPU-s",
        baseline.events_per_second, baseline.events_per_cpu_second
    );
    for connections in [1usize, 4] {
        let run = post_over_loopback(&body, connections, requests_per_connection);
        println!(
            "  {connections} connection(s): {:>8.0} events/s, {:>8.0} events/CPU-s ({:.2}x baseline), \
             ack latency p50 {:.1?} p99 {:.1?} per {EVENTS_PER_REQUEST}-event request",
            run.rates.events_per_second,
            run.rates.events_per_cpu_second,
            run.rates.events_per_cpu_second / baseline.events_per_cpu_second,
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

struct Rates {
    events_per_second: f64,
    events_per_cpu_second: f64,
}

impl Rates {
    fn since(events: usize, started: Instant, cpu_at_start: Duration) -> Self {
        let cpu = (process_cpu_time() - cpu_at_start).max(Duration::from_millis(10));
        Self {
            events_per_second: events as f64 / started.elapsed().as_secs_f64(),
            events_per_cpu_second: events as f64 / cpu.as_secs_f64(),
        }
    }
}

fn split_baseline(body: &str, requests: usize) -> Rates {
    let (started, cpu_at_start) = (Instant::now(), process_cpu_time());
    let mut events = 0;
    for _ in 0..requests {
        events += split_into_events(body.as_bytes()).expect("sample body is valid").len();
    }
    Rates::since(events, started, cpu_at_start)
}

struct Run {
    rates: Rates,
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
    let (started, cpu_at_start) = (Instant::now(), process_cpu_time());
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
    let rates = Rates::since(total_events, started, cpu_at_start);
    webhook.shutdown();
    latencies.sort();
    let percentile = |p: usize| latencies[(latencies.len() * p / 100).min(latencies.len() - 1)];
    Run {
        rates,
        p50: percentile(50),
        p99: percentile(99),
    }
}
