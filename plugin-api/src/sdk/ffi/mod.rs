//! The `unsafe` glue between the C ABI and the SDK traits, one module per capability.
//! [`saker_plugin!`](crate::saker_plugin) generates `#[no_mangle]` wrappers that call these
//! generic functions; nothing here is meant to be called by plugin code.
//!
//! Every function catches panics and turns errors into an rc plus the state's last error.

pub mod async_events;
pub mod capture_listen;
pub mod common;
pub mod extract;
pub mod parse;
pub mod source;

pub use common::PluginState;
