//! Cost of turning raw kernel records into scap events (the live source's user-space work
//! before the host: record validation and [`ScapBuilder::build`]), on the records of
//! `scripts/bench-live`'s open+read+close loop. Prints thread CPU ns per record; under
//! `valgrind --tool=callgrind` the instruction count is the steadier figure on a shared machine.
//!
//! `cargo run --release -p syscall --example live_build_cost -- [ITERATIONS]` (default 300000;
//! each iteration is an openat with its path and fd info, a read with 14 bytes, a close).

use plugin_api::sdk::EventBatch;
use syscall::live::records::{tag, RawFdInfo, RawRecord, RecordEncoder, ARG_RET, REC_SYS_EXIT};
use syscall::live::syscall_nr;
use syscall::live::to_scap::ScapBuilder;

fn nr(name: &str) -> u16 {
    syscall_nr::by_name(name).map_or(0, |s| s.nr)
}

fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; clock_gettime only writes it.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn main() {
    let iterations: usize = match std::env::args().nth(1).map(|a| a.parse()) {
        None => 300_000,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("live_build_cost: ITERATIONS must be a number: {e}");
            std::process::exit(2);
        }
    };
    let fdinfo = RawFdInfo {
        dev: 0x801,
        flags: 0o100000,
        ino: 1234,
        layer: 0,
        fs_magic: 0xef53,
        mode: 0,
    };
    let records = [
        RecordEncoder::new(REC_SYS_EXIT, nr("openat"), 7, 7)
            .ret(3)
            .args([-100i64 as u64, 0, 0, 0, 0, 0])
            .ustr(1, "/etc/hostname")
            .fdinfo(ARG_RET, &fdinfo)
            .encode(),
        RecordEncoder::new(REC_SYS_EXIT, nr("read"), 7, 7)
            .ret(14)
            .args([3, 0, 256, 0, 0, 0])
            .item(tag::UBUF, 1, b"saker-machine\n")
            .encode(),
        RecordEncoder::new(REC_SYS_EXIT, nr("close"), 7, 7)
            .args([3, 0, 0, 0, 0, 0])
            .encode(),
    ];
    let mut builder = ScapBuilder::new(0);
    let mut batch = EventBatch::new(0);
    let (mut built, mut failed) = (0u64, 0u64);
    let start = thread_cpu_ns();
    for _ in 0..iterations {
        if batch.len() >= 512 {
            batch = EventBatch::new(0);
        }
        for r in &records {
            let Ok(rec) = RawRecord::parse(r) else {
                failed += 1;
                continue;
            };
            match batch.push_with(false, |out| builder.build(&rec, out).unwrap_or(false)) {
                Ok(true) => built += 1,
                _ => failed += 1,
            }
        }
    }
    let ns = thread_cpu_ns() - start;
    let n = (iterations * records.len()) as f64;
    println!(
        "{} records, {built} events, {failed} failed: {:.1} ns/record (thread CPU)",
        iterations * records.len(),
        ns as f64 / n
    );
}
