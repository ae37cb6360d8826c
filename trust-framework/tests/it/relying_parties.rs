//! `/v1/relying-parties`: registration and Verifier Attestations.

use idv_jose::{Clock, SigningKey};
use idv_proto::claims_path::ClaimsPath;
use idv_proto::trust::entry::SchemeCode;
use idv_proto::trust::relying_party::RelyingPartyStatus;
use idv_test_support::{TestDb, test_on_both_databases};
use idv_trust::attestation::{check_within_purpose, verify_verifier_attestation};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{DAY, PUBLIC_URL, TestApp, error_body, relying_party_body};

test_on_both_databases!(
    a_registered_relying_party_is_published_in_the_list,
    an_attestation_binds_the_key_and_purposes_and_verifies_with_the_anchor,
    attestation_requests_with_a_bad_key_or_unknown_relying_party_are_rejected,
    a_client_id_can_be_registered_only_once,
    bad_relying_party_input_is_rejected_and_changes_nothing,
);

/// Checks that `response` is a `400` `invalid_request` whose description mentions `expected`.
async fn assert_invalid(response: Response, expected: &str) {
    let (error, description) = error_body(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(error, "invalid_request", "{description}");
    assert!(description.contains(expected), "{expected}: {description}");
}

async fn add(app: &TestApp, client_id: &str) -> String {
    let response = app
        .post("/v1/relying-parties", &relying_party_body(client_id))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let rp: Value = response.json().await.unwrap();
    rp["rp_id"].as_str().unwrap().to_owned()
}

async fn a_registered_relying_party_is_published_in_the_list(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let before = app.verified_list().await;
    let rp_id = add(&app, "shop.example.co.uk").await;
    let list = app.verified_list().await;
    assert!(list.sequence() > before.sequence());
    let rp = list.relying_party("shop.example.co.uk").unwrap();
    assert_eq!(rp.rp_id, rp_id);
    assert_eq!(rp.status, RelyingPartyStatus::Active);
    assert_eq!(rp.purposes[0].code, SchemeCode::Age);

    let listed: Value = app.get("/v1/relying-parties").await.json().await.unwrap();
    assert_eq!(
        listed["relying_parties"][0]["client_id"],
        "shop.example.co.uk"
    );
}

async fn an_attestation_binds_the_key_and_purposes_and_verifies_with_the_anchor(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let rp_id = add(&app, "shop.example.co.uk").await;
    let rp_key = SigningKey::generate().unwrap();
    let response = app
        .post(
            &format!("/v1/relying-parties/{rp_id}/attestations"),
            &json!({
                "jwk": rp_key.public_key().to_jwk(),
                "redirect_uris": ["https://shop.example.co.uk/cb"]
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let issued: Value = response.json().await.unwrap();
    let jwt = issued["verifier_attestation"].as_str().unwrap();

    let now = app.clock.now();
    let verified = verify_verifier_attestation(jwt, &app.anchors(), now).unwrap();
    let claims = verified.claims();
    assert_eq!(claims.iss, PUBLIC_URL);
    assert_eq!(verified.sub(), "shop.example.co.uk");
    assert_eq!(
        verified.client_id(),
        "verifier_attestation:shop.example.co.uk"
    );
    assert_eq!(verified.key(), rp_key.public_key());
    assert_eq!(claims.rp_id, rp_id);
    assert_eq!((claims.iat, claims.exp), (now, now + 30 * DAY));
    assert_eq!(issued["expires_at"], claims.exp);
    verified
        .check_redirect_uri("https://shop.example.co.uk/cb")
        .unwrap();
    let age = ClaimsPath::from_keys(["age_over_18"]).unwrap();
    let name = ClaimsPath::from_keys(["family_name"]).unwrap();
    check_within_purpose(verified.purposes(), SchemeCode::Age, &[age]).unwrap();
    assert!(check_within_purpose(verified.purposes(), SchemeCode::Age, &[name]).is_err());

    assert!(
        verify_verifier_attestation(jwt, &app.anchors(), now + 31 * DAY).is_err(),
        "expires after its lifetime"
    );
}

async fn attestation_requests_with_a_bad_key_or_unknown_relying_party_are_rejected(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let rp_id = add(&app, "shop.example.co.uk").await;
    let path = format!("/v1/relying-parties/{rp_id}/attestations");
    let private = serde_json::to_value(SigningKey::generate().unwrap().to_private_jwk()).unwrap();
    for (jwk, expected) in [
        (private, "jwk: "),
        (
            json!({"kty": "RSA", "n": "abc", "e": "AQAB"}),
            "only EC P-256",
        ),
        (json!("not a key"), "jwk: "),
    ] {
        assert_invalid(app.post(&path, &json!({ "jwk": jwk })).await, expected).await;
    }
    let good = SigningKey::generate().unwrap().public_key().to_jwk();
    let (_, description) = error_body(
        app.post(&path, &json!({"jwk": good, "redirect_uris": ["not a uri"]}))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(description.starts_with("redirect_uris[0]"), "{description}");
    let (error, _) = error_body(
        app.post(
            "/v1/relying-parties/rp-999999/attestations",
            &json!({ "jwk": good }),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(error, "not_found");
}

async fn a_client_id_can_be_registered_only_once(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    add(&app, "shop.example.co.uk").await;
    let (error, description) = error_body(
        app.post(
            "/v1/relying-parties",
            &relying_party_body("shop.example.co.uk"),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(error, "conflict");
    assert!(description.contains("already registered"), "{description}");
    let listed: Value = app.get("/v1/relying-parties").await.json().await.unwrap();
    assert_eq!(listed["relying_parties"].as_array().unwrap().len(), 1);
}

async fn bad_relying_party_input_is_rejected_and_changes_nothing(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let before = app.verified_list().await;
    for (body, expected) in [
        (
            json!({"organisation": {"name": "Shop"}, "client_id": "shop", "purposes": []}),
            "purposes: at least one",
        ),
        (
            json!({"organisation": {"name": "Shop"}, "client_id": "shop",
                   "purposes": [{"code": "PUB", "claims": [["age_over_18"]]}]}),
            "unknown variant `PUB`",
        ),
        (
            json!({"organisation": {"name": "Shop"}, "client_id": "shop",
                   "purposes": [{"code": "AGE", "claims": [[]]}]}),
            "purposes[0].claims[0]: invalid length 0",
        ),
        (
            json!({"organisation": {"name": "Shop"}, "client_id": "verifier_attestation:shop",
                   "purposes": [{"code": "AGE", "claims": [["age_over_18"]]}]}),
            "client_id: give the original identifier",
        ),
        (
            json!({"organisation": {"name": "Shop"}}),
            "missing field `client_id`",
        ),
    ] {
        assert_invalid(app.post("/v1/relying-parties", &body).await, expected).await;
    }
    assert_eq!(app.verified_list().await.sequence(), before.sequence());
}
