//! Saker's safe plugin SDK: one trait per capability, an export macro ([`saker_plugin!`](crate::saker_plugin)) and
//! all `unsafe` FFI glue in [`ffi`]. Plugin code written against this module is safe Rust.
//!
//! A complete source + extraction plugin (`examples/plugins/rust/` is a larger one):
//!
//! ```no_run
//! use plugin_api::sdk::*;
//!
//! pub struct Ticker;
//! pub struct TickerInstance { left: u64 }
//!
//! impl Plugin for Ticker {
//!     const NAME: &'static str = "ticker";
//!     const VERSION: &'static str = "0.1.0";
//!     const DESCRIPTION: &'static str = "emits N numbered events";
//!     const CONTACT: &'static str = "https://example.org";
//!     fn init(_input: InitInput<'_>) -> Result<Self, PluginError> { Ok(Ticker) }
//! }
//!
//! impl SourcePlugin for Ticker {
//!     const ID: u32 = 999;
//!     const EVENT_SOURCE: &'static str = "ticker";
//!     type Instance = TickerInstance;
//!     fn open(&mut self, params: &str) -> Result<TickerInstance, PluginError> {
//!         let left = params.parse().map_err(|e| PluginError::msg(format!("open_params {params:?}: {e}")))?;
//!         Ok(TickerInstance { left })
//!     }
//! }
//!
//! impl SourceInstance<Ticker> for TickerInstance {
//!     fn next_batch(&mut self, _p: &mut Ticker, batch: &mut EventBatch) -> Result<BatchEnd, PluginError> {
//!         if self.left == 0 { return Ok(BatchEnd::Eof) }
//!         batch.push(u64::MAX, &self.left.to_le_bytes())?; // u64::MAX: the host stamps the time
//!         self.left -= 1;
//!         Ok(BatchEnd::Success)
//!     }
//! }
//!
//! impl ExtractPlugin for Ticker {
//!     const FIELDS: &'static [FieldDef] = &[FieldDef::new("ticker.left", FieldType::U64, "events left")];
//!     fn extract(&mut self, req: ExtractRequest<'_>, out: &mut ExtractOutput) -> Result<(), PluginError> {
//!         let left = u64::from_le_bytes(req.data().try_into().map_err(PluginError::msg)?);
//!         out.u64(left)
//!     }
//! }
//!
//! plugin_api::saker_plugin!(Ticker; source, extract);
//! ```
//!
//! Behaviour at the boundary (`reference/plugin-abi.md` §4): every exported function catches
//! panics and turns them into `SS_PLUGIN_FAILURE` with last error "plugin panicked: …"; errors
//! become a return code plus `get_last_error` text stored per plugin state; returned buffers
//! stay valid until the next call of the same function on the same state/instance.

pub mod async_events;
pub mod capture_listen;
mod export;
pub mod extract;
pub mod ffi;
pub mod parse;
pub mod source;
pub mod tables;

use std::ffi::{c_char, CString};

use crate::ffi as abi;

pub use async_events::{AsyncHandler, AsyncPlugin};
pub use capture_listen::{CaptureListenInput, CaptureListenPlugin};
pub use extract::{ArgSpec, ExtractOutput, ExtractPlugin, ExtractRequest, FieldArg, FieldDef, FieldType};
pub use parse::{ParseInput, ParsePlugin};
pub use source::{BatchEnd, EventBatch, OpenParam, Progress, SourceInstance, SourcePlugin};
pub use tables::{
    Entry, InitTables, OwnedFieldId, OwnedTable, StateType, StateValue, Table, TableError, TableField, TableReader,
    TableWriter,
};

/// The API version Saker's own plugins require by default: the version the host claims.
pub const DEFAULT_REQUIRED_API: &str = crate::ffi::PLUGIN_API_VERSION_STR;

