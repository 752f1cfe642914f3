//! The live source instance: the host's `live:{json}` open parameters become a loaded probe, a
//! capture table, a seeded state and a [`LiveSession`]; `set_config` changes the kernel's
//! syscall selection while the source runs.

use std::time::{Duration, Instant};

use plugin_api::sdk::{EventBatch, Metric, MetricValue, PluginError};
use serde::Deserialize;

use super::bpf::{
    Probe, ProbeCounters, ProbeOptions, DROP_BUFFER_FULL, DROP_KERNEL_READ, DROP_TOO_LARGE, DROP_USER_READ,
};
use super::proc_scan::ScanStats;
use super::records::KernelTask;
use super::session::{LiveSession, RawSource, SessionStats};
use super::spec::{capture_table, needs_proc_exec, WantedSet, DEFAULT_SNAPLEN};
use super::to_scap::{boot_offset_now, ScapBuilder};
use crate::state::ThreadTable;

/// Prefix of the open parameters that start live capture.
pub const LIVE_PREFIX: &str = "live:";
/// How often the probe's per-CPU counters are read for the metrics.
const COUNTERS_EVERY: Duration = Duration::from_millis(200);

/// The host's live configuration (open parameters after `live:`, and `set_config`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LiveConfig {
    #[serde(default = "default_preset")]
    pub buf_size_preset: u32,
    #[serde(default = "default_cpus_for_each_buffer")]
    pub cpus_for_each_buffer: u32,
    #[serde(default)]
    pub drop_failed_exit: bool,
    #[serde(default = "default_snaplen")]
    pub snaplen: u16,
    /// A capture file to record everything delivered to.
    #[serde(default)]
    pub capture: Option<String>,
    /// The scap event codes the loaded rules use.
    #[serde(default)]
    pub event_codes: Vec<u16>,
    #[serde(default)]
    pub base_syscalls: BaseSyscalls,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BaseSyscalls {
    #[serde(default)]
    pub custom_set: Vec<String>,
    #[serde(default)]
    pub repair: bool,
    #[serde(default)]
    pub all: bool,
}

fn default_preset() -> u32 {
    4
}
fn default_cpus_for_each_buffer() -> u32 {
    2
}
fn default_snaplen() -> u16 {
    DEFAULT_SNAPLEN
}

impl LiveConfig {
    /// Parses the JSON after `live:` (an empty text is the defaults).
    pub fn parse(text: &str) -> Result<LiveConfig, PluginError> {
        let text = if text.trim().is_empty() { "{}" } else { text };
        serde_json::from_str(text).map_err(|e| {
            PluginError::Message(format!(
                "syscall plugin: live configuration {text:?} is not valid: {e} (expected keys: buf_size_preset, \
                 cpus_for_each_buffer, drop_failed_exit, snaplen, capture, event_codes, base_syscalls)"
            ))
        })
    }

    fn wanted(&self) -> Result<WantedSet, PluginError> {
        let mut wanted = WantedSet::from_event_codes(self.event_codes.iter().copied());
        wanted.custom_set = self.base_syscalls.custom_set.clone();
        wanted.repair = self.base_syscalls.repair;
        wanted.all = self.base_syscalls.all;
        wanted
            .validate()
            .map_err(|e| PluginError::Message(format!("syscall plugin: {e}")))?;
        Ok(wanted)
    }
}

/// The probe as the session's record source.
pub struct ProbeSource(pub Probe);

impl RawSource for ProbeSource {
    fn poll(&mut self, max: usize, timeout: Duration, f: &mut dyn FnMut(&[u8])) -> Result<usize, String> {
        self.0.poll(max, timeout, f).map_err(|e| e.to_string())
    }

    fn kernel_tasks(&mut self) -> Result<Vec<KernelTask>, String> {
        self.0.kernel_tasks()
    }
}

/// A running live capture.
pub struct LiveInstance {
    /// `None` only while dropping (the capture file is finished then).
    session: Option<LiveSession<ProbeSource>>,
    config: LiveConfig,
    counters: ProbeCounters,
    counters_read: Instant,
    /// The counters changed since [`Self::take_refreshed`] last said so.
    refreshed: bool,
    /// Why the kernel's task list did not complete the /proc scan at open.
    task_iter_error: Option<String>,
}

