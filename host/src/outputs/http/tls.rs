//! The rustls client configuration `http_output` asks for: trusted CAs, optional client
//! certificate, or no verification at all (`insecure`).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::HttpSinkConfig;
use crate::outputs::OutputsError;

pub fn client_config(cfg: &HttpSinkConfig) -> Result<Arc<ClientConfig>, OutputsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| OutputsError::Tls(e.to_string()))?;
    let builder = if cfg.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
    } else {
        builder.with_root_certificates(roots(cfg)?)
    };
    let config = match &cfg.client_cert {
        Some((cert, key)) => {
            let chain = read_certs(cert)?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| OutputsError::Tls(format!("cannot read the client key {key}: {e}")))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| OutputsError::Tls(e.to_string()))?
        }
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

fn read_certs(path: &str) -> Result<Vec<CertificateDer<'static>>, OutputsError> {
    let certs: Result<Vec<_>, _> = CertificateDer::pem_file_iter(path)
        .map_err(|e| OutputsError::Tls(format!("cannot read certificates from {path}: {e}")))?
        .collect();
    certs.map_err(|e| OutputsError::Tls(format!("bad certificate in {path}: {e}")))
}

/// CAs from `ca_cert`/`ca_bundle` files and every PEM file in `ca_path`.
fn roots(cfg: &HttpSinkConfig) -> Result<RootCertStore, OutputsError> {
    let mut store = RootCertStore::empty();
    for file in &cfg.ca_files {
        for cert in read_certs(file)? {
            store
                .add(cert)
                .map_err(|e| OutputsError::Tls(format!("CA in {file} rejected: {e}")))?;
        }
    }
    if !cfg.ca_path.is_empty() {
        if let Ok(entries) = std::fs::read_dir(&cfg.ca_path) {
            for entry in entries.flatten() {
                // A CA directory mixes formats and links; unreadable entries are skipped.
                if let Ok(certs) = read_certs(&entry.path().to_string_lossy()) {
                    for cert in certs {
                        let _ = store.add(cert);
                    }
                }
            }
        }
    }
    if store.is_empty() {
        return Err(OutputsError::Tls(format!(
            "no trusted CA found (ca_cert '{}', ca_bundle, ca_path '{}'); set one, or `insecure: true`",
            cfg.ca_files.join(", "),
            cfg.ca_path
        )));
    }
    Ok(store)
}

/// `http_output.insecure`: accept any server certificate (signatures are still checked).
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
