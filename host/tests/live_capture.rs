//! The host side of live syscall capture: the open parameters built from the configuration and
//! the loaded rules, the command-line checks, Saker's default rules, and the configuration a
//! source plugin gets through `set_config` after a reload.

mod ops_common;
mod rules_common;
#[path = "fixtures/plugins/support.rs"]
mod support;

use ops_common::{saker, syscall_plugin};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use saker::app::capture::{CaptureError, SyscallCapture, LIVE_PREFIX};
use saker::config::Config;
use saker::engine::catalog::SourceCatalog;
use saker::engine::{self, ActiveRules, RulesHandle, RunOptions, SourceRuntime};
use saker::outputs::Outputs;
use saker::plugins::{LoadOptions, PluginSet, TableRegistry};
use saker::rules::load::version::ENGINE_VERSION;
use saker::rules::load::RulesLoader;
use saker::rules::ruleset::{Catalogs, RuleSet, SourceSpec};
use saker::rules::select::{NamePattern, Selection};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn config(overrides: &[&str]) -> Config {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    Config::load(None, &overrides).expect("configuration loads").0
}

const RULES: &str = r#"
- rule: shadow read
  desc: opens of /etc/shadow
  condition: evt.type = open and fd.name = /etc/shadow
  output: read %fd.name
  priority: WARNING
- rule: net or exec
  desc: connections and programs
  condition: evt.type in (connect, execve)
  output: "%evt.type by %proc.name"
  priority: NOTICE
- rule: disabled in the file
  desc: never loaded
  condition: evt.type = ptrace
  output: ptrace
  priority: NOTICE
  enabled: false
- rule: disabled by selection
  desc: deselected like -D
  condition: evt.type = chmod
  output: chmod
  priority: NOTICE
"#;