impl LiveInstance {
    /// Loads the probe, selects the syscalls, starts capture, then seeds `state` from /proc
    /// (events of processes found by the scan wait in the ring buffers meanwhile).
    pub fn open(params: &str, state: &mut ThreadTable) -> Result<LiveInstance, PluginError> {
        let config = LiveConfig::parse(params)?;
        let wanted = config.wanted()?;
        let probe = Probe::open(&ProbeOptions {
            buf_size_preset: config.buf_size_preset,
            cpus_for_each_buffer: config.cpus_for_each_buffer,
            drop_failed_exit: config.drop_failed_exit,
            snaplen: config.snaplen,
        })
        .map_err(|e| PluginError::Message(format!("syscall plugin: {e}")))?;
        let mut session = LiveSession::new(ProbeSource(probe), ScapBuilder::new(boot_offset_now()));
        if let Some(path) = &config.capture {
            session
                .capture_to(path)
                .map_err(|e| PluginError::Message(format!("syscall plugin: capture file {path}: {e}")))?;
        }
        apply_selection(&mut session.source_mut().0, &config, &wanted)?;
        session
            .source_mut()
            .0
            .enable(true)
            .map_err(|e| PluginError::Message(format!("syscall plugin: {e}")))?;
        let seeded = session
            .seed(state)
            .map_err(|e| PluginError::Message(format!("syscall plugin: seeding from /proc: {e}")))?;
        Ok(LiveInstance {
            session: Some(session),
            config,
            counters: ProbeCounters::default(),
            counters_read: Instant::now() - COUNTERS_EVERY,
            refreshed: false,
            task_iter_error: seeded.task_iter_error,
        })
    }

    /// Why the BPF task iterator did not complete the /proc scan at open (None when it did).
    pub fn task_iter_error(&self) -> Option<&str> {
        self.task_iter_error.as_deref()
    }

    /// What the /proc scan at open found and skipped.
    pub fn scan_stats(&self) -> ScanStats {
        self.session.as_ref().map(|s| s.stats().scan).unwrap_or_default()
    }

    /// Applies a new configuration from `set_config`: only the syscall selection changes live.
    pub fn reconfigure(&mut self, new: LiveConfig) -> Result<(), PluginError> {
        if new.event_codes == self.config.event_codes && new.base_syscalls == self.config.base_syscalls {
            return Ok(());
        }
        let wanted = new.wanted()?;
        let session = self.session_mut()?;
        apply_selection(&mut session.source_mut().0, &new, &wanted)?;
        self.config.event_codes = new.event_codes;
        self.config.base_syscalls = new.base_syscalls;
        Ok(())
    }

    pub fn next_batch(&mut self, batch: &mut EventBatch) -> Result<usize, PluginError> {
        let session = self.session_mut()?;
        let n = session
            .next_batch(batch)
            .map_err(|e| PluginError::Message(format!("syscall plugin: {e}")))?;
        if self.counters_read.elapsed() >= COUNTERS_EVERY {
            self.counters_read = Instant::now();
            if let Some(session) = &self.session {
                if let Ok(c) = session.source().0.counters() {
                    self.counters = c;
                    self.refreshed = true;
                }
            }
        }
        Ok(n)
    }

    /// Whether the counters were read again since the last call (then [`Self::metrics`] is
    /// worth rebuilding; it is not rebuilt per batch).
    pub fn take_refreshed(&mut self) -> bool {
        std::mem::take(&mut self.refreshed)
    }

    fn session_mut(&mut self) -> Result<&mut LiveSession<ProbeSource>, PluginError> {
        self.session
            .as_mut()
            .ok_or_else(|| PluginError::Message("syscall plugin: the live capture is closed".into()))
    }

