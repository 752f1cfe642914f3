//! `program_output`: alerts written, one per line, to the standard input of a shell command.

mod config;
#[cfg(test)]
mod tests;

use std::io::{BufWriter, Write};
use std::process::{Child, ChildStdin, Command, Stdio};

pub use config::ProgramSinkConfig;

use super::{FormattedAlert, OutputsError, Sink};

pub struct ProgramSink {
    config: ProgramSinkConfig,
    running: Option<Running>,
}

struct Running {
    child: Child,
    stdin: BufWriter<ChildStdin>,
}

impl ProgramSink {
    pub fn new(config: ProgramSinkConfig) -> ProgramSink {
        ProgramSink { config, running: None }
    }

    fn spawn(&mut self) -> Result<&mut Running, OutputsError> {
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            .arg(&self.config.command)
            .stdin(Stdio::piped())
            .spawn()
            .map_err(|source| OutputsError::Spawn {
                program: self.config.command.clone(),
                source,
            })?;
        let stdin = child.stdin.take().expect("stdin was piped");
        Ok(self.running.insert(Running {
            child,
            stdin: BufWriter::new(stdin),
        }))
    }

    /// Closes the program's stdin and waits for it to exit.
    fn finish(&mut self) -> Result<(), OutputsError> {
        let Some(mut running) = self.running.take() else {
            return Ok(());
        };
        let flushed = running.stdin.flush();
        drop(running.stdin);
        let _ = running.child.wait();
        flushed.map_err(|source| OutputsError::Write {
            sink: "program",
            source,
        })
    }
}

impl Sink for ProgramSink {
    fn name(&self) -> &'static str {
        "program"
    }

    fn deliver(&mut self, alert: &FormattedAlert) -> Result<(), OutputsError> {
        let running = match &mut self.running {
            Some(r) => r,
            None => self.spawn()?,
        };
        if let Err(source) = writeln!(running.stdin, "{}", alert.text) {
            // The program went away (kept-alive programs may exit): start it again once.
            self.running = None;
            let running = self.spawn()?;
            writeln!(running.stdin, "{}", alert.text).map_err(|_| OutputsError::Write {
                sink: "program",
                source,
            })?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), OutputsError> {
        if !self.config.keep_alive {
            return self.finish();
        }
        match &mut self.running {
            Some(r) => r.stdin.flush().map_err(|source| {
                self.running = None;
                OutputsError::Write {
                    sink: "program",
                    source,
                }
            }),
            None => Ok(()),
        }
    }
}

impl Drop for ProgramSink {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}
