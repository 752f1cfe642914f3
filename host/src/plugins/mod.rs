//! The plugin host: loading `.so` plugins built for Falco's plugin API 3.12.0, initialising
//! them, sourcing events, calling parse and extract, and sharing state tables.
//! The contract is `reference/plugin-abi.md`; DESIGN.md §4.
//!
//! ```no_run
//! use saker::plugins::{BatchEnd, ExtractedValues, FieldArg, LoadOptions, PluginSet, TableRegistry};
//! # fn main() -> Result<(), saker::plugins::PluginError> {
//! let mut set = PluginSet::new(TableRegistry::new());
//! let i = set.load("/usr/share/saker/plugins/libk8saudit.so", &LoadOptions::default())?;
//! set.init(i, "")?; // init_config as JSON text
//! let plugin = set.get(i).unwrap();
//! let field = plugin.field_index("ka.verb").unwrap();
//! let mut out = ExtractedValues::new();
//! let mut source = plugin.open("http://:9765/k8s-audit")?;
//! loop {
//!     let batch = source.next_batch()?;
//!     for (n, event) in batch.events().enumerate() {
//!         plugin.parse(event, n as u64, c"k8s_audit");
//!         if plugin.extract(event, n as u64, c"k8s_audit", field, &FieldArg::None, &mut out) {
//!             println!("{:?}", out.get(0));
//!         }
//!     }
//!     if batch.end == BatchEnd::Eof {
//!         break;
//!     }
//! }
//! # Ok(())
//! # }
//! ```

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
pub use extract::{ExtractedValue, ExtractedValues, FieldArg, FieldBatch, ValueSink, MAX_EXTRACTED_VALUES};
pub use info::{
    Capabilities, EventTable, EventTypeInfo, FieldArgSpec, FieldType, InitSchema, OpenParam, PluginField, PluginInfo,
};
pub use inspect::{inspect, InspectReport, MANIFEST_SECTION};
pub use loader::RESERVED_SOURCE_NAME;
pub use plugin::{EventFilter, LoadOptions, Plugin, PluginCounters, PluginMetric, EVENT_STRING_FALLBACK_BYTES};
pub use registry::PluginSet;
pub use routines::{RoutinePool, DEFAULT_ROUTINE_THREADS, MAX_ROUTINES};
pub use source::{Batch, BatchEnd, SourceInstance, MAX_BATCH_EVENTS, MAX_EVENT_LEN};
pub use tables::TableRegistry;
pub use version::{SemVer, HOST_API_VERSION};
