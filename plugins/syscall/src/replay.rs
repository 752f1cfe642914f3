//! Capture replay: reads a `.scap` file (plain or gzip), converts old event versions to the
//! current ones and yields events in file order; metadata blocks go to a callback (the state).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use plugin_api::event::EventRef;

use crate::convert::{ConvertError, Converted, EventConverter};
use crate::scap::{CaptureItem, CaptureReader, ScapError};

/// Offset of the event type in the event header (after ts and tid).
const EVENT_TYPE_OFFSET: usize = 20;
/// Read buffer for the capture file.
const FILE_BUFFER_LEN: usize = 1 << 16;

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Scap(#[from] ScapError),
    #[error("{file}: event block at byte {offset}: cannot convert to the current event version: {source}")]
    Convert {
        file: String,
        offset: u64,
        #[source]
        source: ConvertError,
    },
    #[error("{file}: cannot open capture: {source}; check the path given as open parameter")]
    Open {
        file: String,
        #[source]
        source: std::io::Error,
    },
}

/// Counts bytes read from the (possibly compressed) file, for progress.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A capture being replayed.
pub struct CaptureReplay {
    reader: CaptureReader,
    converter: EventConverter,
    file: String,
    file_size: u64,
    bytes_read: Arc<AtomicU64>,
    /// The current event, copied out of the reader/converter.
    current: Vec<u8>,
    events: u64,
}

impl CaptureReplay {
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ReplayError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let f = File::open(path).map_err(|source| ReplayError::Open {
            file: file.clone(),
            source,
        })?;
        let file_size = f.metadata().map(|m| m.len()).unwrap_or(0);
        Self::from_reader(f, file, file_size)
    }

    /// A capture read from `input` (plain or gzip) of `size` bytes (for progress only);
    /// `name` stands for it in errors.
    pub fn from_reader(input: impl Read + Send + 'static, name: String, size: u64) -> Result<Self, ReplayError> {
        let bytes_read = Arc::new(AtomicU64::new(0));
        let counting = Counting {
            inner: input,
            read: bytes_read.clone(),
        };
        let reader = CaptureReader::from_reader(BufReader::with_capacity(FILE_BUFFER_LEN, counting), &name)?;
        Ok(CaptureReplay {
            reader,
            converter: EventConverter::new(),
            file: name,
            file_size: size,
            bytes_read,
            current: Vec::new(),
            events: 0,
        })
    }

    /// The next event (current version), `None` at the end. Metadata items met on the way
    /// (process/fd/user lists…) are passed to `on_meta` first.
    pub fn next_event(
        &mut self,
        mut on_meta: impl FnMut(&CaptureItem<'_>),
    ) -> Result<Option<EventRef<'_>>, ReplayError> {
        let mut block_offset;
        loop {
            let Some(item) = self.reader.next_item()? else {
                return Ok(None);
            };
            let CaptureItem::Event(ev) = item else {
                on_meta(&item);
                continue;
            };
            let offset = ev.block_offset;
            block_offset = offset;
            let converted = self
                .converter
                .convert(ev.event)
                .map_err(|source| ReplayError::Convert {
                    file: self.file.clone(),
                    offset,
                    source,
                })?;
            let bytes = match converted {
                Converted::Pass(e) | Converted::Upgraded(e) => e.as_bytes(),
                Converted::Dropped => continue,
            };
            self.current.clear();
            self.current.extend_from_slice(bytes);
            break;
        }
        self.events += 1;
        // The bytes were a valid event a moment ago; re-parsing only re-reads the header.
        let large = self
            .current
            .get(EVENT_TYPE_OFFSET..EVENT_TYPE_OFFSET + 2)
            .is_some_and(|b| crate::event_table::is_large_payload(u16::from_le_bytes([b[0], b[1]])));
        let ev = EventRef::parse(&self.current, large).map_err(|e| {
            ReplayError::Scap(ScapError {
                file: self.file.clone(),
                offset: block_offset,
                kind: crate::scap::ErrorKind::Event(e),
            })
        })?;
        Ok(Some(ev))
    }

    /// Events returned so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Bytes of the file read so far and its size.
    pub fn progress(&self) -> (u64, u64) {
        (
            self.bytes_read.load(Ordering::Relaxed).min(self.file_size),
            self.file_size,
        )
    }

    pub fn reader(&self) -> &CaptureReader {
        &self.reader
    }

    pub fn converter(&self) -> &EventConverter {
        &self.converter
    }
}

/// Replays a whole capture into a new state; returns the state and the event count.
pub fn replay_into_state(path: impl AsRef<Path>) -> Result<(crate::state::ThreadTable, u64), ReplayError> {
    let mut r = CaptureReplay::open(path)?;
    let mut state = crate::state::ThreadTable::new();
    loop {
        let mut metas = Vec::new();
        let ev = r.next_event(|m| metas.push(clone_meta(m)))?;
        for m in metas.iter().flatten() {
            state.apply_capture_item(m);
        }
        match ev {
            Some(ev) => {
                // Events the state cannot decode are skipped, as libsinsp skips bad events.
                let _ = state.parse_event(ev);
            }
            None => break,
        }
    }
    let n = r.events();
    Ok((state, n))
}

/// An owned copy of a metadata item (events are not copied).
pub fn clone_meta(m: &CaptureItem<'_>) -> Option<CaptureItem<'static>> {
    Some(match m {
        CaptureItem::Section(s) => CaptureItem::Section(s.clone()),
        CaptureItem::Machine(x) => CaptureItem::Machine(x.clone()),
        CaptureItem::Process(p) => CaptureItem::Process(p.clone()),
        CaptureItem::Fd(f) => CaptureItem::Fd(f.clone()),
        CaptureItem::Interface(i) => CaptureItem::Interface(i.clone()),
        CaptureItem::User(u) => CaptureItem::User(u.clone()),
        CaptureItem::Event(_) => return None,
    })
}
