//! The judge on canned engine outputs shaped like Falco's.

use std::path::Path;

use super::*;
use crate::suite::parse_suite;

fn case(params: &str) -> TestCase {
    let indented: String = params.lines().map(|l| format!("    {l}\n")).collect();
    let text = format!("trace_files: !mux\n  t:\n{indented}");
    parse_suite(&text, Path::new("canned.yaml"), "canned")
        .unwrap()
        .remove(0)
}

fn ok_run(stdout: &str) -> RunOutput {
    RunOutput {
        stdout: stdout.to_string(),
        exit_status: Some(0),
        ..RunOutput::default()
    }
}

fn no_files(_: &str) -> Option<String> {
    None
}

const STATS: &str = "\
2016-08-04T16:17:57.881785348+0000: Warning An open was seen (command=cat /dev/null)
Events detected: 3
Rule counts by severity:
   WARNING: 2
   INFO: 1
Triggered rules by rule name:
   open_from_cat: 2
   open_2: 1
Syscall event drop monitoring:
   - event drop detected: 0 occurrences
";

#[test]
fn detections_levels_and_counts_pass_on_matching_stats() {
    let c = case("detect: True\ndetect_level: [WARNING, INFO]\ndetect_counts:\n  - open_from_cat: 2\n  - open_2: 1\n  - open_3: 0\n");
    assert_eq!(judge(&c, &ok_run(STATS), &no_files), Ok(()));
}

#[test]
fn a_wrong_detect_count_fails() {
    let c = case("detect: True\ndetect_level: WARNING\ndetect_counts:\n  - open_from_cat: 1\n");
    let reason = judge(&c, &ok_run(STATS), &no_files).unwrap_err();
    assert!(
        reason.contains("\"open_from_cat\" triggered 2 times, expected 1"),
        "{reason}"
    );
    // A rule listed before the block does not count: only the text after the block header is read.
    let c = case("detect: True\ndetect_level: WARNING\ndetect_counts:\n  - open_9: 4\n");
    let stdout = format!("   open_9: 4\n{STATS}");
    assert!(judge(&c, &ok_run(&stdout), &no_files).unwrap_err().contains("open_9"));
}

#[test]
fn detection_expectations_fail_when_not_met() {
    let quiet = "Events detected: 0\nRule counts by severity:\nTriggered rules by rule name:\n";
    let detect = case("detect: True\ndetect_level: WARNING\n");
    assert!(judge(&detect, &ok_run(quiet), &no_files)
        .unwrap_err()
        .contains("no events detected"));
    let silent = case("detect: False\n");
    assert_eq!(judge(&silent, &ok_run(quiet), &no_files), Ok(()));
    assert!(judge(&silent, &ok_run(STATS), &no_files)
        .unwrap_err()
        .contains("3 events detected"));
    let level = case("detect: True\ndetect_level: ERROR\n");
    assert!(judge(&level, &ok_run(STATS), &no_files)
        .unwrap_err()
        .contains("priority ERROR"));
    assert!(judge(&silent, &ok_run("nothing\n"), &no_files)
        .unwrap_err()
        .contains("Events detected"));
    let unchecked =
        case("check_detection_counts: False\nstdout_contains: \"2 Plugins Loaded.*Name: cloudtrail.*Name: json.*\"\n");
    let listing = "2 Plugins Loaded:\n\nName: cloudtrail\nVersion: 0.8.0\n\nName: json\n";
    assert_eq!(judge(&unchecked, &ok_run(listing), &no_files), Ok(()));
}

