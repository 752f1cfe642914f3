//! `file_output`: alerts appended to a file, one per line. A file rotated by rename (logrotate)
//! is noticed within [`REOPEN_CHECK_INTERVAL`] and a new file is created at the path.

mod config;
#[cfg(test)]
mod tests;

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::MetadataExt;
use std::time::{Duration, Instant};

pub use config::FileSinkConfig;

use super::{FormattedAlert, OutputsError, Sink};

/// How often a kept-open file is checked for having been renamed or removed.
pub const REOPEN_CHECK_INTERVAL: Duration = Duration::from_millis(500);

/// Bytes buffered before a write system call (about 64 typical JSON alerts).
const FILE_BUFFER_BYTES: usize = 64 * 1024;

pub struct FileSink {
    config: FileSinkConfig,
    out: Option<Open>,
}

struct Open {
    writer: BufWriter<File>,
    /// (device, inode) of the file when opened: a different one at the path means rotation.
    identity: (u64, u64),
    checked: Instant,
}

impl FileSink {
    /// Opens the file once to report a bad path at startup (as Falco does).
    pub fn new(config: &FileSinkConfig) -> Result<FileSink, OutputsError> {
        let mut sink = FileSink {
            config: config.clone(),
            out: None,
        };
        sink.open()?;
        Ok(sink)
    }

    fn open(&mut self) -> Result<&mut Open, OutputsError> {
        let path = &self.config.path;
        let error = |source| OutputsError::Open {
            sink: "file",
            path: path.display().to_string(),
            source,
        };
        let file = OpenOptions::new().create(true).append(true).open(path).map_err(error)?;
        let meta = file.metadata().map_err(error)?;
        Ok(self.out.insert(Open {
            writer: BufWriter::with_capacity(FILE_BUFFER_BYTES, file),
            identity: (meta.dev(), meta.ino()),
            checked: Instant::now(),
        }))
    }

    /// The open file, reopened if the path now names another file (or none).
    fn current(&mut self) -> Result<&mut Open, OutputsError> {
        let rotated = match &mut self.out {
            None => true,
            Some(open) if open.checked.elapsed() >= REOPEN_CHECK_INTERVAL => {
                open.checked = Instant::now();
                match std::fs::metadata(&self.config.path) {
                    Ok(meta) => (meta.dev(), meta.ino()) != open.identity,
                    Err(_) => true,
                }
            }
            Some(_) => false,
        };
        if rotated {
            if let Some(mut old) = self.out.take() {
                // The renamed file keeps what was written before the rotation.
                let _ = old.writer.flush();
            }
            return self.open();
        }
        Ok(self.out.as_mut().expect("checked above"))
    }
}

impl Sink for FileSink {
    fn name(&self) -> &'static str {
        "file"
    }

    fn deliver(&mut self, alert: &FormattedAlert) -> Result<(), OutputsError> {
        let open = self.current()?;
        writeln!(open.writer, "{}", alert.text).map_err(|source| OutputsError::Write { sink: "file", source })
    }

    fn flush(&mut self) -> Result<(), OutputsError> {
        let result = match &mut self.out {
            Some(open) => open
                .writer
                .flush()
                .map_err(|source| OutputsError::Write { sink: "file", source }),
            None => Ok(()),
        };
        if !self.config.keep_alive {
            self.out = None;
        }
        result
    }

    /// Only a kept-open file: otherwise each flush also closes the file, as Falco does.
    fn coalesces_flushes(&self) -> bool {
        self.config.keep_alive
    }
}
