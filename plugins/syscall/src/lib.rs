//! Saker's syscall source (`libsyscall.so`): the scap event model (event table, typed
//! parameters, `evt.args` rendering) and `.scap` capture reading and writing.
//!
//! State (threads, fds), fields and the live eBPF source build on these modules.
#![deny(unsafe_op_in_unsafe_fn)]

pub mod convert;
pub mod event_table;
pub mod fields;
pub mod flags;
pub mod params;
pub mod plugin;
pub mod replay;
pub mod scap;
pub mod state;
pub mod syscalls;
pub mod threads_table;
