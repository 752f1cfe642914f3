//! The audit webhook server (http and https) feeding the plugin's event queue.
//!
//! Kubernetes' API server POSTs `audit.k8s.io/v1` `EventList`s to it (Falco k8saudit plugin
//! 0.x `open_params` `http://:9765/k8s-audit`). Differences from Falco, on purpose:
//! - 200 is sent only once every event of the request is queued; when the queue stays full for
//!   [`QUEUE_WAIT_TIMEOUT`] the answer is 503 with `Retry-After`, and the API server retries.
//!   An acknowledged event is never dropped; a refused request queued nothing.
//! - A request with any bad item is refused whole (400 naming the item) instead of silently
//!   skipping that item; bodies over the limit get 413 (Falco: 400).
//!
//! ```no_run
//! use k8saudit::webhook::{Webhook, WebhookConfig};
//! let webhook = Webhook::start(WebhookConfig::new("0.0.0.0:9765".parse().unwrap(), "/k8s-audit"))?;
//! for event in webhook.receiver().iter().take(10) {
//!     println!("{} {}", event.timestamp_ns, String::from_utf8_lossy(&event.json));
//! }
//! webhook.shutdown();
//! # Ok::<(), k8saudit::webhook::WebhookError>(())
//! ```

mod batch;
mod counters;
mod handler;
mod queue;
mod server;
mod timestamp;
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use crossbeam_channel::Receiver;
use thiserror::Error;
use tokio::sync::oneshot;

pub use batch::{split_body, split_into_events, BatchError, MAX_JSON_NESTING};
pub use counters::{RejectedByReason, Rejection, WebhookCounters};
pub use handler::RequestError;
pub use queue::QueueError;
pub use timestamp::{parse_rfc3339_nanos, TimestampError};
pub use tls::TlsError;

/// Falco's `webhookMaxBatchSize` default: the API server's 10 MiB batch limit plus ~20%.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 12 * 1024 * 1024;
/// Default queue length in events: a few full API-server batches (400 events each by default).
pub const DEFAULT_QUEUE_CAPACITY: usize = 16 * 1024;
/// How long a request may wait for room in a full queue before it is answered 503.
pub const QUEUE_WAIT_TIMEOUT: Duration = Duration::from_secs(1);
/// The `Retry-After` sent with 503.
pub const RETRY_AFTER_SECONDS: u16 = 1;
/// Time allowed for a request's headers to arrive; also closes idle keep-alive connections.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Time allowed for a request's whole body to arrive once its headers are in (408 after).
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Time allowed for an https client to complete the TLS handshake.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Open connections served at once; further clients wait in the listen backlog. Bounds memory:
/// each connection may hold one body of up to `max_request_bytes`.
pub const MAX_CONNECTIONS: usize = 256;
/// On shutdown, how long in-flight requests may take to finish (Falco: 5 s).
pub const SHUTDOWN_GRACE_PERIOD: Duration = Duration::from_secs(5);
/// Pause after a failed `accept` (e.g. no file descriptors left) before the next one.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(100);
/// Worker threads of the webhook's own tokio runtime.
const WORKER_THREADS: usize = 2;

/// Where and how the webhook listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// Address to bind; port 0 picks a free port (see [`Webhook::local_addr`]).
    pub addr: SocketAddr,
    /// The only path accepted, matched exactly (e.g. `/k8s-audit`).
    pub path: String,
    /// Serve https instead of http.
    pub tls: Option<TlsConfig>,
    /// Largest request body accepted, in bytes (413 above).
    pub max_request_bytes: usize,
    /// Events the queue holds before requests wait (and then get 503).
    pub queue_capacity: usize,
}

/// Certificate and key of the https webhook, PEM encoded. Both may be the same file holding the
/// key and the certificate chain (Falco's `sslCertificate` convention).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    pub cert_pem_path: PathBuf,
    pub key_pem_path: PathBuf,
}

impl WebhookConfig {
    /// An http webhook with the default limits.
    pub fn new(addr: SocketAddr, path: impl Into<String>) -> Self {
        Self {
            addr,
            path: path.into(),
            tls: None,
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
        }
    }

    fn validate(&self) -> Result<(), WebhookError> {
        let invalid = |field: &'static str, problem: String| WebhookError::InvalidConfig { field, problem };
        if !self.path.starts_with('/') {
            return Err(invalid(
                "path",
                format!(
                    "expected a path starting with `/` (e.g. /k8s-audit), found {:?}",
                    self.path
                ),
            ));
        }
        if self.max_request_bytes == 0 {
            return Err(invalid("max_request_bytes", "must be at least 1".to_owned()));
        }
        if self.queue_capacity == 0 {
            return Err(invalid("queue_capacity", "must be at least 1 event".to_owned()));
        }
        Ok(())
    }
}

/// The webhook's timeouts; [`Webhook::start`] uses the defaults (the `*_TIMEOUT` constants).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookTimeouts {
    /// See [`HEADER_READ_TIMEOUT`].
    pub header_read: Duration,
    /// See [`BODY_READ_TIMEOUT`].
    pub body_read: Duration,
    /// See [`QUEUE_WAIT_TIMEOUT`].
    pub queue_wait: Duration,
    /// See [`TLS_HANDSHAKE_TIMEOUT`].
    pub tls_handshake: Duration,
    /// See [`SHUTDOWN_GRACE_PERIOD`].
    pub shutdown_grace: Duration,
}

