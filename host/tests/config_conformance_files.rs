//! The configuration files of Falco's legacy test suite load as Falco loads them.

mod config_common;

use std::path::{Path, PathBuf};

use saker::config::{Config, ConfigError, ConfigWarning, DropAction, EngineKind, Priority};

fn no_env(_: &str) -> Option<String> {
    None
}

#[test]
fn default_falco_yaml_of_the_tests_loads_with_its_values() {
    let Some(conformance) = config_common::conformance_dir() else {
        return;
    };
    let path = conformance.join("falco-legacy/falco.yaml");
    let (config, warnings) = Config::load_with_env(Some(&path), &[], &no_env).expect("falco.yaml loads");

    let unknown: Vec<_> = warnings
        .iter()
        .filter(|w| matches!(w, ConfigWarning::UnknownKey { .. }))
        .collect();
    assert!(unknown.is_empty(), "unexpected unknown keys: {unknown:?}");
    assert!(
        warnings
            .iter()
            .any(|w| matches!(w, ConfigWarning::DeprecatedKey { key, .. } if key == "rules_file")),
        "the 0.35 file uses the old rules_file key: {warnings:?}"
    );
    assert_eq!(
        config.rules_files,
        [
            "/etc/falco/falco_rules.yaml",
            "/etc/falco/falco_rules.local.yaml",
            "/etc/falco/rules.d"
        ]
        .map(PathBuf::from)
    );
    let names: Vec<_> = config.plugins.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["k8saudit", "cloudtrail", "json"]);
    assert_eq!(config.plugins[0].open_params, "http://:9765/k8s-audit");
    assert_eq!(config.plugins[0].init_config, "");
    assert_eq!(config.plugins[2].library_path, "libjson.so");
    assert_eq!(config.load_plugins, Some(vec![]));
    assert!(config.plugins_to_load().is_empty(), "load_plugins: [] loads nothing");
    assert_eq!(config.priority, Priority::Debug);
    assert!(!config.outputs.json_output && config.outputs.json_include_output_property);
    assert!(config.outputs.stdout_enabled && config.outputs.syslog_enabled && !config.outputs.file.enabled);
    assert_eq!(config.outputs.file.filename, "./events.txt");
    assert_eq!(config.outputs.rate.max_burst, 1000);
    assert_eq!(config.outputs.http.user_agent, "falcosecurity/falco");
    assert_eq!(config.outputs.grpc.bind_address, "unix:///run/falco/falco.sock");
    assert!(config.webserver.enabled);
    assert_eq!(config.webserver.listen_port, 8765);
    assert_eq!(config.logging.level, Priority::Informational);
    assert!(config.logging.stderr && config.logging.syslog && !config.logging.libs_logger_enabled);
    assert_eq!(config.syscall_event_drops.threshold, 0.1);
    assert_eq!(config.syscall_event_drops.actions, [DropAction::Log, DropAction::Alert]);
    assert_eq!(config.syscall_event_drops.rate, 0.03333);
    assert_eq!(config.syscall_event_timeouts_max_consecutives, 1000);
    assert_eq!(config.metrics.interval, "1h");
    assert_eq!(
        config.engine.kind,
        EngineKind::Kmod,
        "absent engine.kind is Falco's default"
    );
}

/// Writes `conf` with `BUILD_DIR` replaced as the conformance README says.
fn substituted_copy(conf: &Path, test_dir: &Path, out_dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(conf).expect("read conf");
    let text = text
        .replace("BUILD_DIR/test/", &format!("{}/", test_dir.display()))
        .replace(
            "BUILD_DIR/",
            &format!("{}/build/", test_dir.parent().unwrap().display()),
        );
    config_common::write(out_dir, conf.file_name().unwrap().to_str().unwrap(), &text)
}

