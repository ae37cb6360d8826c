//! The wallet's HTTP client (it serves no routes), all through one `idv_fetch::Fetcher`: bounded GETs, and POSTs (token,
//! nonce, credential, request URI, response URI) with the same URL policy, timeout, no
//! redirects, body cap and `https` trust (the system's roots and `ca_file`; a failed handshake
//! says why).
//!
//! Everything the wallet calls comes from attacker-influenced input (a QR code, an offer,
//! metadata), hence the caps. Redirects are never followed: OpenID4VP says wallets should not
//! follow them on the request and response URIs, and nothing else here needs them.

use idv_fetch::{FetchError, FetchPolicy, Fetcher};
use idv_service_kit::tls::ClientTls;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;

use crate::error::{InternalError, Party, RemoteError, WalletError};

/// `application/json`.
pub const JSON: &str = "application/json";
/// `application/x-www-form-urlencoded`.
pub const FORM: &str = "application/x-www-form-urlencoded";

/// A response body with its status and content type.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The body (at most the policy's cap).
    pub body: Vec<u8>,
}

impl Reply {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as the OAuth error object it should be on a 4xx, if it is one.
    pub fn oauth_error(&self) -> Option<RemoteError> {
        let value: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        let error = value.get("error")?.as_str()?.to_owned();
        let description = value
            .get("error_description")
            .and_then(serde_json::Value::as_str)
            .map(printable);
        Some(RemoteError { error, description })
    }
}

/// Keeps a remote description to one printable line of bounded length: it is shown on a
/// terminal and must not be able to forge output.
pub(crate) fn printable(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(300).collect()
}

/// The wallet's HTTP client.
#[derive(Debug, Clone)]
pub struct Http {
    fetcher: Fetcher,
}

impl Http {
    /// A client enforcing `policy` on every exchange, its `https` trusting the system's roots.
    pub fn new(policy: FetchPolicy) -> Result<Self, WalletError> {
        Self::with_tls(policy, &ClientTls::system())
    }

    /// A client enforcing `policy` on every exchange, its `https` trusting `tls`.
    pub fn with_tls(policy: FetchPolicy, tls: &ClientTls) -> Result<Self, WalletError> {
        let fetcher = Fetcher::with_tls(policy, tls).map_err(InternalError::HttpClient)?;
        Ok(Self { fetcher })
    }

    /// The GET side, for `idv_fetch` clients (trust list, status lists).
    pub fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    /// Checks `url` against the policy without calling it.
    pub fn check_url(&self, url: &str, party: Party) -> Result<url::Url, WalletError> {
        self.fetcher
            .check_url(url)
            .map_err(|e| fetch_error(e, party, url))
    }

    /// `GET url`; a non-2xx status is an error carrying the OAuth error body when there is
    /// one (e.g. `invalid_request_uri` with `response_replayed: …` at a request URI).
    pub async fn get(&self, url: &str, accept: &str, party: Party) -> Result<Reply, WalletError> {
        let reply = self
            .send(reqwest::Method::GET, url, None, accept, None, party)
            .await?;
        if !reply.is_success() {
            return Err(status_error(&reply, url, party));
        }
        Ok(reply)
    }

    /// `GET url` as JSON of type `T`.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        url: &str,
        party: Party,
        what: &'static str,
    ) -> Result<T, WalletError> {
        let reply = self.get(url, JSON, party).await?;
        parse_json(&reply.body, party, what)
    }

    /// `POST url` with a form body. Any status is returned; only transport failures are errors.
    pub async fn post_form(
        &self,
        url: &str,
        fields: &[(&str, &str)],
        accept: &str,
        bearer: Option<&str>,
        party: Party,
    ) -> Result<Reply, WalletError> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.post(url, FORM, body.into_bytes(), accept, bearer, party)
            .await
    }

    /// `POST url` with a JSON body. Any status is returned; only transport failures are errors.
    pub async fn post_json<T: serde::Serialize + ?Sized>(
        &self,
        url: &str,
        body: &T,
        bearer: Option<&str>,
        party: Party,
    ) -> Result<Reply, WalletError> {
        let body = serde_json::to_vec(body).map_err(|source| InternalError::Json {
            what: "a request body",
            source,
        })?;
        self.post(url, JSON, body, JSON, bearer, party).await
    }

    async fn post(
        &self,
        url: &str,
        content_type: &str,
        body: Vec<u8>,
        accept: &str,
        bearer: Option<&str>,
        party: Party,
    ) -> Result<Reply, WalletError> {
        self.send(
            reqwest::Method::POST,
            url,
            Some((content_type, body)),
            accept,
            bearer,
            party,
        )
        .await
    }

    /// One exchange: any status is returned; only transport failures are errors.
    async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<(&str, Vec<u8>)>,
        accept: &str,
        bearer: Option<&str>,
        party: Party,
    ) -> Result<Reply, WalletError> {
        let parsed = self.check_url(url, party)?;
        let host = parsed.host_str().unwrap_or_default().to_owned();
        // A value with control characters (say, a malformed token) is refused unsent.
        let header = |value: &str| {
            HeaderValue::from_str(value).map_err(|_| WalletError::Unreachable {
                party,
                host: host.clone(),
                reason: "invalid request header".into(),
            })
        };
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, header(accept)?);
        if let Some(token) = bearer {
            let mut value = header(&format!("Bearer {token}"))?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let mut request = reqwest::Request::new(method, parsed);
        if let Some((content_type, body)) = body {
            headers.insert(CONTENT_TYPE, header(content_type)?);
            *request.body_mut() = Some(body.into());
        }
        *request.headers_mut() = headers;
        let response = self
            .fetcher
            .send(request)
            .await
            .map_err(|e| fetch_error(e, party, url))?;
        Ok(Reply {
            status: response.status.as_u16(),
            content_type: response.content_type(),
            body: response.body,
        })
    }
}

