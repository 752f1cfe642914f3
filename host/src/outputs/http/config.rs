//! `http_output` options, checked at startup.

use std::time::Duration;

use crate::config::HttpOutput;
use crate::outputs::OutputsError;

/// Which scheme the URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

/// A parsed `http(s)://host[:port][/path]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub scheme: Scheme,
    pub host: String,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

impl Endpoint {
    pub fn parse(url: &str) -> Result<Endpoint, OutputsError> {
        let bad = |reason: &str| OutputsError::Url {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let (scheme, rest) = if let Some(rest) = url.strip_prefix("http://") {
            (Scheme::Http, rest)
        } else if let Some(rest) = url.strip_prefix("https://") {
            (Scheme::Https, rest)
        } else {
            return Err(bad("the scheme must be http or https"));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].to_string()),
            None => (rest, "/".to_string()),
        };
        let default_port = if scheme == Scheme::Http { 80 } else { 443 };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let end = v6.find(']').ok_or_else(|| bad("unclosed '[' in the host"))?;
            let port = match v6[end + 1..].strip_prefix(':') {
                Some(p) => p.parse().map_err(|_| bad("the port is not a number 0-65535"))?,
                None => default_port,
            };
            (v6[..end].to_string(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (
                    h.to_string(),
                    p.parse().map_err(|_| bad("the port is not a number 0-65535"))?,
                ),
                None => (authority.to_string(), default_port),
            }
        };
        if host.is_empty() {
            return Err(bad("the host is empty"));
        }
        Ok(Endpoint {
            scheme,
            host,
            port,
            path,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct HttpSinkConfig {
    /// `http_output.url`, as written (for messages).
    pub url: String,
    pub endpoint: Endpoint,
    /// `http_output.user_agent`.
    pub user_agent: String,
    /// Extra request headers (name, value).
    pub headers: Vec<(String, String)>,
    /// `http_output.insecure`: do not verify the server's certificate.
    pub insecure: bool,
    /// `http_output.ca_cert`, `ca_bundle`: PEM files of trusted CAs; `ca_path`: a directory of them.
    pub ca_files: Vec<String>,
    pub ca_path: String,
    /// `http_output.mtls`: present `client_cert` / `client_key`.
    pub client_cert: Option<(String, String)>,
    /// `http_output.compress_uploads`: gzip the body.
    pub compress: bool,
    /// `output_timeout`: connect, write and answer deadline per request.
    pub timeout: Duration,
    /// `http_output.max_connections` (Saker): requests in flight at once, one per kept-alive
    /// connection; alerts may arrive out of order when above 1.
    pub max_connections: usize,
}

impl HttpSinkConfig {
    pub fn from_config(cfg: &HttpOutput, timeout: Duration) -> Result<HttpSinkConfig, OutputsError> {
        if cfg.url.is_empty() {
            return Err(OutputsError::MissingKey {
                sink: "http",
                key: "http_output.url",
            });
        }
        let ca_files = [&cfg.ca_cert, &cfg.ca_bundle]
            .into_iter()
            .filter(|f| !f.is_empty())
            .cloned()
            .collect();
        Ok(HttpSinkConfig {
            url: cfg.url.clone(),
            endpoint: Endpoint::parse(&cfg.url)?,
            user_agent: cfg.user_agent.clone(),
            headers: cfg.headers.clone(),
            insecure: cfg.insecure,
            ca_files,
            ca_path: cfg.ca_path.clone(),
            client_cert: cfg.mtls.then(|| (cfg.client_cert.clone(), cfg.client_key.clone())),
            compress: cfg.compress_uploads,
            timeout: if timeout.is_zero() { DEFAULT_TIMEOUT } else { timeout },
            // The configuration checks the range; an embedder's 0 means one connection.
            max_connections: usize::try_from(cfg.max_connections)
                .unwrap_or(MAX_CONNECTIONS)
                .clamp(1, MAX_CONNECTIONS),
        })
    }

    /// Plain defaults for `url` (tests and embedders).
    pub fn for_url(url: &str) -> Result<HttpSinkConfig, OutputsError> {
        Ok(HttpSinkConfig {
            url: url.to_string(),
            endpoint: Endpoint::parse(url)?,
            user_agent: "falcosecurity/falco".into(),
            headers: Vec::new(),
            insecure: false,
            ca_files: Vec::new(),
            ca_path: String::new(),
            client_cert: None,
            compress: false,
            timeout: DEFAULT_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        })
    }
}

/// Connections (requests in flight) when `http_output.max_connections` is absent: enough to
/// keep a loopback or LAN receiver busy (see the outputs benchmark) while staying polite.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4;

/// Largest `http_output.max_connections` accepted (each connection has a thread).
pub const MAX_CONNECTIONS: usize = 64;

/// Request deadline when `output_timeout` is 0.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
