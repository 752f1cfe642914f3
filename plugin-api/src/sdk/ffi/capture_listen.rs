//! Glue of the capture listening capability.

use super::common::with_state;
use crate::ffi::{self as abi, ss_plugin_rc, ss_plugin_t};
use crate::sdk::capture_listen::{CaptureListenInput, CaptureListenPlugin};
use crate::sdk::tables::{HostErrors, TableReader, TableWriter};
use crate::sdk::PluginError;

/// `plugin_capture_open` (`open = true`) and `plugin_capture_close`.
///
/// # Safety
/// `s` a live state of `P`; `input` valid during the call.
pub unsafe fn capture_listen<P: CaptureListenPlugin>(
    s: *mut ss_plugin_t,
    input: *const abi::ss_plugin_capture_listen_input,
    open: bool,
) -> ss_plugin_rc {
    // SAFETY: per the contract.
    unsafe {
        with_state::<P, _>(s, abi::SS_PLUGIN_FAILURE, |st| {
            let input = input
                .as_ref()
                .ok_or_else(|| PluginError::msg("capture listen input is NULL"))?;
            let host = HostErrors {
                owner: input.owner,
                get_owner_last_error: input.get_owner_last_error,
            };
            let release = input.table_reader_ext.as_ref().and_then(|r| r.release_table_entry);
            let listen = CaptureListenInput {
                tables: TableReader::from_raw(input.table_reader_ext, host),
                writer: TableWriter::from_raw(input.table_writer_ext, release, host),
            };
            let plugin = st.plugin()?;
            if open {
                plugin.capture_open(&listen)?;
            } else {
                plugin.capture_close(&listen)?;
            }
            Ok(abi::SS_PLUGIN_SUCCESS)
        })
    }
}
