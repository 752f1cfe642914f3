//! Load-time validation of plugins, on real `.so` files built from fixtures/plugins/fixture.c.

#[path = "fixtures/plugins/support.rs"]
mod support;

use saker::plugins::{inspect, FieldType, LoadOptions, Plugin, PluginError, PluginSet, TableRegistry};
use support::build_fixture;

fn load_err(path: &std::path::Path) -> String {
    match Plugin::load(path, &LoadOptions::default()) {
        Ok(p) => panic!("{} loaded but should have failed: {:?}", path.display(), p.info().name),
        Err(e) => e.to_string(),
    }
}

fn assert_contains(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "expected {part:?} in error:\n{text}");
    }
}

#[test]
fn missing_file() {
    let msg = load_err(std::path::Path::new("/nonexistent/libnothing.so"));
    assert_contains(
        &msg,
        &[
            "cannot load plugin /nonexistent/libnothing.so",
            "No such file or directory",
            "library_path",
        ],
    );
}

#[test]
fn not_an_elf() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("not-a-plugin.so");
    std::fs::write(&path, "this is text, not a shared object\n".repeat(20)).unwrap();
    let msg = load_err(&path);
    assert_contains(&msg, &["cannot load plugin", "not-a-plugin.so", "invalid ELF header"]);
}

#[test]
fn missing_required_symbol() {
    let path = build_fixture("nodestroy", &["CASE_NO_DESTROY"]);
    let msg = load_err(&path);
    assert_contains(
        &msg,
        &[
            &path.display().to_string(),
            "'plugin_destroy'",
            "required symbol not implemented: 'destroy'",
        ],
    );
}

#[test]
fn broken_capabilities() {
    let path = build_fixture("brokencaps", &["CASE_BROKEN_CAPS"]);
    let msg = load_err(&path);
    assert_contains(
        &msg,
        &[
            "plugin cfixture",
            "broken plugin capabilities",
            "plugin_open, plugin_close and plugin_next_batch",
        ],
    );
    let path = build_fixture("brokenextract", &["HAVE_EXTRACT=0", "CASE_BROKEN_EXTRACT"]);
    let msg = load_err(&path);
    assert_contains(
        &msg,
        &[
            "broken plugin capabilities",
            "plugin_extract_fields is exported without plugin_get_fields",
        ],
    );
}

#[test]
fn no_capability() {
    let path = build_fixture("nocaps", &["HAVE_SOURCE=0", "HAVE_EXTRACT=0", "HAVE_PARSE=0"]);
    let msg = load_err(&path);
    assert_contains(&msg, &["plugin cfixture", "plugin does not implement any capability"]);
}

#[test]
fn api_major_mismatch() {
    let path = build_fixture("api4", &["API_VERSION=\"4.0.0\""]);
    let msg = load_err(&path);
    assert_contains(
        &msg,
        &[
            &format!(
                "plugin {} requires plugin API 4.0.0 but Saker provides 3.12.0",
                path.display()
            ),
            "major versions disagree",
            "rebuild the plugin against API 3.x",
            "plugin required API version '4.0.0' not compatible with the framework's API version '3.12.0'",
        ],
    );
    let path = build_fixture("apihuge", &["API_VERSION=\"10000000.0.0\""]);
    let msg = load_err(&path);
    assert_contains(
        &msg,
        &["plugin required API version '10000000.0.0' not compatible with the framework's API version '3.12.0'"],
    );
}

#[test]
fn api_minor_too_new_and_older_accepted() {
    let path = build_fixture("api313", &["API_VERSION=\"3.13.0\""]);
    let msg = load_err(&path);
    assert_contains(
        &msg,
        &[
            "requires plugin API 3.13.0",
            "framework's minor is less than the requested one",
        ],
    );
    let path = build_fixture("api3121", &["API_VERSION=\"3.12.1\""]);
    assert_contains(&load_err(&path), &["framework's patch is less than the requested one"]);
    let path = build_fixture("api30", &["API_VERSION=\"3.0.0\""]);
    let plugin = Plugin::load(&path, &LoadOptions::default()).expect("3.0.0 plugins load");
    assert_eq!(plugin.info().required_api_version_text, "3.0.0");
    let path = build_fixture("apishort", &["API_VERSION=\"3.12\""]);
    assert_contains(
        &load_err(&path),
        &["plugin_get_required_api_version returned '3.12'", "MAJOR.MINOR.PATCH"],
    );
}

#[test]
fn plugin_version_must_parse() {
    let path = build_fixture("badversion", &["CASE_BAD_VERSION"]);
    assert_contains(
        &load_err(&path),
        &["plugin cfixture", "plugin_get_version returned 'one.two'"],
    );
}

