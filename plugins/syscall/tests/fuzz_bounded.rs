//! Bounded mutation fuzzing on stable Rust: Falco's conformance captures, mutated many ways,
//! through the capture reader, the event converter, the state and every field
//! ([`syscall::fuzzing::capture_input`]), and single events through the decoder
//! ([`syscall::fuzzing::event_input`]). The libFuzzer targets in `fuzz/` run the same
//! functions for as long as one likes, but need nightly (`cargo fuzz run capture_reader`);
//! this run needs nothing and is part of the test suite.
//!
//! Each test runs for `SAKER_FUZZ_SECONDS` (default 15) or `SAKER_FUZZ_INPUTS` inputs, from the
//! seed `SAKER_FUZZ_SEED` (default fixed, so a run is repeatable). An input that panics is
//! written to `CARGO_TARGET_TMPDIR/fuzz-failures/` and the test fails naming that file;
//! `SAKER_FUZZ_INPUT=FILE` runs one saved input again (`capture-*` or `event-*`).

mod common;

use std::io::{Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use syscall::event_table::EVENT_TYPE_COUNT;
use syscall::fuzzing::{capture_input, event_input};
use syscall::replay::CaptureReplay;
use syscall::testing::sample_event;

const DEFAULT_SECONDS: u64 = 15;
const DEFAULT_SEED: u64 = 0x5eed_5a4e_7f0c_2c31;
/// Distinct events kept per event type as seeds of the event decoder.
const EVENTS_PER_TYPE: usize = 4;
/// Mutations stacked on one input at most.
const MAX_STACKED: u64 = 4;

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    let parsed = match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={v}: not a number")))
}

/// Budget of one test: wall time and input count.
struct Budget {
    until: Instant,
    inputs: u64,
}

impl Budget {
    fn from_env() -> Budget {
        let seconds = env_u64("SAKER_FUZZ_SECONDS").unwrap_or(DEFAULT_SECONDS);
        Budget {
            until: Instant::now() + Duration::from_secs(seconds),
            inputs: env_u64("SAKER_FUZZ_INPUTS").unwrap_or(u64::MAX),
        }
    }
    fn allows(&self, done: u64) -> bool {
        done < self.inputs && Instant::now() < self.until
    }
}

fn decompressed(path: &PathBuf) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// Values that tend to sit on boundaries of lengths, counts and flags.
const INTERESTING: [u64; 10] = [0, 1, 2, 0x7f, 0x80, 0xff, 0xffff, 0x7fff_ffff, 0xffff_ffff, u64::MAX];

/// Applies 1..=MAX_STACKED random mutations to `v`; `other` is another seed for splices.
fn mutate(v: &mut Vec<u8>, other: &[u8], rng: &mut Rng) {
    for _ in 0..1 + rng.next() % MAX_STACKED {
        if v.is_empty() {
            v.push(rng.next() as u8);
            continue;
        }
        let at = rng.below(v.len());
        match rng.next() % 8 {
            // A few flipped bits.
            0 => {
                for _ in 0..1 + rng.next() % 4 {
                    let i = rng.below(v.len());
                    v[i] ^= 1 << (rng.next() % 8);
                }
            }
            // A byte, u16, u32 or u64 (little endian) set to a boundary value or a random one.
            1 | 2 => {
                let width = [1, 2, 4, 8][rng.below(4)];
                let value = if rng.next() % 4 == 0 {
                    rng.next()
                } else {
                    INTERESTING[rng.below(INTERESTING.len())]
                };
                let end = (at + width).min(v.len());
                v[at..end].copy_from_slice(&value.to_le_bytes()[..end - at]);
            }
            // A length-like field nudged by a little.
            3 => {
                let end = (at + 4).min(v.len());
                let mut word = [0u8; 4];
                word[..end - at].copy_from_slice(&v[at..end]);
                let delta = [1u32, 2, 4, 8, 0xffff_ffff, 0xffff_fffe][rng.below(6)];
                let nudged = u32::from_le_bytes(word).wrapping_add(delta);
                v[at..end].copy_from_slice(&nudged.to_le_bytes()[..end - at]);
            }
            // Cut the input short.
            4 => v.truncate(at),
            // Remove a range.
            5 => {
                let end = (at + 1 + rng.below(64)).min(v.len());
                v.drain(at..end);
            }
            // Repeat a range somewhere.
            6 => {
                let end = (at + 1 + rng.below(256)).min(v.len());
                let chunk = v[at..end].to_vec();
                let to = rng.below(v.len() + 1);
                v.splice(to..to, chunk);
            }
            // Overwrite a range with bytes of another seed.
            _ => {
                if other.is_empty() {
                    continue;
                }
                let from = rng.below(other.len());
                let len = (1 + rng.below(128)).min(other.len() - from).min(v.len() - at);
                v[at..at + len].copy_from_slice(&other[from..from + len]);
            }
        }
    }
}

fn failure_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures")
}

