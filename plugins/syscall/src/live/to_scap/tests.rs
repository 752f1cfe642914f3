//! Synthetic raw records (built as the kernel writes them) → scap events → the replay
//! decoder, the state and the field code.

use std::net::{IpAddr, Ipv4Addr};

use plugin_api::event::EventRef;

use super::*;
use crate::fields::{extract, FieldArg, FieldValue, ALL_FIELD_IDS, FIELDS};
use crate::live::records::{
    RawFdInfo, RawTuple, RecordEncoder, TaskBlock, REC_PROC_EXEC, REC_PROC_EXIT, REC_SYS_ENTER,
};
use crate::params::{DecodedEvent, ParamValue};
use crate::scap::ProcessEntry;
use crate::state::ThreadTable;

const BOOT: u64 = 1_700_000_000_000_000_000;
const AT_FDCWD: u64 = -100i64 as u64;

fn nr(name: &str) -> u16 {
    syscall_nr::by_name(name).unwrap().nr
}

fn task(ppid: u32, comm: &str) -> TaskBlock {
    let mut c = [0u8; 16];
    c[..comm.len()].copy_from_slice(comm.as_bytes());
    TaskBlock {
        ppid,
        uid: 1000,
        gid: 1000,
        loginuid: 1000,
        fdlimit: 1024,
        comm: c,
        ..TaskBlock::default()
    }
}

/// The state, a builder and the last event, with field access by name.
struct Harness {
    state: ThreadTable,
    builder: ScapBuilder,
    event: Vec<u8>,
}

impl Harness {
    fn new() -> Self {
        let mut state = ThreadTable::new();
        state.add_process_entry(&ProcessEntry {
            tid: 100,
            pid: 100,
            ptid: 1,
            comm: "bash".into(),
            exe: "/bin/bash".into(),
            exepath: "/usr/bin/bash".into(),
            cwd: "/home/u".into(),
            ..ProcessEntry::default()
        });
        Harness {
            state,
            builder: ScapBuilder::new(BOOT),
            event: Vec::new(),
        }
    }

    /// Builds `rec`, decodes the event and feeds the state.
    fn feed(&mut self, rec: &RecordEncoder) -> DecodedEvent<'_> {
        let bytes = rec.encode();
        let raw = RawRecord::parse(&bytes).unwrap();
        self.event.clear();
        assert!(
            self.builder.build(&raw, &mut self.event).unwrap(),
            "record made no event"
        );
        let ev = EventRef::parse_any(&self.event).unwrap();
        assert_eq!(ev.ts(), BOOT + rec.hdr.ts);
        assert_eq!(ev.tid(), rec.hdr.tid as u64);
        let d = DecodedEvent::new(ev).unwrap();
        assert_eq!(ev.nparams() as usize, d.info.params.len(), "every parameter is present");
        for i in 0..d.info.params.len() {
            d.param(i).unwrap().unwrap_or_else(|e| panic!("{}: {e}", d.info.name));
        }
        self.state.parse_event(ev).unwrap();
        d
    }

    fn field(&self, name: &str) -> Vec<FieldValue> {
        let i = FIELDS.iter().position(|f| f.name == name).unwrap();
        let ev = EventRef::parse_any(&self.event).unwrap();
        let d = DecodedEvent::new(ev).unwrap();
        let mut out = Vec::new();
        extract(ALL_FIELD_IDS[i], FieldArg::None, &d, &self.state, &mut out);
        out
    }

    fn str(&self, name: &str) -> String {
        match self.field(name).as_slice() {
            [FieldValue::Str(s)] => s.clone(),
            other => panic!("{name}: {other:?}"),
        }
    }

    fn u64(&self, name: &str) -> u64 {
        match self.field(name).as_slice() {
            [FieldValue::U64(v)] => *v,
            other => panic!("{name}: {other:?}"),
        }
    }

    fn ip(&self, name: &str) -> IpAddr {
        match self.field(name).as_slice() {
            [FieldValue::Ip(v)] => *v,
            other => panic!("{name}: {other:?}"),
        }
    }
}

fn exit(name: &str, tid: u32) -> RecordEncoder {
    RecordEncoder::new(REC_SYS_EXIT, nr(name), tid, tid).ts(1_000)
}

fn v4_tuple(local: ([u8; 4], u16), remote: ([u8; 4], u16)) -> RawTuple<'static> {
    let mut l = [0u8; 16];
    l[..4].copy_from_slice(&local.0);
    let mut r = [0u8; 16];
    r[..4].copy_from_slice(&remote.0);
    RawTuple {
        family: 2,
        sock_type: 1,
        local_addr: l,
        remote_addr: r,
        local_port: local.1,
        remote_port: remote.1,
        unix_local: 0,
        unix_peer: 0,
        unix_path: b"",
        unix_peer_path: b"",
    }
}

