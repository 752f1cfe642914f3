//! Live capture with eBPF: the kernel programs' loader ([`bpf`]) and the turning of their raw
//! records (`bpf/records.h`) into scap events.

pub mod bpf;
