//! Async events (plugin API 3.12.0 §9): the handler plugins call from any thread, with the
//! host's checks, feeding a bounded queue whose drops are counted.

use super::owner::Owner;
use plugin_api::event::{AsyncEvent, EventRef, NO_THREAD_ID};
use plugin_api::ffi::{self, PLUGIN_MAX_ERRLEN, PPME_ASYNCEVENT_E, SS_PLUGIN_FAILURE, SS_PLUGIN_SUCCESS};
use std::collections::VecDeque;
use std::ffi::c_char;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Default number of async events waiting for the event loop before new ones are dropped.
pub const DEFAULT_ASYNC_QUEUE_CAPACITY: usize = 4096;
/// Largest async event accepted (header, lengths, id, name and data).
pub const MAX_ASYNC_EVENT_LEN: usize = 16 * 1024 * 1024;

/// Byte offsets inside an async event (type 402, 3 params with u32 lengths).
const ASYNC_PLUGIN_ID_OFFSET: usize = ffi::EVENT_HEADER_LEN + 12;

/// A bounded multi-producer queue of copied async events.
pub struct AsyncQueue {
    capacity: usize,
    events: Mutex<VecDeque<Vec<u8>>>,
    accepted: AtomicU64,
    dropped_full: AtomicU64,
    rejected: AtomicU64,
}

impl AsyncQueue {
    pub fn new(capacity: usize) -> AsyncQueue {
        AsyncQueue {
            capacity,
            events: Mutex::new(VecDeque::new()),
            accepted: AtomicU64::new(0),
            dropped_full: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
        }
    }

    /// Takes the oldest queued event.
    pub fn pop(&self) -> Option<Vec<u8>> {
        self.events.lock().unwrap_or_else(|p| p.into_inner()).pop_front()
    }

    pub fn len(&self) -> usize {
        self.events.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Events accepted, dropped because the queue was full, and rejected by the checks.
    pub fn counters(&self) -> (u64, u64, u64) {
        (
            self.accepted.load(Ordering::Relaxed),
            self.dropped_full.load(Ordering::Relaxed),
            self.rejected.load(Ordering::Relaxed),
        )
    }

    fn push(&self, event: Vec<u8>) -> Result<(), String> {
        let mut q = self.events.lock().unwrap_or_else(|p| p.into_inner());
        if q.len() >= self.capacity {
            self.dropped_full.fetch_add(1, Ordering::Relaxed);
            return Err(format!(
                "async event queue full ({} events); event dropped",
                self.capacity
            ));
        }
        q.push_back(event);
        self.accepted.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// What the handler needs to check events of one plugin.
pub(crate) struct AsyncSink {
    pub queue: std::sync::Arc<AsyncQueue>,
    pub names: Vec<String>,
    /// Id written into accepted events: the id of the open source (0 for syscall).
    pub source_plugin_id: u32,
    /// For plugin sources, `tid` must be UINT64_MAX.
    pub source_is_plugin: bool,
}

/// Validates a raw async event and returns the copy to enqueue.
pub(crate) fn check_async_event(sink: &AsyncSink, bytes: &[u8]) -> Result<Vec<u8>, String> {
    let event = EventRef::parse_any(bytes).map_err(|e| format!("malformed async event: {e}"))?;
    let (ty, nparams) = (event.event_type(), event.nparams());
    if ty != PPME_ASYNCEVENT_E || nparams != 3 {
        return Err(format!(
            "malformed async event: expected type 402 with 3 params, found type {ty} with {nparams}"
        ));
    }
    let parsed = AsyncEvent::parse(&event).map_err(|e| format!("malformed async event: {e}"))?;
    let name = parsed.name;
    if !sink.names.iter().any(|n| n == name) {
        return Err(format!(
            "async event name '{name}' is not in the plugin's plugin_get_async_events list"
        ));
    }
    if sink.source_is_plugin && event.tid() != NO_THREAD_ID {
        return Err(format!(
            "async event '{name}' for a plugin source must have tid UINT64_MAX, found {}",
            event.tid()
        ));
    }
    let mut copy = event.as_bytes().to_vec();
    copy[ASYNC_PLUGIN_ID_OFFSET..ASYNC_PLUGIN_ID_OFFSET + 4].copy_from_slice(&sink.source_plugin_id.to_ne_bytes());
    Ok(copy)
}

fn write_err(err: *mut c_char, msg: &str) {
    if err.is_null() {
        return;
    }
    let n = msg.len().min(PLUGIN_MAX_ERRLEN - 1);
    // SAFETY: the plugin passes a buffer of PLUGIN_MAX_ERRLEN bytes; we write at most that,
    // NUL included.
    unsafe {
        std::ptr::copy_nonoverlapping(msg.as_ptr() as *const c_char, err, n);
        *err.add(n) = 0;
    }
}

/// The handler given to `set_async_event_handler`.
pub(crate) unsafe extern "C" fn async_handler(
    o: *mut ffi::ss_plugin_owner_t,
    evt: *const ffi::ss_plugin_event,
    err: *mut c_char,
) -> ffi::ss_plugin_rc {
    // SAFETY: plugins pass back the owner pointer we gave them.
    let Some(owner) = (unsafe { Owner::from_ffi(o) }) else {
        return SS_PLUGIN_FAILURE;
    };
    let guard = owner.async_sink.lock().unwrap_or_else(|p| p.into_inner());
    let Some(sink) = guard.as_ref() else {
        write_err(err, "no async event handler is active for this plugin");
        return SS_PLUGIN_FAILURE;
    };
    if evt.is_null() {
        write_err(err, "async event is NULL");
        return SS_PLUGIN_FAILURE;
    }
    // SAFETY: the event header (26 bytes) is readable; read unaligned (events are packed).
    let hdr = unsafe { std::ptr::read_unaligned(evt) };
    let len = hdr.len as usize;
    if !(ffi::EVENT_HEADER_LEN..=MAX_ASYNC_EVENT_LEN).contains(&len) {
        sink.queue.rejected.fetch_add(1, Ordering::Relaxed);
        write_err(err, &format!("malformed async event: length {len} out of range"));
        return SS_PLUGIN_FAILURE;
    }
    // SAFETY: the plugin guarantees `len` readable bytes at `evt`.
    let bytes = unsafe { std::slice::from_raw_parts(evt as *const u8, len) };
    match check_async_event(sink, bytes).and_then(|copy| sink.queue.push(copy)) {
        Ok(()) => SS_PLUGIN_SUCCESS,
        Err(msg) => {
            if !msg.contains("queue full") {
                sink.queue.rejected.fetch_add(1, Ordering::Relaxed);
            }
            write_err(err, &msg);
            SS_PLUGIN_FAILURE
        }
    }
}
