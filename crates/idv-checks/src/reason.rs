//! Why a check is not compliant: one table of stable, snake_case reason codes, each naming the
//! step that failed and whether it means "rejected" (the presentation cannot be relied on) or
//! "not eligible" (a valid presentation that the scheme's rules do not accept).
//!
//! The codes the verifier service detects itself (an expired request, a replayed response, a
//! response that does not decrypt, …) live here too, so every code has one home. Messages are
//! fixed texts: they never contain personal data, tokens or anything the wallet sent.

use std::fmt;
use std::str::FromStr;

use idv_proto::claims_path::ClaimsPath;
use serde::{Deserialize, Serialize};

/// The step of a check that produced a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The OpenID4VP exchange itself: request lifetime, response format, decryption, replay.
    Request,
    /// Whether the presented credentials answer the DCQL query.
    Match,
    /// The issuer-signed SD-JWT and its disclosures.
    Signature,
    /// The Key Binding JWT: holder key, audience, nonce, freshness, `sd_hash`.
    Binding,
    /// The credential's validity period and its status list entry.
    Status,
    /// The trust list: the issuer's register entry, certification, scheme and level.
    Trust,
    /// The template's scheme rules over the verified claims.
    Rule,
    /// The relying party's own step after a verified presentation: satisfying itself that
    /// the person in front of it is the credential's holder (right to work, right to rent).
    Confirmation,
}

impl Step {
    /// The wire value, e.g. `binding`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Match => "match",
            Self::Signature => "signature",
            Self::Binding => "binding",
            Self::Status => "status",
            Self::Trust => "trust",
            Self::Rule => "rule",
            Self::Confirmation => "confirmation",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The overall verdict of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = Outcome))]
#[serde(rename_all = "snake_case")]
pub enum OutcomeState {
    /// Every check passed and the scheme's rules accept the person (for a template with the
    /// relying party's confirmation step, after that step).
    Compliant,
    /// The presentation verified and the scheme's rules accept it, but the relying party must
    /// still satisfy itself that the person is the credential's holder (compare the photo in
    /// person or by live video call) before it can rely on the check: right to work and right
    /// to rent give a statutory excuse only after that step (Home Office, employer's guide to
    /// right to work checks, IDVT).
    AwaitingConfirmation,
    /// The presentation verified, but the scheme's rules do not accept it (e.g. right to work
    /// for a nationality outside the digital route): another route must be used.
    NotEligible,
    /// The presentation (or the exchange) failed verification and cannot be relied on.
    Rejected,
}

impl OutcomeState {
    /// The wire value, e.g. `not_eligible`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Compliant => "compliant",
            Self::AwaitingConfirmation => "awaiting_confirmation",
            Self::NotEligible => "not_eligible",
            Self::Rejected => "rejected",
        }
    }
}

impl fmt::Display for OutcomeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The advice of right-to-work and right-to-rent outcomes a British or Irish citizen's
/// document cannot pass: they cannot use a share code (Home Office, employer's guide to right
/// to work checks: the online service is not available to British or Irish citizens).
macro_rules! manual_check {
    ($what:literal) => {
        concat!(
            "not eligible for a digital check: ",
            $what,
            "; a British or Irish citizen needs a manual check of their original document"
        )
    };
}

macro_rules! reason_codes {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident = $code:literal, $step:ident, $verdict:ident, $message:expr;
    )*) => {
        /// A stable reason code. The wire form (`as_str`, serde) never changes once published;
        /// new codes may be added.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum ReasonCode {
            $(
                $(#[doc = $doc])*
                #[serde(rename = $code)]
                $variant,
            )*
        }

        impl ReasonCode {
            /// Every code, in table order.
            pub const ALL: &'static [ReasonCode] = &[$(Self::$variant),*];

            /// The wire value, e.g. `credential_revoked`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)*
                }
            }

            /// The step this code belongs to.
            pub const fn step(self) -> Step {
                match self {
                    $(Self::$variant => Step::$step,)*
                }
            }

            /// [`OutcomeState::NotEligible`] for scheme-rule outcomes, otherwise
            /// [`OutcomeState::Rejected`].
            pub const fn verdict(self) -> OutcomeState {
                match self {
                    $(Self::$variant => OutcomeState::$verdict,)*
                }
            }

            /// A fixed, human-readable explanation without personal data.
            pub const fn message(self) -> &'static str {
                match self {
                    $(Self::$variant => $message,)*
                }
            }
        }
    };
}

