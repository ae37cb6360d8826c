//! The operators' command-line steps on a [`ProcessFederation`], run as its operators would run
//! them: `issuer registration`, `verifier tenant add --json`, `verifier tenant attest`.

use serde_json::Value;

use super::federation::ProcessFederation;
use crate::deployment::{Deployment, Endpoints, TenantAccount, parse_tenant};
use crate::error::LaunchError;

impl Deployment for ProcessFederation {
    fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    async fn issuer_registration(&self) -> Result<Value, LaunchError> {
        let output = self.run("issuer", &["registration"]).await?;
        serde_json::from_str(&output).map_err(|e| LaunchError::failed("issuer registration", e))
    }

    async fn add_tenant(&self, name: &str, client_id: &str) -> Result<TenantAccount, LaunchError> {
        let output = self
            .run(
                "verifier",
                &[
                    "tenant",
                    "add",
                    "--name",
                    name,
                    "--client-id",
                    client_id,
                    "--json",
                ],
            )
            .await?;
        parse_tenant(&output)
    }

    async fn install_attestation(
        &self,
        tenant_id: &str,
        attestation: &str,
    ) -> Result<(), LaunchError> {
        let file = self.data_dir.join(format!("{tenant_id}.attestation.jwt"));
        std::fs::write(&file, attestation)
            .map_err(LaunchError::io("cannot write the attestation file"))?;
        let file = file.display().to_string();
        self.run("verifier", &["tenant", "attest", tenant_id, &file])
            .await
            .map(drop)
    }
}
