//! Verifying an OpenID4VP presentation against a template, in two sans-I/O phases.
//!
//! **Phase one**, [`verify_presentation`], does everything that needs no fetching, in this
//! order (OpenID4VP 1.0 "VP Token Validation", RFC 9901 §7.3, docs/trust-list.md step 6):
//!
//! 1. the trust list is still usable, and the VP Token holds exactly one presentation, keyed
//!    by the template's Credential Query id (checked before any cryptography);
//! 2. the issuer key comes from the trust-list entry of the credential's (unverified) `iss`
//!    and header `kid`, and nowhere else;
//! 3. the SD-JWT VC: issuer signature, `typ`, disclosures, validity period, the SD-JWT VC
//!    rules, and the Key Binding JWT (holder key from `cnf`, audience = the full client
//!    identifier, nonce, `iat` window, `sd_hash`), key binding being required by policy; then,
//!    when the trust list names the credential's type, its Type Metadata and JSON Schema
//!    ([`Expected::credential_types`], see `credential_type.rs`);
//! 4. the issuer is trusted for the template's scheme, level of confidence and `vct`, now and
//!    at issuance; the credential's status list lies in the issuer's registered space;
//! 5. the DCQL query is satisfied (the wallet is never trusted to have applied it);
//! 6. every claim that was not requested is dropped.
//!
//! The service then resolves each [`StatusRequest`] (fetch the status list token, verify it
//! with the given issuer key) and calls **phase two**, [`VerifiedPresentation::conclude`],
//! which applies revocation and suspension, then the template's rules, into a
//! [`CheckOutcome`].

use std::collections::BTreeMap;
use std::fmt;

use idv_dcql::check::PresentedCredential;
use idv_jose::PublicKey;
use idv_proto::oid4vp::authorization_response::VpToken;
use idv_proto::oid4vp::verifier_metadata::DC_SD_JWT_FORMAT;
use idv_proto::sd_jwt_vc::status::{StatusClaim, StatusListReference};
use idv_proto::trust::entry::LevelOfConfidence;
use idv_sdjwt::key_binding::KeyBindingPolicy;
use idv_sdjwt::type_metadata::CredentialTypes;
use idv_sdjwt::vc::{self, VerifiedSdJwtVc};
use idv_sdjwt::verify::{DEFAULT_KB_MAX_AGE, DEFAULT_SKEW, UnverifiedSdJwt, VerifyPolicy};
use idv_status_list::Status;
use idv_trust::evaluate::{self, IssuanceWindow, IssuerQuery};
use idv_trust::list::VerifiedTrustList;
use serde::Deserialize as _;
use serde_json::{Map, Value};

use crate::credential_type;
use crate::failure::{Cause, CheckFailure, Known, sd_jwt_code, trust_code};
use crate::outcome::{CheckOutcome, Provider, TrustListRef};
use crate::reason::{OutcomeState, Reason, ReasonCode};
use crate::rules;
use crate::templates::{Rule, Template, TemplateRef};

/// What this transaction expects of the presentation, decided by the verifier before looking
/// at it.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The full client identifier, prefix included (e.g. `verifier_attestation:hr.example`):
    /// the Key Binding JWT's `aud` must equal it.
    pub client_id: &'a str,
    /// The request's `nonce`: the Key Binding JWT's `nonce` must equal it.
    pub nonce: &'a str,
    /// The verifier's current time (Unix seconds).
    pub now: i64,
    /// How old (seconds) the Key Binding JWT's `iat` may be.
    pub kb_max_age: i64,
    /// Clock skew tolerated on credential and Key Binding JWT times (seconds).
    pub skew: i64,
    /// Whether the legacy `vc+sd-jwt` `typ` is accepted on input.
    pub allow_legacy_typ: bool,
    /// The credential types the verifier loaded from the documents the trust list pins
    /// (`idv_fetch::TypeMetadataClient`). A credential whose type the list names is refused
    /// unless its type is here, loaded from exactly those documents.
    pub credential_types: Option<&'a CredentialTypes>,
}

