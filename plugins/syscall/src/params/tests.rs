use super::*;
use plugin_api::event::EventWriter;

#[test]
fn integers_sign_extend_and_accept_short_returns() {
    assert_eq!(
        decode("res", ParamType::Errno, &(-2i64).to_le_bytes()),
        Ok(ParamValue::Signed(-2))
    );
    assert_eq!(
        decode("res", ParamType::Errno, &(-2i32).to_le_bytes()),
        Ok(ParamValue::Signed(-2))
    );
    assert_eq!(decode("x", ParamType::Int8, &[0xFF]), Ok(ParamValue::Signed(-1)));
    assert_eq!(decode("x", ParamType::Uint16, &[1, 2]), Ok(ParamValue::Unsigned(0x201)));
    assert_eq!(decode("x", ParamType::Bool, &[1, 0, 0, 0]), Ok(ParamValue::Bool(true)));
    assert_eq!(decode("x", ParamType::Uint32, &[]), Ok(ParamValue::Empty));
    let e = decode("mode", ParamType::Uint32, &[1, 2, 3]).unwrap_err();
    assert!(
        e.to_string().contains("\"mode\"") && e.to_string().contains("must be 4 bytes but is 3"),
        "{e}"
    );
}

/// libsinsp reads an inet tuple or address longer than its family needs from its start
/// (`is_socktuple_valid` / `is_sockaddr_valid` ask for at least 13/37 and 7/19 bytes).
#[test]
fn longer_inet_tuples_and_addresses_are_read_from_their_start() {
    let mut tuple = vec![2, 10, 0, 0, 1, 0x40, 0x9C, 10, 0, 0, 2, 80, 0];
    tuple.extend_from_slice(&[0xAA; 5]);
    assert_eq!(
        decode("tuple", ParamType::SockTuple, &tuple),
        Ok(ParamValue::SockTuple(SockTuple::V4 {
            src: (Ipv4Addr::new(10, 0, 0, 1), 40000),
            dst: (Ipv4Addr::new(10, 0, 0, 2), 80)
        }))
    );
    assert!(decode("tuple", ParamType::SockTuple, &tuple[..12]).is_err());
    let mut tuple6 = vec![10];
    tuple6.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
    tuple6.extend_from_slice(&5000u16.to_le_bytes());
    tuple6.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
    tuple6.extend_from_slice(&443u16.to_le_bytes());
    tuple6.push(0xAA);
    assert_eq!(
        decode("tuple", ParamType::SockTuple, &tuple6),
        Ok(ParamValue::SockTuple(SockTuple::V6 {
            src: (Ipv6Addr::LOCALHOST, 5000),
            dst: (Ipv6Addr::LOCALHOST, 443)
        }))
    );
    assert!(decode("tuple", ParamType::SockTuple, &tuple6[..36]).is_err());
    assert_eq!(
        decode("addr", ParamType::SockAddr, &[2, 10, 0, 0, 1, 80, 0, 0xAA]),
        Ok(ParamValue::SockAddr(SockAddr::V4(Ipv4Addr::new(10, 0, 0, 1), 80)))
    );
    let mut addr6 = vec![10];
    addr6.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
    addr6.extend_from_slice(&[80, 0, 0xAA, 0xAA]);
    assert_eq!(
        decode("addr", ParamType::SockAddr, &addr6),
        Ok(ParamValue::SockAddr(SockAddr::V6(Ipv6Addr::LOCALHOST, 80)))
    );
}

#[test]
fn sockets_and_lists_decode() {
    let tuple = [2, 127, 0, 0, 1, 0x58, 0xB8, 127, 0, 0, 1, 80, 0];
    let v = decode("tuple", ParamType::SockTuple, &tuple).unwrap();
    assert_eq!(
        v,
        ParamValue::SockTuple(SockTuple::V4 {
            src: (Ipv4Addr::LOCALHOST, 47192),
            dst: (Ipv4Addr::LOCALHOST, 80)
        })
    );
    let addr = decode("addr", ParamType::SockAddr, b"\x01/run/x.sock\0").unwrap();
    assert_eq!(addr, ParamValue::SockAddr(SockAddr::Unix(b"/run/x.sock")));
    assert!(decode("addr", ParamType::SockAddr, &[2, 1, 2]).is_err());
    let mut fdlist = vec![2, 0];
    fdlist.extend_from_slice(&3u64.to_le_bytes());
    fdlist.extend_from_slice(&1u16.to_le_bytes());
    fdlist.extend_from_slice(&4u64.to_le_bytes());
    fdlist.extend_from_slice(&4u16.to_le_bytes());
    assert_eq!(
        decode("fds", ParamType::FdList, &fdlist),
        Ok(ParamValue::FdList(vec![(3, 1), (4, 4)]))
    );
    assert!(decode("fds", ParamType::FdList, &fdlist[..7]).is_err());
    assert_eq!(
        decode("argv", ParamType::CharBufArray, b"a\0bc\0"),
        Ok(ParamValue::StrArray(vec![&b"a"[..], &b"bc"[..]]))
    );
}

