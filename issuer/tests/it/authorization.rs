//! The authorization code flow against a real OpenID Provider (`oidc-provider` from npm): PAR →
//! `/authorize` → the OP's sign-in as the citizen → `/login/callback` → code → token (PKCE) →
//! nonce → credential; and every refusal on the way, with the codes RFC 6749, RFC 9126 and
//! RFC 9207 name.

use std::sync::Arc;

use idv_jose::{ManualClock, SigningKey};
use idv_test_support::{TestDb, test_on_both_databases};
use issuer::config::IssuerConfig;
use issuer::startup::Application;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use url::Url;

use crate::helpers::login::{
    LoginApp, WALLET, WALLET_REDIRECT, WEB_WALLET, WEB_WALLET_REDIRECT, WalletRequest,
    config_on_own_port, details, location, login_settings, query,
};
use crate::helpers::{AGE, IDENTITY, T0, TestApp, expect_error, person, test_config};

test_on_both_databases!(
    a_citizen_signs_in_and_their_wallet_receives_their_credential,
    an_offer_with_issuer_state_is_redeemed_by_its_person_signing_in,
    the_token_endpoint_checks_pkce_redirect_uri_client_and_reuse,
    pushed_requests_and_request_uris_are_checked,
    failed_sign_ins_go_back_to_the_wallet_with_an_error,
    an_unreachable_provider_is_a_server_error_for_the_wallet,
    operators_link_provider_accounts_to_identities,
    metadata_advertises_the_authorization_code_flow
);

/// A CA file for the OP that cannot be read, or holds no certificate, stops start-up with an
/// error naming the file (not every sign-in later).
#[tokio::test]
async fn a_bad_ca_file_for_the_provider_stops_start_up() {
    let not_pem = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(not_pem.path(), "not a certificate").unwrap();
    for ca_file in [
        std::path::PathBuf::from("/nonexistent/op-ca.pem"),
        not_pem.path().to_owned(),
    ] {
        let mut config = IssuerConfig::default();
        config.http.listen = "127.0.0.1:0".parse().unwrap();
        config.tls.ca_file = Some(ca_file.clone());
        config.login = Some(login_settings("https://login.example"));
        let error = Application::build(config).await.unwrap_err().to_string();
        assert!(error.contains("tls.ca_file"), "{error}");
        assert!(error.contains(&ca_file.display().to_string()), "{error}");
    }
}

/// Asserts `response` is a 400 with OAuth error `code` and a description mentioning `mention`.
async fn bad_request(response: Response, code: &str, mention: &str) {
    let description = expect_error(response, StatusCode::BAD_REQUEST, code).await;
    assert!(description.contains(mention), "{mention:?}: {description}");
}

/// Asserts `response` is the token endpoint's `invalid_grant` mentioning `mention`.
async fn invalid_grant(response: Response, mention: &str) {
    bad_request(response, "invalid_grant", mention).await;
}

/// Asserts `response` is a 303; returns where it redirects.
fn see_other(response: &Response) -> Url {
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    Url::parse(&location(response)).unwrap()
}

/// Asserts `back` returns `wallet`'s request with `access_denied` saying `mention`, no code.
fn expect_access_denied(wallet: &WalletRequest, back: &Url, issuer: &str, mention: &str) {
    let params = wallet.check_redirect(back, issuer);
    assert_eq!(params["error"], "access_denied");
    assert!(params["error_description"].contains(mention), "{back}");
    assert!(!params.contains_key("code"));
}

/// `POST /credential` with one proof of a fresh key; returns the credentials and the key.
async fn credential(
    app: &TestApp,
    access_token: &str,
    request: Value,
) -> (Vec<String>, SigningKey) {
    let wallet = app.wallet();
    let holder = SigningKey::generate().unwrap();
    let response = wallet.request_proven(access_token, request, &holder).await;
    (wallet.credentials(response).await, holder)
}

