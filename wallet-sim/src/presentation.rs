//! Presenting credentials: OpenID4VP 1.0 with DCQL, `verifier_attestation:` client
//! identifiers and `direct_post` / `direct_post.jwt` responses.
//!
//! [`Presentations::prepare`] does everything up to the consent question:
//! 1. fetch the request object (`GET`, or `POST` with `wallet_metadata` and a `wallet_nonce`
//!    when `request_uri_method=post`) and authenticate it (`request`); until that succeeds
//!    nothing is ever sent to the verifier;
//! 2. check the request's parameters (`response_type`, `response_mode`, `response_uri`
//!    without `redirect_uri`, `nonce`, `dcql_query`, no `transaction_data`, encryption key);
//!    violations are answered at the `response_uri` with the OpenID4VP error code;
//! 3. find the relying party on the trust list (active, same register id as attested) and the
//!    registered purpose covering every requested claim (`consent::covering_purpose`);
//!    over-asking is answered with `access_denied` and refused, naming the claims;
//! 4. select credentials with DCQL (`idv_dcql::select`) among unexpired batches, taking per
//!    batch the copy presented least (never-presented first: unlinkability); no match is
//!    answered with `access_denied`;
//! 5. compute exactly what the verifier would see (`consent::disclosed_view`).
//!
//! [`Presentations::respond`] then sends, on approval, one SD-JWT+KB per selected credential (KB-JWT
//! `aud` = the full client identifier, `nonce` = the request's), marks the copies used and
//! logs what was shared; on refusal it sends `access_denied`.
//!
//! Copies: when every copy of a batch has been presented already, the least presented one
//! is presented again and a warning says that verifiers can now link the presentations
//! (receive a fresh batch to avoid it). Refusing instead would leave a person unable to prove
//! their right to work at the door; the warning keeps the choice theirs.

mod consent;
mod request;
mod response;

use std::collections::BTreeMap;

use idv_dcql::DcqlError;
use idv_dcql::matching::{claim_satisfied, satisfies};
use idv_dcql::select::{Candidate, select};
use idv_jose::{Jwk, PublicKey, SigningKey};
use idv_proto::claims_path::ClaimsPath;
use idv_proto::oauth_error::OAuthErrorCode;
use idv_proto::oid4vp::authorization_request::{RequestObject, VP_TOKEN_RESPONSE_TYPE};
use idv_proto::oid4vp::authorization_response::VpToken;
use idv_proto::oid4vp::dcql::DcqlQuery;
use idv_proto::oid4vp::verifier_metadata::DC_SD_JWT_FORMAT;
use idv_proto::trust::entry::SchemeCode;
use idv_sdjwt::holder::HeldSdJwt;
use idv_sdjwt::vc;
use idv_trust::attestation::check_relying_party_listed;
use idv_trust::list::VerifiedTrustList;
use serde::Serialize;
use serde_json::Value;

pub use consent::{DisclosedClaim, DisclosedView};
use consent::{covering_purpose, disclosed_view, requested_claims};
use request::AuthenticatedRequest;
use response::Responder;

use crate::error::{InternalError, WalletError};
use crate::http_client::host_of;
use crate::links::parse_presentation_link;
use crate::store::credentials::{Batch, Copy};
use crate::store::presentations::PresentationRecord;
use crate::trust::TrustSource;
use crate::trust::issuer_standing;
use crate::wallet::Handles;

/// Who asks.
#[derive(Debug, Clone, Serialize)]
pub struct Requester {
    /// The registered organisation (from the trust list).
    pub organisation: String,
    /// Its register identifier.
    pub rp_id: String,
    /// The full client identifier.
    pub client_id: String,
    /// The `sequence` of the trust list this was decided on.
    pub trust_list_sequence: u64,
}

