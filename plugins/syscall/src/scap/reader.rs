//! Streaming capture reader: one block in memory at a time.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;
use plugin_api::event::EventRef;
use plugin_api::ffi::EVENT_HEADER_LEN;

use super::records::{self, FdEntry, Interface, MachineInfo, ProcessEntry, SectionHeader, UserListEntry};
use super::{block, ErrorKind, ScapError};
use crate::event_table::{self, event_info};

/// Read buffer size for the file and the decompressor.
const READ_BUFFER_LEN: usize = 64 << 10;
/// gzip member magic.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// libscap `PPME_NOTIFICATION_E` and `PPME_INFRASTRUCTURE_EVENT_E`, whose old layout carried 3
/// extra bytes in `len`.
const OLD_LEN_FIXUP_TYPES: [u16; 2] = [280, 286];
const OLD_LEN_FIXUP: u32 = 3;

/// One thing read from a capture.
#[derive(Debug)]
pub enum CaptureItem<'a> {
    Section(SectionHeader),
    Machine(MachineInfo),
    Process(Box<ProcessEntry>),
    Fd(FdEntry),
    Interface(Interface),
    User(UserListEntry),
    Event(CapturedEvent<'a>),
}

/// An event block: CPU, dump flags and the validated event (old layouts already upgraded to
/// the 26-byte header).
#[derive(Debug, Clone, Copy)]
pub struct CapturedEvent<'a> {
    pub cpu: u16,
    /// `SCAP_DF_*` flags (0 for blocks without flags).
    pub dump_flags: u32,
    pub event: EventRef<'a>,
    /// Offset of the event's block in the (decompressed) stream.
    pub block_offset: u64,
}

/// Counters of what was read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureStats {
    /// Blocks seen, by block type id (known and unknown).
    pub blocks_by_type: BTreeMap<u32, u64>,
    /// Blocks of unknown type that were skipped.
    pub unknown_blocks: u64,
    /// Events returned.
    pub events: u64,
    /// Events with a type unknown to the event table, skipped as libscap does.
    pub unknown_type_events: u64,
    /// Events read from old (22-byte header) blocks and upgraded.
    pub upgraded_old_events: u64,
    pub sections: u64,
}

enum Step {
    Event {
        cpu: u16,
        dump_flags: u32,
        old: bool,
        block_offset: u64,
    },
    Pending,
    End,
}

/// Streaming `.scap` reader (plain or gzip; memory bounded by the largest block).
pub struct CaptureReader {
    input: Box<dyn Read + Send>,
    file: String,
    /// Offset of the next unread byte in the decompressed stream.
    offset: u64,
    block: Vec<u8>,
    upgraded: Vec<u8>,
    pending: VecDeque<CaptureItem<'static>>,
    stats: CaptureStats,
    first_block: bool,
    failed: bool,
}

