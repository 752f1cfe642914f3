//! The loader of Saker's eBPF programs (`bpf/saker.bpf.c`): checks privileges and kernel
//! features, sizes and creates the maps, loads and attaches the programs (tracepoints
//! `sys_enter`, `sys_exit`, `sched_process_exit`, `sched_process_exec`), and reads the raw
//! records (`bpf/records.h`) from the ring buffers.
//!
//! Needs Linux 5.8+ (BPF ring buffer) with BTF (`/sys/kernel/btf/vmlinux`), x86_64; verified
//! on 6.18.
//!
//! Maps of the object (names fixed by `bpf/saker.bpf.c`):
//! - `syscall_cfg` (array, 512 × `struct saker_sc_cfg`): the capture table, [`Probe::set_syscall_table`];
//! - `settings` (array, 1 × `struct saker_settings`): self tgid, enabled, proc_exit/proc_exec;
//! - `drops` (per-CPU array, 8 × u64) and `counters` (per-CPU array, 4 × u64): [`Probe::counters`];
//! - `cpu_rb` (array, CPU id → ring index) and `rb0`..`rb15` (ring buffers; the first
//!   ⌈CPUs / cpus_for_each_buffer⌉ get the preset's size, the others one page);
//! - `scratch` (array, one 72 KiB slot per CPU): the record under construction.
//!
//! ```no_run
//! use syscall::live::bpf::{Probe, ProbeOptions, SyscallCfg, SAKER_MAX_SYSCALLS};
//! let mut probe = Probe::open(&ProbeOptions::default())?;
//! let mut table = [SyscallCfg::default(); SAKER_MAX_SYSCALLS];
//! table[257] = SyscallCfg { enabled: 1, ..SyscallCfg::default() }; // openat
//! probe.set_syscall_table(&table)?;
//! probe.enable(true)?;
//! probe.poll(1024, std::time::Duration::from_millis(100), &mut |rec| println!("{} bytes", rec.len()))?;
//! # Ok::<(), syscall::live::bpf::ProbeError>(())
//! ```

use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::time::Duration;

use aya::maps::{Array, Map, MapData, PerCpuArray};
use aya::programs::tp_btf::BtfTracePointLinkId;
use aya::programs::{BtfTracePoint, Iter, RawTracePoint};
use aya::{Btf, Ebpf, EbpfLoader};

use super::records::KernelTask;
use super::ring::Ring;

/// The compiled programs; empty when the build had no clang (see build.rs).
static BPF_OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/saker.bpf.o"));

/// Entries of the capture table (`SAKER_MAX_SYSCALLS`, records.h): x86_64 syscall numbers.
pub const SAKER_MAX_SYSCALLS: usize = 512;
/// Ring buffer maps declared by the programs (`rb0`..`rb15`); CPUs are grouped onto them.
pub const RING_BUFFERS: usize = 16;
/// Drop counter slots (`SAKER_DROP_COUNTERS`, records.h).
pub const DROP_COUNTERS: usize = 8;
/// Drop causes (`SAKER_DROP_*`, records.h), the index into [`ProbeCounters::drops`].
pub const DROP_BUFFER_FULL: usize = 0;
pub const DROP_USER_READ: usize = 1;
pub const DROP_KERNEL_READ: usize = 2;
pub const DROP_TOO_LARGE: usize = 3;
/// Minimum kernel: BPF ring buffers came in 5.8.
const MIN_KERNEL: (u32, u32) = (5, 8);
/// From 5.11 the kernel charges BPF memory to the memory cgroup, not RLIMIT_MEMLOCK; only
/// older kernels need CAP_SYS_RESOURCE to lift that limit.
const MEMCG_BPF_KERNEL: (u8, u8) = (5, 11);
const BTF_PATH: &str = "/sys/kernel/btf/vmlinux";
const PAGE_SIZE: u32 = 4096;
/// Longest wait between two looks at the ring buffers in [`Probe::poll`] (the latency of a
/// record between two wakeups: the programs wake the reader once per quarter of a buffer written
/// by a CPU).
pub const POLL_TICK: Duration = Duration::from_millis(10);
/// Records read from one ring buffer before its consumer position is handed back to the kernel
/// and the next buffer's turn (the programs read that position on every record they write).
const DRAIN_CHUNK: usize = 64;
/// Falco's `buf_size_preset` table: preset N (1..=10) is 1 MiB << (N - 1); 4 (8 MiB) is Falco's default.
pub const BUF_SIZE_PRESETS: [u32; 11] = [
    0,
    1 << 20,
    2 << 20,
    4 << 20,
    8 << 20,
    16 << 20,
    32 << 20,
    64 << 20,
    128 << 20,
    256 << 20,
    512 << 20,
];

