use super::*;

/// Copies `bytes` into a buffer at `offset` bytes past an 8-aligned address.
fn at_offset(bytes: &[u8], offset: usize) -> (Vec<u64>, usize) {
    let words = (bytes.len() + offset).div_ceil(8) + 1;
    let mut store = vec![0u64; words];
    // SAFETY: the u64 store has at least bytes.len() + offset bytes; u8 has no alignment.
    let raw = unsafe { std::slice::from_raw_parts_mut(store.as_mut_ptr().cast::<u8>(), words * 8) };
    raw[offset..offset + bytes.len()].copy_from_slice(bytes);
    (store, offset)
}

fn view(store: &[u64], offset: usize, len: usize) -> &[u8] {
    // SAFETY: `store` is at least offset+len bytes (see at_offset).
    let raw = unsafe { std::slice::from_raw_parts(store.as_ptr().cast::<u8>(), store.len() * 8) };
    &raw[offset..offset + len]
}

fn sample_plugin_event() -> Vec<u8> {
    let mut out = Vec::new();
    encode_plugin_event(1_700_000_000_000_000_000, 999, b"hello world", &mut out).unwrap();
    out
}

#[test]
fn plugin_event_round_trips_with_exact_layout() {
    let bytes = sample_plugin_event();
    assert_eq!(bytes.len(), 38 + 11);
    // payload at the documented offset
    assert_eq!(&bytes[38..], b"hello world");
    assert_eq!(u32::from_ne_bytes(bytes[34..38].try_into().unwrap()), 999);
    let ev = EventRef::parse(&bytes, true).unwrap();
    assert_eq!(ev.event_type(), 322);
    assert_eq!(ev.tid(), NO_THREAD_ID);
    assert_eq!(ev.header().len as usize, bytes.len());
    let pe = PluginEvent::parse(&ev).unwrap();
    assert_eq!(
        pe,
        PluginEvent {
            plugin_id: 999,
            data: b"hello world"
        }
    );
}

#[test]
fn unaligned_buffers_parse_at_every_odd_offset() {
    let bytes = sample_plugin_event();
    for offset in [1, 3, 5, 7] {
        let (store, off) = at_offset(&bytes, offset);
        let b = view(&store, off, bytes.len());
        assert_eq!(b.as_ptr() as usize % 8, offset % 8);
        let ev = EventRef::parse(b, true).unwrap();
        assert_eq!(PluginEvent::parse(&ev).unwrap().data, b"hello world");
        // SAFETY: b holds a full event for the duration of the call.
        let raw = unsafe { EventRef::from_raw(b.as_ptr().cast()) }.unwrap();
        assert_eq!(raw.header(), ev.header());
        // SAFETY: as above.
        let h = unsafe { EventHeader::read_raw(b.as_ptr().cast()) };
        assert_eq!(h.event_type, 322);
        assert_eq!(h.ts, 1_700_000_000_000_000_000);
    }
}

#[test]
fn every_prefix_of_a_valid_event_is_rejected_without_panic() {
    let mut bytes = Vec::new();
    encode_async_event(5, NO_THREAD_ID, 0, "container_added", b"{\"id\":1}", &mut bytes).unwrap();
    for cut in 0..bytes.len() {
        assert!(
            EventRef::parse(&bytes[..cut], true).is_err(),
            "prefix of {cut} bytes accepted"
        );
        assert!(EventRef::parse_any(&bytes[..cut]).is_err());
    }
    assert!(EventRef::parse(&bytes, true).is_ok());
}

#[test]
fn random_corruption_never_panics() {
    // xorshift: deterministic pseudo-random bytes
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let base = sample_plugin_event();
    for _ in 0..20_000 {
        let mut b = base.clone();
        let flips = (next() % 4 + 1) as usize;
        for _ in 0..flips {
            let i = (next() as usize) % b.len();
            b[i] = next() as u8;
        }
        let cut = (next() as usize) % (b.len() + 1);
        for large in [true, false] {
            if let Ok(ev) = EventRef::parse(&b[..cut], large) {
                let total: usize = ev.params().map(|p| p.len()).sum();
                assert!(total <= cut);
                let _ = PluginEvent::parse(&ev);
                let _ = AsyncEvent::parse(&ev);
            }
        }
    }
}

#[test]
fn length_mismatch_names_both_numbers() {
    let mut bytes = sample_plugin_event();
    bytes.extend_from_slice(&[0, 0, 0, 0]);
    let len = bytes.len() as u32;
    bytes[16..20].copy_from_slice(&len.to_ne_bytes());
    let err = EventRef::parse(&bytes, true).unwrap_err();
    assert_eq!(err, EventError::LenMismatch { len: 53, computed: 49 });
    assert_eq!(
        err.to_string(),
        "event length field says 53 but header+params add up to 49"
    );
}

