//! `.scap` capture files: pcapng-style blocks (`reference/scap-format.md`), read as a stream
//! (plain or gzip) and written in the current layout.
//!
//! ```no_run
//! use syscall::scap::{CaptureItem, CaptureReader};
//! let mut r = CaptureReader::open("trace.scap")?;
//! while let Some(item) = r.next_item()? {
//!     if let CaptureItem::Event(ev) = item {
//!         println!("{} {}", ev.event.ts(), ev.event.event_type());
//!     }
//! }
//! # Ok::<(), syscall::scap::ScapError>(())
//! ```

mod reader;
mod records;
mod writer;

pub use reader::{CaptureItem, CaptureReader, CaptureStats, CapturedEvent};
pub use records::{
    fd_type, FdEntry, FdInfo, Interface, MachineInfo, ProcessEntry, SectionHeader, UserListEntry, LOGINUID_UNSET,
    MACHINE_INFO_LEN, MAX_CREDENTIAL_LEN, MAX_LIST_LEN, MAX_PATH_LEN,
};
pub use writer::{CaptureWriter, Compression, FileSink};

use plugin_api::event::EventError;

/// Block type ids and limits.
pub mod block {
    pub const SECTION_HEADER: u32 = 0x0A0D_0D0A;
    pub const MACHINE_INFO: u32 = 0x201;
    pub const MACHINE_INFO_LEGACY: u32 = 0x8002_ABCD;
    pub const PROCESS_LIST_V1: u32 = 0x202;
    pub const PROCESS_LIST_V1_LEGACY: u32 = 0x8000_ABCD;
    pub const PROCESS_LIST_V2: u32 = 0x207;
    pub const PROCESS_LIST_V2_LEGACY: u32 = 0x8013_ABCD;
    pub const PROCESS_LIST_V3: u32 = 0x209;
    pub const PROCESS_LIST_V3_LEGACY: u32 = 0x8014_ABCD;
    pub const PROCESS_LIST_V4: u32 = 0x210;
    pub const PROCESS_LIST_V5: u32 = 0x211;
    pub const PROCESS_LIST_V6: u32 = 0x212;
    pub const PROCESS_LIST_V7: u32 = 0x213;
    pub const PROCESS_LIST_V8: u32 = 0x214;
    pub const PROCESS_LIST_V9: u32 = 0x215;
    pub const FD_LIST: u32 = 0x203;
    pub const FD_LIST_LEGACY: u32 = 0x8001_ABCD;
    pub const FD_LIST_V2: u32 = 0x218;
    pub const EVENT: u32 = 0x204;
    pub const EVENT_LEGACY: u32 = 0x8010_ABCD;
    pub const EVENT_V2: u32 = 0x216;
    pub const EVENT_V2_LARGE: u32 = 0x221;
    pub const EVENT_FLAGS: u32 = 0x208;
    pub const EVENT_FLAGS_V2: u32 = 0x217;
    pub const EVENT_FLAGS_V2_LARGE: u32 = 0x222;
    pub const INTERFACE_LIST: u32 = 0x205;
    pub const INTERFACE_LIST_LEGACY: u32 = 0x8011_ABCD;
    pub const INTERFACE_LIST_V2: u32 = 0x219;
    pub const USER_LIST: u32 = 0x206;
    pub const USER_LIST_LEGACY: u32 = 0x8012_ABCD;
    pub const USER_LIST_V2: u32 = 0x220;

    /// Section header byte-order magic.
    pub const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
    /// Highest section major version read (libscap refuses newer).
    pub const MAX_MAJOR_VERSION: u16 = 1;
    pub const WRITER_MAJOR_VERSION: u16 = 1;
    pub const WRITER_MINOR_VERSION: u16 = 2;
    /// Block header (type + total length) bytes.
    pub const HEADER_LEN: usize = 8;
    /// Block trailer (repeated total length) bytes.
    pub const TRAILER_LEN: usize = 4;
    /// Entries of a list block continue while at least this many body bytes remain
    /// (less is padding).
    pub const MIN_ENTRY_REMAINDER: usize = 4;
    /// Largest non-LARGE event block libscap reads (`READER_BUF_SIZE`).
    pub const MAX_EVENT_BLOCK_LEN: usize = 64 << 10;
    /// Largest LARGE event block Saker reads: the largest event plus block overhead.
    pub const MAX_LARGE_EVENT_BLOCK_LEN: usize = plugin_api::event::MAX_EVENT_LEN + 64;
    /// Largest metadata block Saker reads into memory (process lists of big hosts fit).
    pub const MAX_METADATA_BLOCK_LEN: usize = 256 << 20;
    /// Size of the pre-`nparams` event header of EV/EVF v1 blocks.
    pub const OLD_EVENT_HEADER_LEN: usize = 22;