async fn a_citizen_signs_in_and_their_wallet_receives_their_credential(db: TestDb) {
    let mut login = LoginApp::spawn(&db).await;
    login.linked_identity("Ada", "citizen-ada").await;
    let grace = login.linked_identity("Grace", "citizen-grace").await;
    let wallet = WalletRequest::new();
    let request_uri = login
        .push(&wallet, &[("authorization_details", &details(IDENTITY))])
        .await;

    // Every step's state is in the database: restart between each.
    login.restart().await;
    let response = login
        .get(&login.authorization_url(WALLET, &request_uri))
        .await;
    let to_op = see_other(&response);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert!(to_op.as_str().starts_with(login.op.issuer_url()));
    let sent = query(&to_op);
    assert_eq!(sent["client_id"], "credential-issuer");
    assert_eq!(sent["response_type"], "code");
    assert_eq!(sent["code_challenge_method"], "S256");
    assert_eq!(
        sent["redirect_uri"],
        format!("{}/login/callback", login.app.public_url())
    );
    assert!(sent["scope"].split(' ').any(|s| s == "openid"));
    assert!(sent.contains_key("nonce") && sent.contains_key("state"));
    let callback = login
        .op
        .browser()
        .sign_in(to_op.as_str(), "citizen-grace")
        .await
        .unwrap();
    assert!(callback.starts_with(&login.app.url("/login/callback")));

    login.restart().await;
    let back = see_other(&login.get(&callback).await);
    let params = wallet.check_redirect(&back, login.app.public_url());
    let code = params["code"].clone();
    assert!(!params.contains_key("error"));

    login.restart().await;
    let (access_token, body) = login.access_token(&wallet, &code).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    assert_eq!(
        body["authorization_details"],
        json!([{
            "type": "openid_credential",
            "credential_configuration_id": IDENTITY,
            "credential_identifiers": [IDENTITY]
        }])
    );

    let app = &login.app;
    let (credentials, holder) = credential(
        app,
        &access_token,
        json!({"credential_identifier": IDENTITY}),
    )
    .await;
    assert_eq!(credentials.len(), 1);
    let held = app.wallet().receive(&credentials[0], &holder).await;
    assert_eq!(held.claims()["vct"], "urn:dvs:vct:uk-identity:1");
    assert_eq!(
        held.claims()["given_name"],
        "Grace",
        "the signed-in person's"
    );
    let listed: Value = app
        .get(&format!("/v1/credentials?identity_id={grace}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["credentials"].as_array().unwrap().len(), 1);

    // The grant covers what was authorized, once: not the age credential, not a second batch.
    let wallet_http = app.wallet();
    let nonce = wallet_http.nonce().await;
    let proof = wallet_http.proof(&holder, &nonce);
    for (request, code) in [
        (
            json!({"credential_identifier": AGE}),
            "unknown_credential_identifier",
        ),
        (
            json!({"credential_identifier": IDENTITY}),
            "credential_request_denied",
        ),
    ] {
        let mut body = request;
        body["proofs"] = json!({"jwt": [proof]});
        let response = wallet_http.credential(&access_token, &body).await;
        expect_error(response, StatusCode::BAD_REQUEST, code).await;
    }

    // A wallet-initiated request by scope gets no credential_identifiers.
    let wallet = WalletRequest::new();
    let code = login
        .code(
            &wallet,
            &[("scope", &format!("openid {AGE}"))],
            "citizen-ada",
        )
        .await;
    let (access_token, body) = login.access_token(&wallet, &code).await;
    assert_eq!(body.get("authorization_details"), None);
    let (credentials, holder) = credential(
        &login.app,
        &access_token,
        json!({"credential_configuration_id": AGE}),
    )
    .await;
    let held = login.app.wallet().receive(&credentials[0], &holder).await;
    assert_eq!(held.claims()["age_over_18"], true);
}

async fn an_offer_with_issuer_state_is_redeemed_by_its_person_signing_in(db: TestDb) {
    let login = LoginApp::spawn(&db).await;
    let app = &login.app;
    let ada = login.linked_identity("Ada", "citizen-ada").await;
    login.linked_identity("Grace", "citizen-grace").await;
    let response = app
        .post(
            &format!("/v1/identities/{ada}/offers"),
            &json!({"credential_configuration_ids": [IDENTITY, AGE], "grant": "authorization_code"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["grant"], "authorization_code");
    assert_eq!(created.get("tx_code"), None);
    let offer = app.wallet().fetch_offer(&created).await;
    let grants = offer.grants.unwrap();
    assert!(grants.pre_authorized_code.is_none());
    let issuer_state = grants.authorization_code.unwrap().issuer_state.unwrap();

    // Someone else signing in with the offer's issuer_state is refused.
    let other = WalletRequest::new();
    let request_uri = login
        .push(&other, &[("scope", AGE), ("issuer_state", &issuer_state)])
        .await;
    let back = login.sign_in(&other, &request_uri, "citizen-grace").await;
    expect_access_denied(&other, &back, app.public_url(), "someone else");

    // Its person signs in; the scope narrows the offer to the age credential.
    let wallet = WalletRequest::new();
    let code = login
        .code(
            &wallet,
            &[
                ("scope", &format!("openid {AGE}")),
                ("issuer_state", &issuer_state),
            ],
            "citizen-ada",
        )
        .await;
    let (access_token, _) = login.access_token(&wallet, &code).await;
    let (credentials, holder) = credential(
        app,
        &access_token,
        json!({"credential_configuration_id": AGE}),
    )
    .await;
    let held = app.wallet().receive(&credentials[0], &holder).await;
    assert_eq!(held.claims()["vct"], "urn:dvs:vct:uk-age:1");
    let response = app
        .wallet()
        .credential(
            &access_token,
            &json!({"credential_configuration_id": IDENTITY, "proofs": {"jwt": ["x.y.z"]}}),
        )
        .await;
    expect_error(response, StatusCode::FORBIDDEN, "insufficient_scope").await;

    // The offer is redeemed: no longer served, its issuer_state no longer accepted.
    let response = app.wallet().fetch_offer_response(&created).await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = login
        .par(&WalletRequest::new().form(&[("scope", AGE), ("issuer_state", &issuer_state)]))
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;

    // An offer made for the authorization code flow has no usable pre-authorized code.
    let response = app.wallet().token(&issuer_state, None).await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

async fn the_token_endpoint_checks_pkce_redirect_uri_client_and_reuse(db: TestDb) {
    let login = LoginApp::spawn(&db).await;
    login.linked_identity("Ada", "citizen-ada").await;
    let scope = [("scope", AGE)];

    // A wrong verifier is refused, and the attempt spends the code.
    let wallet = WalletRequest::new();
    let code = login.code(&wallet, &scope, "citizen-ada").await;
    let wrong = WalletRequest {
        verifier: WalletRequest::new().verifier,
        ..wallet.clone()
    };
    invalid_grant(login.token(&wrong, &code).await, "code_verifier").await;
    invalid_grant(login.token(&wallet, &code).await, "already used").await;

    // Another redirect_uri (even the same loopback path on another port) is refused.
    let wallet = WalletRequest::new();
    let code = login.code(&wallet, &scope, "citizen-ada").await;
    let moved = WalletRequest {
        redirect_uri: "http://127.0.0.1:49153/callback".into(),
        ..wallet.clone()
    };
    invalid_grant(login.token(&moved, &code).await, "redirect_uri").await;

    // Unknown and other clients; missing parameters.
    let wallet = WalletRequest::new();
    let code = login.code(&wallet, &scope, "citizen-ada").await;
    let stranger = WalletRequest {
        client_id: "stranger".into(),
        ..wallet.clone()
    };
    expect_error(
        login.token(&stranger, &code).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    )
    .await;
    let response = login
        .token_form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", WALLET_REDIRECT),
            ("client_id", WALLET),
        ])
        .await;
    bad_request(response, "invalid_request", "code_verifier").await;
    let web = WalletRequest {
        client_id: WEB_WALLET.into(),
        ..wallet.clone()
    };
    invalid_grant(login.token(&web, &code).await, "another client").await;
    invalid_grant(login.token(&wallet, "not-a-code").await, "unknown").await;

    // A code used twice: refused, and the access token it gave is revoked.
    let wallet = WalletRequest::new();
    let code = login.code(&wallet, &scope, "citizen-ada").await;
    let (access_token, _) = login.access_token(&wallet, &code).await;
    invalid_grant(login.token(&wallet, &code).await, "already used").await;
    let app = &login.app;
    let holder = SigningKey::generate().unwrap();
    let request = json!({"credential_configuration_id": AGE});
    let response = app
        .wallet()
        .request_proven(&access_token, request, &holder)
        .await;
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;

    // Two exchanges of one code at once: exactly one gets a token (which the other, seeing
    // the code used, then revokes).
    let wallet = WalletRequest::new();
    let code = login.code(&wallet, &scope, "citizen-ada").await;
    let (first, second) = tokio::join!(login.token(&wallet, &code), login.token(&wallet, &code));
    let mut statuses = [first.status(), second.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::BAD_REQUEST]);

    let wallet = WalletRequest::new();
    let code = login.code(&wallet, &scope, "citizen-ada").await;
    app.clock.advance(61);
    invalid_grant(login.token(&wallet, &code).await, "expired").await;

    // authorization_details at the token endpoint narrow within what was authorized.
    let wallet = WalletRequest::new();
    let code = login
        .code(
            &wallet,
            &[("scope", &format!("{AGE} {IDENTITY}"))],
            "citizen-ada",
        )
        .await;
    let narrowed = details(AGE);
    let response = login
        .token_with(&wallet, &code, &[("authorization_details", &narrowed)])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["authorization_details"][0]["credential_identifiers"],
        json!([AGE])
    );
}

async fn pushed_requests_and_request_uris_are_checked(db: TestDb) {
    let login = LoginApp::spawn(&db).await;
    let wallet = WalletRequest::new();
    let age = [("scope", AGE)];

    let stranger = WalletRequest::of("stranger", WALLET_REDIRECT);
    let response = login.par(&stranger.form(&age)).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;

    // Each case replaces or adds parameters of a valid request (scope=uk_age).
    let unknown_configuration =
        r#"[{"type":"openid_credential","credential_configuration_id":"uk_passport"}]"#;
    // (parameters, error code, a word the description must hold)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let refused: [Case<'_>; 10] = [
        (
            &[("code_challenge_method", "plain")],
            "invalid_request",
            "S256",
        ),
        (
            &[("code_challenge", "too-short")],
            "invalid_request",
            "code_challenge",
        ),
        (
            &[("response_type", "token")],
            "unsupported_response_type",
            "code",
        ),
        (&[("scope", "openid profile")], "invalid_scope", "scope"),
        (
            &[("scope", AGE), ("scope", IDENTITY)],
            "invalid_request",
            "scope",
        ),
        (
            &[("request_uri", "urn:x")],
            "invalid_request",
            "request_uri",
        ),
        (
            &[("issuer_state", "unknown")],
            "invalid_request",
            "issuer_state",
        ),
        (&[("state", "a\nb")], "invalid_request", "state"),
        (
            &[("authorization_details", unknown_configuration)],
            "invalid_authorization_details",
            "uk_passport",
        ),
        (
            &[("authorization_details", "not json")],
            "invalid_authorization_details",
            "JSON",
        ),
    ];
    for (extra, code, mention) in refused {
        let mut form: Vec<(&str, &str)> = wallet
            .form(&age)
            .into_iter()
            .filter(|(name, _)| !extra.iter().any(|(e, _)| e == name))
            .collect();
        form.extend_from_slice(extra);
        let description = expect_error(login.par(&form).await, StatusCode::BAD_REQUEST, code).await;
        assert!(description.contains(mention), "{extra:?}: {description}");
    }
    for missing in [
        "code_challenge",
        "code_challenge_method",
        "redirect_uri",
        "response_type",
    ] {
        let form: Vec<(&str, &str)> = wallet
            .form(&age)
            .into_iter()
            .filter(|(name, _)| *name != missing)
            .collect();
        let description = expect_error(
            login.par(&form).await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        )
        .await;
        assert!(description.contains(missing), "{missing}: {description}");
    }

    // Redirect URIs: a registered loopback one on any port; others exactly.
    for (client, redirect_uri, accepted) in [
        (WALLET, "http://127.0.0.1:61234/callback", true),
        (WALLET, "http://127.0.0.1/callback", true),
        (WALLET, "http://127.0.0.1:61234/other", false),
        (WALLET, "http://localhost:61234/callback", false),
        (WEB_WALLET, WEB_WALLET_REDIRECT, true),
        (WEB_WALLET, "https://wallet.example/cb?x=1", false),
        (WEB_WALLET, "https://evil.example/cb", false),
    ] {
        let response = login
            .par(&WalletRequest::of(client, redirect_uri).form(&age))
            .await;
        if accepted {
            assert_eq!(response.status(), StatusCode::CREATED, "{redirect_uri}");
        } else {
            let description =
                expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
            assert!(
                description.contains("redirect_uri"),
                "{redirect_uri}: {description}"
            );
        }
    }

    // A request_uri is used once, by its own client, before it expires; /authorize takes
    // nothing but pushed requests.
    let request_uri = login.push(&wallet, &age).await;
    let response = login
        .get(&login.authorization_url(WEB_WALLET, &request_uri))
        .await;
    bad_request(response, "invalid_request", "client_id").await;
    let response = login
        .get(&login.authorization_url(WALLET, &request_uri))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = login
        .get(&login.authorization_url(WALLET, &request_uri))
        .await;
    bad_request(response, "invalid_request", "already used").await;
    let expiring = login.push(&wallet, &age).await;
    login.app.clock.advance(60);
    let response = login.get(&login.authorization_url(WALLET, &expiring)).await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    for url in [
        login.app.url(&format!(
            "/authorize?client_id={WALLET}&response_type=code&redirect_uri={WALLET_REDIRECT}"
        )),
        login.authorization_url(WALLET, "urn:ietf:params:oauth:request_uri:unknown"),
        login.authorization_url(WALLET, "https://wallet.example/request.jwt"),
    ] {
        expect_error(
            login.get(&url).await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        )
        .await;
    }
}

