//! `syscall_event_drops`: watching the syscall capture for lost events (Falco 0.42's drop
//! monitor). Once per second of event time the monitor compares the capture's cumulative
//! counters with those of the previous check; when the share of dropped events exceeds
//! `threshold` and the token bucket (`rate`, `max_burst`) has a token, the configured actions
//! run — all of them, in the order ignore, log, alert, exit (Falco 0.42; earlier Falco ran
//! only the first). Between two checks the event loop pays one timestamp comparison per event.
//!
//! The counters come from the syscall plugin's `get_metrics` ([`DropCounters::from_metrics`]).
//! A plugin that exports none (capture replay) has dropped nothing, and the host's own count of
//! syscall events stands in for `n_evts`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use crate::config::{DropAction, SyscallEventDrops};
use crate::outputs::TokenBucket;
use crate::plugins::PluginMetric;
use crate::rules::load::items::Priority;
use crate::rules::output::alert::InternalAlert;

/// How much event time separates two checks (Falco's one second).
pub const CHECK_INTERVAL_NS: u64 = 1_000_000_000;

/// The `rule` of drop alerts and the start of every drop message, as Falco names it.
pub const DROP_RULE: &str = "Falco internal: syscall event drop";

/// Metric names the syscall plugin exports (monotonic u64). Per-CPU values carry a
/// `_cpu_<N>` suffix on `n_evts`, `n_drops` and `n_drops_buffer_full`. The host reads them
/// as `<plugin name>.<metric>` ([`crate::plugins::PluginMetric`]).
pub mod metric {
    pub const EVENTS: &str = "n_evts";
    pub const DROPS: &str = "n_drops";
    pub const BUFFER_FULL: &str = "n_drops_buffer_full";
    pub const USER_READ: &str = "n_drops_user_read";
    pub const KERNEL_READ: &str = "n_drops_kernel_read";
    pub const TOO_LARGE: &str = "n_drops_too_large";
    pub const CPU_SUFFIX: &str = "_cpu_";
}

/// One CPU's cumulative counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuDropCounters {
    pub cpu: u32,
    pub n_evts: u64,
    pub n_drops: u64,
    pub buffer_full: u64,
}

/// Cumulative counters of the syscall capture since it opened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DropCounters {
    /// Events the capture saw, delivered or dropped.
    pub n_evts: u64,
    /// Events lost, every cause together.
    pub n_drops: u64,
    /// Lost because the ring buffer was full.
    pub buffer_full: u64,
    /// Reads of user memory that failed (the event went out with an empty item).
    pub user_read: u64,
    /// Reads of kernel memory that failed (likewise).
    pub kernel_read: u64,
    /// Events cut because they did not fit the capture's scratch area.
    pub too_large: u64,
    /// By CPU number, ascending; empty when the plugin exports no per-CPU values.
    pub per_cpu: Vec<CpuDropCounters>,
}

impl DropCounters {
    /// The counters among a plugin's metrics (named `<plugin>.<metric>` as the host reads
    /// them, or bare). Without an `n_evts` metric, `host_events` (the host's count of the
    /// source's events) stands in; missing drop counters are 0.
    pub fn from_metrics(metrics: &[PluginMetric], host_events: u64) -> DropCounters {
        let mut c = DropCounters {
            n_evts: host_events,
            ..DropCounters::default()
        };
        for m in metrics {
            // Counters are u64 the ABI may hand over as any numeric type; negatives mean 0.
            let value = if m.value.is_finite() && m.value > 0.0 {
                m.value as u64
            } else {
                0
            };
            // Plugin names have no dots; the metric's own name follows the first one.
            let name = m.name.split_once('.').map_or(m.name.as_str(), |(_, name)| name);
            if let Some((name, cpu)) = name.rsplit_once(metric::CPU_SUFFIX) {
                let Ok(cpu) = cpu.parse::<u32>() else { continue };
                let slot = c.cpu_slot(cpu);
                match name {
                    metric::EVENTS => slot.n_evts = value,
                    metric::DROPS => slot.n_drops = value,
                    metric::BUFFER_FULL => slot.buffer_full = value,
                    _ => {}
                }
                continue;
            }
            match name {
                metric::EVENTS => c.n_evts = value,
                metric::DROPS => c.n_drops = value,
                metric::BUFFER_FULL => c.buffer_full = value,
                metric::USER_READ => c.user_read = value,
                metric::KERNEL_READ => c.kernel_read = value,
                metric::TOO_LARGE => c.too_large = value,
                _ => {}
            }
        }
        c
    }