/// One credential that would be shared.
#[derive(Debug, Clone, Serialize)]
pub struct SharedCredential {
    /// The DCQL credential query it answers (the `vp_token` key).
    pub query_id: String,
    /// The batch (the id `list` and `show` use).
    pub credential_id: String,
    /// The copy that would be presented.
    pub copy_id: String,
    /// Display name.
    pub name: String,
    /// The issuer, as named by the trust list.
    pub issuer: String,
    /// Exactly what the verifier would learn.
    pub disclosed: DisclosedView,
    /// Whether this copy was presented before (linkable).
    pub copy_reused: bool,
}

/// The consent screen's content.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentSummary {
    /// Who asks.
    pub verifier: Requester,
    /// The registered purpose the request falls under.
    pub purpose: SchemeCode,
    /// What would be shared.
    pub credentials: Vec<SharedCredential>,
    /// `direct_post` or `direct_post.jwt`.
    pub response_mode: String,
    /// The `enc` of an encrypted response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_encryption: Option<String>,
    /// The host the response goes to.
    pub response_host: String,
    /// When the request expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_expires_at: Option<i64>,
    /// Things the person should know before answering.
    pub warnings: Vec<String>,
}

#[derive(Debug)]
struct Planned {
    query_id: String,
    batch: Batch,
    copy: Copy,
    issuer_key: PublicKey,
    paths: Vec<ClaimsPath>,
}

/// An authenticated, checked request waiting for the person's answer.
#[derive(Debug)]
pub struct PreparedPresentation {
    summary: ConsentSummary,
    client_id: String,
    nonce: String,
    responder: Responder,
    planned: Vec<Planned>,
}

impl PreparedPresentation {
    /// What to show before asking.
    pub fn summary(&self) -> &ConsentSummary {
        &self.summary
    }
}

/// The person's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Share.
    Approve,
    /// Refuse (`access_denied` is sent).
    Decline,
}

/// What happened.
#[derive(Debug, Clone, Serialize)]
pub struct PresentationOutcome {
    /// `shared` (the verifier received the response; not that its check passed) or `declined`.
    pub outcome: &'static str,
    /// Who was answered.
    pub verifier: Requester,
    /// The registered purpose.
    pub purpose: SchemeCode,
    /// What was shared (empty when declined).
    pub shared: Vec<SharedCredential>,
    /// Where the verifier asks the person to continue, if it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// Warnings from the consent screen.
    pub warnings: Vec<String>,
}

/// Presenting credentials: the verifier's request authenticated and checked, the consent
/// question prepared, and the answer sent and logged. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Presentations {
    handles: Handles,
    trust: TrustSource,
}

impl Presentations {
    pub(crate) fn new(handles: Handles, trust: TrustSource) -> Self {
        Self { handles, trust }
    }

    /// Authenticates and checks the request of `link` and prepares what would be shared.
    pub async fn prepare(&self, link: &str) -> Result<PreparedPresentation, WalletError> {
        let link = parse_presentation_link(link)?;
        let trust = self.trust.settings()?;
        let list = self.trust.require().await?;
        let wallet_nonce = idv_jose::random::token(self.handles.random.as_ref(), 16);
        let (jwt, sent_nonce) = request::fetch(&link, &self.handles.http, wallet_nonce).await?;
        let now = self.handles.clock.now();
        let authenticated = request::authenticate(
            &jwt,
            &link.client_id,
            sent_nonce.as_deref(),
            &trust.anchors,
            now,
        )?;
        // The verifier is authenticated: from here on, refusals are also told to it.
        let responder = Responder::for_request(&authenticated.object, &self.handles.http)
            .ok_or_else(|| WalletError::InvalidRequest {
                reason: format!(
                    "response_mode `{}` with response_uri {:?} cannot be answered: this \
                         wallet answers direct_post and direct_post.jwt at an http(s) \
                         response_uri",
                    authenticated.object.response_mode, authenticated.object.response_uri
                ),
            })?;
        match self.check_request(&authenticated, &responder, &list).await {
            Ok(prepared) => Ok(prepared),
            Err((error, Some(code))) => {
                // Best effort: the local refusal stands whether or not the verifier hears it.
                if let Err(send_error) = responder
                    .send_error(&self.handles.http, code, &error.to_string())
                    .await
                {
                    tracing::warn!(error = %send_error, "could not tell the verifier");
                }
                Err(error)
            }
            Err((error, None)) => Err(error),
        }
    }

