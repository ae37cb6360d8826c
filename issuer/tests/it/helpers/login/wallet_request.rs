//! The wallet side of the authorization code flow, written from RFC 9126, RFC 7636 and
//! RFC 9207: its request's client, redirect URI, PKCE pair and state.

use std::collections::BTreeMap;

use idv_jose::SystemRandom;
use url::Url;

use super::{WALLET, WALLET_REDIRECT, query};

/// One authorization request of a wallet: its client, redirect URI, PKCE pair and state.
#[derive(Debug, Clone)]
pub(crate) struct WalletRequest {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) verifier: String,
    pub(crate) challenge: String,
    pub(crate) state: String,
}

impl WalletRequest {
    /// A fresh request of the loopback wallet.
    pub(crate) fn new() -> Self {
        Self::of(WALLET, WALLET_REDIRECT)
    }

    pub(crate) fn of(client_id: &str, redirect_uri: &str) -> Self {
        let verifier = idv_jose::random::token(&SystemRandom, 32);
        // RFC 7636 §4.2: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))).
        let challenge = idv_jose::digest::sha256_b64(verifier.as_bytes());
        Self {
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            verifier,
            challenge,
            state: idv_jose::random::token(&SystemRandom, 16),
        }
    }

    /// The PAR form: the standard parameters, then `extra`.
    pub(crate) fn form<'a>(&'a self, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut form = vec![
            ("client_id", self.client_id.as_str()),
            ("response_type", "code"),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("code_challenge", self.challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("state", self.state.as_str()),
        ];
        form.extend_from_slice(extra);
        form
    }

    /// Checks a redirect back to this wallet (its redirect URI, `state`, RFC 9207 `iss`) and
    /// returns its parameters.
    pub(crate) fn check_redirect(&self, back: &Url, issuer: &str) -> BTreeMap<String, String> {
        let mut without_query = back.clone();
        without_query.set_query(None);
        assert_eq!(without_query.as_str(), self.redirect_uri, "{back}");
        let params = query(back);
        assert_eq!(params.get("state"), Some(&self.state), "{back}");
        assert_eq!(
            params.get("iss").map(String::as_str),
            Some(issuer),
            "{back}"
        );
        params
    }
}
