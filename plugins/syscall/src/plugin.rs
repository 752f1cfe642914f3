//! The `libsyscall.so` plugin: a syscall-source plugin (id 0, empty event source, which the
//! host treats as the `syscall` source) that replays capture files and keeps the process/fd
//! state from the events the host hands back to `parse_event`.

use std::ffi::{c_char, CString};
use std::sync::OnceLock;

use plugin_api::sdk::{
    BatchEnd, EventBatch, ExtractOutput, ExtractPlugin, ExtractRequest, FieldDef, InitInput, Logger, Metric,
    OwnedTable, ParseInput, ParsePlugin, Plugin, PluginError, Progress, SourceInstance, SourcePlugin,
};

use crate::event_table::{all_events, Direction, EventFlags, EVENT_TYPE_COUNT};
use crate::fields::FieldId;
use crate::live::instance::{LiveConfig, LiveInstance, LIVE_PREFIX};
use crate::params::DecodedEvent;
use crate::replay::CaptureReplay;
use crate::state::ThreadTable;
use crate::threads_table::{new_threads_table, sync_threads_table_with, ThreadFieldIds};
use plugin_api::sdk::source::MAX_PROGRESS_PCT;

/// Most events handed over per `next_batch`.
pub const MAX_BATCH_EVENTS: usize = 512;
/// Prefix of the open parameter naming a capture to replay (a plain path works too).
pub const REPLAY_PREFIX: &str = "replay:";
/// libscap's plugin event and async event codes: not syscall events, not parsed here.
const PLUGIN_EVENT: u16 = 322;
const ASYNC_EVENT: u16 = 402;

const fn syscall_event_codes() -> [u16; EVENT_TYPE_COUNT as usize - 2] {
    let mut out = [0u16; EVENT_TYPE_COUNT as usize - 2];
    let mut code = 0u16;
    let mut i = 0;
    while code < EVENT_TYPE_COUNT {
        if code != PLUGIN_EVENT && code != ASYNC_EVENT {
            out[i] = code;
            i += 1;
        }
        code += 1;
    }
    out
}

/// Every syscall event code (all but plugin and async events).
pub static SYSCALL_EVENT_CODES: [u16; EVENT_TYPE_COUNT as usize - 2] = syscall_event_codes();

#[derive(Default)]
pub struct SyscallPlugin {
    pub state: ThreadTable,
    /// Events the state could not decode (skipped, as libsinsp skips bad events).
    pub parse_errors: u64,
    /// The `threads` table shared with the host (absent when the host offers no tables).
    pub threads_table: Option<OwnedTable>,
    /// Failures to mirror the state into `threads_table`.
    pub table_sync_errors: u64,
    /// The fields of `threads_table` this plugin writes, and a text buffer for the sync.
    threads_ids: Option<ThreadFieldIds>,
    sync_scratch: String,
    /// The host's logger.
    logger: Logger,
    /// A live configuration from `set_config`, applied by the live instance on its next batch.
    live_config: Option<LiveConfig>,
    /// The live instance's counters as of its last batch (for `get_metrics`).
    live_metrics: Vec<Metric>,
}

impl SyscallPlugin {
    /// Mirrors changed threads into the exported table.
    fn sync_table(&mut self) {
        if let (Some(t), Some(ids)) = (&self.threads_table, &self.threads_ids) {
            if sync_threads_table_with(&mut self.state, t, ids, &mut self.sync_scratch).is_err() {
                self.table_sync_errors += 1;
            }
        }
    }
}

impl Plugin for SyscallPlugin {
    const NAME: &'static str = "syscall";
    const VERSION: &'static str = "0.1.0";
    const DESCRIPTION: &'static str = "Syscall events from capture files, with process and fd state";
    const CONTACT: &'static str = "https://github.com/saker-security/saker";

    fn init(mut input: InitInput<'_>) -> Result<Self, PluginError> {
        let logger = *input.logger();
        let mut plugin = SyscallPlugin {
            logger,
            ..SyscallPlugin::default()
        };
        if let Some(tables) = input.tables() {
            let table = new_threads_table()?;
            let ids = ThreadFieldIds::resolve(&table)?;
            match tables.add_table(&table) {
                Ok(()) => {
                    plugin.threads_table = Some(table);
                    plugin.threads_ids = Some(ids);
                }
                // Without the table the plugin still sources and parses; only other
                // plugins lose access to the thread state.
                Err(e) => logger.warning(&format!(
                    "syscall plugin: the host refused the `threads` table ({e}); other plugins cannot read thread state"
                )),
            }
        }
        Ok(plugin)
    }