    async fn check_request(
        &self,
        request: &AuthenticatedRequest,
        responder: &Responder,
        list: &VerifiedTrustList,
    ) -> Result<PreparedPresentation, (WalletError, Option<OAuthErrorCode>)> {
        let object = &request.object;
        let (query, nonce) = check_parameters(object).map_err(|(e, c)| (e, Some(c)))?;
        responder.check_can_encrypt().map_err(|why| {
            (
                WalletError::InvalidRequest {
                    reason: format!("the response cannot be encrypted: {why}"),
                },
                Some(OAuthErrorCode::InvalidRequest),
            )
        })?;

        // Who asks: registered and active on the trust list, as attested.
        let attestation = &request.attestation;
        let untrusted = |reason: String| (WalletError::UntrustedVerifier { reason }, None);
        let rp = check_relying_party_listed(list, attestation.sub())
            .map_err(|e| untrusted(format!("{e} on the trust list")))?;
        if rp.rp_id != attestation.claims().rp_id {
            return Err(untrusted(format!(
                "the attestation names register entry {}, the trust list {}",
                attestation.claims().rp_id,
                rp.rp_id
            )));
        }
        let requester = Requester {
            organisation: rp.organisation.name.clone(),
            rp_id: rp.rp_id.clone(),
            client_id: request.client_id.clone(),
            trust_list_sequence: list.sequence(),
        };
        let purpose = covering_purpose(
            &rp.organisation.name,
            &rp.purposes,
            attestation.purposes(),
            &requested_claims(&query),
        )
        .map_err(|e| (e, Some(OAuthErrorCode::AccessDenied)))?;

        let now = self.handles.clock.now();
        let (planned, warnings) = self.plan(&query, now).await.map_err(|e| match e {
            e @ WalletError::NoMatchingCredential { .. } => (e, Some(OAuthErrorCode::AccessDenied)),
            other => (other, None),
        })?;
        let mut credentials = Vec::new();
        for plan in &planned {
            let held = held(&plan.copy, &plan.issuer_key, now).map_err(|e| (e, None))?;
            let disclosed =
                disclosed_view(&held, &plan.issuer_key, &plan.paths, now).map_err(|e| (e, None))?;
            let issued_at = idv_jose::jwt::numeric_date(held.claims(), "iat")
                .ok()
                .flatten();
            let standing = issuer_standing(
                Some(list),
                plan.batch.stored.iss.as_deref(),
                &plan.issuer_key,
                &plan.batch.stored.vct,
                issued_at,
                now,
            );
            credentials.push(SharedCredential {
                query_id: plan.query_id.clone(),
                credential_id: plan.batch.stored.batch_id.clone(),
                copy_id: plan.copy.credential_id.clone(),
                name: plan
                    .batch
                    .stored
                    .display_name
                    .clone()
                    .unwrap_or_else(|| plan.batch.stored.vct.clone()),
                issuer: standing.describe(plan.batch.stored.iss.as_deref()),
                disclosed,
                copy_reused: plan.copy.presentations > 0,
            });
        }
        Ok(PreparedPresentation {
            summary: ConsentSummary {
                verifier: requester,
                purpose,
                credentials,
                response_mode: responder.mode.as_str().to_owned(),
                response_encryption: responder.content_encryption().map(str::to_owned),
                response_host: host_of(&responder.response_uri),
                request_expires_at: object.exp,
                warnings,
            },
            client_id: request.client_id.clone(),
            nonce,
            responder: responder.clone(),
            planned,
        })
    }

