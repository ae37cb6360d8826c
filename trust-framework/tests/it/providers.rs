//! `/v1/providers`: registration, codes and the lifecycle, each reflected in the next list.

use idv_jose::{Clock, SigningKey};
use idv_proto::trust::entry::{CodeStatus, SchemeCode, ServiceStatus};
use idv_test_support::{TestDb, test_on_both_databases};
use idv_trust::rollback::check_rollback;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{DAY, TestApp, error_body, provider_body};

test_on_both_databases!(
    lifecycle_changes_each_appear_in_the_next_signed_list_with_a_higher_sequence,
    reinstating_a_withdrawn_entry_is_a_conflict_that_changes_nothing,
    bad_provider_input_is_rejected_precisely_and_changes_nothing,
    actions_on_an_unknown_entry_are_not_found,
    supplementary_code_certification_is_published_once,
    an_issuer_already_bound_to_an_entry_cannot_be_registered_again,
    an_entry_whose_certificate_lapses_is_published_as_expired,
    a_rotated_issuer_key_is_published_and_the_iss_cannot_change,
);

async fn lifecycle_changes_each_appear_in_the_next_signed_list_with_a_higher_sequence(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let entry_id = app.add_provider("alpha").await;
    let first = app.verified_list().await;
    let mut held = check_rollback(None, &first).unwrap();
    let entry = first
        .entry_for_issuer("https://alpha.idsp.example")
        .unwrap();
    assert_eq!(entry.entry_id, entry_id);
    assert_eq!(entry.status, ServiceStatus::Certified);
    assert_eq!(first.claims().iss, crate::helpers::PUBLIC_URL);

    let mut sequence = first.sequence();
    for (action, expected) in [
        ("suspend", ServiceStatus::Suspended),
        ("reinstate", ServiceStatus::Certified),
        ("withdraw", ServiceStatus::Withdrawn),
    ] {
        app.clock.advance(60);
        let response = app.change_status(&entry_id, action).await;
        assert_eq!(response.status(), StatusCode::OK, "{action}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], expected.as_str());

        let list = app.verified_list().await;
        assert!(list.sequence() > sequence, "{action} re-signs the list");
        sequence = list.sequence();
        held = check_rollback(Some(&held), &list).unwrap();
        let entry = list.entry_for_issuer("https://alpha.idsp.example").unwrap();
        assert_eq!(entry.status, expected, "{action}");
        assert_eq!(entry.status_since, app.clock.now());
    }

    let list = app.verified_list().await;
    let history = &list
        .entry_for_issuer("https://alpha.idsp.example")
        .unwrap()
        .status_history;
    let statuses: Vec<_> = history.iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        [
            ServiceStatus::Certified,
            ServiceStatus::Suspended,
            ServiceStatus::Certified,
            ServiceStatus::Withdrawn
        ]
    );
    assert_eq!(history[3].reason.as_deref(), Some("withdraw in test"));
    assert!(history.windows(2).all(|w| w[0].since < w[1].since));
}

