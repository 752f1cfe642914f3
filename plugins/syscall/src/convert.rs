//! Upgrading events of old captures to the current event model, as libscap's savefile
//! converter does (`reference/scap-format.md` §9), derived from the event table alone:
//!
//! - `EF_UNUSED` events are dropped;
//! - enter events superseded by their exit (`EF_OLD_VERSION` enters with a used exit code)
//!   are stored per thread and dropped;
//! - exit events, and standalone enter events (whose exit code is unused, e.g. `procexit`,
//!   `switch`), are rewritten as the current (non-`EF_OLD_VERSION`) code of the same name:
//!   each current parameter comes from the old event's parameter of the same name, else from
//!   the stored enter event's parameter of the same name, else is empty (not available).
//!
//! libscap drives this with a hand-written table of per-version instructions; matching by
//! parameter name gives the same result wherever names were kept across versions. Known
//! differences: `PPME_CONTAINER_E` (228) is passed unchanged (libscap synthesizes JSON), and
//! parameters that were renamed between versions come out empty.

use std::collections::HashMap;

use plugin_api::event::{EventError, EventRef, EventWriter};

use crate::event_table::{all_events, event_info, Direction, EventFlags, EventInfo};

/// Most enter events kept waiting for their exit (one per thread); beyond it the store is
/// cleared and the loss counted, so a capture of many threads stays bounded.
pub const MAX_PENDING_ENTERS: usize = 65_536;

/// Why an event could not be upgraded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    #[error("event type {event_type} is not in the event table; it cannot be upgraded")]
    UnknownEventType { event_type: u16 },
    #[error("upgrading event type {from} to {to}: {source}")]
    Encode { from: u16, to: u16, source: EventError },
}

/// Result of [`EventConverter::convert`].
#[derive(Debug)]
pub enum Converted<'a> {
    /// Already current: the input event.
    Pass(EventRef<'a>),
    /// Rewritten into the converter's buffer.
    Upgraded(EventRef<'a>),
    /// Not an event of the current model (unused code, or an enter event kept for its exit).
    Dropped,
}

/// Counters of what the converter did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversionStats {
    pub passed: u64,
    pub upgraded: u64,
    pub dropped_unused: u64,
    pub stored_enters: u64,
    /// Enter events discarded because [`MAX_PENDING_ENTERS`] was reached.
    pub evicted_enters: u64,
}

/// Stateful upgrader; feed it every event of a capture in order.
#[derive(Debug, Default)]
pub struct EventConverter {
    /// Last old enter event per thread id.
    enters: HashMap<u64, Vec<u8>>,
    out: Vec<u8>,
    stats: ConversionStats,
}

/// The current code with the same name and direction as `info` (itself if current).
fn current_version(info: &'static EventInfo) -> &'static EventInfo {
    if !info.flags.contains(EventFlags::OLD_VERSION) {
        return info;
    }
    all_events()
        .iter()
        .filter(|e| {
            e.name == info.name
                && e.direction == info.direction
                && !e.flags.contains(EventFlags::OLD_VERSION)
                && !e.flags.contains(EventFlags::UNUSED)
        })
        .max_by_key(|e| e.code)
        .unwrap_or(info)
}

/// Whether the exit code paired with this enter code is used.
fn has_exit(info: &EventInfo) -> bool {
    event_info(info.code + 1).is_some_and(|x| !x.flags.contains(EventFlags::UNUSED))
}

fn param_named<'e>(ev: &EventRef<'e>, info: &EventInfo, name: &str) -> Option<&'e [u8]> {
    let i = info.param_index(name)?;
    if i < ev.nparams() as usize {
        ev.param(i)
    } else {
        None
    }
}

impl EventConverter {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn stats(&self) -> &ConversionStats {
        &self.stats
    }