#[test]
fn reserved_source_name() {
    let path = build_fixture("syscallsrc", &["PLUGIN_SOURCE=\"syscall\""]);
    assert_contains(
        &load_err(&path),
        &["plugin cfixture", "event source name 'syscall' is reserved"],
    );
}

#[test]
fn id_and_source_must_agree() {
    let path = build_fixture("idnosource", &["PLUGIN_SOURCE=\"\""]);
    assert_contains(
        &load_err(&path),
        &["broken plugin capabilities", "found id 999 and event source ''"],
    );
}

#[test]
fn invalid_fields_json() {
    let path = build_fixture("badfields", &["CASE_BAD_FIELDS"]);
    assert_contains(
        &load_err(&path),
        &[
            "plugin cfixture",
            "invalid field #0 'cf.num' in plugin_get_fields",
            "unknown type 'float64'",
        ],
    );
}

#[test]
fn static_info_is_complete() {
    let path = build_fixture("base", &[]);
    let plugin = Plugin::load(&path, &LoadOptions::default()).unwrap();
    let info = plugin.info();
    assert_eq!(info.name, "cfixture");
    assert_eq!(info.version_text, "0.3.1");
    assert_eq!(info.description, "C fixture plugin for Saker's host tests");
    assert_eq!(info.contact, "saker tests");
    assert_eq!((info.id, info.event_source.as_str()), (999, "cfixture"));
    assert_eq!(info.capabilities.names(), vec!["sourcing", "extraction", "parsing"]);
    assert_eq!(info.fields.len(), 10);
    assert_eq!(info.fields[3].ty, FieldType::Ipaddr);
    assert!(info.fields[4].is_list && info.fields[4].properties == vec!["info".to_string()]);
    assert!(info.fields[5].arg.index && info.fields[5].arg.key && !info.fields[5].arg.required);
    assert_eq!(info.fields[1].display, "Payload");
    assert!(info.fields[9].add_output);
    assert!(info.init_schema.as_ref().unwrap().text.contains("\"minimum\":1"));
    assert!(!info.is_syscall_source());
}

#[test]
fn duplicate_name_and_source_id() {
    let a = build_fixture("base", &[]);
    let b = build_fixture("samename", &["PLUGIN_ID=1000", "PLUGIN_SOURCE=\"other\""]);
    let c = build_fixture("sameid", &["PLUGIN_NAME=\"another\"", "PLUGIN_SOURCE=\"other\""]);
    let mut set = PluginSet::new(TableRegistry::new());
    set.load(&a, &LoadOptions::default()).unwrap();
    let err = set.load(&b, &LoadOptions::default()).unwrap_err();
    assert!(matches!(err, PluginError::DuplicateName { .. }));
    assert_contains(
        &err.to_string(),
        &[
            "a plugin named 'cfixture' is already loaded from",
            &a.display().to_string(),
        ],
    );
    let err = set.load(&c, &LoadOptions::default()).unwrap_err();
    assert_contains(
        &err.to_string(),
        &[
            "plugin another",
            "event source id 999 is already used by plugin cfixture",
        ],
    );
    assert_eq!(set.len(), 1);
}

#[test]
fn inspect_reports_text_and_json() {
    let path = build_fixture("base", &[]);
    let report = inspect(&path).unwrap();
    let text = report.to_text();
    assert_contains(
        &text,
        &[
            "Name:               cfixture",
            "Version:            0.3.1",
            "Required API:       3.12.0",
            "Capabilities:       sourcing, extraction, parsing",
            "Event source:       cfixture (id 999)",
            "cf.argecho[arg?]",
            "list<string>",
            "Init schema:        {",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["info"]["name"], "cfixture");
    assert_eq!(json["info"]["fields"][0]["ty"], "uint64");
    assert_eq!(json["method"], "dlopen");
}

#[test]
fn inspect_reads_the_manifest_without_loading() {
    let path = build_fixture("manifest", &["CASE_MANIFEST"]);
    let report = inspect(&path).unwrap();
    assert_eq!(report.method, "manifest");
    // The getters say otherwise: the manifest's text proves no plugin code ran.
    assert_eq!(report.info.description, "described by the manifest");
    assert_eq!(report.info.capabilities.names(), vec!["sourcing", "extraction"]);
    assert_eq!(report.info.fields.len(), 1);
    assert!(report.to_text().contains("Read from:          manifest"));
    let loaded = Plugin::load(&path, &LoadOptions::default()).unwrap();
    assert_eq!(loaded.info().description, "C fixture plugin for Saker's host tests");
}
