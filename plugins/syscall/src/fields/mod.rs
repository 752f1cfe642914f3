//! libsinsp-compatible fields of syscall events: declarations ([`FIELDS`]) and extraction.
//!
//! Values follow libsinsp's semantics (`reference/fields/syscall.md`). Fields whose libsinsp
//! type is richer than the plugin ABI's carry `"sakerType":"PT_…"`; signed integers travel as
//! the bit pattern of the `i64`, doubles as `f64` bits.

mod defs;
mod event;
mod strings;
mod syscall_names;

pub use defs::{FieldId, ALL_FIELD_IDS, FIELDS};
pub use event::{
    display_values, event_type_name, extract_event_field, render_arg_resolved, return_value, FieldArg, FieldValue,
};

mod args;
mod fspath;
mod state;
pub use args::{arg_value, args_line, param_strings};
pub use state::{capability_names, extract_fd_field, extract_thread_field};

use crate::params::DecodedEvent;
use crate::state::ThreadTable;

/// The socket syslog listens on: writes to it make `evt.is_syslog` true.
const SYSLOG_PATH: &str = "/dev/log";

/// Extracts field `id` for an event already applied to `state` (libsinsp parses before
/// filtering). `out` is left empty when the field has no value.
pub fn extract(id: FieldId, arg: FieldArg<'_>, ev: &DecodedEvent<'_>, state: &ThreadTable, out: &mut Vec<FieldValue>) {
    strings::recycle(out);
    match id {
        FieldId::EvtCategory if is_io_event(ev) => {
            out.push(FieldValue::Str(strings::copied(state::io_category(ev, state))));
            return;
        }
        FieldId::EvtBuflen => {
            // I/O events on a known fd: the byte count the syscall returned.
            if is_io_event(ev) && state::event_fd_info(ev, state).is_some() {
                if let Some(r) = return_value(ev).filter(|r| *r >= 0) {
                    out.push(FieldValue::U64(r as u64));
                }
            }
            return;
        }
        FieldId::EvtCountErrorFile | FieldId::EvtCountErrorNet | FieldId::EvtCountErrorOther => {
            if let Some(r) = return_value(ev) {
                if state::error_class(ev, state) == id {
                    out.push(FieldValue::U64((r < 0) as u64));
                }
            }
            return;
        }
        FieldId::EvtIsSyslog => {
            let to_syslog = ev.info.flags.contains(crate::event_table::EventFlags::WRITES_TO_FD)
                && state::event_fd_info(ev, state).is_some_and(|f| f.name == SYSLOG_PATH);
            out.push(FieldValue::Bool(to_syslog));
            return;
        }
        FieldId::FdTypes => {
            state::fd_types(arg, ev, state, out);
            return;
        }
        FieldId::EvtArgs | FieldId::EvtInfo => {
            out.push(FieldValue::Str(args::args_line(ev, state)));
            return;
        }
        FieldId::EvtArg => {
            if let Some(v) = event::arg_index(ev, arg).and_then(|i| args::arg_value(ev, i, state)) {
                out.push(FieldValue::Str(v));
            }
            return;
        }
        _ => {}
    }
    let _ = extract_event_field(id, arg, ev, out)
        || extract_thread_field(id, arg, ev, state, out)
        || extract_fd_field(id, ev, state, out)
        || fspath::extract_fspath_field(id, ev, state, out);
}

/// Events of an `EC_IO_*` category, whose `evt.category` comes from the fd.
fn is_io_event(ev: &DecodedEvent<'_>) -> bool {
    use crate::event_table::CategoryClass as C;
    matches!(ev.info.category.class, C::IoRead | C::IoWrite | C::IoOther)
}

/// Writes extracted values into the SDK's output for the field being extracted (nothing
/// written = "no value").
pub fn write_values(
    values: &[FieldValue],
    out: &mut plugin_api::sdk::ExtractOutput,
) -> Result<(), plugin_api::sdk::PluginError> {
    values.iter().try_for_each(|v| v.write_to(out))
}
