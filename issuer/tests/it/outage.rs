//! The database unavailable for a while: the operator API answers `503
//! temporarily_unavailable` with `Retry-After` (never a `500`), and the same running issuer
//! serves again once the database is back.

use idv_test_support::TestDb;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

#[tokio::test]
async fn a_postgres_outage_answers_503_and_the_issuer_recovers_without_a_restart() {
    let db = TestDb::postgres().await;
    let mut app = TestApp::spawn(&db).await;
    let credentials = || {
        app.client
            .get(app.url("/v1/credentials"))
            .bearer_auth(&app.token)
            .send()
    };
    assert_eq!(credentials().await.unwrap().status(), StatusCode::OK);

    db.start_outage().await;
    for _ in 0..2 {
        let response = credentials().await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()["retry-after"], "5");
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({"error": "temporarily_unavailable"})
        );
    }

    db.end_outage().await;
    assert_eq!(credentials().await.unwrap().status(), StatusCode::OK);
    app.stop().await;
}