#[test]
fn renders_like_evt_args() {
    // open exit: fd, name, flags, mode, dev, ino
    let mut buf = Vec::new();
    let mut w = EventWriter::begin(&mut buf, 1, 7, 3, 6);
    w.param(&3i64.to_le_bytes()).unwrap();
    w.param(b"/etc/passwd\0").unwrap();
    w.param(&4097u32.to_le_bytes()).unwrap();
    w.param(&0u32.to_le_bytes()).unwrap();
    w.param(&[]).unwrap();
    w.param(&[]).unwrap();
    w.finish().unwrap();
    let ev = EventRef::parse(&buf, false).unwrap();
    let d = DecodedEvent::new(ev).unwrap();
    assert_eq!(
        d.render_args(),
        "fd=3 name=/etc/passwd flags=4097(O_RDONLY|O_CLOEXEC) mode=0 dev= ino="
    );
    assert_eq!(d.render_param(2).as_deref(), Some("4097(O_RDONLY|O_CLOEXEC)"));
    assert_eq!(d.param_by_name("name"), Some(Ok(ParamValue::Str(b"/etc/passwd"))));
    assert!(d.param_by_name("nope").is_none());
}

#[test]
fn modes_render_in_octal_with_their_bit_names() {
    // chmod exit: res, filename, mode (setuid + 0755)
    let mut buf = Vec::new();
    let chmod_x = 315; // PPME_SYSCALL_CHMOD_X
    let mut w = EventWriter::begin(&mut buf, 1, 7, chmod_x, 3);
    w.param(&0i64.to_le_bytes()).unwrap();
    w.param(b"/tmp/x\0").unwrap();
    w.param(&0o4755u32.to_le_bytes()).unwrap();
    w.finish().unwrap();
    let d = DecodedEvent::new(EventRef::parse(&buf, false).unwrap()).unwrap();
    assert_eq!(
        d.render_param(2).as_deref(),
        Some("04755(S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID)")
    );
    // open exit with mode 0644: octal, no names (a plain number in libsinsp's table).
    let mut buf = Vec::new();
    let mut w = EventWriter::begin(&mut buf, 1, 7, 3, 6);
    w.param(&3i64.to_le_bytes()).unwrap();
    w.param(b"/tmp/y\0").unwrap();
    w.param(&0o100u32.to_le_bytes()).unwrap();
    w.param(&0o644u32.to_le_bytes()).unwrap();
    w.param(&[]).unwrap();
    w.param(&[]).unwrap();
    w.finish().unwrap();
    let d = DecodedEvent::new(EventRef::parse(&buf, false).unwrap()).unwrap();
    assert_eq!(d.render_param(3).as_deref(), Some("0644"));
}

#[test]
fn long_buffers_are_cut_with_ellipsis() {
    let mut s = String::new();
    push_printable(&mut s, &[b'a'; 100], BYTEBUF_RENDER_LIMIT);
    assert_eq!(s.len(), BYTEBUF_RENDER_LIMIT);
    assert!(s.ends_with("aaa..."));
    s.clear();
    push_printable(&mut s, b"\x7fELF\0", BYTEBUF_RENDER_LIMIT);
    assert_eq!(s, ".ELF.");
}

#[test]
fn unknown_event_types_are_reported() {
    let mut buf = Vec::new();
    EventWriter::begin(&mut buf, 1, 7, 9999, 0).finish().unwrap();
    let e = DecodedEvent::new(EventRef::parse(&buf, false).unwrap()).unwrap_err();
    assert!(e.to_string().contains("9999"), "{e}");
}

