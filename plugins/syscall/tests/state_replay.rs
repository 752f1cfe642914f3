//! Replaying Falco's conformance captures into the process/fd state, checked against
//! `sysdig -r` (an independent libsinsp build) as an oracle where it is installed.

mod common;

use std::path::Path;
use std::process::Command;

use syscall::event_table::{event_info, Direction};
use syscall::replay::{clone_meta, CaptureReplay};
use syscall::state::ThreadTable;

const SEP: &str = "\u{1f}";

/// One line per open/openat exit with a valid fd: proc.name, proc.pname, proc.cmdline, fd.name.
fn our_open_lines(path: &Path) -> (Vec<String>, ThreadTable) {
    our_open_lines_with(path, |_, _| {})
}

/// Like [`our_open_lines`], calling `check(state, tid)` after each successful open.
fn our_open_lines_with(path: &Path, mut check: impl FnMut(&ThreadTable, i64)) -> (Vec<String>, ThreadTable) {
    let mut r = CaptureReplay::open(path).unwrap();
    let mut st = ThreadTable::new();
    let mut out = Vec::new();
    loop {
        let mut metas = Vec::new();
        let Some(ev) = r.next_event(|m| metas.push(clone_meta(m))).unwrap() else {
            break;
        };
        for m in metas.iter().flatten() {
            st.apply_capture_item(m);
        }
        st.parse_event(ev).unwrap();
        let info = event_info(ev.event_type()).unwrap();
        if info.direction != Direction::Exit || !matches!(info.name, "open" | "openat") {
            continue;
        }
        let fd = i64::from_le_bytes(ev.param(0).unwrap().try_into().unwrap());
        if fd < 0 {
            continue;
        }
        let tid = ev.tid() as i64;
        let t = st.thread(tid);
        // A thread known only from its events has no comm: libsinsp shows it as <NA>.
        let t = t.filter(|t| !t.comm.is_empty());
        let name = t.map_or("<NA>".to_string(), |t| t.comm.clone());
        let pname = st
            .parent(tid)
            .filter(|p| !p.comm.is_empty())
            .map_or("<NA>".to_string(), |p| p.comm.clone());
        let cmdline = t.map_or("<NA>".to_string(), |t| t.cmdline());
        let fdname = st.fd(tid, fd).map_or("<NA>".to_string(), |f| f.name.clone());
        out.push([name, pname, cmdline, fdname].join(SEP));
        check(&st, tid);
    }
    (out, st)
}

fn sysdig_open_lines(path: &Path) -> Option<Vec<String>> {
    let out = Command::new("sysdig")
        .arg("-r")
        .arg(path)
        .arg("-p")
        .arg(format!("*%proc.name{SEP}%proc.pname{SEP}%proc.cmdline{SEP}%fd.name"))
        .arg("evt.type in (open, openat) and evt.dir=< and evt.rawres>=0")
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("sysdig failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect(),
    )
}

#[test]
fn every_capture_replays_into_state() {
    for path in common::captures() {
        let mut r = match CaptureReplay::open(&path) {
            Ok(r) => r,
            Err(e) => panic!("{}: {e}", path.display()),
        };
        let mut st = ThreadTable::new();
        let mut n = 0u64;
        loop {
            let mut metas = Vec::new();
            let next = r.next_event(|m| metas.push(clone_meta(m)));
            let ev = match next {
                Ok(Some(ev)) => ev,
                Ok(None) => break,
                Err(e) => panic!("{}: {e}", path.display()),
            };
            for m in metas.iter().flatten() {
                st.apply_capture_item(m);
            }
            st.parse_event(ev).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            n += 1;
        }
        assert_eq!(st.stats().events_parsed, n);
        let (done, total) = r.progress();
        assert_eq!(done, total, "{}: progress at the end", path.display());
        eprintln!("{}: {n} events, {} threads", path.display(), st.len());
    }
}

#[test]
fn open_events_match_sysdig() {
    let mut compared = 0;
    for path in common::captures() {
        if path.ends_with("empty.scap") {
            continue;
        }
        let Some(expected) = sysdig_open_lines(&path) else {
            eprintln!("skipped: sysdig not available");
            return;
        };
        let (ours, _) = our_open_lines(&path);
        assert_eq!(
            ours.len(),
            expected.len(),
            "{}: number of successful opens",
            path.display()
        );
        for (i, (a, b)) in ours.iter().zip(&expected).enumerate() {
            assert_eq!(a, b, "{}: open #{i}", path.display());
        }
        compared += ours.len();
    }
    eprintln!("{compared} opens compared");
}

