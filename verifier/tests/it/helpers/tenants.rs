//! The verifier's tenants besides the employer: added through another handle on its database,
//! as its operator's command line would, attested or not.

use idv_federation::TenantAccount;
use idv_federation::in_process::{enrol_tenant, relying_party_entry};
use verifier::tenants::NewTenant;

use super::Federation;

/// What a tenant holds.
#[derive(Clone)]
pub(crate) struct TenantCredentials {
    pub(crate) tenant_id: String,
    pub(crate) api_key: String,
    pub(crate) webhook_secret: String,
}

impl From<&TenantAccount> for TenantCredentials {
    fn from(account: &TenantAccount) -> Self {
        Self {
            tenant_id: account.tenant_id.clone(),
            api_key: account.api_key.expose().to_owned(),
            webhook_secret: account.webhook_secret.expose().to_owned(),
        }
    }
}

impl Federation {
    /// A second tenant of the same verifier, not attested.
    pub(crate) async fn another_tenant(&self, client_id: &str) -> TenantCredentials {
        let verifier = self.verifier().open().await.unwrap();
        let created = verifier
            .tenants()
            .add_tenant(NewTenant {
                name: format!("{client_id} Ltd"),
                client_id: client_id.into(),
            })
            .await
            .unwrap();
        verifier.close().await;
        TenantCredentials {
            tenant_id: created.tenant.tenant_id.clone(),
            api_key: created.api_key.expose().to_owned(),
            webhook_secret: created.webhook_secret.expose().to_owned(),
        }
    }

    /// A second tenant of the same verifier, registered as a relying party at the trust
    /// framework now and attested: the verifier's held trust list may not show it yet.
    pub(crate) async fn newly_registered_tenant(&self, client_id: &str) -> TenantCredentials {
        self.registered_tenant_with_redirect_uris(client_id, None)
            .await
    }

    /// [`Self::newly_registered_tenant`], its attestation listing `redirect_uris` if given.
    pub(crate) async fn registered_tenant_with_redirect_uris(
        &self,
        client_id: &str,
        redirect_uris: Option<&[&str]>,
    ) -> TenantCredentials {
        let verifier = self.verifier().open().await.unwrap();
        let operator = self.harness.operator();
        let entry = relying_party_entry(super::EMPLOYER_NAME, client_id, super::TEMPLATES).unwrap();
        let rp_id = operator.add_relying_party(&entry).await.unwrap();
        let name = format!("{client_id} Ltd");
        let account = enrol_tenant(
            &verifier,
            &operator,
            &name,
            client_id,
            &rp_id,
            redirect_uris,
        )
        .await
        .unwrap();
        verifier.close().await;
        TenantCredentials::from(&account)
    }
}
