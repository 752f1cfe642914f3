//! Alerts per second through formatting (Falco JSON) + the sink queue + a sink:
//! a file sink (buffered_outputs) and the http sink against a loopback receiver.
//! Run: `cargo bench -p saker --bench outputs` (set SAKER_BENCH_STDOUT=1 to add stdout, and
//! redirect it). Prints one line per sink; not a timed test.

use std::time::Instant;

use saker::outputs::file::{FileSink, FileSinkConfig};
use saker::outputs::http::{HttpSink, HttpSinkConfig};
use saker::outputs::receiver::HttpReceiver;
use saker::outputs::stdout::StdoutSink;
use saker::outputs::{FormattedAlert, Outputs, QueueOptions, Sink};
use saker::rules::load::items::Priority;
use saker::rules::output::alert::{Alert, AlertOptions};

fn alert(i: u64) -> Alert {
    let mut fields = serde_json::Map::new();
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
    let t = outputs.telemetry();
    let sent = t.sinks[0].counters.sent.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(sent, count, "{name}: every alert delivered");
    eprintln!(
        "{name:<28} {count:>8} alerts in {secs:.3} s = {:>10.0} alerts/s",
        count as f64 / secs
    );
    outputs.shutdown();
}

fn main() {
    let dir = std::env::temp_dir().join(format!("saker-bench-outputs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
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
    let receiver = HttpReceiver::start();
    let http = HttpSink::new(HttpSinkConfig::for_url(&receiver.url("/")).unwrap()).unwrap();
    measure("http (loopback, keep-alive)", Box::new(http), true, 100_000);
    if std::env::var_os("SAKER_BENCH_STDOUT").is_some() {
        measure("stdout (buffered_outputs)", Box::new(StdoutSink::new()), true, 500_000);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
