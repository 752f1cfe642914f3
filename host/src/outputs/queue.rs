//! A sink's bounded queue and the thread that drains it into the sink, with retries for
//! network sinks and counters for every outcome.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender, TrySendError};

use super::{FormattedAlert, OutputsError, QueueOptions, Sink};

/// Alerts each sink may hold before its policy applies (about 10 MB of typical JSON alerts).
pub const SINK_QUEUE_CAPACITY: usize = 16_384;

/// With `buffered_outputs: false`, the most alerts a stream sink writes before it flushes even
/// when more are waiting: each alert is visible once the sink has caught up with its queue, or
/// after at most this many more.
pub const MAX_DEFERRED_FLUSH: usize = 64;

/// At most one delivery-failure warning per sink per this period (counters keep the rest).
const FAILURE_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// What `push` does when the sink's queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueuePolicy {
    /// Wait for room: no alert is lost, the output thread (and then the sources) slow down.
    Block,
    /// Drop the new alert and count it (`dropped_queue_full`).
    Drop,
}

impl QueuePolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            QueuePolicy::Block => "block",
            QueuePolicy::Drop => "drop",
        }
    }
}

/// What happened to the alerts given to one sink.
#[derive(Debug, Default)]
pub struct SinkCounters {
    pub sent: AtomicU64,
    /// Delivery attempts after a transient failure.
    pub retried: AtomicU64,
    pub dropped_queue_full: AtomicU64,
    /// Alerts given up on after a permanent failure or after the last retry.
    pub dropped_delivery_failed: AtomicU64,
}

/// A sink's name, counters and queue, readable from any thread (the web server's `/metrics`).
#[derive(Debug)]
pub struct SinkTelemetry {
    pub name: &'static str,
    pub capacity: usize,
    pub policy: QueuePolicy,
    pub counters: SinkCounters,
    queue: Receiver<Message>,
}

impl SinkTelemetry {
    /// Alerts waiting in the queue now.
    pub fn queue_depth(&self) -> usize {
        self.queue.len()
    }
}

enum Message {
    Alert(Arc<FormattedAlert>),
    /// Deliver everything before this, flush, then answer.
    Flush(Sender<()>),
}

/// The sending side of one sink, owned by the output thread.
pub struct SinkQueue {
    tx: Sender<Message>,
    policy: QueuePolicy,
    telemetry: Arc<SinkTelemetry>,
    worker: Option<JoinHandle<()>>,
}

impl SinkQueue {
    /// Starts the sink's thread.
    pub fn start(sink: Box<dyn Sink>, opts: QueueOptions) -> SinkQueue {
        let (tx, rx) = bounded(opts.capacity.max(1));
        let telemetry = Arc::new(SinkTelemetry {
            name: sink.name(),
            capacity: opts.capacity.max(1),
            policy: opts.policy,
            counters: SinkCounters::default(),
            queue: rx.clone(),
        });
        let worker = {
            let telemetry = telemetry.clone();
            std::thread::Builder::new()
                .name(format!("saker-out-{}", sink.name()))
                .spawn(move || drain(sink, rx, &telemetry, opts.flush_each))
                .expect("spawning a sink thread")
        };
        SinkQueue {
            tx,
            policy: opts.policy,
            telemetry,
            worker: Some(worker),
        }
    }

    pub fn telemetry(&self) -> Arc<SinkTelemetry> {
        self.telemetry.clone()
    }

    /// Queues one alert, applying the policy when the queue is full.
    pub fn push(&self, alert: Arc<FormattedAlert>) {
        let message = Message::Alert(alert);
        let counters = &self.telemetry.counters;
        match self.policy {
            QueuePolicy::Block => {
                if self.tx.send(message).is_err() {
                    counters.dropped_delivery_failed.fetch_add(1, Ordering::Relaxed);
                }
            }
            QueuePolicy::Drop => match self.tx.try_send(message) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    counters.dropped_queue_full.fetch_add(1, Ordering::Relaxed);
                }
                Err(TrySendError::Disconnected(_)) => {
                    counters.dropped_delivery_failed.fetch_add(1, Ordering::Relaxed);
                }
            },
        }
    }

    /// Returns once every alert queued before the call is delivered (or dropped) and flushed.
    pub fn flush(&self) {
        let (done_tx, done_rx) = bounded(1);
        if self.tx.send(Message::Flush(done_tx)).is_ok() {
            let _ = done_rx.recv();
        }
    }

    /// Delivers what is queued, flushes and stops the sink's thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(worker) = self.worker.take() {
            // Closing the channel ends the worker once it has drained the queue.
            let (tx, _) = bounded(1);
            drop(std::mem::replace(&mut self.tx, tx));
            let _ = worker.join();
        }
    }
}

