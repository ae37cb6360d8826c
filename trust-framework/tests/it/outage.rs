//! The database unavailable for a while: the operator API answers `503
//! temporarily_unavailable` with `Retry-After` (never a `500`), and the same running register
//! serves again once the database is back.

use idv_test_support::TestDb;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

#[tokio::test]
async fn a_postgres_outage_answers_503_and_the_register_recovers_without_a_restart() {
    let db = TestDb::postgres().await;
    let mut app = TestApp::spawn(&db).await;
    assert_eq!(app.get("/v1/providers").await.status(), StatusCode::OK);

    db.start_outage().await;
    for _ in 0..2 {
        let response = app.get("/v1/providers").await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()["retry-after"], "5");
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({"error": "temporarily_unavailable"})
        );
    }

    db.end_outage().await;
    assert_eq!(app.get("/v1/providers").await.status(), StatusCode::OK);
    app.stop().await;
}
