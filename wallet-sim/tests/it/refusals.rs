//! Requests the wallet must refuse, from a verifier that misbehaves; and a well-behaved
//! request from the same independent verifier, which decrypts and verifies the answer itself.

use idv_jose::{PublicKey, SigningKey};
use idv_sdjwt::key_binding::KeyBindingPolicy;
use idv_sdjwt::verify::{UnverifiedSdJwt, VerifyPolicy};
use serde_json::{Value, json};

use crate::helpers::{AGE, AGE_VCT, Federation, IDENTITY, IDENTITY_VCT, real_now};
use crate::rogue::Rogue;

const SHOP: &str = "shop.example.co.uk";

fn age_purpose() -> Value {
    json!([{"code": "AGE", "claims": [["age_over_18"]]}])
}

fn age_query() -> Value {
    json!({"credentials": [{"id": "age", "format": "dc+sd-jwt",
        "meta": {"vct_values": [AGE_VCT]}, "claims": [{"path": ["age_over_18"]}]}]})
}

async fn wallet_with_credentials(federation: &Federation, ids: &[&str]) -> crate::helpers::Wallet {
    let wallet = federation.wallet();
    let (offer, _) = federation.issuer.offer(ids).await;
    wallet.receive(&offer, 2).await;
    wallet
}

