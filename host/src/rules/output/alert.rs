//! Alerts as Falco prints them: a text line `<time>: <Priority> <output>` or one JSON object
//! with keys in alphabetical order (Falco 0.44's `json_include_*` switches).

use std::sync::Arc;

use serde_json::Value;

use crate::rules::load::items::Priority;

const NANOS_PER_SEC: u64 = 1_000_000_000;
const SECS_PER_DAY: i64 = 86_400;

/// The output switches of `falco.yaml` that shape alerts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertOptions {
    pub time_format_iso_8601: bool,
    pub json_include_output_property: bool,
    pub json_include_tags_property: bool,
    pub json_include_output_fields_property: bool,
    pub json_include_message_property: bool,
    /// `hostname` of JSON alerts (`FALCO_HOSTNAME` or the host's name).
    pub hostname: String,
}

impl Default for AlertOptions {
    /// Falco's defaults.
    fn default() -> Self {
        AlertOptions {
            time_format_iso_8601: false,
            json_include_output_property: true,
            json_include_tags_property: true,
            json_include_output_fields_property: true,
            json_include_message_property: false,
            hostname: String::new(),
        }
    }
}

/// One rule match, rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Event time, nanoseconds since the epoch.
    pub time_ns: u64,
    pub priority: Priority,
    pub rule: String,
    pub source: String,
    pub tags: Vec<String>,
    /// The rule's output with fields substituted (no time or priority).
    pub message: String,
    /// Each output field (as written in the format) and its value.
    pub output_fields: OutputFields,
}

/// The `output_fields` of an alert: each key once (the last value given wins), in key order.
/// Keys are shared with the compiled output (no copy per alert) and the entries sit in one
/// vector (no map nodes to build and free per alert).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OutputFields(Vec<(Arc<str>, Value)>);

impl OutputFields {
    pub fn with_capacity(n: usize) -> OutputFields {
        OutputFields(Vec::with_capacity(n))
    }

