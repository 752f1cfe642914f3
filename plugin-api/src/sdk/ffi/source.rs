//! Glue of the sourcing capability: open, close, next_batch, progress, event_to_string,
//! list_open_params.

use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::common::{c_text, str_arg, with_state, PluginState};
use crate::event::{EventRef, PluginEvent};
use crate::ffi::{self as abi, ss_instance_t, ss_plugin_event, ss_plugin_rc, ss_plugin_t};
use crate::sdk::source::{BatchEnd, EventBatch, SourceInstance, SourcePlugin, MAX_PROGRESS_PCT};
use crate::sdk::PluginError;

/// What `ss_instance_t*` points to.
pub struct InstanceState<P: SourcePlugin> {
    instance: P::Instance,
    batch: EventBatch,
    progress: Vec<u8>,
}

/// # Safety
/// `h` must be NULL or an instance from `open::<P>` not yet closed, used by one thread.
unsafe fn instance<'a, P: SourcePlugin>(h: *mut ss_instance_t) -> Result<&'a mut InstanceState<P>, PluginError> {
    // SAFETY: per the contract.
    unsafe { h.cast::<InstanceState<P>>().as_mut() }.ok_or_else(|| PluginError::msg("capture instance is NULL"))
}

/// `plugin_open`.
///
/// # Safety
/// `s` a live state of `P`; `params` NULL or a C string; `rc` writable.
pub unsafe fn open<P: SourcePlugin>(
    s: *mut ss_plugin_t,
    params: *const c_char,
    rc: *mut ss_plugin_rc,
) -> *mut ss_instance_t {
    // SAFETY: per the contract.
    let (inst, code) = unsafe {
        with_state::<P, _>(
            s,
            (std::ptr::null_mut(), abi::SS_PLUGIN_FAILURE),
            |st: &mut PluginState<P>| {
                // SAFETY: params is a C string valid during the call.
                let params = str_arg(params, "open_params")?;
                let instance = st.plugin()?.open(params)?;
                let state = InstanceState::<P> {
                    instance,
                    batch: EventBatch::new(P::ID),
                    progress: Vec::new(),
                };
                Ok((
                    Box::into_raw(Box::new(state)).cast::<ss_instance_t>(),
                    abi::SS_PLUGIN_SUCCESS,
                ))
            },
        )
    };
    if !rc.is_null() {
        // SAFETY: writable rc per the contract.
        unsafe { rc.write(code) };
    }
    inst
}

/// `plugin_close`.
///
/// # Safety
/// `s` a live state of `P`, `h` an instance from `open::<P>` on it, not used afterwards.
pub unsafe fn close<P: SourcePlugin>(s: *mut ss_plugin_t, h: *mut ss_instance_t) {
    if h.is_null() {
        return;
    }
    // SAFETY: the host hands back ownership of the instance.
    let mut inst = unsafe { Box::from_raw(h.cast::<InstanceState<P>>()) };
    // SAFETY: per the contract.
    unsafe {
        with_state::<P, _>(s, (), |st| {
            if let Some(p) = st.plugin.as_mut() {
                inst.instance.close(p);
            }
            Ok(())
        })
    };
    let _ = catch_unwind(AssertUnwindSafe(move || drop(inst)));
}

