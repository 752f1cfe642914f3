//! Kernel-side cost of the live probe per program run: enables `kernel.bpf_stats_enabled`,
//! captures what an empty ruleset captures (the state syscalls, `spec::capture_table`) while a
//! workload runs, and prints run counts and average ns per run of each program. Needs root.
//!
//! `cargo run -p syscall --example live_probe_cost [iterations | -- command args…]`
//!
//! Without a command the workload is a shell loop (reads of /etc/hostname, then /bin/true).
//! `SAKER_BPF_OBJECT=path` measures another build of saker.bpf.o (see `Probe::open`).

use std::process::Command;
use std::time::Duration;

use syscall::live::bpf::{Probe, ProbeOptions};
use syscall::live::spec::{capture_table, WantedSet};

const STATS: &str = "/proc/sys/kernel/bpf_stats_enabled";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _stats = StatsOn::enable()?;

    let mut probe = Probe::open(&ProbeOptions::default())?;
    let table = capture_table(&WantedSet::default(), 80, false);
    probe.set_syscall_table(&table)?;
    probe.set_settings(true, false)?;
    probe.enable(true)?;

    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut child = if args.first().map(String::as_str) == Some("--") {
        let program = args
            .get(1)
            .ok_or("live_probe_cost: `--` must be followed by a command")?;
        Command::new(program).args(&args[2..]).spawn()?
    } else {
        let iterations: u32 = args.first().map(|s| s.parse()).transpose()?.unwrap_or(2000);
        let script = format!(
            "for i in $(seq {iterations}); do read x < /etc/hostname; done; for i in $(seq {}); do /bin/true; done",
            iterations / 10
        );
        let mut cmd = Command::new("/bin/bash");
        cmd.arg("-c").arg(script);
        cmd.spawn()?
    };
    let mut records = 0usize;
    loop {
        records += probe.poll(65536, Duration::from_millis(50), &mut |_| {})?;
        if child.try_wait()?.is_some() {
            records += probe.poll(usize::MAX, Duration::ZERO, &mut |_| {})?;
            break;
        }
    }
    for s in probe.program_stats()? {
        let avg = if s.run_count > 0 {
            s.run_time.as_nanos() / u128::from(s.run_count)
        } else {
            0
        };
        println!(
            "{:<16} runs {:>9}  avg {:>6} ns/run  verified insns {:?}",
            s.name, s.run_count, avg, s.verified_insns
        );
    }
    let c = probe.counters()?;
    println!(
        "records read {records}, seen {}, sent {}, buffer-full drops {}",
        c.seen_total(),
        c.sent_total(),
        c.drops_total(0)
    );
    Ok(())
}

/// `kernel.bpf_stats_enabled` set to 1 until dropped, then back to what it was (stats cost
/// every BPF program of the machine a clock read or two per run).
struct StatsOn {
    before: String,
}

impl StatsOn {
    fn enable() -> std::io::Result<StatsOn> {
        let before = std::fs::read_to_string(STATS)?.trim().to_string();
        std::fs::write(STATS, "1")?;
        Ok(StatsOn { before })
    }
}

impl Drop for StatsOn {
    fn drop(&mut self) {
        if let Err(e) = std::fs::write(STATS, &self.before) {
            eprintln!("live_probe_cost: cannot restore {STATS} to {}: {e}", self.before);
        }
    }
}
