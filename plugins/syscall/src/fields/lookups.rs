//! The state lookups every field of an event repeats (its thread, its process's main thread,
//! the fd it is about), made once per event.

use std::ptr::NonNull;

use crate::params::DecodedEvent;
use crate::state::{FdInfo, ThreadInfo, ThreadTable};

/// Lookups of one event in one state, filled on first use. Valid while the state is not
/// changed: make a new one (or [`EventLookups::default`]) after every change.
#[derive(Debug, Default, Clone, Copy)]
pub struct EventLookups<'s> {
    /// The event's thread and its process's main thread (the thread itself when the main
    /// thread is unknown), once looked up.
    thread: Option<(Option<&'s ThreadInfo>, Option<&'s ThreadInfo>)>,
    /// [`super::state::event_fd_info`], once looked up.
    fd: Option<Option<&'s FdInfo>>,
}

impl<'s> EventLookups<'s> {
    /// The thread `tid` (the event's) and its main thread.
    pub fn thread(&mut self, state: &'s ThreadTable, tid: i64) -> (Option<&'s ThreadInfo>, Option<&'s ThreadInfo>) {
        *self
            .thread
            .get_or_insert_with(|| (state.thread(tid), state.main_thread(tid)))
    }

    /// The fd info of the fd the event is about, if known.
    pub fn event_fd(&mut self, ev: &DecodedEvent<'_>, state: &'s ThreadTable) -> Option<&'s FdInfo> {
        *self.fd.get_or_insert_with(|| super::state::event_fd_info(ev, state))
    }
}

/// What tells events apart for [`MemoState::with_lookups`]: the host's event number with
/// the header fields the lookups depend on (hosts that do not number events still differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventKey {
    pub evt_num: u64,
    pub ts: u64,
    pub tid: u64,
    pub event_type: u16,
}

impl EventKey {
    pub fn new(evt_num: u64, ev: &DecodedEvent<'_>) -> EventKey {
        EventKey {
            evt_num,
            ts: ev.event.ts(),
            tid: ev.event.tid(),
            event_type: ev.event.event_type(),
        }
    }
}

/// A [`ThreadTable`] with the [`EventLookups`] of the event whose fields are being extracted,
/// kept from one field to the next. Every change to the state goes through
/// [`MemoState::state_mut`], which forgets them.
#[derive(Debug, Default)]
pub struct MemoState {
    state: ThreadTable,
    memo: Option<SavedLookups>,
}

/// [`EventLookups`] as pointers into `MemoState::state`, for one event and one address of the
/// table (references into the table itself, such as the fd a close destroyed, move with it).
#[derive(Debug)]
struct SavedLookups {
    event: EventKey,
    table: *const ThreadTable,
    thread: Option<(Option<NonNull<ThreadInfo>>, Option<NonNull<ThreadInfo>>)>,
    fd: Option<Option<NonNull<FdInfo>>>,
}

// SAFETY: the pointers are only dereferenced through `&MemoState`/`&mut MemoState`, under the
// same rules as the references they were made from; they point into data `MemoState` owns.
unsafe impl Send for MemoState {}

impl MemoState {
    pub fn new(state: ThreadTable) -> MemoState {
        MemoState { state, memo: None }
    }

    pub fn state(&self) -> &ThreadTable {
        &self.state
    }

    /// The state for changing it; the saved lookups are forgotten.
    pub fn state_mut(&mut self) -> &mut ThreadTable {
        self.memo = None;
        &mut self.state
    }

    /// Runs `f` on the state with the lookups made so far for `event` (none for another
    /// event), and keeps what `f` adds for the next field of the same event.
    pub fn with_lookups<R>(
        &mut self,
        event: EventKey,
        f: impl for<'a> FnOnce(&'a ThreadTable, &mut EventLookups<'a>) -> R,
    ) -> R {
        let table: *const ThreadTable = &self.state;
        let mut lookups = match &self.memo {
            // SAFETY: saved from references into `self.state` (or 'static data) for this
            // event at this address; the state has not changed since (`state_mut` forgets
            // them) nor moved (the address matches), so they are valid for this borrow.
            Some(m) if m.event == event && m.table == table => unsafe {
                EventLookups {
                    thread: m
                        .thread
                        .map(|(t, main)| (t.map(|p| p.as_ref()), main.map(|p| p.as_ref()))),
                    fd: m.fd.map(|f| f.map(|p| p.as_ref())),
                }
            },
            _ => EventLookups::default(),
        };
        // `f` works for any lifetime, so it can only store references it got from this
        // state (or 'static ones) in the lookups.
        let r = f(&self.state, &mut lookups);
        let saved = SavedLookups {
            event,
            table,
            thread: lookups
                .thread
                .map(|(t, main)| (t.map(NonNull::from), main.map(NonNull::from))),
            fd: lookups.fd.map(|f| f.map(NonNull::from)),
        };
        self.memo = Some(saved);
        r
    }
}