    /// Sets `key` to `value`, replacing any value it had.
    pub fn insert(&mut self, key: Arc<str>, value: Value) {
        match self.0.binary_search_by(|(k, _)| (**k).cmp(&*key)) {
            Ok(at) => self.0[at].1 = value,
            Err(at) => self.0.insert(at, (key, value)),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0
            .binary_search_by(|(k, _)| (**k).cmp(key))
            .ok()
            .map(|at| &self.0[at].1)
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (&**k, v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `fields["key"]`: the key's value, `null` when there is none (as indexing a JSON value).
impl std::ops::Index<&str> for OutputFields {
    type Output = Value;

    fn index(&self, key: &str) -> &Value {
        static NULL: Value = Value::Null;
        self.get(key).unwrap_or(&NULL)
    }
}

impl Alert {
    /// `<time>: <Priority> <message>`.
    pub fn to_text(&self, opts: &AlertOptions) -> String {
        let mut text = String::with_capacity(TIME_TEXT_CHARS + 16 + self.message.len());
        self.write_text(opts, &mut text);
        text
    }

    fn write_text(&self, opts: &AlertOptions, out: &mut String) {
        if opts.time_format_iso_8601 {
            write_iso8601(out, &civil(self.time_ns, 0), "+0000");
        } else {
            write_clock(out, &local_civil(self.time_ns));
        }
        out.push_str(": ");
        out.push_str(self.priority.as_str());
        out.push(' ');
        out.push_str(&self.message);
    }

    /// The JSON object as one line; keys sorted as Falco prints them. Written straight into
    /// one buffer (no intermediate JSON tree): this runs once per alert on the output path.
    pub fn to_json(&self, opts: &AlertOptions) -> String {
        let mut out = JsonLine::with_capacity(256 + 2 * self.message.len() + 48 * self.output_fields.len());
        // Keys in alphabetical order.
        out.string_member("hostname", &opts.hostname);
        if opts.json_include_message_property {
            out.string_member("message", &self.message);
        }
        if opts.json_include_output_property {
            let mut text = std::mem::take(&mut out.text);
            text.clear();
            text.reserve(TIME_TEXT_CHARS + 16 + self.message.len());
            self.write_text(opts, &mut text);
            out.string_member("output", &text);
            out.text = text;
        }
        if opts.json_include_output_fields_property {
            // Falco prefixes every output with the time field, so it is an output field too.
            let time_key = if opts.time_format_iso_8601 {
                "evt.time.iso8601"
            } else {
                "evt.time"
            };
            let time = Value::from(self.time_ns);
            let mut fields: Vec<(&str, &Value)> = self.output_fields.iter().filter(|(k, _)| *k != time_key).collect();
            fields.push((time_key, &time));
            fields.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.fixed_key("output_fields");
            out.begin_object();
            for (k, v) in fields {
                out.key(k);
                out.value(v);
            }
            out.end_object();
        }
        out.string_member("priority", self.priority.as_str());
        out.string_member("rule", &self.rule);
        out.string_member("source", &self.source);
        if opts.json_include_tags_property {
            let mut tags: Vec<&str> = self.tags.iter().map(String::as_str).collect();
            tags.sort_unstable();
            out.fixed_key("tags");
            out.begin_array();
            for t in tags {
                out.element_string(t);
            }
            out.end_array();
        }
        let mut time = std::mem::take(&mut out.text);
        time.clear();
        write_iso8601(&mut time, &civil(self.time_ns, 0), "Z");
        out.string_member("time", &time);
        out.finish()
    }
}

/// A compact JSON object written member by member, escaping as serde_json does.
struct JsonLine {
    buf: Vec<u8>,
    /// Whether the next member or element needs a comma before it.
    comma: bool,
    /// Scratch for texts composed before they are written (the output line, the time).
    text: String,
}

impl JsonLine {
    fn with_capacity(n: usize) -> JsonLine {
        let mut buf = Vec::with_capacity(n);
        buf.push(b'{');
        JsonLine {
            buf,
            comma: false,
            text: String::new(),
        }
    }

    fn separator(&mut self) {
        if self.comma {
            self.buf.push(b',');
        }
        self.comma = true;
    }

    fn key(&mut self, key: &str) {
        self.separator();
        self.raw_string(key);
        self.buf.push(b':');
        self.comma = false;
    }

    /// A key of the alert's own (`hostname`, `output_fields`, …): plain ASCII, copied as is.
    #[inline]
    fn fixed_key(&mut self, key: &'static str) {
        self.separator();
        self.buf.push(b'"');
        self.buf.extend_from_slice(key.as_bytes());
        self.buf.extend_from_slice(b"\":");
        self.comma = false;
    }

    fn string_member(&mut self, key: &'static str, value: &str) {
        self.fixed_key(key);
        self.raw_string(value);
        self.comma = true;
    }

    fn value(&mut self, value: &Value) {
        match value {
            Value::String(s) => self.raw_string(s),
            // Writing into a Vec cannot fail, nor can serialising a Value.
            _ => {
                let _ = serde_json::to_writer(&mut self.buf, value);
            }
        }
        self.comma = true;
    }

    fn element_string(&mut self, value: &str) {
        self.separator();
        self.raw_string(value);
    }

    fn begin_object(&mut self) {
        self.buf.push(b'{');
        self.comma = false;
    }

    fn end_object(&mut self) {
        self.buf.push(b'}');
        self.comma = true;
    }

    fn begin_array(&mut self) {
        self.buf.push(b'[');
        self.comma = false;
    }

    fn end_array(&mut self) {
        self.buf.push(b']');
        self.comma = true;
    }

    fn raw_string(&mut self, s: &str) {
        self.buf.push(b'"');
        escape_json_into(s.as_bytes(), &mut self.buf);
        self.buf.push(b'"');
    }

    fn finish(mut self) -> String {
        self.buf.push(b'}');
        // Only UTF-8 was written: keys and values are `str`, escapes are ASCII.
        String::from_utf8(self.buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

/// The bytes of `word` (little-endian) that need escaping in a JSON string: control bytes
/// (< 0x20), `"` and `\\`. The lowest set bit is exact (it marks the first such byte); higher
/// bits may be spurious.
#[inline]
fn escape_mask(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    // Bytes >= 0x80 have the high bit set in `word` and so never count as "less than 0x20".
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    below_space | has_zero(word ^ (ONES * u64::from(b'"'))) | has_zero(word ^ (ONES * u64::from(b'\\')))
}

/// Appends `s` (UTF-8) escaped as serde_json escapes string contents: `\"`, `\\`, `\b`, `\f`,
/// `\n`, `\r`, `\t`, other control bytes as `\u00xx`; everything else as is. Looks at 8 bytes
/// per step (the last, short step padded with clean bytes) and copies clean runs at once.
fn escape_json_into(s: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    let mut clean_from = 0;
    let mut i = 0;
    while i < s.len() {
        let word = match s.get(i..i + 8) {
            Some(chunk) => u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])),
            None => {
                let mut tail = [b'a'; 8];
                tail[..s.len() - i].copy_from_slice(&s[i..]);
                u64::from_le_bytes(tail)
            }
        };
        let mask = escape_mask(word);
        if mask == 0 {
            i += 8;
            continue;
        }
        i += (mask.trailing_zeros() / 8) as usize;
        let b = s[i];
        let short = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            0x0c => b'f',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0..=0x1f => b'u',
            // Not reached: the lowest bit of the mask marks a byte that needs escaping.
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&s[clean_from..i]);
        out.push(b'\\');
        out.push(short);
        if short == b'u' {
            out.extend_from_slice(&[b'0', b'0', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]);
        }
        i += 1;
        clean_from = i;
    }
    out.extend_from_slice(&s[clean_from..]);
}

/// Longest time prefix of a text alert (`2016-08-04T16:17:57.882054739+0000`).
const TIME_TEXT_CHARS: usize = 34;

/// Writes `n` in decimal into `digits`, zero-padded to its length (keeps the low digits).
fn fill_digits(digits: &mut [u8], mut n: u64) {
    for d in digits.iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// `HH:MM:SS.nnnnnnnnn`, composed in place and appended at once (this runs twice per alert).
fn write_clock(out: &mut String, c: &Civil) {
    let mut text = *b"00:00:00.000000000";
    fill_digits(&mut text[0..2], c.hour as u64);
    fill_digits(&mut text[3..5], c.minute as u64);
    fill_digits(&mut text[6..8], c.second as u64);
    fill_digits(&mut text[9..18], c.nanos);
    // Only ASCII digits and separators were written.
    out.push_str(std::str::from_utf8(&text).unwrap_or_default());
}

/// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn` and `zone` (`Z` or `+0000`); a year outside 0..=9999 is
/// written in full (as `{:04}` would, with its sign).
fn write_iso8601(out: &mut String, c: &Civil, zone: &str) {
    if (0..=9999).contains(&c.year) {
        let mut date = *b"0000-00-00T";
        fill_digits(&mut date[0..4], c.year as u64);
        fill_digits(&mut date[5..7], u64::from(c.month));
        fill_digits(&mut date[8..10], u64::from(c.day));
        out.push_str(std::str::from_utf8(&date).unwrap_or_default());
    } else {
        use std::fmt::Write;
        let _ = write!(out, "{:04}-{:02}-{:02}T", c.year, c.month, c.day);
    }
    write_clock(out, c);
    out.push_str(zone);
}

/// A message of the engine itself (Falco's `handle_msg`), such as the syscall drop alert: it
/// has no rule file behind it, no tags and its source is `internal`.
#[derive(Debug, Clone, PartialEq)]
pub struct InternalAlert {
    /// Nanoseconds since the epoch.
    pub time_ns: u64,
    pub priority: Priority,
    /// The name alerts carry as `rule`, e.g. `Falco internal: syscall event drop`.
    pub rule: String,
    pub message: String,
    /// Output fields; every value is a string, as Falco's.
    pub fields: Vec<(String, String)>,
}

/// The `source` of [`InternalAlert`]s.
pub const INTERNAL_SOURCE: &str = "internal";

impl InternalAlert {
    /// `<HH:MM:SS.ns>: <Priority> <message> (key="value" …)`, keys in alphabetical order. Falco
    /// prints these with a time of day whatever `time_format_iso_8601` says.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}: {} {} (",
            local_clock(self.time_ns),
            self.priority.as_str(),
            self.message
        );
        for (i, (key, value)) in self.sorted_fields().into_iter().enumerate() {
            if i > 0 {
                text.push(' ');
            }
            text.push_str(key);
            text.push('=');
            text.push_str(&Value::from(value.as_str()).to_string());
        }
        text.push(')');
        text
    }

    /// `{"hostname", "output", "output_fields", "priority", "rule", "source", "time"}`; unlike
    /// rule alerts, `output` is the bare message.
    pub fn to_json(&self, hostname: &str) -> String {
        let fields = self
            .sorted_fields()
            .into_iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect();
        sorted_object(vec![
            ("hostname".into(), Value::from(hostname)),
            ("output".into(), Value::from(self.message.as_str())),
            ("output_fields".into(), sorted_object(fields)),
            ("priority".into(), Value::from(self.priority.as_str())),
            ("rule".into(), Value::from(self.rule.as_str())),
            ("source".into(), Value::from(INTERNAL_SOURCE)),
            ("time".into(), Value::from(iso8601_utc_z(self.time_ns))),
        ])
        .to_string()
    }

    fn sorted_fields(&self) -> Vec<(&String, &String)> {
        let mut fields: Vec<_> = self.fields.iter().map(|(k, v)| (k, v)).collect();
        fields.sort();
        fields
    }
}

/// An object with keys in alphabetical order (Falco's), whether or not serde_json keeps
/// insertion order.
fn sorted_object(mut entries: Vec<(String, Value)>) -> Value {
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Object(entries.into_iter().collect())
}

/// Civil date from days since 1970-01-01 (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    minute: i64,
    second: i64,
    nanos: u64,
}

fn civil(time_ns: u64, offset_secs: i64) -> Civil {
    let secs = (time_ns / NANOS_PER_SEC) as i64 + offset_secs;
    let nanos = time_ns % NANOS_PER_SEC;
    let days = secs.div_euclid(SECS_PER_DAY);
    let sod = secs.rem_euclid(SECS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    Civil {
        year,
        month,
        day,
        hour: sod / 3600,
        minute: (sod % 3600) / 60,
        second: sod % 60,
        nanos,
    }
}

/// `2016-08-04T16:17:57.882054739+0000` (text alerts with `time_format_iso_8601`; Falco
/// always prints UTC there).
pub fn iso8601_offset(time_ns: u64) -> String {
    let mut s = String::with_capacity(TIME_TEXT_CHARS);
    write_iso8601(&mut s, &civil(time_ns, 0), "+0000");
    s
}

/// `2016-08-04T16:17:57.881785348Z` (the JSON `time` key).
pub fn iso8601_utc_z(time_ns: u64) -> String {
    let mut s = String::with_capacity(TIME_TEXT_CHARS);
    write_iso8601(&mut s, &civil(time_ns, 0), "Z");
    s
}

/// `16:17:57.882054739` in local time (text alerts by default).
pub fn local_clock(time_ns: u64) -> String {
    let mut s = String::with_capacity(TIME_TEXT_CHARS);
    write_clock(&mut s, &local_civil(time_ns));
    s
}

/// `time_ns` in local time.
fn local_civil(time_ns: u64) -> Civil {
    civil(time_ns, local_offset_secs((time_ns / NANOS_PER_SEC) as i64))
}

/// `2016-08-04 16:17:57.882054739` (or without the nanoseconds) in local time (`evt.datetime`).
pub fn local_datetime(time_ns: u64, with_nanos: bool) -> String {
    let c = civil(time_ns, local_offset_secs((time_ns / NANOS_PER_SEC) as i64));
    let date = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    );
    if with_nanos {
        format!("{date}.{:09}", c.nanos)
    } else {
        date
    }
}

/// The local time zone's offset from UTC at `epoch_secs`, from the C library (which reads
/// `TZ` and `/etc/localtime` as Falco's `localtime_r` does).
fn local_offset_secs(epoch_secs: i64) -> i64 {
    /// Seconds remembered (direct-mapped by second): alerts come in bursts within a few seconds,
    /// and each `localtime_r` costs thousands of instructions.
    const CACHED_SECONDS: usize = 64;
    thread_local! {
        static CACHE: std::cell::RefCell<[(i64, i64); CACHED_SECONDS]> =
            const { std::cell::RefCell::new([(i64::MIN, 0); CACHED_SECONDS]) };
    }
    let slot = epoch_secs.rem_euclid(CACHED_SECONDS as i64) as usize;
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let (secs, offset) = cache[slot];
        if secs == epoch_secs {
            return offset;
        }
        let offset = local_offset_from_libc(epoch_secs);
        cache[slot] = (epoch_secs, offset);
        offset
    })
}