#[test]
fn every_conf_of_the_suite_loads_or_fails_with_falcos_message() {
    let Some(conformance) = config_common::conformance_dir() else {
        return;
    };
    let test_dir = conformance.join("falco-legacy/test");
    let out = config_common::scratch_dir("confs");
    let mut confs: Vec<PathBuf> = ["confs", "confs/plugins"]
        .iter()
        .flat_map(|d| std::fs::read_dir(test_dir.join(d)).unwrap().map(|e| e.unwrap().path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    confs.sort();
    assert!(
        confs.len() >= 19,
        "expected the suite's 19 confs, found {}",
        confs.len()
    );

    for conf in confs {
        let name = conf.file_name().unwrap().to_str().unwrap().to_string();
        let path = substituted_copy(&conf, &test_dir, &out);
        let result = Config::load_with_env(Some(&path), &[], &no_env);
        let expected_error = match name.as_str() {
            "drops_threshold_neg.yaml" | "drops_threshold_oor.yaml" => {
                Some("syscall event drops threshold must be a double in the range")
            }
            "drops_ignore_log.yaml" => {
                Some("syscall event drop action \"log\" does not make sense with the \"ignore\" action")
            }
            _ => None,
        };
        match (expected_error, result) {
            (None, Ok((config, warnings))) => {
                let unknown: Vec<_> = warnings
                    .iter()
                    .filter(|w| matches!(w, ConfigWarning::UnknownKey { .. }))
                    .collect();
                assert!(unknown.is_empty(), "{name}: unexpected unknown keys {unknown:?}");
                check_conf(&name, &config, &test_dir);
            }
            (Some(text), Err(err)) => {
                let message = err.to_string();
                assert!(message.contains(text), "{name}: {message}");
                assert!(matches!(err, ConfigError::Invalid { .. }), "{name}: {err:?}");
                assert!(
                    message.contains(path.to_str().unwrap()),
                    "{name}: the error names the file: {message}"
                );
            }
            (None, Err(err)) => panic!("{name} should load: {err}"),
            (Some(text), Ok(_)) => panic!("{name} should fail with {text:?}"),
        }
    }
}

fn check_conf(name: &str, config: &Config, test_dir: &Path) {
    match name {
        "drops_exit.yaml" => {
            assert_eq!(config.syscall_event_drops.actions, [DropAction::Exit]);
            assert!(config.syscall_event_drops.simulate_drops);
            assert_eq!(config.syscall_event_drops.max_burst, 10.0);
        }
        "drops_log.yaml" => assert_eq!(config.logging.level, Priority::Debug),
        "file_output.yaml" => {
            assert!(config.outputs.file.enabled);
            assert_eq!(config.outputs.file.filename, "/tmp/falco_outputs/file_output.txt");
            assert_eq!(config.rules_files, [PathBuf::from("/etc/falco_rules.yaml")]);
        }
        "program_output.yaml" => {
            assert!(config.outputs.program.enabled);
            assert_eq!(
                config.outputs.program.program,
                "cat >> /tmp/falco_outputs/program_output.txt"
            );
        }
        "grpc_unix_socket.yaml" => {
            assert!(config.outputs.grpc.enabled && config.outputs.grpc_output_enabled);
            assert_eq!(config.outputs.grpc.bind_address, "unix:///tmp/falco/falco.sock");
            assert_eq!(config.outputs.grpc.threadiness, 8);
            assert!(!config.outputs.stdout_enabled);
        }
        "k8s_audit.yaml" => {
            assert_eq!(
                config.load_plugins,
                Some(vec!["k8saudit".to_string(), "json".to_string()])
            );
            assert_eq!(config.plugins_to_load().len(), 2);
            let lib = Path::new(&config.plugins[0].library_path);
            assert!(
                lib.is_absolute() && lib.ends_with("k8saudit-plugin/libk8saudit.so"),
                "{lib:?}"
            );
            assert_eq!(config.resolve_plugin_path(&config.plugins[0].library_path), lib);
        }
        "cloudtrail_json_create_instances.yaml" => {
            let params = Path::new(&config.plugins[0].open_params);
            assert_eq!(params, test_dir.join("trace_files/plugins/alice_start_instances.json"));
            assert!(params.is_file(), "{params:?}");
        }
        _ => {}
    }
}
