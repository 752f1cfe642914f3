//! Building an engine run from a test case, as the conformance README's "Command line" and
//! "Paths" sections say: cwd is `falco-legacy/test/`, `BUILD_DIR` is substituted, plugin confs
//! are rewritten into a scratch directory with real plugin paths.

use std::path::{Path, PathBuf};

use regex::Regex;

use crate::suite::TestCase;

/// Environment the suite adds to the inherited one (the `hostname` of JSON alerts).
pub const HOSTNAME_ENV: (&str, &str) = ("FALCO_HOSTNAME", "test-falco-hostname");

/// Where things are on this machine.
#[derive(Debug, Clone)]
pub struct Layout {
    /// `…/conformance/falco-legacy`.
    pub legacy: PathBuf,
    /// Scratch directory for substituted confs (per run).
    pub scratch: PathBuf,
    /// Directory holding `lib<name>.so` for Falco-named plugins (k8saudit, json, cloudtrail).
    pub plugins_dir: Option<PathBuf>,
    /// Directory holding the `libtest_*.so` test plugins (defaults to `plugins_dir`).
    pub test_plugins_dir: Option<PathBuf>,
    pub grpcurl: Option<PathBuf>,
}

impl Layout {
    pub fn test_dir(&self) -> PathBuf {
        self.legacy.join("test")
    }
}

/// A ready-to-run engine invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
    /// Files the engine writes that the judge reads; deleted before the run.
    pub output_files: Vec<PathBuf>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Prepared {
    Run(Invocation),
    /// A prerequisite is absent: the reason.
    Skip(String),
}

fn python_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// `BUILD_DIR/test/…` → `falco-legacy/test/…`; any other `BUILD_DIR/…` → `falco-legacy/build/…`.
pub fn substitute_build_dir(path: &str, legacy: &Path) -> String {
    if let Some(rest) = path.strip_prefix("BUILD_DIR/test/") {
        legacy.join("test").join(rest).display().to_string()
    } else if let Some(rest) = path.strip_prefix("BUILD_DIR/") {
        legacy.join("build").join(rest).display().to_string()
    } else {
        path.to_string()
    }
}

/// Rewrites the `BUILD_DIR` paths of a plugin conf. Returns the new text and the plugin
/// libraries it needs, or the reason it cannot be rewritten.
pub fn substitute_plugin_conf(text: &str, layout: &Layout) -> Result<(String, Vec<PathBuf>), String> {
    let placeholder = Regex::new(r#"BUILD_DIR/[^\s"',\]]+"#).expect("valid regex");
    let plugin_lib = Regex::new(r"^BUILD_DIR/([^/]+)-plugin-prefix/src/[^/]+/(lib[^/]+\.so)$").expect("valid regex");
    let test_plugin = Regex::new(r"^BUILD_DIR/test/plugins/(lib[^/]+\.so)$").expect("valid regex");
    let mut needed = Vec::new();
    let mut problem = None;
    let out = placeholder.replace_all(text, |caps: &regex::Captures<'_>| {
        let found = &caps[0];
        if found == "BUILD_DIR/test/plugins/wrong_plugin_path.so" {
            return layout
                .scratch
                .join("does-not-exist/wrong_plugin_path.so")
                .display()
                .to_string();
        }
        let (dir, file, what) = if let Some(c) = plugin_lib.captures(found) {
            (layout.plugins_dir.as_ref(), c[2].to_string(), "--plugins-dir")
        } else if let Some(c) = test_plugin.captures(found) {
            (layout.test_plugins_dir.as_ref(), c[1].to_string(), "--test-plugins-dir")
        } else {
            return substitute_build_dir(found, &layout.legacy);
        };
        match dir {
            Some(dir) => {
                let lib = dir.join(&file);
                needed.push(lib.clone());
                lib.display().to_string()
            }
            None => {
                problem.get_or_insert_with(|| format!("needs {file}: no {what} given"));
                found.to_string()
            }
        }
    });
    match problem {
        Some(p) => Err(p),
        None => Ok((out.into_owned(), needed)),
    }
}

