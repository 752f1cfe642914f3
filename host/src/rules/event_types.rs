//! Event-type names → event codes for one source, used to build the ruleset's event-type index
//! and to reject unknown names in `evt.type` checks.

use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventTypesError {
    #[error("line {line} of the event table: {problem} (expected tab-separated columns: code, enum, name, dir, …)")]
    BadLine { line: usize, problem: String },
}

/// The event-table name of the generic syscall event.
pub const GENERIC_EVENT_NAME: &str = "syscall";

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
    /// …). Rules are evaluated on exit events only (Falco 0.44), so a name maps to its exit
    /// codes; meta events that have no exit pair (`container`, `asyncevent`, …) map to their
    /// enter codes. `NA` rows are placeholders.
    pub fn from_event_table_tsv(text: &str) -> Result<EventTypes, EventTypesError> {
        let mut rows = Vec::new();
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
            rows.push((code, cols[2].trim().to_string(), cols[3].trim() == "X"));
        }
        let with_exit: std::collections::HashSet<&str> = rows
            .iter()
            .filter(|r| r.2 && r.1 != "NA")
            .map(|r| r.1.as_str())
            .collect();
        let pairs = rows
            .iter()
            .filter(|(_, name, exit)| name != "NA" && (*exit || !with_exit.contains(name.as_str())))
            .map(|(code, name, _)| (name.as_str(), *code));
        let mut t = EventTypes::from_pairs(pairs);
        t.code_count = t
            .code_count
            .max(rows.iter().map(|r| r.0 as usize + 1).max().unwrap_or(0));
        Ok(t)
    }

    /// Syscalls without an event of their own arrive as the generic event (`syscall`) and
    /// `evt.type` shows the syscall's name: each of `names` not yet known maps to the codes of
    /// `syscall`. Returns how many names were added.
    pub fn add_generic_syscalls<'a>(&mut self, names: impl IntoIterator<Item = &'a str>) -> usize {
        let Some(generic) = self.by_name.get(GENERIC_EVENT_NAME).cloned() else {
            return 0;
        };
        let mut added = 0;
        for name in names {
            if !self.by_name.contains_key(name) {
                self.by_name.insert(name.to_string(), generic.clone());
                added += 1;
            }
        }
        added
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

    /// Per code (index), the `evt.type` of its events when that is the code's one name: the
    /// generic event's codes have none (their `evt.type` is the syscall in the event).
    pub fn unique_names(&self) -> Vec<Option<&str>> {
        let mut names: Vec<Option<&str>> = vec![None; self.code_count];
        let mut shared = vec![false; self.code_count];
        for (name, codes) in &self.by_name {
            for &c in codes {
                let c = c as usize;
                if name == GENERIC_EVENT_NAME || names[c].is_some_and(|n| n != name) {
                    shared[c] = true;
                }
                names[c] = Some(name);
            }
        }
        for (n, s) in names.iter_mut().zip(shared) {
            if s {
                *n = None;
            }
        }
        names
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
            "# code\tenum\tname\tdir\n0\tG_E\tsyscall\tE\n1\tG_X\tsyscall\tX\n2\tPPME_SYSCALL_OPEN_E\topen\tE\n3\tPPME_SYSCALL_OPEN_X\topen\tX\n228\tPPME_CONTAINER_E\tcontainer\tE\n229\tPPME_CONTAINER_X\tNA\tX\n",
        )
        .unwrap();
        assert_eq!(t.codes("container"), Some(&[228u16][..]));
        assert_eq!(t.codes("NA"), None);
        let mut t = t;
        assert_eq!(t.add_generic_syscalls(["madvise", "open"]), 1);
        assert_eq!(t.codes("madvise"), Some(&[1u16][..]));
        assert_eq!(t.codes("open"), Some(&[3u16][..]));
        assert_eq!(t.codes("nope"), None);
        assert_eq!(t.code_count(), 230);
        let names = t.unique_names();
        assert_eq!(
            (names[3], names[1], names[0], names[2]),
            (Some("open"), None, None, None)
        );
        assert!(EventTypes::from_event_table_tsv("x\ty\n").is_err());
    }
}
