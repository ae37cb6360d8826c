//! Bounded HTTP: GETs of signed documents ([`Fetcher::get`], conditional with
//! [`Fetcher::get_if_none_match`]) and any other exchange ([`Fetcher::send`]: the wallet's
//! POSTs, the issuer's calls to its OpenID Provider).
//!
//! Everything fetched here is attacker-influenced (a status list URI comes from a presented
//! credential, a request URI from a QR code), so the fetcher: never follows redirects; caps
//! the body, from `Content-Length` up front and again while streaming; gives up after a
//! timeout; and refuses URLs that are not `http(s)` or carry credentials. `https` goes
//! anywhere, trusting the system's roots and an operator's CA file
//! ([`idv_service_kit::tls::ClientTls`]); a failed handshake is a [`FetchError::Tls`] that says
//! why. Plain `http` is allowed only to loopback hosts unless the policy says otherwise.

use std::time::Duration;

use idv_service_kit::tls::{ClientTls, TlsFailure, tls_failure};
use url::{Host, Url};

/// Where plain `http` URLs may point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlainHttp {
    /// Only `127.0.0.0/8`, `::1` and `localhost` (the default: local federations and tests).
    #[default]
    Loopback,
    /// Any host (a lab network without TLS; never in production).
    AnyHost,
}

/// Limits of one fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchPolicy {
    /// Largest body accepted, in bytes.
    pub max_bytes: usize,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Where plain `http` may go.
    pub plain_http: PlainHttp,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        Self {
            max_bytes: 4 * 1024 * 1024,
            timeout: Duration::from_secs(10),
            plain_http: PlainHttp::Loopback,
        }
    }
}

/// Why a fetch failed. Descriptions name the URL's host, never its query.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL does not parse.
    #[error("not a valid URL: {reason}")]
    InvalidUrl {
        /// The parser's reason.
        reason: String,
    },
    /// The URL's scheme, host or userinfo is not allowed by the policy.
    #[error("URL not allowed: {reason}")]
    NotAllowed {
        /// Which rule.
        reason: &'static str,
    },
    /// The host did not answer, or the connection failed or timed out.
    #[error("cannot reach {host}: {reason}")]
    Unreachable {
        /// The host.
        host: String,
        /// What the HTTP client reported.
        reason: String,
    },
    /// The server answered with a non-2xx status (redirects included: never followed).
    #[error("{host} answered HTTP {status}")]
    Status {
        /// The host.
        host: String,
        /// The status code.
        status: u16,
    },
    /// The TLS handshake failed: certificate not trusted, name mismatch, expired.
    #[error("TLS with {host} failed: {failure}")]
    Tls {
        /// The host.
        host: String,
        /// Why.
        failure: TlsFailure,
    },
    /// The body is larger than the policy allows.
    #[error("response from {host} exceeds {limit} bytes")]
    TooLarge {
        /// The host.
        host: String,
        /// The cap.
        limit: usize,
    },
}

/// Longest `ETag` kept for a conditional request; a longer one is ignored.
const MAX_ETAG_LEN: usize = 256;

/// A successful response.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The body, at most `max_bytes`.
    pub body: Vec<u8>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The `ETag` header when it is a well-formed entity tag (RFC 9110 §8.8.3) of at most 256
    /// bytes: what to send as `If-None-Match` next time.
    pub etag: Option<String>,
}

/// A response of [`Fetcher::send`], its body read within the cap.
#[derive(Debug, Clone)]
pub struct Response {
    /// The HTTP status.
    pub status: reqwest::StatusCode,
    /// The headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body, at most `max_bytes`.
    pub body: Vec<u8>,
}

impl Response {
    /// The `Content-Type` header, if any.
    pub fn content_type(&self) -> Option<String> {
        self.headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

/// An HTTP client with a [`FetchPolicy`]. Cheap to clone (connection pool shared).
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    policy: FetchPolicy,
}

impl Fetcher {
    /// A fetcher enforcing `policy`, its `https` trusting the system's roots.
    pub fn new(policy: FetchPolicy) -> Result<Self, FetchError> {
        Self::with_tls(policy, &ClientTls::system())
    }