    /// Chooses the credentials and copies answering `query`.
    async fn plan(
        &self,
        query: &DcqlQuery,
        now: i64,
    ) -> Result<(Vec<Planned>, Vec<String>), WalletError> {
        let mut held = self.handles.store.presentable_copies(now).await?;
        // The wallet's preference: batches with a never-presented copy, then the newest.
        held.sort_by_key(|(batch, copy)| (copy.presentations > 0, -batch.stored.received_at));
        let candidates: Vec<Candidate<'_, usize>> = held
            .iter()
            .enumerate()
            .map(|(index, (batch, copy))| Candidate {
                handle: index,
                format: &batch.stored.format,
                vct: &batch.stored.vct,
                claims: &copy.stored.claims,
                holder_binding: true,
            })
            .collect();
        let selection = select(query, &candidates).map_err(|e| match e {
            DcqlError::NotSatisfiable { .. } | DcqlError::CredentialSetNotSatisfied { .. } => {
                WalletError::NoMatchingCredential {
                    reason: describe_unsatisfied(query, &candidates, &e),
                }
            }
            other => WalletError::InvalidRequest {
                reason: format!("the DCQL query is invalid: {other}"),
            },
        })?;
        let mut planned = Vec::new();
        let mut warnings = Vec::new();
        for (query_id, chosen) in selection.credentials {
            for selected in chosen {
                let Some((batch, copy)) = held.get(selected.handle) else {
                    continue;
                };
                if copy.presentations > 0 {
                    warnings.push(format!(
                        "every copy of credential {} has been presented before: presenting \
                         copy {} again lets verifiers link these presentations; receive a \
                         fresh batch to avoid this",
                        batch.stored.batch_id, copy.stored.position
                    ));
                }
                planned.push(Planned {
                    query_id: query_id.clone(),
                    batch: batch.clone(),
                    copy: copy.clone(),
                    issuer_key: issuer_key(batch)?,
                    paths: selected.disclose,
                });
            }
        }
        Ok((planned, warnings))
    }

    /// Sends the answer and records what was shared.
    pub async fn respond(
        &self,
        prepared: PreparedPresentation,
        decision: Decision,
    ) -> Result<PresentationOutcome, WalletError> {
        let PreparedPresentation {
            summary,
            client_id,
            nonce,
            responder,
            planned,
        } = prepared;
        if decision == Decision::Decline {
            let delivered = responder
                .send_error(
                    &self.handles.http,
                    OAuthErrorCode::AccessDenied,
                    "the holder declined to share the requested credentials",
                )
                .await?;
            return Ok(PresentationOutcome {
                outcome: "declined",
                verifier: summary.verifier,
                purpose: summary.purpose,
                shared: Vec::new(),
                redirect_uri: delivered.redirect_uri,
                warnings: summary.warnings,
            });
        }

        let now = self.handles.clock.now();
        let mut vp_token: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for plan in &planned {
            let held = held(&plan.copy, &plan.issuer_key, now)?;
            let jwk: Jwk =
                serde_json::from_str(&plan.copy.stored.holder_key).map_err(|source| {
                    InternalError::Json {
                        what: "a stored holder key",
                        source,
                    }
                })?;
            let holder = SigningKey::from_jwk(&jwk).map_err(|source| InternalError::Jose {
                what: "reading a stored holder key",
                source,
            })?;
            let presentation = held
                .present_bound(&plan.paths, &holder, &client_id, &nonce, now)
                .map_err(|source| InternalError::SdJwt {
                    what: "presenting with key binding",
                    source,
                })?;
            vp_token
                .entry(plan.query_id.clone())
                .or_default()
                .push(presentation);
        }
        let sent = responder
            .send_vp_token(&self.handles.http, VpToken(vp_token))
            .await;
        // Once the verifier has answered at all, or may have read the response before it
        // failed, the copies have left the wallet.
        if matches!(
            sent,
            Ok(_) | Err(WalletError::VerifierRejected { .. } | WalletError::VerifierFailed { .. })
        ) {
            for plan in &planned {
                self.handles
                    .store
                    .mark_presented(&plan.copy.credential_id, now)
                    .await?;
                self.handles
                    .store
                    .log_presentation(&PresentationRecord {
                        presentation_id: self.handles.new_id(8),
                        batch_id: plan.batch.stored.batch_id.clone(),
                        credential_id: plan.copy.credential_id.clone(),
                        client_id: client_id.clone(),
                        organisation: summary.verifier.organisation.clone(),
                        purpose: summary.purpose.as_str().to_owned(),
                        claims: plan.paths.clone(),
                        presented_at: now,
                    })
                    .await?;
            }
        }
        let delivered = sent?;
        Ok(PresentationOutcome {
            outcome: "shared",
            verifier: summary.verifier,
            purpose: summary.purpose,
            shared: summary.credentials,
            redirect_uri: delivered.redirect_uri,
            warnings: summary.warnings,
        })
    }
}

