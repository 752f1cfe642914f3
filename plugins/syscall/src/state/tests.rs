//! State updates from hand-built events (current event versions).

use plugin_api::event::{EventRef, EventWriter};

use super::update::{resolve_path, AT_FDCWD, CLONE_THREAD, O_CLOEXEC, PR_SET_NAME};
use super::*;
use crate::event_table::{current_code, Direction};
use crate::scap::ProcessEntry;
use crate::testing::{encode_event as event, Arg as V};

/// Current code of `name` in direction `dir`.
fn code(name: &str, dir: Direction) -> u16 {
    current_code(name, dir).unwrap_or_else(|| panic!("no current {name} {dir:?}"))
}

fn apply(st: &mut ThreadTable, bytes: &[u8]) {
    let ev = EventRef::parse(bytes, false).unwrap();
    st.parse_event(ev).unwrap();
}

use Direction::{Enter as E, Exit as X};

/// bash (pid 100, parent 1) in /home/u with fd 0 on /dev/pts/0.
fn seeded() -> ThreadTable {
    let mut st = ThreadTable::new();
    for (tid, ptid, comm) in [(1, 0, "init"), (100, 1, "bash")] {
        st.add_process_entry(&ProcessEntry {
            tid,
            pid: tid,
            ptid,
            comm: comm.into(),
            exe: format!("/bin/{comm}"),
            exepath: format!("/bin/{comm}"),
            cwd: "/home/u".into(),
            args: b"-l\0".to_vec(),
            uid: 1000,
            gid: 1000,
            ..ProcessEntry::default()
        });
    }
    let mut f = FdInfo::new(0, FdType::File, "/dev/pts/0");
    f.cloexec = false;
    st.insert_fd(100, f);
    st
}

#[test]
fn process_list_seeds_threads_with_trailing_slash_cwd() {
    let st = seeded();
    let t = st.thread(100).unwrap();
    assert_eq!(t.cwd, "/home/u/");
    assert_eq!(t.args, vec!["-l"]);
    assert_eq!(t.cmdline(), "bash -l");
    assert_eq!(st.parent(100).unwrap().comm, "init");
    assert_eq!(st.ancestors(100).len(), 1);
}

#[test]
fn fork_child_copies_parent_and_fds_then_execve_replaces_image() {
    let mut st = seeded();
    // Parent's exit of clone first: res = child tid.
    apply(
        &mut st,
        &event(
            "clone",
            X,
            10,
            100,
            &[("res", V::I(200)), ("pid", V::I(100)), ("flags", V::I(0))],
        ),
    );
    let c = st.thread(200).unwrap();
    assert_eq!((c.pid, c.ptid, c.comm.as_str()), (200, 100, "bash"));
    assert_eq!(st.fd(200, 0).unwrap().name, "/dev/pts/0");
    // The child's own exit of the same clone changes nothing.
    apply(
        &mut st,
        &event(
            "clone",
            X,
            11,
            200,
            &[("res", V::I(0)), ("pid", V::I(200)), ("ptid", V::I(100))],
        ),
    );
    assert_eq!(st.thread(200).unwrap().clone_ts, 10);

    let mut cloexec = FdInfo::new(5, FdType::File, "/etc/secret");
    cloexec.cloexec = true;
    st.insert_fd(200, cloexec);
    // Failed execve: nothing changes.
    apply(
        &mut st,
        &event("execve", X, 12, 200, &[("res", V::I(-2)), ("exe", V::S("nope"))]),
    );
    assert_eq!(st.thread(200).unwrap().exe, "/bin/bash");
    apply(
        &mut st,
        &event(
            "execve",
            X,
            13,
            200,
            &[
                ("res", V::I(0)),
                ("exe", V::S("ls")),
                ("args", V::B(b"-la\0/tmp\0")),
                ("comm", V::S("ls")),
                ("cwd", V::S("/home/u")),
                ("env", V::B(b"A=1\0PATH=/bin\0")),
                ("trusted_exepath", V::S("/usr/bin/ls")),
                ("uid", V::I(0)),
            ],
        ),
    );
    let t = st.thread(200).unwrap();
    assert_eq!(
        (t.comm.as_str(), t.exe.as_str(), t.exepath.as_str()),
        ("ls", "ls", "/usr/bin/ls")
    );
    assert_eq!(t.args, vec!["-la", "/tmp"]);
    assert_eq!(t.env_var("PATH"), Some("/bin"));
    assert_eq!(t.uid, 0);
    assert_eq!(t.lastexec_ts, 13);
    assert!(st.fd(200, 5).is_none(), "O_CLOEXEC fd closed by execve");
    assert!(st.fd(200, 0).is_some());
}

