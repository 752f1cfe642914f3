//! `file_output` options.

use std::path::PathBuf;

use crate::config::FileOutput;
use crate::outputs::OutputsError;

#[derive(Debug, Clone, PartialEq)]
pub struct FileSinkConfig {
    /// `file_output.filename`: alerts are appended to it.
    pub path: PathBuf,
    /// `file_output.keep_alive`: keep the file open between flushes (otherwise it is reopened
    /// for every flush, i.e. every alert unless `buffered_outputs`).
    pub keep_alive: bool,
}

impl FileSinkConfig {
    pub fn from_config(cfg: &FileOutput) -> Result<FileSinkConfig, OutputsError> {
        if cfg.filename.is_empty() {
            return Err(OutputsError::MissingKey {
                sink: "file",
                key: "file_output.filename",
            });
        }
        Ok(FileSinkConfig {
            path: PathBuf::from(&cfg.filename),
            keep_alive: cfg.keep_alive,
        })
    }
}
