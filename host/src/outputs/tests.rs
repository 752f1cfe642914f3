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