reason_codes! {
    // --- request: detected by the verifier service around the OpenID4VP exchange ---
    /// The presentation request expired before the wallet answered.
    RequestExpired = "request_expired", Request, Rejected,
        "the presentation request expired before the wallet answered";
    /// The response names no open presentation request (unknown or already used `state`).
    RequestUnknown = "request_unknown", Request, Rejected,
        "the response does not answer an open presentation request";
    /// A response was already received for this request.
    ResponseReplayed = "response_replayed", Request, Rejected,
        "a response was already received for this request";
    /// The Authorization Response is malformed (missing or unparsable `vp_token`, bad form).
    InvalidResponse = "invalid_response", Request, Rejected,
        "the wallet's response is malformed";
    /// The encrypted (`direct_post.jwt`) response could not be decrypted.
    ResponseDecryptionFailed = "response_decryption_failed", Request, Rejected,
        "the wallet's encrypted response could not be decrypted";
    /// The holder declined to share (`access_denied`).
    HolderDeclined = "holder_declined", Request, Rejected,
        "the holder declined to share the requested credential";
    /// The wallet answered with another OAuth error.
    WalletError = "wallet_error", Request, Rejected,
        "the wallet reported an error instead of a presentation";

    // --- match: the DCQL query ---
    /// The presented credentials do not satisfy the DCQL query (missing or extra presentation,
    /// wrong format or type, missing claims).
    DcqlNotSatisfied = "dcql_not_satisfied", Match, Rejected,
        "the presented credentials do not answer the request";

    // --- signature: the issuer-signed SD-JWT ---
    /// The presentation is not a well-formed SD-JWT+KB, or exceeds a size limit.
    PresentationMalformed = "presentation_malformed", Signature, Rejected,
        "the presentation is not a well-formed SD-JWT with key binding";
    /// The issuer signature, algorithm or `typ` of the credential is invalid.
    SignatureInvalid = "signature_invalid", Signature, Rejected,
        "the credential's issuer signature is invalid";
    /// A disclosure is tampered, unreferenced, repeated or malformed.
    DisclosureInvalid = "disclosure_invalid", Signature, Rejected,
        "a disclosure does not match the issuer-signed credential";
    /// The credential breaks an SD-JWT VC rule (missing `iss`, `vct` or `exp`, a protected
    /// claim disclosed selectively, an unsupported `_sd_alg`).
    CredentialMalformed = "credential_malformed", Signature, Rejected,
        "the credential breaks the SD-JWT VC profile";

    // --- binding: the Key Binding JWT ---
    /// No Key Binding JWT was presented.
    KeyBindingMissing = "key_binding_missing", Binding, Rejected,
        "the presentation has no key binding";
    /// The Key Binding JWT is malformed, mistyped or not signed by the credential's holder key.
    KeyBindingInvalid = "key_binding_invalid", Binding, Rejected,
        "the key binding is not signed by the credential's holder key";
    /// The Key Binding JWT is addressed to another verifier.
    KeyBindingAudienceMismatch = "key_binding_audience_mismatch", Binding, Rejected,
        "the presentation was made for another verifier";
    /// The Key Binding JWT carries another transaction's nonce.
    KeyBindingNonceMismatch = "key_binding_nonce_mismatch", Binding, Rejected,
        "the presentation was made for another request";
    /// The Key Binding JWT's `iat` is outside the accepted window.
    KeyBindingNotFresh = "key_binding_not_fresh", Binding, Rejected,
        "the presentation is too old or dated in the future";
    /// The Key Binding JWT's `sd_hash` does not cover exactly the presented disclosures.
    KeyBindingSdHashMismatch = "key_binding_sd_hash_mismatch", Binding, Rejected,
        "the key binding does not cover the presented disclosures";

    // --- status: validity period and status list ---
    /// The credential's `exp` has passed.
    CredentialExpired = "credential_expired", Status, Rejected,
        "the credential has expired";
    /// The credential's `nbf` or `iat` is in the future.
    CredentialNotYetValid = "credential_not_yet_valid", Status, Rejected,
        "the credential is not valid yet";
    /// The credential has no usable `status` reference.
    StatusReferenceInvalid = "status_reference_invalid", Status, Rejected,
        "the credential has no usable status reference";
    /// The status list could not be fetched or verified, so revocation is unknown.
    StatusUnavailable = "status_unavailable", Status, Rejected,
        "the credential's revocation status could not be checked";
    /// The issuer revoked the credential.
    CredentialRevoked = "credential_revoked", Status, Rejected,
        "the issuer has revoked the credential";
    /// The issuer suspended the credential.
    CredentialSuspended = "credential_suspended", Status, Rejected,
        "the issuer has suspended the credential";
    /// The status list holds a value with no agreed meaning.
    CredentialStatusUnknown = "credential_status_unknown", Status, Rejected,
        "the credential's status has no agreed meaning";

    // --- trust: the trust list ---
    /// No valid trust list is held (never fetched, or expired and not refreshable).
    TrustListUnavailable = "trust_list_unavailable", Trust, Rejected,
        "no valid trust list is available";
    /// The issuer is not on the trust list, or signed with a key not registered for it.
    IssuerNotTrusted = "issuer_not_trusted", Trust, Rejected,
        "the credential's issuer is not on the trust list";
    /// The provider's certification is suspended.
    ProviderSuspended = "provider_suspended", Trust, Rejected,
        "the provider's certification is suspended";
    /// The provider's certification was withdrawn.
    ProviderWithdrawn = "provider_withdrawn", Trust, Rejected,
        "the provider's certification has been withdrawn";
    /// The provider is not certified now: certificate expired or not yet valid, entry expired
    /// or removed, or its trust framework version is no longer accepted.
    ProviderNotCertified = "provider_not_certified", Trust, Rejected,
        "the provider is not currently certified";
    /// The provider was not certified when it issued the credential.
    ProviderNotCertifiedAtIssuance = "provider_not_certified_at_issuance", Trust, Rejected,
        "the provider was not certified when it issued the credential";
    /// The provider lacks the role or supplementary code of the check's scheme.
    ProviderNotCertifiedForScheme = "provider_not_certified_for_scheme", Trust, Rejected,
        "the provider is not certified for this kind of check";
    /// The provider is not certified to the level of confidence the check requires.
    ProviderLevelOfConfidenceTooLow = "provider_level_of_confidence_too_low", Trust, Rejected,
        "the provider is not certified to the required level of confidence";
    /// The provider may not issue this credential type.
    VctNotAllowed = "vct_not_allowed", Trust, Rejected,
        "the provider may not issue this type of credential";
    /// The credential's status list lies outside the provider's registered space.
    StatusListUriNotAllowed = "status_list_uri_not_allowed", Trust, Rejected,
        "the credential's status list is not hosted by its provider";

    // --- rule: the template's scheme rules ---
    /// Right to work or rent: the holder is neither British nor Irish, the only citizens the
    /// digital (IDVT) route covers.
    NationalityNotEligible = "nationality_not_eligible", Rule, NotEligible,
        "not eligible for a digital check: it covers British and Irish citizens only; anyone \
         else proves their right with a Home Office share code";
    /// Right to work or rent: the document is not a passport or an Irish passport card.
    DocumentTypeNotEligible = "document_type_not_eligible", Rule, NotEligible,
        manual_check!("it accepts only a British or Irish passport or an Irish passport card");
    /// Right to work or rent: the passport or passport card was not issued by the United
    /// Kingdom or Ireland (an Irish passport card by Ireland), or not by a country whose
    /// nationality the holder has.
    DocumentCountryNotEligible = "document_country_not_eligible", Rule, NotEligible,
        manual_check!("it accepts only a British passport, or an Irish passport or passport \
                       card, held by a citizen of the country that issued it");
    /// Right to work or rent: the document had expired at the time of the check.
    DocumentExpired = "document_expired", Rule, NotEligible,
        manual_check!("the passport or passport card has expired");
    /// The identity was proofed below the level of confidence the scheme requires.
    LevelOfConfidenceTooLow = "level_of_confidence_too_low", Rule, NotEligible,
        "not eligible for a digital check: the identity was not verified to the level of \
         confidence the check requires; use another accepted proof (for right to work or \
         rent, a British or Irish citizen needs a manual check of their original document)";
    /// Age: the holder does not meet the threshold.
    AgeThresholdNotMet = "age_threshold_not_met", Rule, NotEligible,
        "the holder does not meet the age threshold";
    /// A claim the check relies on or shows has an unusable value (wrong type, not a real
    /// date, a date in the future where that is impossible, an unknown code); the reason's
    /// `claim` names it.
    ClaimInvalid = "claim_invalid", Rule, Rejected,
        "a claim the check relies on has an invalid value";

    // --- confirmation: the relying party's step after a verified presentation ---
    /// The relying party found that the person is not the credential's holder (the photo or
    /// date of birth does not match the person in front of it).
    HolderNotMatched = "holder_not_matched", Confirmation, Rejected,
        "the checker found that the person is not the holder of the credential: the check \
         cannot be relied on";
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not a known reason code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown reason code")]
pub struct UnknownReasonCode;

impl FromStr for ReasonCode {
    type Err = UnknownReasonCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|code| code.as_str() == s)
            .ok_or(UnknownReasonCode)
    }
}

