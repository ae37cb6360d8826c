//! Request ids: every request gets one, every response carries it in `X-Request-Id`, and every
//! line logged while it is handled names it (the `request` span's `request_id` field).
//!
//! An incoming `X-Request-Id` (set by a proxy or the caller, to follow a request across
//! services) is kept when it is a sane token: 1 to [`MAX_LEN`] visible ASCII characters
//! (`!` to `~`, no spaces or controls, so it cannot forge or split a log line). Anything else
//! is replaced by a new id: 16 random bytes from the injected [`Random`], base64url (22
//! characters).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use idv_jose::Random;
use idv_jose::base64url;
use tracing::Instrument as _;

/// The header carrying the request id, both ways.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest incoming request id kept.
pub const MAX_LEN: usize = 128;

/// A request's id, also in the request's extensions for handlers that want it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    /// The incoming header's value when it is a sane token, else `None`.
    pub fn from_header(value: &HeaderValue) -> Option<Self> {
        let bytes = value.as_bytes();
        let sane = !bytes.is_empty()
            && bytes.len() <= MAX_LEN
            && bytes.iter().all(|b| (b'!'..=b'~').contains(b));
        // Visible ASCII is UTF-8.
        sane.then(|| Self(String::from_utf8_lossy(bytes).into_owned()))
    }

    /// A new random id.
    pub fn generate(random: &dyn Random) -> Self {
        let mut bytes = [0u8; 16];
        random.fill(&mut bytes);
        Self(base64url::encode(bytes))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where new ids come from: the service's injected [`Random`].
#[derive(Debug, Clone)]
pub struct RequestIds {
    random: Arc<dyn Random>,
}

impl RequestIds {
    /// Ids from `random`.
    pub fn new(random: Arc<dyn Random>) -> Self {
        Self { random }
    }
}

/// Middleware: picks the request's id, handles the request inside a `request` span carrying
/// it, and echoes it in the response's `X-Request-Id`.
pub async fn assign_request_id(
    State(ids): State<RequestIds>,
    mut request: Request,
    next: Next,
) -> Response {
    let id = request
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(RequestId::from_header)
        .unwrap_or_else(|| RequestId::generate(ids.random.as_ref()));
    let span = tracing::info_span!("request", request_id = %id.as_str());
    let header = HeaderValue::from_str(id.as_str()).ok();
    request.extensions_mut().insert(id);
    let mut response = next.run(request).instrument(span).await;
    if let Some(header) = header {
        response.headers_mut().insert(X_REQUEST_ID, header);
    }
    response
}

#[cfg(test)]
mod tests {
    use idv_jose::random::DeterministicRandom;

    use super::*;

    #[test]
    fn sane_incoming_ids_are_kept_and_others_refused() {
        let keep = |v: &str| RequestId::from_header(&HeaderValue::from_str(v).unwrap());
        assert_eq!(keep("abc-123_x.y").unwrap().as_str(), "abc-123_x.y");
        assert_eq!(keep(&"a".repeat(MAX_LEN)).unwrap().as_str().len(), MAX_LEN);
        assert!(keep(&"a".repeat(MAX_LEN + 1)).is_none());
        assert!(keep("").is_none());
        assert!(keep("two words").is_none());
        assert!(keep("tab\there").is_none());
        let latin1 = HeaderValue::from_bytes(b"caf\xe9").unwrap();
        assert!(RequestId::from_header(&latin1).is_none());
    }

    #[test]
    fn generated_ids_come_from_the_injected_randomness() {
        let a = RequestId::generate(&DeterministicRandom::new(7));
        let b = RequestId::generate(&DeterministicRandom::new(7));
        assert_eq!(a, b);
        assert_eq!(a.as_str().len(), 22);
        assert!(RequestId::from_header(&HeaderValue::from_str(a.as_str()).unwrap()).is_some());
    }
}
