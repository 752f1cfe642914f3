//! Live capture with eBPF: the raw records the kernel programs send (`bpf/records.h`), the
//! per-syscall capture table, raw record → scap event conversion, /proc seeding and the
//! session that ties them to the plugin.
pub mod linux_flags;
pub mod proc_scan;
pub mod records;
pub mod session;
pub mod spec;
pub mod syscall_nr;
pub mod to_scap;
