//! Saker's syscall source (`libsyscall.so`): the scap event model (event table, typed
//! parameters, `evt.args` rendering), `.scap` capture reading and writing, capture replay,
//! the process/fd/user state ([`state`]) kept from events as libsinsp keeps it, the syscall
//! fields over that state, the `threads` table for other plugins, and the plugin shell
//! ([`plugin`]: source id 0 = the `syscall` source, parse, extract).
//!
//! The live eBPF source builds on these modules.
#![deny(unsafe_op_in_unsafe_fn)]

pub mod convert;
pub mod event_table;
pub mod fields;
pub mod flags;
pub mod live;
pub mod params;
pub mod plugin;
pub mod replay;
pub mod scap;
pub mod state;
pub mod syscalls;
pub mod threads_table;
