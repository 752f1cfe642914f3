//! How the syscall source opens: replaying a capture (`replay:<file>`), capturing live with
//! modern eBPF (`live:<json>`), or not at all. The live JSON names the event codes of the
//! loaded syscall rules, so it is completed after the rules compile, and sent again through
//! the plugin's `set_config` after each reload.

use serde::Serialize;

use crate::config::{BaseSyscalls, Config, EngineKind};
use crate::rules::ruleset::RuleSet;

/// Prefix of the syscall plugin's open parameters for a capture replay.
pub const REPLAY_PREFIX: &str = "replay:";
/// Prefix of the syscall plugin's open parameters for live capture (then a JSON object).
pub const LIVE_PREFIX: &str = "live:";
/// Bytes of each I/O buffer an event carries when `falco_libs.snaplen` is 0 (libscap's default).
pub const DEFAULT_SNAPLEN: u64 = 80;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaptureError {
    #[error(
        "engine.kind is gvisor, which Saker does not support; use engine.kind: modern_ebpf for live \
         syscall capture, or nodriver to run plugin sources only"
    )]
    Gvisor,
    #[error("--capture records live capture; it cannot be used with -e")]
    CaptureWithReplay,
    #[error("engine.kind is replay but engine.replay.capture_file is not set (use -e FILE)")]
    ReplayWithoutFile,
}

/// What the syscall source does when it opens.
#[derive(Debug, Clone, PartialEq)]
pub enum SyscallCapture {
    /// Replay this capture file (`-e FILE`, `engine.kind: replay`).
    Replay(String),
    /// Capture live from the kernel.
    Live(LiveCapture),
    /// The syscall source stays closed (`engine.kind: nodriver`, or plugin sources only).
    Closed,
}

impl SyscallCapture {
    /// The capture `config` asks for. A configuration that declares source plugins and leaves
    /// `engine.kind` unset runs only those (Falco would also open its kmod driver).
    pub fn from_config(config: &Config, has_plugin_sources: bool) -> Result<SyscallCapture, CaptureError> {
        let engine = &config.engine;
        let live = || SyscallCapture::Live(LiveCapture::from_config(config));
        match engine.kind {
            EngineKind::Replay if config.capture_file.is_some() => Err(CaptureError::CaptureWithReplay),
            EngineKind::Replay => match &engine.capture_file {
                Some(file) => Ok(SyscallCapture::Replay(file.clone())),
                None => Err(CaptureError::ReplayWithoutFile),
            },
            EngineKind::Nodriver => Ok(SyscallCapture::Closed),
            _ if has_plugin_sources && !engine.kind_configured => Ok(SyscallCapture::Closed),
            EngineKind::Gvisor => Err(CaptureError::Gvisor),
            EngineKind::ModernEbpf | EngineKind::Kmod | EngineKind::Ebpf => Ok(live()),
        }
    }

    /// The syscall plugin's open parameters; `ruleset`/`source_idx` give live capture its
    /// event codes. `None` when the source stays closed.
    pub fn open_params(&self, ruleset: &RuleSet, source_idx: usize) -> Option<String> {
        match self {
            SyscallCapture::Replay(file) => Some(format!("{REPLAY_PREFIX}{file}")),
            SyscallCapture::Live(live) => Some(format!(
                "{LIVE_PREFIX}{}",
                live.config_json(&ruleset.event_codes(source_idx))
            )),
            SyscallCapture::Closed => None,
        }
    }
}

/// The live-capture settings, in the JSON form the syscall plugin reads (open parameters after
/// `live:`, and `set_config`). Field order is the plugin's documented order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveCapture {
    /// `engine.modern_ebpf.buf_size_preset`.
    pub buf_size_preset: i64,
    /// `engine.modern_ebpf.cpus_for_each_buffer`.
    pub cpus_for_each_buffer: u64,
    /// `engine.modern_ebpf.drop_failed_exit`.
    pub drop_failed_exit: bool,
    /// `falco_libs.snaplen`, or [`DEFAULT_SNAPLEN`].
    pub snaplen: u64,
    /// `--capture FILE` / `capture_file`: also record the events to this `.scap`.
    pub capture: Option<String>,
    /// Scap event codes of the loaded syscall rules (filled by [`LiveCapture::config_json`]).
    pub event_codes: Vec<u16>,
    pub base_syscalls: BaseSyscallSelection,
}

/// `base_syscalls` as the plugin reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaseSyscallSelection {
    pub custom_set: Vec<String>,
    pub repair: bool,
    pub all: bool,
}

impl From<&BaseSyscalls> for BaseSyscallSelection {
    fn from(b: &BaseSyscalls) -> BaseSyscallSelection {
        BaseSyscallSelection {
            custom_set: b.custom_set.clone(),
            repair: b.repair,
            all: b.all,
        }
    }
}

impl LiveCapture {
    pub fn from_config(config: &Config) -> LiveCapture {
        let ebpf = &config.engine.modern_ebpf;
        LiveCapture {
            buf_size_preset: ebpf.buf_size_preset,
            cpus_for_each_buffer: ebpf.cpus_for_each_buffer,
            drop_failed_exit: ebpf.drop_failed_exit,
            snaplen: match config.falco_libs.snaplen {
                0 => DEFAULT_SNAPLEN,
                n => n,
            },
            capture: config.capture_file.as_ref().map(|p| p.display().to_string()),
            event_codes: Vec::new(),
            base_syscalls: BaseSyscallSelection::from(&config.base_syscalls),
        }
    }

    /// The JSON object for `event_codes` (open parameters after `live:`, and `set_config`).
    pub fn config_json(&self, event_codes: &[u16]) -> String {
        let mut with_codes = self.clone();
        with_codes.event_codes = event_codes.to_vec();
        serde_json::to_string(&with_codes).unwrap_or_default()
    }

    /// The `set_config` JSON after a reload: these settings with the reloaded configuration's
    /// `base_syscalls` and the reloaded rules' event codes (only those change live).
    pub fn reload_json(&self, base_syscalls: &BaseSyscalls, ruleset: &RuleSet, source_idx: usize) -> String {
        let mut next = self.clone();
        next.base_syscalls = BaseSyscallSelection::from(base_syscalls);
        next.config_json(&ruleset.event_codes(source_idx))
    }
}
