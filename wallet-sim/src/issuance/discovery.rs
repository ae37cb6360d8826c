//! Issuer and authorization server metadata (OpenID4VCI 1.0 "Credential Issuer Metadata",
//! RFC 8414), found from the offer's `credential_issuer` alone (or, wallet-initiated, the
//! issuer identifier the person gave).

use idv_proto::oid4vci::authorization_server_metadata::AuthorizationServerMetadata;
use idv_proto::oid4vci::credential_offer::{
    AUTHORIZATION_CODE_GRANT_TYPE, CredentialOffer, PRE_AUTHORIZED_CODE_GRANT_TYPE,
};
use idv_proto::oid4vci::issuer_metadata::CredentialIssuerMetadata;
use serde_json::Value;

use super::offer::Flow;
use crate::error::{Party, WalletError};
use crate::http_client::Http;
use crate::well_known;

/// What the wallet needs from discovery.
#[derive(Debug, Clone)]
pub(crate) struct Discovered {
    /// The issuer's metadata, restricted to the offered configurations.
    pub(crate) metadata: CredentialIssuerMetadata,
    /// The authorization server the grant designates.
    pub(crate) server: AuthorizationServer,
}

/// The authorization server, as far as the wallet's flows need it.
#[derive(Debug, Clone)]
pub(crate) struct AuthorizationServer {
    /// Its issuer identifier: the `iss` of its authorization responses (RFC 9207).
    pub(crate) issuer: String,
    /// The token endpoint.
    pub(crate) token_endpoint: String,
    /// The authorization endpoint (authorization code flow).
    pub(crate) authorization_endpoint: Option<String>,
    /// The pushed authorization request endpoint (RFC 9126).
    pub(crate) par_endpoint: Option<String>,
    /// Whether authorization requests must be pushed (RFC 9126 §5).
    pub(crate) requires_par: bool,
    /// Whether its authorization responses carry `iss` (RFC 9207 §3): then one without it is
    /// refused.
    pub(crate) sends_iss: bool,
}

/// Fetches the issuer's metadata, checks it names the offer's issuer, and finds the endpoints
/// of the authorization server the grant designates, which must support the flow.
pub(crate) async fn discover(
    offer: &CredentialOffer,
    flow: &Flow<'_>,
    http: &Http,
) -> Result<Discovered, WalletError> {
    let authorization_server = flow.authorization_server();
    let issuer = &offer.credential_issuer;
    let metadata = issuer_metadata(offer, http).await?;
    let listed = metadata
        .authorization_servers
        .as_deref()
        .unwrap_or_default();
    let server = match authorization_server {
        Some(chosen) if listed.is_empty() && chosen != issuer.as_str() => {
            return Err(invalid_issuer_metadata(format!(
                "the offer names authorization server `{chosen}`, but the metadata lists none"
            )));
        }
        Some(chosen) if !listed.is_empty() && !listed.iter().any(|s| s == chosen) => {
            return Err(invalid_issuer_metadata(format!(
                "the offer names authorization server `{chosen}`, which the metadata does not list"
            )));
        }
        Some(chosen) => chosen.to_owned(),
        None => listed.first().cloned().unwrap_or_else(|| issuer.clone()),
    };
    let server_metadata = authorization_server_metadata(&server, http).await?;
    let unsupported = |what: &str| {
        WalletError::UnsupportedOffer(format!("the authorization server does not support {what}"))
    };
    // Absent, grant_types_supported means ["authorization_code", "implicit"] (RFC 8414 §2).
    let grants = server_metadata.grant_types_supported.as_deref();
    match flow {
        Flow::PreAuthorized(_) => {
            if let Some(grants) = grants
                && !grants.iter().any(|g| g == PRE_AUTHORIZED_CODE_GRANT_TYPE)
            {
                return Err(unsupported("the pre-authorized code grant"));
            }
        }
        Flow::AuthorizationCode(_) => {
            if let Some(grants) = grants
                && !grants.iter().any(|g| g == AUTHORIZATION_CODE_GRANT_TYPE)
            {
                return Err(unsupported("the authorization code grant"));
            }
            if let Some(types) = &server_metadata.response_types_supported
                && !types.iter().any(|t| t == "code")
            {
                return Err(unsupported("the `code` response type"));
            }
            if let Some(methods) = &server_metadata.code_challenge_methods_supported
                && !methods.iter().any(|m| m == "S256")
            {
                return Err(unsupported("PKCE with S256"));
            }
            if server_metadata.authorization_endpoint.is_none() {
                return Err(invalid_server_metadata(
                    "authorization_endpoint is missing".into(),
                ));
            }
        }
    }
    let token_endpoint = server_metadata
        .token_endpoint
        .ok_or_else(|| invalid_server_metadata("token_endpoint is missing".into()))?;
    Ok(Discovered {
        metadata,
        server: AuthorizationServer {
            issuer: server_metadata.issuer,
            token_endpoint,
            authorization_endpoint: server_metadata.authorization_endpoint,
            par_endpoint: server_metadata.pushed_authorization_request_endpoint,
            requires_par: server_metadata
                .require_pushed_authorization_requests
                .unwrap_or(false),
            sends_iss: server_metadata
                .authorization_response_iss_parameter_supported
                .unwrap_or(false),
        },
    })
}

