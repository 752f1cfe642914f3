//! The one error type of the plugin host. Every message names the plugin (by name once known,
//! else by file), says what was expected and what was found, and what to do about it.
//! Where the Falco conformance suite greps for libsinsp's wording, that wording appears verbatim
//! inside the message.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error(
        "cannot load plugin {path}: {reason}; check that library_path points to a plugin .so built for this platform"
    )]
    Open { path: PathBuf, reason: String },

    #[error(
        "plugin {path} does not export the required symbol 'plugin_{symbol}' (required symbol not implemented: '{symbol}'); \
         rebuild it with a plugin SDK for API 3.x"
    )]
    MissingSymbol { path: PathBuf, symbol: &'static str },

    #[error(
        "plugin {path} requires plugin API {required} but Saker provides {provided}: {why}; {fix} \
         (plugin required API version '{required}' not compatible with the framework's API version '{provided}')"
    )]
    IncompatibleApi {
        path: PathBuf,
        required: String,
        provided: &'static str,
        why: &'static str,
        fix: String,
    },

    #[error("plugin {plugin} ({path}): {what} returned '{found}', expected a version 'MAJOR.MINOR.PATCH'; fix the plugin's {what}")]
    BadVersion {
        plugin: String,
        path: PathBuf,
        what: &'static str,
        found: String,
    },

    #[error("plugin {plugin} ({path}): {what} returned NULL; the plugin must return a static string")]
    NullString {
        plugin: String,
        path: PathBuf,
        what: &'static str,
    },

    #[error("plugin {plugin} ({path}): broken plugin capabilities: {detail}; export the missing symbols or remove the partial ones")]
    BrokenCapabilities {
        plugin: String,
        path: PathBuf,
        detail: String,
    },

    #[error(
        "plugin {plugin} ({path}): plugin does not implement any capability; it must export at least the symbols \
         of event sourcing, field extraction, event parsing, async events or capture listening"
    )]
    NoCapability { plugin: String, path: PathBuf },

    #[error(
        "plugin {plugin} ({path}): event source name 'syscall' is reserved for Saker's syscall plugin; \
         choose another value for plugin_get_event_source"
    )]
    ReservedSource { plugin: String, path: PathBuf },

    #[error("plugin {plugin} ({path}): invalid {what}: {detail}; fix the JSON the plugin returns")]
    InvalidJson {
        plugin: String,
        path: PathBuf,
        what: &'static str,
        detail: String,
    },

    #[error("plugin {plugin} ({path}): invalid field #{index} '{field}' in plugin_get_fields: {detail}")]
    InvalidField {
        plugin: String,
        path: PathBuf,
        index: usize,
        field: String,
        detail: String,
    },

    #[error("plugin {plugin} ({path}): a plugin named '{plugin}' is already loaded from {other}; plugin names must be unique")]
    DuplicateName {
        plugin: String,
        path: PathBuf,
        other: PathBuf,
    },

    #[error(
        "plugin {plugin} ({path}): event source id {id} is already used by plugin {other}; \
         each source plugin needs its own registered id"
    )]
    DuplicateSourceId {
        plugin: String,
        path: PathBuf,
        id: u32,
        other: String,
    },

    #[error("plugin {plugin}: init config: {detail}; fix init_config for this plugin in the configuration")]
    InitConfig { plugin: String, detail: String },

    #[error("could not initialize plugin {plugin}: {reason}")]
    Init { plugin: String, reason: String },

    #[error("plugin {plugin}: {call} called before init; call Plugin::init first")]
    NotInitialized { plugin: String, call: &'static str },

    #[error("plugin {plugin}: {call} is not supported: the plugin lacks the {capability} capability")]
    Unsupported {
        plugin: String,
        call: &'static str,
        capability: &'static str,
    },

    #[error("plugin {plugin}: could not open event source with params '{params}': {reason}")]
    OpenSource {
        plugin: String,
        params: String,
        reason: String,
    },

    #[error("plugin {plugin}: next_batch failed: {reason}")]
    NextBatch { plugin: String, reason: String },

    #[error("plugin {plugin}: malformed plugin event #{index} in batch: {detail}")]
    MalformedEvent {
        plugin: String,
        index: usize,
        detail: String,
    },

    #[error("plugin {plugin}: {call} failed: {reason}")]
    CallFailed {
        plugin: String,
        call: &'static str,
        reason: String,
    },

    #[error("plugin {plugin}: field '{field}': {detail}")]
    FieldArg {
        plugin: String,
        field: String,
        detail: String,
    },

    #[error("cannot read manifest of {path}: {detail}")]
    Manifest { path: PathBuf, detail: String },
}
