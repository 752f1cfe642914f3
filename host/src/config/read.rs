//! Typed reads of the merged configuration tree, with Falco's defaults for absent or null keys.

use super::schema::{scalar_bool, scalar_f64, scalar_i64};
use super::tree::{Item, Tree};
use super::ConfigError;

pub struct Reader<'a> {
    pub root: &'a Item,
}

impl<'a> Reader<'a> {
    /// The value at `path`, or `None` when absent or null.
    pub fn get(&self, path: &str) -> Option<&'a Item> {
        self.root.at(path).filter(|item| !item.is_null())
    }

    fn type_error(item: &Item, path: &str, expected: &str) -> ConfigError {
        ConfigError::Type {
            origin: item.origin.clone(),
            key: path.to_string(),
            expected: expected.to_string(),
            found: item.describe(),
        }
    }

    pub fn bool(&self, path: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(path) {
            None => Ok(default),
            Some(item) => item
                .as_str()
                .and_then(scalar_bool)
                .ok_or_else(|| Self::type_error(item, path, "a boolean (true/false)")),
        }
    }

    pub fn i64(&self, path: &str, default: i64) -> Result<i64, ConfigError> {
        match self.get(path) {
            None => Ok(default),
            Some(item) => item
                .as_str()
                .and_then(scalar_i64)
                .ok_or_else(|| Self::type_error(item, path, "an integer")),
        }
    }

    pub fn u64(&self, path: &str, default: u64) -> Result<u64, ConfigError> {
        match self.get(path) {
            None => Ok(default),
            Some(item) => item
                .as_str()
                .and_then(scalar_i64)
                .and_then(|i| u64::try_from(i).ok())
                .ok_or_else(|| Self::type_error(item, path, "a non-negative integer")),
        }
    }

    pub fn f64(&self, path: &str, default: f64) -> Result<f64, ConfigError> {
        match self.get(path) {
            None => Ok(default),
            Some(item) => item
                .as_str()
                .and_then(scalar_f64)
                .ok_or_else(|| Self::type_error(item, path, "a number")),
        }
    }

    pub fn string(&self, path: &str, default: &str) -> Result<String, ConfigError> {
        Ok(self.opt_string(path)?.unwrap_or_else(|| default.to_string()))
    }

    pub fn opt_string(&self, path: &str) -> Result<Option<String>, ConfigError> {
        match self.get(path) {
            None => Ok(None),
            Some(item) => item
                .as_str()
                .map(|s| Some(s.to_string()))
                .ok_or_else(|| Self::type_error(item, path, "a string")),
        }
    }

    /// A list of strings; a single scalar is a one-item list (as Falco's `get_sequence`).
    pub fn str_list(&self, path: &str) -> Result<Option<Vec<String>>, ConfigError> {
        let Some(item) = self.get(path) else {
            return Ok(None);
        };
        match &item.value {
            Tree::Scalar(s, _) => Ok(Some(vec![s.clone()])),
            Tree::Seq(items) => items
                .iter()
                .enumerate()
                .filter(|(_, element)| !element.is_null())
                .map(|(i, element)| {
                    element
                        .as_str()
                        .map(str::to_string)
                        .ok_or_else(|| Self::type_error(element, &format!("{path}[{i}]"), "a string"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Tree::Map(_) => Err(Self::type_error(item, path, "a list of strings")),
        }
    }

    /// The elements of a sequence (empty when absent).
    pub fn seq(&self, path: &str) -> Result<&'a [Item], ConfigError> {
        match self.get(path) {
            None => Ok(&[]),
            Some(Item {
                value: Tree::Seq(items),
                ..
            }) => Ok(items),
            Some(item) => Err(Self::type_error(item, path, "a list")),
        }
    }
}

impl Reader<'_> {
    /// A value of the right type whose content is not acceptable; the origin is the key's (or
    /// the whole configuration's when the key is absent).
    pub fn invalid(&self, path: &str, message: String) -> ConfigError {
        let origin = self.root.at(path).unwrap_or(self.root).origin.clone();
        ConfigError::Invalid {
            origin,
            key: path.to_string(),
            message,
        }
    }
}
