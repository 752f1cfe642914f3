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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{AsyncEvent, EventRef};
    use std::sync::Mutex;

    static SEEN: Mutex<Vec<(String, Vec<u8>)>> = Mutex::new(Vec::new());

    /// A host handler: accepts "sample" events, rejects others with a message.
    unsafe extern "C" fn handler(
        _o: *mut ffi::ss_plugin_owner_t,
        evt: *const ffi::ss_plugin_event,
        err: *mut c_char,
    ) -> ffi::ss_plugin_rc {
        // SAFETY: the plugin passes a complete event valid during the call.
        let ev = unsafe { EventRef::from_raw(evt) }.unwrap();
        let ae = AsyncEvent::parse(&ev).unwrap();
        if ae.name != "sample" {
            let msg = c"async event name not declared by the plugin";
            // SAFETY: err has PLUGIN_MAX_ERRLEN bytes; the message is shorter.
            unsafe { std::ptr::copy_nonoverlapping(msg.as_ptr(), err, msg.to_bytes_with_nul().len()) };
            return ffi::SS_PLUGIN_FAILURE;
        }
        SEEN.lock().unwrap().push((ae.name.to_owned(), ae.data.to_vec()));
        ffi::SS_PLUGIN_SUCCESS
    }

    #[test]
    fn handler_clones_emit_from_other_threads_and_report_rejections() {
        // SAFETY: `handler` is a plain function valid for the whole test.
        let h = unsafe { AsyncHandler::from_raw(std::ptr::null_mut(), handler) };
        let mut worker = h.clone();
        std::thread::spawn(move || worker.emit("sample", b"from thread").unwrap())
            .join()
            .unwrap();
        let mut h = h;
        h.emit_at(5, "sample", b"direct").unwrap();
        let err = h.emit("other", b"").unwrap_err().to_string();
        assert_eq!(
            err,
            "host rejected async event \"other\": async event name not declared by the plugin"
        );
        let seen = SEEN.lock().unwrap();
        assert_eq!(
            *seen,
            vec![
                ("sample".to_owned(), b"from thread".to_vec()),
                ("sample".to_owned(), b"direct".to_vec())
            ]
        );
    }
}
