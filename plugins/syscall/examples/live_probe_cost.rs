//! Kernel-side cost of the live probe per program run: enables `kernel.bpf_stats_enabled`,
//! captures openat/execve/clone*/connect/close/read/write while a shell loop runs, and prints
//! run counts and average ns per run of each program. Needs root.
//!
//! `cargo run -p syscall --example live_probe_cost [iterations]`

use std::process::Command;
use std::time::Duration;

use syscall::live::bpf::{arg_kind, ret_kind, Probe, ProbeOptions, SyscallCfg, SAKER_MAX_SYSCALLS};

const STATS: &str = "/proc/sys/kernel/bpf_stats_enabled";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let iterations: u32 = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(2000);
    let before = std::fs::read_to_string(STATS)?;
    std::fs::write(STATS, "1")?;

    let mut probe = Probe::open(&ProbeOptions::default())?;
    let on = SyscallCfg {
        enabled: 1,
        ..SyscallCfg::default()
    };
    let mut t = [SyscallCfg::default(); SAKER_MAX_SYSCALLS];
    t[257] = SyscallCfg {
        arg_kind: [0, arg_kind::USTR, 0, 0, 0, 0],
        ret_kind: ret_kind::FDINFO,
        ..on
    };
    t[0] = SyscallCfg {
        arg_kind: [arg_kind::FDINFO, arg_kind::UBUF_RET, 0, 0, 0, 0],
        ..on
    };
    t[1] = SyscallCfg {
        arg_kind: [arg_kind::FDINFO, arg_kind::UBUF_ARG, 0, 0, 0, 0],
        arg_len: [0, 2, 0, 0, 0, 0],
        ..on
    };
    t[3] = on;
    t[59] = SyscallCfg {
        task: 1,
        arg_kind: [arg_kind::USTR, 0, 0, 0, 0, 0],
        ..on
    };
    for nr in [56, 57, 58, 435] {
        t[nr] = SyscallCfg { task: 1, ..on };
    }
    probe.set_syscall_table(&t)?;
    probe.set_settings(true, false)?;
    probe.enable(true)?;

    let script = format!(
        "for i in $(seq {iterations}); do read x < /etc/hostname; done; for i in $(seq {}); do /bin/true; done",
        iterations / 10
    );
    let mut child = Command::new("/bin/bash").arg("-c").arg(script).spawn()?;
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
    std::fs::write(STATS, before.trim())?;
    Ok(())
}
