//! Capture listening (plugin API 3.7+, §10): `capture_open`/`capture_close`, and the routines
//! plugins subscribe through the input's routine vtable, run repeatedly on a small host thread
//! pool (concurrently with the event loop, as in libsinsp) until they return false or are
//! unsubscribed.

use super::owner::Owner;
use plugin_api::ffi::{self, SS_PLUGIN_FAILURE, SS_PLUGIN_SUCCESS};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

/// Default number of routine worker threads.
pub const DEFAULT_ROUTINE_THREADS: usize = 2;
/// Most routines subscribed at once across all plugins.
pub const MAX_ROUTINES: usize = 256;

/// One subscribed routine.
struct Routine {
    id: u64,
    owner: usize,
    func: ffi::ss_plugin_routine_fn_t,
    plugin_state: usize,
    routine_state: usize,
    cancelled: AtomicBool,
}

#[derive(Default)]
struct PoolState {
    ready: VecDeque<Arc<Routine>>,
    /// Every live routine (ready or running).
    live: Vec<Arc<Routine>>,
    running: usize,
    shutdown: bool,
}

struct PoolShared {
    state: Mutex<PoolState>,
    wake: Condvar,
    idle: Condvar,
    runs: AtomicU64,
}

/// The host thread pool that runs plugin routines.
pub struct RoutinePool {
    shared: Arc<PoolShared>,
    workers: Vec<JoinHandle<()>>,
    next_id: AtomicU64,
}

