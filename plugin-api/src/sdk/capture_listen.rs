//! Capture listening capability (3.7): be told when the capture opens and closes.

use super::tables::{TableReader, TableWriter};
use super::{Plugin, PluginError};

/// What `capture_open`/`capture_close` receive. Routines (`routine` vtable) are not wrapped yet.
pub struct CaptureListenInput<'a> {
    pub tables: TableReader<'a>,
    pub writer: TableWriter<'a>,
}

/// Capture listening capability.
pub trait CaptureListenPlugin: Plugin {
    fn capture_open(&mut self, input: &CaptureListenInput<'_>) -> Result<(), PluginError>;
    fn capture_close(&mut self, input: &CaptureListenInput<'_>) -> Result<(), PluginError>;
}