#[test]
fn threads_share_the_main_threads_fds() {
    let mut st = seeded();
    let flags = CLONE_THREAD as i64;
    apply(
        &mut st,
        &event(
            "clone",
            X,
            10,
            100,
            &[("res", V::I(101)), ("pid", V::I(100)), ("flags", V::I(flags))],
        ),
    );
    let t = st.thread(101).unwrap();
    assert_eq!((t.pid, t.ptid), (100, 1));
    apply(
        &mut st,
        &event(
            "openat",
            X,
            11,
            101,
            &[
                ("fd", V::I(7)),
                ("dirfd", V::I(AT_FDCWD)),
                ("name", V::S("notes/../a.txt")),
            ],
        ),
    );
    assert_eq!(st.fd(100, 7).unwrap().name, "/home/u/a.txt");
    assert_eq!(st.fd(101, 7).unwrap().name_raw, "notes/../a.txt");
    assert_eq!(st.main_thread(101).unwrap().tid, 100);
}

#[test]
fn open_uses_dirfd_and_enter_path_and_close_keeps_fd_for_its_event() {
    let mut st = seeded();
    let mut dir = FdInfo::new(9, FdType::Directory, "/var/log");
    dir.open_flags = 0;
    st.insert_fd(100, dir);
    apply(
        &mut st,
        &event(
            "openat",
            X,
            1,
            100,
            &[("fd", V::I(3)), ("dirfd", V::I(9)), ("name", V::S("syslog"))],
        ),
    );
    assert_eq!(st.fd(100, 3).unwrap().name, "/var/log/syslog");
    // Exit without a name: the enter event's path is used.
    apply(
        &mut st,
        &event(
            "open",
            E,
            2,
            100,
            &[("name", V::S("/etc/passwd")), ("flags", V::I(O_CLOEXEC as i64))],
        ),
    );
    apply(
        &mut st,
        &event("open", X, 3, 100, &[("fd", V::I(4)), ("flags", V::I(O_CLOEXEC as i64))]),
    );
    assert_eq!(st.fd(100, 4).unwrap().name, "/etc/passwd");
    assert!(st.fd(100, 4).unwrap().cloexec);
    apply(
        &mut st,
        &event("close", X, 4, 100, &[("res", V::I(0)), ("fd", V::I(4))]),
    );
    assert!(st.fd(100, 4).is_none());
    assert_eq!(st.last_event_fd_num(), Some(4));
    assert_eq!(st.last_event_fd().unwrap().name, "/etc/passwd");
    // A failed close keeps the fd.
    apply(
        &mut st,
        &event("close", X, 5, 100, &[("res", V::I(-9)), ("fd", V::I(3))]),
    );
    assert!(st.fd(100, 3).is_some());
}

#[test]
fn dup_and_fcntl_dupfd_copy_fds() {
    let mut st = seeded();
    apply(
        &mut st,
        &event(
            "dup2",
            X,
            1,
            100,
            &[("res", V::I(10)), ("oldfd", V::I(0)), ("newfd", V::I(10))],
        ),
    );
    assert_eq!(st.fd(100, 10).unwrap().name, "/dev/pts/0");
    apply(
        &mut st,
        &event(
            "fcntl",
            X,
            2,
            100,
            &[("res", V::I(11)), ("fd", V::I(0)), ("cmd", V::I(26))],
        ),
    );
    let f = st.fd(100, 11).unwrap();
    assert_eq!(f.name, "/dev/pts/0");
    assert!(f.cloexec, "F_DUPFD_CLOEXEC");
}

fn tuple_v4(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16) -> Vec<u8> {
    let mut b = vec![crate::params::PPM_AF_INET];
    b.extend_from_slice(&src);
    b.extend_from_slice(&sport.to_le_bytes());
    b.extend_from_slice(&dst);
    b.extend_from_slice(&dport.to_le_bytes());
    b
}

