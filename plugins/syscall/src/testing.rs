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

/// An event of any `code` in the table with every parameter set to a small sample of its type
/// (integers of their width, paths, an IPv4 tuple and address, a two-entry fd list …): seeds
/// for fuzzing the decoder over every event type. `None` for codes outside the table.
pub fn sample_event(code: u16, ts: u64, tid: i64) -> Option<Vec<u8>> {
    use ParamType as T;
    let info = event_info(code)?;
    let mut out = Vec::new();
    let mut w = EventWriter::begin(&mut out, ts, tid as u64, code, info.params.len() as u32);
    for p in info.params {
        let bytes: Vec<u8> = match p.param_type {
            T::CharBuf | T::FsPath | T::FsRelPath => b"/tmp/sample\0".to_vec(),
            T::CharBufArray => b"a\0bc\0".to_vec(),
            T::CharBufPairArray => b"k\0v\0".to_vec(),
            T::ByteBuf | T::Dyn => vec![0, 1, 2, 3],
            // AF_INET (2 in scap's family codes), 127.0.0.1:80.
            T::SockAddr => vec![2, 127, 0, 0, 1, 80, 0],
            T::SockTuple => vec![2, 127, 0, 0, 1, 0x39, 0x30, 127, 0, 0, 2, 80, 0],
            T::FdList => vec![2, 0, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 4, 0],
            T::Ipv4Addr => vec![10, 0, 0, 1],
            T::Ipv6Addr => [0u8; 15].iter().copied().chain([1]).collect(),
            T::None => Vec::new(),
            t => 0x0102_0304_0506_0708u64.to_le_bytes()[..int_width(t)].to_vec(),
        };
        w.param(&bytes).ok()?;
    }
    w.finish().ok()?;
    Some(out)
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
