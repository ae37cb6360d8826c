//! `receive`: the OpenID4VCI pre-authorized flow against the project's issuer.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::helpers::{
    AGE, AGE_VCT, Federation, IDENTITY, IDENTITY_VCT, IDSP_NAME, Server, Wallet, closed_port,
};

#[tokio::test]
async fn a_batch_of_credentials_with_distinct_holder_keys_is_received() {
    let federation = Federation::start().await;
    let wallet = federation.wallet();
    let (offer, identity) = federation.issuer.offer(&[IDENTITY, AGE]).await;

    let received = wallet.receive(&offer, 3).await;

    let credentials = received["credentials"].as_array().unwrap();
    assert_eq!(credentials.len(), 2, "{received}");
    let types: Vec<&str> = credentials
        .iter()
        .map(|c| c["vct"].as_str().unwrap())
        .collect();
    assert_eq!(types, [IDENTITY_VCT, AGE_VCT]);
    for credential in credentials {
        assert_eq!(credential["copies"], 3);
        assert_eq!(credential["requested"], 3);
        assert_eq!(credential["iss"], federation.issuer_iss.as_str());
        assert_eq!(credential["issuer_key_source"], "trust_list");
        let issuer = &credential["issuer"];
        assert_eq!(issuer["on_trust_list"], true);
        assert_eq!(issuer["organisation"], IDSP_NAME);
        assert_eq!(issuer["status"], "certified");
    }
    assert_eq!(
        credentials[0]["issuer"]["trusted_for"],
        serde_json::json!(["RTW", "AGE"])
    );

    // Six copies, six holder keys: on the issuer's side and in the wallet's database.
    let mut thumbprints = federation.issuer.holder_thumbprints(&identity).await;
    assert_eq!(thumbprints.len(), 6);
    thumbprints.sort_unstable();
    thumbprints.dedup();
    assert_eq!(thumbprints.len(), 6, "every copy has its own holder key");

    let store = wallet.store().await;
    let mut held = Vec::new();
    for credential in credentials {
        for copy in store
            .copies(credential["id"].as_str().unwrap())
            .await
            .unwrap()
        {
            let jwk: idv_jose::Jwk = serde_json::from_str(&copy.stored.holder_key).unwrap();
            let key = idv_jose::SigningKey::from_jwk(&jwk).unwrap();
            let cnf =
                idv_jose::PublicKey::from_jwk_value(&copy.stored.claims["cnf"]["jwk"]).unwrap();
            assert_eq!(
                key.public_key(),
                &cnf,
                "each copy is bound to its stored key"
            );
            held.push(key.public_key().thumbprint());
            // The private key never leaves the database.
            assert!(!received.to_string().contains(jwk.d.as_deref().unwrap()));
        }
    }
    held.sort_unstable();
    assert_eq!(held, thumbprints);
    store.close().await;
    federation.stop().await;
}

#[tokio::test]
async fn a_wrong_tx_code_is_reported_and_the_right_one_still_works() {
    let federation = Federation::start().await;
    let wallet = federation.wallet();
    let (offer, _) = federation.issuer.offer(&[AGE]).await;
    let link = offer["offer_link"].as_str().unwrap();
    let right = offer["tx_code"].as_str().unwrap();
    let wrong: String = right
        .chars()
        .map(|c| if c == '0' { '1' } else { '0' })
        .collect();

    let run = wallet.run(&["receive", link, "--tx-code", &wrong]).await;
    let (status, code, message) = run.err();
    assert_eq!((status, code.as_str()), (5, "tx_code_or_offer_rejected"));
    assert!(message.contains("tx_code is wrong"), "{message}");
    assert!(message.contains("Check the transaction code"), "{message}");

    let missing = wallet.run(&["receive", link]).await;
    let (status, code, message) = missing.err();
    assert_eq!((status, code.as_str()), (2, "tx_code_required"));
    assert!(message.contains("--tx-code"), "{message}");

    let received = wallet
        .run(&["receive", link, "--tx-code", right])
        .await
        .ok();
    assert_eq!(received["credentials"][0]["vct"], AGE_VCT);
    federation.stop().await;
}