/// One reason, as the employer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reason {
    /// The stable code, e.g. `credential_revoked`, `key_binding_nonce_mismatch`,
    /// `nationality_not_eligible`, `claim_invalid`, `holder_not_matched`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub code: ReasonCode,
    /// The step that produced it.
    pub step: Step,
    /// A fixed explanation; never personal data.
    pub message: String,
    /// The claim a [`ReasonCode::ClaimInvalid`] is about (a claims path, never its value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<ClaimsPath>,
}

impl Reason {
    /// [`ReasonCode::ClaimInvalid`] about the claim at `path`.
    pub fn claim_invalid(path: ClaimsPath) -> Self {
        Self {
            claim: Some(path),
            ..Self::from(ReasonCode::ClaimInvalid)
        }
    }
}

impl From<ReasonCode> for Reason {
    fn from(code: ReasonCode) -> Self {
        Self {
            code,
            step: code.step(),
            message: code.message().to_owned(),
            claim: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_serialise_as_their_wire_value() {
        let mut seen = BTreeSet::new();
        for &code in ReasonCode::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert!(
                text.bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit()),
                "{text}"
            );
            assert_eq!(serde_json::to_value(code).unwrap(), text);
            assert_eq!(text.parse::<ReasonCode>(), Ok(code));
            assert_eq!(
                serde_json::from_value::<ReasonCode>(text.into()).unwrap(),
                code
            );
        }
        assert_eq!("nope".parse::<ReasonCode>(), Err(UnknownReasonCode));
    }

