//! YAML documents with the position of every node, for rules files and `falco.yaml`.
//!
//! Errors in either file must name the line and column of the offending item, so both are read
//! through this tree rather than through serde. Built on `saphyr-parser`'s event stream.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// Aliases are expanded by copying; a document that expands beyond this many nodes is
/// rejected (the "billion laughs" shape).
pub const MAX_NODES: usize = 10_000_000;
/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 512;

/// Where a node starts: character offset, 1-based line, 1-based column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Position {
    pub offset: usize,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {} column {}", self.line, self.column)
    }
}

/// How a scalar was written: plain scalars are typed (`true`, `12`, `null`); quoted and block
/// scalars are always strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Quoted,
    Block,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(String, Style),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Position,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum YamlError {
    #[error("invalid YAML at {pos}: {message}")]
    Syntax { message: String, pos: Position },
    #[error("invalid YAML at {pos}: alias to an unknown anchor")]
    UnknownAnchor { pos: Position },
    #[error("YAML document too large or too deep at {pos} (limits: {MAX_NODES} nodes, depth {MAX_DEPTH})")]
    TooLarge { pos: Position },
}

impl YamlError {
    pub fn position(&self) -> Position {
        match self {
            YamlError::Syntax { pos, .. } | YamlError::UnknownAnchor { pos } | YamlError::TooLarge { pos } => *pos,
        }
    }
}

/// Parses every document of a YAML stream. An empty stream gives no documents.
pub fn parse_documents(text: &str) -> Result<Vec<Node>, YamlError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    while let Some(item) = parser.next_event() {
        match item {
            Ok((event, span)) => {
                if builder.on_event(event, span)? {
                    break;
                }
            }
            Err(e) => {
                let m = e.marker();
                return Err(YamlError::Syntax {
                    message: e.info().to_string(),
                    pos: Position {
                        offset: m.index(),
                        line: m.line(),
                        column: m.col() + 1,
                    },
                });
            }
        }
    }
    Ok(builder.documents)
}

/// Parses a stream that must hold at most one document; `None` for an empty stream.
pub fn parse_document(text: &str) -> Result<Option<Node>, YamlError> {
    Ok(parse_documents(text)?.into_iter().next())
}

enum Open {
    Seq(Vec<Node>, Position, usize),
    Map(Vec<(Node, Node)>, Option<Node>, Position, usize),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    anchors: HashMap<usize, Node>,
    documents: Vec<Node>,
    nodes: usize,
}

impl Builder {
    /// Returns true at the end of the stream.
    fn on_event(&mut self, event: Event<'_>, span: Span) -> Result<bool, YamlError> {
        let pos = Position {
            offset: span.start.index(),
            line: span.start.line(),
            column: span.start.col() + 1,
        };
        match event {
            Event::StreamEnd => return Ok(true),
            Event::StreamStart | Event::DocumentStart(_) | Event::DocumentEnd | Event::Nothing => {}
            Event::Alias(id) => {
                let node = self.anchors.get(&id).cloned().ok_or(YamlError::UnknownAnchor { pos })?;
                self.nodes += count_nodes(&node);
                self.push(node, 0)?;
            }
            Event::Scalar(text, style, anchor, _tag) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
                    _ => Style::Block,
                };
                let node = Node {
                    value: Value::Scalar(Cow::into_owned(text), style),
                    pos,
                };
                self.push(node, anchor)?;
            }
            Event::SequenceStart(anchor, _) => self.open(Open::Seq(Vec::new(), pos, anchor), pos)?,
            Event::MappingStart(anchor, _) => self.open(Open::Map(Vec::new(), None, pos, anchor), pos)?,
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Open::Seq(items, pos, anchor)) => (
                        Node {
                            value: Value::Seq(items),
                            pos,
                        },
                        anchor,
                    ),
                    Some(Open::Map(entries, _, pos, anchor)) => (
                        Node {
                            value: Value::Map(entries),
                            pos,
                        },
                        anchor,
                    ),
                    None => return Ok(false),
                };
                self.push(node, anchor)?;
            }
        }
        Ok(false)
    }

    fn open(&mut self, open: Open, pos: Position) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(YamlError::TooLarge { pos });
        }
        self.stack.push(open);
        Ok(())
    }

    fn push(&mut self, node: Node, anchor: usize) -> Result<(), YamlError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(YamlError::TooLarge { pos: node.pos });
        }
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some(Open::Seq(items, ..)) => items.push(node),
            Some(Open::Map(entries, pending, ..)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => entries.push((key, node)),
            },
        }
        Ok(())
    }
}

