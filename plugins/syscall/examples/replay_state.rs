//! Replay throughput of the syscall plugin without rules: reads a capture and reports events/s
//! and ns/event for each stage, measured as separate passes over the same file:
//!
//! - `decode`: read the blocks, convert old event versions, validate each event;
//! - `state`: the same plus [`ThreadTable::parse_event`] (the process/fd state update);
//! - `fields`: the same plus the extraction of [`BENCH_FIELDS`] for every event, fields that
//!   Falco's official rules read on most events.
//!
//! Times are the thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), steadier than wall time on a
//! shared machine; each pass runs `--repeat` times and the fastest run is reported.
//!
//! `cargo run --release -p syscall --example replay_state -- CAPTURE.scap [--repeat N] [--only STAGE]`
//! (`--only decode|state|fields` runs one pass, for profilers).
//!
//! `--digest` instead prints a hash of every state-derived field value (`proc.*`, `thread.*`,
//! `fd.*`, `user.*`, `group.*`, without arguments) of every event, and of the final state
//! counters: two builds that print the same digest keep the same state on that capture.
//! (`scripts/bench-replay` records a capture and runs this).

use std::time::Duration;

use syscall::fields::{extract, FieldArg, FieldId, FieldValue, FIELDS};
use syscall::params::DecodedEvent;
use syscall::replay::CaptureReplay;
use syscall::state::ThreadTable;

/// Fields extracted per event by the `fields` pass.
const BENCH_FIELDS: [&str; 8] = [
    "evt.type",
    "proc.name",
    "proc.cmdline",
    "proc.pname",
    "proc.exepath",
    "fd.name",
    "fd.typechar",
    "user.name",
];
/// Passes of each kind unless `--repeat` says otherwise.
const DEFAULT_REPEAT: usize = 3;

#[derive(Clone, Copy, PartialEq)]
enum Stage {
    Decode,
    State,
    Fields,
}

/// CPU time this thread has used.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid timespec to write; the clock id is a constant of this platform.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn run(path: &str, stage: Stage, fields: &[FieldId]) -> Result<(u64, Duration), Box<dyn std::error::Error>> {
    let mut replay = CaptureReplay::open(path)?;
    let mut state = ThreadTable::new();
    let mut values: Vec<FieldValue> = Vec::new();
    let mut sink = 0usize;
    let start = thread_cpu_time();
    loop {
        let ev = replay.next_event(|m| state.apply_capture_item(m))?;
        let Some(ev) = ev else { break };
        if stage == Stage::Decode {
            sink = sink.wrapping_add(ev.nparams() as usize);
            continue;
        }
        let _ = state.parse_event(ev);
        if stage == Stage::Fields {
            if let Ok(d) = DecodedEvent::new(ev) {
                for &id in fields {
                    extract(id, FieldArg::None, &d, &state, &mut values);
                    sink = sink.wrapping_add(values.len());
                }
            }
        }
    }
    let elapsed = thread_cpu_time().saturating_sub(start);
    std::hint::black_box(sink);
    Ok((replay.events(), elapsed))
}

/// Prefixes of the fields `--digest` hashes: those read from the state.
const DIGEST_PREFIXES: [&str; 5] = ["proc.", "thread.", "fd.", "user.", "group."];

/// FNV-1a over `bytes`, continuing from `h`.
fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// Replays `path` with the state and hashes every state-derived field value of every event.
fn digest(path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let fields: Vec<FieldId> = FIELDS
        .iter()
        .enumerate()
        .filter(|(_, f)| DIGEST_PREFIXES.iter().any(|p| f.name.starts_with(p)))
        .filter_map(|(i, _)| FieldId::from_index(i))
        .collect();
    let mut replay = CaptureReplay::open(path)?;
    let mut state = ThreadTable::new();
    let mut values: Vec<FieldValue> = Vec::new();
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    let mut line = String::new();
    loop {
        let ev = replay.next_event(|m| state.apply_capture_item(m))?;
        let Some(ev) = ev else { break };
        let _ = state.parse_event(ev);
        let Ok(d) = DecodedEvent::new(ev) else { continue };
        for &id in &fields {
            values.clear();
            extract(id, FieldArg::None, &d, &state, &mut values);
            line.clear();
            use std::fmt::Write;
            let _ = write!(line, "{id:?}={values:?};");
            h = fnv(h, line.as_bytes());
        }
    }
    let stats = format!("{:?} threads={}", state.stats(), state.len());
    h = fnv(h, stats.as_bytes());
    println!(
        "digest {h:016x} over {} events and {} fields; {stats}",
        replay.events(),
        fields.len()
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut path = None;
    let mut repeat = DEFAULT_REPEAT;
    let mut only = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--repeat" => repeat = args.next().ok_or("--repeat needs a number")?.parse()?,
            "--only" => only = args.next(),
            "--digest" => only = Some("digest".to_string()),
            _ if path.is_none() => path = Some(a),
            _ => {
                return Err(format!(
                    "unexpected argument {a:?}; usage: replay_state CAPTURE [--repeat N] [--only STAGE]"
                )
                .into())
            }
        }
    }
    let path = path.ok_or("usage: replay_state CAPTURE.scap [--repeat N]")?;
    let fields: Vec<FieldId> = BENCH_FIELDS
        .iter()
        .map(|name| {
            FIELDS
                .iter()
                .position(|f| f.name == *name)
                .and_then(FieldId::from_index)
                .ok_or_else(|| format!("field {name} is not declared by the syscall plugin"))
        })
        .collect::<Result<_, _>>()?;

    let stages = [
        (Stage::Decode, "decode", "decode"),
        (Stage::State, "state", "decode+state"),
        (Stage::Fields, "fields", "decode+state+fields"),
    ];
    if only.as_deref() == Some("digest") {
        return digest(&path);
    }
    if let Some(only) = only {
        let (stage, _, label) = stages
            .iter()
            .find(|s| s.1 == only)
            .ok_or_else(|| format!("--only {only}: expected decode, state or fields"))?;
        let (events, t) = run(&path, *stage, &fields)?;
        println!("{label}: {events} events in {:.3} s", t.as_secs_f64());
        return Ok(());
    }
    let mut best = Vec::new();
    for (stage, _, label) in stages {
        let mut fastest: Option<(u64, Duration)> = None;
        for _ in 0..repeat.max(1) {
            let r = run(&path, stage, &fields)?;
            if fastest.is_none_or(|f| r.1 < f.1) {
                fastest = Some(r);
            }
        }
        let (events, t) = fastest.unwrap_or_default();
        let ns = t.as_nanos() as f64 / events.max(1) as f64;
        println!(
            "{label:<20} {events:>10} events {:>8.3} s {:>10.0} ev/s {ns:>8.1} ns/ev",
            t.as_secs_f64(),
            events as f64 / t.as_secs_f64()
        );
        best.push(ns);
    }
    println!(
        "split ns/ev: decode {:.1}, state {:.1}, fields({}) {:.1}",
        best[0],
        best[1] - best[0],
        BENCH_FIELDS.len(),
        best[2] - best[1]
    );
    Ok(())
}
