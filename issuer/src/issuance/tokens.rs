//! The token endpoint: exchanging a pre-authorized code (and its `tx_code`) for an access token
//! (OpenID4VCI 1.0 "Token Endpoint", RFC 6749 §4.1.3 / §5). With `[login]` configured it also
//! takes the `authorization_code` grant, described in [`super::authorization_codes`].
//!
//! Checks of the pre-authorized grant, in order, each answered with the code OpenID4VCI "Token
//! Error Response" names: `grant_type` is supported (`unsupported_grant_type`); the code is
//! present (`invalid_request`); it is known, unused, unexpired and the offer not locked
//! (`invalid_grant`); a `tx_code` is sent exactly when the offer asked for one
//! (`invalid_request`); the `tx_code` has `offers.tx_code_length` characters, the length the
//! offer announced, and is right (`invalid_grant`).
//!
//! **Attempt limit.** Every token request carrying a `tx_code` of the right length is counted *before* the code is
//! compared, by a conditional `UPDATE … WHERE tx_code_attempts < max`, so even parallel
//! guesses get at most `offers.max_tx_code_attempts` comparisons in total. When they are spent
//! without a redemption the offer is locked: every later request gets `invalid_grant` saying
//! so, and the operator must create a new offer.
//!
//! **Single use.** The redemption is a conditional `UPDATE … WHERE redeemed_at IS NULL` in the
//! same transaction that stores the access token: of two concurrent redemptions (on any
//! instances) exactly one gets a token.
//!
//! **`authorization_details`** (RFC 9396, OpenID4VCI "Request Credential Issuance using
//! authorization_details Parameter"): a wallet may narrow the grant to some offered
//! configurations. The token response then returns them with `credential_identifiers` (one per
//! configuration, equal to its id: each offer holds one Credential Dataset per configuration),
//! and the credential endpoint expects `credential_identifier` from that token.
//!
//! Access tokens are 256-bit random bearer tokens, stored hashed, living at most five minutes.

use idv_proto::oid4vci::authorization_details::{AuthorizationDetail, OPENID_CREDENTIAL_TYPE};
use idv_proto::oid4vci::credential_offer::{
    AUTHORIZATION_CODE_GRANT_TYPE, PRE_AUTHORIZED_CODE_GRANT_TYPE,
};
use idv_proto::oid4vci::token::{TokenRequest, TokenResponse};
use serde::Deserialize;

use super::Base;
use super::configurations::parse_authorization_details;
use super::offers::tx_code_hash;
use super::{TokenError, constant_time_eq, hash_secret};
use crate::store::offers::{NewAccessToken, PRE_AUTHORIZED_GRANT};

/// Bytes of entropy in an access token.
const ACCESS_TOKEN_BYTES: usize = 32;

/// The token request form: the shared wire type plus `authorization_details` (a JSON array,
/// form-encoded), which the shared type does not carry.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenExchange {
    /// The RFC 6749 / OpenID4VCI parameters.
    #[serde(flatten)]
    pub request: TokenRequest,
    /// RFC 9396 `authorization_details`, as sent.
    #[serde(default)]
    pub authorization_details: Option<String>,
}

/// The configurations `authorization_details` asks for, deduplicated, in order.
fn requested_configurations(details: &str) -> Result<Vec<String>, TokenError> {
    parse_authorization_details(details).map_err(TokenError::InvalidAuthorizationDetails)
}

/// The token endpoint: pre-authorized and authorization codes exchanged for access tokens.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub(super) base: Base,
}

impl Tokens {
    /// Exchanges a pre-authorized code, or an authorization code, for an access token.
    pub async fn exchange_token(
        &self,
        exchange: TokenExchange,
    ) -> Result<TokenResponse, TokenError> {
        let TokenExchange {
            request,
            authorization_details,
        } = exchange;
        match request.grant_type.as_str() {
            PRE_AUTHORIZED_CODE_GRANT_TYPE => {
                self.exchange_pre_authorized_code(request, authorization_details)
                    .await
            }
            AUTHORIZATION_CODE_GRANT_TYPE => {
                self.exchange_authorization_code(request, authorization_details)
                    .await
            }
            _ => Err(TokenError::UnsupportedGrantType(request.grant_type)),
        }
    }

