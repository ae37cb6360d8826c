//! Tenants: employers, agencies and shops using the verifier. Each is a relying party
//! registered with the trust framework under its own `client_id`.
//!
//! The operator flow (CLI only):
//! 1. `verifier tenant add --name … --client-id …` creates the tenant with a P-256
//!    request-signing key, an API key and a webhook secret (both shown once; the API key is
//!    stored as its SHA-256 only) and prints the public JWK.
//! 2. The trust framework operator registers the relying party and attests that JWK
//!    (`trust-framework rp attest <rp_id> --jwk-file …`).
//! 3. `verifier tenant attest <tenant_id> <file>` installs the Verifier Attestation after
//!    verifying it against the pinned anchors, and checking that its `sub` is the tenant's
//!    `client_id` and its `cnf.jwk` the tenant's key.
//!
//! Requests then carry `client_id = verifier_attestation:<client_id>` and the attestation in
//! the request object's `jwt` header, and wallets' KB-JWTs must name that full client id.
//!
//! [`Tenants`] owns the tenant use cases. The per-check lookups ([`Tenants::authenticate`], the
//! tenant's row and its [`SigningMaterial`]) go through the process's [`TenantCache`]: a change
//! made by the CLI (another process) reaches a running server within
//! `checks.tenant_cache_secs`; one made through the same [`Tenants`] at once. Operator actions
//! always read the database.

mod cache;

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use idv_jose::{Clock, Jwk, PublicKey, Random, SigningKey};
use idv_keystore::KeyCustody;
use idv_proto::trust::verifier_attestation::VERIFIER_ATTESTATION_CLIENT_ID_PREFIX;
use idv_service_kit::Secret;
use idv_service_kit::secrets::hash_secret;
use idv_trust::TrustError;
use idv_trust::anchors::TrustAnchors;
use idv_trust::attestation::{VerifiedAttestation, verify_verifier_attestation};
use serde::Serialize;

use crate::config::Settings;
use crate::store::tenants::TenantRow;
use crate::store::{Store, StoreError};

pub(crate) use cache::TenantCache;

/// Longest `client_id` or name accepted.
const MAX_TEXT: usize = 255;
/// Random bytes in an API key (256 bits).
const API_KEY_BYTES: usize = 32;
/// Random bytes in a webhook secret (Standard Webhooks: 24 to 64).
const WEBHOOK_SECRET_BYTES: usize = 32;
/// Prefix of API keys, so leaked ones are recognisable by secret scanners.
const API_KEY_PREFIX: &str = "vk_";
/// OpenID4VP 1.0 client identifier prefixes ("Defined Client Identifier Prefixes"): an
/// original `client_id` must not look prefixed.
const CLIENT_ID_PREFIXES: &[&str] = &[
    "redirect_uri:",
    "openid_federation:",
    "decentralized_identifier:",
    "verifier_attestation:",
    "x509_san_dns:",
    "x509_hash:",
    "origin:",
];
/// Prefix of Standard Webhooks secrets.
pub const WEBHOOK_SECRET_PREFIX: &str = "whsec_";

/// A tenant use case's refusal or failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TenantError {
    /// The input is malformed; the message names the field.
    #[error("{0}")]
    InvalidInput(String),
    /// No tenant with this id.
    #[error("no tenant `{tenant_id}`")]
    NotFound {
        /// The id asked for.
        tenant_id: String,
    },
    /// Another tenant has this `client_id`.
    #[error("client_id `{client_id}` belongs to another tenant")]
    ClientIdTaken {
        /// The client identifier.
        client_id: String,
    },
    /// Missing, unknown or revoked API key.
    #[error("unknown or revoked API key")]
    Unauthenticated,
    /// The attestation does not verify, or is for another client or key.
    #[error("the verifier attestation is not acceptable: {0}")]
    Attestation(String),
    /// A stored or new key is unusable.
    #[error("key failure")]
    Key(#[source] idv_jose::JoseError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `tenant add` input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTenant {
    /// Display name, e.g. the employer's organisation.
    pub name: String,
    /// The original client identifier registered with the trust framework (no prefix).
    pub client_id: String,
}

/// What `tenant add` returns: the secrets are shown once and never again.
#[derive(Debug)]
pub struct CreatedTenant {
    /// The tenant.
    pub tenant: TenantInfo,
    /// The API key (only its hash is stored).
    pub api_key: Secret,
    /// The Standard Webhooks signing secret (`whsec_…`).
    pub webhook_secret: Secret,
}

