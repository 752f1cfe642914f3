//! The event loop: one thread per enabled event source pulls batches from its source plugin,
//! lets parse plugins update state, evaluates the candidate rules of each event and hands
//! alerts to the output thread (DESIGN.md §3), which formats them once for every sink.
//!
//! The rules in force live in a [`RulesHandle`]: a reload swaps in a new [`ActiveRules`] and
//! each source thread picks it up between two batches, so every event of a batch is evaluated
//! by exactly one ruleset.

pub mod catalog;
pub mod drops;
pub mod event_fields;
pub mod host_fields;
mod signals;
pub mod telemetry;
pub mod workers;

use std::ffi::CString;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use plugin_api::event::EventHeader;

use crate::config::{DropAction, SyscallEventDrops};
use crate::outputs::{FormattedAlert, Outputs};
use crate::plugins::{BatchEnd, Plugin, PluginCounters, PluginError};
use crate::rules::eval::EvalContext;
use crate::rules::load::items::Priority;
use crate::rules::output::alert::{Alert, AlertOptions, InternalAlert};
use crate::rules::ruleset::RuleSet;
use crate::rules::select::RuleMatching;
use crate::rules::stats::Stats;

use catalog::{Binding, SYSCALL_SOURCE};
use drops::{DropCounters, DropMonitor, DropResponse};
use event_fields::{EventFields, FieldContext};
use telemetry::{EngineTelemetry, PluginFigures, SourceTelemetry, PLUGIN_PUBLISH_INTERVAL};
use workers::EvaluatorSet;

pub use signals::{install_reload_handler, install_stop_handlers, take_reload_request};

/// After SIGINT/SIGTERM, how long a source may keep delivering what it already accepted.
pub const STOP_DRAIN_GRACE: Duration = Duration::from_secs(5);

/// Alerts waiting for the output thread; when full, the event loop waits (no alert is lost).
/// About 16 MB of typical alerts: what bounds memory when outputs are slower than matches.
pub const ALERT_QUEUE_CAPACITY: usize = 16_384;

/// How often the main thread checks for reload requests while sources run.
pub const RELOAD_POLL_INTERVAL: Duration = Duration::from_millis(200);

/// Everything one source thread needs, owned by that thread.
pub struct SourceRuntime {
    pub name: String,
    /// Every plugin this source's thread drives (its own initialised instances).
    pub plugins: Vec<Plugin>,
    /// Index in `plugins` of the source plugin.
    pub source_plugin: usize,
    pub open_params: String,
    /// Field bindings of this source's catalog, indexed by `FieldId`.
    pub bindings: Vec<Binding>,
    /// The source's index in the ruleset.
    pub ruleset_index: usize,
    /// Plugin sets of the evaluation workers of a stateless source (see [`workers`]); empty:
    /// the source thread evaluates its events itself.
    pub evaluators: Vec<EvaluatorSet>,
    /// The tables the plugins share; declared last so it outlives them.
    pub tables: Arc<crate::plugins::TableRegistry>,
}

/// A compiled ruleset with the field bindings its rules refer to, per source name (a new
/// ruleset may bind fields the previous one did not).
pub struct ActiveRules {
    pub ruleset: RuleSet,
    pub bindings: Vec<(String, Vec<Binding>)>,
    /// Per source name, the configuration its source plugin runs with under these rules (the
    /// live syscall capture's event selection). A source thread that meets a new one passes it
    /// to `set_config`; a failure is logged and the rules still apply.
    pub source_configs: Vec<(String, String)>,
}

impl ActiveRules {
    fn source_config(&self, source: &str) -> Option<&str> {
        self.source_configs
            .iter()
            .find(|(name, _)| name == source)
            .map(|(_, c)| c.as_str())
    }

    fn bindings_for(&self, source: &str) -> Option<&[Binding]> {
        self.bindings
            .iter()
            .find(|(name, _)| name == source)
            .map(|(_, b)| b.as_slice())
    }
}