    fn cpu_slot(&mut self, cpu: u32) -> &mut CpuDropCounters {
        let at = match self.per_cpu.binary_search_by_key(&cpu, |c| c.cpu) {
            Ok(at) => at,
            Err(at) => {
                self.per_cpu.insert(
                    at,
                    CpuDropCounters {
                        cpu,
                        ..CpuDropCounters::default()
                    },
                );
                at
            }
        };
        &mut self.per_cpu[at]
    }

    /// What changed since `earlier` (totals only; a counter that went back counts 0).
    fn since(&self, earlier: &DropCounters) -> DropCounters {
        DropCounters {
            n_evts: self.n_evts.saturating_sub(earlier.n_evts),
            n_drops: self.n_drops.saturating_sub(earlier.n_drops),
            buffer_full: self.buffer_full.saturating_sub(earlier.buffer_full),
            user_read: self.user_read.saturating_sub(earlier.user_read),
            kernel_read: self.kernel_read.saturating_sub(earlier.kernel_read),
            too_large: self.too_large.saturating_sub(earlier.too_large),
            per_cpu: Vec::new(),
        }
    }
}

/// A check that found too many drops and had a token: what the event loop must now do.
#[derive(Debug, Clone, PartialEq)]
pub struct DropResponse {
    /// Event time of the check.
    pub time_ns: u64,
    /// The drops of the last second (simulated one included).
    pub delta: DropCounters,
    /// The configured actions in Falco's order: ignore, log, alert, exit.
    pub actions: Vec<DropAction>,
    /// Whether the capture runs on eBPF (Falco's `ebpf_enabled` output field).
    pub ebpf: bool,
}

impl DropResponse {
    /// `Falco internal: syscall event drop. <n> system calls dropped in last second.`
    pub fn message(&self) -> String {
        format!(
            "{DROP_RULE}. {} system calls dropped in last second.",
            self.delta.n_drops
        )
    }

    /// Whether an `exit` action stops the source.
    pub fn exits(&self) -> bool {
        self.actions.contains(&DropAction::Exit)
    }

    /// The `alert` action's message: priority Debug, Falco's output field names, every value a
    /// string. Saker's capture does not split buffer drops by syscall category, so Falco's
    /// `n_drops_buffer_*_exit` fields are absent; `n_drops_scratch_map` counts cut events and
    /// `n_drops_page_faults` failed memory reads.
    pub fn alert(&self) -> InternalAlert {
        let d = &self.delta;
        let fields = [
            ("n_evts", d.n_evts),
            ("n_drops", d.n_drops),
            ("n_drops_buffer_total", d.buffer_full),
            ("n_drops_scratch_map", d.too_large),
            ("n_drops_page_faults", d.user_read + d.kernel_read),
            ("n_drops_bug", 0),
            ("ebpf_enabled", u64::from(self.ebpf)),
        ];
        InternalAlert {
            time_ns: self.time_ns,
            priority: Priority::Debug,
            rule: DROP_RULE.to_string(),
            message: self.message(),
            fields: fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }
}

/// Watches one syscall source's counters; owned by that source's thread.
#[derive(Debug)]
pub struct DropMonitor {
    actions: Vec<DropAction>,
    threshold: f64,
    simulate: bool,
    ebpf: bool,
    bucket: TokenBucket,
    /// Event time after which the next check runs; 0 before the first event.
    next_check_ns: u64,
    last: DropCounters,
    /// Checks whose drop ratio exceeded the threshold (Falco's "event drop detected").
    occurrences: u64,
    /// Of those, the ones the token bucket let act (Falco's "num times actions taken").
    actions_taken: u64,
}

impl DropMonitor {
    /// A monitor for `config`; `ebpf` tells the alert whether the capture runs on eBPF.
    /// With `simulate_drops` the threshold is 0, as in Falco, so every simulated drop counts.
    pub fn new(config: &SyscallEventDrops, ebpf: bool) -> DropMonitor {
        let mut actions = config.actions.clone();
        actions.sort_by_key(|a| action_rank(*a));
        actions.dedup();
        DropMonitor {
            actions,
            threshold: if config.simulate_drops { 0.0 } else { config.threshold },
            simulate: config.simulate_drops,
            ebpf,
            bucket: TokenBucket::new(config.rate, config.max_burst),
            next_check_ns: 0,
            last: DropCounters::default(),
            occurrences: 0,
            actions_taken: 0,
        }
    }

