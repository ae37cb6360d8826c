//! The database unavailable for a while: requests answer `503 temporarily_unavailable` with
//! `Retry-After` (never a `500`, never a hang), and the same running verifier serves again
//! once the database is back.

use idv_test_support::TestDb;
use idv_test_support::sqlite_lock::WriteLockHolder;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::Federation;

async fn assert_unavailable(response: Response, what: &str) {
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{what}");
    assert_eq!(response.headers()["retry-after"], "5", "{what}");
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"error": "temporarily_unavailable"}),
        "{what}: the usual error body, nothing internal"
    );
}

#[tokio::test]
async fn a_postgres_outage_answers_503_and_the_verifier_recovers_without_a_restart() {
    let db = TestDb::postgres().await;
    let fed = Federation::start(&db).await;
    let created = fed.create_check(&json!({"template": "age_over_18"})).await;
    let id = created["id"].as_str().unwrap();

    db.start_outage().await;
    for _ in 0..2 {
        let started = std::time::Instant::now();
        assert_unavailable(
            fed.get(&format!("/v1/checks/{id}")).await,
            "reading a check",
        )
        .await;
        assert_unavailable(
            fed.post_check(&fed.tenant, &json!({"template": "age_over_18"}))
                .await,
            "creating a check",
        )
        .await;
        // A person's page of the OpenID Provider bridge: the same, as a page.
        let page = fed
            .client
            .get(fed.url("/oidc/authorize?client_id=oc_any&response_type=code"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(page.headers()["retry-after"], "5");
        assert!(
            page.text().await.unwrap().contains("briefly unavailable"),
            "the sign-in page"
        );
        // Bounded by the pool's acquire timeout (3 s): the requests fail, they do not hang.
        assert!(
            started.elapsed() < std::time::Duration::from_secs(8),
            "{:?}",
            started.elapsed()
        );
    }

    db.end_outage().await;
    assert_eq!(fed.check(id).await["state"], "created");
    fed.create_check(&json!({"template": "age_over_18"})).await;
    fed.stop().await;
}

#[tokio::test]
async fn a_sqlite_file_locked_by_another_process_answers_503_to_writes_until_released() {
    let db = TestDb::sqlite().await;
    let fed = Federation::start(&db).await;
    let created = fed.create_check(&json!({"template": "age_over_18"})).await;
    let id = created["id"].as_str().unwrap();
    // Another process (an operator's `sqlite3` shell, a maintenance tool) holds the write lock.
    let holder = WriteLockHolder::hold(&db.sqlite_file().unwrap());

    // Past SQLite's busy timeout the write fails as unavailable; reads go on under WAL.
    assert_unavailable(
        fed.post_check(&fed.tenant, &json!({"template": "age_over_18"}))
            .await,
        "creating a check",
    )
    .await;
    assert_eq!(fed.check(id).await["state"], "created");

    holder.release();
    fed.create_check(&json!({"template": "age_over_18"})).await;
    fed.stop().await;
}