/// A tenant as shown to the operator: no secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantInfo {
    /// `tn_…`.
    pub tenant_id: String,
    /// Display name.
    pub name: String,
    /// The original client identifier.
    pub client_id: String,
    /// The full client identifier used in requests: `verifier_attestation:<client_id>`.
    pub full_client_id: String,
    /// The public request-signing JWK to be attested (`kid` = thumbprint).
    pub request_signing_jwk: Jwk,
    /// `exp` of the installed attestation, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attestation_expires_at: Option<i64>,
    /// Creation time.
    pub created_at: i64,
}

/// An authenticated tenant (from its API key).
#[derive(Clone, PartialEq, Eq)]
pub struct Tenant {
    /// `tn_…`.
    pub tenant_id: String,
    /// The original client identifier.
    pub client_id: String,
}

impl fmt::Debug for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tenant")
            .field("tenant_id", &self.tenant_id)
            .finish_non_exhaustive()
    }
}

/// A tenant's request-signing material: its key and verified attestation (shared with the
/// [`TenantCache`], hence the `Arc`s).
#[derive(Clone)]
pub(crate) struct SigningMaterial {
    pub(crate) key: Arc<SigningKey>,
    pub(crate) attestation_jwt: String,
    pub(crate) attestation: Arc<VerifiedAttestation>,
}

/// The full client identifier of a tenant's `client_id`.
pub fn full_client_id(client_id: &str) -> String {
    format!("{VERIFIER_ATTESTATION_CLIENT_ID_PREFIX}{client_id}")
}

/// The tenant use cases over the store, with the process's tenant cache. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Tenants {
    store: Store,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    /// The trust framework's keys attestations are verified against.
    anchors: Arc<TrustAnchors>,
    /// API keys, tenant rows and signing material, kept for `checks.tenant_cache_secs`.
    cache: Arc<TenantCache>,
}

