//! The loader on real rules: the current official rules files load with zero errors, and bad
//! inputs give the right code, item and position.

mod rules_common;

use std::path::Path;

use saker::rules::event_types::EventTypes;
use saker::rules::fields::TableCatalog;
use saker::rules::load::version::ENGINE_VERSION;
use saker::rules::load::RulesLoader;
use saker::rules::results::{FileLoadResult, LoadMessage, LoadResults};
use saker::rules::ruleset::{Catalogs, RuleSet, SourceSpec};
use saker::rules::select::Selection;

/// Plugins the official rules require, at the versions Falco 0.44 ships.
fn official_plugins() -> Vec<(String, String)> {
    [("container", "0.7.1"), ("k8saudit", "0.18.0"), ("json", "0.7.4")]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

struct Env {
    syscall: TableCatalog,
    k8s: TableCatalog,
    events: EventTypes,
}

fn env(shared: &Path) -> Env {
    Env {
        syscall: rules_common::syscall_catalog(shared),
        k8s: rules_common::k8saudit_catalog(shared),
        events: rules_common::syscall_event_types(shared),
    }
}

fn catalogs(env: &Env) -> Catalogs<'_> {
    Catalogs {
        sources: vec![
            SourceSpec {
                name: "syscall".into(),
                fields: &env.syscall,
                event_types: Some(&env.events),
            },
            SourceSpec {
                name: "k8s_audit".into(),
                fields: &env.k8s,
                event_types: None,
            },
        ],
    }
}

fn load_texts(env: &Env, texts: &[(&str, &str)]) -> (RuleSet, LoadResults) {
    let mut loader = RulesLoader::new(ENGINE_VERSION, &official_plugins());
    for (name, text) in texts {
        loader.load_text(name, text);
    }
    loader.finish(&catalogs(env), &Selection::default())
}

#[test]
fn official_rules_load_without_errors() {
    let Some(shared) = rules_common::shared_or_skip("official_rules_load_without_errors") else {
        return;
    };
    let env = env(&shared);
    let dir = shared.join("conformance/rules");
    let mut loader = RulesLoader::new(ENGINE_VERSION, &official_plugins());
    for f in [
        "falco_rules.yaml",
        "falco-incubating_rules.yaml",
        "falco-sandbox_rules.yaml",
        "k8s_audit_rules.yaml",
    ] {
        loader.load_file(&dir.join(f));
    }
    let (set, results) = loader.finish(&catalogs(&env), &Selection::default());
    let errors: Vec<String> = results
        .files
        .iter()
        .flat_map(|f| f.errors.iter().map(move |e| format!("{}: {e}", f.name)))
        .collect();
    assert!(errors.is_empty(), "{} errors:\n{}", errors.len(), errors.join("\n"));
    let enabled_in_files = 25 + 31 + 37 + 48;
    assert!(
        set.rules.len() > enabled_in_files / 2 && set.rules.len() <= enabled_in_files,
        "{} rules compiled",
        set.rules.len()
    );
    assert!(set.rules.iter().any(|r| r.source == "k8s_audit"));
    // The event-type index: an open event meets far fewer rules than exist.
    let open = env.events.codes("openat").expect("openat is in the table")[0];
    let n = set.candidates(0, open).len();
    assert!(n > 0 && n < set.rules.len() / 2, "{n} candidates for openat");
}

fn only_file(results: &LoadResults) -> &FileLoadResult {
    assert_eq!(results.files.len(), 1, "{results:?}");
    &results.files[0]
}

fn first_error(results: &LoadResults) -> &LoadMessage {
    only_file(results)
        .errors
        .first()
        .unwrap_or_else(|| panic!("expected an error, got {}", results.to_text()))
}

/// (code, outer item type, item name, innermost line) of the first error.
fn summary(m: &LoadMessage) -> (String, String, String, usize) {
    let outer = &m.context.locations[0];
    let inner = m.context.locations.last().unwrap();
    (
        m.code.as_str().to_string(),
        outer.item_type.as_str().to_string(),
        outer.item_name.clone(),
        inner.position.line,
    )
}

fn s(code: &str, ty: &str, name: &str, line: usize) -> (String, String, String, usize) {
    (code.into(), ty.into(), name.into(), line)
}

