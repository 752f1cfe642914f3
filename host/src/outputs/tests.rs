use std::sync::atomic::Ordering;

use super::*;
use crate::config::Config;

fn load(dir: &std::path::Path, yaml: &str) -> Config {
    let path = dir.join("falco.yaml");
    std::fs::write(&path, yaml).unwrap();
    Config::load(Some(&path), &[]).unwrap().0
}

#[test]
fn falco_keys_select_sinks_queue_policy_and_throttling() {
    let dir = std::env::temp_dir().join(format!("saker-outputs-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("alerts.txt");
    let config = load(
        &dir,
        &format!(
            "json_output: true\nbuffered_outputs: true\noutputs:\n  rate: 0.000001\n  max_burst: 3\n\
             outputs_queue:\n  capacity: 5\n  policy: drop\nfile_output:\n  enabled: true\n  filename: {}\n\
             http_output:\n  enabled: false\n  headers:\n    Authorization: Bearer x\n",
            file.display()
        ),
    );
    assert_eq!(
        config.outputs.http.headers,
        vec![("Authorization".to_string(), "Bearer x".to_string())]
    );
    let mut outputs = Outputs::from_config(&config.outputs).unwrap();
    assert!(outputs.json());
    for i in 0..10 {
        outputs.emit(FormattedAlert {
            text: format!("{{\"n\":{i}}}"),
            priority: Priority::Error,
            json: true,
        });
    }
    outputs.flush();
    let t = outputs.telemetry();
    assert_eq!(t.sinks.len(), 1);
    assert_eq!(
        (t.sinks[0].name, t.sinks[0].capacity, t.sinks[0].policy),
        ("file", 5, QueuePolicy::Drop)
    );
    // A burst of 3, then (at one token per ~11 days) everything else is throttled.
    assert_eq!(t.throttled.load(Ordering::Relaxed), 7);
    outputs.shutdown();
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n"
    );

    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn http_max_connections_defaults_reads_and_rejects_out_of_range() {
    let dir = std::env::temp_dir().join(format!("saker-outputs-pool-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let http = |yaml: &str| {
        let c = load(
            &dir,
            &format!("http_output:\n  enabled: true\n  url: http://127.0.0.1:1/\n{yaml}"),
        );
        http::HttpSinkConfig::from_config(&c.outputs.http, Duration::ZERO).unwrap()
    };
    assert_eq!(http("").max_connections, http::DEFAULT_MAX_CONNECTIONS);
    assert_eq!(http("  max_connections: 1\n").max_connections, 1);
    assert_eq!(http("  max_connections: 8\n").max_connections, 8);
    for bad in ["0", "65"] {
        let path = dir.join("falco.yaml");
        std::fs::write(&path, format!("http_output:\n  max_connections: {bad}\n")).unwrap();
        let e = Config::load(Some(&path), &[]).err().unwrap().to_string();
        assert!(
            e.contains("http_output.max_connections") && e.contains("up to 64") && e.contains("falco.yaml"),
            "{e}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unknown_queue_policy_is_rejected_with_the_key() {
    let dir = std::env::temp_dir().join(format!("saker-outputs-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("falco.yaml");
    std::fs::write(&path, "outputs_queue:\n  policy: sometimes\n").unwrap();
    let e = Config::load(Some(&path), &[]).err().unwrap().to_string();
    assert!(
        e.contains("outputs_queue.policy") && e.contains("'block' or 'drop'"),
        "{e}"
    );
    let e = Outputs::from_config(&load(&dir, "program_output:\n  enabled: true\n").outputs)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("program_output.program"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Records what the drain thread does: each delivered text, and after how many deliveries each
/// flush came.
struct Recording {
    coalesces: bool,
    log: Arc<std::sync::Mutex<(Vec<String>, Vec<usize>)>>,
    /// Held by the test while it queues alerts, so that they are all waiting at once.
    gate: Arc<std::sync::Mutex<()>>,
}

impl Sink for Recording {
    fn name(&self) -> &'static str {
        "recording"
    }
    fn deliver(&mut self, alert: &FormattedAlert) -> Result<(), OutputsError> {
        drop(self.gate.lock().unwrap());
        self.log.lock().unwrap().0.push(alert.text.clone());
        Ok(())
    }
    fn flush(&mut self) -> Result<(), OutputsError> {
        let mut log = self.log.lock().unwrap();
        let delivered = log.0.len();
        log.1.push(delivered);
        Ok(())
    }
    fn coalesces_flushes(&self) -> bool {
        self.coalesces
    }
}

/// With `buffered_outputs: false`, a stream sink flushes once per run of waiting alerts (at
/// least every MAX_DEFERRED_FLUSH alerts) and ends with everything flushed; a sink whose flush
/// is an action of its own still flushes after every alert.
#[test]
fn stream_sinks_coalesce_flushes_of_waiting_alerts_and_others_flush_each() {
    for coalesces in [true, false] {
        let log = Arc::new(std::sync::Mutex::new((Vec::new(), Vec::new())));
        let gate = Arc::new(std::sync::Mutex::new(()));
        let sink = Recording {
            coalesces,
            log: log.clone(),
            gate: gate.clone(),
        };
        let opts = QueueOptions {
            capacity: 1000,
            policy: QueuePolicy::Block,
            flush_each: true,
        };
        let mut outputs = Outputs::new(vec![(Box::new(sink), opts)], None, false);
        let held = gate.lock().unwrap();
        let n = 3 * queue::MAX_DEFERRED_FLUSH + 5;
        for i in 0..n {
            outputs.emit(FormattedAlert {
                text: format!("alert {i}"),
                priority: Priority::Error,
                json: false,
            });
        }
        drop(held);
        outputs.flush();
        let (texts, flushes) = log.lock().unwrap().clone();
        assert_eq!(texts, (0..n).map(|i| format!("alert {i}")).collect::<Vec<_>>());
        if coalesces {
            // The first alert may be flushed alone (the drain can take it before the rest are
            // queued); after that, at most MAX_DEFERRED_FLUSH alerts between flushes.
            assert!(flushes.len() < n / 2, "{flushes:?}");
            assert!(
                flushes.windows(2).all(|w| w[1] - w[0] <= queue::MAX_DEFERRED_FLUSH),
                "{flushes:?}"
            );
        } else {
            let each: Vec<usize> = (1..=n).collect();
            assert_eq!(flushes[..n], each[..], "{flushes:?}");
        }
        assert_eq!(flushes.last(), Some(&n));
        outputs.shutdown();
    }
}
