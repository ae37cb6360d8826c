//! What tests read from the services' HTTP answers: the `{error, error_description}` body every
//! service's error responses carry (RFC 6749 §5.2 names the fields).

use reqwest::{Response, StatusCode};
use serde_json::Value;

/// The `error` and `error_description` (empty when absent) of an error response, after
/// checking its status is `status`. Panics, naming what it found, on anything else.
pub async fn error_body(response: Response, status: StatusCode) -> (String, String) {
    assert_eq!(response.status(), status, "{}", response.url());
    let body: Value = match response.json().await {
        Ok(body) => body,
        Err(e) => panic!("the error response is not JSON: {e}"),
    };
    let Some(error) = body["error"].as_str() else {
        panic!("the error response has no `error`: {body}");
    };
    let description = body["error_description"].as_str().unwrap_or_default();
    (error.to_owned(), description.to_owned())
}