/// An error a plugin reports to the host (becomes an rc plus the `get_last_error` text).
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// Free-form failure described by the plugin.
    #[error("{0}")]
    Message(String),
    /// The init or set_config configuration could not be used.
    #[error("invalid plugin config: {0}")]
    Config(String),
    /// The host asked for something the plugin does not do.
    #[error("not supported: {0}")]
    NotSupported(String),
    /// A table call failed.
    #[error(transparent)]
    Table(#[from] TableError),
    /// Malformed event bytes.
    #[error(transparent)]
    Event(#[from] crate::event::EventError),
}

impl PluginError {
    /// A free-form error from anything displayable.
    pub fn msg(m: impl std::fmt::Display) -> Self {
        PluginError::Message(m.to_string())
    }
}

/// What `Plugin::init` receives.
pub struct InitInput<'a> {
    config: &'a str,
    logger: Logger,
    tables: Option<InitTables<'a>>,
}

impl<'a> InitInput<'a> {
    /// Builds an input (used by the FFI glue and by tests driving a plugin directly).
    pub fn new(config: &'a str, logger: Logger, tables: Option<InitTables<'a>>) -> Self {
        InitInput { config, logger, tables }
    }
    /// The raw `init_config` string (Falco serializes a YAML map to JSON).
    pub fn config(&self) -> &'a str {
        self.config
    }
    /// The config parsed as JSON into `T`. An empty config counts as `{}`, as the host
    /// substitutes `{}` for an empty config when the plugin has a JSON schema.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, PluginError> {
        parse_json_config(self.config)
    }
    /// The host logger; clone it to keep it.
    pub fn logger(&self) -> &Logger {
        &self.logger
    }
    /// Table access, offered only to plugins with parse or extract capability.
    pub fn tables(&mut self) -> Option<&mut InitTables<'a>> {
        self.tables.as_mut()
    }
}

/// Parses a JSON config string; empty (or all whitespace) means `{}`.
pub fn parse_json_config<T: serde::de::DeserializeOwned>(config: &str) -> Result<T, PluginError> {
    let text = if config.trim().is_empty() { "{}" } else { config };
    serde_json::from_str(text).map_err(|e| {
        PluginError::Config(format!(
            "init_config is not the expected JSON ({e}); found {:?}; fix the plugin's init_config in falco.yaml",
            truncate_for_message(config)
        ))
    })
}

/// Longest piece of user input quoted back in an error message.
const MAX_QUOTED_INPUT: usize = 200;

