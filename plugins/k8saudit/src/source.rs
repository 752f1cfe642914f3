//! Where audit events come from: `open_params` parsing and the capture instances (webhook,
//! files and directories read once, a file followed like `tail -f`).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};
use json_tape::{ParseError, Tape};

use crate::audit::{split_audit_value, AuditDataError, SkippedEvent};
use crate::config::K8sAuditConfig;
use crate::webhook::{AuditEvent, TlsConfig, Webhook, WebhookConfig, WebhookError};

/// Events per `next_batch` at most (Falco's Go SDK batch size).
pub const MAX_BATCH_EVENTS: usize = 128;
/// How long `next_batch` waits for a first event before answering "timeout".
pub const BATCH_WAIT: Duration = Duration::from_millis(30);
/// Largest JSON document read from a file (one line, or a whole pretty-printed file).
pub const MAX_FILE_DOCUMENT_BYTES: usize = 256 * 1024 * 1024;

/// Why a capture cannot be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(
        "open_params is empty; expected http://[host]:port/path (e.g. http://:9765/k8s-audit), \
         https://…, file://PATH (follow a log), or the path of a file or directory of audit events"
    )]
    EmptyParams,
    #[error("scheme {0:?} is not supported; use http, https, file, or a plain path")]
    UnsupportedScheme(String),
    #[error("open_params {params:?}: {problem}; expected e.g. http://:9765/k8s-audit")]
    BadUrl { params: String, problem: String },
    #[error("cannot start the audit webhook for {params:?}: {source}")]
    Webhook { params: String, source: Box<WebhookError> },
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is neither a regular file nor a directory")]
    NotFileOrDir { path: PathBuf },
    #[error("{path}:{line}: {source}")]
    Json {
        path: PathBuf,
        line: usize,
        source: ParseError,
    },
    #[error("{path}: {source}")]
    AuditData { path: PathBuf, source: AuditDataError },
    #[error("{path}:{line}: a JSON document longer than {max} bytes; split the file", max = MAX_FILE_DOCUMENT_BYTES)]
    DocumentTooLarge { path: PathBuf, line: usize },
}

/// What `open_params` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenTarget {
    Webhook {
        addr: SocketAddr,
        path: String,
        tls: bool,
    },
    /// `file://PATH`: new lines appended to the file, from its current end.
    Follow(PathBuf),
    /// A file or a directory read once.
    Path(PathBuf),
}

impl OpenTarget {
    pub fn parse(params: &str) -> Result<Self, SourceError> {
        let params = params.trim();
        if params.is_empty() {
            return Err(SourceError::EmptyParams);
        }
        let Some((scheme, rest)) = params.split_once("://") else {
            return Ok(OpenTarget::Path(PathBuf::from(params)));
        };
        match scheme {
            "http" | "https" => {
                let bad = |problem: &str| SourceError::BadUrl {
                    params: params.to_owned(),
                    problem: problem.to_owned(),
                };
                let (hostport, path) = match rest.find('/') {
                    Some(i) => (&rest[..i], &rest[i..]),
                    None => return Err(bad("no path after host:port")),
                };
                let (host, port) = hostport.rsplit_once(':').ok_or_else(|| bad("no port"))?;
                let port: u16 = port
                    .parse()
                    .map_err(|_| bad("the port is not a number from 0 to 65535"))?;
                let host = host.trim_start_matches('[').trim_end_matches(']');
                let host = if host.is_empty() { "0.0.0.0" } else { host };
                let addr = (host, port)
                    .to_socket_addrs()
                    .ok()
                    .and_then(|mut a| a.next())
                    .ok_or_else(|| bad("the host does not resolve to an address"))?;
                let path = path.split(['?', '#']).next().unwrap_or(path).to_owned();
                Ok(OpenTarget::Webhook {
                    addr,
                    path,
                    tls: scheme == "https",
                })
            }
            "file" => Ok(OpenTarget::Follow(PathBuf::from(rest))),
            other => Err(SourceError::UnsupportedScheme(other.to_owned())),
        }
    }
}