/// Builds the engine run of `case`, or says which prerequisite is missing.
pub fn prepare(case: &TestCase, layout: &Layout, engine: &Path) -> Result<Prepared, String> {
    let test_dir = layout.test_dir();
    if case.grpc.is_some() && layout.grpcurl.is_none() {
        return Ok(Prepared::Skip("needs grpcurl (not found in PATH)".into()));
    }

    // The configuration file, rewritten when it holds BUILD_DIR placeholders.
    let conf = substitute_build_dir(&case.conf_file, &layout.legacy);
    let conf_path = test_dir.join(&conf);
    let conf_text = std::fs::read_to_string(&conf_path)
        .map_err(|e| format!("cannot read conf_file {}: {e}", conf_path.display()))?;
    let conf_arg = if conf_text.contains("BUILD_DIR") {
        let (text, needed) = match substitute_plugin_conf(&conf_text, layout) {
            Ok(done) => done,
            Err(reason) => return Ok(Prepared::Skip(reason)),
        };
        if let Some(missing) = needed.iter().find(|lib| !lib.is_file()) {
            return Ok(Prepared::Skip(format!(
                "needs plugin {} (not found)",
                missing.display()
            )));
        }
        let base = conf_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let copy = layout.scratch.join(format!("{}-{}-{base}", case.suite, case.name));
        std::fs::write(&copy, text).map_err(|e| format!("cannot write {}: {e}", copy.display()))?;
        copy.display().to_string()
    } else {
        conf
    };

    let mut args: Vec<String> = Vec::new();
    for file in &case.validate_rules_file {
        args.extend(["-V".to_string(), file.clone()]);
    }
    for file in &case.rules_file {
        args.extend(["-r".to_string(), substitute_build_dir(file, &layout.legacy)]);
    }
    for rule in &case.disabled_rules {
        args.extend(["-D".to_string(), rule.clone()]);
    }
    args.extend(["-c".to_string(), conf_arg]);
    if let Some(trace) = &case.trace_file {
        args.extend(["-e".to_string(), trace.clone()]);
    }
    let json_output = case.json_output || !case.validate_rules_file.is_empty();
    for (key, value) in [
        ("json_output", python_bool(json_output)),
        (
            "json_include_output_property",
            python_bool(case.json_include_output_property),
        ),
        (
            "json_include_tags_property",
            python_bool(case.json_include_tags_property),
        ),
        ("priority", case.priority.as_str()),
    ] {
        args.extend(["-o".to_string(), format!("{key}={value}")]);
    }
    args.push("-v".to_string());
    for source in &case.enable_source {
        args.push(format!("--enable-source={source}"));
    }
    if let Some(extra) = &case.addl_cmdline_opts {
        let words = shlex::split(extra)
            .ok_or_else(|| format!("addl_cmdline_opts is not a valid shell command line: {extra}"))?;
        args.extend(words);
    }
    for tag in &case.disable_tags {
        args.extend(["-T".to_string(), tag.clone()]);
    }
    for tag in &case.run_tags {
        args.extend(["-t".to_string(), tag.clone()]);
    }
    if let Some(seconds) = case.run_duration {
        args.extend(["-M".to_string(), seconds.to_string()]);
    }
    if case.all_events {
        args.push("-A".to_string());
    }
    if case.time_iso_8601 {
        args.extend(["-o".to_string(), "time_format_iso_8601=true".to_string()]);
    }

    let output_files = case
        .output_strictly_contains
        .iter()
        .map(|(actual, _)| actual)
        .chain(case.outputs.iter().map(|(file, _)| file))
        .filter(|actual| *actual != "stdout")
        .map(|actual| test_dir.join(actual))
        .collect();
    Ok(Prepared::Run(Invocation {
        program: engine.to_path_buf(),
        args,
        cwd: test_dir,
        env: vec![(HOSTNAME_ENV.0.to_string(), HOSTNAME_ENV.1.to_string())],
        output_files,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::parse_suite;

    fn layout(plugins: Option<&str>) -> Layout {
        Layout {
            legacy: PathBuf::from("/c/falco-legacy"),
            scratch: PathBuf::from("/scratch"),
            plugins_dir: plugins.map(PathBuf::from),
            test_plugins_dir: plugins.map(PathBuf::from),
            grpcurl: None,
        }
    }

    #[test]
    fn build_dir_paths_map_to_test_and_build() {
        let legacy = Path::new("/c/falco-legacy");
        assert_eq!(
            substitute_build_dir("BUILD_DIR/test/rules/a.yaml", legacy),
            "/c/falco-legacy/test/rules/a.yaml"
        );
        assert_eq!(
            substitute_build_dir(
                "BUILD_DIR/k8saudit-rules-prefix/src/k8saudit-rules/k8s_audit_rules.yaml",
                legacy
            ),
            "/c/falco-legacy/build/k8saudit-rules-prefix/src/k8saudit-rules/k8s_audit_rules.yaml"
        );
        assert_eq!(substitute_build_dir("rules/a.yaml", legacy), "rules/a.yaml");
    }

    #[test]
    fn plugin_confs_get_real_plugin_paths() {
        let conf = "plugins:\n  - name: k8saudit\n    library_path: BUILD_DIR/k8saudit-plugin-prefix/src/k8saudit-plugin/libk8saudit.so\n    open_params: \"BUILD_DIR/test/trace_files/plugins/a.json\"\n  - name: p1\n    library_path: BUILD_DIR/test/plugins/libtest_extract_p1.so\n  - name: w\n    library_path: BUILD_DIR/test/plugins/wrong_plugin_path.so\nload_plugins: [k8saudit, p1]\n";
        let (text, needed) = substitute_plugin_conf(conf, &layout(Some("/p"))).unwrap();
        assert!(text.contains("library_path: /p/libk8saudit.so\n"), "{text}");
        assert!(
            text.contains("\"/c/falco-legacy/test/trace_files/plugins/a.json\""),
            "{text}"
        );
        assert!(text.contains("library_path: /p/libtest_extract_p1.so\n"), "{text}");
        assert!(text.contains("/scratch/does-not-exist/wrong_plugin_path.so"), "{text}");
        assert!(!text.contains("BUILD_DIR"));
        assert_eq!(
            needed,
            [
                PathBuf::from("/p/libk8saudit.so"),
                PathBuf::from("/p/libtest_extract_p1.so")
            ]
        );
        let err = substitute_plugin_conf(conf, &layout(None)).unwrap_err();
        assert!(err.contains("libk8saudit.so") && err.contains("--plugins-dir"), "{err}");
    }

    #[test]
    fn command_line_follows_the_readme_order() {
        let suite = "trace_files: !mux\n  t:\n    validate_rules_file: rules/v.yaml\n    rules_file: [rules/a.yaml, BUILD_DIR/test/rules/b.yaml]\n    disabled_rules: [x y]\n    trace_file: trace_files/cat_write.scap\n    enable_source: k8s_audit\n    addl_cmdline_opts: -o plugins[0].open_params='a b.json' --list\n    disable_tags: [t1]\n    run_duration: 5\n    all_events: True\n    time_iso_8601: True\n    priority: WARNING\n";
        let case = parse_suite(suite, Path::new("s.yaml"), "s").unwrap().remove(0);
        // A conf without placeholders is passed as written, so use a real file as conf_file.
        let dir = std::env::temp_dir().join(format!("saker-conformance-cmd-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("test")).unwrap();
        std::fs::write(dir.join("falco.yaml"), "json_output: false\n").unwrap();
        let mut lay = layout(None);
        lay.legacy = dir.clone();
        let Prepared::Run(run) = prepare(&case, &lay, Path::new("/bin/saker")).unwrap() else {
            panic!("skipped")
        };
        let b = dir.join("test/rules/b.yaml").display().to_string();
        let expected: Vec<&str> = vec![
            "-V",
            "rules/v.yaml",
            "-r",
            "rules/a.yaml",
            "-r",
            &b,
            "-D",
            "x y",
            "-c",
            "../falco.yaml",
            "-e",
            "trace_files/cat_write.scap",
            "-o",
            "json_output=True",
            "-o",
            "json_include_output_property=True",
            "-o",
            "json_include_tags_property=True",
            "-o",
            "priority=WARNING",
            "-v",
            "--enable-source=k8s_audit",
            "-o",
            "plugins[0].open_params=a b.json",
            "--list",
            "-T",
            "t1",
            "-M",
            "5",
            "-A",
            "-o",
            "time_format_iso_8601=true",
        ];
        assert_eq!(run.args, expected);
        assert_eq!(run.cwd, dir.join("test"));
        assert_eq!(
            run.env,
            [("FALCO_HOSTNAME".to_string(), "test-falco-hostname".to_string())]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
