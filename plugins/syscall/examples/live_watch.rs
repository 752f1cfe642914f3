//! Watches a running Saker's live capture from the outside while a workload runs: drops by
//! cause and records seen/sent per CPU (the probe's `drops`/`counters` maps), how full each ring
//! buffer is over time (its producer and consumer positions, sampled every 200 µs), and what
//! each Saker thread did meanwhile (on CPU, runnable but waiting for a CPU, or asleep, from
//! /proc/PID/task/TID/schedstat). Needs root.
//!
//! `cargo run --release -p syscall --example live_watch -- SAKER_PID -- COMMAND ARGS…`
//!
//! The maps are found through the Saker process's file descriptors (their fdinfo names the
//! map id), so several captures on the machine do not mix.

use std::collections::HashMap;
use std::os::fd::{AsFd, AsRawFd};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aya::maps::{Array, Map, MapData, MapInfo, PerCpuArray};
use syscall::live::bpf::{SyscallCfg, SAKER_MAX_SYSCALLS};
use syscall::live::syscall_nr;

const SAMPLE_EVERY: Duration = Duration::from_micros(200);
/// After the workload: time for the reader to catch up before the counters are read.
const DRAIN: Duration = Duration::from_millis(500);
const CAUSES: [&str; 4] = ["buffer_full", "user_read", "kernel_read", "too_large"];

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (pid, command) = match args.iter().position(|a| a == "--") {
        Some(i) if i == 1 && args.len() > 2 => (args[0].parse::<u32>()?, &args[2..]),
        _ => return Err("usage: live_watch SAKER_PID -- COMMAND ARGS…".into()),
    };
    let maps = saker_maps(pid)?;
    print_selection(&maps)?;
    let drops = per_cpu(&maps, "drops")?;
    let counters = per_cpu(&maps, "counters")?;
    let mut rings = Vec::new();
    for i in 0..16 {
        if let Some(&id) = maps.get(&format!("rb{i}")) {
            let info = MapInfo::from_id(id)?;
            if info.max_entries() > 4096 {
                rings.push(RingView::open(&format!("rb{i}"), id, info.max_entries())?);
            }
        }
    }
    if rings.is_empty() {
        return Err(format!("process {pid} holds no ring buffer map larger than a page: is it a live Saker?").into());
    }

    let drops0 = read_all(&drops, 4)?;
    let counters0 = read_all(&counters, 2)?;
    let threads0 = threads(pid);
    let start = Instant::now();
    let mut child = Command::new(&command[0]).args(&command[1..]).spawn()?;
    let mut samples: Vec<Vec<u64>> = vec![Vec::new(); rings.len()];
    let mut status = None;
    let mut end = None;
    loop {
        for (ring, s) in rings.iter().zip(&mut samples) {
            s.push(ring.pending());
        }
        if status.is_none() {
            if let Some(st) = child.try_wait()? {
                status = Some(st);
                end = Some(Instant::now());
            }
        }
        if end.is_some_and(|e| e.elapsed() >= DRAIN) {
            break;
        }
        std::thread::sleep(SAMPLE_EVERY);
    }
    let wall = start.elapsed();
    let threads1 = threads(pid);
    let drops1 = read_all(&drops, 4)?;
    let counters1 = read_all(&counters, 2)?;

    println!(
        "workload: {:?} in {:.3} s (+{} ms drain)",
        status.map(|s| s.to_string()),
        (end.unwrap_or_else(Instant::now) - start).as_secs_f64(),
        DRAIN.as_millis()
    );
    let cpus = drops1[0].len();
    for cpu in 0..cpus {
        let d = |c: usize| drops1[c][cpu] - drops0[c][cpu];
        let seen = counters1[0][cpu] - counters0[0][cpu];
        let sent = counters1[1][cpu] - counters0[1][cpu];
        let causes: Vec<String> = CAUSES
            .iter()
            .enumerate()
            .map(|(i, name)| format!("{name} {}", d(i)))
            .collect();
        println!("cpu {cpu}: seen {seen}, sent {sent}, drops: {}", causes.join(", "));
    }
    for (ring, s) in rings.iter().zip(&mut samples) {
        s.sort_unstable();
        let pct = |q: f64| s[((s.len() - 1) as f64 * q) as usize] as f64 / ring.size as f64 * 100.0;
        let over = |frac: f64| {
            s.iter().filter(|&&v| v as f64 >= frac * ring.size as f64).count() as f64 / s.len() as f64 * 100.0
        };
        println!(
            "{} ({} MiB): {} samples; pending p50 {:.1}% p90 {:.1}% p99 {:.1}% max {:.1}%; time >= 50% full {:.1}%, >= 90% {:.1}%",
            ring.name,
            ring.size >> 20,
            s.len(),
            pct(0.5),
            pct(0.9),
            pct(0.99),
            pct(1.0),
            over(0.5),
            over(0.9)
        );
    }
    println!(
        "saker threads over {:.3} s (ms): on CPU / waiting for a CPU / asleep; context switches voluntary / forced",
        wall.as_secs_f64()
    );
    for (tid, t1) in &threads1 {
        let Some(t0) = threads0.get(tid) else { continue };
        let run = (t1.run_ns - t0.run_ns) as f64 / 1e6;
        let wait = (t1.wait_ns - t0.wait_ns) as f64 / 1e6;
        if run < 1.0 && wait < 1.0 {
            continue;
        }
        let asleep = wall.as_secs_f64() * 1e3 - run - wait;
        println!(
            "  {tid} {:<16} {run:>8.1} / {wait:>8.1} / {asleep:>8.1}   {} / {}",
            t1.name,
            t1.voluntary - t0.voluntary,
            t1.forced - t0.forced
        );
    }
    Ok(())
}