/// Events waiting to be handed out, plus anything to report.
#[derive(Default)]
pub struct Pending {
    pub events: VecDeque<AuditEvent>,
    pub skipped: Vec<SkippedEvent>,
}

/// An open capture.
pub enum Capture {
    Webhook {
        webhook: Option<Webhook>,
        events: Receiver<AuditEvent>,
    },
    Files(FileSequence),
    Follow(FollowedFile),
}

impl Capture {
    pub fn open(target: OpenTarget, params: &str, config: &K8sAuditConfig) -> Result<Capture, SourceError> {
        match target {
            OpenTarget::Webhook { addr, path, tls } => {
                let tls = tls.then(|| TlsConfig {
                    cert_pem_path: config.ssl_certificate.clone(),
                    key_pem_path: config.ssl_key.clone().unwrap_or_else(|| config.ssl_certificate.clone()),
                });
                let webhook = Webhook::start(WebhookConfig {
                    addr,
                    path,
                    tls,
                    max_request_bytes: usize::try_from(config.webhook_max_batch_size).unwrap_or(usize::MAX),
                    queue_capacity: config.queue_capacity,
                })
                .map_err(|source| SourceError::Webhook {
                    params: params.to_owned(),
                    source: Box::new(source),
                })?;
                let events = webhook.receiver();
                Ok(Capture::Webhook {
                    webhook: Some(webhook),
                    events,
                })
            }
            OpenTarget::Path(p) => Ok(Capture::Files(FileSequence::open(&p)?)),
            OpenTarget::Follow(p) => Ok(Capture::Follow(FollowedFile::open(p)?)),
        }
    }

