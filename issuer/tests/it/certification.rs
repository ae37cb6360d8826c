//! The provider's own certification: with `[trust]`, the issuer offers and issues a credential
//! only while its entry on the real trust framework's signed list certifies it for the
//! credential's scheme (identity: RTW, age: AGE) with its active signing key, and fails closed
//! without a usable list. The register and the issuer share one manual clock; a register change
//! reaches the issuer once `trust.refresh_secs` have passed (its background refresh lands).

use idv_jose::SigningKey;
use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::register::{CertifiedIssuer, refused_offer, registration};
use crate::helpers::{AGE, DAY, IDENTITY, TestApp, expect_error};

test_on_both_databases!(
    a_certified_provider_issues_until_suspended_and_again_once_reinstated,
    an_entry_without_the_age_code_refuses_age_credentials_but_issues_identity_ones,
    without_a_usable_trust_list_nothing_is_offered_or_issued,
    a_rotated_signing_key_issues_only_once_registered
);

/// A Credential Request for one credential of `configuration` under `access_token`.
async fn request_credential(app: &TestApp, access_token: &str, configuration: &str) -> Response {
    let request = json!({"credential_configuration_id": configuration});
    let holder = SigningKey::generate().unwrap();
    app.wallet()
        .request_proven(access_token, request, &holder)
        .await
}

/// Offers `configuration` from another instance of `app` that does not check its certification
/// (no `[trust]`) and redeems the offer at `app`, whose credential endpoint must refuse it as
/// `credential_request_denied`; returns the refusal's description, the access token and the
/// other instance (still running).
async fn refused_after_unchecked_offer(
    app: &TestApp,
    identity_id: &str,
    configuration: &str,
) -> (String, String, TestApp) {
    let mut unchecked_config = app.config.clone();
    unchecked_config.trust = None;
    let unchecked = app.another_instance_with(unchecked_config).await;
    let created = unchecked
        .create_offer(identity_id, &[configuration], true)
        .await;
    let access_token = app.redeem(&created).await;
    let denied = expect_error(
        request_credential(app, &access_token, configuration).await,
        StatusCode::BAD_REQUEST,
        "credential_request_denied",
    )
    .await;
    (denied, access_token, unchecked)
}

/// Asserts one credential of `vct` was issued.
async fn issued(response: Response, vct: &str) {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    let credentials = body["credentials"].as_array().unwrap();
    assert_eq!(credentials.len(), 1);
    let jwt = credentials[0]["credential"].as_str().unwrap();
    let payload = jwt.split(['.', '~']).nth(1).unwrap();
    let claims: Value =
        serde_json::from_slice(&idv_jose::base64url::decode(payload).unwrap()).unwrap();
    assert_eq!(claims["vct"], vct);
}