#[test]
fn stream_patterns_use_dotall_for_contains_only() {
    let c = case("exit_status: 1\nstderr_contains: \"Error: You can not specify both disabled .-D/-T. and enabled .-t. rules\"\n");
    let run = RunOutput {
        stderr: "Error: You can not specify both disabled (-D/-T) and enabled (-t) rules\n".into(),
        exit_status: Some(1),
        ..RunOutput::default()
    };
    assert_eq!(
        judge(&c, &run, &no_files),
        Ok(()),
        "exit 1 as expected: detection checks are skipped"
    );
    let multi =
        case("detect: False\nstdout_contains: \"Loaded.*Name: json\"\nstdout_not_contains: \"Loaded.*Name: json\"\n");
    let stdout = "1 Plugins Loaded:\nName: json\nEvents detected: 0\n";
    // `contains` sees across lines (DOTALL); `not_contains` does not.
    assert_eq!(judge(&multi, &ok_run(stdout), &no_files), Ok(()));
    let single = case("detect: False\nstdout_not_contains: \"Plugins.*json\"\n");
    assert_eq!(judge(&single, &ok_run(stdout), &no_files), Ok(()));
    let present = case("detect: False\nstdout_not_contains: \"Name: j.on\"\n");
    let reason = judge(&present, &ok_run(stdout), &no_files).unwrap_err();
    assert!(
        reason.contains("must not match") && reason.contains("Name: json"),
        "{reason}"
    );
    let missing = case("stderr_contains: \"event drop detected: 9 occurrences\"\n");
    assert!(judge(&missing, &ok_run("Events detected: 0\n"), &no_files)
        .unwrap_err()
        .contains("stderr does not match"));
}

#[test]
fn exit_status_timeouts_and_signals() {
    let c = case("detect: False\n");
    let mut run = ok_run("Events detected: 0\n");
    run.exit_status = Some(1);
    assert!(judge(&c, &run, &no_files)
        .unwrap_err()
        .contains("exit status 1, expected 0"));
    run.exit_status = None;
    assert!(judge(&c, &run, &no_files).unwrap_err().contains("signal"));
    run.timed_out = true;
    assert!(judge(&c, &run, &no_files).unwrap_err().contains("timed out"));
}

const VALIDATE: &str = r#"{"falco_load_results":[{"name":"rules/invalid_base_macro.yaml","successful":true,"errors":[],"warnings":[]},{"name":"rules/invalid_overwrite_macro.yaml","successful":false,"errors":[{"code":"LOAD_ERR_VALIDATE","codedesc":"Error validating internal structure of YAML file","message":"Undefined macro 'foo' used in filter.","context":{"locations":[{"item_type":"macro","item_name":"some macro","position":{"name":"rules/invalid_overwrite_macro.yaml","line":1,"column":3,"offset":2}},{"item_type":"macro condition","item_name":"","position":{"name":"rules/invalid_overwrite_macro.yaml","line":2,"column":14,"offset":30}}],"snippet":"..."}}],"warnings":[{"code":"LOAD_UNUSED_MACRO","codedesc":"Unused macro","message":"Macro not referred to by any other rule/macro","context":{"locations":[{"item_type":"macro","item_name":"some macro","position":{"name":"x","line":1,"column":3,"offset":2}}],"snippet":""}}]}]}"#;

#[test]
fn validation_results_match_codes_messages_and_locations() {
    let c = case(
        "exit_status: 1\nvalidate_rules_file: [rules/invalid_base_macro.yaml, rules/invalid_overwrite_macro.yaml]\nvalidate_ok: [invalid_base_macro.yaml]\nvalidate_errors:\n  - item_type: macro condition\n    item_name: \"\"\n    code: LOAD_ERR_VALIDATE\n    message: \"Undefined macro 'foo' used in filter.\"\nvalidate_warnings:\n  - item_type: macro\n    item_name: some macro\n    code: LOAD_UNUSED_MACRO\n    message_contains: \"not referred to\"\n",
    );
    let run = RunOutput {
        stdout: format!("{VALIDATE}\n"),
        exit_status: Some(1),
        ..RunOutput::default()
    };
    assert_eq!(judge(&c, &run, &no_files), Ok(()));

    let wrong_name = case("exit_status: 1\nvalidate_errors:\n  - item_type: macro\n    item_name: other macro\n    code: LOAD_ERR_VALIDATE\n    message: \"Undefined macro 'foo' used in filter.\"\n");
    assert!(judge(&wrong_name, &run, &no_files).unwrap_err().contains("other macro"));
    let wrong_code = case("exit_status: 1\nvalidate_errors:\n  - item_type: macro\n    item_name: some macro\n    code: LOAD_ERR_COMPILE_CONDITION\n    message: \"Undefined macro 'foo' used in filter.\"\n");
    assert!(judge(&wrong_code, &run, &no_files).is_err());
    let not_ok = case("exit_status: 1\nvalidate_ok: [invalid_overwrite_macro.yaml]\n");
    assert!(judge(&not_ok, &run, &no_files)
        .unwrap_err()
        .contains("invalid_overwrite_macro.yaml"));
    let garbage = RunOutput {
        stdout: "Loading rules\n".into(),
        exit_status: Some(1),
        ..RunOutput::default()
    };
    assert!(judge(&not_ok, &garbage, &no_files)
        .unwrap_err()
        .contains("not the -V JSON"));
}