#[test]
fn bad_inputs_name_code_item_and_position() {
    let Some(shared) = rules_common::shared_or_skip("bad_inputs_name_code_item_and_position") else {
        return;
    };
    let env = env(&shared);
    let rule = |cond: &str, extra: &str| {
        format!("- rule: r1\n  desc: d\n  condition: {cond}\n  output: o %proc.name\n  priority: WARNING\n{extra}")
    };

    // Malformed YAML.
    let (_, r) = load_texts(&env, &[("bad.yaml", "- rule: x\n  condition: [a\n")]);
    let e = first_error(&r);
    assert_eq!(e.code.as_str(), "LOAD_ERR_YAML_PARSE");
    assert!(e.message.starts_with("yaml-cpp: error at line"), "{}", e.message);

    // Unknown field.
    let (set, r) = load_texts(&env, &[("f.yaml", &rule("evt.type=open and proc.nobody=cat", ""))]);
    let e = first_error(&r);
    assert_eq!(summary(e), s("LOAD_ERR_COMPILE_CONDITION", "rule", "r1", 3));
    assert_eq!(e.message, "filter_check called with nonexistent field proc.nobody");
    assert!(set.rules.is_empty());

    // Bad operator for a field type.
    let (_, r) = load_texts(&env, &[("f.yaml", &rule("evt.type=open and proc.pid contains 3", ""))]);
    assert_eq!(summary(first_error(&r)).0, "LOAD_ERR_COMPILE_CONDITION");

    // Undefined macro and undefined list (an unquoted unknown list name is a plain value, so
    // with evt.type it becomes an unknown event type).
    let (_, r) = load_texts(&env, &[("f.yaml", &rule("evt.type=open and not_a_macro", ""))]);
    let e = first_error(&r);
    assert_eq!(summary(e), s("LOAD_ERR_VALIDATE", "rule", "r1", 1));
    assert_eq!(e.message, "Undefined macro 'not_a_macro' used in filter.");
    let (_, r) = load_texts(&env, &[("f.yaml", &rule("evt.type in (open, no_such_list)", ""))]);
    assert_eq!(first_error(&r).message, "unknown event type no_such_list");

    // Append to a missing item.
    let (_, r) = load_texts(
        &env,
        &[(
            "f.yaml",
            "- list: l\n  items: [a]\n- macro: m\n  condition: x\n  append: true\n",
        )],
    );
    let e = first_error(&r);
    assert_eq!(summary(e), s("LOAD_ERR_VALIDATE", "macro", "m", 3));
    assert_eq!(
        e.message,
        "Macro has 'append' key but no macro by that name already exists"
    );

    // Bad regex.
    let (_, r) = load_texts(
        &env,
        &[("f.yaml", &rule("evt.type=open and proc.name regex \"(\"", ""))],
    );
    assert_eq!(summary(first_error(&r)).0, "LOAD_ERR_COMPILE_CONDITION");

    // Bad priority.
    let text = "- rule: r1\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: LOUD\n";
    let (_, r) = load_texts(&env, &[("f.yaml", text)]);
    let e = first_error(&r);
    assert_eq!(summary(e), s("LOAD_ERR_YAML_VALIDATE", "rule", "r1", 5));
    assert_eq!(e.message, "Invalid priority level: LOUD");

    // Unknown output field.
    let text = "- rule: r1\n  desc: d\n  condition: evt.type=open\n  output: seen %nope.nope x\n  priority: INFO\n";
    let (_, r) = load_texts(&env, &[("f.yaml", text)]);
    let e = first_error(&r);
    assert_eq!(summary(e), s("LOAD_ERR_COMPILE_OUTPUT", "rule", "r1", 4));
    assert_eq!(e.message, "invalid formatting token nope.nope x");
}

