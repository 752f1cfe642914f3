//! The list of tests expected to fail (`name  # reason` per line) and how a run's results are
//! reconciled with it.

use std::collections::BTreeMap;

/// How one test ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail(String),
    /// A prerequisite is absent.
    Skip(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedFailure {
    pub name: String,
    pub reason: String,
    pub line: usize,
}

/// Parses the list; blank lines and lines starting with `#` are comments. Every entry needs a
/// reason.
pub fn parse(text: &str) -> Result<Vec<ExpectedFailure>, String> {
    let mut out: Vec<ExpectedFailure> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, reason) = match line.split_once('#') {
            Some((name, reason)) => (name.trim(), reason.trim()),
            None => (line, ""),
        };
        if reason.is_empty() || name.contains(char::is_whitespace) {
            return Err(format!(
                "line {}: expected `test_name  # reason why it fails`, found {raw:?}",
                index + 1
            ));
        }
        if let Some(first) = out.iter().find(|e| e.name == name) {
            return Err(format!(
                "line {}: {name} is already listed on line {}",
                index + 1,
                first.line
            ));
        }
        out.push(ExpectedFailure {
            name: name.to_string(),
            reason: reason.to_string(),
            line: index + 1,
        });
    }
    Ok(out)
}

/// The problems that make a run with an expected-failures list fail: a failure not listed, a
/// listed test that passed, a listed name that no suite has. Listed tests that were filtered
/// out or skipped are not judged.
pub fn reconcile(
    outcomes: &BTreeMap<String, Outcome>,
    all_names: &[String],
    expected: &[ExpectedFailure],
) -> Vec<String> {
    let mut problems = Vec::new();
    for entry in expected {
        if !all_names.contains(&entry.name) {
            problems.push(format!(
                "{}: listed as expected to fail but no suite has this test",
                entry.name
            ));
        } else if outcomes.get(&entry.name) == Some(&Outcome::Pass) {
            problems.push(format!("{}: now passes: remove it from the list", entry.name));
        }
    }
    for (name, outcome) in outcomes {
        if let Outcome::Fail(reason) = outcome {
            if !expected.iter().any(|e| &e.name == name) {
                problems.push(format!(
                    "{name}: fails and is not in the expected-failures list ({reason})"
                ));
            }
        }
    }
    problems
}

/// `N passed, M failed` and `, K skipped` when some were skipped.
pub fn summary(outcomes: &BTreeMap<String, Outcome>) -> String {
    let count = |f: fn(&Outcome) -> bool| outcomes.values().filter(|o| f(o)).count();
    let passed = count(|o| matches!(o, Outcome::Pass));
    let failed = count(|o| matches!(o, Outcome::Fail(_)));
    let skipped = count(|o| matches!(o, Outcome::Skip(_)));
    if skipped > 0 {
        format!("{passed} passed, {failed} failed, {skipped} skipped")
    } else {
        format!("{passed} passed, {failed} failed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcomes(items: &[(&str, Outcome)]) -> BTreeMap<String, Outcome> {
        items.iter().map(|(n, o)| (n.to_string(), o.clone())).collect()
    }

    #[test]
    fn list_format_requires_reasons() {
        let list = parse("# header\n\ntest_a  # needs cloudtrail\ntest_b # LOAD_UNUSED_LIST not emitted\n").unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].name, "test_b");
        assert_eq!(list[1].reason, "LOAD_UNUSED_LIST not emitted");
        assert!(parse("test_a\n").unwrap_err().contains("line 1"));
        assert!(parse("a # x\na # y\n").unwrap_err().contains("already listed"));
    }

    #[test]
    fn reconcile_flags_unlisted_failures_and_new_passes() {
        let names: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        let results = outcomes(&[
            ("a", Outcome::Fail("x".into())),
            ("b", Outcome::Pass),
            ("c", Outcome::Fail("y".into())),
            ("d", Outcome::Skip("needs grpcurl".into())),
        ]);
        let list = parse("a # known\nb # was broken\nd # flaky\nzzz # gone\n").unwrap();
        let problems = reconcile(&results, &names, &list);
        assert_eq!(
            problems,
            [
                "b: now passes: remove it from the list",
                "zzz: listed as expected to fail but no suite has this test",
                "c: fails and is not in the expected-failures list (y)",
            ]
        );
        let exact = parse("a # known\nc # known too\n").unwrap();
        assert!(reconcile(&results, &names, &exact).is_empty());
        assert_eq!(summary(&results), "1 passed, 2 failed, 1 skipped");
        assert_eq!(summary(&outcomes(&[("a", Outcome::Pass)])), "1 passed, 0 failed");
    }
}
