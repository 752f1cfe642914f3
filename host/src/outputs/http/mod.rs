//! `http_output`: each alert POSTed to a URL over HTTP/1.1 (kept-alive connections), as Falco's
//! libcurl output: the body is the alert (JSON with `json_output`, which Falcosidekick and
//! webhook receivers expect), failures are retried with backoff.
//!
//! Falco sends one request at a time. Saker keeps a pool of `http_output.max_connections`
//! connections (default [`DEFAULT_MAX_CONNECTIONS`]), each served by its own worker of the
//! sink's queue; with more than one, each connection also carries up to [`PIPELINE_DEPTH`]
//! queued alerts at once (requests written back to back, then the answers read in order).
//! Alerts may then arrive out of order; a pool of 1 keeps Falco's one request at a time, in order.
//! A request is sent again only when it got no answer or a transient one (5xx, 408, 429).

mod config;
mod response;
#[cfg(test)]
mod tests;
mod tls;

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;

pub use config::{Endpoint, HttpSinkConfig, Scheme, DEFAULT_MAX_CONNECTIONS, DEFAULT_TIMEOUT, MAX_CONNECTIONS};

use super::{FormattedAlert, OutputsError, RetryPolicy, Sink, NETWORK_RETRY};
use response::ResponseReader;

/// Most requests written back to back on one connection before their answers are read, when
/// the pool has more than one connection (the alerts already waiting in the queue, no more).
pub const PIPELINE_DEPTH: usize = 32;

pub struct HttpSink {
    config: HttpSinkConfig,
    tls: Option<Arc<rustls::ClientConfig>>,
    conn: Option<Connection>,
    /// The request head up to `Content-Length:` (the same for every alert).
    head: String,
    request: Vec<u8>,
    /// Where each request in `request` ends.
    ends: Vec<usize>,
    retry: RetryPolicy,
}

/// A kept-alive connection and what it has read past the last answer.
struct Connection {
    stream: Stream,
    responses: ResponseReader,
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.get_ref(),
        }
    }
}

/// Reads with the pending acknowledgement sent first (Linux `TCP_QUICKACK`): a server that
/// writes each answer on its own and keeps Nagle's algorithm on holds the next answer until the
/// previous one is acknowledged, which delayed acknowledgements would put off by up to 40 ms
/// per answer when requests are written back to back.
struct Acking<'a>(&'a mut Stream);