impl<'a> Expected<'a> {
    /// The defaults: Key Binding JWT at most five minutes old, one minute of skew, no legacy
    /// `typ`, no credential types held.
    pub fn new(client_id: &'a str, nonce: &'a str, now: i64) -> Self {
        Self {
            client_id,
            nonce,
            now,
            kb_max_age: DEFAULT_KB_MAX_AGE,
            skew: DEFAULT_SKEW,
            allow_legacy_typ: false,
            credential_types: None,
        }
    }

    /// The same, with the credential types held.
    pub fn with_credential_types(self, types: &'a CredentialTypes) -> Self {
        Self {
            credential_types: Some(types),
            ..self
        }
    }
}

/// A status list entry the service must resolve before phase two: fetch `reference.uri`
/// (`Accept: application/statuslist+jwt`) and verify the token with a key of the issuer's
/// trust-list entry (status list tokens are signed by the credential's issuer), e.g.
/// `idv_fetch::status_list::StatusListClient::status(&reference, &iss, &trust_list)`. The URI
/// is already confined to the issuer's registered status prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRequest {
    /// The credential's `status.status_list`.
    pub reference: StatusListReference,
    /// The credential's (verified, trusted) `iss`.
    pub iss: String,
    /// The trust-list key the credential verified with; the issuer's status list tokens are
    /// normally signed with it too (a token naming another `kid` of the entry is also valid).
    pub issuer_key: PublicKey,
}

/// A presentation that passed phase one, holding only the requested claims.
///
/// `Debug` shows no claims.
pub struct VerifiedPresentation {
    template: TemplateRef,
    rule: Rule,
    required_loc: LevelOfConfidence,
    confirmation_required: bool,
    provider: Provider,
    provider_max_loc: LevelOfConfidence,
    trust_list: TrustListRef,
    status: StatusRequest,
    claims: Map<String, Value>,
    presentation_sha256: String,
    checked_at: i64,
}

impl fmt::Debug for VerifiedPresentation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedPresentation")
            .field("template", &self.template)
            .field("provider", &self.provider.register_id)
            .field("trust_list", &self.trust_list)
            .field("claims", &format_args!("<{} claim(s)>", self.claims.len()))
            .field("checked_at", &self.checked_at)
            .finish_non_exhaustive()
    }
}