#[test]
fn oversized_len_and_short_buffers_are_errors() {
    let mut bytes = sample_plugin_event();
    bytes[16..20].copy_from_slice(&(MAX_EVENT_LEN as u32 + 1).to_ne_bytes());
    assert!(matches!(
        EventRef::parse(&bytes, true),
        Err(EventError::TooLarge { .. })
    ));
    let bytes = sample_plugin_event();
    assert_eq!(
        EventRef::parse(&bytes[..40], true).unwrap_err(),
        EventError::Truncated { len: 49, available: 40 }
    );
    assert_eq!(
        EventRef::parse(&bytes[..10], true).unwrap_err(),
        EventError::ShortHeader { found: 10 }
    );
    // Parsing a 322 with 2-byte slots reads the wrong lengths and must fail, not misparse.
    assert!(EventRef::parse(&bytes, false).is_err());
}

#[test]
fn trailing_bytes_after_len_are_ignored() {
    let mut bytes = sample_plugin_event();
    let first_len = bytes.len();
    encode_plugin_event(2, 7, b"x", &mut bytes).unwrap();
    let first = EventRef::parse_any(&bytes).unwrap();
    assert_eq!(first.as_bytes().len(), first_len);
    let second = EventRef::parse_any(&bytes[first_len..]).unwrap();
    assert_eq!(
        PluginEvent::parse(&second).unwrap(),
        PluginEvent {
            plugin_id: 7,
            data: b"x"
        }
    );
}

#[test]
fn async_event_round_trip_and_name_checks() {
    let mut bytes = Vec::new();
    encode_async_event(9, NO_THREAD_ID, 0, "sample", b"\x01\x02", &mut bytes).unwrap();
    // hdr + 3 slots + id(4) + "sample\0"(7) + data(2)
    assert_eq!(bytes.len(), 26 + 12 + 4 + 7 + 2);
    assert_eq!(&bytes[42..49], b"sample\0");
    let ev = EventRef::parse_any(&bytes).unwrap();
    assert_eq!(ev.param(1).unwrap().len(), 7);
    let ae = AsyncEvent::parse(&ev).unwrap();
    assert_eq!(
        ae,
        AsyncEvent {
            plugin_id: 0,
            name: "sample",
            data: b"\x01\x02"
        }
    );
    assert!(PluginEvent::parse(&ev).is_err());

    let err = encode_async_event(9, 0, 0, "a\0b", b"", &mut Vec::new()).unwrap_err();
    assert!(matches!(err, EventError::NulInAsyncName { .. }));

    // name without terminating NUL
    let mut out = Vec::new();
    let mut w = EventWriter::begin(&mut out, 1, 1, 402, 3);
    w.param(&0u32.to_ne_bytes()).unwrap();
    w.param(b"abc").unwrap();
    w.param(b"").unwrap();
    w.finish().unwrap();
    let ev = EventRef::parse_any(&out).unwrap();
    assert!(matches!(AsyncEvent::parse(&ev), Err(EventError::BadAsyncName { .. })));
}

#[test]
fn plugin_event_shape_errors() {
    let mut out = Vec::new();
    let mut w = EventWriter::begin(&mut out, 1, 1, 322, 2);
    w.param(&[1, 2]).unwrap();
    w.param(b"data").unwrap();
    w.finish().unwrap();
    let ev = EventRef::parse_any(&out).unwrap();
    assert_eq!(
        PluginEvent::parse(&ev).unwrap_err(),
        EventError::BadPluginIdLen { found: 2 }
    );

    let mut out = Vec::new();
    let mut w = EventWriter::begin(&mut out, 1, 1, 322, 1);
    w.param(&[1, 2, 3, 4]).unwrap();
    w.finish().unwrap();
    let ev = EventRef::parse_any(&out).unwrap();
    assert_eq!(
        PluginEvent::parse(&ev).unwrap_err(),
        EventError::WrongParamCount {
            event_type: 322,
            expected: 2,
            found: 1
        }
    );
}

#[test]
fn writer_uses_two_byte_slots_for_ordinary_types() {
    let mut out = vec![0xAA]; // pre-existing content stays
    let mut w = EventWriter::begin(&mut out, 10, 20, 3, 3);
    w.param(b"abc").unwrap();
    w.param_parts(&[b"de", b"f\0"]).unwrap();
    w.param(&[]).unwrap();
    w.finish().unwrap();
    assert_eq!(out[0], 0xAA);
    let ev = EventRef::parse(&out[1..], false).unwrap();
    assert_eq!(ev.header().len as usize, 26 + 6 + 3 + 4);
    assert_eq!(ev.params().len(), 3);
    let params: Vec<&[u8]> = ev.params().collect();
    assert_eq!(params, vec![&b"abc"[..], &b"def\0"[..], &b""[..]]);
    assert_eq!(ev.param(3), None);
    assert_eq!(ev.tid(), 20);
}

