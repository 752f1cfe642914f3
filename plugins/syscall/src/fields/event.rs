//! Fields computed from the event alone (no thread or fd state): `evt.*` and `syscall.type`.

use std::fmt::Write as _;
use std::net::IpAddr;

use plugin_api::sdk::extract::ExtractOutput;
use plugin_api::sdk::PluginError;

pub use plugin_api::sdk::extract::FieldArg;

use super::defs::FieldId;
use super::sink::Sink;
use crate::event_table::{CategoryClass, CategoryOrigin, Direction, EventFlags, ParamType};
use crate::flags;
use crate::params::{render_value, DecodedEvent, ParamValue};

/// `PPM_O_*` bits of the open flags parameter (driver encoding).
const PPM_O_RDONLY: u64 = 1 << 0;
const PPM_O_WRONLY: u64 = 1 << 1;
const PPM_O_CREAT: u64 = 1 << 2;
const PPM_O_TMPFILE: u64 = 1 << 13;
const PPM_O_F_CREATED: u64 = 1 << 14;
/// `S_IXUSR|S_IXGRP|S_IXOTH` in the mode parameter.
const MODE_EXEC_BITS: u64 = 0o111;
/// Event names whose `flags` parameter is an open mode (libsinsp's open-family list).
const OPEN_FAMILY: [&str; 4] = ["open", "openat", "openat2", "open_by_handle_at"];
/// `PPME_GENERIC_E` / `PPME_GENERIC_X`: the syscall is named by a parameter, not the table.
const GENERIC_CODES: [u16; 2] = [0, 1];

/// One extracted value (a list field yields several).
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// Unsigned integers, and signed ones as the bit pattern of the `i64`.
    U64(u64),
    RelTime(u64),
    AbsTime(u64),
    Bool(bool),
    Str(String),
    Ip(IpAddr),
    IpNet(IpAddr),
}

impl FieldValue {
    /// A signed libsinsp value (`PT_INT*`) as it travels: the `i64`'s bits.
    pub fn signed(v: i64) -> Self {
        FieldValue::U64(v as u64)
    }

    /// Appends the value to the SDK's output for the field being extracted.
    pub fn write_to(&self, out: &mut ExtractOutput) -> Result<(), PluginError> {
        match self {
            FieldValue::U64(v) => out.u64(*v),
            FieldValue::RelTime(v) => out.reltime(*v),
            FieldValue::AbsTime(v) => out.abstime(*v),
            FieldValue::Bool(v) => out.bool(*v),
            FieldValue::Str(s) => out.str(s),
            FieldValue::Ip(a) => out.ip(*a),
            FieldValue::IpNet(a) => out.ipnet(*a),
        }
    }
}

/// The syscall's return value: parameter 0 of a syscall exit event, read as a signed
/// 32- or 64-bit integer by its length (libsinsp `evt.rawres`).
pub fn return_value(ev: &DecodedEvent<'_>) -> Option<i64> {
    if ev.info.direction != Direction::Exit
        || ev.info.category.origin != CategoryOrigin::Syscall
        || GENERIC_CODES.contains(&ev.event.event_type())
    {
        return None;
    }
    let raw = ev.event.param(0)?;
    match raw.len() {
        4 => Some(i32::from_le_bytes(raw.try_into().ok()?) as i64),
        8 => Some(i64::from_le_bytes(raw.try_into().ok()?)),
        _ => None,
    }
}

/// Name libsinsp shows for a generic event whose syscall code it does not know.
const UNKNOWN_SYSCALL: &str = "<unknown>";

