//! The issuer's use cases, shared by the HTTP API and the command line: no axum, no SQL.
//!
//! OpenID4VCI 1.0 pre-authorized code flow, as this issuer runs it:
//!
//! 1. The operator records a proofed identity ([`identities`]) and creates an offer for it
//!    ([`offers`]): a `credential_offer_uri` holding a secret offer handle, the
//!    `openid-credential-offer://` link and QR code for it, and a `tx_code` for a second channel.
//! 2. The wallet fetches the offer (with the pre-authorized code) and the metadata
//!    ([`metadata`]), and exchanges the code with the `tx_code` at the token endpoint
//!    ([`tokens`]): single use, short-lived, and locked after too many wrong `tx_code`s.
//! 3. The wallet gets a `c_nonce` ([`nonces`]), signs one `openid4vci-proof+jwt` per holder key
//!    ([`proof`]) and calls the credential endpoint ([`credential_requests`]), receiving one
//!    SD-JWT VC (the scheme's profiles, [`idv_profiles`]) per key, each at a random index of a
//!    Token Status List.
//! 4. The operator lists issued credentials and revokes, suspends or reinstates them, a whole
//!    batch or every credential of an identity at once ([`lifecycle`]); the next status list
//!    token ([`status_lists`]) shows it.
//!
//! With `[login]` configured, wallets may also use the authorization code flow: the citizen
//! signs in at the provider's existing OpenID Provider instead of typing a `tx_code`
//! ([`authorization`] describes it; [`login`] is the relying party, [`authorization_codes`] the
//! codes and their token exchange). The operator links the person's account there to the
//! proofed identity ([`identities`], `login_subject`).
//!
//! [`setup`] creates the signing key and operator token; [`keys`] rotates signing keys and
//! publishes every key a live credential may need. [`configurations`] names the two credential
//! configurations. With `[trust]`, nothing is offered or issued unless the provider's own
//! register entry on the trust list certifies it for the credential's scheme
//! ([`certification`]).

pub mod authorization;
pub mod authorization_codes;
pub mod certification;
pub mod configurations;
pub mod credential_requests;
mod error;
pub mod identities;
pub mod keys;
pub mod lifecycle;
pub mod login;
pub mod metadata;
pub mod nonces;
pub mod offers;
pub mod operations;
pub mod proof;
pub mod setup;
pub mod status_lists;
pub mod tokens;

use std::sync::Arc;

use idv_jose::digest::constant_time_eq;
use idv_jose::{Clock, Random};
// How every secret is stored and looked up (base64url SHA-256).
use idv_service_kit::secrets::hash_secret;

pub use error::{
    AuthorizationError, InsufficientConfidence, IssuanceError, KeyError, OperatorError,
    RedirectedError, SignInFailure, TokenError,
};

use crate::store::Store;

/// Checked settings the use cases need (from [`crate::config::IssuerConfig`]).
#[derive(Debug, Clone)]
pub struct IssuerSettings {
    /// The Credential Issuer Identifier (no trailing slash): `iss`, `aud` of proofs, base URL.
    pub public_url: String,
    /// The issuer's display name.
    pub display_name: String,
    /// Locale of display texts.
    pub locale: String,
    /// Offer and pre-authorized code lifetime, seconds.
    pub offer_lifetime_secs: i64,
    /// Token requests with a `tx_code` per offer.
    pub max_tx_code_attempts: i64,
    /// Digits of a `tx_code`.
    pub tx_code_length: u32,
    /// Access token lifetime, seconds.
    pub access_token_lifetime_secs: i64,
    /// `c_nonce` lifetime, seconds.
    pub c_nonce_lifetime_secs: i64,
    /// Oldest acceptable proof `iat`, seconds before now.
    pub proof_max_age_secs: i64,
    /// Tolerated clock skew, seconds.
    pub clock_skew_secs: i64,
    /// Most proofs per Credential Request.
    pub batch_size: u32,
    /// Identity credential validity, seconds.
    pub identity_validity_secs: i64,
    /// Age credential validity, seconds.
    pub age_validity_secs: i64,
    /// Lowest level of confidence of an identity an age credential is offered and issued for.
    pub age_min_level_of_confidence: idv_profiles::LevelOfConfidence,
    /// Entries per status list.
    pub status_list_size: u64,
    /// `ttl` of status list tokens, seconds.
    pub status_token_ttl_secs: u64,
    /// `exp - iat` of status list tokens, seconds.
    pub status_token_validity_secs: i64,
    /// The authorization code flow, when `[login]` is configured.
    pub authorization: Option<authorization::AuthorizationSettings>,
    /// The trust list the provider's own certification is checked on, when `[trust]` is
    /// configured.
    pub certification: Option<certification::CertificationSettings>,
}

impl IssuerSettings {
    /// `<public_url><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }
}

/// The issuer over an initialised database: cheap to clone, shared by every request.
#[derive(Debug, Clone)]
pub struct Issuer {
    store: Store,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    settings: Arc<IssuerSettings>,
    keys: Arc<keys::KeyRing>,
    status_tokens: Arc<status_lists::TokenCache>,
    login: Option<Arc<login::RelyingParty>>,
    register: Option<Arc<certification::Register>>,
}

impl Issuer {
    /// Opens the issuer, creating the signing key when the database has none yet (so a
    /// first `serve` works without `init`; the operator token still comes from `init`).
    pub async fn open(
        store: Store,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        settings: IssuerSettings,
    ) -> Result<Self, KeyError> {
        if keys::ensure_signing_key(&store, clock.now()).await? {
            tracing::info!("signing key created");
        }
        let login = settings
            .authorization
            .as_ref()
            .map(|authorization| Arc::new(login::RelyingParty::new(authorization)));
        let register = settings.certification.as_ref().map(|certification| {
            Arc::new(certification::Register::new(
                certification,
                &store,
                Arc::clone(&clock),
                Arc::clone(&random),
            ))
        });
        Ok(Self {
            login,
            register,
            store,
            clock,
            random,
            settings: Arc::new(settings),
            keys: Arc::new(keys::KeyRing::default()),
            status_tokens: Arc::new(status_lists::TokenCache::default()),
        })
    }

    /// The settings in force.
    pub fn settings(&self) -> &IssuerSettings {
        &self.settings
    }

    /// The clock in use.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Closes the database pool.
    pub async fn close(&self) {
        self.store.close().await;
    }
}

/// A fresh random identifier: 16 bytes as 32 lowercase hex digits (no leading `-`, so it is
/// safe on command lines, and unguessable, so it reveals nothing about volumes).
fn random_id(random: &dyn Random) -> String {
    let mut bytes = [0u8; 16];
    random.fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use idv_jose::random::DeterministicRandom;

    use super::*;

    #[test]
    fn ids_are_32_hex_digits() {
        let id = random_id(&DeterministicRandom::new(1));
        assert_eq!(id.len(), 32);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_ne!(id, random_id(&DeterministicRandom::new(2)));
    }
}
