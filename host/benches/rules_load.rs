//! Load + compile of the official syscall rules (falco_rules, incubating, sandbox).
//! Target: < 150 ms.

#[path = "../tests/rules_common/mod.rs"]
mod rules_common;

use criterion::{criterion_group, criterion_main, Criterion};

use saker::rules::load::version::ENGINE_VERSION;
use saker::rules::load::RulesLoader;
use saker::rules::ruleset::{Catalogs, SourceSpec};
use saker::rules::select::Selection;

fn bench_load(c: &mut Criterion) {
    let Some(shared) = rules_common::shared_or_skip("rules_load bench") else {
        return;
    };
    let syscall = rules_common::syscall_catalog(&shared);
    let events = rules_common::syscall_event_types(&shared);
    let dir = shared.join("conformance/rules");
    let texts: Vec<(String, String)> = [
        "falco_rules.yaml",
        "falco-incubating_rules.yaml",
        "falco-sandbox_rules.yaml",
    ]
    .iter()
    .map(|f| {
        (
            f.to_string(),
            std::fs::read_to_string(dir.join(f)).expect("rules file readable"),
        )
    })
    .collect();
    let plugins = vec![("container".to_string(), "0.7.1".to_string())];
    c.bench_function("load+compile falco_rules+incubating+sandbox", |b| {
        b.iter(|| {
            let mut loader = RulesLoader::new(ENGINE_VERSION, &plugins);
            for (name, text) in &texts {
                loader.load_text(name, text);
            }
            let catalogs = Catalogs {
                sources: vec![SourceSpec {
                    name: "syscall".into(),
                    fields: &syscall,
                    event_types: Some(&events),
                }],
            };
            let (set, results) = loader.finish(&catalogs, &Selection::default());
            assert!(results.successful());
            set
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench_load
}
criterion_main!(benches);
