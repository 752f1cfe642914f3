//! The containers the plugin knows, keyed by short id, with explicit states: metadata known,
//! lookup pending, or absent (no runtime knew it). Lookups run on one worker thread; the
//! event thread waits for an answer at most [`ContainerCache::lookup_wait`] and then goes on
//! with the container pending, so no event waits longer than that.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use crate::info::ContainerInfo;
use crate::runtime::{Lookup, Runtimes};

/// Default wait of the event thread for a first lookup (Falco's fetcher gives up after 150 ms).
pub const DEFAULT_LOOKUP_WAIT: Duration = Duration::from_millis(100);
/// How often the CRI runtimes are asked for containers the cache does not know (containerd 1.6
/// sends no CRI events), so most containers are known before their first event.
pub const CRI_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// An id no runtime knew is asked about again after this long (a container may be announced
/// to the kernel before its runtime can inspect it).
pub const ABSENT_RETRY_AFTER: Duration = Duration::from_secs(5);

/// What is known about one container id.
#[derive(Debug, Clone)]
pub enum State {
    Known(Arc<ContainerInfo>),
    /// A lookup is under way.
    Pending,
    /// No runtime knew the id at `since`.
    Absent {
        since: Instant,
    },
}

struct Request {
    id: String,
    done: Sender<()>,
}

/// Shared cache plus the lookup worker.
pub struct ContainerCache {
    /// Looked up on every event of a containerised thread: a fast seeded hash of the id.
    entries: Arc<Mutex<Entries>>,
    requests: Option<Sender<Request>>,
    worker: Option<JoinHandle<()>>,
    /// Dropping the sender stops the CRI poller.
    poller: Option<(Sender<()>, JoinHandle<()>)>,
    lookup_wait: Duration,
    /// Lookups and polls that ended with a runtime error, and the last error text.
    pub errors: Arc<Mutex<(u64, String)>>,
}

type Entries = HashMap<String, State, foldhash::fast::RandomState>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic on the worker leaves whole entries only; keep using the map.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl ContainerCache {
    /// A cache that asks `runtimes` (none: ids stay absent) and waits `lookup_wait` per first
    /// sight of an id.
    pub fn new(runtimes: Runtimes, lookup_wait: Duration) -> Self {
        let entries: Arc<Mutex<Entries>> = Arc::default();
        let errors: Arc<Mutex<(u64, String)>> = Arc::default();
        let (tx, rx) = crossbeam_channel::unbounded::<Request>();
        let poller = if runtimes.cri.is_empty() {
            None
        } else {
            let (stop_tx, stop_rx) = crossbeam_channel::bounded::<()>(0);
            let (runtimes, entries, errors) = (runtimes.clone(), entries.clone(), errors.clone());
            std::thread::Builder::new()
                .name("container-cri-poll".into())
                .spawn(move || cri_poller(&runtimes, &stop_rx, &entries, &errors))
                .ok()
                .map(|handle| (stop_tx, handle))
        };
        let worker = if runtimes.is_empty() {
            None
        } else {
            let (entries, errors) = (entries.clone(), errors.clone());
            std::thread::Builder::new()
                .name("container-lookup".into())
                .spawn(move || lookup_worker(&runtimes, &rx, &entries, &errors))
                .ok()
        };
        ContainerCache {
            entries,
            requests: worker.is_some().then_some(tx),
            worker,
            poller,
            lookup_wait,
            errors,
        }
    }

    pub fn lookup_wait(&self) -> Duration {
        self.lookup_wait
    }

    /// The metadata of `id`, asking the runtimes at first sight (waiting at most the lookup
    /// wait). `None` while pending or when absent.
    pub fn resolve(&self, id: &str) -> Option<Arc<ContainerInfo>> {
        let done = {
            let mut entries = lock(&self.entries);
            match entries.get(id) {
                Some(State::Known(info)) => return Some(info.clone()),
                Some(State::Pending) => return None,
                // Without runtimes to ask, an absent id stays absent: no clock read.
                Some(State::Absent { .. }) if self.requests.is_none() => return None,
                Some(State::Absent { since }) if since.elapsed() < ABSENT_RETRY_AFTER => return None,
                _ => {}
            }
            let Some(requests) = &self.requests else {
                entries.insert(id.to_owned(), State::Absent { since: Instant::now() });
                return None;
            };
            let (done_tx, done_rx) = crossbeam_channel::bounded(1);
            entries.insert(id.to_owned(), State::Pending);
            if requests
                .send(Request {
                    id: id.to_owned(),
                    done: done_tx,
                })
                .is_err()
            {
                entries.insert(id.to_owned(), State::Absent { since: Instant::now() });
                return None;
            }
            done_rx
        };
        // A timeout leaves the entry pending; the worker fills it in later.
        let _ = done.recv_timeout(self.lookup_wait);
        match lock(&self.entries).get(id) {
            Some(State::Known(info)) => Some(info.clone()),
            _ => None,
        }
    }

    /// The state of `id` without asking anyone.
    pub fn state(&self, id: &str) -> Option<State> {
        lock(&self.entries).get(id).cloned()
    }

    /// The metadata of `id` if known, without asking anyone.
    pub fn known(&self, id: &str) -> Option<Arc<ContainerInfo>> {
        match lock(&self.entries).get(id) {
            Some(State::Known(info)) => Some(info.clone()),
            _ => None,
        }
    }

    /// Records metadata learnt elsewhere (start-up listing, capture events, cgroup-only engines).
    pub fn insert(&self, info: ContainerInfo) {
        lock(&self.entries).insert(info.id.clone(), State::Known(Arc::new(info)));
    }

    /// Forgets `id` (its container exited); a later sight asks the runtimes again.
    pub fn remove(&self, id: &str) {
        lock(&self.entries).remove(id);
    }

    /// Number of containers with known metadata.
    pub fn known_count(&self) -> usize {
        lock(&self.entries)
            .values()
            .filter(|s| matches!(s, State::Known(_)))
            .count()
    }
}

