//! The HTTP client `openidconnect` calls the OP through (an async closure over reqwest):
//! redirects are never followed, every exchange has a timeout, and answers are read up to
//! [`MAX_RESPONSE_BYTES`], checked before and while reading. `https` trusts the system's roots
//! and `[tls] ca_file` ([`idv_service_kit::tls`]); a failed handshake says why (certificate not
//! trusted, name mismatch) in [`OpHttpError::Tls`].

use std::time::Duration;

use idv_service_kit::tls::{ClientTls, TlsFailure, TlsSettings, tls_failure};
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

/// A reqwest client for the OP: no redirects, timeouts, `https` trusting `tls`. `None`
/// (logged) when it cannot be built: never fall back to a client that follows redirects.
pub(crate) fn client(tls: &TlsSettings) -> Option<reqwest::Client> {
    ClientTls::from_settings(tls)
        .inspect_err(|e| tracing::error!(error = %e, "no TLS trust for the OP"))
        .ok()?
        .client_builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .build()
        .inspect_err(|e| tracing::error!(error = %e, "no HTTP client for the OP"))
        .ok()
}

/// reqwest's error without its URL (the messages stay free of query strings).
fn transport(error: reqwest::Error) -> OpHttpError {
    match tls_failure(&error) {
        Some(failure) => OpHttpError::Tls(failure),
        None => OpHttpError::Transport(error.without_url().to_string()),
    }
}

/// Sends one of `openidconnect`'s requests and reads the answer, bounded.
pub(crate) async fn send(
    client: Option<reqwest::Client>,
    request: HttpRequest,
) -> Result<HttpResponse, OpHttpError> {
    let client =
        client.ok_or_else(|| OpHttpError::Transport("no HTTP client could be built".into()))?;
    let request = reqwest::Request::try_from(request).map_err(transport)?;
    let mut response = client.execute(request).await.map_err(transport)?;
    let limit = u64::try_from(MAX_RESPONSE_BYTES).unwrap_or(u64::MAX);
    if response
        .content_length()
        .is_some_and(|length| length > limit)
    {
        return Err(OpHttpError::TooLarge);
    }
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(OpHttpError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let mut answer = HttpResponse::new(body);
    *answer.status_mut() = status;
    *answer.headers_mut() = headers;
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
        let tls = TlsSettings {
            ca_file: Some(ca_file.path().to_owned()),
        };
        let answer = send(client(&tls), get(&url)).await.unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.body(), DISCOVERY.as_bytes());

        let error = send(
            client(&TlsSettings::default()),
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

    #[test]
    fn no_client_is_built_from_an_unreadable_ca_file() {
        let tls = TlsSettings {
            ca_file: Some("/nonexistent/ca.pem".into()),
        };
        assert!(client(&tls).is_none());
    }
}
