//! `GET /readyz`: whether this instance can serve traffic now, as opposed to `/healthz`, which
//! only says the process is up (a liveness probe: restarting the process would not help a
//! database that refuses connections, so only readiness takes the instance out of a load
//! balancer's rotation).
//!
//! A service collects what it depends on into a [`Readiness`] (always its database:
//! [`database_answers`]; the verifier also a valid trust list) and answers with it:
//! `200 {"status":"ready"}`, or `503 {"status":"not_ready","not_ready":["database"]}` naming
//! what is not (RFC 9110 §15.6.4: the server is currently unable to handle the request).
//! The body names components only, never an error message (which may hold a host name).

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::db::Database;

/// Longest a readiness probe waits for the database's `SELECT 1`.
pub const DATABASE_TIMEOUT: Duration = Duration::from_secs(2);

/// What a service depends on and which of those are not ready.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Readiness {
    not_ready: Vec<&'static str>,
}

impl Readiness {
    /// Nothing checked yet: ready.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the dependency `name`, ready or not.
    #[must_use]
    pub fn with(mut self, name: &'static str, ready: bool) -> Self {
        if !ready {
            self.not_ready.push(name);
        }
        self
    }

    /// Whether every dependency is ready.
    pub fn is_ready(&self) -> bool {
        self.not_ready.is_empty()
    }

    /// The dependencies that are not ready.
    pub fn not_ready(&self) -> &[&'static str] {
        &self.not_ready
    }
}

impl IntoResponse for Readiness {
    fn into_response(self) -> Response {
        let (status, body) = if self.is_ready() {
            (StatusCode::OK, serde_json::json!({"status": "ready"}))
        } else {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({"status": "not_ready", "not_ready": self.not_ready}),
            )
        };
        // A probe must see the state now, never a cached answer.
        (
            status,
            [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
            axum::Json(body),
        )
            .into_response()
    }
}

/// Whether the database answers `SELECT 1` within [`DATABASE_TIMEOUT`] (on a pooled
/// connection: for PostgreSQL a new one is opened when the pooled ones are gone, so a server
/// that refuses connections is seen at once). A failure is logged at `warn`.
pub async fn database_answers(db: &Database) -> bool {
    let ping = sqlx::query("SELECT 1").fetch_one(db.pool());
    match tokio::time::timeout(DATABASE_TIMEOUT, ping).await {
        Ok(Ok(_)) => true,
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness: the database did not answer");
            false
        }
        Err(_) => {
            tracing::warn!(
                timeout_ms = DATABASE_TIMEOUT.as_millis(),
                "readiness: the database did not answer in time"
            );
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn readiness_names_what_is_not_ready() {
        let response = Readiness::new().with("database", true).into_response();
        assert_eq!(response.status(), StatusCode::OK);
        let not_ready = Readiness::new()
            .with("database", false)
            .with("trust_list", true);
        assert_eq!(not_ready.not_ready(), ["database"]);
        let response = not_ready.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
            serde_json::json!({"status": "not_ready", "not_ready": ["database"]})
        );
    }

    #[tokio::test]
    async fn a_closed_database_is_not_ready() {
        let db = idv_test_support::TestDb::sqlite().await;
        let database = Database::connect(db.url()).await.unwrap();
        assert!(database_answers(&database).await);
        database.close().await;
        assert!(!database_answers(&database).await);
    }
}
