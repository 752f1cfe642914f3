//! A live capture session: reads raw records from a [`RawSource`] (the eBPF ring buffers, or
//! a fake in tests), turns them into scap events for the host, optionally writes them to a
//! capture file (`--capture FILE`) after the seeded process, fd and user lists, and counts
//! what it saw.

use std::path::Path;
use std::time::Duration;

use plugin_api::event::EventRef;
use plugin_api::sdk::{EventBatch, PluginError};

use super::proc_scan::{ProcScanner, ProcSnapshot, ScanStats};
use super::records::{KernelTask, RawRecord};
use super::to_scap::{BuildError, ScapBuilder};
use crate::scap::{CaptureWriter, Compression, FileSink, ScapError};
use crate::state::ThreadTable;

/// Most events handed to the host per batch.
pub const MAX_BATCH_EVENTS: usize = 512;
/// Longest wait for records when there are none.
pub const POLL_TIMEOUT: Duration = Duration::from_millis(50);

/// Where raw records come from.
pub trait RawSource {
    /// Calls `f` with up to `max` records, waiting at most `timeout` when none are ready.
    /// Returns how many records were passed to `f`.
    fn poll(&mut self, max: usize, timeout: Duration, f: &mut dyn FnMut(&[u8])) -> Result<usize, String>;

    /// Every task of the host as the kernel lists them (the BPF task iterator), or why the
    /// source cannot list them.
    fn kernel_tasks(&mut self) -> Result<Vec<KernelTask>, String> {
        Err("this source has no task iterator".into())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("live capture: reading raw records failed: {0}")]
    Source(String),
    #[error("live capture: writing the capture file failed: {0}; check the --capture path and free space")]
    Capture(#[from] ScapError),
    #[error("live capture: handing an event to the host failed: {0}")]
    Batch(#[from] PluginError),
}

/// What a session has seen so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionStats {
    /// Raw records read from the source.
    pub records: u64,
    /// scap events built (and handed to the host).
    pub events: u64,
    /// Records rejected as malformed (see [`super::records::RecordError`]).
    pub bad_records: u64,
    /// Records that make no event (enter records, unknown syscall numbers).
    pub no_event: u64,
    /// Records whose event could not be encoded.
    pub build_errors: u64,
    /// The /proc scan of [`LiveSession::seed`].
    pub scan: ScanStats,
}

/// What [`LiveSession::seed`] found.
#[derive(Debug, Clone, Default)]
pub struct Seeded {
    pub snapshot: ProcSnapshot,
    /// Why the kernel's task list did not complete the /proc scan (None when it did).
    pub task_iter_error: Option<String>,
}

/// A live session over `S`.
pub struct LiveSession<S: RawSource> {
    source: S,
    builder: ScapBuilder,
    capture: Option<CaptureWriter<FileSink>>,
    scanner: ProcScanner,
    stats: SessionStats,
    /// The CPU of each event of the last poll (kept only for the capture file).
    cpus: Vec<u16>,
    last_build_error: Option<BuildError>,
}

impl<S: RawSource> LiveSession<S> {
    pub fn new(source: S, builder: ScapBuilder) -> Self {
        LiveSession {
            source,
            builder,
            capture: None,
            scanner: ProcScanner::default(),
            stats: SessionStats::default(),
            cpus: Vec::new(),
            last_build_error: None,
        }
    }

    /// Also writes everything to the capture file `path` (`--capture FILE`). Call before
    /// [`seed`](Self::seed) so the file starts with the process, fd and user lists.
    pub fn capture_to(&mut self, path: impl AsRef<Path>) -> Result<(), SessionError> {
        self.capture = Some(CaptureWriter::create(path, Compression::None)?);
        Ok(())
    }

    /// Scans another /proc and /etc than the host's (containers, tests).
    pub fn set_scanner(&mut self, scanner: ProcScanner) {
        self.scanner = scanner;
    }

