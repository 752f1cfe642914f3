//! Alert sinks (DESIGN.md §8): stdout, file, syslog, program and http(s), with Falco's keys.
//!
//! The output thread formats each alert once and hands the same text to every enabled sink.
//! Each sink runs on its own thread (the http sink: one per connection) behind a bounded queue
//! ([`queue`]) so that a slow receiver never stalls another sink; what happens when a queue is
//! full is the sink's [`QueuePolicy`].
//! A new sink is a new folder implementing [`Sink`] plus one line in [`Outputs::from_config`].

pub mod file;
pub mod http;
pub mod program;
pub mod queue;
#[doc(hidden)]
pub mod receiver;
pub mod stdout;
pub mod syslog;
pub mod throttle;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::config;
use crate::rules::load::items::Priority;

pub use queue::{QueuePolicy, SinkCounters, SinkQueue, SinkTelemetry, SINK_QUEUE_CAPACITY};
pub use throttle::TokenBucket;

/// Why a sink could not be built or could not deliver.
#[derive(Debug, thiserror::Error)]
pub enum OutputsError {
    #[error("{sink} output: {key} is empty; set it in the configuration or disable the output")]
    MissingKey { sink: &'static str, key: &'static str },

    #[error("{sink} output: cannot open {path}: {source}; check that the directory exists and is writable")]
    Open {
        sink: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("{sink} output: write failed: {source}")]
    Write { sink: &'static str, source: std::io::Error },
    #[error("http output: invalid url '{url}': {reason}; expected http://host[:port]/path or https://…")]
    Url { url: String, reason: String },
    #[error("http output: TLS setup failed: {0}")]
    Tls(String),
    #[error("http output: {url} answered {status} {reason}")]
    HttpStatus { url: String, status: u16, reason: String },
    #[error("http output: {url}: {source}")]
    Http { url: String, source: std::io::Error },
    #[error("program output: cannot start '{program}': {source}; check the command and that /bin/sh exists")]
    Spawn { program: String, source: std::io::Error },
}

impl OutputsError {
    /// Whether delivering again later may succeed (network failures, 5xx answers).
    pub fn is_transient(&self) -> bool {
        match self {
            OutputsError::HttpStatus { status, .. } => *status >= 500 || *status == 429 || *status == 408,
            OutputsError::Http { .. } => true,
            _ => false,
        }
    }
}

/// One alert as every sink receives it: formatted once, shared by reference.
#[derive(Debug, Clone, PartialEq)]
pub struct FormattedAlert {
    /// The alert as `json_output` asks: Falco's JSON object, or `<time>: <Priority> <message>`.
    pub text: String,
    pub priority: Priority,
    /// `true` when `text` is JSON (the http sink's `Content-Type`).
    pub json: bool,
}

/// A destination for alerts. Runs on the sink's own thread; errors are counted by the queue.
pub trait Sink: Send + 'static {
    /// A short name for logs and metrics (`stdout`, `file`, `http` …).
    fn name(&self) -> &'static str;
    /// Writes one alert (possibly into a buffer that [`Sink::flush`] empties).
    fn deliver(&mut self, alert: &FormattedAlert) -> Result<(), OutputsError>;
    /// Makes every delivered alert visible (called per alert unless `buffered_outputs`, and
    /// whenever the queue runs empty, and at shutdown).
    fn flush(&mut self) -> Result<(), OutputsError> {
        Ok(())
    }
    /// Whether a flush after each alert may wait while more alerts are already queued (at
    /// most [`queue::MAX_DEFERRED_FLUSH`] of them): true for byte streams (stdout, file), where
    /// a flush only makes written bytes visible; false where a flush is an action of its own
    /// (the program sink runs its command once per flush).
    fn coalesces_flushes(&self) -> bool {
        false
    }
    /// How failed deliveries are retried; `None` means a failure drops the alert.
    fn retry(&self) -> Option<RetryPolicy> {
        None
    }
    /// Most alerts [`Sink::deliver_batch`] takes at once; 1 (the default) delivers one by one.
    fn max_batch(&self) -> usize {
        1
    }
    /// Delivers `alerts` (flushing after each when `flush_each`), pushing one result per alert
    /// into `results`, in order. A sink that can overlap deliveries (the http sink writes the
    /// requests back to back, then reads the answers) overrides this and [`Sink::max_batch`].
    fn deliver_batch(
        &mut self,
        alerts: &[Arc<FormattedAlert>],
        flush_each: bool,
        results: &mut Vec<Result<(), OutputsError>>,
    ) {
        for alert in alerts {
            let result = self
                .deliver(alert)
                .and_then(|()| if flush_each { self.flush() } else { Ok(()) });
            results.push(result);
        }
    }
    /// Further instances of this sink that deliver from the same queue at the same time, each
    /// on a worker thread of its own (the http sink: one per extra connection of its pool).
    /// Alerts then may arrive out of order. Called once, before the first alert.
    fn parallel_instances(&mut self) -> Vec<Box<dyn Sink>> {
        Vec::new()
    }
}

/// Backoff for network sinks: the delay doubles from `initial` up to `max`, for `attempts` tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub initial: Duration,
    pub max: Duration,
}