#[test]
fn live_open_params_carry_the_enabled_rules_event_codes_and_the_configuration() {
    let Some(shared) = rules_common::shared_or_skip("live_open_params") else {
        return;
    };
    let catalog = rules_common::syscall_catalog(&shared);
    let events = rules_common::syscall_event_types(&shared);
    let dir = std::env::temp_dir().join(format!("saker-live-params-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rules = dir.join("rules.yaml");
    std::fs::write(&rules, RULES).unwrap();
    let mut loader = RulesLoader::new(ENGINE_VERSION, &[]);
    loader.load_file(&rules);
    let catalogs = Catalogs {
        sources: vec![SourceSpec {
            name: "syscall".into(),
            fields: &catalog,
            event_types: Some(&events),
        }],
    };
    let selection = Selection {
        disabled_names: vec![NamePattern::new("disabled by selection")],
        ..Selection::default()
    };
    let (ruleset, results) = loader.finish(&catalogs, &selection);
    assert!(results.successful(), "{}", results.to_text());

    let config = config(&[
        "engine.kind=modern_ebpf",
        "engine.modern_ebpf.buf_size_preset=6",
        "engine.modern_ebpf.cpus_for_each_buffer=1",
        "falco_libs.snaplen=256",
        "base_syscalls.custom_set=[clone, execve, '!kill']",
        "base_syscalls.repair=true",
        "capture_file=/var/tmp/out.scap",
    ]);
    let capture = SyscallCapture::from_config(&config, false).unwrap();
    let params = capture.open_params(&ruleset, 0).expect("live capture opens");
    let json = params.strip_prefix(LIVE_PREFIX).expect("live: prefix");
    let value: serde_json::Value = serde_json::from_str(json).unwrap();

    let mut codes: Vec<u16> = ["open", "connect", "execve"]
        .iter()
        .flat_map(|n| events.codes(n).unwrap().to_vec())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(
        value,
        serde_json::json!({
            "buf_size_preset": 6,
            "cpus_for_each_buffer": 1,
            "drop_failed_exit": false,
            "snaplen": 256,
            "capture": "/var/tmp/out.scap",
            "event_codes": codes,
            "base_syscalls": {"custom_set": ["clone", "execve", "!kill"], "repair": true, "all": false},
        })
    );
    // The documented key order.
    let keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
    assert!(
        json.starts_with(r#"{"buf_size_preset":6,"cpus_for_each_buffer":1,"#),
        "{json}"
    );
    assert_eq!(keys.len(), 7);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn engine_kind_decides_how_the_syscall_source_opens() {
    let empty = RuleSet::default();
    let live =
        |kind: &str, plugins: bool| SyscallCapture::from_config(&config(&[&format!("engine.kind={kind}")]), plugins);
    for kind in ["modern_ebpf", "kmod", "ebpf"] {
        let capture = live(kind, false).unwrap();
        let params = capture.open_params(&empty, 0).unwrap();
        assert!(params.starts_with(r#"live:{"buf_size_preset":4,"cpus_for_each_buffer":2,"drop_failed_exit":false,"snaplen":80,"capture":null,"event_codes":[]"#), "{kind}: {params}");
        // An explicit engine.kind captures beside plugin sources too.
        assert!(matches!(live(kind, true).unwrap(), SyscallCapture::Live(_)), "{kind}");
    }
    assert_eq!(live("nodriver", false).unwrap(), SyscallCapture::Closed);
    assert_eq!(live("gvisor", false).unwrap_err(), CaptureError::Gvisor);
    assert!(live("gvisor", false).unwrap_err().to_string().contains("modern_ebpf"));
    // Falco's default kind with plugin sources only: the plugins run alone.
    assert_eq!(
        SyscallCapture::from_config(&config(&[]), true).unwrap(),
        SyscallCapture::Closed
    );
    assert!(matches!(
        SyscallCapture::from_config(&config(&[]), false).unwrap(),
        SyscallCapture::Live(_)
    ));
    let replay = config(&["engine.kind=replay", "engine.replay.capture_file=/x.scap"]);
    let capture = SyscallCapture::from_config(&replay, false).unwrap();
    assert_eq!(capture.open_params(&empty, 0).as_deref(), Some("replay:/x.scap"));
    let both = config(&[
        "engine.kind=replay",
        "engine.replay.capture_file=/x.scap",
        "capture_file=/y.scap",
    ]);
    assert_eq!(
        SyscallCapture::from_config(&both, false).unwrap_err(),
        CaptureError::CaptureWithReplay
    );
}

#[test]
fn capture_with_replay_is_rejected_in_one_line() {
    let out = Command::new(saker())
        .args(["--capture", "/tmp/out.scap", "-e", "/tmp/in.scap"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "Error: --capture records live capture; it cannot be used with -e\n"
    );
}

#[test]
fn the_default_rules_load_without_warnings() {
    syscall_plugin();
    let out = Command::new(saker())
        .current_dir(workspace_root())
        .args(["-V", "rules/saker_rules.yaml"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "rules/saker_rules.yaml: Ok\n\n",
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success());
    // The default configuration names them and loads (without opening the capture).
    let out = Command::new(saker())
        .current_dir(workspace_root())
        .args(["-c", "examples/falco.yaml", "-L"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        listing.contains("Shell started by a web server or database"),
        "{listing}"
    );
}

/// A source whose rules come with a plugin configuration: after a reload with a new one, the
/// engine passes it to the plugin's `set_config` (the fixture then delivers `count` events and
/// ends; before any set_config it only times out).
#[test]
fn a_reload_passes_the_new_source_config_to_set_config() {
    let lib = support::build_fixture("setconfig", &["CASE_SET_CONFIG"]);
    let tables = TableRegistry::new();
    let mut set = PluginSet::new(tables.clone());
    let index = set.load(&lib, &LoadOptions::default()).unwrap();
    set.init(index, r#"{"count":1}"#).unwrap();
    let catalog = SourceCatalog::build("cfixture", set.iter()).unwrap();
    let compile = || {
        let catalogs = Catalogs {
            sources: vec![SourceSpec {
                name: "cfixture".into(),
                fields: &catalog,
                event_types: None,
            }],
        };
        RulesLoader::new(ENGINE_VERSION, &[])
            .finish(&catalogs, &Selection::default())
            .0
    };
    let active = |config: &str| ActiveRules {
        ruleset: compile(),
        bindings: vec![("cfixture".into(), catalog.bindings())],
        source_configs: vec![("cfixture".into(), config.to_string())],
    };
    let runtime = SourceRuntime {
        name: "cfixture".into(),
        plugins: set.into_plugins(),
        source_plugin: index,
        open_params: String::new(),
        bindings: catalog.bindings(),
        ruleset_index: 0,
        evaluators: Vec::new(),
        tables,
    };
    let rules = Arc::new(RulesHandle::new(active(r#"{"count":1}"#)));
    let outputs = Outputs::from_config(&config(&["stdout_output.enabled=false"]).outputs).unwrap();
    let runtimes = vec![runtime];
    let telemetry = engine::telemetry_for(&runtimes, &rules, &outputs);
    // First reload: the configuration in force again (no call); second: a new one.
    let mut reloads = vec![active(r#"{"count":5}"#), active(r#"{"count":1}"#)];
    let mut reload = || reloads.pop();
    let opts = RunOptions {
        // Only a safety net: the fixture ends by itself once set_config arrives.
        max_duration: Some(Duration::from_secs(120)),
        json_output: false,
        alert: Default::default(),
        hostname: "test".into(),
        syscall_event_drops: Default::default(),
        ebpf_capture: false,
    };
    let summary = engine::run(runtimes, rules, &opts, outputs, telemetry, Some(&mut reload));
    assert_eq!(summary.error, None);
    assert_eq!(
        summary.events, 5,
        "the source delivered the count set through set_config"
    );
}

/// A source that cannot open (a missing privilege, for live capture) stops Saker with one line
/// naming the plugin and its reason, exit status 1, and no stats block.
#[test]
fn an_open_failure_is_one_line_and_exit_status_1() {
    let lib = support::build_fixture("openfail", &[]);
    let dir = std::env::temp_dir().join(format!("saker-live-openfail-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("falco.yaml");
    std::fs::write(
        &config,
        format!(
            "plugins:\n  - name: cfixture\n    library_path: {}\n    open_params: fail\nload_plugins: [cfixture]\nlog_stderr: false\n",
            lib.display()
        ),
    )
    .unwrap();
    let out = Command::new(saker()).arg("-c").arg(&config).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "Error: source 'cfixture': plugin cfixture: could not open event source with params 'fail': cannot open: params say fail\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "",
        "no stats block when nothing ran"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The default rules on real events: `cat` of the conformance capture reads /etc/ld.so.cache;
/// once that file is listed as a credential (an `append` as users would write it), the
/// credential rule fires with its output fields.
#[test]
fn the_default_credential_rule_fires_on_a_real_capture() {
    let Some(shared) = rules_common::shared_or_skip("default_rules_on_capture") else {
        return;
    };
    syscall_plugin();
    let dir = std::env::temp_dir().join(format!("saker-live-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let extra = dir.join("extra.yaml");
    std::fs::write(
        &extra,
        "- list: credential_files\n  items: [/etc/ld.so.cache]\n  append: true\n",
    )
    .unwrap();
    let capture = shared.join("conformance/falco-legacy/test/trace_files/cat_write.scap");
    let out = Command::new(saker())
        .current_dir(workspace_root())
        .args(["-r", "rules/saker_rules.yaml", "-r"])
        .arg(&extra)
        .arg("-e")
        .arg(&capture)
        .args([
            "-o",
            "log_stderr=false",
            "-o",
            "stdout_output.enabled=true",
            "-o",
            "json_output=true",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let alerts: Vec<serde_json::Value> = stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(alerts.len(), 1, "{stdout}");
    assert_eq!(alerts[0]["rule"], "Credential file read by unexpected program");
    let fields = &alerts[0]["output_fields"];
    assert_eq!(fields["fd.name"], "/etc/ld.so.cache");
    assert_eq!(fields["proc.name"], "cat");
    assert_eq!(fields["proc.pname"], "bash");
    assert_eq!(fields["proc.cmdline"], "cat /dev/null");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The whole path through `saker`: a syscall-source plugin (the C fixture with id 0 and no
/// source name) opens with the live JSON of the configuration; after SIGHUP with a changed
/// `base_syscalls`, it gets the new JSON through `set_config` (then the fixture, told to deliver
/// no event, ends, so Saker exits by itself).
#[test]
fn saker_opens_live_and_sends_the_reloaded_selection_through_set_config() {
    let lib = support::build_fixture(
        "fakesyscall",
        &["CASE_SET_CONFIG", "CASE_NO_SCHEMA", "PLUGIN_ID=0", "PLUGIN_SOURCE=\"\""],
    );
    let dir = ops_common::temp_dir("live-reload");
    let log = dir.join("configs.log");
    let rules = dir.join("rules.yaml");
    std::fs::write(
        &rules,
        "- rule: every event\n  desc: d\n  condition: evt.num > 0\n  output: n=%evt.num\n  priority: INFO\n  warn_evttypes: false\n",
    )
    .unwrap();
    let config = dir.join("falco.yaml");
    let write_config = |custom_set: &str| {
        let text = format!(
            "engine:\n  kind: modern_ebpf\nplugins:\n  - name: cfixture\n    library_path: {lib}\n    init_config: {{count: 0}}\nload_plugins: [cfixture]\n\
             rules_files: [{rules}]\nbase_syscalls:\n  custom_set: [{custom_set}]\nwatch_config_files: false\nlog_stderr: true\n",
            lib = lib.display(),
            rules = rules.display(),
        );
        std::fs::write(&config, text).unwrap();
    };
    write_config("clone");
    let child = Command::new(saker())
        .arg("-c")
        .arg(&config)
        .env("SAKER_FIXTURE_CONFIG_LOG", &log)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
    ops_common::wait_until("the source to open", Duration::from_secs(60), || !read_log().is_empty());
    write_config("clone, execve");
    ops_common::signal(&child, libc::SIGHUP);
    let (code, _, stderr) = ops_common::finish(child);
    assert_eq!(code, Some(0), "{stderr}");
    let expected_json = |custom_set: &str| {
        format!(
            r#"{{"buf_size_preset":4,"cpus_for_each_buffer":2,"drop_failed_exit":false,"snaplen":80,"capture":null,"event_codes":[],"base_syscalls":{{"custom_set":[{custom_set}],"repair":false,"all":false}}}}"#
        )
    };
    assert_eq!(
        read_log(),
        format!(
            "open live:{}\nset_config {}\n",
            expected_json(r#""clone""#),
            expected_json(r#""clone","execve""#)
        ),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