#[test]
fn files_compose_with_append_override_and_selection() {
    let Some(shared) = rules_common::shared_or_skip("files_compose_with_append_override_and_selection") else {
        return;
    };
    let env = env(&shared);
    let base = "- list: shells\n  items: [bash]\n- macro: spawned\n  condition: evt.type=execve\n\
                - rule: Shell\n  desc: a shell\n  condition: spawned and proc.name in (shells)\n  output: shell %proc.name\n  priority: NOTICE\n  tags: [a]\n\
                - rule: Other\n  desc: other\n  condition: evt.type=open\n  output: o\n  priority: DEBUG\n  tags: [b]\n";
    let local = "- list: shells\n  items: [zsh]\n  append: true\n\
                 - rule: Shell\n  condition: and proc.pname != init\n  override:\n    condition: append\n\
                 - rule: Other\n  priority: ERROR\n  override:\n    priority: replace\n";
    let mut loader = RulesLoader::new(ENGINE_VERSION, &[]);
    loader.load_text("base.yaml", base);
    loader.load_text("local.yaml", local);
    let sel = Selection::new(&[], &["b".to_string()], &[], "notice", "first").unwrap();
    let (set, results) = loader.finish(&catalogs(&env), &sel);
    assert!(results.successful(), "{}", results.to_text());
    assert_eq!(set.rules.len(), 2);
    assert_eq!(set.rules[1].priority.as_str(), "Error");
    assert!(set.rules[0].selected && !set.rules[1].selected);
    let execve = env.events.codes("execve").unwrap()[0];
    let open = env.events.codes("open").unwrap()[0];
    assert_eq!(set.candidates(0, execve), &[0]);
    assert!(set.candidates(0, open).is_empty());
}

fn codes(list: &[LoadMessage]) -> Vec<&str> {
    list.iter().map(|m| m.code.as_str()).collect()
}

#[test]
fn plugin_requirements_warnings_and_describe() {
    let Some(shared) = rules_common::shared_or_skip("plugin_requirements_warnings_and_describe") else {
        return;
    };
    let env = env(&shared);
    let req = "- required_plugin_versions:\n  - name: k8saudit\n    version: 0.18.0\n    alternatives:\n      - name: k8saudit-eks\n        version: 0.12.0\n";
    let load_with = |plugins: &[(&str, &str)]| {
        let plugins: Vec<(String, String)> = plugins.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        let mut loader = RulesLoader::new(ENGINE_VERSION, &plugins);
        loader.load_text("req.yaml", req);
        loader.finish(&catalogs(&env), &Selection::default()).1
    };
    assert!(load_with(&[("k8saudit", "0.18.3")]).successful());
    assert!(
        load_with(&[("k8saudit-eks", "0.12.0")]).successful(),
        "an alternative satisfies the entry"
    );
    let r = load_with(&[("k8saudit", "0.17.0")]);
    let e = first_error(&r);
    assert_eq!(
        e.message,
        "Plugin 'k8saudit' version '0.17.0' is not compatible with required plugin version '0.18.0'"
    );
    assert_eq!(e.context.locations[0].item_type.as_str(), "required plugin versions");
    let r = load_with(&[]);
    assert!(first_error(&r)
        .message
        .starts_with("Plugin 'k8saudit' is required but not loaded"));

    // Warnings: unknown key, unknown source, <NA> check, skip-if-unknown-filter, unused list.
    let text = "- list: unused\n  items: [a]\n\
                - rule: a\n  desc: first rule\n  condition: evt.type=open and proc.pname = <NA>\n  output: o\n  priority: INFO\n  colour: blue\n\
                - rule: b\n  desc: plugin rule\n  condition: ct.name = x\n  output: o\n  priority: INFO\n  source: aws_cloudtrail\n\
                - rule: c\n  desc: unknown field, skipped\n  condition: evt.type=open and proc.nobody = x\n  output: o\n  priority: INFO\n  skip-if-unknown-filter: true\n\
                - rule: d\n  desc: disabled\n  condition: evt.type=open\n  output: o\n  priority: INFO\n  enabled: false\n";
    let (set, r) = load_texts(&env, &[("w.yaml", text)]);
    let f = only_file(&r);
    assert!(f.successful(), "{}", r.to_text());
    let mut got = codes(&f.warnings);
    got.sort();
    assert_eq!(
        got,
        [
            "LOAD_UNKNOWN_FIELD",
            "LOAD_UNKNOWN_ITEM",
            "LOAD_UNKNOWN_SOURCE",
            "LOAD_UNSAFE_NA_CHECK",
            "LOAD_UNUSED_LIST"
        ]
    );
    assert_eq!(set.rules.len(), 1);
    let table = set.describe_all();
    assert!(table.starts_with("Rule"), "{table}");
    assert!(table.contains(&format!("{:<50} first rule\n", "a")), "{table}");
    assert!(set.describe_rule("b").is_none());
    let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(v["falco_load_results"][0]["successful"], true);
    assert_eq!(v["falco_load_results"][0]["warnings"].as_array().unwrap().len(), 5);
}