/// clone (parent and child records) then execve with a task block.
fn spawn_cat(h: &mut Harness) {
    let parent = exit("clone", 100).ret(200).args([0x11, 0, 0, 0, 0, 0]).task(TaskBlock {
        clone_flags: 0x11,
        vtid: 100,
        ..task(1, "bash")
    });
    let d = h.feed(&parent);
    assert_eq!(d.info.code, 223);
    let child = RecordEncoder::new(REC_SYS_EXIT, nr("clone"), 200, 200)
        .ts(1_001)
        .ret(0)
        .task(TaskBlock {
            clone_flags: 0x11,
            vtid: 200,
            vpid: 200,
            ..task(100, "bash")
        })
        .item(tag::CWD, 0, b"/home/u\0")
        .item(tag::ARGS, 0, b"bash\0-i\0");
    h.feed(&child);
    assert_eq!(h.str("proc.name"), "bash");
    assert_eq!(h.u64("proc.ppid"), 100);

    let exec = RecordEncoder::new(REC_SYS_EXIT, nr("execve"), 200, 200)
        .ts(2_000)
        .ret(0)
        .task(TaskBlock {
            exe_flags: crate::live::records::EXE_WRITABLE,
            vtid: 200,
            vpid: 200,
            ..task(100, "cat")
        })
        .ustr(0, "/usr/bin/cat")
        .item(tag::EXE_PATH, 0, b"/usr/bin/cat\0")
        .item(tag::ARGS, 0, b"cat\0/etc/passwd\0")
        .item(tag::ENV, 0, b"HOME=/home/u\0PATH=/bin\0")
        .item(tag::CWD, 0, b"/home/u\0")
        .item(tag::CGROUPS, 0, b"cpu=/user.slice\0memory=/user.slice\0");
    let d = h.feed(&exec);
    assert_eq!(d.info.code, 293);
    assert!(matches!(
        d.param_by_name("filename"),
        Some(Ok(ParamValue::Str(b"/usr/bin/cat")))
    ));
}

#[test]
fn execve_after_clone_sets_the_process() {
    let mut h = Harness::new();
    spawn_cat(&mut h);
    assert_eq!(h.str("proc.name"), "cat");
    assert_eq!(h.str("proc.pname"), "bash");
    assert_eq!(h.str("proc.cmdline"), "cat /etc/passwd");
    assert_eq!(h.str("proc.exepath"), "/usr/bin/cat");
    assert_eq!(h.str("proc.cwd"), "/home/u/");
    assert_eq!(h.u64("proc.pid"), 200);
    assert_eq!(h.u64("user.uid"), 1000);
    let t = h.state.thread(200).unwrap();
    assert_eq!(t.env_var("HOME"), Some("/home/u"));
    assert_eq!(t.cgroup("memory"), Some("/user.slice"));
    assert!(t.exe_writable);
    assert_eq!(h.str("evt.type"), "execve");
}

#[test]
fn openat_names_the_fd_and_close_removes_it() {
    let mut h = Harness::new();
    spawn_cat(&mut h);
    let open = exit("openat", 200)
        .ret(3)
        .args([AT_FDCWD, 0, 0o2000000, 0, 0, 0])
        .ustr(1, "../u/notes.txt")
        .fdinfo(
            ARG_RET,
            &RawFdInfo {
                dev: 0x803,
                flags: 0o2100000,
                ino: 4242,
                ..RawFdInfo::default()
            },
        );
    let d = h.feed(&open);
    assert_eq!(d.info.code, 307);
    assert_eq!(d.render_param(3).unwrap(), "4097(O_RDONLY|O_CLOEXEC)");
    assert_eq!(h.str("fd.name"), "/home/u/notes.txt");
    assert_eq!(h.u64("fd.num"), 3);
    assert_eq!(h.u64("fd.ino"), 4242);
    assert_eq!(h.str("evt.res"), "SUCCESS");
    assert_eq!(h.state.fd(200, 3).unwrap().dev, 0x803);

    // A failed openat: the errno, and no fd.
    let d = h.feed(
        &exit("openat", 200)
            .ret(-2)
            .args([AT_FDCWD, 0, 0, 0, 0, 0])
            .ustr(1, "/nope"),
    );
    assert!(matches!(d.param(0), Some(Ok(ParamValue::Signed(-2)))));
    assert_eq!(h.str("evt.res"), "ENOENT");

    h.feed(&exit("close", 200).ret(0).args([3, 0, 0, 0, 0, 0]));
    assert_eq!(
        h.str("fd.name"),
        "/home/u/notes.txt",
        "the closed fd stays visible to its event"
    );
    assert!(h.state.fd(200, 3).is_none());
}

#[test]
fn connect_and_accept4_set_socket_tuples() {
    let mut h = Harness::new();
    spawn_cat(&mut h);
    h.feed(&exit("socket", 200).ret(4).args([2, 1, 0, 0, 0, 0]));
    let mut sa = vec![2u8, 0, 0x01, 0xbb, 1, 2, 3, 4];
    sa.extend_from_slice(&[0; 8]);
    let connect = exit("connect", 200)
        .ret(0)
        .args([4, 0, 16, 0, 0, 0])
        .tuple(0, &v4_tuple(([10, 0, 0, 1], 40000), ([1, 2, 3, 4], 443)))
        .item(tag::SOCKADDR, 1, &sa);
    let d = h.feed(&connect);
    assert_eq!(d.render_param(3).unwrap(), "1.2.3.4:443");
    assert_eq!(h.ip("fd.sip"), IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4)));
    assert_eq!(h.u64("fd.sport"), 443);
    assert_eq!(h.u64("fd.cport"), 40000);
    assert_eq!(h.str("fd.name"), "10.0.0.1:40000->1.2.3.4:443");
    assert_eq!(h.str("fd.l4proto"), "tcp");

    let accept = exit("accept4", 200)
        .ret(5)
        .args([3, 0, 0, 0o2000000, 0, 0])
        .tuple(ARG_RET, &v4_tuple(([127, 0, 0, 1], 8080), ([127, 0, 0, 1], 5555)));
    let d = h.feed(&accept);
    assert_eq!(d.info.code, 389);
    assert_eq!(h.u64("fd.num"), 5);
    assert_eq!(h.u64("fd.cport"), 5555);
    assert_eq!(h.u64("fd.sport"), 8080);
    assert_eq!(h.str("fd.name"), "127.0.0.1:5555->127.0.0.1:8080");
}

