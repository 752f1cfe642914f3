//! Log lines on stderr as Falco prints them: `<time>: <message>`, where the time is `ctime`-
//! style local time, or ISO 8601 UTC with `time_format_iso_8601`; the level comes from
//! `log_level` (Falco's syslog-style names).

use std::fmt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
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
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
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
    let n = unsafe { libc::strftime(buf.as_mut_ptr().cast(), buf.len(), c"%a %b %e %H:%M:%S %Y".as_ptr(), &tm) };
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

/// Installs the process-wide logger from `log_level`, `log_stderr` and `time_format_iso_8601`.
/// Saker always logs to stderr (`log_stderr: false` only lowers it to errors) so that a failure
/// is never silent.
pub fn init_logging(config: &Config) {
    let max = if config.logging.stderr { level(config.logging.level) } else { Level::ERROR };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(max)
        .event_format(FalcoLine { iso8601: config.outputs.time_format_iso_8601 })
        .try_init();
}
