//! Reading the avocado suite files (`trace_files: !mux` with one mapping per test) into typed
//! test cases with the defaults of the conformance README's "Parameters" table.

use std::path::{Path, PathBuf};

use saker::yaml::{self, Node, Value};

/// The four suites of `falco-legacy/test/`, in the order they run.
pub const SUITES: [&str; 4] = [
    "falco_tests",
    "falco_tests_exceptions",
    "falco_k8s_audit_tests",
    "falco_tests_plugins",
];

/// The default `rules_file` (the pinned falco-rules 1.0.1).
pub const DEFAULT_RULES_FILE: &str =
    "BUILD_DIR/falcosecurity-rules-falco-prefix/src/falcosecurity-rules-falco/falco_rules.yaml";
pub const DEFAULT_CONF_FILE: &str = "../falco.yaml";

#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    #[error("cannot read suite {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("suite {path}: {source}")]
    Yaml {
        path: PathBuf,
        #[source]
        source: yaml::YamlError,
    },
    #[error("suite {path}, line {line}: {message}")]
    Shape {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// One expected `-V` error or warning.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExpectedLoadItem {
    pub item_type: String,
    pub item_name: String,
    pub code: String,
    pub message: Option<String>,
    pub message_contains: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct GrpcCheck {
    pub address: String,
    pub proto: String,
    pub service: String,
    pub method: String,
    pub results: Vec<String>,
}

/// One test with every parameter resolved to its value or default.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCase {
    pub suite: String,
    pub name: String,
    pub rules_file: Vec<String>,
    pub validate_rules_file: Vec<String>,
    pub trace_file: Option<String>,
    pub conf_file: String,
    pub detect: bool,
    pub detect_level: Vec<String>,
    pub detect_counts: Vec<(String, u64)>,
    pub check_detection_counts: bool,
    pub exit_status: i32,
    pub validate_ok: Vec<String>,
    pub validate_errors: Vec<ExpectedLoadItem>,
    pub validate_warnings: Vec<ExpectedLoadItem>,
    pub stdout_contains: Vec<String>,
    pub stderr_contains: Vec<String>,
    pub stdout_not_contains: Vec<String>,
    pub stderr_not_contains: Vec<String>,
    pub stdout_is: Option<String>,
    pub stderr_is: Option<String>,
    pub all_events: bool,
    pub priority: String,
    pub json_output: bool,
    pub json_include_output_property: bool,
    pub json_include_tags_property: bool,
    pub disabled_rules: Vec<String>,
    pub disable_tags: Vec<String>,
    pub run_tags: Vec<String>,
    pub enable_source: Vec<String>,
    pub addl_cmdline_opts: Option<String>,
    pub run_duration: Option<u64>,
    pub time_iso_8601: bool,
    /// `(actual, expected_file)`: `actual` is `stdout` or an absolute file path.
    pub output_strictly_contains: Vec<(String, String)>,
    /// `(file, regex)`.
    pub outputs: Vec<(String, String)>,
    pub grpc: Option<GrpcCheck>,
    pub rules_events: Vec<(String, Vec<String>)>,
}

impl TestCase {
    fn new(suite: &str, name: &str) -> TestCase {
        TestCase {
            suite: suite.to_string(),
            name: name.to_string(),
            rules_file: vec![DEFAULT_RULES_FILE.to_string()],
            validate_rules_file: Vec::new(),
            trace_file: None,
            conf_file: DEFAULT_CONF_FILE.to_string(),
            detect: false,
            detect_level: Vec::new(),
            detect_counts: Vec::new(),
            check_detection_counts: true,
            exit_status: 0,
            validate_ok: Vec::new(),
            validate_errors: Vec::new(),
            validate_warnings: Vec::new(),
            stdout_contains: Vec::new(),
            stderr_contains: Vec::new(),
            stdout_not_contains: Vec::new(),
            stderr_not_contains: Vec::new(),
            stdout_is: None,
            stderr_is: None,
            all_events: false,
            priority: "debug".to_string(),
            json_output: false,
            json_include_output_property: true,
            json_include_tags_property: true,
            disabled_rules: Vec::new(),
            disable_tags: Vec::new(),
            run_tags: Vec::new(),
            enable_source: Vec::new(),
            addl_cmdline_opts: None,
            run_duration: None,
            time_iso_8601: false,
            output_strictly_contains: Vec::new(),
            outputs: Vec::new(),
            grpc: None,
            rules_events: Vec::new(),
        }
    }
}

