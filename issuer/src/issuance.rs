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

use self::authorization::Authorization;
use self::certification::Certification;
use self::credential_requests::CredentialRequests;
use self::identities::Identities;
use self::keys::Keys;
use self::lifecycle::Lifecycle;
use self::metadata::Metadata;
use self::nonces::Nonces;
use self::offers::Offers;
use self::operations::Operations;
use self::setup::OperatorAccess;
use self::status_lists::StatusLists;
use self::tokens::Tokens;
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

/// What most areas share: clones of the store handle, clock, randomness and settings.
#[derive(Debug, Clone)]
struct Base {
    store: Store,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    settings: Arc<IssuerSettings>,
}

/// The issuer over an initialised database: its use-case areas composed on one store, clock
/// and randomness; cheap to clone, shared by every request. Each area owns the state it needs
/// (clones of the store handle, clock, randomness and settings, and its own keys and caches),
/// and areas depend on each other one way only:
///
/// - at the bottom, [`Keys`] (signing keys, the register entry), [`Certification`] (the
///   provider's own certification on the trust list), [`Identities`], [`Nonces`], [`Tokens`]
///   and [`OperatorAccess`];
/// - on those: [`Offers`] (for a recorded identity), [`StatusLists`], [`Authorization`]
///   (issues its codes through [`Tokens`]), [`Metadata`] and [`Operations`];
/// - on [`StatusLists`]: [`CredentialRequests`] and [`Lifecycle`].
#[derive(Debug, Clone)]
pub struct Issuer {
    store: Store,
    settings: Arc<IssuerSettings>,
    random: Arc<dyn Random>,
    keys: Keys,
    certification: Certification,
    identities: Identities,
    offers: Offers,
    tokens: Tokens,
    authorization: Authorization,
    nonces: Nonces,
    credential_requests: CredentialRequests,
    status_lists: StatusLists,
    lifecycle: Lifecycle,
    metadata: Metadata,
    operations: Operations,
    operator_access: OperatorAccess,
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
        let base = Base {
            store: store.clone(),
            clock: Arc::clone(&clock),
            random: Arc::clone(&random),
            settings: Arc::new(settings),
        };
        let settings = Arc::clone(&base.settings);
        let keys = Keys {
            base: base.clone(),
            ring: Arc::default(),
        };
        let certification = Certification {
            register,
            clock: Arc::clone(&clock),
            settings: Arc::clone(&settings),
        };
        let identities = Identities { base: base.clone() };
        let offers = Offers {
            base: base.clone(),
            identities: identities.clone(),
            keys: keys.clone(),
            certification: certification.clone(),
        };
        let tokens = Tokens { base: base.clone() };
        let authorization = Authorization {
            base: base.clone(),
            login,
            tokens: tokens.clone(),
        };
        let nonces = Nonces { base: base.clone() };
        let status_lists = StatusLists {
            base: base.clone(),
            keys: keys.clone(),
            status_tokens: Arc::default(),
        };
        let credential_requests = CredentialRequests {
            base,
            keys: keys.clone(),
            certification: certification.clone(),
            status_lists: status_lists.clone(),
        };
        let lifecycle = Lifecycle {
            store: store.clone(),
            clock,
            status_lists: status_lists.clone(),
        };
        let metadata = Metadata {
            settings: Arc::clone(&settings),
            keys: keys.clone(),
        };
        let operations = Operations {
            store: store.clone(),
            certification: certification.clone(),
        };
        let operator_access = OperatorAccess {
            store: store.clone(),
        };
        Ok(Self {
            store,
            settings,
            random,
            keys,
            certification,
            identities,
            offers,
            tokens,
            authorization,
            nonces,
            credential_requests,
            status_lists,
            lifecycle,
            metadata,
            operations,
            operator_access,
        })
    }

    /// The settings in force.
    pub fn settings(&self) -> &IssuerSettings {
        &self.settings
    }

    /// The randomness the issuer was opened with (request ids use it too).
    pub fn random(&self) -> Arc<dyn Random> {
        Arc::clone(&self.random)
    }

    /// Signing keys: the active key, rotation, the published JWK Set, the register entry.
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The provider's own certification on the trust list.
    pub fn certification(&self) -> &Certification {
        &self.certification
    }

    /// Proofed identities.
    pub fn identities(&self) -> &Identities {
        &self.identities
    }

    /// Credential offers.
    pub fn offers(&self) -> &Offers {
        &self.offers
    }

    /// The token endpoint.
    pub fn tokens(&self) -> &Tokens {
        &self.tokens
    }

    /// The authorization code flow: pushed requests and the citizen's sign-in.
    pub fn authorization(&self) -> &Authorization {
        &self.authorization
    }

    /// The nonce endpoint.
    pub fn nonces(&self) -> &Nonces {
        &self.nonces
    }

    /// The credential endpoint.
    pub fn credential_requests(&self) -> &CredentialRequests {
        &self.credential_requests
    }

    /// Token Status Lists.
    pub fn status_lists(&self) -> &StatusLists {
        &self.status_lists
    }

    /// Issued credentials and their revocation, suspension and reinstatement.
    pub fn lifecycle(&self) -> &Lifecycle {
        &self.lifecycle
    }

    /// The metadata documents that need the published keys.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// Readiness and the gauges read at scrape time.
    pub fn operations(&self) -> &Operations {
        &self.operations
    }

    /// The operator API's bearer tokens.
    pub fn operator_access(&self) -> &OperatorAccess {
        &self.operator_access
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
