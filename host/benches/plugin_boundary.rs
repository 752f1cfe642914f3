//! Cost of the plugin boundary: events/s through `next_batch` (with Saker's per-event
//! validation) and ns per `extract_fields` call for a u64 and a string field, for the C
//! fixture plugin and the official-Rust-SDK plugin (build it optimised first with
//! `cargo build --release -p officialgen`, else the debug build is measured).

#[path = "../tests/fixtures/plugins/support.rs"]
mod support;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use saker::plugins::{BatchEnd, ExtractedValues, FieldArg, LoadOptions, Plugin, TableRegistry};
use std::ffi::CStr;
use std::hint::black_box;

/// Events per capture: large enough that no benchmark reaches EOF.
const BENCH_EVENT_COUNT: u64 = 1 << 40;

struct Subject {
    label: &'static str,
    plugin: Plugin,
    source: &'static CStr,
    u64_field: &'static str,
    string_field: &'static str,
}

fn subjects() -> Vec<Subject> {
    let config = format!(r#"{{"count":{BENCH_EVENT_COUNT}}}"#);
    let mut c = Plugin::load(support::build_fixture("bench", &[]), &LoadOptions::default()).unwrap();
    c.init(&config, &TableRegistry::new()).unwrap();
    let mut og = Plugin::load(support::official_plugin_path_in("release"), &LoadOptions::default()).unwrap();
    og.init(&config, &TableRegistry::new()).unwrap();
    vec![
        Subject {
            label: "c-fixture",
            plugin: c,
            source: c"cfixture",
            u64_field: "cf.num",
            string_field: "cf.payload",
        },
        Subject {
            label: "official-rust-sdk",
            plugin: og,
            source: c"officialgen",
            u64_field: "og.num",
            string_field: "og.text",
        },
    ]
}

fn boundary(c: &mut Criterion) {
    for s in subjects() {
        let mut group = c.benchmark_group(format!("plugin_boundary/{}", s.label));
        group.throughput(Throughput::Elements(1));
        let mut instance = s.plugin.open("").unwrap();
        group.bench_function("next_batch (1 event per batch)", |b| {
            b.iter(|| {
                let batch = instance.next_batch().unwrap();
                assert_ne!(batch.end, BatchEnd::Eof);
                black_box(batch.len())
            })
        });
        let event = loop {
            let batch = instance.next_batch().unwrap();
            if let Some(e) = batch.event(0) {
                break e.to_vec();
            }
        };
        drop(instance);
        let mut out = ExtractedValues::new();
        for (kind, field) in [("u64", s.u64_field), ("string", s.string_field)] {
            let index = s.plugin.field_index(field).unwrap();
            group.bench_function(format!("extract {kind} ({field})"), |b| {
                b.iter(|| {
                    assert!(s
                        .plugin
                        .extract(black_box(&event), 1, s.source, index, &FieldArg::None, &mut out));
                    black_box(out.len())
                })
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(300))
        .measurement_time(std::time::Duration::from_secs(1))
        .sample_size(20);
    targets = boundary
}
criterion_main!(benches);