/// `evt.type`: the table name, or for generic events the syscall named by the `ID` param.
pub fn event_type_name(ev: &DecodedEvent<'_>) -> std::borrow::Cow<'static, str> {
    if !GENERIC_CODES.contains(&ev.event.event_type()) {
        return ev.info.name.into();
    }
    let code = match ev.param(0) {
        Some(Ok(ParamValue::Unsigned(c))) => usize::try_from(c).ok(),
        _ => None,
    };
    match code.and_then(|c| super::syscall_names::SYSCALL_NAMES.get(c)) {
        Some(&n) if n != "unknown" => n.into(),
        _ => UNKNOWN_SYSCALL.into(),
    }
}

/// Unsigned parameter called `name`, if present and decodable.
fn unsigned_param(ev: &DecodedEvent<'_>, name: &str) -> Option<u64> {
    match ev.param_by_name(name)? {
        Ok(ParamValue::Unsigned(v)) => Some(v),
        Ok(ParamValue::Signed(v)) => Some(v as u64),
        _ => None,
    }
}

/// Open flags of an open-family exit event, `None` for any other event.
fn open_flags(ev: &DecodedEvent<'_>) -> Option<u64> {
    let i = open_flags_index(ev.event.event_type())?;
    match ev.param(i)? {
        Ok(ParamValue::Unsigned(v)) => Some(v),
        Ok(ParamValue::Signed(v)) => Some(v as u64),
        _ => None,
    }
}

/// Position of the `flags` parameter of an open-family exit event by event code (looked up
/// once per code instead of by name for every field).
fn open_flags_index(code: u16) -> Option<usize> {
    const NONE: u8 = u8::MAX;
    static INDEX: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let index = INDEX.get_or_init(|| {
        (0..crate::event_table::EVENT_TYPE_COUNT)
            .map(|code| {
                crate::event_table::event_info(code)
                    .filter(|info| info.direction == Direction::Exit && OPEN_FAMILY.contains(&info.name))
                    .and_then(|info| info.param_index("flags"))
                    .and_then(|i| u8::try_from(i).ok())
                    .filter(|&i| i != NONE)
                    .unwrap_or(NONE)
            })
            .collect()
    });
    match index.get(code as usize).copied() {
        None | Some(NONE) => None,
        Some(i) => Some(i as usize),
    }
}

/// `evt.is_open_exec`: a created (O_CREAT/O_TMPFILE) file with an execute bit, or creat().
fn is_open_exec(ev: &DecodedEvent<'_>) -> bool {
    if ev.info.direction != Direction::Exit {
        return false;
    }
    if ev.info.name == "creat" {
        return unsigned_param(ev, "mode").is_some_and(|m| m & MODE_EXEC_BITS != 0);
    }
    match open_flags(ev) {
        Some(f) if f & (PPM_O_CREAT | PPM_O_TMPFILE) != 0 => {
            unsigned_param(ev, "mode").is_some_and(|m| m & MODE_EXEC_BITS != 0)
        }
        _ => false,
    }
}

/// libsinsp's name of an event category.
pub(super) fn category_name(class: CategoryClass) -> &'static str {
    match class {
        CategoryClass::Unknown => "unknown",
        CategoryClass::Other => "other",
        CategoryClass::File => "file",
        CategoryClass::Net => "net",
        CategoryClass::Ipc => "IPC",
        CategoryClass::Memory => "memory",
        CategoryClass::Process => "process",
        CategoryClass::Sleep => "sleep",
        CategoryClass::System => "system",
        CategoryClass::Signal => "signal",
        CategoryClass::User => "user",
        CategoryClass::Time => "time",
        CategoryClass::IoRead | CategoryClass::IoWrite | CategoryClass::IoOther => "I/O",
        CategoryClass::Wait => "wait",
        CategoryClass::Scheduler => "scheduler",
        CategoryClass::Internal => "internal",
    }
}

/// Index of the parameter an `evt.arg`/`evt.rawarg` argument names.
pub(super) fn arg_index(ev: &DecodedEvent<'_>, arg: FieldArg<'_>) -> Option<usize> {
    let i = match arg {
        FieldArg::Index(i) => usize::try_from(i).ok()?,
        FieldArg::Key(name) => match name.parse::<usize>() {
            Ok(i) => i,
            Err(_) => ev.info.param_index(name)?,
        },
        FieldArg::None => return None,
    };
    (i < ev.event.nparams() as usize).then_some(i)
}

/// `evt.arg.NAME` without state: the resolved rendering (errno name, flag names, signal name)
/// when there is one, else the raw one. Paths, fds and uids need state to be resolved.
pub fn render_arg_resolved(ev: &DecodedEvent<'_>, i: usize) -> Option<String> {
    let value = ev.param(i)?;
    let p = ev.info.params.get(i);
    let name = p.map_or("", |p| p.name);
    let pt = p.map(|p| p.param_type);
    let Ok(v) = value else {
        return Some("<invalid>".to_owned());
    };
    if v == ParamValue::Empty {
        return None;
    }
    let resolved = match (&v, pt) {
        (ParamValue::Signed(n), Some(ParamType::Errno)) if *n < 0 => {
            n.checked_neg().and_then(flags::errno_name).map(str::to_owned)
        }
        (ParamValue::Unsigned(n), Some(ParamType::SigType)) => flags::signal_name(*n).map(str::to_owned),
        (ParamValue::Unsigned(n), _) if !flags::is_hex_param(ev.info.name, name) => {
            flags::table_for(ev.info.name, name).map(|t| t.render(*n))
        }
        _ => None,
    };
    if let Some(r) = resolved.filter(|r| !r.is_empty()) {
        return Some(r);
    }
    let mut s = String::new();
    render_value(&mut s, ev.info, name, pt, &v);
    Some(s)
}

