use super::*;
use plugin_api::event::{encode_async_event, EventRef, EventWriter};
use std::io::Cursor;

fn write_events(events: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut w = CaptureWriter::new(Vec::new(), "mem").unwrap();
    for (flags, bytes) in events {
        let ev = EventRef::parse(
            bytes,
            crate::event_table::is_large_payload(u16::from_le_bytes([bytes[20], bytes[21]])),
        )
        .unwrap();
        w.write_event(3, *flags, &ev).unwrap();
    }
    w.into_inner().unwrap()
}

fn block_types(bytes: &[u8]) -> Vec<u32> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 8 <= bytes.len() {
        out.push(u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()));
        at += u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
    }
    out
}

#[test]
fn writer_picks_flag_and_large_block_types() {
    let mut small = Vec::new();
    let mut w = EventWriter::begin_with_slots(&mut small, 10, 20, 3, 1, false);
    w.param(&5i64.to_le_bytes()).unwrap();
    w.finish().unwrap();
    let mut asyncev = Vec::new();
    encode_async_event(11, u64::MAX, 0, "container", b"{}", &mut asyncev).unwrap();
    let bytes = write_events(&[
        (0, small.clone()),
        (block::DUMP_FLAG_STATE_ONLY, small.clone()),
        (0, asyncev.clone()),
        (block::DUMP_FLAG_STATE_ONLY | block::DUMP_FLAG_LARGE, asyncev.clone()),
        (block::DUMP_FLAG_LARGE, small.clone()),
    ]);
    assert_eq!(
        block_types(&bytes),
        vec![
            block::SECTION_HEADER,
            block::EVENT_V2,
            block::EVENT_FLAGS_V2,
            block::EVENT_V2_LARGE,
            block::EVENT_FLAGS_V2_LARGE,
            block::EVENT_V2,
        ]
    );
    let mut r = CaptureReader::from_reader(Cursor::new(bytes), "mem").unwrap();
    let mut seen = Vec::new();
    while let Some(item) = r.next_item().unwrap() {
        if let CaptureItem::Event(e) = item {
            assert_eq!(e.cpu, 3);
            seen.push((e.dump_flags, e.event.as_bytes().to_vec()));
        }
    }
    assert_eq!(
        seen,
        vec![
            (0, small.clone()),
            (block::DUMP_FLAG_STATE_ONLY, small.clone()),
            (0, asyncev.clone()),
            (block::DUMP_FLAG_STATE_ONLY, asyncev),
            (0, small),
        ]
    );
}

#[test]
fn events_of_unknown_type_are_skipped_and_counted() {
    let mut known = Vec::new();
    EventWriter::begin(&mut known, 1, 1, 234, 0).finish().unwrap();
    let mut unknown = Vec::new();
    EventWriter::begin(&mut unknown, 1, 1, 5000, 0).finish().unwrap();
    let bytes = write_events(&[(0, unknown), (0, known)]);
    let mut r = CaptureReader::from_reader(Cursor::new(bytes), "mem").unwrap();
    let mut n = 0;
    while let Some(item) = r.next_item().unwrap() {
        if let CaptureItem::Event(e) = item {
            assert_eq!(e.event.event_type(), 234);
            n += 1;
        }
    }
    assert_eq!(n, 1);
    assert_eq!(r.stats().unknown_type_events, 1);
}

#[test]
fn old_header_events_get_nparams_inferred() {
    // An EV v1 block holding a close exit (res, fd) with the 22-byte header.
    let mut ev = Vec::new();
    ev.extend_from_slice(&99u64.to_le_bytes());
    ev.extend_from_slice(&42u64.to_le_bytes());
    let len = 22 + 2 * 2 + 8 + 8;
    ev.extend_from_slice(&(len as u32).to_le_bytes());
    ev.extend_from_slice(&5u16.to_le_bytes());
    ev.extend_from_slice(&8u16.to_le_bytes());
    ev.extend_from_slice(&8u16.to_le_bytes());
    ev.extend_from_slice(&0i64.to_le_bytes());
    ev.extend_from_slice(&7i64.to_le_bytes());
    let mut w = CaptureWriter::new(Vec::new(), "mem").unwrap();
    w.body.extend_from_slice(&1u16.to_le_bytes());
    w.body.extend_from_slice(&ev);
    w.flush_block(block::EVENT).unwrap();
    let bytes = w.into_inner().unwrap();
    let mut r = CaptureReader::from_reader(Cursor::new(bytes), "mem").unwrap();
    let _section = r.next_item().unwrap();
    let Some(CaptureItem::Event(e)) = r.next_item().unwrap() else {
        panic!("expected an event")
    };
    assert_eq!((e.event.ts(), e.event.tid(), e.event.nparams()), (99, 42, 2));
    assert_eq!(e.event.header().len as usize, len + 4);
    assert_eq!(e.event.param(1), Some(&7i64.to_le_bytes()[..]));
}

