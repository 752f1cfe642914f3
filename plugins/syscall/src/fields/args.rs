//! `evt.arg.*` / `evt.args` rendering with state: fd numbers show the fd (`<f>/etc/passwd`),
//! pids the process name, uids/gids the user/group name, relative paths the absolute path.

use std::fmt::Write as _;

use crate::event_table::ParamType;
use crate::flags;
use crate::params::{render_value, DecodedEvent, ParamValue};
use crate::state::{resolve_path, FdInfo, L4Proto, ThreadTable};

/// Name libsinsp shows for an unknown user or group.
const UNKNOWN_NAME: &str = "<NA>";
/// Name libsinsp shows for uid/gid -1.
const NO_ID_NAME: &str = "<NONE>";
/// `AT_FDCWD`: a dirfd meaning "relative to the cwd".
const AT_FDCWD: i64 = -100;

/// The raw rendering of a value: numbers alone (hex where libsinsp uses hex), the rest as the
/// state-free renderer shows it.
fn raw(ev: &DecodedEvent<'_>, name: &str, pt: Option<ParamType>, v: &ParamValue<'_>) -> String {
    let mut s = String::new();
    match v {
        ParamValue::Signed(n) if *n >= 0 && flags::is_hex_param(ev.info.name, name) => {
            let _ = write!(s, "{n:X}");
        }
        // `%X` of a negative integer of the parameter's width, as params.rs renders it.
        ParamValue::Signed(n) if matches!(pt, Some(ParamType::Int32)) && flags::is_hex_param(ev.info.name, name) => {
            let _ = write!(s, "{:X}", *n as u32);
        }
        ParamValue::Signed(n) => {
            let _ = write!(s, "{n}");
        }
        ParamValue::Unsigned(n) if flags::is_hex_param(ev.info.name, name) => {
            let _ = write!(s, "{n:X}");
        }
        ParamValue::Unsigned(n) if flags::is_octal_param(ev.info.name, name) => flags::write_octal(&mut s, *n),
        ParamValue::Unsigned(n) => {
            let _ = write!(s, "{n}");
        }
        other => render_value(&mut s, ev.info, name, pt, other),
    }
    s
}

/// `<f>`, `<4t>`…: the fd's type letter and, for inet sockets, the protocol letter.
fn fd_tag(f: &FdInfo) -> String {
    let proto = match f.socket.as_ref().map(|s| s.l4proto) {
        Some(L4Proto::Tcp) => "t",
        Some(L4Proto::Udp) => "u",
        Some(L4Proto::Icmp) => "i",
        Some(L4Proto::Raw) => "r",
        _ => "",
    };
    format!("<{}{proto}>{}", f.fd_type.as_char(), f.name)
}

fn int_of(v: &ParamValue<'_>) -> Option<i64> {
    match v {
        ParamValue::Signed(n) => Some(*n),
        ParamValue::Unsigned(n) => Some(*n as i64),
        _ => None,
    }
}

/// The directory a relative path parameter `i` is resolved against: the nearest preceding
/// fd parameter for `PT_FSRELPATH` (dirfd, olddirfd, linkdirfd…), else the thread's cwd.
fn base_dir(ev: &DecodedEvent<'_>, i: usize, state: &ThreadTable) -> Option<String> {
    let tid = ev.event.tid() as i64;
    let cwd = || state.thread(tid).map(|t| t.cwd.clone()).filter(|c| !c.is_empty());
    if ev.info.params.get(i)?.param_type != ParamType::FsRelPath {
        return cwd();
    }
    let dirfd = (0..i)
        .rev()
        .find(|&j| ev.info.params[j].param_type == ParamType::Fd)
        .and_then(|j| ev.param(j)?.ok())
        .and_then(|v| int_of(&v));
    match dirfd {
        Some(d) if d != AT_FDCWD && d >= 0 => state.fd(tid, d).map(|f| f.name.clone()),
        _ => cwd(),
    }
}

