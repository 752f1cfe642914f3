//! Multi-core evaluation of a stateless source (no parse plugin, not the syscall source: every
//! event is evaluated on its own, as k8saudit's). The source thread only calls `next_batch` and
//! copies each batch, with a sequence number and the rules in force, into a [`Chunk`]; N workers,
//! each with its own initialised instances of the source's plugins, evaluate chunks; a reorder
//! stage hands alerts to the output queue in sequence order, so the output is the same as with
//! one thread.

use std::collections::BTreeMap;
use std::ffi::CStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use plugin_api::event::EventHeader;

use crate::plugins::{BatchEnd, Plugin, PluginCounters, SourceInstance, TableRegistry};
use crate::rules::eval::EvalContext;
use crate::rules::select::RuleMatching;

use super::catalog::Binding;
use super::event_fields::{EventFields, FieldContext, FieldSets};
use super::telemetry::{SourceTelemetry, PLUGIN_PUBLISH_INTERVAL};
use super::{
    apply_source_config, format_alert, publish_plugins, ActiveRules, Matched, MatchedAlert, Outgoing, RulesHandle,
    RunOptions, SourceFailure, SourceRuntime, StopCheck,
};

/// Most evaluation workers per source by default (more cores than this rarely pay for a
/// webhook source: the source thread and the webhook become the limit).
pub const DEFAULT_MAX_EVALUATION_WORKERS: usize = 4;

/// Chunks waiting for a worker, per worker: enough to keep every worker busy while the source
/// thread reads the next batch, few enough that the plugin's own queue does the buffering.
const QUEUED_CHUNKS_PER_WORKER: usize = 2;

/// The default number of evaluation workers of a stateless source: the available cores, at
/// most [`DEFAULT_MAX_EVALUATION_WORKERS`] (1, that is the source thread alone, on one core).
pub fn default_evaluation_workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(DEFAULT_MAX_EVALUATION_WORKERS)
}

/// One evaluation worker's plugins: the same plugins as the source's, in the same order (the
/// field bindings index them), loaded and initialised for this worker alone.
pub struct EvaluatorSet {
    pub plugins: Vec<Plugin>,
    /// The tables the plugins share; declared last so it outlives them.
    pub tables: Arc<TableRegistry>,
}

/// The events of one batch, copied out of the plugin's buffers (valid only until its next
/// `next_batch`). Buffers go back to the source thread to be reused.
#[derive(Default)]
struct Events {
    data: Vec<u8>,
    ends: Vec<usize>,
}

impl Events {
    fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let event = &self.data[start..end];
            start = end;
            event
        })
    }
}

/// One batch on its way to a worker.
struct Chunk {
    seq: u64,
    /// The rules the source thread read for this batch: a reload switches at a batch boundary
    /// for every worker at once.
    rules: Arc<ActiveRules>,
    /// Event number of the first event (the others follow).
    first_evtnum: u64,
    /// Timestamp of the source's first event (`evt.reltime`).
    first_timestamp: u64,
    events: Events,
}

/// Hands each chunk's alerts to the output queue in sequence order.
struct Reorder {
    next: u64,
    /// Alerts of chunks finished before an earlier one.
    waiting: BTreeMap<u64, Vec<Outgoing>>,
}

struct Emitter<'a> {
    reorder: Mutex<Reorder>,
    alerts: &'a SyncSender<Outgoing>,
    /// The output thread is gone, or a worker panicked: the source stops.
    closed: AtomicBool,
}

impl Emitter<'_> {
    /// Queues the alerts of chunk `seq`, and every chunk after it already finished. Sends under
    /// the lock, so that alerts leave in order; a full queue makes every worker wait, as it
    /// makes the single source thread wait. `alerts` is left empty, with its capacity when it
    /// could be sent at once (the worker's buffer, reused for its next chunk).
    fn deliver(&self, seq: u64, alerts: &mut Vec<Outgoing>) {
        let mut reorder = self.reorder.lock().unwrap_or_else(|e| e.into_inner());
        if seq != reorder.next {
            let capacity = alerts.capacity();
            reorder
                .waiting
                .insert(seq, std::mem::replace(alerts, Vec::with_capacity(capacity)));
            return;
        }
        if !self.send_all(alerts.drain(..)) {
            return;
        }
        loop {
            reorder.next += 1;
            let next = reorder.next;
            let Some(more) = reorder.waiting.remove(&next) else {
                return;
            };
            if !self.send_all(more.into_iter()) {
                return;
            }
        }
    }

    /// `false` when the output queue is gone.
    fn send_all(&self, alerts: impl Iterator<Item = Outgoing>) -> bool {
        for alert in alerts {
            if self.alerts.send(alert).is_err() {
                self.closed.store(true, Ordering::Relaxed);
                return false;
            }
        }
        true
    }
}