/// The rules in force, swapped atomically by reloads.
pub struct RulesHandle {
    current: RwLock<Arc<ActiveRules>>,
    generation: AtomicU64,
}

impl RulesHandle {
    pub fn new(rules: ActiveRules) -> RulesHandle {
        RulesHandle {
            current: RwLock::new(Arc::new(rules)),
            generation: AtomicU64::new(0),
        }
    }

    /// The rules in force now.
    pub fn load(&self) -> Arc<ActiveRules> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Bumped by every swap; source threads compare it once per batch.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Puts `rules` in force; sources switch at their next batch.
    pub fn swap(&self, rules: ActiveRules) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(rules);
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

/// How the run is bounded and how alerts look.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// `-M`: stop after this long.
    pub max_duration: Option<Duration>,
    pub json_output: bool,
    pub alert: AlertOptions,
    pub hostname: String,
    /// `syscall_event_drops`, applied to the syscall source.
    pub syscall_event_drops: SyscallEventDrops,
    /// Whether the syscall source captures live through eBPF (the drop alert says so).
    pub ebpf_capture: bool,
}

/// What a finished run reports.
pub struct RunSummary {
    pub stats: Stats,
    pub events: u64,
    /// The first fatal source error, if any (Falco exits 1 on those).
    pub error: Option<String>,
    /// Whether that error came from opening a source (no event was read).
    pub error_at_open: bool,
}

/// What source threads hand to the output thread.
enum Outgoing {
    /// A rule matched.
    Rule(Matched),
    /// The engine's own message (the syscall drop alert).
    Internal(InternalAlert),
}

/// An alert on its way to the output thread, with the ruleset that produced it.
struct Matched {
    rules: Arc<ActiveRules>,
    rule: usize,
    alert: MatchedAlert,
}

/// A match's alert: as evaluated (the output thread formats it), or formatted already by an
/// evaluation worker (formatting then runs on several cores, and the alert's memory is freed by
/// the thread that allocated it).
enum MatchedAlert {
    Evaluated(Alert),
    Formatted { text: String, priority: Priority },
}

/// An alert's text for the sinks, as `json_output` asks.
fn format_alert(alert: &Alert, opts: &RunOptions) -> String {
    if opts.json_output {
        alert.to_json(&opts.alert)
    } else {
        alert.to_text(&opts.alert)
    }
}

/// Called by the main thread every [`RELOAD_POLL_INTERVAL`] while sources run: returns new
/// rules to swap in, if a reload was requested and succeeded.
pub type ReloadCheck<'a> = &'a mut dyn FnMut() -> Option<ActiveRules>;

/// Builds the telemetry for a run of `sources` with `outputs`.
pub fn telemetry_for(sources: &[SourceRuntime], rules: &RulesHandle, outputs: &Outputs) -> Arc<EngineTelemetry> {
    let active = rules.load();
    Arc::new(EngineTelemetry::new(
        sources.iter().map(|s| s.name.clone()),
        Stats::new(active.ruleset.rule_names()),
        outputs.telemetry(),
    ))
}