/// (program function in saker.bpf.c, tracepoint, whether it is a BTF tracepoint (`tp_btf`,
/// typed arguments read without helper calls) rather than a raw one)
///
/// [`SYS_ENTER`] is loaded with the others but attached only while some entry of the capture
/// table asks for enter records ([`Probe::set_syscall_table`]): attached, it runs on every
/// syscall of the machine (measured ~50 ns per run with bpf_stats) even when it sends nothing.
const PROGRAMS: [(&str, &str, bool); 4] = [
    ("saker_sys_enter", "sys_enter", true),
    ("saker_sys_exit", "sys_exit", true),
    ("saker_proc_exit", "sched_process_exit", false),
    ("saker_proc_exec", "sched_process_exec", false),
];

/// The sys_enter program (attached on demand, see [`PROGRAMS`]).
const SYS_ENTER: &str = "saker_sys_enter";
/// The task iterator (`iter/task`), run once at start by [`Probe::kernel_tasks`].
const TASK_ITER: &str = "saker_task_iter";

/// Capabilities (linux/capability.h) checked before loading.
const CAP_SYS_ADMIN: u32 = 21;
const CAP_SYS_RESOURCE: u32 = 24;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// Options of the live source, Falco's `engine.modern_ebpf` keys.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// Ring buffer size preset, 1..=10 ([`BUF_SIZE_PRESETS`]); Falco's default is 4 (8 MiB).
    pub buf_size_preset: u32,
    /// CPUs sharing one ring buffer; 0 means one buffer for all CPUs (Falco's default is 2).
    pub cpus_for_each_buffer: u32,
    /// Falco's `drop_failed_exit`: when set, no exit record of a failed syscall is sent
    /// (forces [`SyscallCfg::drop_failed`] on every entry).
    pub drop_failed_exit: bool,
    /// Falco's `snaplen` (default 80): the UBUF cap of entries whose `snaplen` is 0.
    pub snaplen: u16,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            buf_size_preset: 4,
            cpus_for_each_buffer: 2,
            drop_failed_exit: false,
            snaplen: 80,
        }
    }
}

/// One entry of the capture table, the mirror of `struct saker_sc_cfg` (records.h).
#[repr(C, packed)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyscallCfg {
    /// Send an exit record.
    pub enabled: u8,
    /// Also send an enter record (numbers only).
    pub enter: u8,
    /// Add the task block and the process items (EXE_PATH, ARGS, ENV for execve*, CWD, CGROUPS).
    pub task: u8,
    /// `SAKER_RET_*`.
    pub ret_kind: u8,
    /// `SAKER_ARG_*` per argument.
    pub arg_kind: [u8; 6],
    /// Index of the length argument, for UBUF_ARG / SOCKADDR / SOCKADDR_PTR.
    pub arg_len: [u8; 6],
    /// Cap of UBUF items.
    pub snaplen: u16,
    /// 1: no exit record when the syscall failed (ret < 0).
    pub drop_failed: u8,
    /// 1: add the memory counters of the task (`SAKER_D_VM`: mmap, munmap, brk).
    pub vm: u8,
}

// SAFETY: plain bytes, no padding (packed), every bit pattern is valid.
unsafe impl aya::Pod for SyscallCfg {}

