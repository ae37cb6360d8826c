use std::sync::Arc;

use idv_jose::{Clock, SystemClock};
use idv_service_kit::db::{SqliteHandles, sqlite_handles};

use super::*;
use crate::operator::{RelyingPartySpec, idsp_entry as demo_idsp_entry};

const FILES: [&str; 3] = ["trust-framework.sqlite", "issuer.sqlite", "verifier.sqlite"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_steps_run_on_the_running_services_database_handles() {
    let dir = tempfile::tempdir().unwrap();
    let federation = Federation::builder()
        .data_dir(dir.path())
        .clock(Arc::new(SystemClock))
        .issuer_checks_register()
        .with_issuer()
        .with_verifier()
        .start()
        .await
        .unwrap();
    let operator = federation.operator();
    // `issuer registration`, `verifier tenant add` and `verifier tenant attest`, while the
    // three services serve.
    let binding = federation.issuer_registration().await.unwrap();
    let entry = demo_idsp_entry(
        "Example Identity Ltd",
        "Example Reusable ID",
        "medium",
        &binding,
        SystemClock.now(),
    );
    let registered = operator.register_provider(&entry).await.unwrap();
    operator.certify(&registered.entry_id, "RTW").await.unwrap();
    let spec = RelyingPartySpec {
        organisation: "Example Employer Ltd".into(),
        client_id: "employer.example.co.uk".into(),
        templates: vec!["right_to_work".into()],
    };
    let rp_id = operator
        .add_relying_party(&spec.body().unwrap())
        .await
        .unwrap();
    let tenant = federation
        .add_tenant(&spec.organisation, &spec.client_id)
        .await
        .unwrap();
    let attestation = operator
        .attest(&rp_id, &tenant.request_signing_jwk)
        .await
        .unwrap();
    federation
        .install_attestation(&tenant.tenant_id, &attestation)
        .await
        .unwrap();
    // What the commands wrote, the running verifier serves: the tenant's key works and its
    // attestation lets it create checks.
    federation
        .endpoints()
        .employer(&federation.client, &tenant.api_key)
        .create_check("right_to_work")
        .await
        .unwrap();

    for file in FILES {
        assert_eq!(
            sqlite_handles(&dir.path().join(file)),
            SqliteHandles { opened: 1, open: 1 },
            "{file}: one handle, `init` and the operator's commands included"
        );
    }
    federation.stop().await.unwrap();
    for file in FILES {
        assert_eq!(sqlite_handles(&dir.path().join(file)).open, 0, "{file}");
    }
}
