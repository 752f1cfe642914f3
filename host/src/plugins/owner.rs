//! The host-side context of one initialised plugin, handed to it as the opaque
//! `ss_plugin_owner_t*`: its name (for logs and errors), the last error of host callbacks
//! (`get_owner_last_error`), its view of the table registry, and the table/entry handles it
//! holds, collected after every init/extract/parse call (as libsinsp does).

use super::tables::vtable::{EntryHandle, TableHandle};
use super::tables::{TableRegistry, TableTarget};
use plugin_api::ffi;
use std::collections::HashSet;
use std::ffi::{c_char, CStr, CString};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub(crate) struct Owner {
    pub plugin_name: String,
    pub tables: Arc<TableRegistry>,
    last_error: Mutex<Option<CString>>,
    pub(crate) handles: Mutex<OwnerHandles>,
    pub(crate) async_sink: Mutex<Option<super::asyncev::AsyncSink>>,
    pub(crate) routines: Mutex<Option<super::routines::RoutineContext>>,
    /// Set when a handle that needs collecting is handed out: most extract/parse calls touch
    /// no table, and then collecting costs one atomic load.
    handles_dirty: AtomicBool,
}

#[derive(Default)]
pub(crate) struct OwnerHandles {
    /// Table handles from `get_table`: valid for the plugin's lifetime. Boxed so their
    /// addresses (what plugins hold) survive the Vec growing.
    #[allow(clippy::vec_box)]
    pub persistent: Vec<Box<TableHandle>>,
    /// Subtable handles from `read_entry_field`: valid during the current callback only.
    pub ephemeral: Vec<*mut TableHandle>,
    /// Entry handles not yet released or added.
    pub entries: HashSet<usize>,
    /// Storage of the `list_tables` answer.
    pub table_infos: Vec<ffi::ss_plugin_table_info>,
}

// SAFETY: the raw pointers are boxes owned by this struct (freed in `collect`/`Drop`) or point
// into the registry's names, which outlive the owner; all access goes through the Mutex.
unsafe impl Send for OwnerHandles {}

impl Owner {
    pub fn new(plugin_name: &str, tables: Arc<TableRegistry>) -> Box<Owner> {
        Box::new(Owner {
            plugin_name: plugin_name.to_string(),
            tables,
            last_error: Mutex::new(None),
            handles: Mutex::new(OwnerHandles::default()),
            async_sink: Mutex::new(None),
            routines: Mutex::new(None),
            handles_dirty: AtomicBool::new(false),
        })
    }

    pub fn as_ffi(&self) -> *mut ffi::ss_plugin_owner_t {
        self as *const Owner as *mut ffi::ss_plugin_owner_t
    }

    /// # Safety
    /// `o` must be a pointer returned by [`Owner::as_ffi`] of a live owner.
    pub unsafe fn from_ffi<'a>(o: *mut ffi::ss_plugin_owner_t) -> Option<&'a Owner> {
        // SAFETY: per the contract, `o` is NULL or a live `Owner`.
        unsafe { (o as *const Owner).as_ref() }
    }