/// `arg_kind` values (`SAKER_ARG_*`, records.h).
pub mod arg_kind {
    pub const NONE: u8 = 0;
    pub const USTR: u8 = 1;
    pub const UBUF_RET: u8 = 2;
    pub const UBUF_ARG: u8 = 3;
    pub const SOCKADDR: u8 = 4;
    pub const SOCKADDR_PTR: u8 = 5;
    pub const UINT_PAIR: u8 = 6;
    pub const TUPLE: u8 = 7;
    pub const FDINFO: u8 = 8;
    pub const FD_PATH: u8 = 9;
    /// An iovec array (count in `arg_len`), data up to min(ret, snaplen); none when ret <= 0.
    pub const IOVEC_RET: u8 = 10;
    /// An iovec array (count in `arg_len`), data up to snaplen (or ret when smaller).
    pub const IOVEC_ARG: u8 = 11;
    /// The iovec array of a `struct user_msghdr`, lengths as [`IOVEC_RET`].
    pub const MSGHDR_RET: u8 = 12;
    /// The iovec array of a `struct user_msghdr`, lengths as [`IOVEC_ARG`].
    pub const MSGHDR_ARG: u8 = 13;
    /// A pipe's fd pair, and the FDINFO of its first fd.
    pub const PIPE_FDS: u8 = 14;
    /// A socketpair's fd pair, and the TUPLE of its first fd.
    pub const SOCKPAIR_FDS: u8 = 15;
    /// A user buffer whose length is the int at the address in argument `arg_len`.
    pub const UBUF_LENPTR: u8 = 16;
    /// A user buffer of `arg_len` bytes (a byte count, not an argument index).
    pub const UBUF_LEN: u8 = 17;
    /// The accept queue counters of the socket of this fd (the listening socket), when ret >= 0.
    pub const SOCK_QUEUE: u8 = 18;
    /// The first min(args[`arg_len`], 16) `struct pollfd` entries of the array, read at exit.
    pub const POLLFDS: u8 = 19;
    /// The word a successful PTRACE_PEEKTEXT/PEEKDATA/PEEKUSR stored at this address.
    pub const PTRACE_WORD: u8 = 20;
    /// Each of the first min(ret, 16) `struct mmsghdr` of the array: an MMSG item with its iovec
    /// data up to min(msg_len, snaplen), and with `arg_len` 1 its control data.
    pub const MMSGHDR: u8 = 21;
    /// The first min(args[`arg_len`], 2) `struct sembuf` of the array, when ret == 0.
    pub const SEMBUFS: u8 = 22;
    /// A user string, when the keyctl operation (args[0]) takes one in this argument.
    pub const KEYCTL_STR: u8 = 23;
    /// quotactl's `addr` as its command says (quota file path, `if_dqblk`, `if_dqinfo`, format).
    pub const QUOTACTL_ADDR: u8 = 24;
    /// fsconfig's `value` as its command says (a string, or `aux` bytes), when ret >= 0.
    pub const FSCONFIG_VALUE: u8 = 25;
    /// The control data of the `struct user_msghdr` in argument `arg_len`, when ret >= 0.
    pub const MSGCONTROL: u8 = 26;
}

/// `ret_kind` values (`SAKER_RET_*`, records.h).
pub mod ret_kind {
    pub const NONE: u8 = 0;
    pub const TUPLE: u8 = 1;
    pub const FDINFO: u8 = 2;
}

/// The mirror of `struct saker_settings` (records.h).
#[repr(C, packed)]
#[derive(Debug, Clone, Copy, Default)]
struct Settings {
    self_tgid: u32,
    enabled: u32,
    proc_exit: u32,
    proc_exec: u32,
}

// SAFETY: four u32, packed, every bit pattern is valid.
unsafe impl aya::Pod for Settings {}

/// Per-CPU counters of the programs (index = CPU id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeCounters {
    /// `drops[cause][cpu]`, cause = `DROP_*` (`SAKER_DROP_*`).
    pub drops: Vec<Vec<u64>>,
    /// Records built by the programs (sent or dropped), per CPU.
    pub seen: Vec<u64>,
    /// Records written to a ring buffer, per CPU.
    pub sent: Vec<u64>,
}

impl ProbeCounters {
    /// The drops of one cause summed over the CPUs.
    pub fn drops_total(&self, cause: usize) -> u64 {
        self.drops.get(cause).map_or(0, |v| v.iter().sum())
    }
    pub fn seen_total(&self) -> u64 {
        self.seen.iter().sum()
    }
    pub fn sent_total(&self) -> u64 {
        self.sent.iter().sum()
    }
}

