//! Re-serialisation of valid JSON text: compact (fastjson's `MarshalTo` of a parsed value) and
//! indented (Go's `encoding/json.Indent`).

use crate::parse::is_ws;

/// Appends `json` (valid JSON text) without whitespace outside strings.
pub fn write_compact(json: &[u8], out: &mut Vec<u8>) {
    let mut in_string = false;
    let mut escape = false;
    let mut run_start = 0;
    for (i, &b) in json.iter().enumerate() {
        if in_string {
            if escape {
                escape = false;
            } else if b == b'\\' {
                escape = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if is_ws(b) {
            out.extend_from_slice(&json[run_start..i]);
            run_start = i + 1;
        }
    }
    out.extend_from_slice(&json[run_start..]);
}

fn newline(out: &mut Vec<u8>, indent: &str, depth: usize) {
    out.push(b'\n');
    for _ in 0..depth {
        out.extend_from_slice(indent.as_bytes());
    }
}

/// Appends `json` (valid JSON text) indented like Go's `json.Indent(dst, src, "", indent)`:
/// one member/element per line, `": "` after keys, empty `{}`/`[]` kept on one line, leading
/// whitespace dropped and whitespace after the top-level value kept.
pub fn write_indented(json: &[u8], indent: &str, out: &mut Vec<u8>) {
    let start = json.iter().position(|b| !is_ws(*b)).unwrap_or(json.len());
    let json = &json[start..];
    let mut depth = 0usize;
    let mut need_indent = false;
    let mut in_string = false;
    let mut escape = false;
    for (i, &b) in json.iter().enumerate() {
        if in_string {
            out.push(b);
            if escape {
                escape = false;
            } else if b == b'\\' {
                escape = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        if is_ws(b) {
            continue;
        }
        if need_indent && b != b']' && b != b'}' {
            need_indent = false;
            depth += 1;
            newline(out, indent, depth);
        }
        match b {
            b'"' => {
                in_string = true;
                out.push(b);
            }
            b'{' | b'[' => {
                out.push(b);
                need_indent = true;
            }
            b',' => {
                out.push(b);
                newline(out, indent, depth);
            }
            b':' => {
                out.extend_from_slice(b": ");
            }
            b'}' | b']' => {
                if need_indent {
                    // Empty container: `{}` / `[]`.
                    need_indent = false;
                } else {
                    depth = depth.saturating_sub(1);
                    newline(out, indent, depth);
                }
                out.push(b);
                if depth == 0 {
                    out.extend_from_slice(&json[i + 1..]);
                    return;
                }
            }
            _ => out.push(b),
        }
    }
}