    #[test]
    fn only_scheme_rules_make_a_check_not_eligible() {
        for &code in ReasonCode::ALL {
            if code.verdict() == OutcomeState::NotEligible {
                assert_eq!(code.step(), Step::Rule, "{code}");
            }
            assert!(
                matches!(
                    code.verdict(),
                    OutcomeState::NotEligible | OutcomeState::Rejected
                ),
                "{code}"
            );
        }
        assert!(
            ReasonCode::NationalityNotEligible
                .message()
                .contains("Home Office share code")
        );
        // British and Irish citizens cannot use a share code: their documents' reasons point
        // them to a manual check.
        for code in [
            ReasonCode::DocumentTypeNotEligible,
            ReasonCode::DocumentCountryNotEligible,
            ReasonCode::DocumentExpired,
            ReasonCode::LevelOfConfidenceTooLow,
        ] {
            assert!(code.message().contains("manual check"), "{code}");
            assert!(!code.message().contains("share code"), "{code}");
        }
    }

    #[test]
    fn a_reason_carries_its_step_and_fixed_message() {
        let reason = Reason::from(ReasonCode::KeyBindingNonceMismatch);
        assert_eq!(
            serde_json::to_value(&reason).unwrap(),
            serde_json::json!({
                "code": "key_binding_nonce_mismatch",
                "step": "binding",
                "message": "the presentation was made for another request"
            })
        );
    }
}
