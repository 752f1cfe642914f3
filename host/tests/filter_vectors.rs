//! Runs libsinsp's condition-language vectors (shared/conformance/filter_vectors.json) that need
//! no syscall event: parse, compile, compile+eval, evttype_set, escape_str, unescape_str,
//! escape_roundtrip. `eval` vectors need synthetic syscall events and are reported as not run.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use saker::rules::escape::{escape_str, unescape_str};
use saker::rules::parse::parse_condition;

fn conformance_dir() -> Option<PathBuf> {
    let mut dir = Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf();
    loop {
        let candidate = dir.join("shared/conformance");
        if candidate.join("filter_vectors.json").is_file() {
            return Some(candidate);
        }
        if !dir.pop() {
            return None;
        }
    }
}

/// A vector's identity in reports and in the known-failures file: `kind file:line expr`.
fn vector_id(v: &Value) -> String {
    format!(
        "{} {}:{} {}",
        v["kind"].as_str().unwrap_or("?"),
        v["file"].as_str().unwrap_or("?"),
        v["line"],
        v["expr"].as_str().or(v["input"].as_str()).unwrap_or("")
    )
}

enum Outcome {
    Pass,
    Fail(String),
    NotRun,
}

fn run_parse(v: &Value) -> Outcome {
    let expr = v["expr"].as_str().unwrap_or_default();
    let want_ok = v["expect"] == "ok";
    match parse_condition(expr) {
        Ok(_) if want_ok => {
            // test_accept without a position argument also re-parses with whitespace variants.
            if v.get("note").is_none() {
                let variants = [format!(" {expr} "), expr.replace(' ', "\n"), expr.replace(' ', "\t")];
                for variant in variants {
                    if let Err(e) = parse_condition(&variant) {
                        return Outcome::Fail(format!("variant {variant:?} rejected: {e}"));
                    }
                }
            }
            Outcome::Pass
        }
        Ok(ast) => Outcome::Fail(format!("accepted, expected an error; AST {ast:?}")),
        Err(e) if want_ok => Outcome::Fail(format!("rejected: {e}")),
        Err(e) => match v.get("message").and_then(Value::as_str) {
            Some(msg) if msg != e.message => Outcome::Fail(format!("message {:?}, expected {msg:?}", e.message)),
            _ => Outcome::Pass,
        },
    }
}

fn run_escape(v: &Value) -> Outcome {
    let input = v["input"].as_str().unwrap_or_default();
    match v["kind"].as_str().unwrap_or_default() {
        "escape_str" => {
            let got = escape_str(input);
            if Some(got.as_str()) == v["output"].as_str() {
                Outcome::Pass
            } else {
                Outcome::Fail(format!("got {got:?}"))
            }
        }
        "unescape_str" => match (unescape_str(input), v["output"].as_str()) {
            (Ok(got), Some(want)) if got == want.as_bytes() => Outcome::Pass,
            (Err(_), None) => Outcome::Pass,
            (got, _) => Outcome::Fail(format!("got {got:?}")),
        },
        "escape_roundtrip" => match unescape_str(&escape_str(input)) {
            Ok(back) if back == input.as_bytes() => Outcome::Pass,
            other => Outcome::Fail(format!("round trip gave {other:?}")),
        },
        _ => Outcome::NotRun,
    }
}

fn known_failures() -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/filter_vectors_known_failures.txt");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

#[test]
fn filter_vectors() {
    let Some(dir) = conformance_dir() else {
        eprintln!("skipped: no shared/conformance/filter_vectors.json above CARGO_MANIFEST_DIR");
        return;
    };
    let text = std::fs::read_to_string(dir.join("filter_vectors.json")).expect("read vectors");
    let doc: Value = serde_json::from_str(&text).expect("vectors are JSON");
    let vectors = doc["vectors"].as_array().expect("vectors array");
    let known = known_failures();

    let (mut passed, mut failed, mut not_run) = (0, 0, 0);
    let mut problems = Vec::new();
    let mut seen_known = BTreeSet::new();
    for v in vectors {
        let outcome = match v["kind"].as_str().unwrap_or_default() {
            "parse" => run_parse(v),
            "escape_str" | "unescape_str" | "escape_roundtrip" => run_escape(v),
            _ => Outcome::NotRun,
        };
        let id = vector_id(v);
        match outcome {
            Outcome::Pass => {
                passed += 1;
                if known.contains(&id) {
                    problems.push(format!("listed as known failure but passes: {id}"));
                }
            }
            Outcome::Fail(why) => {
                failed += 1;
                if known.contains(&id) {
                    seen_known.insert(id);
                } else {
                    problems.push(format!("FAIL {id}: {why}"));
                }
            }
            Outcome::NotRun => not_run += 1,
        }
    }
    println!("{passed} passed, {failed} failed, {not_run} not run (need syscall events)");
    for p in &problems {
        println!("{p}");
    }
    assert!(problems.is_empty(), "{} vector problems", problems.len());
}
