use super::*;

const SEC: u64 = 1_000_000_000;
/// An event time far from 0, as real captures have.
const T0: u64 = 1_470_327_477 * SEC;

fn config(actions: &[DropAction]) -> SyscallEventDrops {
    SyscallEventDrops {
        threshold: 0.1,
        actions: actions.to_vec(),
        rate: 0.03333,
        max_burst: 10.0,
        simulate_drops: false,
    }
}

fn counters(n_evts: u64, n_drops: u64) -> DropCounters {
    DropCounters {
        n_evts,
        n_drops,
        buffer_full: n_drops,
        ..DropCounters::default()
    }
}

fn metric(name: &str, value: f64) -> PluginMetric {
    PluginMetric {
        name: name.into(),
        monotonic: true,
        value,
    }
}

#[test]
fn the_first_check_comes_one_second_after_the_first_event_then_once_a_second() {
    let mut m = DropMonitor::new(&config(&[DropAction::Log]), false);
    assert!(!m.due(T0));
    assert!(!m.due(T0 + SEC));
    assert!(m.due(T0 + SEC + 1));
    assert_eq!(m.check(T0 + SEC + 1, counters(100, 0)), None);
    assert!(!m.due(T0 + 2 * SEC + 1));
    assert!(m.due(T0 + 2 * SEC + 2));
}

#[test]
fn drops_over_the_threshold_act_and_at_or_under_it_do_not() {
    let mut m = DropMonitor::new(&config(&[DropAction::Log]), false);
    m.due(T0);
    // 10 of 100 events lost: a ratio of exactly the threshold does not act.
    assert_eq!(m.check(T0 + 2 * SEC, counters(100, 10)), None);
    // 11 more of 100 more: over.
    let r = m.check(T0 + 4 * SEC, counters(200, 21)).expect("over the threshold");
    assert_eq!(r.delta.n_drops, 11);
    assert_eq!(r.delta.n_evts, 100);
    assert_eq!(r.actions, vec![DropAction::Log]);
    assert_eq!(
        r.message(),
        "Falco internal: syscall event drop. 11 system calls dropped in last second."
    );
    // No new drops: nothing, whatever the earlier totals.
    assert_eq!(m.check(T0 + 6 * SEC, counters(300, 21)), None);
    assert_eq!(m.totals(), (1, 1));
}

#[test]
fn drops_without_events_are_over_any_threshold() {
    let mut cfg = config(&[DropAction::Alert]);
    cfg.threshold = 1.0;
    let mut m = DropMonitor::new(&cfg, false);
    assert!(m.check(T0, counters(0, 3)).is_some());
}

#[test]
fn the_token_bucket_on_event_time_limits_actions_not_occurrences() {
    let mut cfg = config(&[DropAction::Alert]);
    cfg.rate = 0.5; // one token every two seconds
    cfg.max_burst = 2.0;
    let mut m = DropMonitor::new(&cfg, false);
    // One check a second, each finding half of the new events lost.
    let acted: Vec<u64> = (0..10u64)
        .filter(|k| m.check(T0 + k * SEC, counters(100 * (k + 1), 50 * (k + 1))).is_some())
        .collect();
    // A full bucket of two plus the refill, then one token per two seconds.
    assert_eq!(acted, vec![0, 1, 2, 4, 6, 8]);
    assert_eq!(m.totals(), (10, 6));
}

#[test]
fn simulated_drops_count_once_per_check_with_a_zero_threshold() {
    let mut cfg = config(&[DropAction::Ignore]);
    cfg.simulate_drops = true;
    cfg.threshold = 0.9;
    let mut m = DropMonitor::new(&cfg, false);
    // A million events a second and no real drops: the simulated one is over a 0 threshold.
    let responses: Vec<DropResponse> = (0..4u64)
        .filter_map(|k| m.check(T0 + k * SEC, counters(1_000_000 * (k + 1), 0)))
        .collect();
    assert_eq!(m.totals(), (4, 4));
    assert!(responses
        .iter()
        .all(|r| r.delta.n_drops == 1 && r.actions == vec![DropAction::Ignore]));
    assert!(responses.iter().all(|r| !r.exits()));
}

#[test]
fn every_action_runs_in_falco_order() {
    let mut m = DropMonitor::new(&config(&[DropAction::Exit, DropAction::Alert, DropAction::Log]), true);
    let r = m.check(T0, counters(10, 5)).expect("over the threshold");
    assert_eq!(r.actions, vec![DropAction::Log, DropAction::Alert, DropAction::Exit]);
    assert!(r.exits());
}

