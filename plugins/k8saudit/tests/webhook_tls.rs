//! The https webhook over loopback with a generated certificate and a rustls client.

mod webhook_support;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use k8saudit::webhook::{TlsConfig, Webhook, WebhookConfig, WebhookError};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use webhook_support::{event_list, synthetic_event, synthetic_id, HttpConnection};

const PATH: &str = "/k8s-audit";

/// A scratch directory for one test's PEM files, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("k8saudit-webhook-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Identity {
    cert_pem: String,
    key_pem: String,
    cert_der: CertificateDer<'static>,
}

fn identity() -> Identity {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    Identity {
        cert_pem: generated.cert.pem(),
        key_pem: generated.signing_key.serialize_pem(),
        cert_der: generated.cert.der().clone(),
    }
}

fn start_https(cert_pem_path: &Path, key_pem_path: &Path) -> Result<Webhook, WebhookError> {
    Webhook::start(WebhookConfig {
        tls: Some(TlsConfig {
            cert_pem_path: cert_pem_path.to_owned(),
            key_pem_path: key_pem_path.to_owned(),
        }),
        ..WebhookConfig::new("127.0.0.1:0".parse().unwrap(), PATH)
    })
}

fn connect_tls(
    webhook: &Webhook,
    trusted: &CertificateDer<'static>,
) -> HttpConnection<StreamOwned<ClientConnection, TcpStream>> {
    let mut roots = RootCertStore::empty();
    roots.add(trusted.clone()).unwrap();
    let mut config = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    // Like a client that would prefer HTTP/2: the server must pick HTTP/1.1, all it speaks.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let server_name = ServerName::try_from("localhost").unwrap();
    let connection = ClientConnection::new(Arc::new(config), server_name).unwrap();
    let tcp = TcpStream::connect(webhook.local_addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    HttpConnection::new(StreamOwned::new(connection, tcp))
}

#[test]
fn https_with_cert_and_key_in_one_file_like_falco() {
    let scratch = Scratch::new("one-file");
    let identity = identity();
    let both = scratch.write("falco.pem", &format!("{}{}", identity.key_pem, identity.cert_pem));
    let webhook = start_https(&both, &both).unwrap();
    let mut connection = connect_tls(&webhook, &identity.cert_der);
    // Several requests on one TLS connection (keep-alive).
    for batch in 0..3u64 {
        let items: Vec<String> = (batch * 2..batch * 2 + 2).map(synthetic_event).collect();
        let response = connection
            .post_json(PATH, event_list(items.iter().map(String::as_str)).as_bytes())
            .unwrap();
        assert_eq!(response.status, 200, "{}", response.body);
    }
    let response = connection.post_json(PATH, b"{").unwrap();
    assert_eq!(response.status, 400);
    let ids: Vec<u64> = webhook
        .receiver()
        .try_iter()
        .map(|event| synthetic_id(&event.json))
        .collect();
    assert_eq!(ids, (0..6).collect::<Vec<_>>());
    let counters = webhook.counters();
    assert_eq!(
        (
            counters.connections,
            counters.requests,
            counters.rejected_by_reason.malformed_json
        ),
        (1, 4, 1)
    );
    assert_eq!(
        connection.stream().conn.alpn_protocol(),
        Some(&b"http/1.1"[..]),
        "the server chose HTTP/1.1 over ALPN"
    );
}

#[test]
fn https_with_separate_cert_and_key_files_and_plain_http_clients_refused() {
    let scratch = Scratch::new("two-files");
    let identity = identity();
    let cert = scratch.write("cert.pem", &identity.cert_pem);
    let key = scratch.write("key.pem", &identity.key_pem);
    let webhook = start_https(&cert, &key).unwrap();

    // A plain-http client fails the handshake; the server keeps serving TLS clients.
    let mut plain = HttpConnection::new(TcpStream::connect(webhook.local_addr()).unwrap());
    plain
        .send_raw(&webhook_support::request("POST", PATH, Some("application/json"), b"[]"))
        .unwrap();
    assert!(plain.read_response().is_err(), "no HTTP answer without TLS");
    let response = connect_tls(&webhook, &identity.cert_der)
        .post_json(PATH, synthetic_event(9).as_bytes())
        .unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(webhook.receiver().len(), 1);
    assert_eq!(webhook.counters().tls_handshake_failures, 1);
}

#[test]
fn unusable_certificates_and_keys_are_start_errors_naming_the_file() {
    let scratch = Scratch::new("bad-files");
    let identity = identity();
    let cert = scratch.write("cert.pem", &identity.cert_pem);
    let key = scratch.write("key.pem", &identity.key_pem);
    let missing = scratch.0.join("missing.pem");
    let other_key = scratch.write("other-key.pem", &self::identity().key_pem);

    let cases: [(&Path, &Path, &str); 4] = [
        (&missing, &key, "cannot read certificates from"),
        (&key, &key, "holds no `CERTIFICATE` PEM block"),
        (&cert, &cert, "cannot read a private key from"),
        (&cert, &other_key, "cannot be used together"),
    ];
    for (cert_path, key_path, says) in cases {
        let error = start_https(cert_path, key_path).unwrap_err();
        let message = error.to_string();
        assert!(matches!(error, WebhookError::Tls(_)), "{message}");
        assert!(message.contains(says), "{message:?} lacks {says:?}");
        let named = if says.contains("private key") {
            key_path
        } else {
            cert_path
        };
        assert!(
            message.contains(&named.display().to_string()),
            "{message:?} does not name {}",
            named.display()
        );
    }
}
