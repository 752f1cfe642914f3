//! One BPF ring buffer map read in place (the layout of kernel/bpf/ringbuf.c): a consumer
//! page user space writes its position to, a producer page, then the data pages mapped twice
//! in a row so a record that wraps around the end reads as one slice.
//!
//! The consumer position is handed back to the kernel once per [`Ring::read`] call rather than
//! once per record: the programs read it on every record they write (to see the free room), so
//! each store from the reader's CPU costs the writing CPU a cache miss.

use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use aya::maps::MapData;

/// Every record starts with this header: a u32 length with the flags below, a u32 page offset.
const HDR_SZ: usize = 8;
/// The record is reserved but not committed yet.
const BUSY_BIT: u32 = 1 << 31;
/// The record was discarded: skip it.
const DISCARD_BIT: u32 = 1 << 30;

/// A shared mapping of part of the ring buffer map, unmapped on drop.
struct Mapping {
    ptr: *mut libc::c_void,
    len: usize,
}

impl Mapping {
    fn new(fd: RawFd, len: usize, prot: libc::c_int, offset: usize) -> std::io::Result<Mapping> {
        let offset =
            libc::off_t::try_from(offset).map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        // SAFETY: a fresh shared mapping of the map's fd; the kernel checks length, protection
        // and offset against the ring buffer's layout. The result is checked for MAP_FAILED.
        let ptr = unsafe { libc::mmap(std::ptr::null_mut(), len, prot, libc::MAP_SHARED, fd, offset) };
        if ptr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Mapping { ptr, len })
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: ptr/len are the mapping made in `new`, unmapped only here.
        unsafe { libc::munmap(self.ptr, self.len) };
    }
}

/// A ring buffer map and its mappings.
pub struct Ring {
    /// The consumer page (read-write): its first word is the consumer position.
    consumer: Mapping,
    /// The producer page (its first word is the producer position), then the data pages twice.
    producer: Mapping,
    page: usize,
    mask: usize,
    /// Where the next record starts (may be ahead of what the kernel was told).
    pos: usize,
    /// Keeps the map (and its fd) open as long as the mappings.
    map: MapData,
}

// SAFETY: the mappings are owned by the Ring (no aliasing in this process); the kernel side
// synchronises through the atomic positions.
unsafe impl Send for Ring {}

impl Ring {
    /// Maps ring buffer `map` of `size` data bytes (a power of two, a multiple of the page).
    pub fn new(map: MapData, size: u32) -> std::io::Result<Ring> {
        // SAFETY: sysconf has no memory arguments.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
        let size = size as usize;
        let fd = map.fd().as_fd().as_raw_fd();
        let consumer = Mapping::new(fd, page, libc::PROT_READ | libc::PROT_WRITE, 0)?;
        let producer = Mapping::new(fd, page + 2 * size, libc::PROT_READ, page)?;
        let mut ring = Ring {
            consumer,
            producer,
            page,
            mask: size - 1,
            pos: 0,
            map,
        };
        ring.pos = ring.consumer_pos().load(Ordering::Acquire);
        Ok(ring)
    }

    pub fn fd(&self) -> RawFd {
        self.map.fd().as_fd().as_raw_fd()
    }

    fn consumer_pos(&self) -> &AtomicUsize {
        // SAFETY: the consumer page is mapped read-write for the Ring's lifetime; its first word
        // is the kernel's consumer position (unsigned long), aligned to the page.
        unsafe { &*self.consumer.ptr.cast::<AtomicUsize>() }
    }

    fn producer_pos(&self) -> &AtomicUsize {
        // SAFETY: as above, the producer page's first word (written by the kernel only).
        unsafe { &*self.producer.ptr.cast::<AtomicUsize>() }
    }

    /// Bytes written by the programs that this reader has not consumed yet.
    pub fn pending(&self) -> usize {
        self.producer_pos().load(Ordering::Acquire).wrapping_sub(self.pos)
    }

    /// Calls `f` with each committed record, oldest first, at most `max` of them; stops at a
    /// record still being written. Then tells the kernel how far it read. Returns the count.
    pub fn read(&mut self, max: usize, f: &mut dyn FnMut(&[u8])) -> usize {
        let mut n = 0;
        let mut producer = self.producer_pos().load(Ordering::Acquire);
        // SAFETY: the data pages start one page into the producer mapping and are mapped twice
        // (2 * (mask + 1) bytes), so any record below the ring's size read from an offset
        // inside the first copy stays inside the mapping.
        let data = unsafe { self.producer.ptr.cast::<u8>().add(self.page) };
        let start = self.pos;
        while n < max {
            if self.pos == producer {
                producer = self.producer_pos().load(Ordering::Acquire);
                if self.pos == producer {
                    break;
                }
            }
            let offset = self.pos & self.mask;
            // SAFETY: offset < ring size; the header is 8-byte aligned inside the data pages;
            // the kernel commits a record by an atomic exchange of this word (release), read
            // with acquire so the record's bytes are visible.
            let header = unsafe { (*data.add(offset).cast::<AtomicU32>()).load(Ordering::Acquire) };
            if header & BUSY_BIT != 0 {
                break;
            }
            let len = (header & !(BUSY_BIT | DISCARD_BIT)) as usize;
            if len > self.mask + 1 - HDR_SZ {
                // Never written by the kernel; stop rather than read outside the mapping.
                break;
            }
            if header & DISCARD_BIT == 0 {
                // SAFETY: offset + HDR_SZ + len <= 2 * ring size (see above); the kernel does not
                // touch a committed record until the consumer position passes it.
                let record = unsafe { std::slice::from_raw_parts(data.add(offset + HDR_SZ), len) };
                f(record);
                n += 1;
            }
            self.pos = self.pos.wrapping_add((len + HDR_SZ).next_multiple_of(8));
        }
        if self.pos != start {
            // SeqCst as the kernel's own position updates: either the next look at the producer
            // position sees a record committed meanwhile, or the kernel sees the room freed.
            self.consumer_pos().store(self.pos, Ordering::SeqCst);
        }
        n
    }
}
