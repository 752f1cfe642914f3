//! What the event loop tells the outside world while it runs (the web server's `/healthz` and
//! `/metrics`): events per source, source failures, plugin counters and metrics, rule matches.
//! Source threads update atomics per batch and copy plugin figures every
//! [`PLUGIN_PUBLISH_INTERVAL`], so the event path stays lock- and allocation-free.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::drops::DropTelemetry;
use crate::outputs::OutputsTelemetry;
use crate::plugins::{PluginCounters, PluginMetric};
use crate::rules::stats::Stats;

/// How often a source thread copies its plugins' counters and `get_metrics` values.
pub const PLUGIN_PUBLISH_INTERVAL: Duration = Duration::from_secs(1);

/// One plugin's figures as last published by its source thread.
#[derive(Debug, Clone, Default)]
pub struct PluginFigures {
    pub name: String,
    pub counters: PluginCounters,
    /// Successful `next_batch` calls of the source plugin (0 for other plugins).
    pub next_batch_calls: u64,
    pub metrics: Vec<PluginMetric>,
}

/// One source's live state.
#[derive(Debug, Default)]
pub struct SourceTelemetry {
    pub name: String,
    pub events: AtomicU64,
    /// Failed `open`/`next_batch` calls.
    pub errors: AtomicU64,
    /// Why the source stopped, if it failed (the engine is then unhealthy).
    pub failure: Mutex<Option<String>>,
    pub plugins: Mutex<Vec<PluginFigures>>,
    /// `syscall_event_drops` monitoring (the syscall source only).
    pub drops: DropTelemetry,
}

impl SourceTelemetry {
    pub fn failure(&self) -> Option<String> {
        self.failure.lock().map(|f| f.clone()).unwrap_or(None)
    }
}

/// Everything a running engine exposes.
#[derive(Debug, Default)]
pub struct EngineTelemetry {
    pub sources: Vec<Arc<SourceTelemetry>>,
    /// Rule matches by rule and by priority, updated by the output thread.
    pub matches: Mutex<Stats>,
    pub outputs: Arc<OutputsTelemetry>,
    /// Rulesets swapped in by reloads, and reloads rejected.
    pub reloads: AtomicU64,
    pub reload_failures: AtomicU64,
}

impl EngineTelemetry {
    pub fn new(
        source_names: impl IntoIterator<Item = String>,
        stats: Stats,
        outputs: Arc<OutputsTelemetry>,
    ) -> EngineTelemetry {
        EngineTelemetry {
            sources: source_names
                .into_iter()
                .map(|name| {
                    Arc::new(SourceTelemetry {
                        name,
                        ..SourceTelemetry::default()
                    })
                })
                .collect(),
            matches: Mutex::new(stats),
            outputs,
            reloads: AtomicU64::new(0),
            reload_failures: AtomicU64::new(0),
        }
    }

    /// Failures of sources, as `source: reason` lines; empty when healthy.
    pub fn failures(&self) -> Vec<String> {
        self.sources
            .iter()
            .filter_map(|s| s.failure().map(|f| format!("{}: {f}", s.name)))
            .collect()
    }

    pub fn total_events(&self) -> u64 {
        self.sources.iter().map(|s| s.events.load(Ordering::Relaxed)).sum()
    }
}
