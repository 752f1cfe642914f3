//! `syslog_output`: alerts sent to the local syslog daemon's datagram socket with the alert's
//! priority as severity and facility `user` (as Falco's `syslog(LOG_USER | priority)`).

#[cfg(test)]
mod tests;

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};

use super::{FormattedAlert, OutputsError, Sink};
use crate::rules::load::items::Priority;

/// Where the local syslog daemon listens.
pub const DEFAULT_SYSLOG_SOCKET: &str = "/dev/log";

/// `LOG_USER`, shifted as syslog encodes facilities.
const FACILITY_USER: u8 = 1 << 3;

/// Program name in each message.
const SYSLOG_TAG: &str = "saker";

pub struct SyslogSink {
    path: PathBuf,
    socket: Option<UnixDatagram>,
    message: String,
}

impl SyslogSink {
    /// Sends to the datagram socket at `path`; connects lazily (the daemon may start later).
    pub fn new(path: impl AsRef<Path>) -> SyslogSink {
        SyslogSink {
            path: path.as_ref().to_path_buf(),
            socket: None,
            message: String::new(),
        }
    }

    fn connect(&mut self) -> Result<&UnixDatagram, OutputsError> {
        let error = |source| OutputsError::Open {
            sink: "syslog",
            path: self.path.display().to_string(),
            source,
        };
        let socket = UnixDatagram::unbound().map_err(error)?;
        socket.connect(&self.path).map_err(error)?;
        Ok(self.socket.insert(socket))
    }
}

/// Syslog severity of a rule priority (both are the same 0–7 scale).
fn severity(priority: Priority) -> u8 {
    Priority::ALL.iter().position(|p| *p == priority).unwrap_or(6) as u8
}

impl Sink for SyslogSink {
    fn name(&self) -> &'static str {
        "syslog"
    }

    fn deliver(&mut self, alert: &FormattedAlert) -> Result<(), OutputsError> {
        use std::fmt::Write;
        self.message.clear();
        let pid = std::process::id();
        let _ = write!(
            self.message,
            "<{}>{SYSLOG_TAG}[{pid}]: {}",
            FACILITY_USER | severity(alert.priority),
            alert.text
        );
        let message = std::mem::take(&mut self.message);
        let socket = match &self.socket {
            Some(s) => s,
            None => self.connect()?,
        };
        let result = socket.send(message.as_bytes());
        self.message = message;
        if let Err(source) = result {
            // The daemon may have restarted: reconnect next time.
            self.socket = None;
            return Err(OutputsError::Write { sink: "syslog", source });
        }
        Ok(())
    }
}