/// Stops the source when a worker panics (its chunk would hold back every later alert).
struct PanicGuard<'a>(&'a AtomicBool);

impl Drop for PanicGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::Relaxed);
        }
    }
}

/// What the workers share of the source (read-only).
struct SourceView<'a> {
    name: &'a str,
    source: &'a CStr,
    source_plugin: usize,
    bindings: &'a [Binding],
    hostname: &'a str,
    /// Alerts are formatted here, with these options (some sink prints them).
    format: Option<&'a RunOptions>,
}

/// The source thread of a source with evaluation workers; same contract as `source_loop`.
#[allow(clippy::too_many_arguments)]
pub(super) fn run_source(
    mut source: SourceRuntime,
    rules: &RulesHandle,
    alerts: &SyncSender<Outgoing>,
    stop: &AtomicBool,
    mut stop_check: StopCheck,
    hostname: &str,
    format: Option<&RunOptions>,
    live: &SourceTelemetry,
) -> Result<u64, SourceFailure> {
    let mut evaluators = std::mem::take(&mut source.evaluators);
    let counters: Vec<Mutex<Vec<PluginCounters>>> = evaluators.iter().map(|_| Mutex::default()).collect();
    let source_cstr = std::ffi::CString::new(source.name.clone()).unwrap_or_default();
    let view = SourceView {
        name: &source.name,
        source: &source_cstr,
        source_plugin: source.source_plugin,
        bindings: &source.bindings,
        hostname,
        format,
    };
    let emitter = Emitter {
        reorder: Mutex::new(Reorder {
            next: 0,
            waiting: BTreeMap::new(),
        }),
        alerts,
        closed: AtomicBool::new(false),
    };
    let (work, queue) = sync_channel::<Chunk>(evaluators.len() * QUEUED_CHUNKS_PER_WORKER);
    // Each worker holds the queue: if all of them die, the source thread's send fails.
    let queue = Arc::new(Mutex::new(queue));
    let (recycle, recycled) = channel::<Events>();
    let mut batches = 0;
    let result = std::thread::scope(|scope| {
        for (set, slot) in evaluators.iter_mut().zip(&counters) {
            let (queue, recycle, view, emitter) = (queue.clone(), recycle.clone(), &view, &emitter);
            std::thread::Builder::new()
                .name(format!("saker-eval-{}", view.name))
                .spawn_scoped(scope, move || {
                    let _guard = PanicGuard(&emitter.closed);
                    evaluate_chunks(&set.plugins, view, &queue, &recycle, emitter, slot)
                })
                .expect("spawning an evaluation worker");
        }
        drop((queue, recycle));
        let result = read_batches(
            &source,
            rules,
            stop,
            &mut stop_check,
            live,
            &work,
            &recycled,
            &emitter.closed,
            &mut batches,
            &counters,
        );
        // Workers finish what was queued, then see the queue close.
        drop(work);
        result
    });
    let evtnum = match &result {
        Ok(n) => *n,
        Err(e) => e.events,
    };
    publish_plugins(&source, batches, live, evtnum, &counters);
    drop(evaluators);
    result
}

