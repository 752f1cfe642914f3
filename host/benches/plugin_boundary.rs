//! Cost of the plugin boundary: events/s through `next_batch` (with Saker's per-event
//! validation) and ns per `extract_fields` call for a u64 and a string field, for
//! - the countgen examples: `examples/plugins/c/countgen.c` (compiled here with `cc -O2`) and
//!   the Saker-SDK `libcountgen_rs.so` (build it first with
//!   `cargo build --release -p saker-example-plugin`), both with 128-event batches;
//! - the C test fixture and the official-Rust-SDK plugin (`cargo build --release -p
//!   officialgen`, else the debug build is measured), whose batches hold 1 event.
//!
//! `extract N fields per event` asks several fields of one event through `extract_batch`
//! (one `extract_fields` call for Saker-SDK plugins, one call per field for the others);
//! its throughput is fields/s, so its time per element is the cost of one extracted field.
//!
//! Instruction counts (stable on a loaded machine): with `SAKER_BOUNDARY_ROUNDS=N` and
//! `SAKER_BOUNDARY_CASE=<subject>/<next_batch|u64|string|batch>` the binary runs that case N
//! times inside `measured_rounds` instead of criterion; under
//! `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*measured_rounds*'` the
//! program total divided by N is the instructions per round (per field: divide `batch` by 4).

#[path = "../tests/fixtures/plugins/support.rs"]
mod support;

use criterion::{criterion_group, Criterion, Throughput};
use saker::plugins::{BatchEnd, ExtractedValues, FieldArg, FieldBatch, LoadOptions, Plugin, TableRegistry};
use std::ffi::CStr;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Events per capture: large enough that no benchmark reaches EOF.
const BENCH_EVENT_COUNT: u64 = 1 << 40;

/// Events per `next_batch` of the countgen examples (their `MAX_BATCH_EVENTS`).
const COUNTGEN_BATCH_EVENTS: usize = 128;

/// `countgen.c` built with `-O2` (as its README says) into the bench's tmp dir.
fn countgen_c() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-libcountgen.so");
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-O2", "-std=c11", "-I"])
        .arg(root.join("plugin-api/include"))
        .arg("-o")
        .arg(&out)
        .arg(root.join("examples/plugins/c/countgen.c"))
        .status()
        .expect("run cc (gcc must be installed)");
    assert!(status.success(), "building countgen.c failed");
    out
}

/// `libcountgen_rs.so` of the release build, else of the debug build.
fn countgen_rs() -> Option<PathBuf> {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent()?.to_path_buf();
    ["release", "debug"]
        .iter()
        .map(|p| target.join(p).join("libcountgen_rs.so"))
        .find(|p| p.exists())
}

struct Subject {
    label: &'static str,
    /// Events per batch the plugin delivers.
    batch: usize,
    /// `open` parameters (the countgen examples take their event count there).
    open_params: String,
    plugin: Plugin,
    source: &'static CStr,
    u64_field: &'static str,
    string_field: &'static str,
    /// Fields asked together by the `extract_batch` benchmark.
    batch_fields: &'static [&'static str],
}

/// Numeric fields only, so the time is the boundary's and not the plugins' string formatting.
const COUNTGEN_BATCH_FIELDS: &[&str] = &["countgen.num", "countgen.even", "countgen.reltime", "countgen.abstime"];

