//! Field transformers (libsinsp 0.23 semantics): `tolower`, `toupper`, `b64` (base64 decoding),
//! `basename`, `len` on one field, and the multi-value `join`, `concat`, `getopt`.

use super::ast::TransformerName;
use super::fields::{FieldType, TypeClass};
use super::value::{render_value, ValueRef, Values};

/// The type a single-input transformer produces from `(ty, is_list)`, or `None` when the input
/// type is not supported (libsinsp `transform_type`).
pub fn output_type(t: TransformerName, ty: FieldType, is_list: bool) -> Option<(FieldType, bool)> {
    let class = ty.class();
    match t {
        TransformerName::ToLower | TransformerName::ToUpper | TransformerName::Basename => {
            (class == TypeClass::String).then_some((ty, is_list))
        }
        TransformerName::B64 => matches!(ty, FieldType::CharBuf | FieldType::ByteBuf).then_some((ty, is_list)),
        TransformerName::Len => {
            if is_list || matches!(class, TypeClass::String | TypeClass::Buffer) {
                Some((FieldType::UInt64, false))
            } else {
                None
            }
        }
        TransformerName::Join | TransformerName::Concat | TransformerName::GetOpt => None,
    }
}

/// Applies a single-input transformer to `input`, writing into `out` (cleared by the caller).
/// Returns false when the result has no value (e.g. invalid base64).
pub fn apply_unary(t: TransformerName, input: &Values, input_is_list: bool, out: &mut Values) -> bool {
    if t == TransformerName::Len && input_is_list {
        out.push_u64(input.len() as u64);
        return true;
    }
    for v in input.iter() {
        let ValueRef::Bytes(b) = v else {
            return false;
        };
        match t {
            TransformerName::ToLower => {
                out.begin_bytes();
                for &c in b {
                    out.extend_last(&[c.to_ascii_lowercase()]);
                }
            }
            TransformerName::ToUpper => {
                out.begin_bytes();
                for &c in b {
                    out.extend_last(&[c.to_ascii_uppercase()]);
                }
            }
            TransformerName::Basename => {
                let start = b.iter().rposition(|&c| c == b'/').map_or(0, |i| i + 1);
                out.push_bytes(&b[start..]);
            }
            TransformerName::B64 => {
                out.begin_bytes();
                if !base64_decode_into(b, out) {
                    return false;
                }
            }
            TransformerName::Len => out.push_u64(b.len() as u64),
            TransformerName::Join | TransformerName::Concat | TransformerName::GetOpt => return false,
        }
    }
    true
}

fn b64_digit(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    } as u32)
}

/// Standard base64 decoding with optional padding, appended to the last value of `out`.
fn base64_decode_into(input: &[u8], out: &mut Values) -> bool {
    let data = match input.iter().position(|&c| c == b'=') {
        Some(p) if input[p..].iter().all(|&c| c == b'=') && input.len() - p <= 2 => &input[..p],
        Some(_) => return false,
        None => input,
    };
    if data.len() % 4 == 1 {
        return false;
    }
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &c in data {
        let Some(d) = b64_digit(c) else {
            return false;
        };
        acc = (acc << 6) | d;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.extend_last(&[(acc >> bits) as u8]);
            acc &= (1 << bits) - 1;
        }
    }
    true
}

/// Appends the text of a value (numbers rendered) to the last string of `out`.
pub fn append_text(v: ValueRef<'_>, ty: FieldType, out: &mut Values, scratch: &mut String) {
    match v {
        ValueRef::Bytes(b) => out.extend_last(b),
        other => {
            scratch.clear();
            render_value(other, ty, scratch);
            out.extend_last(scratch.as_bytes());
        }
    }
}

/// Option-string information for `getopt`.
#[derive(Debug, Clone, PartialEq)]
pub struct OptString {
    valid: [bool; 256],
    with_arg: [bool; 256],
}

impl OptString {
    pub fn parse(optstring: &[u8]) -> Self {
        let mut info = OptString {
            valid: [false; 256],
            with_arg: [false; 256],
        };
        let mut i = usize::from(optstring.first() == Some(&b':'));
        while i < optstring.len() {
            let opt = optstring[i];
            if opt != b':' {
                info.valid[opt as usize] = true;
                if optstring.get(i + 1) == Some(&b':') {
                    info.with_arg[opt as usize] = true;
                    i += 1;
                }
            }
            i += 1;
        }
        info
    }
}

