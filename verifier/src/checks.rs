//! Checks, the employer-facing use cases: create a check from a template, read its state and
//! result, and erase it.
//!
//! A check's life (a compare-and-swap on `state` at every step, see [`crate::store`]):
//!
//! ```text
//! created ──wallet response with the request's state, verified──▶ completed (compliant or
//!    │                                                            not eligible)
//!    │    └──rejected─────────────────────────────────────────▶ failed
//!    └──expires_at passes──▶ expired                 any state ──DELETE──▶ erased (tombstone)
//! ```
//!
//! Storing the outcome is the single use of the request and its nonce: of concurrent
//! responses exactly one is stored, the others are refused as replays. A verifier that dies
//! mid-verification stores nothing, so the request stays open for the wallet to answer again
//! until it expires. Every end state queues a webhook event in the same transaction.
//!
//! Same-device checks (`redirect_uri` given) answer the wallet with
//! `redirect_uri#response_code=…`; their result is released only to a caller presenting that
//! code once (`GET /v1/checks/{id}?response_code=…`), which defeats session fixation
//! (OpenID4VP 1.0 "Session Fixation"; HAIP).

mod create;
mod error;
mod record;
mod view;

pub use create::{CheckRequest, CreatedCheck};
pub use error::CheckError;
pub use record::OutcomeRecord;
pub(crate) use view::released_view;
pub use view::{CheckView, hash_response_code};

/// The states of a check, as stored and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    /// Waiting for the wallet (or verifying its response).
    Created,
    /// Verified: compliant or not eligible.
    Completed,
    /// Rejected: the presentation or the exchange failed.
    Failed,
    /// No response before `expires_at`.
    Expired,
    /// Erased on the tenant's request: a tombstone.
    Erased,
}

impl CheckState {
    /// The stored and wire value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Expired => "expired",
            Self::Erased => "erased",
        }
    }

    /// Parses a stored value.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Created,
            Self::Completed,
            Self::Failed,
            Self::Expired,
            Self::Erased,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// The wallet-facing URLs of a check's request.
pub(crate) fn request_uri(public_url: &str, request_id: &str) -> String {
    format!("{public_url}/wallet/requests/{request_id}")
}

/// Where the wallet posts its response.
pub(crate) fn response_uri(public_url: &str, request_id: &str) -> String {
    format!("{public_url}/wallet/responses/{request_id}")
}

/// `openid4vp://?client_id=…&request_uri=…` (OpenID4VP 1.0 "Authorization Request" by
/// reference; the custom scheme of "Wallet Invocation").
pub(crate) fn wallet_url(full_client_id: &str, request_uri: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", full_client_id)
        .append_pair("request_uri", request_uri)
        .finish();
    format!("openid4vp://?{query}")
}

/// Whether `url`'s host is this machine's loopback interface, where plain `http` never crosses
/// a network (the one rule for webhook URLs and OpenID Connect redirect URIs): an IPv4 address
/// in 127.0.0.0/8, the IPv6 address `::1`, or the name `localhost` (RFC 8252 §7.3, and §8.3
/// for `localhost`, which RFC 6761 §6.3 keeps on loopback). The host is the one the URL parser
/// resolved (`127.1` is 127.0.0.1, names are lowercased), never a prefix of the text, so
/// `127.0.0.1.evil.example` and `localhost.evil.example` are ordinary names. Names under
/// `localhost` (`app.localhost`), `localhost.` with its root dot and IPv4-mapped IPv6
/// addresses are not loopback here: not every resolver or stack keeps them there.
pub(crate) fn is_loopback_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_127_0_0_0_8_ipv6_1_and_localhost_only() {
        let loopback = |url: &str| is_loopback_host(&url::Url::parse(url).unwrap());
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
    fn wallet_url_carries_the_full_client_id_and_request_uri_encoded() {
        let url = wallet_url(
            "verifier_attestation:employer.example",
            "https://v.example/wallet/requests/abc",
        );
        assert_eq!(
            url,
            "openid4vp://?client_id=verifier_attestation%3Aemployer.example\
             &request_uri=https%3A%2F%2Fv.example%2Fwallet%2Frequests%2Fabc"
        );
    }

    #[test]
    fn states_round_trip() {
        for state in ["created", "completed", "failed", "expired", "erased"] {
            assert_eq!(CheckState::parse(state).unwrap().as_str(), state);
        }
        assert!(CheckState::parse("done").is_none());
        assert!(CheckState::parse("presented").is_none());
    }
}
