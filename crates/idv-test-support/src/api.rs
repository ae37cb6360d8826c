//! A service's API as a test calls it: the operator's requests with a bearer token, and a
//! service's answers through an outage of its database. Responses are returned as they came,
//! for the test to assert on.

use std::future::Future;

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

use crate::TestDb;

/// The operator API of a service under test.
#[derive(Debug, Clone)]
pub struct OperatorApi {
    client: reqwest::Client,
    address: String,
    token: String,
}

impl OperatorApi {
    /// The API at `address` (`http://127.0.0.1:<port>`), called with `token`.
    pub fn new(
        client: reqwest::Client,
        address: impl Into<String>,
        token: impl Into<String>,
    ) -> Self {
        Self {
            client,
            address: address.into(),
            token: token.into(),
        }
    }

    /// `path` under the service's address.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A request: `method` on `path`, with the operator's token.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&self.token)
    }

    /// A `POST` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Response {
        send(self.request(Method::POST, path).json(body)).await
    }

    /// A `GET`.
    pub async fn get(&self, path: &str) -> Response {
        send(self.request(Method::GET, path)).await
    }
}

async fn send(request: RequestBuilder) -> Response {
    match request.send().await {
        Ok(response) => response,
        Err(error) => panic!("the service did not answer: {error}"),
    }
}

/// A database outage under a running service: `request` (a call that reads the database)
/// answers `200` before; during the outage `503 temporarily_unavailable` with `Retry-After: 5`
/// (never a `500`), twice, so the first failure does not break the pool; and `200` again once
/// the database is back, without a restart.
pub async fn through_an_outage<F, R>(db: &TestDb, request: F)
where
    F: Fn() -> R,
    R: Future<Output = Response>,
{
    assert_eq!(request().await.status(), StatusCode::OK);
    db.start_outage().await;
    for _ in 0..2 {
        let response = request().await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()["retry-after"], "5");
        let body: Value = match response.json().await {
            Ok(body) => body,
            Err(error) => panic!("the 503 body is not JSON: {error}"),
        };
        assert_eq!(body, json!({"error": "temporarily_unavailable"}));
    }
    db.end_outage().await;
    assert_eq!(request().await.status(), StatusCode::OK);
}
