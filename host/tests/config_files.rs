//! Drop-in `config_files`, `${VAR}` expansion, unknown-key warnings and type errors.

mod config_common;

use std::path::PathBuf;

use saker::config::{Config, ConfigError, ConfigWarning, MergeStrategy};

fn env(name: &str) -> Option<String> {
    match name {
        "RULES_HOME" => Some("/srv/rules".into()),
        "LEVEL" => Some("warning".into()),
        "ON" => Some("true".into()),
        _ => None,
    }
}

#[test]
fn drop_in_directory_merges_in_name_order_with_strategies() {
    let dir = config_common::scratch_dir("dropins");
    let d = dir.join("config.d");
    config_common::write(&d, "20-second.yaml", "rules_files: [/b.yaml]\npriority: error\n");
    config_common::write(
        &d,
        "10-first.yaml",
        "rules_files: [/a.yaml]\npriority: notice\njson_output: true\nwebserver:\n  listen_port: 1234\n",
    );
    let only = config_common::write(&dir, "extra/override.yaml", "rules_files: [/only.yaml]\n");
    let add_only = config_common::write(&dir, "extra/add-only.yaml", "priority: debug\nbuffered_outputs: true\n");
    let main = config_common::write(
        &dir,
        "falco.yaml",
        &format!(
            "rules_files: [/main.yaml]\nwebserver:\n  listen_address: 10.0.0.1\nconfig_files:\n  - {}\n  - {}/missing.d\n",
            d.display(),
            dir.display()
        ),
    );

    let (config, warnings) = Config::load_with_env(Some(&main), &[], &env).unwrap();
    assert_eq!(
        config.rules_files,
        ["/main.yaml", "/a.yaml", "/b.yaml"].map(PathBuf::from)
    );
    assert_eq!(
        config.priority,
        saker::config::Priority::Error,
        "scalars: the later file wins"
    );
    assert!(config.outputs.json_output);
    // As Falco: only top-level keys merge; a mapping replaces the whole mapping.
    assert_eq!(config.webserver.listen_port, 1234);
    assert_eq!(config.webserver.listen_address, "0.0.0.0");
    assert_eq!(
        config.loaded_files,
        [main.clone(), d.join("10-first.yaml"), d.join("20-second.yaml")]
    );
    assert!(
        warnings
            .iter()
            .any(|w| matches!(w, ConfigWarning::MissingInclude { path, .. } if path.ends_with("missing.d"))),
        "{warnings:?}"
    );

    // Strategies given per entry, and `-o config_files=…` applied before merging (as Falco).
    let main2 = config_common::write(&dir, "falco2.yaml", "rules_files: [/main.yaml]\npriority: alert\n");
    let options = vec![
        format!("config_files[0]={{path: {}, strategy: override}}", only.display()),
        format!("config_files[1]={{path: {}, strategy: add-only}}", add_only.display()),
    ];
    let (config, _) = Config::load_with_env(Some(&main2), &options, &env).unwrap();
    assert_eq!(config.rules_files, [PathBuf::from("/only.yaml")]);
    assert_eq!(
        config.priority,
        saker::config::Priority::Alert,
        "add-only keeps existing keys"
    );
    assert!(config.outputs.buffered_outputs, "add-only adds new keys");
    assert_eq!(config.config_files[1].strategy, MergeStrategy::AddOnly);
}

#[test]
fn drop_ins_may_not_include_more_files() {
    let dir = config_common::scratch_dir("nested");
    let inner = config_common::write(&dir, "inner.yaml", "config_files: [/etc/other]\n");
    let main = config_common::write(&dir, "falco.yaml", &format!("config_files: [{}]\n", inner.display()));
    let err = Config::load_with_env(Some(&main), &[], &env).unwrap_err();
    assert!(matches!(err, ConfigError::Include { .. }), "{err:?}");
    assert!(err.to_string().contains(inner.to_str().unwrap()), "{err}");

    let main = config_common::write(&dir, "self.yaml", "config_files: [self.yaml]\n");
    let self_path = main.display().to_string();
    std::fs::write(&main, format!("config_files: [{self_path}]\n")).unwrap();
    let err = Config::load_with_env(Some(&main), &[], &env).unwrap_err();
    assert!(err.to_string().contains("cannot include itself"), "{err}");
}

