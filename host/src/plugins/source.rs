//! Event sourcing: `open` → instance, the `next_batch` loop with Falco's semantics (events of a
//! batch first, then the stored return code; libscap `source_plugin.c`, plugin API 3.12.0 §6),
//! and per-event validation. Events are handed on without copies: a [`Batch`] borrows the
//! plugin's buffers, valid until the next `next_batch`.

use super::error::PluginError;
use super::loader::copy_c_string;
use super::plugin::Plugin;
use plugin_api::event::{EventRef, PluginEvent, NO_THREAD_ID, TS_NOW};
use plugin_api::ffi::{self, PPME_PLUGINEVENT_E, SS_PLUGIN_SUCCESS};
use std::ffi::CString;
use std::time::{SystemTime, UNIX_EPOCH};

/// Largest event accepted from a source plugin; bigger `len` values are treated as corrupt.
pub use plugin_api::event::MAX_EVENT_LEN;
/// Most events accepted in one batch.
pub const MAX_BATCH_EVENTS: u32 = 1 << 20;

const PLUGIN_ID_OFFSET: usize = ffi::EVENT_HEADER_LEN + 8;

/// How a batch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchEnd {
    /// Call `next_batch` again for more.
    More,
    /// Nothing right now: call again.
    Timeout,
    /// The stream is finished.
    Eof,
}

/// Events of one `next_batch` call, validated. The slices borrow the plugin's buffers (no
/// copy) and stay valid until the next `next_batch` on the same instance.
pub struct Batch<'a> {
    raw: &'a [(*mut u8, usize)],
    pub end: BatchEnd,
}

impl<'a> Batch<'a> {
    /// The events, in order.
    pub fn events(&self) -> impl ExactSizeIterator<Item = &'a [u8]> + 'a {
        let raw = self.raw;
        // SAFETY: every (ptr, len) was validated by `next_batch` and the plugin keeps it valid
        // until the next next_batch or close, which need the `&mut` this batch borrows.
        raw.iter()
            .map(|&(p, l)| unsafe { std::slice::from_raw_parts(p as *const u8, l) })
    }

    /// Event `i` of the batch.
    pub fn event(&self, i: usize) -> Option<&'a [u8]> {
        // SAFETY: as in `events`.
        self.raw
            .get(i)
            .map(|&(p, l)| unsafe { std::slice::from_raw_parts(p as *const u8, l) })
    }

    pub fn len(&self) -> usize {
        self.raw.len()
    }

    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }
}

/// An open capture of a source plugin.
pub struct SourceInstance<'p> {
    plugin: &'p Plugin,
    state: *mut ffi::ss_plugin_t,
    instance: *mut ffi::ss_instance_t,
    /// A failure that came together with events, reported on the next call.
    pending_failure: Option<String>,
    finished: bool,
    events: Vec<(*mut u8, usize)>,
    /// Events delivered so far.
    pub delivered: u64,
}

impl Plugin {
    /// Opens the event source with the plugin's `open_params`.
    pub fn open(&self, params: &str) -> Result<SourceInstance<'_>, PluginError> {
        let state = self.state_ptr("open")?;
        let name = self.info().name.clone();
        let Some(open) = self.lib.symbols.open.filter(|_| self.info().capabilities.sourcing) else {
            return Err(PluginError::Unsupported {
                plugin: name,
                call: "open",
                capability: "event sourcing",
            });
        };
        let p = CString::new(params).map_err(|_| PluginError::OpenSource {
            plugin: name.clone(),
            params: params.into(),
            reason: "the params contain a NUL byte".into(),
        })?;
        let mut rc = ffi::SS_PLUGIN_FAILURE;
        // SAFETY: valid state, params and out-pointer for the call.
        let instance = unsafe { open(state, p.as_ptr(), &mut rc) };
        if rc != SS_PLUGIN_SUCCESS || instance.is_null() {
            let reason = self.last_error(state);
            if !instance.is_null() {
                if let Some(close) = self.lib.symbols.close {
                    // SAFETY: an instance returned by open is closed once.
                    unsafe { close(state, instance) };
                }
            }
            return Err(PluginError::OpenSource {
                plugin: name,
                params: params.into(),
                reason,
            });
        }
        Ok(SourceInstance {
            plugin: self,
            state,
            instance,
            pending_failure: None,
            finished: false,
            events: Vec::new(),
            delivered: 0,
        })
    }
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