fn invalid_server_metadata(reason: String) -> WalletError {
    WalletError::InvalidResponse {
        party: Party::AuthorizationServer,
        what: "authorization server metadata",
        reason,
    }
}

fn invalid_issuer_metadata(reason: String) -> WalletError {
    WalletError::InvalidResponse {
        party: Party::Issuer,
        what: "credential issuer metadata",
        reason,
    }
}

async fn issuer_metadata(
    offer: &CredentialOffer,
    http: &Http,
) -> Result<CredentialIssuerMetadata, WalletError> {
    let issuer = &offer.credential_issuer;
    let url = well_known::insert(issuer, well_known::CREDENTIAL_ISSUER)
        .map_err(invalid_issuer_metadata)?;
    let mut document: Value = http
        .get_json(&url, Party::Issuer, "credential issuer metadata")
        .await?;
    // Only the offered configurations are read: others may use formats (e.g. mdoc, with
    // COSE algorithm numbers) this wallet does not model, and must not break the offer.
    if let Some(Value::Object(configurations)) =
        document.get_mut("credential_configurations_supported")
    {
        configurations.retain(|id, _| offer.credential_configuration_ids.contains(id));
    }
    let metadata: CredentialIssuerMetadata =
        serde_json::from_value(document).map_err(|e| invalid_issuer_metadata(e.to_string()))?;
    // Simple string comparison (OpenID4VCI 1.0): metadata naming another issuer must not be used.
    if &metadata.credential_issuer != issuer {
        return Err(invalid_issuer_metadata(format!(
            "credential_issuer is `{}`, not `{issuer}`",
            metadata.credential_issuer
        )));
    }
    Ok(metadata)
}

async fn authorization_server_metadata(
    server: &str,
    http: &Http,
) -> Result<AuthorizationServerMetadata, WalletError> {
    let invalid = invalid_server_metadata;
    let url = well_known::insert(server, well_known::AUTHORIZATION_SERVER).map_err(invalid)?;
    let what = "authorization server metadata";
    let document: Value = match http.get_json(&url, Party::AuthorizationServer, what).await {
        Err(WalletError::HttpStatus { status: 404, .. }) => {
            // Servers that only publish OpenID Connect Discovery (RFC 8414 §5).
            let url = well_known::append(server, well_known::OPENID_CONFIGURATION);
            http.get_json(&url, Party::AuthorizationServer, what)
                .await?
        }
        other => other?,
    };
    let metadata: AuthorizationServerMetadata =
        serde_json::from_value(document).map_err(|e| invalid(e.to_string()))?;
    if metadata.issuer != server {
        return Err(invalid(format!(
            "issuer is `{}`, not `{server}`",
            metadata.issuer
        )));
    }
    Ok(metadata)
}
