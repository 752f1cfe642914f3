//! Field extraction requests and results: argument parsing (`field[arg]`, plugin API 3.12.0
//! rules of libsinsp's plugin filtercheck) and the reusable host-owned result buffer.

use super::info::{FieldType, PluginField};
use plugin_api::ffi;
use std::ffi::CString;

/// Most values one extraction may return; longer lists are treated as "no value" (counted).
pub const MAX_EXTRACTED_VALUES: u64 = 65_536;

/// The argument of a field reference.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum FieldArg {
    /// No brackets.
    #[default]
    None,
    /// `field[123]` on an index field.
    Index(u64),
    /// `field[text]` on a key field (numeric-looking text too).
    Key(CString),
}

impl FieldArg {
    /// Checks `raw` (the text between the brackets, None without brackets) against the field's
    /// declared argument: index args are decimal digits without leading zeros that fit u64;
    /// key fields take the text as is; a field without arg declaration rejects any argument.
    pub fn parse(field: &PluginField, raw: Option<&str>) -> Result<FieldArg, String> {
        let Some(raw) = raw else {
            if field.arg.required {
                return Err(format!(
                    "field '{}' requires an argument, e.g. {}[...]",
                    field.name, field.name
                ));
            }
            return Ok(FieldArg::None);
        };
        if field.arg.index {
            let digits_ok =
                !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) && (raw == "0" || !raw.starts_with('0'));
            if digits_ok {
                if let Ok(n) = raw.parse::<u64>() {
                    return Ok(FieldArg::Index(n));
                }
            }
            if !field.arg.key {
                return Err(format!(
                    "field '{}' takes a numeric index argument (decimal digits, no leading zero), found '{raw}'",
                    field.name
                ));
            }
        }
        if field.arg.key {
            return CString::new(raw)
                .map(FieldArg::Key)
                .map_err(|_| format!("field '{}': argument contains a NUL byte", field.name));
        }
        Err(format!(
            "field '{}' does not take an argument, found '[{raw}]'",
            field.name
        ))
    }
}

