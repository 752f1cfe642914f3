//! Glue of the parsing capability.

use super::common::with_state;
use super::extract::event_of;
use crate::ffi::{self as abi, ss_plugin_rc, ss_plugin_t};
use crate::sdk::parse::{ParseInput, ParsePlugin};
use crate::sdk::tables::{HostErrors, TableReader, TableWriter};
use crate::sdk::PluginError;

/// `plugin_parse_event`.
///
/// # Safety
/// `s` a live state of `P`; `evt` and `input` valid during the call.
pub unsafe fn parse_event<P: ParsePlugin>(
    s: *mut ss_plugin_t,
    evt: *const abi::ss_plugin_event_input,
    input: *const abi::ss_plugin_event_parse_input,
) -> ss_plugin_rc {
    // SAFETY: per the contract.
    unsafe {
        with_state::<P, _>(s, abi::SS_PLUGIN_FAILURE, |st| {
            let input = input.as_ref().ok_or_else(|| PluginError::msg("parse input is NULL"))?;
            let (event, plugin_event, evt_num, source) = event_of(evt, &mut st.events)?;
            let host = HostErrors {
                owner: input.owner,
                get_owner_last_error: input.get_owner_last_error,
            };
            let release = input.table_reader_ext.as_ref().and_then(|r| r.release_table_entry);
            let parse = ParseInput {
                event,
                plugin_event,
                evt_num,
                source,
                tables: TableReader::from_raw(input.table_reader_ext, host),
                writer: TableWriter::from_raw(input.table_writer_ext, release, host),
            };
            st.plugin()?.parse_event(&parse)?;
            Ok(abi::SS_PLUGIN_SUCCESS)
        })
    }
}
