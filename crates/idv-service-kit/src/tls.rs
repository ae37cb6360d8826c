//! Outbound TLS for the services' HTTP clients (trust lists, status lists, the provider's OP,
//! wallets' calls, webhooks): one place that says whom `https` trusts and how a TLS failure
//! reads.
//!
//! Clients trust the operating system's root store (so a private PKI installed there works)
//! plus, optionally, the PEM certificates of an operator's CA file (`[tls] ca_file`, for a
//! private CA the host does not trust, and for tests). rustls does the TLS; there is no
//! OpenSSL. Inbound TLS is not here: services listen on plain HTTP behind a TLS proxy.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// `[tls]`: whom the service's outbound `https` trusts besides the system's roots.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    /// A PEM file of extra CA certificates (a private CA), trusted alongside the system's roots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
}

/// Why the TLS settings cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// The CA file cannot be read.
    #[error("cannot read the CA file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The CA file holds no usable PEM certificate.
    #[error("the CA file {} holds no PEM certificate: {reason}", path.display())]
    NoCertificate {
        /// The file.
        path: PathBuf,
        /// The parser's reason.
        reason: String,
    },
}

/// The trust of a service's outbound `https`: the system's roots and the CA file's
/// certificates. Cheap to clone; build once at startup.
#[derive(Clone, Default)]
pub struct ClientTls {
    extra_roots: Vec<reqwest::Certificate>,
    ca_file: Option<PathBuf>,
}

impl fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientTls")
            .field("ca_file", &self.ca_file)
            .field("extra_roots", &self.extra_roots.len())
            .finish()
    }
}

impl ClientTls {
    /// The system's roots only.
    pub fn system() -> Self {
        Self::default()
    }

    /// The system's roots plus `ca_file`'s certificates.
    pub fn with_ca_file(ca_file: &Path) -> Result<Self, TlsConfigError> {
        let pem = std::fs::read(ca_file).map_err(|source| TlsConfigError::Read {
            path: ca_file.to_owned(),
            source,
        })?;
        let no_certificate = |reason: String| TlsConfigError::NoCertificate {
            path: ca_file.to_owned(),
            reason,
        };
        let extra_roots = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| no_certificate(e.to_string()))?;
        if extra_roots.is_empty() {
            return Err(no_certificate("no CERTIFICATE block".into()));
        }
        Ok(Self {
            extra_roots,
            ca_file: Some(ca_file.to_owned()),
        })
    }

    /// The trust `settings` describe.
    pub fn from_settings(settings: &TlsSettings) -> Result<Self, TlsConfigError> {
        match &settings.ca_file {
            Some(path) => Self::with_ca_file(path),
            None => Ok(Self::system()),
        }
    }

    /// A client builder with this trust that never follows redirects; the caller adds its
    /// timeouts and user agent.
    pub fn client_builder(&self) -> reqwest::ClientBuilder {
        let builder = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_native_certs(true)
            .redirect(reqwest::redirect::Policy::none());
        self.extra_roots
            .iter()
            .cloned()
            .fold(builder, reqwest::ClientBuilder::add_root_certificate)
    }
}

/// Why a TLS handshake failed, as far as an operator can act on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlsFailure {
    /// The server's certificate does not chain to a trusted root (system store or CA file).
    #[error("certificate not trusted (unknown issuer; add its CA with [tls] ca_file)")]
    UntrustedCertificate,
    /// The certificate is valid for other names than the host asked for.
    #[error("certificate name mismatch (not valid for the requested host)")]
    NameMismatch,
    /// The certificate has expired or is not valid yet.
    #[error("certificate expired or not yet valid")]
    Expired,
    /// The certificate was refused for another reason.
    #[error("certificate refused: {0}")]
    BadCertificate(String),
    /// The handshake failed otherwise (protocol versions, alerts).
    #[error("TLS handshake failed: {0}")]
    Handshake(String),
}

/// The TLS failure behind an HTTP client error, if that is what it is.
pub fn tls_failure(error: &reqwest::Error) -> Option<TlsFailure> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(rustls) = as_rustls(current) {
            return Some(classify(rustls));
        }
        source = current.source();
    }
    None
}

/// `error` as rustls's, looking inside `io::Error`s (whose `source` skips their payload; the
/// connector wraps the TLS stream's `io::Error` in another).
fn as_rustls<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(rustls) = error.downcast_ref::<rustls::Error>() {
        return Some(rustls);
    }
    let inner = error.downcast_ref::<std::io::Error>()?.get_ref()?;
    as_rustls(inner)
}

fn classify(error: &rustls::Error) -> TlsFailure {
    use rustls::CertificateError as C;
    match error {
        rustls::Error::InvalidCertificate(certificate) => match certificate {
            C::UnknownIssuer => TlsFailure::UntrustedCertificate,
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsFailure::NameMismatch,
            C::Expired
            | C::ExpiredContext { .. }
            | C::NotValidYet
            | C::NotValidYetContext { .. } => TlsFailure::Expired,
            _ => TlsFailure::BadCertificate(error.to_string()),
        },
        other => TlsFailure::Handshake(other.to_string()),
    }
}
