//! libsinsp field semantics on hand-built events, for the cases the conformance captures do
//! not contain (failed opens, open modes, uid resolution, ancestors, capabilities).

use plugin_api::event::{EventRef, EventWriter};
use syscall::fields::{capability_names, extract, FieldArg, FieldId, FieldValue};
use syscall::params::DecodedEvent;
use syscall::scap::UserListEntry;
use syscall::state::{ThreadInfo, ThreadTable};

const OPEN_X: u16 = 3;
const OPENAT_2_X: u16 = 307;
const MKDIR_2_X: u16 = 277;
const SETUID_X: u16 = 199;
const PPM_O_RDONLY: u32 = 1;
const PPM_O_WRONLY: u32 = 2;
const PPM_O_CREAT: u32 = 4;
const AT_FDCWD: i64 = -100;
const ENOENT: i64 = 2;
const TID: u64 = 200;
const TS: u64 = 10_000_000_000;

fn event(event_type: u16, params: &[Vec<u8>]) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut w = EventWriter::begin(&mut buf, TS, TID, event_type, params.len() as u32);
    for p in params {
        w.param(p).unwrap();
    }
    w.finish().unwrap();
    buf
}

fn i64p(v: i64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}
fn u32p(v: u32) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}
fn u64p(v: u64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}
fn strp(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

/// A shell (pid 100, parent init 1) running `cat` as tid 200, cwd /home/u/.
fn state() -> ThreadTable {
    let mut st = ThreadTable::new();
    let t = |tid: i64, ptid: i64, comm: &str| ThreadInfo {
        pid: tid,
        ptid,
        comm: comm.into(),
        exe: comm.into(),
        cwd: "/home/u/".into(),
        uid: 1000,
        gid: 1000,
        loginuid: u32::MAX,
        ..ThreadInfo::unknown(tid)
    };
    st.insert(t(1, 0, "systemd"));
    st.insert(t(100, 1, "bash"));
    st.insert(ThreadInfo {
        args: vec!["-n".into(), "x y".into()],
        clone_ts: TS - 3_000,
        cap_effective: (1 << 0) | (1 << 21),
        ..t(200, 100, "cat")
    });
    st.add_user_entry(&UserListEntry::User {
        uid: 65534,
        gid: 65534,
        name: "nobody".into(),
        home: "/nonexistent".into(),
        shell: "/usr/sbin/nologin".into(),
    });
    st
}

/// Parses `bytes` into `st` and extracts `id`.
fn get(st: &mut ThreadTable, bytes: &[u8], id: FieldId, arg: FieldArg<'_>) -> Vec<FieldValue> {
    let ev = EventRef::parse_any(bytes).unwrap();
    st.parse_event(ev).unwrap();
    let d = DecodedEvent::new(ev).unwrap();
    let mut out = Vec::new();
    extract(id, arg, &d, st, &mut out);
    out
}

fn str_of(v: &[FieldValue]) -> Option<&str> {
    match v {
        [FieldValue::Str(s)] => Some(s),
        [] => None,
        other => panic!("not one string: {other:?}"),
    }
}

fn openat(fd: i64, name: &str, flags: u32, mode: u32) -> Vec<u8> {
    event(
        OPENAT_2_X,
        &[
            i64p(fd),
            i64p(AT_FDCWD),
            strp(name),
            u32p(flags),
            u32p(mode),
            u32p(0),
            u64p(0),
        ],
    )
}

#[test]
fn failed_openat_guesses_a_file_and_rebuilds_the_name() {
    let mut st = state();
    let ev = openat(-ENOENT, "missing.txt", PPM_O_RDONLY, 0);
    let f = |st: &mut ThreadTable, id| get(st, &ev, id, FieldArg::None);
    assert_eq!(f(&mut st, FieldId::FdNum), vec![FieldValue::signed(-1)]);
    assert_eq!(str_of(&f(&mut st, FieldId::FdTypechar)), Some("f"));
    assert_eq!(str_of(&f(&mut st, FieldId::FdName)), Some("/home/u/missing.txt"));
    assert_eq!(str_of(&f(&mut st, FieldId::FdNameraw)), Some("missing.txt"));
    assert_eq!(str_of(&f(&mut st, FieldId::FdDirectory)), Some("/home/u"));
    assert_eq!(str_of(&f(&mut st, FieldId::FdFilename)), Some("missing.txt"));
    assert!(f(&mut st, FieldId::FdType).is_empty());
    assert_eq!(str_of(&f(&mut st, FieldId::EvtRes)), Some("ENOENT"));
    assert_eq!(f(&mut st, FieldId::EvtRawres), vec![FieldValue::signed(-ENOENT)]);
    assert_eq!(f(&mut st, FieldId::EvtFailed), vec![FieldValue::Bool(true)]);
    assert_eq!(f(&mut st, FieldId::EvtIsOpenRead), vec![FieldValue::Bool(true)]);
    assert_eq!(f(&mut st, FieldId::EvtIsOpenWrite), vec![FieldValue::Bool(false)]);
    assert_eq!(f(&mut st, FieldId::EvtCountErrorFile), vec![FieldValue::U64(1)]);
    assert!(f(&mut st, FieldId::EvtCountErrorNet).is_empty());
    // The open_file_failed macro's inputs: fd.typechar='f' and fd.num=-1 and evt.res startswith E.
}

#[test]
fn failed_open_not_openat_is_typechar_o() {
    let mut st = state();
    let ev = event(
        OPEN_X,
        &[
            i64p(-ENOENT),
            strp("/etc/nope"),
            u32p(PPM_O_RDONLY),
            u32p(0),
            u32p(0),
            u64p(0),
        ],
    );
    assert_eq!(
        str_of(&get(&mut st, &ev, FieldId::FdTypechar, FieldArg::None)),
        Some("o")
    );
    assert_eq!(
        str_of(&get(&mut st, &ev, FieldId::FdName, FieldArg::None)),
        Some("/etc/nope")
    );
}

#[test]
fn successful_open_for_write_with_exec_mode() {
    let mut st = state();
    let ev = openat(5, "../u/run.sh", PPM_O_WRONLY | PPM_O_CREAT, 0o755);
    let f = |st: &mut ThreadTable, id| get(st, &ev, id, FieldArg::None);
    assert_eq!(f(&mut st, FieldId::FdNum), vec![FieldValue::signed(5)]);
    assert_eq!(str_of(&f(&mut st, FieldId::FdName)), Some("/home/u/run.sh"));
    assert_eq!(str_of(&f(&mut st, FieldId::FdTypechar)), Some("f"));
    assert_eq!(str_of(&f(&mut st, FieldId::FdType)), Some("file"));
    assert_eq!(str_of(&f(&mut st, FieldId::EvtRes)), Some("SUCCESS"));
    assert_eq!(f(&mut st, FieldId::EvtIsOpenWrite), vec![FieldValue::Bool(true)]);
    assert_eq!(f(&mut st, FieldId::EvtIsOpenRead), vec![FieldValue::Bool(false)]);
    assert_eq!(f(&mut st, FieldId::EvtIsOpenExec), vec![FieldValue::Bool(true)]);
    let flags = get(&mut st, &ev, FieldId::EvtArg, FieldArg::Key("flags"));
    assert_eq!(str_of(&flags), Some("O_WRONLY|O_CREAT"));
    let raw = get(&mut st, &ev, FieldId::EvtRawarg, FieldArg::Key("flags"));
    assert_eq!(str_of(&raw), Some("6"));
    let name = get(&mut st, &ev, FieldId::EvtArg, FieldArg::Key("name"));
    assert_eq!(
        str_of(&name),
        Some("/home/u/run.sh"),
        "relative FSRELPATH resolves against the cwd"
    );
    let args = get(&mut st, &ev, FieldId::EvtArgs, FieldArg::None);
    assert!(
        str_of(&args).unwrap().starts_with("fd=5(<f>/home/u/run.sh) dirfd=-100"),
        "{args:?}"
    );
}

#[test]
fn fd_fields_exist_only_for_fd_events() {
    let mut st = state();
    let ev = event(MKDIR_2_X, &[i64p(0), strp("/tmp/d"), u32p(0o755)]);
    for id in [
        FieldId::FdNum,
        FieldId::FdName,
        FieldId::FdTypechar,
        FieldId::FdDirectory,
    ] {
        assert!(get(&mut st, &ev, id, FieldArg::None).is_empty(), "{id:?}");
    }
    assert_eq!(
        str_of(&get(&mut st, &ev, FieldId::EvtArg, FieldArg::Key("path"))),
        Some("/tmp/d")
    );
    assert!(get(&mut st, &ev, FieldId::EvtArg, FieldArg::Key("nonexistent")).is_empty());
}

#[test]
fn setuid_uid_argument_resolves_to_the_user_name() {
    let mut st = state();
    let ev = event(SETUID_X, &[i64p(0), u32p(65534)]);
    assert_eq!(
        str_of(&get(&mut st, &ev, FieldId::EvtArg, FieldArg::Key("uid"))),
        Some("nobody")
    );
    let ev = event(SETUID_X, &[i64p(0), u32p(4242)]);
    assert_eq!(
        str_of(&get(&mut st, &ev, FieldId::EvtArg, FieldArg::Key("uid"))),
        Some("<NA>")
    );
    let ev = event(SETUID_X, &[i64p(-1), u32p(u32::MAX)]);
    assert_eq!(
        str_of(&get(&mut st, &ev, FieldId::EvtArg, FieldArg::Key("uid"))),
        Some("<NONE>")
    );
    assert_eq!(
        str_of(&get(&mut st, &ev, FieldId::EvtArg, FieldArg::Index(0))),
        Some("EPERM")
    );
}

#[test]
fn process_fields_walk_the_ancestry() {
    let mut st = state();
    let ev = event(MKDIR_2_X, &[i64p(0), strp("/tmp/d"), u32p(0o755)]);
    let f = |st: &mut ThreadTable, id, arg| get(st, &ev, id, arg);
    assert_eq!(str_of(&f(&mut st, FieldId::ProcName, FieldArg::None)), Some("cat"));
    assert_eq!(
        str_of(&f(&mut st, FieldId::ProcCmdline, FieldArg::None)),
        Some("cat -n x y")
    );
    assert_eq!(str_of(&f(&mut st, FieldId::ProcArgs, FieldArg::Index(1))), Some("x y"));
    assert_eq!(str_of(&f(&mut st, FieldId::ProcPname, FieldArg::None)), Some("bash"));
    assert_eq!(str_of(&f(&mut st, FieldId::ProcAname, FieldArg::Index(0))), Some("cat"));
    assert_eq!(
        str_of(&f(&mut st, FieldId::ProcAname, FieldArg::Index(2))),
        Some("systemd")
    );
    assert!(f(&mut st, FieldId::ProcAname, FieldArg::Index(3)).is_empty());
    // Without an index: one candidate per ancestor, nearest first ("sakerAnyAncestor").
    assert_eq!(
        f(&mut st, FieldId::ProcAname, FieldArg::None),
        vec![FieldValue::Str("bash".into()), FieldValue::Str("systemd".into())]
    );
    assert_eq!(
        f(&mut st, FieldId::ProcPpid, FieldArg::None),
        vec![FieldValue::signed(100)]
    );
    assert_eq!(
        f(&mut st, FieldId::ProcDuration, FieldArg::None),
        vec![FieldValue::RelTime(3_000)]
    );
    assert_eq!(
        f(&mut st, FieldId::UserLoginuid, FieldArg::None),
        vec![FieldValue::signed(-1)]
    );
    assert_eq!(str_of(&f(&mut st, FieldId::UserName, FieldArg::None)), Some("<NA>"));
    assert_eq!(
        str_of(&f(&mut st, FieldId::ThreadCapEffective, FieldArg::None)),
        Some("CAP_CHOWN CAP_SYS_ADMIN")
    );
}

#[test]
fn unknown_threads_still_have_process_fields() {
    let mut st = ThreadTable::new();
    let ev = event(MKDIR_2_X, &[i64p(0), strp("/tmp/d"), u32p(0o755)]);
    assert_eq!(
        str_of(&get(&mut st, &ev, FieldId::ProcName, FieldArg::None)),
        Some("<NA>")
    );
    assert_eq!(
        get(&mut st, &ev, FieldId::ProcPid, FieldArg::None),
        vec![FieldValue::signed(TID as i64)]
    );
    assert!(get(&mut st, &ev, FieldId::ProcPname, FieldArg::None).is_empty());
}

#[test]
fn capability_names_follow_bit_order() {
    assert_eq!(capability_names(0), "");
    assert_eq!(capability_names(1 << 40), "CAP_CHECKPOINT_RESTORE");
    assert_eq!(capability_names(0b11), "CAP_CHOWN CAP_DAC_OVERRIDE");
}

#[test]
fn fs_path_fields_for_successful_path_syscalls() {
    const RENAMEAT_X: u16 = 177;
    let mut st = state();
    let ev = event(
        RENAMEAT_X,
        &[
            i64p(0),
            i64p(AT_FDCWD),
            strp("a/../old.txt"),
            i64p(AT_FDCWD),
            strp("/tmp//new.txt"),
        ],
    );
    let f = |st: &mut ThreadTable, id| str_of(&get(st, &ev, id, FieldArg::None)).map(str::to_owned);
    assert_eq!(f(&mut st, FieldId::FsPathSource).as_deref(), Some("/home/u/old.txt"));
    assert_eq!(f(&mut st, FieldId::FsPathSourceraw).as_deref(), Some("a/../old.txt"));
    assert_eq!(f(&mut st, FieldId::FsPathTarget).as_deref(), Some("/tmp/new.txt"));
    assert_eq!(
        f(&mut st, FieldId::FsPathName),
        None,
        "rename has source/target, no name"
    );
    let mkdir = event(MKDIR_2_X, &[i64p(0), strp("d"), u32p(0o755)]);
    assert_eq!(
        str_of(&get(&mut st, &mkdir, FieldId::FsPathName, FieldArg::None)),
        Some("/home/u/d")
    );
    let failed = event(MKDIR_2_X, &[i64p(-17), strp("d"), u32p(0o755)]);
    assert!(get(&mut st, &failed, FieldId::FsPathName, FieldArg::None).is_empty());
}

#[test]
fn fd_types_lists_the_kinds_of_open_fds() {
    let mut st = state();
    let open = openat(5, "f.txt", PPM_O_RDONLY, 0);
    get(&mut st, &open, FieldId::FdNum, FieldArg::None);
    let ev = event(MKDIR_2_X, &[i64p(0), strp("/tmp/d"), u32p(0o755)]);
    assert_eq!(
        get(&mut st, &ev, FieldId::FdTypes, FieldArg::None),
        vec![FieldValue::Str("file".into())]
    );
    assert!(get(&mut st, &ev, FieldId::FdTypes, FieldArg::Index(9)).is_empty());
    assert_eq!(get(&mut st, &ev, FieldId::FdTypes, FieldArg::Index(5)).len(), 1);
}

#[test]
fn events_without_a_return_value_have_no_failure_fields() {
    const OPEN_E: u16 = 2;
    let mut st = state();
    let ev = event(OPEN_E, &[strp("/etc/passwd"), u32p(PPM_O_RDONLY), u32p(0)]);
    for id in [
        FieldId::EvtRes,
        FieldId::EvtRawres,
        FieldId::EvtFailed,
        FieldId::EvtCountError,
    ] {
        assert!(get(&mut st, &ev, id, FieldArg::None).is_empty(), "{id:?}");
    }
    assert_eq!(str_of(&get(&mut st, &ev, FieldId::EvtDir, FieldArg::None)), Some(">"));
    assert_eq!(
        get(&mut st, &ev, FieldId::EvtLatency, FieldArg::None),
        vec![FieldValue::RelTime(0)]
    );
}

/// Extracts `id` of `bytes`, the event `st` parsed last, without parsing it again.
fn peek(st: &ThreadTable, bytes: &[u8], id: FieldId) -> Vec<FieldValue> {
    let d = DecodedEvent::new(EventRef::parse_any(bytes).unwrap()).unwrap();
    let mut out = Vec::new();
    extract(id, FieldArg::None, &d, st, &mut out);
    out
}

fn parse(st: &mut ThreadTable, bytes: &[u8]) {
    st.parse_event(EventRef::parse_any(bytes).unwrap()).unwrap();
}

const SOCKET_X: u16 = 19;
const BIND_X: u16 = 21;
const CONNECT_X: u16 = 23;
const SENDTO_X: u16 = 31;
const RECVFROM_X: u16 = 35;
const RECVMSG_X: u16 = 53;
const AF_UNIX: u32 = 1;
const AF_INET: u32 = 2;
const AF_INET6: u32 = 10;
const SOCK_STREAM: u32 = 1;
const SOCK_DGRAM: u32 = 2;

fn socket_x(fd: i64, domain: u32, ty: u32) -> Vec<u8> {
    event(SOCKET_X, &[i64p(fd), u32p(domain), u32p(ty), u32p(0), u32p(0)])
}

/// An IPv4 socktuple parameter, `src` end first as the driver sends it.
fn tuple4(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16) -> Vec<u8> {
    let mut t = vec![AF_INET as u8];
    t.extend_from_slice(&src);
    t.extend_from_slice(&sport.to_le_bytes());
    t.extend_from_slice(&dst);
    t.extend_from_slice(&dport.to_le_bytes());
    t
}

fn sendto_x(res: i64, fd: i64, tuple: Vec<u8>) -> Vec<u8> {
    event(SENDTO_X, &[i64p(res), b"query".to_vec(), i64p(fd), u32p(12), tuple])
}

fn recvfrom_x(res: i64, fd: i64, tuple: Vec<u8>) -> Vec<u8> {
    event(RECVFROM_X, &[i64p(res), b"reply".to_vec(), tuple, i64p(fd), u32p(512)])
}

fn recvmsg_x(res: i64, fd: i64, tuple: Vec<u8>) -> Vec<u8> {
    event(
        RECVMSG_X,
        &[i64p(res), u32p(512), b"reply".to_vec(), tuple, Vec::new(), i64p(fd)],
    )
}

fn ip(s: &str) -> Vec<FieldValue> {
    vec![FieldValue::Ip(s.parse().unwrap())]
}

fn port(p: u64) -> Vec<FieldValue> {
    vec![FieldValue::U64(p)]
}

fn changed(v: bool) -> Vec<FieldValue> {
    vec![FieldValue::Bool(v)]
}

#[test]
fn unconnected_udp_sendto_takes_the_datagram_tuple() {
    const IPPROTO_UDP: u32 = 17;
    let mut st = state();
    let sock = event(
        SOCKET_X,
        &[i64p(7), u32p(AF_INET), u32p(SOCK_DGRAM), u32p(IPPROTO_UDP), u32p(0)],
    );
    get(&mut st, &sock, FieldId::FdNum, FieldArg::None);
    let mut tuple = vec![2u8, 10, 0, 0, 5];
    tuple.extend_from_slice(&40000u16.to_le_bytes());
    tuple.extend_from_slice(&[8, 8, 8, 8]);
    tuple.extend_from_slice(&53u16.to_le_bytes());
    let send = event(SENDTO_X, &[i64p(12), b"query".to_vec(), i64p(7), u32p(12), tuple]);
    parse(&mut st, &send);
    let f = |st: &ThreadTable, id| peek(st, &send, id);
    assert_eq!(str_of(&f(&st, FieldId::FdName)), Some("10.0.0.5:40000->8.8.8.8:53"));
    assert_eq!(f(&st, FieldId::FdNameChanged), vec![FieldValue::Bool(true)]);
    // libsinsp marks an inet socket connected at its first successful read or write.
    assert_eq!(f(&st, FieldId::FdConnected), vec![FieldValue::Bool(true)]);
    assert_eq!(f(&st, FieldId::FdSip), vec![FieldValue::Ip("8.8.8.8".parse().unwrap())]);
    assert_eq!(f(&st, FieldId::FdSport), vec![FieldValue::U64(53)]);
    assert_eq!(str_of(&f(&st, FieldId::FdL4proto)), Some("udp"));
    assert_eq!(str_of(&f(&st, FieldId::FdTypechar)), Some("4"));
    assert_eq!(str_of(&f(&st, FieldId::EvtBuffer)), Some("query"));
    assert_eq!(f(&st, FieldId::EvtBuflen), vec![FieldValue::U64(12)]);
    // The same datagram again renames nothing.
    parse(&mut st, &send);
    assert_eq!(f(&st, FieldId::FdNameChanged), changed(false));
    assert_eq!(str_of(&f(&st, FieldId::FdName)), Some("10.0.0.5:40000->8.8.8.8:53"));
}

/// A UDP server bound to 127.0.0.1:9999: each datagram's sender becomes the client end, the
/// server end stays (libsinsp `parse_rw_exit`: no longer `127.0.0.1:0`, sport 0).
#[test]
fn udp_server_recvfrom_and_recvmsg_take_the_client_end() {
    let mut st = state();
    parse(&mut st, &socket_x(3, AF_INET, SOCK_DGRAM));
    let mut addr = vec![AF_INET as u8, 127, 0, 0, 1];
    addr.extend_from_slice(&9999u16.to_le_bytes());
    parse(&mut st, &event(BIND_X, &[i64p(0), addr, i64p(3)]));
    let lo = [127, 0, 0, 1];
    // Inbound tuples carry the remote end first.
    let recv = recvfrom_x(5, 3, tuple4(lo, 40000, lo, 9999));
    parse(&mut st, &recv);
    let f = |st: &ThreadTable, id| peek(st, &recv, id);
    assert_eq!(
        str_of(&f(&st, FieldId::FdName)),
        Some("127.0.0.1:40000->127.0.0.1:9999")
    );
    assert_eq!(f(&st, FieldId::FdNameChanged), changed(true));
    assert_eq!(f(&st, FieldId::FdSip), ip("127.0.0.1"));
    assert_eq!(f(&st, FieldId::FdSport), port(9999));
    assert_eq!(f(&st, FieldId::FdCip), ip("127.0.0.1"));
    assert_eq!(f(&st, FieldId::FdCport), port(40000));
    assert_eq!(str_of(&f(&st, FieldId::FdL4proto)), Some("udp"));
    assert_eq!(f(&st, FieldId::FdIsServer), changed(true));

    // The reply's tuple (local end first) is the stored one reversed: nothing changes.
    let reply = sendto_x(5, 3, tuple4(lo, 9999, lo, 40000));
    parse(&mut st, &reply);
    assert_eq!(peek(&st, &reply, FieldId::FdNameChanged), changed(false));
    assert_eq!(
        str_of(&peek(&st, &reply, FieldId::FdName)),
        Some("127.0.0.1:40000->127.0.0.1:9999")
    );

    // A datagram of another client re-points the socket.
    let other = recvmsg_x(5, 3, tuple4([10, 1, 2, 3], 5353, lo, 9999));
    parse(&mut st, &other);
    let f = |st: &ThreadTable, id| peek(st, &other, id);
    assert_eq!(str_of(&f(&st, FieldId::FdName)), Some("10.1.2.3:5353->127.0.0.1:9999"));
    assert_eq!(f(&st, FieldId::FdNameChanged), changed(true));
    assert_eq!(f(&st, FieldId::FdCip), ip("10.1.2.3"));
    assert_eq!(f(&st, FieldId::FdCport), port(5353));
    assert_eq!(f(&st, FieldId::FdSport), port(9999));

    // A failed call and an empty tuple leave the socket alone.
    let failed = recvfrom_x(-11, 3, tuple4([10, 9, 9, 9], 1, lo, 9999));
    parse(&mut st, &failed);
    assert_eq!(
        str_of(&peek(&st, &failed, FieldId::FdName)),
        Some("10.1.2.3:5353->127.0.0.1:9999")
    );
    assert_eq!(peek(&st, &failed, FieldId::FdNameChanged), changed(false));
    let empty = recvfrom_x(5, 3, Vec::new());
    parse(&mut st, &empty);
    assert_eq!(
        str_of(&peek(&st, &empty, FieldId::FdName)),
        Some("10.1.2.3:5353->127.0.0.1:9999")
    );
}

/// A client's first send makes it the client (tuple as sent); its receives then carry the
/// same ends reversed and change nothing. A socket whose first datagram is received is
/// guessed a server.
/// A server bound to the any-address receives with `0.0.0.0` as its end: libsinsp puts the
/// machine's address in the peer's subnet there (from the capture's interface list).
#[test]
fn udp_server_on_any_address_takes_the_interface_address() {
    use syscall::scap::Interface;
    let mut st = state();
    for (addr, netmask, name) in [
        ([127, 0, 0, 1], [255, 0, 0, 0], "lo"),
        ([10, 0, 0, 5], [255, 255, 255, 0], "eth0"),
    ] {
        st.add_interface(&Interface::V4 {
            addr,
            netmask,
            bcast: [0; 4],
            linkspeed: None,
            name: name.into(),
        });
    }
    parse(&mut st, &socket_x(3, AF_INET, SOCK_DGRAM));
    let mut addr = vec![AF_INET as u8, 0, 0, 0, 0];
    addr.extend_from_slice(&9999u16.to_le_bytes());
    parse(&mut st, &event(BIND_X, &[i64p(0), addr, i64p(3)]));
    let recv = recvfrom_x(5, 3, tuple4([10, 0, 0, 7], 6000, [0, 0, 0, 0], 9999));
    parse(&mut st, &recv);
    assert_eq!(
        str_of(&peek(&st, &recv, FieldId::FdName)),
        Some("10.0.0.7:6000->10.0.0.5:9999")
    );
    assert_eq!(peek(&st, &recv, FieldId::FdSip), ip("10.0.0.5"));
    // A peer outside every subnet: the first interface that is not loopback.
    let far = recvfrom_x(5, 3, tuple4([8, 8, 4, 4], 53, [0, 0, 0, 0], 9999));
    parse(&mut st, &far);
    assert_eq!(
        str_of(&peek(&st, &far, FieldId::FdName)),
        Some("8.8.4.4:53->10.0.0.5:9999")
    );
    // A loopback peer: the loopback interface.
    let lo = recvfrom_x(5, 3, tuple4([127, 0, 0, 1], 41000, [0, 0, 0, 0], 9999));
    parse(&mut st, &lo);
    assert_eq!(
        str_of(&peek(&st, &lo, FieldId::FdName)),
        Some("127.0.0.1:41000->127.0.0.1:9999")
    );
}

#[test]
fn udp_client_sendto_then_recvfrom_keeps_client_to_server_order() {
    let mut st = state();
    let (me, dns) = ([10, 0, 0, 5], [10, 0, 0, 53]);
    parse(&mut st, &socket_x(4, AF_INET, SOCK_DGRAM));
    parse(&mut st, &sendto_x(12, 4, tuple4(me, 40000, dns, 53)));
    let recv = recvfrom_x(40, 4, tuple4(dns, 53, me, 40000));
    parse(&mut st, &recv);
    let f = |st: &ThreadTable, id| peek(st, &recv, id);
    assert_eq!(str_of(&f(&st, FieldId::FdName)), Some("10.0.0.5:40000->10.0.0.53:53"));
    assert_eq!(f(&st, FieldId::FdNameChanged), changed(false));
    assert_eq!(f(&st, FieldId::FdSip), ip("10.0.0.53"));
    assert_eq!(f(&st, FieldId::FdSport), port(53));
    assert_eq!(f(&st, FieldId::FdCport), port(40000));

    // Never sent from: the first datagram received makes it a server (remote end = client).
    parse(&mut st, &socket_x(5, AF_INET, SOCK_DGRAM));
    let first = recvfrom_x(8, 5, tuple4([10, 0, 0, 7], 6000, me, 7000));
    parse(&mut st, &first);
    assert_eq!(
        str_of(&peek(&st, &first, FieldId::FdName)),
        Some("10.0.0.7:6000->10.0.0.5:7000")
    );
    assert_eq!(peek(&st, &first, FieldId::FdSport), port(7000));
    // Its reply leaves it so.
    let reply = sendto_x(8, 5, tuple4(me, 7000, [10, 0, 0, 7], 6000));
    parse(&mut st, &reply);
    assert_eq!(
        str_of(&peek(&st, &reply, FieldId::FdName)),
        Some("10.0.0.7:6000->10.0.0.5:7000")
    );

    // A send on an fd the state never saw created: libsinsp assumes a UDP socket.
    let unknown = sendto_x(3, 9, tuple4(me, 41000, dns, 53));
    parse(&mut st, &unknown);
    assert_eq!(
        str_of(&peek(&st, &unknown, FieldId::FdName)),
        Some("10.0.0.5:41000->10.0.0.53:53")
    );
    assert_eq!(str_of(&peek(&st, &unknown, FieldId::FdL4proto)), Some("udp"));
}

#[test]
fn udp6_sendto_renames_the_socket() {
    let mut st = state();
    parse(&mut st, &socket_x(6, AF_INET6, SOCK_DGRAM));
    let mut tuple = vec![AF_INET6 as u8];
    tuple.extend_from_slice(&"2001:db8::1".parse::<std::net::Ipv6Addr>().unwrap().octets());
    tuple.extend_from_slice(&40000u16.to_le_bytes());
    tuple.extend_from_slice(&"2001:db8::2".parse::<std::net::Ipv6Addr>().unwrap().octets());
    tuple.extend_from_slice(&53u16.to_le_bytes());
    let send = sendto_x(12, 6, tuple);
    parse(&mut st, &send);
    assert_eq!(
        str_of(&peek(&st, &send, FieldId::FdName)),
        Some("2001:db8::1:40000->2001:db8::2:53")
    );
    assert_eq!(peek(&st, &send, FieldId::FdSip), ip("2001:db8::2"));
    assert_eq!(peek(&st, &send, FieldId::FdCport), port(40000));
    assert_eq!(str_of(&peek(&st, &send, FieldId::FdTypechar)), Some("6"));
}

fn tuple6(src: &str, sport: u16, dst: &str, dport: u16) -> Vec<u8> {
    let mut t = vec![AF_INET6 as u8];
    t.extend_from_slice(&src.parse::<std::net::Ipv6Addr>().unwrap().octets());
    t.extend_from_slice(&sport.to_le_bytes());
    t.extend_from_slice(&dst.parse::<std::net::Ipv6Addr>().unwrap().octets());
    t.extend_from_slice(&dport.to_le_bytes());
    t
}

/// IPv6 quirks of libsinsp's shared socket storage: the role of a socket first seen in a
/// receive is guessed from bytes of the source address read as IPv4 ports (here: no IPv4
/// socket owns port 0, so a client, and the ends are swapped); a bound IPv6 socket keeps its
/// type, takes the tuple's text as name, and its bound address and port share storage with
/// the tuple's source address and the first bytes of its destination.
#[test]
fn udp6_receives_follow_libsinsp_storage() {
    let mut st = state();
    parse(&mut st, &socket_x(6, AF_INET6, SOCK_DGRAM));
    let recv = recvfrom_x(5, 6, tuple6("2001:db8::7", 6000, "2001:db8::5", 7000));
    parse(&mut st, &recv);
    assert_eq!(
        str_of(&peek(&st, &recv, FieldId::FdName)),
        Some("2001:db8::5:7000->2001:db8::7:6000")
    );
    assert_eq!(peek(&st, &recv, FieldId::FdSip), ip("2001:db8::7"));

    parse(&mut st, &socket_x(7, AF_INET6, SOCK_DGRAM));
    let mut addr = vec![AF_INET6 as u8];
    addr.extend_from_slice(&std::net::Ipv6Addr::LOCALHOST.octets());
    addr.extend_from_slice(&9999u16.to_le_bytes());
    parse(&mut st, &event(BIND_X, &[i64p(0), addr, i64p(7)]));
    let recv = recvfrom_x(5, 7, tuple6("fd00::1", 40000, "fe80::1", 9999));
    parse(&mut st, &recv);
    assert_eq!(
        str_of(&peek(&st, &recv, FieldId::FdName)),
        Some("fd00::1:40000->fe80::1:9999")
    );
    assert_eq!(peek(&st, &recv, FieldId::FdNameChanged), changed(true));
    assert_eq!(peek(&st, &recv, FieldId::FdSip), ip("fd00::1"));
    // fe80:: read as a little-endian port.
    assert_eq!(peek(&st, &recv, FieldId::FdSport), port(0x80fe));
    parse(&mut st, &recv);
    assert_eq!(peek(&st, &recv, FieldId::FdNameChanged), changed(false));
}

/// A connected TCP socket keeps its name whatever tuple its reads carry.
#[test]
fn tcp_socket_is_not_renamed_by_its_reads() {
    let mut st = state();
    let (me, web) = ([10, 0, 0, 5], [10, 0, 0, 80]);
    parse(&mut st, &socket_x(8, AF_INET, SOCK_STREAM));
    let mut addr = vec![AF_INET as u8];
    addr.extend_from_slice(&web);
    addr.extend_from_slice(&80u16.to_le_bytes());
    parse(
        &mut st,
        &event(CONNECT_X, &[i64p(0), tuple4(me, 50000, web, 80), i64p(8), addr]),
    );
    let recv = recvfrom_x(100, 8, tuple4([192, 168, 1, 1], 1234, me, 50000));
    parse(&mut st, &recv);
    assert_eq!(
        str_of(&peek(&st, &recv, FieldId::FdName)),
        Some("10.0.0.5:50000->10.0.0.80:80")
    );
    assert_eq!(peek(&st, &recv, FieldId::FdNameChanged), changed(false));
    assert_eq!(peek(&st, &recv, FieldId::FdSip), ip("10.0.0.80"));
    let send = sendto_x(10, 8, tuple4(me, 50000, [192, 168, 1, 1], 1234));
    parse(&mut st, &send);
    assert_eq!(
        str_of(&peek(&st, &send, FieldId::FdName)),
        Some("10.0.0.5:50000->10.0.0.80:80")
    );
}

/// Unix sockets take the tuple's text as their name at every read/write carrying one.
#[test]
fn unix_datagram_sendto_renames_the_socket_after_its_tuple() {
    let mut st = state();
    parse(&mut st, &socket_x(10, AF_UNIX, SOCK_DGRAM));
    let mut tuple = vec![AF_UNIX as u8];
    tuple.extend_from_slice(&0xffff_9a01_u64.to_le_bytes());
    tuple.extend_from_slice(&0xffff_9a02_u64.to_le_bytes());
    tuple.extend_from_slice(b"/run/log.sock\0");
    let send = sendto_x(20, 10, tuple);
    parse(&mut st, &send);
    assert_eq!(
        str_of(&peek(&st, &send, FieldId::FdName)),
        Some("ffff9a01->ffff9a02 /run/log.sock")
    );
    assert_eq!(peek(&st, &send, FieldId::FdNameChanged), changed(true));
    assert_eq!(str_of(&peek(&st, &send, FieldId::FdTypechar)), Some("u"));
}

#[test]
fn semget_key_renders_as_hex_of_its_width() {
    const SEMGET_X: u16 = 263;
    const PPM_IPC_CREAT: u32 = 1 << 13;
    let mut st = state();
    let semget = |key: i32| {
        event(
            SEMGET_X,
            &[
                i64p(7),
                key.to_le_bytes().to_vec(),
                2i32.to_le_bytes().to_vec(),
                u32p(PPM_IPC_CREAT),
            ],
        )
    };
    // A negative key is the 32-bit pattern in hex (Falco's PF_HEX of a PT_INT32).
    let ev = semget(-1);
    assert_eq!(
        str_of(&get(&mut st, &ev, FieldId::EvtArg, FieldArg::Key("key"))),
        Some("FFFFFFFF")
    );
    assert_eq!(
        str_of(&get(&mut st, &ev, FieldId::EvtArgs, FieldArg::None)),
        Some("res=7 key=FFFFFFFF nsems=2 semflg=8192(IPC_CREAT) ")
    );
    let ev = semget(0x1234);
    assert_eq!(
        str_of(&get(&mut st, &ev, FieldId::EvtArg, FieldArg::Key("key"))),
        Some("1234")
    );
}
