//! The register's use cases, shared by the HTTP API and the CLI: no axum, no SQL.
//!
//! - [`setup`]: `init` (anchor key, operator token) and operator authentication.
//! - [`providers`]: register a certified service, certify supplementary codes, and the status
//!   lifecycle `certified → suspended → certified → withdrawn` (and `expired` when the
//!   certificate lapses), each change recorded with its time and reason.
//! - [`relying_parties`]: register relying parties and issue their Verifier Attestations.
//! - [`trust_list`]: sign and publish the list: a new `sequence` whenever the register changed
//!   or `next_update` passed, otherwise the stored list, so every instance serves the same one.
//!
//! Every mutation marks the list dirty in the same database transaction (see
//! [`crate::store`]), so the next publication shows it.

mod error;
pub mod operations;
pub mod providers;
pub mod relying_parties;
pub mod setup;
pub mod trust_list;

use std::collections::BTreeMap;
use std::sync::Arc;

use idv_jose::{Clock, Jwk, SigningKey};
use idv_proto::trust::credential_type::TypeMetadataReference;
use idv_proto::trust::trust_list::FrameworkValidity;
use idv_service_kit::db::operator_tokens;

pub use error::RegisterError;

use crate::store::{Store, StoreError};

/// Checked settings the use cases need (from [`crate::config::TrustFrameworkConfig`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterSettings {
    /// `iss` of lists and attestations: the public URL, no trailing slash.
    pub public_url: String,
    /// The list's `list_id`.
    pub list_id: String,
    /// `exp - iat` of a list, seconds.
    pub list_validity_secs: i64,
    /// `next_update - iat` of a list, seconds.
    pub next_update_secs: i64,
    /// Accepted framework versions.
    pub framework_versions_valid: BTreeMap<String, FrameworkValidity>,
    /// `exp - iat` of a verifier attestation, seconds.
    pub attestation_lifetime_secs: i64,
    /// The list's `type_metadata`: the published credential types under `public_url`.
    pub type_metadata: BTreeMap<String, TypeMetadataReference>,
}

/// The register of an initialised database: cheap to clone, shared by every request.
#[derive(Debug, Clone)]
pub struct Register {
    store: Store,
    clock: Arc<dyn Clock>,
    settings: Arc<RegisterSettings>,
    anchor: Arc<SigningKey>,
    operator_token_hashes: Arc<[String]>,
}

impl Register {
    /// Opens the register: loads the anchor key and operator token hashes. Fails with
    /// [`RegisterError::NotInitialised`] before `trust-framework init`.
    pub async fn open(
        store: Store,
        clock: Arc<dyn Clock>,
        settings: RegisterSettings,
    ) -> Result<Self, RegisterError> {
        let anchor = setup::load_anchor(&store).await?;
        let operator_token_hashes = operator_tokens::hashes(&store)
            .await
            .map_err(StoreError::from)?
            .into();
        store.ensure_list(&settings.list_id).await?;
        Ok(Self {
            store,
            clock,
            settings: Arc::new(settings),
            anchor: Arc::new(anchor),
            operator_token_hashes,
        })
    }

    /// The anchor's public JWK (`kid` = thumbprint, `alg` ES256, `use` sig), for out-of-band
    /// pinning.
    pub fn anchor_public_jwk(&self) -> Jwk {
        setup::public_anchor_jwk(&self.anchor)
    }

    /// The settings in force.
    pub fn settings(&self) -> &RegisterSettings {
        &self.settings
    }

    /// Closes the database pool.
    pub async fn close(&self) {
        self.store.close().await;
    }
}
