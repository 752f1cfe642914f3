//! From rules file to alert bytes: load `single_rule_with_tags.yaml` with the libsinsp field
//! catalog, feed one event through the event-type index, the filter and the output program,
//! and compare with Falco's JSON line in `output_files/single_rule_with_cat_write.json`.

mod rules_common;

use std::collections::HashMap;

use saker::rules::eval::EvalContext;
use saker::rules::fields::{FieldArg, FieldCatalog, FieldId, FieldSource, TableCatalog};
use saker::rules::load::version::ENGINE_VERSION;
use saker::rules::load::RulesLoader;
use saker::rules::output::alert::AlertOptions;
use saker::rules::output::program::{AppendOutput, ExtraField};
use saker::rules::ruleset::{Catalogs, SourceSpec};
use saker::rules::select::Selection;
use saker::rules::stats::Stats;
use saker::rules::value::Values;

/// String fields of one event, by field id.
struct MapEvent {
    values: HashMap<FieldId, String>,
}

impl MapEvent {
    fn new(catalog: &TableCatalog, fields: &[(&str, &str)]) -> MapEvent {
        let values = fields
            .iter()
            .map(|(name, v)| (catalog.resolve(name, None).expect("field exists").id, v.to_string()))
            .collect();
        MapEvent { values }
    }
}

impl FieldSource for MapEvent {
    fn extract(&mut self, field: FieldId, _arg: &FieldArg, out: &mut Values) -> bool {
        match self.values.get(&field) {
            Some(v) => {
                out.push_str(v);
                true
            }
            None => false,
        }
    }
}

#[test]
fn cat_open_alert_matches_falco_json() {
    let Some(shared) = rules_common::shared_or_skip("cat_open_alert_matches_falco_json") else {
        return;
    };
    let test_dir = shared.join("conformance/falco-legacy/test");
    let catalog = rules_common::syscall_catalog(&shared);
    let events = rules_common::syscall_event_types(&shared);
    let catalogs = Catalogs {
        sources: vec![SourceSpec {
            name: "syscall".into(),
            fields: &catalog,
            event_types: Some(&events),
        }],
    };
    let mut loader = RulesLoader::new(ENGINE_VERSION, &[]);
    loader.load_file(&test_dir.join("rules/single_rule_with_tags.yaml"));
    let (set, results) = loader.finish(&catalogs, &Selection::default());
    assert!(results.successful(), "{}", results.to_text());

    let open = events.codes("open").unwrap()[0];
    let close = events.codes("close").unwrap()[0];
    assert!(set.candidates(0, close).is_empty(), "a close event meets no rule");
    let candidates = set.candidates(0, open);
    assert_eq!(candidates.len(), 1);

    let mut ctx = EvalContext::new();
    let mut stats = Stats::new(set.rule_names());
    let time_ns = 1_470_327_477_881_785_348;
    let mut cat = MapEvent::new(
        &catalog,
        &[
            ("evt.type", "open"),
            ("proc.name", "cat"),
            ("proc.cmdline", "cat /dev/null"),
        ],
    );
    let rule = set.rule(candidates[0]);
    assert!(rule.filter.eval(&mut ctx, &mut cat));
    let alert = rule.alert(&mut ctx, &mut cat, time_ns);
    stats.record(candidates[0], rule.priority);

    let opts = AlertOptions {
        time_format_iso_8601: true,
        hostname: "test-falco-hostname".into(),
        ..AlertOptions::default()
    };
    let expected = std::fs::read_to_string(test_dir.join("output_files/single_rule_with_cat_write.json")).unwrap();
    assert_eq!(alert.to_json(&opts), expected.lines().next().unwrap());
    let expected_txt = std::fs::read_to_string(test_dir.join("output_files/single_rule_with_cat_write.txt")).unwrap();
    assert_eq!(alert.to_text(&opts), expected_txt.lines().next().unwrap());

    // Another process: no match.
    ctx.next_event();
    let mut bash = MapEvent::new(&catalog, &[("evt.type", "open"), ("proc.name", "bash")]);
    assert!(!rule.filter.eval(&mut ctx, &mut bash));
    assert_eq!(
        stats.render(),
        "Events detected: 1\nRule counts by severity:\n   WARNING: 1\nTriggered rules by rule name:\n   open_from_cat: 1\n"
    );
}

#[test]
fn append_output_adds_text_and_fields() {
    let Some(shared) = rules_common::shared_or_skip("append_output_adds_text_and_fields") else {
        return;
    };
    let catalog = rules_common::syscall_catalog(&shared);
    let events = rules_common::syscall_event_types(&shared);
    let catalogs = Catalogs {
        sources: vec![SourceSpec {
            name: "syscall".into(),
            fields: &catalog,
            event_types: Some(&events),
        }],
    };
    let mut loader = RulesLoader::new(ENGINE_VERSION, &[]);
    loader.set_append_output(vec![
        AppendOutput {
            source: Some("syscall".into()),
            extra_output: "pid=%proc.pid".into(),
            extra_fields: vec![
                ExtraField::Field("proc.name".into()),
                ExtraField::Custom {
                    key: "who".into(),
                    format: "user %user.name".into(),
                },
            ],
            ..AppendOutput::default()
        },
        AppendOutput {
            rule: Some("other rule".into()),
            extra_output: "never".into(),
            ..AppendOutput::default()
        },
    ]);
    loader.load_text(
        "r.yaml",
        "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: opened %fd.name\n  priority: info\n",
    );
    let (set, results) = loader.finish(&catalogs, &Selection::default());
    assert!(results.successful(), "{}", results.to_text());
    let rule = set.rule(0);
    let mut ev = MapEvent::new(
        &catalog,
        &[("evt.type", "open"), ("fd.name", "/etc/shadow"), ("proc.name", "cat")],
    );
    let mut ctx = EvalContext::new();
    assert!(rule.filter.eval(&mut ctx, &mut ev));
    let alert = rule.alert(&mut ctx, &mut ev, 0);
    assert_eq!(alert.message, "opened /etc/shadow pid=<NA>");
    assert_eq!(alert.output_fields["proc.name"], "cat");
    assert_eq!(alert.output_fields["who"], "user <NA>");
    assert_eq!(alert.output_fields["proc.pid"], serde_json::Value::Null);
    assert_eq!(
        alert.to_text(&AlertOptions::default()).split_once(": ").unwrap().1,
        "Informational opened /etc/shadow pid=<NA>"
    );
}
