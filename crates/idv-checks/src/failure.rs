//! A presentation rejected in phase one, and how the lower crates' errors map to reason codes.

use std::fmt;

use idv_dcql::DcqlError;
use idv_jose::JoseError;
use idv_proto::claims_path::ClaimsPath;
use idv_proto::oid4vp::authorization_response::VpToken;
use idv_proto::trust::entry::ServiceStatus;
use idv_sdjwt::SdJwtError;
use idv_trust::TrustError;

use crate::evidence::presentation_sha256;
use crate::outcome::{CheckOutcome, Provider, TrustListRef};
use crate::reason::{Reason, ReasonCode};
use crate::templates::TemplateRef;

/// The underlying error, kept for logs (it names rules and identifiers, never claim values).
#[derive(Debug)]
pub(crate) enum Cause {
    SdJwt(SdJwtError),
    Trust(TrustError),
    Dcql(DcqlError),
    Status(serde_json::Error),
}

impl Cause {
    fn as_error(&self) -> &(dyn std::error::Error + 'static) {
        match self {
            Self::SdJwt(e) => e,
            Self::Trust(e) => e,
            Self::Dcql(e) => e,
            Self::Status(e) => e,
        }
    }
}

/// What is known about the check so far, while phase one runs.
#[derive(Debug, Clone)]
pub(crate) struct Known<'a> {
    pub(crate) template: TemplateRef,
    pub(crate) checked_at: i64,
    /// What was presented: hashed for the outcome only if the check fails here (a verified
    /// presentation's digest comes from the `sd_hash` pass instead).
    pub(crate) vp_token: &'a VpToken,
    pub(crate) trust_list: Option<TrustListRef>,
    pub(crate) provider: Option<Provider>,
}

impl Known<'_> {
    /// A failure with `code`, keeping what is known so far.
    pub(crate) fn fail(&self, code: ReasonCode, cause: Option<Cause>) -> CheckFailure {
        self.fail_about(code, None, cause)
    }

    /// [`ReasonCode::ClaimInvalid`] about the claim at `claim`.
    pub(crate) fn claim_invalid(&self, claim: ClaimsPath, cause: Option<Cause>) -> CheckFailure {
        self.fail_about(ReasonCode::ClaimInvalid, Some(claim), cause)
    }

    fn fail_about(
        &self,
        code: ReasonCode,
        claim: Option<ClaimsPath>,
        cause: Option<Cause>,
    ) -> CheckFailure {
        CheckFailure(Box::new(Failure {
            code,
            claim,
            cause,
            template: self.template.clone(),
            checked_at: self.checked_at,
            presentation_sha256: presentation_sha256(self.vp_token),
            trust_list: self.trust_list.clone(),
            provider: self.provider.clone(),
        }))
    }
}

#[derive(Debug)]
struct Failure {
    code: ReasonCode,
    /// The claim a `claim_invalid` is about.
    claim: Option<ClaimsPath>,
    cause: Option<Cause>,
    template: TemplateRef,
    checked_at: i64,
    presentation_sha256: String,
    trust_list: Option<TrustListRef>,
    provider: Option<Provider>,
}

/// A presentation that failed verification: the reason code, and whatever was established
/// before the failure (provider, trust list) for the outcome.
///
/// `Display` is the code and its fixed message; [`std::error::Error::source`] is the lower
/// crate's error, for logs.
pub struct CheckFailure(Box<Failure>);

impl CheckFailure {
    /// The reason code.
    pub fn code(&self) -> ReasonCode {
        self.0.code
    }

    /// The rejected outcome to record and report.
    pub fn into_outcome(self) -> CheckOutcome {
        let failure = *self.0;
        let mut outcome = CheckOutcome::from_reasons(
            failure.template,
            vec![match failure.claim {
                Some(claim) => Reason::claim_invalid(claim),
                None => Reason::from(failure.code),
            }],
            failure.checked_at,
        );
        outcome.provider = failure.provider;
        outcome.trust_list = failure.trust_list;
        outcome.presentation_sha256 = Some(failure.presentation_sha256);
        outcome
    }
}

impl fmt::Debug for CheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckFailure")
            .field("code", &self.0.code)
            .field("template", &self.0.template)
            .field("cause", &self.0.cause)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.code, self.0.code.message())
    }
}

impl std::error::Error for CheckFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.cause.as_ref().map(Cause::as_error)
    }
}