/// The request's parameters this wallet needs, or the refusal and the error code to send.
fn check_parameters(
    object: &RequestObject,
) -> Result<(DcqlQuery, String), (WalletError, OAuthErrorCode)> {
    let invalid = |reason: String, code| (WalletError::InvalidRequest { reason }, code);
    if object.response_type != VP_TOKEN_RESPONSE_TYPE {
        return Err(invalid(
            format!(
                "response_type `{}` is not supported (only vp_token)",
                object.response_type
            ),
            OAuthErrorCode::UnsupportedResponseType,
        ));
    }
    if object.redirect_uri.is_some() {
        return Err(invalid(
            "redirect_uri must not be present with response_uri (direct_post)".into(),
            OAuthErrorCode::InvalidRequest,
        ));
    }
    let nonce_ok = !object.nonce.is_empty()
        && object
            .nonce
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~'));
    if !nonce_ok {
        return Err(invalid(
            "nonce is missing or uses characters outside [A-Za-z0-9-._~]".into(),
            OAuthErrorCode::InvalidRequest,
        ));
    }
    if object.transaction_data.is_some() {
        return Err(invalid(
            "transaction_data is not supported by this wallet".into(),
            OAuthErrorCode::InvalidTransactionData,
        ));
    }
    let query = match (&object.dcql_query, &object.scope) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "the request has both dcql_query and scope".into(),
                OAuthErrorCode::InvalidRequest,
            ));
        }
        (Some(query), None) => query.clone(),
        (None, Some(scope)) => {
            return Err(invalid(
                format!("scope `{scope}` is not a DCQL query this wallet knows"),
                OAuthErrorCode::InvalidScope,
            ));
        }
        (None, None) => {
            return Err(invalid(
                "the request has no dcql_query".into(),
                OAuthErrorCode::InvalidRequest,
            ));
        }
    };
    if let Some(formats) = object
        .client_metadata
        .as_ref()
        .and_then(|m| m.vp_formats_supported.as_ref())
        && formats.dc_sd_jwt.is_none()
    {
        return Err(invalid(
            format!("the verifier does not accept {DC_SD_JWT_FORMAT}, the only format held here"),
            OAuthErrorCode::VpFormatsNotSupported,
        ));
    }
    Ok((query, object.nonce.clone()))
}

