//! Output keys: formats, sinks, rate limiting and `append_output` (Falco 0.35–0.44).

use super::read::Reader;
use super::tree::Tree;
use super::ConfigError;
use crate::outputs::http;

/// `outputs` (Falco ≤ 0.37: a token bucket on alerts; 0 means unlimited).
#[derive(Debug, Clone, PartialEq)]
pub struct OutputRate {
    pub rate: f64,
    pub max_burst: u64,
}

/// `outputs_queue` (Falco 0.37+): the alert queue bound; 0 means Falco's "unbounded", which
/// Saker replaces by its own bounded default.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputsQueue {
    pub capacity: u64,
    /// `outputs_queue.policy` (Saker): `block` (default: wait, lose nothing) or `drop` (count
    /// and drop alerts a full sink queue cannot take).
    pub drop_when_full: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FileOutput {
    pub enabled: bool,
    pub keep_alive: bool,
    pub filename: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProgramOutput {
    pub enabled: bool,
    pub keep_alive: bool,
    pub program: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HttpOutput {
    pub enabled: bool,
    pub url: String,
    pub user_agent: String,
    pub insecure: bool,
    pub ca_cert: String,
    pub ca_bundle: String,
    pub ca_path: String,
    pub mtls: bool,
    pub client_cert: String,
    pub client_key: String,
    pub echo: bool,
    pub compress_uploads: bool,
    pub keep_alive: bool,
    pub max_consecutive_timeouts: u64,
    /// `http_output.headers` (Saker): extra request headers, name to value.
    pub headers: Vec<(String, String)>,
    /// `http_output.max_connections` (Saker): requests in flight at once (1 = Falco's one at a
    /// time, in order).
    pub max_connections: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Grpc {
    pub enabled: bool,
    pub bind_address: String,
    pub threadiness: u64,
    pub private_key: String,
    pub cert_chain: String,
    pub root_certs: String,
}

/// One `append_output` entry (Falco 0.39+).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AppendOutput {
    pub match_source: Option<String>,
    pub match_tags: Vec<String>,
    pub match_rule: Option<String>,
    pub extra_output: Option<String>,
    /// `extra_fields` items: a field name, or a `{name: expression}` mapping.
    pub extra_fields: Vec<(String, Option<String>)>,
    pub suggested_output: bool,
}

/// Every output-related key.
#[derive(Debug, Clone, PartialEq)]
pub struct Outputs {
    pub json_output: bool,
    pub json_include_output_property: bool,
    pub json_include_tags_property: bool,
    pub json_include_message_property: bool,
    pub json_include_output_fields_property: bool,
    pub time_format_iso_8601: bool,
    pub buffered_outputs: bool,
    pub buffer_format_base64: bool,
    /// `output_timeout` in milliseconds.
    pub output_timeout_ms: u64,
    pub rate: OutputRate,
    pub queue: OutputsQueue,
    pub append_output: Vec<AppendOutput>,
    /// `static_fields`: extra fields added to every alert, as a JSON object.
    pub static_fields: serde_json::Map<String, serde_json::Value>,
    pub stdout_enabled: bool,
    pub syslog_enabled: bool,
    pub file: FileOutput,
    pub program: ProgramOutput,
    pub http: HttpOutput,
    pub grpc: Grpc,
    pub grpc_output_enabled: bool,
}

impl Outputs {
    /// Defaults are Falco's for an absent key (which differ from the shipped `falco.yaml`:
    /// `stdout_output.enabled` absent means false).
    pub(super) fn read(r: &Reader<'_>) -> Result<Outputs, ConfigError> {
        let mut append_output = Vec::new();
        for (i, entry) in r.seq("append_output")?.iter().enumerate() {
            let base = format!("append_output[{i}]");
            let er = Reader { root: entry };
            let mut extra_fields = Vec::new();
            for (j, field) in er.seq("extra_fields")?.iter().enumerate() {
                match &field.value {
                    Tree::Scalar(name, _) => extra_fields.push((name.clone(), None)),
                    Tree::Map(pairs) => {
                        for (name, expr) in pairs {
                            let expr = expr.as_str().ok_or_else(|| ConfigError::Type {
                                origin: expr.origin.clone(),
                                key: format!("{base}.extra_fields[{j}].{name}"),
                                expected: "a field expression string".into(),
                                found: expr.describe(),
                            })?;
                            extra_fields.push((name.clone(), Some(expr.to_string())));
                        }
                    }
                    Tree::Seq(_) => {
                        return Err(ConfigError::Type {
                            origin: field.origin.clone(),
                            key: format!("{base}.extra_fields[{j}]"),
                            expected: "a field name or a {name: expression} mapping".into(),
                            found: field.describe(),
                        })
                    }
                }
            }
            append_output.push(AppendOutput {
                match_source: er.opt_string("match.source")?,
                match_tags: er.str_list("match.tags")?.unwrap_or_default(),
                match_rule: er.opt_string("match.rule")?,
                extra_output: er.opt_string("extra_output")?,
                extra_fields,
                suggested_output: er.bool("suggested_output", false)?,
            });
        }
        let static_fields = match r.get("static_fields") {
            Some(item) => match item.to_yaml().to_json() {
                serde_json::Value::Object(map) => map,
                _ => {
                    return Err(ConfigError::Type {
                        origin: item.origin.clone(),
                        key: "static_fields".into(),
                        expected: "a mapping".into(),
                        found: item.describe(),
                    })
                }
            },
            None => serde_json::Map::new(),
        };
        Ok(Outputs {
            json_output: r.bool("json_output", false)?,
            json_include_output_property: r.bool("json_include_output_property", true)?,
            json_include_tags_property: r.bool("json_include_tags_property", true)?,
            json_include_message_property: r.bool("json_include_message_property", false)?,
            json_include_output_fields_property: r.bool("json_include_output_fields_property", true)?,
            time_format_iso_8601: r.bool("time_format_iso_8601", false)?,
            buffered_outputs: r.bool("buffered_outputs", false)?,
            buffer_format_base64: r.bool("buffer_format_base64", false)?,
            output_timeout_ms: r.u64("output_timeout", 2000)?,
            rate: OutputRate {
                rate: r.f64("outputs.rate", 0.0)?,
                max_burst: r.u64("outputs.max_burst", 1000)?,
            },
            queue: OutputsQueue {
                capacity: r.u64("outputs_queue.capacity", 0)?,
                drop_when_full: match r.string("outputs_queue.policy", "block")?.as_str() {
                    "block" => false,
                    "drop" => true,
                    other => {
                        return Err(r.invalid(
                            "outputs_queue.policy",
                            format!("unknown policy '{other}'; use 'block' or 'drop'"),
                        ))
                    }
                },
            },
            append_output,
            static_fields,
            stdout_enabled: r.bool("stdout_output.enabled", false)?,
            syslog_enabled: r.bool("syslog_output.enabled", false)?,
            file: FileOutput {
                enabled: r.bool("file_output.enabled", false)?,
                keep_alive: r.bool("file_output.keep_alive", false)?,
                filename: r.string("file_output.filename", "")?,
            },
            program: ProgramOutput {
                enabled: r.bool("program_output.enabled", false)?,
                keep_alive: r.bool("program_output.keep_alive", false)?,
                program: r.string("program_output.program", "")?,
            },
            http: HttpOutput {
                enabled: r.bool("http_output.enabled", false)?,
                url: r.string("http_output.url", "")?,
                user_agent: r.string("http_output.user_agent", "falcosecurity/falco")?,
                insecure: r.bool("http_output.insecure", false)?,
                ca_cert: r.string("http_output.ca_cert", "")?,
                ca_bundle: r.string("http_output.ca_bundle", "")?,
                ca_path: r.string("http_output.ca_path", "/etc/ssl/certs")?,
                mtls: r.bool("http_output.mtls", false)?,
                client_cert: r.string("http_output.client_cert", "/etc/ssl/certs/client.crt")?,
                client_key: r.string("http_output.client_key", "/etc/ssl/certs/client.key")?,
                echo: r.bool("http_output.echo", false)?,
                compress_uploads: r.bool("http_output.compress_uploads", false)?,
                keep_alive: r.bool("http_output.keep_alive", false)?,
                max_consecutive_timeouts: r.u64("http_output.max_consecutive_timeouts", 5)?,
                headers: read_headers(r)?,
                max_connections: read_max_connections(r)?,
            },
            grpc: Grpc {
                enabled: r.bool("grpc.enabled", false)?,
                bind_address: r.string("grpc.bind_address", "0.0.0.0:5060")?,
                threadiness: r.u64("grpc.threadiness", 0)?,
                private_key: r.string("grpc.private_key", "/etc/falco/certs/server.key")?,
                cert_chain: r.string("grpc.cert_chain", "/etc/falco/certs/server.crt")?,
                root_certs: r.string("grpc.root_certs", "/etc/falco/certs/ca.crt")?,
            },
            grpc_output_enabled: r.bool("grpc_output.enabled", false)?,
        })
    }
}

/// `http_output.max_connections`: 1 up to [`http::MAX_CONNECTIONS`].
fn read_max_connections(r: &Reader<'_>) -> Result<u64, ConfigError> {
    const KEY: &str = "http_output.max_connections";
    let n = r.u64(KEY, http::DEFAULT_MAX_CONNECTIONS as u64)?;
    if n == 0 || n > http::MAX_CONNECTIONS as u64 {
        return Err(r.invalid(
            KEY,
            format!(
                "{n} is out of range; use 1 (one request at a time, in order, as Falco) up to {}",
                http::MAX_CONNECTIONS
            ),
        ));
    }
    Ok(n)
}

/// `http_output.headers`: a mapping of header names to string values.
fn read_headers(r: &Reader<'_>) -> Result<Vec<(String, String)>, ConfigError> {
    let Some(item) = r.get("http_output.headers") else {
        return Ok(Vec::new());
    };
    let Tree::Map(pairs) = &item.value else {
        return Err(ConfigError::Type {
            origin: item.origin.clone(),
            key: "http_output.headers".into(),
            expected: "a mapping of header names to values".into(),
            found: item.describe(),
        });
    };
    pairs
        .iter()
        .map(|(name, value)| match value.as_str() {
            Some(v) => Ok((name.clone(), v.to_string())),
            None => Err(ConfigError::Type {
                origin: value.origin.clone(),
                key: format!("http_output.headers.{name}"),
                expected: "a string header value".into(),
                found: value.describe(),
            }),
        })
        .collect()
}