#[test]
fn writer_rejects_wrong_param_counts_and_cleans_up() {
    let mut out = vec![1, 2, 3];
    let mut w = EventWriter::begin(&mut out, 0, 0, 3, 2);
    w.param(b"a").unwrap();
    assert_eq!(
        w.finish().unwrap_err(),
        EventError::MissingParams {
            declared: 2,
            written: 1
        }
    );
    assert_eq!(out, vec![1, 2, 3]);

    let mut w = EventWriter::begin(&mut out, 0, 0, 3, 0);
    assert_eq!(
        w.param(b"a").unwrap_err(),
        EventError::ExtraParam { declared: 0, index: 0 }
    );

    let big = vec![0u8; u16::MAX as usize + 1];
    let mut out = Vec::new();
    let mut w = EventWriter::begin(&mut out, 0, 0, 3, 1);
    assert!(matches!(w.param(&big), Err(EventError::ParamTooLong { index: 0, .. })));
}

#[test]
fn large_payload_answers_for_plugin_and_async_types() {
    assert!(is_large_payload(322));
    assert!(is_large_payload(402));
    assert!(!is_large_payload(1));
    assert!(!is_large_payload(323));
}

#[test]
fn slot_overflow_is_reported() {
    let mut bytes = sample_plugin_event();
    bytes[22..26].copy_from_slice(&1000u32.to_ne_bytes());
    let err = EventRef::parse(&bytes, true).unwrap_err();
    assert!(matches!(err, EventError::SlotsOverflow { nparams: 1000, .. }), "{err}");
}

#[test]
fn event_memo_validates_each_new_event_and_reuses_the_last() {
    let mut bytes = sample_plugin_event();
    // A spare byte after the event, so that a `len` one too large stays inside the buffer.
    bytes.push(0);
    let mut memo = EventMemo::new();
    let ptr = bytes.as_ptr().cast::<ss_plugin_event>();
    // SAFETY: `bytes` holds a full event during each call.
    let first = unsafe { memo.event(ptr, 7) }.unwrap();
    assert_eq!(PluginEvent::parse(&first).unwrap().data, b"hello world");
    // SAFETY: as above.
    let again = unsafe { memo.event(ptr, 7) }.unwrap();
    assert_eq!(again.as_bytes(), first.as_bytes());
    assert_eq!(again.header(), first.header());
    assert_eq!(PluginEvent::parse(&again).unwrap().plugin_id, 999);

    // Break the data length slot: a new event number validates again and sees it.
    bytes[30] ^= 1;
    let ptr = bytes.as_ptr().cast::<ss_plugin_event>();
    // SAFETY: as above.
    let err = unsafe { memo.event(ptr, 8) }.unwrap_err();
    assert!(matches!(err, EventError::LenMismatch { .. }), "{err:?}");
    // A failed validation is not remembered: the old number is checked again too.
    // SAFETY: as above.
    assert!(unsafe { memo.event(ptr, 7) }.is_err());

    // A changed header (here `len`) is a different event even with the same number.
    bytes[30] ^= 1;
    // SAFETY: as above.
    unsafe { memo.event(ptr, 9) }.unwrap();
    bytes[16] += 1;
    // SAFETY: `bytes` holds the `len` bytes the header now claims.
    assert!(unsafe { memo.event(ptr, 9) }.is_err());
    // SAFETY: NULL is reported, not read.
    assert_eq!(
        unsafe { memo.event(std::ptr::null(), 1) }.unwrap_err(),
        EventError::NullPointer
    );
}

#[test]
fn nth_parameter_skips_by_length_for_both_slot_widths() {
    for (code, large) in [(3u16, false), (322u16, true)] {
        let mut out = Vec::new();
        let mut w = EventWriter::begin(&mut out, 1, 2, code, 4);
        w.param(b"first").unwrap();
        w.param(b"").unwrap();
        w.param(b"third!").unwrap();
        w.param(b"4").unwrap();
        w.finish().unwrap();
        let ev = EventRef::parse(&out, large).unwrap();
        let all: Vec<&[u8]> = ev.params().collect();
        for (i, p) in all.iter().enumerate() {
            assert_eq!(ev.param(i), Some(*p), "param {i}, large {large}");
        }
        assert_eq!(ev.param(4), None);
        assert_eq!(ev.param(usize::MAX), None);
        let mut it = ev.params();
        assert_eq!(it.nth(1), Some(&b""[..]));
        assert_eq!(it.len(), 2);
        assert_eq!(it.next(), Some(&b"third!"[..]));
        assert_eq!(it.clone().nth(1), None);
        assert_eq!(it.next(), Some(&b"4"[..]));
        assert_eq!(it.next(), None);
        let mut it = ev.params();
        assert_eq!(it.nth(7), None);
        assert_eq!(it.next(), None);
    }
}