fn local_offset_from_libc(epoch_secs: i64) -> i64 {
    let t: libc::time_t = epoch_secs as libc::time_t;
    // SAFETY: `tm` is plain data that localtime_r fully initialises on success; both pointers
    // are valid for the duration of the call.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: see above; localtime_r is the thread-safe variant.
    let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
    if ok {
        tm.tm_gmtoff
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert() -> Alert {
        let mut fields = OutputFields::default();
        fields.insert("proc.cmdline".into(), Value::from("cat /dev/null"));
        Alert {
            time_ns: 1_470_327_477_881_785_348,
            priority: Priority::Warning,
            rule: "open_from_cat".into(),
            source: "syscall".into(),
            tags: vec!["filesystem".into(), "process".into(), "testing".into()],
            message: "An open was seen (command=cat /dev/null)".into(),
            output_fields: fields,
        }
    }

    #[test]
    fn json_matches_falco_bytes() {
        let opts = AlertOptions {
            time_format_iso_8601: true,
            hostname: "test-falco-hostname".into(),
            ..AlertOptions::default()
        };
        let expected = r#"{"hostname":"test-falco-hostname","output":"2016-08-04T16:17:57.881785348+0000: Warning An open was seen (command=cat /dev/null)","output_fields":{"evt.time.iso8601":1470327477881785348,"proc.cmdline":"cat /dev/null"},"priority":"Warning","rule":"open_from_cat","source":"syscall","tags":["filesystem","process","testing"],"time":"2016-08-04T16:17:57.881785348Z"}"#;
        assert_eq!(alert().to_json(&opts), expected);
    }

    #[test]
    fn text_line_and_switches() {
        let mut opts = AlertOptions {
            time_format_iso_8601: true,
            ..AlertOptions::default()
        };
        assert_eq!(
            alert().to_text(&opts),
            "2016-08-04T16:17:57.881785348+0000: Warning An open was seen (command=cat /dev/null)"
        );
        opts.json_include_output_property = false;
        opts.json_include_tags_property = false;
        opts.json_include_message_property = true;
        let v: Value = serde_json::from_str(&alert().to_json(&opts)).unwrap();
        assert!(v.get("output").is_none() && v.get("tags").is_none());
        assert_eq!(v["message"], "An open was seen (command=cat /dev/null)");
        let clock = local_clock(1_470_327_477_881_785_348);
        assert!(clock.ends_with(":57.881785348"), "{clock}");
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    /// Every combination of the switches gives compact JSON with sorted keys and serde_json's
    /// escaping: parsing and printing it again (a sorted map) gives the same bytes.
    #[test]
    fn json_is_canonical_for_every_switch_combination() {
        let mut a = alert();
        a.message = "quote \" backslash \\ newline \n tab \t bell \u{7} é ✓".into();
        a.rule = "rule \"x\"".into();
        a.tags = vec!["z".into(), "a\"b".into()];
        a.output_fields.insert("fd.name".into(), Value::from("/tmp/a\nb"));
        a.output_fields.insert("evt.res".into(), Value::Null);
        a.output_fields.insert("fd.num".into(), Value::from(-3));
        a.output_fields.insert("evt.is_io".into(), Value::from(true));
        a.output_fields.insert("evt.time".into(), Value::from("stale"));
        for bits in 0..32u32 {
            let opts = AlertOptions {
                time_format_iso_8601: bits & 1 != 0,
                json_include_output_property: bits & 2 != 0,
                json_include_tags_property: bits & 4 != 0,
                json_include_output_fields_property: bits & 8 != 0,
                json_include_message_property: bits & 16 != 0,
                hostname: "host \"h\"".into(),
            };
            let json = a.to_json(&opts);
            let v: Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
            assert_eq!(v.to_string(), json, "switches {bits:#b}");
            assert_eq!(v["rule"], "rule \"x\"");
            assert_eq!(v.get("message").is_some(), opts.json_include_message_property);
            assert_eq!(v.get("output").is_some(), opts.json_include_output_property);
            assert_eq!(v.get("tags").is_some(), opts.json_include_tags_property);
            if opts.json_include_output_fields_property {
                let fields = &v["output_fields"];
                let time_key = if opts.time_format_iso_8601 {
                    "evt.time.iso8601"
                } else {
                    "evt.time"
                };
                assert_eq!(fields[time_key], Value::from(a.time_ns), "{json}");
                assert_eq!(fields["fd.name"], "/tmp/a\nb");
                assert_eq!(fields["evt.res"], Value::Null);
            } else {
                assert!(v.get("output_fields").is_none());
            }
        }
    }

    /// The word-at-a-time escaper writes what serde_json writes, wherever the byte needing an
    /// escape sits in a chunk of 8, and times print as `format!` would.
    #[test]
    fn escaping_and_time_texts_match_serde_json_and_format() {
        let mut samples: Vec<String> = (0u8..0x80).map(|b| (b as char).to_string()).collect();
        for b in 0u8..0x80 {
            for at in 0..17 {
                let mut s: String = "abcdefghijklmnopq".into();
                s.insert(at, b as char);
                samples.push(s);
            }
        }
        samples.push("é ✓ \u{7f} \u{1f600} tab\there \"quoted\" back\\slash".into());
        samples.push(String::new());
        for s in samples {
            let mut mine = Vec::new();
            escape_json_into(s.as_bytes(), &mut mine);
            let theirs = serde_json::to_string(&s).unwrap();
            assert_eq!(String::from_utf8(mine).unwrap(), theirs[1..theirs.len() - 1], "{s:?}");
        }
        for ns in [0u64, 1, 999_999_999, 1_470_327_477_881_785_348, u64::MAX] {
            let c = civil(ns, 0);
            let want = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
                c.year, c.month, c.day, c.hour, c.minute, c.second, c.nanos
            );
            assert_eq!(iso8601_utc_z(ns), want);
            assert_eq!(iso8601_offset(ns), want.replace('Z', "+0000"));
        }
    }

    #[test]
    fn internal_alerts_print_as_falco_handle_msg() {
        let alert = InternalAlert {
            time_ns: 1_470_327_477_881_785_348,
            priority: Priority::Debug,
            rule: "Falco internal: syscall event drop".into(),
            message: "Falco internal: syscall event drop. 1 system calls dropped in last second.".into(),
            fields: vec![("n_evts".into(), "10".into()), ("ebpf_enabled".into(), "0".into())],
        };
        let text = alert.to_text();
        let (clock, rest) = text.split_once(": ").unwrap();
        assert_eq!(clock, local_clock(alert.time_ns));
        assert_eq!(
            rest,
            r#"Debug Falco internal: syscall event drop. 1 system calls dropped in last second. (ebpf_enabled="0" n_evts="10")"#
        );
        let expected = r#"{"hostname":"h","output":"Falco internal: syscall event drop. 1 system calls dropped in last second.","output_fields":{"ebpf_enabled":"0","n_evts":"10"},"priority":"Debug","rule":"Falco internal: syscall event drop","source":"internal","time":"2016-08-04T16:17:57.881785348Z"}"#;
        assert_eq!(alert.to_json("h"), expected);
    }
}
