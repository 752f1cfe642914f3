//! Where extraction writes a field's values: straight into the SDK's output in the plugin
//! ([`OutputSink`]), or into a `Vec<FieldValue>` for tests and tools.
//!
//! Text that already exists (comm, exe, fd names, paths in the state) is written as borrowed
//! `&str`; text that must be built is formatted directly into the sink ([`Sink::str_fmt`]),
//! so the plugin copies each value once, into the SDK's result storage.

use std::fmt;

use plugin_api::sdk::{ExtractOutput, PluginError};

use super::FieldValue;

/// Receives the values of one field extraction (nothing written = "no value").
pub trait Sink {
    /// A non-text value, or owned text (moved into a `Vec`, copied into the SDK's output).
    fn push(&mut self, v: FieldValue);
    /// Borrowed text.
    fn str(&mut self, s: &str);
    /// Text assembled with `format_args!`, without an intermediate `String`.
    fn str_fmt(&mut self, args: fmt::Arguments<'_>);

    /// Several values (a list field, or a several-candidate field).
    fn extend(&mut self, values: impl IntoIterator<Item = FieldValue>) {
        for v in values {
            self.push(v);
        }
    }
}

impl Sink for Vec<FieldValue> {
    fn push(&mut self, v: FieldValue) {
        Vec::push(self, v);
    }

    fn str(&mut self, s: &str) {
        Vec::push(self, FieldValue::Str(s.to_owned()));
    }

    fn str_fmt(&mut self, args: fmt::Arguments<'_>) {
        Vec::push(self, FieldValue::Str(fmt::format(args)));
    }
}

/// The SDK's output for the field being extracted; keeps the first error it reports (a value
/// of the wrong kind), which the plugin returns once the field is done.
pub struct OutputSink<'o> {
    out: &'o mut ExtractOutput,
    error: Option<PluginError>,
}

impl<'o> OutputSink<'o> {
    pub fn new(out: &'o mut ExtractOutput) -> Self {
        OutputSink { out, error: None }
    }

    /// `Err` with the first error a write reported.
    pub fn finish(self) -> Result<(), PluginError> {
        match self.error {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }

    #[inline]
    fn check(&mut self, r: Result<(), PluginError>) {
        if let Err(e) = r {
            self.error.get_or_insert(e);
        }
    }
}

impl Sink for OutputSink<'_> {
    #[inline]
    fn push(&mut self, v: FieldValue) {
        let r = v.write_to(self.out);
        self.check(r);
    }

    #[inline]
    fn str(&mut self, s: &str) {
        let r = self.out.str(s);
        self.check(r);
    }

    #[inline]
    fn str_fmt(&mut self, args: fmt::Arguments<'_>) {
        let r = self.out.str_fmt(args);
        self.check(r);
    }
}

/// Shows `head` (if any), then each of `items` preceded by `sep` (`proc.cmdline`, `proc.args` …).
pub(super) struct Joined<'a, I> {
    pub head: Option<&'a str>,
    pub items: I,
    pub sep: &'a str,
}

impl<'a, I> fmt::Display for Joined<'a, I>
where
    I: Clone + IntoIterator,
    I::Item: AsRef<str>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        if let Some(h) = self.head {
            f.write_str(h)?;
            first = false;
        }
        for item in self.items.clone() {
            if !first {
                f.write_str(self.sep)?;
            }
            first = false;
            f.write_str(item.as_ref())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_puts_the_separator_between_items_only() {
        let items = ["a".to_owned(), "bc".to_owned()];
        let show = |head, items: &[String]| Joined { head, items, sep: " " }.to_string();
        assert_eq!(show(None, &items), "a bc");
        assert_eq!(show(Some("cmd"), &items), "cmd a bc");
        assert_eq!(show(Some("cmd"), &[]), "cmd");
        assert_eq!(show(None, &[]), "");
    }

    #[test]
    fn a_vec_sink_keeps_text_values_as_written() {
        let mut out: Vec<FieldValue> = Vec::new();
        out.str("x");
        out.str_fmt(format_args!("{}-{}", 1, "y"));
        out.push(FieldValue::U64(3));
        assert_eq!(
            out,
            vec![
                FieldValue::Str("x".into()),
                FieldValue::Str("1-y".into()),
                FieldValue::U64(3)
            ]
        );
    }
}