/// Runs every source until all end, `-M` expires or a stop signal arrives; then every sink
/// is flushed.
pub fn run(
    sources: Vec<SourceRuntime>,
    rules: Arc<RulesHandle>,
    opts: &RunOptions,
    outputs: Outputs,
    telemetry: Arc<EngineTelemetry>,
    mut reload: Option<ReloadCheck<'_>>,
) -> RunSummary {
    let stop = signals::stop_flag();
    let (tx, rx) = sync_channel::<Outgoing>(ALERT_QUEUE_CAPACITY);
    let deadline = opts.max_duration.map(|d| Instant::now() + d);
    // Evaluation workers format alerts themselves when some sink will print them.
    let format_in_workers = !outputs.is_empty();
    let output = {
        let opts = opts.clone();
        let telemetry = telemetry.clone();
        std::thread::Builder::new()
            .name("saker-output".into())
            .spawn(move || output_loop(rx, outputs, &opts, &telemetry))
            .expect("spawning the output thread")
    };
    let mut workers = Vec::new();
    for (i, source) in sources.into_iter().enumerate() {
        let tx = tx.clone();
        let rules = rules.clone();
        let opts = opts.clone();
        let name = source.name.clone();
        let live = telemetry.sources.get(i).cloned().unwrap_or_default();
        let handle = std::thread::Builder::new()
            .name(format!("saker-src-{name}"))
            .spawn(move || {
                let stop_check = StopCheck::new(deadline);
                if source.evaluators.is_empty() {
                    source_loop(source, &rules, &tx, stop, stop_check, &opts, &live)
                } else {
                    let format = format_in_workers.then_some(&opts);
                    workers::run_source(source, &rules, &tx, stop, stop_check, &opts.hostname, format, &live)
                }
            })
            .expect("spawning a source thread");
        workers.push((name, handle, telemetry.sources.get(i).cloned()));
    }
    drop(tx);
    let mut events = 0;
    let mut error = None;
    let mut error_at_open = false;
    let mut pending: Vec<_> = workers.into_iter().map(Some).collect();
    while pending.iter().any(Option::is_some) {
        for slot in pending.iter_mut() {
            if slot.as_ref().is_some_and(|(_, h, _)| h.is_finished()) {
                let (name, handle, live) = slot.take().expect("checked");
                let failure = match handle.join() {
                    Ok(Ok(n)) => {
                        events += n;
                        None
                    }
                    Ok(Err(e)) => {
                        events += e.events;
                        error_at_open |= e.at_open && error.is_none();
                        Some(e.message)
                    }
                    Err(_) => Some("the source thread panicked".to_string()),
                };
                if let Some(message) = failure {
                    // With several sources, one failure stops them all (as Falco).
                    stop.store(true, Ordering::SeqCst);
                    if let Some(live) = live {
                        *live.failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(message.clone());
                    }
                    error.get_or_insert(format!("source '{name}': {message}"));
                }
            }
        }
        if let Some(check) = reload.as_mut() {
            if let Some(new_rules) = check() {
                rules.swap(new_rules);
                telemetry.reloads.fetch_add(1, Ordering::Relaxed);
            }
        }
        if pending.iter().any(Option::is_some) {
            std::thread::sleep(RELOAD_POLL_INTERVAL.min(Duration::from_millis(20)));
        }
    }
    let stats = match output.join() {
        Ok(()) => telemetry.matches.lock().map(|s| s.clone()).unwrap_or_default(),
        Err(_) => Stats::new(rules.load().ruleset.rule_names()),
    };
    RunSummary {
        stats,
        events,
        error,
        error_at_open,
    }
}

/// When a source thread stops reading: `-M` expired, or after a stop signal once the source
/// reports nothing pending (it keeps evaluating what it already accepted, e.g. events a
/// webhook acknowledged), at most for [`STOP_DRAIN_GRACE`].
struct StopCheck {
    deadline: Option<Instant>,
    drain_until: Option<Instant>,
}

impl StopCheck {
    fn new(deadline: Option<Instant>) -> StopCheck {
        StopCheck {
            deadline,
            drain_until: None,
        }
    }

    /// Checked before each batch; `idle`: the last batch ended on a timeout.
    fn must_stop(&mut self, stop: &AtomicBool, idle: bool) -> bool {
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return true;
        }
        if !stop.load(Ordering::Relaxed) {
            return false;
        }
        let until = *self
            .drain_until
            .get_or_insert_with(|| Instant::now() + STOP_DRAIN_GRACE);
        idle || Instant::now() >= until
    }
}

struct SourceFailure {
    message: String,
    events: u64,
    at_open: bool,
}

/// Open parameters longer than this are left out of open errors (live capture passes a whole
/// JSON object; the plugin's reason is what the user needs).
pub const MAX_PARAMS_IN_ERRORS: usize = 80;

/// One line for an open failure (a missing privilege, say), whatever the plugin's text looks like.
fn open_failure_text(e: PluginError) -> String {
    let text = match e {
        PluginError::OpenSource { plugin, params, reason } if params.len() > MAX_PARAMS_IN_ERRORS => {
            format!("plugin {plugin}: could not open event source: {reason}")
        }
        e => e.to_string(),
    };
    text.trim_end().lines().map(str::trim).collect::<Vec<_>>().join("; ")
}

