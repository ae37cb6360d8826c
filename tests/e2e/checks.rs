//! The two checks of the federation, end to end: an employer's right-to-work check and a
//! shop's age check, answered by the citizen's `wallet-sim`.

use crate::helpers::{Backend, World, shared_claims};

async fn right_to_work_check_is_compliant(backend: Backend) {
    let world = World::start(backend).await;
    world.citizen_with_credentials().await;

    let (presented, result) = world.check(&world.employer, "right_to_work").await;
    let presented = presented.success(&world);

    assert_eq!(presented["outcome"], "shared", "{presented:#}");
    assert_eq!(
        presented["verifier"]["organisation"],
        "Example Employer Ltd"
    );
    assert_eq!(presented["purpose"], "RTW");
    assert_eq!(result.state, "completed", "{result:?}\n{}", world.logs());
    // Verified; the employer must still compare the photo with the candidate.
    assert_eq!(
        result.outcome.as_deref(),
        Some("awaiting_confirmation"),
        "{result:?}\n{}",
        world.logs()
    );
    assert_eq!(result.compliant, Some(false));
    assert!(result.reasons.is_empty(), "{result:?}");
    let result = world
        .employer
        .employer
        .confirm(&result.id, "in_person", "Hiring manager")
        .await
        .unwrap();
    assert_eq!(result.outcome.as_deref(), Some("compliant"), "{result:?}");
    assert_eq!(result.compliant, Some(true));
    assert_eq!(result.confirmation.as_ref().unwrap()["method"], "in_person");
    let claims = result.claims.as_ref().unwrap();
    assert_eq!(claims["given_name"], "Ada");
    assert_eq!(claims["family_name"], "Lovelace");
    assert_eq!(claims["birthdate"], "1990-12-10");
    assert!(
        claims.contains_key("portrait"),
        "the employer's photo match"
    );
    let provider = result.provider.as_ref().unwrap();
    assert_eq!(provider.register_id, world.entry_id);
    assert_eq!(provider.organisation_name(), "Example Identity Ltd");
    assert_eq!(result.level_of_confidence.as_deref(), Some("medium"));
    assert!(result.trust_list_sequence.is_some_and(|s| s >= 1));
    assert!(result.status_checked_at.is_some());
    let evidence = result.evidence.as_deref().unwrap();
    let header = idv_jose::jws::UnverifiedJws::parse(evidence).unwrap();
    assert_eq!(header.header().typ(), Some("dvs-check-record+jwt"));
    assert_eq!(header.header().alg(), Some("ES256"));

    // The wallet records what it shared, with whom.
    let listed = world.wallet.run(&["list"]).await.success(&world);
    assert_eq!(
        listed["credentials"].as_array().map(Vec::len),
        Some(2),
        "{listed:#}"
    );
}

#[tokio::test]
async fn right_to_work_check_is_compliant_across_processes_on_sqlite() {
    right_to_work_check_is_compliant(Backend::Sqlite).await;
}

#[tokio::test]
async fn right_to_work_check_is_compliant_across_processes_on_postgres() {
    right_to_work_check_is_compliant(Backend::Postgres).await;
}

#[tokio::test]
async fn age_check_shares_only_the_age_claim() {
    let world = World::start(Backend::Sqlite).await;
    world.citizen_with_credentials().await;

    let (presented, result) = world.check(&world.shop, "age_over_18").await;
    let presented = presented.success(&world);

    assert_eq!(
        presented["verifier"]["organisation"],
        "Example Off-Licence Ltd"
    );
    assert_eq!(presented["purpose"], "AGE");
    // The threshold and the level of confidence behind it (not personal), nothing else.
    assert_eq!(
        shared_claims(&presented),
        vec![
            r#"["age_over_18"]"#,
            r#"["verification","assurance_level"]"#
        ]
    );
    assert_eq!(
        result.outcome.as_deref(),
        Some("compliant"),
        "{result:?}\n{}",
        world.logs()
    );
    let claims = result.claims.as_ref().unwrap();
    assert_eq!(
        claims.keys().collect::<Vec<_>>(),
        ["age_over_18", "verification"]
    );
    assert_eq!(claims["age_over_18"], true);
    assert_eq!(
        claims["verification"],
        serde_json::json!({"assurance_level": "medium"})
    );
    for personal in [
        "given_name",
        "family_name",
        "birthdate",
        "portrait",
        "document",
    ] {
        assert!(!claims.contains_key(personal));
        assert!(
            !presented.to_string().contains(&format!("\"{personal}\"")),
            "{personal} left the wallet: {presented:#}"
        );
    }
}
