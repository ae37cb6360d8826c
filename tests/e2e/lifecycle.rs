//! What happens between checks: the register suspends the provider, the provider revokes a
//! credential, the verifier is restarted while a citizen is answering.

use federated_idv::citizen::Citizen;
use federated_idv::provider::IDENTITY;
use idv_federation::Deployment as _;

use crate::helpers::{Backend, RESULT_TIMEOUT, World};

#[tokio::test]
async fn provider_suspended_on_the_register_fails_the_next_check_with_a_trust_reason() {
    let world = World::start(Backend::Sqlite).await;
    world.citizen_with_credentials().await;
    let (_, before) = world.check(&world.employer, "right_to_work").await;
    assert_eq!(
        before.outcome.as_deref(),
        Some("awaiting_confirmation"),
        "{before:?}\n{}",
        world.logs()
    );

    let suspended = world
        .operator
        .suspend(&world.entry_id, "surveillance audit")
        .await
        .unwrap();
    assert_eq!(suspended.status, "suspended");
    // The verifier refetches the list at most a second after its last fetch.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let (_, after) = world.check(&world.employer, "right_to_work").await;
    assert_eq!(after.state, "failed", "{after:?}\n{}", world.logs());
    assert_eq!(after.outcome.as_deref(), Some("rejected"));
    assert_eq!(
        after.reason_codes(),
        vec!["provider_suspended"],
        "{after:?}"
    );
    assert_eq!(after.reasons[0].step, "trust");
    assert!(
        after.trust_list_sequence > before.trust_list_sequence,
        "decided on the newer list: {before:?} {after:?}"
    );
    assert!(after.claims.is_none(), "no claims of a rejected check");
}

#[tokio::test]
async fn revoked_credential_fails_the_check_with_a_status_reason() {
    let world = World::start(Backend::Sqlite).await;
    let identity_id = world.citizen_with_credentials().await;

    let credentials = world.provider.credentials(&identity_id).await.unwrap();
    let identity: Vec<_> = credentials
        .iter()
        .filter(|c| c.credential_configuration_id == IDENTITY)
        .collect();
    assert!(!identity.is_empty(), "{credentials:?}");
    for credential in identity {
        let revoked = world
            .provider
            .revoke(&credential.credential_id, "document reported stolen")
            .await
            .unwrap();
        assert_eq!(revoked.status, "revoked");
    }

    let (_, result) = world.check(&world.employer, "right_to_work").await;
    assert_eq!(result.state, "failed", "{result:?}\n{}", world.logs());
    assert_eq!(
        result.reason_codes(),
        vec!["credential_revoked"],
        "{result:?}"
    );
    assert_eq!(result.reasons[0].step, "status");
    assert!(result.claims.is_none());

    // The age credential, not revoked, still passes.
    let (_, age) = world.check(&world.shop, "age_over_18").await;
    assert_eq!(
        age.outcome.as_deref(),
        Some("compliant"),
        "{age:?}\n{}",
        world.logs()
    );
}

#[tokio::test]
async fn verifier_restarted_between_request_and_response_completes_the_check() {
    let mut world = World::start(Backend::Sqlite).await;
    world.citizen_with_credentials().await;
    let created = world
        .employer
        .employer
        .create_check("right_to_work")
        .await
        .unwrap();

    // The citizen's wallet (the same data directory the binary used) fetches the request...
    let endpoints = world.federation.endpoints().clone();
    let citizen = Citizen::open(
        &world.wallet.data_dir,
        &endpoints.trust_list_url(),
        &endpoints.anchor,
    )
    .await
    .unwrap();
    let prepared = citizen.open_request(&created.wallet_url).await.unwrap();
    assert_eq!(
        prepared.summary().verifier.organisation,
        "Example Employer Ltd"
    );

    // ...the verifier crashes and comes back on the same port and database...
    let old_pid = world.federation.verifier().pid();
    world.federation.restart_verifier().await.unwrap();
    assert_ne!(world.federation.verifier().pid(), old_pid);

    // ...and the citizen's answer completes the check.
    let outcome = citizen
        .answer(prepared, true)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", world.logs()));
    assert_eq!(outcome.outcome, "shared");
    citizen.close().await;
    let result = world
        .employer
        .employer
        .wait_for_result(&created.id, RESULT_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(
        result.outcome.as_deref(),
        Some("awaiting_confirmation"),
        "{result:?}\n{}",
        world.logs()
    );
}
