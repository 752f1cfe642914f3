//! The plugin's init config (`init_config` in falco.yaml), Falco's keys plus Saker's.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::webhook::DEFAULT_QUEUE_CAPACITY;

/// Falco's default `sslCertificate`.
pub const DEFAULT_SSL_CERTIFICATE: &str = "/etc/falco/falco.pem";
/// Falco's default `maxEventSize` (the Go SDK's default event size, 256 KiB).
pub const DEFAULT_MAX_EVENT_SIZE: u64 = 256 * 1024;
/// Falco's default `webhookMaxBatchSize`: 12 MiB (the API server's 10 MiB batches plus margin).
pub const DEFAULT_WEBHOOK_MAX_BATCH_SIZE: u64 = 12 * 1024 * 1024;

/// JSON schema of the init config (the host validates the config against it before init).
pub const INIT_SCHEMA: &str = r#"{"$schema":"http://json-schema.org/draft-04/schema#","type":"object","properties":{"sslCertificate":{"type":"string","description":"PEM file with the certificate (and the private key, unless sslKey is set) of the https webhook","default":"/etc/falco/falco.pem"},"sslKey":{"type":"string","description":"Saker: PEM file with the private key of the https webhook, when it is not in sslCertificate"},"maxEventSize":{"type":"integer","minimum":1,"description":"Largest audit event accepted, in bytes of compact JSON; larger events are skipped","default":262144},"webhookMaxBatchSize":{"type":"integer","minimum":1,"description":"Largest webhook request body accepted, in bytes","default":12582912},"queueCapacity":{"type":"integer","minimum":1,"description":"Saker: audit events the webhook queues before senders wait","default":16384},"useAsync":{"type":"boolean","description":"Accepted for compatibility with Falco's plugin; ignored"}},"additionalProperties":true}"#;

fn default_ssl_certificate() -> PathBuf {
    PathBuf::from(DEFAULT_SSL_CERTIFICATE)
}
fn default_max_event_size() -> u64 {
    DEFAULT_MAX_EVENT_SIZE
}
fn default_webhook_max_batch_size() -> u64 {
    DEFAULT_WEBHOOK_MAX_BATCH_SIZE
}
fn default_queue_capacity() -> usize {
    DEFAULT_QUEUE_CAPACITY
}

/// The init config. Unknown keys are accepted (as Falco's schema allows) and reported.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct K8sAuditConfig {
    /// PEM with the certificate chain, and the key unless `ssl_key` is set (Falco convention).
    #[serde(default = "default_ssl_certificate")]
    pub ssl_certificate: PathBuf,
    /// Saker: separate PEM key file.
    #[serde(default)]
    pub ssl_key: Option<PathBuf>,
    #[serde(default = "default_max_event_size")]
    pub max_event_size: u64,
    #[serde(default = "default_webhook_max_batch_size")]
    pub webhook_max_batch_size: u64,
    /// Saker: events the webhook queue holds.
    #[serde(default = "default_queue_capacity")]
    pub queue_capacity: usize,
    /// Go SDK option; ignored.
    #[serde(default)]
    pub use_async: Option<bool>,
    #[serde(flatten)]
    pub unknown: BTreeMap<String, serde_json::Value>,
}

impl Default for K8sAuditConfig {
    fn default() -> Self {
        serde_json::from_str("{}").expect("all keys have defaults")
    }
}

impl K8sAuditConfig {
    /// Checks the values; the message names the key and the fix.
    pub fn validate(&self) -> Result<(), String> {
        for (key, v) in [
            ("maxEventSize", self.max_event_size),
            ("webhookMaxBatchSize", self.webhook_max_batch_size),
            ("queueCapacity", self.queue_capacity as u64),
        ] {
            if v == 0 {
                return Err(format!("init_config key `{key}` must be at least 1, found 0"));
            }
        }
        Ok(())
    }
}
