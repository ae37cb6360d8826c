//! Authorization codes of the authorization code flow: issued after sign-in
//! ([`super::login`]), exchanged at the token endpoint (RFC 6749 §4.1.3, RFC 7636 §4.6).
//!
//! A code is 256 random bits, stored hashed, lives [`CODE_LIFETIME_SECS`], and is bound to the
//! pushed request (client, `redirect_uri`, PKCE challenge, configurations) and to the proofed
//! identity of the person who signed in. Its first exchange attempt spends it, successful or
//! not (a conditional `UPDATE … WHERE used_at IS NULL`); the checks, answered with
//! `invalid_grant`, are: known and unused, unexpired, issued to this `client_id`, the same
//! `redirect_uri`, and `BASE64URL(SHA256(code_verifier))` equal to the `code_challenge`. A code
//! presented again revokes the access token issued for it (RFC 6749 §4.1.2) and is refused.
//!
//! The access token is like the pre-authorized flow's. Its grant is the offer the request
//! answered (redeemed now, once) or, for a wallet-initiated request, a new offer row created
//! already redeemed, so that each configuration is issued once per grant as before. When the
//! pushed request (or the token request) used `authorization_details`, the token response
//! returns them with `credential_identifiers`.

use idv_proto::oid4vci::token::{TokenRequest, TokenResponse};

use super::configurations::parse_authorization_details;
use super::tokens::Tokens;
use super::tokens::token_response;
use super::{TokenError, hash_secret, random_id};
use crate::store::StoreError;
use crate::store::authorization::CodeClaim;
use crate::store::offers::{AUTHORIZATION_CODE_GRANT, NewAccessToken, NewOffer};

/// Seconds an authorization code stays exchangeable.
pub const CODE_LIFETIME_SECS: i64 = 60;
/// Bytes of entropy in an authorization code.
const CODE_BYTES: usize = 32;

impl Tokens {
    /// Issues an authorization code for the request `request_ref` and the person signed in.
    pub(crate) async fn issue_authorization_code(
        &self,
        request_ref: &str,
        identity_id: &str,
        now: i64,
    ) -> Result<String, StoreError> {
        let code = idv_jose::random::token(self.base.random.as_ref(), CODE_BYTES);
        self.base
            .store
            .insert_authorization_code(
                &hash_secret(&code),
                request_ref,
                identity_id,
                now,
                now + CODE_LIFETIME_SECS,
            )
            .await?;
        Ok(code)
    }

    /// The token endpoint's authorization code grant.
    pub(crate) async fn exchange_authorization_code(
        &self,
        request: TokenRequest,
        authorization_details: Option<String>,
    ) -> Result<TokenResponse, TokenError> {
        let settings = self
            .base
            .settings
            .authorization
            .as_ref()
            .ok_or_else(|| TokenError::UnsupportedGrantType(request.grant_type.clone()))?;
        let missing = |name: &str| TokenError::InvalidRequest(format!("{name} is missing"));
        let client_id = request
            .client_id
            .as_deref()
            .ok_or_else(|| missing("client_id"))?;
        if settings.wallet_client(client_id).is_none() {
            return Err(TokenError::InvalidClient(format!(
                "unknown client `{client_id}`"
            )));
        }
        let code = request.code.as_deref().ok_or_else(|| missing("code"))?;
        let redirect_uri = request
            .redirect_uri
            .as_deref()
            .ok_or_else(|| missing("redirect_uri"))?;
        let verifier = request
            .code_verifier
            .as_deref()
            .ok_or_else(|| missing("code_verifier"))?;
        let narrowed = authorization_details
            .as_deref()
            .map(parse_authorization_details)
            .transpose()
            .map_err(TokenError::InvalidAuthorizationDetails)?;

        let now = self.base.clock.now();
        let code_hash = hash_secret(code);
        let (claimed, mut tx) = match self
            .base
            .store
            .claim_authorization_code(&code_hash, now)
            .await?
        {
            CodeClaim::Unknown => {
                return Err(TokenError::InvalidGrant(
                    "unknown authorization code".into(),
                ));
            }
            CodeClaim::Replayed => {
                let revoked = self.base.store.revoke_code_tokens(&code_hash).await?;
                tracing::warn!(
                    tokens.revoked = revoked,
                    "authorization code replayed; its access token is revoked"
                );
                return Err(TokenError::InvalidGrant(
                    "the authorization code was already used; what it granted is revoked".into(),
                ));
            }
            CodeClaim::Fresh(claimed, tx) => (claimed, tx),
        };
        let request_data = &claimed.request;
        let refusal = if now >= claimed.expires_at {
            Some("the authorization code expired")
        } else if request_data.client_id != client_id {
            Some("the authorization code was issued to another client")
        } else if request_data.redirect_uri != redirect_uri {
            Some("redirect_uri is not the one of the authorization request")
        } else if !idv_jose::pkce::verifies(verifier, &request_data.code_challenge) {
            Some("code_verifier does not match the code_challenge")
        } else {
            None
        };
        if let Some(why) = refusal {
            // The attempt spends the code all the same.
            tx.commit().await?;
            return Err(TokenError::InvalidGrant(why.into()));
        }
        let authorized = match &narrowed {
            None => request_data.configuration_ids.clone(),
            Some(ids) => {
                if let Some(extra) = ids
                    .iter()
                    .find(|id| !request_data.configuration_ids.contains(id))
                {
                    tx.commit().await?;
                    return Err(TokenError::InvalidAuthorizationDetails(format!(
                        "credential configuration `{extra}` was not authorized"
                    )));
                }
                ids.clone()
            }
        };
        let uses_identifiers = request_data.uses_details || narrowed.is_some();

        let offer_ref = match &request_data.offer_ref {
            Some(offer_ref) => {
                if !tx.redeem_offer(offer_ref, now).await? {
                    tx.commit().await?;
                    return Err(TokenError::InvalidGrant(
                        "the credential offer was already redeemed or has expired".into(),
                    ));
                }
                offer_ref.clone()
            }
            None => {
                let offer_ref = hash_secret(&random_id(self.base.random.as_ref()));
                tx.create_grant(&NewOffer {
                    offer_ref: &offer_ref,
                    identity_id: &claimed.identity_id,
                    configuration_ids: &authorized,
                    code_hash: &hash_secret(&format!("grant:{offer_ref}")),
                    tx_code_hash: None,
                    grant_type: AUTHORIZATION_CODE_GRANT,
                    issuer_state_hash: None,
                    now,
                    expires_at: now,
                    redeemed_at: Some(now),
                })
                .await?;
                offer_ref
            }
        };
        let access_token = self.new_access_token();
        let lifetime = self.base.settings.access_token_lifetime_secs;
        tx.insert_access_token(
            &offer_ref,
            &NewAccessToken {
                token_hash: &hash_secret(&access_token),
                authorized: &authorized,
                uses_identifiers,
                expires_at: now + lifetime,
                code_hash: Some(&code_hash),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(
            identity.id = %claimed.identity_id,
            client.id = %client_id,
            "authorization code exchanged"
        );
        Ok(token_response(
            access_token,
            lifetime,
            uses_identifiers.then_some(authorized.as_slice()),
        ))
    }
}
