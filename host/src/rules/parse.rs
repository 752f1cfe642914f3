//! Parser of Falco's condition language, accepting exactly what libsinsp's
//! `libsinsp::filter::parser` accepts (libs 0.23, including transformers with several
//! arguments and the `oneof`/`anyof`/`allof` operator modifiers) and producing `ast::Expr`.
//!
//! The grammar is lexer-driven: keywords need a blank or a parenthesis after them
//! (`a andb` is rejected, `(a)and(b)` accepted), whitespace kinds are interchangeable, and
//! every node carries the position (byte index, line, column) where libsinsp records it.

use super::ast::{
    BinaryCheck, BinaryOp, Expr, FieldExpr, ListItem, OpModifier, Pos, TransformerName, UnaryCheck, UnaryOp, ValueExpr,
};
use super::escape::{bytes_to_value_string, unescape_str};

/// Maximum nesting of the parser's recursion, as in libsinsp (a `(` costs several levels).
pub const MAX_PARSE_DEPTH: u32 = 100;

/// A syntax error: libsinsp's message and where the parser stood when it gave up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at line {line}, column {col} of the condition)", line = pos.line, col = pos.col)]
pub struct ParseError {
    pub message: String,
    pub pos: Pos,
}

/// Parses a whole condition.
pub fn parse_condition(text: &str) -> Result<Expr, ParseError> {
    let mut parser = Parser::new(text);
    if text.is_empty() {
        return Err(parser.error("filter input string is empty"));
    }
    let expr = parser.parse_or()?;
    if parser.pos.idx as usize != parser.input.len() {
        return Err(parser.error(format!(
            "unexpected token after '{}', expecting 'or', 'and'",
            parser.last_token
        )));
    }
    Ok(expr)
}

/// Parses a field or transformer expression alone (`proc.aname[2]`, `tolower(proc.name)`),
/// as used by output formats and single-field accessors.
pub fn parse_field_expr(text: &str) -> Result<FieldExpr, ParseError> {
    let mut parser = Parser::new(text);
    parser.lex_blank();
    let start = parser.pos;
    let field = if parser.lex_field_name() {
        let name = parser.last_token.clone();
        parser.parse_field_remainder(name, start)?
    } else if let Some(t) = parser.lex_transformer() {
        parser.lex_blank();
        parser.parse_transformer_remainder(t, start)?
    } else {
        return Err(parser.error("expected a field name or a field transformer"));
    };
    parser.lex_blank();
    if parser.pos.idx as usize != parser.input.len() {
        return Err(parser.error(format!(
            "unexpected token after '{}', expecting the end of the field",
            parser.last_token
        )));
    }
    Ok(field)
}

const UNARY_OPS: &[(&str, UnaryOp)] = &[("exists", UnaryOp::Exists)];

const NUM_OPS: &[(&str, BinaryOp)] = &[
    ("<=", BinaryOp::Le),
    ("<", BinaryOp::Lt),
    (">=", BinaryOp::Ge),
    (">", BinaryOp::Gt),
];

/// String operators; a `true` flag means the word must be followed by a blank.
const STR_OPS: &[(&str, bool, BinaryOp)] = &[
    ("==", false, BinaryOp::Eq),
    ("=", false, BinaryOp::Eq),
    ("!=", false, BinaryOp::Ne),
    ("glob", true, BinaryOp::Glob),
    ("iglob", true, BinaryOp::IGlob),
    ("contains", true, BinaryOp::Contains),
    ("icontains", true, BinaryOp::IContains),
    ("bcontains", true, BinaryOp::BContains),
    ("startswith", true, BinaryOp::StartsWith),
    ("bstartswith", true, BinaryOp::BStartsWith),
    ("endswith", true, BinaryOp::EndsWith),
    ("regex", true, BinaryOp::Regex),
];

const MODIFIERS: &[(&str, OpModifier)] = &[
    ("oneof", OpModifier::OneOf),
    ("anyof", OpModifier::AnyOf),
    ("allof", OpModifier::AllOf),
];