    /// Seeds `state` from /proc and /etc and writes the lists to the capture file, if any.
    /// On the host's /proc, the kernel's task list (BPF task iterator) completes the scan.
    pub fn seed(&mut self, state: &mut ThreadTable) -> Result<Seeded, SessionError> {
        let mut snap = self.scanner.scan();
        let task_iter_error = match self.scanner.kernel_tasks_mismatch() {
            Some(why) => Some(why),
            None => match self.source.kernel_tasks() {
                Ok(tasks) => {
                    snap.merge_kernel_tasks(&tasks);
                    None
                }
                Err(e) => Some(e),
            },
        };
        snap.apply(state);
        if let Some(w) = &mut self.capture {
            snap.write_to(w)?;
        }
        self.stats.scan = snap.stats;
        Ok(Seeded {
            snapshot: snap,
            task_iter_error,
        })
    }

    /// Pushes up to [`MAX_BATCH_EVENTS`] events into `batch`, waiting at most
    /// [`POLL_TIMEOUT`] when there are no records. Returns the number pushed (0 on timeout).
    /// Events are built straight into the batch.
    pub fn next_batch(&mut self, batch: &mut EventBatch) -> Result<usize, SessionError> {
        self.cpus.clear();
        let first = batch.len();
        let LiveSession {
            source,
            builder,
            stats,
            cpus,
            last_build_error,
            capture,
            ..
        } = self;
        let keep_cpus = capture.is_some();
        let mut push_error = None;
        let mut on_record = |bytes: &[u8]| {
            stats.records += 1;
            let rec = match RawRecord::parse(bytes) {
                Ok(r) => r,
                Err(_) => {
                    stats.bad_records += 1;
                    return;
                }
            };
            let pushed = batch.push_with(false, |out| match builder.build(&rec, out) {
                Ok(built) => {
                    if !built {
                        stats.no_event += 1;
                    }
                    built
                }
                Err(e) => {
                    stats.build_errors += 1;
                    *last_build_error = Some(e);
                    false
                }
            });
            let first_pushed = matches!(pushed, Ok(true));
            match pushed {
                Ok(true) if keep_cpus => cpus.push(rec.hdr.cpu as u16),
                Ok(_) => {}
                Err(e) => {
                    push_error.get_or_insert(e);
                }
            }
            // sendmmsg/recvmmsg: an event per message after the first.
            if !first_pushed {
                return;
            }
            for msg in 1..ScapBuilder::events_in(&rec) {
                let pushed = batch.push_with(false, |out| match builder.build_message(&rec, msg as u8, out) {
                    Ok(built) => built,
                    Err(e) => {
                        stats.build_errors += 1;
                        *last_build_error = Some(e);
                        false
                    }
                });
                match pushed {
                    Ok(true) if keep_cpus => cpus.push(rec.hdr.cpu as u16),
                    Ok(_) => {}
                    Err(e) => {
                        push_error.get_or_insert(e);
                    }
                }
            }
        };
        source
            .poll(MAX_BATCH_EVENTS, POLL_TIMEOUT, &mut on_record)
            .map_err(SessionError::Source)?;
        if let Some(e) = push_error {
            return Err(e.into());
        }
        let pushed = batch.len() - first;
        if let Some(w) = &mut self.capture {
            let mut rest = batch.bytes_from(first);
            for &cpu in &self.cpus {
                let ev = EventRef::parse(rest, false).map_err(PluginError::from)?;
                w.write_event(cpu, 0, &ev)?;
                rest = &rest[ev.as_bytes().len()..];
            }
        }
        self.stats.events += pushed as u64;
        Ok(pushed)
    }

    pub fn stats(&self) -> &SessionStats {
        &self.stats
    }

    /// The last event that could not be built (for a diagnostic next to the counter).
    pub fn last_build_error(&self) -> Option<&BuildError> {
        self.last_build_error.as_ref()
    }

    pub fn source(&self) -> &S {
        &self.source
    }

