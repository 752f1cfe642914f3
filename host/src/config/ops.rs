//! Operational keys: minimum priority, rule matching, logging, web server, metrics.

use super::read::Reader;
use super::ConfigError;

pub use crate::rules::load::items::Priority;
pub use crate::rules::select::RuleMatching;

#[derive(Debug, Clone, PartialEq)]
pub struct Logging {
    pub level: Priority,
    pub stderr: bool,
    pub syslog: bool,
    pub libs_logger_enabled: bool,
    pub libs_logger_severity: Priority,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Webserver {
    pub enabled: bool,
    pub threadiness: u64,
    pub listen_port: u16,
    pub listen_address: String,
    pub k8s_healthz_endpoint: String,
    pub prometheus_metrics_enabled: bool,
    pub ssl_enabled: bool,
    pub ssl_certificate: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    pub enabled: bool,
    /// As written (`1h`, `15m`, `5000`); the metrics module parses it.
    pub interval: String,
    pub output_rule: bool,
    pub output_file: String,
    pub rules_counters_enabled: bool,
    pub resource_utilization_enabled: bool,
    pub state_counters_enabled: bool,
    pub kernel_event_counters_enabled: bool,
    pub libbpf_stats_enabled: bool,
    pub plugins_metrics_enabled: bool,
    pub convert_memory_to_mb: bool,
    pub include_empty_values: bool,
}

pub(super) fn read_priority(r: &Reader<'_>, path: &str, default: Priority) -> Result<Priority, ConfigError> {
    match r.opt_string(path)? {
        None => Ok(default),
        Some(text) => Priority::parse(&text).ok_or_else(|| {
            r.invalid(
                path,
                format!("unknown priority '{text}'; use one of emergency, alert, critical, error, warning, notice, info, debug"),
            )
        }),
    }
}

pub(super) fn read_rule_matching(r: &Reader<'_>) -> Result<RuleMatching, ConfigError> {
    match r.string("rule_matching", "first")?.as_str() {
        "first" => Ok(RuleMatching::First),
        "all" => Ok(RuleMatching::All),
        other => Err(r.invalid(
            "rule_matching",
            format!("unknown rule_matching '{other}'; use 'first' or 'all'"),
        )),
    }
}

impl Logging {
    pub(super) fn read(r: &Reader<'_>) -> Result<Logging, ConfigError> {
        Ok(Logging {
            level: read_priority(r, "log_level", Priority::Informational)?,
            stderr: r.bool("log_stderr", false)?,
            syslog: r.bool("log_syslog", true)?,
            libs_logger_enabled: r.bool("libs_logger.enabled", true)?,
            libs_logger_severity: read_priority(r, "libs_logger.severity", Priority::Informational)?,
        })
    }
}

impl Webserver {
    pub(super) fn read(r: &Reader<'_>) -> Result<Webserver, ConfigError> {
        let port = r.u64("webserver.listen_port", 8765)?;
        let listen_port = u16::try_from(port)
            .map_err(|_| r.invalid("webserver.listen_port", format!("port {port} is out of range 0-65535")))?;
        Ok(Webserver {
            enabled: r.bool("webserver.enabled", false)?,
            threadiness: r.u64("webserver.threadiness", 0)?,
            listen_port,
            listen_address: r.string("webserver.listen_address", "0.0.0.0")?,
            k8s_healthz_endpoint: r.string("webserver.k8s_healthz_endpoint", "/healthz")?,
            prometheus_metrics_enabled: r.bool("webserver.prometheus_metrics_enabled", false)?,
            ssl_enabled: r.bool("webserver.ssl_enabled", false)?,
            ssl_certificate: r.string("webserver.ssl_certificate", "/etc/falco/falco.pem")?,
        })
    }
}

impl Metrics {
    pub(super) fn read(r: &Reader<'_>) -> Result<Metrics, ConfigError> {
        Ok(Metrics {
            enabled: r.bool("metrics.enabled", false)?,
            interval: r.string("metrics.interval", "5000")?,
            output_rule: r.bool("metrics.output_rule", false)?,
            output_file: r.string("metrics.output_file", "")?,
            rules_counters_enabled: r.bool("metrics.rules_counters_enabled", true)?,
            resource_utilization_enabled: r.bool("metrics.resource_utilization_enabled", true)?,
            state_counters_enabled: r.bool("metrics.state_counters_enabled", true)?,
            kernel_event_counters_enabled: r.bool("metrics.kernel_event_counters_enabled", true)?,
            libbpf_stats_enabled: r.bool("metrics.libbpf_stats_enabled", true)?,
            plugins_metrics_enabled: r.bool("metrics.plugins_metrics_enabled", true)?,
            convert_memory_to_mb: r.bool("metrics.convert_memory_to_mb", true)?,
            include_empty_values: r.bool("metrics.include_empty_values", false)?,
        })
    }
}