    /// Whether a check is due at event time `ts` (call for every event; cheap). The first
    /// event schedules the first check one second later.
    #[inline]
    pub fn due(&mut self, ts: u64) -> bool {
        if self.next_check_ns == 0 {
            self.next_check_ns = ts.saturating_add(CHECK_INTERVAL_NS);
            return false;
        }
        ts > self.next_check_ns
    }

    /// Compares `now` (cumulative counters) with the previous check. Returns the actions to
    /// run when the drop ratio exceeds the threshold and the token bucket allows.
    pub fn check(&mut self, ts: u64, now: DropCounters) -> Option<DropResponse> {
        self.next_check_ns = ts.saturating_add(CHECK_INTERVAL_NS);
        let mut delta = now.since(&self.last);
        self.last = now;
        if self.simulate {
            tracing::info!("Simulating syscall event drop");
            delta.n_drops += 1;
        }
        if delta.n_drops == 0 {
            return None;
        }
        // n_evts includes the drops; 0 events with drops is an infinite ratio, as in Falco.
        let ratio = delta.n_drops as f64 / delta.n_evts as f64;
        if ratio <= self.threshold {
            return None;
        }
        self.occurrences += 1;
        if !self.bucket.take_at_ns(ts) {
            tracing::debug!("Syscall event drop but token bucket depleted, skipping actions");
            return None;
        }
        self.actions_taken += 1;
        Some(DropResponse {
            time_ns: ts,
            delta,
            actions: self.actions.clone(),
            ebpf: self.ebpf,
        })
    }

    /// (occurrences, actions taken) so far.
    pub fn totals(&self) -> (u64, u64) {
        (self.occurrences, self.actions_taken)
    }
}

fn action_rank(action: DropAction) -> u8 {
    match action {
        DropAction::Ignore => 0,
        DropAction::Log => 1,
        DropAction::Alert => 2,
        DropAction::Exit => 3,
    }
}

/// What `/metrics` and the end-of-run summary see of a syscall source's drop monitoring.
#[derive(Debug, Default)]
pub struct DropTelemetry {
    /// Set when the source runs a [`DropMonitor`] (the syscall source does).
    pub monitored: AtomicBool,
    pub occurrences: AtomicU64,
    pub actions_taken: AtomicU64,
    /// The capture's counters as last published (every `PLUGIN_PUBLISH_INTERVAL`).
    pub counters: Mutex<Option<DropCounters>>,
}

impl DropTelemetry {
    pub(crate) fn record(&self, monitor: &DropMonitor) {
        let (occurrences, actions) = monitor.totals();
        self.occurrences.store(occurrences, Ordering::Relaxed);
        self.actions_taken.store(actions, Ordering::Relaxed);
    }

    /// Falco's end-of-run lines (`Syscall event drop monitoring:` …), or `None` when the
    /// source was not monitored.
    pub fn summary(&self) -> Option<String> {
        if !self.monitored.load(Ordering::Relaxed) {
            return None;
        }
        Some(format!(
            "Syscall event drop monitoring:\n   - event drop detected: {} occurrences\n   - num times actions taken: {}\n",
            self.occurrences.load(Ordering::Relaxed),
            self.actions_taken.load(Ordering::Relaxed)
        ))
    }
}

#[cfg(test)]
mod tests;