#[tokio::test]
async fn a_shop_asking_beyond_its_registered_purpose_is_refused_and_told() {
    let federation = Federation::start().await;
    let wallet = wallet_with_credentials(&federation, &[IDENTITY, AGE]).await;
    let shop = Rogue::start(&federation, SHOP, age_purpose()).await;
    let query = json!({"credentials": [
        {"id": "age", "format": "dc+sd-jwt", "meta": {"vct_values": [AGE_VCT]},
         "claims": [{"path": ["age_over_18"]}]},
        {"id": "who", "format": "dc+sd-jwt", "meta": {"vct_values": [IDENTITY_VCT]},
         "claims": [{"path": ["given_name"]}, {"path": ["birthdate"]}]}
    ]});
    let link = shop.publish(
        "r1",
        shop.sign(&shop.claims("r1", query), &shop.key, &shop.attestation),
    );

    let run = wallet.run(&["present", &link, "--approve"]).await;

    let (status, code, message) = run.err();
    assert_eq!((status, code.as_str()), (6, "beyond_registered_purpose"));
    assert!(message.contains("Example Off-Licence Ltd"), "{message}");
    assert!(
        message.contains(r#"["given_name"], ["birthdate"]"#),
        "names the claims: {message}"
    );
    assert!(message.contains(r#"AGE: ["age_over_18"]"#), "{message}");
    let responses = shop.responses("r1");
    assert_eq!(responses.len(), 1, "the shop is told");
    let answer = shop.decrypt(&responses[0]);
    assert_eq!(answer["error"], "access_denied");
    assert_eq!(answer["state"], "state-r1");
    assert!(answer.get("vp_token").is_none());
    shop.stop().await;
    federation.stop().await;
}

#[tokio::test]
async fn a_request_with_a_bad_signature_is_refused_and_nothing_is_sent() {
    let federation = Federation::start().await;
    let wallet = wallet_with_credentials(&federation, &[AGE]).await;
    let shop = Rogue::start(&federation, SHOP, age_purpose()).await;
    let impostor = SigningKey::generate().unwrap();
    let link = shop.publish(
        "r1",
        shop.sign(
            &shop.claims("r1", age_query()),
            &impostor,
            &shop.attestation,
        ),
    );

    let (status, code, message) = wallet.run(&["present", &link, "--approve"]).await.err();

    assert_eq!((status, code.as_str()), (6, "bad_request_signature"));
    assert!(message.contains("signature"), "{message}");
    assert!(
        shop.responses("r1").is_empty(),
        "an unauthenticated request gets no answer"
    );
    shop.stop().await;
    federation.stop().await;
}

#[tokio::test]
async fn untrusted_attestations_expired_requests_and_other_prefixes_are_refused() {
    let federation = Federation::start().await;
    let wallet = wallet_with_credentials(&federation, &[AGE]).await;
    let shop = Rogue::start(&federation, SHOP, age_purpose()).await;

    // An attestation the shop made itself, with a key no wallet pins.
    let self_made = {
        let fake_anchor = SigningKey::generate().unwrap();
        let claims: Value = serde_json::from_slice(
            &idv_jose::base64url::decode(shop.attestation.split('.').nth(1).unwrap()).unwrap(),
        )
        .unwrap();
        let claims = serde_json::from_value(claims).unwrap();
        idv_trust::attestation::issue_verifier_attestation(&claims, &fake_anchor).unwrap()
    };
    let link = shop.publish(
        "forged",
        shop.sign(&shop.claims("forged", age_query()), &shop.key, &self_made),
    );
    let (status, code, message) = wallet.run(&["present", &link, "--approve"]).await.err();
    assert_eq!(
        (status, code.as_str()),
        (6, "untrusted_verifier"),
        "{message}"
    );

    let mut stale = shop.claims("stale", age_query());
    stale["iat"] = json!(real_now() - 900);
    stale["exp"] = json!(real_now() - 600);
    let link = shop.publish("stale", shop.sign(&stale, &shop.key, &shop.attestation));
    let (status, code, _) = wallet.run(&["present", &link, "--approve"]).await.err();
    assert_eq!((status, code.as_str()), (6, "request_expired"));

    let link = shop.link(
        "x509_hash:Uvo3HtuIxuhC92rShpgqcT3YXwrqRxWEviRiA0OZszk",
        "stale",
    );
    let (status, code, _) = wallet.run(&["present", &link, "--approve"]).await.err();
    assert_eq!((status, code.as_str()), (6, "unsupported_client_id"));

    for id in ["forged", "stale"] {
        assert!(shop.responses(id).is_empty(), "{id}");
    }
    shop.stop().await;
    federation.stop().await;
}

#[tokio::test]
async fn without_a_matching_credential_the_verifier_gets_access_denied() {
    let federation = Federation::start().await;
    let wallet = wallet_with_credentials(&federation, &[IDENTITY]).await;
    let shop = Rogue::start(&federation, SHOP, age_purpose()).await;
    let link = shop.publish(
        "r1",
        shop.sign(
            &shop.claims("r1", age_query()),
            &shop.key,
            &shop.attestation,
        ),
    );

    let (status, code, message) = wallet.run(&["present", &link, "--approve"]).await.err();

    assert_eq!((status, code.as_str()), (6, "no_matching_credential"));
    assert!(message.contains(AGE_VCT), "{message}");
    let answer = shop.decrypt(&shop.responses("r1")[0]);
    assert_eq!(answer["error"], "access_denied");
    shop.stop().await;
    federation.stop().await;
}

#[tokio::test]
async fn an_independent_verifier_can_decrypt_and_verify_what_the_wallet_sends() {
    let federation = Federation::start().await;
    let wallet = wallet_with_credentials(&federation, &[IDENTITY, AGE]).await;
    let shop = Rogue::start(&federation, SHOP, age_purpose()).await;
    let mut claims = shop.claims("r1", age_query());
    claims["nonce"] = json!("n-0S6_WzA2Mj");
    let link = shop.publish("r1", shop.sign(&claims, &shop.key, &shop.attestation));

    let outcome = wallet.run(&["present", &link, "--approve"]).await.ok();
    assert_eq!(outcome["outcome"], "shared");

    let responses = shop.responses("r1");
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].keys().collect::<Vec<_>>(), ["response"]);
    let answer = shop.decrypt(&responses[0]);
    assert_eq!(answer["state"], "state-r1");
    let presentations = answer["vp_token"]["age"].as_array().unwrap();
    assert_eq!(presentations.len(), 1);
    let presentation = presentations[0].as_str().unwrap();

    // The issuer's key, from its own JWT VC Issuer Metadata.
    let metadata: Value = reqwest::get(format!(
        "{}/.well-known/jwt-vc-issuer",
        federation.issuer_iss
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let unverified = UnverifiedSdJwt::parse(presentation).unwrap();
    let kid = unverified.header().kid().unwrap().to_owned();
    let jwks: idv_jose::JwkSet = serde_json::from_value(metadata["jwks"].clone()).unwrap();
    let issuer_key = PublicKey::from_jwk(jwks.find(&kid).unwrap()).unwrap();
    let verified = unverified
        .verify(
            &issuer_key,
            &VerifyPolicy {
                typ: &["dc+sd-jwt"],
                now: real_now(),
                skew: 60,
                key_binding: Some(KeyBindingPolicy {
                    audience: &shop.client_id,
                    nonce: "n-0S6_WzA2Mj",
                    max_age: 300,
                }),
            },
        )
        .unwrap();
    assert_eq!(verified.claims()["age_over_18"], true);
    assert_eq!(verified.claims()["vct"], AGE_VCT);
    let disclosed: Vec<String> = verified
        .disclosed_paths()
        .iter()
        .map(|p| format!("{p:?}"))
        .collect();
    assert_eq!(
        disclosed.len(),
        1,
        "only age_over_18 is disclosed: {disclosed:?}"
    );
    shop.stop().await;
    federation.stop().await;
}