impl Drop for SinkQueue {
    fn drop(&mut self) {
        self.stop();
    }
}

fn drain(mut sink: Box<dyn Sink>, rx: Receiver<Message>, telemetry: &SinkTelemetry, flush_each: bool) {
    let mut failures = FailureLog::default();
    let mut dirty = false;
    let coalesce = flush_each && sink.coalesces_flushes();
    // Alerts written since the last flush (counted only when flushes are coalesced).
    let mut unflushed = 0usize;
    loop {
        let message = match rx.try_recv() {
            Ok(m) => m,
            Err(_) => {
                // Queue empty: make what was written visible before waiting.
                if dirty {
                    if let Err(e) = sink.flush() {
                        failures.report(sink.name(), &e);
                    }
                    dirty = false;
                    unflushed = 0;
                }
                match rx.recv_timeout(Duration::from_secs(1)) {
                    Ok(m) => m,
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
        };
        match message {
            Message::Alert(alert) => {
                if coalesce {
                    // Flush now only when nothing else waits (or after MAX_DEFERRED_FLUSH);
                    // otherwise the flush comes with a later alert or when the queue runs empty.
                    unflushed += 1;
                    let flush_now = rx.is_empty() || unflushed >= MAX_DEFERRED_FLUSH;
                    deliver(sink.as_mut(), &alert, telemetry, &mut failures, flush_now);
                    if flush_now {
                        unflushed = 0;
                    }
                    dirty = !flush_now;
                } else {
                    deliver(sink.as_mut(), &alert, telemetry, &mut failures, flush_each);
                    dirty = !flush_each;
                }
            }
            Message::Flush(done) => {
                if let Err(e) = sink.flush() {
                    failures.report(sink.name(), &e);
                }
                dirty = false;
                unflushed = 0;
                let _ = done.send(());
            }
        }
    }
    if let Err(e) = sink.flush() {
        failures.report(sink.name(), &e);
    }
}

/// One alert through the sink, retrying transient failures with backoff when the sink allows.
fn deliver(
    sink: &mut dyn Sink,
    alert: &FormattedAlert,
    telemetry: &SinkTelemetry,
    failures: &mut FailureLog,
    flush_each: bool,
) {
    let counters = &telemetry.counters;
    let retry = sink.retry();
    let mut attempt = 0u32;
    let mut delay = retry.map(|r| r.initial).unwrap_or_default();
    loop {
        let result = sink
            .deliver(alert)
            .and_then(|()| if flush_each { sink.flush() } else { Ok(()) });
        match result {
            Ok(()) => {
                counters.sent.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Err(e) => {
                failures.report(sink.name(), &e);
                let Some(policy) = retry.filter(|_| e.is_transient()) else {
                    counters.dropped_delivery_failed.fetch_add(1, Ordering::Relaxed);
                    return;
                };
                attempt += 1;
                if attempt >= policy.attempts {
                    counters.dropped_delivery_failed.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                counters.retried.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(delay);
                delay = (delay * 2).min(policy.max);
            }
        }
    }
}

#[derive(Default)]
struct FailureLog {
    last: Option<Instant>,
    suppressed: u64,
}

impl FailureLog {
    fn report(&mut self, sink: &str, error: &OutputsError) {
        if self.last.is_some_and(|t| t.elapsed() < FAILURE_LOG_INTERVAL) {
            self.suppressed += 1;
            return;
        }
        self.last = Some(Instant::now());
        let suppressed = std::mem::take(&mut self.suppressed);
        tracing::warn!("{sink} output: {error} ({suppressed} similar failures not logged)");
    }
}