/// Map name -> id of the BPF maps process `pid` holds.
fn saker_maps(pid: u32) -> Result<HashMap<String, u32>, Error> {
    let mut out = HashMap::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/fdinfo"))? {
        let Ok(text) = std::fs::read_to_string(entry?.path()) else {
            continue;
        };
        let Some(id) = text
            .lines()
            .find_map(|l| l.strip_prefix("map_id:"))
            .and_then(|v| v.trim().parse::<u32>().ok())
        else {
            continue;
        };
        let info = MapInfo::from_id(id)?;
        if let Some(name) = info.name_as_str() {
            out.insert(name.to_string(), id);
        }
    }
    Ok(out)
}

fn per_cpu(maps: &HashMap<String, u32>, name: &str) -> Result<PerCpuArray<MapData, u64>, Error> {
    let id = *maps.get(name).ok_or_else(|| format!("no map {name}"))?;
    Ok(PerCpuArray::try_from(Map::PerCpuArray(MapData::from_id(id)?))?)
}

/// The syscalls whose exit (and enter) records the capture table asks for.
fn print_selection(maps: &HashMap<String, u32>) -> Result<(), Error> {
    let id = *maps.get("syscall_cfg").ok_or("no map syscall_cfg")?;
    let table: Array<MapData, SyscallCfg> = Array::try_from(Map::Array(MapData::from_id(id)?))?;
    let mut exits = Vec::new();
    let mut enters = Vec::new();
    for nr in 0..SAKER_MAX_SYSCALLS as u32 {
        let cfg = table.get(&nr, 0)?;
        let name = syscall_nr::by_nr(nr as u16).map_or_else(|| nr.to_string(), |s| s.name.to_string());
        if cfg.enabled != 0 {
            exits.push(name.clone());
        }
        if cfg.enter != 0 {
            enters.push(name);
        }
    }
    println!("exit records ({}): {}", exits.len(), exits.join(" "));
    println!("enter records ({}): {}", enters.len(), enters.join(" "));
    Ok(())
}

/// `[index][cpu]` values of the first `n` entries.
fn read_all(map: &PerCpuArray<MapData, u64>, n: u32) -> Result<Vec<Vec<u64>>, Error> {
    (0..n).map(|i| Ok(map.get(&i, 0)?.to_vec())).collect()
}

/// The consumer and producer positions of a ring buffer map, mapped read-only.
struct RingView {
    name: String,
    size: u64,
    consumer: *const AtomicU64,
    producer: *const AtomicU64,
    _map: MapData,
}

impl RingView {
    fn open(name: &str, id: u32, size: u32) -> Result<RingView, Error> {
        let map = MapData::from_id(id)?;
        let fd = map.fd().as_fd().as_raw_fd();
        let page = 4096usize;
        // SAFETY: read-only shared mappings of the ring's first two pages (consumer, producer
        // positions), which the kernel allows for ring buffer maps; checked for MAP_FAILED.
        let map_page = |offset: i64| unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                page,
                libc::PROT_READ,
                libc::MAP_SHARED,
                fd,
                offset,
            );
            if p == libc::MAP_FAILED {
                Err(std::io::Error::last_os_error())
            } else {
                Ok(p as *const AtomicU64)
            }
        };
        Ok(RingView {
            name: name.to_string(),
            size: u64::from(size),
            consumer: map_page(0)?,
            producer: map_page(page as i64)?,
            _map: map,
        })
    }

    /// Bytes written and not yet consumed.
    fn pending(&self) -> u64 {
        // SAFETY: both pointers are live read-only mappings (never unmapped: the process ends).
        let (c, p) = unsafe {
            (
                (*self.consumer).load(Ordering::Acquire),
                (*self.producer).load(Ordering::Acquire),
            )
        };
        p.saturating_sub(c)
    }
}

struct ThreadStat {
    name: String,
    run_ns: u64,
    wait_ns: u64,
    voluntary: u64,
    forced: u64,
}

fn threads(pid: u32) -> HashMap<u32, ThreadStat> {
    let mut out = HashMap::new();
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(tid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let path = entry.path();
        let sched = std::fs::read_to_string(path.join("schedstat")).unwrap_or_default();
        let mut it = sched.split_whitespace().map(|v| v.parse::<u64>().unwrap_or(0));
        let (run_ns, wait_ns) = (it.next().unwrap_or(0), it.next().unwrap_or(0));
        let status = std::fs::read_to_string(path.join("status")).unwrap_or_default();
        let field = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        out.insert(
            tid,
            ThreadStat {
                name: field("Name:"),
                run_ns,
                wait_ns,
                voluntary: field("voluntary_ctxt_switches:").parse().unwrap_or(0),
                forced: field("nonvoluntary_ctxt_switches:").parse().unwrap_or(0),
            },
        );
    }
    out
}
