//! TLS for the https webhook: rustls with the `ring` provider, certificate and key from PEM.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use thiserror::Error;
use tokio_rustls::TlsAcceptor;

use super::TlsConfig;

/// Why the https webhook's certificate or key could not be used.
#[derive(Debug, Error)]
pub enum TlsError {
    #[error(
        "cannot read certificates from {path}: {source}; give a PEM file with \
         `-----BEGIN CERTIFICATE-----` blocks (Falco's `sslCertificate` may hold cert and key)"
    )]
    ReadCertificates {
        path: PathBuf,
        source: rustls::pki_types::pem::Error,
    },
    #[error("{path} holds no `CERTIFICATE` PEM block; add the server certificate (and its chain)")]
    NoCertificate { path: PathBuf },
    #[error(
        "cannot read a private key from {path}: {source}; give a PEM file with a \
         `PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY` block"
    )]
    ReadKey {
        path: PathBuf,
        source: rustls::pki_types::pem::Error,
    },
    #[error("certificate {cert_path} and key {key_path} cannot be used together: {source}")]
    Config {
        cert_path: PathBuf,
        key_path: PathBuf,
        source: rustls::Error,
    },
}

/// Builds the TLS acceptor; `cert_pem_path` and `key_pem_path` may name the same file.
pub(crate) fn acceptor(config: &TlsConfig) -> Result<TlsAcceptor, TlsError> {
    let certificates = read_certificates(&config.cert_pem_path)?;
    let key = PrivateKeyDer::from_pem_file(&config.key_pem_path).map_err(|source| TlsError::ReadKey {
        path: config.key_pem_path.clone(),
        source,
    })?;
    let config_error = |source| TlsError::Config {
        cert_path: config.cert_pem_path.clone(),
        key_path: config.key_pem_path.clone(),
        source,
    };
    let mut server = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(config_error)?
        .with_no_client_auth()
        .with_single_cert(certificates, key)
        .map_err(config_error)?;
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(server)))
}

fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let read_error = |source| TlsError::ReadCertificates {
        path: path.to_owned(),
        source,
    };
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(read_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(read_error)?;
    if certificates.is_empty() {
        return Err(TlsError::NoCertificate { path: path.to_owned() });
    }
    Ok(certificates)
}
