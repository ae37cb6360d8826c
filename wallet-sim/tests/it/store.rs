//! The wallet's store on SQLite and PostgreSQL: batches and copies, which copy is presented
//! next, the presentation log, deletion, and the trust list rollback state table.

use idv_proto::claims_path::ClaimsPath;
use idv_test_support::{TestDb, test_on_both_databases};
use serde_json::json;
use wallet_sim::store::Store;
use wallet_sim::store::credentials::{NewBatch, NewCopy};
use wallet_sim::store::presentations::PresentationRecord;

fn batch(id: &str, received_at: i64) -> NewBatch {
    NewBatch {
        batch_id: id.into(),
        credential_issuer: "http://127.0.0.1:9".into(),
        configuration_id: "uk_age".into(),
        format: "dc+sd-jwt".into(),
        vct: "urn:dvs:vct:uk-age:1".into(),
        iss: Some("http://127.0.0.1:9".into()),
        issuer_jwk: r#"{"kty":"EC"}"#.into(),
        issuer_key_source: "trust_list".into(),
        display_name: Some("Age".into()),
        received_at,
    }
}

fn copy(position: i64, expires_at: Option<i64>) -> NewCopy {
    NewCopy {
        position,
        sd_jwt: format!("jwt-{position}~"),
        claims: json!({"age_over_18": true, "position": position}),
        holder_key: format!(r#"{{"d":"secret-{position}"}}"#),
        expires_at,
        status: Some(("http://127.0.0.1:9/status-lists/1".into(), 40 + position)),
    }
}

test_on_both_databases!(
    batches_count_their_copies_and_present_unused_ones_first,
    expired_copies_are_not_presentable,
    deleting_a_batch_removes_its_copies_keys_and_log,
    the_trust_list_state_table_is_the_one_idv_fetch_uses,
);

async fn batches_count_their_copies_and_present_unused_ones_first(db: TestDb) {
    let store = Store::open(db.url()).await.unwrap();
    store
        .insert_batch(
            &batch("aaaa", 100),
            &[copy(1, Some(5000)), copy(2, Some(4000)), copy(3, None)],
        )
        .await
        .unwrap();
    let batches = store.batches().await.unwrap();
    assert_eq!(batches.len(), 1);
    assert_eq!((batches[0].copies, batches[0].unused), (3, 3));
    assert_eq!(batches[0].expires_at, Some(4000));

    let next = |store: Store| async move {
        let presentable = store.presentable_copies(1000).await.unwrap();
        assert_eq!(presentable.len(), 1, "one copy per batch");
        presentable[0].1.clone()
    };
    let first = next(store.clone()).await;
    assert_eq!(first.stored.position, 1);
    assert_eq!(
        first.stored.status,
        Some(("http://127.0.0.1:9/status-lists/1".into(), 41))
    );
    assert_eq!(first.stored.claims["position"], 1);
    store
        .mark_presented(&first.credential_id, 1000)
        .await
        .unwrap();
    assert_eq!(next(store.clone()).await.stored.position, 2);
    store.mark_presented("aaaa-2", 1001).await.unwrap();
    store.mark_presented("aaaa-3", 1002).await.unwrap();
    // All used: the least presented, then the earliest, again.
    let again = next(store.clone()).await;
    assert_eq!((again.stored.position, again.presentations), (1, 1));
    assert_eq!(store.batch("aaaa").await.unwrap().unwrap().unused, 0);
    assert!(store.batch("bbbb").await.unwrap().is_none());
    store.close().await;
}

async fn expired_copies_are_not_presentable(db: TestDb) {
    let store = Store::open(db.url()).await.unwrap();
    store
        .insert_batch(&batch("old", 1), &[copy(1, Some(500))])
        .await
        .unwrap();
    store
        .insert_batch(&batch("new", 2), &[copy(1, Some(5000))])
        .await
        .unwrap();
    let presentable = store.presentable_copies(1000).await.unwrap();
    let ids: Vec<&str> = presentable
        .iter()
        .map(|(b, _)| b.stored.batch_id.as_str())
        .collect();
    assert_eq!(ids, ["new"]);
    store.close().await;
}

async fn deleting_a_batch_removes_its_copies_keys_and_log(db: TestDb) {
    let store = Store::open(db.url()).await.unwrap();
    store
        .insert_batch(&batch("gone", 1), &[copy(1, None), copy(2, None)])
        .await
        .unwrap();
    store
        .insert_batch(&batch("kept", 2), &[copy(1, None)])
        .await
        .unwrap();
    let record = PresentationRecord {
        presentation_id: "p1".into(),
        batch_id: "gone".into(),
        credential_id: "gone-1".into(),
        client_id: "verifier_attestation:shop.example".into(),
        organisation: "Shop Ltd".into(),
        purpose: "AGE".into(),
        claims: vec![ClaimsPath::from_keys(["age_over_18"]).unwrap()],
        presented_at: 10,
    };
    store.log_presentation(&record).await.unwrap();
    assert_eq!(store.presentations("gone").await.unwrap(), [record]);

    assert!(store.delete_batch("gone").await.unwrap());
    assert!(!store.delete_batch("gone").await.unwrap());
    assert!(store.copies("gone").await.unwrap().is_empty());
    assert!(store.presentations("gone").await.unwrap().is_empty());
    assert_eq!(store.copies("kept").await.unwrap().len(), 1);
    store.close().await;
}

async fn the_trust_list_state_table_is_the_one_idv_fetch_uses(db: TestDb) {
    let store = Store::open(db.url()).await.unwrap();
    assert_eq!(
        idv_service_kit::db::trust_list_state::load(store.database())
            .await
            .unwrap(),
        None
    );
    sqlx::query(
        "INSERT INTO trust_list_state (list_id, sequence, payload_hash, iat, exp) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind("uk-dvs-register")
    .bind(7_i64)
    .bind("hash")
    .bind(1_i64)
    .bind(2_i64)
    .execute(store.database().pool())
    .await
    .unwrap();
    let state = idv_service_kit::db::trust_list_state::load(store.database())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state.sequence, 7);
    store.close().await;
}
