//! `fs.path.*`: the path(s) a filesystem syscall acts on, for successful calls.

use super::defs::FieldId;
use std::borrow::Cow;

use super::sink::Sink;
use crate::event_table::ParamType;
use crate::params::{DecodedEvent, ParamValue};
use crate::state::resolve_path;
use crate::state::ThreadTable;

/// Where a path comes from.
#[derive(Clone, Copy)]
enum PathSource {
    Param(&'static str),
    /// The name of the event's fd (fchmod, fchown).
    FdName,
}

/// When the call counts as successful (libsinsp only fills the fields then).
#[derive(Clone, Copy)]
enum Success {
    ResZero,
    /// `evt.rawarg.fd != -1` (literally: a failed open's -errno passes).
    FdNotMinusOne,
}

struct FsPathRule {
    event: &'static str,
    success: Success,
    path: Option<PathSource>,
    source: Option<PathSource>,
    target: Option<PathSource>,
}

const fn single(event: &'static str, success: Success, path: PathSource) -> FsPathRule {
    FsPathRule {
        event,
        success,
        path: Some(path),
        source: None,
        target: None,
    }
}

const fn pair(event: &'static str, source: &'static str, target: &'static str) -> FsPathRule {
    FsPathRule {
        event,
        success: Success::ResZero,
        path: None,
        source: Some(PathSource::Param(source)),
        target: Some(PathSource::Param(target)),
    }
}

use PathSource::{FdName, Param};
use Success::{FdNotMinusOne, ResZero};

/// libsinsp's per-event fs.path table (exit events).
const RULES: &[FsPathRule] = &[
    single("mkdir", ResZero, Param("path")),
    single("mkdirat", ResZero, Param("path")),
    single("rmdir", ResZero, Param("path")),
    single("unlink", ResZero, Param("path")),
    single("unlinkat", ResZero, Param("name")),
    single("open", FdNotMinusOne, Param("name")),
    single("openat", FdNotMinusOne, Param("name")),
    single("openat2", FdNotMinusOne, Param("name")),
    single("fchmodat", ResZero, Param("filename")),
    single("chmod", ResZero, Param("filename")),
    single("fchmod", ResZero, FdName),
    single("chown", ResZero, Param("path")),
    single("lchown", ResZero, Param("path")),
    single("fchown", ResZero, FdName),
    single("fchownat", ResZero, Param("pathname")),
    single("quotactl", ResZero, Param("special")),
    single("umount", ResZero, Param("name")),
    single("umount2", ResZero, Param("name")),
    pair("rename", "oldpath", "newpath"),
    pair("renameat", "oldpath", "newpath"),
    pair("renameat2", "oldpath", "newpath"),
    pair("link", "newpath", "oldpath"),
    pair("linkat", "newpath", "oldpath"),
    pair("symlink", "linkpath", "target"),
    pair("symlinkat", "linkpath", "target"),
    pair("mount", "dev", "dir"),
];

fn int_param(ev: &DecodedEvent<'_>, name: &str) -> Option<i64> {
    match ev.param_by_name(name)?.ok()? {
        ParamValue::Signed(v) => Some(v),
        ParamValue::Unsigned(v) => Some(v as i64),
        _ => None,
    }
}

/// Raw path and its resolved form (borrowed from the event or the state where they exist).
fn path_of<'a>(ev: &DecodedEvent<'a>, src: PathSource, state: &'a ThreadTable) -> Option<(Cow<'a, str>, Cow<'a, str>)> {
    let tid = ev.event.tid() as i64;
    match src {
        PathSource::FdName => {
            let f = super::state::event_fd_info(ev, state)?;
            Some((Cow::Borrowed(&f.name), Cow::Borrowed(&f.name)))
        }
        PathSource::Param(name) => {
            let i = ev.info.param_index(name)?;
            let raw = match ev.param(i)?.ok()? {
                ParamValue::Str(s) => String::from_utf8_lossy(s),
                _ => return None,
            };
            if raw.starts_with('/') {
                let resolved = resolve_path("/", &raw);
                return Some((raw, Cow::Owned(resolved)));
            }
            // Relative: against the nearest preceding dirfd for *at calls, else the cwd.
            let dirfd = (ev.info.params[i].param_type == ParamType::FsRelPath)
                .then(|| (0..i).rev().find(|&j| ev.info.params[j].param_type == ParamType::Fd))
                .flatten()
                .and_then(|j| int_param(ev, ev.info.params[j].name));
            let base = match dirfd {
                Some(d) if d >= 0 => state.fd(tid, d).map(|f| f.name.as_str()),
                _ => state.thread(tid).map(|t| t.cwd.as_str()),
            };
            let base = base.unwrap_or("<UNKNOWN>");
            // An empty path names the base directory itself.
            let resolved = if raw.is_empty() {
                resolve_path("/", base)
            } else {
                resolve_path(base, &raw)
            };
            Some((raw, Cow::Owned(resolved)))
        }
    }
}

/// Extracts an `fs.path.*` field; `false` when `id` is not one.
pub fn extract_fspath_field(id: FieldId, ev: &DecodedEvent<'_>, state: &ThreadTable, out: &mut impl Sink) -> bool {
    use FieldId as F;
    let (pick, raw) = match id {
        F::FsPathName => (0, false),
        F::FsPathNameraw => (0, true),
        F::FsPathSource => (1, false),
        F::FsPathSourceraw => (1, true),
        F::FsPathTarget => (2, false),
        F::FsPathTargetraw => (2, true),
        _ => return false,
    };
    if ev.info.direction != crate::event_table::Direction::Exit {
        return true;
    }
    let Some(rule) = RULES.iter().find(|r| r.event == ev.info.name) else {
        return true;
    };
    let ok = match rule.success {
        Success::ResZero => int_param(ev, "res") == Some(0),
        Success::FdNotMinusOne => int_param(ev, "fd").is_some_and(|fd| fd != -1),
    };
    if !ok {
        return true;
    }
    let src = [rule.path, rule.source, rule.target][pick];
    if let Some((r, resolved)) = src.and_then(|s| path_of(ev, s, state)) {
        out.str(if raw { &r } else { &resolved });
    }
    true
}
