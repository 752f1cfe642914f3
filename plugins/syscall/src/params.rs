//! Typed decoding of event parameters by their `PT_*` type, and rendering in libsinsp's
//! `evt.arg.NAME` / `evt.args` text form (state-free part: fd/pid/uid names come with state).

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use plugin_api::event::EventRef;

use crate::event_table::{event_info, EventInfo, ParamType};
use crate::flags;

/// Socket address families as encoded by the drivers (`PPM_AF_*`).
pub const PPM_AF_UNIX: u8 = 1;
pub const PPM_AF_INET: u8 = 2;
pub const PPM_AF_INET6: u8 = 10;
/// Bytes libsinsp shows of a byte buffer in `evt.args` before cutting it off.
pub const BYTEBUF_RENDER_LIMIT: usize = 80;

/// Why a parameter could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("parameter {name:?} of type {param_type:?} must be {expected} bytes but is {found}")]
    BadLength {
        name: &'static str,
        param_type: ParamType,
        expected: &'static str,
        found: usize,
    },
    #[error("parameter {name:?}: socket family {family} is not AF_UNIX(1), AF_INET(2) or AF_INET6(10)")]
    UnknownFamily { name: &'static str, family: u8 },
    #[error("event type {event_type} is not in the event table (codes 0..{max})")]
    UnknownEventType { event_type: u16, max: u16 },
}