/// The configurations of the credentials issued for `identity_id`.
async fn issued_configurations(app: &TestApp, identity_id: &str) -> Vec<String> {
    let response = app
        .get(&format!("/v1/credentials?identity_id={identity_id}"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let mut ids: Vec<String> = body["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["credential_configuration_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    ids.sort();
    ids
}

const IDENTITY_VCT: &str = idv_profiles::IDENTITY_VCT;
const AGE_VCT: &str = idv_profiles::AGE_VCT;

async fn a_certified_provider_issues_until_suspended_and_again_once_reinstated(db: TestDb) {
    let issuer = CertifiedIssuer::start(&db, &["RTW", "AGE"]).await;
    let app = &issuer.app;
    let (offer, access_token) = app.access_token(&[IDENTITY, AGE]).await;
    issued(
        request_credential(app, &access_token, IDENTITY).await,
        IDENTITY_VCT,
    )
    .await;

    // Suspended on the register: the next Credential Request and the next offer are refused,
    // naming the reason.
    issuer.register.change(&issuer.entry_id, "suspend").await;
    issuer.let_the_list_refresh().await;
    let denied = expect_error(
        request_credential(app, &access_token, AGE).await,
        StatusCode::BAD_REQUEST,
        "credential_request_denied",
    )
    .await;
    assert!(
        denied.contains("uk_age (scheme AGE)")
            && denied.contains("the provider's register entry is suspended"),
        "{denied}"
    );
    let refused = refused_offer(
        app,
        &offer.identity_id,
        &[IDENTITY],
        StatusCode::CONFLICT,
        "issuer_not_certified",
    )
    .await;
    assert!(
        refused.starts_with("credential_configuration_ids[0]: ")
            && refused.contains("uk_identity (scheme RTW)")
            && refused.contains("the provider's register entry is suspended"),
        "{refused}"
    );
    assert_eq!(
        issued_configurations(app, &offer.identity_id).await,
        [IDENTITY],
        "nothing issued while suspended"
    );

    // Reinstated: the same access token gets the age credential, and offers are made again.
    issuer.register.change(&issuer.entry_id, "reinstate").await;
    issuer.let_the_list_refresh().await;
    issued(request_credential(app, &access_token, AGE).await, AGE_VCT).await;
    assert_eq!(
        issued_configurations(app, &offer.identity_id).await,
        [AGE, IDENTITY]
    );
    app.create_offer(&offer.identity_id, &[IDENTITY, AGE], true)
        .await;
    issuer.stop().await;
}

async fn an_entry_without_the_age_code_refuses_age_credentials_but_issues_identity_ones(
    db: TestDb,
) {
    let issuer = CertifiedIssuer::start(&db, &["RTW"]).await;
    let app = &issuer.app;
    let identity_id = app.record_identity().await;
    let refused = refused_offer(
        app,
        &identity_id,
        &[IDENTITY, AGE],
        StatusCode::CONFLICT,
        "issuer_not_certified",
    )
    .await;
    assert!(
        refused.starts_with("credential_configuration_ids[1]: ")
            && refused.contains("the provider's register entry is not certified for AGE"),
        "{refused}"
    );

    // Identity credentials are issued.
    let created = app.create_offer(&identity_id, &[IDENTITY], true).await;
    let access_token = app.redeem(&created).await;
    issued(
        request_credential(app, &access_token, IDENTITY).await,
        IDENTITY_VCT,
    )
    .await;

    // An age offer made by an instance that does not check (no `[trust]`) is still refused
    // at the credential endpoint of one that does.
    let (denied, access_token, mut unchecked) =
        refused_after_unchecked_offer(app, &identity_id, AGE).await;
    assert!(
        denied.contains("the provider's register entry is not certified for AGE"),
        "{denied}"
    );
    assert_eq!(issued_configurations(app, &identity_id).await, [IDENTITY]);

    // Once the register certifies AGE, the same token gets the age credential.
    issuer.register.certify(&issuer.entry_id, "AGE").await;
    issuer.let_the_list_refresh().await;
    issued(request_credential(app, &access_token, AGE).await, AGE_VCT).await;
    unchecked.stop().await;
    issuer.stop().await;
}

async fn without_a_usable_trust_list_nothing_is_offered_or_issued(db: TestDb) {
    let mut issuer = CertifiedIssuer::start(&db, &["RTW", "AGE"]).await;
    let identity_id = issuer.app.record_identity().await;
    issuer
        .app
        .create_offer(&identity_id, &[IDENTITY], true)
        .await;

    // The register goes away: the list held decides until its `exp`.
    issuer.register.stop().await;
    issuer.let_refresh_secs_pass();
    let app = &issuer.app;
    let created = app.create_offer(&identity_id, &[AGE], true).await;
    let access_token = app.redeem(&created).await;
    issued(request_credential(app, &access_token, AGE).await, AGE_VCT).await;

    // Past it, nothing is offered or issued.
    app.clock.advance(DAY);
    refused_offer(
        app,
        &identity_id,
        &[IDENTITY],
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
    )
    .await;
    let (denied, _, mut unchecked) =
        refused_after_unchecked_offer(app, &identity_id, IDENTITY).await;
    assert!(
        denied.contains("cannot confirm its certification"),
        "{denied}"
    );
    assert_eq!(issued_configurations(app, &identity_id).await, [AGE]);
    unchecked.stop().await;
    issuer.stop().await;
}

async fn a_rotated_signing_key_issues_only_once_registered(db: TestDb) {
    let issuer = CertifiedIssuer::start(&db, &["RTW", "AGE"]).await;
    let app = &issuer.app;
    let identity_id = app.record_identity().await;
    let mut out = Vec::new();
    issuer::cli::execute(
        app.config.clone(),
        issuer::cli::Command::Keys(issuer::cli::KeysCommand::Rotate),
        &mut out,
    )
    .await
    .unwrap();

    // The new key is not in the register entry yet.
    let refused = refused_offer(
        app,
        &identity_id,
        &[AGE],
        StatusCode::CONFLICT,
        "issuer_not_certified",
    )
    .await;
    assert!(
        refused.contains("the active signing key is not registered"),
        "{refused}"
    );

    // The register's operator records the new binding (`issuer registration` again).
    issuer
        .register
        .update_issuer(&issuer.entry_id, &registration(&app.config).await)
        .await;
    issuer.let_the_list_refresh().await;
    let created = app.create_offer(&identity_id, &[AGE], true).await;
    let access_token = app.redeem(&created).await;
    issued(request_credential(app, &access_token, AGE).await, AGE_VCT).await;
    issuer.stop().await;
}
