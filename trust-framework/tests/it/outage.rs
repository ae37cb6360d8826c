//! The database unavailable for a while: the operator API answers `503
//! temporarily_unavailable` with `Retry-After` (never a `500`), and the same running register
//! serves again once the database is back.

use idv_test_support::TestDb;
use idv_test_support::api::through_an_outage;

use crate::helpers::TestApp;

#[tokio::test]
async fn a_postgres_outage_answers_503_and_the_register_recovers_without_a_restart() {
    let db = TestDb::postgres().await;
    let mut app = TestApp::spawn(&db).await;
    through_an_outage(&db, || app.get("/v1/providers")).await;
    app.stop().await;
}