/// A socket address (`PT_SOCKADDR`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SockAddr<'a> {
    Unix(&'a [u8]),
    V4(Ipv4Addr, u16),
    V6(Ipv6Addr, u16),
    /// Another family: its number and the undecoded rest.
    Other(u8, &'a [u8]),
}

/// A connection tuple (`PT_SOCKTUPLE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SockTuple<'a> {
    Unix { source: u64, dest: u64, path: &'a [u8] },
    V4 { src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16) },
    V6 { src: (Ipv6Addr, u16), dst: (Ipv6Addr, u16) },
    Other(u8, &'a [u8]),
}

/// A decoded parameter value.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue<'a> {
    /// Zero-length parameter: value not available.
    Empty,
    Signed(i64),
    Unsigned(u64),
    Double(f64),
    Bool(bool),
    /// `PT_CHARBUF`, `PT_FSPATH`, `PT_FSRELPATH` without the trailing NUL.
    Str(&'a [u8]),
    Bytes(&'a [u8]),
    SockAddr(SockAddr<'a>),
    SockTuple(SockTuple<'a>),
    /// `(fd, flags)` pairs.
    FdList(Vec<(u64, u16)>),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
    /// Strings of a `PT_CHARBUFARRAY`.
    StrArray(Vec<&'a [u8]>),
    /// `PT_DYN`: index into the parameter's dynamic type list, and the undecoded value.
    Dyn {
        index: u8,
        bytes: &'a [u8],
    },
}

fn int_le(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a[..b.len()].copy_from_slice(b);
    u64::from_le_bytes(a)
}

fn sign_extend(v: u64, width: usize) -> i64 {
    let shift = 64 - 8 * width as u32;
    ((v << shift) as i64) >> shift
}

fn strip_nul(b: &[u8]) -> &[u8] {
    b.strip_suffix(&[0]).unwrap_or(b)
}

fn port(b: &[u8]) -> u16 {
    u16::from_le_bytes([b[0], b[1]])
}

fn ipv4(b: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

fn ipv6(b: &[u8]) -> Ipv6Addr {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[..16]);
    Ipv6Addr::from(a)
}

/// Decodes one parameter by its table type. `name` only labels errors.
pub fn decode<'a>(name: &'static str, pt: ParamType, b: &'a [u8]) -> Result<ParamValue<'a>, ParamError> {
    use ParamType as T;
    if b.is_empty() {
        return Ok(ParamValue::Empty);
    }
    let bad = |expected: &'static str| ParamError::BadLength {
        name,
        param_type: pt,
        expected,
        found: b.len(),
    };
    let fixed = |w: usize, expected: &'static str| {
        if b.len() == w {
            Ok(int_le(b))
        } else {
            Err(bad(expected))
        }
    };
    Ok(match pt {
        T::Int8 => ParamValue::Signed(sign_extend(fixed(1, "1")?, 1)),
        T::Int16 => ParamValue::Signed(sign_extend(fixed(2, "2")?, 2)),
        T::Int32 | T::Fd32 | T::Pid32 => ParamValue::Signed(sign_extend(fixed(4, "4")?, 4)),
        // Old captures store some 64-bit returns in 4 bytes; libsinsp accepts both.
        T::Int64 | T::Errno | T::Fd | T::Pid => match b.len() {
            8 => ParamValue::Signed(int_le(b) as i64),
            4 => ParamValue::Signed(sign_extend(int_le(b), 4)),
            _ => return Err(bad("8 (or 4)")),
        },
        T::Uint8 | T::SigType | T::L4Proto | T::SockFamily | T::Flags8 | T::EnumFlags8 => {
            ParamValue::Unsigned(fixed(1, "1")?)
        }
        T::Uint16 | T::Port | T::SyscallId | T::Flags16 | T::EnumFlags16 => ParamValue::Unsigned(fixed(2, "2")?),
        T::Uint32 | T::Flags32 | T::EnumFlags32 | T::Uid | T::Gid | T::SigSet | T::Mode => {
            ParamValue::Unsigned(fixed(4, "4")?)
        }
        T::Uint64 | T::RelTime | T::AbsTime => match b.len() {
            8 => ParamValue::Unsigned(int_le(b)),
            4 => ParamValue::Unsigned(int_le(b)),
            _ => return Err(bad("8 (or 4)")),
        },
        T::Bool => ParamValue::Bool(fixed(4, "4")? != 0),
        T::Double => ParamValue::Double(f64::from_bits(fixed(8, "8")?)),
        T::CharBuf | T::FsPath | T::FsRelPath => ParamValue::Str(strip_nul(b)),
        T::ByteBuf | T::None | T::CharBufPairArray | T::Ipv4Net | T::Ipv6Net | T::IpNet => ParamValue::Bytes(b),
        T::CharBufArray => ParamValue::StrArray(strip_nul(b).split(|c| *c == 0).collect()),
        T::Ipv4Addr => {
            if b.len() != 4 {
                return Err(bad("4"));
            }
            ParamValue::Ipv4(ipv4(b))
        }
        T::Ipv6Addr => {
            if b.len() != 16 {
                return Err(bad("16"));
            }
            ParamValue::Ipv6(ipv6(b))
        }
        T::IpAddr => match b.len() {
            4 => ParamValue::Ipv4(ipv4(b)),
            16 => ParamValue::Ipv6(ipv6(b)),
            _ => return Err(bad("4 or 16")),
        },
        T::SockAddr => ParamValue::SockAddr(decode_sockaddr(name, b)?),
        T::SockTuple => ParamValue::SockTuple(decode_socktuple(name, b)?),
        T::FdList => {
            const ENTRY_LEN: usize = 10;
            let count = if b.len() >= 2 {
                port(b) as usize
            } else {
                return Err(bad("2 + 10*count"));
            };
            if b.len() != 2 + count * ENTRY_LEN {
                return Err(bad("2 + 10*count"));
            }
            ParamValue::FdList(
                b[2..]
                    .chunks_exact(ENTRY_LEN)
                    .map(|c| (int_le(&c[..8]), u16::from_le_bytes([c[8], c[9]])))
                    .collect(),
            )
        }
        T::Dyn => ParamValue::Dyn {
            index: b[0],
            bytes: &b[1..],
        },
    })
}

fn decode_sockaddr<'a>(name: &'static str, b: &'a [u8]) -> Result<SockAddr<'a>, ParamError> {
    let bad = |expected| ParamError::BadLength {
        name,
        param_type: ParamType::SockAddr,
        expected,
        found: b.len(),
    };
    Ok(match b[0] {
        PPM_AF_UNIX => SockAddr::Unix(strip_nul(&b[1..])),
        // Longer inet addresses are read from their start (libsinsp `is_sockaddr_valid`).
        PPM_AF_INET if b.len() >= 7 => SockAddr::V4(ipv4(&b[1..5]), port(&b[5..7])),
        PPM_AF_INET => return Err(bad("at least 7 for AF_INET")),
        PPM_AF_INET6 if b.len() >= 19 => SockAddr::V6(ipv6(&b[1..17]), port(&b[17..19])),
        PPM_AF_INET6 => return Err(bad("at least 19 for AF_INET6")),
        f => SockAddr::Other(f, &b[1..]),
    })
}

fn decode_socktuple<'a>(name: &'static str, b: &'a [u8]) -> Result<SockTuple<'a>, ParamError> {
    let bad = |expected| ParamError::BadLength {
        name,
        param_type: ParamType::SockTuple,
        expected,
        found: b.len(),
    };
    Ok(match b[0] {
        PPM_AF_UNIX if b.len() >= 17 => SockTuple::Unix {
            source: int_le(&b[1..9]),
            dest: int_le(&b[9..17]),
            path: strip_nul(&b[17..]),
        },
        PPM_AF_UNIX => return Err(bad("at least 17 for AF_UNIX")),
        // Longer inet tuples are read from their start (libsinsp `is_socktuple_valid`).
        PPM_AF_INET if b.len() >= 13 => SockTuple::V4 {
            src: (ipv4(&b[1..5]), port(&b[5..7])),
            dst: (ipv4(&b[7..11]), port(&b[11..13])),
        },
        PPM_AF_INET => return Err(bad("at least 13 for AF_INET")),
        PPM_AF_INET6 if b.len() >= 37 => SockTuple::V6 {
            src: (ipv6(&b[1..17]), port(&b[17..19])),
            dst: (ipv6(&b[19..35]), port(&b[35..37])),
        },
        PPM_AF_INET6 => return Err(bad("at least 37 for AF_INET6")),
        f => SockTuple::Other(f, &b[1..]),
    })
}

/// An event with its table row, for typed parameter access.
#[derive(Debug, Clone, Copy)]
pub struct DecodedEvent<'a> {
    pub event: EventRef<'a>,
    pub info: &'static EventInfo,
}

impl<'a> DecodedEvent<'a> {
    /// Looks up the event's type in the table.
    pub fn new(event: EventRef<'a>) -> Result<Self, ParamError> {
        let info = event_info(event.event_type()).ok_or(ParamError::UnknownEventType {
            event_type: event.event_type(),
            max: crate::event_table::EVENT_TYPE_COUNT,
        })?;
        Ok(DecodedEvent { event, info })
    }

    /// Parameter `i` decoded by its table type. Parameters beyond the table (newer writers)
    /// are returned as bytes.
    pub fn param(&self, i: usize) -> Option<Result<ParamValue<'a>, ParamError>> {
        let raw = self.event.param(i)?;
        Some(match self.info.params.get(i) {
            Some(p) => decode(p.name, p.param_type, raw),
            None => Ok(ParamValue::Bytes(raw)),
        })
    }

    /// Parameter called `name` (as in `evt.arg.NAME`).
    pub fn param_by_name(&self, name: &str) -> Option<Result<ParamValue<'a>, ParamError>> {
        self.param(self.info.param_index(name)?)
    }

    /// `evt.arg.NAME` rendering of parameter `i`.
    pub fn render_param(&self, i: usize) -> Option<String> {
        let value = self.param(i)?;
        let p = self.info.params.get(i);
        let mut s = String::new();
        match value {
            Ok(v) => render_value(&mut s, self.info, p.map_or("", |p| p.name), p.map(|p| p.param_type), &v),
            Err(_) => s.push_str("<invalid>"),
        }
        Some(s)
    }

    /// `evt.args`: `name=value` for every parameter, space-separated.
    pub fn render_args(&self) -> String {
        let mut out = String::new();
        for i in 0..self.event.nparams() as usize {
            let name = self.info.params.get(i).map_or("", |p| p.name);
            if i > 0 {
                out.push(' ');
            }
            out.push_str(name);
            out.push('=');
            if let Some(v) = self.render_param(i) {
                out.push_str(&v);
            }
        }
        out
    }
}