/// `plugin_next_batch`: events stay valid until the next call or close.
///
/// # Safety
/// `s`/`h` as for [`close`] (not consumed); `nevts`/`evts` writable.
pub unsafe fn next_batch<P: SourcePlugin>(
    s: *mut ss_plugin_t,
    h: *mut ss_instance_t,
    nevts: *mut u32,
    evts: *mut *mut *mut ss_plugin_event,
) -> ss_plugin_rc {
    // SAFETY: per the contract.
    let (rc, ptr, n) = unsafe {
        with_state::<P, _>(s, (abi::SS_PLUGIN_FAILURE, std::ptr::null_mut(), 0), |st| {
            // SAFETY: per the contract.
            let inst = instance::<P>(h)?;
            inst.batch.clear();
            let plugin = st.plugin()?;
            let end = inst.instance.next_batch(plugin, &mut inst.batch);
            let (ptr, n) = inst.batch.publish();
            match end {
                Ok(BatchEnd::Success) if n == 0 => Ok((abi::SS_PLUGIN_TIMEOUT, ptr, n)),
                Ok(BatchEnd::Success) => Ok((abi::SS_PLUGIN_SUCCESS, ptr, n)),
                Ok(BatchEnd::Timeout) => Ok((abi::SS_PLUGIN_TIMEOUT, ptr, n)),
                Ok(BatchEnd::Eof) => Ok((abi::SS_PLUGIN_EOF, ptr, n)),
                Err(e) => Err(e),
            }
        })
    };
    if !nevts.is_null() {
        // SAFETY: writable per the contract.
        unsafe { nevts.write(n) };
    }
    if !evts.is_null() {
        // SAFETY: writable per the contract.
        unsafe { evts.write(ptr) };
    }
    rc
}

/// `plugin_get_progress`.
///
/// # Safety
/// As for [`next_batch`]; `pct` writable.
pub unsafe fn get_progress<P: SourcePlugin>(
    s: *mut ss_plugin_t,
    h: *mut ss_instance_t,
    pct: *mut u32,
) -> *const c_char {
    // SAFETY: per the contract.
    let (text, value) = unsafe {
        with_state::<P, _>(s, (std::ptr::null(), 0), |st| {
            // SAFETY: per the contract.
            let inst = instance::<P>(h)?;
            let progress = inst.instance.get_progress(st.plugin()?).unwrap_or_default();
            Ok((
                c_text(&mut inst.progress, &progress.text),
                progress.pct.min(MAX_PROGRESS_PCT),
            ))
        })
    };
    if !pct.is_null() {
        // SAFETY: writable per the contract.
        unsafe { pct.write(value) };
    }
    text
}

/// `plugin_event_to_string`: text valid until the next call on this state.
///
/// # Safety
/// As for `with_state`; `evt` a valid event input during the call.
pub unsafe fn event_to_string<P: SourcePlugin>(
    s: *mut ss_plugin_t,
    evt: *const abi::ss_plugin_event_input,
) -> *const c_char {
    // SAFETY: per the contract.
    unsafe {
        with_state::<P, _>(s, std::ptr::null(), |st| {
            // SAFETY: host input valid during the call.
            let input = evt.as_ref().ok_or_else(|| PluginError::msg("event input is NULL"))?;
            // SAFETY: the event is valid during the call.
            let ev = EventRef::from_raw(input.evt)?;
            let pe = PluginEvent::parse(&ev)?;
            let mut text = std::mem::take(&mut st.text);
            text.clear();
            let r = st.plugin()?.event_to_string(&pe, &mut text);
            let ptr = c_text(&mut st.text_c, &text);
            st.text = text;
            r.map(|()| ptr)
        })
    }
}

/// `plugin_list_open_params`.
///
/// # Safety
/// As for `with_state`; `rc` writable.
pub unsafe fn list_open_params<P: SourcePlugin>(s: *mut ss_plugin_t, rc: *mut ss_plugin_rc) -> *const c_char {
    // SAFETY: per the contract.
    let (ptr, code) = unsafe {
        with_state::<P, _>(s, (std::ptr::null(), abi::SS_PLUGIN_FAILURE), |st| {
            let params = st.plugin()?.list_open_params()?;
            let json = serde_json::to_string(&params).map_err(PluginError::msg)?;
            st.open_params = CString::new(json).map_err(PluginError::msg)?;
            Ok((st.open_params.as_ptr(), abi::SS_PLUGIN_SUCCESS))
        })
    };
    if !rc.is_null() {
        // SAFETY: writable per the contract.
        unsafe { rc.write(code) };
    }
    ptr
}
