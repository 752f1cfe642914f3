//! JSON parsed into a flat tape of byte spans over a copy of the text.
//!
//! Falco's Go plugins parse event payloads with `valyala/fastjson`, which keeps the original
//! text of numbers and strings and the order of object keys. Re-serialising a value therefore
//! reproduces the input minus whitespace. This tape keeps the same properties: every node is a
//! span of the original bytes, so a value's compact text is its span without insignificant
//! whitespace, numbers are never reformatted, keys keep their order and the first of duplicate
//! keys wins (as `fastjson.Value.Get`). Parsing reuses the tape's buffers: once warm, parsing
//! the next event allocates nothing.
#![deny(unsafe_op_in_unsafe_fn)]

mod format;
mod parse;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

pub use format::{write_compact, write_indented};

/// Deepest nesting of arrays/objects accepted; deeper documents are rejected (stack bound).
pub const MAX_DEPTH: usize = 512;
/// Largest document accepted: spans are stored as `u32` offsets.
pub const MAX_DOCUMENT_LEN: usize = u32::MAX as usize;

/// How deep [`Tape::parse_with`] goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Arrays/objects nested this deep are refused with [`ParseError::TooDeep`]: the root
    /// value is at depth 0, so `max_depth` nested containers are accepted.
    pub max_depth: usize,
    /// Arrays/objects at this depth or deeper are checked as thoroughly, but their contents
    /// get no nodes: such a value's `raw`, `write_compact` and `write_text` are right, while
    /// its `elements`, `members` and `get` see it empty. Recording fewer nodes is most of what a
    /// parse saves when only the top of a document is read (`1`: the root's members).
    pub expand_depth: usize,
}

impl Limits {
    /// Every value recorded, nesting up to [`MAX_DEPTH`]: what [`Tape::parse`] does.
    pub const FULL: Limits = Limits {
        max_depth: MAX_DEPTH,
        expand_depth: usize::MAX,
    };
}

/// Why a text is not valid JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("invalid JSON at byte {offset}: expected {expected}, found {found}")]
    Unexpected {
        offset: usize,
        expected: &'static str,
        found: String,
    },
    #[error("JSON text ends at byte {offset} inside a value (truncated or incomplete document)")]
    Incomplete { offset: usize },
    #[error("JSON nesting deeper than {max} levels at byte {offset}", max = MAX_DEPTH)]
    TooDeep { offset: usize },
    #[error("JSON document of {len} bytes exceeds the limit of {max} bytes", max = MAX_DOCUMENT_LEN)]
    TooLarge { len: usize },
    #[error("no JSON value in the input (empty or only whitespace)")]
    Empty,
}

impl ParseError {
    /// Byte offset of the problem in the parsed text, if it has one.
    pub fn offset(&self) -> Option<usize> {
        match self {
            ParseError::Unexpected { offset, .. }
            | ParseError::Incomplete { offset }
            | ParseError::TooDeep { offset } => Some(*offset),
            _ => None,
        }
    }
}

/// `bytes` as text, invalid UTF-8 replaced by U+FFFD: `String::from_utf8_lossy`, with the
/// common valid case checked by the faster `std::str::from_utf8` first.
pub fn utf8_lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// The type of a JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Null,
    True,
    False,
    Number,
    String,
    Array,
    Object,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    kind: Kind,
    /// String contains a backslash escape (its text differs from its value).
    escaped: bool,
    /// Span in the text; strings include their quotes.
    start: u32,
    end: u32,
    /// Index of the first node after this node's subtree (the next sibling).
    next: u32,
}

/// A parsed document. Reuse one tape for many documents to keep its buffers.
#[derive(Debug, Default, Clone)]
pub struct Tape {
    text: Vec<u8>,
    nodes: Vec<Node>,
    /// The parser's stack of open containers, kept for its capacity.
    frames: Vec<parse::Frame>,
    /// The value has no whitespace between its tokens: every span is already compact text
    /// (the webhook's events and most log lines), so compacting is a copy.
    compact: bool,
}

impl Tape {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `text`, which must hold exactly one JSON value (whitespace around it allowed).
    pub fn parse(&mut self, text: &[u8]) -> Result<(), ParseError> {
        self.parse_with(text, Limits::FULL)
    }

