//! The operator's command line on the running verifier's database: a tenant is created, its
//! key attested by the trust framework, the attestation installed, and its API key used.

use idv_jose::SigningKey;
use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};
use verifier::cli::{CliError, Command, TenantArg, TenantCommand};
use verifier::tenants::TenantError;

use crate::helpers::{Federation, TenantCredentials, error_body};

test_on_both_databases!(a_tenant_is_created_attested_and_used_through_the_cli);

async fn a_tenant_is_created_attested_and_used_through_the_cli(db: TestDb) {
    let fed = Federation::start(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let jwk_file = dir.path().join("shop.jwk.json");
    let output = fed
        .run_cli(Command::Tenant(TenantCommand::Add {
            name: "Example Off-Licence Ltd".into(),
            client_id: "shop.example.co.uk".into(),
            jwk_out: Some(jwk_file.clone()),
            json: true,
        }))
        .await
        .unwrap();
    let created: Value = serde_json::from_str(&output).unwrap();
    let tenant_id = created["tenant"]["tenant_id"].as_str().unwrap().to_owned();
    let api_key = created["api_key"].as_str().unwrap().to_owned();
    assert!(api_key.starts_with("vk_"));
    assert_eq!(
        created["tenant"]["full_client_id"],
        "verifier_attestation:shop.example.co.uk"
    );
    let jwk: Value = serde_json::from_str(&std::fs::read_to_string(&jwk_file).unwrap()).unwrap();
    assert!(jwk.get("d").is_none(), "public key only");
    let shop = TenantCredentials {
        tenant_id: tenant_id.clone(),
        api_key: api_key.clone(),
        webhook_secret: created["webhook_secret"].as_str().unwrap().to_owned(),
    };

    // Not attested yet: no checks.
    let response = fed
        .post_check(&shop, &json!({"template": "age_over_18"}))
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);

    // The trust framework registers the shop for AGE only and attests its key.
    let rp_id = fed
        .operator()
        .add_relying_party(&json!({
            "organisation": {"name": "Example Off-Licence Ltd"},
            "client_id": "shop.example.co.uk",
            "purposes": [{"code": "AGE", "claims": [["age_over_18"], ["verification", "assurance_level"]]}]
        }))
        .await
        .unwrap();

    // An attestation of another key is refused.
    let other = SigningKey::generate().unwrap().public_key().to_jwk();
    let wrong = fed
        .operator()
        .attest(&rp_id, &serde_json::to_value(other).unwrap())
        .await
        .unwrap();
    let wrong_file = dir.path().join("wrong.jwt");
    std::fs::write(&wrong_file, wrong).unwrap();
    let refused = fed
        .run_cli(Command::Tenant(TenantCommand::Attest {
            tenant_id: tenant_id.clone(),
            file: wrong_file,
        }))
        .await;
    assert!(
        matches!(refused, Err(CliError::Tenant(TenantError::Attestation(_)))),
        "{refused:?}"
    );

    let attestation = fed.operator().attest(&rp_id, &jwk).await.unwrap();
    let file = dir.path().join("shop.jwt");
    std::fs::write(&file, format!("{attestation}\n")).unwrap();
    let output = fed
        .run_cli(Command::Tenant(TenantCommand::Attest {
            tenant_id: tenant_id.clone(),
            file,
        }))
        .await
        .unwrap();
    assert!(output.starts_with("Attestation installed"), "{output}");
    let listed = fed
        .run_cli(Command::Tenant(TenantCommand::List { json: false }))
        .await
        .unwrap();
    assert!(
        listed.contains(&tenant_id) && listed.contains("until"),
        "{listed}"
    );
    // The running server sees the CLI's change within `checks.tenant_cache_secs`.
    fed.clock
        .advance(i64::try_from(fed.verifier_config.checks.tenant_cache_secs).unwrap());

    // The API key works for the registered purpose, and only for it.
    let response = fed
        .post_check(&shop, &json!({"template": "age_over_18"}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let (_, description) = error_body(
        fed.post_check(&shop, &json!({"template": "right_to_work"}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(description.contains("not registered"), "{description}");

    // Rotation: a second key, then revoking all of them.
    let output = fed
        .run_cli(Command::Tenant(TenantCommand::ApiKey(TenantArg {
            tenant_id: tenant_id.clone(),
        })))
        .await
        .unwrap();
    let second = output.trim().rsplit(' ').next().unwrap().to_owned();
    let rotated = TenantCredentials {
        api_key: second,
        ..shop.clone()
    };
    assert_eq!(
        fed.get_as(&rotated, "/v1/templates").await.status(),
        StatusCode::OK
    );
    let secret = fed
        .run_cli(Command::Tenant(TenantCommand::WebhookSecret(TenantArg {
            tenant_id: tenant_id.clone(),
        })))
        .await
        .unwrap();
    assert_eq!(secret.trim(), shop.webhook_secret);
    fed.run_cli(Command::Tenant(TenantCommand::RevokeKeys(TenantArg {
        tenant_id,
    })))
    .await
    .unwrap();
    fed.clock
        .advance(i64::try_from(fed.verifier_config.checks.tenant_cache_secs).unwrap());
    for tenant in [&shop, &rotated] {
        assert_eq!(
            fed.get_as(tenant, "/v1/templates").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    fed.stop().await;
}