#[test]
fn procexit_marks_the_thread_exited() {
    let mut h = Harness::new();
    spawn_cat(&mut h);
    let rec = RecordEncoder::new(REC_PROC_EXIT, 0, 200, 200)
        .ts(3_000)
        .args([0x100, 1, 0, 0, 0, 0]);
    let d = h.feed(&rec);
    assert_eq!(d.info.code, PROCEXIT_E);
    assert!(matches!(d.param_by_name("ret"), Some(Ok(ParamValue::Signed(1)))));
    assert!(matches!(d.param_by_name("reaper_tid"), Some(Ok(ParamValue::Signed(1)))));
    assert!(h.state.thread(200).unwrap().exited);
}

#[test]
fn syscalls_without_an_event_are_generic() {
    let mut h = Harness::new();
    let d = h.feed(&exit("sched_yield", 100).ret(0));
    assert_eq!(d.info.code, GENERIC_X);
    let sc = syscall_nr::by_name("sched_yield").unwrap();
    assert!(matches!(d.param(0), Some(Ok(ParamValue::Unsigned(c))) if c == sc.ppm_sc as u64));
    assert!(matches!(d.param(1), Some(Ok(ParamValue::Unsigned(24)))));
    assert_eq!(h.str("evt.type"), "sched_yield");
    assert_eq!(h.str("proc.name"), "bash");
}

#[test]
fn io_and_file_syscalls_carry_their_data() {
    let mut h = Harness::new();
    let d = h.feed(
        &exit("write", 100)
            .ret(5)
            .args([1, 0, 5, 0, 0, 0])
            .item(tag::UBUF, 1, b"hello"),
    );
    assert_eq!(d.render_args(), "res=5 data=hello fd=1 size=5");
    let d = h.feed(
        &exit("renameat2", 100)
            .args([AT_FDCWD, 0, AT_FDCWD, 0, 1, 0])
            .ustr(1, "a")
            .ustr(3, "b"),
    );
    assert_eq!(
        d.render_args(),
        "res=0 olddirfd=-100 oldpath=a newdirfd=-100 newpath=b flags=1"
    );
    let d = h.feed(&exit("dup2", 100).ret(7).args([1, 7, 0, 0, 0, 0]));
    assert_eq!(d.render_args(), "res=7 oldfd=1 newfd=7");
    let d = h.feed(
        &exit("mount", 100)
            .args([0, 0, 0, 0, 0, 0])
            .ustr(0, "/dev/sda1")
            .ustr(1, "/mnt")
            .ustr(2, "ext4"),
    );
    assert_eq!(d.render_args(), "res=0 dev=/dev/sda1 dir=/mnt type=ext4 flags=0");
    let d = h.feed(&exit("kill", 100).args([42, 9, 0, 0, 0, 0]));
    assert_eq!(d.render_args(), "res=0 pid=42 sig=9(SIGKILL)");
    let d = h.feed(&exit("prctl", 100).args([15, 0, 0, 0, 0, 0]).ustr(1, "worker"));
    assert_eq!(d.render_param(2).unwrap(), "worker");
    assert_eq!(h.str("proc.name"), "worker");
}

#[test]
fn enter_records_and_unknown_numbers_make_no_event() {
    let mut b = ScapBuilder::new(0);
    let mut out = Vec::new();
    let enter = RecordEncoder::new(REC_SYS_ENTER, nr("read"), 1, 1).encode();
    assert!(!b.build(&RawRecord::parse(&enter).unwrap(), &mut out).unwrap());
    let unknown = RecordEncoder::new(REC_SYS_EXIT, 511, 1, 1).encode();
    assert!(!b.build(&RawRecord::parse(&unknown).unwrap(), &mut out).unwrap());
    assert!(out.is_empty());
    assert_eq!(b.stats().no_event, 2);
}

#[test]
fn sockaddrs_and_unix_tuples_encode_as_the_driver() {
    let mut un = vec![1u8, 0];
    un.extend_from_slice(b"/run/x.sock\0garbage");
    assert_eq!(encode_sockaddr(&un).unwrap(), b"\x01/run/x.sock\0");
    assert_eq!(encode_sockaddr(&[1, 0, 0, b'a', b'b']).unwrap(), b"\x01@ab\0");
    let mut v6 = vec![10u8, 0, 0x1f, 0x90, 0, 0, 0, 0];
    v6.extend_from_slice(&[0; 15]);
    v6.push(1);
    let e = encode_sockaddr(&v6).unwrap();
    assert_eq!((e.len(), e[0], e[17], e[18]), (19, 10, 0x90, 0x1f));
    assert!(encode_sockaddr(&[2, 0, 1]).is_none());
    let t = RawTuple {
        family: 1,
        unix_local: 0xa,
        unix_peer: 0xb,
        unix_path: b"/s",
        ..v4_tuple(([0; 4], 0), ([0; 4], 0))
    };
    assert_eq!(encode_tuple(&t, Direction::Inbound).unwrap().len(), 1 + 16 + 3);
}

