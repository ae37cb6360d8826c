//! The check record: the evidence of a check, signed by the verifier, that the employer keeps
//! (for right to work, for the employment plus two years: Home Office, "An employer's guide to
//! right to work checks").
//!
//! A compact JWS `{"alg":"ES256","typ":"dvs-check-record+jwt","kid":<thumbprint>}` over
//! [`CheckRecord`]. It carries the outcome, the provider, the level of confidence, the trust
//! list and status evidence, and the SHA-256 of what was presented
//! ([`presentation_sha256`]), never the presentation itself; the disclosed claims only when
//! the template says the employer keeps them. The employer verifies it with the verifier's
//! published key ([`verify_check_record`]), or, years later and after key rotations, with the
//! verifier's evidence keys and their validity ([`verify_check_record_with_keys`]); whoever
//! holds a presentation can tell whether a record is about it ([`CheckRecord::binds`]).
//!
//! The presentation digest costs no second pass over the presentation (a right-to-work
//! SD-JWT+KB is about 8 KiB): the Key Binding JWT's `sd_hash` is a SHA-256 over everything
//! before the KB-JWT, and the verifier carries that same pass on over the KB-JWT
//! ([`idv_sdjwt::verify::VerifiedSdJwt::presentation_sha256`]). It is the plain SHA-256 of
//! the whole presentation, so it binds the record to the presentation as tightly as SHA-256
//! allows: another presentation (another nonce, audience, disclosure, signature) has another
//! digest. Digesting the KB-JWT alone would be as strong for a verified presentation, since
//! the KB-JWT signs `sd_hash` over the rest, but checking it would need that argument; this
//! needs none.

use std::fmt;

use idv_jose::jws::{self, Header, UnverifiedJws};
use idv_jose::{JoseError, Jwk, PublicKey, SigningKey};
use idv_proto::oid4vp::authorization_response::VpToken;
use idv_proto::trust::entry::LevelOfConfidence;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::confirmation::Confirmation;
use crate::outcome::{CheckOutcome, Provider, TrustListRef};
use crate::reason::{OutcomeState, Reason};
use crate::templates::{Template, TemplateRef};

/// JOSE header `typ` of a check record.
pub const CHECK_RECORD_TYP: &str = "dvs-check-record+jwt";

/// Who signs the record, for which check, and when.
#[derive(Debug, Clone, Copy)]
pub struct RecordContext<'a> {
    /// The verifier's identifier (its public base URL), the record's `iss`.
    pub issuer: &'a str,
    /// The check's id, the record's `sub`.
    pub check_id: &'a str,
    /// The tenant (employer account) the check belongs to.
    pub tenant: &'a str,
    /// Signing time (Unix seconds), the record's `iat`.
    pub issued_at: i64,
}

/// The claims of a check record. `Debug` never shows the claims.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckRecord {
    /// The verifier.
    pub iss: String,
    /// The check id.
    pub sub: String,
    /// When the record was signed.
    pub iat: i64,
    /// The tenant the check belongs to.
    pub tenant: String,
    /// The template and version.
    pub template: TemplateRef,
    /// The verdict.
    pub state: OutcomeState,
    /// `state == compliant`.
    pub compliant: bool,
    /// Why it is not compliant.
    pub reasons: Vec<Reason>,
    /// The provider, when identified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
    /// The level of confidence relied on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_of_confidence: Option<LevelOfConfidence>,
    /// The trust list the decision was taken on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_list: Option<TrustListRef>,
    /// When the status list was checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_checked_at: Option<i64>,
    /// The `iat` of the Status List Token the status was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_list_iat: Option<i64>,
    /// When the presentation was verified.
    pub checked_at: i64,
    /// base64url(SHA-256) of what was presented ([`presentation_sha256`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presentation_sha256: Option<String>,
    /// The relying party's confirmation that the person is the holder: who compared, how,
    /// when, and the start date (templates with the confirmation step, once recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<Confirmation>,
    /// The disclosed claims, when the template keeps them in the evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Map<String, Value>>,
}

impl fmt::Debug for CheckRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckRecord")
            .field("iss", &self.iss)
            .field("sub", &self.sub)
            .field("tenant", &self.tenant)
            .field("template", &self.template)
            .field("state", &self.state)
            .field(
                "reasons",
                &self.reasons.iter().map(|r| r.code).collect::<Vec<_>>(),
            )
            .field(
                "claims",
                &self
                    .claims
                    .as_ref()
                    .map(|c| format!("<{} claim(s)>", c.len())),
            )
            .finish_non_exhaustive()
    }
}

