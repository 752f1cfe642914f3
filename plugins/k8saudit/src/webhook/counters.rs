//! What the webhook did: requests, accepted events, and rejections by reason.

use std::sync::atomic::{AtomicU64, Ordering};

/// Why a request was refused; each reason has its own counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// 400: the body is not JSON (or a duplicated key among `kind`/`items`/`stageTimestamp`).
    MalformedJson,
    /// 400: the body is not UTF-8.
    NotUtf8,
    /// 400: JSON nested deeper than [`super::MAX_JSON_NESTING`].
    TooDeep,
    /// 400: not an `Event`/`EventList` (or an array of them), or an `EventList` without `items`.
    WrongKind,
    /// 400: an event without a `stageTimestamp` string.
    MissingTimestamp,
    /// 400: a `stageTimestamp` that is not an RFC 3339 instant after 1970.
    BadTimestamp,
    /// 413: the body is larger than `max_request_bytes`.
    TooLarge,
    /// 413: the request holds more events than the whole queue.
    TooManyEvents,
    /// 405: a method other than POST.
    WrongMethod,
    /// 404: a path other than the configured one.
    WrongPath,
    /// 400: a `Content-Type` without `application/json`.
    WrongContentType,
    /// 503: the queue could not take all the request's events in time.
    QueueFull,
    /// 408: the body did not arrive within the body read timeout.
    BodyTimeout,
    /// 400: the body could not be read (bad chunked encoding, connection reset).
    BodyReadFailed,
    /// 503: the plugin stopped consuming events (the queue is closed).
    QueueClosed,
}

/// A snapshot of the webhook's counters, taken by [`super::Webhook::counters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookCounters {
    /// TCP connections accepted.
    pub connections: u64,
    /// Connections whose TLS handshake failed or timed out (https only).
    pub tls_handshake_failures: u64,
    /// Errors returned by `accept` (e.g. out of file descriptors).
    pub accept_errors: u64,
    /// HTTP requests received, whatever their outcome.
    pub requests: u64,
    /// Requests answered 200: all their events were queued.
    pub requests_accepted: u64,
    /// Audit events queued (every one of them belongs to a request answered 200).
    pub events_accepted: u64,
    /// Requests refused, by reason.
    pub rejected_by_reason: RejectedByReason,
}

/// Refused requests by reason (see [`Rejection`] for the status code of each).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RejectedByReason {
    pub malformed_json: u64,
    pub not_utf8: u64,
    pub too_deep: u64,
    pub wrong_kind: u64,
    pub missing_timestamp: u64,
    pub bad_timestamp: u64,
    pub too_large: u64,
    pub too_many_events: u64,
    pub wrong_method: u64,
    pub wrong_path: u64,
    pub wrong_content_type: u64,
    pub queue_full: u64,
    pub body_timeout: u64,
    pub body_read_failed: u64,
    pub queue_closed: u64,
}

impl RejectedByReason {
    /// All refused requests.
    pub fn total(&self) -> u64 {
        let RejectedByReason {
            malformed_json,
            not_utf8,
            too_deep,
            wrong_kind,
            missing_timestamp,
            bad_timestamp,
            too_large,
            too_many_events,
            wrong_method,
            wrong_path,
            wrong_content_type,
            queue_full,
            body_timeout,
            body_read_failed,
            queue_closed,
        } = *self;
        malformed_json
            + not_utf8
            + too_deep
            + wrong_kind
            + missing_timestamp
            + bad_timestamp
            + too_large
            + too_many_events
            + wrong_method
            + wrong_path
            + wrong_content_type
            + queue_full
            + body_timeout
            + body_read_failed
            + queue_closed
    }

    fn cell(&mut self, reason: Rejection) -> &mut u64 {
        match reason {
            Rejection::MalformedJson => &mut self.malformed_json,
            Rejection::NotUtf8 => &mut self.not_utf8,
            Rejection::TooDeep => &mut self.too_deep,
            Rejection::WrongKind => &mut self.wrong_kind,
            Rejection::MissingTimestamp => &mut self.missing_timestamp,
            Rejection::BadTimestamp => &mut self.bad_timestamp,
            Rejection::TooLarge => &mut self.too_large,
            Rejection::TooManyEvents => &mut self.too_many_events,
            Rejection::WrongMethod => &mut self.wrong_method,
            Rejection::WrongPath => &mut self.wrong_path,
            Rejection::WrongContentType => &mut self.wrong_content_type,
            Rejection::QueueFull => &mut self.queue_full,
            Rejection::BodyTimeout => &mut self.body_timeout,
            Rejection::BodyReadFailed => &mut self.body_read_failed,
            Rejection::QueueClosed => &mut self.queue_closed,
        }
    }
}

const REJECTION_KINDS: usize = Rejection::QueueClosed as usize + 1;

/// The live counters, shared by all connections.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    connections: AtomicU64,
    tls_handshake_failures: AtomicU64,
    accept_errors: AtomicU64,
    requests: AtomicU64,
    requests_accepted: AtomicU64,
    events_accepted: AtomicU64,
    rejected: [AtomicU64; REJECTION_KINDS],
}

impl Counters {
    pub(crate) fn connection(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn tls_handshake_failure(&self) {
        self.tls_handshake_failures.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn accept_error(&self) {
        self.accept_errors.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn accepted(&self, events: usize) {
        self.events_accepted.fetch_add(events as u64, Ordering::Relaxed);
        self.requests_accepted.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn rejected(&self, reason: Rejection) {
        self.rejected[reason as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> WebhookCounters {
        let mut rejected_by_reason = RejectedByReason::default();
        for reason in ALL_REJECTIONS {
            *rejected_by_reason.cell(reason) = self.rejected[reason as usize].load(Ordering::Relaxed);
        }
        WebhookCounters {
            connections: self.connections.load(Ordering::Relaxed),
            tls_handshake_failures: self.tls_handshake_failures.load(Ordering::Relaxed),
            accept_errors: self.accept_errors.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            requests_accepted: self.requests_accepted.load(Ordering::Relaxed),
            events_accepted: self.events_accepted.load(Ordering::Relaxed),
            rejected_by_reason,
        }
    }
}

const ALL_REJECTIONS: [Rejection; REJECTION_KINDS] = [
    Rejection::MalformedJson,
    Rejection::NotUtf8,
    Rejection::TooDeep,
    Rejection::WrongKind,
    Rejection::MissingTimestamp,
    Rejection::BadTimestamp,
    Rejection::TooLarge,
    Rejection::TooManyEvents,
    Rejection::WrongMethod,
    Rejection::WrongPath,
    Rejection::WrongContentType,
    Rejection::QueueFull,
    Rejection::BodyTimeout,
    Rejection::BodyReadFailed,
    Rejection::QueueClosed,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_lands_in_its_own_field() {
        let counters = Counters::default();
        for (times, reason) in ALL_REJECTIONS.into_iter().enumerate() {
            for _ in 0..=times {
                counters.rejected(reason);
            }
        }
        let mut snapshot = counters.snapshot().rejected_by_reason;
        for (times, reason) in ALL_REJECTIONS.into_iter().enumerate() {
            assert_eq!(*snapshot.cell(reason), times as u64 + 1, "{reason:?}");
        }
        let n = REJECTION_KINDS as u64;
        assert_eq!(snapshot.total(), n * (n + 1) / 2);
    }
}
