//! Writing captures back in the current format and reading them identically; truncated and
//! corrupted variants of the real captures give errors with offsets, never panics.

mod common;

use std::io::{Cursor, Read};

use syscall::scap::{CaptureItem, CaptureReader, CaptureWriter, Compression, FdEntry, ProcessEntry};

/// Owned form of everything a capture yields, for comparison.
#[derive(Debug, PartialEq)]
enum Owned {
    Machine(syscall::scap::MachineInfo),
    Process(Box<ProcessEntry>),
    Fd(FdEntry),
    Interface(syscall::scap::Interface),
    User(syscall::scap::UserListEntry),
    Event { cpu: u16, flags: u32, bytes: Vec<u8> },
}

fn read_all(mut r: CaptureReader) -> Vec<Owned> {
    read_all_ref(&mut r)
}

fn write_all(items: &[Owned], path: &std::path::Path, compression: Compression) {
    let mut w = CaptureWriter::create(path, compression).unwrap();
    let machines: Vec<_> = items
        .iter()
        .filter_map(|i| if let Owned::Machine(m) = i { Some(m) } else { None })
        .collect();
    for m in machines {
        w.write_machine_info(m).unwrap();
    }
    let ifs: Vec<_> = items
        .iter()
        .filter_map(|i| {
            if let Owned::Interface(m) = i {
                Some(m.clone())
            } else {
                None
            }
        })
        .collect();
    w.write_interfaces(&ifs).unwrap();
    let users: Vec<_> = items
        .iter()
        .filter_map(|i| if let Owned::User(m) = i { Some(m.clone()) } else { None })
        .collect();
    w.write_users(&users).unwrap();
    let procs: Vec<_> = items
        .iter()
        .filter_map(|i| {
            if let Owned::Process(m) = i {
                Some((**m).clone())
            } else {
                None
            }
        })
        .collect();
    w.write_processes(&procs).unwrap();
    // One FDL block per run of entries of the same thread, in file order.
    let fds: Vec<&FdEntry> = items
        .iter()
        .filter_map(|i| if let Owned::Fd(m) = i { Some(m) } else { None })
        .collect();
    for run in fds.chunk_by(|a, b| a.tid == b.tid) {
        let owned: Vec<FdEntry> = run.iter().map(|f| (*f).clone()).collect();
        w.write_fds(run[0].tid, &owned).unwrap();
    }
    for i in items {
        if let Owned::Event { cpu, flags, bytes } = i {
            let ev = plugin_api::event::EventRef::parse(
                bytes,
                syscall::event_table::is_large_payload(u16::from_le_bytes([bytes[20], bytes[21]])),
            )
            .unwrap();
            w.write_event(*cpu, *flags, &ev).unwrap();
        }
    }
    w.finish().unwrap();
}

/// Puts metadata first, in the order the writer emits it, keeping relative order within a kind.
fn writer_order(items: &[Owned]) -> Vec<&Owned> {
    let rank = |o: &Owned| match o {
        Owned::Machine(_) => 0,
        Owned::Interface(_) => 1,
        Owned::User(_) => 2,
        Owned::Process(_) => 3,
        Owned::Fd(_) => 4,
        Owned::Event { .. } => 5,
    };
    let mut v: Vec<&Owned> = items.iter().collect();
    v.sort_by_key(|o| rank(o));
    v
}

