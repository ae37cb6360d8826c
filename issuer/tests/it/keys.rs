//! Signing key rotation: old public keys stay in `/.well-known/jwt-vc-issuer` until the last
//! credential they signed expires.

use std::sync::Arc;

use idv_jose::{Clock, SigningKey, SystemRandom};
use idv_service_kit::config::ServiceConfig as _;
use idv_test_support::{TestDb, test_on_both_databases};
use issuer::issuance::Issuer;
use issuer::store::Store;

use crate::helpers::{AGE, DAY, TestApp};

test_on_both_databases!(rotated_keys_stay_published_until_their_credentials_expire);

async fn issuer_of(app: &TestApp) -> (Issuer, Store) {
    let store = Store::connect(
        app.config.database_url().expose(),
        idv_service_kit::db::PoolSettings::with_max_connections(2),
    )
    .await
    .unwrap();
    let issuer = Issuer::open(
        store.clone(),
        Arc::clone(&app.clock) as Arc<dyn Clock>,
        Arc::new(SystemRandom),
        app.config.issuer_settings().unwrap(),
    )
    .await
    .unwrap();
    (issuer, store)
}

async fn kids(app: &TestApp) -> Vec<String> {
    let mut kids: Vec<String> = app
        .wallet()
        .issuer_keys()
        .await
        .keys
        .into_iter()
        .map(|k| k.kid.unwrap())
        .collect();
    kids.sort();
    kids
}

async fn issue_one(app: &TestApp) -> String {
    let (_, access_token) = app.access_token(&[AGE]).await;
    let wallet = app.wallet();
    let holder = SigningKey::generate().unwrap();
    let held = wallet.issue_held(&access_token, AGE, &holder).await;
    assert_eq!(
        wallet.status(&held).await,
        idv_status_list::Status::Valid,
        "the status list verifies with a published key"
    );
    held.header().kid().unwrap().to_owned()
}

async fn rotated_keys_stay_published_until_their_credentials_expire(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let (issuer, store) = issuer_of(&app).await;
    let first = issue_one(&app).await;
    assert_eq!(kids(&app).await, std::slice::from_ref(&first));

    let rotation = issuer.keys().rotate_signing_key().await.unwrap();
    assert_eq!(rotation.retired_kid.as_deref(), Some(first.as_str()));
    let second = issue_one(&app).await;
    assert_eq!(
        second, rotation.active_kid,
        "new credentials use the new key"
    );
    let mut both = vec![first.clone(), second.clone()];
    both.sort();
    assert_eq!(
        kids(&app).await,
        both,
        "the old key still verifies live credentials"
    );

    // A key that signed nothing stays only as long as status tokens it signed may be cached.
    let third = issuer.keys().rotate_signing_key().await.unwrap().active_kid;
    app.clock.advance(2 * DAY);
    let mut live = vec![first.clone(), second.clone(), third.clone()];
    live.sort();
    assert_eq!(kids(&app).await, live, "both signed live credentials");
    let fourth = issuer.keys().rotate_signing_key().await.unwrap().active_kid;
    app.clock.advance(2 * DAY);
    let mut expected = vec![first.clone(), second.clone(), fourth.clone()];
    expected.sort();
    assert_eq!(kids(&app).await, expected, "the unused third key is gone");

    // Age credentials live 90 days: past that, only the active key remains.
    app.clock.advance(90 * DAY);
    assert_eq!(kids(&app).await, [fourth]);
    store.close().await;
}

test_on_both_databases!(keys_are_sealed_at_rest_and_keys_in_clear_are_sealed_at_start_up);

/// The stored text of every signing key.
async fn stored_keys(store: &Store) -> Vec<String> {
    sqlx::query_scalar("SELECT private_jwk FROM signing_keys ORDER BY created_at, kid")
        .fetch_all(store.database().pool())
        .await
        .unwrap()
}

async fn keys_are_sealed_at_rest_and_keys_in_clear_are_sealed_at_start_up(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let (kek, text) = idv_jose::KeyEncryptionKey::generate().unwrap();
    std::fs::write(dir.path().join("issuer.kek"), text).unwrap();
    let mut config = crate::helpers::test_config(&db);
    config.keys.kek_file = Some(dir.path().join("issuer.kek"));
    let clock: Arc<dyn Clock> = Arc::new(idv_jose::ManualClock::new(crate::helpers::T0));
    let open = |store: Store| {
        Issuer::open(
            store,
            Arc::clone(&clock),
            Arc::new(SystemRandom),
            config.issuer_settings().unwrap(),
        )
    };

    let store = Store::open_configured(&config).await.unwrap();
    let issuer = open(store.clone()).await.unwrap();
    let first = issuer.keys().active_key().await.unwrap();
    let stored = stored_keys(&store).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(
        idv_jose::kek::sealed_with(&stored[0]).as_deref(),
        Some(kek.id())
    );
    assert!(!stored[0].contains("\"d\""));

    // A database from before keys were sealed: the key in clear.
    let plain = serde_json::to_string(&first.key.to_private_jwk()).unwrap();
    assert!(plain.contains("\"d\""));
    sqlx::query("UPDATE signing_keys SET private_jwk = $1")
        .bind(&plain)
        .execute(store.database().pool())
        .await
        .unwrap();
    store.close().await;

    // Start-up seals it, and the same key signs on.
    let store = Store::open_configured(&config).await.unwrap();
    let stored = stored_keys(&store).await;
    assert_eq!(
        idv_jose::kek::sealed_with(&stored[0]).as_deref(),
        Some(kek.id())
    );
    let issuer = open(store.clone()).await.unwrap();
    assert_eq!(issuer.keys().active_key().await.unwrap().kid, first.kid);

    // Rotation seals the new key too.
    let rotation = issuer.keys().rotate_signing_key().await.unwrap();
    assert_eq!(rotation.retired_kid.as_deref(), Some(first.kid.as_str()));
    assert_eq!(
        issuer.keys().active_key().await.unwrap().kid,
        rotation.active_kid
    );
    for text in stored_keys(&store).await {
        assert_eq!(idv_jose::kek::sealed_with(&text).as_deref(), Some(kek.id()));
    }
    store.close().await;

    // Another key-encryption key: start-up fails, naming both.
    let (other, text) = idv_jose::KeyEncryptionKey::generate().unwrap();
    std::fs::write(dir.path().join("other.kek"), text).unwrap();
    config.keys.kek_file = Some(dir.path().join("other.kek"));
    let error = Store::open_configured(&config).await.unwrap_err();
    assert!(
        matches!(
            &error,
            issuer::store::StoreError::Keys(idv_keystore::KeyStoreError::WrongKek {
                sealed_with,
                configured,
            }) if sealed_with == kek.id() && configured == other.id()
        ),
        "{error}"
    );
}