#[test]
fn environment_variables_expand_in_values() {
    let dir = config_common::scratch_dir("env");
    let main = config_common::write(
        &dir,
        "falco.yaml",
        "rules_files:\n  - ${RULES_HOME}/falco_rules.yaml\n  - $${RULES_HOME}/literal\npriority: ${LEVEL}\njson_output: ${ON}\nfile_output:\n  filename: /var/log/${UNSET}events.txt\n",
    );
    let (config, _) = Config::load_with_env(Some(&main), &[], &env).unwrap();
    assert_eq!(
        config.rules_files,
        ["/srv/rules/falco_rules.yaml", "${RULES_HOME}/literal"].map(PathBuf::from)
    );
    assert_eq!(config.priority, saker::config::Priority::Warning);
    assert!(config.outputs.json_output);
    assert_eq!(config.outputs.file.filename, "/var/log/events.txt");
}

#[test]
fn unknown_keys_warn_with_file_line_and_path() {
    let dir = config_common::scratch_dir("unknown");
    let main = config_common::write(
        &dir,
        "falco.yaml",
        "json_output: true\nstdout_output:\n  enabled: true\n  colour: red\nmystery: 1\nplugins:\n  - name: a\n    library_path: liba.so\n    initconfig: {}\n",
    );
    let (config, warnings) = Config::load_with_env(Some(&main), &[], &env).unwrap();
    assert!(config.outputs.stdout_enabled);
    let rendered: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    let file = main.display().to_string();
    assert_eq!(rendered.len(), 3, "{rendered:?}");
    assert!(
        rendered[0].starts_with(&format!("{file}:4:")) && rendered[0].contains("'stdout_output.colour'"),
        "{rendered:?}"
    );
    assert!(
        rendered[1].starts_with(&format!("{file}:5:")) && rendered[1].contains("'mystery'"),
        "{rendered:?}"
    );
    assert!(
        rendered[2].starts_with(&format!("{file}:9:")) && rendered[2].contains("'plugins[0].initconfig'"),
        "{rendered:?}"
    );
}

#[test]
fn type_errors_name_file_line_key_expected_and_found() {
    let dir = config_common::scratch_dir("types");
    let cases = [
        (
            "priority: debug\nwebserver:\n  listen_port: eighty\n",
            3,
            "webserver.listen_port",
            "an integer",
            "\"eighty\"",
        ),
        (
            "json_output: sometimes\n",
            1,
            "json_output",
            "a boolean",
            "\"sometimes\"",
        ),
        (
            "rules_files:\n  - {a: 1}\n",
            2,
            "rules_files[0]",
            "a string",
            "a mapping",
        ),
        ("plugins: libjson.so\n", 1, "plugins", "a list", "\"libjson.so\""),
        (
            "syscall_event_drops:\n  threshold: high\n",
            2,
            "syscall_event_drops.threshold",
            "a number",
            "\"high\"",
        ),
    ];
    for (text, line, key_path, expected_text, found_text) in cases {
        let path = config_common::write(&dir, "falco.yaml", text);
        let err = Config::load_with_env(Some(&path), &[], &env).unwrap_err();
        let ConfigError::Type {
            origin,
            key,
            expected,
            found,
        } = &err
        else {
            panic!("{text}: {err:?}")
        };
        assert_eq!(origin.line, line, "{text}: {err}");
        assert_eq!(&*origin.source, path.to_str().unwrap());
        assert_eq!(key, key_path);
        assert!(expected.contains(expected_text), "{text}: {expected}");
        assert_eq!(found, found_text);
        let message = err.to_string();
        assert!(
            message.contains(&format!("{}:{line}:", path.display())) && message.contains(key_path),
            "{message}"
        );
    }

    let path = config_common::write(&dir, "falco.yaml", "plugins:\n  - library_path: libx.so\n");
    let err = Config::load_with_env(Some(&path), &[], &env).unwrap_err();
    assert!(err.to_string().contains("plugins[0].name"), "{err}");
    let path = config_common::write(&dir, "falco.yaml", "- a\n- b\n");
    assert!(matches!(
        Config::load_with_env(Some(&path), &[], &env),
        Err(ConfigError::NotAMapping { .. })
    ));
    let path = config_common::write(&dir, "falco.yaml", "a: [1, 2\n");
    assert!(matches!(
        Config::load_with_env(Some(&path), &[], &env),
        Err(ConfigError::Yaml { .. })
    ));
    let missing = dir.join("nope.yaml");
    assert!(matches!(
        Config::load_with_env(Some(&missing), &[], &env),
        Err(ConfigError::Read { .. })
    ));
}

