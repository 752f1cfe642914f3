//! `/metrics`: the engine's telemetry in Prometheus text exposition format (0.0.4).
//!
//! Syscall capture drops (present while the syscall source runs; from the syscall plugin's
//! `get_metrics` counters, published once a second):
//!
//! | family | labels | meaning |
//! | --- | --- | --- |
//! | `saker_syscall_events_total` | none / `cpu` | events the capture saw, delivered or dropped (`n_evts`, `n_evts_cpu_<N>`) |
//! | `saker_syscall_event_drops_total` | none | events lost, every cause (`n_drops`) |
//! | | `cause` | `buffer_full`, `user_read`, `kernel_read`, `too_large` (`n_drops_<cause>`) |
//! | | `cpu` | events lost on that CPU (`n_drops_cpu_<N>`) |
//! | | `cause="buffer_full"`, `cpu` | ring buffer full on that CPU (`n_drops_buffer_full_cpu_<N>`) |
//! | `saker_syscall_drop_checks_total` | `outcome` | `over_threshold`: once-a-second checks whose drop ratio exceeded `syscall_event_drops.threshold`; `actions_taken`: those the token bucket let act |
//!
//! Without plugin counters (capture replay) the events are the host's count and drops are 0.
//! `user_read` and `kernel_read` count failed memory reads whose events were still delivered.

use std::fmt::Write;
use std::sync::atomic::Ordering;

use crate::engine::telemetry::EngineTelemetry;
use crate::rules::load::items::Priority;

/// Renders every metric; families are grouped under one `# TYPE` line each.
pub fn render(t: &EngineTelemetry) -> String {
    let mut out = String::with_capacity(4096);

    family(
        &mut out,
        "saker_events_total",
        "counter",
        "Events read from each source.",
    );
    for s in &t.sources {
        sample(
            &mut out,
            "saker_events_total",
            &[("source", &s.name)],
            s.events.load(Ordering::Relaxed) as f64,
        );
    }
    family(
        &mut out,
        "saker_source_up",
        "gauge",
        "1 while the source runs without failure, 0 once it failed.",
    );
    for s in &t.sources {
        sample(
            &mut out,
            "saker_source_up",
            &[("source", &s.name)],
            if s.failure().is_some() { 0.0 } else { 1.0 },
        );
    }
    family(
        &mut out,
        "saker_source_errors_total",
        "counter",
        "Failed open/next_batch calls of each source.",
    );
    for s in &t.sources {
        sample(
            &mut out,
            "saker_source_errors_total",
            &[("source", &s.name)],
            s.errors.load(Ordering::Relaxed) as f64,
        );
    }

    let plugins: Vec<_> = t
        .sources
        .iter()
        .map(|s| (s.name.clone(), s.plugins.lock().map(|p| p.clone()).unwrap_or_default()))
        .collect();
    family(
        &mut out,
        "saker_plugin_calls_total",
        "counter",
        "Plugin API calls by source thread, plugin and call.",
    );
    for (source, figures) in &plugins {
        for p in figures {
            for (call, n) in [
                ("next_batch", p.next_batch_calls),
                ("extract_fields", p.counters.extract_calls),
                ("parse_event", p.counters.parse_calls),
            ] {
                sample(
                    &mut out,
                    "saker_plugin_calls_total",
                    &[("source", source), ("plugin", &p.name), ("call", call)],
                    n as f64,
                );
            }
        }
    }
    family(
        &mut out,
        "saker_plugin_errors_total",
        "counter",
        "Plugin calls that failed or returned no value.",
    );
    for (source, figures) in &plugins {
        for p in figures {
            for (kind, n) in [
                ("extract_no_value", p.counters.extract_no_value),
                ("parse_failure", p.counters.parse_failures),
            ] {
                sample(
                    &mut out,
                    "saker_plugin_errors_total",
                    &[("source", source), ("plugin", &p.name), ("kind", kind)],
                    n as f64,
                );
            }
        }
    }
    family(
        &mut out,
        "saker_plugin_metric",
        "untyped",
        "Metrics plugins export through get_metrics.",
    );
    for (source, figures) in &plugins {
        for p in figures {
            for m in &p.metrics {
                let kind = if m.monotonic { "monotonic" } else { "non_monotonic" };
                sample(
                    &mut out,
                    "saker_plugin_metric",
                    &[
                        ("source", source),
                        ("plugin", &p.name),
                        ("metric", &m.name),
                        ("kind", kind),
                    ],
                    m.value,
                );
            }
        }
    }

    render_syscall_drops(&mut out, t);

    let stats = t.matches.lock().map(|s| s.clone()).unwrap_or_default();
    family(
        &mut out,
        "saker_rule_matches_total",
        "counter",
        "Alerts raised by each rule.",
    );
    for (rule, n) in stats.by_rule() {
        sample(&mut out, "saker_rule_matches_total", &[("rule", rule)], *n as f64);
    }
    family(
        &mut out,
        "saker_priority_matches_total",
        "counter",
        "Alerts raised by rule priority.",
    );
    for p in Priority::ALL {
        sample(
            &mut out,
            "saker_priority_matches_total",
            &[("priority", p.as_str())],
            stats.count_for_priority(p) as f64,
        );
    }

    let o = &t.outputs;
    family(
        &mut out,
        "saker_outputs_throttled_total",
        "counter",
        "Alerts dropped by outputs.rate/max_burst.",
    );
    sample(
        &mut out,
        "saker_outputs_throttled_total",
        &[],
        o.throttled.load(Ordering::Relaxed) as f64,
    );
    family(
        &mut out,
        "saker_output_queue_depth",
        "gauge",
        "Alerts waiting in each sink's queue.",
    );
    for s in &o.sinks {
        sample(
            &mut out,
            "saker_output_queue_depth",
            &[("sink", s.name)],
            s.queue_depth() as f64,
        );
    }
    family(
        &mut out,
        "saker_output_queue_capacity",
        "gauge",
        "Bound of each sink's queue.",
    );
    for s in &o.sinks {
        sample(
            &mut out,
            "saker_output_queue_capacity",
            &[("sink", s.name), ("policy", s.policy.as_str())],
            s.capacity as f64,
        );
    }
    family(
        &mut out,
        "saker_output_sent_total",
        "counter",
        "Alerts each sink delivered.",
    );
    for s in &o.sinks {
        sample(
            &mut out,
            "saker_output_sent_total",
            &[("sink", s.name)],
            s.counters.sent.load(Ordering::Relaxed) as f64,
        );
    }
    family(
        &mut out,
        "saker_output_retried_total",
        "counter",
        "Delivery retries of each sink.",
    );
    for s in &o.sinks {
        sample(
            &mut out,
            "saker_output_retried_total",
            &[("sink", s.name)],
            s.counters.retried.load(Ordering::Relaxed) as f64,
        );
    }
    family(
        &mut out,
        "saker_output_dropped_total",
        "counter",
        "Alerts each sink dropped, by cause.",
    );
    for s in &o.sinks {
        for (reason, n) in [
            ("queue_full", &s.counters.dropped_queue_full),
            ("delivery_failed", &s.counters.dropped_delivery_failed),
        ] {
            sample(
                &mut out,
                "saker_output_dropped_total",
                &[("sink", s.name), ("reason", reason)],
                n.load(Ordering::Relaxed) as f64,
            );
        }
    }

    family(
        &mut out,
        "saker_rules_reloads_total",
        "counter",
        "Rulesets swapped in by reloads.",
    );
    sample(
        &mut out,
        "saker_rules_reloads_total",
        &[],
        t.reloads.load(Ordering::Relaxed) as f64,
    );
    family(
        &mut out,
        "saker_rules_reload_failures_total",
        "counter",
        "Reloads rejected (the old rules kept running).",
    );
    sample(
        &mut out,
        "saker_rules_reload_failures_total",
        &[],
        t.reload_failures.load(Ordering::Relaxed) as f64,
    );
    family(
        &mut out,
        "saker_memory_rss_bytes",
        "gauge",
        "Resident set size of the process.",
    );
    sample(&mut out, "saker_memory_rss_bytes", &[], rss_bytes() as f64);
    out
}