impl RoutinePool {
    pub fn new(threads: usize) -> Arc<RoutinePool> {
        let shared = Arc::new(PoolShared {
            state: Mutex::new(PoolState::default()),
            wake: Condvar::new(),
            idle: Condvar::new(),
            runs: AtomicU64::new(0),
        });
        let workers = (0..threads.max(1))
            .map(|i| {
                let shared = shared.clone();
                std::thread::Builder::new()
                    .name(format!("saker-routine-{i}"))
                    .spawn(move || worker(&shared))
                    .expect("spawn routine worker thread")
            })
            .collect();
        Arc::new(RoutinePool {
            shared,
            workers,
            next_id: AtomicU64::new(1),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PoolState> {
        self.shared.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Routines currently subscribed.
    pub fn active_routines(&self) -> usize {
        self.lock().live.len()
    }

    /// Total routine invocations so far.
    pub fn runs(&self) -> u64 {
        self.shared.runs.load(Ordering::Relaxed)
    }

    fn subscribe(
        &self,
        owner: usize,
        func: ffi::ss_plugin_routine_fn_t,
        plugin_state: usize,
        routine_state: usize,
    ) -> Option<u64> {
        let mut st = self.lock();
        if st.live.len() >= MAX_ROUTINES || st.shutdown {
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let routine = Arc::new(Routine {
            id,
            owner,
            func,
            plugin_state,
            routine_state,
            cancelled: AtomicBool::new(false),
        });
        st.live.push(routine.clone());
        st.ready.push_back(routine);
        self.shared.wake.notify_one();
        Some(id)
    }

    fn unsubscribe(&self, owner: usize, id: u64) -> bool {
        let mut st = self.lock();
        let Some(pos) = st.live.iter().position(|r| r.id == id && r.owner == owner) else {
            return false;
        };
        let routine = st.live.remove(pos);
        routine.cancelled.store(true, Ordering::Release);
        st.ready.retain(|r| r.id != id);
        true
    }

    /// Cancels every routine of `owner` and waits until none of them is running.
    fn purge(&self, owner: usize) {
        let mut st = self.lock();
        for r in st.live.iter().filter(|r| r.owner == owner) {
            r.cancelled.store(true, Ordering::Release);
        }
        st.live.retain(|r| r.owner != owner);
        st.ready.retain(|r| r.owner != owner);
        while st.running > 0 {
            st = self.shared.idle.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }
}

impl Drop for RoutinePool {
    fn drop(&mut self) {
        {
            let mut st = self.lock();
            st.shutdown = true;
            for r in &st.live {
                r.cancelled.store(true, Ordering::Release);
            }
            st.ready.clear();
            st.live.clear();
        }
        self.shared.wake.notify_all();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

fn worker(shared: &PoolShared) {
    loop {
        let routine = {
            let mut st = shared.state.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                if st.shutdown {
                    return;
                }
                if let Some(r) = st.ready.pop_front() {
                    st.running += 1;
                    break r;
                }
                st = shared.wake.wait(st).unwrap_or_else(|p| p.into_inner());
            }
        };
        let again = if routine.cancelled.load(Ordering::Acquire) {
            false
        } else {
            shared.runs.fetch_add(1, Ordering::Relaxed);
            // SAFETY: the plugin subscribed this function with these states; the host keeps
            // the plugin state alive until its routines are purged (capture_close / drop).
            unsafe {
                (routine.func)(
                    routine.plugin_state as *mut ffi::ss_plugin_t,
                    routine.routine_state as *mut ffi::ss_plugin_routine_state_t,
                ) != 0
            }
        };
        let mut st = shared.state.lock().unwrap_or_else(|p| p.into_inner());
        st.running -= 1;
        if again && !routine.cancelled.load(Ordering::Acquire) {
            st.ready.push_back(routine);
            shared.wake.notify_one();
        } else {
            st.live.retain(|r| r.id != routine.id);
        }
        shared.idle.notify_all();
    }
}

/// The pool and plugin state routines of one owner run with.
pub(crate) struct RoutineContext {
    pub pool: Arc<RoutinePool>,
    pub plugin_state: usize,
}

pub(crate) unsafe extern "C" fn subscribe(
    o: *mut ffi::ss_plugin_owner_t,
    f: Option<ffi::ss_plugin_routine_fn_t>,
    i: *mut ffi::ss_plugin_routine_state_t,
) -> *mut ffi::ss_plugin_routine_t {
    // SAFETY: plugins pass back the owner pointer we gave them.
    let Some(owner) = (unsafe { Owner::from_ffi(o) }) else {
        return std::ptr::null_mut();
    };
    let Some(f) = f else {
        owner.set_error("routine subscribe: the routine function is NULL");
        return std::ptr::null_mut();
    };
    let ctx = owner.routines.lock().unwrap_or_else(|p| p.into_inner());
    let Some(ctx) = ctx.as_ref() else {
        owner.set_error("routine subscribe: no capture is open for this plugin");
        return std::ptr::null_mut();
    };
    match ctx.pool.subscribe(o as usize, f, ctx.plugin_state, i as usize) {
        Some(id) => id as usize as *mut ffi::ss_plugin_routine_t,
        None => {
            owner.set_error(format!("routine subscribe: too many routines (limit {MAX_ROUTINES})"));
            std::ptr::null_mut()
        }
    }
}

pub(crate) unsafe extern "C" fn unsubscribe(
    o: *mut ffi::ss_plugin_owner_t,
    r: *mut ffi::ss_plugin_routine_t,
) -> ffi::ss_plugin_rc {
    // SAFETY: plugins pass back the owner pointer we gave them.
    let Some(owner) = (unsafe { Owner::from_ffi(o) }) else {
        return SS_PLUGIN_FAILURE;
    };
    let ctx = owner.routines.lock().unwrap_or_else(|p| p.into_inner());
    match ctx.as_ref() {
        Some(ctx) if ctx.pool.unsubscribe(o as usize, r as usize as u64) => SS_PLUGIN_SUCCESS,
        _ => {
            owner.set_error(format!("routine unsubscribe: unknown routine handle {r:?}"));
            SS_PLUGIN_FAILURE
        }
    }
}

/// Stops all routines of an owner (after capture_close, before destroy).
pub(crate) fn purge(owner: &Owner) {
    let ctx = owner.routines.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(ctx) = ctx {
        ctx.pool.purge(owner.as_ffi() as usize);
    }
}
