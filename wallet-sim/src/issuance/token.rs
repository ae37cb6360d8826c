//! The token endpoint (OpenID4VCI 1.0 "Token Endpoint": the pre-authorized code grant, and the
//! authorization code grant of RFC 6749 §4.1.3 with the PKCE verifier of RFC 7636 §4.5) and
//! the nonce endpoint ("Nonce Endpoint").

use idv_proto::oid4vci::credential_offer::{
    AUTHORIZATION_CODE_GRANT_TYPE, PRE_AUTHORIZED_CODE_GRANT_TYPE, PreAuthorizedCodeGrant,
};
use idv_proto::oid4vci::nonce::NonceResponse;
use idv_proto::oid4vci::token::TokenResponse;

use crate::error::{Party, WalletError};
use crate::http_client::{Http, JSON, Reply, parse_json, status_error};

/// Exchanges the offer's pre-authorized code (and `tx_code`, iff the offer asks for one) for
/// an access token.
pub(crate) async fn redeem(
    http: &Http,
    token_endpoint: &str,
    grant: &PreAuthorizedCodeGrant,
    tx_code: Option<&str>,
) -> Result<TokenResponse, WalletError> {
    let mut fields = vec![
        ("grant_type", PRE_AUTHORIZED_CODE_GRANT_TYPE),
        ("pre-authorized_code", grant.pre_authorized_code.as_str()),
    ];
    if let Some(code) = tx_code {
        fields.push(("tx_code", code));
    }
    let reply = match request_token(http, token_endpoint, &fields).await? {
        Ok(token) => return Ok(token),
        Err(refusal) => refusal,
    };
    match reply.oauth_error() {
        // OpenID4VCI 1.0 answers a wrong tx_code with invalid_grant, as it does an unknown,
        // used or expired code; the 1.1 drafts add invalid_tx_code.
        Some(remote) if remote.error == "invalid_grant" || remote.error == "invalid_tx_code" => {
            Err(WalletError::GrantRejected {
                tx_code_sent: tx_code.is_some(),
                remote,
            })
        }
        Some(remote) => Err(WalletError::IssuerRefused {
            party: Party::AuthorizationServer,
            remote,
        }),
        None => Err(status_error(
            &reply,
            token_endpoint,
            Party::AuthorizationServer,
        )),
    }
}

/// What the authorization code grant sends besides the code.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CodeExchange<'a> {
    /// The `redirect_uri` of the authorization request.
    pub(crate) redirect_uri: &'a str,
    /// The PKCE `code_verifier`.
    pub(crate) code_verifier: &'a str,
    /// The wallet's `client_id` (a public client: no other authentication).
    pub(crate) client_id: &'a str,
}

/// Exchanges an authorization code for an access token.
pub(crate) async fn exchange_code(
    http: &Http,
    token_endpoint: &str,
    code: &str,
    exchange: CodeExchange<'_>,
) -> Result<TokenResponse, WalletError> {
    let fields = [
        ("grant_type", AUTHORIZATION_CODE_GRANT_TYPE),
        ("code", code),
        ("redirect_uri", exchange.redirect_uri),
        ("code_verifier", exchange.code_verifier),
        ("client_id", exchange.client_id),
    ];
    let reply = match request_token(http, token_endpoint, &fields).await? {
        Ok(token) => return Ok(token),
        Err(refusal) => refusal,
    };
    Err(match reply.oauth_error() {
        Some(remote) => WalletError::IssuerRefused {
            party: Party::AuthorizationServer,
            remote,
        },
        None => status_error(&reply, token_endpoint, Party::AuthorizationServer),
    })
}

/// POSTs a token request: the Bearer token of a successful response, or the reply that
/// refused it.
async fn request_token(
    http: &Http,
    token_endpoint: &str,
    fields: &[(&str, &str)],
) -> Result<Result<TokenResponse, Reply>, WalletError> {
    let reply = http
        .post_form(
            token_endpoint,
            fields,
            JSON,
            None,
            Party::AuthorizationServer,
        )
        .await?;
    if reply.is_success() {
        return bearer_token(&reply).map(Ok);
    }
    Ok(Err(reply))
}

/// A successful token response, which must carry a Bearer token.
fn bearer_token(reply: &Reply) -> Result<TokenResponse, WalletError> {
    let token: TokenResponse =
        parse_json(&reply.body, Party::AuthorizationServer, "token response")?;
    if !token.token_type.eq_ignore_ascii_case("bearer") {
        return Err(WalletError::UnsupportedOffer(format!(
            "the issuer issues `{}` access tokens; this wallet only uses Bearer tokens",
            token.token_type
        )));
    }
    Ok(token)
}

/// A fresh `c_nonce` from the nonce endpoint.
pub(crate) async fn fetch_nonce(http: &Http, nonce_endpoint: &str) -> Result<String, WalletError> {
    let reply = http
        .post_form(nonce_endpoint, &[], JSON, None, Party::Issuer)
        .await?;
    if !reply.is_success() {
        return Err(status_error(&reply, nonce_endpoint, Party::Issuer));
    }
    let nonce: NonceResponse = parse_json(&reply.body, Party::Issuer, "nonce response")?;
    Ok(nonce.c_nonce)
}