#[test]
fn split_params_gives_the_leading_parameters() {
    for (code, large) in [(3u16, false), (322u16, true)] {
        let mut out = Vec::new();
        let mut w = EventWriter::begin(&mut out, 1, 2, code, 3);
        w.param(b"ab").unwrap();
        w.param(b"").unwrap();
        w.param(b"xyz").unwrap();
        w.finish().unwrap();
        let ev = EventRef::parse(&out, large).unwrap();
        let all: Vec<&[u8]> = ev.params().collect();
        let mut split: [&[u8]; 5] = [b"-"; 5];
        assert_eq!(ev.split_params(&mut split), 3);
        assert_eq!(&split[..3], &all[..]);
        assert_eq!(split[3], b"-");
        let mut two: [&[u8]; 2] = [b"-"; 2];
        assert_eq!(ev.split_params(&mut two), 2);
        assert_eq!(&two[..], &all[..2]);
        assert_eq!(ev.split_params(&mut []), 0);
    }
}

#[test]
fn event_memo_decodes_the_plugin_event_once_per_event() {
    let bytes = sample_plugin_event();
    let mut memo = EventMemo::new();
    let ptr = bytes.as_ptr().cast::<ss_plugin_event>();
    // SAFETY: `bytes` holds a full event during each call.
    let (ev, pe) = unsafe { memo.decode(ptr, 7) }.unwrap();
    let pe = pe.unwrap();
    assert_eq!((pe.plugin_id, pe.data), (999, &b"hello world"[..]));
    // SAFETY: as above.
    let (again, pe_again) = unsafe { memo.decode(ptr, 7) }.unwrap();
    assert_eq!(again.as_bytes(), ev.as_bytes());
    assert_eq!(
        pe_again.map(|p| (p.plugin_id, p.data)),
        Some((999, &b"hello world"[..]))
    );

    // Another event behind the same pointer (new number, other payload) is decoded anew.
    let mut other = Vec::new();
    encode_plugin_event(5, 42, b"bye", &mut other).unwrap();
    let ptr = other.as_ptr().cast::<ss_plugin_event>();
    // SAFETY: `other` holds a full event.
    let (_, pe) = unsafe { memo.decode(ptr, 8) }.unwrap();
    assert_eq!(pe.map(|p| (p.plugin_id, p.data)), Some((42, &b"bye"[..])));
}

#[test]
fn memo_decodes_each_event_and_revalidates_a_changed_one() {
    let mut memo = EventMemo::new();
    let mut first = sample_plugin_event();
    let mut second = Vec::new();
    encode_plugin_event(5, 7, b"other", &mut second).unwrap();
    let p1 = first.as_ptr().cast::<ss_plugin_event>();
    let p2 = second.as_ptr().cast::<ss_plugin_event>();
    // Twice the same event (the second call is a memo hit), then another, then the first again.
    for (evt, num, id, data) in [
        (p1, 1, 999, &b"hello world"[..]),
        (p1, 1, 999, &b"hello world"[..]),
        (p2, 2, 7, &b"other"[..]),
        (p1, 1, 999, &b"hello world"[..]),
    ] {
        // SAFETY: both buffers hold whole events and outlive the views.
        let (ev, pe) = unsafe { memo.decode(evt, num) }.unwrap();
        let pe = pe.expect("a plugin event");
        assert_eq!((pe.plugin_id, pe.data), (id, data));
        assert_eq!(ev.as_bytes().len(), ev.header().len as usize);
    }
    // Same pointer and number but a corrupted header: validated again, and rejected.
    first[16..20].copy_from_slice(&10u32.to_ne_bytes());
    let p1 = first.as_ptr().cast::<ss_plugin_event>();
    // SAFETY: the buffer holds at least the header.
    let err = unsafe { memo.decode(p1, 1) }.unwrap_err();
    assert!(matches!(err, EventError::LenBelowHeader { len: 10 }), "{err:?}");
    // SAFETY: `second` is still a whole event.
    let (_, pe) = unsafe { memo.decode(p2, 2) }.unwrap();
    assert_eq!(pe.unwrap().data, b"other");
}
