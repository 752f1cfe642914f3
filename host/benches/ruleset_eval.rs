//! Cost of the per-event rule path with the official rules (falco_rules + incubating +
//! sandbox) loaded through the real loader and compiled against libsinsp's field catalog:
//!
//! 1. events of a type no rule uses: the whole per-event path of the engine's source loop
//!    (header read, candidate lookup, nothing else) — target ≥ 30 M events/s per core;
//! 2. execve- and openat-like events that reach full condition evaluation of every candidate
//!    rule, with realistic field values from an in-memory field source — target < 1 µs/event.

#[path = "../tests/rules_common/mod.rs"]
mod rules_common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use plugin_api::event::EventHeader;
use saker::rules::eval::EvalContext;
use saker::rules::event_types::EventTypes;
use saker::rules::fields::{FieldArg, FieldCatalog, FieldId, FieldSource, TableCatalog, TypeClass};
use saker::rules::load::version::ENGINE_VERSION;
use saker::rules::load::RulesLoader;
use saker::rules::ruleset::{Catalogs, RuleSet, SourceSpec};
use saker::rules::select::Selection;
use saker::rules::value::Values;

/// Events per synthetic batch (what a source plugin hands over per `next_batch`).
const BATCH_EVENTS: usize = 1024;
/// Bytes of an event: the 26-byte header plus a small parameter area.
const EVENT_LEN: usize = 64;

const RULE_FILES: &[&str] = &[
    "falco_rules.yaml",
    "falco-incubating_rules.yaml",
    "falco-sandbox_rules.yaml",
];

/// Syscalls without a rule in the official files (the first one with no candidate is used).
const UNUSED_SYSCALLS: &[&str] = &["futex", "getpid", "read", "write", "close", "brk"];

/// One synthetic event: its raw bytes and the values of its fields.
struct SyntheticEvent {
    bytes: Vec<u8>,
    fields: EventValues,
}

/// Field values of one event, indexed by `FieldId` (plain fields only; fields with an
/// argument have no value except the ones listed in `indexed`).
#[derive(Default)]
struct EventValues {
    plain: Vec<Option<Values>>,
    indexed: Vec<(FieldId, u64, Values)>,
    /// Extractor calls so far (each one a plugin ABI call in the real engine).
    extractions: usize,
}

impl FieldSource for EventValues {
    fn extract(&mut self, field: FieldId, arg: &FieldArg, out: &mut Values) -> bool {
        self.extractions += 1;
        let found = match arg {
            FieldArg::None => self.plain.get(field.0 as usize).and_then(Option::as_ref),
            FieldArg::Index(i) => self
                .indexed
                .iter()
                .find(|(f, n, _)| *f == field && n == i)
                .map(|(_, _, v)| v),
            FieldArg::Key(_) => None,
        };
        match found {
            Some(v) => {
                out.copy_from(v);
                true
            }
            None => false,
        }
    }
}

/// Parses `text` as a value of the field's type class.
fn value_of(catalog: &TableCatalog, name: &str, text: &str) -> (FieldId, Values) {
    let resolved = catalog
        .resolve(name, None)
        .unwrap_or_else(|e| panic!("field {name}: {e}"));
    let mut v = Values::new();
    match resolved.info.ty.class() {
        TypeClass::Signed => v.push_i64(text.parse().unwrap_or_else(|_| panic!("{name}: {text}"))),
        TypeClass::Unsigned => v.push_u64(text.parse().unwrap_or_else(|_| panic!("{name}: {text}"))),
        TypeClass::Bool => v.push_bool(text == "true"),
        TypeClass::Ip => v.push_ip(text.parse().unwrap_or_else(|_| panic!("{name}: {text}"))),
        _ => v.push_str(text),
    }
    (resolved.id, v)
}

fn event(code: u16, catalog: &TableCatalog, pairs: &[(&str, &str)], ancestors: &[&str]) -> SyntheticEvent {
    let mut bytes = vec![0u8; EVENT_LEN];
    bytes[0..8].copy_from_slice(&1_700_000_000_000_000_000u64.to_ne_bytes());
    bytes[8..16].copy_from_slice(&4242u64.to_ne_bytes());
    bytes[16..20].copy_from_slice(&(EVENT_LEN as u32).to_ne_bytes());
    bytes[20..22].copy_from_slice(&code.to_ne_bytes());
    bytes[22..26].copy_from_slice(&0u32.to_ne_bytes());
    let mut fields = EventValues::default();
    for (name, text) in pairs {
        let (id, v) = value_of(catalog, name, text);
        let i = id.0 as usize;
        if fields.plain.len() <= i {
            fields.plain.resize(i + 1, None);
        }
        fields.plain[i] = Some(v);
    }
    let aname = catalog.resolve("proc.aname", None).expect("proc.aname").id;
    for (n, a) in ancestors.iter().enumerate() {
        let mut v = Values::new();
        v.push_str(a);
        fields.indexed.push((aname, n as u64 + 1, v));
    }
    SyntheticEvent { bytes, fields }
}