struct Ctx<'a> {
    path: &'a Path,
}

impl Ctx<'_> {
    fn err(&self, node: &Node, message: impl Into<String>) -> SuiteError {
        SuiteError::Shape {
            path: self.path.to_path_buf(),
            line: node.pos.line,
            message: message.into(),
        }
    }

    fn string(&self, node: &Node, key: &str) -> Result<String, SuiteError> {
        node.as_str()
            .map(str::to_string)
            .ok_or_else(|| self.err(node, format!("'{key}' must be a string, found a {}", node.kind())))
    }

    fn boolean(&self, node: &Node, key: &str) -> Result<bool, SuiteError> {
        node.as_bool()
            .ok_or_else(|| self.err(node, format!("'{key}' must be True or False")))
    }

    fn integer(&self, node: &Node, key: &str) -> Result<i64, SuiteError> {
        node.as_i64()
            .ok_or_else(|| self.err(node, format!("'{key}' must be an integer")))
    }

    /// A string, or a list of strings (an empty value is an empty list).
    fn strings(&self, node: &Node, key: &str) -> Result<Vec<String>, SuiteError> {
        if node.is_null() {
            return Ok(Vec::new());
        }
        match &node.value {
            Value::Scalar(s, _) => Ok(vec![s.clone()]),
            Value::Seq(items) => items.iter().map(|i| self.string(i, key)).collect(),
            Value::Map(_) => Err(self.err(node, format!("'{key}' must be a string or a list of strings"))),
        }
    }

    /// A list of mappings, flattened to their `(key, value)` pairs.
    fn pairs<'n>(&self, node: &'n Node, key: &str) -> Result<Vec<(String, &'n Node)>, SuiteError> {
        let items = node
            .as_seq()
            .ok_or_else(|| self.err(node, format!("'{key}' must be a list of mappings")))?;
        let mut out = Vec::new();
        for item in items {
            let entries = item
                .as_map()
                .ok_or_else(|| self.err(item, format!("each '{key}' entry must be a mapping")))?;
            for (k, v) in entries {
                out.push((self.string(k, key)?, v));
            }
        }
        Ok(out)
    }

    fn load_items(&self, node: &Node, key: &str) -> Result<Vec<ExpectedLoadItem>, SuiteError> {
        let items = node
            .as_seq()
            .ok_or_else(|| self.err(node, format!("'{key}' must be a list")))?;
        let mut out = Vec::new();
        for item in items {
            let field = |name: &str| -> Result<Option<String>, SuiteError> {
                item.get(name).map(|v| self.string(v, name)).transpose()
            };
            out.push(ExpectedLoadItem {
                item_type: field("item_type")?.unwrap_or_default(),
                item_name: field("item_name")?.unwrap_or_default(),
                code: field("code")?.unwrap_or_default(),
                message: field("message")?,
                message_contains: field("message_contains")?,
            });
        }
        Ok(out)
    }
}