    /// `SCAP_DF_STATE_ONLY`: event kept for state, not shown to users.
    pub const DUMP_FLAG_STATE_ONLY: u32 = 1;
    /// `SCAP_DF_LARGE`: expressed by the LARGE block types, never stored in the flags field.
    pub const DUMP_FLAG_LARGE: u32 = 4;
}

/// What went wrong, without the location (see [`ScapError`]).
#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error(
        "not a scap capture: first block type is {found:#x}, expected the section header {:#x}",
        block::SECTION_HEADER
    )]
    NotACapture { found: u32 },
    #[error(
        "byte-order magic is {found:#010x}, expected {:#010x} (byte-swapped or corrupt capture)",
        block::BYTE_ORDER_MAGIC
    )]
    BadMagic { found: u32 },
    #[error(
        "section major version {major} is newer than the supported {}",
        block::MAX_MAJOR_VERSION
    )]
    VersionMismatch { major: u16 },
    #[error("file ends inside a block: needed {needed} more bytes for {what}, the file has {available}")]
    UnexpectedEof {
        what: &'static str,
        needed: usize,
        available: usize,
    },
    #[error("block type {block_type:#x} has total length {len}, below the {min}-byte minimum")]
    BlockTooShort { block_type: u32, len: u32, min: usize },
    #[error("block type {block_type:#x} has total length {len}, above the limit of {max} bytes (corrupt capture?)")]
    BlockTooLarge { block_type: u32, len: u32, max: usize },
    #[error(
        "block type {block_type:#x}: trailer length {trailer} differs from header length {header} (corrupt capture)"
    )]
    TrailerMismatch { block_type: u32, header: u32, trailer: u32 },
    #[error("field {field} needs {needed} bytes but only {available} remain in its block/entry")]
    FieldTruncated {
        field: &'static str,
        needed: usize,
        available: usize,
    },
    #[error("field {field} is {len} bytes, above the limit of {max}")]
    FieldTooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{entry} entry length {len} does not fit the {available} bytes left in the block")]
    BadEntryLength {
        entry: &'static str,
        len: usize,
        available: usize,
    },
    #[error("fd type {fd_type} is unknown and the old fd list layout gives no entry length to skip it")]
    UnknownFdType { fd_type: u8 },
    #[error("interface type {if_type} is not 1..4 (IPv4/IPv6 with or without link speed)")]
    UnknownInterfaceType { if_type: u16 },
    #[error("user list entry type {entry_type} is not 0 (user) or 1 (group)")]
    UnknownUserEntryType { entry_type: u8 },
    #[error("event block body is {len} bytes, too short for cpu id, flags and the {header}-byte event header")]
    EventBlockTooShort { len: usize, header: usize },
    #[error(
        "old-layout event of type {event_type} ({len} bytes): no parameter count up to {max_params} matches its length"
    )]
    OldEventLayout {
        event_type: u16,
        len: u32,
        max_params: usize,
    },
    #[error("invalid event: {0}")]
    Event(#[from] EventError),
    #[error("no events in capture (libscap refuses such files)")]
    NoEvents,
}

/// A capture error: file, byte offset in the (decompressed) stream, and what went wrong.
#[derive(Debug, thiserror::Error)]
#[error("{file}: at byte {offset}: {kind}")]
pub struct ScapError {
    pub file: String,
    /// Offset in the uncompressed block stream (equal to the file offset for plain files).
    pub offset: u64,
    #[source]
    pub kind: ErrorKind,
}

#[cfg(test)]
mod tests;
