//! `-o key.path=value` options (Falco 0.35+): applied to the merged YAML tree before the typed
//! configuration is read, so they can set any key, including `plugins[0].open_params`.
//!
//! Key syntax (as Falco 0.44): `a.b.c`, `list[2].x`, `list[]` (append), and `\.` `\[` `\]` `\\`
//! escapes for keys that contain those characters. The value is a YAML scalar read as the key's
//! type (`True` is a boolean, as Falco's Python test suite spells it); a value written as a flow
//! mapping `{...}` or flow sequence `[...]` is parsed as YAML.

use std::sync::Arc;

use super::tree::{Item, Origin, Tree};
use super::ConfigError;
use crate::yaml::{self, Style};

/// One step of an override key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    /// `None` is `[]`: append a new element.
    Index(Option<usize>),
}

/// A parsed `-o` option.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub option: String,
    pub path: Vec<Segment>,
    pub value: Item,
}

impl Override {
    /// The first key of the path, to tell `config_files` overrides (applied before drop-ins are
    /// merged, as Falco does) from the others.
    pub fn top_key(&self) -> Option<&str> {
        match self.path.first() {
            Some(Segment::Key(k)) => Some(k),
            _ => None,
        }
    }
}

pub fn parse(option: &str) -> Result<Override, ConfigError> {
    let bad = |message: String| ConfigError::Override {
        option: option.to_string(),
        message,
    };
    let (key, raw_value) = option
        .split_once('=')
        .ok_or_else(|| bad("expected the form key=value or key.subkey=value".into()))?;
    let path = parse_key(key).map_err(bad)?;
    let source: Arc<str> = Arc::from(format!("command line option -o {option}"));
    let origin = Origin {
        source: source.clone(),
        line: 0,
        column: 0,
    };
    let is_flow = (raw_value.starts_with('{') && raw_value.ends_with('}'))
        || (raw_value.starts_with('[') && raw_value.ends_with(']'));
    let value = if is_flow {
        let node = yaml::parse_document(raw_value)
            .map_err(|e| bad(format!("the value is not valid YAML: {e}")))?
            .ok_or_else(|| bad("the value is empty".into()))?;
        let mut item = Item::from_yaml(&node, &source);
        strip_lines(&mut item);
        item
    } else {
        Item {
            value: Tree::Scalar(raw_value.to_string(), Style::Plain),
            origin,
        }
    };
    Ok(Override {
        option: option.to_string(),
        path,
        value,
    })
}

/// Positions inside a one-line option value are noise in messages; the option text says it all.
fn strip_lines(item: &mut Item) {
    item.origin.line = 0;
    item.origin.column = 0;
    match &mut item.value {
        Tree::Seq(items) => items.iter_mut().for_each(strip_lines),
        Tree::Map(entries) => entries.iter_mut().for_each(|(_, v)| strip_lines(v)),
        Tree::Scalar(..) => {}
    }
}

pub fn parse_key(key: &str) -> Result<Vec<Segment>, String> {
    let mut segments = Vec::new();
    let mut current = String::new();
    // True right after `]`: the next character must be `.` or `[`.
    let mut after_index = false;
    let mut chars = key.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => {
                let (_, next) = chars
                    .next()
                    .ok_or_else(|| format!("trailing backslash at position {at}"))?;
                if !matches!(next, '.' | '[' | ']' | '\\') {
                    return Err(format!("invalid escape '\\{next}' at position {at}"));
                }
                if after_index {
                    return Err(format!("expected '.' or '[' at position {at}"));
                }
                current.push(next);
            }
            '.' => {
                if current.is_empty() && !after_index {
                    return Err(format!("empty key name at position {at}"));
                }
                if !current.is_empty() {
                    segments.push(Segment::Key(std::mem::take(&mut current)));
                }
                after_index = false;
                if chars.peek().is_none() {
                    return Err(format!("key ends with '.' at position {at}"));
                }
            }
            '[' => {
                if !current.is_empty() {
                    segments.push(Segment::Key(std::mem::take(&mut current)));
                } else if segments.is_empty() {
                    return Err(format!("an index needs a key before it at position {at}"));
                }
                let mut digits = String::new();
                loop {
                    match chars.next() {
                        Some((_, ']')) => break,
                        Some((_, d)) if d.is_ascii_digit() => digits.push(d),
                        Some((p, other)) => {
                            return Err(format!("expected a numeric index, found '{other}' at position {p}"))
                        }
                        None => return Err(format!("unclosed '[' at position {at}")),
                    }
                }
                let index = if digits.is_empty() {
                    None
                } else {
                    Some(digits.parse::<usize>().map_err(|e| format!("index '{digits}': {e}"))?)
                };
                segments.push(Segment::Index(index));
                after_index = true;
            }
            ']' => return Err(format!("unexpected ']' at position {at}")),
            other => {
                if after_index {
                    return Err(format!("expected '.' or '[' at position {at}"));
                }
                current.push(other);
            }
        }
    }
    if !current.is_empty() {
        segments.push(Segment::Key(current));
    }
    if segments.is_empty() {
        return Err("the key is empty".into());
    }
    Ok(segments)
}

