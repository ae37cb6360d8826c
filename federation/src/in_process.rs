//! The federation as tasks of this process, built from the services' libraries: any subset of
//! the trust framework (always), the issuer (with its OpenID Provider for sign-in), and the
//! verifier, each `init`ialised as its operator would and served on 127.0.0.1.
//!
//! ```text
//! let fed = Federation::builder()
//!     .clock(clock)
//!     .issuer_registered()
//!     .relying_party(relying_party_entry("Example Employer Ltd", EMPLOYER, &["right_to_work"])?)
//!     .verifier_on(db.url())
//!     .tenant("Example Employer Ltd", EMPLOYER)
//!     .verifier_config(|c| c.sweeper.interval_ms = 25)
//!     .start()
//!     .await?;
//! ```
//!
//! Each service's configuration is written once, in [`configs`]; tests change theirs through
//! the builder's hooks. The operator steps that exist only on the command line run through each
//! service's own command dispatch (`cli::execute_on`) on the running service's database handle
//! ([`Deployment`]): one handle per database and process (see
//! `idv_service_kit::db::sqlite_handles`), `init` included.

mod builder;
pub mod configs;
mod registrations;
mod services;
mod start;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use idv_service_kit::Secret;
use idv_test_support::TestDb;
use idv_test_support::oidc_provider::OidcProvider;
use serde_json::Value;
use tempfile::TempDir;

pub use builder::FederationBuilder;
pub use registrations::{ProviderRegistration, age_purpose, idsp_entry, relying_party_entry};
pub use services::{IssuerService, TrustFrameworkService, VerifierService};

use crate::api::Api;
use crate::deployment::{Deployment, Endpoints, TenantAccount, parse_tenant};
use crate::error::{LaunchError, report};
use crate::operator::TrustFrameworkOperator;

/// The organisation the federation's own issuer is registered for
/// ([`FederationBuilder::issuer_registered`]).
pub const ISSUER_ORGANISATION: &str = "Example IDSP Ltd";
/// Its identity service's name.
pub const ISSUER_SERVICE: &str = "Example Reusable ID";
/// Its certificate's id.
const ISSUER_CERTIFICATE: &str = "CAB-7-0001";
/// The wallet simulator's OAuth client at the issuer (its default `client_id`), registered
/// when citizens sign in ([`FederationBuilder::with_sign_in`]).
pub const WALLET_CLIENT_ID: &str = "wallet-sim";

/// A federation running in this process; stop it with [`Federation::stop`].
#[derive(Debug)]
pub struct Federation {
    /// The HTTP client the harness used.
    pub client: reqwest::Client,
    /// The register.
    pub trust_framework: TrustFrameworkService,
    /// The issuer, when started.
    pub issuer: Option<IssuerService>,
    /// The verifier, when started.
    pub verifier: Option<VerifierService>,
    /// The provider's OpenID Provider, when citizens sign in.
    pub op: Option<OidcProvider>,
    endpoints: Endpoints,
    provider_entries: BTreeMap<String, String>,
    relying_parties: BTreeMap<String, String>,
    tenants: BTreeMap<String, TenantAccount>,
    dir: PathBuf,
    _temp: Option<TempDir>,
    _databases: Vec<TestDb>,
}

impl Federation {
    /// What to start.
    pub fn builder<'a>() -> FederationBuilder<'a> {
        FederationBuilder::default()
    }

    /// The register operator's API client.
    pub fn operator(&self) -> TrustFrameworkOperator {
        operator_of(&self.client, &self.trust_framework)
    }

    /// The register entry id of the provider registered as `name` (`issuer` for the
    /// federation's own issuer).
    pub fn provider_entry(&self, name: &str) -> Option<&str> {
        self.provider_entries.get(name).map(String::as_str)
    }

    /// The register id of the relying party registered as `client_id`.
    pub fn relying_party(&self, client_id: &str) -> Option<&str> {
        self.relying_parties.get(client_id).map(String::as_str)
    }

    /// The verifier tenant added for `client_id` by [`FederationBuilder::tenant`].
    pub fn tenant(&self, client_id: &str) -> Option<&TenantAccount> {
        self.tenants.get(client_id)
    }

    /// The folder of the federation's files (anchor, attestations; SQLite files with
    /// [`FederationBuilder::data_dir`]).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The issuer, or why not.
    fn issuer_service(&self) -> Result<&IssuerService, LaunchError> {
        self.issuer
            .as_ref()
            .ok_or_else(|| LaunchError::failed("the issuer", "not started"))
    }

    /// The verifier, or why not.
    fn verifier_service(&self) -> Result<&VerifierService, LaunchError> {
        self.verifier
            .as_ref()
            .ok_or_else(|| LaunchError::failed("the verifier", "not started"))
    }

