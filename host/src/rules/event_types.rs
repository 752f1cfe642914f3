//! Event-type names → event codes for one source, used to build the ruleset's event-type index
//! and to reject unknown names in `evt.type` checks.

use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventTypesError {
    #[error("line {line} of the event table: {problem} (expected tab-separated columns: code, enum, name, dir, …)")]
    BadLine { line: usize, problem: String },
}

/// The event types of a source: each name with its codes, and the number of codes.
#[derive(Debug, Clone, Default)]
pub struct EventTypes {
    by_name: HashMap<String, Vec<u16>>,
    code_count: usize,
    /// Codes that have a name here (the ones rules are evaluated on).
    named: Vec<bool>,
}

impl EventTypes {
    /// Builds the table from `(name, code)` pairs.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, u16)>) -> EventTypes {
        let mut t = EventTypes::default();
        for (name, code) in pairs {
            t.by_name.entry(name.to_string()).or_default().push(code);
            t.code_count = t.code_count.max(code as usize + 1);
            if t.named.len() <= code as usize {
                t.named.resize(code as usize + 1, false);
            }
            t.named[code as usize] = true;
        }
        t
    }

    /// Reads `shared/reference/event_table.tsv` (libscap's event table: code, enum, name, dir,
    /// …). Only exit events are evaluated by rules (Falco 0.44), so only their codes are
    /// indexed; names are those `evt.type` shows.
    pub fn from_event_table_tsv(text: &str) -> Result<EventTypes, EventTypesError> {
        let mut pairs = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() < 4 {
                return Err(EventTypesError::BadLine {
                    line: n + 1,
                    problem: format!("{} columns", cols.len()),
                });
            }
            let code: u16 = cols[0].trim().parse().map_err(|_| EventTypesError::BadLine {
                line: n + 1,
                problem: format!("code '{}' is not a number", cols[0]),
            })?;
            if cols[3].trim() == "X" {
                pairs.push((cols[2].trim().to_string(), code));
            }
        }
        let mut t = EventTypes::from_pairs(pairs.iter().map(|(n, c)| (n.as_str(), *c)));
        // Enter codes are never evaluated but must not fall into "unknown": size the index to
        // every code of the table.
        let max = text
            .lines()
            .filter_map(|l| l.split('\t').next()?.trim().parse::<usize>().ok())
            .max()
            .unwrap_or(0);
        t.code_count = t.code_count.max(max + 1);
        Ok(t)
    }

    pub fn codes(&self, name: &str) -> Option<&[u16]> {
        self.by_name.get(name).map(Vec::as_slice)
    }

    /// Whether rules are evaluated on events of this code (it has a name in the table).
    pub fn has_code(&self, code: u16) -> bool {
        self.named.get(code as usize).copied().unwrap_or(false)
    }

    /// Every code rules are evaluated on, ascending.
    pub fn indexed_codes(&self) -> Vec<u16> {
        (0..self.named.len())
            .filter(|&c| self.named[c])
            .map(|c| c as u16)
            .collect()
    }

    /// One past the largest code.
    pub fn code_count(&self) -> usize {
        self.code_count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_by_name() {
        let t = EventTypes::from_event_table_tsv(
            "# code\tenum\tname\tdir\n2\tPPME_SYSCALL_OPEN_E\topen\tE\n3\tPPME_SYSCALL_OPEN_X\topen\tX\n",
        )
        .unwrap();
        assert_eq!(t.codes("open"), Some(&[3u16][..]));
        assert_eq!(t.codes("nope"), None);
        assert_eq!(t.code_count(), 4);
        assert!(EventTypes::from_event_table_tsv("x\ty\n").is_err());
    }
}
