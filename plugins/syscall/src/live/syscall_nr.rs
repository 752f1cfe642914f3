//! x86_64 syscall numbers ↔ names (`syscalls_x86_64.tsv`, taken from the kernel UAPI header
//! `asm/unistd_64.h` and checked in so builds need no header) and, for every syscall, the scap
//! exit event Saker emits for it: the newest exit event of that name in the event table, else
//! the generic exit event (`PPME_GENERIC_X`, ID = ppm_sc code, nativeID = syscall nr).

use std::sync::OnceLock;

use crate::event_table::{all_events, Direction, EventFlags};
use crate::syscalls::PPM_SC_NAMES;

const TABLE: &str = include_str!("syscalls_x86_64.tsv");

/// Size of the syscall number space the capture table covers (`SAKER_MAX_SYSCALLS`).
pub const MAX_SYSCALLS: usize = 512;
/// `PPME_GENERIC_X`.
pub const GENERIC_X: u16 = 1;

/// What Saker emits for one syscall number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyscallInfo {
    pub nr: u16,
    /// The kernel's name (`pread64`, `umount2`…).
    pub name: &'static str,
    /// The event table's name for it (`pread`, `umount2`…), also the rules' `evt.type`.
    pub event_name: &'static str,
    /// The scap exit event code ([`GENERIC_X`] when there is no dedicated event).
    pub exit_event: u16,
    /// libs' system-independent code (`ppm_sc`), 0 when unknown.
    pub ppm_sc: u16,
}

/// Kernel names whose events carry another name.
fn event_name_of(kernel_name: &'static str) -> &'static str {
    match kernel_name {
        "pread64" => "pread",
        "pwrite64" => "pwrite",
        "_llseek" => "llseek",
        n => n,
    }
}

/// The newest non-deprecated exit event named `name`.
pub fn newest_exit_event(name: &str) -> Option<u16> {
    all_events()
        .iter()
        .filter(|e| {
            e.name == name
                && e.direction == Direction::Exit
                && !e.flags.contains(EventFlags::OLD_VERSION)
                && !e.flags.contains(EventFlags::UNUSED)
        })
        .map(|e| e.code)
        .max()
}

fn ppm_sc_code(name: &str) -> u16 {
    PPM_SC_NAMES.iter().find(|(_, n)| *n == name).map_or(0, |(c, _)| *c)
}

fn table() -> &'static [Option<SyscallInfo>; MAX_SYSCALLS] {
    static T: OnceLock<Box<[Option<SyscallInfo>; MAX_SYSCALLS]>> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = Box::new([None; MAX_SYSCALLS]);
        for line in TABLE.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
            let Some((nr, name)) = line.split_once('\t') else {
                continue;
            };
            let Ok(nr) = nr.parse::<u16>() else { continue };
            if nr as usize >= MAX_SYSCALLS {
                continue;
            }
            let event_name = event_name_of(name);
            t[nr as usize] = Some(SyscallInfo {
                nr,
                name,
                event_name,
                exit_event: newest_exit_event(event_name).unwrap_or(GENERIC_X),
                ppm_sc: ppm_sc_code(name),
            });
        }
        t
    })
}

/// The syscall with number `nr` (`None` for unassigned numbers).
pub fn by_nr(nr: u16) -> Option<&'static SyscallInfo> {
    table().get(nr as usize)?.as_ref()
}

/// The syscall called `name` (kernel name, or the event name such as `pread`).
pub fn by_name(name: &str) -> Option<&'static SyscallInfo> {
    table()
        .iter()
        .flatten()
        .find(|s| s.name == name)
        .or_else(|| table().iter().flatten().find(|s| s.event_name == name))
}

/// Every known syscall, by number.
pub fn all() -> impl Iterator<Item = &'static SyscallInfo> {
    table().iter().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_names_and_exit_events() {
        let openat = by_name("openat").unwrap();
        assert_eq!((openat.nr, openat.exit_event), (257, 307));
        assert_eq!(by_nr(59).unwrap().name, "execve");
        assert_eq!(by_nr(59).unwrap().exit_event, 293);
        assert_eq!(by_name("connect").unwrap().exit_event, 23);
        assert_eq!(by_name("clone3").unwrap().exit_event, 335);
        assert_eq!(by_name("accept4").unwrap().exit_event, 389);
        let pread = by_name("pread64").unwrap();
        assert_eq!((pread.nr, pread.exit_event), (17, 115 - 2));
        assert_eq!(by_name("pread").unwrap().nr, 17);
        // No dedicated event: the generic exit with the ppm_sc code.
        let mlock_free = by_name("sched_yield").unwrap();
        assert_eq!(mlock_free.exit_event, GENERIC_X);
        assert_eq!(crate::syscalls::syscall_name(mlock_free.ppm_sc), Some("sched_yield"));
        assert!(by_nr(511).is_none());
        // Every number maps to a known event with an exit direction.
        for s in all() {
            let e = crate::event_table::event_info(s.exit_event).unwrap();
            assert_eq!(e.direction, Direction::Exit, "{}", s.name);
        }
    }
}