async fn failed_sign_ins_go_back_to_the_wallet_with_an_error(db: TestDb) {
    let login = LoginApp::spawn(&db).await;
    let app = &login.app;
    login.linked_identity("Ada", "citizen-ada").await;
    let age = [("scope", AGE)];

    // An account no proofed identity is linked to.
    let wallet = WalletRequest::new();
    let request_uri = login.push(&wallet, &age).await;
    let back = login
        .sign_in(&wallet, &request_uri, "citizen-unknown")
        .await;
    expect_access_denied(
        &wallet,
        &back,
        app.public_url(),
        "no proofed identity is linked",
    );

    // A tampered state is not redirected anywhere; the real one still works, once.
    let wallet = WalletRequest::new();
    let request_uri = login.push(&wallet, &age).await;
    let callback = login
        .sign_in_at_op(&wallet, &request_uri, "citizen-ada")
        .await;
    let mut tampered = callback.clone();
    let pairs: Vec<(String, String)> = query(&callback)
        .into_iter()
        .map(|(k, v)| {
            if k == "state" {
                (k, format!("{v}x"))
            } else {
                (k, v)
            }
        })
        .collect();
    tampered.query_pairs_mut().clear().extend_pairs(pairs);
    let response = login.get(tampered.as_str()).await;
    bad_request(response, "invalid_request", "sign-in").await;
    let back = see_other(&login.get(callback.as_str()).await);
    assert!(
        wallet
            .check_redirect(&back, app.public_url())
            .contains_key("code")
    );
    let response = login.get(callback.as_str()).await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;

    // The OP's code delivered with another sign-in's state: the OP refuses to exchange it
    // (PKCE), and that wallet hears server_error.
    let (first, second) = (WalletRequest::new(), WalletRequest::new());
    let first_uri = login.push(&first, &age).await;
    let second_uri = login.push(&second, &age).await;
    let first_callback = login.sign_in_at_op(&first, &first_uri, "citizen-ada").await;
    let second_callback = login
        .sign_in_at_op(&second, &second_uri, "citizen-ada")
        .await;
    let mut crossed = second_callback.clone();
    let first_code = query(&first_callback)["code"].clone();
    let pairs: Vec<(String, String)> = query(&second_callback)
        .into_iter()
        .map(|(k, v)| {
            if k == "code" {
                (k, first_code.clone())
            } else {
                (k, v)
            }
        })
        .collect();
    crossed.query_pairs_mut().clear().extend_pairs(pairs);
    let back = see_other(&login.get(crossed.as_str()).await);
    let params = second.check_redirect(&back, app.public_url());
    assert_eq!(params["error"], "server_error");
    assert!(!back.as_str().contains(&first_code), "no OP code leaks");

    // The OP reporting an error, an answer from another issuer (RFC 9207), a sign-in that took
    // too long: access_denied.
    for (case, query_of) in [
        ("error", None),
        ("iss", Some("http://127.0.0.1:1")),
        ("timeout", None),
    ] {
        let wallet = WalletRequest::new();
        let request_uri = login.push(&wallet, &age).await;
        let response = login
            .get(&login.authorization_url(WALLET, &request_uri))
            .await;
        let state = query(&Url::parse(&location(&response)).unwrap())["state"].clone();
        let mut callback = Url::parse(&app.url("/login/callback")).unwrap();
        {
            let mut pairs = callback.query_pairs_mut();
            pairs.append_pair("state", &state);
            match case {
                "error" => {
                    pairs.append_pair("error", "access_denied");
                    pairs.append_pair("error_description", "End-User aborted interaction");
                }
                _ => {
                    pairs.append_pair("code", "op-code");
                }
            }
            if let Some(iss) = query_of {
                pairs.append_pair("iss", iss);
            }
        }
        if case == "timeout" {
            app.clock.advance(601);
        }
        let response = login.get(callback.as_str()).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{case}");
        let back = Url::parse(&location(&response)).unwrap();
        let params = wallet.check_redirect(&back, app.public_url());
        assert_eq!(params["error"], "access_denied", "{case}: {back}");
    }
    expect_error(
        login.get(&app.url("/login/callback?code=x")).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
}

async fn an_unreachable_provider_is_a_server_error_for_the_wallet(db: TestDb) {
    let (mut config, listener) = config_on_own_port(&db).await;
    // Nothing listens on port 9 of 127.0.0.1.
    config.login = Some(login_settings("http://127.0.0.1:9"));
    let app = TestApp::spawn_with_clock(config, listener, Arc::new(ManualClock::new(T0))).await;
    let wallet = WalletRequest::new();
    let response = crate::helpers::login::no_redirects()
        .post(app.url("/par"))
        .form(&wallet.form(&[("scope", AGE)]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    let mut authorize = Url::parse(&app.url("/authorize")).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("client_id", WALLET)
        .append_pair("request_uri", body["request_uri"].as_str().unwrap());
    let response = crate::helpers::login::no_redirects()
        .get(authorize)
        .send()
        .await
        .unwrap();
    let back = see_other(&response);
    let params = wallet.check_redirect(&back, app.public_url());
    assert_eq!(params["error"], "server_error");
}

/// The operator's record of identity `id`.
async fn identity_record(app: &TestApp, id: &str) -> Value {
    let response = app.get(&format!("/v1/identities/{id}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn operators_link_provider_accounts_to_identities(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let mut body = person();
    body["login_subject"] = "citizen-ada".into();
    let response = app.post("/v1/identities", &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let ada: Value = response.json().await.unwrap();
    let ada = ada["identity_id"].as_str().unwrap().to_owned();
    let record = identity_record(&app, &ada).await;
    assert_eq!(record["login_subject"], "citizen-ada");

    // One identity per account.
    let response = app.post("/v1/identities", &body).await;
    expect_error(response, StatusCode::CONFLICT, "conflict").await;
    let other = app.record_identity().await;
    let put = |id: String, value: Value| {
        let app = &app;
        async move {
            app.client
                .put(app.url(&format!("/v1/identities/{id}/login-subject")))
                .bearer_auth(&app.token)
                .json(&value)
                .send()
                .await
                .unwrap()
        }
    };
    let response = put(other.clone(), json!({"login_subject": "citizen-ada"})).await;
    expect_error(response, StatusCode::CONFLICT, "conflict").await;
    let response = put(ada.clone(), json!({"login_subject": null})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = put(other.clone(), json!({"login_subject": "citizen-ada"})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let linked: Value = response.json().await.unwrap();
    assert_eq!(
        linked,
        json!({"identity_id": other, "login_subject": "citizen-ada"})
    );
    let record = identity_record(&app, &ada).await;
    assert_eq!(record.get("login_subject"), None);

    for (value, status, code) in [
        (json!({}), StatusCode::BAD_REQUEST, "invalid_request"),
        (
            json!({"login_subject": ""}),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            json!({"login_subject": 42}),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
    ] {
        expect_error(put(ada.clone(), value).await, status, code).await;
    }
    let response = put("0".repeat(32), json!({"login_subject": "x"})).await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app
        .client
        .put(app.url(&format!("/v1/identities/{ada}/login-subject")))
        .json(&json!({"login_subject": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // Without [login] there is no authorization code flow to offer.
    let response = app
        .post(
            &format!("/v1/identities/{ada}/offers"),
            &json!({"credential_configuration_ids": [AGE], "grant": "authorization_code"}),
        )
        .await;
    bad_request(response, "invalid_request", "[login]").await;
    for path in ["/par", "/authorize", "/login/callback"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

async fn metadata_advertises_the_authorization_code_flow(db: TestDb) {
    let mut config = test_config(&db);
    config.login = Some(login_settings("http://127.0.0.1:9"));
    let app = TestApp::spawn_with(config).await;
    let public = app.public_url();
    let metadata: Value = app
        .public_json("/.well-known/oauth-authorization-server")
        .await;
    assert_eq!(
        metadata["authorization_endpoint"],
        format!("{public}/authorize")
    );
    assert_eq!(
        metadata["pushed_authorization_request_endpoint"],
        format!("{public}/par")
    );
    assert_eq!(metadata["require_pushed_authorization_requests"], true);
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        json!(["S256"])
    );
    assert_eq!(
        metadata["authorization_response_iss_parameter_supported"],
        true
    );
    assert_eq!(metadata["response_types_supported"], json!(["code"]));
    assert_eq!(
        metadata["token_endpoint_auth_methods_supported"],
        json!(["none"])
    );
    let grants = metadata["grant_types_supported"].as_array().unwrap();
    assert!(grants.contains(&json!("authorization_code")));
    assert!(grants.contains(&json!(
        "urn:ietf:params:oauth:grant-type:pre-authorized_code"
    )));
    let issuer: Value = app
        .public_json("/.well-known/openid-credential-issuer")
        .await;
    for id in [IDENTITY, AGE] {
        assert_eq!(
            issuer["credential_configurations_supported"][id]["scope"],
            id
        );
    }
    assert_eq!(metadata["scopes_supported"], json!([IDENTITY, AGE]));
}