/// Run statistics of one attached program (kernel.bpf_stats_enabled must be 1).
#[derive(Debug, Clone)]
pub struct ProgramStats {
    pub name: &'static str,
    pub run_count: u64,
    pub run_time: Duration,
    /// Instructions the verifier processed, when the kernel reports it.
    pub verified_insns: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("this build has no eBPF programs: install clang (apt install clang libbpf-dev) and rebuild")]
    NoPrograms,
    #[error(
        "live capture needs root or the capabilities {}; missing: {}. Run as root or grant them \
         (setcap {}+ep)",
        .needed.join(", "), .missing.join(", "), setcap_names(.needed)
    )]
    Privileges {
        /// Every capability this kernel requires, by name (`CAP_BPF`…).
        needed: Vec<&'static str>,
        missing: Vec<&'static str>,
    },
    #[error("live capture needs Linux 5.8 or newer (BPF ring buffer); this kernel is {0}")]
    KernelTooOld(String),
    #[error("live capture needs the kernel's BTF at {BTF_PATH} (CONFIG_DEBUG_INFO_BTF=y); it is missing")]
    NoBtf,
    #[error("cannot read the kernel version: {0}")]
    KernelVersion(String),
    #[error("engine.modern_ebpf.buf_size_preset {0} is not one of 1..=10 (1 MiB .. 512 MiB)")]
    BufSizePreset(u32),
    #[error("ring buffer size {0} bytes is not a power of two of at least {PAGE_SIZE}")]
    RingSize(u32),
    #[error("cannot read the CPU list: {0}")]
    Cpus(String),
    #[error("cannot load the eBPF programs: {0}")]
    Load(String),
    #[error("the kernel rejected eBPF program {program}: {detail}")]
    Program { program: &'static str, detail: String },
    #[error("cannot attach eBPF program {program} to tracepoint {tracepoint}: {detail}")]
    Attach {
        program: &'static str,
        tracepoint: &'static str,
        detail: String,
    },
    #[error("eBPF map {map}: {detail}")]
    Map { map: &'static str, detail: String },
    #[error("epoll on the ring buffers: {0}")]
    Epoll(std::io::Error),
}

fn map_err(map: &'static str) -> impl Fn(aya::maps::MapError) -> ProbeError {
    move |e| ProbeError::Map {
        map,
        detail: e.to_string(),
    }
}

/// The loaded and attached programs with their maps.
pub struct Probe {
    /// Keeps the programs loaded and attached; dropping it detaches them.
    ebpf: Ebpf,
    syscall_cfg: Array<MapData, SyscallCfg>,
    settings_map: Array<MapData, Settings>,
    drops: PerCpuArray<MapData, u64>,
    counters: PerCpuArray<MapData, u64>,
    rings: Vec<Ring>,
    epoll: OwnedFd,
    settings: Settings,
    opts: ProbeOptions,
    /// The sys_enter program's link while it is attached.
    sys_enter: Option<BtfTracePointLinkId>,
    reader: ReaderStats,
    /// Why the task iterator could not be loaded (it is optional: the /proc scan stands alone).
    task_iter: Result<(), String>,
}

/// How the reader waited for records in [`Probe::poll`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReaderStats {
    /// epoll_wait calls (the buffers were empty).
    pub waits: u64,
    /// Of those, the ones a program's wakeup ended (the others ran to the tick).
    pub woken: u64,
    /// Time spent in epoll_wait.
    pub wait_time: Duration,
}

impl Probe {
    /// Checks privileges and kernel features first: one clear error naming the missing
    /// capability (CAP_BPF, CAP_PERFMON, CAP_SYS_RESOURCE before Linux 5.11, or root) or kernel feature (BTF at
    /// /sys/kernel/btf/vmlinux, ring buffer, kernel < 5.8). Then loads and attaches.
    pub fn open(opts: &ProbeOptions) -> Result<Probe, ProbeError> {
        let preset = usize::try_from(opts.buf_size_preset).unwrap_or(usize::MAX);
        let size = match BUF_SIZE_PRESETS.get(preset) {
            Some(&s) if s > 0 => s,
            _ => return Err(ProbeError::BufSizePreset(opts.buf_size_preset)),
        };
        Self::open_with_ring_size(opts, size)
    }