/// Phase one: verifies `vp_token` for `template` against `expected` and the held trust list.
pub fn verify_presentation(
    template: &Template,
    expected: &Expected<'_>,
    vp_token: &VpToken,
    trust_list: &VerifiedTrustList,
) -> Result<VerifiedPresentation, CheckFailure> {
    let now = expected.now;
    let mut known = Known {
        template: template.reference(),
        checked_at: now,
        vp_token,
        trust_list: None,
        provider: None,
    };
    if now >= trust_list.exp() {
        return Err(known.fail(ReasonCode::TrustListUnavailable, None));
    }
    let trust_list_ref = TrustListRef {
        list_id: trust_list.list_id().to_owned(),
        sequence: trust_list.sequence(),
    };
    known.trust_list = Some(trust_list_ref.clone());

    let query_id = template.credential_query_id();
    let presentation = match vp_token.0.get(query_id).map(Vec::as_slice) {
        Some([presentation]) if vp_token.0.len() == 1 => presentation,
        _ => return Err(known.fail(ReasonCode::DcqlNotSatisfied, None)),
    };

    let sd_jwt_failure = |known: &Known, e: idv_sdjwt::SdJwtError| {
        known.fail(sd_jwt_code(&e), Some(Cause::SdJwt(e)))
    };
    let trust_failure =
        |known: &Known, e: idv_trust::TrustError| known.fail(trust_code(&e), Some(Cause::Trust(e)));

    let unverified = UnverifiedSdJwt::parse(presentation).map_err(|e| sd_jwt_failure(&known, e))?;
    // Unauthenticated `iss`: read only to pick the key by our own trust rules.
    let iss = match unverified.insecure_claims().get("iss") {
        Some(Value::String(iss)) => iss.clone(),
        _ => return Err(known.fail(ReasonCode::IssuerNotTrusted, None)),
    };
    let issuer_key = evaluate::find_issuer_key(trust_list, &iss, unverified.header().kid())
        .map_err(|e| trust_failure(&known, e))?;

    let policy = VerifyPolicy {
        typ: vc::accepted_typ(expected.allow_legacy_typ),
        now,
        skew: expected.skew,
        key_binding: Some(KeyBindingPolicy {
            audience: expected.client_id,
            nonce: expected.nonce,
            max_age: expected.kb_max_age,
        }),
    };
    let verified = unverified
        .verify(issuer_key, &policy)
        .and_then(VerifiedSdJwtVc::from_verified)
        .map_err(|e| sd_jwt_failure(&known, e))?;
    credential_type::check(&known, trust_list, expected.credential_types, &verified)?;
    let holder_binding = verified.sd_jwt().key_binding().is_some();
    // The digest of the presentation, from the `sd_hash` pass (key binding is required).
    let presentation_sha256 = match verified.sd_jwt().presentation_sha256() {
        Some(digest) => idv_jose::base64url::encode(digest),
        None => crate::evidence::presentation_sha256(vp_token),
    };
    let vct = verified.vct().to_owned();
    let claims = verified.into_sd_jwt().into_claims();
    // Validity claims our profile requires (RFC 9901 §9.7: the verifier must ensure they are
    // present); `iss`, `vct` and `cnf` were required on the way here.
    if !claims.contains_key("exp") {
        return Err(known.fail(ReasonCode::CredentialMalformed, None));
    }
    let issued_at = idv_jose::jwt::numeric_date(&claims, "iat")
        .map_err(|_| known.fail(ReasonCode::CredentialMalformed, None))?;

    let decision = evaluate::evaluate_issuer(
        trust_list,
        &IssuerQuery {
            iss: &iss,
            issuer_key,
            vct: &vct,
            scheme: template.scheme(),
            required_loc: template.required_loc(),
            now,
            issued: issued_at.map(|iat| IssuanceWindow::from_iat(iat, now)),
        },
    )
    .map_err(|e| {
        // The entry is known even when it is not trusted now (e.g. suspended): say who.
        let mut known = known.clone();
        known.provider = trust_list.entry_for_issuer(&iss).map(|entry| Provider {
            register_id: entry.entry_id.clone(),
            organisation: entry.organisation.clone(),
            service: entry.service.name.clone(),
        });
        trust_failure(&known, e)
    })?;
    known.provider = Some(Provider::from(&decision));

    let reference = match claims.get("status").map(StatusClaim::deserialize) {
        Some(Ok(status)) => status.status_list,
        Some(Err(e)) => {
            return Err(known.fail(ReasonCode::StatusReferenceInvalid, Some(Cause::Status(e))));
        }
        None => return Err(known.fail(ReasonCode::StatusReferenceInvalid, None)),
    };
    evaluate::check_status_list_uri(trust_list, &iss, &reference.uri)
        .map_err(|e| trust_failure(&known, e))?;

    let claims = Value::Object(claims);
    let response = BTreeMap::from([(
        query_id.to_owned(),
        vec![PresentedCredential {
            format: DC_SD_JWT_FORMAT,
            vct: &vct,
            claims: &claims,
            holder_binding,
        }],
    )]);
    idv_dcql::check::check(template.dcql_query(), &response)
        .map_err(|e| known.fail(ReasonCode::DcqlNotSatisfied, Some(Cause::Dcql(e))))?;
    drop(response);
    let Value::Object(claims) = claims else {
        return Err(known.fail(ReasonCode::CredentialMalformed, None));
    };

    Ok(VerifiedPresentation {
        template: known.template,
        rule: template.rule,
        required_loc: template.required_loc(),
        confirmation_required: template.confirmation_required(),
        provider: Provider::from(&decision),
        provider_max_loc: decision.max_loc,
        trust_list: trust_list_ref,
        status: StatusRequest {
            reference,
            iss,
            issuer_key: issuer_key.clone(),
        },
        claims: template.retain.apply(claims),
        presentation_sha256,
        checked_at: now,
    })
}

