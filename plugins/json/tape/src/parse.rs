//! The recursive-descent parser filling a tape, and string unescaping.

use crate::{Kind, Node, ParseError};

pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// A byte quoted for an error message.
pub(crate) fn describe(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

pub(crate) struct Parser<'a> {
    pub text: &'a [u8],
    pub nodes: &'a mut Vec<Node>,
    /// Whitespace was found between the tokens of the value (not just around it).
    pub inner_ws: bool,
    /// Containers nested this deep (the root value is at depth 0) are refused.
    pub max_depth: usize,
    /// Containers at this depth or deeper are checked but their contents are not recorded:
    /// each is one node whose subtree looks empty (see [`crate::Limits::expand_depth`]).
    pub expand_depth: usize,
    /// The open containers while [`Parser::container`] walks one (reused between parses).
    pub frames: &'a mut Vec<Frame>,
}

/// A container being parsed: the stack [`Parser::container`] keeps instead of recursing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    /// Its node on the tape (when `record`).
    idx: u32,
    kind: Kind,
    /// It has a node.
    record: bool,
    /// Its members/elements get nodes.
    record_contents: bool,
}

/// Eight copies of byte `b` in a word.
const fn splat(b: u8) -> u64 {
    u64::from_ne_bytes([b; 8])
}

/// Offset of the first byte of `text[p..]` that ends a plain run of string characters: a
/// quote, a backslash or a control character (`text.len()` when there is none). String bodies
/// are most of an audit event's bytes: this scans 16 bytes per step with SSE2 (part of every
/// x86_64 CPU), then eight per step (SWAR) near the end of the text.
#[inline(always)]
fn string_special(text: &[u8], mut p: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    while let Some(chunk) = text.get(p..p + 16) {
        use std::arch::x86_64::{
            _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
        };
        // SAFETY: `chunk` has 16 readable bytes and `_mm_loadu_si128` needs no alignment; the
        // other intrinsics only compute on registers, with SSE2, which every x86_64 CPU has.
        let mask = unsafe {
            let x = _mm_loadu_si128(chunk.as_ptr().cast());
            let quote = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\' as i8));
            // Unsigned x <= 0x1f exactly when min(x, 0x1f) == x.
            let control = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x);
            _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control))
        };
        if mask != 0 {
            return p + mask.trailing_zeros() as usize;
        }
        p += 16;
    }
    string_special_swar(text, p)
}