/// Passes the configuration `active` names for this source to its plugin when it differs from
/// `applied` (the one in force); on failure the plugin keeps `applied`.
fn apply_source_config(source: &SourceRuntime, active: &ActiveRules, applied: &mut Option<String>) {
    let Some(config) = active.source_config(&source.name) else {
        return;
    };
    if applied.as_deref() == Some(config) {
        return;
    }
    match source.plugins[source.source_plugin].set_config(config) {
        Ok(()) => {
            tracing::info!(
                "source '{}': the plugin now runs with the reloaded rules' configuration",
                source.name
            );
            *applied = Some(config.to_string());
        }
        Err(e) => tracing::error!(
            "source '{}': the reloaded rules apply, but the plugin keeps its previous configuration: {e}",
            source.name
        ),
    }
}

fn source_loop(
    source: SourceRuntime,
    rules: &RulesHandle,
    alerts: &SyncSender<Outgoing>,
    stop: &AtomicBool,
    mut stop_check: StopCheck,
    opts: &RunOptions,
    live: &SourceTelemetry,
) -> Result<u64, SourceFailure> {
    let hostname = opts.hostname.as_str();
    let mut drops =
        (source.name == SYSCALL_SOURCE).then(|| DropMonitor::new(&opts.syscall_event_drops, opts.ebpf_capture));
    live.drops.monitored.store(drops.is_some(), Ordering::Relaxed);
    let source_cstr = CString::new(source.name.clone()).unwrap_or_default();
    let plugin = &source.plugins[source.source_plugin];
    // The rules in force when the source opens already shaped its open parameters.
    let mut applied_config = rules.load().source_config(&source.name).map(str::to_string);
    let mut instance = plugin.open(&source.open_params).map_err(|e| {
        live.errors.fetch_add(1, Ordering::Relaxed);
        SourceFailure {
            message: open_failure_text(e),
            events: 0,
            at_open: true,
        }
    })?;
    let parsers: Vec<&Plugin> = source
        .plugins
        .iter()
        .filter(|p| p.info().capabilities.parsing)
        .collect();
    let mut eval = EvalContext::new();
    let mut evtnum = 0u64;
    let mut batches = 0u64;
    let mut first_timestamp = None;
    let mut published = Instant::now();
    let mut scratch = Default::default();
    let mut idle = false;
    // One pass of the outer loop per ruleset generation.
    loop {
        let generation = rules.generation();
        let active = rules.load();
        apply_source_config(&source, &active, &mut applied_config);
        let ruleset = &active.ruleset;
        let ruleset_index = ruleset
            .source_names
            .iter()
            .position(|n| *n == source.name)
            .unwrap_or(usize::MAX);
        let first_only = ruleset.rule_matching == RuleMatching::First;
        let mut ctx = FieldContext {
            plugins: &source.plugins,
            bindings: active.bindings_for(&source.name).unwrap_or(&source.bindings),
            source: &source_cstr,
            source_name: &source.name,
            source_plugin: Some(source.source_plugin),
            hostname,
            scratch: std::mem::take(&mut scratch),
            together: Default::default(),
        };
        while rules.generation() == generation {
            if stop_check.must_stop(stop, idle) {
                publish_plugins(&source, batches, live, evtnum, &[]);
                return Ok(evtnum);
            }
            let batch = instance.next_batch().map_err(|e| {
                live.errors.fetch_add(1, Ordering::Relaxed);
                publish_plugins(&source, batches, live, evtnum, &[]);
                SourceFailure {
                    message: e.to_string(),
                    events: evtnum,
                    at_open: false,
                }
            })?;
            batches += 1;
            for event in batch.events() {
                evtnum += 1;
                let Ok(header) = EventHeader::read(event) else { continue };
                let first = *first_timestamp.get_or_insert(header.ts);
                for parser in &parsers {
                    if parser.parse_filter().matches(header.event_type, &source.name) {
                        parser.parse(event, evtnum, &source_cstr);
                    }
                }
                if let Some(monitor) = drops.as_mut() {
                    if monitor.due(header.ts) {
                        check_drops(monitor, plugin, header.ts, evtnum, alerts, live).map_err(|message| {
                            publish_plugins(&source, batches, live, evtnum, &[]);
                            SourceFailure {
                                message,
                                events: evtnum,
                                at_open: false,
                            }
                        })?;
                    }
                }
                let candidates = ruleset.candidates(ruleset_index, header.event_type);
                if candidates.is_empty() {
                    continue;
                }
                eval.next_event();
                let mut fields = EventFields {
                    ctx: &mut ctx,
                    event,
                    evtnum,
                    header,
                    first_timestamp: first,
                };
                let mut matching = ruleset.matching(ruleset_index, header.event_type);
                while let Some(idx) = matching.next(&mut eval, &mut fields) {
                    let alert = ruleset.rule(idx).alert(&mut eval, &mut fields, header.ts);
                    if alerts
                        .send(Outgoing::Rule(Matched {
                            rules: active.clone(),
                            rule: idx,
                            alert: MatchedAlert::Evaluated(alert),
                        }))
                        .is_err()
                    {
                        return Ok(evtnum);
                    }
                    if first_only {
                        break;
                    }
                }
            }
            live.events.store(evtnum, Ordering::Relaxed);
            if published.elapsed() >= PLUGIN_PUBLISH_INTERVAL {
                published = Instant::now();
                publish_plugins(&source, batches, live, evtnum, &[]);
            }
            idle = batch.end == BatchEnd::Timeout;
            match batch.end {
                BatchEnd::More | BatchEnd::Timeout => {}
                BatchEnd::Eof => {
                    publish_plugins(&source, batches, live, evtnum, &[]);
                    return Ok(evtnum);
                }
            }
        }
        scratch = std::mem::take(&mut ctx.scratch);
    }
}