    pub fn set_error(&self, message: impl Into<String>) {
        let text = message.into().replace('\0', " ");
        tracing::debug!(target: "saker::plugins::tables", plugin = %self.plugin_name, "{text}");
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = CString::new(text).ok();
    }

    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|s| s.to_string_lossy().into_owned())
    }

    fn last_error_ptr(&self) -> *const c_char {
        let guard = self.last_error.lock().unwrap_or_else(|p| p.into_inner());
        guard.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
    }

    /// A persistent table handle for this owner (one per table name).
    pub fn table_handle(&self, name: &[u8], target: TableTarget) -> *mut TableHandle {
        let mut handles = self.handles.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(h) = handles.persistent.iter_mut().find(|h| h.name_is(name)) {
            return &mut **h as *mut TableHandle;
        }
        let mut handle = Box::new(TableHandle::new(self, target));
        let ptr = &mut *handle as *mut TableHandle;
        handles.persistent.push(handle);
        ptr
    }

    pub fn ephemeral_table(&self, target: TableTarget) -> *mut TableHandle {
        let ptr = Box::into_raw(Box::new(TableHandle::new(self, target)));
        self.handles_dirty.store(true, Ordering::Release);
        self.handles
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .ephemeral
            .push(ptr);
        ptr
    }

    pub fn track_entry(&self, entry: EntryHandle) -> *mut ffi::ss_plugin_table_entry_t {
        let ptr = Box::into_raw(Box::new(entry));
        self.handles_dirty.store(true, Ordering::Release);
        self.handles
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entries
            .insert(ptr as usize);
        ptr as *mut ffi::ss_plugin_table_entry_t
    }

    /// Takes back an entry handle the plugin gives up (release, add, destroy); None if the
    /// pointer is not a live handle of this owner.
    pub fn untrack_entry(&self, e: *mut ffi::ss_plugin_table_entry_t) -> Option<Box<EntryHandle>> {
        let removed = self
            .handles
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entries
            .remove(&(e as usize));
        // SAFETY: the address was produced by `Box::into_raw` in `track_entry` and was still
        // tracked, so it has not been freed.
        removed.then(|| unsafe { Box::from_raw(e as *mut EntryHandle) })
    }

    pub fn entry<'a>(&self, e: *mut ffi::ss_plugin_table_entry_t) -> Option<&'a EntryHandle> {
        let live = self
            .handles
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entries
            .contains(&(e as usize));
        // SAFETY: tracked handles are live boxes until untracked or collected, which happens
        // only between plugin callbacks.
        live.then(|| unsafe { &*(e as *const EntryHandle) })
    }

    /// Frees ephemeral subtables and unreleased entries after a plugin callback.
    #[inline]
    pub fn collect_garbage(&self) {
        // A plain load first: the locked swap costs ~20 cycles on every extract and parse call.
        if self.handles_dirty.load(Ordering::Acquire) {
            self.collect_dirty();
        }
    }

    #[cold]
    fn collect_dirty(&self) {
        if !self.handles_dirty.swap(false, Ordering::AcqRel) {
            return;
        }
        let mut handles = self.handles.lock().unwrap_or_else(|p| p.into_inner());
        for ptr in handles.ephemeral.drain(..) {
            // SAFETY: produced by `Box::into_raw` in `ephemeral_table`, freed only here.
            drop(unsafe { Box::from_raw(ptr) });
        }
        for addr in handles.entries.drain() {
            // SAFETY: produced by `Box::into_raw` in `track_entry`, still tracked.
            drop(unsafe { Box::from_raw(addr as *mut EntryHandle) });
        }
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.collect_garbage();
    }
}

/// `get_owner_last_error` given to plugins: the last error of a host callback, or NULL.
pub(crate) unsafe extern "C" fn get_owner_last_error(o: *mut ffi::ss_plugin_owner_t) -> *const c_char {
    // SAFETY: plugins pass back the owner pointer we gave them.
    match unsafe { Owner::from_ffi(o) } {
        Some(owner) => owner.last_error_ptr(),
        None => std::ptr::null(),
    }
}

/// `log_fn` given to plugins: forwards to `tracing` with the plugin name as component.
pub(crate) unsafe extern "C" fn log_fn(
    o: *mut ffi::ss_plugin_owner_t,
    component: *const c_char,
    msg: *const c_char,
    sev: ffi::ss_plugin_log_severity,
) {
    // SAFETY: plugins pass back the owner pointer we gave them.
    let owner = unsafe { Owner::from_ffi(o) };
    let text = |p: *const c_char| {
        // SAFETY: the plugin passes NUL-terminated strings valid during the call (or NULL).
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    };
    let component = text(component)
        .or_else(|| owner.map(|o| o.plugin_name.clone()))
        .unwrap_or_default();
    let message = text(msg).unwrap_or_default();
    let message = message.trim_end_matches('\n');
    match sev {
        ffi::SS_PLUGIN_LOG_SEV_FATAL | ffi::SS_PLUGIN_LOG_SEV_CRITICAL | ffi::SS_PLUGIN_LOG_SEV_ERROR => {
            tracing::error!(target: "saker::plugin", component = %component, "{message}")
        }
        ffi::SS_PLUGIN_LOG_SEV_WARNING => tracing::warn!(target: "saker::plugin", component = %component, "{message}"),
        ffi::SS_PLUGIN_LOG_SEV_NOTICE | ffi::SS_PLUGIN_LOG_SEV_INFO => {
            tracing::info!(target: "saker::plugin", component = %component, "{message}")
        }
        ffi::SS_PLUGIN_LOG_SEV_DEBUG => tracing::debug!(target: "saker::plugin", component = %component, "{message}"),
        _ => tracing::trace!(target: "saker::plugin", component = %component, "{message}"),
    }
}
