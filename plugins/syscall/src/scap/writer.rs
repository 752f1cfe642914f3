//! Capture writer: current block layouts only (SHB, MI, IL V2, UL V2, PL V9, FDL V2,
//! EV(F) V2 and their LARGE forms), plain or gzip.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use flate2::write::GzEncoder;
use plugin_api::event::EventRef;

use super::records::{self, FdEntry, Interface, MachineInfo, ProcessEntry, UserListEntry};
use super::{block, ErrorKind, ScapError};
use crate::event_table;

/// Whether the capture is gzip-compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
}

/// Writes a capture block by block. Call [`finish`](Self::finish) to flush.
pub struct CaptureWriter<W: Write> {
    out: W,
    file: String,
    offset: u64,
    pub(super) body: Vec<u8>,
}

/// A capture file being written, plain or gzip.
pub enum FileSink {
    Plain(BufWriter<File>),
    Gzip(GzEncoder<BufWriter<File>>),
}

impl Write for FileSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            FileSink::Plain(w) => w.write(buf),
            FileSink::Gzip(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            FileSink::Plain(w) => w.flush(),
            FileSink::Gzip(w) => w.flush(),
        }
    }
}

impl FileSink {
    /// Writes the gzip trailer (if any) and flushes to the file.
    fn finish(self) -> std::io::Result<()> {
        let mut file = match self {
            FileSink::Plain(w) => w,
            FileSink::Gzip(w) => w.finish()?,
        };
        file.flush()?;
        file.get_ref().sync_data()
    }
}

impl CaptureWriter<FileSink> {
    /// Creates `path` and writes the section header.
    pub fn create(path: impl AsRef<Path>, compression: Compression) -> Result<Self, ScapError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let f = File::create(path).map_err(|e| ScapError {
            file: name.clone(),
            offset: 0,
            kind: ErrorKind::Io(e),
        })?;
        let f = BufWriter::new(f);
        let out = match compression {
            Compression::None => FileSink::Plain(f),
            Compression::Gzip => FileSink::Gzip(GzEncoder::new(f, flate2::Compression::default())),
        };
        CaptureWriter::new(out, &name)
    }
}

impl<W: Write> CaptureWriter<W> {
    /// Starts a capture on `out` (already compressed or not, as the caller chose).
    pub fn new(out: W, name: &str) -> Result<Self, ScapError> {
        let mut w = CaptureWriter {
            out,
            file: name.to_string(),
            offset: 0,
            body: Vec::new(),
        };
        records::encode_section_header(&mut w.body);
        w.flush_block(block::SECTION_HEADER)?;
        Ok(w)
    }

    fn error(&self, kind: ErrorKind) -> ScapError {
        ScapError {
            file: self.file.clone(),
            offset: self.offset,
            kind,
        }
    }

    /// Writes `self.body` as one block of `block_type` and clears it.
    pub(super) fn flush_block(&mut self, block_type: u32) -> Result<(), ScapError> {
        let body_len = self.body.len();
        let padded = body_len.next_multiple_of(4);
        let total = block::HEADER_LEN + padded + block::TRAILER_LEN;
        let total32 = u32::try_from(total).map_err(|_| {
            self.error(ErrorKind::BlockTooLarge {
                block_type,
                len: u32::MAX,
                max: u32::MAX as usize,
            })
        })?;
        self.body.resize(padded, 0);
        let mut write = || -> std::io::Result<()> {
            self.out.write_all(&block_type.to_le_bytes())?;
            self.out.write_all(&total32.to_le_bytes())?;
            self.out.write_all(&self.body)?;
            self.out.write_all(&total32.to_le_bytes())
        };
        let r = write();
        self.body.clear();
        r.map_err(|e| self.error(ErrorKind::Io(e)))?;
        self.offset += total as u64;
        Ok(())
    }

