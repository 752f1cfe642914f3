//! `webserver` options used by the server.

use crate::config::Webserver;

#[derive(Debug, Clone, PartialEq)]
pub struct WebConfig {
    /// `webserver.listen_address` and `listen_port` (port 0: any free port, for tests).
    pub listen_address: String,
    pub listen_port: u16,
    /// `webserver.k8s_healthz_endpoint` (default `/healthz`).
    pub healthz_path: String,
    /// `webserver.prometheus_metrics_enabled`: serve `/metrics`.
    pub metrics: bool,
    /// `webserver.ssl_enabled` / `ssl_certificate`: a PEM file holding the key and the chain.
    pub tls_pem: Option<String>,
}

impl WebConfig {
    pub fn from_config(cfg: &Webserver) -> WebConfig {
        WebConfig {
            listen_address: cfg.listen_address.clone(),
            listen_port: cfg.listen_port,
            healthz_path: cfg.k8s_healthz_endpoint.clone(),
            metrics: cfg.prometheus_metrics_enabled,
            tls_pem: cfg.ssl_enabled.then(|| cfg.ssl_certificate.clone()),
        }
    }
}