    /// A fetcher enforcing `policy`, its `https` trusting `tls`.
    pub fn with_tls(policy: FetchPolicy, tls: &ClientTls) -> Result<Self, FetchError> {
        let client = tls
            .client_builder()
            .timeout(policy.timeout)
            .user_agent(concat!("federated-idv/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::Unreachable {
                host: String::new(),
                reason: e.to_string(),
            })?;
        Ok(Self { client, policy })
    }

    /// The policy in force.
    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    /// Checks `url` against the policy without fetching it.
    pub fn check_url(&self, url: &str) -> Result<Url, FetchError> {
        let parsed = Url::parse(url).map_err(|e| FetchError::InvalidUrl {
            reason: e.to_string(),
        })?;
        self.check_allowed(&parsed)?;
        Ok(parsed)
    }

    fn check_allowed(&self, url: &Url) -> Result<(), FetchError> {
        if !url.username().is_empty() || url.password().is_some() {
            return Err(FetchError::NotAllowed {
                reason: "URL carries credentials",
            });
        }
        match url.scheme() {
            "http" => {
                if self.policy.plain_http == PlainHttp::Loopback && !is_loopback_host(url) {
                    return Err(FetchError::NotAllowed {
                        reason: "plain http is allowed only to loopback hosts",
                    });
                }
            }
            "https" => {}
            _ => {
                return Err(FetchError::NotAllowed {
                    reason: "only http(s) URLs are fetched",
                });
            }
        }
        Ok(())
    }

    /// `GET url` with `Accept: accept`, through [`Self::send`]; a non-2xx status is an error.
    pub async fn get(&self, url: &str, accept: &str) -> Result<Fetched, FetchError> {
        let (host, response) = self.get_response(url, accept, None).await?;
        fetched(host, response)
    }

    /// `GET url` with `Accept: accept` and, when `etag` is a well-formed entity tag,
    /// `If-None-Match: etag` (RFC 9110 §13.1.2). `None` when the server answers that with
    /// `304 Not Modified`: the representation tagged `etag` is still current. Any other
    /// non-2xx status is an error, and so is a 304 to a request without `If-None-Match`.
    pub async fn get_if_none_match(
        &self,
        url: &str,
        accept: &str,
        etag: Option<&str>,
    ) -> Result<Option<Fetched>, FetchError> {
        let etag = etag.filter(|tag| is_entity_tag(tag));
        let (host, response) = self.get_response(url, accept, etag).await?;
        if etag.is_some() && response.status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        fetched(host, response).map(Some)
    }

