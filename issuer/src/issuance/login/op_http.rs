//! The HTTP client `openidconnect` calls the OP through: an [`idv_fetch::Fetcher`], built once
//! at start-up ([`client`]), so redirects are never followed, every exchange has a timeout, and
//! answers are read up to [`MAX_RESPONSE_BYTES`], checked before and while reading. `https`
//! trusts the system's roots and `[tls] ca_file` ([`idv_service_kit::tls`]); a failed handshake
//! says why (certificate not trusted, name mismatch) in [`OpHttpError::Tls`].

use std::time::Duration;

use idv_fetch::http::PlainHttp;
use idv_fetch::{FetchError, FetchPolicy, Fetcher};
use idv_service_kit::tls::{ClientTls, TlsFailure};
use openidconnect::{HttpRequest, HttpResponse};

/// Largest OP answer read (discovery document, JWKS, token response).
pub(crate) const MAX_RESPONSE_BYTES: usize = 256 * 1024;
/// Time for one exchange with the OP.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Why an exchange with the OP failed. The messages never carry bodies or credentials.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpHttpError {
    /// The request could not be sent or the answer not read.
    #[error("the OP could not be reached: {0}")]
    Transport(String),
    /// The TLS handshake with the OP failed.
    #[error("TLS with the OP failed: {0}")]
    Tls(TlsFailure),
    /// The answer is larger than the limit.
    #[error("the OP's answer is larger than {MAX_RESPONSE_BYTES} bytes")]
    TooLarge,
}

impl From<FetchError> for OpHttpError {
    fn from(error: FetchError) -> Self {
        match error {
            FetchError::Tls { failure, .. } => Self::Tls(failure),
            FetchError::TooLarge { .. } => Self::TooLarge,
            FetchError::Unreachable { reason, .. } => Self::Transport(reason),
            other => Self::Transport(other.to_string()),
        }
    }
}

/// The client for the OP, its `https` trusting `tls`. Plain `http` may go to any host, as
/// `[login] issuer_url` allows.
pub(crate) fn client(tls: &ClientTls) -> Result<Fetcher, FetchError> {
    Fetcher::with_tls(
        FetchPolicy {
            max_bytes: MAX_RESPONSE_BYTES,
            timeout: TIMEOUT,
            plain_http: PlainHttp::AnyHost,
        },
        tls,
    )
}

/// Sends one of `openidconnect`'s requests and reads the answer, bounded. `client` is a cheap
/// clone, taken by value: a future borrowing it would fail the handlers' `Send` bounds.
pub(crate) async fn send(
    client: Fetcher,
    request: HttpRequest,
) -> Result<HttpResponse, OpHttpError> {
    let request = reqwest::Request::try_from(request)
        .map_err(|e| OpHttpError::Transport(e.without_url().to_string()))?;
    let response = client.send(request).await?;
    let mut answer = HttpResponse::new(response.body);
    *answer.status_mut() = response.status;
    *answer.headers_mut() = response.headers;
    Ok(answer)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]
mod tests {
    use std::io::Write as _;
    use std::sync::Arc;

    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio_rustls::TlsAcceptor;
    use tokio_rustls::rustls::ServerConfig;
    use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

    use super::*;

    const DISCOVERY: &str = r#"{"issuer":"https://127.0.0.1"}"#;

    /// A CA made here (its PEM in a file) and an https OP on 127.0.0.1 with a certificate
    /// from it, answering every request with `DISCOVERY`. Returns the CA file and the URL.
    async fn https_op() -> (tempfile::NamedTempFile, String) {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_file = tempfile::NamedTempFile::new().unwrap();
        ca_file
            .write_all(ca_params.self_signed(&ca_key).unwrap().pem().as_bytes())
            .unwrap();
        let ca = Issuer::new(ca_params, ca_key);
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec!["127.0.0.1".to_owned()])
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        let server = ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(server));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "https://127.0.0.1:{}/.well-known/openid-configuration",
            listener.local_addr().unwrap().port()
        );
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    continue;
                };
                let mut request = Vec::new();
                let mut buffer = [0_u8; 1024];
                while !request.ends_with(b"\r\n\r\n") {
                    match tls.read(&mut buffer).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{DISCOVERY}",
                    DISCOVERY.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            }
        });
        (ca_file, url)
    }

    fn get(url: &str) -> HttpRequest {
        openidconnect::http::Request::builder()
            .uri(url)
            .body(Vec::new())
            .unwrap()
    }

    #[tokio::test]
    async fn an_https_op_is_reached_with_the_configured_ca_and_refused_without_it() {
        let (ca_file, url) = https_op().await;
        let tls = ClientTls::with_ca_file(ca_file.path()).unwrap();
        let answer = send(client(&tls).unwrap(), get(&url)).await.unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.body(), DISCOVERY.as_bytes());

        let error = send(
            client(&ClientTls::system()).unwrap(),
            get(&format!("{url}?state=secret")),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(error, OpHttpError::Tls(TlsFailure::UntrustedCertificate)),
            "{error:?}"
        );
        assert!(!error.to_string().contains("secret"), "{error}");
    }
}
