//! Sign-ins that succeed: a right-to-work check read from a verified ID token and from
//! userinfo, an age check that discloses only its age claim, and a restart of the verifier at
//! every step. (A check that does not verify yields no code: `super::rejections`.)

use idv_jose::Clock as _;
use idv_test_support::{TestDb, test_on_both_databases};
use openidconnect::core::{CoreGenderClaim, CoreJsonWebKey};
use openidconnect::{AccessTokenHash, AuthType, OAuth2TokenResponse, UserInfoClaims};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::rp::{
    Browser, DvsClaims, Redeemed, RelyingParty, SignIn, back_to_client, http_client, open_handoff,
    register, wallet_presents,
};
use crate::helpers::{Federation, british_citizen};

test_on_both_databases!(
    an_openidconnect_client_signs_a_candidate_in_and_reads_the_right_to_work_outcome,
    an_age_sign_in_discloses_only_the_age_claim,
    a_restart_at_any_step_of_a_sign_in_loses_nothing,
);

const REDIRECT_URI: &str = "https://hr.employer.example.co.uk/oidc/callback";

async fn an_openidconnect_client_signs_a_candidate_in_and_reads_the_right_to_work_outcome(
    db: TestDb,
) {
    let fed = Federation::start(&db).await;
    let registered = register(&fed, REDIRECT_URI, &["right_to_work", "age_over_18"]).await;
    assert!(registered.client_secret.starts_with("ocs_"));
    assert_eq!(
        registered.output["tenant_id"],
        fed.tenant.tenant_id.as_str()
    );
    assert_eq!(registered.output["redirect_uris"], json!([REDIRECT_URI]));
    let rp = RelyingParty::discover(&fed, &registered).await;

    // The discovery document, as any client reads it.
    let discovery = fed.public_json("/.well-known/openid-configuration").await;
    assert_eq!(discovery["issuer"], fed.url(""));
    assert_eq!(
        discovery["code_challenge_methods_supported"],
        json!(["S256"])
    );
    assert_eq!(
        discovery["authorization_response_iss_parameter_supported"],
        true
    );
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        json!(["ES256"])
    );
    let scopes = discovery["scopes_supported"].as_array().unwrap();
    assert!(scopes.contains(&json!("openid")) && scopes.contains(&json!("right_to_work")));
    assert_eq!(
        rp.metadata.jwks().keys().len(),
        2,
        "evidence and ID token keys"
    );

    // The candidate's browser goes to the verifier, the wallet presents, the browser returns.
    let credential = fed.issue_identity("good", &british_citizen());
    let SignIn {
        pending,
        browser,
        page,
        wallet_reply,
        params,
    } = rp
        .sign_in(&fed, &registered, "right_to_work", &credential)
        .await;
    assert!(
        page.html.contains("Example Employer Hiring"),
        "{}",
        page.html
    );
    let (cookie_path, cookie) = &browser.cookies()[0];
    assert!(page.url.ends_with(cookie_path.as_str()) && cookie.starts_with("idv_oidc="));
    // The wallet on this device sends the person back to the same hand-off page.
    let back = wallet_reply["redirect_uri"].as_str().unwrap();
    assert!(
        back.starts_with(&format!("{}#response_code=", page.url)),
        "{back}"
    );

    // The employer's system exchanges the code (client_secret_basic, PKCE) and verifies.
    let Redeemed {
        tokens,
        id_token,
        claims,
    } = rp
        .redeem(&fed, AuthType::BasicAuth, &pending, &params["code"])
        .await;
    assert_eq!(tokens.expires_in().unwrap().as_secs(), 300);
    let scopes: Vec<String> = tokens
        .scopes()
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(scopes, ["openid", "right_to_work"]);
    let verifier = rp.id_token_verifier(&fed);
    let key: &CoreJsonWebKey = id_token.signing_key(&verifier).unwrap();
    let at_hash =
        AccessTokenHash::from_token(tokens.access_token(), id_token.signing_alg().unwrap(), key)
            .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&at_hash));
    assert_eq!(claims.auth_time().unwrap().timestamp(), fed.clock.now());

    // The outcome and the disclosed claims, under OpenID Connect's names where they exist.
    let check = &claims.additional_claims().dvs_check;
    let check_id = check["id"].as_str().unwrap();
    assert_eq!(claims.subject().as_str(), check_id);
    assert_eq!(
        check["template"],
        json!({"id": "right_to_work", "version": 2})
    );
    assert_eq!(check["state"], "completed");
    assert_eq!(check["outcome"], "awaiting_confirmation", "{check}");
    assert_eq!(check["compliant"], false);
    assert_eq!(check["reasons"], json!([]));
    assert_eq!(check["level_of_confidence"], "medium");
    assert_eq!(
        check["provider"]["register_id"],
        fed.providers["good"].entry_id.as_deref().unwrap()
    );
    assert!(check["evidence"].as_str().unwrap().split('.').count() == 3);
    assert!(check.get("claims").is_none() && check.get("reference").is_none());
    let given = claims.given_name().unwrap().get(None).unwrap();
    assert_eq!(given.as_str(), "Ada");
    assert_eq!(
        claims.family_name().unwrap().get(None).unwrap().as_str(),
        "Lovelace"
    );
    assert_eq!(claims.birthdate().unwrap().as_str(), "1990-12-10");
    let extra = claims.additional_claims();
    assert_eq!(extra.nationalities.as_deref(), Some(&["GB".to_owned()][..]));
    assert_eq!(extra.document.as_ref().unwrap()["type"], "passport");
    assert!(
        extra
            .portrait
            .as_deref()
            .unwrap()
            .starts_with("data:image/jpeg")
    );
    assert_eq!(extra.age_over_18, None);

    // The same from userinfo.
    let userinfo: UserInfoClaims<DvsClaims, CoreGenderClaim> = rp
        .client
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .unwrap()
        .request_async(&http_client(rp.http.clone()))
        .await
        .unwrap();
    assert_eq!(
        userinfo.given_name().unwrap().get(None).unwrap().as_str(),
        "Ada"
    );
    assert_eq!(
        userinfo.additional_claims().dvs_check["outcome"],
        "awaiting_confirmation"
    );
    assert_eq!(userinfo.additional_claims().dvs_check["id"], check_id);

    // The tenant's API shows the same check.
    let view = fed.check(check_id).await;
    assert_eq!(view["state"], "completed");
    assert_eq!(
        view["reference"],
        format!("oidc:{}", registered.client_id).as_str()
    );
    fed.stop().await;
}