/// `evt.rawarg.NAME`: the unformatted value (numbers in decimal, strings as is).
/// Numbers are formatted straight into `out`; nothing is written for an undecodable value.
fn write_arg_raw(ev: &DecodedEvent<'_>, i: usize, out: &mut impl Sink) {
    match ev.param(i) {
        Some(Ok(ParamValue::Signed(n))) => out.str_fmt(format_args!("{n}")),
        Some(Ok(ParamValue::Unsigned(n))) => out.str_fmt(format_args!("{n}")),
        Some(Ok(v)) => {
            let mut s = String::new();
            let p = ev.info.params.get(i);
            render_value(&mut s, ev.info, "", p.map(|p| p.param_type), &v);
            out.push(FieldValue::Str(s));
        }
        Some(Err(_)) | None => {}
    }
}

/// Bytes of the `data` parameter with non-printable bytes shown as `.`.
struct Printable<'a>(&'a [u8]);

impl std::fmt::Display for Printable<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |c: &u8| c.is_ascii_graphic() || *c == b' ';
        for (i, run) in self.0.split(|c| !shown(c)).enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            // Printable ASCII only.
            f.write_str(std::str::from_utf8(run).map_err(|_| std::fmt::Error)?)?;
        }
        Ok(())
    }
}

/// Extracts an event-only field into `out` (left empty when the field has no value for
/// this event). Returns `false` when `id` is not an event-only field (state is needed).
pub fn extract_event_field(id: FieldId, arg: FieldArg<'_>, ev: &DecodedEvent<'_>, out: &mut impl Sink) -> bool {
    use FieldId as F;
    let info = ev.info;
    let is_syscall = info.category.origin == CategoryOrigin::Syscall;
    // Only the fields that need it decode the return value.
    let res = || return_value(ev);
    let io_flags = EventFlags(EventFlags::READS_FROM_FD.0 | EventFlags::WRITES_TO_FD.0);
    let is_io = info.flags.0 & io_flags.0 != 0;
    let failed = || res().is_some_and(|r| r < 0);
    match id {
        F::EvtType => out.str(&event_type_name(ev)),
        F::SyscallType if is_syscall => out.str(&event_type_name(ev)),
        F::SyscallType => {}
        F::EvtTypeIs => {
            let want = match arg {
                FieldArg::Index(n) => Some(n),
                FieldArg::Key(k) => k.parse().ok(),
                FieldArg::None => None,
            };
            if let Some(n) = want {
                out.push(FieldValue::U64((u64::from(ev.event.event_type()) == n) as u64));
            }
        }
        F::EvtDir => out.str(info.direction.as_char().encode_utf8(&mut [0; 4])),
        F::EvtCategory => out.str(category_name(info.category.class)),
        F::EvtArgs | F::EvtInfo => out.push(FieldValue::Str(ev.render_args())),
        F::EvtArg => {
            if let Some(s) = arg_index(ev, arg).and_then(|i| render_arg_resolved(ev, i)) {
                out.push(FieldValue::Str(s));
            }
        }
        F::EvtRawarg => {
            if let Some(i) = arg_index(ev, arg) {
                write_arg_raw(ev, i, out);
            }
        }
        F::EvtRes => {
            if let Some(r) = res() {
                if r >= 0 {
                    out.str("SUCCESS");
                } else {
                    match r.checked_neg().and_then(flags::errno_name) {
                        Some(name) => out.str(name),
                        None => out.str_fmt(format_args!("{r}")),
                    }
                }
            }
        }
        F::EvtRawres => {
            if let Some(r) = res() {
                out.push(FieldValue::signed(r));
            }
        }
        // Like libsinsp's error count: only events with a return value have it.
        F::EvtFailed => {
            if res().is_some() {
                out.push(FieldValue::Bool(failed()))
            }
        }
        F::EvtIsIo => out.push(FieldValue::Bool(is_io)),
        F::EvtIsIoRead => out.push(FieldValue::Bool(info.flags.contains(EventFlags::READS_FROM_FD))),
        F::EvtIsIoWrite => out.push(FieldValue::Bool(info.flags.contains(EventFlags::WRITES_TO_FD))),
        F::EvtIoDir => {
            if info.flags.contains(EventFlags::READS_FROM_FD) {
                out.str("read");
            } else if info.flags.contains(EventFlags::WRITES_TO_FD) {
                out.str("write");
            }
        }
        F::EvtIsWait => out.push(FieldValue::Bool(info.flags.contains(EventFlags::WAITS))),
        F::EvtBuffer => {
            if let Some(Ok(ParamValue::Bytes(b))) = ev.param_by_name("data") {
                out.str_fmt(format_args!("{}", Printable(b)));
            }
        }
        F::EvtBuflen => {
            if let Some(r) = res().filter(|r| *r >= 0 && is_io) {
                out.push(FieldValue::U64(r as u64));
            }
        }
        F::EvtIsOpenRead => out.push(FieldValue::Bool(open_flags(ev).is_some_and(|f| f & PPM_O_RDONLY != 0))),
        F::EvtIsOpenWrite => out.push(FieldValue::Bool(open_flags(ev).is_some_and(|f| f & PPM_O_WRONLY != 0))),
        F::EvtIsOpenCreate => out.push(FieldValue::Bool(
            open_flags(ev).is_some_and(|f| f & PPM_O_F_CREATED != 0),
        )),
        F::EvtIsOpenExec => out.push(FieldValue::Bool(is_open_exec(ev))),
        F::EvtCount => out.push(FieldValue::U64(1)),
        F::EvtCountExit => out.push(FieldValue::U64((info.direction == Direction::Exit) as u64)),
        F::EvtCountError => {
            if res().is_some() {
                out.push(FieldValue::U64(failed() as u64))
            }
        }
        F::EvtCountErrorMemory => {
            if res().is_some() && info.category.class == CategoryClass::Memory {
                out.push(FieldValue::U64(failed() as u64))
            }
        }
        // Deprecated latency fields: libsinsp reports a constant zero.
        F::EvtLatency | F::EvtLatencyS | F::EvtLatencyNs | F::EvtLatencyQuantized | F::EvtWaitLatency => {
            out.push(if id == F::EvtLatencyQuantized {
                FieldValue::U64(0)
            } else {
                FieldValue::RelTime(0)
            })
        }
        F::EvtLatencyHuman => out.str("0ns"),
        _ => return false,
    }
    true
}