#[test]
fn sched_process_exec_records_become_execve_exits() {
    let mut h = Harness::new();
    let rec = RecordEncoder::new(REC_PROC_EXEC, 0, 100, 100)
        .ts(5_000)
        .task(task(1, "sleep"))
        .item(tag::ARGS, 0, b"sleep\x001\0")
        .item(tag::EXE_PATH, 0, b"/usr/bin/sleep\0");
    let d = h.feed(&rec);
    assert_eq!(d.info.code, EXECVE_X);
    assert!(matches!(d.param_by_name("res"), Some(Ok(ParamValue::Signed(0)))));
    assert_eq!(h.str("proc.name"), "sleep");
    assert_eq!(h.str("proc.cmdline"), "sleep 1");
    assert_eq!(h.str("proc.exepath"), "/usr/bin/sleep");
}

#[test]
fn thread_clones_share_the_process() {
    let mut h = Harness::new();
    // pthread_create's flags; the child record arrives first.
    let flags = 0x3d0f00;
    let child = RecordEncoder::new(REC_SYS_EXIT, nr("clone3"), 101, 100).task(TaskBlock {
        clone_flags: flags,
        vtid: 101,
        vpid: 100,
        ..task(1, "bash")
    });
    h.feed(&child);
    let parent = exit("clone3", 100).ret(101).task(TaskBlock {
        clone_flags: flags,
        vtid: 100,
        ..task(1, "bash")
    });
    h.feed(&parent);
    let t = h.state.thread(101).unwrap();
    assert_eq!((t.pid, t.ptid), (100, 1));
    assert_eq!(t.flags & (1 << 13), 1 << 13, "PPM_CL_CLONE_THREAD");
    assert_eq!(t.flags & PPM_CL_CHILD_IN_PIDNS, 0);
}

/// Every single-byte corruption of valid records is either rejected by the parser or built
/// into an event the decoder accepts; nothing panics.
#[test]
fn corrupted_records_never_panic() {
    let records = [
        exit("openat", 9)
            .ret(3)
            .ustr(1, "/etc/x")
            .fdinfo(ARG_RET, &RawFdInfo::default())
            .encode(),
        exit("connect", 9)
            .tuple(0, &v4_tuple(([1, 1, 1, 1], 1), ([2, 2, 2, 2], 2)))
            .item(tag::SOCKADDR, 1, &[1, 0, b'/', b'x'])
            .encode(),
        exit("execve", 9)
            .task(task(1, "x"))
            .item(tag::ARGS, 0, b"a\0b\0")
            .item(tag::CGROUPS, 0, b"cpu=/\0")
            .encode(),
        exit("pipe2", 9)
            .item(tag::UINT_PAIR, 0, &[3, 0, 0, 0, 4, 0, 0, 0])
            .encode(),
    ];
    let mut b = ScapBuilder::new(0);
    let mut out = Vec::new();
    let (mut built, mut rejected) = (0, 0);
    for rec in &records {
        for at in 0..rec.len() {
            for v in [0x00, 0x7f, 0xff] {
                let mut r = rec.clone();
                r[at] = v;
                let Ok(raw) = RawRecord::parse(&r) else {
                    rejected += 1;
                    continue;
                };
                out.clear();
                if let Ok(true) = b.build(&raw, &mut out) {
                    let ev = EventRef::parse_any(&out).unwrap();
                    DecodedEvent::new(ev).unwrap();
                    built += 1;
                }
            }
        }
    }
    assert!(built > 0 && rejected > 0);
}