/// Reads one suite file.
pub fn load_suite(path: &Path, suite: &str) -> Result<Vec<TestCase>, SuiteError> {
    let text = std::fs::read_to_string(path).map_err(|source| SuiteError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_suite(&text, path, suite)
}

pub fn parse_suite(text: &str, path: &Path, suite: &str) -> Result<Vec<TestCase>, SuiteError> {
    let cx = Ctx { path };
    let doc = yaml::parse_document(text)
        .map_err(|source| SuiteError::Yaml {
            path: path.to_path_buf(),
            source,
        })?
        .ok_or_else(|| SuiteError::Shape {
            path: path.to_path_buf(),
            line: 1,
            message: "the suite is empty".into(),
        })?;
    let tests = doc
        .get("trace_files")
        .and_then(Node::as_map)
        .ok_or_else(|| cx.err(&doc, "expected a top-level 'trace_files' mapping of tests"))?;
    let mut cases = Vec::new();
    for (name_node, params) in tests {
        let name = cx.string(name_node, "test name")?;
        let mut case = TestCase::new(suite, &name);
        let entries = params
            .as_map()
            .ok_or_else(|| cx.err(params, format!("test '{name}' must be a mapping of parameters")))?;
        for (key_node, v) in entries {
            let key = cx.string(key_node, "parameter")?;
            let k = key.as_str();
            match k {
                "rules_file" => case.rules_file = cx.strings(v, k)?,
                "validate_rules_file" => case.validate_rules_file = cx.strings(v, k)?,
                "trace_file" => case.trace_file = Some(cx.string(v, k)?),
                "conf_file" => case.conf_file = cx.string(v, k)?,
                "detect" => case.detect = cx.boolean(v, k)?,
                "detect_level" => case.detect_level = cx.strings(v, k)?,
                "detect_counts" => {
                    case.detect_counts = cx
                        .pairs(v, k)?
                        .into_iter()
                        .map(|(rule, n)| {
                            let count = cx.integer(n, k)?;
                            u64::try_from(count)
                                .map(|c| (rule, c))
                                .map_err(|_| cx.err(n, "a detect_counts count must be >= 0"))
                        })
                        .collect::<Result<_, _>>()?
                }
                "check_detection_counts" => case.check_detection_counts = cx.boolean(v, k)?,
                "exit_status" => {
                    case.exit_status =
                        i32::try_from(cx.integer(v, k)?).map_err(|_| cx.err(v, "exit_status out of range"))?
                }
                "validate_ok" => case.validate_ok = cx.strings(v, k)?,
                "validate_errors" => case.validate_errors = cx.load_items(v, k)?,
                "validate_warnings" => case.validate_warnings = cx.load_items(v, k)?,
                "stdout_contains" => case.stdout_contains = cx.strings(v, k)?,
                "stderr_contains" => case.stderr_contains = cx.strings(v, k)?,
                "stdout_not_contains" => case.stdout_not_contains = cx.strings(v, k)?,
                "stderr_not_contains" => case.stderr_not_contains = cx.strings(v, k)?,
                "stdout_is" => case.stdout_is = Some(cx.string(v, k)?),
                "stderr_is" => case.stderr_is = Some(cx.string(v, k)?),
                "all_events" => case.all_events = cx.boolean(v, k)?,
                "priority" => case.priority = cx.string(v, k)?,
                "json_output" => case.json_output = cx.boolean(v, k)?,
                "json_include_output_property" => case.json_include_output_property = cx.boolean(v, k)?,
                "json_include_tags_property" => case.json_include_tags_property = cx.boolean(v, k)?,
                "disabled_rules" => case.disabled_rules = cx.strings(v, k)?,
                "disable_tags" => case.disable_tags = cx.strings(v, k)?,
                "run_tags" => case.run_tags = cx.strings(v, k)?,
                "enable_source" => case.enable_source = cx.strings(v, k)?,
                "addl_cmdline_opts" => case.addl_cmdline_opts = Some(cx.string(v, k)?),
                "run_duration" => {
                    case.run_duration =
                        Some(u64::try_from(cx.integer(v, k)?).map_err(|_| cx.err(v, "run_duration must be >= 0"))?)
                }
                "time_iso_8601" => case.time_iso_8601 = cx.boolean(v, k)?,
                "output_strictly_contains" => {
                    case.output_strictly_contains = cx
                        .pairs(v, k)?
                        .into_iter()
                        .map(|(actual, expected)| Ok((actual, cx.string(expected, k)?)))
                        .collect::<Result<_, SuiteError>>()?
                }
                "outputs" => {
                    case.outputs = cx
                        .pairs(v, k)?
                        .into_iter()
                        .map(|(file, regex)| Ok((file, cx.string(regex, k)?)))
                        .collect::<Result<_, SuiteError>>()?
                }
                "grpc" => {
                    let field = |name: &str| -> Result<String, SuiteError> {
                        v.get(name)
                            .map(|n| cx.string(n, name))
                            .unwrap_or_else(|| Err(cx.err(v, format!("grpc needs '{name}'"))))
                    };
                    case.grpc = Some(GrpcCheck {
                        address: field("address")?,
                        proto: field("proto")?,
                        service: field("service")?,
                        method: field("method")?,
                        results: v
                            .get("results")
                            .map(|r| cx.strings(r, "results"))
                            .transpose()?
                            .unwrap_or_default(),
                    });
                }
                "rules_events" => {
                    case.rules_events = cx
                        .pairs(v, k)?
                        .into_iter()
                        .map(|(rule, types)| Ok((rule, cx.strings(types, k)?)))
                        .collect::<Result<_, SuiteError>>()?
                }
                "rules_warning" => {}
                other => return Err(cx.err(key_node, format!("test '{name}': unknown parameter '{other}'"))),
            }
        }
        cases.push(case);
    }
    Ok(cases)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conformance() -> Option<PathBuf> {
        let mut dir = Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf();
        loop {
            if dir.join("shared/conformance/falco-legacy").is_dir() {
                return Some(dir.join("shared/conformance"));
            }
            if !dir.pop() {
                eprintln!("skipped: no shared/conformance above {}", env!("CARGO_MANIFEST_DIR"));
                return None;
            }
        }
    }

    #[test]
    fn the_four_suites_parse_with_their_documented_sizes() {
        let Some(root) = conformance() else { return };
        let test_dir = root.join("falco-legacy/test");
        let sizes: Vec<usize> = SUITES
            .iter()
            .map(|s| load_suite(&test_dir.join(format!("{s}.yaml")), s).unwrap().len())
            .collect();
        assert_eq!(sizes, [69, 20, 44, 7], "README: 69 + 20 + 44 + 7 = 140 tests");

        let tests = load_suite(&test_dir.join("falco_tests.yaml"), "falco_tests").unwrap();
        let grpc = tests.iter().find(|t| t.name == "grpc_unix_socket_outputs").unwrap();
        let check = grpc.grpc.as_ref().unwrap();
        assert_eq!(check.address, "unix:///tmp/falco/falco.sock");
        assert!(check.results.iter().any(|r| r == "priority: WARNING"));
        let drops = tests.iter().find(|t| t.name == "catchall_order").unwrap();
        assert!(drops.detect_counts.contains(&("dev_null".to_string(), 3)));
        let default = tests.iter().find(|t| t.name == "builtin_rules_no_warnings").unwrap();
        assert_eq!(default.rules_file, [DEFAULT_RULES_FILE]);
        assert_eq!(default.conf_file, DEFAULT_CONF_FILE);
        assert!(root
            .join("falco-legacy/build/falcosecurity-rules-falco-prefix/src/falcosecurity-rules-falco/falco_rules.yaml")
            .is_file());
    }

    #[test]
    fn unknown_parameters_and_bad_types_are_reported_with_lines() {
        let err = parse_suite("trace_files: !mux\n  t:\n    detekt: True\n", Path::new("s.yaml"), "s").unwrap_err();
        assert!(
            err.to_string().contains("line 3") && err.to_string().contains("detekt"),
            "{err}"
        );
        let err = parse_suite("trace_files: !mux\n  t:\n    detect: maybe\n", Path::new("s.yaml"), "s").unwrap_err();
        assert!(err.to_string().contains("True or False"), "{err}");
        let err = parse_suite("tests: {}\n", Path::new("s.yaml"), "s").unwrap_err();
        assert!(err.to_string().contains("trace_files"), "{err}");
    }
}