#[test]
fn override_and_exception_errors() {
    let Some(shared) = rules_common::shared_or_skip("override_and_exception_errors") else {
        return;
    };
    let env = env(&shared);
    let base = "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: INFO\n  exceptions:\n    - name: by_proc\n      fields: [proc.name, fd.name]\n      comps: [=, startswith]\n";
    // append and override together.
    let (_, r) = load_texts(
        &env,
        &[
            ("a.yaml", base),
            (
                "b.yaml",
                "- rule: r\n  condition: and x\n  append: true\n  override:\n    condition: append\n",
            ),
        ],
    );
    assert_eq!(r.files[1].errors[0].code.as_str(), "LOAD_ERR_YAML_VALIDATE");
    assert!(r.files[1].errors[0].message.contains("cannot be used together"));
    // A key without an override entry.
    let (_, r) = load_texts(
        &env,
        &[
            ("a.yaml", base),
            (
                "b.yaml",
                "- rule: r\n  output: x\n  desc: y\n  override:\n    output: replace\n",
            ),
        ],
    );
    assert_eq!(
        r.files[1].errors[0].message,
        "Unexpected key 'desc': an 'override' entry for it is required"
    );
    // Appended exception values compile into the condition.
    let more = "- rule: r\n  exceptions:\n    - name: by_proc\n      values:\n        - [cat, /tmp]\n        - [\"my proc\", /etc]\n  override:\n    exceptions: append\n";
    let (set, r) = load_texts(&env, &[("a.yaml", base), ("b.yaml", more)]);
    assert!(r.successful(), "{}", r.to_text());
    assert_eq!(set.rules.len(), 1);
    // Wrong number of values in an appended exception.
    let bad = "- rule: r\n  exceptions:\n    - name: by_proc\n      values:\n        - [cat]\n  append: true\n";
    let (_, r) = load_texts(&env, &[("a.yaml", base), ("b.yaml", bad)]);
    let e = &r.files[1].errors[0];
    assert_eq!(e.message, "Fields and values lists must have equal length");
    let chain: Vec<&str> = e.context.locations.iter().map(|l| l.item_type.as_str()).collect();
    assert_eq!(chain, ["rule", "exceptions", "exception"]);
    assert_eq!(e.context.locations[2].item_name, "by_proc");

    // Exception fields must exist even without values.
    let test_dir = shared.join("conformance/falco-legacy/test");
    let mut loader = RulesLoader::new(ENGINE_VERSION, &[]);
    loader.load_file(&test_dir.join("rules/exceptions/item_unknown_fields.yaml"));
    let (_, r) = loader.finish(&catalogs(&env), &Selection::default());
    let e = first_error(&r);
    assert_eq!(e.message, "'not.exist' is not a supported filter field");
    assert_eq!(e.context.locations.last().unwrap().item_name, "ex1");
}

/// Truncated and corrupted rules files give errors, never panics.
#[test]
fn damaged_rules_files_never_panic() {
    let Some(shared) = rules_common::shared_or_skip("damaged_rules_files_never_panic") else {
        return;
    };
    let env = env(&shared);
    let text = std::fs::read_to_string(shared.join("conformance/rules/falco_rules.yaml")).unwrap();
    const CUTS: usize = 40;
    let step = text.len() / CUTS;
    let mut failures = 0;
    for i in 1..CUTS {
        let mut cut = i * step;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        // A truncated file, and the same text with a stray character in the middle.
        let truncated = &text[..cut];
        let corrupted = format!("{}%){}", &text[..cut], &text[cut..]);
        for variant in [truncated, corrupted.as_str()] {
            let (_, r) = load_texts(&env, &[("damaged.yaml", variant)]);
            if !r.successful() {
                failures += 1;
                let e = &r.files[0].errors[0];
                assert!(!e.context.locations.is_empty(), "an error without location: {e}");
            }
        }
    }
    assert!(failures > 0, "some damaged variants must fail to load");
}