    pub fn write_machine_info(&mut self, m: &MachineInfo) -> Result<(), ScapError> {
        records::encode_machine_info(m, &mut self.body);
        self.flush_block(block::MACHINE_INFO)
    }

    /// One PL V9 block with all `processes`.
    pub fn write_processes(&mut self, processes: &[ProcessEntry]) -> Result<(), ScapError> {
        for p in processes {
            if let Err(k) = records::encode_process_v9(p, &mut self.body) {
                self.body.clear();
                return Err(self.error(k));
            }
        }
        self.flush_block(block::PROCESS_LIST_V9)
    }

    /// One FDL V2 block for thread `tid` (entries' own `tid` fields are not written).
    pub fn write_fds(&mut self, tid: u64, fds: &[FdEntry]) -> Result<(), ScapError> {
        self.body.extend_from_slice(&tid.to_le_bytes());
        for f in fds {
            if let Err(k) = records::encode_fd_v2(f, &mut self.body) {
                self.body.clear();
                return Err(self.error(k));
            }
        }
        self.flush_block(block::FD_LIST_V2)
    }

    pub fn write_interfaces(&mut self, interfaces: &[Interface]) -> Result<(), ScapError> {
        for i in interfaces {
            if let Err(k) = records::encode_interface_v2(i, &mut self.body) {
                self.body.clear();
                return Err(self.error(k));
            }
        }
        self.flush_block(block::INTERFACE_LIST_V2)
    }

    pub fn write_users(&mut self, users: &[UserListEntry]) -> Result<(), ScapError> {
        for u in users {
            if let Err(k) = records::encode_user_v2(u, &mut self.body) {
                self.body.clear();
                return Err(self.error(k));
            }
        }
        self.flush_block(block::USER_LIST_V2)
    }

    /// Writes an event block: EVF when `dump_flags` (minus `SCAP_DF_LARGE`) is non-zero, and
    /// the LARGE block type for `EF_LARGE_PAYLOAD` event types, as libsinsp's dumper chooses.
    pub fn write_event(&mut self, cpu: u16, dump_flags: u32, event: &EventRef<'_>) -> Result<(), ScapError> {
        let flags = dump_flags & !block::DUMP_FLAG_LARGE;
        let large = event_table::is_large_payload(event.event_type());
        let block_type = match (flags != 0, large) {
            (false, false) => block::EVENT_V2,
            (false, true) => block::EVENT_V2_LARGE,
            (true, false) => block::EVENT_FLAGS_V2,
            (true, true) => block::EVENT_FLAGS_V2_LARGE,
        };
        let limit = if large {
            block::MAX_LARGE_EVENT_BLOCK_LEN
        } else {
            block::MAX_EVENT_BLOCK_LEN
        };
        let total = block::HEADER_LEN + 6 + event.as_bytes().len() + 3 + block::TRAILER_LEN;
        if total > limit {
            return Err(self.error(ErrorKind::BlockTooLarge {
                block_type,
                len: u32::try_from(total).unwrap_or(u32::MAX),
                max: limit,
            }));
        }
        self.body.extend_from_slice(&cpu.to_le_bytes());
        if flags != 0 {
            self.body.extend_from_slice(&flags.to_le_bytes());
        }
        self.body.extend_from_slice(event.as_bytes());
        self.flush_block(block_type)
    }

    /// Flushes and returns the underlying writer (for files use [`finish`](Self::finish),
    /// which also ends the gzip stream).
    pub fn into_inner(mut self) -> Result<W, ScapError> {
        self.out.flush().map_err(|e| self.error(ErrorKind::Io(e)))?;
        Ok(self.out)
    }
}

impl CaptureWriter<FileSink> {
    /// Writes the gzip trailer (if any) and flushes everything to the file.
    pub fn finish(self) -> Result<(), ScapError> {
        let (file, offset) = (self.file, self.offset);
        self.out.finish().map_err(|e| ScapError {
            file,
            offset,
            kind: ErrorKind::Io(e),
        })
    }
}
