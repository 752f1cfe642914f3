//! Log lines on stderr as Falco prints them: `<time>: <message>`, where the time is `ctime`-
//! style local time, or ISO 8601 UTC with `time_format_iso_8601`; the level comes from
//! `log_level` (Falco's syslog-style names).

use std::fmt;
use std::io::{self, Write};
use std::os::unix::net::UnixDatagram;
use std::sync::Arc;

use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

use crate::config::{Config, Priority};
use crate::rules::output::alert::iso8601_offset;

struct FalcoLine {
    iso8601: bool,
}

impl<S, N> FormatEvent<S, N> for FalcoLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        if self.iso8601 {
            // Seconds precision, as Falco's log prefix.
            let text = iso8601_offset(now.as_secs() * 1_000_000_000);
            write!(writer, "{}{}: ", &text[..19], &text[29..])?;
        } else {
            write!(writer, "{}: ", ctime(now.as_secs() as i64))?;
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// `Sun Nov 22 19:18:05 2026` in local time.
fn ctime(secs: i64) -> String {
    let t = secs as libc::time_t;
    // SAFETY: `tm` is plain data that localtime_r initialises; both pointers are valid.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: see above.
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return secs.to_string();
    }
    let mut buf = [0u8; 64];
    // SAFETY: the buffer is valid for its length, the format is NUL-terminated, `tm` is initialised.
    let n = unsafe {
        libc::strftime(
            buf.as_mut_ptr().cast(),
            buf.len(),
            c"%a %b %e %H:%M:%S %Y".as_ptr(),
            &tm,
        )
    };
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

fn level(priority: Priority) -> Level {
    match priority {
        Priority::Emergency | Priority::Alert | Priority::Critical | Priority::Error => Level::ERROR,
        Priority::Warning => Level::WARN,
        Priority::Notice | Priority::Informational => Level::INFO,
        Priority::Debug => Level::DEBUG,
    }
}

/// Where the log lines of one event go: stderr (always for errors, every level with
/// `log_stderr`) and, with `log_syslog`, the local syslog daemon.
#[derive(Clone)]
struct LogDestinations {
    stderr_all: bool,
    syslog: Option<Arc<UnixDatagram>>,
}

/// One log line on its way out; the fmt layer writes each formatted event in one call.
struct LogLine<'a> {
    dest: &'a LogDestinations,
    level: Level,
}

impl Write for LogLine<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.dest.stderr_all || self.level == Level::ERROR {
            io::stderr().write_all(buf)?;
        }
        if let Some(socket) = &self.dest.syslog {
            // The stderr line starts with a timestamp the daemon adds itself; keep the message.
            let text = String::from_utf8_lossy(buf);
            let message = text.split_once(": ").map_or(&*text, |(_, m)| m).trim_end();
            let line = format!(
                "<{}>saker[{}]: {message}",
                FACILITY_USER | syslog_severity(self.level),
                std::process::id()
            );
            // A missing daemon must not stop logging to stderr.
            let _ = socket.send(line.as_bytes());
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

impl<'a> MakeWriter<'a> for LogDestinations {
    type Writer = LogLine<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LogLine {
            dest: self,
            level: Level::INFO,
        }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Self::Writer {
        LogLine {
            dest: self,
            level: *meta.level(),
        }
    }
}

/// `LOG_USER` as syslog encodes facilities.
const FACILITY_USER: u8 = 1 << 3;

fn syslog_severity(level: Level) -> u8 {
    match level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// Installs the process-wide logger from `log_level`, `log_stderr`, `log_syslog` and
/// `time_format_iso_8601`. Saker always logs errors to stderr (`log_stderr: false` only
/// lowers stderr to errors) so that a failure is never silent.
pub fn init_logging(config: &Config) {
    let syslog = if config.logging.syslog {
        UnixDatagram::unbound()
            .and_then(|s| {
                s.connect(crate::outputs::syslog::DEFAULT_SYSLOG_SOCKET)
                    .map(|()| Arc::new(s))
            })
            .ok()
    } else {
        None
    };
    let max = if config.logging.stderr || syslog.is_some() {
        level(config.logging.level)
    } else {
        Level::ERROR
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(LogDestinations {
            stderr_all: config.logging.stderr,
            syslog,
        })
        .with_max_level(max)
        .event_format(FalcoLine {
            iso8601: config.outputs.time_format_iso_8601,
        })
        .try_init();
}
