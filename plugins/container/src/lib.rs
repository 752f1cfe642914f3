//! Saker's `container` plugin (`libcontainer.so`): the container of each thread from its
//! cgroups, container metadata from the docker and podman sockets, and the 61 `container.*`,
//! `proc.is_container_*` and `k8s.*` fields of Falco's container plugin 0.7.1, so the official
//! rules (`required_plugin_versions: container >= 0.4.0`) load and match unchanged.
//!
//! The plugin reads the syscall plugin's `threads` table (fields `cgroups`,
//! `pidns_init_start_ts`, `vtid`, `vpid`) and adds the string field `container_id` to it
//! (`""` for host threads), which other plugins and the host can read.
#![deny(unsafe_op_in_unsafe_fn)]

pub mod cgroup;
pub mod config;
pub mod containers;
pub mod fields;
pub mod info;
pub mod plugin;
pub mod runtime;

pub use cgroup::{CgroupMatch, CgroupMatcher};
pub use config::ContainerConfig;
pub use containers::{ContainerCache, State};
pub use info::{ContainerInfo, ContainerType, Mount};
pub use plugin::ContainerPlugin;

/// `s` cut to at most `max` bytes at a character boundary.
pub fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
