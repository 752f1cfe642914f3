//! Judging one engine run, in the order of the conformance README's "Judging" section; the
//! first failed check decides.

use regex::{Regex, RegexBuilder};
use serde_json::Value;

use crate::suite::{ExpectedLoadItem, TestCase};

/// What an engine run produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunOutput {
    pub stdout: String,
    pub stderr: String,
    /// `None` when the engine was killed by a signal.
    pub exit_status: Option<i32>,
    pub timed_out: bool,
    /// What grpcurl printed, for tests with a `grpc` check.
    pub grpc_output: Option<String>,
}

/// Python `re` patterns from the suites, compiled with the `regex` crate (the suites use no
/// construct where the two differ).
fn compile(pattern: &str, dotall: bool) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .dot_matches_new_line(dotall)
        .build()
        .map_err(|e| format!("invalid pattern {pattern:?} in the suite: {e}"))
}

fn excerpt(text: &str) -> String {
    /// Enough of an output to recognise it in a one-line reason.
    const MAX_EXCERPT_CHARS: usize = 300;
    let trimmed: String = text.chars().take(MAX_EXCERPT_CHARS).collect();
    let suffix = if text.chars().count() > MAX_EXCERPT_CHARS {
        "…"
    } else {
        ""
    };
    format!("{:?}{suffix}", trimmed)
}

/// `Ok(())` when the run passes, else the reason.
pub fn judge(case: &TestCase, run: &RunOutput, read_file: &dyn Fn(&str) -> Option<String>) -> Result<(), String> {
    if run.timed_out {
        return Err("timed out (killed after the time limit)".into());
    }
    // 1. Output text.
    if let Some(expected) = &case.stdout_is {
        if &run.stdout != expected {
            return Err(format!(
                "stdout is {} instead of {}",
                excerpt(&run.stdout),
                excerpt(expected)
            ));
        }
    }
    if let Some(expected) = &case.stderr_is {
        if &run.stderr != expected {
            return Err(format!(
                "stderr is {} instead of {}",
                excerpt(&run.stderr),
                excerpt(expected)
            ));
        }
    }
    for (stream, text, patterns) in [
        ("stderr", &run.stderr, &case.stderr_contains),
        ("stdout", &run.stdout, &case.stdout_contains),
    ] {
        for pattern in patterns {
            if !compile(pattern, true)?.is_match(text) {
                return Err(format!(
                    "{stream} does not match {pattern:?}; {stream} was {}",
                    excerpt(text)
                ));
            }
        }
    }
    for (stream, text, patterns) in [
        ("stderr", &run.stderr, &case.stderr_not_contains),
        ("stdout", &run.stdout, &case.stdout_not_contains),
    ] {
        for pattern in patterns {
            if let Some(m) = compile(pattern, false)?.find(text) {
                return Err(format!(
                    "{stream} must not match {pattern:?} but contains {:?}",
                    m.as_str()
                ));
            }
        }
    }
    // 2. Exit status.
    match run.exit_status {
        Some(status) if status == case.exit_status => {}
        Some(status) => {
            return Err(format!(
                "exit status {status}, expected {}; stderr was {}",
                case.exit_status,
                excerpt(&run.stderr)
            ))
        }
        None => {
            return Err(format!(
                "killed by a signal (expected exit status {})",
                case.exit_status
            ))
        }
    }
    // 3. `-V` results.
    if !case.validate_ok.is_empty() || !case.validate_errors.is_empty() || !case.validate_warnings.is_empty() {
        check_validation(case, &run.stdout)?;
    }
    // 4. A failing run that was expected to fail passes here.
    if run.exit_status != Some(0) {
        return Ok(());
    }
    // 5. Event types per rule, when the engine prints them.
    check_rules_events(case, &run.stderr)?;
    let validating = !case.validate_rules_file.is_empty();
    // 6. Detection counts.
    if !validating && case.check_detection_counts {
        check_detections(case, &run.stdout)?;
    }
    // 7. Per-rule counts.
    check_detect_counts(case, &run.stdout)?;
    // 8. JSON alerts.
    if !validating && case.json_output {
        check_json_alerts(case, &run.stdout)?;
    }
    // 9. Files and gRPC.
    for (file, pattern) in &case.outputs {
        let text = read_file(file).ok_or_else(|| format!("output file {file} was not written"))?;
        let re = compile(pattern, false)?;
        if !text.lines().any(|line| re.is_match(line)) {
            return Err(format!("no line of {file} matches {pattern:?}"));
        }
    }
    for (actual, expected_file) in &case.output_strictly_contains {
        let expected = read_file(expected_file).ok_or_else(|| format!("cannot read expected file {expected_file}"))?;
        let text = if actual == "stdout" {
            run.stdout.clone()
        } else {
            read_file(actual).ok_or_else(|| format!("output file {actual} was not written"))?
        };
        strictly_contains(&expected, &text)
            .map_err(|line| format!("{actual} lacks, in order, the line {line:?} of {expected_file}"))?;
    }
    if let Some(grpc) = &case.grpc {
        let output = run.grpc_output.as_deref().ok_or("grpcurl produced no output")?;
        for wanted in &grpc.results {
            if !output.lines().any(|line| line.contains(wanted.as_str())) {
                return Err(format!("grpcurl output lacks {wanted:?}; it was {}", excerpt(output)));
            }
        }
    }
    Ok(())
}