#[test]
fn socket_connect_and_accept_fill_tuples() {
    let mut st = seeded();
    apply(
        &mut st,
        &event(
            "socket",
            X,
            1,
            100,
            &[
                ("fd", V::I(3)),
                ("domain", V::I(2)),
                ("type", V::I(1)),
                ("proto", V::I(0)),
            ],
        ),
    );
    assert_eq!(st.fd(100, 3).unwrap().fd_type, FdType::Ipv4Socket);
    // connect's exit without fd: the enter event's fd is used.
    apply(&mut st, &event("connect", E, 2, 100, &[("fd", V::I(3))]));
    let t = tuple_v4([10, 0, 0, 1], 40000, [10, 0, 0, 2], 80);
    apply(
        &mut st,
        &event("connect", X, 3, 100, &[("res", V::I(0)), ("tuple", V::B(&t))]),
    );
    let f = st.fd(100, 3).unwrap();
    assert_eq!(f.name, "10.0.0.1:40000->10.0.0.2:80");
    assert_eq!(f.role, SocketRole::Client);
    let s = f.socket.as_ref().unwrap();
    assert_eq!((s.l4proto, s.server_port), (L4Proto::Tcp, 80));

    let t = tuple_v4([10, 0, 0, 9], 5555, [10, 0, 0, 1], 22);
    apply(
        &mut st,
        &event("accept4", X, 4, 100, &[("fd", V::I(4)), ("tuple", V::B(&t))]),
    );
    let f = st.fd(100, 4).unwrap();
    assert_eq!(
        (f.name.as_str(), f.role),
        ("10.0.0.9:5555->10.0.0.1:22", SocketRole::Server)
    );
}

#[test]
fn anonymous_fds_pipes_and_memfd() {
    let mut st = seeded();
    apply(
        &mut st,
        &event(
            "pipe2",
            X,
            1,
            100,
            &[("res", V::I(0)), ("fd1", V::I(5)), ("fd2", V::I(6)), ("ino", V::I(77))],
        ),
    );
    assert_eq!(st.fd(100, 6).unwrap().fd_type, FdType::Fifo);
    assert_eq!(st.fd(100, 5).unwrap().ino, 77);
    apply(&mut st, &event("eventfd2", X, 2, 100, &[("res", V::I(7))]));
    assert_eq!(st.fd(100, 7).unwrap().name, "[eventfd]");
    apply(
        &mut st,
        &event("memfd_create", X, 3, 100, &[("fd", V::I(8)), ("name", V::S("jit"))]),
    );
    let f = st.fd(100, 8).unwrap();
    assert_eq!((f.fd_type, f.name.as_str()), (FdType::Memfd, "memfd:jit"));
}

#[test]
fn chdir_setresuid_setsid_prctl() {
    let mut st = seeded();
    apply(
        &mut st,
        &event("chdir", X, 1, 100, &[("res", V::I(0)), ("path", V::S("../v/./w"))]),
    );
    assert_eq!(st.thread(100).unwrap().cwd, "/home/v/w/");
    apply(
        &mut st,
        &event(
            "setresuid",
            X,
            2,
            100,
            &[
                ("res", V::I(0)),
                ("ruid", V::I(-1)),
                ("euid", V::I(0)),
                ("suid", V::I(-1)),
            ],
        ),
    );
    let t = st.thread(100).unwrap();
    assert_eq!((t.ruid, t.uid, t.suid), (1000, 0, 1000));
    apply(&mut st, &event("setsid", X, 3, 100, &[("res", V::I(100))]));
    assert_eq!(st.thread(100).unwrap().sid, 100);
    apply(
        &mut st,
        &event(
            "prctl",
            X,
            4,
            100,
            &[
                ("res", V::I(0)),
                ("option", V::I(PR_SET_NAME as i64)),
                ("arg2_str", V::S("a-very-long-thread-name")),
            ],
        ),
    );
    assert_eq!(st.thread(100).unwrap().comm, "a-very-long-thr");
}