impl CheckRecord {
    /// The outcome this record states, for a service that keeps only the signed record and
    /// must take the check a step further (the relying party's confirmation). The claims are
    /// those the record carries (none when the template keeps them out of the evidence).
    pub fn into_outcome(self) -> CheckOutcome {
        CheckOutcome {
            template: self.template,
            state: self.state,
            compliant: self.compliant,
            reasons: self.reasons,
            claims: self.claims.unwrap_or_default(),
            provider: self.provider,
            level_of_confidence: self.level_of_confidence,
            trust_list: self.trust_list,
            status_checked_at: self.status_checked_at,
            status_list_iat: self.status_list_iat,
            checked_at: self.checked_at,
            presentation_sha256: self.presentation_sha256,
            confirmation: self.confirmation,
            evidence: None,
        }
    }

    /// Whether this record is about `vp_token`: its `presentation_sha256` is that of
    /// `vp_token` ([`presentation_sha256`]). Verify the record first ([`verify_check_record`]).
    pub fn binds(&self, vp_token: &VpToken) -> bool {
        self.presentation_sha256.as_deref() == Some(presentation_sha256(vp_token).as_str())
    }
}

/// The `presentation_sha256` of a check: base64url(SHA-256) of the one presentation the VP
/// Token holds (the SD-JWT+KB exactly as the wallet sent it), or, when it does not hold exactly
/// one (a response refused before any presentation is verified), of the VP Token's JSON text.
pub fn presentation_sha256(vp_token: &VpToken) -> String {
    let mut presentations = vp_token.0.values().flatten();
    match (presentations.next(), presentations.next()) {
        (Some(presentation), None) => idv_jose::digest::sha256_b64(presentation.as_bytes()),
        _ => idv_jose::digest::sha256_b64(vp_token.to_json_string().as_bytes()),
    }
}

/// Why a check record was not signed or not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// The outcome was produced by another template or version than the one given.
    #[error("the outcome is for template {outcome:?}, not {template:?}")]
    TemplateMismatch {
        /// The outcome's template.
        outcome: TemplateRef,
        /// The template given.
        template: TemplateRef,
    },
    /// Signing failed.
    #[error("signing the check record failed: {0}")]
    Signing(#[source] JoseError),
    /// The record's signature, `alg` or `typ` is invalid.
    #[error("check record rejected: {0}")]
    Invalid(#[source] JoseError),
    /// The verified payload is not a check record.
    #[error("malformed check record: {reason}")]
    Malformed {
        /// What is wrong.
        reason: String,
    },
    /// The record's header names no key (`kid`).
    #[error("the check record's header has no kid")]
    MissingKid,
    /// No published evidence key has the record's `kid`.
    #[error("no published evidence key has kid {kid}")]
    UnknownKey {
        /// The record's `kid`.
        kid: String,
    },
    /// The published key listed under `kid` is not the key with that RFC 7638 thumbprint.
    #[error("the published key listed as {kid} does not have that thumbprint")]
    KeyIdMismatch {
        /// The listed `kid`.
        kid: String,
    },
    /// The record was issued by another verifier than the one whose keys are given.
    #[error("the check record was issued by {found}, not by {expected}")]
    IssuerMismatch {
        /// The keys' issuer.
        expected: String,
        /// The record's `iss`.
        found: String,
    },
    /// The record's `iat` lies outside the validity of the key that signed it: the key did
    /// not sign records then (signed before it was in use, or after it was retired).
    #[error(
        "the check record's iat {iat} is outside the validity of key {kid} \
         ({not_before} to {})",
        not_after.map_or_else(|| "now".to_owned(), |t| t.to_string())
    )]
    OutsideKeyValidity {
        /// The signing key.
        kid: String,
        /// The record's `iat`.
        iat: i64,
        /// Start of the key's validity.
        not_before: i64,
        /// End of the key's validity (`None`: still current).
        not_after: Option<i64>,
    },
}

