//! A real HTTP(S) receiver on loopback for tests of the http sink, the benchmark and the
//! integration tests: records each POST body, answers 200 (or a chosen status), and can be
//! stopped and restarted on the same port.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
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
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    tls: Option<Arc<rustls::ServerConfig>>,
}

impl HttpReceiver {
    /// Plain HTTP on an ephemeral loopback port.
    pub fn start() -> HttpReceiver {
        HttpReceiver::bind("127.0.0.1:0".parse().unwrap(), Arc::default(), None)
    }

    /// HTTPS with the given server configuration.
    pub fn start_tls(tls: Arc<rustls::ServerConfig>) -> HttpReceiver {
        HttpReceiver::bind("127.0.0.1:0".parse().unwrap(), Arc::default(), Some(tls))
    }

    fn bind(
        addr: SocketAddr,
        received: Arc<Mutex<Vec<Received>>>,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> HttpReceiver {
        let listener = TcpListener::bind(addr).expect("binding the test receiver");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let status = Arc::new(AtomicU16::new(200));
        let thread = {
            let (stop, received, status, tls) = (stop.clone(), received.clone(), status.clone(), tls.clone());
            std::thread::spawn(move || {
                let mut conns = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let (stop, received, status, tls) =
                                (stop.clone(), received.clone(), status.clone(), tls.clone());
                            conns.push(std::thread::spawn(move || {
                                stream.set_nonblocking(false).unwrap();
                                stream.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
                                match tls {
                                    None => serve(stream, &stop, &received, &status),
                                    Some(tls) => {
                                        let conn = rustls::ServerConnection::new(tls).unwrap();
                                        serve(rustls::StreamOwned::new(conn, stream), &stop, &received, &status)
                                    }
                                }
                            }));
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
            received,
            status,
            stop,
            thread: Some(thread),
            tls,
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

    /// Listens again on the same port, keeping what was received.
    pub fn restart(&mut self) {
        self.stop();
        let status = self.status.load(Ordering::Relaxed);
        *self = HttpReceiver::bind(self.addr, self.received.clone(), self.tls.clone());
        self.status.store(status, Ordering::Relaxed);
    }
}

impl Drop for HttpReceiver {
    fn drop(&mut self) {
        self.stop();
    }
}

fn serve(stream: impl Read + Write, stop: &AtomicBool, received: &Mutex<Vec<Received>>, status: &AtomicU16) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
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
            let mut h = String::new();
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
        let code = status.load(Ordering::Relaxed);
        if code / 100 == 2 {
            received.lock().unwrap().push(Received { path, headers, body });
        }
        let answer = format!("HTTP/1.1 {code} X\r\nContent-Length: 2\r\n\r\nok");
        let stream = reader.get_mut();
        if stream
            .write_all(answer.as_bytes())
            .and_then(|()| stream.flush())
            .is_err()
        {
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