fn subjects() -> Vec<Subject> {
    let config = format!(r#"{{"count":{BENCH_EVENT_COUNT}}}"#);
    let mut c = Plugin::load(support::build_fixture("bench", &[]), &LoadOptions::default()).unwrap();
    c.init(&config, &TableRegistry::new()).unwrap();
    let mut og = Plugin::load(support::official_plugin_path_in("release"), &LoadOptions::default()).unwrap();
    og.init(&config, &TableRegistry::new()).unwrap();
    let mut subjects = Vec::new();
    let count = BENCH_EVENT_COUNT.to_string();
    let mut cg = Plugin::load(countgen_c(), &LoadOptions::default()).unwrap();
    cg.init("{}", &TableRegistry::new()).unwrap();
    subjects.push(Subject {
        label: "countgen-c-O2",
        batch: COUNTGEN_BATCH_EVENTS,
        open_params: count.clone(),
        plugin: cg,
        source: c"countgen",
        u64_field: "countgen.num",
        string_field: "countgen.str",
        batch_fields: COUNTGEN_BATCH_FIELDS,
    });
    match countgen_rs() {
        Some(path) => {
            let mut rs = Plugin::load(path, &LoadOptions::default()).unwrap();
            rs.init("{}", &TableRegistry::new()).unwrap();
            subjects.push(Subject {
                label: "countgen-rust-sdk",
                batch: COUNTGEN_BATCH_EVENTS,
                open_params: count,
                plugin: rs,
                source: c"countgen",
                u64_field: "countgen.num",
                string_field: "countgen.str",
                batch_fields: COUNTGEN_BATCH_FIELDS,
            });
        }
        None => eprintln!("countgen-rust-sdk skipped: build it with `cargo build --release -p saker-example-plugin`"),
    }
    subjects.extend([
        Subject {
            label: "c-fixture",
            batch: 1,
            open_params: String::new(),
            plugin: c,
            source: c"cfixture",
            u64_field: "cf.num",
            string_field: "cf.payload",
            batch_fields: &["cf.num", "cf.even", "cf.ip", "cf.parsed"],
        },
        Subject {
            label: "official-rust-sdk",
            batch: 1,
            open_params: String::new(),
            plugin: og,
            source: c"officialgen",
            u64_field: "og.num",
            string_field: "og.text",
            batch_fields: &["og.num", "og.even", "og.rel", "og.abs"],
        },
    ]);
    subjects
}

fn boundary(c: &mut Criterion) {
    for s in subjects() {
        let mut group = c.benchmark_group(format!("plugin_boundary/{}", s.label));
        group.throughput(Throughput::Elements(s.batch as u64));
        let mut instance = s.plugin.open(&s.open_params).unwrap();
        group.bench_function(format!("next_batch ({} events per batch)", s.batch), |b| {
            b.iter(|| {
                let batch = instance.next_batch().unwrap();
                assert_ne!(batch.end, BatchEnd::Eof);
                // The 1-event fixtures sometimes answer TIMEOUT with no event (counted as a call).
                assert!(batch.len() == s.batch || s.batch == 1);
                // Touch every event like the engine loop (header read).
                batch.events().map(|e| e.len()).sum::<usize>()
            })
        });
        group.throughput(Throughput::Elements(1));
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
        let indexes = s
            .batch_fields
            .iter()
            .map(|f| (s.plugin.field_index(f).unwrap(), FieldArg::None));
        let mut batch = FieldBatch::new(indexes);
        group.throughput(Throughput::Elements(batch.len() as u64));
        let name = format!(
            "extract {} fields per event ({})",
            batch.len(),
            s.batch_fields.join(", ")
        );
        group.bench_function(name, |b| {
            b.iter(|| {
                let found = s.plugin.extract_batch(black_box(&event), 1, s.source, &mut batch);
                assert_eq!(found, batch.len());
                black_box(batch.values(0).len())
            })
        });
        group.finish();
    }
}

/// Runs `round` `rounds` times; the only code callgrind collects in instruction-count mode.
#[inline(never)]
fn measured_rounds(rounds: u64, mut round: impl FnMut()) {
    for _ in 0..rounds {
        round();
    }
}

/// Instruction-count mode (see the module docs): runs one case `rounds` times.
fn count_instructions(rounds: u64, case: &str) {
    let (label, kind) = case
        .split_once('/')
        .unwrap_or_else(|| panic!("SAKER_BOUNDARY_CASE should be <subject>/<case>, found {case:?}"));
    let subjects = subjects();
    let labels = subjects.iter().map(|s| s.label).collect::<Vec<_>>();
    let s = subjects
        .into_iter()
        .find(|s| s.label == label)
        .unwrap_or_else(|| panic!("unknown subject {label:?}; one of {labels:?}"));
    let mut instance = s.plugin.open(&s.open_params).unwrap();
    let event = loop {
        let batch = instance.next_batch().unwrap();
        if let Some(e) = batch.event(0) {
            break e.to_vec();
        }
    };
    let mut out = ExtractedValues::new();
    let mut single = |field: &str| {
        let index = s.plugin.field_index(field).unwrap();
        measured_rounds(rounds, || {
            assert!(s
                .plugin
                .extract(black_box(&event), 1, s.source, index, &FieldArg::None, &mut out));
        })
    };
    match kind {
        "next_batch" => measured_rounds(rounds, || {
            let batch = instance.next_batch().unwrap();
            black_box(batch.events().map(|e| e.len()).sum::<usize>());
        }),
        "u64" => single(s.u64_field),
        "string" => single(s.string_field),
        "batch" => {
            let indexes = s
                .batch_fields
                .iter()
                .map(|f| (s.plugin.field_index(f).unwrap(), FieldArg::None));
            let mut batch = FieldBatch::new(indexes);
            measured_rounds(rounds, || {
                let found = s.plugin.extract_batch(black_box(&event), 1, s.source, &mut batch);
                assert_eq!(found, batch.len());
            })
        }
        other => panic!("unknown case {other:?}; one of next_batch, u64, string, batch"),
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

fn main() {
    let rounds = std::env::var("SAKER_BOUNDARY_ROUNDS").ok().and_then(|r| r.parse().ok());
    match (rounds, std::env::var("SAKER_BOUNDARY_CASE")) {
        (Some(rounds), Ok(case)) => count_instructions(rounds, &case),
        _ => {
            benches();
            Criterion::default().configure_from_args().final_summary();
        }
    }
}