/// The syscall capture's counters (plugin metrics `n_evts`, `n_drops`, `n_drops_<cause>` and
/// their `_cpu_<N>` forms), cumulative since the capture opened. In each family the sample
/// without a `cpu` label is the total over CPUs and, for drops, the one without `cause` counts
/// every cause; so sum either the labelled or the unlabelled samples, never both.
fn render_syscall_drops(out: &mut String, t: &EngineTelemetry) {
    let monitored: Vec<_> = t
        .sources
        .iter()
        .filter(|s| s.drops.monitored.load(Ordering::Relaxed))
        .map(|s| {
            let counters = s.drops.counters.lock().ok().and_then(|c| c.clone()).unwrap_or_default();
            (s, counters)
        })
        .collect();
    if monitored.is_empty() {
        return;
    }
    family(
        out,
        "saker_syscall_events_total",
        "counter",
        "Events the syscall capture saw (delivered or dropped), in total and by CPU.",
    );
    for (_, c) in &monitored {
        sample(out, "saker_syscall_events_total", &[], c.n_evts as f64);
        for cpu in &c.per_cpu {
            sample(
                out,
                "saker_syscall_events_total",
                &[("cpu", &cpu.cpu.to_string())],
                cpu.n_evts as f64,
            );
        }
    }
    family(
        out,
        "saker_syscall_event_drops_total",
        "counter",
        "Syscall events lost or cut, in total, by cause and by CPU.",
    );
    for (_, c) in &monitored {
        sample(out, "saker_syscall_event_drops_total", &[], c.n_drops as f64);
        for (cause, n) in [
            ("buffer_full", c.buffer_full),
            ("user_read", c.user_read),
            ("kernel_read", c.kernel_read),
            ("too_large", c.too_large),
        ] {
            sample(out, "saker_syscall_event_drops_total", &[("cause", cause)], n as f64);
        }
        for cpu in &c.per_cpu {
            let id = cpu.cpu.to_string();
            sample(
                out,
                "saker_syscall_event_drops_total",
                &[("cpu", &id)],
                cpu.n_drops as f64,
            );
            sample(
                out,
                "saker_syscall_event_drops_total",
                &[("cause", "buffer_full"), ("cpu", &id)],
                cpu.buffer_full as f64,
            );
        }
    }
    family(
        out,
        "saker_syscall_drop_checks_total",
        "counter",
        "Once-a-second drop checks over syscall_event_drops.threshold, and those that ran the actions.",
    );
    for (s, _) in &monitored {
        for (outcome, n) in [
            ("over_threshold", &s.drops.occurrences),
            ("actions_taken", &s.drops.actions_taken),
        ] {
            sample(
                out,
                "saker_syscall_drop_checks_total",
                &[("outcome", outcome)],
                n.load(Ordering::Relaxed) as f64,
            );
        }
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: f64) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{k}=\"");
            for c in v.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '"' => out.push_str("\\\""),
                    '\n' => out.push_str("\\n"),
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

/// Resident set size from `/proc/self/statm` (0 where unavailable).
pub fn rss_bytes() -> u64 {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * page.max(0) as u64
}