async fn reinstating_a_withdrawn_entry_is_a_conflict_that_changes_nothing(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let entry_id = app.add_provider("beta").await;
    assert_eq!(
        app.change_status(&entry_id, "withdraw").await.status(),
        StatusCode::OK
    );
    let before = app.verified_list().await;

    for action in ["reinstate", "suspend", "withdraw"] {
        let (error, description) = error_body(
            app.change_status(&entry_id, action).await,
            StatusCode::CONFLICT,
        )
        .await;
        assert_eq!(error, "conflict");
        assert!(
            description.contains(&format!("cannot {action} entry `{entry_id}`"))
                && description.contains("withdrawn"),
            "{description}"
        );
    }
    let after = app.verified_list().await;
    assert_eq!(after.sequence(), before.sequence(), "nothing changed");
    assert_eq!(after.payload_hash(), before.payload_hash());

    let fresh = app.add_provider("gamma").await;
    let (_, description) = error_body(
        app.change_status(&fresh, "reinstate").await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        description.contains("nothing to reinstate"),
        "{description}"
    );
    let (error, description) = error_body(
        app.post(
            &format!("/v1/providers/{fresh}/suspend"),
            &json!({"reason": "  "}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error, "invalid_request");
    assert!(description.starts_with("reason:"), "{description}");
}

async fn bad_provider_input_is_rejected_precisely_and_changes_nothing(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let before = app.verified_list().await;
    let private_key =
        serde_json::to_value(SigningKey::generate().unwrap().to_private_jwk()).unwrap();
    let off_curve = json!({"kty": "EC", "crv": "P-256",
        "x": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "y": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE"});
    // (JSON pointer of the member to replace, or to remove when the value is None; what the
    // error description must say)
    let cases: [(&str, Option<Value>, &str); 12] = [
        (
            "/roles",
            Some(json!(["IDSP", "WIZARD"])),
            "unknown variant `WIZARD`",
        ),
        ("/roles", Some(json!([])), "roles: at least one role"),
        ("/certificate", None, "missing field `certificate`"),
        ("/colour", Some(json!("blue")), "unknown field `colour`"),
        (
            "/issuer/jwks/keys/0",
            Some(private_key),
            "issuer.jwks.keys[0]",
        ),
        (
            "/issuer/jwks/keys/0",
            Some(off_curve),
            "issuer.jwks.keys[0]",
        ),
        (
            "/framework_version",
            Some(json!("2.0")),
            "framework_version: `2.0`",
        ),
        (
            "/framework_version",
            Some(json!("0.3")),
            "no longer accepted",
        ),
        (
            "/certificate/expires",
            Some(json!(crate::helpers::T0 - DAY)),
            "certificate: already expired",
        ),
        (
            "/issuer/iss/0",
            Some(json!("idsp.example")),
            "issuer.iss[0]",
        ),
        ("/issuer/vct", Some(json!([])), "issuer.vct"),
        (
            "/max_loc",
            Some(json!("extreme")),
            "unknown variant `extreme`",
        ),
    ];
    for (pointer, value, expected) in cases {
        let mut body = provider_body("delta");
        let (parent, member) = pointer.rsplit_once('/').unwrap();
        let parent = body.pointer_mut(parent).unwrap();
        match (value, parent) {
            (Some(value), Value::Array(items)) => items[member.parse::<usize>().unwrap()] = value,
            (Some(value), parent) => parent[member] = value,
            (None, parent) => {
                parent.as_object_mut().unwrap().remove(member);
            }
        }
        let (error, description) = error_body(
            app.post("/v1/providers", &body).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(error, "invalid_request", "{pointer}");
        assert!(description.contains(expected), "{pointer}: {description}");
    }
    let response = app
        .client
        .post(app.url("/v1/providers"))
        .bearer_auth(&app.token)
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_body(response, StatusCode::BAD_REQUEST).await.0,
        "invalid_request"
    );

    assert!(app.providers().await.is_empty());
    let after = app.verified_list().await;
    assert_eq!(after.sequence(), before.sequence());
    assert!(after.claims().entries.is_empty());
}

async fn actions_on_an_unknown_entry_are_not_found(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let (error, description) = error_body(
        app.get("/v1/providers/dvs-999999").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(error, "not_found");
    assert!(description.contains("dvs-999999"), "{description}");
    for response in [
        app.change_status("dvs-999999", "suspend").await,
        app.post("/v1/providers/dvs-999999/codes", &json!({"code": "RTW"}))
            .await,
    ] {
        assert_eq!(
            error_body(response, StatusCode::NOT_FOUND).await.0,
            "not_found"
        );
    }
    let (error, _) = error_body(app.get("/v1/nothing-here").await, StatusCode::NOT_FOUND).await;
    assert_eq!(error, "not_found");
}

async fn supplementary_code_certification_is_published_once(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let entry_id = app.add_provider("epsilon").await;
    let before = app.verified_list().await;
    let path = format!("/v1/providers/{entry_id}/codes");

    let response = app.post(&path, &json!({"code": "RTW"})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let list = app.verified_list().await;
    assert!(list.sequence() > before.sequence());
    let codes = &list
        .entry_for_issuer("https://epsilon.idsp.example")
        .unwrap()
        .supplementary_codes;
    assert_eq!(codes.len(), 1);
    assert_eq!(
        (codes[0].code, codes[0].status),
        (SchemeCode::Rtw, CodeStatus::Certified)
    );

    let (error, description) = error_body(
        app.post(&path, &json!({"code": "RTW"})).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(error, "conflict");
    assert!(
        description.contains("already certified for RTW"),
        "{description}"
    );
    let (_, description) = error_body(
        app.post(&path, &json!({"code": "XYZ"})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(
        description.contains("unknown variant `XYZ`"),
        "{description}"
    );
    assert_eq!(app.verified_list().await.sequence(), list.sequence());
}

async fn an_issuer_already_bound_to_an_entry_cannot_be_registered_again(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let entry_id = app.add_provider("zeta").await;
    app.change_status(&entry_id, "withdraw").await;
    let (error, description) = error_body(
        app.post("/v1/providers", &provider_body("zeta")).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(error, "conflict");
    assert!(
        description.contains("https://zeta.idsp.example") && description.contains(&entry_id),
        "{description}"
    );
    assert_eq!(app.providers().await.len(), 1);
}

async fn an_entry_whose_certificate_lapses_is_published_as_expired(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let entry_id = app.add_provider("eta").await;
    app.change_status(&entry_id, "suspend").await;
    let expires = crate::helpers::T0 + 3 * 365 * DAY;
    app.clock.set(expires + 10);

    let list = app.verified_list().await;
    let entry = list.entry_for_issuer("https://eta.idsp.example").unwrap();
    assert_eq!(entry.status, ServiceStatus::Expired);
    assert_eq!(entry.status_since, expires);
    assert_eq!(
        entry.status_history.last().unwrap().reason.as_deref(),
        Some("certificate expired")
    );
    let (_, description) = error_body(
        app.change_status(&entry_id, "reinstate").await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(description.contains("expired"), "{description}");
}

async fn a_rotated_issuer_key_is_published_and_the_iss_cannot_change(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let entry_id = app.add_provider("alpha").await;
    let before = app.verified_list().await;
    let old_binding = before
        .entry_for_issuer("https://alpha.idsp.example")
        .unwrap()
        .issuer
        .clone();
    let new_key = idv_jose::SigningKey::generate().unwrap();
    let mut binding = serde_json::to_value(&old_binding).unwrap();
    binding["jwks"]["keys"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::to_value(new_key.public_key().to_jwk()).unwrap());

    app.clock.advance(60);
    let path = format!("/v1/providers/{entry_id}/issuer");
    let response = app
        .client
        .put(app.url(&path))
        .bearer_auth(&app.token)
        .json(&json!({"issuer": binding, "reason": "scheduled key rotation"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let after = app.verified_list().await;
    assert!(after.sequence() > before.sequence());
    let keys = &after
        .entry_for_issuer("https://alpha.idsp.example")
        .unwrap()
        .issuer
        .jwks
        .keys;
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[1]["kid"], new_key.public_key().thumbprint());
    idv_trust::evaluate::find_issuer_key(
        &after,
        "https://alpha.idsp.example",
        Some(&new_key.public_key().thumbprint()),
    )
    .unwrap();

    // Another `iss`, or no key at all, is refused and changes nothing.
    let mut other_iss = binding.clone();
    other_iss["iss"] = json!(["https://beta.idsp.example"]);
    let mut no_keys = binding.clone();
    no_keys["jwks"]["keys"] = json!([]);
    for (body, expected) in [(other_iss, "issuer.iss"), (no_keys, "issuer.jwks")] {
        let response = app
            .client
            .put(app.url(&path))
            .bearer_auth(&app.token)
            .json(&json!({"issuer": body, "reason": "bad"}))
            .send()
            .await
            .unwrap();
        let (error, description) = error_body(response, StatusCode::BAD_REQUEST).await;
        assert_eq!(error, "invalid_request");
        assert!(description.starts_with(expected), "{description}");
    }
    // Unauthenticated: refused.
    let response = app
        .client
        .put(app.url(&path))
        .json(&json!({"issuer": binding, "reason": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.verified_list().await.sequence(), after.sequence());
}
