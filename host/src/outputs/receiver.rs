//! A real HTTP(S) receiver on loopback for tests of the http sink, the benchmark and the
//! integration tests: a thread per connection parses each request (pipelined ones in order),
//! records each POST body, answers 200 (or a chosen status, or 503 to every n-th request), can
//! close connections after every n-th answer, and can be stopped and restarted on the same port.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// One request the receiver accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Listens until dropped or [`HttpReceiver::stop`]ped.
pub struct HttpReceiver {
    pub addr: SocketAddr,
    pub received: Arc<Mutex<Vec<Received>>>,
    /// Status code of every answer (200 by default).
    pub status: Arc<AtomicU16>,
    /// When not 0, every n-th request (over all connections) is answered 503 and not recorded.
    pub fail_every: Arc<AtomicUsize>,
    /// When not 0, a connection is closed after its n-th answer (`Connection: close`; requests
    /// already written behind it are read and ignored, as servers do on a graceful close).
    pub close_every: Arc<AtomicUsize>,
    /// Connections accepted so far.
    pub connections: Arc<AtomicUsize>,
    /// Requests answered so far, recorded or not.
    pub answered: Arc<AtomicUsize>,
    /// Whether accepted requests are kept in `received` (true by default; the benchmark only
    /// counts them, as a receiver that forwards and forgets).
    pub record: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    tls: Option<Arc<rustls::ServerConfig>>,
    nodelay: bool,
}

/// What every connection thread shares.
#[derive(Clone)]
struct Shared {
    received: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
    fail_every: Arc<AtomicUsize>,
    close_every: Arc<AtomicUsize>,
    connections: Arc<AtomicUsize>,
    answered: Arc<AtomicUsize>,
    record: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl HttpReceiver {
    /// Plain HTTP on an ephemeral loopback port, with `TCP_NODELAY` as Go's and nginx's servers.
    pub fn start() -> HttpReceiver {
        HttpReceiver::bind("127.0.0.1:0".parse().unwrap(), Arc::default(), None, true)
    }

    /// Plain HTTP keeping Nagle's algorithm on (as Python's `http.server`): each answer written
    /// on its own waits for the previous one to be acknowledged.
    pub fn start_with_nagle() -> HttpReceiver {
        HttpReceiver::bind("127.0.0.1:0".parse().unwrap(), Arc::default(), None, false)
    }

    /// HTTPS with the given server configuration.
    pub fn start_tls(tls: Arc<rustls::ServerConfig>) -> HttpReceiver {
        HttpReceiver::bind("127.0.0.1:0".parse().unwrap(), Arc::default(), Some(tls), true)
    }

    fn bind(
        addr: SocketAddr,
        received: Arc<Mutex<Vec<Received>>>,
        tls: Option<Arc<rustls::ServerConfig>>,
        nodelay: bool,
    ) -> HttpReceiver {
        let listener = TcpListener::bind(addr).expect("binding the test receiver");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Shared {
            received,
            status: Arc::new(AtomicU16::new(200)),
            fail_every: Arc::default(),
            close_every: Arc::default(),
            connections: Arc::default(),
            answered: Arc::default(),
            record: Arc::new(AtomicBool::new(true)),
            stop: Arc::new(AtomicBool::new(false)),
        };
        let thread = {
            let (shared, tls) = (shared.clone(), tls.clone());
            std::thread::spawn(move || {
                let mut conns = Vec::new();
                while !shared.stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            shared.connections.fetch_add(1, Ordering::Relaxed);
                            let (shared, tls) = (shared.clone(), tls.clone());
                            let conn = std::thread::Builder::new().name("http-receiver".into());
                            conns.push(
                                conn.spawn(move || {
                                    stream.set_nonblocking(false).unwrap();
                                    stream.set_nodelay(nodelay).unwrap();
                                    stream.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
                                    match tls {
                                        None => serve(stream, &shared),
                                        Some(tls) => {
                                            let conn = rustls::ServerConnection::new(tls).unwrap();
                                            serve(rustls::StreamOwned::new(conn, stream), &shared)
                                        }
                                    }
                                })
                                .expect("spawning a receiver thread"),
                            );
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
                for c in conns {
                    let _ = c.join();
                }
            })
        };
        HttpReceiver {
            addr,
            received: shared.received,
            status: shared.status,
            fail_every: shared.fail_every,
            close_every: shared.close_every,
            connections: shared.connections,
            answered: shared.answered,
            record: shared.record,
            stop: shared.stop,
            thread: Some(thread),
            tls,
            nodelay,
        }
    }