#[test]
fn json_alerts_need_the_selected_keys() {
    let alert = r#"{"hostname":"test-falco-hostname","output":"x","priority":"Warning","rule":"r","source":"syscall","tags":["a"],"time":"2016-08-04T16:17:57.881785348Z"}"#;
    let c = case("detect: True\ndetect_level: WARNING\njson_output: True\n");
    let stdout = format!("{alert}\n{STATS}");
    assert_eq!(judge(&c, &ok_run(&stdout), &no_files), Ok(()));
    let no_tags = alert.replace(r#""tags":["a"],"#, "");
    let stdout = format!("{no_tags}\n{STATS}");
    assert!(judge(&c, &ok_run(&stdout), &no_files)
        .unwrap_err()
        .contains("lacks \"tags\""));
    let without = case("detect: True\ndetect_level: WARNING\njson_output: True\njson_include_tags_property: False\n");
    assert_eq!(judge(&without, &ok_run(&stdout), &no_files), Ok(()));
    let broken = format!("{{\"rule\": \n{STATS}");
    assert!(judge(&c, &ok_run(&broken), &no_files).unwrap_err().contains("not JSON"));
}

#[test]
fn strictly_contains_is_ordered_substring_search() {
    assert_eq!(strictly_contains("a\nb\n", "xx a yy\nzz b\n"), Ok(()));
    assert_eq!(strictly_contains("b\na\n", "a\nb\n"), Err("a"));
    assert_eq!(strictly_contains("a\na\n", "a\n"), Err("a"));

    let c = case("detect: True\ndetect_level: WARNING\noutput_strictly_contains:\n  - /tmp/falco_outputs/program_output.txt: output_files/expected.txt\n  - stdout: output_files/expected.txt\n");
    let files = |path: &str| match path {
        "output_files/expected.txt" => Some("Warning An open\nWarning Another\n".to_string()),
        "/tmp/falco_outputs/program_output.txt" => Some("t1: Warning An open\nt2: Warning Another\n".to_string()),
        _ => None,
    };
    let stdout = format!("t1: Warning An open\nt2: Warning Another\n{STATS}");
    assert_eq!(judge(&c, &ok_run(&stdout), &files), Ok(()));
    let reason = judge(&c, &ok_run(STATS), &files).unwrap_err();
    assert!(
        reason.contains("stdout lacks") && reason.contains("Warning Another"),
        "{reason}"
    );
    let reason = judge(&c, &ok_run(&stdout), &no_files).unwrap_err();
    assert!(reason.contains("cannot read expected file"), "{reason}");
}

#[test]
fn rules_events_are_judged_only_when_printed() {
    let c = case("detect: False\nrules_events:\n  - no_warnings: [execve]\n  - leading_not: [all]\n");
    let run = ok_run("Events detected: 0\n");
    assert_eq!(judge(&c, &run, &no_files), Ok(()));
    let mut printed = run.clone();
    printed.stderr = "Event types for rule no_warnings: execve\nEvent types for rule leading_not: open,close\n".into();
    assert!(judge(&c, &printed, &no_files).unwrap_err().contains("leading_not"));
}

#[test]
fn grpc_results_are_substrings_of_grpcurl_lines() {
    let c = case("detect: True\ndetect_level: WARNING\ngrpc:\n  address: unix:///tmp/falco/falco.sock\n  proto: outputs.proto\n  service: falco.outputs.service\n  method: get\n  results:\n    - \"priority: WARNING\"\n    - \"rule: \\\"open_from_cat\\\"\"\n");
    let mut run = ok_run(STATS);
    run.grpc_output =
        Some("time {\n  seconds:1470327477 nanos:881781397\n}\npriority: WARNING\nrule: \"open_from_cat\"\n".into());
    assert_eq!(judge(&c, &run, &no_files), Ok(()));
    run.grpc_output = Some("priority: WARNING\n".into());
    assert!(judge(&c, &run, &no_files).unwrap_err().contains("open_from_cat"));
    run.grpc_output = None;
    assert!(judge(&c, &run, &no_files).is_err());
}