/// The code for an SD-JWT (VC) verification error.
pub(crate) fn sd_jwt_code(error: &SdJwtError) -> ReasonCode {
    use ReasonCode as C;
    match error {
        SdJwtError::Malformed { .. }
        | SdJwtError::TooLarge { .. }
        | SdJwtError::UnexpectedKeyBinding => C::PresentationMalformed,
        SdJwtError::IssuerJwt(jose) => match jose {
            JoseError::Expired { .. } => C::CredentialExpired,
            JoseError::NotYetValid { .. } | JoseError::IssuedInFuture { .. } => {
                C::CredentialNotYetValid
            }
            JoseError::Base64 { .. } | JoseError::Malformed { .. } | JoseError::Json { .. } => {
                C::PresentationMalformed
            }
            _ => C::SignatureInvalid,
        },
        SdJwtError::InvalidDisclosure { .. }
        | SdJwtError::DuplicateDisclosure { .. }
        | SdJwtError::UnreferencedDisclosure { .. }
        | SdJwtError::DuplicateDigest { .. }
        | SdJwtError::WrongDisclosureArity { .. }
        | SdJwtError::ReservedClaimName { .. }
        | SdJwtError::ClaimNameCollision { .. } => C::DisclosureInvalid,
        SdJwtError::KeyBindingMissing => C::KeyBindingMissing,
        SdJwtError::KeyBindingAudience => C::KeyBindingAudienceMismatch,
        SdJwtError::KeyBindingNonce => C::KeyBindingNonceMismatch,
        SdJwtError::KeyBindingSdHash => C::KeyBindingSdHashMismatch,
        SdJwtError::KeyBindingJwt(
            JoseError::TooOld { .. }
            | JoseError::IssuedInFuture { .. }
            | JoseError::Expired { .. }
            | JoseError::NotYetValid { .. },
        ) => C::KeyBindingNotFresh,
        SdJwtError::KeyBindingJwt(_) | SdJwtError::HolderKey(_) => C::KeyBindingInvalid,
        // UnsupportedSdAlg, MalformedDigests, MissingClaim, ClaimMustBePlain, and anything
        // added later: the credential does not follow the profile.
        _ => C::CredentialMalformed,
    }
}

/// The code for a trust decision error.
pub(crate) fn trust_code(error: &TrustError) -> ReasonCode {
    use ReasonCode as C;
    match error {
        TrustError::ServiceNotCertified { status } => match status {
            ServiceStatus::Suspended => C::ProviderSuspended,
            ServiceStatus::Withdrawn => C::ProviderWithdrawn,
            _ => C::ProviderNotCertified,
        },
        TrustError::CertificateExpired { .. }
        | TrustError::CertificateNotYetValid { .. }
        | TrustError::FrameworkVersionInvalid { .. } => C::ProviderNotCertified,
        TrustError::NotCertifiedAtIssuance { .. } => C::ProviderNotCertifiedAtIssuance,
        TrustError::RoleMissing { .. } | TrustError::SchemeNotCertified { .. } => {
            C::ProviderNotCertifiedForScheme
        }
        TrustError::LevelOfConfidenceTooLow { .. } => C::ProviderLevelOfConfidenceTooLow,
        TrustError::VctNotListed { .. } => C::VctNotAllowed,
        TrustError::StatusListUriNotAllowed { .. } => C::StatusListUriNotAllowed,
        TrustError::NoList | TrustError::ListExpired { .. } => C::TrustListUnavailable,
        // UnknownIssuer, KeyNotRegistered, IssuerKeyAmbiguous, and anything else: fail closed.
        _ => C::IssuerNotTrusted,
    }
}

#[cfg(test)]
mod tests {
    use idv_proto::trust::entry::SchemeCode;

    use super::*;

    #[test]
    fn provider_lifecycle_states_have_their_own_codes() {
        let code = |status| trust_code(&TrustError::ServiceNotCertified { status });
        assert_eq!(
            code(ServiceStatus::Suspended),
            ReasonCode::ProviderSuspended
        );
        assert_eq!(
            code(ServiceStatus::Withdrawn),
            ReasonCode::ProviderWithdrawn
        );
        assert_eq!(
            code(ServiceStatus::Expired),
            ReasonCode::ProviderNotCertified
        );
        assert_eq!(
            code(ServiceStatus::Removed),
            ReasonCode::ProviderNotCertified
        );
        assert_eq!(
            trust_code(&TrustError::SchemeNotCertified {
                scheme: SchemeCode::Rtw
            }),
            ReasonCode::ProviderNotCertifiedForScheme
        );
        assert_eq!(
            trust_code(&TrustError::UnknownIssuer { iss: "x".into() }),
            ReasonCode::IssuerNotTrusted
        );
    }

    #[test]
    fn key_binding_errors_name_their_cause() {
        assert_eq!(
            sd_jwt_code(&SdJwtError::KeyBindingJwt(JoseError::TooOld {
                iat: 0,
                now: 1000,
                max_age: 300
            })),
            ReasonCode::KeyBindingNotFresh
        );
        assert_eq!(
            sd_jwt_code(&SdJwtError::KeyBindingJwt(JoseError::BadSignature)),
            ReasonCode::KeyBindingInvalid
        );
        assert_eq!(
            sd_jwt_code(&SdJwtError::IssuerJwt(JoseError::BadSignature)),
            ReasonCode::SignatureInvalid
        );
        assert_eq!(
            sd_jwt_code(&SdJwtError::IssuerJwt(JoseError::Expired {
                exp: 1,
                now: 2
            })),
            ReasonCode::CredentialExpired
        );
        assert_eq!(
            sd_jwt_code(&SdJwtError::UnreferencedDisclosure { index: 0 }),
            ReasonCode::DisclosureInvalid
        );
    }
}
