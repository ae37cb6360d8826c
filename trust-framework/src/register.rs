//! [`Register`]: the register's use-case areas composed on one store and clock, shared by the
//! HTTP API and the CLI: no axum, no SQL. Each area is a type owning the state it needs (clones
//! of the store handle and clock, the settings, the anchor key), with its own error type, and no
//! area depends on another:
//!
//! - [`setup`]: `init` (anchor key, operator token), the [`Anchor`] and the [`Operators`]'
//!   authentication.
//! - [`Providers`]: register a certified service, certify supplementary codes, and the status
//!   lifecycle `certified → suspended → certified → withdrawn` (and `expired` when the
//!   certificate lapses), each change recorded with its time and reason.
//! - [`RelyingParties`]: register relying parties and issue their Verifier Attestations.
//! - [`TrustList`]: sign and publish the list: a new `sequence` whenever the register changed
//!   or `next_update` passed, otherwise the stored list, so every instance serves the same one.
//! - [`Operations`]: readiness and the list's gauges.
//!
//! Every mutation marks the list dirty in the same database transaction (see
//! [`crate::store`]), so the next publication shows it.

mod error;
pub mod operations;
pub mod providers;
pub mod relying_parties;
pub mod setup;
pub mod trust_list;
mod validate;

use std::collections::BTreeMap;
use std::sync::Arc;

use idv_jose::Clock;
use idv_proto::trust::credential_type::TypeMetadataReference;
use idv_proto::trust::trust_list::FrameworkValidity;

pub use error::{
    InvalidInput, ProviderError, RelyingPartyError, SetupError, TrustListError, Unauthenticated,
};
pub use operations::Operations;
pub use providers::Providers;
pub use relying_parties::RelyingParties;
pub use setup::{Anchor, Operators};
pub use trust_list::TrustList;

use crate::store::Store;

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

/// What every area works with: the store handle, the clock and the settings. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Handles {
    pub(crate) store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) settings: Arc<RegisterSettings>,
}

/// The register of an initialised database, composing its areas: cheap to clone, shared by
/// every request.
#[derive(Debug, Clone)]
pub struct Register {
    store: Store,
    settings: Arc<RegisterSettings>,
    anchor: Anchor,
    operators: Operators,
    providers: Providers,
    relying_parties: RelyingParties,
    trust_list: TrustList,
    operations: Operations,
}

impl Register {
    /// Opens the register: loads the anchor key and operator token hashes. Fails with
    /// [`SetupError::NotInitialised`] before `trust-framework init`.
    pub async fn open(
        store: Store,
        clock: Arc<dyn Clock>,
        settings: RegisterSettings,
    ) -> Result<Self, SetupError> {
        let anchor = Anchor::load(&store).await?;
        let operators = Operators::load(&store).await?;
        store.ensure_list(&settings.list_id).await?;
        let handles = Handles {
            store: store.clone(),
            clock,
            settings: Arc::new(settings),
        };
        Ok(Self {
            providers: Providers::new(handles.clone()),
            relying_parties: RelyingParties::new(handles.clone(), anchor.clone()),
            trust_list: TrustList::new(handles.clone(), anchor.clone()),
            operations: Operations::new(handles.clone()),
            store,
            settings: handles.settings,
            anchor,
            operators,
        })
    }

    /// The anchor key that signs lists and attestations.
    pub fn anchor(&self) -> &Anchor {
        &self.anchor
    }

    /// The operator tokens: authentication of the operator API.
    pub fn operators(&self) -> &Operators {
        &self.operators
    }

    /// Certified services and their lifecycle.
    pub fn providers(&self) -> &Providers {
        &self.providers
    }

    /// Relying parties and their attestations.
    pub fn relying_parties(&self) -> &RelyingParties {
        &self.relying_parties
    }

    /// The signed trust list.
    pub fn trust_list(&self) -> &TrustList {
        &self.trust_list
    }

    /// Readiness and the gauges read at scrape time.
    pub fn operations(&self) -> &Operations {
        &self.operations
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