/// Runs `f` on `input`; on a panic, saves the input and returns where.
fn run_one(kind: &str, n: u64, input: &[u8], f: fn(&[u8])) -> Result<(), String> {
    if catch_unwind(AssertUnwindSafe(|| f(input))).is_ok() {
        return Ok(());
    }
    let dir = failure_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{kind}-{n}.bin"));
    std::fs::write(&path, input).unwrap();
    Err(format!(
        "{kind} input {n} panicked; saved to {} (run it again: SAKER_FUZZ_INPUT={} cargo test -p syscall --test fuzz_bounded)",
        path.display(),
        path.display()
    ))
}

/// Mutates `seeds` and runs each input through `f` within the budget; returns inputs run.
fn fuzz(kind: &str, seeds: &[Vec<u8>], f: fn(&[u8]), gzip_some: bool) -> u64 {
    let seed = env_u64("SAKER_FUZZ_SEED").unwrap_or(DEFAULT_SEED);
    let budget = Budget::from_env();
    let mut rng = Rng(seed | 1);
    let mut failures = Vec::new();
    let mut n = 0;
    let start = Instant::now();
    while budget.allows(n) && failures.len() < 5 {
        let base = &seeds[rng.below(seeds.len())];
        let other = &seeds[rng.below(seeds.len())];
        let mut input = base.clone();
        mutate(&mut input, other, &mut rng);
        if gzip_some && rng.next() % 16 == 0 {
            input = gzip(&input);
        }
        if let Err(e) = run_one(kind, n, &input, f) {
            failures.push(e);
        }
        n += 1;
    }
    println!(
        "{kind}: {n} mutated inputs from {} seeds in {:.1} s (seed {seed:#x})",
        seeds.len(),
        start.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    n
}

/// Runs the saved input named by `SAKER_FUZZ_INPUT`, if set; true when it did.
fn replay_saved_input() -> bool {
    let Ok(path) = std::env::var("SAKER_FUZZ_INPUT") else {
        return false;
    };
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("SAKER_FUZZ_INPUT={path}: {e}"));
    let name = std::path::Path::new(&path)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    if name.starts_with("event-") {
        event_input(&bytes);
    } else {
        capture_input(&bytes);
    }
    true
}

fn capture_seeds() -> Vec<Vec<u8>> {
    common::captures().iter().map(decompressed).collect()
}

/// Up to [`EVENTS_PER_TYPE`] events of each type found in the captures, as raw event bytes,
/// and a sample event of every type in the table.
fn event_seeds(captures: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut per_type = std::collections::HashMap::<u16, usize>::new();
    let mut out: Vec<Vec<u8>> = (0..EVENT_TYPE_COUNT)
        .filter_map(|code| sample_event(code, 1, 1))
        .collect();
    for bytes in captures {
        let Ok(mut replay) = CaptureReplay::from_reader(std::io::Cursor::new(bytes.clone()), "seed".into(), 0) else {
            continue;
        };
        while let Ok(Some(ev)) = replay.next_event(|_| {}) {
            let count = per_type.entry(ev.event_type()).or_default();
            if *count < EVENTS_PER_TYPE {
                *count += 1;
                out.push(ev.as_bytes().to_vec());
            }
        }
    }
    out
}

/// True when `bytes` is a valid event whose parameters all decode.
fn decodes(bytes: &[u8]) -> bool {
    let large = syscall::event_table::is_large_payload(u16::from_le_bytes([bytes[20], bytes[21]]));
    let Ok(ev) = plugin_api::event::EventRef::parse(bytes, large) else {
        return false;
    };
    let Ok(d) = syscall::params::DecodedEvent::new(ev) else {
        return false;
    };
    (0..d.event.nparams() as usize).all(|i| matches!(d.param(i), Some(Ok(_))))
}

#[test]
fn mutated_captures_never_panic_through_reader_state_and_fields() {
    if replay_saved_input() {
        return;
    }
    let seeds = capture_seeds();
    if seeds.is_empty() {
        return; // common::captures said why
    }
    let n = fuzz("capture", &seeds, capture_input, true);
    assert!(n > 0, "the budget allowed no input");
}

#[test]
fn mutated_events_never_panic_in_the_decoder() {
    if std::env::var("SAKER_FUZZ_INPUT").is_ok() {
        return; // the capture test runs the saved input
    }
    let captures = capture_seeds();
    if captures.is_empty() {
        return;
    }
    let seeds = event_seeds(&captures);
    assert!(
        seeds.len() > EVENT_TYPE_COUNT as usize / 2,
        "too few event seeds: {}",
        seeds.len()
    );
    // The seeds themselves must decode, or the mutations start from rejected input.
    let decoded = seeds.iter().filter(|s| decodes(s)).count();
    assert!(
        decoded * 10 >= seeds.len() * 9,
        "only {decoded} of {} event seeds decode",
        seeds.len()
    );
    let n = fuzz("event", &seeds, event_input, false);
    assert!(n > 0, "the budget allowed no input");
}
