//! State, error and panic handling shared by every capability; init, destroy, config, metrics.

use std::any::Any;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::event::EventMemo;
use crate::ffi::{self as abi, ss_plugin_rc, ss_plugin_t};
use crate::sdk::extract::ExtractOutput;
use crate::sdk::tables::InitTables;
use crate::sdk::{InitInput, Logger, MetricValue, Plugin, PluginError};

/// What `ss_plugin_t*` points to: the plugin (absent after a failed init) and the buffers
/// whose contents must outlive the call that filled them.
pub struct PluginState<P> {
    pub(crate) plugin: Option<P>,
    last_error: CString,
    pub(crate) extract_out: ExtractOutput,
    /// The event validated last (parse and extract calls).
    pub(crate) events: EventMemo,
    pub(crate) text: String,
    pub(crate) text_c: Vec<u8>,
    pub(crate) open_params: CString,
    metrics: Vec<abi::ss_plugin_metric>,
    metric_names: Vec<CString>,
}

impl<P: Plugin> PluginState<P> {
    fn new() -> Self {
        PluginState {
            plugin: None,
            last_error: CString::default(),
            extract_out: ExtractOutput::new(),
            events: EventMemo::new(),
            text: String::new(),
            text_c: Vec::new(),
            open_params: CString::default(),
            metrics: Vec::new(),
            metric_names: Vec::new(),
        }
    }

    /// Stores the text `get_last_error` returns until the next failure.
    pub(crate) fn set_error(&mut self, msg: &str) {
        self.last_error = to_cstring(msg);
    }

    /// The initialized plugin, or the error explaining why there is none.
    pub(crate) fn plugin(&mut self) -> Result<&mut P, PluginError> {
        self.plugin.as_mut().ok_or_else(|| {
            PluginError::Message(format!(
                "plugin {} is not initialized (its init failed); see the init error",
                P::NAME
            ))
        })
    }
}

/// A C string from any text; NUL bytes are shown as `\0`.
pub(crate) fn to_cstring(s: &str) -> CString {
    CString::new(s.replace('\0', "\\0")).unwrap_or_default()
}

/// The text of a panic payload.
pub(crate) fn panic_message(p: &(dyn Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-text panic payload".to_owned()
    }
}

/// Runs `f` on the state behind `s`, catching panics. Errors and panics are stored as last
/// error and give `fail`.
///
/// # Safety
/// `s` must be NULL or a state returned by `init::<P>` and not yet destroyed, used by no
/// other thread during the call.
pub(crate) unsafe fn with_state<P: Plugin, R>(
    s: *mut ss_plugin_t,
    fail: R,
    f: impl FnOnce(&mut PluginState<P>) -> Result<R, PluginError>,
) -> R {
    // SAFETY: per the contract, a non-NULL `s` is our live, exclusively used state.
    let Some(state) = (unsafe { s.cast::<PluginState<P>>().as_mut() }) else {
        return fail;
    };
    // The error is stored inside the barrier so that only a small `Option<R>` (not the
    // whole `Result<R, PluginError>`) leaves it: this is on every extract and parse call.
    let result = catch_unwind(AssertUnwindSafe(|| match f(&mut *state) {
        Ok(r) => Some(r),
        Err(e) => {
            store_error(state, e);
            None
        }
    }));
    match result {
        Ok(Some(r)) => r,
        Ok(None) => fail,
        Err(p) => {
            state.set_error(&format!("plugin panicked: {}", panic_message(&*p)));
            fail
        }
    }
}

/// Keeps the text of a failed call for `get_last_error`.
#[cold]
#[inline(never)]
fn store_error<P: Plugin>(state: &mut PluginState<P>, e: PluginError) {
    state.set_error(&e.to_string());
}

/// A C string argument as `&str`.
///
/// # Safety
/// `p` must be NULL or a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char, what: &str) -> Result<&'a str, PluginError> {
    if p.is_null() {
        return Ok("");
    }
    // SAFETY: per the contract.
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .map_err(|e| PluginError::Message(format!("{what} is not valid UTF-8 ({e}); pass UTF-8 text")))
}

/// `plugin_init`.
///
/// # Safety
/// `input` must be NULL or a valid init input for the duration of the call; `rc` writable.
pub unsafe fn init<P: Plugin>(input: *const abi::ss_plugin_init_input, rc: *mut ss_plugin_rc) -> *mut ss_plugin_t {
    let state = Box::into_raw(Box::new(PluginState::<P>::new())).cast::<ss_plugin_t>();
    let code = {
        // SAFETY: `state` was just created and is used only here.
        unsafe {
            with_state::<P, _>(state, abi::SS_PLUGIN_FAILURE, |st| {
                // SAFETY: the host's input is valid during init.
                let Some(input) = input.as_ref() else {
                    return Err(PluginError::msg(
                        "init input is NULL; the host must pass an ss_plugin_init_input",
                    ));
                };
                // SAFETY: config is a C string valid during init.
                let config = str_arg(input.config, "init config")?;
                // SAFETY: owner and log_fn are documented stable for the plugin's lifetime.
                let logger = Logger::from_raw(input.owner, input.log_fn);
                // SAFETY: a non-NULL tables input is valid during init.
                let tables = input
                    .tables
                    .as_ref()
                    // SAFETY: same call's owner and error function.
                    .map(|t| InitTables::from_raw(t, input.owner, input.get_owner_last_error));
                st.plugin = Some(P::init(InitInput::new(config, logger, tables))?);
                Ok(abi::SS_PLUGIN_SUCCESS)
            })
        }
    };
    if !rc.is_null() {
        // SAFETY: the host passes a writable rc.
        unsafe { rc.write(code) };
    }
    // The state is returned even on failure so the host can read the error, then destroy it.
    state
}