/// Reads batches until the source ends, stops or fails, and queues them for the workers.
#[allow(clippy::too_many_arguments)]
fn read_batches(
    source: &SourceRuntime,
    rules: &RulesHandle,
    stop: &AtomicBool,
    stop_check: &mut StopCheck,
    live: &SourceTelemetry,
    work: &SyncSender<Chunk>,
    recycled: &Receiver<Events>,
    closed: &AtomicBool,
    batches: &mut u64,
    counters: &[Mutex<Vec<PluginCounters>>],
) -> Result<u64, SourceFailure> {
    let plugin = &source.plugins[source.source_plugin];
    let mut applied_config = rules.load().source_config(&source.name).map(str::to_string);
    let mut instance: SourceInstance<'_> = plugin.open(&source.open_params).map_err(|e| {
        live.errors.fetch_add(1, Ordering::Relaxed);
        SourceFailure {
            message: super::open_failure_text(e),
            events: 0,
            at_open: true,
        }
    })?;
    let mut evtnum = 0u64;
    let mut seq = 0u64;
    let mut first_timestamp = None;
    let mut published = Instant::now();
    let mut generation = rules.generation();
    let mut active = rules.load();
    let mut idle = false;
    loop {
        if stop_check.must_stop(stop, idle) || closed.load(Ordering::Relaxed) {
            return Ok(evtnum);
        }
        if rules.generation() != generation {
            generation = rules.generation();
            active = rules.load();
            apply_source_config(source, &active, &mut applied_config);
        }
        let batch = instance.next_batch().map_err(|e| {
            live.errors.fetch_add(1, Ordering::Relaxed);
            SourceFailure {
                message: e.to_string(),
                events: evtnum,
                at_open: false,
            }
        })?;
        *batches += 1;
        if !batch.is_empty() {
            let mut events = recycled.try_recv().unwrap_or_default();
            events.data.clear();
            events.ends.clear();
            for event in batch.events() {
                if first_timestamp.is_none() {
                    first_timestamp = EventHeader::read(event).ok().map(|h| h.ts);
                }
                events.data.extend_from_slice(event);
                events.ends.push(events.data.len());
            }
            let chunk = Chunk {
                seq,
                rules: active.clone(),
                first_evtnum: evtnum + 1,
                first_timestamp: first_timestamp.unwrap_or(0),
                events,
            };
            seq += 1;
            evtnum += batch.len() as u64;
            if work.send(chunk).is_err() {
                // Every worker is gone (a panic, reported when the scope joins them).
                return Ok(evtnum);
            }
        }
        live.events.store(evtnum, Ordering::Relaxed);
        if published.elapsed() >= PLUGIN_PUBLISH_INTERVAL {
            published = Instant::now();
            publish_plugins(source, *batches, live, evtnum, counters);
        }
        idle = batch.end == BatchEnd::Timeout;
        if batch.end == BatchEnd::Eof {
            return Ok(evtnum);
        }
    }
}

/// One worker: evaluates chunks until the queue closes, then publishes its plugins' counters.
fn evaluate_chunks(
    plugins: &[Plugin],
    view: &SourceView<'_>,
    queue: &Mutex<Receiver<Chunk>>,
    recycle: &Sender<Events>,
    emitter: &Emitter<'_>,
    counters: &Mutex<Vec<PluginCounters>>,
) {
    let mut eval = EvalContext::new();
    let mut scratch = Default::default();
    // Field-list plans follow the bindings of one ruleset: dropped when the rules change.
    let mut together = FieldSets::default();
    let mut rules_seen: Option<Arc<ActiveRules>> = None;
    let mut published = Instant::now();
    let mut alerts = Vec::new();
    let publish =
        || *counters.lock().unwrap_or_else(|e| e.into_inner()) = plugins.iter().map(Plugin::counters).collect();
    loop {
        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
        let Ok(chunk) = next else { break };
        if !rules_seen.as_ref().is_some_and(|r| Arc::ptr_eq(r, &chunk.rules)) {
            together = FieldSets::default();
            rules_seen = Some(chunk.rules.clone());
        }
        let mut ctx = FieldContext {
            plugins,
            bindings: chunk.rules.bindings_for(view.name).unwrap_or(view.bindings),
            source: view.source,
            source_name: view.name,
            source_plugin: Some(view.source_plugin),
            hostname: view.hostname,
            scratch: std::mem::take(&mut scratch),
            together: std::mem::take(&mut together),
        };
        evaluate_chunk(&chunk, &mut ctx, &mut eval, view.format, &mut alerts);
        scratch = std::mem::take(&mut ctx.scratch);
        together = std::mem::take(&mut ctx.together);
        emitter.deliver(chunk.seq, &mut alerts);
        // The source thread may be gone already; the buffers are then simply dropped.
        let _ = recycle.send(chunk.events);
        if published.elapsed() >= PLUGIN_PUBLISH_INTERVAL {
            published = Instant::now();
            publish();
        }
    }
    publish();
}