    /// As [`Probe::open`] with each ring buffer `ring_bytes` long (a power of two, at least
    /// one page) instead of the preset's size; small buffers are for tests of the drop path.
    pub fn open_with_ring_size(opts: &ProbeOptions, ring_bytes: u32) -> Result<Probe, ProbeError> {
        // SAKER_BPF_OBJECT: a development override (scripts/bench-live --bpf-object) to measure
        // a freshly compiled saker.bpf.o without rebuilding the plugin.
        let replacement;
        let object: &[u8] = match std::env::var_os("SAKER_BPF_OBJECT") {
            Some(path) => {
                replacement = std::fs::read(&path)
                    .map_err(|e| ProbeError::Load(format!("SAKER_BPF_OBJECT={}: {e}", Path::new(&path).display())))?;
                &replacement
            }
            None => BPF_OBJECT,
        };
        if object.is_empty() {
            return Err(ProbeError::NoPrograms);
        }
        if !ring_bytes.is_power_of_two() || ring_bytes < PAGE_SIZE {
            return Err(ProbeError::RingSize(ring_bytes));
        }
        let kernel = check_kernel()?;
        check_privileges(kernel)?;
        raise_memlock();

        let cpus = aya::util::nr_cpus().map_err(|(path, e)| ProbeError::Cpus(format!("{path}: {e}")))?;
        let groups = ring_groups(cpus, opts.cpus_for_each_buffer);
        let used = groups.iter().copied().max().map_or(1, |m| m as usize + 1);

        let names: Vec<String> = (0..RING_BUFFERS).map(|i| format!("rb{i}")).collect();
        // The loader parses the kernel's BTF for CO-RE and drops it after loading; the BTF
        // tracepoints parse it again for their attach targets: one copy at a time in memory.
        let mut ebpf = {
            let mut loader = EbpfLoader::new();
            let cpus_u32 = u32::try_from(cpus).map_err(|_| ProbeError::Cpus(format!("{cpus} CPUs")))?;
            loader
                .map_max_entries("scratch", cpus_u32)
                .map_max_entries("cpu_rb", cpus_u32)
                // the programs wake the reader once per quarter of this written by a CPU
                .override_global("ring_bytes", &ring_bytes, true);
            for (i, name) in names.iter().enumerate() {
                loader.map_max_entries(name, if i < used { ring_bytes } else { PAGE_SIZE });
            }
            loader.load(object).map_err(|e| ProbeError::Load(error_chain(&e)))?
        };

        let btf = Btf::from_sys_fs()
            .map_err(|e| ProbeError::Load(format!("kernel BTF (/sys/kernel/btf/vmlinux): {}", error_chain(&e))))?;
        for (program, tracepoint, typed) in PROGRAMS {
            let prog = ebpf
                .program_mut(program)
                .ok_or_else(|| ProbeError::Load(format!("the object has no program {program}")))?;
            let program_err = |e: &dyn std::error::Error| ProbeError::Program {
                program,
                detail: error_chain(e),
            };
            let attached = if typed {
                let prog: &mut BtfTracePoint = prog.try_into().map_err(|e| program_err(&e))?;
                prog.load(tracepoint, &btf).map_err(|e| program_err(&e))?;
                if program == SYS_ENTER {
                    continue;
                }
                prog.attach().map(drop)
            } else {
                let prog: &mut RawTracePoint = prog.try_into().map_err(|e| program_err(&e))?;
                prog.load().map_err(|e| program_err(&e))?;
                prog.attach(tracepoint).map(drop)
            };
            attached.map_err(|e| ProbeError::Attach {
                program,
                tracepoint,
                detail: error_chain(&e),
            })?;
        }
        let task_iter = load_task_iter(&mut ebpf, &btf);
        drop(btf);

        let mut cpu_rb: Array<MapData, u32> = take(&mut ebpf, "cpu_rb")?;
        for (cpu, group) in groups.iter().enumerate() {
            cpu_rb.set(cpu as u32, group, 0).map_err(map_err("cpu_rb"))?;
        }
        let syscall_cfg = take(&mut ebpf, "syscall_cfg")?;
        let mut settings_map: Array<MapData, Settings> = take(&mut ebpf, "settings")?;
        let settings = Settings {
            self_tgid: std::process::id(),
            ..Settings::default()
        };
        settings_map.set(0, settings, 0).map_err(map_err("settings"))?;
        let drops = take(&mut ebpf, "drops")?;
        let counters = take(&mut ebpf, "counters")?;

        // SAFETY: epoll_create1 has no memory arguments; the fd is checked before being owned.
        let efd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if efd < 0 {
            return Err(ProbeError::Epoll(std::io::Error::last_os_error()));
        }
        // SAFETY: efd is a fresh descriptor that nothing else owns.
        let epoll = unsafe { OwnedFd::from_raw_fd(efd) };
        let mut rings = Vec::with_capacity(used);
        for (i, name) in names.iter().enumerate().take(used) {
            let map = ebpf
                .take_map(name)
                .ok_or_else(|| ProbeError::Load(format!("the object has no map {name}")))?;
            let ring = match map {
                Map::RingBuf(data) => Ring::new(data, ring_bytes).map_err(|e| ProbeError::Map {
                    map: "rb*",
                    detail: format!("mapping the ring buffer: {e}"),
                })?,
                _ => {
                    return Err(ProbeError::Map {
                        map: "rb*",
                        detail: "not a ring buffer map".into(),
                    })
                }
            };
            let mut ev = libc::epoll_event {
                events: libc::EPOLLIN as u32,
                u64: i as u64,
            };
            // SAFETY: both fds are open; ev is a valid epoll_event for the call's duration.
            if unsafe { libc::epoll_ctl(efd, libc::EPOLL_CTL_ADD, ring.fd(), &mut ev) } < 0 {
                return Err(ProbeError::Epoll(std::io::Error::last_os_error()));
            }
            rings.push(ring);
        }

        Ok(Probe {
            ebpf,
            syscall_cfg,
            settings_map,
            drops,
            counters,
            rings,
            epoll,
            settings,
            opts: opts.clone(),
            sys_enter: None,
            reader: ReaderStats::default(),
            task_iter,
        })
    }

