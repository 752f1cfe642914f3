//! The event loop: one thread per enabled event source pulls batches from its source plugin,
//! lets parse plugins update state, evaluates the candidate rules of each event and hands
//! alerts to the output thread (DESIGN.md §3).

pub mod catalog;
pub mod event_fields;
pub mod host_fields;
mod signals;

use std::ffi::CString;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use plugin_api::event::EventHeader;

use crate::plugins::{BatchEnd, Plugin};
use crate::rules::eval::EvalContext;
use crate::rules::output::alert::{Alert, AlertOptions};
use crate::rules::ruleset::RuleSet;
use crate::rules::select::RuleMatching;
use crate::rules::stats::Stats;

use catalog::Binding;
use event_fields::{EventFields, FieldContext};

pub use signals::install_stop_handlers;

/// Alerts waiting for the output thread; when full, the event loop waits (no alert is lost).
pub const ALERT_QUEUE_CAPACITY: usize = 65_536;

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
    /// The tables the plugins share; declared last so it outlives them.
    pub tables: Arc<crate::plugins::TableRegistry>,
}

/// How the run is bounded and how alerts look.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// `-M`: stop after this long.
    pub max_duration: Option<Duration>,
    pub json_output: bool,
    pub alert: AlertOptions,
    pub hostname: String,
    /// Print alerts to stdout (`stdout_output.enabled`).
    pub stdout: bool,
}

/// What a finished run reports.
pub struct RunSummary {
    pub stats: Stats,
    pub events: u64,
    /// The first fatal source error, if any (Falco exits 1 on those).
    pub error: Option<String>,
}

/// An alert on its way to the output thread.
struct Matched {
    rule: usize,
    alert: Alert,
}

/// Runs every source until all end, `-M` expires or a stop signal arrives.
pub fn run(sources: Vec<SourceRuntime>, ruleset: Arc<RuleSet>, opts: &RunOptions) -> RunSummary {
    let stop = signals::stop_flag();
    let (tx, rx) = sync_channel::<Matched>(ALERT_QUEUE_CAPACITY);
    let deadline = opts.max_duration.map(|d| Instant::now() + d);
    let output = {
        let ruleset = ruleset.clone();
        let opts = opts.clone();
        std::thread::Builder::new()
            .name("saker-output".into())
            .spawn(move || output_loop(rx, &ruleset, &opts))
            .expect("spawning the output thread")
    };
    let mut workers = Vec::new();
    for source in sources {
        let tx = tx.clone();
        let ruleset = ruleset.clone();
        let hostname = opts.hostname.clone();
        let name = source.name.clone();
        let handle = std::thread::Builder::new()
            .name(format!("saker-src-{name}"))
            .spawn(move || source_loop(source, &ruleset, &tx, stop, deadline, &hostname))
            .expect("spawning a source thread");
        workers.push((name, handle));
    }
    drop(tx);
    let mut events = 0;
    let mut error = None;
    for (name, handle) in workers {
        match handle.join() {
            Ok(Ok(n)) => events += n,
            Ok(Err(e)) => {
                events += e.events;
                // With several sources, one failure stops them all (as Falco).
                stop.store(true, Ordering::SeqCst);
                error.get_or_insert(format!("source '{name}': {}", e.message));
            }
            Err(_) => {
                stop.store(true, Ordering::SeqCst);
                error.get_or_insert(format!("source '{name}': the source thread panicked"));
            }
        }
    }
    let stats = output.join().unwrap_or_else(|_| Stats::new(ruleset.rule_names()));
    RunSummary { stats, events, error }
}

struct SourceFailure {
    message: String,
    events: u64,
}

fn source_loop(
    source: SourceRuntime,
    ruleset: &RuleSet,
    alerts: &SyncSender<Matched>,
    stop: &AtomicBool,
    deadline: Option<Instant>,
    hostname: &str,
) -> Result<u64, SourceFailure> {
    let source_cstr = CString::new(source.name.clone()).unwrap_or_default();
    let plugin = &source.plugins[source.source_plugin];
    let mut instance = plugin.open(&source.open_params).map_err(|e| SourceFailure {
        message: e.to_string(),
        events: 0,
    })?;
    let parsers: Vec<&Plugin> = source
        .plugins
        .iter()
        .filter(|p| p.info().capabilities.parsing)
        .collect();
    let mut ctx = FieldContext {
        plugins: &source.plugins,
        bindings: &source.bindings,
        source: &source_cstr,
        source_name: &source.name,
        source_plugin: Some(source.source_plugin),
        hostname,
        scratch: Default::default(),
    };
    let mut eval = EvalContext::new();
    let mut evtnum = 0u64;
    let mut first_timestamp = None;
    let first_only = ruleset.rule_matching == RuleMatching::First;
    loop {
        if stop.load(Ordering::Relaxed) || deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(evtnum);
        }
        let batch = instance.next_batch().map_err(|e| SourceFailure {
            message: e.to_string(),
            events: evtnum,
        })?;
        for event in batch.events() {
            evtnum += 1;
            let Ok(header) = EventHeader::read(event) else { continue };
            let first = *first_timestamp.get_or_insert(header.ts);
            for parser in &parsers {
                if parser.parse_filter().matches(header.event_type, &source.name) {
                    parser.parse(event, evtnum, &source_cstr);
                }
            }
            let candidates = ruleset.candidates(source.ruleset_index, header.event_type);
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
            for &idx in candidates {
                let rule = ruleset.rule(idx);
                if rule.filter.eval(&mut eval, &mut fields) {
                    let alert = rule.alert(&mut eval, &mut fields, header.ts);
                    if alerts.send(Matched { rule: idx, alert }).is_err() {
                        return Ok(evtnum);
                    }
                    if first_only {
                        break;
                    }
                }
            }
        }
        match batch.end {
            BatchEnd::More | BatchEnd::Timeout => {}
            BatchEnd::Eof => return Ok(evtnum),
        }
    }
}

fn output_loop(rx: Receiver<Matched>, ruleset: &RuleSet, opts: &RunOptions) -> Stats {
    let mut stats = Stats::new(ruleset.rule_names());
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    loop {
        let matched = match rx.try_recv() {
            Ok(m) => m,
            Err(TryRecvError::Empty) => {
                // Nothing else queued: make what was written visible now.
                let _ = out.flush();
                match rx.recv() {
                    Ok(m) => m,
                    Err(_) => break,
                }
            }
            Err(TryRecvError::Disconnected) => break,
        };
        let rule = ruleset.rule(matched.rule);
        stats.record(matched.rule, rule.priority);
        if opts.stdout {
            let line = if opts.json_output {
                matched.alert.to_json(&opts.alert)
            } else {
                matched.alert.to_text(&opts.alert)
            };
            let _ = writeln!(out, "{line}");
        }
    }
    let _ = out.flush();
    stats
}
