//! Rejections, each with its stable code: status (revoked, suspended), trust (untrusted,
//! suspended, not certified for the scheme), binding (nonce, audience), the exchange (replay,
//! expiry, wrong `state`, undecryptable, malformed or unencrypted response) and a tampered
//! disclosure.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use idv_jose::Clock;
use idv_status_list::codec::Status;
use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{EMPLOYER, Federation, british_citizen, error_body, reason_codes};
use crate::wallet::{
    WalletRequest, assert_refused, direct_post_age_check, open_check, post_form, present,
    present_to, respond, run_check, vp_token,
};

test_on_both_databases!(
    a_revoked_credential_is_rejected,
    a_suspended_credential_is_rejected,
    a_provider_not_on_the_trust_list_is_rejected,
    a_suspended_provider_is_rejected,
    a_provider_suspended_later_is_rejected_once_the_list_is_refreshed,
    a_provider_not_certified_for_the_scheme_is_rejected,
    a_presentation_for_another_nonce_is_rejected,
    a_presentation_for_another_audience_is_rejected,
    a_replayed_response_is_refused_and_changes_nothing,
    a_tampered_disclosure_is_rejected,
    a_response_after_expiry_is_refused_and_the_check_expires,
    responses_not_tied_to_the_request_do_not_consume_it,
    a_plaintext_error_to_an_encrypted_request_is_refused_and_the_wallet_still_answers,
    a_malformed_direct_post_response_does_not_end_the_check,
);

/// Runs `template` with `credential` and returns the finished check, asserting it failed
/// with `code` at `step`.
async fn assert_failed(fed: &Federation, id: &str, code: &str, step: &str) -> Value {
    let check = fed.check(id).await;
    assert_eq!(check["state"], "failed", "{check}");
    assert_eq!(check["outcome"], "rejected");
    assert_eq!(check["compliant"], false);
    assert_eq!(reason_codes(&check), [code], "{check}");
    assert_eq!(check["reasons"][0]["step"], step);
    assert!(
        check.get("claims").is_none(),
        "no personal data kept: {check}"
    );
    check
}

/// A nonce no request of these tests was given.
const ANOTHER_NONCE: &str = "another-transactions-nonce";

/// Posts `fields` to the request's response URI and checks they are refused as an
/// `invalid_response`, naming `case` if not; returns the description.
async fn assert_invalid_response(
    fed: &Federation,
    request: &WalletRequest,
    fields: &[(&str, &str)],
    case: &dyn std::fmt::Debug,
) -> String {
    let (error, description) = error_body(
        post_form(fed, request, fields).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error, "invalid_request", "{case:?}: {description}");
    assert!(
        description.starts_with("invalid_response:"),
        "{case:?}: {description}"
    );
    description
}

/// The federation, an open age check (as `POST /v1/checks` returned it) and a conformant
/// presentation for its request, not yet sent.
async fn presented_age_check(db: &TestDb) -> (Federation, Value, WalletRequest, String) {
    let fed = Federation::start(db).await;
    let credential = fed.issue_age("good", &british_citizen());
    let (created, request) = open_check(&fed, &json!({"template": "age_over_18"})).await;
    let presentation = present(&fed, &credential, &request);
    (fed, created, request, presentation)
}

/// The id of a check as `POST /v1/checks` returned it.
fn id_of(created: &Value) -> &str {
    created["id"].as_str().unwrap()
}

async fn a_revoked_credential_is_rejected(db: TestDb) {
    let fed = Federation::start(&db).await;
    let credential = fed.issue_identity("good", &british_citizen());
    fed.providers["good"].set_status(credential.status_idx, Status::Invalid);
    let (id, response) = run_check(&fed, "right_to_work", &credential).await;
    assert_eq!(response.status(), StatusCode::OK);
    let check = assert_failed(&fed, &id, "credential_revoked", "status").await;
    assert!(check["status_checked_at"].is_i64());
    fed.stop().await;
}

async fn a_suspended_credential_is_rejected(db: TestDb) {
    let fed = Federation::start(&db).await;
    let credential = fed.issue_age("good", &british_citizen());
    fed.providers["good"].set_status(credential.status_idx, Status::Suspended);
    let (id, _) = run_check(&fed, "age_over_18", &credential).await;
    assert_failed(&fed, &id, "credential_suspended", "status").await;
    fed.stop().await;
}

async fn a_provider_not_on_the_trust_list_is_rejected(db: TestDb) {
    let fed = Federation::start(&db).await;
    let credential = fed.issue_identity("rogue", &british_citizen());
    let (id, _) = run_check(&fed, "right_to_work", &credential).await;
    let check = assert_failed(&fed, &id, "issuer_not_trusted", "trust").await;
    assert!(check.get("provider").is_none());
    fed.stop().await;
}

