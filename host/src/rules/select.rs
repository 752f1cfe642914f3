//! Which loaded rules run: `-D` (disable by name substring or regex), `-T` (disable by tag),
//! `-t` (run only rules with a tag), the `priority` threshold, and `rule_matching`.

use regex::Regex;

use crate::rules::load::items::Priority;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// Falco's wording (checked by the conformance suite).
    #[error("You can not specify both disabled (-D/-T) and enabled (-t) rules")]
    DisabledAndEnabled,
    #[error("invalid rule_matching value '{0}': expected 'first' or 'all'")]
    BadRuleMatching(String),
    #[error("invalid priority '{0}': expected one of emergency, alert, critical, error, warning, notice, informational (info), debug")]
    BadPriority(String),
}

/// `rule_matching` of `falco.yaml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RuleMatching {
    /// Stop at the first rule that matches an event (Falco's default).
    #[default]
    First,
    /// Evaluate every candidate rule.
    All,
}

impl RuleMatching {
    pub fn parse(s: &str) -> Result<RuleMatching, SelectError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "first" => Ok(RuleMatching::First),
            "all" => Ok(RuleMatching::All),
            _ => Err(SelectError::BadRuleMatching(s.to_string())),
        }
    }
}

/// A `-D` pattern: matches names containing it, or matching it as a regular expression.
#[derive(Debug, Clone)]
pub struct NamePattern {
    text: String,
    regex: Option<Regex>,
}

impl NamePattern {
    pub fn new(text: &str) -> NamePattern {
        NamePattern {
            text: text.to_string(),
            regex: Regex::new(text).ok(),
        }
    }

    pub fn matches(&self, name: &str) -> bool {
        name.contains(&self.text) || self.regex.as_ref().is_some_and(|r| r.is_match(name))
    }
}

/// The selection options together.
#[derive(Debug, Clone)]
pub struct Selection {
    pub disabled_names: Vec<NamePattern>,
    pub disabled_tags: Vec<String>,
    pub enabled_tags: Vec<String>,
    /// Rules less severe than this are not evaluated.
    pub min_priority: Priority,
    pub rule_matching: RuleMatching,
}

impl Default for Selection {
    fn default() -> Self {
        Selection {
            disabled_names: Vec::new(),
            disabled_tags: Vec::new(),
            enabled_tags: Vec::new(),
            min_priority: Priority::Debug,
            rule_matching: RuleMatching::First,
        }
    }
}

impl Selection {
    /// Builds a selection from command-line style inputs, with Falco's check that `-t` is not
    /// combined with `-D`/`-T`.
    pub fn new(
        disabled: &[String],
        disabled_tags: &[String],
        enabled_tags: &[String],
        priority: &str,
        rule_matching: &str,
    ) -> Result<Selection, SelectError> {
        if (!disabled.is_empty() || !disabled_tags.is_empty()) && !enabled_tags.is_empty() {
            return Err(SelectError::DisabledAndEnabled);
        }
        Ok(Selection {
            disabled_names: disabled.iter().map(|d| NamePattern::new(d)).collect(),
            disabled_tags: disabled_tags.to_vec(),
            enabled_tags: enabled_tags.to_vec(),
            min_priority: Priority::parse(priority).ok_or_else(|| SelectError::BadPriority(priority.to_string()))?,
            rule_matching: RuleMatching::parse(rule_matching)?,
        })
    }

    /// Whether a rule (enabled in its file) runs under this selection.
    pub fn selects(&self, name: &str, tags: &[String], priority: Priority) -> bool {
        if !priority.at_least(self.min_priority) {
            return false;
        }
        if !self.enabled_tags.is_empty() {
            return tags.iter().any(|t| self.enabled_tags.contains(t));
        }
        if self.disabled_names.iter().any(|p| p.matches(name)) {
            return false;
        }
        !tags.iter().any(|t| self.disabled_tags.contains(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn disable_enable_and_threshold() {
        let sel = Selection::new(&s(&["Cat"]), &s(&["noisy"]), &[], "warning", "first").unwrap();
        assert!(!sel.selects("Open From Cat", &[], Priority::Error));
        assert!(!sel.selects("x", &s(&["noisy"]), Priority::Error));
        assert!(!sel.selects("x", &[], Priority::Informational));
        assert!(sel.selects("x", &[], Priority::Warning));
        let sel = Selection::new(&s(&["^open_.*cat$"]), &[], &[], "debug", "all").unwrap();
        assert!(!sel.selects("open_from_cat", &[], Priority::Debug));
        assert!(sel.selects("xopen_from_catx", &[], Priority::Debug));
        assert_eq!(sel.rule_matching, RuleMatching::All);
        let only = Selection::new(&[], &[], &s(&["a"]), "debug", "first").unwrap();
        assert!(only.selects("r", &s(&["a", "b"]), Priority::Debug));
        assert!(!only.selects("r", &s(&["b"]), Priority::Debug));
        assert_eq!(
            Selection::new(&s(&["x"]), &[], &s(&["a"]), "debug", "first")
                .unwrap_err()
                .to_string(),
            "You can not specify both disabled (-D/-T) and enabled (-t) rules"
        );
    }
}
