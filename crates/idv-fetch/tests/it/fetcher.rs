//! The fetcher's bounds: size, redirects, schemes, hosts, errors.

use std::time::Duration;

use idv_fetch::http::PlainHttp;
use idv_fetch::{FetchError, FetchPolicy, Fetcher};

use crate::helpers::{Reply, Stage};

#[tokio::test]
async fn body_within_the_cap_is_returned_with_its_content_type() {
    let (stage, address) = Stage::start().await;
    stage.set("doc", Reply::Body("application/example", "hello".into()));
    let fetched = crate::helpers::fetcher()
        .get(&format!("{address}/doc"), "application/example")
        .await
        .unwrap();
    assert_eq!(fetched.body, b"hello");
    assert_eq!(fetched.content_type.as_deref(), Some("application/example"));
}

#[tokio::test]
async fn oversized_body_is_refused() {
    let (stage, address) = Stage::start().await;
    stage.set("big", Reply::Body("text/plain", "x".repeat(2048)));
    let fetcher = Fetcher::new(FetchPolicy {
        max_bytes: 1024,
        ..FetchPolicy::default()
    })
    .unwrap();
    let error = fetcher
        .get(&format!("{address}/big"), "*/*")
        .await
        .unwrap_err();
    assert!(
        matches!(error, FetchError::TooLarge { limit: 1024, .. }),
        "{error}"
    );
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (stage, address) = Stage::start().await;
    stage.set("doc", Reply::Body("text/plain", "target".into()));
    stage.set("moved", Reply::Redirect(format!("{address}/doc")));
    let error = crate::helpers::fetcher()
        .get(&format!("{address}/moved"), "*/*")
        .await
        .unwrap_err();
    assert!(
        matches!(error, FetchError::Status { status: 302, .. }),
        "{error}"
    );
    assert_eq!(stage.hits(), 1);
}

#[tokio::test]
async fn urls_outside_the_policy_are_refused_without_a_request() {
    let fetcher = crate::helpers::fetcher();
    for (url, expected) in [
        ("http://example.com/list", "loopback"),
        ("ftp://127.0.0.1/list", "http(s)"),
        ("http://user:pw@127.0.0.1/list", "credentials"),
    ] {
        match fetcher.get(url, "*/*").await {
            Err(FetchError::NotAllowed { reason }) => {
                assert!(reason.contains(expected), "{url}: {reason}")
            }
            other => panic!("{url}: {other:?}"),
        }
    }
    assert!(fetcher.check_url("https://trust.example/list").is_ok());
    assert!(matches!(
        fetcher.get("not a url", "*/*").await,
        Err(FetchError::InvalidUrl { .. })
    ));
    let lab = Fetcher::new(FetchPolicy {
        plain_http: PlainHttp::AnyHost,
        ..FetchPolicy::default()
    })
    .unwrap();
    assert!(lab.check_url("http://example.com/list").is_ok());
}

#[tokio::test]
async fn unreachable_host_and_error_status_are_typed() {
    let (_, address) = Stage::start().await;
    let error = crate::helpers::fetcher()
        .get(&format!("{address}/missing"), "*/*")
        .await
        .unwrap_err();
    assert!(matches!(error, FetchError::Status { status: 404, .. }));
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let fetcher = Fetcher::new(FetchPolicy {
        timeout: Duration::from_secs(2),
        ..FetchPolicy::default()
    })
    .unwrap();
    let error = fetcher
        .get(&format!("http://127.0.0.1:{port}/x?secret=1"), "*/*")
        .await
        .unwrap_err();
    assert!(matches!(error, FetchError::Unreachable { .. }), "{error}");
    assert!(!error.to_string().contains("secret"), "{error}");
}