/// [`string_special`] eight bytes per step in a `u64`.
#[inline(always)]
fn string_special_swar(text: &[u8], mut p: usize) -> usize {
    const LOW: u64 = splat(0x01);
    const HIGH: u64 = splat(0x80);
    while let Some(chunk) = text.get(p..p + 8) {
        let x = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let zero_byte = |v: u64| v.wrapping_sub(LOW) & !v & HIGH;
        // Each term flags (at least) the lowest byte it is true for; bytes >= 0x80 never match.
        let found =
            zero_byte(x ^ splat(b'"')) | zero_byte(x ^ splat(b'\\')) | (x.wrapping_sub(splat(0x20)) & !x & HIGH);
        if found != 0 {
            return p + (found.trailing_zeros() / 8) as usize;
        }
        p += 8;
    }
    text[p.min(text.len())..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map_or(text.len(), |i| p + i)
}

/// Containers nested this deep are parsed by [`Parser::container_walk`], without recursion.
const RECURSION_DEPTH: usize = 32;

/// Boxed so that results fit in two registers on the hot paths; errors are rare.
type Res<T> = Result<T, Box<ParseError>>;

impl Parser<'_> {
    /// Parses one value after optional whitespace; returns the offset past it.
    pub fn document(&mut self) -> Result<usize, ParseError> {
        let start = self.skip_ws(0);
        if start == self.text.len() {
            return Err(ParseError::Empty);
        }
        self.inner_ws = false;
        self.value::<true>(start, 0).map_err(|e| *e)
    }

    #[inline(always)]
    fn skip_ws(&mut self, mut p: usize) -> usize {
        if p < self.text.len() && is_ws(self.text[p]) {
            self.inner_ws = true;
            while p < self.text.len() && is_ws(self.text[p]) {
                p += 1;
            }
        }
        p
    }

    fn unexpected<T>(&self, p: usize, expected: &'static str) -> Res<T> {
        Err(self.error_at(p, expected))
    }

    /// Kept out of line: building an error is rare, and inlined it would bloat the hot paths.
    #[cold]
    #[inline(never)]
    fn error_at(&self, p: usize, expected: &'static str) -> Box<ParseError> {
        Box::new(match self.text.get(p) {
            None => ParseError::Incomplete { offset: p },
            Some(&b) => ParseError::Unexpected {
                offset: p,
                expected,
                found: describe(b),
            },
        })
    }

    #[inline(always)]
    fn push(&mut self, kind: Kind, escaped: bool, start: usize, end: usize) -> usize {
        let idx = self.nodes.len();
        self.nodes.push(Node {
            kind,
            escaped,
            start: start as u32,
            end: end as u32,
            next: idx as u32 + 1,
        });
        idx
    }

    /// One value at `p`; recorded on the tape when `RECORD` (otherwise only checked).
    fn value<const RECORD: bool>(&mut self, p: usize, depth: usize) -> Res<usize> {
        match self.text.get(p) {
            Some(b'{') if depth < RECURSION_DEPTH => self.container::<RECORD>(p, depth, Kind::Object),
            Some(b'[') if depth < RECURSION_DEPTH => self.container::<RECORD>(p, depth, Kind::Array),
            Some(b'{') => self.container_walk(p, depth, Kind::Object, RECORD),
            Some(b'[') => self.container_walk(p, depth, Kind::Array, RECORD),
            Some(b'"') => {
                let (end, escaped) = self.string(p)?;
                if RECORD {
                    self.push(Kind::String, escaped, p, end);
                }
                Ok(end)
            }
            Some(b't') => self.literal::<RECORD>(p, b"true", Kind::True),
            Some(b'f') => self.literal::<RECORD>(p, b"false", Kind::False),
            Some(b'n') => self.literal::<RECORD>(p, b"null", Kind::Null),
            Some(b'-' | b'0'..=b'9') => {
                let end = self.number(p)?;
                if RECORD {
                    self.push(Kind::Number, false, p, end);
                }
                Ok(end)
            }
            _ => self.unexpected(p, "a JSON value"),
        }
    }

    /// An object or array at `start`. With `RECORD` it gets a node, and so do its contents
    /// when it is shallower than `expand_depth`; without, it is only checked.
    fn container<const RECORD: bool>(&mut self, start: usize, depth: usize, kind: Kind) -> Res<usize> {
        if depth >= self.max_depth {
            return Err(Box::new(ParseError::TooDeep { offset: start }));
        }
        let idx = if RECORD {
            self.push(kind, false, start, start)
        } else {
            0
        };
        let record_contents = RECORD && depth < self.expand_depth;
        let close = if kind == Kind::Object { b'}' } else { b']' };
        let mut p = self.skip_ws(start + 1);
        let end = if self.text.get(p) == Some(&close) {
            p + 1
        } else {
            loop {
                if kind == Kind::Object {
                    if self.text.get(p) != Some(&b'"') {
                        return self.unexpected(p, "a string key");
                    }
                    let (kend, escaped) = self.string(p)?;
                    if record_contents {
                        self.push(Kind::String, escaped, p, kend);
                    }
                    // Compact text first: the colon right after the key.
                    p = kend;
                    if self.text.get(p) != Some(&b':') {
                        p = self.skip_ws(p);
                        if self.text.get(p) != Some(&b':') {
                            return self.unexpected(p, "':' after an object key");
                        }
                    }
                    p = self.skip_ws(p + 1);
                }
                p = if self.text.get(p) == Some(&b'"') {
                    // Most values are strings: scanned here, without a recursive call.
                    let (end, escaped) = self.string(p)?;
                    if record_contents {
                        self.push(Kind::String, escaped, p, end);
                    }
                    end
                } else if record_contents {
                    self.value::<true>(p, depth + 1)?
                } else {
                    self.value::<false>(p, depth + 1)?
                };
                // Compact text first: the comma or the closing bracket right after the value.
                let mut next = self.text.get(p).copied();
                if next != Some(b',') && next != Some(close) {
                    p = self.skip_ws(p);
                    next = self.text.get(p).copied();
                }
                match next {
                    Some(b',') => p = self.skip_ws(p + 1),
                    Some(c) if c == close => break p + 1,
                    _ => {
                        return self.unexpected(
                            p,
                            if kind == Kind::Object {
                                "',' or '}' in an object"
                            } else {
                                "',' or ']' in an array"
                            },
                        )
                    }
                }
            }
        };
        if RECORD {
            let next = self.nodes.len() as u32;
            let n = &mut self.nodes[idx];
            n.end = end as u32;
            n.next = next;
        }
        Ok(end)
    }

    /// [`Parser::container`] for a container at [`RECURSION_DEPTH`] or deeper: the same
    /// result, with the containers nested in it walked with an explicit stack of the open ones
    /// ([`Frame`]) instead of by recursion, so that the deepest accepted document cannot
    /// overflow a thread's stack (in debug builds either). Real documents are shallower and
    /// keep the faster recursive walk.
    fn container_walk(&mut self, start: usize, depth: usize, kind: Kind, record: bool) -> Res<usize> {
        self.frames.clear();
        let mut p = self.open(start, depth, kind, record)?;
        let mut at_first = true;
        loop {
            let Some(&top) = self.frames.last() else {
                return self.unexpected(p, "a JSON value");
            };
            let close = if top.kind == Kind::Object { b'}' } else { b']' };
            if !(at_first && self.text.get(p) == Some(&close)) {
                // A member (object) or an element (array) starts at `p`.
                if top.kind == Kind::Object {
                    if self.text.get(p) != Some(&b'"') {
                        return self.unexpected(p, "a string key");
                    }
                    let (kend, escaped) = self.string(p)?;
                    if top.record_contents {
                        self.push(Kind::String, escaped, p, kend);
                    }
                    // Compact text first: the colon right after the key.
                    p = kend;
                    if self.text.get(p) != Some(&b':') {
                        p = self.skip_ws(p);
                        if self.text.get(p) != Some(&b':') {
                            return self.unexpected(p, "':' after an object key");
                        }
                    }
                    p = self.skip_ws(p + 1);
                }
                match self.text.get(p) {
                    // Most values are strings: scanned here.
                    Some(b'"') => {
                        let (end, escaped) = self.string(p)?;
                        if top.record_contents {
                            self.push(Kind::String, escaped, p, end);
                        }
                        p = end;
                    }
                    Some(&b @ (b'{' | b'[')) => {
                        let kind = if b == b'{' { Kind::Object } else { Kind::Array };
                        p = self.open(p, depth + self.frames.len(), kind, top.record_contents)?;
                        at_first = true;
                        continue;
                    }
                    _ => {
                        p = if top.record_contents {
                            self.value::<true>(p, depth + self.frames.len())?
                        } else {
                            self.value::<false>(p, depth + self.frames.len())?
                        };
                    }
                }
            }
            // After a value of the innermost open container (or at its closing bracket when
            // it is empty): a comma, or closing brackets that end it and maybe its parents.
            at_first = false;
            loop {
                let Some(&top) = self.frames.last() else {
                    return self.unexpected(p, "a JSON value");
                };
                let close = if top.kind == Kind::Object { b'}' } else { b']' };
                // Compact text first: the comma or the closing bracket right after the value.
                let mut next = self.text.get(p).copied();
                if next != Some(b',') && next != Some(close) {
                    p = self.skip_ws(p);
                    next = self.text.get(p).copied();
                }
                match next {
                    Some(b',') => {
                        p = self.skip_ws(p + 1);
                        break;
                    }
                    Some(c) if c == close => {
                        p += 1;
                        self.frames.pop();
                        if top.record {
                            let next = self.nodes.len() as u32;
                            let n = &mut self.nodes[top.idx as usize];
                            n.end = p as u32;
                            n.next = next;
                        }
                        if self.frames.is_empty() {
                            return Ok(p);
                        }
                    }
                    _ => {
                        return self.unexpected(
                            p,
                            if top.kind == Kind::Object {
                                "',' or '}' in an object"
                            } else {
                                "',' or ']' in an array"
                            },
                        )
                    }
                }
            }
        }
    }

    /// Opens the container at `start` (at `depth`): its node when `record`, its frame; returns
    /// the offset of what follows the opening bracket.
    fn open(&mut self, start: usize, depth: usize, kind: Kind, record: bool) -> Res<usize> {
        if depth >= self.max_depth {
            return Err(Box::new(ParseError::TooDeep { offset: start }));
        }
        let idx = if record {
            self.push(kind, false, start, start)
        } else {
            0
        };
        self.frames.push(Frame {
            idx: idx as u32,
            kind,
            record,
            record_contents: record && depth < self.expand_depth,
        });
        Ok(self.skip_ws(start + 1))
    }

    /// Scans a string starting at its opening quote; returns (end past the closing quote,
    /// whether it contains escapes).
    #[inline(always)]
    fn string(&self, start: usize) -> Res<(usize, bool)> {
        let p = string_special(self.text, start + 1);
        if self.text.get(p) == Some(&b'"') {
            return Ok((p + 1, false));
        }
        self.string_rest(p)
    }

    /// The rest of a string from its first escape (or bad byte) at `p`.
    #[inline(never)]
    fn string_rest(&self, mut p: usize) -> Res<(usize, bool)> {
        let mut escaped = false;
        loop {
            p = string_special(self.text, p);
            match self.text.get(p) {
                None => return Err(Box::new(ParseError::Incomplete { offset: p })),
                Some(b'"') => return Ok((p + 1, escaped)),
                Some(b'\\') => {
                    escaped = true;
                    match self.text.get(p + 1) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => p += 2,
                        Some(b'u') => {
                            for i in 0..4 {
                                match self.text.get(p + 2 + i) {
                                    Some(b) if b.is_ascii_hexdigit() => {}
                                    _ => return self.unexpected(p + 2 + i, "a hex digit of a \\u escape"),
                                }
                            }
                            p += 6;
                        }
                        _ => return self.unexpected(p + 1, "an escape character after '\\'"),
                    }
                }
                Some(&b) if b < 0x20 => {
                    return self.unexpected(p, "a string character (control characters must be escaped)")
                }
                Some(_) => p += 1,
            }
        }
    }

    fn digits(&self, mut p: usize) -> usize {
        while p < self.text.len() && self.text[p].is_ascii_digit() {
            p += 1;
        }
        p
    }

    fn number(&self, start: usize) -> Res<usize> {
        let mut p = start;
        if self.text[p] == b'-' {
            p += 1;
        }
        match self.text.get(p) {
            Some(b'0') => p += 1,
            Some(b'1'..=b'9') => p = self.digits(p),
            _ => return self.unexpected(p, "a digit"),
        }
        if self.text.get(p) == Some(&b'.') {
            let q = self.digits(p + 1);
            if q == p + 1 {
                return self.unexpected(q, "a digit after '.'");
            }
            p = q;
        }
        if matches!(self.text.get(p), Some(b'e' | b'E')) {
            p += 1;
            if matches!(self.text.get(p), Some(b'+' | b'-')) {
                p += 1;
            }
            let q = self.digits(p);
            if q == p {
                return self.unexpected(q, "a digit of the exponent");
            }
            p = q;
        }
        Ok(p)
    }

    fn literal<const RECORD: bool>(&mut self, start: usize, lit: &'static [u8], kind: Kind) -> Res<usize> {
        let end = start + lit.len();
        let have = &self.text[start..end.min(self.text.len())];
        if have == lit {
            if RECORD {
                self.push(kind, false, start, end);
            }
            return Ok(end);
        }
        if lit.starts_with(have) {
            return Err(Box::new(ParseError::Incomplete {
                offset: self.text.len(),
            }));
        }
        let bad = have.iter().zip(lit).position(|(a, b)| a != b).unwrap_or(0);
        self.unexpected(
            start + bad,
            match kind {
                Kind::True => "the literal true",
                Kind::False => "the literal false",
                _ => "the literal null",
            },
        )
    }
}

fn hex4(s: &[u8]) -> u32 {
    s.iter()
        .take(4)
        .fold(0, |acc, &b| (acc << 4) | (b as char).to_digit(16).unwrap_or(0))
}

/// Decodes the escapes of a validated string body. Lone surrogates and invalid UTF-8
/// become U+FFFD (as Go does).
pub(crate) fn unescape(body: &[u8]) -> String {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let e = body.get(i + 1).copied().unwrap_or(b'\\');
        i += 2;
        let c = match e {
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex4(&body[i.min(body.len())..]);
                i += 4;
                if (0xD800..0xDC00).contains(&hi) && body.get(i) == Some(&b'\\') && body.get(i + 1) == Some(&b'u') {
                    let lo = hex4(&body[(i + 2).min(body.len())..]);
                    if (0xDC00..0xE000).contains(&lo) {
                        i += 6;
                        char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)).unwrap_or('\u{FFFD}')
                    } else {
                        '\u{FFFD}'
                    }
                } else {
                    char::from_u32(hi).unwrap_or('\u{FFFD}')
                }
            }
            other => other as char,
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
    match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}