/// Why no held credential answers `query`: for every Credential Query none answers, the
/// credential type asked for and either that none of that type is held or every requested
/// claim (with its accepted values) that no held credential of that type has, all at once.
fn describe_unsatisfied<H>(
    query: &DcqlQuery,
    candidates: &[Candidate<'_, H>],
    error: &DcqlError,
) -> String {
    let mut unanswered = Vec::new();
    for credential in &query.credentials {
        let of_type: Vec<&Candidate<'_, H>> = candidates
            .iter()
            .filter(|c| {
                c.format == credential.format
                    && (c.holder_binding || !credential.require_cryptographic_holder_binding)
                    && credential
                        .meta
                        .vct_values
                        .as_ref()
                        .is_none_or(|vcts| vcts.iter().any(|vct| vct == c.vct))
            })
            .collect();
        if of_type.iter().any(|c| satisfies(credential, c.claims)) {
            continue;
        }
        let types = credential
            .meta
            .vct_values
            .as_ref()
            .map_or_else(|| credential.format.clone(), |v| v.join(" or "));
        let missing: Vec<String> = credential
            .claims
            .iter()
            .flatten()
            .filter(|claim| !of_type.iter().any(|c| claim_satisfied(claim, c.claims)))
            .map(|claim| match &claim.values {
                None => claim.path.to_string(),
                Some(values) => format!(
                    "{} with one of {}",
                    claim.path,
                    Value::Array(values.clone())
                ),
            })
            .collect();
        let why = if of_type.is_empty() {
            "no credential of that type is held".to_owned()
        } else if missing.is_empty() {
            "no one held credential has all the requested claims together".to_owned()
        } else {
            format!("the held credentials lack {}", missing.join(", "))
        };
        unanswered.push(format!("`{}` asks for {types}: {why}", credential.id));
    }
    if unanswered.is_empty() {
        // A credential set none of whose options is held in full.
        return error.to_string();
    }
    unanswered.join("; ")
}

/// The issuer key `batch` was verified with when it was received.
pub(crate) fn issuer_key(batch: &Batch) -> Result<PublicKey, WalletError> {
    let jwk: Jwk =
        serde_json::from_str(&batch.stored.issuer_jwk).map_err(|source| InternalError::Json {
            what: "a stored issuer key",
            source,
        })?;
    let key = PublicKey::from_jwk(&jwk).map_err(|source| InternalError::Jose {
        what: "reading a stored issuer key",
        source,
    })?;
    Ok(key)
}

fn held(copy: &Copy, issuer_key: &PublicKey, now: i64) -> Result<HeldSdJwt, WalletError> {
    let held = HeldSdJwt::receive(&copy.stored.sd_jwt, issuer_key, vc::accepted_typ(true), now)
        .map_err(|source| InternalError::StoredCredential {
            credential_id: copy.credential_id.clone(),
            source,
        })?;
    Ok(held)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const IDENTITY: &str = "urn:example:uk_identity";

    #[test]
    fn a_refusal_names_every_missing_claim_of_every_unanswered_query() {
        let query: DcqlQuery = serde_json::from_value(json!({"credentials": [
            {"id": "rtw", "format": "dc+sd-jwt", "meta": {"vct_values": [IDENTITY]},
             "claims": [{"path": ["given_name"]}, {"path": ["portrait"]},
                        {"path": ["nationalities"]}, {"path": ["age_over_18"], "values": [true]}]},
            {"id": "age", "format": "dc+sd-jwt", "meta": {"vct_values": ["urn:example:age"]},
             "claims": [{"path": ["age_over_18"]}]}
        ]}))
        .unwrap();
        let claims = json!({"given_name": "Ada", "age_over_18": false});
        let candidates = [Candidate {
            handle: 0,
            format: "dc+sd-jwt",
            vct: IDENTITY,
            claims: &claims,
            holder_binding: true,
        }];
        let error = select(&query, &candidates).unwrap_err();

        let text = describe_unsatisfied(&query, &candidates, &error);

        assert_eq!(
            text,
            format!(
                "`rtw` asks for {IDENTITY}: the held credentials lack [\"portrait\"], \
                 [\"nationalities\"], [\"age_over_18\"] with one of [true]; `age` asks for \
                 urn:example:age: no credential of that type is held"
            )
        );
    }
}
