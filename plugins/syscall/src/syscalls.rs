//! System-independent syscall codes (`ppm_sc`): the `ID` parameter of the generic event,
//! and the syscalls that have no dedicated event (they appear only as generic events).

use std::sync::OnceLock;

use crate::event_table::{all_events, EventFlags};

include!(concat!(env!("OUT_DIR"), "/ppm_sc.rs"));

/// ppm_sc entries that are tracepoints or placeholders, not syscalls.
const NOT_SYSCALLS: [&str; 6] = [
    "unknown",
    "sched_process_exit",
    "sched_switch",
    "page_fault_user",
    "page_fault_kernel",
    "signal_deliver",
];

/// The syscall name of a ppm_sc code.
pub fn syscall_name(code: u16) -> Option<&'static str> {
    PPM_SC_NAMES
        .binary_search_by_key(&code, |&(c, _)| c)
        .ok()
        .map(|i| PPM_SC_NAMES[i].1)
}

/// Syscalls without a dedicated (current or old) event in the event table: libscap reports
/// them as generic events whose `ID` names them.
pub fn generic_syscalls() -> &'static [&'static str] {
    static LIST: OnceLock<Vec<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        PPM_SC_NAMES
            .iter()
            .map(|&(_, n)| n)
            .filter(|n| !NOT_SYSCALLS.contains(n))
            .filter(|n| {
                !all_events()
                    .iter()
                    .any(|e| e.name == *n && !e.flags.contains(EventFlags::UNUSED))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_by_code() {
        assert_eq!(syscall_name(139), Some("madvise"));
        assert_eq!(syscall_name(5), Some("open"));
        assert_eq!(syscall_name(382), None, "unassigned code");
        assert_eq!(syscall_name(u16::MAX), None);
    }

    #[test]
    fn generic_list_excludes_dedicated_events_and_tracepoints() {
        let g = generic_syscalls();
        assert!(g.contains(&"madvise") && g.contains(&"getpid") && g.contains(&"sched_yield"));
        for dedicated in ["open", "execve", "clone", "connect", "read"] {
            assert!(!g.contains(&dedicated), "{dedicated} has its own event");
        }
        assert!(!g.contains(&"sched_switch") && !g.contains(&"unknown"));
    }
}
