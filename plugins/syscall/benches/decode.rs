//! Decode throughput (events/s): the largest conformance capture, decompressed once and
//! repeated in memory, read block by block with every parameter decoded and rendered.

use std::io::{Cursor, Read};
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use syscall::params::DecodedEvent;
use syscall::scap::{CaptureItem, CaptureReader};

/// Times the event blocks of the capture are repeated in one stream.
const REPEAT: usize = 20;

fn largest_capture() -> Option<PathBuf> {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let traces = loop {
        let c = dir.join("shared/conformance/falco-legacy/test/trace_files");
        if c.is_dir() {
            break c;
        }
        if !dir.pop() {
            return None;
        }
    };
    std::fs::read_dir(traces)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "scap"))
        .max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
}

/// The capture with its event blocks appended `REPEAT` times (metadata once).
fn repeated_stream(path: &PathBuf) -> Vec<u8> {
    let mut raw = Vec::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut raw)
        .unwrap();
    let mut at = 0;
    let mut first_event = raw.len();
    while at + 8 <= raw.len() {
        let ty = u32::from_le_bytes(raw[at..at + 4].try_into().unwrap());
        if matches!(ty, 0x204 | 0x208 | 0x216 | 0x217 | 0x221 | 0x222) {
            first_event = at;
            break;
        }
        at += u32::from_le_bytes(raw[at + 4..at + 8].try_into().unwrap()) as usize;
    }
    let events = raw[first_event..].to_vec();
    for _ in 1..REPEAT {
        raw.extend_from_slice(&events);
    }
    raw
}

fn count_and_decode(stream: &[u8], render: bool) -> u64 {
    let mut r = CaptureReader::from_reader(Cursor::new(stream.to_vec()), "bench").unwrap();
    let mut n = 0;
    while let Some(item) = r.next_item().unwrap() {
        if let CaptureItem::Event(ev) = item {
            n += 1;
            if render {
                let d = DecodedEvent::new(ev.event).unwrap();
                std::hint::black_box(d.render_args());
            } else {
                std::hint::black_box(ev.event.nparams());
            }
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let Some(path) = largest_capture() else {
        eprintln!("skipped: no shared/conformance above CARGO_MANIFEST_DIR");
        return;
    };
    let stream = repeated_stream(&path);
    let events = count_and_decode(&stream, false);
    let mut g = c.benchmark_group("scap_decode");
    g.throughput(Throughput::Elements(events));
    g.bench_function("read_events", |b| b.iter(|| count_and_decode(&stream, false)));
    g.bench_function("read_decode_render", |b| b.iter(|| count_and_decode(&stream, true)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
