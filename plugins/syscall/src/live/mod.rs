//! Live capture with eBPF: the kernel programs' loader ([`bpf`]) and the turning of their raw
//! records (`bpf/records.h`) into scap events.

pub mod bpf;
pub mod instance;
mod interfaces;
pub mod linux_flags;
pub mod proc_scan;
pub mod records;
mod ring;
pub mod session;
pub mod spec;
pub mod syscall_nr;
pub mod to_scap;
