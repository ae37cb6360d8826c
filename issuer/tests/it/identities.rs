//! The operator API: authentication, proofed identities, offers and their QR codes.

use idv_proto::oid4vci::credential_offer::InputMode;
use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{AGE, IDENTITY, PUBLIC_URL, TestApp, expect_error, person};

test_on_both_databases!(
    operator_api_requires_the_operator_token,
    proofed_identities_are_validated_and_recorded,
    offers_carry_a_link_a_qr_code_and_a_tx_code
);

async fn operator_api_requires_the_operator_token(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let routes = [
        ("POST", "/v1/identities"),
        ("GET", "/v1/identities/00"),
        ("POST", "/v1/identities/00/offers"),
        ("POST", "/v1/identities/00/revoke"),
        ("POST", "/v1/identities/00/suspend"),
        ("POST", "/v1/identities/00/reinstate"),
        ("GET", "/v1/offers/00/qr.svg"),
        ("GET", "/v1/offers/00/qr.png"),
        ("GET", "/v1/credentials"),
        ("GET", "/v1/credentials/00"),
        ("POST", "/v1/credentials/00/revoke"),
        ("POST", "/v1/credentials/00/suspend"),
        ("POST", "/v1/credentials/00/reinstate"),
    ];
    for (method, path) in routes {
        let request = |token: Option<&str>| {
            let builder = match method {
                "POST" => app.client.post(app.url(path)).json(&json!({})),
                _ => app.client.get(app.url(path)),
            };
            match token {
                Some(token) => builder.bearer_auth(token),
                None => builder,
            }
        };
        let response = request(None).send().await.unwrap();
        assert_eq!(response.headers()["www-authenticate"], "Bearer", "{path}");
        expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
        let response = request(Some("not-the-operator-token"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer error=\"invalid_token\"",
            "{path}"
        );
        expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    }
}

async fn proofed_identities_are_validated_and_recorded(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let response = app.post("/v1/identities", &person()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let recorded: Value = response.json().await.unwrap();
    let id = recorded["identity_id"].as_str().unwrap();
    assert_eq!(location, format!("/v1/identities/{id}"));
    assert_eq!(id.len(), 32);

    let record: Value = app.get(&location).await.json().await.unwrap();
    assert_eq!(
        record["identity"],
        person(),
        "the proofing record, as recorded"
    );

    for (field, value) in [
        ("birthdate", json!("1990-02-30")),
        ("nationalities", json!(["gb"])),
        ("level_of_confidence", json!("extreme")),
        ("portrait", json!("data:image/png;base64,AAAA")),
        ("proofed_at", json!(crate::helpers::T0 + 3600)),
        ("gpg45_profile", json!(" ")),
    ] {
        let mut body = person();
        body[field] = value;
        let response = app.post("/v1/identities", &body).await;
        let description = expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert!(description.contains(field), "{field}: {description}");
    }
    // A record the uk_identity credential cannot be issued from: the portrait is missing.
    for absent in [None, Some(Value::Null)] {
        let mut body = person();
        match absent {
            None => body.as_object_mut().unwrap().remove("portrait"),
            Some(null) => body
                .as_object_mut()
                .unwrap()
                .insert("portrait".into(), null),
        };
        let response = app.post("/v1/identities", &body).await;
        let description = expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert!(
            description.contains("portrait is required") && description.contains("uk_identity"),
            "{description}"
        );
    }
    let mut body = person();
    body["favourite_colour"] = json!("green");
    let response = app.post("/v1/identities", &body).await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;

    let response = app
        .get("/v1/identities/ffffffffffffffffffffffffffffffff")
        .await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
}

async fn offers_carry_a_link_a_qr_code_and_a_tx_code(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let identity_id = app.record_identity().await;
    let path = format!("/v1/identities/{identity_id}/offers");

    for bad in [
        json!({"credential_configuration_ids": []}),
        json!({"credential_configuration_ids": ["uk_passport"]}),
        json!({"credential_configuration_ids": [AGE, AGE]}),
    ] {
        let response = app.post(&path, &bad).await;
        expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
    let response = app
        .post(
            "/v1/identities/ffffffffffffffffffffffffffffffff/offers",
            &json!({"credential_configuration_ids": [AGE]}),
        )
        .await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;

    let response = app
        .post(
            &path,
            &json!({"credential_configuration_ids": [IDENTITY, AGE]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let created: Value = response.json().await.unwrap();
    let offer_id = created["offer_id"].as_str().unwrap();
    let uri = created["credential_offer_uri"].as_str().unwrap();
    assert_eq!(uri, format!("{PUBLIC_URL}/credential-offer/{offer_id}"));
    let link = created["offer_link"].as_str().unwrap();
    let query = link
        .strip_prefix("openid-credential-offer://?")
        .expect("an openid-credential-offer:// link");
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(
        params,
        [("credential_offer_uri".to_owned(), uri.to_owned())]
    );
    let tx_code = created["tx_code"].as_str().unwrap();
    assert!(tx_code.len() == 6 && tx_code.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(created["expires_at"], crate::helpers::T0 + 15 * 60);

    let offer = app.wallet().fetch_offer(&created).await;
    assert_eq!(offer.credential_issuer, PUBLIC_URL);
    assert_eq!(offer.credential_configuration_ids, [IDENTITY, AGE]);
    let grant = offer.grants.unwrap().pre_authorized_code.unwrap();
    assert_ne!(
        grant.pre_authorized_code, offer_id,
        "the code is not the handle"
    );
    let tx = grant.tx_code.unwrap();
    assert_eq!(tx.input_mode, Some(InputMode::Numeric));
    assert_eq!(tx.length, Some(6));
    assert!(tx.description.unwrap().len() <= 300);

    let svg = app.get(&format!("/v1/offers/{offer_id}/qr.svg")).await;
    assert_eq!(svg.status(), StatusCode::OK);
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert!(svg.text().await.unwrap().contains("<svg"));
    let png = app.get(&format!("/v1/offers/{offer_id}/qr.png")).await;
    assert_eq!(png.status(), StatusCode::OK);
    assert_eq!(png.headers()["content-type"], "image/png");
    assert!(png.bytes().await.unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));
    let response = app.get("/v1/offers/not-an-offer/qr.svg").await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;

    let without = app.create_offer(&identity_id, &[AGE], false).await;
    assert!(without.get("tx_code").is_none());
    let offer = app.wallet().fetch_offer(&without).await;
    let grant = offer.grants.unwrap().pre_authorized_code.unwrap();
    assert_eq!(grant.tx_code, None, "no tx_code object: none is required");

    let response = app
        .client
        .get(app.url("/credential-offer/unknown"))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    app.clock.advance(15 * 60);
    let response = app.wallet().fetch_offer_response(&created).await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
}