#[test]
fn procexit_removes_thread_after_the_delay() {
    let mut st = seeded();
    apply(
        &mut st,
        &event("clone", X, 10, 100, &[("res", V::I(200)), ("pid", V::I(100))]),
    );
    apply(&mut st, &event("procexit", E, 20, 200, &[("reaper_tid", V::I(1))]));
    // A late event shortly after still resolves the exiting thread.
    apply(
        &mut st,
        &event("close", X, 21, 200, &[("res", V::I(0)), ("fd", V::I(0))]),
    );
    assert!(st.thread(200).unwrap().exited);
    apply(
        &mut st,
        &event(
            "close",
            X,
            20 + PROCEXIT_REMOVAL_DELAY_NS,
            100,
            &[("res", V::I(-9)), ("fd", V::I(99))],
        ),
    );
    assert!(st.thread(200).is_none());
    assert_eq!(st.stats().threads_removed, 1);
}

#[test]
fn thread_and_fd_caps_evict_and_count() {
    let mut st = ThreadTable::new();
    for tid in 1..=MAX_THREADS as i64 {
        st.insert(ThreadInfo {
            last_event_ts: tid as u64,
            ..ThreadInfo::unknown(tid)
        });
    }
    assert_eq!(st.len(), MAX_THREADS);
    st.insert(ThreadInfo::unknown(0));
    assert_eq!(st.stats().threads_evicted, THREAD_EVICTION_BATCH as u64);
    assert!(st.thread(1).is_none(), "least recently active evicted first");
    assert!(st.thread(MAX_THREADS as i64).is_some());

    let mut st = seeded();
    for fd in 0..=MAX_FDS_PER_PROCESS as i64 {
        st.insert_fd(100, FdInfo::new(fd, FdType::File, "/x"));
    }
    assert_eq!(st.fds(100).unwrap().len(), MAX_FDS_PER_PROCESS);
    assert_eq!(st.stats().fds_evicted, 1);
}

#[test]
fn unknown_event_type_is_an_error_not_a_panic() {
    let mut st = ThreadTable::new();
    let mut out = Vec::new();
    EventWriter::begin(&mut out, 1, 1, 9999, 0).finish().unwrap();
    let ev = EventRef::parse(&out, false).unwrap();
    let e = st.parse_event(ev).unwrap_err().to_string();
    assert!(e.contains("9999"), "{e}");
}

#[test]
fn paths_resolve_lexically() {
    assert_eq!(resolve_path("/a/b/", "../c"), "/a/c");
    assert_eq!(resolve_path("/a", "/x/./y/"), "/x/y");
    assert_eq!(resolve_path("/", "../../z"), "/z");
    assert_eq!(resolve_path("/a", ""), "");
}

#[test]
fn plans_locate_params_and_actions_by_event_code() {
    use super::plan::{plan, Action, ParamKey};
    let open_x = plan(code("openat", X));
    assert_eq!(open_x.action, Action::Open);
    assert!(!open_x.updates_thread);
    assert_eq!(open_x.param_index(ParamKey::Fd), Some(0));
    assert_eq!(open_x.param_index(ParamKey::Name), Some(2));
    assert_eq!(open_x.param_index(ParamKey::Tuple), None);
    let clone_x = plan(code("clone", X));
    assert_eq!(clone_x.action, Action::Clone);
    assert!(clone_x.updates_thread);
    assert_eq!(
        plan(code("eventfd2", X)).action,
        Action::AnonFd(FdType::Event, "[eventfd]")
    );
    // Codes beyond the table have no action and no params.
    let unknown = plan(u16::MAX);
    assert_eq!(unknown.action, Action::None);
    assert_eq!(unknown.param_index(ParamKey::Fd), None);
}