/// Fields every event of the stream shares: a shell-spawned process in a container.
const COMMON_FIELDS: &[(&str, &str)] = &[
    ("evt.num", "4242"),
    ("evt.dir", "<"),
    ("evt.res", "SUCCESS"),
    ("evt.rawres", "0"),
    ("evt.failed", "false"),
    ("user.name", "app"),
    ("user.uid", "1000"),
    ("user.loginuid", "-1"),
    ("group.gid", "1000"),
    ("proc.pid", "31337"),
    ("proc.vpid", "17"),
    ("proc.ppid", "31000"),
    ("proc.sid", "31000"),
    ("proc.tty", "0"),
    ("proc.pname", "bash"),
    ("proc.pexe", "/usr/bin/bash"),
    ("proc.pexepath", "/usr/bin/bash"),
    ("proc.pcmdline", "bash -c ./run.sh"),
    ("proc.is_exe_writable", "false"),
    ("proc.is_exe_upper_layer", "false"),
    ("proc.is_exe_from_memfd", "false"),
    ("proc.exe_ino.ctime", "1700000000000000000"),
    ("proc.exe_ino.mtime", "1700000000000000000"),
    ("proc.is_vpgid_leader", "false"),
    ("proc.is_sid_leader", "false"),
    ("proc.env", "PATH=/usr/bin HOME=/home/app"),
    ("container.id", "3ad7b26ded6d"),
    ("container.name", "web"),
    ("container.image.repository", "registry.example.com/web"),
    ("container.image.tag", "1.4.2"),
    ("container.privileged", "false"),
    ("k8s.ns.name", "prod"),
    ("k8s.pod.name", "web-5d8f7"),
];

fn execve_event(code: u16, catalog: &TableCatalog) -> SyntheticEvent {
    let mut pairs: Vec<(&str, &str)> = COMMON_FIELDS.to_vec();
    pairs.extend_from_slice(&[
        ("evt.type", "execve"),
        ("evt.arg.flags", "0"),
        ("proc.name", "python3"),
        ("proc.exe", "/usr/bin/python3"),
        ("proc.exepath", "/usr/bin/python3.11"),
        ("proc.cmdline", "python3 /app/worker.py --queue jobs"),
        ("proc.args", "/app/worker.py --queue jobs"),
        ("proc.cwd", "/app/"),
        ("proc.aname", "bash"),
        ("proc.duration", "1000"),
        ("evt.is_open_exec", "false"),
    ]);
    event(code, catalog, &pairs, &["bash", "containerd-shim", "systemd"])
}

fn openat_event(code: u16, catalog: &TableCatalog) -> SyntheticEvent {
    let mut pairs: Vec<(&str, &str)> = COMMON_FIELDS.to_vec();
    pairs.extend_from_slice(&[
        ("evt.type", "openat"),
        ("evt.arg.flags", "O_RDONLY"),
        ("evt.is_open_read", "true"),
        ("evt.is_open_write", "false"),
        ("evt.is_open_exec", "false"),
        ("proc.name", "python3"),
        ("proc.exe", "/usr/bin/python3"),
        ("proc.exepath", "/usr/bin/python3.11"),
        ("proc.cmdline", "python3 /app/worker.py --queue jobs"),
        ("proc.args", "/app/worker.py --queue jobs"),
        ("fd.num", "7"),
        ("fd.typechar", "f"),
        ("fd.type", "file"),
        ("fd.name", "/app/data/jobs.db"),
        ("fd.directory", "/app/data"),
        ("fd.filename", "jobs.db"),
    ]);
    event(code, catalog, &pairs, &["bash", "containerd-shim", "systemd"])
}

