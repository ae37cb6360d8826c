//! `GET /trust-list` and `GET /.well-known/trust-anchor`: publication, caching, re-signing
//! and persistence across restarts and instances.

use idv_jose::{Clock, PublicKey};
use idv_proto::trust::trust_list::TRUST_LIST_MEDIA_TYPE;
use idv_test_support::{TestDb, test_on_both_databases};
use idv_trust::rollback::check_rollback;
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use serde_json::Value;

use crate::helpers::{TestApp, relying_party_body};

test_on_both_databases!(
    the_list_is_served_typed_cacheable_until_next_update_and_tagged,
    if_none_match_is_answered_304_only_while_the_tagged_list_is_current,
    the_list_is_re_signed_when_next_update_is_reached_even_without_changes,
    a_restart_serves_the_same_sequence_and_keeps_every_entry,
    two_instances_on_one_database_serve_the_same_list,
    the_anchor_endpoint_publishes_the_key_init_printed,
);

async fn the_list_is_served_typed_cacheable_until_next_update_and_tagged(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let response = app.client.get(app.url("/trust-list")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], TRUST_LIST_MEDIA_TYPE);
    assert_eq!(response.headers()[CACHE_CONTROL], "public, max-age=3600");
    let etag = response.headers()[ETAG].to_str().unwrap().to_owned();
    assert_eq!(etag, "\"uk-dvs-register-1\"");

    let jws = response.text().await.unwrap();
    let header: Value = serde_json::from_slice(
        &idv_jose::base64url::decode(jws.split('.').next().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(header["typ"], "dvs-trust-list+jwt");
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["kid"], app.anchor.thumbprint());
    let list = app.verified_list().await;
    assert_eq!(list.sequence(), 1);
    assert_eq!(list.exp() - list.iat(), 24 * 60 * 60);
    assert!(list.claims().framework_versions_valid.contains_key("1.0"));

    app.clock.advance(600);
    let cached = app
        .client
        .get(app.url("/trust-list"))
        .header(IF_NONE_MATCH, etag.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(cached.headers()[CACHE_CONTROL], "public, max-age=3000");
}

async fn if_none_match_is_answered_304_only_while_the_tagged_list_is_current(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let get = |tags: Vec<String>| {
        let mut request = app.client.get(app.url("/trust-list"));
        for tag in tags {
            request = request.header(IF_NONE_MATCH, tag);
        }
        request.send()
    };
    let first = get(vec![]).await.unwrap();
    let etag = first.headers()[ETAG].to_str().unwrap().to_owned();
    let full_len = first.bytes().await.unwrap().len();

    // The tag alone, among others, or in its weak form (RFC 9110 §13.1.2 compares weakly).
    for tags in [
        vec![etag.clone()],
        vec![format!("\"other\", {etag}")],
        vec!["\"other\"".to_owned(), etag.clone()],
        vec![format!("W/{etag}")],
        vec!["*".to_owned()],
    ] {
        let response = get(tags.clone()).await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED, "{tags:?}");
        assert_eq!(response.headers()[ETAG], etag.as_str());
        assert!(response.bytes().await.unwrap().is_empty());
    }
    let response = get(vec!["\"uk-dvs-register-0\"".to_owned()]).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // A register change re-signs the list: the old tag now gets the new list, whole.
    app.add_provider("alpha").await;
    let changed = get(vec![etag.clone()]).await.unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(changed.headers()[ETAG], "\"uk-dvs-register-2\"");
    assert!(changed.bytes().await.unwrap().len() > full_len);
}

async fn the_list_is_re_signed_when_next_update_is_reached_even_without_changes(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let first = app.verified_list().await;
    let held = check_rollback(None, &first).unwrap();

    app.clock.advance(first.next_update() - app.clock.now() - 1);
    let same = app.verified_list().await;
    assert_eq!(same.sequence(), first.sequence());
    assert_eq!(same.payload_hash(), first.payload_hash());

    app.clock.advance(1);
    let next = app.verified_list().await;
    assert_eq!(next.sequence(), first.sequence() + 1);
    assert_eq!(next.iat(), app.clock.now());
    assert_eq!(next.next_update(), app.clock.now() + 3600);
    check_rollback(Some(&held), &next).unwrap();
}

async fn a_restart_serves_the_same_sequence_and_keeps_every_entry(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let alpha = app.add_provider("alpha").await;
    app.add_provider("beta").await;
    app.change_status(&alpha, "suspend").await;
    app.post(
        "/v1/relying-parties",
        &relying_party_body("shop.example.co.uk"),
    )
    .await;
    let providers = app.providers().await;
    let jws = app.trust_list_jws().await;

    let app = app.restart().await;
    assert_eq!(
        app.trust_list_jws().await,
        jws,
        "same signed bytes, same sequence"
    );
    assert_eq!(app.providers().await, providers);
    let list = app.verified_list().await;
    assert_eq!(list.claims().entries.len(), 2);
    assert_eq!(list.claims().relying_parties.len(), 1);

    let gamma = app.add_provider("gamma").await;
    assert_eq!(gamma, "dvs-000003", "ids keep counting after a restart");
    assert!(app.verified_list().await.sequence() > list.sequence());
}

async fn two_instances_on_one_database_serve_the_same_list(db: TestDb) {
    let first = TestApp::spawn(&db).await;
    let second = first.another_instance().await;
    first.add_provider("alpha").await;
    let (a, b) = tokio::join!(first.trust_list_jws(), second.trust_list_jws());
    assert_eq!(a, b, "one sequence, one content");
    second.add_provider("beta").await;
    let (a, b) = tokio::join!(first.trust_list_jws(), second.trust_list_jws());
    assert_eq!(a, b);
    let list = first.verified_list().await;
    assert_eq!(list.sequence(), 2);
    assert_eq!(list.claims().entries.len(), 2);
}

async fn the_anchor_endpoint_publishes_the_key_init_printed(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let jwks: Value = app
        .client
        .get(app.url("/.well-known/trust-anchor"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].get("d").is_none(), "never the private part");
    assert_eq!(keys[0]["kid"], app.anchor.thumbprint());
    assert_eq!(PublicKey::from_jwk_value(&keys[0]).unwrap(), app.anchor);
}
