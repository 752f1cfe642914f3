//! A sink's bounded queue and the thread(s) that drain it into the sink, with retries for
//! network sinks and counters for every outcome.
//!
//! A sink that can deliver several alerts at once (the http sink's connection pool) gets one
//! worker thread per instance, all taking alerts from the same queue; each worker delivers and
//! retries its own alert, so counters stay exact but alerts may arrive out of order.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
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
    /// Deliver everything before this, flush, then answer. [`SinkQueue::flush`] sends one per
    /// worker; each worker waits for the others at the barrier, so that every alert queued before
    /// is delivered (not merely taken from the queue) when the answers come.
    Flush(Sender<()>),
}

/// The sending side of one sink, owned by the output thread.
pub struct SinkQueue {
    tx: Sender<Message>,
    policy: QueuePolicy,
    telemetry: Arc<SinkTelemetry>,
    workers: Vec<JoinHandle<()>>,
}

impl SinkQueue {
    /// Starts the sink's worker thread, and one more per instance [`Sink::parallel_instances`]
    /// returns.
    pub fn start(mut sink: Box<dyn Sink>, opts: QueueOptions) -> SinkQueue {
        let name = sink.name();
        let mut sinks = sink.parallel_instances();
        sinks.insert(0, sink);
        let (tx, rx) = bounded(opts.capacity.max(1));
        let telemetry = Arc::new(SinkTelemetry {
            name,
            capacity: opts.capacity.max(1),
            policy: opts.policy,
            counters: SinkCounters::default(),
            queue: rx.clone(),
        });
        let flush_barrier = Arc::new(Barrier::new(sinks.len()));
        let failures = Arc::new(Mutex::new(FailureLog::default()));
        let workers = sinks
            .into_iter()
            .enumerate()
            .map(|(i, sink)| {
                let worker = Worker {
                    rx: rx.clone(),
                    telemetry: telemetry.clone(),
                    flush_barrier: flush_barrier.clone(),
                    failures: failures.clone(),
                    flush_each: opts.flush_each,
                };
                let name = match i {
                    0 => format!("saker-out-{name}"),
                    _ => format!("saker-out-{name}-{i}"),
                };
                std::thread::Builder::new()
                    .name(name)
                    .spawn(move || worker.drain(sink))
                    .expect("spawning a sink thread")
            })
            .collect();
        SinkQueue {
            tx,
            policy: opts.policy,
            telemetry,
            workers,
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
        let workers = self.workers.len();
        let (done_tx, done_rx) = bounded(workers);
        let mut sent = 0;
        for _ in 0..workers {
            if self.tx.send(Message::Flush(done_tx.clone())).is_ok() {
                sent += 1;
            }
        }
        drop(done_tx);
        for _ in 0..sent {
            if done_rx.recv().is_err() {
                break;
            }
        }
    }

    /// Delivers what is queued, flushes and stops the sink's thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if self.workers.is_empty() {
            return;
        }
        // Closing the channel ends the workers once they have drained the queue.
        let (tx, _) = bounded(1);
        drop(std::mem::replace(&mut self.tx, tx));
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

impl Drop for SinkQueue {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One thread delivering from a sink's queue into one instance of the sink.
struct Worker {
    rx: Receiver<Message>,
    telemetry: Arc<SinkTelemetry>,
    flush_barrier: Arc<Barrier>,
    /// Shared by the sink's workers: one warning per sink per [`FAILURE_LOG_INTERVAL`].
    failures: Arc<Mutex<FailureLog>>,
    flush_each: bool,
}

impl Worker {
    fn drain(self, mut sink: Box<dyn Sink>) {
        let rx = &self.rx;
        let mut dirty = false;
        let coalesce = self.flush_each && sink.coalesces_flushes();
        // Alerts written since the last flush (counted only when flushes are coalesced).
        let mut unflushed = 0usize;
        let batch_limit = sink.max_batch().max(1);
        let mut batch = Vec::with_capacity(batch_limit);
        loop {
            let message = match rx.try_recv() {
                Ok(m) => m,
                Err(_) => {
                    // Queue empty: make what was written visible before waiting.
                    if dirty {
                        self.flush(sink.as_mut());
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
            let mut next = Some(message);
            while let Some(message) = next.take() {
                match message {
                    Message::Alert(alert) if batch_limit > 1 => {
                        // Take what else waits, up to the limit; a flush request ends the batch
                        // and is answered right after it.
                        batch.push(alert);
                        while batch.len() < batch_limit {
                            match rx.try_recv() {
                                Ok(Message::Alert(alert)) => batch.push(alert),
                                Ok(flush) => {
                                    next = Some(flush);
                                    break;
                                }
                                Err(_) => break,
                            }
                        }
                        self.deliver(sink.as_mut(), &mut batch, self.flush_each);
                        dirty = !self.flush_each;
                    }
                    Message::Alert(alert) => {
                        batch.push(alert);
                        if coalesce {
                            // Flush now only when nothing else waits (or after MAX_DEFERRED_FLUSH);
                            // otherwise the flush comes with a later alert or when the queue runs
                            // empty.
                            unflushed += 1;
                            let flush_now = rx.is_empty() || unflushed >= MAX_DEFERRED_FLUSH;
                            self.deliver(sink.as_mut(), &mut batch, flush_now);
                            if flush_now {
                                unflushed = 0;
                            }
                            dirty = !flush_now;
                        } else {
                            self.deliver(sink.as_mut(), &mut batch, self.flush_each);
                            dirty = !self.flush_each;
                        }
                    }
                    Message::Flush(done) => {
                        // Every other worker has finished what it took before its own flush
                        // message.
                        self.flush_barrier.wait();
                        self.flush(sink.as_mut());
                        dirty = false;
                        unflushed = 0;
                        let _ = done.send(());
                    }
                }
            }
        }
        self.flush(sink.as_mut());
    }

    fn flush(&self, sink: &mut dyn Sink) {
        if let Err(e) = sink.flush() {
            self.report(sink.name(), &e);
        }
    }

    fn report(&self, sink: &str, error: &OutputsError) {
        let mut failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        failures.report(sink, error);
    }

    /// Alerts through the sink (emptying `batch`), retrying transient failures with backoff
    /// when the sink allows: the alerts that failed are sent again together after each delay.
    fn deliver(&self, sink: &mut dyn Sink, batch: &mut Vec<Arc<FormattedAlert>>, flush_each: bool) {
        let counters = &self.telemetry.counters;
        let retry = sink.retry();
        let mut attempt = 0u32;
        let mut delay = retry.map(|r| r.initial).unwrap_or_default();
        let mut results = Vec::with_capacity(batch.len());
        loop {
            results.clear();
            sink.deliver_batch(batch, flush_each, &mut results);
            attempt += 1;
            let mut failed = 0;
            for (alert, result) in std::mem::take(batch).into_iter().zip(results.drain(..)) {
                match result {
                    Ok(()) => {
                        counters.sent.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        self.report(sink.name(), &e);
                        match retry.filter(|policy| e.is_transient() && attempt < policy.attempts) {
                            Some(_) => {
                                counters.retried.fetch_add(1, Ordering::Relaxed);
                                batch.push(alert);
                                failed += 1;
                            }
                            None => {
                                counters.dropped_delivery_failed.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                }
            }
            if failed == 0 {
                return;
            }
            std::thread::sleep(delay);
            delay = (delay * 2).min(retry.map(|r| r.max).unwrap_or_default());
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