impl CaptureReader {
    /// Opens a capture file; gzip is detected by its magic.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ScapError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let f = File::open(path).map_err(|e| ScapError {
            file: file.clone(),
            offset: 0,
            kind: ErrorKind::Io(e),
        })?;
        Self::from_reader(BufReader::with_capacity(READ_BUFFER_LEN, f), &file)
    }

    /// Reads a capture from any buffered byte source; `name` labels errors.
    pub fn from_reader<R: BufRead + Send + 'static>(mut input: R, name: &str) -> Result<Self, ScapError> {
        let head = input.fill_buf().map_err(|e| ScapError {
            file: name.to_string(),
            offset: 0,
            kind: ErrorKind::Io(e),
        })?;
        let input: Box<dyn Read + Send> = if head.starts_with(&GZIP_MAGIC) {
            Box::new(BufReader::with_capacity(READ_BUFFER_LEN, MultiGzDecoder::new(input)))
        } else {
            Box::new(input)
        };
        Ok(CaptureReader {
            input,
            file: name.to_string(),
            offset: 0,
            block: Vec::new(),
            upgraded: Vec::new(),
            pending: VecDeque::new(),
            stats: CaptureStats::default(),
            first_block: true,
            failed: false,
        })
    }

    /// What has been read so far.
    pub fn stats(&self) -> &CaptureStats {
        &self.stats
    }

    /// The next item, `Ok(None)` at the end. After an error the reader stays at the end.
    pub fn next_item(&mut self) -> Result<Option<CaptureItem<'_>>, ScapError> {
        if let Some(item) = self.pending.pop_front() {
            return Ok(Some(item));
        }
        if self.failed {
            return Ok(None);
        }
        let step = match self.advance() {
            Ok(s) => s,
            Err((offset, kind)) => {
                self.failed = true;
                return Err(self.error(offset, kind));
            }
        };
        match step {
            Step::End => Ok(None),
            Step::Pending => Ok(self.pending.pop_front()),
            Step::Event {
                cpu,
                dump_flags,
                old,
                block_offset,
            } => {
                let bytes = if old {
                    &self.upgraded[..]
                } else {
                    &self.block[Self::event_start(dump_flags)..]
                };
                let event_type = u16::from_le_bytes([bytes[20], bytes[21]]);
                match EventRef::parse(bytes, event_table::is_large_payload(event_type)) {
                    Ok(event) => {
                        self.stats.events += 1;
                        Ok(Some(CaptureItem::Event(CapturedEvent {
                            cpu,
                            dump_flags: dump_flags & !FLAGS_PRESENT,
                            event,
                            block_offset,
                        })))
                    }
                    Err(e) => {
                        self.failed = true;
                        Err(ScapError {
                            file: self.file.clone(),
                            offset: block_offset,
                            kind: ErrorKind::Event(e),
                        })
                    }
                }
            }
        }
    }

    fn event_start(dump_flags: u32) -> usize {
        // cpu id, then the flags field when the block has one.
        if dump_flags & FLAGS_PRESENT != 0 {
            6
        } else {
            2
        }
    }

    fn error(&self, offset: u64, kind: ErrorKind) -> ScapError {
        ScapError {
            file: self.file.clone(),
            offset,
            kind,
        }
    }

    /// Reads until `buf` is full or the input ends; returns the bytes read.
    fn read_up_to(&mut self, buf: &mut [u8]) -> Result<usize, records::Located> {
        let mut n = 0;
        while n < buf.len() {
            match self.input.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err((self.offset + n as u64, ErrorKind::Io(e))),
            }
        }
        self.offset += n as u64;
        Ok(n)
    }

    fn read_exact_or(&mut self, buf: &mut [u8], what: &'static str) -> Result<(), records::Located> {
        let at = self.offset;
        let n = self.read_up_to(buf)?;
        if n < buf.len() {
            return Err((
                at + n as u64,
                ErrorKind::UnexpectedEof {
                    what,
                    needed: buf.len(),
                    available: n,
                },
            ));
        }
        Ok(())
    }

    /// Reads the next block into `self.block` (body + padding) and returns (type, start offset),
    /// or `None` at a clean end of input.
    fn read_block(&mut self) -> Result<Option<(u32, u64)>, records::Located> {
        let start = self.offset;
        let mut head = [0u8; block::HEADER_LEN];
        let n = self.read_up_to(&mut head)?;
        if n == 0 {
            return Ok(None);
        }
        if n < head.len() {
            return Err((
                start + n as u64,
                ErrorKind::UnexpectedEof {
                    what: "block header",
                    needed: head.len(),
                    available: n,
                },
            ));
        }
        let block_type = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let total = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        *self.stats.blocks_by_type.entry(block_type).or_default() += 1;
        if self.first_block && block_type != block::SECTION_HEADER {
            return Err((start, ErrorKind::NotACapture { found: block_type }));
        }
        self.first_block = false;
        let min = block::HEADER_LEN + block::TRAILER_LEN;
        if (total as usize) < min {
            return Err((
                start + 4,
                ErrorKind::BlockTooShort {
                    block_type,
                    len: total,
                    min,
                },
            ));
        }
        let max = max_block_len(block_type);
        if total as usize > max {
            return Err((
                start + 4,
                ErrorKind::BlockTooLarge {
                    block_type,
                    len: total,
                    max,
                },
            ));
        }
        let body_len = total as usize - min;
        if !is_known_block(block_type) {
            // Unknown blocks are skipped without buffering them.
            let mut sink = std::io::sink();
            let copied = std::io::copy(&mut (&mut self.input).take(body_len as u64), &mut sink)
                .map_err(|e| (self.offset, ErrorKind::Io(e)))?;
            self.offset += copied;
            if copied < body_len as u64 {
                return Err((
                    self.offset,
                    ErrorKind::UnexpectedEof {
                        what: "unknown block body",
                        needed: body_len,
                        available: copied as usize,
                    },
                ));
            }
            self.stats.unknown_blocks += 1;
        } else {
            let mut body = std::mem::take(&mut self.block);
            body.resize(body_len, 0);
            let r = self.read_exact_or(&mut body, "block body");
            self.block = body;
            r?;
        }
        let mut trailer = [0u8; block::TRAILER_LEN];
        self.read_exact_or(&mut trailer, "block trailer")?;
        let trailer = u32::from_le_bytes(trailer);
        if trailer != total {
            return Err((
                self.offset - block::TRAILER_LEN as u64,
                ErrorKind::TrailerMismatch {
                    block_type,
                    header: total,
                    trailer,
                },
            ));
        }
        if !is_known_block(block_type) {
            return Ok(Some((u32::MAX, start)));
        }
        Ok(Some((block_type, start)))
    }

    fn advance(&mut self) -> Result<Step, records::Located> {
        use block as B;
        loop {
            let Some((block_type, start)) = self.read_block()? else {
                if self.stats.events == 0 && self.stats.unknown_type_events == 0 {
                    return Err((self.offset, ErrorKind::NoEvents));
                }
                return Ok(Step::End);
            };
            let body_at = start + B::HEADER_LEN as u64;
            let body = &self.block[..];
            let pending = &mut self.pending;
            match block_type {
                B::EVENT | B::EVENT_LEGACY | B::EVENT_FLAGS => {
                    let has_flags = block_type == B::EVENT_FLAGS;
                    match self.upgrade_old_event(has_flags, start)? {
                        Some(step) => return Ok(step),
                        None => continue,
                    }
                }
                B::EVENT_V2 | B::EVENT_V2_LARGE | B::EVENT_FLAGS_V2 | B::EVENT_FLAGS_V2_LARGE => {
                    let has_flags = matches!(block_type, B::EVENT_FLAGS_V2 | B::EVENT_FLAGS_V2_LARGE);
                    let prefix = if has_flags { 6 } else { 2 };
                    if body.len() < prefix + EVENT_HEADER_LEN {
                        return Err((
                            body_at,
                            ErrorKind::EventBlockTooShort {
                                len: body.len(),
                                header: EVENT_HEADER_LEN,
                            },
                        ));
                    }
                    let cpu = u16::from_le_bytes([body[0], body[1]]);
                    let flags = if has_flags {
                        u32::from_le_bytes([body[2], body[3], body[4], body[5]])
                    } else {
                        0
                    };
                    let event_type = u16::from_le_bytes([body[prefix + 20], body[prefix + 21]]);
                    if event_info(event_type).is_none() {
                        self.stats.unknown_type_events += 1;
                        continue;
                    }
                    return Ok(Step::Event {
                        cpu,
                        dump_flags: flags | if has_flags { FLAGS_PRESENT } else { 0 },
                        old: false,
                        block_offset: start,
                    });
                }
                B::SECTION_HEADER => {
                    pending.push_back(CaptureItem::Section(records::parse_section_header(body, body_at)?));
                    self.stats.sections += 1;
                }
                B::MACHINE_INFO | B::MACHINE_INFO_LEGACY => {
                    pending.push_back(CaptureItem::Machine(records::parse_machine_info(body, body_at)?));
                }
                B::PROCESS_LIST_V1
                | B::PROCESS_LIST_V1_LEGACY
                | B::PROCESS_LIST_V2
                | B::PROCESS_LIST_V2_LEGACY
                | B::PROCESS_LIST_V3
                | B::PROCESS_LIST_V3_LEGACY
                | B::PROCESS_LIST_V4
                | B::PROCESS_LIST_V5
                | B::PROCESS_LIST_V6
                | B::PROCESS_LIST_V7
                | B::PROCESS_LIST_V8
                | B::PROCESS_LIST_V9 => {
                    let version = process_list_version(block_type);
                    let list = records::parse_process_list(body, body_at, version)?;
                    pending.extend(list.into_iter().map(|p| CaptureItem::Process(Box::new(p))));
                }
                B::FD_LIST | B::FD_LIST_LEGACY | B::FD_LIST_V2 => {
                    let list = records::parse_fd_list(body, body_at, block_type == B::FD_LIST_V2)?;
                    pending.extend(list.into_iter().map(CaptureItem::Fd));
                }
                B::INTERFACE_LIST | B::INTERFACE_LIST_LEGACY | B::INTERFACE_LIST_V2 => {
                    let list = records::parse_interface_list(body, body_at, block_type == B::INTERFACE_LIST_V2)?;
                    pending.extend(list.into_iter().map(CaptureItem::Interface));
                }
                B::USER_LIST | B::USER_LIST_LEGACY | B::USER_LIST_V2 => {
                    let list = records::parse_user_list(body, body_at, block_type == B::USER_LIST_V2)?;
                    pending.extend(list.into_iter().map(CaptureItem::User));
                }
                _ => {}
            }
            if !self.pending.is_empty() {
                return Ok(Step::Pending);
            }
        }
    }

    /// Upgrades the event of an EV/EVF v1 block (22-byte header, no `nparams`) into
    /// `self.upgraded`: `nparams` is the largest count up to the table's whose u16 lengths
    /// add up to the event length, as libscap's reader infers it.
    fn upgrade_old_event(&mut self, has_flags: bool, start: u64) -> Result<Option<Step>, records::Located> {
        let body = &self.block[..];
        let body_at = start + block::HEADER_LEN as u64;
        let prefix = if has_flags { 6 } else { 2 };
        if body.len() < prefix + block::OLD_EVENT_HEADER_LEN {
            return Err((
                body_at,
                ErrorKind::EventBlockTooShort {
                    len: body.len(),
                    header: block::OLD_EVENT_HEADER_LEN,
                },
            ));
        }
        let cpu = u16::from_le_bytes([body[0], body[1]]);
        let flags = if has_flags {
            u32::from_le_bytes([body[2], body[3], body[4], body[5]])
        } else {
            0
        };
        let ev = &body[prefix..];
        let mut len = u32::from_le_bytes([ev[16], ev[17], ev[18], ev[19]]);
        let event_type = u16::from_le_bytes([ev[20], ev[21]]);
        let Some(info) = event_info(event_type) else {
            self.stats.unknown_type_events += 1;
            return Ok(None);
        };
        if OLD_LEN_FIXUP_TYPES.contains(&event_type) {
            len = len.saturating_sub(OLD_LEN_FIXUP);
        }
        let event_at = body_at + prefix as u64;
        if (len as usize) < block::OLD_EVENT_HEADER_LEN || len as usize > ev.len() {
            return Err((
                event_at + 16,
                ErrorKind::Event(plugin_api::event::EventError::Truncated {
                    len,
                    available: ev.len(),
                }),
            ));
        }
        let ev = &ev[..len as usize];
        let max_params = info.params.len();
        let nparams = (0..=max_params).rev().find(|&n| {
            let slots_end = block::OLD_EVENT_HEADER_LEN + 2 * n;
            if slots_end > ev.len() {
                return false;
            }
            let sum: usize = ev[block::OLD_EVENT_HEADER_LEN..slots_end]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]) as usize)
                .sum();
            slots_end + sum == ev.len()
        });
        let Some(nparams) = nparams else {
            return Err((
                event_at,
                ErrorKind::OldEventLayout {
                    event_type,
                    len,
                    max_params,
                },
            ));
        };
        self.upgraded.clear();
        self.upgraded.extend_from_slice(&ev[..16]);
        self.upgraded.extend_from_slice(&(len + 4).to_le_bytes());
        self.upgraded.extend_from_slice(&event_type.to_le_bytes());
        self.upgraded.extend_from_slice(&(nparams as u32).to_le_bytes());
        self.upgraded.extend_from_slice(&ev[block::OLD_EVENT_HEADER_LEN..]);
        self.stats.upgraded_old_events += 1;
        Ok(Some(Step::Event {
            cpu,
            dump_flags: flags,
            old: true,
            block_offset: start,
        }))
    }
}