    /// [`Tape::parse`] within `limits`: accepts and refuses exactly the texts `parse` does
    /// (with the same errors) when `limits.max_depth` is [`MAX_DEPTH`].
    pub fn parse_with(&mut self, text: &[u8], limits: Limits) -> Result<(), ParseError> {
        let end = self.parse_prefix_with(text, limits)?;
        let rest = &text[end..];
        if let Some(p) = rest.iter().position(|b| !parse::is_ws(*b)) {
            self.clear();
            return Err(ParseError::Unexpected {
                offset: end + p,
                expected: "end of input after the JSON value",
                found: parse::describe(rest[p]),
            });
        }
        Ok(())
    }

    /// Parses the first JSON value of `text` (after leading whitespace) and returns the offset
    /// just past it, so that a stream of concatenated values (JSON lines) can be walked.
    pub fn parse_prefix(&mut self, text: &[u8]) -> Result<usize, ParseError> {
        self.parse_prefix_with(text, Limits::FULL)
    }

    fn parse_prefix_with(&mut self, text: &[u8], limits: Limits) -> Result<usize, ParseError> {
        if text.len() > MAX_DOCUMENT_LEN {
            return Err(ParseError::TooLarge { len: text.len() });
        }
        self.text.clear();
        self.nodes.clear();
        let mut parser = parse::Parser {
            text,
            nodes: &mut self.nodes,
            inner_ws: false,
            max_depth: limits.max_depth.min(MAX_DEPTH),
            expand_depth: limits.expand_depth,
            frames: &mut self.frames,
        };
        let r = parser.document();
        let compact = !parser.inner_ws;
        match r {
            // Nodes hold absolute offsets, so the leading whitespace is kept too.
            Ok(end) => {
                self.text.extend_from_slice(&text[..end]);
                self.compact = compact;
                Ok(end)
            }
            Err(e) => {
                self.clear();
                Err(e)
            }
        }
    }

    /// The value has no whitespace between its tokens: each value's `raw` text is its compact
    /// text (whitespace before or after the whole value does not count).
    pub fn is_compact(&self) -> bool {
        self.compact
    }

    /// Forgets the document, keeping capacity.
    pub fn clear(&mut self) {
        self.text.clear();
        self.nodes.clear();
    }

    /// The root value, if a document is loaded.
    pub fn root(&self) -> Option<Value<'_>> {
        (!self.nodes.is_empty()).then_some(Value { tape: self, idx: 0 })
    }
}

/// A value inside a [`Tape`]; cheap to copy.
#[derive(Clone, Copy)]
pub struct Value<'t> {
    tape: &'t Tape,
    idx: u32,
}

impl std::fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}({})", self.kind(), String::from_utf8_lossy(self.raw()))
    }
}