    /// The host sends the live configuration again after a rules reload (`live:` open
    /// parameters without the prefix); the syscall selection changes on the next batch.
    fn set_config(&mut self, config: &str) -> Result<(), PluginError> {
        let config = config.trim();
        let config = config.strip_prefix(LIVE_PREFIX).unwrap_or(config);
        self.live_config = Some(LiveConfig::parse(config)?);
        Ok(())
    }

    fn metrics(&mut self) -> Vec<Metric> {
        self.live_metrics.clone()
    }
}

/// An open syscall source: a capture replay or a live capture.
pub enum SyscallInstance {
    Replay(Box<ReplayInstance>),
    Live(Box<LiveInstance>),
}

/// An open capture replay.
pub struct ReplayInstance {
    replay: CaptureReplay,
    done: bool,
}

impl SourcePlugin for SyscallPlugin {
    const ID: u32 = 0;
    const EVENT_SOURCE: &'static str = "";
    type Instance = SyscallInstance;

    fn open(&mut self, params: &str) -> Result<SyscallInstance, PluginError> {
        let params = params.trim();
        if let Some(live) = params.strip_prefix(LIVE_PREFIX) {
            self.reset_state();
            let instance = LiveInstance::open(live, &mut self.state)?;
            let scan = instance.scan_stats();
            if scan.unreadable > 0 {
                // Without CAP_SYS_PTRACE (or root) other users' fd tables, executables, working
                // directories and environments cannot be read; capture still runs.
                self.logger.warning(&format!(
                    "syscall plugin: the /proc scan could not read {} of its entries (other users' \
                     processes; reading them needs root or CAP_SYS_PTRACE); {} processes seeded, \
                     some without their open files, executable path or environment",
                    scan.unreadable, scan.processes
                ));
            }
            if let Some(why) = instance.task_iter_error() {
                self.logger.info(&format!(
                    "syscall plugin: the kernel's task list (BPF task iterator) is unavailable ({why}); \
                     processes started before Saker are seeded from /proc alone, without \
                     proc.is_exe_writable, the overlayfs layer fields and proc.pidns_init_start_ts"
                ));
            }
            self.sync_table();
            self.live_config = None;
            return Ok(SyscallInstance::Live(Box::new(instance)));
        }
        self.open_replay(params).map(|r| SyscallInstance::Replay(Box::new(r)))
    }
}

impl SyscallPlugin {
    /// A new capture starts from a clean state (and an empty exported table).
    fn reset_state(&mut self) {
        if let Some(table) = &self.threads_table {
            for t in self.state.iter() {
                let _ = table.remove(plugin_api::sdk::StateValue::I64(t.tid));
            }
        }
        self.state = ThreadTable::new();
    }

    fn open_replay(&mut self, params: &str) -> Result<ReplayInstance, PluginError> {
        let path = params;
        let path = path.strip_prefix(REPLAY_PREFIX).unwrap_or(path);
        if path.is_empty() {
            return Err(PluginError::Message(format!(
                "syscall plugin: empty open parameters; give `{REPLAY_PREFIX}<capture.scap>` or a capture path"
            )));
        }
        let replay = CaptureReplay::open(path).map_err(|e| PluginError::Message(format!("syscall plugin: {e}")))?;
        self.reset_state();
        Ok(ReplayInstance { replay, done: false })
    }
}

impl SourceInstance<SyscallPlugin> for SyscallInstance {
    fn next_batch(&mut self, plugin: &mut SyscallPlugin, batch: &mut EventBatch) -> Result<BatchEnd, PluginError> {
        match self {
            SyscallInstance::Replay(r) => r.next_batch(plugin, batch),
            SyscallInstance::Live(live) => {
                if let Some(config) = plugin.live_config.take() {
                    if let Err(e) = live.reconfigure(config) {
                        plugin
                            .logger
                            .error(&format!("{e}; the previous syscall selection stays"));
                    }
                }
                live.next_batch(batch)?;
                if live.take_refreshed() {
                    plugin.live_metrics = live.metrics();
                }
                // An empty batch is a timeout: the host calls again.
                Ok(if batch.is_empty() {
                    BatchEnd::Timeout
                } else {
                    BatchEnd::Success
                })
            }
        }
    }

    fn get_progress(&mut self, plugin: &mut SyscallPlugin) -> Option<Progress> {
        match self {
            SyscallInstance::Replay(r) => r.get_progress(plugin),
            SyscallInstance::Live(_) => None,
        }
    }
}