/// Internal marker bit (never a real dump flag) meaning "the block had a flags field".
const FLAGS_PRESENT: u32 = 1 << 31;

fn process_list_version(block_type: u32) -> u8 {
    use block as B;
    match block_type {
        B::PROCESS_LIST_V1 | B::PROCESS_LIST_V1_LEGACY => 1,
        B::PROCESS_LIST_V2 | B::PROCESS_LIST_V2_LEGACY => 2,
        B::PROCESS_LIST_V3 | B::PROCESS_LIST_V3_LEGACY => 3,
        B::PROCESS_LIST_V4 => 4,
        B::PROCESS_LIST_V5 => 5,
        B::PROCESS_LIST_V6 => 6,
        B::PROCESS_LIST_V7 => 7,
        B::PROCESS_LIST_V8 => 8,
        _ => 9,
    }
}

fn is_known_block(t: u32) -> bool {
    use block as B;
    matches!(
        t,
        B::SECTION_HEADER
            | B::MACHINE_INFO
            | B::MACHINE_INFO_LEGACY
            | B::PROCESS_LIST_V1
            | B::PROCESS_LIST_V1_LEGACY
            | B::PROCESS_LIST_V2
            | B::PROCESS_LIST_V2_LEGACY
            | B::PROCESS_LIST_V3
            | B::PROCESS_LIST_V3_LEGACY
            | B::PROCESS_LIST_V4
            | B::PROCESS_LIST_V5
            | B::PROCESS_LIST_V6
            | B::PROCESS_LIST_V7
            | B::PROCESS_LIST_V8
            | B::PROCESS_LIST_V9
            | B::FD_LIST
            | B::FD_LIST_LEGACY
            | B::FD_LIST_V2
            | B::EVENT
            | B::EVENT_LEGACY
            | B::EVENT_V2
            | B::EVENT_V2_LARGE
            | B::EVENT_FLAGS
            | B::EVENT_FLAGS_V2
            | B::EVENT_FLAGS_V2_LARGE
            | B::INTERFACE_LIST
            | B::INTERFACE_LIST_LEGACY
            | B::INTERFACE_LIST_V2
            | B::USER_LIST
            | B::USER_LIST_LEGACY
            | B::USER_LIST_V2
    )
}

fn max_block_len(t: u32) -> usize {
    use block as B;
    match t {
        B::EVENT | B::EVENT_LEGACY | B::EVENT_FLAGS | B::EVENT_V2 | B::EVENT_FLAGS_V2 => B::MAX_EVENT_BLOCK_LEN,
        B::EVENT_V2_LARGE | B::EVENT_FLAGS_V2_LARGE => B::MAX_LARGE_EVENT_BLOCK_LEN,
        // Unknown blocks are streamed past, never buffered.
        t if !is_known_block(t) => u32::MAX as usize,
        _ => B::MAX_METADATA_BLOCK_LEN,
    }
}