async fn an_age_sign_in_discloses_only_the_age_claim(db: TestDb) {
    let fed = Federation::start(&db).await;
    let registered = register(&fed, REDIRECT_URI, &["age_over_18"]).await;
    let rp = RelyingParty::discover(&fed, &registered).await;
    let credential = fed.issue_age("good", &british_citizen());
    let SignIn {
        pending, params, ..
    } = rp
        .sign_in(&fed, &registered, "age_over_18", &credential)
        .await;

    // client_secret_post this time.
    let Redeemed {
        id_token, claims, ..
    } = rp
        .redeem(&fed, AuthType::RequestBody, &pending, &params["code"])
        .await;
    let raw = id_token.to_string();
    assert_eq!(claims.additional_claims().age_over_18, Some(true));
    assert_eq!(claims.additional_claims().dvs_check["outcome"], "compliant");
    assert!(claims.given_name().is_none() && claims.birthdate().is_none());
    // Neither the token nor the check record inside it carries anything else. (Searched as
    // decoded JSON: base64 signatures may contain any short string.)
    let claims_of = |jws: &str| -> Value {
        idv_jose::jws::UnverifiedJws::parse(jws)
            .unwrap()
            .insecure_claims()
            .unwrap()
    };
    let mut payload = claims_of(&raw);
    let evidence = payload["dvs_check"]
        .as_object_mut()
        .unwrap()
        .remove("evidence")
        .unwrap();
    let record = claims_of(evidence.as_str().unwrap());
    for text in [payload.to_string(), record.to_string()] {
        for personal in ["Ada", "Lovelace", "1990-12-10", "\"GB\""] {
            assert!(!text.contains(personal), "{personal} in {text}");
        }
    }
    fed.stop().await;
}

async fn a_restart_at_any_step_of_a_sign_in_loses_nothing(db: TestDb) {
    let mut fed = Federation::start(&db).await;
    let registered = register(&fed, REDIRECT_URI, &["right_to_work"]).await;
    let rp = RelyingParty::discover(&fed, &registered).await;
    let pending = rp.authorize("right_to_work");
    let mut browser = Browser::new();
    let page = open_handoff(&mut browser, pending.url.as_str()).await;

    fed.restart_verifier().await;
    let again = browser.get(&page.url).await;
    assert_eq!(again.status(), StatusCode::OK);
    let credential = fed.issue_identity("good", &british_citizen());
    wallet_presents(&fed, &page.wallet_url, &credential).await;
    fed.restart_verifier().await;
    let params = back_to_client(&fed, &mut browser, &page, &registered, &pending).await;
    fed.restart_verifier().await;
    // The ID token key survives the restart too: the keys discovered before still verify.
    rp.assert_redeems_to_a_check(&fed, &pending, &params["code"])
        .await;
    fed.stop().await;
}