/// POSIX-getopt-like scan of `args` (an argv without argv[0]). Without a selector, emits
/// option names and their arguments in order ("?" for unknown options); with a selector,
/// emits the argument (or the name) of the last occurrence of that option. Returns false when
/// the selected option is absent.
pub fn getopt(args: &Values, opts: &OptString, selector: Option<u8>, out: &mut Values) -> bool {
    let mut selected: Option<(usize, usize, bool)> = None; // (arg index, byte start, whole-arg)
    let mut selected_empty = false;
    let mut arg_idx = 0;
    let word = |i: usize| -> &[u8] {
        match args.get(i) {
            Some(ValueRef::Bytes(b)) => b,
            _ => &[],
        }
    };
    let count = args.len();
    'outer: while arg_idx < count {
        let arg = word(arg_idx);
        if arg == b"--" {
            break;
        }
        if arg.len() > 2 && arg.starts_with(b"--") {
            arg_idx += 1;
            continue;
        }
        if arg.is_empty() || arg[0] != b'-' || arg.len() == 1 {
            break;
        }
        let mut i = 1;
        while i < arg.len() {
            let opt = arg[i];
            let valid = opt != b':' && opts.valid[opt as usize];
            if !valid {
                if selector.is_none() {
                    out.push_bytes(b"?");
                }
                i += 1;
                continue;
            }
            let matches = selector.is_none_or(|s| s == opt);
            let needs_arg = opts.with_arg[opt as usize];
            if !needs_arg {
                if matches {
                    match selector {
                        Some(_) => {
                            selected = Some((arg_idx, i, false));
                            selected_empty = false;
                        }
                        None => out.push_bytes(&arg[i..i + 1]),
                    }
                }
                i += 1;
                continue;
            }
            // The option's argument: the rest of this word, or the next word.
            let (value, next_idx): (Option<&[u8]>, usize) = if i + 1 < arg.len() {
                (Some(&arg[i + 1..]), arg_idx)
            } else if arg_idx + 1 < count {
                (Some(word(arg_idx + 1)), arg_idx + 1)
            } else {
                (None, arg_idx)
            };
            match value {
                None => {
                    if matches {
                        match selector {
                            Some(_) => {
                                selected = None;
                                selected_empty = true;
                            }
                            None => out.push_bytes(b""),
                        }
                    }
                }
                Some(v) => {
                    if matches {
                        match selector {
                            Some(_) => {
                                if next_idx == arg_idx {
                                    selected = Some((arg_idx, i + 1, true));
                                } else {
                                    selected = Some((next_idx, 0, true));
                                }
                                selected_empty = false;
                            }
                            None => {
                                out.push_bytes(&arg[i..i + 1]);
                                out.push_bytes(v);
                            }
                        }
                    }
                }
            }
            arg_idx = next_idx + 1;
            continue 'outer;
        }
        arg_idx += 1;
    }
    if selector.is_none() {
        return true;
    }
    match selected {
        Some((idx, start, whole)) => {
            let word = word(idx);
            if whole {
                out.push_bytes(&word[start..]);
            } else {
                out.push_bytes(&word[start..start + 1]);
            }
            true
        }
        None if selected_empty => {
            out.push_bytes(b"");
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &Values) -> Vec<String> {
        v.iter()
            .map(|x| match x {
                ValueRef::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    fn vals(items: &[&str]) -> Values {
        let mut v = Values::new();
        for i in items {
            v.push_str(i);
        }
        v
    }

    #[test]
    fn unary_transformers() {
        let input = vals(&["/Usr/Bin/Cat"]);
        let mut out = Values::new();
        assert!(apply_unary(TransformerName::ToLower, &input, false, &mut out));
        assert_eq!(strings(&out), ["/usr/bin/cat"]);
        out.clear();
        assert!(apply_unary(TransformerName::Basename, &input, false, &mut out));
        assert_eq!(strings(&out), ["Cat"]);
        out.clear();
        assert!(apply_unary(TransformerName::Len, &input, false, &mut out));
        assert_eq!(out.get(0), Some(ValueRef::U64(12)));
        out.clear();
        assert!(apply_unary(TransformerName::B64, &vals(&["aGVsbG8="]), false, &mut out));
        assert_eq!(strings(&out), ["hello"]);
        out.clear();
        assert!(apply_unary(TransformerName::B64, &vals(&["aGVsbG8"]), false, &mut out));
        assert_eq!(strings(&out), ["hello"]);
        out.clear();
        assert!(!apply_unary(TransformerName::B64, &vals(&["a$"]), false, &mut out));
    }

    #[test]
    fn getopt_scans_like_posix() {
        let opts = OptString::parse(b"nt:");
        let args = vals(&["-n", "-tfoo", "-x", "bar"]);
        let mut out = Values::new();
        assert!(getopt(&args, &opts, None, &mut out));
        assert_eq!(strings(&out), ["n", "t", "foo", "?"]);
        out.clear();
        assert!(getopt(&args, &opts, Some(b't'), &mut out));
        assert_eq!(strings(&out), ["foo"]);
        out.clear();
        let args = vals(&["-t", "val", "rest"]);
        assert!(getopt(&args, &opts, Some(b't'), &mut out));
        assert_eq!(strings(&out), ["val"]);
        out.clear();
        assert!(!getopt(&args, &opts, Some(b'n'), &mut out));
    }
}
