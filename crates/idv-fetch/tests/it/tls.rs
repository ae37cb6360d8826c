//! `https` for real: a local TLS server with certificates from a CA made here, the fetcher
//! trusting that CA through a CA file; untrusted certificates and wrong names fail typed.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use idv_fetch::{FetchError, FetchPolicy, Fetcher};
use idv_service_kit::tls::{ClientTls, TlsConfigError, TlsFailure, TlsSettings};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use tempfile::NamedTempFile;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::helpers::{Reply, Stage, assert_redirect_not_followed};

/// A certificate authority made for one test.
struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

impl TestCa {
    fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().unwrap();
        let pem = params.self_signed(&key).unwrap().pem();
        Self {
            issuer: Issuer::new(params, key),
            pem,
        }
    }

    /// The CA certificate in a PEM file, as an operator would configure it.
    fn ca_file(&self) -> NamedTempFile {
        let mut file = NamedTempFile::new().unwrap();
        file.write_all(self.pem.as_bytes()).unwrap();
        file
    }

    /// A TLS server configuration with a certificate for `names` issued by this CA.
    fn server(&self, names: &[&str]) -> Arc<ServerConfig> {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &self.issuer)
            .unwrap();
        let chain: Vec<CertificateDer<'static>> = vec![cert.der().clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        Arc::new(
            ServerConfig::builder()
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .unwrap(),
        )
    }
}

/// TCP on 127.0.0.1 with a TLS handshake per connection (failed handshakes are dropped).
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, address)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, address);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// The programmable stage behind TLS with `server`; its `https://{host}:{port}` address.
async fn start_https(server: Arc<ServerConfig>, host: &str) -> (Stage, String) {
    let stage = Stage::default();
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("https://{host}:{}", tcp.local_addr().unwrap().port());
    let listener = TlsListener {
        tcp,
        acceptor: TlsAcceptor::from(server),
    };
    let app = stage.router();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (stage, address)
}

/// Checks that `error` is the TLS `failure`, says `says`, and does not repeat the query
/// (which held a secret).
fn assert_tls_refused(error: &FetchError, failure: TlsFailure, says: &str) {
    assert!(
        matches!(error, FetchError::Tls { failure: f, .. } if *f == failure),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains(says), "{message}");
    assert!(!message.contains("secret"), "{message}");
}

/// A fetcher trusting the system's roots and the CA in `file`.
fn trusting(file: &NamedTempFile) -> Fetcher {
    let tls = ClientTls::from_settings(&TlsSettings {
        ca_file: Some(file.path().to_owned()),
    })
    .unwrap();
    Fetcher::with_tls(FetchPolicy::default(), &tls).unwrap()
}

#[tokio::test]
async fn https_with_a_ca_file_fetches() {
    let ca = TestCa::new("Test CA");
    let file = ca.ca_file();
    for host in ["127.0.0.1", "localhost"] {
        let (stage, address) = start_https(ca.server(&["127.0.0.1", "localhost"]), host).await;
        stage.set("doc", Reply::Body("application/example", "over tls".into()));
        stage.set("moved", Reply::Redirect(format!("{address}/doc")));
        let fetcher = trusting(&file);
        let fetched = fetcher
            .get(&format!("{address}/doc"), "application/example")
            .await
            .unwrap();
        assert_eq!(fetched.body, b"over tls");
        // Bounds hold over TLS too: redirects are not followed.
        assert_redirect_not_followed(&fetcher, &format!("{address}/moved")).await;
        assert_eq!(stage.hits(), 2);
    }
}

#[tokio::test]
async fn a_certificate_from_an_untrusted_ca_is_refused_typed() {
    let trusted = TestCa::new("Trusted CA");
    let other = TestCa::new("Other CA");
    let file = trusted.ca_file();
    let (stage, address) = start_https(other.server(&["127.0.0.1"]), "127.0.0.1").await;
    stage.set("doc", Reply::Body("text/plain", "never".into()));
    for fetcher in [trusting(&file), crate::helpers::fetcher()] {
        let error = fetcher
            .get(&format!("{address}/doc?session=secret"), "*/*")
            .await
            .unwrap_err();
        assert_tls_refused(&error, TlsFailure::UntrustedCertificate, "not trusted");
        assert!(error.to_string().contains("127.0.0.1"), "{error}");
    }
    assert_eq!(stage.hits(), 0);
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused_typed() {
    let ca = TestCa::new("Test CA");
    let file = ca.ca_file();
    let (stage, address) = start_https(ca.server(&["idsp.example"]), "127.0.0.1").await;
    stage.set("doc", Reply::Body("text/plain", "never".into()));
    let error = trusting(&file)
        .get(&format!("{address}/doc?code=secret"), "*/*")
        .await
        .unwrap_err();
    assert_tls_refused(&error, TlsFailure::NameMismatch, "name mismatch");
    assert_eq!(stage.hits(), 0);
}

#[tokio::test]
async fn plain_http_to_a_remote_host_is_still_refused() {
    let ca = TestCa::new("Test CA");
    let file = ca.ca_file();
    match trusting(&file).get("http://idsp.example/doc", "*/*").await {
        Err(FetchError::NotAllowed { reason }) => assert!(reason.contains("loopback"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_ca_file_that_is_missing_or_holds_no_certificate_is_a_config_error() {
    let missing = ClientTls::with_ca_file(std::path::Path::new("/nonexistent/ca.pem"));
    assert!(
        matches!(missing, Err(TlsConfigError::Read { .. })),
        "{missing:?}"
    );
    let mut empty = NamedTempFile::new().unwrap();
    empty.write_all(b"not a certificate\n").unwrap();
    let error = ClientTls::with_ca_file(empty.path()).unwrap_err();
    assert!(
        matches!(error, TlsConfigError::NoCertificate { .. }),
        "{error:?}"
    );
}