const LIST_OPS: &[(&str, BinaryOp)] = &[
    ("intersects", BinaryOp::Intersects),
    ("in", BinaryOp::In),
    ("pmatch", BinaryOp::PMatch),
];

const TRANSFORMERS: &[(&str, TransformerName)] = &[
    ("tolower(", TransformerName::ToLower),
    ("toupper(", TransformerName::ToUpper),
    ("b64(", TransformerName::B64),
    ("basename(", TransformerName::Basename),
    ("len(", TransformerName::Len),
    ("join(", TransformerName::Join),
    ("concat(", TransformerName::Concat),
    ("getopt(", TransformerName::GetOpt),
];

const TRANSFORMERS_LIST_TEXT: &str =
    "'val', 'tolower', 'toupper', 'b64', 'basename', 'len', 'join', 'concat', 'getopt'";

const OPERATORS_LIST_TEXT: &str = "'exists', '<=', '<', '>=', '>', '==', '=', '!=', 'glob', \
     'iglob', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', \
     'regex', 'intersects', 'in', 'pmatch'";

type PResult<T> = Result<T, ParseError>;

struct Parser<'a> {
    input: &'a [u8],
    text: &'a str,
    pos: Pos,
    depth: u32,
    last_token: String,
}

fn is_posix_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            input: text.as_bytes(),
            text,
            pos: Pos {
                idx: 0,
                line: 1,
                col: 1,
            },
            depth: 0,
            last_token: String::new(),
        }
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            message: message.into(),
            pos: self.pos,
        }
    }

    /// Runs `f` one recursion level deeper, failing past `MAX_PARSE_DEPTH`.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        self.depth += 1;
        if self.depth >= MAX_PARSE_DEPTH {
            self.depth -= 1;
            return Err(self.error(format!("exceeded max depth limit of {MAX_PARSE_DEPTH}")));
        }
        let result = f(self);
        self.depth -= 1;
        result
    }

    fn rest(&self) -> &'a [u8] {
        &self.input[self.pos.idx as usize..]
    }

    fn peek(&self) -> u8 {
        self.rest().first().copied().unwrap_or(0)
    }

    fn advance(&mut self, n: usize) {
        for &c in &self.input[self.pos.idx as usize..self.pos.idx as usize + n] {
            self.pos.col += 1;
            if c == b'\r' || c == b'\n' {
                self.pos.col = 1;
                self.pos.line += 1;
            }
            self.pos.idx += 1;
        }
    }

    /// Consumes `n` bytes as the last token.
    fn take(&mut self, n: usize) -> bool {
        let start = self.pos.idx as usize;
        self.last_token = self.text[start..start + n].to_string();
        self.advance(n);
        true
    }

    fn lex_blank(&mut self) -> bool {
        let n = self
            .rest()
            .iter()
            .take_while(|&&c| matches!(c, b' ' | b'\t' | 0x08 | b'\r' | b'\n'))
            .count();
        self.advance(n);
        n > 0
    }

    fn lex_str(&mut self, s: &str) -> bool {
        self.rest().starts_with(s.as_bytes()) && self.take(s.len())
    }

    /// A word operator followed by a blank (which is consumed too); backtracks otherwise.
    fn lex_word_then_blank(&mut self, word: &str) -> bool {
        let saved = (self.pos, self.last_token.clone());
        if self.lex_str(word) {
            if self.lex_blank() {
                return true;
            }
            (self.pos, self.last_token) = saved;
        }
        false
    }

    fn ident_len(s: &[u8]) -> usize {
        let letters = s.iter().take_while(|c| c.is_ascii_alphabetic()).count();
        if letters == 0 {
            return 0;
        }
        letters
            + s[letters..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count()
    }

    fn lex_identifier(&mut self) -> bool {
        let n = Self::ident_len(self.rest());
        n > 0 && self.take(n)
    }

    /// `ident(.ident)+`
    fn lex_field_name(&mut self) -> bool {
        let s = self.rest();
        let mut n = Self::ident_len(s);
        if n == 0 {
            return false;
        }
        let mut parts = 1;
        while s.get(n) == Some(&b'.') {
            let m = Self::ident_len(&s[n + 1..]);
            if m == 0 {
                break;
            }
            n += 1 + m;
            parts += 1;
        }
        parts > 1 && self.take(n)
    }

    fn lex_not_blank(&mut self) -> bool {
        let s = self.rest();
        if !s.starts_with(b"not") {
            return false;
        }
        let blanks = s[3..].iter().take_while(|&&c| is_posix_space(c)).count();
        blanks > 0 && self.take(3 + blanks)
    }

    fn lex_field_arg_bare_str(&mut self) -> bool {
        let n = self
            .rest()
            .iter()
            .take_while(|&&c| !matches!(c, b'[' | b']' | b'"' | b'\'') && !is_posix_space(c))
            .count();
        n > 0 && self.take(n)
    }

    fn lex_bare_str(&mut self) -> bool {
        let n = self
            .rest()
            .iter()
            .take_while(|&&c| !matches!(c, b'(' | b')' | b'"' | b'\'' | b'=' | b',') && !is_posix_space(c))
            .count();
        n > 0 && self.take(n)
    }

    fn lex_hex_num(&mut self) -> bool {
        let s = self.rest();
        if s.len() < 3 || s[0] != b'0' || !matches!(s[1], b'x' | b'X') {
            return false;
        }
        let digits = s[2..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
        digits > 0 && self.take(2 + digits)
    }

    /// `[+-]?[0-9]+\.?[0-9]*([eE][+-][0-9]+)?`
    fn lex_num(&mut self) -> bool {
        let s = self.rest();
        let mut n = usize::from(matches!(s.first(), Some(b'+' | b'-')));
        let int_digits = s[n..].iter().take_while(|c| c.is_ascii_digit()).count();
        if int_digits == 0 {
            return false;
        }
        n += int_digits;
        if s.get(n) == Some(&b'.') {
            n += 1;
        }
        n += s[n..].iter().take_while(|c| c.is_ascii_digit()).count();
        if matches!(s.get(n), Some(b'e' | b'E')) && matches!(s.get(n + 1), Some(b'+' | b'-')) {
            let exp = s[n + 2..].iter().take_while(|c| c.is_ascii_digit()).count();
            if exp > 0 {
                n += 2 + exp;
            }
        }
        self.take(n)
    }

    /// A '- or "-quoted string; the token becomes the unescaped value. Unterminated quotes
    /// do not match; bad escapes are errors.
    fn lex_quoted_str(&mut self) -> PResult<bool> {
        let s = self.rest();
        let delim = match s.first() {
            Some(&d @ (b'\'' | b'"')) => d,
            _ => return Ok(false),
        };
        let mut prev = b'\\';
        for (i, &c) in s.iter().enumerate() {
            if c == delim && prev != b'\\' {
                let start = self.pos.idx as usize;
                let raw = &self.text[start..start + i + 1];
                // libsinsp has consumed the string when it reports a bad escape.
                self.advance(i + 1);
                let value = unescape_str(raw).map_err(|e| self.error(e.to_string()))?;
                self.last_token = bytes_to_value_string(value);
                return Ok(true);
            }
            prev = c;
        }
        Ok(false)
    }

    fn lex_transformer(&mut self) -> Option<TransformerName> {
        for &(text, name) in TRANSFORMERS {
            if self.lex_str(text) {
                return Some(name);
            }
        }
        None
    }

    fn lex_unary_op(&mut self) -> Option<UnaryOp> {
        UNARY_OPS.iter().find(|(text, _)| self.lex_str(text)).map(|&(_, op)| op)
    }

    fn lex_num_op(&mut self) -> Option<BinaryOp> {
        NUM_OPS.iter().find(|(text, _)| self.lex_str(text)).map(|&(_, op)| op)
    }

    fn lex_str_op(&mut self) -> Option<(BinaryOp, bool)> {
        for &(text, word, op) in STR_OPS {
            let matched = if word {
                self.lex_word_then_blank(text)
            } else {
                self.lex_str(text)
            };
            if matched {
                return Some((op, word));
            }
        }
        None
    }

    fn lex_list_op(&mut self) -> Option<BinaryOp> {
        LIST_OPS.iter().find(|(text, _)| self.lex_str(text)).map(|&(_, op)| op)
    }

    fn lex_modifier(&mut self) -> Option<OpModifier> {
        for &(text, m) in MODIFIERS {
            if self.lex_word_then_blank(text) {
                return Some(m);
            }
        }
        None
    }

    fn list_value_follows(&mut self) -> bool {
        self.peek() == b'(' || Self::ident_len(self.rest()) > 0
    }

    fn bool_keyword_follows(&self) -> bool {
        let s = self.rest();
        ["and", "or", "not"]
            .iter()
            .any(|kw| s.starts_with(kw.as_bytes()) && s.get(kw.len()).is_none_or(|c| !c.is_ascii_alphanumeric()))
    }

    fn parse_or(&mut self) -> PResult<Expr> {
        self.nested(|p| {
            let pos = p.pos;
            p.lex_blank();
            let mut children = vec![p.parse_and()?];
            p.lex_blank();
            while p.lex_str("or") {
                let child = if p.lex_blank() {
                    p.parse_and()?
                } else if p.lex_str("(") {
                    p.parse_embedded_remainder()?
                } else {
                    return Err(p.error("expected blank or '(' after 'or'"));
                };
                children.push(child);
                p.lex_blank();
            }
            Ok(if children.len() > 1 {
                Expr::Or(children, pos)
            } else {
                children.pop().unwrap_or(Expr::Or(Vec::new(), pos))
            })
        })
    }

    fn parse_and(&mut self) -> PResult<Expr> {
        self.nested(|p| {
            let pos = p.pos;
            p.lex_blank();
            let mut children = vec![p.parse_not()?];
            p.lex_blank();
            while p.lex_str("and") {
                let child = if p.lex_blank() {
                    p.parse_not()?
                } else if p.lex_str("(") {
                    p.parse_embedded_remainder()?
                } else {
                    return Err(p.error("expected blank or '(' after 'and'"));
                };
                children.push(child);
                p.lex_blank();
            }
            Ok(if children.len() > 1 {
                Expr::And(children, pos)
            } else {
                children.pop().unwrap_or(Expr::And(Vec::new(), pos))
            })
        })
    }

    fn parse_not(&mut self) -> PResult<Expr> {
        self.nested(|p| {
            let pos = p.pos;
            p.lex_blank();
            let mut negate = false;
            while p.lex_not_blank() {
                negate = !negate;
            }
            let child = if p.lex_str("not(") {
                negate = !negate;
                p.parse_embedded_remainder()?
            } else {
                p.parse_check()?
            };
            Ok(if negate { Expr::Not(Box::new(child), pos) } else { child })
        })
    }

    /// The rest of a parenthesized expression, after its `(`.
    fn parse_embedded_remainder(&mut self) -> PResult<Expr> {
        self.nested(|p| {
            p.lex_blank();
            let child = p.parse_or()?;
            p.lex_blank();
            if !p.lex_str(")") {
                return Err(p.error("expected a ')' token"));
            }
            Ok(child)
        })
    }

    fn parse_check(&mut self) -> PResult<Expr> {
        self.nested(|p| {
            let pos = p.pos;
            p.lex_blank();
            if p.lex_str("(") {
                return p.parse_embedded_remainder();
            }
            if p.lex_field_name() {
                let name = p.last_token.clone();
                let left = p.parse_field_remainder(name, pos)?;
                return p.parse_condition(left, pos);
            }
            if let Some(t) = p.lex_transformer() {
                p.lex_blank();
                let left = p.parse_transformer_remainder(t, pos)?;
                return p.parse_condition(left, pos);
            }
            if p.lex_identifier() {
                return Ok(Expr::Identifier(p.last_token.clone(), pos));
            }
            Err(p.error("expected a '(' token, a field check, or an identifier"))
        })
    }

    fn parse_field_remainder(&mut self, name: String, pos: Pos) -> PResult<FieldExpr> {
        self.nested(|p| {
            let arg = p.parse_optional_field_arg()?;
            Ok(FieldExpr::Field { name, arg, pos })
        })
    }

    fn parse_optional_field_arg(&mut self) -> PResult<Option<String>> {
        if !self.lex_str("[") {
            return Ok(None);
        }
        if !self.lex_quoted_str()? && !self.lex_field_arg_bare_str() {
            return Err(self.error("expected a valid field argument: a quoted string or a bare string"));
        }
        let arg = self.last_token.clone();
        if !self.lex_str("]") {
            return Err(self.error("expected a ']' token"));
        }
        Ok(Some(arg))
    }

    /// The arguments of a transformer after its `name(`, the `)` and an optional `[arg]`.
    fn parse_transformer_remainder(&mut self, name: TransformerName, pos: Pos) -> PResult<FieldExpr> {
        self.nested(|p| {
            p.lex_blank();
            let mut args = Vec::new();
            loop {
                let arg_pos = p.pos;
                args.push(p.parse_transformer_arg(arg_pos)?);
                p.lex_blank();
                if !p.lex_str(",") {
                    break;
                }
            }
            p.lex_blank();
            if !p.lex_str(")") {
                return Err(p.error("expected a ')' token closing the transformer"));
            }
            let arg = p.parse_optional_field_arg()?;
            Ok(FieldExpr::Transform { name, args, arg, pos })
        })
    }

    fn parse_transformer_arg(&mut self, pos: Pos) -> PResult<FieldExpr> {
        self.nested(|p| {
            p.lex_blank();
            if p.lex_hex_num() || p.lex_num() || p.lex_quoted_str()? {
                return Ok(FieldExpr::Literal(p.last_token.clone(), pos));
            }
            if p.lex_str("(") {
                return p.parse_transformer_list(pos);
            }
            if let Some(t) = p.lex_transformer() {
                return p.parse_transformer_remainder(t, pos);
            }
            if p.lex_field_name() {
                let name = p.last_token.clone();
                return p.parse_field_remainder(name, pos);
            }
            Err(p.error(
                "expected field transformer argument: field, transformer, quoted string, \
                 number, or transformer list",
            ))
        })
    }

    /// `( item, … )` inside a transformer's arguments, after its `(`.
    fn parse_transformer_list(&mut self, pos: Pos) -> PResult<FieldExpr> {
        let mut items = Vec::new();
        self.lex_blank();
        if self.lex_str(")") {
            return Ok(FieldExpr::List(items, pos));
        }
        items.push(self.parse_transformer_list_item()?);
        self.lex_blank();
        while self.lex_str(",") {
            self.lex_blank();
            items.push(self.parse_transformer_list_item()?);
            self.lex_blank();
        }
        if !self.lex_str(")") {
            return Err(self.error("expected ')'"));
        }
        Ok(FieldExpr::List(items, pos))
    }

    fn parse_transformer_list_item(&mut self) -> PResult<FieldExpr> {
        let pos = self.pos;
        if self.lex_field_name() {
            let name = self.last_token.clone();
            return self.parse_field_remainder(name, pos);
        }
        if let Some(t) = self.lex_transformer() {
            self.lex_blank();
            return self.parse_transformer_remainder(t, pos);
        }
        if self.lex_quoted_str()? || self.lex_hex_num() || self.lex_num() {
            return Ok(FieldExpr::Literal(self.last_token.clone(), pos));
        }
        Err(self.error("expected transformer list argument: field, transformer, quoted string, or number"))
    }

    fn parse_condition(&mut self, left: FieldExpr, pos: Pos) -> PResult<Expr> {
        self.nested(|p| {
            p.lex_blank();
            if let Some(op) = p.lex_unary_op() {
                return Ok(Expr::Unary(UnaryCheck { field: left, op, pos }));
            }
            p.lex_blank();
            let (op, modifier, value) = if let Some(op) = p.lex_num_op() {
                (op, None, p.parse_num_value_or_transformer()?)
            } else if let Some((op, word)) = p.lex_str_op() {
                // Word operators consumed their blank already; symbols need one before a modifier.
                let had_blank = word || p.lex_blank();
                let saved = (p.pos, p.last_token.clone());
                let mut modified = None;
                if had_blank {
                    if let Some(m) = p.lex_modifier() {
                        if p.list_value_follows() && !p.bool_keyword_follows() {
                            modified = Some((m, p.parse_list_value()?));
                        }
                    }
                }
                match modified {
                    Some((m, value)) => (op, Some(m), value),
                    None => {
                        (p.pos, p.last_token) = saved;
                        (op, None, p.parse_str_value_or_transformer(false)?)
                    }
                }
            } else if let Some(op) = p.lex_list_op() {
                (op, None, p.parse_list_value_or_transformer()?)
            } else {
                return Err(p.error(format!("expected a valid check operator: one of {OPERATORS_LIST_TEXT}")));
            };
            Ok(Expr::Binary(BinaryCheck {
                field: left,
                op,
                modifier,
                value,
                pos,
            }))
        })
    }

    fn parse_num_value_or_transformer(&mut self) -> PResult<ValueExpr> {
        self.nested(|p| {
            p.lex_blank();
            let pos = p.pos;
            if let Some(v) = p.try_parse_transformer_or_val()? {
                return Ok(v);
            }
            if p.lex_hex_num() || p.lex_num() {
                return Ok(ValueExpr::Value(p.last_token.clone(), pos));
            }
            Err(p.error(format!(
                "expected a number value or a field with a valid transformer: \
                 {TRANSFORMERS_LIST_TEXT}"
            )))
        })
    }

    /// A string value; `None` for the list-element form (no transformers allowed).
    fn parse_str_value_or_transformer(&mut self, no_transformer: bool) -> PResult<ValueExpr> {
        self.nested(|p| {
            p.lex_blank();
            let pos = p.pos;
            if !no_transformer {
                if let Some(v) = p.try_parse_transformer_or_val()? {
                    return Ok(v);
                }
            }
            if p.lex_quoted_str()? || p.lex_bare_str() {
                return Ok(ValueExpr::Value(p.last_token.clone(), pos));
            }
            if no_transformer {
                return Err(p.error("expected a string value"));
            }
            Err(p.error(format!(
                "expected a string value or a field with a valid transformer: \
                 {TRANSFORMERS_LIST_TEXT}"
            )))
        })
    }

    /// A list element: a quoted or bare string.
    fn parse_list_item(&mut self) -> PResult<ListItem> {
        self.nested(|p| {
            p.lex_blank();
            let pos = p.pos;
            if p.lex_quoted_str()? {
                return Ok(ListItem {
                    value: p.last_token.clone(),
                    quoted: true,
                    pos,
                });
            }
            if p.lex_bare_str() {
                return Ok(ListItem {
                    value: p.last_token.clone(),
                    quoted: false,
                    pos,
                });
            }
            Err(p.error("expected a string value"))
        })
    }

    fn try_parse_list(&mut self) -> PResult<Option<ValueExpr>> {
        let pos = self.pos;
        if !self.lex_str("(") {
            return Ok(None);
        }
        let mut items = Vec::new();
        self.lex_blank();
        // A first element that does not parse means the list must be empty (libsinsp
        // semantics: the error is dropped and a ')' is required where the lexer stopped).
        if let Ok(first) = self.parse_list_item() {
            items.push(first);
            self.lex_blank();
            while self.lex_str(",") {
                items.push(self.parse_list_item()?);
                self.lex_blank();
            }
        }
        if !self.lex_str(")") {
            return Err(self.error("expected a ')' token"));
        }
        Ok(Some(ValueExpr::List(items, pos)))
    }

    fn parse_list_value(&mut self) -> PResult<ValueExpr> {
        self.nested(|p| {
            p.lex_blank();
            let pos = p.pos;
            if let Some(list) = p.try_parse_list()? {
                return Ok(list);
            }
            if p.lex_identifier() {
                return Ok(ValueExpr::Value(p.last_token.clone(), pos));
            }
            Err(p.error("expected a list or an identifier"))
        })
    }

    fn parse_list_value_or_transformer(&mut self) -> PResult<ValueExpr> {
        self.nested(|p| {
            p.lex_blank();
            let pos = p.pos;
            if let Some(list) = p.try_parse_list()? {
                return Ok(list);
            }
            if let Some(v) = p.try_parse_transformer_or_val()? {
                return Ok(v);
            }
            if p.lex_identifier() {
                return Ok(ValueExpr::Value(p.last_token.clone(), pos));
            }
            Err(p.error(format!(
                "expected a list, an identifier, or a field with a valid transformer: \
                 {TRANSFORMERS_LIST_TEXT}"
            )))
        })
    }

    /// `val(field)` or a transformer on the right-hand side, if one starts here.
    fn try_parse_transformer_or_val(&mut self) -> PResult<Option<ValueExpr>> {
        self.nested(|p| {
            p.lex_blank();
            let pos = p.pos;
            if p.lex_str("val(") {
                p.lex_blank();
                let field_pos = p.pos;
                if !p.lex_field_name() {
                    return Err(p.error("expected a field within 'val' transformer"));
                }
                let name = p.last_token.clone();
                let field = p.parse_field_remainder(name, field_pos)?;
                p.lex_blank();
                if !p.lex_str(")") {
                    return Err(p.error("expected a ')' token closing the transformer"));
                }
                if p.peek() == b'[' {
                    return Err(p.error(
                        "a field argument after 'val(...)' is not supported: \
                         write the argument on the field inside val()",
                    ));
                }
                return Ok(Some(ValueExpr::FieldRef(field, pos)));
            }
            if let Some(t) = p.lex_transformer() {
                p.lex_blank();
                let tr = p.parse_transformer_remainder(t, pos)?;
                return Ok(Some(ValueExpr::FieldRef(tr, pos)));
            }
            Ok(None)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(idx: u32, line: u32, col: u32) -> Pos {
        Pos { idx, line, col }
    }

    fn field(name: &str, pos: Pos) -> FieldExpr {
        FieldExpr::Field {
            name: name.into(),
            arg: None,
            pos,
        }
    }

    #[test]
    fn and_binds_tighter_than_or_with_positions() {
        let e = parse_condition("evt.name exists and evt.type in (a, b) or proc.name=cat").unwrap();
        let expected = Expr::Or(
            vec![
                Expr::And(
                    vec![
                        Expr::Unary(UnaryCheck {
                            field: field("evt.name", p(0, 1, 1)),
                            op: UnaryOp::Exists,
                            pos: p(0, 1, 1),
                        }),
                        Expr::Binary(BinaryCheck {
                            field: field("evt.type", p(20, 1, 21)),
                            op: BinaryOp::In,
                            modifier: None,
                            value: ValueExpr::List(
                                vec![
                                    ListItem {
                                        value: "a".into(),
                                        quoted: false,
                                        pos: p(33, 1, 34),
                                    },
                                    ListItem {
                                        value: "b".into(),
                                        quoted: false,
                                        pos: p(36, 1, 37),
                                    },
                                ],
                                p(32, 1, 33),
                            ),
                            pos: p(20, 1, 21),
                        }),
                    ],
                    p(0, 1, 1),
                ),
                Expr::Binary(BinaryCheck {
                    field: field("proc.name", p(42, 1, 43)),
                    op: BinaryOp::Eq,
                    modifier: None,
                    value: ValueExpr::Value("cat".into(), p(52, 1, 53)),
                    pos: p(42, 1, 43),
                }),
            ],
            p(0, 1, 1),
        );
        assert_eq!(e, expected);
    }

    #[test]
    fn multiline_positions() {
        let e = parse_condition("a \n and \n not \n b").unwrap();
        match e {
            Expr::And(children, pos) => {
                assert_eq!(pos, p(0, 1, 1));
                assert_eq!(children[0], Expr::Identifier("a".into(), p(0, 1, 1)));
                match &children[1] {
                    Expr::Not(inner, npos) => {
                        // `not` starts after the blanks (newline included) that follow `and`.
                        assert_eq!(*npos, p(10, 3, 2));
                        assert_eq!(**inner, Expr::Identifier("b".into(), p(16, 4, 2)));
                    }
                    other => panic!("expected not, got {other:?}"),
                }
            }
            other => panic!("expected and, got {other:?}"),
        }
    }

    #[test]
    fn depth_limit() {
        let err = parse_condition(&"(".repeat(100_000)).unwrap_err();
        assert_eq!(err.message, "exceeded max depth limit of 100");
        assert!(parse_condition("((((((((((a))))))))))").is_ok());
    }

    #[test]
    fn modifiers_and_keyword_lookahead() {
        match parse_condition("proc.name == anyof and fd.name exists").unwrap() {
            Expr::And(c, _) => match &c[0] {
                Expr::Binary(b) => {
                    assert_eq!(b.modifier, None);
                    assert!(matches!(&b.value, ValueExpr::Value(v, _) if v == "anyof"));
                }
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        match parse_condition("proc.name contains oneof (cat, nginx)").unwrap() {
            Expr::Binary(b) => {
                assert_eq!(b.op, BinaryOp::Contains);
                assert_eq!(b.modifier, Some(OpModifier::OneOf));
                assert!(matches!(&b.value, ValueExpr::List(l, _) if l.len() == 2));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn transformers_and_getopt_arg() {
        match parse_condition("getopt(proc.args, \"nt:\")[t] = x").unwrap() {
            Expr::Binary(b) => match b.field {
                FieldExpr::Transform { name, args, arg, .. } => {
                    assert_eq!(name, TransformerName::GetOpt);
                    assert_eq!(args.len(), 2);
                    assert!(matches!(&args[1], FieldExpr::Literal(s, _) if s == "nt:"));
                    assert_eq!(arg.as_deref(), Some("t"));
                }
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        let err = parse_condition("getopt(proc.args, \"nt:\")[\"t\" = value").unwrap_err();
        assert_eq!(err.message, "expected a ']' token");
    }

    #[test]
    fn quoted_values_are_unescaped() {
        match parse_condition(r#"a.b = "x\x41\"y""#).unwrap() {
            Expr::Binary(b) => {
                assert!(matches!(&b.value, ValueExpr::Value(v, _) if v == "xA\"y"));
            }
            other => panic!("{other:?}"),
        }
        assert!(parse_condition(r#"a.b = 'mixed \"'"#).is_err());
    }

    #[test]
    fn field_expr_alone() {
        assert_eq!(
            parse_field_expr("proc.aname[2]").unwrap(),
            FieldExpr::Field {
                name: "proc.aname".into(),
                arg: Some("2".into()),
                pos: p(0, 1, 1)
            }
        );
        assert!(parse_field_expr("tolower(proc.name)").is_ok());
        assert!(parse_field_expr("proc.name x").is_err());
    }

    /// Random inputs built from the language's tokens never panic the parser.
    #[test]
    fn random_inputs_do_not_panic() {
        const PIECES: &[&str] = &[
            "a",
            "proc.name",
            "(",
            ")",
            " ",
            "\n",
            "and",
            "or",
            "not",
            "=",
            "!=",
            "<",
            ">=",
            "in",
            "exists",
            "contains ",
            "'",
            "\"",
            "\\",
            "\\x4",
            "é",
            "[",
            "]",
            ",",
            "val(",
            "b64(",
            "join(",
            "oneof ",
            "0x1",
            "-1.5e+3",
            "getopt(",
            "pmatch",
            "é'x'",
            "\t",
            "\u{8}",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            let mut text = String::new();
            let n = (seed % 12) as usize + 1;
            for _ in 0..n {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push_str(PIECES[(seed % PIECES.len() as u64) as usize]);
            }
            let _ = parse_condition(&text);
            let _ = parse_field_expr(&text);
        }
    }
}
