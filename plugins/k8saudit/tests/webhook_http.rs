//! The http webhook over loopback: recorded audit events, keep-alive, concurrency, chunked bodies,
//! every refusal with its status and counter, backpressure and shutdown.

mod webhook_support;

use std::collections::HashSet;
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use k8saudit::webhook::{
    parse_rfc3339_nanos, AuditEvent, RejectedByReason, Webhook, WebhookConfig, WebhookError, WebhookTimeouts,
    DEFAULT_MAX_REQUEST_BYTES, MAX_JSON_NESTING,
};
use webhook_support::{event_list, recorded_events, request, synthetic_event, synthetic_id, HttpConnection};

const PATH: &str = "/k8s-audit";
/// How long a test waits for an event that must arrive.
const RECEIVE_WAIT: Duration = Duration::from_secs(10);

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn start(queue_capacity: usize, max_request_bytes: usize) -> Webhook {
    start_with(queue_capacity, max_request_bytes, WebhookTimeouts::default())
}

fn start_with(queue_capacity: usize, max_request_bytes: usize, timeouts: WebhookTimeouts) -> Webhook {
    let config = WebhookConfig {
        queue_capacity,
        max_request_bytes,
        ..WebhookConfig::new(loopback(), PATH)
    };
    Webhook::start_with_timeouts(config, timeouts).expect("webhook starts on loopback")
}

fn connect(webhook: &Webhook) -> HttpConnection<TcpStream> {
    let stream = TcpStream::connect(webhook.local_addr()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    HttpConnection::new(stream)
}

fn drain(webhook: &Webhook) -> Vec<AuditEvent> {
    webhook.receiver().try_iter().collect()
}

fn stage_timestamp(json: &str) -> u64 {
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    parse_rfc3339_nanos(value["stageTimestamp"].as_str().unwrap()).unwrap()
}

#[test]
fn recorded_audit_events_arrive_compact_with_their_stage_timestamp() {
    let Some(recorded) = recorded_events() else { return };
    // fal_01_003.json is Falco's not-an-audit-event case; it is tested among the refusals.
    let valid: Vec<&str> = recorded
        .iter()
        .filter(|event| event.line.contains("stageTimestamp"))
        .map(|e| e.line.as_str())
        .collect();
    assert!(valid.len() >= 50, "found only {} recorded events", valid.len());
    let webhook = start(1000, DEFAULT_MAX_REQUEST_BYTES);
    let mut connection = connect(&webhook);

    // Each event on its own, all on one keep-alive connection.
    for line in &valid {
        let response = connection.post_json(PATH, line.as_bytes()).unwrap();
        assert_eq!(response.status, 200, "{}", response.body);
    }
    let received = drain(&webhook);
    assert_eq!(received.len(), valid.len());
    for (event, line) in received.iter().zip(&valid) {
        assert_eq!(
            event.json,
            line.as_bytes(),
            "recorded lines are compact and must come back unchanged"
        );
        assert_eq!(event.timestamp_ns, stage_timestamp(line));
    }
    // attach_pod.json: stageTimestamp 2018-10-26T13:42:46.808261Z = 1540561366 s (`date +%s`).
    let attach = recorded.iter().find(|event| event.file == "attach_pod.json").unwrap();
    let attach = received
        .iter()
        .find(|event| event.json == attach.line.as_bytes())
        .unwrap();
    assert_eq!(attach.timestamp_ns, 1_540_561_366_808_261_000);

    // All of them pretty-printed in one EventList: whitespace goes, key order stays.
    let values: Vec<serde_json::Value> = valid.iter().map(|line| serde_json::from_str(line).unwrap()).collect();
    let pretty: Vec<String> = values
        .iter()
        .map(|value| serde_json::to_string_pretty(value).unwrap())
        .collect();
    let body = event_list(pretty.iter().map(String::as_str)).replace(",\"items\"", ",\n  \"items\"");
    let response = connection.post_json(PATH, body.as_bytes()).unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    let received = drain(&webhook);
    assert_eq!(received.len(), values.len());
    for (event, value) in received.iter().zip(&values) {
        assert_eq!(event.json, serde_json::to_vec(value).unwrap());
    }
    let counters = webhook.counters();
    assert_eq!(counters.connections, 1);
    assert_eq!(counters.requests, valid.len() as u64 + 1);
    assert_eq!(counters.requests_accepted, counters.requests);
    assert_eq!(counters.events_accepted, 2 * valid.len() as u64);
    assert_eq!(counters.rejected_by_reason.total(), 0);
}

#[test]
fn keep_alive_with_a_hyper_client() {
    use http_body_util::{BodyExt, Full};
    use hyper::body::Bytes;
    use hyper_util::rt::TokioIo;

    let webhook = start(100, DEFAULT_MAX_REQUEST_BYTES);
    let addr = webhook.local_addr();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        let driver = tokio::spawn(connection);
        for batch in 0..5u64 {
            let items: Vec<String> = (0..3).map(|i| synthetic_event(batch * 3 + i)).collect();
            let request = hyper::Request::post(PATH)
                .header("host", "localhost")
                .header("content-type", "application/json; charset=utf-8")
                .body(Full::new(Bytes::from(event_list(items.iter().map(String::as_str)))))
                .unwrap();
            let response = sender.send_request(request).await.unwrap();
            assert_eq!(response.status(), 200);
            let body = response.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(&body[..], b"accepted 3 audit events\n");
        }
        drop(sender);
        driver.await.unwrap().unwrap();
    });
    let ids: Vec<u64> = drain(&webhook).iter().map(|event| synthetic_id(&event.json)).collect();
    assert_eq!(ids, (0..15).collect::<Vec<_>>());
    assert_eq!(
        webhook.counters().connections,
        1,
        "all requests went over one connection"
    );
}