#[test]
fn fd_table_keeps_small_negative_and_large_fds_in_fd_order() {
    use super::fd::DENSE_FDS;
    let mut t = FdTable::default();
    for fd in [5, DENSE_FDS + 7, -3, 0, DENSE_FDS - 1] {
        assert!(t.insert(FdInfo::new(fd, FdType::File, format!("/f{fd}"))).is_none());
    }
    let order: Vec<i64> = t.iter().map(|f| f.fd).collect();
    assert_eq!(order, [-3, 0, 5, DENSE_FDS - 1, DENSE_FDS + 7]);
    assert_eq!(t.len(), 5);
    // Replacing returns the old entry and keeps the count.
    let old = t.insert(FdInfo::new(5, FdType::Directory, "/d")).unwrap();
    assert_eq!(old.name, "/f5");
    assert_eq!(t.len(), 5);
    assert_eq!(t.get(5).unwrap().fd_type, FdType::Directory);
    assert_eq!(t.remove(DENSE_FDS + 7).unwrap().name, format!("/f{}", DENSE_FDS + 7));
    assert!(t.remove(DENSE_FDS + 7).is_none());
    assert!(t.remove(700).is_none());
    assert_eq!(t.len(), 4);
    // close-on-exec drops marked fds from both parts.
    t.get_mut(0).unwrap().cloexec = true;
    t.get_mut(-3).unwrap().cloexec = true;
    t.close_on_exec();
    let order: Vec<i64> = t.iter().map(|f| f.fd).collect();
    assert_eq!(order, [5, DENSE_FDS - 1]);
    assert_eq!(t.len(), 2);
    // Equality ignores how far the vector grew.
    let mut u = FdTable::default();
    u.insert(t.get(DENSE_FDS - 1).unwrap().clone());
    u.insert(t.get(5).unwrap().clone());
    assert_eq!(t, u);
}

#[test]
fn already_normal_paths_resolve_like_any_other() {
    for (base, path, want) in [
        ("/", "/etc/passwd", "/etc/passwd"),
        ("/a/", "b/c", "/a/b/c"),
        ("/", "b", "/b"),
        ("/a/", "b/", "/a/b"),
        ("/a/", "./b", "/a/b"),
        ("/a/", "b/..", "/a"),
        ("/a/", "..b", "/a/..b"),
        ("/a//b/", "c", "/a/b/c"),
        ("/a/./", "c", "/a/c"),
        ("/x", "/", "/"),
        ("/x", "//y", "/y"),
        ("/x", "/y/.", "/y"),
        ("/x", "/.y", "/.y"),
        ("", "rel", "/rel"),
        ("/a", "c", "/a/c"),
    ] {
        assert_eq!(resolve_path(base, path), want, "{base:?} + {path:?}");
    }
}

/// bash keeps its script on fd 255 (close-on-exec); every process it forks gets a copy of that
/// table. Memory must follow the fds each child holds, not the highest fd number: the dense fd
/// vector once cost each child 256 full entries (~50 KB), ~100 MB of live RSS over 2000
/// fork/execs. Children that exec drop fd 255; those that do not keep it.
#[test]
fn fd_table_memory_follows_open_fds_over_thousands_of_forks_from_a_high_fd_holder() {
    const CHILDREN: i64 = 3000;
    let mut st = seeded();
    for fd in [1, 2] {
        st.insert_fd(100, FdInfo::new(fd, FdType::File, "/dev/pts/0"));
    }
    let mut script = FdInfo::new(255, FdType::File, "/home/u/build.sh");
    script.cloexec = true;
    st.insert_fd(100, script);
    let mut ts = 1_000;
    for i in 0..CHILDREN {
        let child = 1_000 + i;
        ts += 10;
        let fork = [("res", V::I(child)), ("pid", V::I(100)), ("flags", V::I(0))];
        apply(&mut st, &event("clone", X, ts, 100, &fork));
        let in_child = [("res", V::I(0)), ("pid", V::I(child)), ("ptid", V::I(100))];
        apply(&mut st, &event("clone", X, ts + 1, child, &in_child));
        if i % 2 == 0 {
            let exec = [("res", V::I(0)), ("exe", V::S("/bin/true")), ("comm", V::S("true"))];
            apply(&mut st, &event("execve", X, ts + 2, child, &exec));
        }
    }
    // Every child is alive with 0, 1, 2 and, when it did not exec, 255.
    assert_eq!(st.fds(1_000).unwrap().len(), 3);
    assert!(st.fd(1_000, 255).is_none());
    assert_eq!(st.fds(1_001).unwrap().len(), 4);
    assert_eq!(st.fd(1_001, 255).unwrap().name, "/home/u/build.sh");
    // Per process: 4 entries with their strings, plus the fd-number index (2 bytes per fd
    // up to the highest, 255).
    let per_process = 4 * (std::mem::size_of::<FdInfo>() + 2 * "/home/u/build.sh".len()) + 2 * 256;
    let processes = CHILDREN as usize + 2;
    let held = st.fd_heap_bytes();
    assert!(
        held <= processes * per_process,
        "{held} bytes held by the fd tables of {processes} processes, more than {per_process} each"
    );

    // Once the children exit and are reaped, only bash's table is left.
    for i in 0..CHILDREN {
        ts += 1;
        apply(
            &mut st,
            &event("procexit", E, ts, 1_000 + i, &[("reaper_tid", V::I(100))]),
        );
    }
    let late = [("res", V::I(-9)), ("fd", V::I(99))];
    apply(&mut st, &event("close", X, ts + PROCEXIT_REMOVAL_DELAY_NS, 100, &late));
    assert!(st.thread(1_000 + CHILDREN - 1).is_none());
    assert!(
        st.fd_heap_bytes() <= 2 * per_process,
        "{} bytes left",
        st.fd_heap_bytes()
    );
}

