//! The well-known documents wallets and verifiers discover the issuer by.

use idv_proto::oid4vci::authorization_server_metadata::AuthorizationServerMetadata;
use idv_proto::oid4vci::issuer_metadata::CredentialIssuerMetadata;
use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{AGE, IDENTITY, PUBLIC_URL, TestApp, test_config};

test_on_both_databases!(
    metadata_documents_describe_the_issuer_exactly,
    well_known_documents_follow_the_identifier_path
);

async fn get_json(app: &TestApp, path: &str) -> Value {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    response.json().await.unwrap()
}

async fn metadata_documents_describe_the_issuer_exactly(db: TestDb) {
    let app = TestApp::spawn(&db).await;

    let json = get_json(&app, "/.well-known/openid-credential-issuer").await;
    let metadata: CredentialIssuerMetadata = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(metadata.credential_issuer, PUBLIC_URL);
    assert_eq!(
        metadata.authorization_servers, None,
        "its own authorization server"
    );
    assert_eq!(
        metadata.credential_endpoint,
        format!("{PUBLIC_URL}/credential")
    );
    assert_eq!(
        metadata.nonce_endpoint.as_deref(),
        Some(format!("{PUBLIC_URL}/nonce").as_str())
    );
    assert_eq!(json["batch_credential_issuance"]["batch_size"], 10);
    let configurations = &json["credential_configurations_supported"];
    for (id, vct) in [
        (IDENTITY, "urn:dvs:vct:uk-identity:1"),
        (AGE, "urn:dvs:vct:uk-age:1"),
    ] {
        let c = &configurations[id];
        assert_eq!(c["format"], "dc+sd-jwt");
        assert_eq!(c["vct"], vct);
        assert_eq!(c["scope"], id);
        assert_eq!(
            c["credential_signing_alg_values_supported"],
            serde_json::json!(["ES256"])
        );
        assert_eq!(
            c["cryptographic_binding_methods_supported"],
            serde_json::json!(["jwk"])
        );
        assert_eq!(
            c["proof_types_supported"],
            serde_json::json!({"jwt": {"proof_signing_alg_values_supported": ["ES256"]}})
        );
        assert!(
            !c["credential_metadata"]["display"][0]["name"]
                .as_str()
                .unwrap()
                .is_empty()
        );
    }
    let age_claims: Vec<Value> = configurations[AGE]["credential_metadata"]["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].clone())
        .collect();
    assert_eq!(
        age_claims,
        [
            serde_json::json!(["age_over_16"]),
            serde_json::json!(["age_over_18"]),
            serde_json::json!(["age_over_21"]),
            serde_json::json!(["age_over_25"]),
            serde_json::json!(["verification", "trust_framework"]),
            serde_json::json!(["verification", "assurance_level"]),
        ]
    );

    let json = get_json(&app, "/.well-known/oauth-authorization-server").await;
    let authorization_server: AuthorizationServerMetadata =
        serde_json::from_value(json.clone()).unwrap();
    assert_eq!(authorization_server.issuer, PUBLIC_URL);
    assert_eq!(
        authorization_server.token_endpoint.as_deref(),
        Some(format!("{PUBLIC_URL}/token").as_str())
    );
    assert_eq!(
        authorization_server.grant_types_supported,
        Some(vec![
            "urn:ietf:params:oauth:grant-type:pre-authorized_code".to_owned()
        ])
    );
    assert_eq!(
        authorization_server.pre_authorized_grant_anonymous_access_supported,
        Some(true)
    );
    assert_eq!(
        json["authorization_details_types_supported"][0],
        "openid_credential"
    );

    let json = get_json(&app, "/.well-known/jwt-vc-issuer").await;
    assert_eq!(json["issuer"], PUBLIC_URL);
    let keys = json["jwks"]["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["alg"], "ES256");
    assert!(keys[0].get("d").is_none(), "never the private key");
    let key = idv_jose::PublicKey::from_jwk_value(&keys[0]).unwrap();
    assert_eq!(keys[0]["kid"], key.thumbprint());

    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

async fn well_known_documents_follow_the_identifier_path(db: TestDb) {
    let mut config = test_config(&db);
    config.http.public_url = "https://idsp.example/tenant-7".into();
    let app = TestApp::spawn_with(config).await;
    for well_known in [
        "openid-credential-issuer",
        "oauth-authorization-server",
        "jwt-vc-issuer",
    ] {
        // Inserted between host and path, as OpenID4VCI, RFC 8414 and SD-JWT VC require.
        let json = get_json(&app, &format!("/.well-known/{well_known}/tenant-7")).await;
        let identifier = json
            .get("credential_issuer")
            .or_else(|| json.get("issuer"))
            .unwrap();
        assert_eq!(identifier, "https://idsp.example/tenant-7");
    }
    let json = get_json(&app, "/.well-known/openid-credential-issuer/tenant-7").await;
    assert_eq!(
        json["credential_endpoint"],
        "https://idsp.example/tenant-7/credential"
    );
    let response = app
        .client
        .get(app.url("/.well-known/openid-credential-issuer/other"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