fn count_nodes(node: &Node) -> usize {
    match &node.value {
        Value::Scalar(..) => 1,
        Value::Seq(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        Value::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| count_nodes(k) + count_nodes(v))
                .sum::<usize>()
        }
    }
}

impl Node {
    /// The scalar text, for any scalar (typed or not).
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    /// True for `~`, `null`, `Null`, `NULL` and an empty plain scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(s, Style::Plain) if matches!(s.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// A boolean as YAML 1.1 and yaml-cpp spell it (`true`, `True`, `yes`, `on`, …).
    pub fn as_bool(&self) -> Option<bool> {
        let s = self.as_str()?;
        match s {
            "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => Some(true),
            "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => Some(false),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        parse_int(self.as_str()?.trim())
    }

    pub fn as_u64(&self) -> Option<u64> {
        u64::try_from(self.as_i64()?).ok()
    }

    pub fn as_f64(&self) -> Option<f64> {
        let s = self.as_str()?.trim();
        parse_int(s).map(|i| i as f64).or_else(|| s.parse::<f64>().ok())
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value of `key` in a mapping (first match).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// A short name of the node's kind, for error messages.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Scalar(..) if self.is_null() => "null",
            Value::Scalar(..) => "scalar",
            Value::Seq(_) => "sequence",
            Value::Map(_) => "mapping",
        }
    }

    /// Converts to JSON the way Falco passes a YAML `init_config` to a plugin: plain scalars
    /// become booleans, numbers or null when they read as such; everything else is a string.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Scalar(s, Style::Plain) => {
                if self.is_null() {
                    J::Null
                } else if let Some(b) = plain_bool(s) {
                    J::Bool(b)
                } else if let Some(i) = parse_int(s) {
                    J::from(i)
                } else if let Some(f) = s.parse::<f64>().ok().filter(|f| f.is_finite() && looks_numeric(s)) {
                    serde_json::Number::from_f64(f)
                        .map(J::Number)
                        .unwrap_or_else(|| J::String(s.clone()))
                } else {
                    J::String(s.clone())
                }
            }
            Value::Scalar(s, _) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| k.to_json().to_string()),
                            v.to_json(),
                        )
                    })
                    .collect(),
            ),
        }
    }
}

/// YAML 1.2 core-schema booleans (what a JSON consumer expects).
fn plain_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn looks_numeric(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    s.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && !s.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
}

/// Decimal, `0x` hex and `0o` octal integers with an optional sign.
fn parse_int(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let magnitude = if let Some(hex) = digits.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = digits.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()?
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse::<i64>().ok()?
    } else {
        return None;
    };
    Some(if neg { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let doc = parse_document("- rule: a\n  condition: x\n- macro: m\n")
            .unwrap()
            .unwrap();
        let items = doc.as_seq().unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].pos.line, 3);
        let cond = items[0].get("condition").unwrap();
        assert_eq!(cond.as_str(), Some("x"));
        assert_eq!((cond.pos.line, cond.pos.column), (2, 14));
    }

    #[test]
    fn syntax_errors_carry_a_position() {
        let err = parse_documents("a: [1, 2\nb: c\n").unwrap_err();
        assert!(err.position().line >= 1, "{err}");
        assert!(err.to_string().contains("invalid YAML at line"), "{err}");
    }

    #[test]
    fn aliases_expand_and_typed_scalars_convert_to_json() {
        let doc = parse_document("base: &b {x: 1, y: 'true', z: yes, n: ~, f: 1.5}\ncopy: *b\n")
            .unwrap()
            .unwrap();
        let json = doc.get("copy").unwrap().to_json();
        assert_eq!(
            json,
            serde_json::json!({"x": 1, "y": "true", "z": "yes", "n": null, "f": 1.5})
        );
        assert_eq!(doc.get("base").unwrap().get("z").unwrap().as_bool(), Some(true));
    }

    #[test]
    fn several_documents() {
        let docs = parse_documents("a: 1\n---\nb: 2\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].get("b").unwrap().as_i64(), Some(2));
        assert!(parse_documents("").unwrap().is_empty());
    }

    #[test]
    fn unknown_alias_is_an_error() {
        assert!(matches!(
            parse_documents("a: *nope\n"),
            Err(YamlError::UnknownAnchor { .. }) | Err(YamlError::Syntax { .. })
        ));
    }
}