    /// Every task of the host, as the kernel lists them, with its task block: one run of the
    /// BPF task iterator. Err says why the iterator is unavailable (the caller falls back to
    /// /proc alone).
    pub fn kernel_tasks(&mut self) -> Result<Vec<KernelTask>, String> {
        self.task_iter.clone()?;
        let prog = task_iter(&mut self.ebpf)?;
        let link = prog.attach().map_err(|e| error_chain(&e))?;
        let link = prog.take_link(link).map_err(|e| error_chain(&e))?;
        let mut file = link.into_file().map_err(|e| error_chain(&e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| format!("reading the task iterator: {e}"))?;
        Ok(KernelTask::parse_all(&bytes))
    }

    /// Replaces the whole capture table (index = syscall nr) live. The probe's options fill in
    /// what an entry leaves open: `snaplen` 0 becomes [`ProbeOptions::snaplen`], and
    /// [`ProbeOptions::drop_failed_exit`] sets `drop_failed` on every entry. The sys_enter
    /// program is attached while some entry has `enter` set, detached otherwise.
    pub fn set_syscall_table(&mut self, cfg: &[SyscallCfg; 512]) -> Result<(), ProbeError> {
        let wants_enter = cfg.iter().any(|c| c.enter != 0);
        if wants_enter {
            self.attach_sys_enter(true)?;
        }
        for (nr, c) in cfg.iter().enumerate() {
            let mut c = *c;
            if c.snaplen == 0 {
                c.snaplen = self.opts.snaplen;
            }
            if self.opts.drop_failed_exit {
                c.drop_failed = 1;
            }
            self.syscall_cfg.set(nr as u32, c, 0).map_err(map_err("syscall_cfg"))?;
        }
        if !wants_enter {
            self.attach_sys_enter(false)?;
        }
        Ok(())
    }

    /// Attaches (`on`) or detaches the sys_enter program; nothing when it already is so.
    fn attach_sys_enter(&mut self, on: bool) -> Result<(), ProbeError> {
        if on == self.sys_enter.is_some() {
            return Ok(());
        }
        let program_err = |e: &dyn std::error::Error| ProbeError::Attach {
            program: SYS_ENTER,
            tracepoint: "sys_enter",
            detail: error_chain(e),
        };
        let prog: &mut BtfTracePoint = self
            .ebpf
            .program_mut(SYS_ENTER)
            .ok_or_else(|| ProbeError::Load(format!("the object has no program {SYS_ENTER}")))?
            .try_into()
            .map_err(|e| program_err(&e))?;
        match self.sys_enter.take() {
            Some(link) => prog.detach(link).map_err(|e| program_err(&e)),
            None => {
                self.sys_enter = Some(prog.attach().map_err(|e| program_err(&e))?);
                Ok(())
            }
        }
    }

    /// Whether the sys_enter program is attached (some entry of the table wants enter records).
    pub fn sys_enter_attached(&self) -> bool {
        self.sys_enter.is_some()
    }

    pub fn set_settings(&mut self, proc_exit: bool, proc_exec: bool) -> Result<(), ProbeError> {
        self.settings.proc_exit = proc_exit.into();
        self.settings.proc_exec = proc_exec.into();
        self.write_settings()
    }

    pub fn enable(&mut self, on: bool) -> Result<(), ProbeError> {
        self.settings.enabled = on.into();
        self.write_settings()
    }

    fn write_settings(&mut self) -> Result<(), ProbeError> {
        self.settings_map.set(0, self.settings, 0).map_err(map_err("settings"))
    }

    /// Ring buffers in use (one per group of `cpus_for_each_buffer` CPUs).
    pub fn ring_count(&self) -> usize {
        self.rings.len()
    }

    /// Reads up to `max` records without blocking longer than `timeout` (epoll on the ring
    /// buffer fds), calling `f` with each record's bytes (header first, records.h).
    pub fn poll(&mut self, max: usize, timeout: Duration, f: &mut dyn FnMut(&[u8])) -> Result<usize, ProbeError> {
        let start = std::time::Instant::now();
        loop {
            let n = self.drain(max, f);
            let left = timeout.saturating_sub(start.elapsed());
            if n > 0 || max == 0 || left.is_zero() {
                return Ok(n);
            }
            // The programs wake the reader once per quarter of a buffer written by a CPU;
            // between two wakeups the records are picked up on this tick.
            let wait = left.min(POLL_TICK);
            let ms = i32::try_from(wait.as_millis().max(1)).unwrap_or(i32::MAX);
            let mut evs = [libc::epoll_event { events: 0, u64: 0 }; RING_BUFFERS];
            let asleep = std::time::Instant::now();
            // SAFETY: evs is writable for RING_BUFFERS entries; the epoll fd is open.
            let r = unsafe { libc::epoll_wait(self.epoll.as_raw_fd(), evs.as_mut_ptr(), RING_BUFFERS as i32, ms) };
            self.reader.waits += 1;
            self.reader.woken += u64::from(r > 0);
            self.reader.wait_time += asleep.elapsed();
            if r < 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(ProbeError::Epoll(e));
                }
            }
        }
    }

    /// Takes what the buffers hold, [`DRAIN_CHUNK`] records of each in turn so no CPU group
    /// starves the others.
    fn drain(&mut self, max: usize, f: &mut dyn FnMut(&[u8])) -> usize {
        let mut n = 0;
        loop {
            let before = n;
            for ring in &mut self.rings {
                if n >= max {
                    return n;
                }
                n += ring.read(DRAIN_CHUNK.min(max - n), f);
            }
            if n == before {
                return n;
            }
        }
    }

    /// How the reader waited for records so far.
    pub fn reader_stats(&self) -> ReaderStats {
        self.reader
    }

    /// Bytes written to each ring buffer in use and not read yet.
    pub fn pending(&self) -> Vec<usize> {
        self.rings.iter().map(Ring::pending).collect()
    }

    /// Per-CPU drop counters by cause and per-CPU seen/sent counters.
    pub fn counters(&self) -> Result<ProbeCounters, ProbeError> {
        let per_cpu = |map: &PerCpuArray<MapData, u64>, name: &'static str, i: u32| {
            map.get(&i, 0).map(|v| v.to_vec()).map_err(map_err(name))
        };
        let mut drops = Vec::with_capacity(DROP_COUNTERS);
        for i in 0..DROP_COUNTERS as u32 {
            drops.push(per_cpu(&self.drops, "drops", i)?);
        }
        let sent = per_cpu(&self.counters, "counters", 1)?;
        // The programs count only what they sent: a record seen was sent or found its buffer full.
        let seen = sent
            .iter()
            .zip(&drops[DROP_BUFFER_FULL])
            .map(|(sent, full)| sent + full)
            .collect();
        Ok(ProbeCounters { drops, seen, sent })
    }

    /// Run counts and times of the attached programs; they stay 0 unless
    /// `/proc/sys/kernel/bpf_stats_enabled` is 1.
    pub fn program_stats(&self) -> Result<Vec<ProgramStats>, ProbeError> {
        let mut out = Vec::new();
        for (program, _, _) in PROGRAMS {
            let prog = self
                .ebpf
                .program(program)
                .ok_or_else(|| ProbeError::Load(format!("the object has no program {program}")))?;
            let info = prog.info().map_err(|e| ProbeError::Program {
                program,
                detail: error_chain(&e),
            })?;
            out.push(ProgramStats {
                name: program,
                run_count: info.run_count(),
                run_time: info.run_time(),
                verified_insns: info.verified_instruction_count(),
            });
        }
        Ok(out)
    }
}

