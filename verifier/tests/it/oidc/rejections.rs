//! Sign-ins that must not succeed: an unknown client or redirect URI (an error page, never a
//! redirect), malformed authorization requests (back to the client with the error), token
//! requests with a wrong secret, a bad PKCE verifier, a reused code or a code whose check was
//! erased, a wallet that declines or errs, a presentation that is rejected or not eligible, a
//! cancelled or expired sign-in, another browser; and the client's registration commands.

use idv_service_kit::db::PoolSettings;
use idv_test_support::{TestDb, test_on_both_databases};
use openidconnect::core::{CoreErrorResponseType, CoreGenderClaim};
use openidconnect::{
    AuthType, ClientSecret, RequestTokenError, StandardErrorResponse, UserInfoClaims, UserInfoError,
};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use verifier::cli::{Command, OidcClientCommand};
use verifier::store::Store;

use super::rp::{
    Browser, DvsClaims, HandoffPage, Redeemed, Registered, RelyingParty, SignIn, back_to_client,
    exchange, http_client, no_redirects, query, register, see_other, wallet_presents,
};
use crate::helpers::{Federation, british_citizen, error_body};
use crate::wallet::{answer_error, fetch_request, post_form};

test_on_both_databases!(
    an_unknown_client_or_redirect_uri_gets_an_error_page_and_no_redirect,
    malformed_authorization_requests_go_back_to_the_client_with_the_error,
    the_token_endpoint_refuses_wrong_secrets_bad_verifiers_and_reused_codes,
    a_declined_cancelled_or_expired_sign_in_returns_access_denied,
    a_presentation_that_does_not_verify_returns_access_denied_and_no_code,
    a_plaintext_decline_posted_by_anyone_does_not_end_the_sign_in,
    clients_are_listed_and_removed_through_the_cli,
);

const REDIRECT_URI: &str = "https://hr.employer.example.co.uk/oidc/callback";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// The OAuth error of a refused token request.
fn refused<T, E: std::error::Error + 'static>(
    result: Result<T, RequestTokenError<E, StandardErrorResponse<CoreErrorResponseType>>>,
) -> CoreErrorResponseType {
    match result {
        Err(RequestTokenError::ServerResponse(response)) => response.error().clone(),
        Ok(_) => panic!("the token request succeeded"),
        Err(other) => panic!("{other:?}"),
    }
}

/// The id of the check behind a hand-off page, read from the verifier's database.
async fn check_id_of(db: &TestDb, page: &HandoffPage) -> String {
    let store = Store::connect(db.url(), PoolSettings::with_max_connections(1))
        .await
        .unwrap();
    let session_id = page.url.rsplit('/').next().unwrap();
    store
        .load_oidc_session(session_id)
        .await
        .unwrap()
        .unwrap()
        .check_id
        .expect("the hand-off page was loaded: the session has its check")
}

/// What the hand-off page's status endpoint tells `browser` (`waiting`, `finished`).
async fn page_status(browser: &mut Browser, page: &HandoffPage) -> Value {
    let response = browser.get(&format!("{}/status", page.url)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let status: Value = response.json().await.unwrap();
    status["status"].clone()
}

/// `GET /oidc/authorize?…` with these parameters, over `http`.
async fn authorize(http: &reqwest::Client, fed: &Federation, pairs: &[(&str, &str)]) -> Response {
    let mut url = url::Url::parse(&fed.url("/oidc/authorize")).unwrap();
    url.query_pairs_mut().extend_pairs(pairs);
    http.get(url).send().await.unwrap()
}

/// A right-to-work sign-in up to the code, the wallet presenting a British citizen's
/// identity credential from the `good` provider.
async fn signed_in(fed: &Federation, rp: &RelyingParty, registered: &Registered) -> SignIn {
    let credential = fed.issue_identity("good", &british_citizen());
    rp.sign_in(fed, registered, "right_to_work", &credential)
        .await
}

/// A valid request's parameters, with `changes` applied (an empty value removes one).
fn params<'a>(
    registered: &'a Registered,
    changes: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", registered.client_id.as_str()),
        ("redirect_uri", registered.redirect_uri.as_str()),
        ("scope", "openid right_to_work"),
        ("state", "st-1"),
        ("nonce", "n-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    for (name, value) in changes {
        params.retain(|(n, _)| n != name);
        if !value.is_empty() {
            params.push((name, value));
        }
    }
    params
}