#[test]
fn most_negative_errno_renders_without_overflow() {
    let mut buf = Vec::new();
    let mut w = EventWriter::begin(&mut buf, 1, 7, 5, 2);
    w.param(&i64::MIN.to_le_bytes()).unwrap();
    w.param(&3i64.to_le_bytes()).unwrap();
    w.finish().unwrap();
    let d = DecodedEvent::new(EventRef::parse(&buf, false).unwrap()).unwrap();
    assert_eq!(d.render_param(0).unwrap(), i64::MIN.to_string());
    assert_eq!(d.render_args(), format!("res={} fd=3", i64::MIN));
}

#[test]
fn dynamic_values_render_by_their_index() {
    // ptrace exit (169): res, addr, data, request, pid
    let mut buf = Vec::new();
    let mut w = EventWriter::begin(&mut buf, 1, 7, 169, 5);
    w.param(&0i64.to_le_bytes()).unwrap();
    let mut addr = vec![0u8];
    addr.extend_from_slice(&0x7ffd_1234u64.to_le_bytes());
    w.param(&addr).unwrap();
    let mut data = vec![1u8];
    data.extend_from_slice(&9u64.to_le_bytes());
    w.param(&data).unwrap();
    w.param(&2u16.to_le_bytes()).unwrap();
    w.param(&42i64.to_le_bytes()).unwrap();
    w.finish().unwrap();
    let ev = EventRef::parse(&buf, false).unwrap();
    let d = DecodedEvent::new(ev).unwrap();
    assert_eq!(d.render_param(1).as_deref(), Some("7FFD1234"), "ptrace addr: hex word");
    assert_eq!(
        d.render_param(2).as_deref(),
        Some("9(SIGKILL)"),
        "ptrace data: a signal"
    );

    // getsockopt exit (47): res, fd, level, optname, val, optlen
    let sockopt = |val: &[u8]| {
        let mut buf = Vec::new();
        let mut w = EventWriter::begin(&mut buf, 1, 7, 47, 6);
        w.param(&0i64.to_le_bytes()).unwrap();
        w.param(&3i64.to_le_bytes()).unwrap();
        w.param(&[1]).unwrap();
        w.param(&[4]).unwrap();
        w.param(val).unwrap();
        w.param(&4u32.to_le_bytes()).unwrap();
        w.finish().unwrap();
        let d = DecodedEvent::new(EventRef::parse(&buf, false).unwrap()).unwrap();
        d.render_param(4).unwrap()
    };
    assert_eq!(sockopt(&[2, 1, 0, 0, 0]), "1", "UINT32");
    assert_eq!(
        sockopt(&[1, 0x92, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
        "-110(ETIMEDOUT)"
    );
    assert_eq!(sockopt(&[0, b'a', b'b']), "ab", "unknown options stay bytes");
}

/// An event of type `event_type` with `params` as the live probe writes them.
fn event_with(event_type: u16, params: &[&[u8]]) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut w = EventWriter::begin(&mut buf, 1, 7, event_type, params.len() as u32);
    for p in params {
        w.param(p).unwrap();
    }
    w.finish().unwrap();
    buf
}

fn args_of(buf: &[u8]) -> String {
    DecodedEvent::new(EventRef::parse(buf, false).unwrap())
        .unwrap()
        .render_args()
}

#[test]
fn sem_flags_and_commands_render_their_names() {
    // semget exit (263): res, key, nsems, semflg = PPM_IPC_CREAT|PPM_IPC_EXCL
    let get = event_with(
        263,
        &[
            &3i64.to_le_bytes(),
            &0x5a_0001i32.to_le_bytes(),
            &2i32.to_le_bytes(),
            &((1u32 << 13) | (1 << 14)).to_le_bytes(),
        ],
    );
    assert_eq!(
        args_of(&get),
        "res=3 key=5A0001 nsems=2 semflg=24576(IPC_EXCL|IPC_CREAT)",
        "key in hex (PF_HEX), flags in libsinsp's table order"
    );
    let private = event_with(
        263,
        &[
            &3i64.to_le_bytes(),
            &(-1i32).to_le_bytes(),
            &1i32.to_le_bytes(),
            &0u32.to_le_bytes(),
        ],
    );
    assert_eq!(args_of(&private), "res=3 key=FFFFFFFF nsems=1 semflg=0");

    // semop exit (251): res, nsops, then two sembufs (num, op, flg), semid
    let op = event_with(
        251,
        &[
            &0i64.to_le_bytes(),
            &2u32.to_le_bytes(),
            &0u16.to_le_bytes(),
            &2i16.to_le_bytes(),
            &2u16.to_le_bytes(),
            &1u16.to_le_bytes(),
            &(-1i16).to_le_bytes(),
            &3u16.to_le_bytes(),
            &7i32.to_le_bytes(),
        ],
    );
    assert_eq!(
        args_of(&op),
        "res=0 nsops=2 sem_num_0=0 sem_op_0=2 sem_flg_0=2(SEM_UNDO) sem_num_1=1 sem_op_1=-1 \
         sem_flg_1=3(IPC_NOWAIT|SEM_UNDO) semid=7"
    );

    // semctl exit (253): res, semid, semnum, cmd, val
    let ctl = |cmd: u16| {
        event_with(
            253,
            &[
                &0i64.to_le_bytes(),
                &7i32.to_le_bytes(),
                &1i32.to_le_bytes(),
                &cmd.to_le_bytes(),
                &5i32.to_le_bytes(),
            ],
        )
    };
    assert_eq!(args_of(&ctl(1 << 12)), "res=0 semid=7 semnum=1 cmd=4096(SETVAL) val=5");
    assert_eq!(args_of(&ctl(1 << 2)), "res=0 semid=7 semnum=1 cmd=4(IPC_RMID) val=5");
    assert_eq!(
        args_of(&ctl(0)),
        "res=0 semid=7 semnum=1 cmd=0 val=5",
        "unknown command"
    );
}

#[test]
fn quotactl_commands_types_formats_and_flags_render_their_names() {
    // quotactl exit (191): res, special, quotafilepath, 5 dqb u64, 2 dqb reltime, 2 dqi
    // reltime, dqi_flags, quota_fmt_out, cmd, type, id, quota_fmt
    let zero = 0u64.to_le_bytes();
    let ev = event_with(
        191,
        &[
            &(-2i64).to_le_bytes(),
            b"/dev/sda1\0",
            b"/aquota.group\0",
            &100u64.to_le_bytes(),
            &zero,
            &zero,
            &zero,
            &zero,
            &zero,
            &zero,
            &600u64.to_le_bytes(),
            &zero,
            &[1 << 1],
            &[1 << 0],
            &(1u16 << 0).to_le_bytes(),
            &[1 << 1],
            &0u32.to_le_bytes(),
            &[1 << 2],
        ],
    );
    assert_eq!(
        args_of(&ev),
        "res=-2(ENOENT) special=/dev/sda1 quotafilepath=/aquota.group dqb_bhardlimit=100 \
         dqb_bsoftlimit=0 dqb_curspace=0 dqb_ihardlimit=0 dqb_isoftlimit=0 dqb_btime=0 \
         dqb_itime=0 dqi_bgrace=600 dqi_igrace=0 dqi_flags=2(V1_DQF_RSQUASH) \
         quota_fmt_out=1(QFMT_NOT_USED) cmd=1(Q_QUOTAON) type=2(GRPQUOTA) id=0 \
         quota_fmt=4(QFMT_VFS_V0)"
    );
    let d = DecodedEvent::new(EventRef::parse(&ev, false).unwrap()).unwrap();
    assert_eq!(
        d.param_by_name("cmd").unwrap(),
        Ok(ParamValue::Unsigned(1)),
        "the raw value stays the number"
    );
}

#[test]
fn io_uring_flags_features_and_opcodes_render_their_names() {
    // io_uring_setup exit (339): res, entries, sq_entries, cq_entries, flags, sq_thread_cpu,
    // sq_thread_idle, features. Linux IORING_SETUP_IOPOLL sets PPM IOPOLL and SQ_NEED_WAKEUP.
    let setup = event_with(
        339,
        &[
            &4i64.to_le_bytes(),
            &8u32.to_le_bytes(),
            &8u32.to_le_bytes(),
            &64u32.to_le_bytes(),
            &((1u32 << 0) | (1 << 2) | (1 << 4) | (1 << 6)).to_le_bytes(),
            &0u32.to_le_bytes(),
            &0u32.to_le_bytes(),
            &0x7ffu32.to_le_bytes(),
        ],
    );
    assert_eq!(
        args_of(&setup),
        "res=4 entries=8 sq_entries=8 cq_entries=64 \
         flags=85(IORING_SETUP_IOPOLL|IORING_SQ_NEED_WAKEUP|IORING_SETUP_CQSIZE|IORING_SETUP_ATTACH_RW) \
         sq_thread_cpu=0 sq_thread_idle=0 \
         features=2047(IORING_FEAT_SINGLE_MMAP|IORING_FEAT_NODROP|IORING_FEAT_SUBMIT_STABLE|\
         IORING_FEAT_RW_CUR_POS|IORING_FEAT_CUR_PERSONALITY|IORING_FEAT_FAST_POLL|\
         IORING_FEAT_POLL_32BITS|IORING_FEAT_SQPOLL_NONFIXED|IORING_FEAT_ENTER_EXT_ARG|\
         IORING_FEAT_NATIVE_WORKERS|IORING_FEAT_RSRC_TAGS)"
    );
    // io_uring_enter exit (341): res, fd, to_submit, min_complete, flags, sig
    let enter = event_with(
        341,
        &[
            &0i64.to_le_bytes(),
            &4i64.to_le_bytes(),
            &0u32.to_le_bytes(),
            &1u32.to_le_bytes(),
            &9u32.to_le_bytes(),
            &0u32.to_le_bytes(),
        ],
    );
    assert_eq!(
        args_of(&enter),
        "res=0 fd=4 to_submit=0 min_complete=1 flags=9(IORING_ENTER_GETEVENTS|IORING_ENTER_EXT_ARG) sig=0"
    );
    // io_uring_register exit (343): res, fd, opcode (an enumeration), arg (hex), nr_args
    let reg = |opcode: u16| {
        event_with(
            343,
            &[
                &(-6i64).to_le_bytes(),
                &4i64.to_le_bytes(),
                &opcode.to_le_bytes(),
                &0x7f00_1000u64.to_le_bytes(),
                &0u32.to_le_bytes(),
            ],
        )
    };
    assert_eq!(
        args_of(&reg(1)),
        "res=-6(ENXIO) fd=4 opcode=1(IORING_UNREGISTER_BUFFERS) arg=7F001000 nr_args=0"
    );
    assert_eq!(
        args_of(&reg(0)),
        "res=-6(ENXIO) fd=4 opcode=0(IORING_REGISTER_BUFFERS) arg=7F001000 nr_args=0",
        "0 is a named opcode"
    );
    assert_eq!(args_of(&reg(99)), "res=-6(ENXIO) fd=4 opcode=99 arg=7F001000 nr_args=0");
}

#[test]
fn keyctl_operation_and_dynamic_arguments_render_by_type() {
    // keyctl exit (453): res, operation, arg2..arg5 as PT_DYN (index 0 int64, 1 string)
    let int = |v: i64| [&[0u8][..], &v.to_le_bytes()].concat();
    let search = event_with(
        453,
        &[
            &(-126i64).to_le_bytes(),
            &10u32.to_le_bytes(),
            &int(-3),
            b"\x01user\0",
            b"\x01saker-key\0",
            &int(0),
        ],
    );
    assert_eq!(
        args_of(&search),
        "res=-126(ENOKEY) operation=10(KEYCTL_SEARCH) arg2=-3 arg3=user arg4=saker-key arg5=0"
    );
    // JOIN_SESSION_KEYRING with a NULL name: an empty string
    let join = event_with(
        453,
        &[
            &5i64.to_le_bytes(),
            &1u32.to_le_bytes(),
            b"\x01",
            &int(0),
            &int(-1),
            &int(i64::MIN),
        ],
    );
    assert_eq!(
        args_of(&join),
        format!(
            "res=5 operation=1(KEYCTL_JOIN_SESSION_KEYRING) arg2= arg3=0 arg4=-1 arg5={}",
            i64::MIN
        )
    );
    let d = DecodedEvent::new(EventRef::parse(&search, false).unwrap()).unwrap();
    assert_eq!(d.render_param(3).as_deref(), Some("user"), "evt.arg.arg3");
}

#[test]
fn fsconfig_command_renders_its_name() {
    // fsconfig exit (373): res, fd, cmd, key, value_bytebuf, value_charbuf, aux
    let ev = event_with(
        373,
        &[
            &0i64.to_le_bytes(),
            &3i64.to_le_bytes(),
            &1u32.to_le_bytes(),
            b"size\0",
            &[],
            b"1m\0",
            &0i32.to_le_bytes(),
        ],
    );
    assert_eq!(
        args_of(&ev),
        "res=0 fd=3 cmd=1(FSCONFIG_SET_STRING) key=size value_bytebuf= value_charbuf=1m aux=0"
    );
}
