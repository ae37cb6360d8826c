//! `POST /credential` (with `POST /nonce`): the whole pre-authorized flow, batch issuance, and
//! every rejection, each with the error code OpenID4VCI 1.0 or RFC 6750 names.

use std::collections::BTreeSet;

use idv_jose::{Clock as _, PublicKey, SigningKey};
use idv_proto::claims_path::ClaimsPath;
use idv_proto::oid4vci::proof::PROOF_JWT_TYP;
use idv_sdjwt::holder::HeldSdJwt;
use idv_sdjwt::key_binding::KeyBindingPolicy;
use idv_sdjwt::verify::{UnverifiedSdJwt, VerifyPolicy};
use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};

use idv_profiles::LevelOfConfidence;

use crate::helpers::{
    AGE, DAY, IDENTITY, PUBLIC_URL, TestApp, expect_error, person, proof_with, test_config,
};

test_on_both_databases!(
    the_pre_authorized_flow_issues_credentials_that_verify,
    a_batch_of_proofs_yields_credentials_bound_to_distinct_keys,
    credentials_signed_before_storing_never_share_a_status_index,
    proofs_and_nonces_are_checked_with_exact_error_codes,
    requests_are_checked_with_exact_error_codes,
    access_tokens_are_required_and_expire,
    authorization_details_switch_to_credential_identifiers,
    age_credentials_need_an_identity_proofed_to_medium_confidence,
    age_credentials_expire_at_the_birthday_that_changes_them
);

fn request(configuration: &str, proofs: &[String]) -> Value {
    json!({"credential_configuration_id": configuration, "proofs": {"jwt": proofs}})
}

/// The audience and nonce of the verifier the tests present to.
const VERIFIER: &str = "x509_hash:verifier";
const VP_NONCE: &str = "vp-nonce";

/// `held` presented to the verifier, disclosing the claims at `paths` (each a list of keys),
/// bound to `holder`'s key.
fn present(held: &HeldSdJwt, paths: &[&[&str]], holder: &SigningKey, now: i64) -> String {
    let paths: Vec<ClaimsPath> = paths
        .iter()
        .map(|keys| ClaimsPath::from_keys(keys.iter().copied()).unwrap())
        .collect();
    held.present_bound(&paths, holder, VERIFIER, VP_NONCE, now)
        .unwrap()
}

/// What the verifier makes of `presented` (RFC 9901 §7.1–7.3: the issuer's signature with
/// `issuer_key`, the disclosures, the key binding to its audience and nonce): the claims.
fn verify_presented(presented: &str, issuer_key: &PublicKey, now: i64) -> Value {
    let policy = VerifyPolicy {
        typ: idv_sdjwt::vc::accepted_typ(false),
        now,
        skew: 60,
        key_binding: Some(KeyBindingPolicy {
            audience: VERIFIER,
            nonce: VP_NONCE,
            max_age: 300,
        }),
    };
    let verified = UnverifiedSdJwt::parse(presented)
        .unwrap()
        .verify(issuer_key, &policy)
        .unwrap();
    Value::Object(verified.claims().clone())
}