/// Parses a JSON body as `T`, naming the party and document when it does not fit.
pub fn parse_json<T: DeserializeOwned>(
    body: &[u8],
    party: Party,
    what: &'static str,
) -> Result<T, WalletError> {
    serde_json::from_slice(body).map_err(|e| WalletError::InvalidResponse {
        party,
        what,
        reason: e.to_string(),
    })
}

/// A non-2xx reply as an error: the OAuth error body when there is one.
pub fn status_error(reply: &Reply, url: &str, party: Party) -> WalletError {
    WalletError::HttpStatus {
        party,
        host: host_of(url),
        status: reply.status,
        remote: reply.oauth_error(),
    }
}

/// The host of `url`, for messages (never the path or query: they may carry secrets).
pub fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| u.port().map_or(h.to_owned(), |p| format!("{h}:{p}")))
        })
        .unwrap_or_else(|| "(invalid URL)".to_owned())
}

/// A fetch failure of `url` as the wallet reports it, naming the party and, where the
/// HTTP client's text has its `<url>` placeholder, the URL called (without its query, which
/// may carry identifiers).
pub fn fetch_error(error: FetchError, party: Party, url: &str) -> WalletError {
    match error {
        FetchError::Unreachable { host, reason } => WalletError::Unreachable {
            party,
            host,
            reason: reason.replace("<url>", &without_query(url)),
        },
        FetchError::Status { host, status } => WalletError::HttpStatus {
            party,
            host,
            status,
            remote: None,
        },
        FetchError::TooLarge { limit, .. } => WalletError::InvalidResponse {
            party,
            what: "response",
            reason: format!("the body exceeds {limit} bytes"),
        },
        FetchError::Tls { host, failure } => WalletError::Unreachable {
            party,
            host,
            reason: failure.to_string(),
        },
        FetchError::InvalidUrl { reason } => WalletError::UrlNotAllowed { party, reason },
        FetchError::NotAllowed { reason } => WalletError::UrlNotAllowed {
            party,
            reason: reason.to_owned(),
        },
        other => InternalError::HttpClient(other).into(),
    }
}

/// `url` without its query and fragment (and any userinfo), for messages.
fn without_query(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            parsed.set_query(None);
            parsed.set_fragment(None);
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        Err(_) => "(invalid URL)".to_owned(),
    }
}

#[cfg(test)]
pub(crate) mod canned;

#[cfg(test)]
mod tests {
    use super::canned::{Canned, serve};
    use super::*;

    #[tokio::test]
    async fn an_error_status_on_a_get_shows_the_oauth_error_of_the_body() {
        let (base, _server) = serve(vec![Canned::Reply(
            400,
            r#"{"error":"invalid_request_uri","error_description":"response_replayed: this request was answered already"}"#,
        )])
        .await;
        let http = Http::new(FetchPolicy::default()).unwrap();

        let error = http
            .get(&format!("{base}/requests/r1"), JSON, Party::Verifier)
            .await
            .unwrap_err();

        let text = error.to_string();
        assert!(
            text.contains("HTTP 400 (invalid_request_uri: response_replayed: this request"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn an_unreachable_party_is_named_with_the_url_called_not_a_placeholder() {
        let closed = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap()
        };
        let http = Http::new(FetchPolicy::default()).unwrap();
        let url = format!("http://{closed}/responses/r1?secret=1");

        let error = http
            .post_form(&url, &[("a", "b")], JSON, None, Party::Verifier)
            .await
            .unwrap_err();

        let text = error.to_string();
        assert!(!text.contains("<url>"), "{text}");
        assert!(
            text.contains(&format!("http://{closed}/responses/r1")),
            "{text}"
        );
        assert!(!text.contains("secret"), "the query stays out: {text}");
    }

    #[test]
    fn oauth_error_bodies_are_read_and_descriptions_sanitised() {
        let reply = Reply {
            status: 400,
            content_type: Some(JSON.into()),
            body: br#"{"error":"invalid_grant","error_description":"wrong\u001b[31m code\n"}"#
                .to_vec(),
        };
        assert_eq!(
            reply.oauth_error(),
            Some(RemoteError {
                error: "invalid_grant".into(),
                description: Some("wrong[31m code".into()),
            })
        );
        let html = Reply {
            body: b"<html>".to_vec(),
            ..reply
        };
        assert_eq!(html.oauth_error(), None);
    }

    #[test]
    fn hosts_are_named_without_path_or_query() {
        assert_eq!(
            host_of("http://127.0.0.1:8080/credential-offer/secret?x=1"),
            "127.0.0.1:8080"
        );
        assert_eq!(host_of("not a url"), "(invalid URL)");
    }
}