#[test]
fn the_alert_carries_falco_fields_as_strings() {
    let mut m = DropMonitor::new(&config(&[DropAction::Alert]), true);
    let now = DropCounters {
        n_evts: 1000,
        n_drops: 400,
        buffer_full: 390,
        user_read: 3,
        kernel_read: 4,
        too_large: 10,
        per_cpu: Vec::new(),
    };
    let alert = m.check(T0, now).expect("over the threshold").alert();
    assert_eq!(alert.rule, DROP_RULE);
    assert_eq!(alert.priority, Priority::Debug);
    assert_eq!(alert.time_ns, T0);
    let field = |k: &str| alert.fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(field("n_evts"), Some("1000"));
    assert_eq!(field("n_drops"), Some("400"));
    assert_eq!(field("n_drops_buffer_total"), Some("390"));
    assert_eq!(field("n_drops_scratch_map"), Some("10"));
    assert_eq!(field("n_drops_page_faults"), Some("7"));
    assert_eq!(field("ebpf_enabled"), Some("1"));
}

#[test]
fn counters_come_from_plugin_metrics_with_per_cpu_values() {
    let metrics = [
        // As the host names them: `<plugin>.<metric>`.
        metric("syscall.n_evts", 1000.0),
        metric("syscall.n_drops", 12.0),
        metric("n_drops_buffer_full", 10.0),
        metric("n_drops_too_large", 2.0),
        metric("n_evts_cpu_1", 400.0),
        metric("n_evts_cpu_0", 600.0),
        metric("n_drops_cpu_0", 12.0),
        metric("n_drops_buffer_full_cpu_0", 10.0),
        metric("n_drops_cpu_x", 99.0),
        metric("something_else", 5.0),
    ];
    let c = DropCounters::from_metrics(&metrics, 7);
    assert_eq!((c.n_evts, c.n_drops, c.buffer_full, c.too_large), (1000, 12, 10, 2));
    assert_eq!(
        c.per_cpu,
        vec![
            CpuDropCounters {
                cpu: 0,
                n_evts: 600,
                n_drops: 12,
                buffer_full: 10
            },
            CpuDropCounters {
                cpu: 1,
                n_evts: 400,
                n_drops: 0,
                buffer_full: 0
            },
        ]
    );
}

/// The host reads plugin metrics as `<plugin>.<metric>` (Plugin::metrics).
#[test]
fn counters_come_from_metrics_named_with_the_plugin_prefix() {
    let metrics = [
        metric("syscall.n_evts", 1000.0),
        metric("syscall.n_drops", 12.0),
        metric("syscall.n_drops_buffer_full", 12.0),
        metric("syscall.n_drops_user_read", 3.0),
        metric("syscall.n_evts_cpu_0", 1000.0),
        metric("syscall.n_drops_buffer_full_cpu_0", 12.0),
    ];
    let c = DropCounters::from_metrics(&metrics, 7);
    assert_eq!((c.n_evts, c.n_drops, c.buffer_full, c.user_read), (1000, 12, 12, 3));
    assert_eq!(c.per_cpu[0].buffer_full, 12);
}

#[test]
fn without_plugin_metrics_the_host_count_stands_in_and_nothing_dropped() {
    let c = DropCounters::from_metrics(&[], 4242);
    assert_eq!(c, counters(4242, 0));
    let mut m = DropMonitor::new(&config(&[DropAction::Exit]), false);
    assert_eq!(m.check(T0, c), None);
}

#[test]
fn counters_going_back_do_not_underflow() {
    let mut m = DropMonitor::new(&config(&[DropAction::Log]), false);
    assert!(m.check(T0, counters(100, 50)).is_some());
    // The plugin restarted its counters: no drops since, no action.
    assert_eq!(m.check(T0 + 2 * SEC, counters(10, 0)), None);
}

#[test]
fn the_summary_prints_falco_lines_only_for_monitored_sources() {
    let t = DropTelemetry::default();
    assert_eq!(t.summary(), None);
    t.monitored.store(true, Ordering::Relaxed);
    let mut m = DropMonitor::new(&config(&[DropAction::Log]), false);
    m.check(T0, counters(10, 5));
    t.record(&m);
    assert_eq!(
        t.summary().unwrap(),
        "Syscall event drop monitoring:\n   - event drop detected: 1 occurrences\n   - num times actions taken: 1\n"
    );
}