/// One extracted value, borrowed from [`ExtractedValues`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtractedValue<'a> {
    /// uint64, reltime and abstime (nanoseconds) values.
    U64(u64),
    Bool(bool),
    /// String bytes without the NUL.
    Str(&'a [u8]),
    /// 4 or 16 address bytes (ipaddr, ipnet).
    Ip(&'a [u8]),
}

/// Host-owned copy of the results of the last extraction; reused across calls so the steady
/// state allocates nothing.
#[derive(Debug, Default, Clone)]
pub struct ExtractedValues {
    ty: Option<FieldType>,
    numbers: Vec<u64>,
    bytes: Vec<u8>,
    spans: Vec<(usize, usize)>,
}

impl ExtractedValues {
    pub fn new() -> ExtractedValues {
        ExtractedValues::default()
    }

    #[inline]
    pub fn clear(&mut self) {
        self.ty = None;
        self.numbers.clear();
        self.bytes.clear();
        self.spans.clear();
    }

    #[inline]
    pub(crate) fn start(&mut self, ty: FieldType) {
        self.clear();
        self.ty = Some(ty);
    }

    #[inline]
    pub(crate) fn push_number(&mut self, v: u64) {
        self.numbers.push(v);
    }

    #[inline]
    pub(crate) fn push_bytes(&mut self, b: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(b);
        self.spans.push((start, self.bytes.len()));
    }

    /// Type of the values (None before the first successful extraction).
    pub fn field_type(&self) -> Option<FieldType> {
        self.ty
    }

    pub fn len(&self) -> usize {
        match self.ty {
            Some(FieldType::String | FieldType::Ipaddr | FieldType::Ipnet) => self.spans.len(),
            Some(_) => self.numbers.len(),
            None => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<ExtractedValue<'_>> {
        Some(match self.ty? {
            FieldType::String => {
                let (a, b) = *self.spans.get(i)?;
                ExtractedValue::Str(&self.bytes[a..b])
            }
            FieldType::Ipaddr | FieldType::Ipnet => {
                let (a, b) = *self.spans.get(i)?;
                ExtractedValue::Ip(&self.bytes[a..b])
            }
            FieldType::Bool => ExtractedValue::Bool(*self.numbers.get(i)? != 0),
            FieldType::Uint64 | FieldType::Reltime | FieldType::Abstime => ExtractedValue::U64(*self.numbers.get(i)?),
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = ExtractedValue<'_>> {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

/// Where [`Plugin::extract_into`](super::Plugin::extract_into) and
/// [`Plugin::extract_batch_into`](super::Plugin::extract_batch_into) write each field's values
/// as they read them from the plugin's result arrays, without an intermediate copy. `field` is
/// the field's position in the call (0 for a single field). For each field the host calls
/// `start`, then `push` per value, then `clear` if the results turned out malformed (the field
/// then has no value); a field without any value gets only `clear`.
pub trait ValueSink {
    /// The values of `field`, of the plugin's declared type `ty`, follow.
    fn start(&mut self, field: usize, ty: FieldType);
    fn push(&mut self, field: usize, value: ExtractedValue<'_>);
    /// `field` has no value: drop what it received.
    fn clear(&mut self, field: usize);
}

impl ValueSink for ExtractedValues {
    #[inline]
    fn start(&mut self, _field: usize, ty: FieldType) {
        ExtractedValues::start(self, ty);
    }

    #[inline]
    fn push(&mut self, _field: usize, value: ExtractedValue<'_>) {
        match value {
            ExtractedValue::U64(v) => self.push_number(v),
            ExtractedValue::Bool(b) => self.push_number(b as u64),
            ExtractedValue::Str(b) | ExtractedValue::Ip(b) => self.push_bytes(b),
        }
    }

    #[inline]
    fn clear(&mut self, _field: usize) {
        ExtractedValues::clear(self);
    }
}

/// One [`ExtractedValues`] per field of the call.
impl ValueSink for [ExtractedValues] {
    #[inline]
    fn start(&mut self, field: usize, ty: FieldType) {
        if let Some(v) = self.get_mut(field) {
            ValueSink::start(v, 0, ty);
        }
    }

    #[inline]
    fn push(&mut self, field: usize, value: ExtractedValue<'_>) {
        if let Some(v) = self.get_mut(field) {
            ValueSink::push(v, 0, value);
        }
    }

    #[inline]
    fn clear(&mut self, field: usize) {
        if let Some(v) = self.get_mut(field) {
            v.clear();
        }
    }
}

/// A fixed list of fields of one plugin, extracted from each event with a single
/// `extract_fields` call (`num_fields` > 1, plugin API 3.12.0 §8) by
/// [`Plugin::extract_batch`](super::Plugin::extract_batch).
///
/// Built once (e.g. when rules are compiled) and reused for every event: the request array and
/// the result buffers keep their allocations, so the steady state allocates nothing. Each
/// field gets the same values (or "no value") as its own [`Plugin::extract`](super::Plugin::extract)
/// call would give.
///
/// ```no_run
/// # use saker::plugins::{FieldArg, FieldBatch, Plugin};
/// # fn f(plugin: &Plugin, event: &[u8]) {
/// let num = plugin.field_index("countgen.num").unwrap();
/// let text = plugin.field_index("countgen.str").unwrap();
/// let mut batch = FieldBatch::new([(num, FieldArg::None), (text, FieldArg::None)]);
/// plugin.extract_batch(event, 1, c"countgen", &mut batch);
/// println!("{:?} {:?}", batch.values(0).get(0), batch.values(1).get(0));
/// # }
/// ```
#[derive(Default)]
pub struct FieldBatch {
    pub(crate) fields: Vec<(u32, FieldArg)>,
    /// The call's request array, built on the first call for a plugin and reused while the
    /// batch is used with that plugin (its result members are the plugin's to set).
    pub(crate) requests: Vec<ffi::ss_plugin_extract_field>,
    /// The [`Plugin`](super::Plugin) instance `requests` was built for; 0 = none.
    pub(crate) built_for: u64,
    pub(crate) results: Vec<ExtractedValues>,
}

impl std::fmt::Debug for FieldBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldBatch")
            .field("fields", &self.fields)
            .field("results", &self.results)
            .finish()
    }
}

// SAFETY: the raw pointers in `requests` point at the plugin's field names (alive as long as the
// plugin `built_for` names, which is checked before each use), at the argument keys in `fields`
// (heap data the batch owns and never changes) and at results, which are read only during a
// call; moving the batch to another thread cannot make them dangle while in use.
unsafe impl Send for FieldBatch {}

impl FieldBatch {
    /// A batch of `(field index, argument)` pairs of one plugin, in the order the results are
    /// read back with [`values`](Self::values).
    pub fn new(fields: impl IntoIterator<Item = (u32, FieldArg)>) -> FieldBatch {
        let fields: Vec<_> = fields.into_iter().collect();
        let results = fields.iter().map(|_| ExtractedValues::new()).collect();
        FieldBatch {
            requests: Vec::with_capacity(fields.len()),
            built_for: 0,
            fields,
            results,
        }
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The requested fields, in order.
    pub fn fields(&self) -> &[(u32, FieldArg)] {
        &self.fields
    }

    /// Values of the `i`-th field from the last extraction (empty = no value).
    ///
    /// # Panics
    /// If `i >= self.len()`.
    pub fn values(&self, i: usize) -> &ExtractedValues {
        &self.results[i]
    }

    /// Values of every field from the last extraction, in request order.
    pub fn all_values(&self) -> &[ExtractedValues] {
        &self.results
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::info::FieldArgSpec;

    fn field(arg: FieldArgSpec) -> PluginField {
        PluginField {
            name: "f".into(),
            ty: FieldType::String,
            is_list: false,
            arg,
            desc: "d".into(),
            display: String::new(),
            properties: vec![],
            add_output: false,
            saker_type: None,
            dotted: false,
            several_values: false,
        }
    }

    #[test]
    fn index_args_follow_the_digit_rule() {
        let f = field(FieldArgSpec {
            required: false,
            index: true,
            key: false,
        });
        assert_eq!(FieldArg::parse(&f, Some("0")), Ok(FieldArg::Index(0)));
        assert_eq!(FieldArg::parse(&f, Some("17")), Ok(FieldArg::Index(17)));
        assert!(FieldArg::parse(&f, Some("017"))
            .unwrap_err()
            .contains("no leading zero"));
        assert!(FieldArg::parse(&f, Some("-1")).is_err());
        assert!(FieldArg::parse(&f, Some("99999999999999999999")).is_err());
        assert_eq!(FieldArg::parse(&f, None), Ok(FieldArg::None));
    }

    #[test]
    fn key_and_required_args() {
        let k = field(FieldArgSpec {
            required: true,
            index: false,
            key: true,
        });
        assert_eq!(
            FieldArg::parse(&k, Some("12")),
            Ok(FieldArg::Key(CString::new("12").unwrap()))
        );
        assert!(FieldArg::parse(&k, None).unwrap_err().contains("requires an argument"));
        let none = field(FieldArgSpec::default());
        assert!(FieldArg::parse(&none, Some("x"))
            .unwrap_err()
            .contains("does not take an argument"));
    }
}