#[test]
fn cat_write_state_has_cat_process() {
    let Some(dir) = common::trace_dir() else { return };
    let mut cat_opens = 0;
    our_open_lines_with(&dir.join("cat_write.scap"), |st, tid| {
        let t = st.thread(tid).unwrap();
        if t.comm != "cat" {
            return;
        }
        cat_opens += 1;
        // As `sysdig -r cat_write.scap -p '%thread.tid %proc.pid %proc.cmdline %proc.exe' proc.name=cat`.
        assert_eq!((t.tid, t.pid), (20072, 20072));
        assert_eq!(t.args, vec!["/dev/null".to_string()]);
        assert_eq!(t.exe, "cat");
        assert_eq!(st.parent(tid).expect("cat's parent").comm, "bash");
        assert!(!st.ancestors(tid).is_empty());
    });
    assert_eq!(cat_opens, 4, "cat's successful opens");
}

/// Types whose exit events are compared on `fd.num`, `fd.name`, `fd.type`.
const FD_EVENT_TYPES: &str = "connect, accept, accept4, socket, bind, listen, dup, dup2, dup3, pipe, pipe2, close, \
     eventfd, eventfd2, signalfd, signalfd4, timerfd_create, inotify_init, inotify_init1, epoll_create, \
     epoll_create1, fcntl, openat, open, creat";

fn our_fd_lines(path: &Path) -> Vec<String> {
    let mut r = CaptureReplay::open(path).unwrap();
    let mut st = ThreadTable::new();
    let names: Vec<&str> = FD_EVENT_TYPES.split(',').map(str::trim).collect();
    let mut out = Vec::new();
    loop {
        let mut metas = Vec::new();
        let Some(ev) = r.next_event(|m| metas.push(clone_meta(m))).unwrap() else {
            break;
        };
        for m in metas.iter().flatten() {
            st.apply_capture_item(m);
        }
        st.parse_event(ev).unwrap();
        let d = syscall::params::DecodedEvent::new(ev).unwrap();
        if d.info.direction != Direction::Exit || !names.contains(&d.info.name) {
            continue;
        }
        let Some(fd) = st.last_event_fd_num().filter(|&f| f >= 0) else {
            continue;
        };
        let info = st.last_event_fd().cloned();
        let (name, ty) = info.map_or((String::new(), "<NA>"), |f| (f.name, f.fd_type.as_str()));
        out.push(format!("{} {fd} {name} {ty}", d.info.name));
    }
    out
}

#[test]
fn fd_state_matches_sysdig() {
    let mut compared = 0;
    for path in common::captures() {
        let Ok(out) = Command::new("sysdig")
            .arg("-r")
            .arg(&path)
            .arg("-p")
            .arg("*%evt.type %fd.num %fd.name %fd.type")
            .arg(format!("evt.type in ({FD_EVENT_TYPES}) and evt.dir=< and fd.num>=0"))
            .output()
        else {
            eprintln!("skipped: sysdig not available");
            return;
        };
        let expected: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        let ours = our_fd_lines(&path);
        assert_eq!(ours, expected, "{}", path.display());
        compared += ours.len();
    }
    eprintln!("{compared} fd events compared");
}

/// Per exit event: tid, pid, ppid, name, exe, cwd, pname as sysdig prints them (a thread known
/// only from its events shows pid = tid, ppid -1 and no names).
fn our_process_lines(path: &Path) -> Vec<String> {
    let mut r = CaptureReplay::open(path).unwrap();
    let mut st = ThreadTable::new();
    let mut out = Vec::new();
    loop {
        let mut metas = Vec::new();
        let Some(ev) = r.next_event(|m| metas.push(clone_meta(m))).unwrap() else {
            break;
        };
        for m in metas.iter().flatten() {
            st.apply_capture_item(m);
        }
        st.parse_event(ev).unwrap();
        if event_info(ev.event_type()).unwrap().direction != Direction::Exit {
            continue;
        }
        let tid = ev.tid() as i64;
        let na = |s: &str| {
            if s.is_empty() {
                "<NA>".to_string()
            } else {
                s.to_string()
            }
        };
        out.push(match st.thread(tid).filter(|t| !t.comm.is_empty()) {
            Some(t) => {
                let ppid = st.main_thread(tid).map_or(-1, |m| m.ptid);
                let pname = st.parent(tid).map_or("<NA>".to_string(), |p| na(&p.comm));
                format!(
                    "{tid} {} {ppid} {} {} {} {pname}",
                    t.pid,
                    na(&t.comm),
                    na(&t.exe),
                    t.cwd
                )
            }
            None => format!("{tid} {tid} -1 <NA> <NA>  <NA>"),
        });
    }
    out
}

#[test]
fn process_state_matches_sysdig_on_every_exit_event() {
    let mut compared = 0;
    for path in common::captures() {
        let Ok(out) = Command::new("sysdig")
            .arg("-r")
            .arg(&path)
            .arg("-p")
            .arg("*%thread.tid %proc.pid %proc.ppid %proc.name %proc.exe %proc.cwd %proc.pname")
            .arg("evt.dir=<")
            .output()
        else {
            eprintln!("skipped: sysdig not available");
            return;
        };
        let expected: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        let ours = our_process_lines(&path);
        assert_eq!(ours, expected, "{}", path.display());
        compared += ours.len();
    }
    eprintln!("{compared} exit events compared");
}
