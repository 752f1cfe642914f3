//! One HTTP request: checks in Falco's order (path, method, content type, size), then the body is
//! read within a deadline, split into audit events and queued; 200 only once all are queued.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use hyper::{Method, Request, Response, StatusCode};
use thiserror::Error;

use super::batch::{split_body, BatchError};
use super::counters::{Counters, Rejection};
use super::queue::{EventQueue, QueueError};
use super::{WebhookTimeouts, RETRY_AFTER_SECONDS};

/// The `Content-Type` must contain this (case-insensitively), as Falco requires.
const REQUIRED_CONTENT_TYPE: &str = "application/json";

/// Why a request was refused; the text is the response body.
#[derive(Debug, Error)]
pub enum RequestError {
    #[error("404 page not found: audit events are accepted on {expected}, not {found}")]
    WrongPath { expected: String, found: String },
    #[error("{method} method not allowed; send audit events with POST")]
    WrongMethod { method: Method },
    #[error("wrong Content Type: expected {REQUIRED_CONTENT_TYPE}, found {found:?}")]
    WrongContentType { found: String },
    #[error(
        "request body is larger than the limit of {limit} bytes{declared}; send smaller batches \
         or raise the webhook's maximum request size"
    )]
    TooLarge { limit: usize, declared: String },
    #[error("request body did not arrive within {0:?}")]
    BodyTimeout(Duration),
    #[error("bad request: cannot read the body: {0}")]
    BodyRead(hyper::Error),
    #[error("bad request: {0}")]
    Batch(#[from] BatchError),
    #[error("{0}")]
    Queue(#[from] QueueError),
}

impl RequestError {
    fn rejection(&self) -> Rejection {
        match self {
            Self::WrongPath { .. } => Rejection::WrongPath,
            Self::WrongMethod { .. } => Rejection::WrongMethod,
            Self::WrongContentType { .. } => Rejection::WrongContentType,
            Self::TooLarge { .. } => Rejection::TooLarge,
            Self::BodyTimeout(_) => Rejection::BodyTimeout,
            Self::BodyRead(_) => Rejection::BodyReadFailed,
            Self::Batch(BatchError::NotUtf8 { .. }) => Rejection::NotUtf8,
            Self::Batch(BatchError::TooDeep { .. }) => Rejection::TooDeep,
            Self::Batch(BatchError::MalformedJson(_)) => Rejection::MalformedJson,
            Self::Batch(BatchError::WrongKind { .. } | BatchError::MissingItems { .. }) => Rejection::WrongKind,
            Self::Batch(BatchError::MissingTimestamp { .. }) => Rejection::MissingTimestamp,
            Self::Batch(BatchError::BadTimestamp { .. }) => Rejection::BadTimestamp,
            Self::Queue(QueueError::TooManyEvents { .. }) => Rejection::TooManyEvents,
            Self::Queue(QueueError::Full { .. }) => Rejection::QueueFull,
            Self::Queue(QueueError::Closed) => Rejection::QueueClosed,
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::WrongPath { .. } => StatusCode::NOT_FOUND,
            Self::WrongMethod { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::TooLarge { .. } | Self::Queue(QueueError::TooManyEvents { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::Queue(QueueError::Full { .. } | QueueError::Closed) => StatusCode::SERVICE_UNAVAILABLE,
            Self::WrongContentType { .. } | Self::BodyRead(_) | Self::Batch(_) => StatusCode::BAD_REQUEST,
        }
    }

    /// Refusals decided before the body was read leave it unread on the connection, and a body
    /// that timed out or failed leaves the stream in an unknown state: such connections close.
    fn closes_connection(&self) -> bool {
        matches!(
            self,
            Self::WrongPath { .. }
                | Self::WrongMethod { .. }
                | Self::WrongContentType { .. }
                | Self::TooLarge { .. }
                | Self::BodyTimeout(_)
                | Self::BodyRead(_)
        )
    }

    fn into_response(self) -> Response<Full<Bytes>> {
        let mut response = text_response(self.status(), format!("{self}\n"));
        let headers = response.headers_mut();
        match &self {
            Self::WrongMethod { .. } => {
                headers.insert(ALLOW, HeaderValue::from_static("POST"));
            }
            Self::Queue(QueueError::Full { .. } | QueueError::Closed) => {
                headers.insert(RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
            }
            _ => {}
        }
        if self.closes_connection() {
            headers.insert(CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// What every request on every connection shares.
pub(crate) struct Endpoint {
    pub(crate) path: String,
    pub(crate) max_request_bytes: usize,
    pub(crate) queue: EventQueue,
    pub(crate) counters: Arc<Counters>,
    pub(crate) timeouts: WebhookTimeouts,
}

/// The hyper service function.
pub(crate) async fn handle(
    endpoint: Arc<Endpoint>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    endpoint.counters.request();
    Ok(match endpoint.accept(request).await {
        Ok(events) => {
            endpoint.counters.accepted(events);
            text_response(StatusCode::OK, format!("accepted {events} audit events\n"))
        }
        Err(error) => {
            endpoint.counters.rejected(error.rejection());
            error.into_response()
        }
    })
}

impl Endpoint {
    /// Returns how many events the request queued.
    async fn accept(&self, request: Request<Incoming>) -> Result<usize, RequestError> {
        // Exact match, as Go's ServeMux does for a pattern without a trailing slash.
        if request.uri().path() != self.path {
            return Err(RequestError::WrongPath {
                expected: self.path.clone(),
                found: request.uri().path().to_owned(),
            });
        }
        if request.method() != Method::POST {
            return Err(RequestError::WrongMethod {
                method: request.method().clone(),
            });
        }
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .unwrap_or_default();
        if !content_type.to_ascii_lowercase().contains(REQUIRED_CONTENT_TYPE) {
            return Err(RequestError::WrongContentType { found: content_type });
        }
        let declared_length = request
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
        if let Some(length) = declared_length {
            if length > self.max_request_bytes as u64 {
                return Err(RequestError::TooLarge {
                    limit: self.max_request_bytes,
                    declared: format!(" (Content-Length: {length})"),
                });
            }
        }
        let body_read = self.timeouts.body_read;
        let body = tokio::time::timeout(body_read, self.read_body(request.into_body(), declared_length))
            .await
            .map_err(|_| RequestError::BodyTimeout(body_read))??;
        let events = split_body(Bytes::from(body))?;
        let count = events.len();
        self.queue.enqueue_all(events, self.timeouts.queue_wait).await?;
        Ok(count)
    }

    /// Reads the whole body, refusing it as soon as it exceeds the limit (chunked bodies have no
    /// Content-Length to check up front).
    async fn read_body(&self, mut body: Incoming, declared_length: Option<u64>) -> Result<Vec<u8>, RequestError> {
        let expected = declared_length.unwrap_or(0).min(self.max_request_bytes as u64);
        let mut buffer = Vec::with_capacity(expected as usize);
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(RequestError::BodyRead)?;
            if let Ok(data) = frame.into_data() {
                if buffer.len() + data.len() > self.max_request_bytes {
                    return Err(RequestError::TooLarge {
                        limit: self.max_request_bytes,
                        declared: String::new(),
                    });
                }
                buffer.extend_from_slice(&data);
            }
        }
        Ok(buffer)
    }
}

fn text_response(status: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}