/// A due drop check of the syscall source: reads the plugin's counters and acts. `Err` (why)
/// when an `exit` action stops the source.
fn check_drops(
    monitor: &mut DropMonitor,
    plugin: &Plugin,
    ts: u64,
    events: u64,
    alerts: &SyncSender<Outgoing>,
    live: &SourceTelemetry,
) -> Result<(), String> {
    let response = monitor.check(ts, DropCounters::from_metrics(&plugin.metrics(), events));
    live.drops.record(monitor);
    match response {
        Some(response) if !act_on_drops(&response, alerts) => Err(format!(
            "{} of {} events dropped in the last second and syscall_event_drops.actions includes \
             'exit'",
            response.delta.n_drops, response.delta.n_evts
        )),
        _ => Ok(()),
    }
}

/// Runs the log, alert and exit actions of a drop check; `false` when the source must stop.
fn act_on_drops(response: &DropResponse, alerts: &SyncSender<Outgoing>) -> bool {
    for action in &response.actions {
        match action {
            DropAction::Ignore => {}
            DropAction::Log => tracing::debug!("{}", response.message()),
            DropAction::Alert => {
                // A closed channel means the run is ending; the alert has nowhere to go.
                let _ = alerts.send(Outgoing::Internal(response.alert()));
            }
            DropAction::Exit => {
                tracing::error!("{}", response.message());
                tracing::error!("Exiting.");
            }
        }
    }
    !response.exits()
}