impl Read for Acking<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::fd::AsRawFd;
        let on: libc::c_int = 1;
        // SAFETY: setsockopt reads `on` (an int, its size given) on a socket this stream owns.
        // A failure only loses the hint.
        unsafe {
            libc::setsockopt(
                self.0.tcp().as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_QUICKACK,
                (&on as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
        self.0.read(buf)
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

impl HttpSink {
    /// Checks the URL and TLS material; connects on the first alert.
    pub fn new(config: HttpSinkConfig) -> Result<HttpSink, OutputsError> {
        let tls = match config.endpoint.scheme {
            Scheme::Https => Some(tls::client_config(&config)?),
            Scheme::Http => None,
        };
        let e = &config.endpoint;
        let host = if e.host.contains(':') {
            format!("[{}]", e.host)
        } else {
            e.host.clone()
        };
        let mut head = format!(
            "POST {} HTTP/1.1\r\nHost: {host}:{}\r\nUser-Agent: {}\r\n",
            e.path, e.port, config.user_agent
        );
        for (name, value) in &config.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if config.compress {
            head.push_str("Content-Encoding: gzip\r\n");
        }
        Ok(HttpSink {
            config,
            tls,
            conn: None,
            head,
            request: Vec::new(),
            ends: Vec::new(),
            retry: NETWORK_RETRY,
        })
    }

    /// Overrides the retry policy (tests use short delays).
    pub fn with_retry(mut self, retry: RetryPolicy) -> HttpSink {
        self.retry = retry;
        self
    }

    fn io_error(&self, source: std::io::Error) -> OutputsError {
        OutputsError::Http {
            url: self.config.url.clone(),
            source,
        }
    }

    fn connect(&mut self) -> Result<Connection, OutputsError> {
        let e = &self.config.endpoint;
        let timeout = self.config.timeout;
        let addrs = (e.host.as_str(), e.port)
            .to_socket_addrs()
            .map_err(|err| self.io_error(err))?;
        let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "the host has no address");
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, timeout) {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    stream
                        .set_read_timeout(Some(timeout))
                        .map_err(|err| self.io_error(err))?;
                    stream
                        .set_write_timeout(Some(timeout))
                        .map_err(|err| self.io_error(err))?;
                    let stream = match &self.tls {
                        None => Stream::Plain(stream),
                        Some(tls) => {
                            let name = rustls::pki_types::ServerName::try_from(e.host.clone())
                                .map_err(|err| OutputsError::Tls(format!("bad server name '{}': {err}", e.host)))?;
                            let conn = rustls::ClientConnection::new(tls.clone(), name)
                                .map_err(|err| OutputsError::Tls(err.to_string()))?;
                            Stream::Tls(Box::new(rustls::StreamOwned::new(conn, stream)))
                        }
                    };
                    return Ok(Connection {
                        stream,
                        responses: ResponseReader::default(),
                    });
                }
                Err(err) => last = err,
            }
        }
        Err(self.io_error(last))
    }

    /// Appends the request that carries `alert` to `self.request`.
    fn build_request(&mut self, alert: &FormattedAlert) {
        self.request.extend_from_slice(self.head.as_bytes());
        let content_type = if alert.json { "application/json" } else { "text/plain" };
        let body: std::borrow::Cow<[u8]> = if self.config.compress {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            let _ = gz.write_all(alert.text.as_bytes());
            gz.finish().unwrap_or_default().into()
        } else {
            alert.text.as_bytes().into()
        };
        let _ = write!(
            self.request,
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        self.request.extend_from_slice(&body);
        self.ends.push(self.request.len());
    }

    /// Sends the requests in `self.request` on the kept-alive connection (or a new one) and
    /// reads their answers: one result per request, in order. A request is never sent twice once
    /// answered. Requests left behind a `Connection: close` answer (the server read no further)
    /// go out at once on a new connection, and so do requests that met a kept-alive connection
    /// the server had closed while idle (once, as curl does); others without an answer get a
    /// transient error, so the queue retries them with backoff.
    fn exchange(&mut self, results: &mut Vec<Result<(), OutputsError>>) {
        let count = self.ends.len();
        // The first request without an answer.
        let mut next = 0;
        let mut stale_retried = false;
        while next < count {
            let (mut conn, reused) = match self.conn.take() {
                Some(c) => (c, true),
                None => match self.connect() {
                    Ok(c) => (c, false),
                    Err(e) => return self.fail_rest(next, e, results),
                },
            };
            let from = if next == 0 { 0 } else { self.ends[next - 1] };
            let written = conn
                .stream
                .write_all(&self.request[from..])
                .and_then(|()| conn.stream.flush());
            // After a failed write the answers the server sent before closing are still read.
            let mut keep_alive = written.is_ok();
            let mut failure = written.err();
            let first = next;
            let mut closed = false;
            while next < count {
                let answer = if count > 1 {
                    conn.responses.read(&mut Acking(&mut conn.stream))
                } else {
                    conn.responses.read(&mut conn.stream)
                };
                match answer {
                    Ok(response) => {
                        next += 1;
                        results.push(self.status_result(response.status, response.reason));
                        if !response.keep_alive {
                            keep_alive = false;
                            closed = true;
                            break;
                        }
                    }
                    Err(e) => {
                        keep_alive = false;
                        failure.get_or_insert(e);
                        break;
                    }
                }
            }
            if keep_alive {
                self.conn = Some(conn);
            }
            let answered_here = next > first;
            if next == count || (closed && answered_here) {
                continue;
            }
            let stale = reused
                && !answered_here
                && !stale_retried
                && failure.as_ref().is_some_and(|e| {
                    matches!(
                        e.kind(),
                        std::io::ErrorKind::UnexpectedEof
                            | std::io::ErrorKind::ConnectionReset
                            | std::io::ErrorKind::ConnectionAborted
                            | std::io::ErrorKind::BrokenPipe
                    )
                });
            if stale {
                stale_retried = true;
                continue;
            }
            let failure = failure.unwrap_or_else(|| unanswered("the server closed the connection"));
            return self.fail_rest(next, self.io_error(failure), results);
        }
    }

    /// Results for the requests from `next` on: `error` for the first, "no answer" for the others.
    fn fail_rest(&self, next: usize, error: OutputsError, results: &mut Vec<Result<(), OutputsError>>) {
        let count = self.ends.len();
        if next < count {
            let cause = error.to_string();
            results.push(Err(error));
            for _ in next + 1..count {
                results.push(Err(self.io_error(unanswered(&cause))));
            }
        }
    }

    fn status_result(&self, status: u16, reason: String) -> Result<(), OutputsError> {
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(OutputsError::HttpStatus {
                url: self.config.url.clone(),
                status,
                reason,
            })
        }
    }
}

/// The error of a request that got no answer because of an earlier failure on its connection.
fn unanswered(cause: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::ConnectionAborted, format!("no answer ({cause})"))
}

impl Sink for HttpSink {
    fn name(&self) -> &'static str {
        "http"
    }

    fn deliver(&mut self, alert: &FormattedAlert) -> Result<(), OutputsError> {
        self.request.clear();
        self.ends.clear();
        self.build_request(alert);
        let mut results = Vec::with_capacity(1);
        self.exchange(&mut results);
        results.pop().unwrap_or(Ok(()))
    }

    fn max_batch(&self) -> usize {
        if self.config.max_connections > 1 {
            PIPELINE_DEPTH
        } else {
            1
        }
    }

    /// Writes the requests back to back, then reads the answers.
    fn deliver_batch(
        &mut self,
        alerts: &[Arc<FormattedAlert>],
        _flush_each: bool,
        results: &mut Vec<Result<(), OutputsError>>,
    ) {
        self.request.clear();
        self.ends.clear();
        for alert in alerts {
            self.build_request(alert);
        }
        self.exchange(results);
    }

    fn retry(&self) -> Option<RetryPolicy> {
        Some(self.retry)
    }

    /// The other connections of the pool, each with the same request head and retry policy.
    fn parallel_instances(&mut self) -> Vec<Box<dyn Sink>> {
        let extra = self.config.max_connections.max(1) - 1;
        (0..extra)
            .map(|_| {
                Box::new(HttpSink {
                    config: self.config.clone(),
                    tls: self.tls.clone(),
                    conn: None,
                    head: self.head.clone(),
                    request: Vec::new(),
                    ends: Vec::new(),
                    retry: self.retry,
                }) as Box<dyn Sink>
            })
            .collect()
    }
}