    /// Moves up to `max` events into `pending`. `Ok(false)` means the capture is finished.
    pub fn fill(&mut self, pending: &mut Pending, max: usize, max_event_size: usize) -> Result<bool, SourceError> {
        match self {
            Capture::Webhook { events, .. } => {
                match events.recv_timeout(BATCH_WAIT) {
                    Ok(e) => pending.events.push_back(e),
                    Err(RecvTimeoutError::Timeout) => return Ok(true),
                    Err(RecvTimeoutError::Disconnected) => return Ok(false),
                }
                while pending.events.len() < max {
                    match events.try_recv() {
                        Ok(e) => pending.events.push_back(e),
                        Err(_) => break,
                    }
                }
                Ok(true)
            }
            Capture::Files(f) => {
                while pending.events.len() < max {
                    if !f.read_next(pending, max_event_size)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Capture::Follow(f) => {
                f.poll(pending, max_event_size);
                if pending.events.is_empty() {
                    std::thread::sleep(BATCH_WAIT);
                }
                Ok(true)
            }
        }
    }

    /// Webhook counters, when serving.
    pub fn webhook(&self) -> Option<&Webhook> {
        match self {
            Capture::Webhook { webhook, .. } => webhook.as_ref(),
            _ => None,
        }
    }

    pub fn close(&mut self) {
        if let Capture::Webhook { webhook, .. } = self {
            if let Some(w) = webhook.take() {
                w.shutdown();
            }
        }
    }
}

/// Files read once in order: one file, or the regular files of a directory (not recursive)
/// ordered by modification time, then name (Falco: by modification time).
pub struct FileSequence {
    files: VecDeque<PathBuf>,
    current: Option<FileReader>,
}

impl FileSequence {
    pub fn open(path: &Path) -> Result<Self, SourceError> {
        let io = |source| SourceError::Io {
            path: path.to_owned(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        let files = if meta.is_file() {
            VecDeque::from([path.to_owned()])
        } else if meta.is_dir() {
            let mut files = Vec::new();
            for entry in std::fs::read_dir(path).map_err(io)? {
                let entry = entry.map_err(io)?;
                let p = entry.path();
                let m = std::fs::metadata(&p).map_err(|source| SourceError::Io {
                    path: p.clone(),
                    source,
                })?;
                if m.is_file() {
                    files.push((m.modified().ok(), p));
                }
            }
            files.sort();
            files.into_iter().map(|(_, p)| p).collect()
        } else {
            return Err(SourceError::NotFileOrDir { path: path.to_owned() });
        };
        Ok(FileSequence { files, current: None })
    }

    /// Reads the next JSON document; `Ok(false)` once every file is read.
    fn read_next(&mut self, pending: &mut Pending, max_event_size: usize) -> Result<bool, SourceError> {
        loop {
            if self.current.is_none() {
                let Some(p) = self.files.pop_front() else {
                    return Ok(false);
                };
                self.current = Some(FileReader::open(p)?);
            }
            let reader = self.current.as_mut().expect("set above");
            if reader.read_next(pending, max_event_size)? {
                return Ok(true);
            }
            self.current = None;
        }
    }
}

/// One file of JSON documents: JSON lines, or documents spanning lines (an `EventList`
/// pretty-printed, a JSON array).
struct FileReader {
    path: PathBuf,
    reader: BufReader<File>,
    /// Line number of the next line to read (1-based).
    line: usize,
    buf: Vec<u8>,
    tape: Tape,
    /// Whole-document mode: the rest of the file, and how far it has been parsed.
    rest: Option<(Vec<u8>, usize, usize)>,
}

impl FileReader {
    fn open(path: PathBuf) -> Result<Self, SourceError> {
        let f = File::open(&path).map_err(|source| SourceError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(FileReader {
            path,
            reader: BufReader::new(f),
            line: 1,
            buf: Vec::new(),
            tape: Tape::new(),
            rest: None,
        })
    }

    fn io(&self, source: std::io::Error) -> SourceError {
        SourceError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Reads one document into `pending`; `Ok(false)` at end of file.
    fn read_next(&mut self, pending: &mut Pending, max_event_size: usize) -> Result<bool, SourceError> {
        if let Some((text, pos, first_line)) = &mut self.rest {
            return match self.tape.parse_prefix(&text[*pos..]) {
                Ok(n) => {
                    // The value starts after the whitespace that precedes it.
                    let lead = text[*pos..].iter().take_while(|b| b.is_ascii_whitespace()).count();
                    let start_line = *first_line + count_lines(&text[..*pos + lead]);
                    *pos += n;
                    let loc = format!("{}:{}", self.path.display(), start_line);
                    let root = self.tape.root().expect("parsed");
                    split_or_skip(root, &loc, max_event_size, pending);
                    Ok(true)
                }
                Err(ParseError::Empty) => Ok(false),
                Err(e) => {
                    let at = *pos + e.offset().unwrap_or(0).min(text.len() - *pos);
                    Err(SourceError::Json {
                        path: self.path.clone(),
                        line: *first_line + count_lines(&text[..at]),
                        source: e,
                    })
                }
            };
        }
        loop {
            self.buf.clear();
            let n = self.reader.read_until(b'\n', &mut self.buf).map_err(|e| self.io(e))?;
            if n == 0 {
                return Ok(false);
            }
            let line = self.line;
            self.line += 1;
            if self.buf.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            match self.tape.parse(&self.buf) {
                Ok(()) => {
                    let loc = format!("{}:{}", self.path.display(), line);
                    let root = self.tape.root().expect("parsed");
                    split_or_skip(root, &loc, max_event_size, pending);
                    return Ok(true);
                }
                Err(ParseError::Incomplete { .. }) => {
                    // A document spanning lines: read the rest of the file and walk its values.
                    let mut text = std::mem::take(&mut self.buf);
                    let limit = (MAX_FILE_DOCUMENT_BYTES - text.len().min(MAX_FILE_DOCUMENT_BYTES)) as u64 + 1;
                    (&mut self.reader)
                        .take(limit)
                        .read_to_end(&mut text)
                        .map_err(|e| self.io(e))?;
                    if text.len() > MAX_FILE_DOCUMENT_BYTES {
                        return Err(SourceError::DocumentTooLarge {
                            path: self.path.clone(),
                            line,
                        });
                    }
                    self.rest = Some((text, 0, line));
                    return self.read_next(pending, max_event_size);
                }
                Err(e) => {
                    return Err(SourceError::Json {
                        path: self.path.clone(),
                        line,
                        source: e,
                    })
                }
            }
        }
    }
}

/// Splits a document read from a file into events. A well-formed JSON document that is not
/// audit data is reported and skipped, and reading goes on: Falco logs "data not recognized as a
/// k8s audit event" for such a file and still ends normally (its test `fal_01_003`).
fn split_or_skip(root: json_tape::Value<'_>, loc: &str, max_event_size: usize, pending: &mut Pending) {
    if let Err(e) = split_audit_value(root, loc, max_event_size, &mut pending.events, &mut pending.skipped) {
        pending.skipped.push(SkippedEvent {
            location: loc.to_owned(),
            reason: e.to_string(),
        });
    }
}

fn count_lines(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'\n').count()
}

/// Longest line kept while following a file; longer lines are skipped whole.
pub const MAX_FOLLOWED_LINE_BYTES: usize = 64 * 1024 * 1024;

/// A file followed like `tail -F`: starts at its end, reads appended lines, starts over when
/// the file is truncated or replaced (rotation). Bad lines are skipped and reported.
pub struct FollowedFile {
    path: PathBuf,
    file: Option<(File, u64)>,
    offset: u64,
    partial: Vec<u8>,
    tape: Tape,
}

impl FollowedFile {
    pub fn open(path: PathBuf) -> Result<Self, SourceError> {
        let f = File::open(&path).map_err(|source| SourceError::Io {
            path: path.clone(),
            source,
        })?;
        let meta = f.metadata().map_err(|source| SourceError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(FollowedFile {
            offset: meta.len(),
            file: Some((f, meta.ino())),
            path,
            partial: Vec::new(),
            tape: Tape::new(),
        })
    }

    fn poll(&mut self, pending: &mut Pending, max_event_size: usize) {
        let Ok(meta) = std::fs::metadata(&self.path) else {
            return;
        };
        let replaced = self.file.as_ref().is_none_or(|(_, ino)| *ino != meta.ino());
        if replaced {
            let Ok(f) = File::open(&self.path) else { return };
            self.file = Some((f, meta.ino()));
            self.offset = 0;
            self.partial.clear();
        } else if meta.len() < self.offset {
            self.offset = 0;
            self.partial.clear();
        }
        let Some((f, _)) = self.file.as_mut() else { return };
        if f.seek(SeekFrom::Start(self.offset)).is_err() {
            return;
        }
        let before = self.partial.len();
        let Ok(n) = f.read_to_end(&mut self.partial) else {
            return;
        };
        self.offset += n as u64;
        if n == 0 && before == 0 {
            return;
        }
        let mut start = 0;
        while let Some(nl) = self.partial[start..].iter().position(|&b| b == b'\n') {
            let line = &self.partial[start..start + nl];
            start += nl + 1;
            if line.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            let loc = self.path.display().to_string();
            match self.tape.parse(line) {
                Ok(()) => {
                    let root = self.tape.root().expect("parsed");
                    if let Err(e) =
                        split_audit_value(root, &loc, max_event_size, &mut pending.events, &mut pending.skipped)
                    {
                        pending.skipped.push(SkippedEvent {
                            location: loc,
                            reason: e.to_string(),
                        });
                    }
                }
                Err(e) => pending.skipped.push(SkippedEvent {
                    location: loc,
                    reason: format!("line is not valid JSON: {e}"),
                }),
            }
        }
        self.partial.drain(..start);
        if self.partial.len() > MAX_FOLLOWED_LINE_BYTES {
            pending.skipped.push(SkippedEvent {
                location: self.path.display().to_string(),
                reason: format!("a line longer than {MAX_FOLLOWED_LINE_BYTES} bytes was skipped"),
            });
            self.partial.clear();
        }
    }
}
