//! Alerts per second through formatting (Falco JSON) + the sink queue + a sink:
//! a file sink (buffered_outputs) and the http sink against a loopback receiver (a real
//! HTTP/1.1 server: a thread per connection parsing each request and answering 200), with
//! `http_output.max_connections` 1 (Falco's one request at a time), 2, 4 and 8.
//! Run: `cargo bench -p saker --bench outputs` (set SAKER_BENCH_STDOUT=1 to add stdout, and
//! redirect it; SAKER_BENCH_HTTP_ONLY=1 for the http lines only). Prints one line per case with
//! the wall-clock rate, the process CPU time per alert (sink, receiver and formatting together,
//! steadier than wall clock on a loaded machine) and the load average; not a timed test.

use std::time::Instant;

use saker::outputs::file::{FileSink, FileSinkConfig};
use saker::outputs::http::{HttpSink, HttpSinkConfig, DEFAULT_MAX_CONNECTIONS};
use saker::outputs::receiver::HttpReceiver;
use saker::outputs::stdout::StdoutSink;
use saker::outputs::{FormattedAlert, Outputs, QueueOptions, Sink};
use saker::rules::load::items::Priority;
use saker::rules::output::alert::{Alert, AlertOptions, OutputFields};

fn alert(i: u64) -> Alert {
    let mut fields = OutputFields::default();
    fields.insert("proc.name".into(), "cat".into());
    fields.insert("fd.name".into(), format!("/etc/shadow.{i}").into());
    fields.insert("user.name".into(), "root".into());
    Alert {
        time_ns: 1_700_000_000_000_000_000 + i * 1000,
        priority: Priority::Warning,
        rule: "Read sensitive file untrusted".into(),
        source: "syscall".into(),
        tags: vec!["filesystem".into(), "mitre_credential_access".into()],
        message: format!("Sensitive file opened for reading (file=/etc/shadow.{i} user=root proc=cat)"),
        output_fields: fields,
    }
}

fn measure(name: &str, sink: Box<dyn Sink>, buffered: bool, count: u64) {
    let opts = AlertOptions {
        hostname: "bench".into(),
        ..AlertOptions::default()
    };
    let mut outputs = Outputs::new(
        vec![(
            sink,
            QueueOptions {
                flush_each: !buffered,
                ..QueueOptions::default()
            },
        )],
        None,
        true,
    );
    let alerts: Vec<Alert> = (0..count).map(alert).collect();
    let cpu_start = cpu_seconds();
    let sink_cpu_start = sink_cpu_seconds();
    let start = Instant::now();
    for a in &alerts {
        outputs.emit(FormattedAlert {
            text: a.to_json(&opts),
            priority: a.priority,
            json: true,
        });
    }
    outputs.flush();
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_start;
    let sink_cpu = sink_cpu_seconds() - sink_cpu_start;
    let t = outputs.telemetry();
    let sent = t.sinks[0].counters.sent.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(sent, count, "{name}: every alert delivered");
    eprintln!(
        "{name:<32} {count:>7} alerts in {secs:.3} s = {:>7.0} alerts/s; CPU/alert {:>5.2} µs all, {:>5.2} µs sink threads; load {}",
        count as f64 / secs,
        cpu * 1e6 / count as f64,
        sink_cpu * 1e6 / count as f64,
        load_average()
    );
    outputs.shutdown();
}

/// User + system CPU time of the whole process (every thread, the receiver's included).
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// CPU time of the sink's worker threads (`saker-out-*`), from each thread's schedstat.
fn sink_cpu_seconds() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    let mut ns = 0u64;
    for task in tasks.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.starts_with("saker-out-") {
            let stat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
            ns += stat.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or(0);
        }
    }
    ns as f64 / 1e9
}

/// The 1-minute load average (how busy the machine was while measuring).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_default()
}

fn main() {
    let http_only = std::env::var_os("SAKER_BENCH_HTTP_ONLY").is_some();
    let dir = std::env::temp_dir().join(format!("saker-bench-outputs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    if !http_only {
        measure_files(&dir);
    }
    for connections in [1, 2, 4, 8] {
        let name = format!("http (loopback, {connections} conn)");
        measure_http(&name, HttpReceiver::start(), connections);
    }
    // A receiver that keeps Nagle's algorithm on, for the pipelined connections.
    let name = format!("http (Nagle receiver, {DEFAULT_MAX_CONNECTIONS} conn)");
    measure_http(&name, HttpReceiver::start_with_nagle(), DEFAULT_MAX_CONNECTIONS);
    if std::env::var_os("SAKER_BENCH_STDOUT").is_some() {
        measure("stdout (buffered_outputs)", Box::new(StdoutSink::new()), true, 500_000);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The http sink with a pool of `connections` into `receiver`, which parses and answers every
/// request but keeps none (as a receiver that forwards alerts elsewhere).
fn measure_http(name: &str, receiver: HttpReceiver, connections: usize) {
    const ALERTS: u64 = 100_000;
    receiver.record.store(false, std::sync::atomic::Ordering::Relaxed);
    let mut config = HttpSinkConfig::for_url(&receiver.url("/")).unwrap();
    config.max_connections = connections;
    measure(name, Box::new(HttpSink::new(config).unwrap()), true, ALERTS);
    let answered = receiver.answered.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(answered as u64, ALERTS, "{name}: every request answered once");
}

fn measure_files(dir: &std::path::Path) {
    let file = FileSinkConfig {
        path: dir.join("alerts.json"),
        keep_alive: true,
    };
    measure(
        "file (buffered_outputs)",
        Box::new(FileSink::new(&file).unwrap()),
        true,
        500_000,
    );
    measure(
        "file (flush each alert)",
        Box::new(FileSink::new(&file).unwrap()),
        false,
        200_000,
    );
}
