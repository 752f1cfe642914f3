//! Glue of the extraction capability.

use super::common::{str_arg, with_state};
use crate::event::{EventMemo, EventRef, PluginEvent};
use crate::ffi::{self as abi, ss_plugin_rc, ss_plugin_t};
use crate::sdk::extract::{ExtractPlugin, ExtractRequest, FieldArg, FieldDef, SourceName, NO_FIELD};
use crate::sdk::tables::{HostErrors, TableReader};
use crate::sdk::PluginError;

/// The decoded event of an event input, shared by extract and parse. `events` remembers the
/// last validated event, so the parse and field calls of one event check its bytes once.
///
/// # Safety
/// `evt` must be a valid event input whose event and source stay valid for `'a`.
#[inline(always)]
pub(crate) unsafe fn event_of<'a>(
    evt: *const abi::ss_plugin_event_input,
    events: &mut EventMemo,
) -> Result<(EventRef<'a>, Option<PluginEvent<'a>>, u64, SourceName<'a>), PluginError> {
    // SAFETY: per the contract.
    let input = unsafe { evt.as_ref() }.ok_or_else(|| PluginError::msg("event input is NULL"))?;
    // SAFETY: the event is valid for 'a.
    let (ev, pe) = unsafe { events.decode(input.evt, input.evtnum) }?;
    // SAFETY: the source name is NULL or a C string valid for 'a.
    let source = unsafe { SourceName::from_raw(input.evtsrc) };
    Ok((ev, pe, input.evtnum, source))
}

/// The argument of one request, checked against the field's declaration.
///
/// # Safety
/// `req.arg_key` is NULL or a C string valid for `'a`.
#[inline]
unsafe fn field_arg<'a>(req: &abi::ss_plugin_extract_field, field: &FieldDef) -> Result<FieldArg<'a>, PluginError> {
    Ok(if req.arg_present == 0 {
        FieldArg::None
    } else if !req.arg_key.is_null() && (field.arg.key || !field.arg.index) {
        // SAFETY: arg_key is a C string valid during the call.
        FieldArg::Key(unsafe { str_arg(req.arg_key, "field argument") }?)
    } else {
        FieldArg::Index(req.arg_index)
    })
}

/// `plugin_extract_fields`: every request of the call is answered; results stay valid until
/// the next call on this state. Fails (after answering the others) if any field failed.
///
/// # Safety
/// `s` a live state of `P`; `evt` and `input` valid during the call with `num_fields`
/// writable requests.
pub unsafe fn extract_fields<P: ExtractPlugin>(
    s: *mut ss_plugin_t,
    evt: *const abi::ss_plugin_event_input,
    input: *const abi::ss_plugin_field_extract_input,
) -> ss_plugin_rc {
    // SAFETY: per the contract.
    unsafe {
        with_state::<P, _>(s, abi::SS_PLUGIN_FAILURE, |st| {
            // SAFETY: host input valid during the call.
            let input = input
                .as_ref()
                .ok_or_else(|| PluginError::msg("extract input is NULL"))?;
            // SAFETY: event input valid during the call.
            let (event, plugin_event, evt_num, source) = event_of(evt, &mut st.events)?;
            let host = HostErrors {
                owner: input.owner,
                get_owner_last_error: input.get_owner_last_error,
            };
            // SAFETY: the reader vtable is valid during the call.
            let tables = TableReader::from_raw(input.table_reader_ext, host);
            let out = &mut st.extract_out;
            out.reset();
            let plugin = st
                .plugin
                .as_mut()
                .ok_or_else(|| PluginError::msg("plugin is not initialized (its init failed)"))?;
            let requests: &mut [abi::ss_plugin_extract_field] = match input.num_fields {
                0 => &mut [],
                // SAFETY: `fields` holds num_fields writable requests.
                n => std::slice::from_raw_parts_mut(input.fields, n as usize),
            };
            let mut first_error: Option<PluginError> = None;
            // Built once; each field only sets its index, definition and argument.
            let mut request = ExtractRequest {
                field_index: 0,
                field: &NO_FIELD,
                arg: FieldArg::None,
                event,
                plugin_event,
                evt_num,
                source,
                tables: &tables,
            };
            for req in requests.iter_mut() {
                let Some(field) = P::FIELDS.get(req.field_id as usize) else {
                    out.skip_field(req);
                    first_error.get_or_insert_with(|| out_of_range::<P>(req.field_id));
                    continue;
                };
                out.begin_field(field);
                // SAFETY: arg_key is NULL or a C string valid during the call.
                let r = match field_arg(req, field) {
                    Ok(arg) => {
                        request.field_index = req.field_id as usize;
                        request.field = field;
                        request.arg = arg;
                        plugin
                            .extract_ref(&request, out)
                            .map_err(|e| extracting_error(field, e))
                    }
                    Err(e) => Err(e),
                };
                out.end_field(r.is_ok(), req);
                if let Err(e) = r {
                    first_error.get_or_insert(e);
                }
            }
            out.publish(requests);
            // Value offsets are not supported: NULL arrays tell the host so (3.11).
            if let Some(offsets) = input.value_offsets.as_mut() {
                offsets.start = std::ptr::null_mut();
                offsets.length = std::ptr::null_mut();
            }
            match first_error {
                None => Ok(abi::SS_PLUGIN_SUCCESS),
                Some(e) => Err(e),
            }
        })
    }
}

#[cold]
fn extracting_error(field: &FieldDef, e: PluginError) -> PluginError {
    PluginError::Message(format!("extracting {}: {e}", field.name))
}

#[cold]
fn out_of_range<P: ExtractPlugin>(field_id: u32) -> PluginError {
    PluginError::Message(format!(
        "field id {field_id} is out of range: plugin {} declares {} fields",
        P::NAME,
        P::FIELDS.len()
    ))
}