    /// Upgrades one event; the result borrows either `ev` or the converter.
    pub fn convert<'r>(&'r mut self, ev: EventRef<'r>) -> Result<Converted<'r>, ConvertError> {
        let info = event_info(ev.event_type()).ok_or(ConvertError::UnknownEventType {
            event_type: ev.event_type(),
        })?;
        if info.flags.contains(EventFlags::UNUSED) {
            self.stats.dropped_unused += 1;
            return Ok(Converted::Dropped);
        }
        if info.direction == Direction::Enter && info.flags.contains(EventFlags::OLD_VERSION) && has_exit(info) {
            if self.enters.len() >= MAX_PENDING_ENTERS && !self.enters.contains_key(&ev.tid()) {
                self.stats.evicted_enters += self.enters.len() as u64;
                self.enters.clear();
            }
            let slot = self.enters.entry(ev.tid()).or_default();
            slot.clear();
            slot.extend_from_slice(ev.as_bytes());
            self.stats.stored_enters += 1;
            return Ok(Converted::Dropped);
        }
        let target = current_version(info);
        if target.code == info.code && ev.nparams() as usize == info.params.len() {
            self.stats.passed += 1;
            return Ok(Converted::Pass(ev));
        }
        // Only exits take parameters from a stored enter of the same syscall.
        let enter = if info.direction == Direction::Exit {
            self.enters.remove(&ev.tid())
        } else {
            None
        };
        let enter = enter.as_deref().and_then(|b| {
            let e = EventRef::parse(b, false).ok()?;
            let ei = event_info(e.event_type())?;
            (ei.name == info.name).then_some((e, ei))
        });
        if target.code != info.code
            && !info.params.is_empty()
            && !target.params.iter().any(|p| info.param_index(p.name).is_some())
        {
            // Nothing in common with the current layout (e.g. old container events): keep it.
            self.stats.passed += 1;
            return Ok(Converted::Pass(ev));
        }
        self.out.clear();
        let mut w = EventWriter::begin_with_slots(
            &mut self.out,
            ev.ts(),
            ev.tid(),
            target.code,
            target.params.len() as u32,
            target.is_large_payload(),
        );
        let encode_err = |source| ConvertError::Encode {
            from: info.code,
            to: target.code,
            source,
        };
        for p in target.params {
            let value = param_named(&ev, info, p.name)
                .or_else(|| enter.as_ref().and_then(|(e, ei)| param_named(e, ei, p.name)))
                .unwrap_or(&[]);
            w.param(value).map_err(encode_err)?;
        }
        w.finish().map_err(encode_err)?;
        let upgraded = EventRef::parse(&self.out, target.is_large_payload()).map_err(encode_err)?;
        self.stats.upgraded += 1;
        Ok(Converted::Upgraded(upgraded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(ty: u16, tid: u64, params: &[&[u8]]) -> Vec<u8> {
        let mut b = Vec::new();
        let mut w = EventWriter::begin(&mut b, 5, tid, ty, params.len() as u32);
        for p in params {
            w.param(p).unwrap();
        }
        w.finish().unwrap();
        b
    }

    #[test]
    fn exit_takes_missing_params_from_its_enter() {
        let mut c = EventConverter::new();
        // read enter (fd, size) then an old read exit with only (res, data).
        let enter = event(6, 9, &[&3i64.to_le_bytes(), &832u32.to_le_bytes()]);
        let exit = event(7, 9, &[&832i64.to_le_bytes(), b"ELF"]);
        assert!(matches!(
            c.convert(EventRef::parse(&enter, false).unwrap()).unwrap(),
            Converted::Dropped
        ));
        let Converted::Upgraded(up) = c.convert(EventRef::parse(&exit, false).unwrap()).unwrap() else {
            panic!("expected an upgrade")
        };
        assert_eq!(up.event_type(), 7);
        assert_eq!(up.nparams(), 4);
        assert_eq!(up.param(2), Some(&3i64.to_le_bytes()[..]));
        assert_eq!(up.param(3), Some(&832u32.to_le_bytes()[..]));
    }

    #[test]
    fn old_versions_change_type_and_standalone_enters_upgrade() {
        let mut c = EventConverter::new();
        // brk_1_X (res) → brk_4_X (res, vm_size, vm_rss, vm_swap, addr) with the rest empty.
        let old = event(11, 1, &[&0x1000u64.to_le_bytes()]);
        let Converted::Upgraded(up) = c.convert(EventRef::parse(&old, false).unwrap()).unwrap() else {
            panic!("expected an upgrade")
        };
        assert_eq!(up.event_type(), 159);
        assert_eq!(up.param(0), Some(&0x1000u64.to_le_bytes()[..]));
        assert_eq!(up.param(4), Some(&[][..]));
        // procexit_E (no params) → procexit_1_E; it has no exit so it is not stored.
        let pe = event(16, 1, &[]);
        let Converted::Upgraded(up) = c.convert(EventRef::parse(&pe, false).unwrap()).unwrap() else {
            panic!("expected an upgrade")
        };
        assert_eq!((up.event_type(), up.nparams()), (186, 5));
        // Current events pass untouched; unused codes are dropped.
        let cur = event(234, 1, &[&1u64.to_le_bytes(), &2u64.to_le_bytes()]);
        assert!(matches!(
            c.convert(EventRef::parse(&cur, false).unwrap()).unwrap(),
            Converted::Pass(_)
        ));
        let unused = event(17, 1, &[]);
        assert!(matches!(
            c.convert(EventRef::parse(&unused, false).unwrap()).unwrap(),
            Converted::Dropped
        ));
        assert_eq!(c.stats().dropped_unused, 1);
    }
}
