//! The items a rules file defines, as collected before compilation (after `append`/`override`
//! have been applied), and the priorities.

use std::collections::HashMap;
use std::fmt;

use crate::rules::results::{Context, SourcePosition};

/// Rule priorities, most severe first (the order the stats block prints them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    Emergency,
    Alert,
    Critical,
    Error,
    Warning,
    Notice,
    Informational,
    Debug,
}

impl Priority {
    pub const ALL: [Priority; 8] = [
        Priority::Emergency,
        Priority::Alert,
        Priority::Critical,
        Priority::Error,
        Priority::Warning,
        Priority::Notice,
        Priority::Informational,
        Priority::Debug,
    ];

    /// Parses every name and alias Falco accepts, case-insensitively (`info` = `informational`).
    pub fn parse(s: &str) -> Option<Priority> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "emergency" => Priority::Emergency,
            "alert" => Priority::Alert,
            "critical" => Priority::Critical,
            "error" => Priority::Error,
            "warning" => Priority::Warning,
            "notice" => Priority::Notice,
            "informational" | "info" => Priority::Informational,
            "debug" => Priority::Debug,
            _ => return None,
        })
    }

    /// Capitalised, as in text alerts and the JSON `priority` key (`Warning`).
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Emergency => "Emergency",
            Priority::Alert => "Alert",
            Priority::Critical => "Critical",
            Priority::Error => "Error",
            Priority::Warning => "Warning",
            Priority::Notice => "Notice",
            Priority::Informational => "Informational",
            Priority::Debug => "Debug",
        }
    }

    /// Upper-case, as in the stats block (`WARNING`).
    pub fn as_upper(self) -> &'static str {
        match self {
            Priority::Emergency => "EMERGENCY",
            Priority::Alert => "ALERT",
            Priority::Critical => "CRITICAL",
            Priority::Error => "ERROR",
            Priority::Warning => "WARNING",
            Priority::Notice => "NOTICE",
            Priority::Informational => "INFO",
            Priority::Debug => "DEBUG",
        }
    }

    /// True when `self` is at least as severe as `threshold`.
    pub fn at_least(self, threshold: Priority) -> bool {
        self <= threshold
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A condition or output text and where it starts in its file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text {
    pub text: String,
    pub position: SourcePosition,
}

#[derive(Debug, Clone)]
pub struct ListDef {
    pub name: String,
    pub items: Vec<String>,
    /// Definition order among all items; kept by redefinitions (Falco's "index").
    pub index: usize,
    /// Items defined before this counter value are visible from this definition.
    pub visibility: usize,
    pub ctx: Context,
}

#[derive(Debug, Clone)]
pub struct MacroDef {
    pub name: String,
    pub condition: Text,
    pub index: usize,
    pub visibility: usize,
    pub ctx: Context,
}

/// `fields`/`comps` of an exception: one name or a tuple.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tuple {
    Single(String),
    Many(Vec<String>),
}

impl Tuple {
    pub fn len(&self) -> usize {
        match self {
            Tuple::Single(_) => 1,
            Tuple::Many(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn items(&self) -> Vec<&str> {
        match self {
            Tuple::Single(s) => vec![s.as_str()],
            Tuple::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// One exception value: a string, or a list (of values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExceptionValue {
    Scalar(String),
    List(Vec<ExceptionValue>),
}

#[derive(Debug, Clone)]
pub struct ExceptionDef {
    pub name: String,
    pub fields: Option<Tuple>,
    pub comps: Option<Tuple>,
    pub values: Vec<ExceptionValue>,
    pub ctx: Context,
}

#[derive(Debug, Clone)]
pub struct RuleDef {
    pub name: String,
    pub condition: Text,
    pub output: Text,
    pub desc: String,
    pub priority: Priority,
    pub source: String,
    pub tags: Vec<String>,
    pub exceptions: Vec<ExceptionDef>,
    pub enabled: bool,
    pub warn_evttypes: bool,
    pub skip_if_unknown_filter: bool,
    pub index: usize,
    pub visibility: usize,
    pub ctx: Context,
}

/// Items in definition order with lookup by name; a redefinition replaces in place.
#[derive(Debug, Clone)]
pub struct Indexed<T> {
    pub items: Vec<T>,
    by_name: HashMap<String, usize>,
}

impl<T> Default for Indexed<T> {
    fn default() -> Self {
        Indexed {
            items: Vec::new(),
            by_name: HashMap::new(),
        }
    }
}

impl<T> Indexed<T> {
    pub fn get(&self, name: &str) -> Option<&T> {
        self.by_name.get(name).map(|&i| &self.items[i])
    }
    pub fn get_mut(&mut self, name: &str) -> Option<&mut T> {
        self.by_name.get(name).map(|&i| &mut self.items[i])
    }
    pub fn position(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }
    /// Inserts, or replaces the item of the same name at its place.
    pub fn upsert(&mut self, name: &str, item: T) {
        match self.by_name.get(name) {
            Some(&i) => self.items[i] = item,
            None => {
                self.by_name.insert(name.to_string(), self.items.len());
                self.items.push(item);
            }
        }
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Everything collected from the files loaded so far.
#[derive(Debug, Clone, Default)]
pub struct Collection {
    pub lists: Indexed<ListDef>,
    pub macros: Indexed<MacroDef>,
    pub rules: Indexed<RuleDef>,
    /// Counts every list/macro/rule definition, for visibility.
    pub next_index: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_parse_every_alias_case_insensitively() {
        assert_eq!(Priority::parse("WARNING"), Some(Priority::Warning));
        assert_eq!(Priority::parse("info"), Some(Priority::Informational));
        assert_eq!(Priority::parse("Informational"), Some(Priority::Informational));
        assert_eq!(Priority::parse("eRRor"), Some(Priority::Error));
        assert_eq!(Priority::parse("warn"), None);
        assert!(Priority::Critical.at_least(Priority::Warning));
        assert!(!Priority::Debug.at_least(Priority::Warning));
    }
}
