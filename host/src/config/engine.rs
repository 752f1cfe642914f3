//! Event-source keys: `engine`, capture replay, syscall drop and timeout handling,
//! `base_syscalls`, `falco_libs`.

use super::read::Reader;
use super::ConfigError;

/// `engine.kind` (Falco 0.38+). Saker maps every live kind onto its syscall plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    Kmod,
    Ebpf,
    ModernEbpf,
    Replay,
    Gvisor,
    Nodriver,
}

impl EngineKind {
    pub fn parse(s: &str) -> Option<EngineKind> {
        Some(match s {
            "kmod" => EngineKind::Kmod,
            "ebpf" => EngineKind::Ebpf,
            "modern_ebpf" => EngineKind::ModernEbpf,
            "replay" => EngineKind::Replay,
            "gvisor" => EngineKind::Gvisor,
            "nodriver" => EngineKind::Nodriver,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModernEbpf {
    pub cpus_for_each_buffer: u64,
    pub buf_size_preset: i64,
    pub drop_failed_exit: bool,
    pub disable_iterators: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Engine {
    pub kind: EngineKind,
    /// Whether `engine.kind` is set (else `kind` is Falco's default, `kmod`).
    pub kind_configured: bool,
    /// `engine.replay.capture_file`; required when `kind` is `replay` (`-e FILE` sets both).
    pub capture_file: Option<String>,
    pub modern_ebpf: ModernEbpf,
}

/// What to do when the kernel drops syscall events (`syscall_event_drops.actions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropAction {
    Ignore,
    Log,
    Alert,
    Exit,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SyscallEventDrops {
    /// Fraction of dropped events in [0, 1] above which actions run.
    pub threshold: f64,
    pub actions: Vec<DropAction>,
    /// Token bucket on actions: tokens per second and bucket size.
    pub rate: f64,
    pub max_burst: f64,
    /// Testing aid: pretend drops happen (Falco's `simulate_drops`).
    pub simulate_drops: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BaseSyscalls {
    pub all: bool,
    pub custom_set: Vec<String>,
    pub repair: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FalcoLibs {
    pub thread_table_size: u64,
    pub thread_table_auto_purging_interval_s: u64,
    pub thread_table_auto_purging_thread_timeout_s: u64,
    pub snaplen: u64,
}

/// Falco's default `syscall_event_timeouts.max_consecutives`.
const DEFAULT_MAX_CONSECUTIVE_TIMEOUTS: u64 = 1000;
const DEFAULT_THREAD_TABLE_SIZE: u64 = 262_144;
const DEFAULT_THREAD_PURGE_INTERVAL_S: u64 = 300;
const DEFAULT_THREAD_TIMEOUT_S: u64 = 300;

impl Engine {
    pub(super) fn read(r: &Reader<'_>) -> Result<Engine, ConfigError> {
        let kind_text = r.string("engine.kind", "kmod")?;
        let kind =
            EngineKind::parse(&kind_text).ok_or_else(|| {
                r.invalid(
            "engine.kind",
            format!("'{kind_text}' is not a valid kind; use one of kmod, ebpf, modern_ebpf, replay, gvisor, nodriver"),
        )
            })?;
        let capture_file = r.opt_string("engine.replay.capture_file")?.filter(|f| !f.is_empty());
        if kind == EngineKind::Replay && capture_file.is_none() {
            return Err(r.invalid(
                "engine.kind",
                "engine.kind is 'replay' but no engine.replay.capture_file is set; set it (or pass -e FILE)".into(),
            ));
        }
        Ok(Engine {
            kind,
            kind_configured: r.get("engine.kind").is_some_and(|i| !i.is_null()),
            capture_file,
            modern_ebpf: ModernEbpf {
                cpus_for_each_buffer: r.u64("engine.modern_ebpf.cpus_for_each_buffer", 2)?,
                buf_size_preset: r.i64("engine.modern_ebpf.buf_size_preset", 4)?,
                drop_failed_exit: r.bool("engine.modern_ebpf.drop_failed_exit", false)?,
                disable_iterators: r.bool("engine.modern_ebpf.disable_iterators", false)?,
            },
        })
    }
}

/// The values an absent `syscall_event_drops` block reads as.
impl Default for SyscallEventDrops {
    fn default() -> Self {
        SyscallEventDrops {
            threshold: 0.1,
            actions: vec![DropAction::Ignore],
            rate: 0.03333,
            max_burst: 1.0,
            simulate_drops: false,
        }
    }
}

impl SyscallEventDrops {
    /// Validates as Falco does, with Falco's messages (the conformance suite matches them).
    pub(super) fn read(r: &Reader<'_>) -> Result<SyscallEventDrops, ConfigError> {
        let mut actions = Vec::new();
        for name in r.str_list("syscall_event_drops.actions")?.unwrap_or_default() {
            let action = match name.as_str() {
                "ignore" => DropAction::Ignore,
                "log" => DropAction::Log,
                "alert" => DropAction::Alert,
                "exit" => DropAction::Exit,
                _ => {
                    return Err(r.invalid(
                        "syscall_event_drops.actions",
                        format!("'{name}': available actions for syscall event drops are \"ignore\", \"log\", \"alert\", and \"exit\""),
                    ))
                }
            };
            if matches!(action, DropAction::Log | DropAction::Alert) && actions.contains(&DropAction::Ignore) {
                return Err(r.invalid(
                    "syscall_event_drops.actions",
                    format!("syscall event drop action \"{name}\" does not make sense with the \"ignore\" action"),
                ));
            }
            if !actions.contains(&action) {
                actions.push(action);
            }
        }
        if actions.is_empty() {
            actions.push(DropAction::Ignore);
        }
        let threshold = r.f64("syscall_event_drops.threshold", 0.1)?;
        if !(0.0..=1.0).contains(&threshold) {
            return Err(r.invalid(
                "syscall_event_drops.threshold",
                format!("syscall event drops threshold must be a double in the range [0, 1] (found {threshold})"),
            ));
        }
        Ok(SyscallEventDrops {
            threshold,
            actions,
            rate: r.f64("syscall_event_drops.rate", 0.03333)?,
            max_burst: r.f64("syscall_event_drops.max_burst", 1.0)?,
            simulate_drops: r.bool("syscall_event_drops.simulate_drops", false)?,
        })
    }
}

/// `syscall_event_timeouts.max_consecutives`, which must be > 0.
pub(super) fn read_max_consecutive_timeouts(r: &Reader<'_>) -> Result<u64, ConfigError> {
    let n = r.u64(
        "syscall_event_timeouts.max_consecutives",
        DEFAULT_MAX_CONSECUTIVE_TIMEOUTS,
    )?;
    if n == 0 {
        return Err(r.invalid(
            "syscall_event_timeouts.max_consecutives",
            "the maximum consecutive timeouts without an event must be an unsigned integer > 0".into(),
        ));
    }
    Ok(n)
}

impl BaseSyscalls {
    pub(super) fn read(r: &Reader<'_>) -> Result<BaseSyscalls, ConfigError> {
        Ok(BaseSyscalls {
            all: r.bool("base_syscalls.all", false)?,
            custom_set: r.str_list("base_syscalls.custom_set")?.unwrap_or_default(),
            repair: r.bool("base_syscalls.repair", false)?,
        })
    }
}

impl FalcoLibs {
    pub(super) fn read(r: &Reader<'_>) -> Result<FalcoLibs, ConfigError> {
        Ok(FalcoLibs {
            thread_table_size: r.u64("falco_libs.thread_table_size", DEFAULT_THREAD_TABLE_SIZE)?,
            thread_table_auto_purging_interval_s: r.u64(
                "falco_libs.thread_table_auto_purging_interval_s",
                DEFAULT_THREAD_PURGE_INTERVAL_S,
            )?,
            thread_table_auto_purging_thread_timeout_s: r.u64(
                "falco_libs.thread_table_auto_purging_thread_timeout_s",
                DEFAULT_THREAD_TIMEOUT_S,
            )?,
            snaplen: r.u64("falco_libs.snaplen", 0)?,
        })
    }
}
