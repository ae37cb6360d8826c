//! Successful exchanges and scheme outcomes: right to work compliant and not eligible, age
//! checks that never see a name or birthdate, same-device and `direct_post` flows, and a
//! holder who declines.

use idv_checks::evidence::verify_check_record;
use idv_jose::Clock;
use idv_proto::claims_path::ClaimsPath;
use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{EMPLOYER, Federation, british_citizen, error_body, reason_codes};
use crate::wallet::{
    answer_error, assert_refused, direct_post_age_check, fetch_request, open_check, post_form,
    present, present_paths, respond, run_check, vp_token,
};

test_on_both_databases!(
    right_to_work_compliant_returns_the_requested_claims_provider_and_signed_evidence,
    the_request_object_follows_openid4vp_and_haip,
    right_to_work_for_another_nationality_is_not_eligible,
    right_to_work_with_an_expired_passport_is_not_eligible,
    right_to_work_proofed_at_low_confidence_is_not_eligible,
    an_age_check_never_asks_for_or_keeps_a_name_or_birthdate,
    same_device_results_are_released_once_with_the_response_code,
    direct_post_without_encryption_is_verified_too,
    a_holder_who_declines_fails_the_check,
);

async fn right_to_work_compliant_returns_the_requested_claims_provider_and_signed_evidence(
    db: TestDb,
) {
    let fed = Federation::start(&db).await;
    let credential = fed.issue_identity("good", &british_citizen());
    let (created, request) = open_check(
        &fed,
        &json!({"template": "right_to_work", "reference": "cand-42"}),
    )
    .await;
    // The wallet over-discloses the address: the verifier must drop it.
    let mut paths = request.requested_paths();
    paths.push(ClaimsPath::from_keys(["address"]).unwrap());
    let presentation = present_paths(&fed, &credential, &request, &paths);
    let response = respond(&fed, &request, vp_token(&request, presentation)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap(), json!({}));

    let check = fed.check(created["id"].as_str().unwrap()).await;
    assert_eq!(check["state"], "completed", "{check}");
    assert_eq!(check["outcome"], "awaiting_confirmation");
    assert_eq!(check["compliant"], false);
    assert_eq!(check["reasons"], json!([]));
    assert_eq!(check["reference"], "cand-42");
    let claims = check["claims"].as_object().unwrap();
    assert_eq!(claims["given_name"], "Ada");
    assert_eq!(claims["family_name"], "Lovelace");
    assert_eq!(claims["birthdate"], "1990-12-10");
    assert_eq!(claims["nationalities"], json!(["GB"]));
    assert_eq!(claims["document"]["type"], "passport");
    assert!(
        claims["portrait"]
            .as_str()
            .unwrap()
            .starts_with("data:image/jpeg")
    );
    for dropped in ["address", "iss", "cnf", "status", "vct"] {
        assert!(!claims.contains_key(dropped), "{dropped} kept: {claims:?}");
    }
    assert_eq!(claims["document"]["issuing_country"], "GB");
    assert!(
        claims["verification"].get("time").is_none(),
        "unrequested nested claim kept"
    );
    let provider = &fed.providers["good"];
    assert_eq!(
        check["provider"]["register_id"],
        provider.entry_id.as_deref().unwrap()
    );
    assert_eq!(check["provider"]["organisation"]["name"], "good IDSP Ltd");
    assert_eq!(check["provider"]["service"], "good Reusable ID");
    assert_eq!(check["level_of_confidence"], "medium");
    assert!(check["trust_list_sequence"].as_u64().unwrap() >= 1);
    assert_eq!(check["status_checked_at"], fed.clock.now());
    assert!(check.get("wallet_url").is_none());

    // The evidence verifies with the verifier's published key and carries the RTW output.
    let key = fed.evidence_key().await;
    let record = verify_check_record(check["evidence"].as_str().unwrap(), &key).unwrap();
    assert_eq!(record.sub, created["id"].as_str().unwrap());
    assert_eq!(record.state, idv_checks::OutcomeState::AwaitingConfirmation);
    assert_eq!(record.tenant, fed.tenant.tenant_id);
    assert_eq!(record.claims.unwrap()["given_name"], "Ada");
    fed.stop().await;
}