/// Printable ASCII as is, other bytes as `.`; longer than `limit` ⇒ cut to `limit` chars
/// ending in `...`.
fn push_printable(out: &mut String, b: &[u8], limit: usize) {
    const ELLIPSIS: &str = "...";
    let shown = if b.len() > limit {
        limit - ELLIPSIS.len()
    } else {
        b.len()
    };
    for &c in &b[..shown] {
        out.push(if c.is_ascii_graphic() || c == b' ' {
            c as char
        } else {
            '.'
        });
    }
    if shown < b.len() {
        out.push_str(ELLIPSIS);
    }
}

/// A unix socket tuple's text, `source->dest path` with the kernel addresses in lowercase hex
/// (libsinsp's rendering, and the name it gives a connected or accepted unix socket).
pub fn write_unix_tuple(out: &mut String, source: u64, dest: u64, path: &[u8]) {
    use std::fmt::Write;
    // Writing to a String cannot fail.
    let _ = write!(out, "{source:x}->{dest:x} {}", String::from_utf8_lossy(path));
}

/// Renders a decoded value as libsinsp does for `evt.arg.*` without thread/fd state.
pub fn render_value(out: &mut String, info: &EventInfo, name: &str, pt: Option<ParamType>, v: &ParamValue<'_>) {
    use ParamType as T;
    match v {
        ParamValue::Empty => {}
        ParamValue::Signed(n) if *n >= 0 && flags::is_hex_param(info.name, name) => {
            let _ = write!(out, "{n:X}");
        }
        // `%X` of a negative integer of the parameter's width (semget's key -1 is FFFFFFFF);
        // a negative errno stays a decimal errno.
        ParamValue::Signed(n) if matches!(pt, Some(T::Int32)) && flags::is_hex_param(info.name, name) => {
            let _ = write!(out, "{:X}", *n as u32);
        }
        ParamValue::Signed(n) => {
            let _ = write!(out, "{n}");
            if matches!(pt, Some(T::Errno)) && *n < 0 {
                // i64::MIN has no positive counterpart (found by fuzzing).
                if let Some(e) = n.checked_neg().and_then(flags::errno_name) {
                    let _ = write!(out, "({e})");
                }
            }
        }
        ParamValue::Unsigned(n) if matches!(pt, Some(T::SigType)) => {
            let _ = write!(out, "{n}");
            if let Some(sig) = flags::signal_name(*n) {
                let _ = write!(out, "({sig})");
            }
        }
        ParamValue::Unsigned(n) => {
            if flags::is_hex_param(info.name, name) {
                let _ = write!(out, "{n:X}");
                return;
            }
            if flags::is_octal_param(info.name, name) {
                flags::write_octal(out, *n);
            } else {
                let _ = write!(out, "{n}");
            }
            if let Some(table) = flags::table_for(info.name, name) {
                let names = table.render(*n);
                if !names.is_empty() {
                    let _ = write!(out, "({names})");
                }
            }
        }
        ParamValue::Double(d) => {
            let _ = write!(out, "{d}");
        }
        ParamValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ParamValue::Str(s) => out.push_str(&String::from_utf8_lossy(s)),
        ParamValue::Bytes(b) => push_printable(out, b, BYTEBUF_RENDER_LIMIT),
        ParamValue::SockAddr(a) => match a {
            SockAddr::Unix(p) => out.push_str(&String::from_utf8_lossy(p)),
            SockAddr::V4(ip, port) => {
                let _ = write!(out, "{ip}:{port}");
            }
            SockAddr::V6(ip, port) => {
                let _ = write!(out, "{ip}:{port}");
            }
            SockAddr::Other(f, _) => {
                let _ = write!(out, "family {f}");
            }
        },
        ParamValue::SockTuple(t) => match t {
            SockTuple::Unix { source, dest, path } => write_unix_tuple(out, *source, *dest, path),
            SockTuple::V4 { src, dst } => {
                let _ = write!(out, "{}:{}->{}:{}", src.0, src.1, dst.0, dst.1);
            }
            SockTuple::V6 { src, dst } => {
                let _ = write!(out, "{}:{}->{}:{}", src.0, src.1, dst.0, dst.1);
            }
            SockTuple::Other(f, _) => {
                let _ = write!(out, "family {f}");
            }
        },
        ParamValue::FdList(l) => {
            for (i, (fd, fl)) in l.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                let _ = write!(out, "{fd}:{fl}");
            }
        }
        ParamValue::Ipv4(ip) => {
            let _ = write!(out, "{ip}");
        }
        ParamValue::Ipv6(ip) => {
            let _ = write!(out, "{ip}");
        }
        ParamValue::StrArray(a) => {
            for (i, s) in a.iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                out.push_str(&String::from_utf8_lossy(s));
            }
        }
        ParamValue::Dyn { index, bytes } => match dyn_value(info.name, name, *index, bytes) {
            Some((pt, value)) => render_value(out, info, name, Some(pt), &value),
            None => push_printable(out, bytes, BYTEBUF_RENDER_LIMIT),
        },
    }
}