#[test]
fn concurrent_clients_each_get_their_events_queued() {
    const CLIENTS: u64 = 4;
    const REQUESTS: u64 = 25;
    const EVENTS_PER_REQUEST: u64 = 4;
    let webhook = start(1000, DEFAULT_MAX_REQUEST_BYTES);
    let addr = webhook.local_addr();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            thread::spawn(move || {
                let mut connection = HttpConnection::new(TcpStream::connect(addr).unwrap());
                for request in 0..REQUESTS {
                    let first = (client * REQUESTS + request) * EVENTS_PER_REQUEST;
                    let items: Vec<String> = (first..first + EVENTS_PER_REQUEST).map(synthetic_event).collect();
                    let body = event_list(items.iter().map(String::as_str));
                    let response = if request % 2 == 0 {
                        connection.post_json(PATH, body.as_bytes())
                    } else {
                        connection.post_json_chunked(PATH, body.as_bytes(), 100)
                    };
                    assert_eq!(response.unwrap().status, 200);
                }
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }
    let received = drain(&webhook);
    let total = CLIENTS * REQUESTS * EVENTS_PER_REQUEST;
    let ids: HashSet<u64> = received.iter().map(|event| synthetic_id(&event.json)).collect();
    assert_eq!(received.len() as u64, total);
    assert_eq!(ids, (0..total).collect());
    // Events of one request stay together and in order.
    for request in received.chunks(EVENTS_PER_REQUEST as usize) {
        let first = synthetic_id(&request[0].json);
        assert_eq!(first % EVENTS_PER_REQUEST, 0);
        for (offset, event) in request.iter().enumerate() {
            assert_eq!(synthetic_id(&event.json), first + offset as u64);
        }
    }
    let counters = webhook.counters();
    assert_eq!(
        (counters.connections, counters.requests_accepted),
        (CLIENTS, CLIENTS * REQUESTS)
    );
}

#[test]
fn chunked_bodies_are_accepted_and_limited_while_streaming() {
    let limit = 4096;
    let webhook = start(100, limit);
    let small = synthetic_event(1);
    let response = connect(&webhook).post_json_chunked(PATH, small.as_bytes(), 7).unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(drain(&webhook).len(), 1);

    let items: Vec<String> = (0..20).map(synthetic_event).collect();
    let big = event_list(items.iter().map(String::as_str));
    assert!(big.len() > limit);
    let mut connection = connect(&webhook);
    let response = connection.post_json_chunked(PATH, big.as_bytes(), 1000).unwrap();
    assert_eq!(response.status, 413);
    assert!(
        response.body.contains("larger than the limit of 4096 bytes"),
        "{}",
        response.body
    );
    assert_eq!(response.header("connection"), Some("close"));
    assert_eq!(webhook.counters().rejected_by_reason.too_large, 1);
    assert!(drain(&webhook).is_empty(), "nothing of a refused request is queued");
}

/// One bad request per case: expected status, a piece of the response text, and the counter.
struct BadCase {
    name: &'static str,
    request: Vec<u8>,
    status: u16,
    says: &'static str,
    counter: fn(&RejectedByReason) -> u64,
}

fn post(body: &[u8]) -> Vec<u8> {
    request("POST", PATH, Some("application/json"), body)
}

fn bad_cases() -> Vec<BadCase> {
    let good = synthetic_event(7);
    let mut not_utf8 = good.clone().into_bytes();
    not_utf8[30] = 0xFF;
    let deep = format!(
        "{}{}",
        "[".repeat(MAX_JSON_NESTING + 1),
        "]".repeat(MAX_JSON_NESTING + 1)
    );
    vec![
        BadCase {
            name: "malformed JSON",
            request: post(&good.as_bytes()[..good.len() - 1]),
            status: 400,
            says: "not valid JSON",
            counter: |c| c.malformed_json,
        },
        BadCase {
            name: "not UTF-8",
            request: post(&not_utf8),
            status: 400,
            says: "not UTF-8: invalid byte at offset 30",
            counter: |c| c.not_utf8,
        },
        BadCase {
            name: "deep nesting",
            request: post(deep.as_bytes()),
            status: 400,
            says: "deeper than 127 levels",
            counter: |c| c.too_deep,
        },
        BadCase {
            name: "wrong kind",
            request: post(br#"{"kind":"Pod","apiVersion":"v1"}"#),
            status: 400,
            says: "found kind \"Pod\"",
            counter: |c| c.wrong_kind,
        },
        BadCase {
            name: "missing stageTimestamp",
            request: post(event_list([good.as_str(), r#"{"kind":"Event","auditID":"x"}"#]).as_bytes()),
            status: 400,
            says: "body.items[1]: audit event has no `stageTimestamp`",
            counter: |c| c.missing_timestamp,
        },
        BadCase {
            name: "bad stageTimestamp",
            request: post(
                good.replace("2020-04-21T17:57:05.548299Z", "2020-04-21 17:57")
                    .as_bytes(),
            ),
            status: 400,
            says: "`stageTimestamp` \"2020-04-21 17:57\" is not usable",
            counter: |c| c.bad_timestamp,
        },
        BadCase {
            name: "too large by Content-Length",
            request: post(&vec![b' '; 5000]),
            status: 413,
            says: "(Content-Length: 5000)",
            counter: |c| c.too_large,
        },
        BadCase {
            name: "wrong method",
            request: request("GET", PATH, None, b""),
            status: 405,
            says: "GET method not allowed",
            counter: |c| c.wrong_method,
        },
        BadCase {
            name: "wrong path",
            request: request("POST", "/k8s-audit/other", Some("application/json"), good.as_bytes()),
            status: 404,
            says: "accepted on /k8s-audit, not /k8s-audit/other",
            counter: |c| c.wrong_path,
        },
        BadCase {
            name: "wrong content type",
            request: request("POST", PATH, Some("text/plain"), good.as_bytes()),
            status: 400,
            says: "wrong Content Type",
            counter: |c| c.wrong_content_type,
        },
        BadCase {
            name: "no content type",
            request: request("POST", PATH, None, good.as_bytes()),
            status: 400,
            says: "wrong Content Type",
            counter: |c| c.wrong_content_type,
        },
    ]
}

#[test]
fn bad_requests_get_their_status_and_counter_and_the_server_keeps_serving() {
    let webhook = start(100, 4096);
    let good = synthetic_event(7);
    let cases = bad_cases();
    for case in &cases {
        let before = webhook.counters();
        let mut connection = connect(&webhook);
        connection.send_raw(&case.request).unwrap();
        let response = connection.read_response().unwrap();
        assert_eq!(response.status, case.status, "{}: {}", case.name, response.body);
        assert!(
            response.body.contains(case.says),
            "{}: {:?} lacks {:?}",
            case.name,
            response.body,
            case.says
        );
        let after = webhook.counters();
        assert_eq!(
            (case.counter)(&after.rejected_by_reason),
            (case.counter)(&before.rejected_by_reason) + 1,
            "{}",
            case.name
        );
        assert_eq!(
            after.rejected_by_reason.total(),
            before.rejected_by_reason.total() + 1,
            "{}",
            case.name
        );
        if case.status == 405 {
            assert_eq!(response.header("allow"), Some("POST"));
        }
        // A refusal after the body was read keeps the connection; the others close it.
        if response.header("connection") != Some("close") {
            assert_eq!(
                connection.post_json(PATH, good.as_bytes()).unwrap().status,
                200,
                "{}",
                case.name
            );
        }
        assert_eq!(
            connect(&webhook).post_json(PATH, good.as_bytes()).unwrap().status,
            200,
            "after {}",
            case.name
        );
    }
    let counters = webhook.counters();
    assert_eq!(counters.rejected_by_reason.total(), cases.len() as u64);
    assert_eq!(counters.events_accepted as usize, drain(&webhook).len());
    for event in drain(&webhook) {
        assert_eq!(synthetic_id(&event.json), 7);
    }
}

#[test]
fn falcos_not_an_audit_event_sample_is_refused() {
    let Some(recorded) = recorded_events() else { return };
    let sample = recorded
        .iter()
        .find(|event| event.file == "fal_01_003.json")
        .expect("fal_01_003.json");
    let webhook = start(10, DEFAULT_MAX_REQUEST_BYTES);
    let response = connect(&webhook).post_json(PATH, sample.line.as_bytes()).unwrap();
    assert_eq!(response.status, 400);
    assert!(
        response.body.contains("whose `kind` is a number `0`"),
        "{}",
        response.body
    );
    assert_eq!(webhook.counters().rejected_by_reason.wrong_kind, 1);
}

#[test]
fn ten_thousand_events_in_one_event_list() {
    const EVENTS: u64 = 10_000;
    let webhook = start(EVENTS as usize, DEFAULT_MAX_REQUEST_BYTES);
    let items: Vec<String> = (0..EVENTS).map(synthetic_event).collect();
    let body = event_list(items.iter().map(String::as_str));
    let response = connect(&webhook).post_json(PATH, body.as_bytes()).unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    let received = drain(&webhook);
    assert_eq!(received.len() as u64, EVENTS);
    for (expected, event) in (0..EVENTS).zip(&received) {
        assert_eq!(synthetic_id(&event.json), expected);
        assert_eq!(event.json, items[expected as usize].as_bytes());
    }
}

#[test]
fn full_queue_answers_503_then_accepts_after_the_consumer_drains() {
    let queue_wait = Duration::from_millis(300);
    let webhook = start_with(
        10,
        DEFAULT_MAX_REQUEST_BYTES,
        WebhookTimeouts {
            queue_wait,
            ..Default::default()
        },
    );
    let batch = |first: u64, count: u64| {
        let items: Vec<String> = (first..first + count).map(synthetic_event).collect();
        event_list(items.iter().map(String::as_str))
    };
    let mut connection = connect(&webhook);
    assert_eq!(connection.post_json(PATH, batch(0, 8).as_bytes()).unwrap().status, 200);

    let started = Instant::now();
    let response = connection.post_json(PATH, batch(8, 3).as_bytes()).unwrap();
    assert_eq!(response.status, 503, "{}", response.body);
    assert!(started.elapsed() >= queue_wait, "503 only after waiting for room");
    assert_eq!(response.header("retry-after"), Some("1"));
    assert!(
        response.body.contains("no room for this request's 3 events"),
        "{}",
        response.body
    );
    assert_eq!(webhook.counters().rejected_by_reason.queue_full, 1);

    let response = connection.post_json(PATH, batch(100, 11).as_bytes()).unwrap();
    assert_eq!(response.status, 413, "more events than the whole queue can never fit");
    assert_eq!(webhook.counters().rejected_by_reason.too_many_events, 1);

    // The consumer frees room while the retry waits: it is accepted.
    let receiver = webhook.receiver();
    let consumer = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        (0..11)
            .map(|_| receiver.recv_timeout(RECEIVE_WAIT).unwrap())
            .collect::<Vec<_>>()
    });
    let response = connection.post_json(PATH, batch(8, 3).as_bytes()).unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    let ids: Vec<u64> = consumer
        .join()
        .unwrap()
        .iter()
        .map(|event| synthetic_id(&event.json))
        .collect();
    assert_eq!(ids, (0..11).collect::<Vec<_>>(), "the refused attempt queued nothing");
    assert!(drain(&webhook).is_empty());
}

#[test]
fn slow_headers_and_slow_bodies_are_cut_off() {
    let timeouts = WebhookTimeouts {
        header_read: Duration::from_millis(300),
        body_read: Duration::from_millis(300),
        ..Default::default()
    };
    let webhook = start_with(10, DEFAULT_MAX_REQUEST_BYTES, timeouts);

    let mut slow_headers = connect(&webhook);
    slow_headers
        .send_raw(b"POST /k8s-audit HTTP/1.1\r\nHost: local")
        .unwrap();
    let started = Instant::now();
    // hyper closes the connection without an answer when the headers are late.
    assert!(slow_headers.read_response().is_err(), "connection closed");
    assert!(started.elapsed() < Duration::from_secs(5));

    let body = synthetic_event(1);
    let mut slow_body = connect(&webhook);
    let whole = request("POST", PATH, Some("application/json"), body.as_bytes());
    slow_body.send_raw(&whole[..whole.len() - 10]).unwrap();
    let response = slow_body.read_response().unwrap();
    assert_eq!(response.status, 408, "{}", response.body);
    assert_eq!(webhook.counters().rejected_by_reason.body_timeout, 1);
    assert!(slow_body.is_closed_by_server());

    // The header timeout also ends keep-alive connections left idle after a request.
    let mut idle = connect(&webhook);
    assert_eq!(idle.post_json(PATH, body.as_bytes()).unwrap().status, 200);
    let idle_since = Instant::now();
    assert!(idle.is_closed_by_server());
    assert!(
        idle_since.elapsed() >= Duration::from_millis(250),
        "closed by the timeout, not at once"
    );
    assert!(drain(&webhook).len() == 1, "only the complete request was queued");
}

#[test]
fn shutdown_finishes_in_flight_requests_and_keeps_queued_events() {
    let webhook = start(100, DEFAULT_MAX_REQUEST_BYTES);
    let addr = webhook.local_addr();
    let receiver = webhook.receiver();
    let mut idle = connect(&webhook);
    assert_eq!(idle.post_json(PATH, synthetic_event(0).as_bytes()).unwrap().status, 200);

    // A request whose body is still arriving when shutdown starts.
    let whole = request("POST", PATH, Some("application/json"), synthetic_event(1).as_bytes());
    let mut in_flight = connect(&webhook);
    in_flight.send_raw(&whole[..whole.len() / 2]).unwrap();
    let finisher = thread::spawn(move || {
        thread::sleep(Duration::from_millis(300));
        in_flight.send_raw(&whole[whole.len() / 2..]).unwrap();
        in_flight.read_response().unwrap()
    });
    thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    webhook.shutdown();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "shutdown waited only for the in-flight request"
    );
    assert_eq!(finisher.join().unwrap().status, 200, "the in-flight request completed");

    let ids: Vec<u64> = receiver.iter().map(|event| synthetic_id(&event.json)).collect();
    assert_eq!(
        ids,
        [0, 1],
        "queued events survive shutdown, then the queue reports closed"
    );
    assert!(idle.is_closed_by_server(), "idle keep-alive connections are closed");
    assert!(TcpStream::connect(addr).is_err(), "no longer listening");
}

#[test]
fn invalid_settings_and_busy_ports_are_start_errors() {
    let config = WebhookConfig::new(loopback(), "k8s-audit");
    let error = Webhook::start(config).unwrap_err();
    assert!(
        matches!(error, WebhookError::InvalidConfig { field: "path", .. }),
        "{error}"
    );
    let config = WebhookConfig {
        queue_capacity: 0,
        ..WebhookConfig::new(loopback(), PATH)
    };
    assert!(matches!(
        Webhook::start(config),
        Err(WebhookError::InvalidConfig {
            field: "queue_capacity",
            ..
        })
    ));

    let first = start(10, 1000);
    let error = Webhook::start(WebhookConfig::new(first.local_addr(), PATH)).unwrap_err();
    assert!(matches!(error, WebhookError::Bind { .. }));
    assert!(error.to_string().contains(&first.local_addr().to_string()), "{error}");
}