/// The builder remembers which parameters have no per-event arm; a builder that has seen every
/// syscall already must write the same bytes as a fresh one, for every syscall of the table,
/// whether the call failed or not (some arms depend on the result).
#[test]
fn a_warm_builder_writes_what_a_fresh_one_writes() {
    let tuple = v4_tuple(([10, 0, 0, 1], 4000), ([10, 0, 0, 2], 53));
    let info = |dev, ino| RawFdInfo {
        dev,
        ino,
        ..RawFdInfo::default()
    };
    let records: Vec<Vec<u8>> = syscall_nr::all()
        .flat_map(|sc| {
            [-2i64, 3].map(|ret| {
                RecordEncoder::new(REC_SYS_EXIT, sc.nr, 9, 9)
                    .ts(1_000)
                    .ret(ret)
                    .args([3, 15, 2, 1, 4, 5])
                    .task(task(1, "x"))
                    .ustr(0, "/a")
                    .ustr(1, "/b")
                    .ustr(2, "/c")
                    .ustr(3, "/d")
                    .item(tag::UBUF, 0, &[7; 16])
                    .item(tag::UBUF, 1, &[1; 16])
                    .item(tag::UBUF, 2, &[2; 24])
                    .item(tag::UBUF, 3, &[3; 8])
                    .item(tag::SOCKADDR, 1, &[2, 0, 1, 187, 1, 2, 3, 4])
                    .tuple(0, &tuple)
                    .tuple(ARG_RET, &tuple)
                    .tuple(3, &tuple)
                    .fdinfo(ARG_RET, &info(8, 77))
                    .fdinfo(0, &info(0, 78))
                    .item(tag::UINT_PAIR, 0, &[3, 0, 0, 0, 4, 0, 0, 0])
                    .item(tag::UINT_PAIR, 3, &[5, 0, 0, 0, 6, 0, 0, 0])
                    .item(tag::VM, 0, &[1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0])
                    .item(tag::IOVEC, 1, &[4, 0, 0, 0, b'd', b'a', b't', b'a'])
                    .item(tag::FD_PATH, ARG_RET, b"/e\0")
                    .item(tag::ARGS, 0, b"x\0-y\0")
                    .item(tag::CWD, 0, b"/\0")
                    .encode()
            })
        })
        .collect();
    let mut warm = ScapBuilder::new(BOOT);
    let mut out = Vec::new();
    for _ in 0..2 {
        for r in &records {
            out.clear();
            warm.build(&RawRecord::parse(r).unwrap(), &mut out).unwrap();
        }
    }
    let mut built = 0;
    for r in &records {
        let raw = RawRecord::parse(r).unwrap();
        let (mut fresh, mut again) = (Vec::new(), Vec::new());
        let made = ScapBuilder::new(BOOT).build(&raw, &mut fresh).unwrap();
        assert_eq!(warm.build(&raw, &mut again).unwrap(), made);
        assert_eq!(fresh, again, "syscall {}", raw.hdr.nr);
        built += made as usize;
    }
    assert!(built > 300, "{built} events built");
}