async fn a_suspended_provider_is_rejected(db: TestDb) {
    let fed = Federation::start(&db).await;
    let credential = fed.issue_identity("suspended", &british_citizen());
    let (id, _) = run_check(&fed, "right_to_work", &credential).await;
    let check = assert_failed(&fed, &id, "provider_suspended", "trust").await;
    // Who it was is still recorded.
    assert_eq!(
        check["provider"]["register_id"],
        fed.providers["suspended"].entry_id.as_deref().unwrap()
    );
    fed.stop().await;
}

async fn a_provider_suspended_later_is_rejected_once_the_list_is_refreshed(db: TestDb) {
    let fed = Federation::start(&db).await;
    let person = british_citizen();
    let (first, _) = run_check(&fed, "age_over_18", &fed.issue_age("good", &person)).await;
    let first = fed.check(&first).await;
    assert_eq!(first["outcome"], "compliant");
    fed.suspend_provider("good").await;
    // The verifier refreshes its list at `next_update` (one hour here), in the background.
    fed.clock.advance(3601);
    crate::helpers::wait_for_trust_list_after(&db, first["trust_list_sequence"].as_u64().unwrap())
        .await;
    let (second, _) = run_check(&fed, "age_over_18", &fed.issue_age("good", &person)).await;
    let second = assert_failed(&fed, &second, "provider_suspended", "trust").await;
    assert!(
        second["trust_list_sequence"].as_u64().unwrap()
            > first["trust_list_sequence"].as_u64().unwrap()
    );
    fed.stop().await;
}

async fn a_provider_not_certified_for_the_scheme_is_rejected(db: TestDb) {
    let fed = Federation::start(&db).await;
    // Certified for AGE only, presenting an identity credential for right to work.
    let credential = fed.issue_identity("ageonly", &british_citizen());
    let (id, _) = run_check(&fed, "right_to_work", &credential).await;
    assert_failed(&fed, &id, "provider_not_certified_for_scheme", "trust").await;
    fed.stop().await;
}

