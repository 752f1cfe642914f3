//! `stdout_output`: one alert per line on standard output.

use std::io::{BufWriter, Stdout, Write};

use super::{FormattedAlert, OutputsError, Sink};

/// Bytes of alerts gathered before a write: room for the [`super::queue::MAX_DEFERRED_FLUSH`]
/// alerts written between flushes when alerts come fast (a JSON alert is often ~1 KiB), so that
/// a burst takes one write instead of one per 8 KiB (std's default buffer).
const STDOUT_BUFFER_BYTES: usize = 64 * 1024;

pub struct StdoutSink {
    out: BufWriter<Stdout>,
}

impl StdoutSink {
    pub fn new() -> StdoutSink {
        StdoutSink {
            out: BufWriter::with_capacity(STDOUT_BUFFER_BYTES, std::io::stdout()),
        }
    }
}

impl Default for StdoutSink {
    fn default() -> Self {
        StdoutSink::new()
    }
}

impl Sink for StdoutSink {
    fn name(&self) -> &'static str {
        "stdout"
    }

    fn deliver(&mut self, alert: &FormattedAlert) -> Result<(), OutputsError> {
        self.out
            .write_all(alert.text.as_bytes())
            .and_then(|()| self.out.write_all(b"\n"))
            .map_err(|source| OutputsError::Write { sink: "stdout", source })
    }

    fn flush(&mut self) -> Result<(), OutputsError> {
        self.out
            .flush()
            .map_err(|source| OutputsError::Write { sink: "stdout", source })
    }

    fn coalesces_flushes(&self) -> bool {
        true
    }
}
