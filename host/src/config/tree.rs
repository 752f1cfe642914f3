//! The configuration as a tree whose every node remembers where it came from (a file and line,
//! or a `-o` option), so that errors found after merging drop-ins and overrides still name
//! their origin.

use std::fmt;
use std::sync::Arc;

use crate::yaml::{self, Style};

/// Where a configuration value was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// A file path, or `command line option -o <key>=<value>`.
    pub source: Arc<str>,
    /// 1-based; 0 when the origin has no lines (a `-o` option).
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.source)
        } else {
            write!(f, "{}:{}:{}", self.source, self.line, self.column)
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tree {
    Scalar(String, Style),
    Seq(Vec<Item>),
    /// Keys in document order; a later duplicate key replaces an earlier one.
    Map(Vec<(String, Item)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub value: Tree,
    pub origin: Origin,
}

impl Item {
    pub fn from_yaml(node: &yaml::Node, source: &Arc<str>) -> Item {
        let origin = Origin {
            source: source.clone(),
            line: node.pos.line,
            column: node.pos.column,
        };
        let value = match &node.value {
            yaml::Value::Scalar(s, style) => Tree::Scalar(s.clone(), *style),
            yaml::Value::Seq(items) => Tree::Seq(items.iter().map(|n| Item::from_yaml(n, source)).collect()),
            yaml::Value::Map(entries) => {
                let mut map: Vec<(String, Item)> = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let key = k
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| k.to_json().to_string());
                    let item = Item::from_yaml(v, source);
                    match map.iter_mut().find(|(existing, _)| *existing == key) {
                        Some(slot) => slot.1 = item,
                        None => map.push((key, item)),
                    }
                }
                Tree::Map(map)
            }
        };
        Item { value, origin }
    }

    /// Back to a position-carrying YAML node, for conversions that `yaml::Node` provides
    /// (`to_json`).
    pub fn to_yaml(&self) -> yaml::Node {
        let value = match &self.value {
            Tree::Scalar(s, style) => yaml::Value::Scalar(s.clone(), *style),
            Tree::Seq(items) => yaml::Value::Seq(items.iter().map(Item::to_yaml).collect()),
            Tree::Map(entries) => yaml::Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| {
                        let key = yaml::Node {
                            value: yaml::Value::Scalar(k.clone(), Style::Quoted),
                            pos: yaml::Position::default(),
                        };
                        (key, v.to_yaml())
                    })
                    .collect(),
            ),
        };
        yaml::Node {
            value,
            pos: yaml::Position {
                offset: 0,
                line: self.origin.line,
                column: self.origin.column,
            },
        }
    }

    pub fn empty_map(origin: Origin) -> Item {
        Item {
            value: Tree::Map(Vec::new()),
            origin,
        }
    }

    pub fn null(origin: Origin) -> Item {
        Item {
            value: Tree::Scalar(String::new(), Style::Plain),
            origin,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Tree::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    /// `~`, `null` and an empty plain scalar: Falco treats these keys as unset.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Tree::Scalar(s, Style::Plain) if matches!(s.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    pub fn get(&self, key: &str) -> Option<&Item> {
        match &self.value {
            Tree::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Item> {
        match &mut self.value {
            Tree::Map(entries) => entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Sets `key` in a mapping, replacing the value in place to keep key order.
    pub fn insert(&mut self, key: &str, item: Item) {
        if let Tree::Map(entries) = &mut self.value {
            match entries.iter_mut().find(|(k, _)| k == key) {
                Some(slot) => slot.1 = item,
                None => entries.push((key.to_string(), item)),
            }
        }
    }

    /// The value at a dotted path of mapping keys (`syscall_event_drops.threshold`).
    pub fn at(&self, path: &str) -> Option<&Item> {
        let mut node = self;
        for key in path.split('.') {
            node = node.get(key)?;
        }
        Some(node)
    }

    /// A short name of the node's kind and value, for error messages.
    pub fn describe(&self) -> String {
        match &self.value {
            Tree::Scalar(s, _) => format!("{s:?}"),
            Tree::Seq(_) => "a sequence".to_string(),
            Tree::Map(_) => "a mapping".to_string(),
        }
    }
}
