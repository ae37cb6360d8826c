//! `verifier evidence verify FILE [--keys FILE | --keys-url URL]`: checks a check record, or an
//! evidence package, without the verifier's database: against a saved copy of the verifier's
//! evidence keys, the keys fetched from its `/.well-known/evidence-keys.json`, or (a package
//! only, when neither is given) the key the package carries. The record must verify with the
//! key its `kid` names, and that key's validity must cover the record's `iat`.

use std::path::{Path, PathBuf};

use idv_checks::evidence::{EvidenceError, EvidenceKeys, verify_check_record_with_keys};
use idv_checks::outcome::{Provider, TrustListRef};
use idv_checks::reason::ReasonCode;
use idv_checks::{Confirmation, OutcomeState, TemplateRef};
use idv_fetch::http::{FetchError, FetchPolicy, Fetcher, PlainHttp};
use idv_proto::trust::entry::LevelOfConfidence;
use idv_service_kit::tls::{ClientTls, TlsConfigError};
use serde::Serialize;

use super::package::{EvidencePackage, PACKAGE_FORMAT, record_sha256};
use crate::dates::rfc3339;

/// Largest evidence or keys file read (a record with a portrait is tens of KiB).
const MAX_FILE: u64 = 4 * 1024 * 1024;

/// Where the evidence keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeysSource {
    /// The key an evidence package carries.
    Package,
    /// A saved copy of the verifier's evidence keys document.
    File(PathBuf),
    /// The verifier's evidence keys document, fetched.
    Url(String),
}

/// Why evidence did not verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceCheckError {
    /// A file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file is larger than any evidence or keys document.
    #[error("{} is larger than {MAX_FILE} bytes", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// The file holds neither a compact JWT nor an evidence package.
    #[error("{} holds neither a check record (compact JWT) nor an evidence package", path.display())]
    NotEvidence {
        /// The file.
        path: PathBuf,
    },
    /// The evidence package does not parse, or is of another format.
    #[error("the evidence package is malformed: {reason}")]
    MalformedPackage {
        /// What is wrong (never a value from it).
        reason: String,
    },
    /// The package's `record_sha256` is not the digest of its record.
    #[error("the package's record_sha256 is not the SHA-256 of its record")]
    PackageDigestMismatch,
    /// The package names another check than its record.
    #[error("the package is about check {package}, its record about {record}")]
    PackageCheckMismatch {
        /// The package's `check_id`.
        package: String,
        /// The record's `sub`.
        record: String,
    },
    /// A bare record was given without keys to verify it with.
    #[error(
        "a check record alone needs the verifier's evidence keys: --keys FILE or --keys-url URL"
    )]
    KeysRequired,
    /// The keys document does not parse.
    #[error("the evidence keys document is malformed: {reason}")]
    MalformedKeys {
        /// What is wrong.
        reason: String,
    },
    /// The TLS settings for fetching the keys are unusable.
    #[error("the TLS settings are unusable")]
    Tls(#[source] TlsConfigError),
    /// The keys could not be fetched.
    #[error("cannot fetch the evidence keys")]
    Fetch(#[source] FetchError),
    /// The record does not verify with the keys.
    #[error("the check record does not verify")]
    Record(#[source] EvidenceError),
}

/// The signing key that verified a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyUsed {
    /// Its `kid` (RFC 7638 thumbprint).
    pub kid: String,
    /// Start of its validity.
    pub not_before: i64,
    /// End of its validity (absent: still current).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_after: Option<i64>,
}

/// The essentials of a verified record, as `evidence verify` prints them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifiedEvidence {
    /// Always `true`: anything else is an error.
    pub verified: bool,
    /// The check (`sub`).
    pub check_id: String,
    /// The template and version.
    pub template: TemplateRef,
    /// The outcome.
    pub outcome: OutcomeState,
    /// `outcome == compliant`.
    pub compliant: bool,
    /// Reason codes when not compliant.
    pub reasons: Vec<ReasonCode>,
    /// When the check was made (Unix seconds).
    pub checked_at: i64,
    /// The same, RFC 3339 (UTC).
    pub check_date: String,
    /// The relying party's confirmation, when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<Confirmation>,
    /// The provider that issued the credential.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
    /// The level of confidence relied on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level_of_confidence: Option<LevelOfConfidence>,
    /// The trust list decided on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_list: Option<TrustListRef>,
    /// The verifier (`iss`).
    pub issuer: String,
    /// The tenant the check belongs to.
    pub tenant: String,
    /// When the record was signed (Unix seconds).
    pub issued_at: i64,
    /// Lowercase hex SHA-256 of the record.
    pub record_sha256: String,
    /// The key that verified it.
    pub key: KeyUsed,
    /// `package`, `file` or `url`.
    pub keys_from: &'static str,
}

