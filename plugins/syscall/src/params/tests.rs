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