/// `plugin_destroy`.
///
/// # Safety
/// `s` must be NULL or a state from `init::<P>`, not used afterwards.
pub unsafe fn destroy<P: Plugin>(s: *mut ss_plugin_t) {
    if s.is_null() {
        return;
    }
    // SAFETY: per the contract the host hands back ownership of the state.
    let state = unsafe { Box::from_raw(s.cast::<PluginState<P>>()) };
    // A panicking Drop must not unwind into the host.
    let _ = catch_unwind(AssertUnwindSafe(move || drop(state)));
}

/// `plugin_get_last_error`.
///
/// # Safety
/// As for `with_state`.
pub unsafe fn get_last_error<P: Plugin>(s: *mut ss_plugin_t) -> *const c_char {
    // SAFETY: per the contract.
    match unsafe { s.cast::<PluginState<P>>().as_ref() } {
        Some(state) => state.last_error.as_ptr(),
        None => c"no plugin state (init returned NULL)".as_ptr(),
    }
}

/// `plugin_set_config`.
///
/// # Safety
/// As for `with_state`; `input` valid during the call.
pub unsafe fn set_config<P: Plugin>(
    s: *mut ss_plugin_t,
    input: *const abi::ss_plugin_set_config_input,
) -> ss_plugin_rc {
    // SAFETY: per the contract.
    unsafe {
        with_state::<P, _>(s, abi::SS_PLUGIN_FAILURE, |st| {
            // SAFETY: host input valid during the call.
            let config = match input.as_ref() {
                // SAFETY: config is a C string valid during the call.
                Some(i) => str_arg(i.config, "config")?,
                None => "",
            };
            st.plugin()?.set_config(config)?;
            Ok(abi::SS_PLUGIN_SUCCESS)
        })
    }
}

/// `plugin_get_metrics`: the array stays valid until the next call.
///
/// # Safety
/// As for `with_state`; `n` writable.
pub unsafe fn get_metrics<P: Plugin>(s: *mut ss_plugin_t, n: *mut u32) -> *mut abi::ss_plugin_metric {
    // SAFETY: per the contract.
    let (ptr, count) = unsafe {
        with_state::<P, _>(s, (std::ptr::null_mut(), 0u32), |st| {
            let metrics = st.plugin()?.metrics();
            st.metric_names.clear();
            st.metrics.clear();
            st.metric_names.extend(metrics.iter().map(|m| to_cstring(&m.name)));
            for (m, name) in metrics.iter().zip(&st.metric_names) {
                let (value, value_type) = match m.value {
                    MetricValue::U32(v) => (
                        abi::ss_plugin_metric_value { u32_: v },
                        abi::SS_PLUGIN_METRIC_VALUE_TYPE_U32,
                    ),
                    MetricValue::S32(v) => (
                        abi::ss_plugin_metric_value { s32: v },
                        abi::SS_PLUGIN_METRIC_VALUE_TYPE_S32,
                    ),
                    MetricValue::U64(v) => (
                        abi::ss_plugin_metric_value { u64_: v },
                        abi::SS_PLUGIN_METRIC_VALUE_TYPE_U64,
                    ),
                    MetricValue::S64(v) => (
                        abi::ss_plugin_metric_value { s64: v },
                        abi::SS_PLUGIN_METRIC_VALUE_TYPE_S64,
                    ),
                    MetricValue::F64(v) => (abi::ss_plugin_metric_value { d: v }, abi::SS_PLUGIN_METRIC_VALUE_TYPE_D),
                    MetricValue::F32(v) => (abi::ss_plugin_metric_value { f: v }, abi::SS_PLUGIN_METRIC_VALUE_TYPE_F),
                };
                let type_ = if m.monotonic {
                    abi::SS_PLUGIN_METRIC_TYPE_MONOTONIC
                } else {
                    abi::SS_PLUGIN_METRIC_TYPE_NON_MONOTONIC
                };
                st.metrics.push(abi::ss_plugin_metric {
                    name: name.as_ptr(),
                    type_,
                    value,
                    value_type,
                });
            }
            Ok((st.metrics.as_mut_ptr(), st.metrics.len() as u32))
        })
    };
    if !n.is_null() {
        // SAFETY: the host passes a writable count.
        unsafe { n.write(count) };
    }
    ptr
}

/// Writes `text` NUL-terminated into `buf` and returns its pointer (valid until `buf` changes).
pub(crate) fn c_text(buf: &mut Vec<u8>, text: &str) -> *const c_char {
    buf.clear();
    buf.extend(text.bytes().map(|b| if b == 0 { b' ' } else { b }));
    buf.push(0);
    buf.as_ptr().cast()
}
