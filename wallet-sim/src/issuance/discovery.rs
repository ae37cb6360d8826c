//! Issuer and authorization server metadata (OpenID4VCI 1.0 "Credential Issuer Metadata",
//! RFC 8414), found from the offer's `credential_issuer` alone.

use idv_proto::oid4vci::authorization_server_metadata::AuthorizationServerMetadata;
use idv_proto::oid4vci::credential_offer::{CredentialOffer, PRE_AUTHORIZED_CODE_GRANT_TYPE};
use idv_proto::oid4vci::issuer_metadata::CredentialIssuerMetadata;
use serde_json::Value;

use crate::error::{Party, WalletError};
use crate::http::Http;
use crate::well_known;

/// What the wallet needs from discovery.
#[derive(Debug, Clone)]
pub(crate) struct Discovered {
    /// The issuer's metadata, restricted to the offered configurations.
    pub(crate) metadata: CredentialIssuerMetadata,
    /// The authorization server's token endpoint.
    pub(crate) token_endpoint: String,
}

/// Fetches the issuer's metadata, checks it names the offer's issuer, and finds the token
/// endpoint of the authorization server the grant designates.
pub(crate) async fn discover(
    offer: &CredentialOffer,
    authorization_server: Option<&str>,
    http: &Http,
) -> Result<Discovered, WalletError> {
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
    if let Some(grants) = &server_metadata.grant_types_supported
        && !grants.iter().any(|g| g == PRE_AUTHORIZED_CODE_GRANT_TYPE)
    {
        return Err(WalletError::UnsupportedOffer(
            "the authorization server does not support the pre-authorized code grant".into(),
        ));
    }
    let token_endpoint =
        server_metadata
            .token_endpoint
            .ok_or_else(|| WalletError::InvalidResponse {
                party: Party::AuthorizationServer,
                what: "authorization server metadata",
                reason: "token_endpoint is missing".into(),
            })?;
    Ok(Discovered {
        metadata,
        token_endpoint,
    })
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
            "credential_issuer is `{}`, not the offer's `{issuer}`",
            metadata.credential_issuer
        )));
    }
    Ok(metadata)
}

async fn authorization_server_metadata(
    server: &str,
    http: &Http,
) -> Result<AuthorizationServerMetadata, WalletError> {
    let invalid = |reason: String| WalletError::InvalidResponse {
        party: Party::AuthorizationServer,
        what: "authorization server metadata",
        reason,
    };
    let url = well_known::insert(server, well_known::AUTHORIZATION_SERVER).map_err(invalid)?;
    let what = "authorization server metadata";
    let metadata: AuthorizationServerMetadata =
        match http.get_json(&url, Party::AuthorizationServer, what).await {
            Err(WalletError::HttpStatus { status: 404, .. }) => {
                // Servers that only publish OpenID Connect Discovery (RFC 8414 §5).
                let url = well_known::append(server, well_known::OPENID_CONFIGURATION);
                http.get_json(&url, Party::AuthorizationServer, what)
                    .await?
            }
            other => other?,
        };
    if metadata.issuer != server {
        return Err(invalid(format!(
            "issuer is `{}`, not `{server}`",
            metadata.issuer
        )));
    }
    Ok(metadata)
}
