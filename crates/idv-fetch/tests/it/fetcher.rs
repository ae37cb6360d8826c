//! The fetcher's bounds: size, redirects, schemes, hosts, errors.

use std::time::Duration;

use idv_fetch::http::PlainHttp;
use idv_fetch::{FetchError, FetchPolicy, Fetcher};

use crate::helpers::{Reply, Stage, assert_redirect_not_followed};

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
    assert_redirect_not_followed(&crate::helpers::fetcher(), &format!("{address}/moved")).await;
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

/// A server on 127.0.0.1 answering every request with `status` and `body`, sent in chunks
/// without `Content-Length` (so only the check while streaming sees its size); its address.
async fn chunked_server(status: &'static str, body: String) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            // The request: its head, then as many bytes as its Content-Length says.
            let mut request = Vec::new();
            let mut buffer = [0_u8; 1024];
            let head_end = loop {
                match tcp.read(&mut buffer).await {
                    Ok(0) | Err(_) => break None,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
                if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                    break Some(at + 4);
                }
            };
            let Some(head_end) = head_end else { continue };
            let head = String::from_utf8_lossy(&request[..head_end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            while request.len() < head_end + length {
                match tcp.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
            }
            let mut response = format!(
                "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
            );
            for chunk in body.as_bytes().chunks(512) {
                response.push_str(&format!("{:x}\r\n", chunk.len()));
                response.push_str(std::str::from_utf8(chunk).unwrap());
                response.push_str("\r\n");
            }
            response.push_str("0\r\n\r\n");
            let _ = tcp.write_all(response.as_bytes()).await;
            let _ = tcp.shutdown().await;
        }
    });
    address
}

fn post(url: &str, body: &'static str) -> reqwest::Request {
    let mut request = reqwest::Request::new(reqwest::Method::POST, url.parse().unwrap());
    *request.body_mut() = Some(body.into());
    request
}

#[tokio::test]
async fn send_returns_any_status_and_refuses_a_streamed_body_over_the_cap() {
    let fetcher = Fetcher::new(FetchPolicy {
        max_bytes: 1024,
        ..FetchPolicy::default()
    })
    .unwrap();
    let within = chunked_server("400 Bad Request", "x".repeat(1024)).await;
    let response = fetcher.send(post(&within, "form")).await.unwrap();
    assert_eq!(response.status, reqwest::StatusCode::BAD_REQUEST);
    assert_eq!(response.content_type().as_deref(), Some("text/plain"));
    assert_eq!(response.body, "x".repeat(1024).as_bytes());

    let over = chunked_server("200 OK", "x".repeat(1025)).await;
    let error = fetcher.send(post(&over, "form")).await.unwrap_err();
    assert!(
        matches!(error, FetchError::TooLarge { limit: 1024, .. }),
        "{error}"
    );

    // The URL policy holds as for GETs: nothing is sent.
    let error = fetcher
        .send(post("http://example.com/token", "form"))
        .await
        .unwrap_err();
    assert!(matches!(error, FetchError::NotAllowed { .. }), "{error}");
}