    pub fn url(&self, path: &str) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}{path}", self.addr)
    }

    pub fn bodies(&self) -> Vec<String> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|r| String::from_utf8_lossy(&r.body).into_owned())
            .collect()
    }

    /// Closes the port and every connection.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Listens again on the same port, keeping what was received and the chosen answers.
    pub fn restart(&mut self) {
        self.stop();
        let old = HttpReceiver::bind(self.addr, self.received.clone(), self.tls.clone(), self.nodelay);
        let old = std::mem::replace(self, old);
        for (new, old) in [
            (&self.fail_every, &old.fail_every),
            (&self.close_every, &old.close_every),
            (&self.connections, &old.connections),
            (&self.answered, &old.answered),
        ] {
            new.store(old.load(Ordering::Relaxed), Ordering::Relaxed);
        }
        self.status.store(old.status.load(Ordering::Relaxed), Ordering::Relaxed);
        self.record.store(old.record.load(Ordering::Relaxed), Ordering::Relaxed);
    }
}

impl Drop for HttpReceiver {
    fn drop(&mut self) {
        self.stop();
    }
}

fn serve(stream: impl Read + Write, shared: &Shared) {
    let stop = &shared.stop;
    let mut reader = BufReader::new(stream);
    let mut served = 0usize;
    let mut line = String::new();
    let mut h = String::new();
    loop {
        line.clear();
        // Wait for a request line, checking for shutdown between read timeouts.
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            match reader.read_line(&mut line) {
                Ok(0) => return,
                Ok(_) if line.ends_with('\n') => break,
                Ok(_) => {}
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                Err(_) => return,
            }
        }
        let path = line.split_whitespace().nth(1).unwrap_or_default().to_string();
        let mut headers = Vec::new();
        let mut length = 0usize;
        loop {
            h.clear();
            if read_full_line(&mut reader, &mut h, stop).is_none() {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((n, v)) = h.split_once(':') {
                if n.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
                headers.push((n.to_string(), v.trim().to_string()));
            }
        }
        let mut body = vec![0u8; length];
        let mut got = 0;
        while got < length {
            match reader.read(&mut body[got..]) {
                Ok(0) => return,
                Ok(n) => got += n,
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                }
                Err(_) => return,
            }
        }
        let mut code = shared.status.load(Ordering::Relaxed);
        let fail_every = shared.fail_every.load(Ordering::Relaxed);
        let count = shared.answered.fetch_add(1, Ordering::Relaxed) + 1;
        if fail_every != 0 && count % fail_every == 0 {
            code = 503;
        }
        if code / 100 == 2 && shared.record.load(Ordering::Relaxed) {
            shared.received.lock().unwrap().push(Received { path, headers, body });
        }
        served += 1;
        let close_every = shared.close_every.load(Ordering::Relaxed);
        let close = close_every != 0 && served % close_every == 0;
        let connection = if close { "Connection: close\r\n" } else { "" };
        let answer = format!("HTTP/1.1 {code} X\r\n{connection}Content-Length: 2\r\n\r\nok");
        let stream = reader.get_mut();
        if stream
            .write_all(answer.as_bytes())
            .and_then(|()| stream.flush())
            .is_err()
        {
            return;
        }
        if close {
            // Read and ignore what the client wrote behind this request until it hangs up, so
            // that closing does not reset the connection before the answer is read.
            let mut sink = [0u8; 4096];
            while !stop.load(Ordering::Relaxed) {
                match reader.read(&mut sink) {
                    Ok(0) => return,
                    Ok(_) => {}
                    Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                    Err(_) => return,
                }
            }
            return;
        }
    }
}

fn read_full_line(reader: &mut impl BufRead, line: &mut String, stop: &AtomicBool) -> Option<()> {
    loop {
        match reader.read_line(line) {
            Ok(0) => return None,
            Ok(_) if line.ends_with('\n') => return Some(()),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                if stop.load(Ordering::Relaxed) {
                    return None;
                }
            }
            Err(_) => return None,
        }
    }
}
