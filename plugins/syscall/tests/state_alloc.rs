//! The state update allocates nothing per event in the steady state: once a process exists,
//! a loop of openat (absolute and relative paths), read, write, newfstatat, failed openat and
//! close events makes no heap allocation (a counting global allocator proves it). Creating
//! processes (clone, execve) still allocates: their strings are new data.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use plugin_api::event::EventRef;
use syscall::event_table::Direction;
use syscall::scap::ProcessEntry;
use syscall::state::ThreadTable;
use syscall::testing::{encode_event, Arg as V};

thread_local! {
    /// Allocations made by this thread while counting is on (other test threads do not count).
    static ALLOCATIONS: Cell<Option<u64>> = const { Cell::new(None) };
}

struct CountingAllocator;

// SAFETY: every call is forwarded unchanged to the system allocator; the counter is a
// thread-local `Cell` that never allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn count() {
    let _ = ALLOCATIONS.try_with(|c| {
        if let Some(n) = c.get() {
            c.set(Some(n + 1));
        }
    });
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Allocations made by `f` on this thread.
fn allocations_of(f: impl FnOnce()) -> u64 {
    ALLOCATIONS.with(|c| c.set(Some(0)));
    f();
    ALLOCATIONS.with(|c| c.replace(None)).unwrap_or(0)
}

/// An event at time 1 (see [`with_ts`]).
fn event(name: &str, dir: Direction, tid: i64, params: &[(&str, V<'_>)]) -> Vec<u8> {
    encode_event(name, dir, 1, tid, params)
}

/// Sets the timestamp of an encoded event (the first 8 bytes).
fn with_ts(mut ev: Vec<u8>, ts: u64) -> Vec<u8> {
    ev[..8].copy_from_slice(&ts.to_ne_bytes());
    ev
}

const TID: i64 = 100;
const AT_FDCWD: i64 = -100;

/// One iteration of the loop: the events of open/read/write/stat/close on fd 3 and 4.
fn io_loop_events() -> Vec<Vec<u8>> {
    use Direction::{Enter as E, Exit as X};
    vec![
        event(
            "openat",
            E,
            TID,
            &[("dirfd", V::I(AT_FDCWD)), ("name", V::S("/etc/hostname"))],
        ),
        event(
            "openat",
            X,
            TID,
            &[
                ("fd", V::I(3)),
                ("dirfd", V::I(AT_FDCWD)),
                ("name", V::S("/etc/hostname")),
                ("flags", V::I(1)),
            ],
        ),
        event(
            "openat",
            X,
            TID,
            &[
                ("fd", V::I(4)),
                ("dirfd", V::I(AT_FDCWD)),
                ("name", V::S("../u/./notes.txt")),
                ("flags", V::I(1)),
            ],
        ),
        event(
            "openat",
            X,
            TID,
            &[("fd", V::I(-2)), ("dirfd", V::I(AT_FDCWD)), ("name", V::S("missing"))],
        ),
        event(
            "read",
            X,
            TID,
            &[
                ("res", V::I(5)),
                ("data", V::B(b"hello")),
                ("fd", V::I(3)),
                ("size", V::I(256)),
            ],
        ),
        event(
            "write",
            X,
            TID,
            &[
                ("res", V::I(5)),
                ("data", V::B(b"hello")),
                ("fd", V::I(4)),
                ("size", V::I(5)),
            ],
        ),
        event(
            "newfstatat",
            X,
            TID,
            &[("res", V::I(0)), ("dirfd", V::I(AT_FDCWD)), ("path", V::S("notes.txt"))],
        ),
        event("close", X, TID, &[("res", V::I(0)), ("fd", V::I(3))]),
        event("close", X, TID, &[("res", V::I(0)), ("fd", V::I(4))]),
        event("close", X, TID, &[("res", V::I(-9)), ("fd", V::I(77))]),
    ]
}

fn seeded() -> ThreadTable {
    let mut st = ThreadTable::new();
    st.add_process_entry(&ProcessEntry {
        tid: TID as u64,
        pid: TID as u64,
        ptid: 1,
        comm: "cat".into(),
        exe: "/bin/cat".into(),
        exepath: "/bin/cat".into(),
        cwd: "/home/u".into(),
        ..ProcessEntry::default()
    });
    st
}

#[test]
fn file_io_events_allocate_nothing_in_the_steady_state() {
    let mut st = seeded();
    let events = io_loop_events();
    let mut ts = 1_000;
    let mut run = |st: &mut ThreadTable, iterations: usize| {
        // The timestamps are set before counting (they live in the event bytes).
        let batch: Vec<Vec<u8>> = (0..iterations)
            .flat_map(|_| events.iter().cloned())
            .map(|e| {
                ts += 1_000;
                with_ts(e, ts)
            })
            .collect();
        allocations_of(|| {
            for bytes in &batch {
                let ev = EventRef::parse(bytes, false).unwrap();
                st.parse_event(ev).unwrap();
            }
        })
    };
    // Warm-up: the first iterations fill the maps and the recycled buffers.
    run(&mut st, 8);
    let steady = run(&mut st, 1_000);
    assert_eq!(
        steady, 0,
        "the state allocated {steady} times over 10 000 file I/O events"
    );
    // The loop did what it says: the fds were opened, resolved and closed.
    assert!(st.fd(TID, 3).is_none() && st.fd(TID, 4).is_none());
    assert_eq!(st.stats().events_parsed, 1_008 * events.len() as u64);
}

#[test]
fn the_counter_sees_allocations() {
    let n = allocations_of(|| {
        std::hint::black_box(vec![1u8; 64]);
    });
    assert_eq!(n, 1);
}

#[test]
fn open_resolves_relative_paths_without_losing_them() {
    let mut st = seeded();
    for bytes in io_loop_events().iter().take(3) {
        st.parse_event(EventRef::parse(bytes, false).unwrap()).unwrap();
    }
    assert_eq!(st.fd(TID, 3).map(|f| f.name.as_str()), Some("/etc/hostname"));
    assert_eq!(st.fd(TID, 4).map(|f| f.name.as_str()), Some("/home/u/notes.txt"));
    assert_eq!(st.fd(TID, 4).map(|f| f.name_raw.as_str()), Some("../u/./notes.txt"));
}