impl VerifiedPresentation {
    /// The status list entries to resolve before [`VerifiedPresentation::conclude`] (one per
    /// presented credential).
    pub fn status_requests(&self) -> &[StatusRequest] {
        std::slice::from_ref(&self.status)
    }

    /// The template and version verified against.
    pub fn template(&self) -> &TemplateRef {
        &self.template
    }

    /// The provider that issued the credential.
    pub fn provider(&self) -> &Provider {
        &self.provider
    }

    /// The trust list the issuer was evaluated against.
    pub fn trust_list(&self) -> &TrustListRef {
        &self.trust_list
    }

    /// base64url(SHA-256) of the presentation, exactly as presented (see
    /// [`crate::evidence::presentation_sha256`]).
    pub fn presentation_sha256(&self) -> &str {
        &self.presentation_sha256
    }

    /// When phase one ran (Unix seconds); the rules are applied at this time.
    pub fn checked_at(&self) -> i64 {
        self.checked_at
    }

    /// Phase two: applies the resolved statuses, then the template's rules.
    ///
    /// `statuses` pairs each resolved reference with the status read from its verified list,
    /// checked at `status_checked_at` in a Status List Token issued at `status_list_iat` (both
    /// recorded in the outcome); a reference without an entry (the fetch or verification failed) rejects the check with
    /// [`ReasonCode::StatusUnavailable`]. Revoked, suspended or unknown statuses reject it;
    /// only a valid one lets the rules run. A template with the relying party's confirmation
    /// step concludes [`OutcomeState::AwaitingConfirmation`] where it would be compliant.
    /// Claims stay in the outcome only when it is compliant or awaiting confirmation.
    pub fn conclude(
        self,
        statuses: &[(StatusListReference, Status)],
        status_checked_at: i64,
        status_list_iat: Option<i64>,
    ) -> CheckOutcome {
        let status = statuses
            .iter()
            .find(|(reference, _)| *reference == self.status.reference)
            .map(|(_, status)| *status);
        let status_failure = match status {
            Some(Status::Valid) => None,
            Some(Status::Invalid) => Some(ReasonCode::CredentialRevoked),
            Some(Status::Suspended) => Some(ReasonCode::CredentialSuspended),
            Some(_) => Some(ReasonCode::CredentialStatusUnknown),
            None => Some(ReasonCode::StatusUnavailable),
        };
        let (reasons, level_of_confidence) = match status_failure {
            Some(code) => (vec![Reason::from(code)], None),
            None => {
                let result = rules::evaluate(
                    self.rule,
                    &self.claims,
                    self.checked_at,
                    self.required_loc,
                    self.provider_max_loc,
                );
                (result.reasons, result.level_of_confidence)
            }
        };
        let mut outcome = CheckOutcome::from_reasons(self.template, reasons, self.checked_at);
        if outcome.compliant && self.confirmation_required {
            outcome.state = OutcomeState::AwaitingConfirmation;
            outcome.compliant = false;
        }
        if matches!(
            outcome.state,
            OutcomeState::Compliant | OutcomeState::AwaitingConfirmation
        ) {
            outcome.claims = self.claims;
        }
        outcome.provider = Some(self.provider);
        outcome.level_of_confidence = level_of_confidence;
        outcome.trust_list = Some(self.trust_list);
        outcome.status_checked_at = Some(status_checked_at);
        outcome.status_list_iat = status_list_iat;
        outcome.presentation_sha256 = Some(self.presentation_sha256);
        outcome
    }
}