impl Tenants {
    /// The tenant use cases on `store`, with a cache as `settings` describe.
    pub(crate) fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        settings: &Settings,
    ) -> Self {
        Self {
            store,
            clock,
            random,
            anchors: Arc::new(settings.anchors.clone()),
            cache: Arc::new(TenantCache::new(settings.tenant_cache_secs)),
        }
    }

    /// Creates a tenant with a fresh request-signing key, API key and webhook secret.
    pub async fn add_tenant(&self, new: NewTenant) -> Result<CreatedTenant, TenantError> {
        validate(&new)?;
        let (_, signing_key) = self
            .store
            .keys()
            .new_signing_key("verifier-request")
            .map_err(StoreError::from)?;
        let api_key = format!(
            "{API_KEY_PREFIX}{}",
            idv_jose::random::token(self.random.as_ref(), API_KEY_BYTES)
        );
        let mut secret = [0u8; WEBHOOK_SECRET_BYTES];
        self.random.fill(&mut secret);
        let webhook_secret = format!(
            "{WEBHOOK_SECRET_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(secret)
        );
        let row = TenantRow {
            tenant_id: format!("tn_{}", idv_jose::random::token(self.random.as_ref(), 9)),
            name: new.name,
            client_id: new.client_id,
            signing_key,
            attestation: None,
            attestation_exp: None,
            webhook_secret: webhook_secret.clone(),
            created_at: self.clock.now(),
        };
        self.store
            .insert_tenant(&row, &hash_secret(&api_key))
            .await
            .map_err(|e| match e {
                StoreError::Taken { .. } => TenantError::ClientIdTaken {
                    client_id: row.client_id.clone(),
                },
                other => other.into(),
            })?;
        tracing::info!(tenant.id = %row.tenant_id, "tenant created");
        Ok(CreatedTenant {
            tenant: info(self.store.keys(), &row)?,
            api_key: Secret::new(api_key),
            webhook_secret: Secret::new(webhook_secret),
        })
    }

    /// Every tenant.
    pub async fn list(&self) -> Result<Vec<TenantInfo>, TenantError> {
        let keys = self.store.keys();
        self.store
            .load_tenants()
            .await?
            .iter()
            .map(|row| info(keys, row))
            .collect()
    }

    /// One tenant, as stored now. Opens the stored key to show the public JWK: for the
    /// operator, not for per-check paths (they use [`Self::tenant_row`]).
    pub async fn tenant(&self, tenant_id: &str) -> Result<TenantInfo, TenantError> {
        info(self.store.keys(), &self.stored_tenant_row(tenant_id).await?)
    }

    /// Installs a Verifier Attestation for a tenant (see the module doc for what is checked).
    pub async fn install_attestation(
        &self,
        tenant_id: &str,
        jwt: &str,
    ) -> Result<TenantInfo, TenantError> {
        let row = self.stored_tenant_row(tenant_id).await?;
        let key = signing_key(self.store.keys(), &row)?;
        let verified = self
            .verify_attestation(&row, key.public_key(), jwt.trim())
            .map_err(TenantError::Attestation)?;
        let exp = verified.claims().exp;
        let stored = self.store.set_attestation(tenant_id, jwt.trim(), exp).await;
        self.cache.invalidate(tenant_id);
        stored?;
        tracing::info!(tenant.id = %tenant_id, attestation.exp = exp, "attestation installed");
        self.tenant(tenant_id).await
    }

    /// Adds an API key to a tenant (rotation: add, switch, then revoke the old ones).
    pub async fn new_api_key(&self, tenant_id: &str) -> Result<Secret, TenantError> {
        self.stored_tenant_row(tenant_id).await?;
        let api_key = format!(
            "{API_KEY_PREFIX}{}",
            idv_jose::random::token(self.random.as_ref(), API_KEY_BYTES)
        );
        let stored = self
            .store
            .insert_api_key(tenant_id, &hash_secret(&api_key), self.clock.now())
            .await;
        self.cache.invalidate(tenant_id);
        stored?;
        Ok(Secret::new(api_key))
    }

    /// Revokes every API key of a tenant; returns how many were active. A server running in
    /// another process refuses them within `checks.tenant_cache_secs`.
    pub async fn revoke_api_keys(&self, tenant_id: &str) -> Result<u64, TenantError> {
        self.stored_tenant_row(tenant_id).await?;
        let revoked = self
            .store
            .revoke_api_keys(tenant_id, self.clock.now())
            .await;
        self.cache.invalidate(tenant_id);
        Ok(revoked?)
    }

    /// The tenant's webhook signing secret (`whsec_…`), for the operator.
    pub async fn webhook_secret(&self, tenant_id: &str) -> Result<Secret, TenantError> {
        Ok(Secret::new(
            self.stored_tenant_row(tenant_id).await?.webhook_secret,
        ))
    }

    /// The tenant owning `api_key` (cached for `checks.tenant_cache_secs`; an unknown key is
    /// looked up every time).
    pub async fn authenticate(&self, api_key: &Secret) -> Result<Tenant, TenantError> {
        let key_hash = hash_secret(api_key.expose());
        let now = self.clock.now();
        if let Some(tenant) = self.cache.api_key(&key_hash, now) {
            return Ok(tenant);
        }
        let ticket = self.cache.ticket(now);
        let row = self
            .store
            .tenant_by_api_key(&key_hash)
            .await?
            .ok_or(TenantError::Unauthenticated)?;
        let tenant = Tenant {
            tenant_id: row.tenant_id.clone(),
            client_id: row.client_id.clone(),
        };
        self.cache
            .put_api_key(ticket, key_hash, tenant.clone(), row);
        Ok(tenant)
    }

    /// The tenant's key and its attestation, verified now. `Err` names why requests cannot be
    /// signed for it. Reused from the [`TenantCache`] while derived from the row's current
    /// texts and the attestation still verifies at the clock's now.
    pub(crate) async fn signing_material(
        &self,
        tenant_id: &str,
    ) -> Result<SigningMaterial, TenantError> {
        let row = self.tenant_row(tenant_id).await?;
        if let Some(material) = self.cache.signing_material(&row, self.clock.now()) {
            return Ok(material);
        }
        let key = signing_key(self.store.keys(), &row)?;
        let jwt = row.attestation.clone().ok_or_else(|| {
            TenantError::Attestation(
                "none installed: run `verifier tenant attest` with the trust framework's \
                 attestation"
                    .into(),
            )
        })?;
        let attestation = self
            .verify_attestation(&row, key.public_key(), &jwt)
            .map_err(TenantError::Attestation)?;
        let material = SigningMaterial {
            key: Arc::new(key),
            attestation_jwt: jwt,
            attestation: Arc::new(attestation),
        };
        self.cache.put_signing_material(&row, &material);
        Ok(material)
    }

    /// The tenant's row, as stored at most `checks.tenant_cache_secs` ago (shared with the
    /// cache).
    pub(crate) async fn tenant_row(&self, tenant_id: &str) -> Result<Arc<TenantRow>, TenantError> {
        let now = self.clock.now();
        if let Some(row) = self.cache.row(tenant_id, now) {
            return Ok(row);
        }
        let ticket = self.cache.ticket(now);
        let row = Arc::new(self.stored_tenant_row(tenant_id).await?);
        self.cache.put_row(ticket, Arc::clone(&row));
        Ok(row)
    }

    /// The tenant's row as stored now, for operator actions.
    async fn stored_tenant_row(&self, tenant_id: &str) -> Result<TenantRow, TenantError> {
        self.store
            .load_tenant(tenant_id)
            .await?
            .ok_or_else(|| TenantError::NotFound {
                tenant_id: tenant_id.to_owned(),
            })
    }

    fn verify_attestation(
        &self,
        row: &TenantRow,
        key: &PublicKey,
        jwt: &str,
    ) -> Result<VerifiedAttestation, String> {
        let verified = verify_verifier_attestation(jwt, &self.anchors, self.clock.now())
            .map_err(|e: TrustError| e.to_string())?;
        verified
            .check_client_id(&full_client_id(&row.client_id))
            .map_err(|e| e.to_string())?;
        if verified.key() != key {
            return Err("its cnf.jwk is not this tenant's request-signing key".into());
        }
        Ok(verified)
    }
}

