//! Every way a wallet command fails, with a message for people, a stable code for scripts
//! (`--json` prints `{"error": {"code", "message"}}`) and an exit status: the one place errors
//! are classified.
//!
//! Exit statuses: `0` done (for `present`: the verifier received the answer, which says
//! nothing of its check's result, told to the relying party), `1` internal, `2` bad input
//! (link, arguments, missing `--tx-code`, no consent answer), `3` unknown credential id, `4` a
//! party or the trust list unreachable (or the verifier failing, 5xx, at its request URI),
//! `5` the issuer refused (the sign-in at the provider included) or sent something unusable,
//! `6` this wallet refused a presentation request or a sign-in response that does not answer
//! its own request, `7` the verifier refused the request URI fetch or the response, `8` local
//! configuration or storage, `9` the sign-in at the provider did not finish (timed out, or
//! the browser could not be opened), `10` the response could not be delivered to the
//! verifier (it failed with a 5xx, or the connection broke, also on one retry): nothing was
//! refused.

use std::fmt;

use idv_fetch::TrustClientError;

use crate::store::StoreError;

/// Who the wallet was talking to when something failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The credential issuer (offer, metadata, nonce, credential endpoints).
    Issuer,
    /// The issuer's authorization server (its metadata, pushed authorization request, token
    /// endpoint and the response it sends the browser back with).
    AuthorizationServer,
    /// The verifier (request URI, response URI).
    Verifier,
    /// The trust framework operator (trust list).
    TrustFramework,
    /// An issuer's status list.
    StatusList,
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Issuer => "issuer",
            Self::AuthorizationServer => "issuer's authorization server",
            Self::Verifier => "verifier",
            Self::TrustFramework => "trust framework",
            Self::StatusList => "status list server",
        })
    }
}

/// An OAuth error body a party answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteError {
    /// The `error` code.
    pub error: String,
    /// The `error_description`, when sent.
    pub description: Option<String>,
}

impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.description {
            Some(description) => write!(f, "{}: {description}", self.error),
            None => f.write_str(&self.error),
        }
    }
}