/// Every line of `expected` occurs in `actual`, in order; the search resumes after the previous
/// match. Returns the first line not found.
pub fn strictly_contains<'e>(expected: &'e str, actual: &str) -> Result<(), &'e str> {
    let mut from = 0;
    for line in expected.lines() {
        match actual[from..].find(line) {
            Some(at) => from += at + line.len(),
            None => return Err(line),
        }
    }
    Ok(())
}

fn check_validation(case: &TestCase, stdout: &str) -> Result<(), String> {
    let first = stdout.lines().next().unwrap_or("");
    let json: Value = serde_json::from_str(first)
        .map_err(|e| format!("the first stdout line is not the -V JSON ({e}): {}", excerpt(first)))?;
    let results = json
        .get("falco_load_results")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("the -V JSON has no falco_load_results array: {}", excerpt(first)))?;
    for basename in &case.validate_ok {
        let ok = results.iter().any(|r| {
            r.get("successful").and_then(Value::as_bool) == Some(true)
                && r.get("name")
                    .and_then(Value::as_str)
                    .map(|n| n.rsplit('/').next().unwrap_or(n))
                    == Some(basename)
        });
        if !ok {
            return Err(format!("no successful -V result for {basename}"));
        }
    }
    for (kind, expected_items) in [("errors", &case.validate_errors), ("warnings", &case.validate_warnings)] {
        for expected in expected_items {
            let found = results
                .iter()
                .filter_map(|r| r.get(kind).and_then(Value::as_array))
                .flatten()
                .any(|item| load_item_matches(item, expected));
            if !found {
                return Err(format!(
                    "-V {kind} lack {{item_type: {:?}, item_name: {:?}, code: {}, message{}: {:?}}}",
                    expected.item_type,
                    expected.item_name,
                    expected.code,
                    if expected.message.is_some() { "" } else { "_contains" },
                    expected
                        .message
                        .as_ref()
                        .or(expected.message_contains.as_ref())
                        .map(String::as_str)
                        .unwrap_or(""),
                ));
            }
        }
    }
    Ok(())
}