fn info(keys: &KeyCustody, row: &TenantRow) -> Result<TenantInfo, TenantError> {
    let public = keys
        .public_jwk(&row.signing_key)
        .map_err(StoreError::from)?;
    let key = PublicKey::from_jwk(&Jwk {
        kid: None,
        alg: None,
        use_: None,
        ..public
    })
    .map_err(TenantError::Key)?;
    Ok(TenantInfo {
        tenant_id: row.tenant_id.clone(),
        name: row.name.clone(),
        client_id: row.client_id.clone(),
        full_client_id: full_client_id(&row.client_id),
        request_signing_jwk: Jwk {
            kid: Some(key.thumbprint()),
            alg: Some(idv_jose::jws::ES256.into()),
            use_: Some("sig".into()),
            ..key.to_jwk()
        },
        attestation_expires_at: row.attestation_exp,
        created_at: row.created_at,
    })
}

/// The tenant's request-signing key, where it is kept (sealed, or in the HSM).
fn signing_key(keys: &KeyCustody, row: &TenantRow) -> Result<SigningKey, TenantError> {
    Ok(keys
        .signing_key(&row.signing_key)
        .map_err(StoreError::from)?)
}

fn validate(new: &NewTenant) -> Result<(), TenantError> {
    let name = new.name.trim();
    if name.is_empty() || name.len() > MAX_TEXT || name.chars().any(char::is_control) {
        return Err(TenantError::InvalidInput(format!(
            "name: 1 to {MAX_TEXT} printable characters"
        )));
    }
    let client_id = &new.client_id;
    if client_id.is_empty()
        || client_id.len() > MAX_TEXT
        || client_id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(TenantError::InvalidInput(format!(
            "client_id: 1 to {MAX_TEXT} characters without spaces"
        )));
    }
    if CLIENT_ID_PREFIXES
        .iter()
        .any(|prefix| client_id.starts_with(prefix))
    {
        return Err(TenantError::InvalidInput(format!(
            "client_id: give the identifier registered with the trust framework, without a \
             prefix such as `{VERIFIER_ATTESTATION_CLIENT_ID_PREFIX}`"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_with_a_prefix_or_spaces_are_refused() {
        for client_id in [
            "",
            "a b",
            "verifier_attestation:x",
            "x509_hash:abc",
            "origin:x",
        ] {
            let new = NewTenant {
                name: "Employer".into(),
                client_id: client_id.into(),
            };
            assert!(validate(&new).is_err(), "{client_id}");
        }
        let ok = NewTenant {
            name: "Employer Ltd".into(),
            client_id: "employer.example.co.uk".into(),
        };
        assert!(validate(&ok).is_ok());
        let url = NewTenant {
            client_id: "https://employer.example".into(),
            ..ok
        };
        assert!(validate(&url).is_ok());
    }
}
