//! `http_output`: each alert POSTed to a URL over HTTP/1.1 (kept-alive connection), as Falco's
//! libcurl output: the body is the alert (JSON with `json_output`, which Falcosidekick and
//! webhook receivers expect), failures are retried with backoff.

mod config;
#[cfg(test)]
mod tests;
mod tls;

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;

pub use config::{Endpoint, HttpSinkConfig, Scheme, DEFAULT_TIMEOUT};

use super::{FormattedAlert, OutputsError, RetryPolicy, Sink, NETWORK_RETRY};

/// Largest response head read before the answer is considered broken.
const MAX_RESPONSE_HEAD: usize = 64 * 1024;

pub struct HttpSink {
    config: HttpSinkConfig,
    tls: Option<Arc<rustls::ClientConfig>>,
    conn: Option<Connection>,
    /// The request head up to `Content-Length:` (the same for every alert).
    head: String,
    request: Vec<u8>,
    retry: RetryPolicy,
}

enum Connection {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Read for Connection {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Connection::Plain(s) => s.read(buf),
            Connection::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Connection {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Connection::Plain(s) => s.write(buf),
            Connection::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Connection::Plain(s) => s.flush(),
            Connection::Tls(s) => s.flush(),
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
                    return match &self.tls {
                        None => Ok(Connection::Plain(stream)),
                        Some(tls) => {
                            let name = rustls::pki_types::ServerName::try_from(e.host.clone())
                                .map_err(|err| OutputsError::Tls(format!("bad server name '{}': {err}", e.host)))?;
                            let conn = rustls::ClientConnection::new(tls.clone(), name)
                                .map_err(|err| OutputsError::Tls(err.to_string()))?;
                            Ok(Connection::Tls(Box::new(rustls::StreamOwned::new(conn, stream))))
                        }
                    };
                }
                Err(err) => last = err,
            }
        }
        Err(self.io_error(last))
    }

    fn build_request(&mut self, alert: &FormattedAlert) {
        use std::io::Write as _;
        self.request.clear();
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
    }
}

/// What the server answered.
struct Response {
    status: u16,
    reason: String,
    keep_alive: bool,
}

/// Reads one response (head and body) so the connection can carry the next request.
fn read_response(conn: &mut impl Read) -> std::io::Result<Response> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_RESPONSE_HEAD {
            return Err(bad("response head too large"));
        }
        let n = conn.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| bad("response head is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("bad status line"))?;
    let reason = parts.next().unwrap_or_default().to_string();
    let mut length = None;
    let mut chunked = false;
    let mut keep_alive = version == "HTTP/1.1";
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse::<usize>().ok();
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.eq_ignore_ascii_case("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            keep_alive = !value.eq_ignore_ascii_case("close");
        }
    }
    let mut body = buf.split_off(head_end);
    if chunked {
        // Read until the terminating zero-size chunk; the body itself is not used.
        while !body.windows(5).any(|w| w == b"0\r\n\r\n") {
            let n = conn.read(&mut chunk)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else if let Some(length) = length {
        while body.len() < length {
            let n = conn.read(&mut chunk)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else if status != 204 && status != 304 && !(100..200).contains(&status) {
        // No length: the body runs to the end of the connection.
        keep_alive = false;
    }
    Ok(Response {
        status,
        reason,
        keep_alive,
    })
}

impl Sink for HttpSink {
    fn name(&self) -> &'static str {
        "http"
    }

    fn deliver(&mut self, alert: &FormattedAlert) -> Result<(), OutputsError> {
        self.build_request(alert);
        let mut conn = match self.conn.take() {
            Some(c) => c,
            None => self.connect()?,
        };
        let answer = conn
            .write_all(&self.request)
            .and_then(|()| conn.flush())
            .and_then(|()| read_response(&mut conn));
        let response = answer.map_err(|e| self.io_error(e))?;
        if response.keep_alive {
            self.conn = Some(conn);
        }
        if (200..300).contains(&response.status) {
            Ok(())
        } else {
            Err(OutputsError::HttpStatus {
                url: self.config.url.clone(),
                status: response.status,
                reason: response.reason,
            })
        }
    }

    fn retry(&self) -> Option<RetryPolicy> {
        Some(self.retry)
    }
}
