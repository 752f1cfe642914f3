//! Every key of Falco's `falco.yaml` (0.35 and 0.44, plus Saker's own `saker` section) with its
//! type. Loading checks the merged tree against this table: an unknown key is a warning (Falco
//! warns too, and old configs must keep working), a value of the wrong type is an error.

use super::tree::{Item, Tree};
use super::{ConfigError, ConfigWarning};

/// The type of a configuration value. A null value (`key:` or `key: ~`) is accepted for every
/// kind and means "unset".
#[derive(Debug)]
pub enum Kind {
    Bool,
    Int,
    Float,
    /// Any scalar; numbers and booleans are read as their text.
    Str,
    /// A sequence of scalars, or a single scalar meaning a one-item list (as Falco).
    StrList,
    List(&'static Kind),
    Map(&'static [Field]),
    /// A mapping with free keys (`static_fields`, `container_engines`).
    OpenMap,
    /// Anything (`init_config`, `extra_fields` items).
    Any,
    OneOf(&'static [Kind]),
}

#[derive(Debug)]
pub struct Field(pub &'static str, pub Kind);

impl Kind {
    fn expected(&self) -> String {
        match self {
            Kind::Bool => "a boolean (true/false)".into(),
            Kind::Int => "an integer".into(),
            Kind::Float => "a number".into(),
            Kind::Str => "a string".into(),
            Kind::StrList => "a list of strings".into(),
            Kind::List(_) => "a list".into(),
            Kind::Map(_) | Kind::OpenMap => "a mapping".into(),
            Kind::Any => "any value".into(),
            Kind::OneOf(kinds) => kinds.iter().map(Kind::expected).collect::<Vec<_>>().join(" or "),
        }
    }
}

const OUTPUT: Kind = Kind::Map(&[Field("enabled", Kind::Bool)]);
const ABLE: Kind = Kind::Map(&[Field("rule", Kind::Str), Field("tag", Kind::Str)]);
const BUF: &[Field] = &[
    Field("buf_size_preset", Kind::Int),
    Field("drop_failed_exit", Kind::Bool),
];

/// The top level of `falco.yaml`.
pub const FALCO_YAML: Kind = Kind::Map(&[
    Field(
        "config_files",
        Kind::List(&Kind::OneOf(&[
            Kind::Str,
            Kind::Map(&[Field("path", Kind::Str), Field("strategy", Kind::Str)]),
        ])),
    ),
    Field("watch_config_files", Kind::Bool),
    Field("rules_files", Kind::StrList),
    Field("rules_file", Kind::StrList),
    Field("rule_files", Kind::StrList),
    Field(
        "rules",
        Kind::List(&Kind::Map(&[Field("disable", ABLE), Field("enable", ABLE)])),
    ),
    Field(
        "engine",
        Kind::Map(&[
            Field("kind", Kind::Str),
            Field("kmod", Kind::Map(BUF)),
            Field(
                "ebpf",
                Kind::Map(&[
                    Field("probe", Kind::Str),
                    Field("buf_size_preset", Kind::Int),
                    Field("drop_failed_exit", Kind::Bool),
                ]),
            ),
            Field(
                "modern_ebpf",
                Kind::Map(&[
                    Field("cpus_for_each_buffer", Kind::Int),
                    Field("buf_size_preset", Kind::Int),
                    Field("drop_failed_exit", Kind::Bool),
                    Field("disable_iterators", Kind::Bool),
                ]),
            ),
            Field("replay", Kind::Map(&[Field("capture_file", Kind::Str)])),
            Field(
                "gvisor",
                Kind::Map(&[Field("config", Kind::Str), Field("root", Kind::Str)]),
            ),
        ]),
    ),
    Field(
        "capture",
        Kind::Map(&[
            Field("enabled", Kind::Bool),
            Field("path_prefix", Kind::Str),
            Field("mode", Kind::Str),
            Field("default_duration", Kind::Int),
            Field("max_file_size_mb", Kind::Int),
        ]),
    ),
    Field("load_plugins", Kind::StrList),
    Field(
        "plugins",
        Kind::List(&Kind::Map(&[
            Field("name", Kind::Str),
            Field("library_path", Kind::Str),
            Field("init_config", Kind::Any),
            Field("open_params", Kind::Str),
        ])),
    ),
    Field("plugins_hostinfo", Kind::Bool),
    Field("time_format_iso_8601", Kind::Bool),
    Field("buffer_format_base64", Kind::Bool),
    Field("priority", Kind::Str),
    Field("json_output", Kind::Bool),
    Field("json_include_output_property", Kind::Bool),
    Field("json_include_message_property", Kind::Bool),
    Field("json_include_output_fields_property", Kind::Bool),
    Field("json_include_tags_property", Kind::Bool),
    Field("buffered_outputs", Kind::Bool),
    Field("rule_matching", Kind::Str),
    Field(
        "outputs",
        Kind::Map(&[Field("rate", Kind::Float), Field("max_burst", Kind::Int)]),
    ),
    Field(
        "outputs_queue",
        Kind::Map(&[
            Field("capacity", Kind::Int),
            Field("recovery", Kind::Int),
            Field("policy", Kind::Str),
        ]),
    ),
    Field(
        "append_output",
        Kind::List(&Kind::Map(&[
            Field(
                "match",
                Kind::Map(&[
                    Field("source", Kind::Str),
                    Field("tags", Kind::StrList),
                    Field("rule", Kind::Str),
                ]),
            ),
            Field("extra_output", Kind::Str),
            Field("extra_fields", Kind::List(&Kind::Any)),
            Field("suggested_output", Kind::Bool),
        ])),
    ),
    Field("static_fields", Kind::OpenMap),
    Field("stdout_output", OUTPUT),
    Field("syslog_output", OUTPUT),
    Field(
        "file_output",
        Kind::Map(&[
            Field("enabled", Kind::Bool),
            Field("keep_alive", Kind::Bool),
            Field("filename", Kind::Str),
        ]),
    ),
    Field(
        "http_output",
        Kind::Map(&[
            Field("enabled", Kind::Bool),
            Field("url", Kind::Str),
            Field("user_agent", Kind::Str),
            Field("insecure", Kind::Bool),
            Field("ca_cert", Kind::Str),
            Field("ca_bundle", Kind::Str),
            Field("ca_path", Kind::Str),
            Field("mtls", Kind::Bool),
            Field("client_cert", Kind::Str),
            Field("client_key", Kind::Str),
            Field("echo", Kind::Bool),
            Field("compress_uploads", Kind::Bool),
            Field("keep_alive", Kind::Bool),
            Field("max_consecutive_timeouts", Kind::Int),
            Field("headers", Kind::OpenMap),
            Field("max_connections", Kind::Int),
        ]),
    ),
    Field(
        "program_output",
        Kind::Map(&[
            Field("enabled", Kind::Bool),
            Field("keep_alive", Kind::Bool),
            Field("program", Kind::Str),
        ]),
    ),
    Field("grpc_output", OUTPUT),
    Field(
        "grpc",
        Kind::Map(&[
            Field("enabled", Kind::Bool),
            Field("bind_address", Kind::Str),
            Field("threadiness", Kind::Int),
            Field("private_key", Kind::Str),
            Field("cert_chain", Kind::Str),
            Field("root_certs", Kind::Str),
        ]),
    ),
    Field(
        "webserver",
        Kind::Map(&[
            Field("enabled", Kind::Bool),
            Field("threadiness", Kind::Int),
            Field("listen_port", Kind::Int),
            Field("listen_address", Kind::Str),
            Field("k8s_healthz_endpoint", Kind::Str),
            Field("prometheus_metrics_enabled", Kind::Bool),
            Field("ssl_enabled", Kind::Bool),
            Field("ssl_certificate", Kind::Str),
        ]),
    ),
    Field("log_stderr", Kind::Bool),
    Field("log_syslog", Kind::Bool),
    Field("log_level", Kind::Str),
    Field(
        "libs_logger",
        Kind::Map(&[Field("enabled", Kind::Bool), Field("severity", Kind::Str)]),
    ),
    Field("output_timeout", Kind::Int),
    Field(
        "syscall_event_timeouts",
        Kind::Map(&[Field("max_consecutives", Kind::Int)]),
    ),
    Field(
        "syscall_event_drops",
        Kind::Map(&[
            Field("threshold", Kind::Float),
            Field("actions", Kind::StrList),
            Field("rate", Kind::Float),
            Field("max_burst", Kind::Int),
            Field("simulate_drops", Kind::Bool),
        ]),
    ),
    Field(
        "metrics",
        Kind::Map(&[
            Field("enabled", Kind::Bool),
            Field("interval", Kind::Str),
            Field("output_rule", Kind::Bool),
            Field("output_file", Kind::Str),
            Field("rules_counters_enabled", Kind::Bool),
            Field("resource_utilization_enabled", Kind::Bool),
            Field("state_counters_enabled", Kind::Bool),
            Field("kernel_event_counters_enabled", Kind::Bool),
            Field("kernel_event_counters_per_cpu_enabled", Kind::Bool),
            Field("libbpf_stats_enabled", Kind::Bool),
            Field("plugins_metrics_enabled", Kind::Bool),
            Field("kernel_iter_event_counters_enabled", Kind::Bool),
            Field("jemalloc_stats_enabled", Kind::Bool),
            Field("convert_memory_to_mb", Kind::Bool),
            Field("include_empty_values", Kind::Bool),
        ]),
    ),
    Field(
        "base_syscalls",
        Kind::Map(&[
            Field("all", Kind::Bool),
            Field("custom_set", Kind::StrList),
            Field("repair", Kind::Bool),
        ]),
    ),
    Field(
        "falco_libs",
        Kind::Map(&[
            Field("thread_table_size", Kind::Int),
            Field("thread_table_auto_purging_interval_s", Kind::Int),
            Field("thread_table_auto_purging_thread_timeout_s", Kind::Int),
            Field("snaplen", Kind::Int),
        ]),
    ),
    Field("container_engines", Kind::OpenMap),
    // Falco 0.35 keys that later releases moved under `engine` or dropped.
    Field("syscall_buf_size_preset", Kind::Int),
    Field("syscall_drop_failed_exit", Kind::Bool),
    Field(
        "modern_bpf",
        Kind::Map(&[Field("cpus_for_each_syscall_buffer", Kind::Int)]),
    ),
    Field(
        "metadata_download",
        Kind::Map(&[
            Field("max_mb", Kind::Int),
            Field("chunk_wait_us", Kind::Int),
            Field("watch_freq_sec", Kind::Int),
        ]),
    ),
    // Saker's own keys.
    Field("capture_file", Kind::Str),
    Field(
        "saker",
        Kind::Map(&[Field("plugins_dir", Kind::Str), Field("evaluation_workers", Kind::Int)]),
    ),
]);

/// Checks `item` against `kind`, pushing a warning per unknown key and failing on the first
/// value of the wrong type. `path` is the key path of `item` (`plugins[0].init_config`).
pub fn check(item: &Item, kind: &Kind, path: &str, warnings: &mut Vec<ConfigWarning>) -> Result<(), ConfigError> {
    if item.is_null() {
        return Ok(());
    }
    let mismatch = || ConfigError::Type {
        origin: item.origin.clone(),
        key: path.to_string(),
        expected: kind.expected(),
        found: item.describe(),
    };
    match (kind, &item.value) {
        (Kind::Any, _) => Ok(()),
        (Kind::Bool, Tree::Scalar(s, _)) if scalar_bool(s).is_some() => Ok(()),
        (Kind::Int, Tree::Scalar(s, _)) if scalar_i64(s).is_some() => Ok(()),
        (Kind::Float, Tree::Scalar(s, _)) if scalar_f64(s).is_some() => Ok(()),
        (Kind::Str | Kind::StrList, Tree::Scalar(..)) => Ok(()),
        (Kind::StrList, Tree::Seq(items)) => {
            for (i, element) in items.iter().enumerate() {
                check(element, &Kind::Str, &format!("{path}[{i}]"), warnings)?;
            }
            Ok(())
        }
        (Kind::List(element_kind), Tree::Seq(items)) => {
            for (i, element) in items.iter().enumerate() {
                check(element, element_kind, &format!("{path}[{i}]"), warnings)?;
            }
            Ok(())
        }
        (Kind::OpenMap, Tree::Map(_)) => Ok(()),
        (Kind::Map(fields), Tree::Map(entries)) => {
            for (key, value) in entries {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match fields.iter().find(|f| f.0 == key) {
                    Some(field) => check(value, &field.1, &child, warnings)?,
                    None => warnings.push(ConfigWarning::UnknownKey {
                        origin: value.origin.clone(),
                        key: child,
                    }),
                }
            }
            Ok(())
        }
        (Kind::OneOf(kinds), _) => {
            let mut scratch = Vec::new();
            if kinds.iter().any(|k| check(item, k, path, &mut scratch).is_ok()) {
                warnings.extend(scratch);
                Ok(())
            } else {
                Err(mismatch())
            }
        }
        _ => Err(mismatch()),
    }
}

/// A boolean as yaml-cpp (and so Falco) reads one: `true`, `True`, `yes`, `on`, `y`, …
pub fn scalar_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => Some(true),
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => Some(false),
        _ => None,
    }
}

/// Decimal, `0x` hex and `0o` octal integers with an optional sign.
pub fn scalar_i64(s: &str) -> Option<i64> {
    let s = s.trim();
    let (negative, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let magnitude = if let Some(hex) = digits.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = digits.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()?
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()?
    } else {
        return None;
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// A number, including YAML spellings Rust does not parse (`.1`, `-.5`).
pub fn scalar_f64(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Some(i) = scalar_i64(s) {
        return Some(i as f64);
    }
    let looks_numeric = s
        .trim_start_matches(['-', '+'])
        .starts_with(|c: char| c.is_ascii_digit() || c == '.');
    if !looks_numeric {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}
