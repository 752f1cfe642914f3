//! Events built by syscall and parameter name, for tests and benchmarks of the state and the
//! fields (current event versions; parameters not given are empty).

use plugin_api::event::EventWriter;

use crate::event_table::{current_code, event_info, Direction, ParamType};

/// A parameter value: an integer (written at the parameter's width), a string (written with
/// its NUL) or raw bytes.
pub enum Arg<'a> {
    I(i64),
    S(&'a str),
    B(&'a [u8]),
}

/// Encodes the current `name` event of direction `dir` with the named `params` set.
///
/// # Panics
/// When `name` has no current event in that direction (a mistake in the calling test).
pub fn encode_event(name: &str, dir: Direction, ts: u64, tid: i64, params: &[(&str, Arg<'_>)]) -> Vec<u8> {
    let code = current_code(name, dir).unwrap_or_else(|| panic!("no current {name} {dir:?} event"));
    let info = event_info(code).expect("current codes are in the table");
    let mut out = Vec::new();
    let mut w = EventWriter::begin(&mut out, ts, tid as u64, code, info.params.len() as u32);
    for p in info.params {
        let bytes: Vec<u8> = match params.iter().find(|(n, _)| *n == p.name).map(|(_, v)| v) {
            None => Vec::new(),
            Some(Arg::S(s)) => [s.as_bytes(), &[0]].concat(),
            Some(Arg::B(b)) => b.to_vec(),
            Some(Arg::I(v)) => v.to_le_bytes()[..int_width(p.param_type)].to_vec(),
        };
        w.param(&bytes).expect("test parameters fit an event");
    }
    w.finish().expect("test events fit their length fields");
    out
}

/// Bytes of an integer parameter of type `t`.
fn int_width(t: ParamType) -> usize {
    use ParamType as T;
    match t {
        T::Uint8 | T::Int8 | T::Flags8 | T::EnumFlags8 => 1,
        T::Uint16 | T::Int16 | T::Flags16 | T::EnumFlags16 => 2,
        T::Uint32 | T::Int32 | T::Flags32 | T::EnumFlags32 | T::Uid | T::Gid | T::Mode => 4,
        _ => 8,
    }
}
