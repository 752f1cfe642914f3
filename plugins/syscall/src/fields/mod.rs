//! libsinsp-compatible fields of syscall events: declarations ([`FIELDS`]) and extraction.
//!
//! Values follow libsinsp's semantics (`reference/fields/syscall.md`). Fields whose libsinsp
//! type is richer than the plugin ABI's carry `"sakerType":"PT_…"`; signed integers travel as
//! the bit pattern of the `i64`, doubles as `f64` bits.

mod defs;
mod event;

pub use defs::{FieldId, ALL_FIELD_IDS, FIELDS};
pub use event::{display_values, extract_event_field, render_arg_resolved, return_value, FieldArg, FieldValue};