    /// Stops every service, the verifier first.
    pub async fn stop(mut self) -> Result<(), LaunchError> {
        let mut result = Ok(());
        if let Some(verifier) = self.verifier.as_mut() {
            result = result.and(verifier.stop().await);
        }
        if let Some(issuer) = self.issuer.as_mut() {
            result = result.and(issuer.stop().await);
        }
        result.and(self.trust_framework.stop().await)
    }
}

/// The register operator's API client.
fn operator_of(
    client: &reqwest::Client,
    register: &TrustFrameworkService,
) -> TrustFrameworkOperator {
    TrustFrameworkOperator::new(Api::new(
        client.clone(),
        &register.url,
        register.token.clone(),
    ))
}

/// The endpoints of the services started (an empty URL for a service not started).
fn endpoints(
    register: &TrustFrameworkService,
    issuer: Option<&IssuerService>,
    verifier: Option<&VerifierService>,
    pinned: &configs::Register,
) -> Endpoints {
    Endpoints {
        trust_framework: register.url.clone(),
        issuer: issuer.map(|i| i.url.clone()).unwrap_or_default(),
        verifier: verifier.map(|v| v.url.clone()).unwrap_or_default(),
        trust_framework_token: register.token.clone(),
        issuer_token: issuer
            .map(|i| i.token.clone())
            .unwrap_or_else(|| Secret::new("")),
        anchor: register.anchor.clone(),
        anchor_file: pinned.anchor_file.clone(),
    }
}

/// Adds tenant `name` for relying party `client_id` (register id `rp_id`) through `verifier`
/// and installs the register's attestation of its request-signing key, listing
/// `redirect_uris` when given.
pub async fn enrol_tenant(
    verifier: &verifier::service::Verifier,
    operator: &TrustFrameworkOperator,
    name: &str,
    client_id: &str,
    rp_id: &str,
    redirect_uris: Option<&[&str]>,
) -> Result<TenantAccount, LaunchError> {
    let what = format!("enrolling tenant {client_id}");
    let created = verifier
        .tenants()
        .add_tenant(verifier::tenants::NewTenant {
            name: name.to_owned(),
            client_id: client_id.to_owned(),
        })
        .await
        .map_err(|e| LaunchError::failed(what.clone(), report(&e)))?;
    let jwk = serde_json::to_value(&created.tenant.request_signing_jwk)
        .map_err(|e| LaunchError::failed(what.clone(), e))?;
    let attestation = operator
        .attest_with_redirect_uris(rp_id, &jwk, redirect_uris)
        .await
        .map_err(LaunchError::call(what.clone()))?;
    verifier
        .tenants()
        .install_attestation(&created.tenant.tenant_id, &attestation)
        .await
        .map_err(|e| LaunchError::failed(what, report(&e)))?;
    Ok(TenantAccount {
        tenant_id: created.tenant.tenant_id,
        api_key: created.api_key,
        webhook_secret: created.webhook_secret,
        request_signing_jwk: jwk,
    })
}

impl Deployment for Federation {
    fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    async fn issuer_registration(&self) -> Result<Value, LaunchError> {
        let mut out = Vec::new();
        issuer::cli::execute_on(
            &self.issuer_service()?.issuer,
            issuer::cli::Command::Registration(issuer::cli::RegistrationArgs {
                entry_template: None,
            }),
            &mut out,
        )
        .await
        .map_err(|e| LaunchError::failed("issuer registration", report(&e)))?;
        serde_json::from_slice(&out).map_err(|e| LaunchError::failed("issuer registration", e))
    }

    async fn add_tenant(&self, name: &str, client_id: &str) -> Result<TenantAccount, LaunchError> {
        let mut out = Vec::new();
        verifier::cli::execute_on(
            &self.verifier_service()?.verifier,
            verifier::cli::Command::Tenant(verifier::cli::TenantCommand::Add {
                name: name.to_owned(),
                client_id: client_id.to_owned(),
                jwk_out: None,
                json: true,
            }),
            &mut out,
        )
        .await
        .map_err(|e| LaunchError::failed("verifier tenant add", report(&e)))?;
        parse_tenant(&String::from_utf8_lossy(&out))
    }

    async fn install_attestation(
        &self,
        tenant_id: &str,
        attestation: &str,
    ) -> Result<(), LaunchError> {
        let file = self.dir.join(format!("{tenant_id}.attestation.jwt"));
        std::fs::write(&file, attestation)
            .map_err(LaunchError::io("cannot write the attestation file"))?;
        let mut out = Vec::new();
        verifier::cli::execute_on(
            &self.verifier_service()?.verifier,
            verifier::cli::Command::Tenant(verifier::cli::TenantCommand::Attest {
                tenant_id: tenant_id.to_owned(),
                file,
            }),
            &mut out,
        )
        .await
        .map_err(|e| LaunchError::failed("verifier tenant attest", report(&e)))
    }
}

#[cfg(test)]
mod tests;