impl Drop for ContainerCache {
    fn drop(&mut self) {
        // Closing the channel ends the worker after its current lookup.
        self.requests = None;
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
        if let Some((stop, handle)) = self.poller.take() {
            drop(stop);
            let _ = handle.join();
        }
    }
}

fn lookup_worker(
    runtimes: &Runtimes,
    requests: &Receiver<Request>,
    entries: &Mutex<Entries>,
    errors: &Mutex<(u64, String)>,
) {
    for req in requests.iter() {
        let state = match runtimes.lookup(&req.id) {
            Lookup::Found(mut info) => {
                // Runtimes answer to a short id with the full one: keep the cache key.
                info.id = req.id.clone();
                State::Known(Arc::from(info))
            }
            Lookup::Unknown => State::Absent { since: Instant::now() },
            Lookup::Failed(msgs) => {
                let mut e = lock(errors);
                e.0 += 1;
                e.1 = format!("container {}: {}", req.id, msgs.join("; "));
                State::Absent { since: Instant::now() }
            }
        };
        lock(entries).insert(req.id.clone(), state);
        let _ = req.done.send(());
    }
}

/// Every [`CRI_POLL_INTERVAL`] until `stop` closes: records the CRI containers the cache does
/// not know yet.
fn cri_poller(runtimes: &Runtimes, stop: &Receiver<()>, entries: &Mutex<Entries>, errors: &Mutex<(u64, String)>) {
    while let Err(crossbeam_channel::RecvTimeoutError::Timeout) = stop.recv_timeout(CRI_POLL_INTERVAL) {
        let known: std::collections::HashSet<String> = lock(entries)
            .iter()
            .filter(|(_, s)| matches!(s, State::Known(_)))
            .map(|(id, _)| id.clone())
            .collect();
        let (found, failures) = runtimes.new_cri_containers(&|id| known.contains(id));
        if !failures.is_empty() {
            let mut e = lock(errors);
            e.0 += 1;
            e.1 = format!("polling CRI containers: {}", failures.join("; "));
        }
        let mut entries = lock(entries);
        for info in found {
            entries.insert(info.id.clone(), State::Known(Arc::new(info)));
        }
    }
}