/// Why a wallet command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WalletError {
    /// The offer or presentation link cannot be used.
    #[error("invalid link: {reason}")]
    InvalidLink {
        /// What is wrong with it.
        reason: String,
    },
    /// The command line is inconsistent.
    #[error("{0}")]
    Usage(String),
    /// No batch with this id.
    #[error("no credential `{id}` in this wallet (see `wallet-sim list`)")]
    NotFound {
        /// The id asked for.
        id: String,
    },
    /// The configuration is invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// A command needs the trust list but none is configured.
    #[error(
        "no trust list configured: set `trust_list_url` and `trust_anchor` under [wallet] in \
         {config_file}, or pass --trust-list-url and --trust-anchor"
    )]
    TrustNotConfigured {
        /// The data directory's configuration file.
        config_file: String,
    },
    /// The local database failed.
    #[error("the wallet's database failed: {0}")]
    Storage(#[from] StoreError),
    /// A party did not answer.
    #[error("cannot reach the {party} at {host}: {reason}")]
    Unreachable {
        /// Who.
        party: Party,
        /// Its host.
        host: String,
        /// What the HTTP client reported.
        reason: String,
    },
    /// A party answered with an HTTP error.
    #[error("the {party} at {host} answered HTTP {status}{}", remote.as_ref().map(|r| format!(" ({r})")).unwrap_or_default())]
    HttpStatus {
        /// Who.
        party: Party,
        /// Its host.
        host: String,
        /// The status code.
        status: u16,
        /// The OAuth error body, when there was one.
        remote: Option<RemoteError>,
    },
    /// A party's URL is not one this wallet may call.
    #[error("the {party}'s URL is not allowed: {reason}")]
    UrlNotAllowed {
        /// Who.
        party: Party,
        /// Which rule.
        reason: String,
    },
    /// A party sent something that does not follow the protocol.
    #[error("the {party} sent an invalid {what}: {reason}")]
    InvalidResponse {
        /// Who.
        party: Party,
        /// Which document or message.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// No trust list can be used.
    #[error("the trust list is unavailable: {0}")]
    TrustList(#[source] TrustClientError),
    /// The offer fetched by reference is gone.
    #[error(
        "the credential offer is no longer available from {host} (HTTP {status}): it has \
         expired or was already used; ask the issuer for a new one"
    )]
    OfferUnavailable {
        /// The issuer's host.
        host: String,
        /// The status code.
        status: u16,
    },
    /// The offer requires a transaction code and none was given.
    #[error("this offer needs a transaction code (tx_code){hint}: pass it with --tx-code")]
    TxCodeRequired {
        /// What the issuer says about the code (length, description).
        hint: String,
    },
    /// The token endpoint refused the pre-authorized code (and transaction code).
    #[error("{}", grant_message(*tx_code_sent, remote))]
    GrantRejected {
        /// Whether a `tx_code` was sent.
        tx_code_sent: bool,
        /// The issuer's answer.
        remote: RemoteError,
    },
    /// The issuer refused a request for another reason.
    #[error("the {party} refused the request ({remote})")]
    IssuerRefused {
        /// Who.
        party: Party,
        /// Its answer.
        remote: RemoteError,
    },
    /// The authorization server answered the authorization request with an error (RFC 6749
    /// §4.1.2.1), e.g. `access_denied` when the account signed in with is not linked to a
    /// proofed identity.
    #[error("the issuer did not authorise the credentials after sign-in ({remote})")]
    AuthorizationDenied {
        /// Its answer.
        remote: RemoteError,
    },
    /// A response at the wallet's redirect URI is not the answer to the wallet's own request
    /// (`state` or RFC 9207 `iss` mismatch, no code): nothing was sent to the issuer.
    #[error("the sign-in response was refused: {reason}; nothing was sent to the issuer")]
    CallbackRefused {
        /// What does not match.
        reason: String,
    },
    /// The browser did not come back from the sign-in at the provider in time.
    #[error(
        "the sign-in at the provider did not finish within {seconds} seconds; run receive \
         again (the wait is sign_in_timeout_secs in config.toml)"
    )]
    SignInTimeout {
        /// The wait, in seconds.
        seconds: u64,
    },
    /// The hook that opens the authorization URL in a browser failed.
    #[error("the sign-in page could not be opened: {0}")]
    Browser(String),
    /// The offer asks for something this wallet does not do.
    #[error("this offer cannot be used: {0}")]
    UnsupportedOffer(String),
    /// An issued credential failed verification.
    #[error("the issued credential was rejected: {0}")]
    CredentialRejected(String),
    /// The request's client identifier uses a prefix this wallet does not support.
    #[error("request refused: {reason} (client_id `{client_id}`)")]
    UnsupportedClientId {
        /// The client identifier.
        client_id: String,
        /// Why.
        reason: String,
    },
    /// The verifier's attestation or registration does not establish trust.
    #[error("request refused: the verifier is not trusted: {reason}")]
    UntrustedVerifier {
        /// Why.
        reason: String,
    },
    /// The request object's signature does not verify with the attested key.
    #[error(
        "request refused: the request object's signature does not verify with the key the \
         trust framework attested for this verifier ({reason})"
    )]
    BadRequestSignature {
        /// The JOSE error.
        reason: String,
    },
    /// The request object is malformed or breaks a rule of OpenID4VP.
    #[error("request refused: {reason}")]
    InvalidRequest {
        /// What is wrong.
        reason: String,
    },
    /// The request object has expired.
    #[error("request refused: the request expired {} seconds ago; ask the verifier for a new one", now - exp)]
    RequestExpired {
        /// Its `exp`.
        exp: i64,
        /// The wallet's clock.
        now: i64,
    },
    /// The request asks for more than any registered purpose allows.
    #[error(
        "request refused: {organisation} asks for {} beyond what its registered purpose \
         allows ({})",
        claims.join(", "),
        allowed.join("; ")
    )]
    BeyondPurpose {
        /// The relying party's organisation.
        organisation: String,
        /// The claims no registered purpose covers.
        claims: Vec<String>,
        /// The registered purposes and their claims, e.g. `AGE: ["age_over_18"]`.
        allowed: Vec<String>,
    },
    /// No held credential satisfies the query.
    #[error("no credential in this wallet satisfies the request: {reason}")]
    NoMatchingCredential {
        /// Which query failed.
        reason: String,
    },
    /// Neither `--approve`/`--decline` nor a terminal to ask on.
    #[error(
        "consent needed: the wallet is not running in a terminal; pass --approve to share or \
         --decline to refuse"
    )]
    ConsentRequired,
    /// The verifier's response URI refused the response.
    #[error("the verifier did not accept the response: HTTP {status}{}", remote.as_ref().map(|r| format!(" ({r})")).unwrap_or_default())]
    VerifierRejected {
        /// The status code.
        status: u16,
        /// Its OAuth error body.
        remote: Option<RemoteError>,
    },
    /// The response could not be delivered: the verifier failed (HTTP 5xx) or could not be
    /// reached, or the connection broke with the response sent, also on the one retry.
    /// Nothing was refused.
    #[error(
        "the response could not be delivered to the verifier at {host}: {reason}. Nothing \
         was refused; ask the verifier for a new request and present again"
    )]
    VerifierFailed {
        /// The response URI's host.
        host: String,
        /// What failed: the status and error body, or the transport failure.
        reason: String,
    },
    /// A defect or an unexpected local failure.
    #[error("internal error: {0}")]
    Internal(#[from] InternalError),
}