/// Appends the alerts of one chunk to `out`, in event order (as `source_loop` evaluates an
/// event).
fn evaluate_chunk(
    chunk: &Chunk,
    ctx: &mut FieldContext<'_>,
    eval: &mut EvalContext,
    format: Option<&RunOptions>,
    out: &mut Vec<Outgoing>,
) {
    let active = &chunk.rules;
    let ruleset = &active.ruleset;
    let ruleset_index = ruleset
        .source_names
        .iter()
        .position(|n| n == ctx.source_name)
        .unwrap_or(usize::MAX);
    let first_only = ruleset.rule_matching == RuleMatching::First;
    for (evtnum, event) in (chunk.first_evtnum..).zip(chunk.events.iter()) {
        let Ok(header) = EventHeader::read(event) else { continue };
        if ruleset.candidates(ruleset_index, header.event_type).is_empty() {
            continue;
        }
        eval.next_event();
        let mut fields = EventFields {
            ctx,
            event,
            evtnum,
            header,
            first_timestamp: chunk.first_timestamp,
        };
        let mut matching = ruleset.matching(ruleset_index, header.event_type);
        while let Some(idx) = matching.next(eval, &mut fields) {
            let alert = ruleset.rule(idx).alert(eval, &mut fields, header.ts);
            let alert = match format {
                Some(opts) => MatchedAlert::Formatted {
                    text: format_alert(&alert, opts),
                    priority: alert.priority,
                },
                None => MatchedAlert::Evaluated(alert),
            };
            out.push(Outgoing::Rule(Matched {
                rules: active.clone(),
                rule: idx,
                alert,
            }));
            if first_only {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::load::items::Priority;
    use crate::rules::output::alert::InternalAlert;

    fn numbered(n: u64) -> Outgoing {
        Outgoing::Internal(InternalAlert {
            time_ns: n,
            priority: Priority::Warning,
            rule: "test".into(),
            message: String::new(),
            fields: Vec::new(),
        })
    }

    fn emitted(rx: &Receiver<Outgoing>) -> Vec<u64> {
        rx.try_iter()
            .map(|o| match o {
                Outgoing::Internal(a) => a.time_ns,
                Outgoing::Rule(_) => u64::MAX,
            })
            .collect()
    }

    #[test]
    fn alerts_leave_in_chunk_order_whatever_order_chunks_finish_in() {
        let (tx, rx) = sync_channel(64);
        let emitter = Emitter {
            reorder: Mutex::new(Reorder {
                next: 0,
                waiting: BTreeMap::new(),
            }),
            alerts: &tx,
            closed: AtomicBool::new(false),
        };
        emitter.deliver(2, &mut vec![numbered(20), numbered(21)]);
        emitter.deliver(1, &mut vec![]);
        assert!(emitted(&rx).is_empty(), "chunk 0 is not done yet");
        let mut buffer = vec![numbered(1), numbered(2)];
        emitter.deliver(0, &mut buffer);
        assert_eq!(emitted(&rx), [1, 2, 20, 21]);
        assert!(
            buffer.is_empty() && buffer.capacity() >= 2,
            "the buffer is kept for reuse"
        );
        emitter.deliver(4, &mut vec![numbered(40)]);
        emitter.deliver(3, &mut vec![numbered(30)]);
        assert_eq!(emitted(&rx), [30, 40]);
        assert!(!emitter.closed.load(Ordering::Relaxed));
        drop(rx);
        emitter.deliver(5, &mut vec![numbered(50)]);
        assert!(
            emitter.closed.load(Ordering::Relaxed),
            "a closed output queue stops the source"
        );
    }

    #[test]
    fn copied_events_keep_their_bounds() {
        let mut events = Events::default();
        for e in [&b"abc"[..], b"", b"de"] {
            events.data.extend_from_slice(e);
            events.ends.push(events.data.len());
        }
        assert_eq!(events.iter().collect::<Vec<_>>(), [&b"abc"[..], b"", b"de"]);
    }
}