    /// Falco-style counters for `get_metrics` (names the host's drop monitor reads).
    pub fn metrics(&self) -> Vec<Metric> {
        let c = &self.counters;
        let counter = |name: String, v: u64| Metric {
            name,
            monotonic: true,
            value: MetricValue::U64(v),
        };
        let buffer_full = c.drops_total(DROP_BUFFER_FULL);
        let too_large = c.drops_total(DROP_TOO_LARGE);
        let mut out = vec![
            counter("n_evts".into(), c.seen.iter().sum()),
            counter("n_drops".into(), buffer_full),
            counter("n_drops_buffer_full".into(), buffer_full),
            counter("n_drops_user_read".into(), c.drops_total(DROP_USER_READ)),
            counter("n_drops_kernel_read".into(), c.drops_total(DROP_KERNEL_READ)),
            counter("n_drops_too_large".into(), too_large),
        ];
        for (cpu, seen) in c.seen.iter().enumerate() {
            let full = c
                .drops
                .get(DROP_BUFFER_FULL)
                .and_then(|v| v.get(cpu))
                .copied()
                .unwrap_or(0);
            out.push(counter(format!("n_evts_cpu_{cpu}"), *seen));
            out.push(counter(format!("n_drops_cpu_{cpu}"), full));
            out.push(counter(format!("n_drops_buffer_full_cpu_{cpu}"), full));
        }
        if let Some(s) = &self.session {
            let SessionStats {
                records,
                events,
                bad_records,
                no_event,
                build_errors,
                ..
            } = *s.stats();
            out.push(counter("n_records_read".into(), records));
            out.push(counter("n_events_built".into(), events));
            out.push(counter("n_bad_records".into(), bad_records));
            out.push(counter("n_records_without_event".into(), no_event));
            out.push(counter("n_build_errors".into(), build_errors));
            // How the reader waited for records (empty buffers): epoll_wait calls, those a
            // program's wakeup ended, and the time asleep in them.
            let reader = s.source().0.reader_stats();
            out.push(counter("n_reader_waits".into(), reader.waits));
            out.push(counter("n_reader_wakeups".into(), reader.woken));
            out.push(counter(
                "reader_wait_ns".into(),
                u64::try_from(reader.wait_time.as_nanos()).unwrap_or(u64::MAX),
            ));
        }
        out
    }
}

impl Drop for LiveInstance {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            // Closing the source is the only chance to finish the capture file; a failure
            // here has nobody to report to but stderr.
            if let Err(e) = session.finish() {
                eprintln!("syscall plugin: could not finish the capture file: {e}");
            }
        }
    }
}

/// Writes the capture table and the process-event settings for `wanted`.
fn apply_selection(probe: &mut Probe, config: &LiveConfig, wanted: &WantedSet) -> Result<(), PluginError> {
    let table = capture_table(wanted, config.snaplen, config.drop_failed_exit);
    let err = |e: super::bpf::ProbeError| PluginError::Message(format!("syscall plugin: {e}"));
    probe.set_syscall_table(&table).map_err(err)?;
    probe
        .set_settings(wanted.wants_procexit(), needs_proc_exec(&table))
        .map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_json_parses_and_names_bad_keys() {
        let c = LiveConfig::parse(
            r#"{"buf_size_preset":4,"cpus_for_each_buffer":2,"drop_failed_exit":false,"snaplen":80,
                "capture":null,"event_codes":[307,293],
                "base_syscalls":{"custom_set":["clone"],"repair":false,"all":false}}"#,
        )
        .unwrap();
        assert_eq!(c.event_codes, [307, 293]);
        assert_eq!(c.base_syscalls.custom_set, ["clone"]);
        assert_eq!(LiveConfig::parse("").unwrap().buf_size_preset, 4);
        let e = LiveConfig::parse(r#"{"buffer":1}"#).unwrap_err().to_string();
        assert!(e.contains("unknown field `buffer`"), "{e}");
        let bad_syscall = LiveConfig::parse(r#"{"base_syscalls":{"custom_set":["opnat"]}}"#)
            .unwrap()
            .wanted()
            .unwrap_err()
            .to_string();
        assert!(bad_syscall.contains("\"opnat\""), "{bad_syscall}");
    }
}
