//! Bounded load: many events over several keep-alive connections into a small queue, so that
//! backpressure (503 + retry) happens; every acknowledged event must be received exactly once.

mod webhook_support;

use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use k8saudit::webhook::{Webhook, WebhookConfig, WebhookTimeouts};
use webhook_support::{event_list, synthetic_event, synthetic_id, HttpConnection};

const PATH: &str = "/k8s-audit";
const CONNECTIONS: u64 = 4;
/// Unoptimised test builds parse JSON much slower; they send fewer events.
const TOTAL_EVENTS: u64 = if cfg!(debug_assertions) { 100_000 } else { 200_000 };
const EVENTS_PER_REQUEST: u64 = 500;
/// Smaller than what the senders have in flight, so requests must wait and some get 503.
const QUEUE_CAPACITY: usize = 1_000;
const TIME_LIMIT: Duration = Duration::from_secs(60);
/// The consumer stalls this long every `STALL_EVERY` events, so the queue fills up.
const STALL: Duration = Duration::from_millis(300);
const STALL_EVERY: u64 = 20_000;

#[test]
fn every_acknowledged_event_is_received_exactly_once() {
    let config = WebhookConfig {
        queue_capacity: QUEUE_CAPACITY,
        ..WebhookConfig::new("127.0.0.1:0".parse().unwrap(), PATH)
    };
    // A short queue wait makes 503s (and the client's retries) likely under load.
    let timeouts = WebhookTimeouts {
        queue_wait: Duration::from_millis(20),
        ..Default::default()
    };
    let webhook = Webhook::start_with_timeouts(config, timeouts).unwrap();
    let addr = webhook.local_addr();
    let started = Instant::now();

    let receiver = webhook.receiver();
    let consumer = thread::spawn(move || {
        let mut seen = vec![0u8; TOTAL_EVENTS as usize];
        let mut received = 0u64;
        while received < TOTAL_EVENTS {
            let event = receiver
                .recv_timeout(Duration::from_secs(30))
                .expect("events keep coming");
            seen[synthetic_id(&event.json) as usize] += 1;
            received += 1;
            if received % STALL_EVERY == 0 {
                thread::sleep(STALL);
            }
        }
        seen
    });

    let retries = Arc::new(AtomicU64::new(0));
    let per_connection = TOTAL_EVENTS / CONNECTIONS;
    let senders: Vec<_> = (0..CONNECTIONS)
        .map(|connection| {
            let retries = retries.clone();
            thread::spawn(move || {
                let mut client = HttpConnection::new(TcpStream::connect(addr).unwrap());
                let first = connection * per_connection;
                for start in (first..first + per_connection).step_by(EVENTS_PER_REQUEST as usize) {
                    let items: Vec<String> = (start..start + EVENTS_PER_REQUEST).map(synthetic_event).collect();
                    let body = event_list(items.iter().map(String::as_str));
                    loop {
                        let response = client.post_json(PATH, body.as_bytes()).unwrap();
                        match response.status {
                            200 => break,
                            503 => {
                                retries.fetch_add(1, Ordering::Relaxed);
                                thread::sleep(Duration::from_millis(5));
                            }
                            other => panic!("unexpected {other}: {}", response.body),
                        }
                        assert!(started.elapsed() < TIME_LIMIT, "load test exceeded {TIME_LIMIT:?}");
                    }
                }
            })
        })
        .collect();
    for sender in senders {
        sender.join().unwrap();
    }
    let seen = consumer.join().unwrap();
    let elapsed = started.elapsed();

    let missing = seen.iter().filter(|&&count| count == 0).count();
    let duplicated = seen.iter().filter(|&&count| count > 1).count();
    assert_eq!((missing, duplicated), (0, 0), "every event exactly once");
    let counters = webhook.counters();
    assert_eq!(counters.events_accepted, TOTAL_EVENTS);
    assert_eq!(counters.rejected_by_reason.queue_full, retries.load(Ordering::Relaxed));
    assert!(
        webhook.receiver().is_empty(),
        "nothing beyond the acknowledged events was queued"
    );
    assert!(
        retries.load(Ordering::Relaxed) > 0,
        "the consumer's stalls must have caused 503s"
    );
    assert!(elapsed < TIME_LIMIT);
    eprintln!(
        "load: {TOTAL_EVENTS} events over {CONNECTIONS} connections in {elapsed:.2?} ({:.0} events/s), {} retries after 503",
        TOTAL_EVENTS as f64 / elapsed.as_secs_f64(),
        retries.load(Ordering::Relaxed)
    );
}