/// Sets the value of `ov` in `root`, creating mappings and sequence elements on the way.
pub fn apply(root: &mut Item, ov: &Override) -> Result<(), ConfigError> {
    let mut node = root;
    for (depth, segment) in ov.path.iter().enumerate() {
        let origin = ov.value.origin.clone();
        let fail = |message: String| ConfigError::Override {
            option: ov.option.clone(),
            message,
        };
        let walked = render_path(&ov.path[..depth]);
        match segment {
            Segment::Key(key) => {
                if node.is_null() {
                    *node = Item::empty_map(origin.clone());
                }
                if !matches!(node.value, Tree::Map(_)) {
                    return Err(fail(format!(
                        "cannot set key '{key}': '{walked}' is {} in the configuration, not a mapping",
                        node.describe()
                    )));
                }
                if node.get(key).is_none() {
                    node.insert(key, Item::null(origin));
                }
                node = node.get_mut(key).expect("inserted above");
            }
            Segment::Index(index) => {
                if node.is_null() {
                    *node = Item {
                        value: Tree::Seq(Vec::new()),
                        origin: origin.clone(),
                    };
                }
                let description = node.describe();
                let Tree::Seq(items) = &mut node.value else {
                    return Err(fail(format!(
                        "cannot index '{walked}': it is {description} in the configuration, not a sequence"
                    )));
                };
                let len = items.len();
                let at = match index {
                    Some(i) if *i < len => *i,
                    None => len,
                    Some(i) if *i == len => len,
                    Some(i) => {
                        return Err(fail(format!(
                            "index {i} is out of range: '{walked}' has {len} elements (use [{len}] or [] to append)"
                        )))
                    }
                };
                if at == len {
                    items.push(Item::null(origin));
                }
                node = &mut items[at];
            }
        }
    }
    *node = ov.value.clone();
    Ok(())
}

/// `plugins[0].open_params` from segments, for messages.
pub fn render_path(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Segment::Index(Some(i)) => out.push_str(&format!("[{i}]")),
            Segment::Index(None) => out.push_str("[]"),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_with_indices_and_escapes() {
        assert_eq!(
            parse_key("plugins[0].open_params").unwrap(),
            vec![
                Segment::Key("plugins".into()),
                Segment::Index(Some(0)),
                Segment::Key("open_params".into())
            ]
        );
        assert_eq!(
            parse_key(r"static_fields.kubernetes\.io/role").unwrap(),
            vec![
                Segment::Key("static_fields".into()),
                Segment::Key("kubernetes.io/role".into())
            ]
        );
        assert_eq!(
            parse_key("m[1][2]").unwrap(),
            vec![
                Segment::Key("m".into()),
                Segment::Index(Some(1)),
                Segment::Index(Some(2))
            ]
        );
        assert_eq!(
            parse_key("l[]").unwrap(),
            vec![Segment::Key("l".into()), Segment::Index(None)]
        );
    }

    #[test]
    fn malformed_keys_are_rejected_with_a_reason() {
        for bad in ["", "a..b", "a.", "[0]", "a[x]", "a[1", r"a\q", "a]", "a[0]b"] {
            assert!(parse_key(bad).is_err(), "{bad:?} should be rejected");
        }
        let err = parse("json_output").unwrap_err();
        assert!(err.to_string().contains("key=value"), "{err}");
    }
}