#[test]
fn every_capture_round_trips_through_the_writer() {
    let dir = std::env::temp_dir().join(format!("saker-scap-roundtrip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for path in common::captures() {
        let original = read_all(CaptureReader::open(&path).unwrap());
        for compression in [Compression::None, Compression::Gzip] {
            let out = dir.join(format!(
                "{}-{compression:?}.scap",
                path.file_stem().unwrap().to_string_lossy()
            ));
            write_all(&original, &out, compression);
            let head = std::fs::read(&out).unwrap();
            assert_eq!(head.starts_with(&[0x1f, 0x8b]), compression == Compression::Gzip);
            let mut reader = CaptureReader::open(&out).unwrap();
            let again = read_all_ref(&mut reader);
            assert_eq!(
                writer_order(&original),
                again.iter().collect::<Vec<_>>(),
                "{}",
                path.display()
            );
            // Everything written is in current (V2/V9) blocks: nothing to upgrade on re-read.
            assert_eq!(reader.stats().upgraded_old_events, 0);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn read_all_ref(r: &mut CaptureReader) -> Vec<Owned> {
    let mut v = Vec::new();
    while let Some(item) = r.next_item().unwrap() {
        v.push(match item {
            CaptureItem::Section(_) => continue,
            CaptureItem::Machine(m) => Owned::Machine(m),
            CaptureItem::Process(p) => Owned::Process(p),
            CaptureItem::Fd(f) => Owned::Fd(f),
            CaptureItem::Interface(i) => Owned::Interface(i),
            CaptureItem::User(u) => Owned::User(u),
            CaptureItem::Event(e) => Owned::Event {
                cpu: e.cpu,
                flags: e.dump_flags,
                bytes: e.event.as_bytes().to_vec(),
            },
        });
    }
    v
}

fn decompressed(path: &std::path::Path) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// Reads `bytes` to the end; returns the error if any. Panics are test failures.
fn read_result(bytes: Vec<u8>) -> Result<usize, syscall::scap::ScapError> {
    let mut r = CaptureReader::from_reader(Cursor::new(bytes), "variant")?;
    let mut n = 0;
    while r.next_item()?.is_some() {
        n += 1;
    }
    Ok(n)
}

#[test]
fn truncated_captures_fail_with_offsets() {
    for path in common::captures() {
        let bytes = decompressed(&path);
        let full = read_result(bytes.clone()).unwrap();
        assert!(full > 0);
        // Cut points: inside the first block, mid-stream, and a few bytes before the end.
        let len = bytes.len();
        for cut in [3, 20, 100, len / 3, len / 2, len - 5, len - 1] {
            match read_result(bytes[..cut].to_vec()) {
                Err(e) => {
                    assert!(
                        e.offset <= cut as u64,
                        "{}: cut {cut}: offset {} past the end",
                        path.display(),
                        e.offset
                    );
                    assert!(e.to_string().contains("at byte"), "{e}");
                }
                Ok(n) => panic!("{}: truncated at {cut} read {n} items without error", path.display()),
            }
        }
    }
}

#[test]
fn corrupted_captures_never_panic() {
    for path in common::captures() {
        let bytes = decompressed(&path);
        let mut errors = 0;
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for i in 0..300 {
            let mut v = bytes.clone();
            // xorshift: deterministic positions and values.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state as usize) % v.len();
            match i % 3 {
                0 => v[at] ^= 0xFF,
                1 => {
                    let end = (at + 4).min(v.len());
                    v[at..end].fill(0xFF);
                }
                _ => v[at] = 0,
            }
            if read_result(v).is_err() {
                errors += 1;
            }
        }
        // Many flips land in payload bytes and are legitimately undetectable; some must not be.
        assert!(errors > 0, "{}: no corruption detected", path.display());
    }
}

#[test]
fn specific_corruptions_name_the_problem() {
    let Some(path) = common::captures().into_iter().next() else {
        return;
    };
    let bytes = decompressed(&path);
    // Byte-order magic of the section header.
    let mut v = bytes.clone();
    v[8..12].copy_from_slice(&0x4D3C_2B1Au32.to_le_bytes());
    let e = read_result(v).unwrap_err();
    assert_eq!(e.offset, 8);
    assert!(e.to_string().contains("byte-order magic"), "{e}");
    // Not a capture at all.
    let e = read_result(b"hello world, not a capture".to_vec()).unwrap_err();
    assert!(e.to_string().contains("not a scap capture"), "{e}");
    // Trailer of the section header.
    let mut v = bytes.clone();
    v[24] ^= 1;
    let e = read_result(v).unwrap_err();
    assert!(e.to_string().contains("trailer"), "{e}");
    assert_eq!(e.offset, 24);
    // Only metadata, no events.
    let second_block_len = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    let e = read_result(bytes[..second_block_len].to_vec()).unwrap_err();
    assert!(e.to_string().contains("no events"), "{e}");
}

#[test]
fn unknown_blocks_are_skipped_and_counted() {
    let Some(path) = common::captures().into_iter().next() else {
        return;
    };
    let bytes = decompressed(&path);
    let shb = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    let mut v = bytes[..shb].to_vec();
    // A 20-byte block of an unknown type right after the section header.
    v.extend_from_slice(&0x7777u32.to_le_bytes());
    v.extend_from_slice(&20u32.to_le_bytes());
    v.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
    v.extend_from_slice(&20u32.to_le_bytes());
    v.extend_from_slice(&bytes[shb..]);
    let plain = read_result(bytes).unwrap();
    let mut r = CaptureReader::from_reader(Cursor::new(v), "with-unknown").unwrap();
    let mut n = 0;
    while r.next_item().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, plain);
    assert_eq!(r.stats().unknown_blocks, 1);
}

#[test]
fn concatenated_captures_read_as_consecutive_sections() {
    let all = common::captures();
    if all.len() < 2 {
        return;
    }
    let count = |r: &mut CaptureReader| {
        let (mut sections, mut events) = (0, 0);
        while let Some(item) = r.next_item().unwrap() {
            match item {
                CaptureItem::Section(_) => sections += 1,
                CaptureItem::Event(_) => events += 1,
                _ => {}
            }
        }
        (sections, events)
    };
    let (_, a) = count(&mut CaptureReader::open(&all[0]).unwrap());
    let (_, b) = count(&mut CaptureReader::open(&all[1]).unwrap());
    // Two gzip members back to back (`cat a.scap b.scap`), and the same decompressed.
    let mut gz = std::fs::read(&all[0]).unwrap();
    gz.extend_from_slice(&std::fs::read(&all[1]).unwrap());
    let mut plain = decompressed(&all[0]);
    plain.extend_from_slice(&decompressed(&all[1]));
    for bytes in [gz, plain] {
        let mut r = CaptureReader::from_reader(Cursor::new(bytes), "concatenated").unwrap();
        assert_eq!(count(&mut r), (2, a + b));
        assert_eq!(r.stats().sections, 2);
    }
}
