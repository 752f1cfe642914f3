//! Glue of the async events capability.

use super::common::with_state;
use crate::ffi::{self as abi, ss_plugin_rc, ss_plugin_t};
use crate::sdk::async_events::{AsyncHandler, AsyncPlugin};

/// `plugin_set_async_event_handler`: a handler starts the producers, NULL stops them.
///
/// # Safety
/// `s` a live state of `P`; `handler` callable with `owner` until reset to NULL.
pub unsafe fn set_async_event_handler<P: AsyncPlugin>(
    s: *mut ss_plugin_t,
    owner: *mut abi::ss_plugin_owner_t,
    handler: Option<abi::ss_plugin_async_event_handler_t>,
) -> ss_plugin_rc {
    // SAFETY: per the contract.
    unsafe {
        with_state::<P, _>(s, abi::SS_PLUGIN_FAILURE, |st| {
            let plugin = st.plugin()?;
            match handler {
                // SAFETY: the host keeps the handler valid until it resets it.
                Some(h) => plugin.start_async(AsyncHandler::from_raw(owner, h))?,
                None => plugin.stop_async()?,
            }
            Ok(abi::SS_PLUGIN_SUCCESS)
        })
    }
}
