//! Registered OpenID Connect clients (operator commands `verifier oidc-client add | list |
//! remove`): a tenant's hiring or HR system, with its exact redirect URIs and the check
//! templates it may run.

use std::fmt;

use idv_fetch::is_loopback_host;
use idv_jose::digest::constant_time_eq;
use idv_service_kit::Secret;
use serde::Serialize;

use super::OpenIdProvider;
use super::{OidcError, hash_secret};
use crate::store::oidc::OidcClientRow;
use crate::tenants::TenantError;

/// Random bytes of a client id.
const CLIENT_ID_BYTES: usize = 16;
/// Random bytes of a client secret (256 bits).
const CLIENT_SECRET_BYTES: usize = 32;
/// Prefix of client secrets, so leaked ones are recognisable by secret scanners.
const CLIENT_SECRET_PREFIX: &str = "ocs_";
/// Longest name accepted.
const MAX_NAME: usize = 255;
/// Longest redirect URI accepted.
const MAX_URI: usize = 2048;

/// `oidc-client add` input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOidcClient {
    /// The tenant whose checks the client runs (`tn_…`).
    pub tenant_id: String,
    /// Display name, shown to people on the hand-off page.
    pub name: String,
    /// The exact redirect URIs.
    pub redirect_uris: Vec<String>,
    /// The template ids the client may run.
    pub templates: Vec<String>,
}

/// A registered client as the operator sees it: no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OidcClient {
    /// `oc_…`.
    pub client_id: String,
    /// The tenant.
    pub tenant_id: String,
    /// Display name.
    pub name: String,
    /// The exact redirect URIs.
    pub redirect_uris: Vec<String>,
    /// The template ids the client may run.
    pub templates: Vec<String>,
    /// Registration time.
    pub created_at: i64,
}

/// What `oidc-client add` returns: the secret is shown once and never again.
pub struct CreatedOidcClient {
    /// The client.
    pub client: OidcClient,
    /// The client secret (only its hash is stored).
    pub client_secret: Secret,
}

impl fmt::Debug for CreatedOidcClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedOidcClient")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl OpenIdProvider {
    /// Registers a client for a tenant.
    pub async fn add_oidc_client(
        &self,
        new: NewOidcClient,
    ) -> Result<CreatedOidcClient, OidcError> {
        let name = new.name.trim();
        if name.is_empty() || name.len() > MAX_NAME || name.chars().any(char::is_control) {
            return Err(OidcError::InvalidInput(format!(
                "name: 1 to {MAX_NAME} printable characters"
            )));
        }
        let redirect_uris = distinct(new.redirect_uris);
        if redirect_uris.is_empty() {
            return Err(OidcError::InvalidInput(
                "give at least one --redirect-uri".into(),
            ));
        }
        for uri in &redirect_uris {
            check_redirect_uri(uri)?;
        }
        let templates = distinct(new.templates);
        if templates.is_empty() {
            return Err(OidcError::InvalidInput(
                "give at least one --template".into(),
            ));
        }
        for template in &templates {
            if self.templates.get(template).is_err() {
                return Err(OidcError::InvalidInput(format!(
                    "unknown template `{template}`"
                )));
            }
        }
        if self.store.load_tenant(&new.tenant_id).await?.is_none() {
            return Err(TenantError::NotFound {
                tenant_id: new.tenant_id,
            }
            .into());
        }
        let random = self.random.as_ref();
        let client_secret = format!(
            "{CLIENT_SECRET_PREFIX}{}",
            idv_jose::random::token(random, CLIENT_SECRET_BYTES)
        );
        let row = OidcClientRow {
            client_id: format!("oc_{}", idv_jose::random::token(random, CLIENT_ID_BYTES)),
            tenant_id: new.tenant_id,
            name: name.to_owned(),
            secret_hash: hash_secret(&client_secret),
            redirect_uris: to_json(&redirect_uris)?,
            templates: to_json(&templates)?,
            created_at: self.clock.now(),
        };
        self.store.insert_oidc_client(&row).await?;
        tracing::info!(
            tenant.id = %row.tenant_id, oidc.client_id = %row.client_id,
            "OpenID Connect client registered"
        );
        Ok(CreatedOidcClient {
            client: client(&row)?,
            client_secret: Secret::new(client_secret),
        })
    }

    /// The registered clients, of one tenant or of all.
    pub async fn oidc_clients(
        &self,
        tenant_id: Option<&str>,
    ) -> Result<Vec<OidcClient>, OidcError> {
        self.store
            .load_oidc_clients(tenant_id)
            .await?
            .iter()
            .map(client)
            .collect()
    }

    /// Retires a client: its pending sign-ins, codes and tokens stop working.
    pub async fn remove_oidc_client(&self, client_id: &str) -> Result<(), OidcError> {
        if !self
            .store
            .remove_oidc_client(client_id, self.clock.now())
            .await?
        {
            return Err(OidcError::NotFound {
                client_id: client_id.to_owned(),
            });
        }
        tracing::info!(oidc.client_id = %client_id, "OpenID Connect client removed");
        Ok(())
    }

    /// A registered client, if any.
    pub(crate) async fn registered_client(
        &self,
        client_id: &str,
    ) -> Result<Option<OidcClient>, OidcError> {
        self.store
            .load_oidc_client(client_id)
            .await?
            .as_ref()
            .map(client)
            .transpose()
    }

    /// The client whose id and secret these are.
    pub(crate) async fn authenticate_client(
        &self,
        client_id: &str,
        client_secret: &str,
        basic: bool,
    ) -> Result<OidcClient, OidcError> {
        let row = self
            .store
            .load_oidc_client(client_id)
            .await?
            .ok_or(OidcError::InvalidClient { basic })?;
        let presented = hash_secret(client_secret);
        if !constant_time_eq(presented.as_bytes(), row.secret_hash.as_bytes()) {
            return Err(OidcError::InvalidClient { basic });
        }
        client(&row)
    }
}