/// Renders a list of values the way libsinsp prints them in outputs (for tests and tools).
pub fn display_values(values: &[FieldValue]) -> String {
    let mut s = String::new();
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = match v {
            FieldValue::U64(n) | FieldValue::RelTime(n) | FieldValue::AbsTime(n) => write!(s, "{n}"),
            FieldValue::Bool(b) => write!(s, "{b}"),
            FieldValue::Str(t) => write!(s, "{t}"),
            FieldValue::Ip(a) | FieldValue::IpNet(a) => write!(s, "{a}"),
        };
    }
    s
}

#[cfg(test)]
mod tests {
    use super::Printable;

    #[test]
    fn printable_shows_each_unprintable_byte_as_a_dot() {
        let shown = |b: &[u8]| Printable(b).to_string();
        assert_eq!(shown(b""), "");
        assert_eq!(shown(b"GET / HTTP/1.1\r\n"), "GET / HTTP/1.1..");
        assert_eq!(shown(b"\0\0a b\xff"), "..a b.");
        assert_eq!(shown("é".as_bytes()), "..");
    }

    #[test]
    fn open_flags_index_is_the_flags_parameter_of_open_family_exits_only() {
        use crate::event_table::{all_events, Direction};
        let mut exits = 0;
        for info in all_events() {
            let expected = if info.direction == Direction::Exit && super::OPEN_FAMILY.contains(&info.name) {
                info.param_index("flags")
            } else {
                None
            };
            assert_eq!(
                super::open_flags_index(info.code),
                expected,
                "{} {:?}",
                info.name,
                info.direction
            );
            exits += expected.is_some() as usize;
        }
        assert!(exits >= 4, "open, openat, openat2, open_by_handle_at exits have flags");
        assert_eq!(super::open_flags_index(u16::MAX), None);
    }
}
