//! String quoting of the condition language (libsinsp `filter/escaping.cpp` behaviour, libs 0.20+).
//!
//! Values in the AST are `String`s, but an escaped value such as `"\xff"` may hold bytes that
//! are not UTF-8. Such bytes are carried losslessly as characters of a private-use range
//! (see [`bytes_to_value_string`]); the compiler turns values back into bytes with
//! [`value_string_to_bytes`] before comparing them with event data.

use std::borrow::Cow;

/// First code point of the private-use range that carries raw bytes 0x80..=0xFF
/// (plane 16, `U+10FF80..=U+10FFFF`) which were not part of valid UTF-8.
const RAW_BYTE_BASE: u32 = 0x10FF00;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EscapeError {
    #[error("quoted string must start and end with the same quote character (' or \"), found {0:?}")]
    NotQuoted(String),
    #[error("invalid \\\" escape in '-quoted string: write \" unescaped or use \"-quotes")]
    DoubleQuoteInSingle,
    #[error("invalid \\' escape in \"-quoted string: write ' unescaped or use '-quotes")]
    SingleQuoteInDouble,
    #[error("truncated hex char escape sequence: \\x needs two hex digits")]
    TruncatedHex,
    #[error("invalid hex char escape sequence: {0} (expected two hex digits)")]
    InvalidHex(String),
    #[error("unsupported string escape sequence: \\{0} (supported: \\b \\f \\n \\r \\t \\\\ \\/ \\\" \\' \\xHH)")]
    Unsupported(char),
}

/// Quotes `s` with double quotes when it contains a character that a bare string cannot hold,
/// escaping control characters, backslashes and double quotes; otherwise returns it unchanged.
pub fn escape_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    let mut needs_quotes = false;
    for c in s.chars() {
        match c {
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            ' ' | '=' | '\'' | '\0' => out.push(c),
            _ => {
                out.push(c);
                continue;
            }
        }
        needs_quotes = true;
    }
    if needs_quotes {
        format!("\"{out}\"")
    } else {
        out
    }
}

/// Removes the surrounding quotes of `quoted` (its first and last characters) and resolves
/// escape sequences. Returns raw bytes: `\xHH` may produce bytes that are not UTF-8.
pub fn unescape_str(quoted: &str) -> Result<Vec<u8>, EscapeError> {
    let bytes = quoted.as_bytes();
    let delim = match bytes.first() {
        Some(&d @ (b'\'' | b'"')) if bytes.len() >= 2 => d,
        _ => return Err(EscapeError::NotQuoted(quoted.to_string())),
    };
    let end = bytes.len() - 1;
    let mut out = Vec::with_capacity(end);
    let mut escaped = false;
    let mut i = 1;
    while i < end {
        let c = bytes[i];
        if !escaped {
            if c == b'\\' {
                escaped = true;
            } else {
                out.push(c);
            }
            i += 1;
            continue;
        }
        match c {
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            // libsinsp maps "\ " to a backslash, kept for rules written against that quirk.
            b' ' | b'\\' => out.push(b'\\'),
            b'/' => out.push(b'/'),
            b'"' => {
                if delim != b'"' {
                    return Err(EscapeError::DoubleQuoteInSingle);
                }
                out.push(b'"');
            }
            b'\'' => {
                if delim != b'\'' {
                    return Err(EscapeError::SingleQuoteInDouble);
                }
                out.push(b'\'');
            }
            b'x' => {
                if i + 2 >= end {
                    return Err(EscapeError::TruncatedHex);
                }
                let digits = &bytes[i + 1..i + 3];
                let value = match (hex_digit(digits[0]), hex_digit(digits[1])) {
                    (Some(h), Some(l)) => h * 16 + l,
                    _ => return Err(EscapeError::InvalidHex(String::from_utf8_lossy(digits).into_owned())),
                };
                out.push(value);
                i += 2;
            }
            _ => {
                let ch = quoted[i..].chars().next().unwrap_or('?');
                return Err(EscapeError::Unsupported(ch));
            }
        }
        escaped = false;
        i += 1;
    }
    Ok(out)
}

fn hex_digit(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Turns bytes into an AST value string without loss: valid UTF-8 is kept as is, every byte of
/// an invalid sequence becomes one private-use character (see [`value_string_to_bytes`]).
pub fn bytes_to_value_string(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let bytes = e.into_bytes();
            let mut out = String::with_capacity(bytes.len() + 8);
            let mut rest = &bytes[..];
            while !rest.is_empty() {
                match std::str::from_utf8(rest) {
                    Ok(s) => {
                        out.push_str(s);
                        break;
                    }
                    Err(err) => {
                        let good = err.valid_up_to();
                        // The prefix was just validated.
                        out.push_str(std::str::from_utf8(&rest[..good]).unwrap_or_default());
                        let bad = err.error_len().unwrap_or(rest.len() - good);
                        for &b in &rest[good..good + bad] {
                            out.push(raw_byte_char(b));
                        }
                        rest = &rest[good + bad..];
                    }
                }
            }
            out
        }
    }
}

fn raw_byte_char(b: u8) -> char {
    char::from_u32(RAW_BYTE_BASE + u32::from(b)).unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// The bytes an AST value string stands for (inverse of [`bytes_to_value_string`]).
pub fn value_string_to_bytes(s: &str) -> Cow<'_, [u8]> {
    if !s.chars().any(|c| c as u32 >= RAW_BYTE_BASE + 0x80) {
        return Cow::Borrowed(s.as_bytes());
    }
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        let code = c as u32;
        if code >= RAW_BYTE_BASE + 0x80 {
            out.push((code - RAW_BYTE_BASE) as u8);
        } else {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_chars_and_quotes() {
        assert_eq!(escape_str("plain"), "plain");
        assert_eq!(escape_str("a b"), "\"a b\"");
        assert_eq!(escape_str("a\"b\\"), "\"a\\\"b\\\\\"");
        assert_eq!(escape_str("x\ny"), "\"x\\ny\"");
    }

    #[test]
    fn unescape_handles_hex_and_quote_rules() {
        assert_eq!(unescape_str("\"\\x413\"").unwrap(), b"A3");
        assert_eq!(unescape_str("'it\\'s'").unwrap(), b"it's");
        assert_eq!(unescape_str("'\\\"'").unwrap_err(), EscapeError::DoubleQuoteInSingle);
        assert_eq!(unescape_str("\"\\xf\"").unwrap_err(), EscapeError::TruncatedHex);
        assert!(matches!(
            unescape_str("\"\\xgg\"").unwrap_err(),
            EscapeError::InvalidHex(_)
        ));
        assert_eq!(unescape_str("\"\\q\"").unwrap_err(), EscapeError::Unsupported('q'));
    }

    #[test]
    fn raw_bytes_survive_value_strings() {
        let bytes = b"/p\xff/q\xfe".to_vec();
        let s = bytes_to_value_string(bytes.clone());
        assert_eq!(value_string_to_bytes(&s).as_ref(), &bytes[..]);
        let ok = "héllo".to_string();
        assert_eq!(bytes_to_value_string(ok.clone().into_bytes()), ok);
        assert!(matches!(value_string_to_bytes(&ok), Cow::Borrowed(_)));
    }
}
