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
pub mod fuzzing;
/// Live capture with eBPF, user side: the raw records the kernel programs send
/// (`bpf/records.h`) become the same scap events replay produces, so the state, fields and
/// capture writer are shared.
///
/// Flow: [`spec::capture_table`] fills the kernel's `syscall_cfg` map; the loader's ring
/// buffers implement [`session::RawSource`]; [`session::LiveSession::seed`] fills the state
/// from /proc ([`proc_scan`]); [`session::LiveSession::next_batch`] parses records
/// ([`records`]) and builds events ([`to_scap::ScapBuilder`]) for the host.
pub mod live;
pub mod params;
pub mod plugin;
pub mod replay;
pub mod scap;
pub mod state;
pub mod syscalls;
pub mod testing;
pub mod threads_table;