async fn an_unknown_client_or_redirect_uri_gets_an_error_page_and_no_redirect(db: TestDb) {
    let fed = Federation::start(&db).await;
    let registered = register(&fed, REDIRECT_URI, &["right_to_work"]).await;
    let http = no_redirects();
    for changes in [
        vec![("redirect_uri", "https://attacker.example/cb")],
        vec![(
            "redirect_uri",
            "https://hr.employer.example.co.uk/oidc/callback/",
        )],
        vec![("redirect_uri", "")],
        vec![("client_id", "oc_unknown")],
        vec![("client_id", "")],
        // Even with other errors, nothing goes to an unverified redirect URI.
        vec![
            ("redirect_uri", "https://attacker.example/cb"),
            ("code_challenge_method", "plain"),
        ],
    ] {
        let response = authorize(&http, &fed, &params(&registered, &changes)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{changes:?}");
        assert!(response.headers().get("location").is_none());
        assert!(response.headers().get("set-cookie").is_none());
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let html = response.text().await.unwrap();
        assert!(
            html.contains("<h1>This sign-in request is not valid</h1>"),
            "{html}"
        );
        assert!(!html.contains("attacker"));
    }
    // A repeated redirect_uri cannot be trusted either.
    let mut repeated = params(&registered, &[]);
    repeated.push(("redirect_uri", REDIRECT_URI));
    let response = authorize(&http, &fed, &repeated).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // The POST form says the same.
    let response = http
        .post(fed.url("/oidc/authorize"))
        .form(&params(&registered, &[("client_id", "oc_unknown")]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    fed.stop().await;
}

async fn malformed_authorization_requests_go_back_to_the_client_with_the_error(db: TestDb) {
    let fed = Federation::start(&db).await;
    let registered = register(&fed, REDIRECT_URI, &["right_to_work"]).await;
    let http = no_redirects();
    for (changes, error) in [
        (vec![("scope", "openid")], "invalid_scope"),
        (vec![("scope", "openid profile")], "invalid_scope"),
        (vec![("scope", "openid age_over_18")], "invalid_scope"),
        (vec![("scope", "right_to_work")], "invalid_scope"),
        (
            vec![("scope", "openid right_to_work age_over_18")],
            "invalid_scope",
        ),
        (vec![("code_challenge_method", "plain")], "invalid_request"),
        (vec![("code_challenge_method", "")], "invalid_request"),
        (vec![("code_challenge", "")], "invalid_request"),
        (vec![("code_challenge", "short")], "invalid_request"),
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (vec![("response_type", "")], "invalid_request"),
        (vec![("response_mode", "fragment")], "invalid_request"),
        (vec![("request", "eyJ.x.y")], "request_not_supported"),
        (vec![("prompt", "none")], "login_required"),
    ] {
        let response = authorize(&http, &fed, &params(&registered, &changes)).await;
        let location = see_other(&response);
        assert!(
            location.starts_with(&format!("{REDIRECT_URI}?")),
            "{location}"
        );
        let got = query(&location);
        assert_eq!(got["error"], error, "{changes:?}: {got:?}");
        assert!(!got["error_description"].is_empty());
        assert_eq!(got["state"], "st-1");
        assert_eq!(got["iss"], fed.url(""));
        assert!(!got.contains_key("code"));
        assert!(response.headers().get("set-cookie").is_none());
    }
    // A repeated parameter other than client_id and redirect_uri.
    let mut repeated = params(&registered, &[]);
    repeated.push(("scope", "openid right_to_work"));
    let response = authorize(&http, &fed, &repeated).await;
    assert_eq!(query(&see_other(&response))["error"], "invalid_request");
    // The same valid request by POST starts a session.
    let response = http
        .post(fed.url("/oidc/authorize"))
        .form(&params(&registered, &[]))
        .send()
        .await
        .unwrap();
    assert!(see_other(&response).starts_with(&fed.url("/oidc/handoff/")));
    fed.stop().await;
}

async fn the_token_endpoint_refuses_wrong_secrets_bad_verifiers_and_reused_codes(db: TestDb) {
    let fed = Federation::start(&db).await;
    let registered = register(&fed, REDIRECT_URI, &["right_to_work"]).await;
    let rp = RelyingParty::discover(&fed, &registered).await;
    let http = http_client(rp.http.clone());
    let SignIn {
        pending, params, ..
    } = signed_in(&fed, &rp, &registered).await;
    let verifier = pending.verifier.secret().clone();

    // A wrong client secret (Basic): invalid_client with a Basic challenge.
    let wrong = rp
        .client
        .clone()
        .set_client_secret(ClientSecret::new("ocs_wrong".into()));
    let result = exchange(&wrong, &rp.http, &params["code"], &verifier).await;
    assert_eq!(refused(result), CoreErrorResponseType::InvalidClient);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", params["code"].as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier.as_str()),
    ];
    let response = rp
        .http
        .post(fed.url("/oidc/token"))
        .basic_auth(&registered.client_id, Some("ocs_wrong"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic ")
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    // No client authentication at all.
    let response = rp
        .http
        .post(fed.url("/oidc/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_body(response, StatusCode::UNAUTHORIZED).await.0,
        "invalid_client"
    );

    // Another grant type.
    let authenticated = |form: Vec<(&'static str, String)>| {
        rp.http
            .post(fed.url("/oidc/token"))
            .basic_auth(&registered.client_id, Some(&registered.client_secret))
            .form(&form)
            .send()
    };
    let response = authenticated(vec![
        ("grant_type", "client_credentials".into()),
        ("code", params["code"].clone()),
    ])
    .await
    .unwrap();
    assert_eq!(
        error_body(response, StatusCode::BAD_REQUEST).await.0,
        "unsupported_grant_type"
    );

    // None of those reached the code (the client was not authenticated, or asked for another
    // grant): the right request succeeds, once.
    let Redeemed { tokens, .. } = rp
        .redeem(&fed, AuthType::BasicAuth, &pending, &params["code"])
        .await;
    let access_token = openidconnect::OAuth2TokenResponse::access_token(&tokens).clone();
    let userinfo = |token| async {
        rp.client
            .user_info(token, None)
            .unwrap()
            .request_async::<DvsClaims, _, CoreGenderClaim>(&http)
            .await
    };
    let claims: UserInfoClaims<DvsClaims, CoreGenderClaim> =
        userinfo(access_token.clone()).await.unwrap();
    assert_eq!(
        claims.additional_claims().dvs_check["outcome"],
        "awaiting_confirmation"
    );
    let result = exchange(&rp.client, &rp.http, &params["code"], &verifier).await;
    assert_eq!(refused(result), CoreErrorResponseType::InvalidGrant);
    // The reuse revoked the access token issued from the code.
    match userinfo(access_token.clone()).await {
        Err(UserInfoError::Response(status, _, _)) => {
            assert_eq!(status.as_u16(), 401);
        }
        other => panic!("{other:?}"),
    }
    let response = rp
        .http
        .get(fed.url("/oidc/userinfo"))
        .bearer_auth(access_token.secret())
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_body(response, StatusCode::UNAUTHORIZED).await.0,
        "invalid_token"
    );

    // A wrong PKCE verifier, or another redirect_uri, spends the code (RFC 6749 §4.1.2: a code
    // is used once): the right request afterwards is invalid_grant too.
    for wrong in ["code_verifier", "redirect_uri"] {
        let SignIn {
            pending, params, ..
        } = signed_in(&fed, &rp, &registered).await;
        let right_verifier = pending.verifier.secret().clone();
        let attempt = |verifier: String, redirect_uri: &str| {
            authenticated(vec![
                ("grant_type", "authorization_code".into()),
                ("code", params["code"].clone()),
                ("redirect_uri", redirect_uri.to_owned()),
                ("code_verifier", verifier),
            ])
        };
        let response = if wrong == "code_verifier" {
            attempt("x".repeat(43), REDIRECT_URI).await.unwrap()
        } else {
            attempt(
                right_verifier.clone(),
                "https://hr.employer.example.co.uk/other",
            )
            .await
            .unwrap()
        };
        let (error, description) = error_body(response, StatusCode::BAD_REQUEST).await;
        assert_eq!(error, "invalid_grant", "{wrong}: {description}");
        let response = attempt(right_verifier, REDIRECT_URI).await.unwrap();
        let (error, description) = error_body(response, StatusCode::BAD_REQUEST).await;
        assert_eq!(error, "invalid_grant", "{wrong}");
        assert!(
            description.contains("already used"),
            "{wrong}: {description}"
        );
    }

    // A code expires after a minute.
    let SignIn {
        pending, params, ..
    } = signed_in(&fed, &rp, &registered).await;
    fed.clock.advance(61);
    let result = exchange(
        &rp.client,
        &rp.http,
        &params["code"],
        pending.verifier.secret(),
    )
    .await;
    assert_eq!(refused(result), CoreErrorResponseType::InvalidGrant);

    // A code whose check the employer erased before redeeming it signs no one in.
    let SignIn {
        pending,
        page,
        params,
        ..
    } = signed_in(&fed, &rp, &registered).await;
    let check_id = check_id_of(&db, &page).await;
    let response = fed
        .client
        .delete(fed.url(&format!("/v1/checks/{check_id}")))
        .bearer_auth(&fed.tenant.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let verifier = pending.verifier.secret();
    let result = exchange(&rp.client, &rp.http, &params["code"], verifier).await;
    assert_eq!(refused(result), CoreErrorResponseType::InvalidGrant);
    fed.stop().await;
}

async fn a_declined_cancelled_or_expired_sign_in_returns_access_denied(db: TestDb) {
    let fed = Federation::start(&db).await;
    let registered = register(&fed, REDIRECT_URI, &["right_to_work"]).await;
    let rp = RelyingParty::discover(&fed, &registered).await;
    let denied = |params: std::collections::BTreeMap<String, String>| {
        assert_eq!(params["error"], "access_denied", "{params:?}");
        assert!(!params.contains_key("code"));
        params
    };

    // The wallet declines.
    let (pending, mut browser, page) = rp.open_page("right_to_work").await;
    let request = fetch_request(&fed, &page.wallet_url).await;
    let response = answer_error(&fed, &request, "access_denied").await;
    assert_eq!(response.status(), StatusCode::OK);
    let params = denied(back_to_client(&fed, &mut browser, &page, &registered, &pending).await);
    assert_eq!(params["error_description"], "holder_declined");
    // Afterwards the page only says it has finished.
    let again = browser.get(&page.url).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert!(again.text().await.unwrap().contains("has finished"));

    // Another browser (no cookie, or another session's) cannot use the page.
    let (pending, mut browser, page) = rp.open_page("right_to_work").await;
    let mut stranger = Browser::new();
    let response = stranger.get(&page.url).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.headers().get("location").is_none());
    let response = stranger.get(&format!("{}/status", page.url)).await;
    assert_eq!(
        error_body(response, StatusCode::FORBIDDEN).await.0,
        "access_denied"
    );
    assert_eq!(page_status(&mut browser, &page).await, "waiting");

    // The person cancels: the check is erased, the client told.
    let cancel = browser.get(&format!("{}/cancel", page.url)).await;
    let location = see_other(&cancel);
    let params = query(&location);
    assert_eq!(params["state"], *pending.state.secret());
    denied(params);
    let wallet = url::Url::parse(&page.wallet_url).unwrap();
    let request_uri: String = wallet
        .query_pairs()
        .find(|(k, _)| k == "request_uri")
        .unwrap()
        .1
        .into_owned();
    let response = fed.client.get(&request_uri).send().await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "the request is gone"
    );

    // The check expires before the wallet answers.
    let (pending, mut browser, page) = rp.open_page("right_to_work").await;
    fed.clock.advance(601);
    let params = denied(back_to_client(&fed, &mut browser, &page, &registered, &pending).await);
    assert_eq!(params["error_description"], "request_expired");

    // An hour after its session, code and token have all expired, the sweeper deletes it.
    let response = browser.get(&format!("{}/status", page.url)).await;
    assert_eq!(response.status(), StatusCode::OK);
    fed.clock.advance(verifier::oidc::ENDED_SESSION_KEPT_SECS);
    let mut gone = false;
    for _ in 0..200 {
        let response = browser.get(&format!("{}/status", page.url)).await;
        if response.status() == StatusCode::NOT_FOUND {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(gone, "the sweeper did not delete the ended session");
    let response = browser.get(&page.url).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    fed.stop().await;
}

async fn a_presentation_that_does_not_verify_returns_access_denied_and_no_code(db: TestDb) {
    let fed = Federation::start(&db).await;
    let registered = register(&fed, REDIRECT_URI, &["right_to_work"]).await;
    let rp = RelyingParty::discover(&fed, &registered).await;
    let mut foreign_national = british_citizen();
    foreign_national.nationalities = vec!["FR".into()];
    foreign_national.document.issuing_country = "FR".into();

    // Rejected (a provider the register has suspended) and not eligible (a nationality outside
    // the digital route): the wallet's response is received, the check ends, the client is
    // told access_denied with the reason code and nothing of the person.
    for (credential, state, code) in [
        (
            fed.issue_identity("suspended", &british_citizen()),
            "failed",
            "provider_suspended",
        ),
        (
            fed.issue_identity("good", &foreign_national),
            "completed",
            "nationality_not_eligible document_country_not_eligible",
        ),
    ] {
        let SignIn {
            mut browser,
            page,
            params,
            ..
        } = rp
            .sign_in(&fed, &registered, "right_to_work", &credential)
            .await;
        assert_eq!(params["error"], "access_denied", "{params:?}");
        assert!(!params.contains_key("code"), "{params:?}");
        assert_eq!(params["error_description"], code);
        // The check has ended; so has the session.
        let check = fed.check(&check_id_of(&db, &page).await).await;
        assert_eq!(check["state"], state, "{check}");
        let again = browser.get(&page.url).await;
        assert!(again.text().await.unwrap().contains("has finished"));
    }

    // The wallet reports an error of its own (encrypted, as direct_post.jwt requires).
    let (pending, mut browser, page) = rp.open_page("right_to_work").await;
    let request = fetch_request(&fed, &page.wallet_url).await;
    let response = answer_error(&fed, &request, "server_error").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(page_status(&mut browser, &page).await, "finished");
    let params = back_to_client(&fed, &mut browser, &page, &registered, &pending).await;
    assert_eq!(params["error"], "access_denied", "{params:?}");
    assert_eq!(params["error_description"], "wallet_error");
    assert!(!params.contains_key("code"));
    fed.stop().await;
}

async fn a_plaintext_decline_posted_by_anyone_does_not_end_the_sign_in(db: TestDb) {
    let fed = Federation::start(&db).await;
    let registered = register(&fed, REDIRECT_URI, &["right_to_work"]).await;
    let rp = RelyingParty::discover(&fed, &registered).await;
    let (pending, mut browser, page) = rp.open_page("right_to_work").await;
    // Someone who has seen the QR code fetches the request and declines in the clear.
    let request = fetch_request(&fed, &page.wallet_url).await;
    let response = post_form(
        &fed,
        &request,
        &[("error", "access_denied"), ("state", request.state())],
    )
    .await;
    let (error, _) = error_body(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(error, "invalid_request");
    assert_eq!(page_status(&mut browser, &page).await, "waiting");

    // The person's wallet presents; the sign-in succeeds.
    let credential = fed.issue_identity("good", &british_citizen());
    wallet_presents(&fed, &page.wallet_url, &credential).await;
    let params = back_to_client(&fed, &mut browser, &page, &registered, &pending).await;
    assert!(params.contains_key("code"), "{params:?}");
    fed.stop().await;
}

async fn clients_are_listed_and_removed_through_the_cli(db: TestDb) {
    let fed = Federation::start(&db).await;
    let registered = register(&fed, REDIRECT_URI, &["right_to_work", "age_over_18"]).await;
    let listed = fed
        .run_cli(Command::OidcClient(OidcClientCommand::List {
            tenant_id: Some(fed.tenant.tenant_id.clone()),
        }))
        .await
        .unwrap();
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["client_id"], registered.client_id.as_str());
    assert_eq!(
        listed[0]["templates"],
        serde_json::json!(["right_to_work", "age_over_18"])
    );
    assert!(!listed.to_string().contains(&registered.client_secret));
    assert!(!listed.to_string().contains("secret"));

    // Bad registrations are refused with the reason.
    for (redirect, template) in [
        ("http://hr.employer.example/cb", "right_to_work"),
        (REDIRECT_URI, "right_to_vote"),
    ] {
        let result = fed
            .run_cli(Command::OidcClient(OidcClientCommand::Add {
                tenant_id: fed.tenant.tenant_id.clone(),
                name: "Bad".into(),
                redirect_uris: vec![redirect.into()],
                templates: vec![template.into()],
            }))
            .await;
        assert!(
            matches!(result, Err(verifier::cli::CliError::Oidc(_))),
            "{redirect} {template}"
        );
    }

    let removed = fed
        .run_cli(Command::OidcClient(OidcClientCommand::Remove {
            client_id: registered.client_id.clone(),
        }))
        .await
        .unwrap();
    assert!(removed.contains(&registered.client_id));
    let response = authorize(&no_redirects(), &fed, &params(&registered, &[])).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    fed.stop().await;
}