#[test]
fn kernel_values_fill_created_flags_queues_fd_lists_offsets_and_peeks() {
    let mut h = Harness::new();
    spawn_cat(&mut h);
    let created = |mode| RawFdInfo {
        ino: 7,
        mode,
        ..RawFdInfo::default()
    };
    // openat(AT_FDCWD, "new", O_WRONLY|O_CREAT): FMODE_CREATED on the new file → O_F_CREATED.
    let open = |mode| {
        exit("openat", 200)
            .ret(3)
            .args([AT_FDCWD, 0, 0o101, 0o644, 0, 0])
            .ustr(1, "/tmp/new")
            .fdinfo(ARG_RET, &created(mode))
    };
    h.feed(&open(1 << 20));
    assert_eq!(h.field("evt.is_open_create"), vec![FieldValue::Bool(true)]);
    h.feed(&open(0));
    assert_eq!(h.field("evt.is_open_create"), vec![FieldValue::Bool(false)]);
    let d = h.feed(
        &exit("creat", 200)
            .ret(4)
            .args([0, 0o644, 0, 0, 0, 0])
            .ustr(0, "/tmp/c")
            .fdinfo(ARG_RET, &created(1 << 20)),
    );
    // creat's creat_flags carry only the overlayfs layer (the drivers never set O_F_CREATED
    // there), so creat is not an open-create, as in libsinsp.
    assert!(matches!(
        d.param_by_name("creat_flags"),
        Some(Ok(ParamValue::Unsigned(0)))
    ));
    assert_eq!(h.field("evt.is_open_create"), vec![FieldValue::Bool(false)]);

    // Files opened through an overlayfs: the layer joins the open flags (creat: creat_flags)
    // and the fd remembers it.
    let layered = |layer| RawFdInfo {
        ino: 8,
        layer,
        ..RawFdInfo::default()
    };
    let opened = |call: &str, fd: i64, path: &str, layer| {
        let (args, path_arg) = match call {
            "creat" => ([0, 0o644, 0, 0, 0, 0], 0),
            _ => ([AT_FDCWD, 0, 0, 0, 0, 0], 1),
        };
        exit(call, 200)
            .ret(fd)
            .args(args)
            .ustr(path_arg, path)
            .fdinfo(ARG_RET, &layered(layer))
    };
    let layers = |h: &Harness| [h.field("fd.is_upper_layer"), h.field("fd.is_lower_layer")];
    let (yes, no) = (vec![FieldValue::Bool(true)], vec![FieldValue::Bool(false)]);
    let d = h.feed(&opened("openat", 5, "/etc/os-release", LAYER_UPPER));
    let flags = d.info.param_index("flags").unwrap();
    assert_eq!(d.render_param(flags).unwrap(), "32769(O_RDONLY|FD_UPPER_LAYER)");
    assert_eq!(layers(&h), [yes.clone(), no.clone()]);
    let d = h.feed(&opened("creat", 6, "/tmp/lowered", LAYER_LOWER));
    let creat_flags = d.info.param_index("creat_flags").unwrap();
    assert_eq!(d.render_param(creat_flags).unwrap(), "2(FD_LOWER_LAYER_CREAT)");
    assert_eq!(layers(&h), [no.clone(), yes]);
    h.feed(&opened("openat", 7, "/etc/hostname", 0));
    assert_eq!(layers(&h), [no.clone(), no]);

    // accept4 on a listener with 2 of 5 waiting.
    let mut q = 2u32.to_le_bytes().to_vec();
    q.extend_from_slice(&5u32.to_le_bytes());
    let d = h.feed(
        &exit("accept4", 200)
            .ret(5)
            .args([3, 0, 0, 0, 0, 0])
            .tuple(ARG_RET, &v4_tuple(([127, 0, 0, 1], 8080), ([127, 0, 0, 1], 5555)))
            .item(tag::SOCK_QUEUE, 0, &q),
    );
    let num = |d: &DecodedEvent<'_>, n: &str| match d.param_by_name(n) {
        Some(Ok(ParamValue::Unsigned(v))) => v,
        other => panic!("{n}: {other:?}"),
    };
    assert_eq!(
        (num(&d, "queuepct"), num(&d, "queuelen"), num(&d, "queuemax")),
        (40, 2, 5)
    );

    // poll of two fds: (3, POLLIN|POLLHUP returned), (4, nothing returned).
    let mut fds = Vec::new();
    for (fd, events, revents) in [(3i32, 1u16, 0x11u16), (4, 4, 0)] {
        fds.extend_from_slice(&fd.to_le_bytes());
        fds.extend_from_slice(&events.to_le_bytes());
        fds.extend_from_slice(&revents.to_le_bytes());
    }
    let d = h.feed(
        &exit("poll", 200)
            .ret(1)
            .args([0, 2, 0, 0, 0, 0])
            .item(tag::UBUF, 0, &fds),
    );
    assert!(matches!(d.param_by_name("fds"), Some(Ok(ParamValue::FdList(l))) if l == vec![(3, 0x21), (4, 0)]));

    let d = h.feed(&exit("poll", 200).ret(0).args([0, 0, -1i64 as u64, 0, 0, 0]));
    assert!(
        matches!(d.param_by_name("timeout"), Some(Ok(ParamValue::Signed(4294967295)))),
        "poll's int timeout, zero-extended"
    );
    let mut ts = 2u64.to_le_bytes().to_vec();
    ts.extend_from_slice(&5u64.to_le_bytes());
    let d = h.feed(
        &exit("ppoll", 200)
            .ret(0)
            .args([0, 0, 0x7000, 0x7010, 8, 0])
            .item(tag::UBUF, 2, &ts)
            .item(tag::UBUF, 3, &0x1_0000_0200u64.to_le_bytes()),
    );
    assert_eq!((num(&d, "timeout"), num(&d, "sigmask")), (2_000_000_005, 0x200));

    let d = h.feed(&exit("copy_file_range", 200).ret(10).args([3, 0x7000, 4, 0x7008, 10, 0]));
    assert_eq!(
        (num(&d, "offin"), num(&d, "offout"), num(&d, "len")),
        (0x7000, 0x7008, 10)
    );

    // sendmmsg: the first message's event (MMSG items: msg_len, iov_len sum, data, control).
    let mut first = Vec::new();
    RawMmsg {
        msg_len: 10,
        iov_total: 12,
        data: b"first mmsg",
        control: b"",
        name: b"",
    }
    .write_to(&mut first);
    let d = h.feed(
        &exit("sendmmsg", 200)
            .ret(2)
            .args([3, 0x7000, 2, 0, 0, 0])
            .item(tag::MMSG, 0, &first),
    );
    assert!(matches!(d.param_by_name("data"), Some(Ok(ParamValue::Bytes(b))) if b == b"first mmsg"));
    assert!(
        matches!(d.param_by_name("res"), Some(Ok(ParamValue::Signed(10)))),
        "the message's msg_len"
    );
    assert_eq!(num(&d, "size"), 12, "the message's iov_len sum");

    // PTRACE_PEEKDATA: the word read, as a plain 64-bit value.
    let d = h.feed(&exit("ptrace", 200).ret(0).args([2, 300, 0x1000, 0x2000, 0, 0]).item(
        tag::UBUF,
        3,
        &0x1122_3344_5566_7788u64.to_le_bytes(),
    ));
    match d.param_by_name("data") {
        Some(Ok(ParamValue::Dyn { index: 0, bytes })) => assert_eq!(bytes, &0x1122_3344_5566_7788u64.to_le_bytes()),
        other => panic!("ptrace data: {other:?}"),
    }
}

