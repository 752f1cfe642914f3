//! `program_output` options.

use crate::config::ProgramOutput;
use crate::outputs::OutputsError;

#[derive(Debug, Clone, PartialEq)]
pub struct ProgramSinkConfig {
    /// `program_output.program`: a shell command (run with `sh -c`) reading alerts on stdin.
    pub command: String,
    /// `program_output.keep_alive`: one long-running process; otherwise one per flush (per
    /// alert unless `buffered_outputs`), as Falco's popen/pclose.
    pub keep_alive: bool,
}

impl ProgramSinkConfig {
    pub fn from_config(cfg: &ProgramOutput) -> Result<ProgramSinkConfig, OutputsError> {
        if cfg.program.is_empty() {
            return Err(OutputsError::MissingKey {
                sink: "program",
                key: "program_output.program",
            });
        }
        Ok(ProgramSinkConfig {
            command: cfg.program.clone(),
            keep_alive: cfg.keep_alive,
        })
    }
}