impl ReplayInstance {
    fn next_batch(&mut self, plugin: &mut SyscallPlugin, batch: &mut EventBatch) -> Result<BatchEnd, PluginError> {
        if self.done {
            return Ok(BatchEnd::Eof);
        }
        while batch.len() < MAX_BATCH_EVENTS {
            let state = &mut plugin.state;
            let ev = self
                .replay
                .next_event(|m| state.apply_capture_item(m))
                .map_err(|e| PluginError::Message(format!("syscall plugin: {e}")))?;
            match ev {
                // Validated by the replay with the slot width of its type (what push_raw checks).
                Some(ev) => batch.push_event(&ev),
                None => {
                    self.done = true;
                    break;
                }
            }
        }
        Ok(if batch.is_empty() && self.done {
            BatchEnd::Eof
        } else {
            BatchEnd::Success
        })
    }

    fn get_progress(&mut self, _plugin: &mut SyscallPlugin) -> Option<Progress> {
        let (done, total) = self.replay.progress();
        let pct = if total == 0 {
            MAX_PROGRESS_PCT
        } else {
            (done as u128 * MAX_PROGRESS_PCT as u128 / total as u128) as u32
        };
        Some(Progress {
            pct,
            text: format!("{}.{:02}%", pct / 100, pct % 100),
        })
    }
}

impl ParsePlugin for SyscallPlugin {
    const PARSE_EVENT_TYPES: &'static [u16] = &SYSCALL_EVENT_CODES;
    const PARSE_EVENT_SOURCES: &'static [&'static str] = &["syscall"];

    fn parse_event(&mut self, input: &ParseInput<'_>) -> Result<(), PluginError> {
        if self.state.parse_event(input.event).is_err() {
            self.parse_errors += 1;
        }
        self.sync_table();
        Ok(())
    }
}

impl ExtractPlugin for SyscallPlugin {
    const FIELDS: &'static [FieldDef] = crate::fields::FIELDS;
    const EXTRACT_EVENT_SOURCES: &'static [&'static str] = &["syscall"];
    const EXTRACT_EVENT_TYPES: &'static [u16] = &SYSCALL_EVENT_CODES;

    /// Fields read the state as updated by this event's `parse_event` (the host parses
    /// before it extracts, as libsinsp does).
    fn extract(&mut self, req: ExtractRequest<'_>, out: &mut ExtractOutput) -> Result<(), PluginError> {
        self.extract_ref(&req, out)
    }

    #[inline]
    fn extract_ref(&mut self, req: &ExtractRequest<'_>, out: &mut ExtractOutput) -> Result<(), PluginError> {
        let id = FieldId::from_index(req.field_index).ok_or_else(|| unknown_field(req.field_index))?;
        let ev = DecodedEvent::new(req.event).map_err(|e| PluginError::Message(format!("syscall plugin: {e}")))?;
        // Values go straight into the SDK's output (text copied once, from the state or the
        // event, or formatted in place).
        let mut sink = crate::fields::OutputSink::new(out);
        crate::fields::extract_to(id, req.arg, &ev, &self.state, &mut sink);
        sink.finish()
    }
}

#[cold]
fn unknown_field(index: usize) -> PluginError {
    PluginError::Message(format!(
        "syscall plugin: field index {index} is not one of the {} declared fields",
        crate::fields::FIELDS.len()
    ))
}

/// The event table as JSON for the host (`saker_plugin_event_table`).
pub fn event_table_json() -> String {
    let mut s = String::from("{\"events\":[");
    let mut first = true;
    for e in all_events() {
        if e.flags.contains(EventFlags::UNUSED) {
            continue;
        }
        if !first {
            s.push(',');
        }
        first = false;
        let dir = match e.direction {
            Direction::Enter => "E",
            Direction::Exit => "X",
        };
        s.push_str(&format!(
            "{{\"code\":{},\"name\":\"{}\",\"dir\":\"{}\",\"old\":{}}}",
            e.code,
            e.name,
            dir,
            e.flags.contains(EventFlags::OLD_VERSION)
        ));
    }
    s.push_str("],\"generic_syscalls\":[");
    for (i, name) in crate::syscalls::generic_syscalls().iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!("\"{name}\""));
    }
    s.push_str("]}");
    s
}

/// Saker extension: the syscall event table as a static NUL-terminated JSON string.
#[no_mangle]
pub extern "C" fn saker_plugin_event_table() -> *const c_char {
    static JSON: OnceLock<CString> = OnceLock::new();
    JSON.get_or_init(|| CString::new(event_table_json()).unwrap_or_default())
        .as_ptr()
}

plugin_api::saker_plugin!(SyscallPlugin; source, parse, extract);