#[test]
fn init_config_yaml_becomes_json_and_strings_pass_verbatim() {
    let dir = config_common::scratch_dir("init");
    let main = config_common::write(
        &dir,
        "falco.yaml",
        "plugins:\n  - name: a\n    library_path: liba.so\n    init_config:\n      maxEventSize: 262144\n      sslCertificate: /etc/cert.pem\n      flags: [x, 'true', true]\n  - name: b\n    library_path: /abs/libb.so\n    init_config: '{\"raw\": 1}'\n  - name: c\n    library_path: sub/libc.so\n",
    );
    let (config, _) = Config::load_with_env(Some(&main), &[], &env).unwrap();
    let a: serde_json::Value = serde_json::from_str(&config.plugins[0].init_config).unwrap();
    assert_eq!(
        a,
        serde_json::json!({"maxEventSize": 262144, "sslCertificate": "/etc/cert.pem", "flags": ["x", "true", true]})
    );
    assert_eq!(config.plugins[1].init_config, "{\"raw\": 1}");
    assert_eq!(config.plugins[2].init_config, "");
    assert_eq!(
        config.resolve_plugin_path("/abs/libb.so"),
        PathBuf::from("/abs/libb.so")
    );
    let resolved = config.resolve_plugin_path("sub/libc.so");
    assert!(
        resolved.is_absolute() && resolved.ends_with("sub/libc.so"),
        "{resolved:?}"
    );

    let main = config_common::write(&dir, "falco.yaml", "saker:\n  plugins_dir: /opt/saker/plugins\n");
    let (config, _) = Config::load_with_env(Some(&main), &[], &env).unwrap();
    if std::env::var_os(saker::config::PLUGINS_DIR_ENV).is_none() {
        assert_eq!(
            config.resolve_plugin_path("libjson.so"),
            PathBuf::from("/opt/saker/plugins/libjson.so")
        );
    }
}

#[test]
fn evaluation_workers_default_to_the_cores_unless_set() {
    let dir = config_common::scratch_dir("workers");
    let cases = [
        ("priority: debug\n", None),
        ("saker:\n  evaluation_workers: 0\n", None),
        ("saker:\n  evaluation_workers: 3\n", Some(3)),
    ];
    for (text, expected) in cases {
        let path = config_common::write(&dir, "falco.yaml", text);
        let (config, warnings) = Config::load_with_env(Some(&path), &[], &env).unwrap();
        assert_eq!(config.evaluation_workers, expected, "{text}");
        assert!(warnings.is_empty(), "{text}: {warnings:?}");
    }
    let path = config_common::write(&dir, "falco.yaml", "saker:\n  evaluation_workers: many\n");
    let err = Config::load_with_env(Some(&path), &[], &env).unwrap_err();
    assert!(err.to_string().contains("saker.evaluation_workers"), "{err}");
}