    async fn exchange_pre_authorized_code(
        &self,
        request: TokenRequest,
        authorization_details: Option<String>,
    ) -> Result<TokenResponse, TokenError> {
        let code = request
            .pre_authorized_code
            .as_deref()
            .filter(|code| !code.is_empty())
            .ok_or_else(|| {
                TokenError::InvalidRequest("the pre-authorized_code parameter is missing".into())
            })?;
        let requested = authorization_details
            .as_deref()
            .map(requested_configurations)
            .transpose()?;

        let now = self.base.clock.now();
        let max_attempts = self.base.settings.max_tx_code_attempts;
        let offer = self
            .base
            .store
            .offer_by_code(&hash_secret(code))
            .await?
            .filter(|offer| offer.grant_type == PRE_AUTHORIZED_GRANT)
            .ok_or_else(|| TokenError::InvalidGrant("unknown pre-authorized code".into()))?;
        if offer.redeemed_at.is_some() {
            return Err(TokenError::InvalidGrant(
                "the pre-authorized code was already used".into(),
            ));
        }
        if now >= offer.expires_at {
            return Err(TokenError::InvalidGrant(
                "the pre-authorized code expired".into(),
            ));
        }
        if offer.is_locked(max_attempts) {
            return Err(locked());
        }
        let authorized = match &requested {
            None => offer.configuration_ids.clone(),
            Some(requested) => {
                if let Some(extra) = requested
                    .iter()
                    .find(|id| !offer.configuration_ids.contains(id))
                {
                    return Err(TokenError::InvalidAuthorizationDetails(format!(
                        "credential configuration `{extra}` was not offered"
                    )));
                }
                requested.clone()
            }
        };

        match (&offer.tx_code_hash, request.tx_code.as_deref()) {
            (None, None) => {}
            (None, Some(_)) => {
                return Err(TokenError::InvalidRequest(
                    "this offer has no tx_code; do not send one".into(),
                ));
            }
            (Some(_), None) => {
                return Err(TokenError::InvalidRequest(
                    "the tx_code parameter is missing; this offer requires one".into(),
                ));
            }
            (Some(expected), Some(presented)) => {
                // A code of the wrong length cannot be a guess at this offer's code (its length
                // is in the offer, OpenID4VCI 1.0 section 4.1.1): refused without spending one
                // of the offer's attempts.
                let length = self.base.settings.tx_code_length;
                if usize::try_from(length).ok() != Some(presented.chars().count()) {
                    return Err(TokenError::InvalidGrant(format!(
                        "the tx_code must be {length} digits long; no attempt was counted"
                    )));
                }
                let Some(attempt) = self
                    .base
                    .store
                    .reserve_tx_code_attempt(&offer.offer_ref, max_attempts)
                    .await?
                else {
                    return Err(locked());
                };
                let presented = tx_code_hash(&offer.offer_ref, presented);
                if !constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
                    tracing::info!(offer.attempt = attempt, "wrong tx_code");
                    let left = max_attempts - attempt;
                    return Err(if left > 0 {
                        TokenError::InvalidGrant(format!(
                            "the tx_code is wrong; {left} attempt(s) left"
                        ))
                    } else {
                        locked()
                    });
                }
            }
        }

        let access_token = self.new_access_token();
        let lifetime = self.base.settings.access_token_lifetime_secs;
        let redeemed = self
            .base
            .store
            .redeem_offer(
                &offer.offer_ref,
                &NewAccessToken {
                    token_hash: &hash_secret(&access_token),
                    authorized: &authorized,
                    uses_identifiers: requested.is_some(),
                    expires_at: now + lifetime,
                    code_hash: None,
                },
                now,
            )
            .await?;
        if !redeemed {
            return Err(TokenError::InvalidGrant(
                "the pre-authorized code was already used".into(),
            ));
        }
        tracing::info!(identity.id = %offer.identity_id, "pre-authorized code redeemed");
        Ok(token_response(access_token, lifetime, requested.as_deref()))
    }

    /// A fresh access token (stored hashed by the caller).
    pub(super) fn new_access_token(&self) -> String {
        idv_jose::random::token(self.base.random.as_ref(), ACCESS_TOKEN_BYTES)
    }
}

/// The token response of either grant: a bearer `access_token` living `lifetime` seconds,
/// with `authorization_details` naming each of `identifiers` when the grant uses them.
pub(super) fn token_response(
    access_token: String,
    lifetime: i64,
    identifiers: Option<&[String]>,
) -> TokenResponse {
    TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: u64::try_from(lifetime).ok(),
        authorization_details: identifiers.map(|ids| {
            ids.iter()
                .map(|id| AuthorizationDetail {
                    detail_type: OPENID_CREDENTIAL_TYPE.into(),
                    credential_identifiers: Some(vec![id.clone()]),
                    credential_configuration_id: id.clone(),
                    locations: None,
                    claims: None,
                })
                .collect()
        }),
        c_nonce: None,
    }
}

fn locked() -> TokenError {
    TokenError::InvalidGrant(
        "the offer is locked after too many wrong tx_code attempts; ask the issuer for a new offer"
            .into(),
    )
}
