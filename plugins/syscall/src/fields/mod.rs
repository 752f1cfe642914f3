//! libsinsp-compatible fields of syscall events: declarations ([`FIELDS`]) and extraction.
//!
//! Values follow libsinsp's semantics (`reference/fields/syscall.md`). Fields whose libsinsp
//! type is richer than the plugin ABI's carry `"sakerType":"PT_…"`; signed integers travel as
//! the bit pattern of the `i64`, doubles as `f64` bits.

mod defs;
mod event;
mod sink;
mod syscall_names;

pub use defs::{FieldId, ALL_FIELD_IDS, FIELDS};
pub use event::{
    display_values, event_type_name, extract_event_field, render_arg_resolved, return_value, FieldArg, FieldValue,
};

mod args;
mod fspath;
mod state;
pub use args::{arg_value, args_line, param_strings};
pub use sink::{OutputSink, Sink};
pub use state::{capability_names, extract_fd_field, extract_thread_field};

use crate::params::DecodedEvent;
use crate::state::ThreadTable;

/// The socket syslog listens on: writes to it make `evt.is_syslog` true.
const SYSLOG_PATH: &str = "/dev/log";

/// Extracts field `id` for an event already applied to `state` (libsinsp parses before
/// filtering). `out` is left empty when the field has no value.
pub fn extract(id: FieldId, arg: FieldArg<'_>, ev: &DecodedEvent<'_>, state: &ThreadTable, out: &mut Vec<FieldValue>) {
    out.clear();
    extract_to(id, arg, ev, state, out);
}

/// [`extract`] writing into any [`Sink`] (the plugin passes the SDK's output; nothing
/// written = no value).
pub fn extract_to(id: FieldId, arg: FieldArg<'_>, ev: &DecodedEvent<'_>, state: &ThreadTable, out: &mut impl Sink) {
    match id {
        FieldId::EvtCategory if is_io_event(ev) => {
            out.str(state::io_category(ev, state));
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
            out.str_fmt(format_args!("{}", args::ArgsLine { ev, state }));
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
    // Straight to the family's extractor: each returns `false` for fields of other families,
    // so the chain is only needed for the rest.
    let _ = match id.family() {
        Family::Thread => extract_thread_field(id, arg, ev, state, out),
        Family::Fd => extract_fd_field(id, ev, state, out),
        Family::Other => {
            extract_event_field(id, arg, ev, out)
                || extract_thread_field(id, arg, ev, state, out)
                || extract_fd_field(id, ev, state, out)
                || fspath::extract_fspath_field(id, ev, state, out)
        }
    };
}

/// Which extractor serves a field, by its name's prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// `proc.*`, `thread.*`, `user.*`, `group.*`: [`extract_thread_field`].
    Thread,
    /// `fd.*`: [`extract_fd_field`].
    Fd,
    /// Everything else (`evt.*`, `fs.path.*` …), tried extractor by extractor.
    Other,
}

const fn has_prefix(name: &str, prefix: &str) -> bool {
    let (name, prefix) = (name.as_bytes(), prefix.as_bytes());
    if name.len() < prefix.len() {
        return false;
    }
    let mut i = 0;
    while i < prefix.len() {
        if name[i] != prefix[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn family_of(name: &str) -> Family {
    if has_prefix(name, "proc.")
        || has_prefix(name, "thread.")
        || has_prefix(name, "user.")
        || has_prefix(name, "group.")
    {
        Family::Thread
    } else if has_prefix(name, "fd.") {
        Family::Fd
    } else {
        Family::Other
    }
}

/// [`Family`] of every field in [`FIELDS`] order, worked out at compile time (the prefix
/// comparisons showed in profiles when made per extraction).
static FAMILIES: [Family; FIELDS.len()] = {
    let mut out = [Family::Other; FIELDS.len()];
    let mut i = 0;
    while i < FIELDS.len() {
        out[i] = family_of(FIELDS[i].name);
        i += 1;
    }
    out
};

impl FieldId {
    pub(crate) fn family(self) -> Family {
        FAMILIES[self as usize]
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_table::Direction::Exit as X;
    use crate::testing::{encode_event, Arg as V};
    use plugin_api::event::EventRef;

    fn values(id: FieldId, bytes: &[u8], state: &ThreadTable) -> Vec<FieldValue> {
        let ev = DecodedEvent::new(EventRef::parse(bytes, false).unwrap()).unwrap();
        let mut out = Vec::new();
        extract(id, FieldArg::None, &ev, state, &mut out);
        out
    }

    /// The datagram's destination renames the unconnected UDP socket for the name fields
    /// only; the address fields see the tuple whether or not a name field was asked first.
    #[test]
    fn unconnected_send_renames_the_socket_for_name_fields_only() {
        let mut state = ThreadTable::new();
        let socket = encode_event(
            "socket",
            X,
            1,
            100,
            &[
                ("fd", V::I(5)),
                ("domain", V::I(2)),
                ("type", V::I(2)),
                ("proto", V::I(0)),
            ],
        );
        state.parse_event(EventRef::parse(&socket, false).unwrap()).unwrap();
        let mut tuple = vec![crate::params::PPM_AF_INET, 10, 0, 0, 1];
        tuple.extend_from_slice(&5000u16.to_le_bytes());
        tuple.extend_from_slice(&[10, 0, 0, 2]);
        tuple.extend_from_slice(&53u16.to_le_bytes());
        let send = encode_event(
            "sendto",
            X,
            2,
            100,
            &[
                ("res", V::I(12)),
                ("fd", V::I(5)),
                ("size", V::I(12)),
                ("tuple", V::B(&tuple)),
            ],
        );
        state.parse_event(EventRef::parse(&send, false).unwrap()).unwrap();
        let sip = FieldValue::Ip("10.0.0.2".parse().unwrap());
        assert_eq!(values(FieldId::FdSip, &send, &state), vec![sip.clone()]);
        assert_eq!(values(FieldId::FdSport, &send, &state), vec![FieldValue::U64(53)]);
        assert_eq!(
            values(FieldId::FdName, &send, &state),
            vec![FieldValue::Str("10.0.0.1:5000->10.0.0.2:53".into())]
        );
        assert_eq!(
            values(FieldId::FdNameChanged, &send, &state),
            vec![FieldValue::Bool(true)]
        );
        assert_eq!(values(FieldId::FdSip, &send, &state), vec![sip]);
        assert_eq!(
            values(FieldId::FdTypechar, &send, &state),
            vec![FieldValue::Str("4".into())]
        );
    }

    #[test]
    fn every_field_is_served_by_the_family_its_name_says() {
        for &id in ALL_FIELD_IDS {
            let name = id.def().name;
            let expected = if ["proc.", "thread.", "user.", "group."]
                .iter()
                .any(|p| name.starts_with(p))
            {
                Family::Thread
            } else if name.starts_with("fd.") {
                Family::Fd
            } else {
                Family::Other
            };
            assert_eq!(id.family(), expected, "{name}");
        }
        assert_eq!(FieldId::FdNum.family(), Family::Fd);
        assert_eq!(FieldId::ProcName.family(), Family::Thread);
        assert_eq!(FieldId::EvtType.family(), Family::Other);
    }
}