/// Builds one process entry in the layout of PL version `v` (1..=8), per scap-format.md §4.
fn old_process_entry(v: u8) -> Vec<u8> {
    let mut b = Vec::new();
    let lstr = |b: &mut Vec<u8>, s: &[u8]| {
        b.extend_from_slice(&(s.len() as u16).to_le_bytes());
        b.extend_from_slice(s);
    };
    for x in [100u64, 99, 1] {
        b.extend_from_slice(&x.to_le_bytes());
    }
    if v >= 6 {
        b.extend_from_slice(&7u64.to_le_bytes()); // sid
    }
    if v >= 8 {
        b.extend_from_slice(&8u64.to_le_bytes()); // vpgid
    }
    lstr(&mut b, b"bash");
    lstr(&mut b, b"/bin/bash");
    if v >= 7 {
        lstr(&mut b, b"/usr/bin/bash");
    }
    lstr(&mut b, b"-c\0ls\0");
    lstr(&mut b, b"/root");
    b.extend_from_slice(&1024u64.to_le_bytes());
    for x in [0x2000u32, 0, 0] {
        b.extend_from_slice(&x.to_le_bytes());
    }
    if v >= 2 {
        for x in [10u32, 20, 30] {
            b.extend_from_slice(&x.to_le_bytes());
        }
        b.extend_from_slice(&1u64.to_le_bytes());
        b.extend_from_slice(&2u64.to_le_bytes());
    }
    if v >= 3 {
        lstr(&mut b, b"HOME=/root\0");
    }
    if v >= 4 {
        b.extend_from_slice(&5i64.to_le_bytes());
        b.extend_from_slice(&6i64.to_le_bytes());
        lstr(&mut b, b"cpuset=/\0");
    }
    if v >= 5 {
        lstr(&mut b, b"/");
    }
    b
}

#[test]
fn every_old_process_list_version_parses() {
    for v in 1..=8u8 {
        let mut body = old_process_entry(v);
        body.extend_from_slice(&old_process_entry(v));
        let list = records::parse_process_list(&body, 0, v).unwrap();
        assert_eq!(list.len(), 2, "version {v}");
        let p = &list[0];
        assert_eq!(
            (p.tid, p.pid, p.ptid, p.fdlimit, p.flags),
            (100, 99, 1, 1024, 0x2000),
            "v{v}"
        );
        assert_eq!(
            (p.comm.as_str(), p.exe.as_str(), p.cwd.as_str()),
            ("bash", "/bin/bash", "/root")
        );
        assert_eq!(p.args, b"-c\0ls\0");
        assert_eq!(p.sid, if v >= 6 { 7 } else { -1 });
        assert_eq!(p.vpgid, if v >= 8 { 8 } else { -1 });
        assert_eq!(p.exepath, if v >= 7 { "/usr/bin/bash" } else { "" });
        assert_eq!(p.vmrss_kb, if v >= 2 { 20 } else { 0 });
        assert_eq!(p.env, if v >= 3 { &b"HOME=/root\0"[..] } else { b"" });
        assert_eq!((p.vtid, p.vpid), if v >= 4 { (5, 6) } else { (-1, -1) });
        assert_eq!(p.root, if v >= 5 { "/" } else { "" });
        assert_eq!(p.loginuid, LOGINUID_UNSET);
        // One byte short: a clear error naming the field, with its offset.
        let err = records::parse_process_list(&body[..body.len() - 1], 1000, v).unwrap_err();
        assert!(err.0 > 1000, "v{v}: {err:?}");
    }
}

#[test]
fn event_with_flags_v1_block_is_read() {
    // EVF v1: cpu, flags, 22-byte header event (procinfo with two u64 params).
    let mut ev = Vec::new();
    ev.extend_from_slice(&1u64.to_le_bytes());
    ev.extend_from_slice(&2u64.to_le_bytes());
    ev.extend_from_slice(&((22 + 4 + 16) as u32).to_le_bytes());
    ev.extend_from_slice(&234u16.to_le_bytes());
    ev.extend_from_slice(&8u16.to_le_bytes());
    ev.extend_from_slice(&8u16.to_le_bytes());
    ev.extend_from_slice(&11u64.to_le_bytes());
    ev.extend_from_slice(&12u64.to_le_bytes());
    let mut w = CaptureWriter::new(Vec::new(), "mem").unwrap();
    w.body.extend_from_slice(&2u16.to_le_bytes());
    w.body.extend_from_slice(&block::DUMP_FLAG_STATE_ONLY.to_le_bytes());
    w.body.extend_from_slice(&ev);
    w.flush_block(block::EVENT_FLAGS).unwrap();
    let mut r = CaptureReader::from_reader(Cursor::new(w.into_inner().unwrap()), "mem").unwrap();
    let _section = r.next_item().unwrap();
    let Some(CaptureItem::Event(e)) = r.next_item().unwrap() else {
        panic!("expected an event")
    };
    assert_eq!(
        (e.cpu, e.dump_flags, e.event.nparams()),
        (2, block::DUMP_FLAG_STATE_ONLY, 2)
    );
    assert_eq!(e.event.param(1), Some(&12u64.to_le_bytes()[..]));
}