    pub fn source_mut(&mut self) -> &mut S {
        &mut self.source
    }

    /// Ends the session, flushing the capture file.
    pub fn finish(self) -> Result<SessionStats, SessionError> {
        if let Some(w) = self.capture {
            w.finish()?;
        }
        Ok(self.stats)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;
    use crate::live::records::{tag, RecordEncoder, REC_SYS_ENTER, REC_SYS_EXIT};
    use crate::live::syscall_nr;
    use crate::replay::CaptureReplay;
    use crate::scap::CaptureItem;

    /// Hands out queued records, `per_poll` at a time.
    struct FakeSource {
        queue: VecDeque<Vec<u8>>,
        per_poll: usize,
    }

    impl RawSource for FakeSource {
        fn poll(&mut self, max: usize, _timeout: Duration, f: &mut dyn FnMut(&[u8])) -> Result<usize, String> {
            let n = self.per_poll.min(max).min(self.queue.len());
            for r in self.queue.drain(..n) {
                f(&r);
            }
            Ok(n)
        }
    }

    #[test]
    fn capture_holds_the_seeded_lists_and_every_event() {
        let tid = std::process::id();
        let openat = syscall_nr::by_name("openat").unwrap().nr;
        let mut queue = VecDeque::new();
        for i in 0..3u64 {
            let r = RecordEncoder::new(REC_SYS_EXIT, openat, tid, tid)
                .ts(10 + i)
                .ret(3 + i as i64)
                .args([-100i64 as u64, 0, 0, 0, 0, 0])
                .ustr(1, &format!("/tmp/f{i}"));
            queue.push_back(r.encode());
        }
        queue.push_back(vec![1, 2, 3]); // malformed
        queue.push_back(RecordEncoder::new(REC_SYS_ENTER, openat, tid, tid).encode());
        queue.push_back(
            RecordEncoder::new(REC_SYS_EXIT, syscall_nr::by_name("write").unwrap().nr, tid, tid)
                .ts(20)
                .ret(2)
                .args([1, 0, 2, 0, 0, 0])
                .item(tag::UBUF, 1, b"hi")
                .encode(),
        );
        let source = FakeSource { queue, per_poll: 4 };
        let path = std::env::temp_dir().join(format!("saker-live-session-{tid}.scap"));
        let mut session = LiveSession::new(source, ScapBuilder::new(1_000));
        session.capture_to(&path).unwrap();
        let mut state = ThreadTable::new();
        let snap = session.seed(&mut state).unwrap().snapshot;
        assert!(state.thread(tid as i64).is_some());

        let mut sent = Vec::new();
        loop {
            let mut batch = EventBatch::new(0);
            let n = session.next_batch(&mut batch).unwrap();
            if n == 0 && session.source_mut().queue.is_empty() {
                break;
            }
            sent.extend_from_slice(batch.bytes());
        }
        let stats = session.finish().unwrap();
        assert_eq!(
            (stats.records, stats.events, stats.bad_records, stats.no_event),
            (6, 4, 1, 1)
        );

        let mut replay = CaptureReplay::open(&path).unwrap();
        let mut processes = 0;
        let mut fds = 0;
        let mut replayed = Vec::new();
        loop {
            let ev = replay
                .next_event(|item| match item {
                    CaptureItem::Process(_) => processes += 1,
                    CaptureItem::Fd(_) => fds += 1,
                    _ => {}
                })
                .unwrap();
            match ev {
                Some(ev) => replayed.extend_from_slice(ev.as_bytes()),
                None => break,
            }
        }
        assert_eq!(processes, snap.processes.len());
        assert_eq!(fds, snap.fds.len());
        assert_eq!(
            replayed, sent,
            "the capture holds the events handed to the host, byte for byte"
        );
        let first = EventRef::parse_any(&sent).unwrap();
        assert_eq!((first.ts(), first.event_type()), (1_010, 307));
        let _ = std::fs::remove_file(&path);
    }
}