/// The exit-event code of syscall `name` that has rule candidates, if any.
fn code_with_candidates(set: &RuleSet, types: &EventTypes, source: usize, name: &str) -> u16 {
    let codes = types.codes(name).unwrap_or_else(|| panic!("no event type {name}"));
    *codes
        .iter()
        .rev()
        .find(|c| !set.candidates(source, **c).is_empty())
        .unwrap_or_else(|| panic!("no rule is a candidate for {name}"))
}

/// Mirrors the per-event path of `engine::source_loop` without plugins: header read,
/// candidates lookup, cache reset and evaluation of the gated candidates; returns the number
/// of matches.
// Not inlined so callgrind can count one batch (`--toggle-collect=*run_batch*`).
#[inline(never)]
fn run_batch(set: &RuleSet, source: usize, ctx: &mut EvalContext, batch: &mut [SyntheticEvent]) -> usize {
    let mut matched = 0;
    let mut first_timestamp = None;
    for ev in batch.iter_mut() {
        let Ok(header) = EventHeader::read(&ev.bytes) else {
            continue;
        };
        first_timestamp.get_or_insert(header.ts);
        let candidates = set.candidates(source, header.event_type);
        if candidates.is_empty() {
            continue;
        }
        ctx.next_event();
        let mut matching = set.matching(source, header.event_type);
        while matching.next(ctx, &mut ev.fields).is_some() {
            matched += 1;
        }
    }
    matched
}

fn bench(c: &mut Criterion) {
    let Some(shared) = rules_common::shared_or_skip("ruleset_eval bench") else {
        return;
    };
    let catalog = rules_common::syscall_catalog(&shared);
    let types = rules_common::syscall_event_types(&shared);
    let dir = shared.join("conformance/rules");
    let plugins = vec![("container".to_string(), "0.7.1".to_string())];
    let mut loader = RulesLoader::new(ENGINE_VERSION, &plugins);
    for f in RULE_FILES {
        let text = std::fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("reading {f}: {e}"));
        loader.load_text(f, &text);
    }
    let catalogs = Catalogs {
        sources: vec![SourceSpec {
            name: "syscall".into(),
            fields: &catalog,
            event_types: Some(&types),
        }],
    };
    let (set, results) = loader.finish(&catalogs, &Selection::default());
    assert!(results.successful(), "the official rules must load");
    let source = catalogs.index_of("syscall").expect("syscall source");

    let unused = UNUSED_SYSCALLS
        .iter()
        .flat_map(|n| types.codes(n).unwrap_or_default().iter().copied())
        .find(|c| set.candidates(source, *c).is_empty())
        .expect("some syscall without candidate rules");
    let execve = code_with_candidates(&set, &types, source, "execve");
    let openat = code_with_candidates(&set, &types, source, "openat");
    eprintln!(
        "rules: {}; candidates: execve {} rules, openat {} rules; unused event code {unused}",
        set.rules.len(),
        set.candidates(source, execve).len(),
        set.candidates(source, openat).len()
    );

    let mut ctx = EvalContext::new();
    let mut group = c.benchmark_group("ruleset_eval");
    group.throughput(Throughput::Elements(BATCH_EVENTS as u64));

    let mut idle: Vec<SyntheticEvent> = (0..BATCH_EVENTS).map(|_| event(unused, &catalog, &[], &[])).collect();
    assert_eq!(run_batch(&set, source, &mut ctx, &mut idle), 0);
    group.bench_function(format!("unused event type ({BATCH_EVENTS}-event batch)"), |b| {
        b.iter(|| run_batch(&set, source, &mut ctx, black_box(&mut idle)))
    });

    let mut full: Vec<SyntheticEvent> = (0..BATCH_EVENTS)
        .map(|i| {
            if i % 2 == 0 {
                execve_event(execve, &catalog)
            } else {
                openat_event(openat, &catalog)
            }
        })
        .collect();
    // Benign activity: no official rule matches these events.
    assert_eq!(run_batch(&set, source, &mut ctx, &mut full), 0);
    let calls: usize = full.iter().map(|e| e.fields.extractions).sum();
    eprintln!(
        "extractor calls per event: {:.1}; gated candidates: execve {}, openat {}",
        calls as f64 / BATCH_EVENTS as f64,
        set.gated_count(source, execve),
        set.gated_count(source, openat)
    );
    group.bench_function(
        format!("execve+openat full evaluation ({BATCH_EVENTS}-event batch)"),
        |b| b.iter(|| run_batch(&set, source, &mut ctx, black_box(&mut full))),
    );
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2))
        .sample_size(20);
    targets = bench
}
criterion_main!(benches);