#[test]
fn mmsg_records_make_an_event_per_message() {
    let msg = |len: u32, data: &[u8], control: &[u8]| {
        let mut b = Vec::new();
        RawMmsg {
            msg_len: len,
            iov_total: 64,
            data,
            control,
            name: b"",
        }
        .write_to(&mut b);
        b
    };
    let bytes = exit("recvmmsg", 200)
        .ret(2)
        .args([3, 0x7000, 4, 0, 0, 0])
        .item(tag::MMSG, 0, &msg(3, b"one", b"\x14\0\0\0"))
        .item(tag::MMSG, 1, &msg(5, b"two!!", b""))
        .encode();
    let raw = RawRecord::parse(&bytes).unwrap();
    assert_eq!(ScapBuilder::events_in(&raw), 2);
    let mut b = ScapBuilder::new(BOOT);
    let mut events = Vec::new();
    for m in 0..2u8 {
        let mut out = Vec::new();
        assert!(b.build_message(&raw, m, &mut out).unwrap());
        events.push(out);
    }
    let d: Vec<_> = events
        .iter()
        .map(|e| DecodedEvent::new(EventRef::parse_any(e).unwrap()).unwrap())
        .collect();
    let n = |d: &DecodedEvent<'_>, p: &str| match d.param_by_name(p) {
        Some(Ok(ParamValue::Unsigned(v))) => v as i64,
        Some(Ok(ParamValue::Signed(v))) => v,
        other => panic!("{p}: {other:?}"),
    };
    let b_ = |d: &DecodedEvent<'_>, p: &str| match d.param_by_name(p) {
        Some(Ok(ParamValue::Bytes(v))) => v.to_vec(),
        Some(Ok(ParamValue::Empty)) => Vec::new(),
        other => panic!("{p}: {other:?}"),
    };
    assert_eq!((n(&d[0], "res"), n(&d[0], "size"), n(&d[0], "fd")), (3, 3, 3));
    assert_eq!(
        (b_(&d[0], "data"), b_(&d[0], "msgcontrol")),
        (b"one".to_vec(), b"\x14\0\0\0".to_vec())
    );
    assert_eq!((n(&d[1], "res"), n(&d[1], "size")), (5, 5));
    assert_eq!(
        (b_(&d[1], "data"), b_(&d[1], "msgcontrol")),
        (b"two!!".to_vec(), Vec::new())
    );

    // A failed call: one event with res and fd only.
    let failed = exit("sendmmsg", 200).ret(-11).args([3, 0x7000, 4, 0, 0, 0]).encode();
    let raw = RawRecord::parse(&failed).unwrap();
    assert_eq!(ScapBuilder::events_in(&raw), 1);
    let mut out = Vec::new();
    assert!(b.build(&raw, &mut out).unwrap());
    let d = DecodedEvent::new(EventRef::parse_any(&out).unwrap()).unwrap();
    assert_eq!((n(&d, "res"), n(&d, "size"), b_(&d, "data")), (-11, 0, Vec::new()));
    assert!(matches!(d.param_by_name("tuple"), Some(Ok(ParamValue::Empty))));
}

/// A raw `struct sockaddr_in` as user memory holds it.
fn sockaddr_in(ip: [u8; 4], port: u16) -> Vec<u8> {
    let mut b = 2u16.to_le_bytes().to_vec();
    b.extend_from_slice(&port.to_be_bytes());
    b.extend_from_slice(&ip);
    b.extend_from_slice(&[0; 8]);
    b
}

#[test]
fn mmsg_tuples_of_unconnected_sockets_take_the_peer_from_msg_name() {
    // An unconnected UDP socket bound to 10.0.0.1:5000 sends two messages to different peers.
    let mut tuple = Vec::new();
    v4_tuple(([10, 0, 0, 1], 5000), ([0; 4], 0)).write_to(&mut tuple);
    let msg = |data: &[u8], name: &[u8]| {
        let mut b = Vec::new();
        RawMmsg {
            msg_len: data.len() as u32,
            iov_total: data.len() as u32,
            data,
            control: b"",
            name,
        }
        .write_to(&mut b);
        b
    };
    let bytes = exit("sendmmsg", 200)
        .ret(2)
        .args([3, 0x7000, 2, 0, 0, 0])
        .item(tag::TUPLE, 0, &tuple)
        .item(tag::MMSG, 0, &msg(b"one", &sockaddr_in([10, 0, 0, 2], 53)))
        .item(tag::MMSG, 1, &msg(b"two", &sockaddr_in([10, 0, 0, 3], 123)))
        .encode();
    let raw = RawRecord::parse(&bytes).unwrap();
    let mut b = ScapBuilder::new(BOOT);
    let tuples: Vec<String> = (0..2u8)
        .map(|m| {
            let mut out = Vec::new();
            assert!(b.build_message(&raw, m, &mut out).unwrap());
            let d = DecodedEvent::new(EventRef::parse_any(&out).unwrap()).unwrap();
            d.render_param(d.info.param_index("tuple").unwrap()).unwrap()
        })
        .collect();
    assert_eq!(tuples, ["10.0.0.1:5000->10.0.0.2:53", "10.0.0.1:5000->10.0.0.3:123"]);

    // A connected socket keeps its peer whatever the name says.
    let mut connected = v4_tuple(([10, 0, 0, 1], 5000), ([10, 0, 0, 9], 80));
    let name = sockaddr_in([10, 0, 0, 2], 53);
    peer_from_msg_name(&mut connected, &name, true);
    assert_eq!(
        (connected.remote_addr[..4].to_vec(), connected.remote_port),
        (vec![10, 0, 0, 9], 80)
    );
    // A short name is ignored.
    let mut t = v4_tuple(([10, 0, 0, 1], 5000), ([0; 4], 0));
    peer_from_msg_name(&mut t, &name[..6], true);
    assert_eq!(t.remote_port, 0);
    // An unconnected unix datagram socket sending: the destination path is its peer's;
    // receiving: nothing changes (the tuple carries its own path).
    let un = b"\x01\0/run/dst.sock\0\0\0";
    let unix = |peer: u64| RawTuple {
        family: 1,
        unix_local: 0xa,
        unix_peer: peer,
        unix_path: b"/run/me.sock",
        unix_peer_path: b"",
        ..v4_tuple(([0; 4], 0), ([0; 4], 0))
    };
    let mut t = unix(0);
    peer_from_msg_name(&mut t, un, true);
    assert_eq!(
        (t.unix_peer_path, t.unix_path),
        (&b"/run/dst.sock"[..], &b"/run/me.sock"[..])
    );
    let mut t = unix(0);
    peer_from_msg_name(&mut t, un, false);
    assert_eq!(t.unix_peer_path, b"");
    let mut t = unix(0xb);
    peer_from_msg_name(&mut t, un, true);
    assert_eq!(t.unix_peer_path, b"", "a connected socket keeps its tuple");
}