/// The type and value of a `PT_DYN` parameter, from the index byte that precedes the value
/// (the drivers' dynamic parameter tables); `None` renders the bytes as they are.
fn dyn_value<'a>(event: &str, param: &str, index: u8, bytes: &'a [u8]) -> Option<(ParamType, ParamValue<'a>)> {
    use ParamType as T;
    let pt = match (event, param, index) {
        // keyctl_dynamic_param: PPM_KEYCTL_IDX_INT64, PPM_KEYCTL_IDX_CHARBUF
        ("keyctl", "arg2" | "arg3" | "arg4" | "arg5", 0) => T::Int64,
        ("keyctl", "arg2" | "arg3" | "arg4" | "arg5", 1) => {
            return Some((T::CharBuf, ParamValue::Str(strip_nul(bytes))));
        }
        ("ptrace", "addr" | "data", 0) => T::Uint64,
        ("ptrace", "addr" | "data", 1) => T::SigType,
        ("bpf", "res_or_fd", 0) => T::Fd,
        ("bpf", "res_or_fd", 1) | ("getsockopt" | "setsockopt", "val", 1) => T::Errno,
        ("getsockopt" | "setsockopt", "val", 2) => T::Uint32,
        ("getsockopt" | "setsockopt", "val", 3) => T::Uint64,
        // a timeval, as relative nanoseconds
        ("getsockopt" | "setsockopt", "val", 4) => T::RelTime,
        _ => return None,
    };
    let raw = (!bytes.is_empty() && bytes.len() <= 8).then(|| int_le(bytes))?;
    let value = match pt {
        T::Fd | T::Errno | T::Int64 => ParamValue::Signed(sign_extend(raw, bytes.len())),
        _ => ParamValue::Unsigned(raw),
    };
    Some((pt, value))
}

#[cfg(test)]
mod tests;