/// The task iterator program of the object.
fn task_iter(ebpf: &mut Ebpf) -> Result<&mut Iter, String> {
    ebpf.program_mut(TASK_ITER)
        .ok_or_else(|| format!("the object has no program {TASK_ITER}"))?
        .try_into()
        .map_err(|e| error_chain(&e))
}

/// Loads the task iterator, or says why it cannot be (older kernels, a refused program).
fn load_task_iter(ebpf: &mut Ebpf, btf: &Btf) -> Result<(), String> {
    task_iter(ebpf)?.load("task", btf).map_err(|e| error_chain(&e))
}

fn take<T>(ebpf: &mut Ebpf, name: &'static str) -> Result<T, ProbeError>
where
    T: TryFrom<aya::maps::Map, Error = aya::maps::MapError>,
{
    let map = ebpf
        .take_map(name)
        .ok_or_else(|| ProbeError::Load(format!("the object has no map {name}")))?;
    T::try_from(map).map_err(map_err(name))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

/// CPU id -> ring buffer index: groups of `per` CPUs (0 = all CPUs on one buffer), grown when
/// the groups would outnumber [`RING_BUFFERS`].
fn ring_groups(cpus: usize, per: u32) -> Vec<u32> {
    let mut per = if per == 0 { cpus.max(1) } else { per as usize };
    if cpus.div_ceil(per) > RING_BUFFERS {
        per = cpus.div_ceil(RING_BUFFERS);
    }
    (0..cpus).map(|c| (c / per) as u32).collect()
}

/// `cap_bpf,cap_perfmon` for setcap.
fn setcap_names(caps: &[&str]) -> String {
    caps.iter()
        .map(|c| c.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(",")
}

/// Root, CAP_SYS_ADMIN, or CAP_BPF and CAP_PERFMON (and CAP_SYS_RESOURCE on kernels that
/// charge BPF maps to RLIMIT_MEMLOCK).
fn check_privileges(kernel: aya::util::KernelVersion) -> Result<(), ProbeError> {
    // SAFETY: geteuid has no arguments and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        return Ok(());
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let eff = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .unwrap_or(0);
    let has = |cap: u32| eff & (1u64 << cap) != 0;
    if has(CAP_SYS_ADMIN) {
        return Ok(());
    }
    let mut needed = vec![(CAP_BPF, "CAP_BPF"), (CAP_PERFMON, "CAP_PERFMON")];
    if kernel < aya::util::KernelVersion::new(MEMCG_BPF_KERNEL.0, MEMCG_BPF_KERNEL.1, 0) {
        needed.push((CAP_SYS_RESOURCE, "CAP_SYS_RESOURCE"));
    }
    let missing: Vec<&'static str> = needed
        .iter()
        .filter(|&&(cap, _)| !has(cap))
        .map(|&(_, name)| name)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ProbeError::Privileges {
            needed: needed.iter().map(|&(_, name)| name).collect(),
            missing,
        })
    }
}

/// The running kernel's version, when it has what live capture needs.
fn check_kernel() -> Result<aya::util::KernelVersion, ProbeError> {
    let v = aya::util::KernelVersion::current().map_err(|e| ProbeError::KernelVersion(e.to_string()))?;
    if v < aya::util::KernelVersion::new(MIN_KERNEL.0 as u8, MIN_KERNEL.1 as u8, 0) {
        return Err(ProbeError::KernelTooOld(v.to_string()));
    }
    if !Path::new(BTF_PATH).exists() {
        return Err(ProbeError::NoBtf);
    }
    Ok(v)
}

/// Kernels before 5.11 charge BPF maps to RLIMIT_MEMLOCK; later ones ignore it.
fn raise_memlock() {
    let unlimited = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: a valid rlimit pointer for the duration of the call; failure is harmless here.
    unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &unlimited) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_privilege_error_names_what_this_kernel_needs() {
        let e = ProbeError::Privileges {
            needed: vec!["CAP_BPF", "CAP_PERFMON"],
            missing: vec!["CAP_PERFMON"],
        };
        assert_eq!(
            e.to_string(),
            "live capture needs root or the capabilities CAP_BPF, CAP_PERFMON; missing: CAP_PERFMON. \
             Run as root or grant them (setcap cap_bpf,cap_perfmon+ep)"
        );
    }

    #[test]
    fn layouts_match_records_h() {
        assert_eq!(std::mem::size_of::<SyscallCfg>(), 20);
        assert_eq!(std::mem::size_of::<Settings>(), 16);
    }

    #[test]
    fn cpus_are_grouped_onto_at_most_16_buffers() {
        assert_eq!(ring_groups(4, 2), vec![0, 0, 1, 1]);
        assert_eq!(ring_groups(3, 0), vec![0, 0, 0]);
        assert_eq!(ring_groups(2, 1), vec![0, 1]);
        let g = ring_groups(64, 1);
        assert_eq!(*g.iter().max().unwrap(), 15);
        assert_eq!(g[3], 0);
        assert_eq!(g[4], 1);
    }
}