fn read(path: &Path) -> Result<String, EvidenceCheckError> {
    let failed = |source| EvidenceCheckError::Read {
        path: path.to_owned(),
        source,
    };
    let size = std::fs::metadata(path).map_err(failed)?.len();
    if size > MAX_FILE {
        return Err(EvidenceCheckError::TooLarge {
            path: path.to_owned(),
        });
    }
    std::fs::read_to_string(path).map_err(failed)
}

fn parse_keys(text: &[u8]) -> Result<EvidenceKeys, EvidenceCheckError> {
    serde_json::from_slice(text).map_err(|e| EvidenceCheckError::MalformedKeys {
        reason: format!(
            "not an evidence keys document (line {}, column {})",
            e.line(),
            e.column()
        ),
    })
}

/// The evidence keys from `source` (for [`KeysSource::Package`], those of `package`).
async fn load_keys(
    source: &KeysSource,
    package: Option<&EvidencePackage>,
    tls: &ClientTls,
    plain_http: PlainHttp,
) -> Result<EvidenceKeys, EvidenceCheckError> {
    match source {
        KeysSource::Package => package
            .map(|p| p.keys.clone())
            .ok_or(EvidenceCheckError::KeysRequired),
        KeysSource::File(path) => parse_keys(read(path)?.as_bytes()),
        KeysSource::Url(url) => {
            let fetcher = Fetcher::with_tls(
                FetchPolicy {
                    max_bytes: 1024 * 1024,
                    plain_http,
                    ..FetchPolicy::default()
                },
                tls,
            )
            .map_err(EvidenceCheckError::Fetch)?;
            let fetched = fetcher
                .get(url, "application/json")
                .await
                .map_err(EvidenceCheckError::Fetch)?;
            parse_keys(&fetched.body)
        }
    }
}

/// Verifies the record or package in `file` with the keys from `keys`. `tls` and `plain_http`
/// govern fetching them from a URL.
pub async fn verify_evidence_file(
    file: &Path,
    keys: &KeysSource,
    tls: &ClientTls,
    plain_http: PlainHttp,
) -> Result<VerifiedEvidence, EvidenceCheckError> {
    let text = read(file)?;
    let text = text.trim();
    let package = if text.starts_with('{') {
        Some(parse_package(text)?)
    } else if text.split('.').count() == 3 && !text.contains(char::is_whitespace) {
        None
    } else {
        return Err(EvidenceCheckError::NotEvidence {
            path: file.to_owned(),
        });
    };
    let jwt = package.as_ref().map_or(text, |p| p.record.as_str());
    let keys_from = match keys {
        KeysSource::Package => "package",
        KeysSource::File(_) => "file",
        KeysSource::Url(_) => "url",
    };
    let keys = load_keys(keys, package.as_ref(), tls, plain_http).await?;
    verify_record(jwt, &keys, package.as_ref(), keys_from)
}

fn parse_package(text: &str) -> Result<EvidencePackage, EvidenceCheckError> {
    let package: EvidencePackage =
        serde_json::from_str(text).map_err(|e| EvidenceCheckError::MalformedPackage {
            reason: format!(
                "not an evidence package (line {}, column {})",
                e.line(),
                e.column()
            ),
        })?;
    if package.format != PACKAGE_FORMAT {
        return Err(EvidenceCheckError::MalformedPackage {
            reason: format!("format is not {PACKAGE_FORMAT}"),
        });
    }
    if package.record_sha256 != record_sha256(&package.record) {
        return Err(EvidenceCheckError::PackageDigestMismatch);
    }
    Ok(package)
}

/// Verifies `jwt` with `keys`; a package's claims about its record must agree with it.
pub(crate) fn verify_record(
    jwt: &str,
    keys: &EvidenceKeys,
    package: Option<&EvidencePackage>,
    keys_from: &'static str,
) -> Result<VerifiedEvidence, EvidenceCheckError> {
    let (record, key) =
        verify_check_record_with_keys(jwt, keys).map_err(EvidenceCheckError::Record)?;
    if let Some(package) = package
        && package.check_id != record.sub
    {
        return Err(EvidenceCheckError::PackageCheckMismatch {
            package: package.check_id.clone(),
            record: record.sub,
        });
    }
    Ok(VerifiedEvidence {
        verified: true,
        check_id: record.sub.clone(),
        template: record.template.clone(),
        outcome: record.state,
        compliant: record.compliant,
        reasons: record.reasons.iter().map(|r| r.code).collect(),
        checked_at: record.checked_at,
        check_date: rfc3339(record.checked_at),
        confirmation: record.confirmation.clone(),
        provider: record.provider.clone(),
        level_of_confidence: record.level_of_confidence,
        trust_list: record.trust_list.clone(),
        issuer: record.iss.clone(),
        tenant: record.tenant.clone(),
        issued_at: record.iat,
        record_sha256: record_sha256(jwt),
        key: KeyUsed {
            kid: key.kid.clone(),
            not_before: key.not_before,
            not_after: key.not_after,
        },
        keys_from,
    })
}