#[test]
fn fd_table_gives_back_room_when_the_highest_fds_close() {
    let mut t = FdTable::default();
    for fd in 0..3 {
        t.insert(FdInfo::new(fd, FdType::File, ""));
    }
    let small = t.heap_bytes();
    for fd in 3..200 {
        t.insert(FdInfo::new(fd, FdType::File, ""));
    }
    let mut script = FdInfo::new(999, FdType::File, "");
    script.cloexec = true;
    t.insert(script);
    assert!(t.heap_bytes() > 200 * std::mem::size_of::<FdInfo>());
    // Closing all but 0..3 (the last by exec) gives the slots and most entries back (a few KB of
    // entries stay, so that opening and closing a few fds in turn does not reallocate).
    for fd in (3..200).rev() {
        assert_eq!(t.remove(fd).unwrap().fd, fd);
    }
    t.close_on_exec();
    assert_eq!(t.iter().map(|f| f.fd).collect::<Vec<_>>(), [0, 1, 2]);
    assert!(
        t.heap_bytes() <= small + 4096,
        "{} bytes held for 3 fds ({small} before)",
        t.heap_bytes()
    );
    // The copy a fork makes is as small as the fds it holds.
    assert!(t.clone().heap_bytes() <= 3 * std::mem::size_of::<FdInfo>() + 2 * 3);
}

fn tuple_unix(source: u64, dest: u64, path: &str) -> Vec<u8> {
    let mut b = vec![crate::params::PPM_AF_UNIX];
    b.extend_from_slice(&source.to_le_bytes());
    b.extend_from_slice(&dest.to_le_bytes());
    b.extend_from_slice(path.as_bytes());
    b.push(0);
    b
}

fn sockaddr_unix(path: &str) -> Vec<u8> {
    let mut b = vec![crate::params::PPM_AF_UNIX];
    b.extend_from_slice(path.as_bytes());
    b.push(0);
    b
}

fn unix_socket(st: &mut ThreadTable, fd: i64) {
    let args = [
        ("fd", V::I(fd)),
        ("domain", V::I(1)),
        ("type", V::I(1)),
        ("proto", V::I(0)),
    ];
    apply(st, &event("socket", X, 1, 100, &args));
}

/// libsinsp names a connected unix socket `source->dest path` (its
/// `encode_unix_tuple_fd_name`) and an accepted one after the tuple's text, the same form;
/// both are connected, and neither has a directory or file name.
#[test]
fn unix_connect_and_accept_name_the_socket_after_the_tuple() {
    let mut st = seeded();
    unix_socket(&mut st, 3);
    let t = tuple_unix(0xffff9e0001, 0xffff9e0002, "/run/app.sock");
    let addr = sockaddr_unix("/run/app.sock");
    apply(
        &mut st,
        &event("connect", E, 2, 100, &[("fd", V::I(3)), ("addr", V::B(&addr))]),
    );
    apply(
        &mut st,
        &event(
            "connect",
            X,
            3,
            100,
            &[
                ("res", V::I(0)),
                ("tuple", V::B(&t)),
                ("fd", V::I(3)),
                ("addr", V::B(&addr)),
            ],
        ),
    );
    let f = st.fd(100, 3).unwrap();
    assert_eq!(f.name, "ffff9e0001->ffff9e0002 /run/app.sock");
    assert_eq!(
        (f.fd_type, f.role, f.connected),
        (FdType::UnixSocket, SocketRole::Client, true)
    );
    assert_eq!((f.directory(), f.filename()), (None, None));

    let t = tuple_unix(0xffff9e0003, 0xffff9e0004, "/run/app.sock");
    apply(
        &mut st,
        &event(
            "accept4",
            X,
            4,
            100,
            &[("fd", V::I(4)), ("tuple", V::B(&t)), ("flags", V::I(0))],
        ),
    );
    let f = st.fd(100, 4).unwrap();
    assert_eq!(f.name, "ffff9e0003->ffff9e0004 /run/app.sock");
    assert_eq!((f.role, f.connected), (SocketRole::Server, true));

    // A peer without a path still gets the separating space (libsinsp's format).
    let t = tuple_unix(0xa, 0xb, "");
    apply(
        &mut st,
        &event("accept4", X, 5, 100, &[("fd", V::I(5)), ("tuple", V::B(&t))]),
    );
    assert_eq!(st.fd(100, 5).unwrap().name, "a->b ");
}

