//! Test support for the webhook tests: a minimal blocking HTTP/1.1 client that writes exactly the
//! bytes a test wants (for malformed, chunked and slow requests), and the recorded audit events.
#![allow(dead_code)] // each test binary uses a different part

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::PathBuf;

/// A response as read off the wire.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// One HTTP/1.1 connection over any byte stream (TCP or TLS).
pub struct HttpConnection<S: Read + Write> {
    reader: BufReader<S>,
}

impl<S: Read + Write> HttpConnection<S> {
    pub fn new(stream: S) -> Self {
        Self {
            reader: BufReader::new(stream),
        }
    }

    pub fn stream(&mut self) -> &mut S {
        self.reader.get_mut()
    }

    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        let stream = self.reader.get_mut();
        stream.write_all(bytes)?;
        stream.flush()
    }

    /// POSTs `body` as JSON with a Content-Length and reads the response.
    pub fn post_json(&mut self, path: &str, body: &[u8]) -> io::Result<HttpResponse> {
        self.send_raw(&request("POST", path, Some("application/json"), body))?;
        self.read_response()
    }

    /// POSTs `body` as JSON in chunks of `chunk_size` bytes (Transfer-Encoding: chunked).
    pub fn post_json_chunked(&mut self, path: &str, body: &[u8], chunk_size: usize) -> io::Result<HttpResponse> {
        let mut bytes = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
             Transfer-Encoding: chunked\r\n\r\n"
        )
        .into_bytes();
        for chunk in body.chunks(chunk_size) {
            bytes.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            bytes.extend_from_slice(chunk);
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(b"0\r\n\r\n");
        self.send_raw(&bytes)?;
        self.read_response()
    }

    /// Reads one response (the server always sends a Content-Length).
    pub fn read_response(&mut self) -> io::Result<HttpResponse> {
        let mut status_line = String::new();
        if self.reader.read_line(&mut status_line)? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed"));
        }
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("bad status line {status_line:?}")))?;
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap_or((line, ""));
            headers.push((name.to_owned(), value.trim().to_owned()));
        }
        let length: usize = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| value.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body)?;
        Ok(HttpResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }

    /// True when the server closed the connection (reads EOF or a reset).
    pub fn is_closed_by_server(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(self.reader.read(&mut byte), Ok(0) | Err(_))
    }
}

/// The bytes of a request with a Content-Length.
pub fn request(method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut bytes = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\n");
    if let Some(content_type) = content_type {
        bytes.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    bytes.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = bytes.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// `<ancestor>/shared/conformance` above this crate, if present.
pub fn conformance_dir() -> Option<PathBuf> {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .map(|dir| dir.join("shared/conformance"))
        .find(|dir| dir.is_dir())
}

/// One recorded audit event line from Falco's k8s_audit trace files.
pub struct RecordedEvent {
    pub file: String,
    pub line: String,
}

/// All recorded audit event lines (JSONL), sorted by file name; `None` (with a note on stderr)
/// when the conformance data is not on this machine.
pub fn recorded_events() -> Option<Vec<RecordedEvent>> {
    let Some(conformance) = conformance_dir() else {
        eprintln!(
            "skipped: no shared/conformance directory above {}",
            env!("CARGO_MANIFEST_DIR")
        );
        return None;
    };
    let dir = conformance.join("falco-legacy/test/trace_files/k8s_audit");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    let mut events = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines().filter(|line| !line.trim().is_empty()) {
            events.push(RecordedEvent {
                file: path.file_name().unwrap().to_string_lossy().into_owned(),
                line: line.to_owned(),
            });
        }
    }
    Some(events)
}

/// An `EventList` body holding `items` (each a JSON object text).
pub fn event_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.into_iter().collect();
    format!(
        r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{{}},"items":[{}]}}"#,
        items.join(",")
    )
}

/// A small but real-shaped audit event with a unique `auditID`.
pub fn synthetic_event(id: u64) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"id-{id}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/secrets","verb":"create","user":{{"username":"minikube-user","groups":["system:masters","system:authenticated"]}},"sourceIPs":["192.168.64.1"],"objectRef":{{"resource":"secrets","namespace":"default","name":"example-secret","apiVersion":"v1"}},"responseStatus":{{"metadata":{{}},"code":201}},"requestReceivedTimestamp":"2020-04-21T17:57:05.541358Z","stageTimestamp":"2020-04-21T17:57:05.548299Z"}}"#
    )
}

/// The `id-N` number of an event made by [`synthetic_event`].
pub fn synthetic_id(json: &[u8]) -> u64 {
    let text = std::str::from_utf8(json).unwrap();
    let start = text.find(r#""auditID":"id-"#).expect("synthetic event") + r#""auditID":"id-"#.len();
    let end = start + text[start..].find('"').unwrap();
    text[start..end].parse().unwrap()
}