async fn the_request_object_follows_openid4vp_and_haip(db: TestDb) {
    let fed = Federation::start(&db).await;
    let created = fed
        .create_check(&json!({"template": "right_to_work"}))
        .await;
    let wallet_url = created["wallet_url"].as_str().unwrap();
    assert!(wallet_url.starts_with("openid4vp://?client_id=verifier_attestation%3A"));
    let request = fetch_request(&fed, wallet_url).await;
    assert_eq!(
        request.client_id,
        format!("verifier_attestation:{EMPLOYER}")
    );
    let claims = &request.claims;
    assert_eq!(claims["response_type"], "vp_token");
    assert_eq!(claims["response_mode"], "direct_post.jwt");
    assert_eq!(claims["aud"], "https://self-issued.me/v2");
    assert_eq!(claims["exp"], created["expires_at"]);
    assert!(claims.get("redirect_uri").is_none());
    assert!(
        request
            .response_uri()
            .starts_with(&fed.url("/wallet/responses/"))
    );
    let nonce = claims["nonce"].as_str().unwrap();
    assert!(nonce.len() >= 22, "at least 128 bits");
    assert!(
        nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
    );
    let metadata = &claims["client_metadata"];
    assert_eq!(
        metadata["encrypted_response_enc_values_supported"],
        json!(["A128GCM", "A256GCM"])
    );
    let jwk = &metadata["jwks"]["keys"][0];
    assert_eq!(
        (jwk["alg"].as_str(), jwk["use"].as_str()),
        (Some("ECDH-ES"), Some("enc"))
    );
    assert!(jwk["kid"].is_string() && jwk.get("d").is_none());
    assert_eq!(
        metadata["vp_formats_supported"]["dc+sd-jwt"]["kb-jwt_alg_values"],
        json!(["ES256"])
    );
    assert_eq!(claims["dcql_query"]["credentials"][0]["id"], "identity");

    // A second check gets its own nonce, state and encryption key.
    let other = fed
        .create_check(&json!({"template": "right_to_work"}))
        .await;
    let other = fetch_request(&fed, other["wallet_url"].as_str().unwrap()).await;
    assert_ne!(other.object.nonce, request.object.nonce);
    assert_ne!(other.state(), request.state());
    assert_ne!(
        other.claims["client_metadata"]["jwks"]["keys"][0]["kid"],
        jwk["kid"]
    );

    // request_uri_method=post: the object echoes the wallet's nonce.
    let jwt = fed
        .client
        .post(&request.request_uri)
        .form(&[("wallet_nonce", "qPmxiNFCR3QTm19POc8u")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (object, _) = crate::wallet::verify_request_object(&fed, &jwt, &request.client_id);
    assert_eq!(object.wallet_nonce.as_deref(), Some("qPmxiNFCR3QTm19POc8u"));
    fed.stop().await;
}

async fn not_eligible(
    db: TestDb,
    person: idv_profiles::ProofedIdentity,
    codes: &[&str],
    advice: &str,
) {
    let fed = Federation::start(&db).await;
    let credential = fed.issue_identity("good", &person);
    let (id, response) = run_check(&fed, "right_to_work", &credential).await;
    assert_eq!(response.status(), StatusCode::OK);
    let check = fed.check(&id).await;
    assert_eq!(check["state"], "completed", "{check}");
    assert_eq!(check["outcome"], "not_eligible");
    assert_eq!(check["compliant"], false);
    assert_eq!(reason_codes(&check), codes);
    assert_eq!(check["reasons"][0]["step"], "rule");
    assert!(
        check["reasons"][0]["message"]
            .as_str()
            .unwrap()
            .contains(advice)
    );
    assert!(
        check.get("claims").is_none(),
        "no personal data kept: {check}"
    );
    assert!(check["provider"]["register_id"].is_string());
    fed.stop().await;
}

async fn right_to_work_for_another_nationality_is_not_eligible(db: TestDb) {
    let mut person = british_citizen();
    person.nationalities = vec!["FR".into()];
    person.document.issuing_country = "FR".into();
    not_eligible(
        db,
        person,
        &["nationality_not_eligible", "document_country_not_eligible"],
        "share code",
    )
    .await;
}

async fn right_to_work_with_an_expired_passport_is_not_eligible(db: TestDb) {
    let mut person = british_citizen();
    person.document.date_of_expiry = "2026-01-31".into();
    // A British citizen's expired passport: a manual document check, never a share code.
    not_eligible(db, person, &["document_expired"], "manual check").await;
}

async fn right_to_work_proofed_at_low_confidence_is_not_eligible(db: TestDb) {
    let mut person = british_citizen();
    person.level_of_confidence = "low".into();
    person.gpg45_profile = "L1A".into();
    not_eligible(db, person, &["level_of_confidence_too_low"], "manual check").await;
}

async fn an_age_check_never_asks_for_or_keeps_a_name_or_birthdate(db: TestDb) {
    let fed = Federation::start(&db).await;
    let credential = fed.issue_age("good", &british_citizen());
    let (created, request) = open_check(&fed, &json!({"template": "age_over_18"})).await;
    assert_eq!(
        request.claims["dcql_query"]["credentials"][0]["claims"],
        json!([{"path": ["age_over_18"]}, {"path": ["verification", "assurance_level"]}])
    );
    let query = request.claims["dcql_query"].to_string();
    for personal in ["name", "birthdate", "portrait", "nationalit", "document"] {
        assert!(!query.contains(personal), "{query}");
    }
    // An over-disclosing wallet: the other thresholds are dropped, never stored.
    let mut paths = request.requested_paths();
    paths.push(ClaimsPath::from_keys(["age_over_21"]).unwrap());
    let presentation = present_paths(&fed, &credential, &request, &paths);
    let response = respond(&fed, &request, vp_token(&request, presentation)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let check = fed.check(created["id"].as_str().unwrap()).await;
    assert_eq!(check["outcome"], "compliant", "{check}");
    assert_eq!(
        check["claims"],
        json!({"age_over_18": true, "verification": {"assurance_level": "medium"}})
    );
    let text = check.to_string();
    for personal in ["Ada", "Lovelace", "1990-12-10", "age_over_21"] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
    let evidence = check["evidence"].as_str().unwrap();
    let key = fed.evidence_key().await;
    let record = verify_check_record(evidence, &key).unwrap();
    assert!(record.compliant && record.claims.is_none());
    fed.stop().await;
}

async fn same_device_results_are_released_once_with_the_response_code(db: TestDb) {
    let fed = Federation::start(&db).await;
    let credential = fed.issue_identity("good", &british_citizen());
    let (created, request) = open_check(
        &fed,
        &json!({
            "template": "right_to_work",
            "redirect_uri": "https://employer.example.co.uk/onboarding/cb"
        }),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let presentation = present(&fed, &credential, &request);
    let response = respond(&fed, &request, vp_token(&request, presentation)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let reply: Value = response.json().await.unwrap();
    let redirect = reply["redirect_uri"].as_str().unwrap();
    let code = redirect
        .strip_prefix("https://employer.example.co.uk/onboarding/cb#response_code=")
        .unwrap();
    assert!(code.len() >= 22);

    // Without the code: the state, but not the result.
    let check = fed.check(id).await;
    assert_eq!(check["state"], "completed");
    assert_eq!(check["response_code_required"], true);
    assert!(check.get("claims").is_none() && check.get("outcome").is_none());
    // A wrong code is refused and does not use up the right one.
    let (error, _) = error_body(
        fed.get(&format!("/v1/checks/{id}?response_code=wrong"))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error, "invalid_grant");
    let response = fed
        .get(&format!("/v1/checks/{id}?response_code={code}"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let check: Value = response.json().await.unwrap();
    assert_eq!(check["outcome"], "awaiting_confirmation");
    assert_eq!(check["claims"]["given_name"], "Ada");
    // Single use; afterwards the result is simply shown.
    let (error, _) = error_body(
        fed.get(&format!("/v1/checks/{id}?response_code={code}"))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error, "invalid_grant");
    assert_eq!(fed.check(id).await["claims"]["given_name"], "Ada");
    fed.stop().await;
}

async fn direct_post_without_encryption_is_verified_too(db: TestDb) {
    let fed = Federation::start(&db).await;
    let credential = fed.issue_age("good", &british_citizen());
    let (created, request) = open_check(&fed, &direct_post_age_check()).await;
    assert_eq!(request.claims["response_mode"], "direct_post");
    assert!(request.claims["client_metadata"].get("jwks").is_none());
    let presentation = present(&fed, &credential, &request);
    let token = vp_token(&request, presentation).to_json_string();
    // An encrypted response is refused in this mode, without consuming the request.
    assert_refused(
        post_form(&fed, &request, &[("response", "a.b.c.d.e")]).await,
        "invalid_request",
        "invalid_response",
    )
    .await;
    let response = post_form(
        &fed,
        &request,
        &[("vp_token", &token), ("state", request.state())],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let check = fed.check(created["id"].as_str().unwrap()).await;
    assert_eq!(check["outcome"], "compliant", "{check}");
    fed.stop().await;
}

async fn a_holder_who_declines_fails_the_check(db: TestDb) {
    let fed = Federation::start(&db).await;
    let (created, request) = open_check(&fed, &json!({"template": "age_over_18"})).await;
    let response = answer_error(&fed, &request, "access_denied").await;
    assert_eq!(response.status(), StatusCode::OK);
    let check = fed.check(created["id"].as_str().unwrap()).await;
    assert_eq!(check["state"], "failed");
    assert_eq!(reason_codes(&check), ["holder_declined"]);
    assert!(check.get("claims").is_none());
    fed.stop().await;
}
