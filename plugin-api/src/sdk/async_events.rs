//! Async events capability: push events (type 402) from plugin threads at any time.

use std::ffi::{c_char, CStr};

use super::{Plugin, PluginError};
use crate::event::{encode_async_event, NO_THREAD_ID, TS_NOW};
use crate::ffi::{self, PLUGIN_MAX_ERRLEN};

/// Handle on the host's async event handler. Clone it per producer thread: each clone owns
/// its encoding buffer.
pub struct AsyncHandler {
    owner: *mut ffi::ss_plugin_owner_t,
    handler: ffi::ss_plugin_async_event_handler_t,
    buf: Vec<u8>,
}

// SAFETY: the host documents the handler as callable from any thread, concurrently, with the
// owner it gave; the buffer is owned by this handle.
unsafe impl Send for AsyncHandler {}

impl Clone for AsyncHandler {
    fn clone(&self) -> Self {
        AsyncHandler {
            owner: self.owner,
            handler: self.handler,
            buf: Vec::new(),
        }
    }
}

impl AsyncHandler {
    /// # Safety
    /// `handler` must stay callable with `owner` until the plugin's `stop_async` returns.
    pub unsafe fn from_raw(owner: *mut ffi::ss_plugin_owner_t, handler: ffi::ss_plugin_async_event_handler_t) -> Self {
        AsyncHandler {
            owner,
            handler,
            buf: Vec::new(),
        }
    }

    /// Sends an async event named `name` (one of `ASYNC_EVENTS`) stamped by the host.
    pub fn emit(&mut self, name: &str, data: &[u8]) -> Result<(), PluginError> {
        self.emit_at(TS_NOW, name, data)
    }

    /// Sends an async event with timestamp `ts` (ns since epoch).
    pub fn emit_at(&mut self, ts: u64, name: &str, data: &[u8]) -> Result<(), PluginError> {
        self.buf.clear();
        encode_async_event(ts, NO_THREAD_ID, 0, name, data, &mut self.buf)?;
        let mut err = [0 as c_char; PLUGIN_MAX_ERRLEN];
        // SAFETY: from_raw's contract keeps the handler valid; the event and err buffer live
        // over the call; the host copies the event before returning.
        let rc = unsafe { (self.handler)(self.owner, self.buf.as_ptr().cast(), err.as_mut_ptr()) };
        if rc == ffi::SS_PLUGIN_SUCCESS {
            return Ok(());
        }
        err[PLUGIN_MAX_ERRLEN - 1] = 0;
        // SAFETY: err is NUL-terminated (forced above).
        let msg = unsafe { CStr::from_ptr(err.as_ptr()) }.to_string_lossy();
        Err(PluginError::Message(format!(
            "host rejected async event {name:?}: {msg}"
        )))
    }
}

/// Async events capability.
pub trait AsyncPlugin: Plugin {
    /// Names of the async events this plugin may emit.
    const ASYNC_EVENTS: &'static [&'static str];
    /// Sources the events are compatible with; empty = any.
    const ASYNC_EVENT_SOURCES: &'static [&'static str] = &[];

    /// Start producing events through `handler` (clone it for each thread).
    fn start_async(&mut self, handler: AsyncHandler) -> Result<(), PluginError>;
    /// Stop producing and join the producer threads before returning.
    fn stop_async(&mut self) -> Result<(), PluginError>;
}
