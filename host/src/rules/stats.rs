//! Match counters per rule and per priority, and Falco's end-of-run block:
//!
//! ```text
//! Events detected: 3
//! Rule counts by severity:
//!    WARNING: 3
//! Triggered rules by rule name:
//!    open_from_cat: 3
//! ```
//! Only non-zero counts, priorities most severe first, rules in load order.

use crate::rules::load::items::Priority;

/// Indentation of the entries of the stats block.
const INDENT: &str = "   ";

#[derive(Debug, Clone, Default)]
pub struct Stats {
    total: u64,
    by_priority: [u64; Priority::ALL.len()],
    /// (rule name, count) in load order.
    by_rule: Vec<(String, u64)>,
}

impl Stats {
    /// Counters for rules named in load order (index = the rule's index in the ruleset).
    pub fn new<'a>(rule_names: impl IntoIterator<Item = &'a str>) -> Stats {
        Stats {
            by_rule: rule_names.into_iter().map(|n| (n.to_string(), 0)).collect(),
            ..Stats::default()
        }
    }

    /// Counts one match of rule `rule` (its index in the ruleset).
    pub fn record(&mut self, rule: usize, priority: Priority) {
        self.total += 1;
        self.by_priority[priority as usize] += 1;
        if let Some(slot) = self.by_rule.get_mut(rule) {
            slot.1 += 1;
        }
    }

    /// The slot of the rule named `name` for [`Stats::record`], appended when a reloaded
    /// ruleset brought a rule the counters did not know.
    pub fn slot_for(&mut self, name: &str) -> usize {
        match self.by_rule.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                self.by_rule.push((name.to_string(), 0));
                self.by_rule.len() - 1
            }
        }
    }

    /// (rule name, matches) in load order, including rules with no match.
    pub fn by_rule(&self) -> &[(String, u64)] {
        &self.by_rule
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn count_for_rule(&self, rule: usize) -> u64 {
        self.by_rule.get(rule).map_or(0, |r| r.1)
    }

    pub fn count_for_priority(&self, priority: Priority) -> u64 {
        self.by_priority[priority as usize]
    }

    pub fn render(&self) -> String {
        let mut out = format!("Events detected: {}\nRule counts by severity:\n", self.total);
        for p in Priority::ALL {
            let n = self.by_priority[p as usize];
            if n > 0 {
                out.push_str(&format!("{INDENT}{}: {n}\n", p.as_upper()));
            }
        }
        out.push_str("Triggered rules by rule name:\n");
        for (name, n) in &self.by_rule {
            if *n > 0 {
                out.push_str(&format!("{INDENT}{name}: {n}\n"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_lists_only_non_zero_in_order() {
        let mut s = Stats::new(["b rule", "a rule", "never"]);
        s.record(1, Priority::Informational);
        s.record(0, Priority::Warning);
        s.record(0, Priority::Warning);
        assert_eq!(
            s.render(),
            "Events detected: 3\nRule counts by severity:\n   WARNING: 2\n   INFO: 1\nTriggered rules by rule name:\n   b rule: 2\n   a rule: 1\n"
        );
        assert_eq!(s.count_for_rule(2), 0);
        assert_eq!(
            Stats::new(["x"]).render(),
            "Events detected: 0\nRule counts by severity:\nTriggered rules by rule name:\n"
        );
    }
}