async fn the_pre_authorized_flow_issues_credentials_that_verify(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let (offer, access_token) = app.access_token(&[IDENTITY, AGE]).await;
    let wallet = app.wallet();

    let holder = SigningKey::generate().unwrap();
    let credential = wallet.issue(&access_token, IDENTITY, &holder).await;
    let held = wallet.receive(&credential, &holder).await;
    let claims = held.claims();
    assert_eq!(claims["vct"], "urn:dvs:vct:uk-identity:1");
    assert_eq!(claims["given_name"], "Ada");
    assert_eq!(claims["document"]["type"], "passport");
    assert_eq!(claims["verification"]["assurance_level"], "medium");
    assert_eq!(held.header().typ(), Some("dc+sd-jwt"));
    let payload = credential.split('.').nth(1).unwrap();
    let plain: Value =
        serde_json::from_slice(&idv_jose::base64url::decode(payload).unwrap()).unwrap();
    assert_discloses_nothing_of_ada(&plain, "the issuer-signed payload");
    assert!(claims["exp"].as_i64().unwrap() > app.clock.now() + 364 * DAY);

    // A verifier accepts a presentation of one claim, bound to the holder key.
    let issuer_key = wallet.issuer_key(held.header().kid().unwrap()).await;
    let presented = present(&held, &[&["family_name"]], &holder, app.clock.now());
    let verified = verify_presented(&presented, &issuer_key, app.clock.now());
    assert_eq!(verified["family_name"], "Lovelace");
    assert!(verified.get("given_name").is_none());
    assert_eq!(wallet.status(&held).await, idv_status_list::Status::Valid);

    // The age credential of the same offer, with the same access token.
    let holder = SigningKey::generate().unwrap();
    let held = wallet.issue_held(&access_token, AGE, &holder).await;
    let mut names: Vec<&String> = held.claims().keys().collect();
    names.sort();
    assert_eq!(
        names,
        [
            "age_over_16",
            "age_over_18",
            "age_over_21",
            "age_over_25",
            "cnf",
            "exp",
            "iat",
            "iss",
            "status",
            "vct",
            "verification"
        ]
    );
    assert_eq!(held.claims()["age_over_25"], true);
    assert_eq!(
        held.claims()["verification"],
        json!({"trust_framework": "uk_dvs", "assurance_level": "medium"})
    );
    // An age check asks for the threshold and the level; the level needs no disclosure.
    let paths: [&[&str]; 2] = [&["age_over_18"], &["verification", "assurance_level"]];
    let presented = present(&held, &paths, &holder, app.clock.now());
    assert_eq!(
        presented.matches('~').count(),
        2,
        "one disclosure and the KB-JWT"
    );
    let verified = verify_presented(&presented, &issuer_key, app.clock.now());
    assert_eq!(verified["age_over_18"], true);
    assert_eq!(verified["verification"]["assurance_level"], "medium");
    assert!(verified.get("age_over_21").is_none());

    // Each configuration is issued once per offer.
    let again = json!({"credential_configuration_id": AGE});
    let response = wallet.request_proven(&access_token, again, &holder).await;
    expect_error(
        response,
        StatusCode::BAD_REQUEST,
        "credential_request_denied",
    )
    .await;

    // The operator sees metadata only.
    let listed: Value = app
        .get(&format!(
            "/v1/credentials?identity_id={}",
            offer.identity_id
        ))
        .await
        .json()
        .await
        .unwrap();
    let listed = listed["credentials"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_discloses_nothing_of_ada(&Value::from(listed.clone()), "the operator's listing");
    assert!(
        !serde_json::to_string(listed).unwrap().contains('~'),
        "no SD-JWT in the operator's listing"
    );
    let configurations: BTreeSet<&str> = listed
        .iter()
        .map(|c| c["credential_configuration_id"].as_str().unwrap())
        .collect();
    assert_eq!(configurations, BTreeSet::from([IDENTITY, AGE]));
    assert_eq!(listed[0]["status"], "valid");
    assert!(
        listed[0]["status_list"]["uri"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{PUBLIC_URL}/status-lists/"))
    );
}

/// A fresh offer of the age credential redeemed with `n` proofs of fresh holder keys: the keys
/// and the `n` credentials, in proof order.
async fn age_batch(app: &TestApp, n: usize) -> (Vec<SigningKey>, Vec<String>) {
    let (_, access_token) = app.access_token(&[AGE]).await;
    let wallet = app.wallet();
    let holders: Vec<SigningKey> = (0..n).map(|_| SigningKey::generate().unwrap()).collect();
    // One c_nonce for the whole batch, as wallets do.
    let nonce = wallet.nonce().await;
    let proofs: Vec<String> = holders.iter().map(|k| wallet.proof(k, &nonce)).collect();
    let response = wallet
        .credential(&access_token, &request(AGE, &proofs))
        .await;
    let credentials = wallet.credentials(response).await;
    assert_eq!(credentials.len(), n);
    (holders, credentials)
}

async fn a_batch_of_proofs_yields_credentials_bound_to_distinct_keys(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let wallet = app.wallet();
    let (holders, credentials) = age_batch(&app, 5).await;
    let mut indices = BTreeSet::new();
    let mut keys = BTreeSet::new();
    for (credential, holder) in credentials.iter().zip(&holders) {
        let held = wallet.receive(credential, holder).await;
        keys.insert(
            held.claims()["cnf"]["jwk"]["x"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        indices.insert(
            held.claims()["status"]["status_list"]["idx"]
                .as_u64()
                .unwrap(),
        );
        assert_eq!(
            held.claims()["iat"],
            app.clock.now() - app.clock.now() % DAY
        );
    }
    assert_eq!(keys.len(), 5, "one holder key per credential");
    assert_eq!(indices.len(), 5, "one status index per credential");
}

async fn credentials_signed_before_storing_never_share_a_status_index(db: TestDb) {
    // Lists of 16 entries, filled to half: a batch's indices are drawn before its transaction,
    // so the second batch of each list usually draws one the first took, and signs it again.
    let mut config = test_config(&db);
    config.status.list_size = 16;
    config.credentials.batch_size = 4;
    let app = TestApp::spawn_with(config).await;
    let wallet = app.wallet();
    let mut entries = BTreeSet::new();
    for _ in 0..10 {
        let (holders, credentials) = age_batch(&app, 4).await;
        for (credential, holder) in credentials.iter().zip(&holders) {
            let held = wallet.receive(credential, holder).await;
            let status = &held.claims()["status"]["status_list"];
            let idx = status["idx"].as_u64().unwrap();
            assert!(idx < 16);
            entries.insert((status["uri"].as_str().unwrap().to_owned(), idx));
        }
    }
    assert_eq!(entries.len(), 40, "one status entry per credential");
    let lists: BTreeSet<&str> = entries.iter().map(|(uri, _)| uri.as_str()).collect();
    assert_eq!(lists.len(), 5, "eight credentials per list of 16");
}

async fn proofs_and_nonces_are_checked_with_exact_error_codes(db: TestDb) {
    let mut config = test_config(&db);
    config.tokens.c_nonce_lifetime_secs = 60;
    let app = TestApp::spawn_with(config).await;
    let (_, access_token) = app.access_token(&[AGE]).await;
    let wallet = app.wallet();
    let holder = SigningKey::generate().unwrap();
    let now = app.clock.now();
    let send = |proofs: Vec<String>| {
        let body = request(AGE, &proofs);
        let access_token = access_token.clone();
        let wallet = app.wallet();
        async move { wallet.credential(&access_token, &body).await }
    };

    let nonce = wallet.nonce().await;
    for (why, proof) in [
        (
            "wrong aud",
            proof_with(
                &holder,
                PROOF_JWT_TYP,
                &json!({"aud": "https://other.example", "iat": now, "nonce": nonce}),
            ),
        ),
        (
            "wrong typ",
            proof_with(
                &holder,
                "JWT",
                &json!({"aud": PUBLIC_URL, "iat": now, "nonce": nonce}),
            ),
        ),
        (
            "no nonce",
            proof_with(
                &holder,
                PROOF_JWT_TYP,
                &json!({"aud": PUBLIC_URL, "iat": now}),
            ),
        ),
        (
            "stale iat",
            proof_with(
                &holder,
                PROOF_JWT_TYP,
                &json!({"aud": PUBLIC_URL, "iat": now - 3600, "nonce": nonce}),
            ),
        ),
        ("not a JWT", "eyJhbGciOiJFUzI1NiJ9.e30".to_owned()),
    ] {
        let description = expect_error(
            send(vec![proof]).await,
            StatusCode::BAD_REQUEST,
            "invalid_proof",
        )
        .await;
        assert!(!description.is_empty(), "{why}");
    }
    let response = wallet
        .credential(&access_token, &json!({"credential_configuration_id": AGE}))
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_proof").await;
    let response = wallet
        .credential(
            &access_token,
            &json!({"credential_configuration_id": AGE, "proofs": {"di_vp": [{}]}}),
        )
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_proof").await;

    let response = send(vec![wallet.proof(&holder, "never-issued")]).await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_nonce").await;

    // A stale nonce: fetched, then left past its lifetime.
    let stale = wallet.nonce().await;
    app.clock.advance(61);
    let response = send(vec![wallet.proof(&holder, &stale)]).await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_nonce").await;
    app.clock.set(now);

    // The refusals above consumed nothing: this nonce still works, once.
    let response = send(vec![wallet.proof(&holder, &nonce)]).await;
    assert_eq!(wallet.credentials(response).await.len(), 1);
    let (_, second_token) = app.access_token(&[AGE]).await;
    let response = wallet
        .credential(
            &second_token,
            &request(AGE, &[wallet.proof(&holder, &nonce)]),
        )
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_nonce").await;
}

async fn requests_are_checked_with_exact_error_codes(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let (_, access_token) = app.access_token(&[AGE]).await;
    let wallet = app.wallet();
    let holder = SigningKey::generate().unwrap();
    let nonce = wallet.nonce().await;
    let proof = wallet.proof(&holder, &nonce);

    let response = wallet
        .credential(
            &access_token,
            &request("uk_passport", std::slice::from_ref(&proof)),
        )
        .await;
    expect_error(
        response,
        StatusCode::BAD_REQUEST,
        "unknown_credential_configuration",
    )
    .await;
    let response = wallet
        .credential(
            &access_token,
            &request(IDENTITY, std::slice::from_ref(&proof)),
        )
        .await;
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer error=\"insufficient_scope\""
    );
    expect_error(response, StatusCode::FORBIDDEN, "insufficient_scope").await;
    let mut encrypted = request(AGE, std::slice::from_ref(&proof));
    encrypted["credential_response_encryption"] =
        json!({"jwk": holder.public_key().to_jwk(), "enc": "A256GCM"});
    let eleven: Vec<String> = (0..11)
        .map(|_| wallet.proof(&SigningKey::generate().unwrap(), &nonce))
        .collect();
    let refused = [
        (
            json!({"credential_configuration_id": AGE, "credential_identifier": AGE,
                    "proofs": {"jwt": [proof]}}),
            "invalid_credential_request",
        ),
        (
            json!({"credential_identifier": AGE, "proofs": {"jwt": [proof]}}),
            "unknown_credential_identifier",
        ),
        (
            json!({"proofs": {"jwt": [proof]}}),
            "invalid_credential_request",
        ),
        (encrypted, "invalid_encryption_parameters"),
        (request(AGE, &eleven), "invalid_credential_request"),
        (
            request(AGE, &[proof.clone(), proof.clone()]),
            "invalid_credential_request",
        ),
    ];
    let mut descriptions = Vec::new();
    for (body, code) in &refused {
        let response = wallet.credential(&access_token, body).await;
        descriptions.push(expect_error(response, StatusCode::BAD_REQUEST, code).await);
    }
    assert!(descriptions[4].contains("at most 10"), "{descriptions:?}");
    for (content_type, body) in [
        ("application/json", "{not json"),
        ("application/jwt", "eyJ.eyJ.sig"),
    ] {
        let response = app
            .client
            .post(app.url("/credential"))
            .bearer_auth(&access_token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        expect_error(
            response,
            StatusCode::BAD_REQUEST,
            "invalid_credential_request",
        )
        .await;
    }

    // Unknown members are ignored, as OpenID4VCI requires.
    let mut body = request(AGE, &[proof]);
    body["future_parameter"] = json!(true);
    let response = wallet.credential(&access_token, &body).await;
    assert_eq!(wallet.credentials(response).await.len(), 1);
}

async fn access_tokens_are_required_and_expire(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let (_, access_token) = app.access_token(&[AGE]).await;
    let wallet = app.wallet();
    let holder = SigningKey::generate().unwrap();
    let nonce = wallet.nonce().await;
    let body = request(AGE, &[wallet.proof(&holder, &nonce)]);

    let response = app
        .client
        .post(app.url("/credential"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    let response = wallet.credential("forged-token", &body).await;
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\""
    );
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    // The access token is checked before the body.
    let response = app
        .client
        .post(app.url("/credential"))
        .bearer_auth("forged-token")
        .body("{not json")
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;

    app.clock.advance(300);
    let response = wallet.credential(&access_token, &body).await;
    let description = expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    assert!(description.contains("expired"), "{description}");
}

async fn authorization_details_switch_to_credential_identifiers(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let offer = app.offer(&[IDENTITY, AGE]).await;
    let wallet = app.wallet();
    let response = wallet
        .token_with_details(
            &offer.code,
            offer.tx_code.as_deref().unwrap(),
            r#"[{"type":"openid_credential","credential_configuration_id":"uk_age"}]"#,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["authorization_details"],
        json!([{"type": "openid_credential", "credential_configuration_id": AGE,
                "credential_identifiers": [AGE]}])
    );
    let access_token = body["access_token"].as_str().unwrap();

    let holder = SigningKey::generate().unwrap();
    let nonce = wallet.nonce().await;
    let proof = wallet.proof(&holder, &nonce);
    let response = wallet
        .credential(access_token, &request(AGE, std::slice::from_ref(&proof)))
        .await;
    let description = expect_error(
        response,
        StatusCode::BAD_REQUEST,
        "invalid_credential_request",
    )
    .await;
    assert!(
        description.contains("credential_identifier"),
        "{description}"
    );
    let response = wallet
        .credential(
            access_token,
            &json!({"credential_identifier": IDENTITY, "proofs": {"jwt": [proof]}}),
        )
        .await;
    expect_error(
        response,
        StatusCode::BAD_REQUEST,
        "unknown_credential_identifier",
    )
    .await;
    let response = wallet
        .credential(
            access_token,
            &json!({"credential_identifier": AGE, "proofs": {"jwt": [proof]}}),
        )
        .await;
    let credentials = wallet.credentials(response).await;
    wallet.receive(&credentials[0], &holder).await;
}

/// [`person`] proofed to `level`.
fn proofed_to(level: &str) -> Value {
    let mut identity = person();
    identity["level_of_confidence"] = level.into();
    identity
}

async fn age_credentials_need_an_identity_proofed_to_medium_confidence(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let holder = SigningKey::generate().unwrap();

    // Low confidence: no offer of the age credential, alone or with the identity credential.
    let low = app.record(&proofed_to("low")).await;
    for (ids, index) in [(vec![AGE], 0), (vec![IDENTITY, AGE], 1)] {
        let response = app
            .post(
                &format!("/v1/identities/{low}/offers"),
                &json!({"credential_configuration_ids": ids}),
            )
            .await;
        let description = expect_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "insufficient_level_of_confidence",
        )
        .await;
        assert!(
            description.contains(&format!("credential_configuration_ids[{index}]"))
                && description.contains("level of confidence medium")
                && description.contains("proofed to low"),
            "{description}"
        );
    }
    // The identity credential carries its level for the relying party to judge.
    app.create_offer(&low, &[IDENTITY], true).await;

    // Medium confidence: issued.
    let medium = app.record(&proofed_to("medium")).await;
    let created = app.create_offer(&medium, &[AGE], true).await;
    let access_token = app.redeem(&created).await;
    app.wallet().issue_held(&access_token, AGE, &holder).await;

    // An offer made before the minimum was raised to high: its Credential Request is refused,
    // and nothing is issued under it.
    let pending = app.create_offer(&medium, &[AGE], true).await;
    let pending_token = app.redeem(&pending).await;
    let mut stricter = app.config.clone();
    stricter.age.min_level_of_confidence = LevelOfConfidence::High;
    let mut raised = app.another_instance_with(stricter).await;
    let description = expect_error(
        raised
            .wallet()
            .request_proven(
                &pending_token,
                json!({"credential_configuration_id": AGE}),
                &holder,
            )
            .await,
        StatusCode::BAD_REQUEST,
        "credential_request_denied",
    )
    .await;
    assert!(
        description.contains("level of confidence high")
            && description.contains("proofed to medium"),
        "{description}"
    );
    let listed: Value = raised
        .get(&format!("/v1/credentials?identity_id={medium}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["credentials"].as_array().unwrap().len(), 1);
    let response = raised
        .post(
            &format!("/v1/identities/{medium}/offers"),
            &json!({"credential_configuration_ids": [AGE]}),
        )
        .await;
    expect_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "insufficient_level_of_confidence",
    )
    .await;
    let very_high = raised.record(&proofed_to("very_high")).await;
    let created = raised.create_offer(&very_high, &[AGE], true).await;
    let access_token = raised.redeem(&created).await;
    let held = raised
        .wallet()
        .issue_held(&access_token, AGE, &holder)
        .await;
    assert_eq!(
        held.claims()["verification"]["assurance_level"],
        "very_high",
        "each age credential carries its own identity's level"
    );
    raised.stop().await;
}

async fn age_credentials_expire_at_the_birthday_that_changes_them(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let holder = SigningKey::generate().unwrap();
    // On the tests' day, 2026-05-28, 17 years and 345 days old: 18 on 2026-06-17.
    let mut identity = person();
    identity["birthdate"] = "2008-06-17".into();
    let identity_id = app.record(&identity).await;
    let eighteenth_birthday = 1_781_654_400; // 2026-06-17T00:00:00Z

    let created = app.create_offer(&identity_id, &[AGE], true).await;
    let access_token = app.redeem(&created).await;
    let held = app.wallet().issue_held(&access_token, AGE, &holder).await;
    assert_eq!(held.claims()["age_over_18"], false);
    assert_eq!(held.claims()["exp"], eighteenth_birthday);
    let listed: Value = app
        .get(&format!("/v1/credentials?identity_id={identity_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["credentials"][0]["expires_at"], eighteenth_birthday,
        "the operator sees the same expiry"
    );

    // On the birthday: over 18, and no change before the 21st birthday, so the full validity.
    app.clock.set(eighteenth_birthday + 9 * 3600);
    let created = app.create_offer(&identity_id, &[AGE], true).await;
    let access_token = app.redeem(&created).await;
    let held = app.wallet().issue_held(&access_token, AGE, &holder).await;
    assert_eq!(held.claims()["age_over_18"], true);
    assert_eq!(held.claims()["age_over_21"], false);
    assert_eq!(
        held.claims()["exp"],
        eighteenth_birthday + app.config.credentials.age_validity_secs
    );
}

/// Fails when `value` holds any of Ada's personal claims. The short given name is compared
/// whole: as a substring it could appear by chance inside random identifiers and digests.
fn assert_discloses_nothing_of_ada(value: &Value, what: &str) {
    fn strings<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
        match value {
            Value::String(text) => out.push(text),
            Value::Array(items) => items.iter().for_each(|item| strings(item, out)),
            Value::Object(members) => members.values().for_each(|member| strings(member, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    strings(value, &mut found);
    for text in found {
        assert_ne!(text, "Ada", "{what} shows the given name");
        for personal in ["Lovelace", "1990-12-10", "passport"] {
            assert!(!text.contains(personal), "{what} shows {personal}");
        }
    }
}
