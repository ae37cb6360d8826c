//! How fresh a check is: a register change reaches the running verifier within
//! `trust.refresh_secs` (and the background refresh's own time), a relying party
//! registered meanwhile is looked up again at once (rate-limited), and the outcome states the
//! `iat` of the status list token it was judged on.

use std::time::Duration;

use idv_checks::evidence::verify_check_record;
use idv_jose::Clock;
use idv_service_kit::Database;
use idv_service_kit::db::trust_list_state::load as load_state;
use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Federation, british_citizen, error_body, reason_codes};
use crate::wallet::run_check;

test_on_both_databases!(
    a_provider_suspended_on_the_register_is_refused_once_refresh_secs_have_passed,
    the_background_refresher_brings_a_suspension_before_any_check,
    a_relying_party_registered_meanwhile_is_looked_up_again_at_most_every_few_seconds,
    the_outcome_and_evidence_state_the_status_list_tokens_iat,
);

/// The outcome of a fresh age check with a new credential from the `good` provider.
async fn age_check(fed: &Federation) -> Value {
    let credential = fed.issue_age("good", &british_citizen());
    let (id, _) = run_check(fed, "age_over_18", &credential).await;
    fed.check(&id).await
}

async fn a_provider_suspended_on_the_register_is_refused_once_refresh_secs_have_passed(db: TestDb) {
    let fed = Federation::start(&db).await;
    let refresh = i64::try_from(fed.verifier_config.trust.refresh_secs).unwrap();
    assert_eq!(refresh, 60, "the default");
    let first = age_check(&fed).await;
    assert_eq!(first["outcome"], "compliant");

    fed.suspend_provider("good").await;
    // Within refresh_secs of the last fetch the held list still decides...
    fed.clock.advance(refresh - 1);
    let held = age_check(&fed).await;
    assert_eq!(held["outcome"], "compliant");
    assert_eq!(held["trust_list_sequence"], first["trust_list_sequence"]);
    // ...and from then on (once the refresh it starts in the background lands, within a
    // second) the register's suspension, long before the list's next_update.
    fed.clock.advance(1);
    crate::helpers::wait_for_trust_list_after(&db, first["trust_list_sequence"].as_u64().unwrap())
        .await;
    let refused = age_check(&fed).await;
    assert_eq!(reason_codes(&refused), ["provider_suspended"], "{refused}");
    assert!(
        refused["trust_list_sequence"].as_u64().unwrap()
            > first["trust_list_sequence"].as_u64().unwrap()
    );
    fed.stop().await;
}

async fn the_background_refresher_brings_a_suspension_before_any_check(db: TestDb) {
    let mut fed = Federation::start(&db).await;
    fed.verifier_config.trust.refresh_secs = 1;
    fed.restart_verifier().await;
    let first = age_check(&fed).await;
    assert_eq!(first["outcome"], "compliant");
    let held = first["trust_list_sequence"].as_u64().unwrap();

    fed.suspend_provider("good").await;
    fed.clock.advance(1);
    // No request reaches the verifier: its refresher fetches the list by itself (the state it
    // persists shows when).
    let state_db = Database::connect(db.url()).await.unwrap();
    let mut accepted = held;
    for _ in 0..600 {
        accepted = load_state(&state_db).await.unwrap().unwrap().sequence;
        if accepted > held {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(accepted > held, "the refresher never fetched the new list");
    state_db.close().await;

    let refused = age_check(&fed).await;
    assert_eq!(reason_codes(&refused), ["provider_suspended"], "{refused}");
    assert_eq!(refused["trust_list_sequence"], accepted);
    fed.stop().await;
}

async fn a_relying_party_registered_meanwhile_is_looked_up_again_at_most_every_few_seconds(
    db: TestDb,
) {
    let fed = Federation::start(&db).await;
    // The verifier holds a list from before the new relying parties.
    fed.create_check(&json!({"template": "age_over_18"})).await;
    fed.clock.advance(5);

    let shop = fed.newly_registered_tenant("shop.example.co.uk").await;
    let response = fed
        .post_check(&shop, &json!({"template": "age_over_18"}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED, "refetched at once");

    // A second miss within five seconds of that fetch is refused without a fetch...
    let bar = fed.newly_registered_tenant("bar.example.co.uk").await;
    let (_, description) = error_body(
        fed.post_check(&bar, &json!({"template": "age_over_18"}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        description.contains("does not show the tenant as an active relying party"),
        "{description}"
    );
    // ...and accepted once they have passed.
    fed.clock.advance(5);
    let response = fed
        .post_check(&bar, &json!({"template": "age_over_18"}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    fed.stop().await;
}

async fn the_outcome_and_evidence_state_the_status_list_tokens_iat(db: TestDb) {
    let fed = Federation::start(&db).await;
    let issued_at = fed.clock.now();
    let first = age_check(&fed).await;
    assert_eq!(first["status_list_iat"], issued_at);
    assert_eq!(first["status_checked_at"], issued_at);

    // A check within the status cache period is judged on the same token, and says so.
    fed.clock.advance(30);
    let credential = fed.issue_identity("good", &british_citizen());
    let (id, _) = run_check(&fed, "right_to_work", &credential).await;
    let second = fed.check(&id).await;
    assert_eq!(second["outcome"], "awaiting_confirmation", "{second}");
    assert_eq!(second["status_list_iat"], issued_at);
    assert_eq!(second["status_checked_at"], issued_at + 30);
    let key = fed.evidence_key().await;
    let record = verify_check_record(second["evidence"].as_str().unwrap(), &key).unwrap();
    assert_eq!(record.status_list_iat, Some(issued_at));
    assert_eq!(record.status_checked_at, Some(issued_at + 30));

    // After it, a new token (the helper's issuer signs one per request).
    fed.clock.advance(30);
    let third = age_check(&fed).await;
    assert_eq!(third["status_list_iat"], issued_at + 60);
    fed.stop().await;
}