impl<'t> Value<'t> {
    fn node(&self) -> &'t Node {
        &self.tape.nodes[self.idx as usize]
    }

    pub fn kind(&self) -> Kind {
        self.node().kind
    }

    /// The original text of the value (strings with their quotes and escapes).
    pub fn raw(&self) -> &'t [u8] {
        let n = self.node();
        &self.tape.text[n.start as usize..n.end as usize]
    }

    /// Byte offset of the value in the parsed text.
    pub fn offset(&self) -> usize {
        self.node().start as usize
    }

    /// The string's value (escapes decoded); `None` for other kinds. Borrowed unless escaped.
    pub fn as_str(&self) -> Option<Cow<'t, str>> {
        if self.kind() != Kind::String {
            return None;
        }
        let raw = self.raw();
        let inner = &raw[1..raw.len() - 1];
        if !self.node().escaped {
            // Go strings may hold invalid UTF-8; such bytes become U+FFFD here.
            return Some(utf8_lossy(inner));
        }
        Some(Cow::Owned(parse::unescape(inner)))
    }

    /// `true`/`false` for booleans, `None` otherwise.
    pub fn as_bool(&self) -> Option<bool> {
        match self.kind() {
            Kind::True => Some(true),
            Kind::False => Some(false),
            _ => None,
        }
    }

    /// Elements of an array (empty iterator for other kinds).
    pub fn elements(&self) -> Elements<'t> {
        let n = self.node();
        let (next, end) = if n.kind == Kind::Array {
            (self.idx + 1, n.next)
        } else {
            (0, 0)
        };
        Elements {
            tape: self.tape,
            next,
            end,
        }
    }

    /// Members of an object as (key, value), in document order (empty for other kinds).
    pub fn members(&self) -> Members<'t> {
        let n = self.node();
        let (next, end) = if n.kind == Kind::Object {
            (self.idx + 1, n.next)
        } else {
            (0, 0)
        };
        Members {
            tape: self.tape,
            next,
            end,
        }
    }

    /// Number of elements of an array (0 for other kinds).
    pub fn len(&self) -> usize {
        self.elements().count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The member `key` of an object (first one if duplicated), or element number `key` of an
    /// array (`fastjson.Value.Get` semantics: decimal, optional sign, negative = none).
    pub fn get(&self, key: &str) -> Option<Value<'t>> {
        match self.kind() {
            Kind::Object => {
                // The hot lookup of field extraction: key lengths are compared from the spans
                // before any text is, and only escaped keys are decoded.
                let nodes = &self.tape.nodes;
                let (mut i, end) = (self.idx + 1, self.node().next);
                while i < end {
                    let k = &nodes[i as usize];
                    let plain_match = (k.end - k.start) as usize == key.len() + 2;
                    if (plain_match || k.escaped)
                        && (Value {
                            tape: self.tape,
                            idx: i,
                        })
                        .key_eq(key)
                    {
                        return Some(Value {
                            tape: self.tape,
                            idx: i + 1,
                        });
                    }
                    i = nodes[i as usize + 1].next;
                }
                None
            }
            Kind::Array => {
                let i = parse_go_atoi(key)?;
                self.at(usize::try_from(i).ok()?)
            }
            _ => None,
        }
    }

    /// Element `i` of an array.
    pub fn at(&self, i: usize) -> Option<Value<'t>> {
        self.elements().nth(i)
    }

    /// Walks object keys (and array indexes) one after the other.
    pub fn path(&self, keys: &[&str]) -> Option<Value<'t>> {
        keys.iter().try_fold(*self, |v, k| v.get(k))
    }

    /// Compares a string value with `key` without allocating when it has no escapes.
    #[inline]
    pub fn key_eq(&self, key: &str) -> bool {
        let n = self.node();
        if n.kind != Kind::String {
            return false;
        }
        let inner = &self.tape.text[n.start as usize + 1..n.end as usize - 1];
        if !n.escaped {
            // Lengths first: most keys of an object differ from the one looked for in length.
            return inner.len() == key.len() && same_bytes(inner, key.as_bytes());
        }
        parse::unescape(inner) == key
    }

    /// Appends the value's compact text (original text without insignificant whitespace).
    pub fn write_compact(&self, out: &mut Vec<u8>) {
        if self.tape.compact {
            out.extend_from_slice(self.raw());
        } else {
            format::write_compact(self.raw(), out)
        }
    }

    /// Appends the value as text: a string's decoded contents, any other value compact JSON
    /// (Falco's `jsonValueAsString`).
    pub fn write_text(&self, out: &mut Vec<u8>) {
        match self.as_str() {
            Some(s) => out.extend_from_slice(s.as_bytes()),
            None => self.write_compact(out),
        }
    }
}

/// `a == b` for slices of the same length, without a `memcmp` call for the short ones (object
/// keys): two overlapping word loads compare 4 to 16 bytes.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or_default());
    let half = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().unwrap_or_default());
    match n {
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        _ => a == b,
    }
}

/// `strconv.Atoi`: optional sign then decimal digits; `None` when not a number.
fn parse_go_atoi(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: i64 = digits.parse().ok()?;
    Some(if neg { -v } else { v })
}

/// Iterator over array elements.
pub struct Elements<'t> {
    tape: &'t Tape,
    next: u32,
    end: u32,
}

impl<'t> Iterator for Elements<'t> {
    type Item = Value<'t>;
    fn next(&mut self) -> Option<Value<'t>> {
        if self.next >= self.end {
            return None;
        }
        let v = Value {
            tape: self.tape,
            idx: self.next,
        };
        self.next = v.node().next;
        Some(v)
    }
}

/// Iterator over object members.
pub struct Members<'t> {
    tape: &'t Tape,
    next: u32,
    end: u32,
}

impl<'t> Iterator for Members<'t> {
    type Item = (Value<'t>, Value<'t>);
    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let k = Value {
            tape: self.tape,
            idx: self.next,
        };
        let v = Value {
            tape: self.tape,
            idx: self.next + 1,
        };
        self.next = v.node().next;
        Some((k, v))
    }
}