/// Raw and resolved renderings of parameter `i` (resolved empty when there is none).
pub fn param_strings(ev: &DecodedEvent<'_>, i: usize, state: &ThreadTable) -> Option<(String, String)> {
    let value = ev.param(i)?;
    let p = ev.info.params.get(i);
    let name = p.map_or("", |p| p.name);
    let pt = p.map(|p| p.param_type);
    let Ok(v) = value else {
        return Some(("<invalid>".to_owned(), String::new()));
    };
    if v == ParamValue::Empty {
        return None;
    }
    let tid = ev.event.tid() as i64;
    let resolved: Option<String> = match (pt, &v) {
        (Some(ParamType::Errno | ParamType::Fd | ParamType::Fd32), ParamValue::Signed(n)) if *n < 0 => {
            n.checked_neg().and_then(flags::errno_name).map(str::to_owned)
        }
        (Some(ParamType::Fd | ParamType::Fd32), _) => int_of(&v)
            .and_then(|fd| {
                state
                    .fd(tid, fd)
                    .or_else(|| state.last_event_fd().filter(|f| f.fd == fd))
            })
            .map(fd_tag),
        (Some(ParamType::Pid | ParamType::Pid32), _) => {
            int_of(&v).and_then(|pid| state.thread(pid)).map(|t| t.comm.clone())
        }
        (Some(ParamType::Uid), ParamValue::Unsigned(u)) => Some(match u32::try_from(*u) {
            Ok(u32::MAX) | Err(_) => NO_ID_NAME.to_owned(),
            Ok(uid) => state
                .users()
                .user(uid)
                .map_or(UNKNOWN_NAME.to_owned(), |u| u.name.clone()),
        }),
        (Some(ParamType::Gid), ParamValue::Unsigned(g)) => Some(match u32::try_from(*g) {
            Ok(u32::MAX) | Err(_) => NO_ID_NAME.to_owned(),
            Ok(gid) => state
                .users()
                .group(gid)
                .map_or(UNKNOWN_NAME.to_owned(), |g| g.name.clone()),
        }),
        (Some(ParamType::FsPath | ParamType::FsRelPath), ParamValue::Str(s)) if !s.is_empty() && s[0] != b'/' => {
            base_dir(ev, i, state).map(|b| resolve_path(&b, &String::from_utf8_lossy(s)))
        }
        (Some(ParamType::SyscallId), ParamValue::Unsigned(_)) => Some(super::event_type_name(ev).into_owned()),
        (Some(ParamType::SigType), ParamValue::Unsigned(n)) => flags::signal_name(*n).map(str::to_owned),
        (_, ParamValue::Unsigned(n)) if !flags::is_hex_param(ev.info.name, name) => {
            flags::table_for(ev.info.name, name).map(|t| t.render(*n))
        }
        _ => None,
    };
    Some((raw(ev, name, pt, &v), resolved.unwrap_or_default()))
}

/// `evt.arg.NAME`: the resolved rendering when non-empty, else the raw one.
pub fn arg_value(ev: &DecodedEvent<'_>, i: usize, state: &ThreadTable) -> Option<String> {
    let (raw, resolved) = param_strings(ev, i, state)?;
    Some(if resolved.is_empty() { raw } else { resolved })
}

/// `evt.args`: `name=raw(resolved) ` for every parameter (each followed by a space, as
/// libsinsp prints it).
pub fn args_line(ev: &DecodedEvent<'_>, state: &ThreadTable) -> String {
    ArgsLine { ev, state }.to_string()
}

/// [`args_line`] written where it is shown (no intermediate line).
pub(super) struct ArgsLine<'a, 'e> {
    pub ev: &'a DecodedEvent<'e>,
    pub state: &'a ThreadTable,
}

impl std::fmt::Display for ArgsLine<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ev = self.ev;
        for i in 0..ev.event.nparams() as usize {
            f.write_str(ev.info.params.get(i).map_or("", |p| p.name))?;
            f.write_str("=")?;
            if let Some((raw, resolved)) = param_strings(ev, i, self.state) {
                f.write_str(&raw)?;
                if !resolved.is_empty() {
                    write!(f, "({resolved})")?;
                }
            }
            f.write_str(" ")?;
        }
        Ok(())
    }
}