/// When the tuple's path only repeats the exit's user address, libsinsp trusts the enter
/// event's address (read before the call, out of a racing writer's reach); a tuple path that
/// differs comes from the kernel and wins.
#[test]
fn unix_connect_takes_the_enter_path_unless_the_kernel_says_otherwise() {
    let connect = |st: &mut ThreadTable, fd: i64, enter: &str, exit: &str, tuple_path: &str| {
        unix_socket(st, fd);
        let (enter, exit) = (sockaddr_unix(enter), sockaddr_unix(exit));
        let t = tuple_unix(1, 2, tuple_path);
        apply(
            st,
            &event("connect", E, 2, 100, &[("fd", V::I(fd)), ("addr", V::B(&enter))]),
        );
        let args = [
            ("res", V::I(0)),
            ("tuple", V::B(&t)),
            ("fd", V::I(fd)),
            ("addr", V::B(&exit)),
        ];
        apply(st, &event("connect", X, 3, 100, &args));
        st.fd(100, fd).unwrap().name.clone()
    };
    let mut st = seeded();
    assert_eq!(
        connect(&mut st, 3, "/run/asked", "/run/swapped", "/run/swapped"),
        "1->2 /run/asked"
    );
    assert_eq!(
        connect(&mut st, 4, "/run/asked", "/run/swapped", "/run/kernel"),
        "1->2 /run/kernel"
    );
}

/// A unix tuple without its NUL is one libsinsp does not read: the socket keeps its name but
/// a successful connect still marks it connected.
#[test]
fn an_unterminated_unix_tuple_names_nothing() {
    let mut st = seeded();
    unix_socket(&mut st, 3);
    let mut t = tuple_unix(1, 2, "/run/x");
    t.pop();
    let args = [("res", V::I(0)), ("tuple", V::B(&t)), ("fd", V::I(3))];
    apply(&mut st, &event("connect", X, 2, 100, &args));
    let f = st.fd(100, 3).unwrap();
    assert_eq!((f.name.as_str(), f.connected), ("", true));
    apply(
        &mut st,
        &event("accept4", X, 3, 100, &[("fd", V::I(4)), ("tuple", V::B(&t))]),
    );
    assert!(st.fd(100, 4).is_none());
}

