//! `stdout_output`: one alert per line on standard output.

use std::io::{BufWriter, Stdout, Write};

use super::{FormattedAlert, OutputsError, Sink};

pub struct StdoutSink {
    out: BufWriter<Stdout>,
}

impl StdoutSink {
    pub fn new() -> StdoutSink {
        StdoutSink {
            out: BufWriter::new(std::io::stdout()),
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
