//! Kernel-side cost of the live probe per program run: enables `kernel.bpf_stats_enabled` and
//! runs a workload twice, first with no syscall selected (every sys_exit run takes the early
//! out), then with what an empty ruleset captures (the state syscalls, `spec::capture_table`),
//! or only the syscalls named with `--only`. Prints run counts and average ns per run of each
//! program for both phases, and the cost of one record: the second phase's sys_exit time minus
//! its runs that sent nothing at the first phase's early-out cost, per record sent. Needs root.
//!
//! `cargo run -p syscall --example live_probe_cost [--only openat,close] [iterations | -- command args…]`
//!
//! Without a command the workload is a shell loop (reads of /etc/hostname, then /bin/true).
//! `SAKER_BPF_OBJECT=path` measures another build of saker.bpf.o (see `Probe::open`).

use std::process::Command;
use std::time::Duration;

use syscall::live::bpf::{Probe, ProbeOptions, ProgramStats, SyscallCfg};
use syscall::live::spec::{capture_table, WantedSet};
use syscall::live::syscall_nr;

const STATS: &str = "/proc/sys/kernel/bpf_stats_enabled";
const SYS_EXIT: &str = "saker_sys_exit";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let only: Option<Vec<String>> = match args.iter().position(|a| a == "--only") {
        Some(i) => {
            let list = args
                .get(i + 1)
                .ok_or("live_probe_cost: `--only` needs a comma-separated list of syscall names")?
                .split(',')
                .map(str::to_string)
                .collect();
            args.drain(i..i + 2);
            Some(list)
        }
        None => None,
    };
    let _stats = StatsOn::enable()?;

    let mut probe = Probe::open(&ProbeOptions::default())?;
    let mut table = capture_table(&WantedSet::default(), 80, false);
    if let Some(names) = &only {
        let mut keep = Box::new([SyscallCfg::default(); syscall_nr::MAX_SYSCALLS]);
        for name in names {
            let s = syscall_nr::by_name(name).ok_or_else(|| format!("live_probe_cost: unknown syscall {name}"))?;
            let nr = usize::from(s.nr);
            keep[nr] = table[nr];
            keep[nr].enabled = 1;
        }
        table = keep;
    }
    probe.set_settings(true, false)?;
    probe.enable(true)?;

    let mut phases = Vec::new();
    for (label, cfg) in [
        (
            "nothing selected",
            Box::new([SyscallCfg::default(); syscall_nr::MAX_SYSCALLS]),
        ),
        (
            if only.is_some() {
                "--only selection"
            } else {
                "state syscalls"
            },
            table.clone(),
        ),
    ] {
        probe.set_syscall_table(&cfg)?;
        let stats0 = probe.program_stats()?;
        let sent0 = probe.counters()?.sent_total();
        let records = run(&mut probe, &args)?;
        let stats1 = probe.program_stats()?;
        let c = probe.counters()?;
        println!("{label}:");
        for (a, b) in stats0.iter().zip(&stats1) {
            let (runs, ns) = delta(a, b);
            println!(
                "  {:<16} runs {:>9}  avg {:>6.0} ns/run  verified insns {:?}",
                b.name,
                runs,
                if runs > 0 { ns / runs as f64 } else { 0.0 },
                b.verified_insns
            );
        }
        println!(
            "  records read {records}, sent {}, buffer-full drops so far {}",
            c.sent_total() - sent0,
            c.drops_total(0)
        );
        let exit = stats0.iter().zip(&stats1).find(|(a, _)| a.name == SYS_EXIT);
        phases.push((
            exit.map(|(a, b)| delta(a, b)).unwrap_or((0, 0.0)),
            c.sent_total() - sent0,
        ));
    }
    let ((runs0, ns0), _) = phases[0];
    let ((runs1, ns1), sent) = phases[1];
    if runs0 > 0 && sent > 0 {
        let early_out = ns0 / runs0 as f64;
        let per_record = (ns1 - early_out * runs1.saturating_sub(sent) as f64) / sent as f64;
        println!("sys_exit: {early_out:.0} ns per syscall nobody wants, {per_record:.0} ns per record sent");
    }
    Ok(())
}

/// Runs counted and ns spent between two looks at a program's stats.
fn delta(a: &ProgramStats, b: &ProgramStats) -> (u64, f64) {
    (
        b.run_count - a.run_count,
        (b.run_time.saturating_sub(a.run_time)).as_nanos() as f64,
    )
}

/// Runs the workload while reading the ring buffers; returns the records read.
fn run(probe: &mut Probe, args: &[String]) -> Result<usize, Box<dyn std::error::Error>> {
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
            return Ok(records);
        }
    }
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