/// Copies the source's plugin counters and metrics for `/metrics` (plugins are not `Sync`);
/// for the syscall source, its drop counters too (`events`: the host's count of its events).
/// `workers`: the counters evaluation workers last published, added to the source's own.
fn publish_plugins(
    source: &SourceRuntime,
    batches: u64,
    live: &SourceTelemetry,
    events: u64,
    workers: &[std::sync::Mutex<Vec<PluginCounters>>],
) {
    let workers: Vec<Vec<PluginCounters>> = workers
        .iter()
        .map(|w| w.lock().unwrap_or_else(|e| e.into_inner()).clone())
        .collect();
    let figures: Vec<PluginFigures> = source
        .plugins
        .iter()
        .enumerate()
        .map(|(i, p)| PluginFigures {
            name: p.info().name.clone(),
            counters: workers
                .iter()
                .filter_map(|w| w.get(i))
                .fold(p.counters(), |sum, c| PluginCounters {
                    extract_calls: sum.extract_calls + c.extract_calls,
                    extract_no_value: sum.extract_no_value + c.extract_no_value,
                    parse_calls: sum.parse_calls + c.parse_calls,
                    parse_failures: sum.parse_failures + c.parse_failures,
                }),
            next_batch_calls: if i == source.source_plugin { batches } else { 0 },
            metrics: p.metrics(),
        })
        .collect();
    if live.drops.monitored.load(Ordering::Relaxed) {
        let metrics = figures.get(source.source_plugin).map_or(&[][..], |f| &f.metrics[..]);
        *live.drops.counters.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(DropCounters::from_metrics(metrics, events));
    }
    *live.plugins.lock().unwrap_or_else(|e| e.into_inner()) = figures;
}

fn output_loop(rx: Receiver<Outgoing>, mut outputs: Outputs, opts: &RunOptions, telemetry: &EngineTelemetry) {
    // Rule indices of the ruleset last seen, mapped to counter slots (rulesets change on reload).
    let mut slots_of: Option<(Arc<ActiveRules>, Vec<usize>)> = None;
    while let Ok(outgoing) = rx.recv() {
        let matched = match outgoing {
            Outgoing::Rule(matched) => matched,
            Outgoing::Internal(alert) => {
                // Not a rule match: no rule counters; the drop monitor paces these itself.
                let text = if opts.json_output {
                    alert.to_json(&opts.hostname)
                } else {
                    alert.to_text()
                };
                outputs.emit_unthrottled(FormattedAlert {
                    text,
                    priority: alert.priority,
                    json: opts.json_output,
                });
                continue;
            }
        };
        let rule = matched.rules.ruleset.rule(matched.rule);
        {
            let mut stats = telemetry.matches.lock().unwrap_or_else(|e| e.into_inner());
            let fresh = !slots_of.as_ref().is_some_and(|(r, _)| Arc::ptr_eq(r, &matched.rules));
            if fresh {
                let slots = matched.rules.ruleset.rule_names().map(|n| stats.slot_for(n)).collect();
                slots_of = Some((matched.rules.clone(), slots));
            }
            let slot = slots_of
                .as_ref()
                .and_then(|(_, s)| s.get(matched.rule).copied())
                .unwrap_or(usize::MAX);
            stats.record(slot, rule.priority);
        }
        if outputs.is_empty() {
            continue;
        }
        let (text, priority) = match matched.alert {
            MatchedAlert::Evaluated(alert) => (format_alert(&alert, opts), alert.priority),
            MatchedAlert::Formatted { text, priority } => (text, priority),
        };
        outputs.emit(FormattedAlert {
            text,
            priority,
            json: opts.json_output,
        });
    }
    outputs.shutdown();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_failures_read_as_one_line_without_long_params() {
        let long = PluginError::OpenSource {
            plugin: "syscall".into(),
            params: format!("live:{}", "x".repeat(MAX_PARAMS_IN_ERRORS)),
            reason: "loading the eBPF programs needs CAP_BPF\n  run as root or grant CAP_BPF\n".into(),
        };
        assert_eq!(
            open_failure_text(long),
            "plugin syscall: could not open event source: loading the eBPF programs needs CAP_BPF; run as root or grant CAP_BPF"
        );
        let short = PluginError::OpenSource {
            plugin: "k8saudit".into(),
            params: "http://:9765/k8s-audit".into(),
            reason: "address in use".into(),
        };
        assert_eq!(
            open_failure_text(short),
            "plugin k8saudit: could not open event source with params 'http://:9765/k8s-audit': address in use"
        );
    }
}