fn load_item_matches(item: &Value, expected: &ExpectedLoadItem) -> bool {
    if item.get("code").and_then(Value::as_str) != Some(expected.code.as_str()) {
        return false;
    }
    let message = item.get("message").and_then(Value::as_str).unwrap_or("");
    if let Some(m) = &expected.message {
        if message != m {
            return false;
        }
    }
    if let Some(m) = &expected.message_contains {
        if !message.contains(m.as_str()) {
            return false;
        }
    }
    let locations = item
        .pointer("/context/locations")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    locations.iter().any(|loc| {
        loc.get("item_type").and_then(Value::as_str) == Some(expected.item_type.as_str())
            && loc.get("item_name").and_then(Value::as_str) == Some(expected.item_name.as_str())
    })
}

fn check_rules_events(case: &TestCase, stderr: &str) -> Result<(), String> {
    for (rule, types) in &case.rules_events {
        let pattern = format!(r"Event types for rule {}: (.*)", regex::escape(rule));
        let Some(caps) = compile(&pattern, false)?.captures(stderr) else {
            continue;
        };
        let mut printed: Vec<&str> = caps[1].split(',').map(str::trim).filter(|t| !t.is_empty()).collect();
        let mut wanted: Vec<&str> = types.iter().map(String::as_str).collect();
        printed.sort_unstable();
        wanted.sort_unstable();
        if printed != wanted {
            return Err(format!("rule {rule} has event types {printed:?}, expected {wanted:?}"));
        }
    }
    Ok(())
}

fn check_detections(case: &TestCase, stdout: &str) -> Result<(), String> {
    let caps = compile(r"Events detected: (\d+)", false)?
        .captures(stdout)
        .ok_or_else(|| {
            format!(
                "stdout has no 'Events detected: <n>' line; stdout was {}",
                excerpt(stdout)
            )
        })?;
    let detected: u64 = caps[1]
        .parse()
        .map_err(|e| format!("bad 'Events detected' count: {e}"))?;
    if !case.detect {
        if detected != 0 {
            return Err(format!("{detected} events detected, expected none"));
        }
        return Ok(());
    }
    if detected == 0 {
        return Err("no events detected, expected some".into());
    }
    for level in &case.detect_level {
        let pattern = format!(r"(?i){}: (\d+)", regex::escape(level));
        let count = compile(&pattern, false)?
            .captures(stdout)
            .and_then(|c| c[1].parse::<u64>().ok())
            .unwrap_or(0);
        if count == 0 {
            return Err(format!("no detection at priority {level}"));
        }
    }
    Ok(())
}

fn check_detect_counts(case: &TestCase, stdout: &str) -> Result<(), String> {
    if case.detect_counts.is_empty() {
        return Ok(());
    }
    const BLOCK: &str = "Triggered rules by rule name:";
    let block = stdout.find(BLOCK).map(|at| &stdout[at + BLOCK.len()..]).unwrap_or("");
    for (rule, expected) in &case.detect_counts {
        let pattern = format!(r"\s{}: (\d+)", regex::escape(rule));
        let actual = compile(&pattern, false)?
            .captures(block)
            .and_then(|c| c[1].parse::<u64>().ok())
            .unwrap_or(0);
        if actual != *expected {
            return Err(format!("rule {rule:?} triggered {actual} times, expected {expected}"));
        }
    }
    Ok(())
}

fn check_json_alerts(case: &TestCase, stdout: &str) -> Result<(), String> {
    let mut required = vec!["time", "rule", "priority"];
    if case.json_include_output_property {
        required.push("output");
    }
    if case.json_include_tags_property {
        required.push("tags");
    }
    for line in stdout.lines().filter(|l| l.starts_with('{')) {
        let value: Value =
            serde_json::from_str(line).map_err(|e| format!("alert line is not JSON ({e}): {}", excerpt(line)))?;
        let object = value
            .as_object()
            .ok_or_else(|| format!("alert line is not a JSON object: {}", excerpt(line)))?;
        if let Some(missing) = required.iter().find(|k| !object.contains_key(**k)) {
            return Err(format!("JSON alert lacks \"{missing}\": {}", excerpt(line)));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "judge_tests.rs"]
mod tests;