/// Default retry policy of network sinks: about 30 s of retrying before an alert is dropped.
pub const NETWORK_RETRY: RetryPolicy = RetryPolicy {
    attempts: 10,
    initial: Duration::from_millis(50),
    max: Duration::from_secs(5),
};

/// Per-sink options that are not Falco keys: queue size and full-queue policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueOptions {
    pub capacity: usize,
    pub policy: QueuePolicy,
    /// `buffered_outputs: false` flushes the sink after every alert.
    pub flush_each: bool,
}

impl Default for QueueOptions {
    fn default() -> Self {
        QueueOptions {
            capacity: SINK_QUEUE_CAPACITY,
            policy: QueuePolicy::Block,
            flush_each: true,
        }
    }
}

/// Counters shared by all sinks.
#[derive(Debug, Default)]
pub struct OutputsTelemetry {
    pub sinks: Vec<Arc<SinkTelemetry>>,
    /// Alerts `outputs.rate` / `outputs.max_burst` dropped before any sink saw them.
    pub throttled: AtomicU64,
    /// Alerts handed to the sinks (after throttling).
    pub emitted: AtomicU64,
}

/// Every enabled sink, fed by the output thread.
pub struct Outputs {
    sinks: Vec<SinkQueue>,
    throttle: Option<TokenBucket>,
    telemetry: Arc<OutputsTelemetry>,
    json: bool,
}

impl Outputs {
    /// The sinks the configuration enables, each started on its own thread.
    pub fn from_config(cfg: &config::Outputs) -> Result<Outputs, OutputsError> {
        let queue = QueueOptions {
            // `outputs_queue.capacity: 0` is Falco's "unbounded"; Saker keeps its own bound.
            capacity: match usize::try_from(cfg.queue.capacity) {
                Ok(0) | Err(_) => SINK_QUEUE_CAPACITY,
                Ok(n) => n,
            },
            policy: if cfg.queue.drop_when_full {
                QueuePolicy::Drop
            } else {
                QueuePolicy::Block
            },
            flush_each: !cfg.buffered_outputs,
        };
        let mut sinks: Vec<(Box<dyn Sink>, QueueOptions)> = Vec::new();
        if cfg.stdout_enabled {
            sinks.push((Box::new(stdout::StdoutSink::new()), queue));
        }
        if cfg.file.enabled {
            sinks.push((
                Box::new(file::FileSink::new(&file::FileSinkConfig::from_config(&cfg.file)?)?),
                queue,
            ));
        }
        if cfg.syslog_enabled {
            sinks.push((Box::new(syslog::SyslogSink::new(syslog::DEFAULT_SYSLOG_SOCKET)), queue));
        }
        if cfg.program.enabled {
            let program = program::ProgramSinkConfig::from_config(&cfg.program)?;
            sinks.push((Box::new(program::ProgramSink::new(program)), queue));
        }
        if cfg.http.enabled {
            let http = http::HttpSinkConfig::from_config(&cfg.http, Duration::from_millis(cfg.output_timeout_ms))?;
            sinks.push((Box::new(http::HttpSink::new(http)?), queue));
        }
        let throttle = (cfg.rate.rate > 0.0).then(|| TokenBucket::new(cfg.rate.rate, cfg.rate.max_burst as f64));
        Ok(Outputs::new(sinks, throttle, cfg.json_output))
    }

    /// Starts the given sinks; `json` says whether alert texts are JSON.
    pub fn new(sinks: Vec<(Box<dyn Sink>, QueueOptions)>, throttle: Option<TokenBucket>, json: bool) -> Outputs {
        let sinks: Vec<SinkQueue> = sinks
            .into_iter()
            .map(|(sink, opts)| SinkQueue::start(sink, opts))
            .collect();
        let telemetry = Arc::new(OutputsTelemetry {
            sinks: sinks.iter().map(|s| s.telemetry()).collect(),
            ..OutputsTelemetry::default()
        });
        Outputs {
            sinks,
            throttle,
            telemetry,
            json,
        }
    }

    pub fn telemetry(&self) -> Arc<OutputsTelemetry> {
        self.telemetry.clone()
    }

    /// Whether any sink is enabled (formatting is skipped otherwise).
    pub fn is_empty(&self) -> bool {
        self.sinks.is_empty()
    }

    /// Whether alert texts must be JSON.
    pub fn json(&self) -> bool {
        self.json
    }

    /// Hands one alert to every sink (unless throttled).
    pub fn emit(&mut self, alert: FormattedAlert) {
        if let Some(bucket) = &mut self.throttle {
            if !bucket.take() {
                self.telemetry.throttled.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        self.emit_unthrottled(alert);
    }

    /// Hands one message to every sink, past `outputs.rate` (the engine's own messages, which
    /// have their own pacing, as in Falco).
    pub fn emit_unthrottled(&mut self, alert: FormattedAlert) {
        self.telemetry.emitted.fetch_add(1, Ordering::Relaxed);
        let alert = Arc::new(alert);
        for sink in &self.sinks {
            sink.push(alert.clone());
        }
    }

    /// Waits until every sink has delivered (or dropped) what it was given and flushed.
    pub fn flush(&self) {
        for sink in &self.sinks {
            sink.flush();
        }
    }

    /// Flushes and stops every sink.
    pub fn shutdown(self) {
        for sink in self.sinks {
            sink.shutdown();
        }
    }
}

#[cfg(test)]
mod tests;
