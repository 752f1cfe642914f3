//! The accept loop: HTTP/1.1 connections (keep-alive), optional TLS, graceful stop.

use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Semaphore};
use tokio_rustls::TlsAcceptor;

use super::counters::Counters;
use super::handler::{handle, Endpoint};
use super::{WebhookTimeouts, ACCEPT_ERROR_BACKOFF, MAX_CONNECTIONS};

pub(crate) struct Server {
    pub(crate) listener: TcpListener,
    pub(crate) tls: Option<TlsAcceptor>,
    pub(crate) endpoint: Arc<Endpoint>,
    pub(crate) counters: Arc<Counters>,
    pub(crate) timeouts: WebhookTimeouts,
}

impl Server {
    /// Serves until `stop` fires (or its sender is dropped), then stops accepting and lets open
    /// connections finish their in-flight request for up to the shutdown grace period.
    pub(crate) async fn run(self, mut stop: oneshot::Receiver<()>) {
        let graceful = GracefulShutdown::new();
        let connection_slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let mut http = http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(self.timeouts.header_read)
            .keep_alive(true);
        loop {
            let slot = tokio::select! {
                slot = connection_slots.clone().acquire_owned() => slot,
                _ = &mut stop => break,
            };
            let Ok(slot) = slot else { break };
            let accepted = tokio::select! {
                accepted = self.listener.accept() => accepted,
                _ = &mut stop => break,
            };
            let stream = match accepted {
                Ok((stream, _peer)) => stream,
                Err(_) => {
                    // Usually out of file descriptors: wait instead of spinning.
                    self.counters.accept_error();
                    tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await;
                    continue;
                }
            };
            self.counters.connection();
            // Small responses must not wait for Nagle's algorithm.
            let _ = stream.set_nodelay(true);
            let connection = Connection {
                http: http.clone(),
                endpoint: self.endpoint.clone(),
                watcher: graceful.watcher(),
            };
            match &self.tls {
                None => {
                    tokio::spawn(async move {
                        connection.serve(stream).await;
                        drop(slot);
                    });
                }
                Some(tls) => {
                    let tls = tls.clone();
                    let counters = self.counters.clone();
                    let handshake_timeout = self.timeouts.tls_handshake;
                    tokio::spawn(async move {
                        match tokio::time::timeout(handshake_timeout, tls.accept(stream)).await {
                            Ok(Ok(stream)) => connection.serve(stream).await,
                            _ => counters.tls_handshake_failure(),
                        }
                        drop(slot);
                    });
                }
            }
        }
        drop(self.listener);
        let _ = tokio::time::timeout(self.timeouts.shutdown_grace, graceful.shutdown()).await;
    }
}

struct Connection {
    http: http1::Builder,
    endpoint: Arc<Endpoint>,
    watcher: Watcher,
}

impl Connection {
    async fn serve<S>(self, stream: S)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let endpoint = self.endpoint;
        let service = service_fn(move |request| handle(endpoint.clone(), request));
        let connection = self.http.serve_connection(TokioIo::new(stream), service);
        // Errors here are the client's doing (reset, header timeout, garbage); the request
        // counters already tell what was answered.
        let _ = self.watcher.watch(connection).await;
    }
}
