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