/// Signs the check record of `outcome`, produced with `template`.
pub fn sign_check_record(
    outcome: &CheckOutcome,
    template: &Template,
    context: &RecordContext<'_>,
    key: &SigningKey,
) -> Result<String, EvidenceError> {
    if outcome.template != template.reference() {
        return Err(EvidenceError::TemplateMismatch {
            outcome: outcome.template.clone(),
            template: template.reference(),
        });
    }
    let record = CheckRecord {
        iss: context.issuer.to_owned(),
        sub: context.check_id.to_owned(),
        iat: context.issued_at,
        tenant: context.tenant.to_owned(),
        template: outcome.template.clone(),
        state: outcome.state,
        compliant: outcome.compliant,
        reasons: outcome.reasons.clone(),
        provider: outcome.provider.clone(),
        level_of_confidence: outcome.level_of_confidence,
        trust_list: outcome.trust_list.clone(),
        status_checked_at: outcome.status_checked_at,
        status_list_iat: outcome.status_list_iat,
        checked_at: outcome.checked_at,
        presentation_sha256: outcome.presentation_sha256.clone(),
        confirmation: outcome.confirmation.clone(),
        claims: (template.evidence_includes_claims() && !outcome.claims.is_empty())
            .then(|| outcome.claims.clone()),
    };
    let header = Header::es256(CHECK_RECORD_TYP).with("kid", key.kid());
    jws::sign_claims(&header, &record, key).map_err(EvidenceError::Signing)
}

/// Verifies a check record with the verifier's public key: ES256, `typ`
/// `dvs-check-record+jwt`, signature, then the payload's shape.
pub fn verify_check_record(
    jwt: &str,
    verifier_key: &PublicKey,
) -> Result<CheckRecord, EvidenceError> {
    let verified = UnverifiedJws::parse(jwt)
        .and_then(|jws| jws.verify(verifier_key, &[CHECK_RECORD_TYP]))
        .map_err(EvidenceError::Invalid)?;
    // serde's message may quote a value (a claim): report only where parsing stopped.
    serde_json::from_slice(verified.payload()).map_err(|e| EvidenceError::Malformed {
        reason: format!(
            "not a check record (line {}, column {})",
            e.line(),
            e.column()
        ),
    })
}

/// One of a verifier's evidence keys as published, with its validity: it signed check records
/// from `not_before` until it was retired at `not_after` (absent while it still signs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidenceKey {
    /// The key's RFC 7638 thumbprint: the `kid` of the records it signed.
    pub kid: String,
    /// The public key (EC P-256), with `kid`, `alg` `ES256` and `use` `sig`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub jwk: Jwk,
    /// When it became the signing key (Unix seconds).
    pub not_before: i64,
    /// When it was retired (Unix seconds); absent while it is the signing key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<i64>,
}

impl EvidenceKey {
    /// Whether a record issued at `iat` falls within this key's validity (both ends
    /// included: a rotation and a record may share a second).
    pub fn covers(&self, iat: i64) -> bool {
        iat >= self.not_before && self.not_after.is_none_or(|end| iat <= end)
    }
}

/// A verifier's evidence keys: every key that ever signed its check records, current first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidenceKeys {
    /// The verifier: the `iss` of its records.
    pub issuer: String,
    /// The keys.
    pub keys: Vec<EvidenceKey>,
}

impl EvidenceKeys {
    /// The key with this `kid`.
    pub fn find(&self, kid: &str) -> Option<&EvidenceKey> {
        self.keys.iter().find(|key| key.kid == kid)
    }
}

/// Verifies a check record against a verifier's published evidence keys, as an employer does
/// years later: the key named by the record's `kid` (which must be that key's thumbprint), the
/// signature, `alg` and `typ`, the payload's shape, the issuer, and that the key's validity
/// covers the record's `iat`. Returns the record and the key that verified it.
pub fn verify_check_record_with_keys<'k>(
    jwt: &str,
    keys: &'k EvidenceKeys,
) -> Result<(CheckRecord, &'k EvidenceKey), EvidenceError> {
    let jws = UnverifiedJws::parse(jwt).map_err(EvidenceError::Invalid)?;
    let kid = jws.header().kid().ok_or(EvidenceError::MissingKid)?;
    let key = keys.find(kid).ok_or_else(|| EvidenceError::UnknownKey {
        kid: kid.to_owned(),
    })?;
    if key.jwk.thumbprint().as_deref() != Some(key.kid.as_str()) {
        return Err(EvidenceError::KeyIdMismatch {
            kid: key.kid.clone(),
        });
    }
    let public = PublicKey::from_jwk(&key.jwk).map_err(EvidenceError::Invalid)?;
    let record = verify_check_record(jwt, &public)?;
    if record.iss != keys.issuer {
        return Err(EvidenceError::IssuerMismatch {
            expected: keys.issuer.clone(),
            found: record.iss,
        });
    }
    if !key.covers(record.iat) {
        return Err(EvidenceError::OutsideKeyValidity {
            kid: key.kid.clone(),
            iat: record.iat,
            not_before: key.not_before,
            not_after: key.not_after,
        });
    }
    Ok((record, key))
}