    async fn get_response(
        &self,
        url: &str,
        accept: &str,
        if_none_match: Option<&str>,
    ) -> Result<(String, Response), FetchError> {
        // Checked here, not only in `send`: reqwest's builder moves a URL's credentials into an
        // `Authorization` header, where `send` would no longer see them.
        let parsed = self.check_url(url)?;
        let host = parsed.host_str().unwrap_or_default().to_owned();
        let mut request = self
            .client
            .get(parsed)
            .header(reqwest::header::ACCEPT, accept);
        if let Some(etag) = if_none_match {
            request = request.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        let request = request.build().map_err(|e| transport_error(&host, &e))?;
        Ok((host, self.send(request).await?))
    }

    /// Sends `request` within the policy (its URL checked, no redirects, the timeout) and
    /// reads the answer's body up to `max_bytes`, refusing a larger one by `Content-Length` up
    /// front and again while streaming. Any status is returned: the caller judges it.
    pub async fn send(&self, request: reqwest::Request) -> Result<Response, FetchError> {
        self.check_allowed(request.url())?;
        let host = request.url().host_str().unwrap_or_default().to_owned();
        let transport = |e: reqwest::Error| transport_error(&host, &e);
        let mut response = self.client.execute(request).await.map_err(transport)?;
        let limit = self.policy.max_bytes;
        let too_large = || FetchError::TooLarge {
            host: host.clone(),
            limit,
        };
        if response
            .content_length()
            .is_some_and(|len| len > limit as u64)
        {
            return Err(too_large());
        }
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// A 2xx `response` from `host` as [`Fetched`]; any other status is an error.
fn fetched(host: String, response: Response) -> Result<Fetched, FetchError> {
    if !response.status.is_success() {
        return Err(FetchError::Status {
            host,
            status: response.status.as_u16(),
        });
    }
    Ok(Fetched {
        content_type: response.content_type(),
        etag: response
            .headers
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .filter(|tag| is_entity_tag(tag))
            .map(str::to_owned),
        body: response.body,
    })
}

/// Whether `tag` is an entity tag (RFC 9110 §8.8.3: `[W/]"…"` of visible ASCII other than
/// `"`) no longer than [`MAX_ETAG_LEN`].
fn is_entity_tag(tag: &str) -> bool {
    let opaque = tag.strip_prefix("W/").unwrap_or(tag);
    tag.len() <= MAX_ETAG_LEN
        && opaque.len() >= 2
        && opaque.starts_with('"')
        && opaque.ends_with('"')
        && opaque[1..opaque.len() - 1]
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x7e).contains(&b))
}

/// A client failure with `host`: a TLS handshake that failed, or else unreachable.
fn transport_error(host: &str, error: &reqwest::Error) -> FetchError {
    match tls_failure(error) {
        Some(failure) => FetchError::Tls {
            host: host.to_owned(),
            failure,
        },
        None => FetchError::Unreachable {
            host: host.to_owned(),
            reason: without_url(error),
        },
    }
}

/// Whether `url`'s host is this machine's loopback interface, where plain `http` never crosses
/// a network (the one rule for fetches, webhook URLs and OpenID Connect redirect URIs): an IPv4 address
/// in 127.0.0.0/8, the IPv6 address `::1`, or the name `localhost` (RFC 8252 §7.3, and §8.3
/// for `localhost`, which RFC 6761 §6.3 keeps on loopback). The host is the one the URL parser
/// resolved (`127.1` is 127.0.0.1, names are lowercased), never a prefix of the text, so
/// `127.0.0.1.evil.example` and `localhost.evil.example` are ordinary names. Names under
/// `localhost` (`app.localhost`), `localhost.` with its root dot and IPv4-mapped IPv6
/// addresses are not loopback here: not every resolver or stack keeps them there.
pub fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// reqwest's error text without the URL (which may carry identifiers in its query).
fn without_url(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out".to_owned();
    }
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(url.as_str(), "<url>");
    }
    if error.is_connect() {
        return format!("connection failed ({text})");
    }
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test inputs are literals")]

    use super::*;

    #[test]
    fn loopback_hosts_are_127_0_0_0_8_ipv6_1_and_localhost_only() {
        let loopback = |url: &str| is_loopback_host(&Url::parse(url).unwrap());
        for yes in [
            "http://127.0.0.1/",
            "http://127.0.0.1:8080/cb",
            "http://127.255.255.254/",
            "http://127.1/",
            "http://[::1]:9/",
            "http://[0:0:0:0:0:0:0:1]/",
            "http://localhost/",
            "http://LocalHost:9/",
            "https://localhost/",
        ] {
            assert!(loopback(yes), "{yes}");
        }
        for no in [
            "http://127.0.0.1.evil.example/",
            "http://localhost.evil.example/",
            "http://evil-localhost/",
            "http://evil.example/?127.0.0.1",
            "http://127.0.0.1@evil.example/",
            "http://sub.localhost/",
            "http://localhost./",
            "http://[::2]/",
            "http://[::]/",
            "http://[::ffff:127.0.0.1]/",
            "http://0.0.0.0/",
            "http://128.0.0.1/",
            "http://10.0.0.1/",
            "com.employer.app:/cb",
            "mailto:a@localhost",
        ] {
            assert!(!loopback(no), "{no}");
        }
    }

    #[test]
    fn entity_tags_are_quoted_visible_ascii_optionally_weak() {
        for yes in ["\"uk-dvs-register-7\"", "W/\"x\"", "\"\""] {
            assert!(is_entity_tag(yes), "{yes}");
        }
        let long = format!("\"{}\"", "a".repeat(MAX_ETAG_LEN));
        for no in [
            "",
            "\"",
            "abc",
            "\"a\"b\"",
            "\"a b\"",
            "w/\"x\"",
            "\"\u{e9}\"",
            &long,
        ] {
            assert!(!is_entity_tag(no), "{no}");
        }
    }
}