/// `fd.connected` is set where libsinsp sets `FLAGS_SOCKET_CONNECTED` (Falco does not turn on
/// connection-status tracking): connect succeeding or in progress, accept, and a successful
/// read or write on an inet connection socket — also one known only from /proc.
#[test]
fn connected_follows_connect_accept_and_data_on_inet_sockets() {
    let mut st = seeded();
    let socket = |st: &mut ThreadTable, fd: i64, domain: i64| {
        let args = [
            ("fd", V::I(fd)),
            ("domain", V::I(domain)),
            ("type", V::I(1)),
            ("proto", V::I(0)),
        ];
        apply(st, &event("socket", X, 1, 100, &args));
    };
    let connect = |st: &mut ThreadTable, fd: i64, res: i64| {
        let t = tuple_v4([10, 0, 0, 1], 40000 + fd as u16, [10, 0, 0, 2], 80);
        let args = [("res", V::I(res)), ("tuple", V::B(&t)), ("fd", V::I(fd))];
        apply(st, &event("connect", X, 2, 100, &args));
        st.fd(100, fd).unwrap().connected
    };
    socket(&mut st, 3, 2);
    assert!(!st.fd(100, 3).unwrap().connected, "a new socket");
    assert!(connect(&mut st, 3, 0));
    socket(&mut st, 4, 2);
    assert!(connect(&mut st, 4, -115), "EINPROGRESS");
    socket(&mut st, 5, 2);
    assert!(!connect(&mut st, 5, -111), "ECONNREFUSED");

    // A TCP connection from /proc (before the capture) is connected at its first data.
    st.add_fd_entry(&crate::scap::FdEntry {
        tid: 100,
        fd: 6,
        ino: 0,
        info: crate::scap::FdInfo::Ipv4Socket {
            sip: [10, 0, 0, 1],
            dip: [10, 0, 0, 3],
            sport: 50000,
            dport: 443,
            l4proto: 1,
        },
    });
    assert!(!st.fd(100, 6).unwrap().connected, "from /proc");
    let io = |st: &mut ThreadTable, name: &str, fd: i64, res: i64| {
        let args = [
            ("res", V::I(res)),
            ("data", V::B(b"x")),
            ("fd", V::I(fd)),
            ("size", V::I(1)),
        ];
        apply(st, &event(name, X, 3, 100, &args));
        st.fd(100, fd).unwrap().connected
    };
    assert!(!io(&mut st, "read", 6, -11), "a failed read");
    assert!(io(&mut st, "read", 6, 1));
    socket(&mut st, 7, 2);
    assert!(
        io(&mut st, "writev", 7, 1),
        "any inet connection socket, even without a tuple"
    );
    socket(&mut st, 8, 10);
    assert!(io(&mut st, "sendto", 8, 1), "IPv6, through the datagram path");

    // Files, unix sockets and bound (server) sockets are not.
    assert!(!io(&mut st, "write", 0, 1), "a file");
    unix_socket(&mut st, 9);
    assert!(!io(&mut st, "write", 9, 1), "a unix socket");
    socket(&mut st, 10, 2);
    let mut addr = vec![crate::params::PPM_AF_INET, 0, 0, 0, 0];
    addr.extend_from_slice(&8080u16.to_le_bytes());
    apply(
        &mut st,
        &event(
            "bind",
            X,
            4,
            100,
            &[("res", V::I(0)), ("addr", V::B(&addr)), ("fd", V::I(10))],
        ),
    );
    assert!(!io(&mut st, "pread", 10, 1), "a bound socket");

    // The flag travels with the fd.
    apply(
        &mut st,
        &event(
            "dup2",
            X,
            5,
            100,
            &[("res", V::I(11)), ("oldfd", V::I(6)), ("newfd", V::I(11))],
        ),
    );
    assert!(st.fd(100, 11).unwrap().connected, "dup2 of a connected socket");
}

/// An IPv4 tuple longer than 13 bytes is read from its start, as libsinsp does.
#[test]
fn a_long_ipv4_tuple_still_names_the_connection() {
    let mut st = seeded();
    let args = [
        ("fd", V::I(3)),
        ("domain", V::I(2)),
        ("type", V::I(1)),
        ("proto", V::I(0)),
    ];
    apply(&mut st, &event("socket", X, 1, 100, &args));
    let mut t = tuple_v4([10, 0, 0, 1], 40000, [10, 0, 0, 2], 80);
    t.extend_from_slice(&[0; 3]);
    let args = [("res", V::I(0)), ("tuple", V::B(&t)), ("fd", V::I(3))];
    apply(&mut st, &event("connect", X, 2, 100, &args));
    assert_eq!(st.fd(100, 3).unwrap().name, "10.0.0.1:40000->10.0.0.2:80");
    let mut t = tuple_v4([10, 0, 0, 9], 5555, [10, 0, 0, 1], 22);
    t.push(0);
    apply(
        &mut st,
        &event("accept4", X, 3, 100, &[("fd", V::I(4)), ("tuple", V::B(&t))]),
    );
    assert_eq!(st.fd(100, 4).unwrap().name, "10.0.0.9:5555->10.0.0.1:22");
}
