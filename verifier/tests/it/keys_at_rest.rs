//! Private keys at rest: every key the verifier stores (evidence and ID token keys, tenants'
//! request-signing keys, the per-check ECDH-ES decryption keys) is sealed under the
//! key-encryption key; keys found in clear (a database from before keys were sealed) are
//! sealed at start-up, and an open check made before still completes.

use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::json;
use verifier::store::Store;

use crate::helpers::{Federation, british_citizen};
use crate::wallet::{fetch_request, present, respond, vp_token};

test_on_both_databases!(keys_in_clear_are_sealed_at_start_up_and_an_open_check_completes);

/// `(table, id column, private key column)`.
const COLUMNS: [(&str, &str, &str); 3] = [
    ("service_keys", "kid", "private_jwk"),
    ("tenants", "tenant_id", "signing_key"),
    ("checks", "check_id", "decryption_key"),
];

/// Every stored private key: `(table, id, text)`, erased ones left out.
async fn stored_keys(store: &Store) -> Vec<(&'static str, String, String)> {
    let mut keys = Vec::new();
    for (table, id, column) in COLUMNS {
        let rows: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {id}, {column} FROM {table} WHERE {column} IS NOT NULL AND {column} <> '' \
             ORDER BY {id}"
        )))
        .fetch_all(store.database().pool())
        .await
        .unwrap();
        keys.extend(rows.into_iter().map(|(id, text)| (table, id, text)));
    }
    keys
}

async fn keys_in_clear_are_sealed_at_start_up_and_an_open_check_completes(db: TestDb) {
    let mut fed = Federation::start(&db).await;
    let created = fed
        .create_check(&json!({"template": "right_to_work"}))
        .await;

    let store = Store::open_configured(&fed.verifier_config).await.unwrap();
    let sealed = stored_keys(&store).await;
    let tables: Vec<&str> = sealed.iter().map(|(table, _, _)| *table).collect();
    for table in ["service_keys", "tenants", "checks"] {
        assert!(tables.contains(&table), "{table}: {tables:?}");
    }
    let kek = store.keys().kek_id().to_owned();
    for (table, _, text) in &sealed {
        assert_eq!(
            idv_jose::kek::sealed_with(text).as_deref(),
            Some(kek.as_str()),
            "{table}"
        );
    }

    // Put every key back in clear, as a database from before this change held them.
    for (table, id, text) in &sealed {
        let jwk = if *table == "checks" {
            store.keys().decryption_key(text).unwrap().to_private_jwk()
        } else {
            store.keys().signing_key(text).unwrap().to_private_jwk()
        };
        let (_, id_column, column) = COLUMNS.iter().find(|(t, _, _)| t == table).unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET {column} = $1 WHERE {id_column} = $2"
        )))
        .bind(serde_json::to_string(&jwk).unwrap())
        .bind(id)
        .execute(store.database().pool())
        .await
        .unwrap();
    }
    assert!(
        stored_keys(&store)
            .await
            .iter()
            .all(|(_, _, text)| text.contains("\"d\""))
    );
    store.close().await;

    // The restart seals them again: the same keys, sealed.
    fed.restart_verifier().await;
    let store = Store::open_configured(&fed.verifier_config).await.unwrap();
    let resealed = stored_keys(&store).await;
    assert_eq!(resealed.len(), sealed.len());
    for ((table, id, text), (_, before_id, before)) in resealed.iter().zip(&sealed) {
        assert_eq!(id, before_id);
        assert!(idv_jose::kek::sealed_with(text).is_some(), "{table}");
        assert_eq!(
            store.keys().public_jwk(text).unwrap(),
            store.keys().public_jwk(before).unwrap(),
            "{table}: the same key"
        );
    }
    store.close().await;

    // The check opened before the restart completes: its response is encrypted to the key
    // that was in clear and is now sealed.
    let credential = fed.issue_identity("good", &british_citizen());
    let request = fetch_request(&fed, created["wallet_url"].as_str().unwrap()).await;
    let presentation = present(&fed, &credential, &request);
    let response = respond(&fed, &request, vp_token(&request, presentation)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let check = fed.check(created["id"].as_str().unwrap()).await;
    assert_eq!(check["outcome"], "awaiting_confirmation", "{check:#}");
}
