//! Putting the parties on the register, as the operators do it: the identity provider from
//! what its issuer prints (`issuer registration`), certified for its schemes; each relying
//! party with its purposes, then as a verifier tenant whose request-signing key the register
//! attests.

use idv_jose::{Clock as _, SystemClock};
use idv_service_kit::Secret;

use crate::api::CallError;
use crate::employer::Employer;
use crate::operator::{
    RegisteredProvider, RelyingPartySpec, SpecError, TrustFrameworkOperator, idsp_entry,
};
use idv_federation::{Deployment, LaunchError, TenantAccount};

/// Why a party could not be put on the register.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnrolError {
    /// An operator command failed.
    #[error(transparent)]
    Launch(#[from] LaunchError),
    /// A service refused a call.
    #[error(transparent)]
    Call(#[from] CallError),
    /// The relying party's description is wrong.
    #[error(transparent)]
    Spec(#[from] SpecError),
}

/// The identity provider to register.
#[derive(Debug, Clone)]
pub struct ProviderSpec {
    /// Its organisation.
    pub organisation: String,
    /// Its certified service.
    pub service: String,
    /// The highest GPG 45 level of confidence certified.
    pub max_loc: String,
    /// Supplementary codes to certify (`RTW`, `AGE`, …).
    pub codes: Vec<String>,
}

impl ProviderSpec {
    /// The example identity provider the demo, the end-to-end tests and the load command
    /// register: "Example Identity Ltd"'s "Example Reusable ID", certified to GPG 45 medium
    /// and for `codes`.
    pub fn example(codes: &[&str]) -> Self {
        Self {
            organisation: "Example Identity Ltd".into(),
            service: "Example Reusable ID".into(),
            max_loc: "medium".into(),
            codes: codes.iter().map(|&code| code.to_owned()).collect(),
        }
    }
}

/// Registers the deployment's issuer as a certified IDSP (`issuer registration`, then
/// `POST /v1/providers` and one `POST …/codes` per code), as of `now` on the register's clock.
pub async fn register_provider(
    deployment: &impl Deployment,
    operator: &TrustFrameworkOperator,
    spec: &ProviderSpec,
    now: i64,
) -> Result<RegisteredProvider, EnrolError> {
    let binding = deployment.issuer_registration().await?;
    let entry = idsp_entry(
        &spec.organisation,
        &spec.service,
        &spec.max_loc,
        &binding,
        now,
    );
    let mut registered = operator.register_provider(&entry).await?;
    for code in &spec.codes {
        registered = operator.certify(&registered.entry_id, code).await?;
    }
    Ok(registered)
}

/// A relying party on the register and as a verifier tenant.
#[derive(Debug, Clone)]
pub struct OnboardedRelyingParty {
    /// Its register id.
    pub rp_id: String,
    /// Its verifier tenant.
    pub tenant: TenantAccount,
    /// Its system, calling the verifier with its API key.
    pub employer: Employer,
}

impl OnboardedRelyingParty {
    /// The tenant's API key.
    pub fn api_key(&self) -> &Secret {
        &self.tenant.api_key
    }
}

/// Creates the relying party's verifier tenant (`verifier tenant add`), has the register
/// attest its request-signing key and installs the attestation (`verifier tenant attest`).
pub async fn onboard_tenant(
    deployment: &impl Deployment,
    operator: &TrustFrameworkOperator,
    rp_id: &str,
    spec: &RelyingPartySpec,
    client: &reqwest::Client,
) -> Result<OnboardedRelyingParty, EnrolError> {
    let tenant = deployment
        .add_tenant(&spec.organisation, &spec.client_id)
        .await?;
    let attestation = operator.attest(rp_id, &tenant.request_signing_jwk).await?;
    deployment
        .install_attestation(&tenant.tenant_id, &attestation)
        .await?;
    let employer = deployment.endpoints().employer(client, &tenant.api_key);
    Ok(OnboardedRelyingParty {
        rp_id: rp_id.to_owned(),
        tenant,
        employer,
    })
}

/// Registers the relying party and onboards it as a tenant in one go.
pub async fn enrol_relying_party(
    deployment: &impl Deployment,
    operator: &TrustFrameworkOperator,
    spec: &RelyingPartySpec,
    client: &reqwest::Client,
) -> Result<OnboardedRelyingParty, EnrolError> {
    let rp_id = operator.add_relying_party(&spec.body()?).await?;
    onboard_tenant(deployment, operator, &rp_id, spec, client).await
}

/// The example parties the end-to-end tests and the load command start from: the example
/// identity provider ([`ProviderSpec::example`]) certified today for `codes`, and the example
/// employer ([`RelyingPartySpec::example_employer`]) registered and onboarded as a tenant.
pub async fn enrol_examples(
    deployment: &impl Deployment,
    operator: &TrustFrameworkOperator,
    codes: &[&str],
    client: &reqwest::Client,
) -> Result<(RegisteredProvider, OnboardedRelyingParty), EnrolError> {
    let now = SystemClock.now();
    let provider =
        register_provider(deployment, operator, &ProviderSpec::example(codes), now).await?;
    let employer = enrol_relying_party(
        deployment,
        operator,
        &RelyingPartySpec::example_employer(),
        client,
    )
    .await?;
    Ok((provider, employer))
}