/// A defect or an unexpected local failure, and what caused it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InternalError {
    /// Encoding a message or a key as JSON, or decoding one the wallet stored, failed.
    #[error("{what} is not the JSON it must be: {source}")]
    Json {
        /// What was encoded or decoded.
        what: &'static str,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// A key operation failed: generating, signing, encrypting, or using a stored key.
    #[error("{what} failed: {source}")]
    Jose {
        /// The operation.
        what: &'static str,
        /// The JOSE error.
        #[source]
        source: idv_jose::JoseError,
    },
    /// Presenting or reading one of the wallet's own credentials failed.
    #[error("{what} failed: {source}")]
    SdJwt {
        /// The operation.
        what: &'static str,
        /// The SD-JWT error.
        #[source]
        source: idv_sdjwt::SdJwtError,
    },
    /// A stored credential no longer verifies with its stored issuer key.
    #[error("stored credential {credential_id} no longer verifies: {source}")]
    StoredCredential {
        /// The copy's id.
        credential_id: String,
        /// Why it does not verify.
        #[source]
        source: idv_sdjwt::SdJwtError,
    },
    /// A claims path of a request could not be applied to a credential's claims.
    #[error("{0}")]
    ClaimsPath(#[source] idv_dcql::DcqlError),
    /// The HTTP client could not be built or failed locally.
    #[error("the HTTP client failed: {0}")]
    HttpClient(#[source] idv_fetch::FetchError),
    /// The loopback listener for the sign-in's redirect failed.
    #[error("the sign-in's redirect listener on 127.0.0.1 failed: {0}")]
    Listener(#[source] std::io::Error),
    /// The loopback listener stopped before the browser came back.
    #[error("the redirect listener stopped before an answer")]
    ListenerStopped(#[source] tokio::sync::oneshot::error::RecvError),
}

fn grant_message(tx_code_sent: bool, remote: &RemoteError) -> String {
    if tx_code_sent {
        format!(
            "the issuer refused the offer's code ({remote}). Check the transaction code you \
             were given; if it is right, the offer has expired, was already used or is locked: \
             ask the issuer for a new one"
        )
    } else {
        format!(
            "the issuer refused the offer's code ({remote}): the offer has expired or was \
             already used; ask the issuer for a new one"
        )
    }
}

impl WalletError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidLink { .. } => "invalid_link",
            Self::Usage(_) => "usage",
            Self::NotFound { .. } => "not_found",
            Self::Config(_) => "config",
            Self::TrustNotConfigured { .. } => "trust_not_configured",
            Self::Storage(_) => "storage",
            Self::Unreachable { .. } => "unreachable",
            Self::HttpStatus { .. } => "http_error",
            Self::UrlNotAllowed { .. } => "url_not_allowed",
            Self::InvalidResponse { .. } => "invalid_response",
            Self::TrustList(_) => "trust_list_unavailable",
            Self::OfferUnavailable { .. } => "offer_unavailable",
            Self::TxCodeRequired { .. } => "tx_code_required",
            Self::GrantRejected {
                tx_code_sent: true, ..
            } => "tx_code_or_offer_rejected",
            Self::GrantRejected { .. } => "offer_rejected",
            Self::IssuerRefused { .. } => "issuer_refused",
            Self::AuthorizationDenied { .. } => "authorization_denied",
            Self::CallbackRefused { .. } => "callback_refused",
            Self::SignInTimeout { .. } => "sign_in_timeout",
            Self::Browser(_) => "browser_failed",
            Self::UnsupportedOffer(_) => "unsupported_offer",
            Self::CredentialRejected(_) => "credential_rejected",
            Self::UnsupportedClientId { .. } => "unsupported_client_id",
            Self::UntrustedVerifier { .. } => "untrusted_verifier",
            Self::BadRequestSignature { .. } => "bad_request_signature",
            Self::InvalidRequest { .. } => "invalid_request",
            Self::RequestExpired { .. } => "request_expired",
            Self::BeyondPurpose { .. } => "beyond_registered_purpose",
            Self::NoMatchingCredential { .. } => "no_matching_credential",
            Self::ConsentRequired => "consent_required",
            Self::VerifierRejected { .. } => "verifier_rejected",
            Self::VerifierFailed { .. } => "verifier_failed",
            Self::Internal(_) => "internal",
        }
    }

    /// The process exit status (see the module documentation).
    pub fn exit_status(&self) -> u8 {
        match self {
            Self::Internal(_) => 1,
            Self::InvalidLink { .. }
            | Self::Usage(_)
            | Self::TxCodeRequired { .. }
            | Self::ConsentRequired => 2,
            Self::NotFound { .. } => 3,
            Self::Unreachable { .. } | Self::TrustList(_) => 4,
            // A verifier failing at its request URI refused nothing: as if unreachable.
            Self::HttpStatus { party, status, .. }
                if *party == Party::Verifier && *status >= 500 =>
            {
                4
            }
            Self::HttpStatus { party, .. }
            | Self::UrlNotAllowed { party, .. }
            | Self::InvalidResponse { party, .. }
                if *party == Party::Verifier =>
            {
                7
            }
            Self::HttpStatus { party, .. } if *party == Party::TrustFramework => 4,
            Self::HttpStatus { .. }
            | Self::UrlNotAllowed { .. }
            | Self::InvalidResponse { .. }
            | Self::OfferUnavailable { .. }
            | Self::GrantRejected { .. }
            | Self::IssuerRefused { .. }
            | Self::AuthorizationDenied { .. }
            | Self::UnsupportedOffer(_)
            | Self::CredentialRejected(_) => 5,
            Self::UnsupportedClientId { .. }
            | Self::UntrustedVerifier { .. }
            | Self::BadRequestSignature { .. }
            | Self::InvalidRequest { .. }
            | Self::RequestExpired { .. }
            | Self::BeyondPurpose { .. }
            | Self::NoMatchingCredential { .. }
            | Self::CallbackRefused { .. } => 6,
            Self::VerifierRejected { .. } => 7,
            Self::Config(_) | Self::TrustNotConfigured { .. } | Self::Storage(_) => 8,
            Self::SignInTimeout { .. } | Self::Browser(_) => 9,
            Self::VerifierFailed { .. } => 10,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_rejections_say_what_to_do() {
        let remote = RemoteError {
            error: "invalid_grant".into(),
            description: Some("the tx_code is wrong; 2 attempt(s) left".into()),
        };
        let error = WalletError::GrantRejected {
            tx_code_sent: true,
            remote,
        };
        let text = error.to_string();
        assert!(text.contains("the tx_code is wrong"), "{text}");
        assert!(text.contains("Check the transaction code"), "{text}");
        assert_eq!(error.exit_status(), 5);
    }

    #[test]
    fn a_verifier_failing_at_its_request_uri_refused_nothing() {
        let at = |status| WalletError::HttpStatus {
            party: Party::Verifier,
            host: "127.0.0.1".into(),
            status,
            remote: None,
        };
        assert_eq!(at(503).exit_status(), 4);
        assert_eq!(at(400).exit_status(), 7);
    }

    #[test]
    fn refusals_of_requests_share_one_exit_status() {
        let errors = [
            WalletError::UntrustedVerifier { reason: "x".into() },
            WalletError::BadRequestSignature { reason: "x".into() },
            WalletError::BeyondPurpose {
                organisation: "Shop".into(),
                claims: vec![r#"["given_name"]"#.into()],
                allowed: vec![r#"AGE: ["age_over_18"]"#.into()],
            },
        ];
        for error in errors {
            assert_eq!(error.exit_status(), 6, "{error}");
        }
    }
}
