//! The plugin host: loading `.so` plugins built for Falco's plugin API 3.12.0, initialising
//! them, sourcing events, calling parse and extract, and sharing state tables.
//! The contract is `reference/plugin-abi.md`; DESIGN.md §4.

mod asyncev;
mod error;
mod extract;
mod info;
mod inspect;
mod loader;
mod owner;
mod plugin;
mod registry;
mod routines;
mod source;
pub mod tables;
mod version;

pub use asyncev::{AsyncQueue, DEFAULT_ASYNC_QUEUE_CAPACITY, MAX_ASYNC_EVENT_LEN};
pub use error::PluginError;
pub use extract::{ExtractedValue, ExtractedValues, FieldArg, MAX_EXTRACTED_VALUES};
pub use info::{Capabilities, FieldArgSpec, FieldType, InitSchema, OpenParam, PluginField, PluginInfo};
pub use inspect::{inspect, InspectReport, MANIFEST_SECTION};
pub use loader::RESERVED_SOURCE_NAME;
pub use plugin::{EventFilter, LoadOptions, Plugin, PluginCounters, PluginMetric, EVENT_STRING_FALLBACK_BYTES};
pub use registry::PluginSet;
pub use routines::{RoutinePool, DEFAULT_ROUTINE_THREADS, MAX_ROUTINES};
pub use source::{Batch, BatchEnd, SourceInstance, MAX_BATCH_EVENTS, MAX_EVENT_LEN};
pub use tables::TableRegistry;
pub use version::{SemVer, HOST_API_VERSION};
