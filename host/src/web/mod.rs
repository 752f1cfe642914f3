//! `webserver` (Falco 0.36+): `/healthz` (503 once a source failed), `/versions` and, with
//! `prometheus_metrics_enabled`, `/metrics`; over https when `ssl_enabled`.
//!
//! A small blocking HTTP/1.1 server on its own thread: one short-lived thread per connection,
//! `Connection: close`, GET only — enough for probes and scrapers.

mod config;
pub mod metrics;
#[cfg(test)]
mod tests;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

pub use config::WebConfig;

use crate::engine::telemetry::EngineTelemetry;

/// Largest request head accepted.
const MAX_REQUEST_HEAD: usize = 16 * 1024;
/// A client must send its request within this time.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the accept loop checks for shutdown.
const ACCEPT_POLL: Duration = Duration::from_millis(50);

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("webserver: cannot listen on {address}: {source}; check webserver.listen_address/listen_port")]
    Bind { address: String, source: std::io::Error },
    #[error("webserver: ssl_certificate {path}: {reason}; it must be a PEM file with the private key and the certificate chain")]
    Certificate { path: String, reason: String },
}

/// A running web server; dropped or [`WebServer::stop`]ped, it stops listening.
pub struct WebServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    config: WebConfig,
    telemetry: Arc<EngineTelemetry>,
    versions: String,
    tls: Option<Arc<rustls::ServerConfig>>,
}

impl WebServer {
    /// Binds and starts serving; `versions` is the `/versions` JSON body.
    pub fn start(config: WebConfig, telemetry: Arc<EngineTelemetry>, versions: String) -> Result<WebServer, WebError> {
        let tls = config.tls_pem.as_deref().map(server_tls).transpose()?;
        let address = format!("{}:{}", config.listen_address, config.listen_port);
        let listener = TcpListener::bind(&address).map_err(|source| WebError::Bind {
            address: address.clone(),
            source,
        })?;
        let addr = listener.local_addr().map_err(|source| WebError::Bind {
            address: address.clone(),
            source,
        })?;
        listener
            .set_nonblocking(true)
            .map_err(|source| WebError::Bind { address, source })?;
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared {
            config,
            telemetry,
            versions,
            tls,
        });
        let thread = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("saker-web".into())
                .spawn(move || accept_loop(listener, &shared, &stop))
                .expect("spawning the web server thread")
        };
        tracing::info!("Starting the web server on {addr}");
        Ok(WebServer {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn server_tls(path: &str) -> Result<Arc<rustls::ServerConfig>, WebError> {
    let bad = |reason: String| WebError::Certificate {
        path: path.to_string(),
        reason,
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if chain.is_empty() {
        return Err(bad("no certificate found".into()));
    }
    let key = PrivateKeyDer::from_pem_file(path).map_err(|e| bad(format!("no private key: {e}")))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| bad(e.to_string()))?;
    Ok(Arc::new(config))
}

fn accept_loop(listener: TcpListener, shared: &Arc<Shared>, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                let shared = shared.clone();
                let _ = std::thread::Builder::new()
                    .name("saker-web-conn".into())
                    .spawn(move || {
                        if let Err(e) = serve(stream, &shared) {
                            tracing::debug!("webserver: connection ended: {e}");
                        }
                    });
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(ACCEPT_POLL),
            Err(e) => {
                tracing::warn!("webserver: accept failed: {e}");
                std::thread::sleep(ACCEPT_POLL);
            }
        }
    }
}

fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(REQUEST_TIMEOUT))?;
    stream.set_write_timeout(Some(REQUEST_TIMEOUT))?;
    match &shared.tls {
        None => respond(stream, shared),
        Some(tls) => {
            let conn = rustls::ServerConnection::new(tls.clone()).map_err(std::io::Error::other)?;
            let mut tls_stream = rustls::StreamOwned::new(conn, stream);
            respond(&mut tls_stream, shared)?;
            tls_stream.conn.send_close_notify();
            let _ = tls_stream.flush();
            Ok(())
        }
    }
}

fn respond(mut stream: impl Read + Write, shared: &Shared) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_REQUEST_HEAD {
            return write_response(&mut stream, 431, "text/plain", "request head too large\n");
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    let mut parts = text.split_whitespace();
    let (method, target) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    let path = target.split('?').next().unwrap_or_default();
    if method != "GET" && method != "HEAD" {
        return write_response(&mut stream, 405, "text/plain", "only GET is supported\n");
    }
    let (status, content_type, body) = route(path, shared);
    write_response(&mut stream, status, content_type, &body)
}

fn route(path: &str, shared: &Shared) -> (u16, &'static str, String) {
    if path == shared.config.healthz_path {
        let failures = shared.telemetry.failures();
        if failures.is_empty() {
            return (200, "application/json", "{\"status\": \"ok\"}".into());
        }
        let body = serde_json::json!({ "status": "unhealthy", "failures": failures }).to_string();
        return (503, "application/json", body);
    }
    match path {
        "/versions" => (200, "application/json", shared.versions.clone()),
        "/metrics" if shared.config.metrics => (
            200,
            "text/plain; version=0.0.4; charset=utf-8",
            metrics::render(&shared.telemetry),
        ),
        _ => (404, "text/plain", format!("no such endpoint: {path}\n")),
    }
}

fn write_response(stream: &mut impl Write, status: u16, content_type: &str, body: &str) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}