/// An age check answered with a presentation bound to `audience` and `nonce` (each the
/// request's own when `None`) fails with `code` at the binding step.
async fn assert_binding_rejected(
    db: TestDb,
    audience: Option<&str>,
    nonce: Option<&str>,
    code: &str,
) {
    let fed = Federation::start(&db).await;
    let credential = fed.issue_age("good", &british_citizen());
    let (created, request) = open_check(&fed, &json!({"template": "age_over_18"})).await;
    let presentation = present_to(
        &fed,
        &credential,
        &request.requested_paths(),
        audience.unwrap_or(&request.client_id),
        nonce.unwrap_or(&request.object.nonce),
    );
    let response = respond(&fed, &request, vp_token(&request, presentation)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_failed(&fed, id_of(&created), code, "binding").await;
    fed.stop().await;
}

async fn a_presentation_for_another_nonce_is_rejected(db: TestDb) {
    // A presentation made for another transaction (replayed from elsewhere).
    let nonce = Some(ANOTHER_NONCE);
    assert_binding_rejected(db, None, nonce, "key_binding_nonce_mismatch").await;
}

async fn a_presentation_for_another_audience_is_rejected(db: TestDb) {
    // The client id without its prefix is not the audience (OpenID4VP: always the full one).
    let audience = Some(EMPLOYER);
    assert_binding_rejected(db, audience, None, "key_binding_audience_mismatch").await;
}

async fn a_replayed_response_is_refused_and_changes_nothing(db: TestDb) {
    let (fed, created, request, presentation) = presented_age_check(&db).await;
    let id = id_of(&created);
    let payload = idv_proto::oid4vp::authorization_response::AuthorizationResponse {
        vp_token: Some(vp_token(&request, presentation)),
        state: Some(request.state().to_owned()),
        ..Default::default()
    };
    let jwe = crate::wallet::encrypt(&request, &payload);
    let first = post_form(&fed, &request, &[("response", &jwe)]).await;
    assert_eq!(first.status(), StatusCode::OK);
    let before = fed.check(id).await;
    assert_eq!(before["outcome"], "compliant");

    assert_refused(
        post_form(&fed, &request, &[("response", &jwe)]).await,
        "invalid_request",
        "response_replayed:",
    )
    .await;
    assert_eq!(fed.check(id).await, before);
    // The request object is gone too.
    assert_refused(
        fed.client.get(&request.request_uri).send().await.unwrap(),
        "invalid_request_uri",
        "response_replayed:",
    )
    .await;
    fed.stop().await;
}

async fn a_tampered_disclosure_is_rejected(db: TestDb) {
    let fed = Federation::start(&db).await;
    let mut person = british_citizen();
    person.nationalities = vec!["FR".into()];
    let credential = fed.issue_identity("good", &person);
    let (created, request) = open_check(&fed, &json!({"template": "right_to_work"})).await;
    let presentation = present(&fed, &credential, &request);
    // The holder rewrites the nationality disclosure to GB and re-binds the presentation,
    // so only the disclosure digest can catch it.
    let parts: Vec<&str> = presentation.split('~').collect();
    let sd_jwt_parts = &parts[..parts.len() - 1];
    let mut tampered = Vec::new();
    let mut changed = false;
    for part in sd_jwt_parts {
        let decoded = URL_SAFE_NO_PAD
            .decode(part)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
        match decoded {
            Some(Value::Array(mut items))
                if items.get(1) == Some(&json!("FR")) || items.get(2) == Some(&json!("FR")) =>
            {
                let last = items.len() - 1;
                items[last] = json!("GB");
                tampered.push(URL_SAFE_NO_PAD.encode(serde_json::to_vec(&items).unwrap()));
                changed = true;
            }
            _ => tampered.push((*part).to_owned()),
        }
    }
    assert!(changed, "no nationality disclosure found");
    let sd_jwt = format!("{}~", tampered.join("~"));
    let rebound = idv_sdjwt::key_binding::bind(
        &sd_jwt,
        &credential.holder,
        &request.client_id,
        &request.object.nonce,
        fed.clock.now(),
    )
    .unwrap();
    respond(&fed, &request, vp_token(&request, rebound)).await;
    assert_failed(&fed, id_of(&created), "disclosure_invalid", "signature").await;
    fed.stop().await;
}

async fn a_response_after_expiry_is_refused_and_the_check_expires(db: TestDb) {
    let (fed, created, request, presentation) = presented_age_check(&db).await;
    let id = id_of(&created);
    fed.clock.set(created["expires_at"].as_i64().unwrap());
    assert_refused(
        respond(&fed, &request, vp_token(&request, presentation)).await,
        "invalid_request",
        "request_expired:",
    )
    .await;
    let check = fed.check(id).await;
    assert_eq!(check["state"], "expired");
    assert_eq!(reason_codes(&check), ["request_expired"]);
    assert_eq!(check["reasons"][0]["step"], "request");
    assert_refused(
        fed.client.get(&request.request_uri).send().await.unwrap(),
        "invalid_request_uri",
        "request_expired:",
    )
    .await;
    let response = fed.get(&format!("/v1/checks/{id}/qr.svg")).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    fed.stop().await;
}

async fn responses_not_tied_to_the_request_do_not_consume_it(db: TestDb) {
    let (fed, created, request, presentation) = presented_age_check(&db).await;
    let id = id_of(&created);

    // Another request's state.
    let payload = idv_proto::oid4vp::authorization_response::AuthorizationResponse {
        vp_token: Some(vp_token(&request, presentation.clone())),
        state: Some("not-this-requests-state".into()),
        ..Default::default()
    };
    let jwe = crate::wallet::encrypt(&request, &payload);
    assert_refused(
        post_form(&fed, &request, &[("response", &jwe)]).await,
        "invalid_request",
        "request_unknown:",
    )
    .await;
    // A JWE for another key.
    let other = idv_jose::DecryptionKey::generate().unwrap();
    let foreign = idv_jose::jwe::encrypt(
        b"{}",
        other.public_key(),
        None,
        idv_jose::jwe::ContentEncryption::A128Gcm,
    )
    .unwrap();
    assert_refused(
        post_form(&fed, &request, &[("response", &foreign)]).await,
        "invalid_request",
        "response_decryption_failed:",
    )
    .await;
    // Not a JWE at all.
    assert_refused(
        post_form(&fed, &request, &[("response", "a.b.c.d.e")]).await,
        "invalid_request",
        "response_decryption_failed:",
    )
    .await;
    assert_eq!(fed.check(id).await["state"], "created");
    // Encrypted to the request's key with its state, but no Authorization Response inside.
    for payload in [
        json!({"state": request.state()}),
        json!({"state": request.state(), "vp_token": "not an object"}),
        json!({"state": request.state(), "vp_token": {}, "error": "access_denied"}),
        json!(["not", "an", "object"]),
    ] {
        let jwe = encrypt_json(&request, &payload);
        assert_invalid_response(&fed, &request, &[("response", &jwe)], &payload).await;
    }
    // A plaintext response where encryption is required.
    let plaintext = vp_token(&request, presentation.clone()).to_json_string();
    let fields = [("vp_token", plaintext.as_str()), ("state", request.state())];
    assert_invalid_response(&fed, &request, &fields, &"plaintext").await;
    // An unknown request.
    let response = fed
        .client
        .post(fed.url("/wallet/responses/nope"))
        .form(&[("response", &jwe)])
        .send()
        .await
        .unwrap();
    assert_refused(response, "invalid_request", "request_unknown:").await;

    assert_eq!(fed.check(id).await["state"], "created");
    // The real response still completes the check.
    let response = respond(&fed, &request, vp_token(&request, presentation)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(fed.check(id).await["outcome"], "compliant");
    fed.stop().await;
}

/// `payload` (any JSON) encrypted to the request's key, as `direct_post.jwt` sends it.
fn encrypt_json(request: &WalletRequest, payload: &Value) -> String {
    let metadata = request.object.client_metadata.as_ref().unwrap();
    let jwk = &metadata.jwks.as_ref().unwrap().keys[0];
    idv_jose::jwe::encrypt(
        &serde_json::to_vec(payload).unwrap(),
        &idv_jose::PublicKey::from_jwk_value(jwk).unwrap(),
        jwk["kid"].as_str(),
        idv_jose::jwe::ContentEncryption::A256Gcm,
    )
    .unwrap()
}

async fn a_plaintext_error_to_an_encrypted_request_is_refused_and_the_wallet_still_answers(
    db: TestDb,
) {
    let fed = Federation::start(&db).await;
    let credential = fed.issue_age("good", &british_citizen());
    let (created, request) = open_check(&fed, &json!({"template": "age_over_18"})).await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(request.claims["response_mode"], "direct_post.jwt");

    // Anyone who has seen the QR code can fetch the request and post in the clear: with
    // direct_post.jwt, error responses too come encrypted, so none of these ends the check.
    for fields in [
        vec![("error", "access_denied"), ("state", request.state())],
        vec![("error", "server_error"), ("state", request.state())],
        vec![("error", "access_denied")],
        vec![
            ("error", "access_denied"),
            ("state", request.state()),
            ("response", "a.b.c.d.e"),
        ],
    ] {
        let description = assert_invalid_response(&fed, &request, &fields, &fields).await;
        assert!(
            description.contains("encrypted"),
            "{fields:?}: {description}"
        );
    }
    let check = fed.check(id).await;
    assert_eq!(check["state"], "created", "{check}");
    assert!(check.get("outcome").is_none() && check.get("presented_at").is_none());

    // The real wallet still answers, and the check completes.
    let presentation = present(&fed, &credential, &request);
    let response = respond(&fed, &request, vp_token(&request, presentation)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let check = fed.check(id).await;
    assert_eq!(check["state"], "completed");
    assert_eq!(check["outcome"], "compliant", "{check}");
    fed.stop().await;
}

async fn a_malformed_direct_post_response_does_not_end_the_check(db: TestDb) {
    let fed = Federation::start(&db).await;
    let credential = fed.issue_age("good", &british_citizen());
    let (created, request) = open_check(&fed, &direct_post_age_check()).await;
    let id = created["id"].as_str().unwrap();
    let state = request.state();
    let token = vp_token(&request, present(&fed, &credential, &request)).to_json_string();

    for fields in [
        vec![("state", state)],
        vec![("vp_token", "not json"), ("state", state)],
        vec![("vp_token", "[\"a\"]"), ("state", state)],
        vec![("vp_token", "{\"q\": \"not a list\"}"), ("state", state)],
        vec![
            ("vp_token", token.as_str()),
            ("error", "access_denied"),
            ("state", state),
        ],
        vec![("error", ""), ("state", state)],
    ] {
        assert_invalid_response(&fed, &request, &fields, &fields).await;
    }
    assert_eq!(fed.check(id).await["state"], "created");

    // A well-formed response whose presentation fails still ends the check.
    let other_nonce = present_to(
        &fed,
        &credential,
        &request.requested_paths(),
        &request.client_id,
        ANOTHER_NONCE,
    );
    let response = post_form(
        &fed,
        &request,
        &[
            (
                "vp_token",
                vp_token(&request, other_nonce).to_json_string().as_str(),
            ),
            ("state", state),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_failed(&fed, id, "key_binding_nonce_mismatch", "binding").await;
    fed.stop().await;
}