impl<'p> SourceInstance<'p> {
    /// The next batch of validated events. Errors end the stream.
    pub fn next_batch(&mut self) -> Result<Batch<'_>, PluginError> {
        let plugin = self.plugin;
        // Only built on errors: no allocation per batch.
        let name = || plugin.info().name.clone();
        if let Some(reason) = self.pending_failure.take() {
            self.finished = true;
            return Err(PluginError::NextBatch { plugin: name(), reason });
        }
        if self.finished {
            return Ok(Batch {
                raw: &[],
                end: BatchEnd::Eof,
            });
        }
        let Some(next) = self.plugin.lib.symbols.next_batch else {
            return Err(PluginError::Unsupported {
                plugin: name(),
                call: "next_batch",
                capability: "event sourcing",
            });
        };
        let mut n = 0u32;
        let mut evts: *mut *mut ffi::ss_plugin_event = std::ptr::null_mut();
        // SAFETY: valid state/instance and out-pointers.
        let rc = unsafe { next(self.state, self.instance, &mut n, &mut evts) };
        let end = match rc {
            SS_PLUGIN_SUCCESS if n == 0 => {
                self.finished = true;
                return Err(PluginError::NextBatch {
                    plugin: name(),
                    reason: "unexpected 0 size event returned by plugin: SUCCESS with no events; \
                             return TIMEOUT when there is nothing to deliver"
                        .into(),
                });
            }
            SS_PLUGIN_SUCCESS => BatchEnd::More,
            ffi::SS_PLUGIN_TIMEOUT => BatchEnd::Timeout,
            ffi::SS_PLUGIN_EOF => {
                self.finished = true;
                BatchEnd::Eof
            }
            _ => {
                let reason = self.plugin.last_error(self.state);
                if n == 0 {
                    self.finished = true;
                    return Err(PluginError::NextBatch { plugin: name(), reason });
                }
                // Deliver the events first, report the failure on the next call.
                self.pending_failure = Some(reason);
                BatchEnd::More
            }
        };
        if n > MAX_BATCH_EVENTS || (n > 0 && evts.is_null()) {
            self.finished = true;
            return Err(PluginError::NextBatch {
                plugin: name(),
                reason: format!("invalid batch: {n} events at {evts:?} (limit {MAX_BATCH_EVENTS})"),
            });
        }
        self.events.clear();
        for i in 0..n as usize {
            // SAFETY: the plugin returned an array of `n` event pointers.
            let ptr = unsafe { *evts.add(i) } as *mut u8;
            match self.validate(i, ptr) {
                Ok(len) => self.events.push((ptr, len)),
                Err(e) => {
                    self.finished = true;
                    return Err(e);
                }
            }
        }
        self.delivered += n as u64;
        Ok(Batch { raw: &self.events, end })
    }

    /// Checks one event and applies libscap's fix-ups in place (as libscap does): plugin id 0
    /// becomes the plugin's id, tid becomes UINT64_MAX, ts UINT64_MAX becomes now.
    fn validate(&self, index: usize, ptr: *mut u8) -> Result<usize, PluginError> {
        let info = self.plugin.info();
        let bad = |detail: String| PluginError::MalformedEvent {
            plugin: info.name.clone(),
            index,
            detail,
        };
        if ptr.is_null() {
            return Err(bad("the event pointer is NULL".into()));
        }
        // SAFETY: the plugin returned this pointer as an event of `len` bytes, valid until the
        // next next_batch; `from_raw` reads the header unaligned and checks `len` against the
        // parameter length slots before building the slice.
        let event =
            unsafe { EventRef::from_raw(ptr as *const ffi::ss_plugin_event) }.map_err(|e| bad(e.to_string()))?;
        let hdr = *event.header();
        let len = hdr.len as usize;
        let (ty, nparams) = (hdr.event_type, hdr.nparams);
        if info.id != 0 && (ty != PPME_PLUGINEVENT_E || nparams != 2) {
            return Err(bad(format!(
                "expected a plugin event (type 322 with 2 params), found type {ty} with {nparams} params"
            )));
        }
        if ty == PPME_PLUGINEVENT_E {
            let id = PluginEvent::parse(&event).map_err(|e| bad(e.to_string()))?.plugin_id;
            // SAFETY: `len` bytes at `ptr` are the plugin's event buffer, validated above; like
            // libscap we write the fix-ups into it (no other reference to it is alive here).
            let bytes = unsafe { std::slice::from_raw_parts_mut(ptr, len) };
            if id == 0 {
                if info.id == 0 {
                    return Err(bad("plugin event with plugin id 0 from a plugin without an id".into()));
                }
                bytes[PLUGIN_ID_OFFSET..PLUGIN_ID_OFFSET + 4].copy_from_slice(&info.id.to_ne_bytes());
            } else if id != info.id {
                return Err(bad(format!(
                    "the event carries plugin id {id}, but this plugin's id is {}; a source may only emit its own events",
                    info.id
                )));
            }
            bytes[8..16].copy_from_slice(&NO_THREAD_ID.to_ne_bytes());
        }
        if hdr.ts == TS_NOW {
            // SAFETY: as above.
            let bytes = unsafe { std::slice::from_raw_parts_mut(ptr, len) };
            bytes[0..8].copy_from_slice(&now_ns().to_ne_bytes());
        }
        Ok(len)
    }

    /// `plugin_get_progress`: percentage in hundredths (0..=10000) and the optional text.
    pub fn progress(&self) -> Option<(u32, String)> {
        let get = self.plugin.lib.symbols.get_progress?;
        let mut pct = 0u32;
        // SAFETY: valid state/instance and out-pointer; text copied at once.
        let text = unsafe { copy_c_string(get(self.state, self.instance, &mut pct)) };
        Some((pct.min(10_000), text.unwrap_or_default()))
    }
}

impl Drop for SourceInstance<'_> {
    fn drop(&mut self) {
        if let Some(close) = self.plugin.lib.symbols.close {
            // SAFETY: the instance came from open and is closed exactly once.
            unsafe { close(self.state, self.instance) };
        }
    }
}
