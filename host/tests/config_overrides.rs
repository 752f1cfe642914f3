//! `-o key.path=value` overrides on top of a real file.

mod config_common;

use saker::config::{Config, ConfigError, Priority};

fn no_env(_: &str) -> Option<String> {
    None
}

fn strings(options: &[&str]) -> Vec<String> {
    options.iter().map(|s| s.to_string()).collect()
}

const BASE: &str = "\
json_output: false
priority: debug
plugins:
  - name: k8saudit
    library_path: libk8saudit.so
    init_config: \"\"
    open_params: \"\"
  - name: json
    library_path: libjson.so
load_plugins: [k8saudit, json]
";

#[test]
fn python_spelled_booleans_indices_and_new_maps() {
    let dir = config_common::scratch_dir("overrides");
    let path = config_common::write(&dir, "falco.yaml", BASE);
    let options = strings(&[
        "json_output=True",
        "json_include_tags_property=False",
        "priority=WARNING",
        "plugins[0].open_params=trace_files/k8s_audit/create.json",
        "plugins[1].init_config={sssURL: \"https://x\", n: 3}",
        "engine.kind=replay",
        "engine.replay.capture_file=trace_files/cat_write.scap",
        "time_format_iso_8601=true",
    ]);
    let (config, warnings) = Config::load_with_env(Some(&path), &options, &no_env).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(config.outputs.json_output);
    assert!(!config.outputs.json_include_tags_property);
    assert!(config.outputs.time_format_iso_8601);
    assert_eq!(config.priority, Priority::Warning);
    assert_eq!(config.plugins[0].open_params, "trace_files/k8s_audit/create.json");
    let init: serde_json::Value = serde_json::from_str(&config.plugins[1].init_config).unwrap();
    assert_eq!(init, serde_json::json!({"sssURL": "https://x", "n": 3}));
    assert_eq!(
        config.engine.capture_file.as_deref(),
        Some("trace_files/cat_write.scap")
    );
}

#[test]
fn later_options_win_and_lists_can_grow() {
    let dir = config_common::scratch_dir("overrides-order");
    let path = config_common::write(&dir, "falco.yaml", BASE);
    let options = strings(&[
        "priority=error",
        "priority=notice",
        "plugins[2].name=extra",
        "plugins[2].library_path=/opt/libextra.so",
        "load_plugins[]=extra",
    ]);
    let (config, _) = Config::load_with_env(Some(&path), &options, &no_env).unwrap();
    assert_eq!(config.priority, Priority::Notice);
    assert_eq!(config.plugins.len(), 3);
    assert_eq!(config.plugins[2].library_path, "/opt/libextra.so");
    assert_eq!(config.load_plugins.unwrap(), ["k8saudit", "json", "extra"]);
}

#[test]
fn overrides_apply_without_a_file() {
    let options = strings(&["stdout_output.enabled=true", "rules_files[0]=/tmp/r.yaml"]);
    let (config, _) = Config::load_with_env(None, &options, &no_env).unwrap();
    assert!(config.outputs.stdout_enabled);
    assert_eq!(config.rules_files, [std::path::PathBuf::from("/tmp/r.yaml")]);
}

#[test]
fn bad_overrides_are_errors_that_name_the_option() {
    let dir = config_common::scratch_dir("overrides-bad");
    let path = config_common::write(&dir, "falco.yaml", BASE);

    let err = Config::load_with_env(Some(&path), &strings(&["json_output=maybe"]), &no_env).unwrap_err();
    let ConfigError::Type {
        origin,
        key,
        expected,
        found,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(key, "json_output");
    assert!(expected.contains("boolean"), "{expected}");
    assert_eq!(found, "\"maybe\"");
    assert!(origin.source.contains("-o json_output=maybe"), "{origin}");

    let err = Config::load_with_env(Some(&path), &strings(&["plugins[5].name=x"]), &no_env).unwrap_err();
    assert!(err.to_string().contains("index 5 is out of range"), "{err}");
    let err = Config::load_with_env(Some(&path), &strings(&["json_output.enabled=true"]), &no_env).unwrap_err();
    assert!(err.to_string().contains("not a mapping"), "{err}");
    let err = Config::load_with_env(Some(&path), &strings(&["priority"]), &no_env).unwrap_err();
    assert!(matches!(err, ConfigError::Override { .. }), "{err:?}");
    let err = Config::load_with_env(Some(&path), &strings(&["priority=loud"]), &no_env).unwrap_err();
    assert!(err.to_string().contains("unknown priority 'loud'"), "{err}");
}