#[tokio::test]
async fn an_expired_offer_is_reported_as_expired() {
    let federation = Federation::start().await;
    let wallet = federation.wallet();
    let (offer, _) = federation.issuer.offer(&[AGE]).await;
    // The same offer by value, as another issuer might send it: fetched before it expires.
    let uri = offer["credential_offer_uri"].as_str().unwrap();
    let by_value: Value = reqwest::get(uri).await.unwrap().json().await.unwrap();
    let by_value_link = format!(
        "openid-credential-offer://?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("credential_offer", &by_value.to_string())
            .finish()
    );
    federation.issuer.clock.advance(16 * 60);
    let tx_code = offer["tx_code"].as_str().unwrap();

    let by_reference = wallet
        .run(&[
            "receive",
            offer["offer_link"].as_str().unwrap(),
            "--tx-code",
            tx_code,
        ])
        .await;
    let (status, code, message) = by_reference.err();
    assert_eq!((status, code.as_str()), (5, "offer_unavailable"));
    assert!(message.contains("expired"), "{message}");

    let run = wallet
        .run(&["receive", &by_value_link, "--tx-code", tx_code])
        .await;
    let (status, _, message) = run.err();
    assert_eq!(status, 5);
    assert!(
        message.contains("the pre-authorized code expired"),
        "{message}"
    );
    assert_eq!(
        wallet.run(&["list"]).await.ok()["credentials"],
        serde_json::json!([])
    );
    federation.stop().await;
}

#[tokio::test]
async fn bad_links_and_unreachable_issuers_are_clear_errors() {
    let federation = Federation::start().await;
    let wallet = federation.wallet();
    for bad in ["not a link", "openid-credential-offer://?foo=bar"] {
        let (status, code, _) = wallet.run(&["receive", bad]).await.err();
        assert_eq!((status, code.as_str()), (2, "invalid_link"), "{bad}");
    }
    let port = closed_port();
    let link = format!(
        "openid-credential-offer://?credential_offer_uri=http%3A%2F%2F127.0.0.1%3A{port}%2Fcredential-offer%2Fx"
    );
    let (status, code, message) = wallet.run(&["receive", &link]).await.err();
    assert_eq!((status, code.as_str()), (4, "unreachable"));
    assert!(message.contains("cannot reach the issuer"), "{message}");
    federation.stop().await;
}

/// An issuer stub at `<base>/tenant/1` that answers only at the well-known URLs built by
/// insertion (RFC 8615 / OpenID4VCI), and refuses the code at its token endpoint.
async fn stub(
    State(state): State<(String, Arc<Mutex<Vec<String>>>)>,
    uri: Uri,
) -> axum::response::Response {
    let (issuer, seen) = state;
    seen.lock().unwrap().push(uri.path().to_owned());
    let base = issuer.trim_end_matches("/tenant/1");
    match uri.path() {
        "/.well-known/openid-credential-issuer/tenant/1" => axum::Json(json!({
            "credential_issuer": issuer,
            "credential_endpoint": format!("{issuer}/credential"),
            "nonce_endpoint": format!("{issuer}/nonce"),
            "credential_configurations_supported": {
                "age": {
                    "format": "dc+sd-jwt", "vct": AGE_VCT,
                    "cryptographic_binding_methods_supported": ["jwk"],
                    "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["ES256"]}}
                },
                // A configuration this wallet does not model must not spoil the offer.
                "mdl": {"format": "mso_mdoc", "doctype": "org.iso.18013.5.1.mDL",
                        "credential_signing_alg_values_supported": [-7]}
            }
        }))
        .into_response(),
        "/.well-known/oauth-authorization-server/tenant/1" => axum::Json(json!({
            "issuer": issuer,
            "token_endpoint": format!("{base}/tenant/1/token"),
        }))
        .into_response(),
        "/tenant/1/token" => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "invalid_grant", "error_description": "stub refuses every code"})),
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

#[tokio::test]
async fn an_issuer_identifier_with_a_path_is_discovered_by_inserting_the_well_known_segment() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}/tenant/1", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let router = axum::Router::new()
        .fallback(stub)
        .with_state((issuer.clone(), Arc::clone(&seen)));
    let mut server = Server::spawn(move |stopped| async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(stopped)
            .await
    });
    let offer = json!({
        "credential_issuer": issuer,
        "credential_configuration_ids": ["age"],
        "grants": {"urn:ietf:params:oauth:grant-type:pre-authorized_code": {"pre-authorized_code": "c"}}
    });
    let link = format!(
        "openid-credential-offer://?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("credential_offer", &offer.to_string())
            .finish()
    );

    let (status, code, message) = Wallet::unconfigured().run(&["receive", &link]).await.err();

    assert_eq!((status, code.as_str()), (5, "offer_rejected"), "{message}");
    assert!(message.contains("stub refuses every code"), "{message}");
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "/.well-known/openid-credential-issuer/tenant/1",
            "/.well-known/oauth-authorization-server/tenant/1",
            "/tenant/1/token",
        ]
    );
    server.stop().await.unwrap();
}
