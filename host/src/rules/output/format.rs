//! Parsing of `output:` format strings into literal text and field placeholders, as libsinsp's
//! event formatter reads them:
//! * `%field`, `%field[arg]`: the longest known field name at that point (a following `.` or
//!   letter that does not extend a known name is literal text, as in `%proc.name.`);
//! * `%*field`: the same (libsinsp's "mandatory" marker, accepted and ignored);
//! * `%tolower(field)`-style transformers (libs 0.20+);
//! * a `%` that ends the string is an error; an unknown field is
//!   `invalid formatting token <rest of the format>`.

/// Longest field token considered (name plus `[arg]`).
pub const MAX_FIELD_TOKEN_CHARS: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// libsinsp's wording (checked by the conformance suite).
    #[error("invalid formatting token {0}")]
    InvalidToken(String),
    #[error("invalid formatting syntax: formatting cannot end with a %")]
    TrailingPercent,
}

/// One piece of a format.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece<F> {
    Literal(String),
    /// `text` is the field as written without `%` (`proc.aname[2]`), the key of
    /// `output_fields`.
    Field {
        text: String,
        field: F,
    },
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// The candidate token at the start of `s`: a name run, plus `[...]` and/or a parenthesised
/// transformer argument list when present.
fn candidate(s: &str) -> &str {
    let mut end = 0;
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        if i >= MAX_FIELD_TOKEN_CHARS {
            break;
        }
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    end = i + 1;
                    continue;
                }
            }
            '[' if depth == 0 => {
                if let Some(close) = s[i..].find(']') {
                    end = i + close + 1;
                }
                break;
            }
            _ if depth > 0 => {}
            c if is_name_char(c) => {}
            _ => break,
        }
        if depth == 0 {
            end = i + c.len_utf8();
        }
    }
    &s[..end]
}

/// Splits `format` into pieces; `resolve(token)` returns the field for a token or `None` when
/// it names no field.
pub fn parse_format<F>(format: &str, mut resolve: impl FnMut(&str) -> Option<F>) -> Result<Vec<Piece<F>>, FormatError> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut rest = format;
    while let Some(at) = rest.find('%') {
        literal.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if after.is_empty() {
            return Err(FormatError::TrailingPercent);
        }
        let after = after.strip_prefix('*').unwrap_or(after);
        let cand = candidate(after);
        // Longest prefix of the candidate that names a field.
        let mut found = None;
        let mut len = cand.len();
        while len > 0 {
            if cand.is_char_boundary(len) {
                let tok = &cand[..len];
                if let Some(f) = resolve(tok) {
                    found = Some((tok.to_string(), f));
                    break;
                }
            }
            len -= 1;
        }
        let Some((text, field)) = found else {
            return Err(FormatError::InvalidToken(after.to_string()));
        };
        if !literal.is_empty() {
            pieces.push(Piece::Literal(std::mem::take(&mut literal)));
        }
        rest = &after[text.len()..];
        pieces.push(Piece::Field { text, field });
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(tok: &str) -> Option<()> {
        let base = tok.split('[').next().unwrap_or(tok);
        matches!(
            base,
            "proc.name" | "proc.cmdline" | "proc.aname" | "evt.time" | "tolower(proc.name)"
        )
        .then_some(())
    }

    fn show(p: &[Piece<()>]) -> Vec<String> {
        p.iter()
            .map(|x| match x {
                Piece::Literal(s) => format!("L:{s}"),
                Piece::Field { text, .. } => format!("F:{text}"),
            })
            .collect()
    }

    #[test]
    fn fields_literals_args_and_longest_match() {
        let p = parse_format(
            "An open (command=%proc.cmdline) by %proc.name. gp=%proc.aname[2]%evt.time",
            known,
        )
        .unwrap();
        assert_eq!(
            show(&p),
            [
                "L:An open (command=",
                "F:proc.cmdline",
                "L:) by ",
                "F:proc.name",
                "L:. gp=",
                "F:proc.aname[2]",
                "F:evt.time"
            ]
        );
        let p = parse_format("x %tolower(proc.name) y", known).unwrap();
        assert_eq!(show(&p), ["L:x ", "F:tolower(proc.name)", "L: y"]);
    }

    #[test]
    fn unknown_fields_and_trailing_percent_are_errors() {
        assert_eq!(
            parse_format("An open was seen %not_a_real_field", known)
                .unwrap_err()
                .to_string(),
            "invalid formatting token not_a_real_field"
        );
        assert_eq!(parse_format("50%", known).unwrap_err(), FormatError::TrailingPercent);
    }
}