/// A redirect URI a client may register (OAuth 2.0 Security BCP; RFC 8252 for apps): absolute,
/// no fragment; `https`, `http` on a loopback host ([`is_loopback_host`]) only, or an app's
/// private-use scheme (reverse domain name, so with a dot).
fn check_redirect_uri(value: &str) -> Result<(), OidcError> {
    let invalid = |why: &str| {
        Err(OidcError::InvalidInput(format!(
            "redirect URI {value}: {why}"
        )))
    };
    if value.len() > MAX_URI {
        return invalid("too long");
    }
    let Ok(url) = url::Url::parse(value) else {
        return invalid("not an absolute URI");
    };
    if url.fragment().is_some() {
        return invalid("must not have a fragment");
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback_host(&url) => Ok(()),
        "http" => invalid("plain http only on a loopback host (127.0.0.0/8, [::1], localhost)"),
        scheme if scheme.contains('.') => Ok(()),
        _ => invalid("use https, http on loopback, or an app's reverse-domain scheme"),
    }
}

/// The values in first-seen order, without repeats or surrounding spaces.
fn distinct(values: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for value in values {
        let value = value.trim().to_owned();
        if !value.is_empty() && !out.contains(&value) {
            out.push(value);
        }
    }
    out
}

fn to_json(values: &[String]) -> Result<String, OidcError> {
    serde_json::to_string(values).map_err(OidcError::Encode)
}

fn client(row: &OidcClientRow) -> Result<OidcClient, OidcError> {
    let list = |text: &str, what| {
        serde_json::from_str::<Vec<String>>(text).map_err(|_| OidcError::Corrupt { what })
    };
    Ok(OidcClient {
        client_id: row.client_id.clone(),
        tenant_id: row.tenant_id.clone(),
        name: row.name.clone(),
        redirect_uris: list(&row.redirect_uris, "client redirect URIs")?,
        templates: list(&row.templates, "client templates")?,
        created_at: row.created_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_https_loopback_http_or_app_schemes() {
        for good in [
            "https://hr.employer.example/oidc/cb",
            "https://hr.employer.example/cb?tenant=7",
            "http://127.0.0.1:8080/cb",
            "http://localhost/cb",
            "http://[::1]:9/cb",
            "http://127.0.0.2/cb",
            "com.employer.hr:/oidc",
        ] {
            assert!(check_redirect_uri(good).is_ok(), "{good}");
        }
        for bad in [
            "http://hr.employer.example/cb",
            "http://127.0.0.1.evil.example/cb",
            "http://localhost.evil.example/cb",
            "http://[::2]/cb",
            "https://hr.employer.example/cb#x",
            "javascript:alert(1)",
            "data:text/html,x",
            "/relative",
            "myapp:/cb",
        ] {
            assert!(check_redirect_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn repeated_values_are_kept_once_in_order() {
        let values = vec![" b ".into(), "a".into(), "b".into(), String::new()];
        assert_eq!(distinct(values), ["b", "a"]);
    }
}