impl Default for WebhookTimeouts {
    fn default() -> Self {
        Self {
            header_read: HEADER_READ_TIMEOUT,
            body_read: BODY_READ_TIMEOUT,
            queue_wait: QUEUE_WAIT_TIMEOUT,
            tls_handshake: TLS_HANDSHAKE_TIMEOUT,
            shutdown_grace: SHUTDOWN_GRACE_PERIOD,
        }
    }
}

/// One audit event, as the plugin emits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// `stageTimestamp`, in nanoseconds since the Unix epoch.
    pub timestamp_ns: u64,
    /// The event's JSON, without insignificant whitespace, keys in the order sent (often a
    /// slice of the request body it came in, which it keeps alive).
    pub json: Bytes,
}

/// Why the webhook could not start.
#[derive(Debug, Error)]
pub enum WebhookError {
    #[error("webhook setting `{field}`: {problem}")]
    InvalidConfig { field: &'static str, problem: String },
    #[error("https webhook: {0}")]
    Tls(#[from] TlsError),
    #[error("cannot listen on {addr}: {source}; pick a free port or address")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("cannot start the webhook's runtime: {0}")]
    Runtime(std::io::Error),
}

/// A running webhook. Dropping it shuts it down like [`Webhook::shutdown`].
///
/// Must not be shut down or dropped from inside an async runtime (it blocks while draining).
pub struct Webhook {
    runtime: Option<tokio::runtime::Runtime>,
    shutdown_grace: Duration,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    receiver: Receiver<AuditEvent>,
    counters: Arc<counters::Counters>,
    local_addr: SocketAddr,
}

impl Webhook {
    /// Binds the address and starts serving on a runtime of its own.
    pub fn start(config: WebhookConfig) -> Result<Webhook, WebhookError> {
        Self::start_with_timeouts(config, WebhookTimeouts::default())
    }

    /// [`Webhook::start`] with other timeouts (tests, or a deployment with slow links).
    pub fn start_with_timeouts(config: WebhookConfig, timeouts: WebhookTimeouts) -> Result<Webhook, WebhookError> {
        config.validate()?;
        let tls = config.tls.as_ref().map(tls::acceptor).transpose()?;
        let bind_error = |source| WebhookError::Bind {
            addr: config.addr,
            source,
        };
        let listener = std::net::TcpListener::bind(config.addr).map_err(bind_error)?;
        listener.set_nonblocking(true).map_err(bind_error)?;
        let local_addr = listener.local_addr().map_err(bind_error)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKER_THREADS)
            .thread_name("k8saudit-webhook")
            .enable_io()
            .enable_time()
            .build()
            .map_err(WebhookError::Runtime)?;
        let listener = {
            let _context = runtime.enter();
            tokio::net::TcpListener::from_std(listener).map_err(bind_error)?
        };
        let (sender, receiver) = crossbeam_channel::bounded(config.queue_capacity);
        let counters = Arc::new(counters::Counters::default());
        let endpoint = Arc::new(handler::Endpoint {
            path: config.path,
            max_request_bytes: config.max_request_bytes,
            queue: queue::EventQueue::new(sender, config.queue_capacity),
            counters: counters.clone(),
            timeouts,
        });
        let (stop, stopped) = oneshot::channel();
        let server = runtime.spawn(
            server::Server {
                listener,
                tls,
                endpoint,
                counters: counters.clone(),
                timeouts,
            }
            .run(stopped),
        );
        Ok(Webhook {
            runtime: Some(runtime),
            shutdown_grace: timeouts.shutdown_grace,
            stop: Some(stop),
            server: Some(server),
            receiver,
            counters,
            local_addr,
        })
    }

    /// The queue of accepted events (bounded to `queue_capacity`). It reports disconnection
    /// once the webhook is shut down and every queued event has been received.
    pub fn receiver(&self) -> Receiver<AuditEvent> {
        self.receiver.clone()
    }

    /// A snapshot of the counters.
    pub fn counters(&self) -> WebhookCounters {
        self.counters.snapshot()
    }

    /// The bound address (with the real port when `addr` had port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting connections, lets in-flight requests finish (up to the shutdown grace
    /// period, [`SHUTDOWN_GRACE_PERIOD`] by default), and closes the queue; events already queued stay receivable.
    pub fn shutdown(mut self) {
        self.stop_serving();
    }

    fn stop_serving(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            if let Some(server) = self.server.take() {
                let _ = runtime.block_on(server);
            }
            // Connections still open after the grace period are cut here; dropping their tasks
            // drops the queue's sender, which closes the queue.
            runtime.shutdown_timeout(self.shutdown_grace);
        }
    }
}

impl Drop for Webhook {
    fn drop(&mut self) {
        self.stop_serving();
    }
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("local_addr", &self.local_addr)
            .field("queued", &self.receiver.len())
            .finish_non_exhaustive()
    }
}