#[test]
fn tuples_follow_the_driver_order_of_each_syscall() {
    // A socket at 10.0.0.1:40000 connected to 10.0.0.2:80.
    let inet = v4_tuple(([10, 0, 0, 1], 40000), ([10, 0, 0, 2], 80));
    let out = encode_tuple(&inet, Direction::Outbound).unwrap();
    assert_eq!(out, b"\x02\x0a\x00\x00\x01\x40\x9c\x0a\x00\x00\x02\x50\x00");
    let inb = encode_tuple(&inet, Direction::Inbound).unwrap();
    assert_eq!(inb, b"\x02\x0a\x00\x00\x02\x50\x00\x0a\x00\x00\x01\x40\x9c");
    // Unix: outbound = peer pointer, own pointer, the peer's path; inbound = own pointer,
    // peer pointer, own path.
    let unix = RawTuple {
        family: 1,
        unix_local: 0xa,
        unix_peer: 0xb,
        unix_path: b"/me",
        unix_peer_path: b"/srv",
        ..v4_tuple(([0; 4], 0), ([0; 4], 0))
    };
    let mut want = vec![1u8];
    want.extend_from_slice(&0xbu64.to_le_bytes());
    want.extend_from_slice(&0xau64.to_le_bytes());
    want.extend_from_slice(b"/srv\0");
    assert_eq!(encode_tuple(&unix, Direction::Outbound).unwrap(), want);
    let mut want = vec![1u8];
    want.extend_from_slice(&0xau64.to_le_bytes());
    want.extend_from_slice(&0xbu64.to_le_bytes());
    want.extend_from_slice(b"/me\0");
    assert_eq!(encode_tuple(&unix, Direction::Inbound).unwrap(), want);

    for ev in ["connect", "sendto", "sendmsg", "sendmmsg", "send"] {
        assert_eq!(Direction::of_event(ev), Direction::Outbound, "{ev}");
    }
    for ev in ["accept", "accept4", "recvfrom", "recvmsg", "recvmmsg", "recv"] {
        assert_eq!(Direction::of_event(ev), Direction::Inbound, "{ev}");
    }
}

#[test]
fn sendto_and_recvfrom_tuples_of_unconnected_sockets_take_the_user_sockaddr() {
    // An unconnected UDP socket bound to 10.0.0.1:5000.
    let unconnected = v4_tuple(([10, 0, 0, 1], 5000), ([0; 4], 0));
    let render = |ev: &str, name_arg: u8| {
        let bytes = exit(ev, 200)
            .ret(3)
            .args([3, 0x7000, 3, 0, 0x8000, 16])
            .tuple(0, &unconnected)
            .item(tag::SOCKADDR, name_arg, &sockaddr_in([10, 0, 0, 2], 53))
            .encode();
        let raw = RawRecord::parse(&bytes).unwrap();
        let mut b = ScapBuilder::new(BOOT);
        let mut out = Vec::new();
        assert!(b.build(&raw, &mut out).unwrap());
        let d = DecodedEvent::new(EventRef::parse_any(&out).unwrap()).unwrap();
        d.render_param(d.info.param_index("tuple").unwrap()).unwrap()
    };
    assert_eq!(render("sendto", 4), "10.0.0.1:5000->10.0.0.2:53");
    assert_eq!(render("recvfrom", 4), "10.0.0.2:53->10.0.0.1:5000");
    assert_eq!(render("sendmsg", 1), "10.0.0.1:5000->10.0.0.2:53");
    assert_eq!(render("recvmsg", 1), "10.0.0.2:53->10.0.0.1:5000");
}

#[test]
fn failed_calls_have_no_tuple_as_the_driver_sends_them() {
    let t = v4_tuple(([10, 0, 0, 1], 40000), ([10, 0, 0, 2], 80));
    let tuple_of = |ev: &str, ret: i64| {
        let bytes = exit(ev, 200)
            .ret(ret)
            .args([3, 0x7000, 16, 0, 0, 0])
            .tuple(0, &t)
            .encode();
        let raw = RawRecord::parse(&bytes).unwrap();
        let mut out = Vec::new();
        assert!(ScapBuilder::new(BOOT).build(&raw, &mut out).unwrap());
        let d = DecodedEvent::new(EventRef::parse_any(&out).unwrap()).unwrap();
        d.render_param(d.info.param_index("tuple").unwrap()).unwrap()
    };
    let set = "10.0.0.1:40000->10.0.0.2:80";
    assert_eq!(tuple_of("connect", 0), set);
    assert_eq!(tuple_of("connect", -115), set, "EINPROGRESS");
    assert_eq!(tuple_of("connect", -111), "", "ECONNREFUSED");
    assert_eq!(tuple_of("sendto", 0), set);
    for ev in ["sendto", "recvfrom", "sendmsg", "recvmsg"] {
        assert_eq!(tuple_of(ev, -11), "", "{ev} EAGAIN");
    }
}
