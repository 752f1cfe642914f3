pub mod linux_flags;
pub mod proc_scan;
pub mod records;
pub mod session;
pub mod spec;
pub mod syscall_nr;
pub mod to_scap;