#[test]
fn falco_044_sections_are_read_into_typed_fields() {
    use saker::config::{DropAction, EngineKind, Priority, RuleMatching, RuleSelection};
    let dir = config_common::scratch_dir("044");
    let main = config_common::write(
        &dir,
        "falco.yaml",
        r#"
rules_files: [/etc/falco/falco_rules.yaml]
rules:
  - disable:
      rule: "*"
  - enable:
      tag: network
  - enable:
      rule: Netcat Remote Code Execution in Container
engine:
  kind: modern_ebpf
  modern_ebpf:
    cpus_for_each_buffer: 4
    buf_size_preset: 6
    drop_failed_exit: true
    disable_iterators: false
capture:
  enabled: false
  path_prefix: /tmp/falco
  mode: rules
  default_duration: 5000
plugins_hostinfo: false
rule_matching: all
outputs_queue:
  capacity: 4096
append_output:
  - match:
      source: syscall
      tags: [container]
    extra_output: "on CPU %evt.cpu"
    extra_fields:
      - evt.cpu
      - home_directory: "${HOME_DIR}"
  - suggested_output: true
static_fields:
  cluster: prod
json_include_message_property: true
json_include_output_fields_property: false
http_output:
  enabled: true
  url: https://sidekick:2801/
  mtls: true
  compress_uploads: true
  max_consecutive_timeouts: 7
webserver:
  enabled: true
  listen_address: 127.0.0.1
  listen_port: 9876
  prometheus_metrics_enabled: true
metrics:
  enabled: true
  interval: 15m
  output_file: /tmp/metrics.jsonl
base_syscalls:
  custom_set: [clone, execve]
  repair: true
  all: true
falco_libs:
  thread_table_size: 1000
  snaplen: 120
libs_logger:
  enabled: true
  severity: warning
syscall_event_drops:
  threshold: 0
  actions: [exit]
"#,
    );
    let lookup = |name: &str| (name == "HOME_DIR").then(|| "/home/x".to_string());
    let (c, warnings) = Config::load_with_env(Some(&main), &[], &lookup).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        c.rules,
        [
            RuleSelection::DisableRule("*".into()),
            RuleSelection::EnableTag("network".into()),
            RuleSelection::EnableRule("Netcat Remote Code Execution in Container".into()),
        ]
    );
    assert_eq!(c.engine.kind, EngineKind::ModernEbpf);
    assert_eq!(c.engine.modern_ebpf.cpus_for_each_buffer, 4);
    assert!(c.engine.modern_ebpf.drop_failed_exit);
    assert!(!c.plugins_hostinfo);
    assert_eq!(c.rule_matching, RuleMatching::All);
    assert_eq!(c.outputs.queue.capacity, 4096);
    let first = &c.outputs.append_output[0];
    assert_eq!(first.match_source.as_deref(), Some("syscall"));
    assert_eq!(first.match_tags, ["container"]);
    assert_eq!(
        first.extra_fields,
        [
            ("evt.cpu".to_string(), None),
            ("home_directory".to_string(), Some("/home/x".to_string()))
        ]
    );
    assert!(c.outputs.append_output[1].suggested_output);
    assert_eq!(c.outputs.static_fields.get("cluster"), Some(&serde_json::json!("prod")));
    assert!(c.outputs.json_include_message_property && !c.outputs.json_include_output_fields_property);
    assert!(c.outputs.http.enabled && c.outputs.http.mtls && c.outputs.http.compress_uploads);
    assert_eq!(c.outputs.http.max_consecutive_timeouts, 7);
    assert_eq!(
        (c.webserver.listen_address.as_str(), c.webserver.listen_port),
        ("127.0.0.1", 9876)
    );
    assert!(c.webserver.prometheus_metrics_enabled);
    assert_eq!(
        (c.metrics.interval.as_str(), c.metrics.output_file.as_str()),
        ("15m", "/tmp/metrics.jsonl")
    );
    assert!(c.base_syscalls.all && c.base_syscalls.repair);
    assert_eq!(c.base_syscalls.custom_set, ["clone", "execve"]);
    assert_eq!((c.falco_libs.thread_table_size, c.falco_libs.snaplen), (1000, 120));
    assert_eq!(c.logging.libs_logger_severity, Priority::Warning);
    assert_eq!(c.syscall_event_drops.actions, [DropAction::Exit]);
    assert_eq!(c.syscall_event_drops.threshold, 0.0);

    // Replay needs a capture file; `-e FILE` style overrides provide it.
    let err = Config::load_with_env(Some(&main), &["engine.kind=replay".to_string()], &lookup).unwrap_err();
    assert!(err.to_string().contains("engine.replay.capture_file"), "{err}");
    let err = Config::load_with_env(Some(&main), &["engine.kind=kmodd".to_string()], &lookup).unwrap_err();
    assert!(err.to_string().contains("'kmodd' is not a valid kind"), "{err}");
    let (_, warnings) = Config::load_with_env(Some(&main), &["no_such.key=1".to_string()], &lookup).unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].to_string().contains("-o no_such.key=1") && warnings[0].to_string().contains("'no_such'"));
}
