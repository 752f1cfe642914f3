//! Rules reloads while a source streams: every event is evaluated by exactly one ruleset
//! (each produces exactly one alert), labels switch cleanly, a bad ruleset is rejected and the
//! previous one keeps running; SIGTERM then flushes and exits 0.

mod ops_common;

use std::time::Duration;

use ops_common::*;

fn alerts(path: &std::path::Path) -> Vec<(String, u64)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let mut it = l.rsplitn(3, ' ');
            let n = it.next()?.parse().ok()?;
            let label = it.next()?.to_string();
            Some((label, n))
        })
        .collect()
}

#[test]
fn rulesets_swap_under_load_without_losing_or_duplicating_events() {
    let dir = temp_dir("reload");
    let rules = dir.join("rules.yaml");
    let out = dir.join("alerts.txt");
    std::fs::write(&rules, every_event_rule("Phase A", "A")).unwrap();
    let port = free_port();
    let extra = format!(
        "buffered_outputs: true\nwatch_config_files: false\nfile_output:\n  enabled: true\n  keep_alive: true\n  filename: {}\nwebserver:\n  enabled: true\n  listen_address: 127.0.0.1\n  listen_port: {port}\n  prometheus_metrics_enabled: true\n",
        out.display()
    );
    let config = config(&dir, 1_000_000_000, &extra);
    let child = spawn(&config);
    wait_until("first alerts", Duration::from_secs(30), || {
        out.metadata().is_ok_and(|m| m.len() > 0)
    });

    let labels = ["B", "A", "B", "A", "B"];
    for (i, label) in labels.iter().enumerate() {
        std::fs::write(&rules, every_event_rule(&format!("Phase {label}"), label)).unwrap();
        signal(&child, libc::SIGHUP);
        let seen = alerts(&out).len();
        wait_until("alerts of the new ruleset", Duration::from_secs(30), || {
            let a = alerts(&out);
            a.len() > seen && a.last().is_some_and(|(l, _)| l == label)
        });
        if i == 2 {
            // A broken ruleset is rejected; the running one (B) keeps producing alerts.
            std::fs::write(&rules, "- rule: broken\n  condition: no.such.field = 1\n").unwrap();
            signal(&child, libc::SIGHUP);
            std::thread::sleep(Duration::from_millis(600));
            let (_, metrics) = http_get(port, "/metrics").expect("metrics");
            assert!(metrics.contains("saker_rules_reload_failures_total 1"), "{metrics}");
            let tail = alerts(&out);
            assert_eq!(tail.last().unwrap().0, "B");
        }
    }
    let (status, health) = http_get(port, "/healthz").unwrap();
    assert_eq!((status, health.as_str()), (200, "{\"status\": \"ok\"}"));
    signal(&child, libc::SIGTERM);
    let (code, stdout, stderr) = finish(child);
    assert_eq!(code, Some(0), "stderr: {stderr}");
    assert!(stderr.contains("Reload rejected"), "{stderr}");

    let all = alerts(&out);
    let numbers: Vec<u64> = all.iter().map(|(_, n)| *n).collect();
    let expected: Vec<u64> = (1..=numbers.len() as u64).collect();
    assert!(
        numbers == expected,
        "every event exactly once, in order (first gap near {:?})",
        numbers.iter().zip(&expected).position(|(a, b)| a != b)
    );
    let switches = all.windows(2).filter(|w| w[0].0 != w[1].0).count();
    assert_eq!(switches, labels.len(), "one clean switch per accepted reload");
    assert!(
        stdout.contains(&format!("Events detected: {}", numbers.len())),
        "{stdout}"
    );
    let processed: u64 = stderr
        .lines()
        .find_map(|l| l.split("Events processed: ").nth(1))
        .and_then(|n| n.trim().parse().ok())
        .expect("Events processed line");
    assert_eq!(
        processed,
        numbers.len() as u64,
        "every accepted event was evaluated and its alert flushed"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
