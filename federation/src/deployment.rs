//! What a running federation offers whichever way it was started: the services' [`Endpoints`],
//! their operators' API clients, and the few operator steps that exist only on the command line
//! by design (`issuer registration`, `verifier tenant add`, `verifier tenant attest`).

use std::future::Future;
use std::path::PathBuf;

use idv_service_kit::Secret;
use serde_json::Value;

use crate::api::Api;
use crate::employer::Employer;
use crate::error::LaunchError;
use crate::operator::TrustFrameworkOperator;
use crate::provider::IssuerOperator;

/// Where the services are and the credentials their operators got from `init`.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// The trust framework's base URL.
    pub trust_framework: String,
    /// The issuer's base URL (its Credential Issuer Identifier).
    pub issuer: String,
    /// The verifier's base URL.
    pub verifier: String,
    /// The trust framework's operator token.
    pub trust_framework_token: Secret,
    /// The issuer's operator token.
    pub issuer_token: Secret,
    /// The trust framework's anchor public JWK, pinned by the verifier and wallets.
    pub anchor: Value,
    /// The file holding [`Endpoints::anchor`].
    pub anchor_file: PathBuf,
}

impl Endpoints {
    /// The signed trust list's URL.
    pub fn trust_list_url(&self) -> String {
        format!("{}/trust-list", self.trust_framework)
    }

    /// The trust framework operator's API client.
    pub fn operator(&self, client: &reqwest::Client) -> TrustFrameworkOperator {
        TrustFrameworkOperator::new(Api::new(
            client.clone(),
            &self.trust_framework,
            self.trust_framework_token.clone(),
        ))
    }

    /// The issuer operator's API client.
    pub fn provider(&self, client: &reqwest::Client) -> IssuerOperator {
        IssuerOperator::new(Api::new(
            client.clone(),
            &self.issuer,
            self.issuer_token.clone(),
        ))
    }

    /// A verifier tenant's API client.
    pub fn employer(&self, client: &reqwest::Client, api_key: &Secret) -> Employer {
        Employer::new(Api::new(client.clone(), &self.verifier, api_key.clone()))
    }
}

/// A verifier tenant as `verifier tenant add` creates it.
#[derive(Debug, Clone)]
pub struct TenantAccount {
    /// `tn_…`.
    pub tenant_id: String,
    /// The API key (shown once).
    pub api_key: Secret,
    /// The Standard Webhooks signing secret (shown once).
    pub webhook_secret: Secret,
    /// The public request-signing JWK, for the trust framework to attest.
    pub request_signing_jwk: Value,
}

/// A running federation and its operators' command-line steps.
pub trait Deployment {
    /// Where everything is.
    fn endpoints(&self) -> &Endpoints;

    /// `issuer registration`: the `issuer` member of the provider's register entry.
    fn issuer_registration(&self) -> impl Future<Output = Result<Value, LaunchError>>;

    /// `verifier tenant add --name … --client-id … --json`.
    fn add_tenant(
        &self,
        name: &str,
        client_id: &str,
    ) -> impl Future<Output = Result<TenantAccount, LaunchError>>;

    /// `verifier tenant attest <tenant_id> <file>` with the attestation JWT.
    fn install_attestation(
        &self,
        tenant_id: &str,
        attestation: &str,
    ) -> impl Future<Output = Result<(), LaunchError>>;
}

/// Parses `verifier tenant add --json` output.
pub(crate) fn parse_tenant(output: &str) -> Result<TenantAccount, LaunchError> {
    let what = "verifier tenant add";
    let value: Value =
        serde_json::from_str(output).map_err(|e| LaunchError::failed(what, e.to_string()))?;
    let text = |v: &Value| v.as_str().map(str::to_owned);
    match (
        text(&value["tenant"]["tenant_id"]),
        text(&value["api_key"]),
        text(&value["webhook_secret"]),
        value["tenant"].get("request_signing_jwk"),
    ) {
        (Some(tenant_id), Some(api_key), Some(webhook_secret), Some(jwk)) => Ok(TenantAccount {
            tenant_id,
            api_key: Secret::new(api_key),
            webhook_secret: Secret::new(webhook_secret),
            request_signing_jwk: jwk.clone(),
        }),
        _ => Err(LaunchError::failed(
            what,
            "the output lacks tenant.tenant_id, api_key, webhook_secret or tenant.request_signing_jwk",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_add_output_yields_the_tenant_key_and_jwk() {
        let tenant = parse_tenant(
            r#"{"tenant": {"tenant_id": "tn_1", "request_signing_jwk": {"kty": "EC"}},
                "api_key": "vk_secret", "webhook_secret": "whsec_x"}"#,
        )
        .unwrap();
        assert_eq!(tenant.tenant_id, "tn_1");
        assert_eq!(tenant.api_key.expose(), "vk_secret");
        assert_eq!(tenant.request_signing_jwk["kty"], "EC");
        assert_eq!(tenant.webhook_secret.expose(), "whsec_x");
        assert!(!format!("{tenant:?}").contains("vk_secret"));
        assert!(parse_tenant(r#"{"tenant": {}}"#).is_err());
    }
}