fn truncate_for_message(s: &str) -> &str {
    if s.len() <= MAX_QUOTED_INPUT {
        return s;
    }
    let mut end = MAX_QUOTED_INPUT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Log severity of [`Logger::log`] (values of `ss_plugin_log_severity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Severity {
    Fatal = abi::SS_PLUGIN_LOG_SEV_FATAL,
    Critical = abi::SS_PLUGIN_LOG_SEV_CRITICAL,
    Error = abi::SS_PLUGIN_LOG_SEV_ERROR,
    Warning = abi::SS_PLUGIN_LOG_SEV_WARNING,
    Notice = abi::SS_PLUGIN_LOG_SEV_NOTICE,
    Info = abi::SS_PLUGIN_LOG_SEV_INFO,
    Debug = abi::SS_PLUGIN_LOG_SEV_DEBUG,
    Trace = abi::SS_PLUGIN_LOG_SEV_TRACE,
}

/// Handle on the host's `log_fn`. Logs are dropped when the host gave no logger.
#[derive(Clone, Copy)]
pub struct Logger {
    owner: *mut abi::ss_plugin_owner_t,
    log_fn: Option<abi::ss_plugin_log_fn_t>,
}

// SAFETY: the owner pointer and log_fn are documented as stable for the plugin's lifetime, and
// the host's logger is callable from plugin threads (libsinsp's logger is thread-safe).
unsafe impl Send for Logger {}
// SAFETY: see Send; the handle is two immutable pointers.
unsafe impl Sync for Logger {}

impl std::fmt::Debug for Logger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logger")
            .field("connected", &self.log_fn.is_some())
            .finish()
    }
}

impl Default for Logger {
    /// The disconnected logger.
    fn default() -> Self {
        Logger::disconnected()
    }
}

impl Logger {
    /// A logger that drops everything (no host).
    pub const fn disconnected() -> Self {
        Logger {
            owner: std::ptr::null_mut(),
            log_fn: None,
        }
    }

    /// Wraps the host's logger.
    ///
    /// # Safety
    /// `log_fn`, if set, must stay callable with `owner` for as long as the logger is used.
    pub unsafe fn from_raw(owner: *mut abi::ss_plugin_owner_t, log_fn: Option<abi::ss_plugin_log_fn_t>) -> Self {
        Logger { owner, log_fn }
    }

    /// Sends `msg` to the host log; the host names the plugin as component.
    pub fn log(&self, severity: Severity, msg: &str) {
        let Some(log_fn) = self.log_fn else { return };
        let text = CString::new(msg.replace('\0', "\\0")).unwrap_or_default();
        // SAFETY: from_raw's contract keeps log_fn callable with owner; text lives over the call.
        unsafe { log_fn(self.owner, std::ptr::null::<c_char>(), text.as_ptr(), severity as u32) };
    }
    pub fn error(&self, msg: &str) {
        self.log(Severity::Error, msg)
    }
    pub fn warning(&self, msg: &str) {
        self.log(Severity::Warning, msg)
    }
    pub fn info(&self, msg: &str) {
        self.log(Severity::Info, msg)
    }
    pub fn debug(&self, msg: &str) {
        self.log(Severity::Debug, msg)
    }
}

/// A metric value; the host prefixes the name with `<plugin name>.`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetricValue {
    U32(u32),
    S32(i32),
    U64(u64),
    S64(i64),
    F64(f64),
    F32(f32),
}

/// One metric returned by [`Plugin::metrics`].
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub name: String,
    /// Counter that only grows (`MONOTONIC`) or a gauge.
    pub monotonic: bool,
    pub value: MetricValue,
}

/// The capability every plugin has: identity, init, config, metrics.
///
/// Static strings must not contain NUL bytes (checked at compile time by the export macro).
pub trait Plugin: Sized + 'static {
    const NAME: &'static str;
    /// The plugin's own version, `x.y.z`.
    const VERSION: &'static str;
    const DESCRIPTION: &'static str;
    const CONTACT: &'static str;
    /// Minimum host plugin API version: Saker's host claims 3.12.0.
    const REQUIRED_API: &'static str = DEFAULT_REQUIRED_API;
    /// JSON schema of the init config, if any (the host validates the config before init).
    const INIT_SCHEMA: Option<&'static str> = None;
    /// Minimum libscap event schema version (3.12 `get_required_event_schema_version`), needed
    /// only by plugins that parse or extract from syscall events; `None` lets the host assume
    /// "3.0.0".
    const REQUIRED_EVENT_SCHEMA_VERSION: Option<&'static str> = None;

    /// Creates the plugin state from the host's init input.
    fn init(input: InitInput<'_>) -> Result<Self, PluginError>;

    /// Applies a new config at runtime (Falco 3.4 `set_config`). Default: rejected.
    fn set_config(&mut self, config: &str) -> Result<(), PluginError> {
        let _ = config;
        Err(PluginError::NotSupported(format!(
            "plugin {} does not accept a config change at runtime",
            Self::NAME
        )))
    }

    /// Current metrics; called by the host periodically.
    fn metrics(&mut self) -> Vec<Metric> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Cfg {
        #[serde(default)]
        start: u64,
    }

    #[test]
    fn json_config_treats_empty_as_empty_object_and_names_bad_input() {
        let input = InitInput::new("", Logger::disconnected(), None);
        assert_eq!(input.json::<Cfg>().unwrap(), Cfg { start: 0 });
        let input = InitInput::new(r#"{"start": 3}"#, Logger::disconnected(), None);
        assert_eq!(input.json::<Cfg>().unwrap(), Cfg { start: 3 });
        let input = InitInput::new(r#"{"stat": 3}"#, Logger::disconnected(), None);
        let err = input.json::<Cfg>().unwrap_err().to_string();
        assert!(err.contains("unknown field `stat`"), "{err}");
        assert!(err.contains("found \"{\\\"stat\\\": 3}\""), "{err}");
        let long = "x".repeat(1000);
        let err = parse_json_config::<Cfg>(&long).unwrap_err().to_string();
        assert!(err.len() < 500, "quoted input is truncated: {}", err.len());
    }
}
