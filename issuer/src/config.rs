//! `IssuerConfig`: typed, layered settings (defaults → `--config FILE` → environment),
//! loaded with [`idv_service_kit::config::load`] and checked once by
//! [`IssuerConfig::issuer_settings`].
//!
//! ```toml
//! [http]
//! listen = "127.0.0.1:8200"              # IDV_HTTP__LISTEN
//! public_url = "http://127.0.0.1:8200"   # IDV_HTTP__PUBLIC_URL: the Credential Issuer
//!                                        # Identifier, every credential's `iss`
//!
//! [database]
//! url = "postgres://…"                   # IDV_DATABASE__URL or DATABASE_URL;
//!                                        # default sqlite://<data_dir>/issuer.sqlite
//! data_dir = "./data"                    # IDV_DATABASE__DATA_DIR
//! max_connections = 10                   # IDV_DATABASE__MAX_CONNECTIONS
//! sqlite_synchronous = "full"            # IDV_DATABASE__SQLITE_SYNCHRONOUS: or "normal", no fsync
//!                                        # per commit (WAL): an OS crash or power loss may
//!                                        # lose the last commits, a process crash none
//! acquire_timeout_ms = 3000             # IDV_DATABASE__ACQUIRE_TIMEOUT_MS: longest wait for a
//!                                        # connection; then 503 (database unavailable)
//!
//! [log]
//! format = "text"                        # IDV_LOG__FORMAT: or "json" (one object per line)
//!
//! [metrics]
//! enabled = true                         # IDV_METRICS__ENABLED: serve GET /metrics
//! bearer_token = "…"                     # IDV_METRICS__BEARER_TOKEN: when set, scrapes must
//!                                        # send Authorization: Bearer <token>
//!
//! [metadata]
//! display_name = "Example Identity Service"   # IDV_METADATA__DISPLAY_NAME
//! locale = "en-GB"                            # IDV_METADATA__LOCALE
//!
//! [offers]
//! lifetime_secs = 900                    # IDV_OFFERS__LIFETIME_SECS: offer and pre-authorized code
//! max_tx_code_attempts = 5               # IDV_OFFERS__MAX_TX_CODE_ATTEMPTS: then the offer locks
//! tx_code_length = 6                     # IDV_OFFERS__TX_CODE_LENGTH: digits
//!
//! [tokens]
//! access_token_lifetime_secs = 300       # IDV_TOKENS__ACCESS_TOKEN_LIFETIME_SECS (at most 300)
//! c_nonce_lifetime_secs = 300            # IDV_TOKENS__C_NONCE_LIFETIME_SECS
//! proof_max_age_secs = 300               # IDV_TOKENS__PROOF_MAX_AGE_SECS: oldest proof `iat`
//! clock_skew_secs = 60                   # IDV_TOKENS__CLOCK_SKEW_SECS
//!
//! [credentials]
//! batch_size = 10                        # IDV_CREDENTIALS__BATCH_SIZE: proofs per request
//! identity_validity_secs = 31536000      # IDV_CREDENTIALS__IDENTITY_VALIDITY_SECS: 365 days
//! age_validity_secs = 7776000            # IDV_CREDENTIALS__AGE_VALIDITY_SECS: 90 days
//!
//! [age]
//! min_level_of_confidence = "medium"     # IDV_AGE__MIN_LEVEL_OF_CONFIDENCE: lowest GPG 45 level
//!                                        # of an identity an age credential is offered and
//!                                        # issued for: medium, high or very_high (low is not
//!                                        # enough for an age-restricted sale)
//!
//! [status]
//! list_size = 131072                     # IDV_STATUS__LIST_SIZE: entries per list (2 bits each)
//! token_ttl_secs = 300                   # IDV_STATUS__TOKEN_TTL_SECS: the tokens' `ttl`
//! token_validity_secs = 86400            # IDV_STATUS__TOKEN_VALIDITY_SECS: `exp - iat`
//!
//! [limits]                               # 429 + Retry-After past a rate, per client address
//! trusted_proxies = []                   # IDV_LIMITS__TRUSTED_PROXIES: CIDRs of reverse proxies
//!                                        # whose X-Forwarded-For names the client (its
//!                                        # rightmost untrusted entry); otherwise the peer
//! max_body_bytes = 2097152               # IDV_LIMITS__MAX_BODY_BYTES: larger bodies are 413
//! per_ip = { per_minute = 3000, burst = 600 }      # every public endpoint
//!                                        # (IDV_LIMITS__PER_IP__PER_MINUTE, …__BURST)
//! writes_per_ip = { per_minute = 120, burst = 60 } # POST /nonce, /token, /par: each writes
//! operator_per_ip = { per_minute = 600, burst = 120 } # the operator API (/v1/…)
//!
//! # Optional: a PEM file of extra CA certificates trusted, with the system's roots, for the
//! # issuer's outbound https (the trust list and the OP below), for a server under a private CA.
//! [tls]
//! ca_file = "/etc/idv/private-ca.pem"    # IDV_TLS__CA_FILE
//!
//! # The trust framework's signed trust list, on which the provider's own register entry is
//! # checked before every offer and every issuance: nothing is offered or issued for a scheme
//! # (identity: RTW, age: AGE) the entry does not certify now, nor while no usable list is
//! # held. Optional, so an issuer can start before it is registered; production issuers must
//! # configure it (`issuer serve` warns without it).
//! [trust]
//! list_url = "http://127.0.0.1:8100/trust-list"   # IDV_TRUST__LIST_URL
//! anchors_file = "trust-anchor.json"     # IDV_TRUST__ANCHORS_FILE: pinned anchor JWK or JWK Set
//! anchors = []                           # IDV_TRUST__ANCHORS: pinned anchor JWKs inline (TOML)
//! plain_http = "loopback"                # IDV_TRUST__PLAIN_HTTP: where a plain-http list may
//!                                        # be fetched from: "loopback" or "any_host" (a lab
//!                                        # network; TLS terminates at a proxy)
//! refresh_secs = 60                      # IDV_TRUST__REFRESH_SECS: refetch the list (in the
//!                                        # background) when none was fetched for this
//!                                        # long, so a suspension stops issuance within it; a
//!                                        # refetch of an unchanged list is a 304. 1 to 86400
//!
//! # Optional: the authorization code flow, citizens signing in at the provider's existing
//! # OpenID Provider. Without this section only the pre-authorized code flow runs, and the
//! # metadata advertises nothing else.
//! [login]
//! issuer_url = "https://login.example-idsp.co.uk"  # IDV_LOGIN__ISSUER_URL: the OP's issuer
//!                                        # identifier, exactly (discovery, ID token `iss`)
//! client_id = "credential-issuer"        # IDV_LOGIN__CLIENT_ID: the issuer's client at the OP
//! client_secret = "…"                    # IDV_LOGIN__CLIENT_SECRET (client_secret_basic)
//! scopes = ["openid"]                    # IDV_LOGIN__SCOPES: asked of the OP; must hold openid
//! request_lifetime_secs = 60             # IDV_LOGIN__REQUEST_LIFETIME_SECS: a request_uri's
//! sign_in_timeout_secs = 600             # IDV_LOGIN__SIGN_IN_TIMEOUT_SECS: /authorize → callback
//!
//! # Wallets (public OAuth clients) allowed to start the flow, each with its redirect URIs,
//! # compared exactly, except that a loopback one (`http://127.0.0.1/…`, `http://[::1]/…`)
//! # matches any port (RFC 8252 §7.3). In the environment, as one TOML array:
//! # IDV_LOGIN__WALLET_CLIENTS='[{client_id = "wallet-sim", redirect_uris = ["http://127.0.0.1/callback"]}]'
//! [[login.wallet_clients]]
//! client_id = "wallet-sim"
//! redirect_uris = ["http://127.0.0.1/callback"]
//!
//! # Where private keys live. Nothing set: a key-encryption key (KEK) file, issuer.kek, is
//! # generated (mode 0600) on first start beside the SQLite database (in data_dir for
//! # PostgreSQL), and every private key is stored sealed under it (JWE dir + A256GCM). Set one
//! # of kek_file and kek_env to keep the KEK elsewhere; with [keys.pkcs11] the credential signing keys are
//! # generated and used in an HSM, and the database keeps only a reference to them.
//! [keys]
//! kek_file = "/etc/idv/issuer.kek"  # IDV_KEYS__KEK_FILE: 32 random bytes, base64url
//! kek_env = "ISSUER_KEK"            # IDV_KEYS__KEK_ENV: the variable that holds the KEK
//! [keys.pkcs11]
//! module = "/usr/lib/softhsm/libsofthsm2.so"   # IDV_KEYS__PKCS11__MODULE
//! token_label = "issuer"            # IDV_KEYS__PKCS11__TOKEN_LABEL
//! pin_env = "ISSUER_HSM_PIN"        # IDV_KEYS__PKCS11__PIN_ENV (or pin_file = "…")
//! ```
//!
//! Logging is set by `RUST_LOG` (default `info`).

use std::path::PathBuf;

use idv_fetch::http::PlainHttp;
use idv_fetch::{FetchPolicy, Fetcher};
use idv_jose::{Jwk, PublicKey};
use idv_profiles::LevelOfConfidence;
use idv_service_kit::Secret;
use idv_service_kit::config::{ConfigError, ServiceConfig};
pub use idv_service_kit::config::{DatabaseSettings, HttpSettings};
use idv_service_kit::limits::{DEFAULT_MAX_BODY_BYTES, IpNet, Rate};
use idv_service_kit::metrics::MetricsSettings;
use idv_service_kit::telemetry::LogSettings;
use idv_service_kit::tls::ClientTls;
pub use idv_service_kit::tls::TlsSettings;
use idv_trust::anchors::TrustAnchors;
use serde::{Deserialize, Serialize};

use crate::issuance::IssuerSettings;
use crate::issuance::authorization::{AuthorizationSettings, WalletClient};
use crate::issuance::certification::CertificationSettings;
use crate::issuance::login::op_client;

/// OpenID4VCI security considerations: an access token that is not sender-constrained must not
/// live longer than five minutes.
const MAX_ACCESS_TOKEN_LIFETIME: i64 = 300;
/// Longest `exp - iat` of a status list token relying parties accept by default
/// (`idv_status_list::StatusPolicy::DEFAULT_MAX_AGE`).
const MAX_STATUS_TOKEN_VALIDITY: i64 = idv_status_list::StatusPolicy::DEFAULT_MAX_AGE;
/// Longest `trust.refresh_secs` accepted: one day.
const MAX_TRUST_REFRESH: i64 = 24 * 60 * 60;
/// Largest anchor file read.
const MAX_ANCHOR_FILE: u64 = 64 * 1024;

/// All settings of the issuer service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    /// The HTTP listener and public address.
    pub http: HttpSettings,
    /// Where the issuer's records live.
    pub database: DatabaseSettings,
    /// Log line format.
    #[serde(default)]
    pub log: LogSettings,
    /// Access to `GET /metrics`.
    #[serde(default)]
    pub metrics: MetricsSettings,
    /// How wallets display this issuer.
    pub metadata: MetadataSettings,
    /// Credential offers and their pre-authorized codes.
    pub offers: OfferSettings,
    /// Access tokens, nonces and key proofs.
    pub tokens: TokenSettings,
    /// Issued credentials.
    pub credentials: CredentialSettings,
    /// Age credentials.
    pub age: AgeSettings,
    /// Token Status Lists.
    pub status: StatusSettings,
    /// Trust of outbound https (the trust list, the OP) besides the system's roots.
    #[serde(default, skip_serializing_if = "is_default")]
    pub tls: TlsSettings,
    /// The trust list the provider's own certification is checked on before it offers or
    /// issues (absent: not checked; production issuers must configure it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust: Option<TrustSettings>,
    /// Citizen sign-in at the provider's OpenID Provider, which enables the authorization code
    /// flow (absent: the pre-authorized code flow only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<LoginSettings>,
    /// Rate limits and the body cap.
    #[serde(default)]
    pub limits: LimitSettings,
    /// Where the private keys live (`[keys]`, see `idv_keystore`).
    #[serde(default)]
    pub keys: idv_keystore::KeysConfig,
}

/// `[limits]`: rates per client address, and the body cap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    /// Reverse proxies whose `X-Forwarded-For` is read (CIDRs); none by default.
    pub trusted_proxies: Vec<IpNet>,
    /// Largest request body, bytes.
    pub max_body_bytes: usize,
    /// Every public endpoint, per client address.
    pub per_ip: Rate,
    /// `POST /nonce`, `/token` and `/par` (each writes a row), per client address.
    pub writes_per_ip: Rate,
    /// The operator API, per client address.
    pub operator_per_ip: Rate,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            trusted_proxies: Vec::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            per_ip: Rate::new(3000, 600),
            writes_per_ip: Rate::new(120, 60),
            operator_per_ip: Rate::new(600, 120),
        }
    }
}

/// `[metadata]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetadataSettings {
    /// The issuer's name as wallets show it.
    pub display_name: String,
    /// BCP 47 language tag of the display texts.
    pub locale: String,
}

/// `[offers]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferSettings {
    /// Seconds an offer and its pre-authorized code stay redeemable.
    pub lifetime_secs: i64,
    /// Token requests with a `tx_code` an offer accepts; when all are spent without success,
    /// the offer is locked.
    pub max_tx_code_attempts: u32,
    /// Digits of a `tx_code`.
    pub tx_code_length: u32,
}

/// `[tokens]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    /// `expires_in` of access tokens, seconds (at most 300: they are bearer tokens).
    pub access_token_lifetime_secs: i64,
    /// Seconds a `c_nonce` stays usable.
    pub c_nonce_lifetime_secs: i64,
    /// Oldest `iat` of a key proof, seconds before now.
    pub proof_max_age_secs: i64,
    /// Clock skew tolerated on proof `iat`, seconds.
    pub clock_skew_secs: i64,
}

/// `[credentials]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialSettings {
    /// Most proofs (so credentials) in one Credential Request:
    /// `batch_credential_issuance.batch_size`.
    pub batch_size: u32,
    /// `exp - iat` of identity credentials, seconds.
    pub identity_validity_secs: i64,
    /// `exp - iat` of age credentials, seconds.
    pub age_validity_secs: i64,
}

/// `[age]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeSettings {
    /// Lowest GPG 45 level of confidence of an identity an age credential is offered and
    /// issued for (at least medium).
    pub min_level_of_confidence: LevelOfConfidence,
}

/// `[status]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusSettings {
    /// Entries per status list (2 bits each); a list takes new credentials until half full.
    pub list_size: u64,
    /// `ttl` of status list tokens: how long relying parties may cache one, seconds.
    pub token_ttl_secs: u64,
    /// `exp - iat` of status list tokens, seconds.
    pub token_validity_secs: i64,
}

/// `[trust]`: where the signed trust list is and the anchors it must be signed by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustSettings {
    /// Where the signed trust list is fetched.
    pub list_url: String,
    /// A file holding the pinned anchor public key(s): one JWK or a JWK Set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchors_file: Option<PathBuf>,
    /// Pinned anchor public keys given inline.
    #[serde(default)]
    pub anchors: Vec<Jwk>,
    /// Where a plain-`http` list may be fetched from: `loopback` or `any_host`.
    #[serde(default = "default_plain_http")]
    pub plain_http: String,
    /// Seconds after which the list is fetched again (before an offer or issuance) even
    /// before its `next_update`.
    #[serde(default = "default_trust_refresh")]
    pub refresh_secs: u64,
}

fn default_plain_http() -> String {
    "loopback".into()
}

pub(crate) fn default_trust_refresh() -> u64 {
    60
}

/// `[login]`: the provider's OpenID Provider, the issuer's client there, and the wallets that
/// may use the authorization code flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginSettings {
    /// The OP's issuer identifier; its metadata is discovered from
    /// `<issuer_url>/.well-known/openid-configuration`.
    pub issuer_url: String,
    /// The issuer's `client_id` at the OP.
    pub client_id: String,
    /// The issuer's `client_secret` at the OP.
    pub client_secret: Secret,
    /// Scopes asked of the OP (`openid` at least).
    #[serde(default = "default_login_scopes")]
    pub scopes: Vec<String>,
    /// Seconds a pushed request's `request_uri` stays usable.
    #[serde(default = "default_request_lifetime")]
    pub request_lifetime_secs: i64,
    /// Seconds a person has, from `/authorize`, to sign in at the OP.
    #[serde(default = "default_sign_in_timeout")]
    pub sign_in_timeout_secs: i64,
    /// The wallets allowed to start the flow.
    #[serde(default)]
    pub wallet_clients: Vec<WalletClientSettings>,
}

/// `[[login.wallet_clients]]`: a wallet registered as a public OAuth client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalletClientSettings {
    /// Its `client_id`.
    pub client_id: String,
    /// Its redirect URIs (a loopback `http://127.0.0.1/…` one matches any port).
    pub redirect_uris: Vec<String>,
}

fn default_login_scopes() -> Vec<String> {
    vec!["openid".to_owned()]
}

fn default_request_lifetime() -> i64 {
    60
}

fn default_sign_in_timeout() -> i64 {
    600
}

impl Default for IssuerConfig {
    fn default() -> Self {
        Self {
            http: HttpSettings::loopback(8200),
            database: DatabaseSettings::default_sqlite(),
            log: LogSettings::default(),
            metrics: MetricsSettings::default(),
            metadata: MetadataSettings {
                display_name: "Example Identity Service".into(),
                locale: "en-GB".into(),
            },
            offers: OfferSettings {
                lifetime_secs: 15 * 60,
                max_tx_code_attempts: 5,
                tx_code_length: 6,
            },
            tokens: TokenSettings {
                access_token_lifetime_secs: 300,
                c_nonce_lifetime_secs: 300,
                proof_max_age_secs: 300,
                clock_skew_secs: 60,
            },
            credentials: CredentialSettings {
                batch_size: 10,
                identity_validity_secs: 365 * 24 * 60 * 60,
                age_validity_secs: 90 * 24 * 60 * 60,
            },
            age: AgeSettings {
                min_level_of_confidence: LevelOfConfidence::Medium,
            },
            status: StatusSettings {
                list_size: 1 << 17,
                token_ttl_secs: 300,
                token_validity_secs: 24 * 60 * 60,
            },
            tls: TlsSettings::default(),
            trust: None,
            login: None,
            limits: LimitSettings::default(),
            keys: idv_keystore::KeysConfig::default(),
        }
    }
}

fn reject<T>(message: impl Into<String>) -> Result<T, ConfigError> {
    Err(ConfigError::Rejected(message.into()))
}

fn within(
    name: &str,
    value: i64,
    bounds: std::ops::RangeInclusive<i64>,
) -> Result<(), ConfigError> {
    if bounds.contains(&value) {
        Ok(())
    } else {
        reject(format!(
            "{name} must be between {} and {}",
            bounds.start(),
            bounds.end()
        ))
    }
}

impl ServiceConfig for IssuerConfig {
    const SQLITE_FILE: &'static str = "issuer.sqlite";

    fn database(&self) -> &DatabaseSettings {
        &self.database
    }

    fn keys(&self) -> &idv_keystore::KeysConfig {
        &self.keys
    }
}

impl IssuerConfig {
    /// Checks the settings the use cases depend on and returns them as one value.
    pub fn issuer_settings(&self) -> Result<IssuerSettings, ConfigError> {
        let public_url = self.http.checked_public_url()?;
        // OpenID4VCI: the Credential Issuer Identifier has no query and no fragment.
        if public_url.contains(['?', '#']) {
            return reject("http.public_url must have no query or fragment");
        }
        let display_name = self.metadata.display_name.trim();
        if display_name.is_empty() || display_name.chars().any(char::is_control) {
            return reject("metadata.display_name must be a non-empty single line");
        }
        if self.metadata.locale.trim().is_empty() {
            return reject("metadata.locale must not be empty");
        }
        let offers = &self.offers;
        within(
            "offers.lifetime_secs",
            offers.lifetime_secs,
            60..=24 * 60 * 60,
        )?;
        within(
            "offers.max_tx_code_attempts",
            offers.max_tx_code_attempts.into(),
            1..=20,
        )?;
        within(
            "offers.tx_code_length",
            offers.tx_code_length.into(),
            4..=12,
        )?;
        let tokens = &self.tokens;
        within(
            "tokens.access_token_lifetime_secs",
            tokens.access_token_lifetime_secs,
            10..=MAX_ACCESS_TOKEN_LIFETIME,
        )?;
        within(
            "tokens.c_nonce_lifetime_secs",
            tokens.c_nonce_lifetime_secs,
            10..=3600,
        )?;
        within(
            "tokens.proof_max_age_secs",
            tokens.proof_max_age_secs,
            10..=3600,
        )?;
        within("tokens.clock_skew_secs", tokens.clock_skew_secs, 0..=600)?;
        let credentials = &self.credentials;
        // OpenID4VCI: batch_size, when advertised, is at least 2.
        within(
            "credentials.batch_size",
            credentials.batch_size.into(),
            2..=100,
        )?;
        for (name, value) in [
            (
                "credentials.identity_validity_secs",
                credentials.identity_validity_secs,
            ),
            (
                "credentials.age_validity_secs",
                credentials.age_validity_secs,
            ),
        ] {
            within(name, value, 24 * 60 * 60..=10 * 365 * 24 * 60 * 60)?;
        }
        let age_min_level_of_confidence = self.age.min_level_of_confidence;
        // An age attestation rests on an identity proofed to at least GPG 45 medium confidence.
        if age_min_level_of_confidence < LevelOfConfidence::Medium {
            return reject("age.min_level_of_confidence must be medium, high or very_high");
        }
        let status = &self.status;
        if !status.list_size.is_multiple_of(8) || !(16..=1 << 24).contains(&status.list_size) {
            return reject("status.list_size must be a multiple of 8 between 16 and 16777216");
        }
        if status.list_size / 2 < u64::from(credentials.batch_size) {
            return reject("status.list_size must hold at least two batches (2 × batch_size)");
        }
        within(
            "status.token_validity_secs",
            status.token_validity_secs,
            60..=MAX_STATUS_TOKEN_VALIDITY,
        )?;
        let ttl = i64::try_from(status.token_ttl_secs).unwrap_or(i64::MAX);
        within("status.token_ttl_secs", ttl, 1..=status.token_validity_secs)?;
        let authorization = self
            .login
            .as_ref()
            .map(|login| login.check(&self.tls))
            .transpose()?;
        let certification = self
            .trust
            .as_ref()
            .map(|trust| trust.check(&self.tls))
            .transpose()?;
        Ok(IssuerSettings {
            public_url,
            display_name: display_name.to_owned(),
            locale: self.metadata.locale.clone(),
            offer_lifetime_secs: offers.lifetime_secs,
            max_tx_code_attempts: i64::from(offers.max_tx_code_attempts),
            tx_code_length: offers.tx_code_length,
            access_token_lifetime_secs: tokens.access_token_lifetime_secs,
            c_nonce_lifetime_secs: tokens.c_nonce_lifetime_secs,
            proof_max_age_secs: tokens.proof_max_age_secs,
            clock_skew_secs: tokens.clock_skew_secs,
            batch_size: credentials.batch_size,
            identity_validity_secs: credentials.identity_validity_secs,
            age_validity_secs: credentials.age_validity_secs,
            age_min_level_of_confidence,
            status_list_size: status.list_size,
            status_token_ttl_secs: status.token_ttl_secs,
            status_token_validity_secs: status.token_validity_secs,
            authorization,
            certification,
        })
    }
}

/// Whether `url` is an absolute http(s) URL with a host and no fragment.
fn is_web_url(url: &url::Url) -> bool {
    matches!(url.scheme(), "http" | "https") && url.host().is_some() && url.fragment().is_none()
}

impl TrustSettings {
    fn check(&self, tls: &TlsSettings) -> Result<CertificationSettings, ConfigError> {
        match url::Url::parse(&self.list_url) {
            Ok(url) if is_web_url(&url) => {}
            _ => return reject("trust.list_url must be an http(s) URL without fragment"),
        }
        let plain_http = match self.plain_http.as_str() {
            "loopback" => PlainHttp::Loopback,
            "any_host" => PlainHttp::AnyHost,
            _ => return reject("trust.plain_http must be loopback or any_host"),
        };
        let refresh_secs = i64::try_from(self.refresh_secs).unwrap_or(i64::MAX);
        within("trust.refresh_secs", refresh_secs, 1..=MAX_TRUST_REFRESH)?;
        // Built now, so a bad CA file stops startup rather than every offer.
        let client_tls = ClientTls::from_settings(tls)
            .map_err(|e| ConfigError::Rejected(format!("tls.ca_file: {e}")))?;
        let fetcher = Fetcher::with_tls(
            FetchPolicy {
                plain_http,
                ..FetchPolicy::default()
            },
            &client_tls,
        )
        .map_err(|e| {
            ConfigError::Rejected(format!(
                "no HTTP client for the trust list can be built: {e}"
            ))
        })?;
        Ok(CertificationSettings {
            list_url: self.list_url.clone(),
            anchors: self.anchors()?,
            refresh_secs,
            fetcher,
        })
    }

    /// The pinned anchors: `anchors` plus the keys in `anchors_file`.
    fn anchors(&self) -> Result<TrustAnchors, ConfigError> {
        let mut keys = Vec::new();
        for (i, jwk) in self.anchors.iter().enumerate() {
            keys.push(
                PublicKey::from_jwk(jwk)
                    .map_err(|e| ConfigError::Rejected(format!("trust.anchors[{i}]: {e}")))?,
            );
        }
        if let Some(path) = &self.anchors_file {
            let rejected = |e: String| {
                ConfigError::Rejected(format!("trust.anchors_file {}: {e}", path.display()))
            };
            let size = std::fs::metadata(path)
                .map_err(|e| rejected(e.to_string()))?
                .len();
            if size > MAX_ANCHOR_FILE {
                return Err(rejected("too large".into()));
            }
            let text = std::fs::read_to_string(path).map_err(|e| rejected(e.to_string()))?;
            let jwks = idv_trust::anchors::jwks_from_json(&text)
                .map_err(|e| rejected(e.to_string()))?
                .keys;
            for jwk in &jwks {
                keys.push(PublicKey::from_jwk(jwk).map_err(|e| rejected(e.to_string()))?);
            }
        }
        if keys.is_empty() {
            return reject("no trust anchor pinned: set trust.anchors_file or trust.anchors");
        }
        TrustAnchors::from_keys(keys).map_err(|e| ConfigError::Rejected(format!("trust: {e}")))
    }
}

impl LoginSettings {
    fn check(&self, tls: &TlsSettings) -> Result<AuthorizationSettings, ConfigError> {
        // Built now, so a bad CA file stops startup rather than every sign-in.
        let op_tls = ClientTls::from_settings(tls)
            .map_err(|e| ConfigError::Rejected(format!("tls.ca_file: {e}")))?;
        let op_http = op_client(&op_tls).map_err(|e| {
            ConfigError::Rejected(format!("no HTTP client for the OP could be built: {e}"))
        })?;
        // Kept exactly as written: it must equal the `issuer` of the OP's metadata.
        let issuer_url = self.issuer_url.as_str();
        match url::Url::parse(issuer_url) {
            Ok(url) if is_web_url(&url) && url.query().is_none() => {}
            _ => {
                return reject("login.issuer_url must be an http(s) URL without query or fragment");
            }
        }
        if self.client_id.trim().is_empty() || self.client_secret.expose().is_empty() {
            return reject("login.client_id and login.client_secret must not be empty");
        }
        if !self.scopes.iter().any(|s| s == "openid")
            || self
                .scopes
                .iter()
                .any(|s| s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return reject("login.scopes must include openid, each a single word");
        }
        within(
            "login.request_lifetime_secs",
            self.request_lifetime_secs,
            10..=600,
        )?;
        within(
            "login.sign_in_timeout_secs",
            self.sign_in_timeout_secs,
            60..=3600,
        )?;
        let mut wallet_clients: Vec<WalletClient> = Vec::with_capacity(self.wallet_clients.len());
        for (i, client) in self.wallet_clients.iter().enumerate() {
            let name = format!("login.wallet_clients[{i}]");
            if client.client_id.trim().is_empty()
                || wallet_clients
                    .iter()
                    .any(|c| c.client_id == client.client_id)
            {
                return reject(format!("{name}.client_id must be non-empty and unique"));
            }
            if client.redirect_uris.is_empty() {
                return reject(format!("{name}.redirect_uris must not be empty"));
            }
            for uri in &client.redirect_uris {
                // RFC 6749 §3.1.2: absolute, no fragment; custom schemes of native apps too.
                match url::Url::parse(uri) {
                    Ok(url) if url.fragment().is_none() && !url.cannot_be_a_base() => {}
                    _ => {
                        return reject(format!(
                            "{name}.redirect_uris: `{uri}` is not an absolute URI without fragment"
                        ));
                    }
                }
            }
            wallet_clients.push(WalletClient {
                client_id: client.client_id.clone(),
                redirect_uris: client.redirect_uris.clone(),
            });
        }
        Ok(AuthorizationSettings {
            op_issuer_url: issuer_url.to_owned(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            scopes: self.scopes.clone(),
            request_lifetime_secs: self.request_lifetime_secs,
            sign_in_timeout_secs: self.sign_in_timeout_secs,
            wallet_clients,
            op_http,
        })
    }
}

fn is_default(tls: &TlsSettings) -> bool {
    *tls == TlsSettings::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(env: &[(&str, &str)]) -> Result<IssuerConfig, ConfigError> {
        idv_service_kit::config::load_from(None, env.iter().copied())
    }

    #[test]
    fn defaults_are_valid_and_use_a_sqlite_file_in_the_data_dir() {
        let config = load(&[]).unwrap();
        assert_eq!(config, IssuerConfig::default());
        let settings = config.issuer_settings().unwrap();
        assert_eq!(settings.public_url, "http://127.0.0.1:8200");
        assert_eq!(settings.batch_size, 10);
        assert_eq!(
            config.database_url().expose(),
            "sqlite://./data/issuer.sqlite"
        );
    }

    #[test]
    fn environment_overrides_defaults() {
        let config = load(&[
            ("IDV_HTTP__PUBLIC_URL", "https://id.example-idsp.co.uk/"),
            ("IDV_OFFERS__MAX_TX_CODE_ATTEMPTS", "3"),
            ("DATABASE_URL", "postgres://issuer:pw@db/issuer"),
        ])
        .unwrap();
        assert_eq!(config.offers.max_tx_code_attempts, 3);
        let raised = load(&[("IDV_AGE__MIN_LEVEL_OF_CONFIDENCE", "high")]).unwrap();
        assert_eq!(
            raised
                .issuer_settings()
                .unwrap()
                .age_min_level_of_confidence,
            LevelOfConfidence::High
        );
        assert!(load(&[("IDV_AGE__MIN_LEVEL_OF_CONFIDENCE", "extreme")]).is_err());
        let settings = config.issuer_settings().unwrap();
        assert_eq!(settings.public_url, "https://id.example-idsp.co.uk");
        assert!(!format!("{config:?}").contains("pw"));
    }

    #[test]
    fn unsafe_or_inconsistent_settings_are_rejected() {
        for env in [
            [("IDV_TOKENS__ACCESS_TOKEN_LIFETIME_SECS", "3600")],
            [("IDV_CREDENTIALS__BATCH_SIZE", "1")],
            [("IDV_STATUS__LIST_SIZE", "100")],
            [("IDV_STATUS__TOKEN_TTL_SECS", "172800")],
            [("IDV_HTTP__PUBLIC_URL", "https://id.example/?x=1")],
            [("IDV_OFFERS__TX_CODE_LENGTH", "2")],
            [("IDV_AGE__MIN_LEVEL_OF_CONFIDENCE", "low")],
        ] {
            let config = load(&env).unwrap();
            assert!(config.issuer_settings().is_err(), "{env:?}");
        }
    }

    /// A pinned anchor (any P-256 public JWK) as inline TOML.
    fn anchor_toml() -> String {
        let jwk = idv_jose::SigningKey::generate()
            .unwrap()
            .public_key()
            .to_jwk();
        format!(
            r#"[{{kty = "EC", crv = "P-256", x = "{}", y = "{}"}}]"#,
            jwk.x.unwrap(),
            jwk.y.unwrap()
        )
    }

    #[test]
    fn trust_comes_from_the_environment_with_defaults() {
        assert!(load(&[]).unwrap().trust.is_none());
        let anchors = anchor_toml();
        let config = load(&[
            ("IDV_TRUST__LIST_URL", "http://127.0.0.1:8100/trust-list"),
            ("IDV_TRUST__ANCHORS", &anchors),
        ])
        .unwrap();
        let trust = config.trust.as_ref().unwrap();
        assert_eq!(trust.plain_http, "loopback");
        assert_eq!(trust.refresh_secs, 60);
        let certification = config.issuer_settings().unwrap().certification.unwrap();
        assert_eq!(certification.list_url, "http://127.0.0.1:8100/trust-list");
        assert_eq!(certification.anchors.len(), 1);
        assert_eq!(certification.refresh_secs, 60);
        assert_eq!(
            certification.fetcher.policy().plain_http,
            PlainHttp::Loopback
        );
        assert!(
            load(&[])
                .unwrap()
                .issuer_settings()
                .unwrap()
                .certification
                .is_none()
        );
    }

    #[test]
    fn trust_anchors_come_from_a_jwk_or_jwk_set_file() {
        let dir = tempfile::tempdir().unwrap();
        let key = idv_jose::SigningKey::generate().unwrap();
        let jwk = serde_json::to_string(&key.public_key().to_jwk()).unwrap();
        let single = dir.path().join("anchor.json");
        std::fs::write(&single, &jwk).unwrap();
        let set = dir.path().join("anchors.json");
        std::fs::write(&set, format!(r#"{{"keys": [{jwk}]}}"#)).unwrap();
        let garbage = dir.path().join("garbage.json");
        std::fs::write(&garbage, "not json").unwrap();
        let with_file = |path: &std::path::Path| {
            load(&[
                ("IDV_TRUST__LIST_URL", "https://trust.example/trust-list"),
                ("IDV_TRUST__ANCHORS_FILE", path.to_str().unwrap()),
            ])
            .unwrap()
            .issuer_settings()
        };
        for path in [&single, &set] {
            let certification = with_file(path).unwrap().certification.unwrap();
            assert_eq!(
                certification.anchors.kids().collect::<Vec<_>>(),
                [key.kid().as_str()]
            );
        }
        assert!(with_file(&garbage).is_err());
        assert!(with_file(&dir.path().join("missing.json")).is_err());
    }

    #[test]
    fn unusable_trust_settings_are_rejected() {
        let anchors = anchor_toml();
        let base = [
            ("IDV_TRUST__LIST_URL", "https://trust.example/trust-list"),
            ("IDV_TRUST__ANCHORS", anchors.as_str()),
        ];
        assert!(
            load(&base[..1]).unwrap().issuer_settings().is_err(),
            "an anchor must be pinned"
        );
        for extra in [
            ("IDV_TRUST__LIST_URL", "trust.example/trust-list"),
            ("IDV_TRUST__PLAIN_HTTP", "everywhere"),
            ("IDV_TRUST__REFRESH_SECS", "0"),
            ("IDV_TRUST__REFRESH_SECS", "86401"),
            (
                "IDV_TRUST__ANCHORS",
                r#"[{kty = "EC", crv = "P-256", x = "AA", y = "AA"}]"#,
            ),
        ] {
            let mut env = base.to_vec();
            env.retain(|(key, _)| *key != extra.0);
            env.push(extra);
            let config = load(&env).unwrap();
            assert!(config.issuer_settings().is_err(), "{extra:?}");
        }
    }

    const LOGIN: [(&str, &str); 3] = [
        ("IDV_LOGIN__ISSUER_URL", "https://login.example/"),
        ("IDV_LOGIN__CLIENT_ID", "credential-issuer"),
        ("IDV_LOGIN__CLIENT_SECRET", "op-secret"),
    ];

    #[test]
    fn login_comes_from_the_environment_with_defaults() {
        let mut env = LOGIN.to_vec();
        env.push((
            "IDV_LOGIN__WALLET_CLIENTS",
            r#"[{client_id = "wallet-sim", redirect_uris = ["http://127.0.0.1/callback"]}]"#,
        ));
        let config = load(&env).unwrap();
        assert!(!format!("{config:?}").contains("op-secret"));
        let settings = config.issuer_settings().unwrap();
        let login = settings.authorization.unwrap();
        assert_eq!(login.op_issuer_url, "https://login.example/");
        assert_eq!(login.scopes, ["openid"]);
        assert_eq!(login.request_lifetime_secs, 60);
        assert_eq!(login.wallet_clients[0].client_id, "wallet-sim");
        assert!(
            load(&[])
                .unwrap()
                .issuer_settings()
                .unwrap()
                .authorization
                .is_none()
        );
    }

    #[test]
    fn unusable_login_settings_are_rejected() {
        assert!(load(&LOGIN[..2]).is_err(), "client_secret is required");
        for extra in [
            ("IDV_LOGIN__ISSUER_URL", "login.example"),
            ("IDV_LOGIN__SCOPES", r#"["profile"]"#),
            ("IDV_LOGIN__SIGN_IN_TIMEOUT_SECS", "5"),
            (
                "IDV_LOGIN__WALLET_CLIENTS",
                r#"[{client_id = "w", redirect_uris = []}]"#,
            ),
            (
                "IDV_LOGIN__WALLET_CLIENTS",
                r#"[{client_id = "w", redirect_uris = ["/relative"]}]"#,
            ),
            (
                "IDV_LOGIN__WALLET_CLIENTS",
                r#"[{client_id = "w", redirect_uris = ["http://127.0.0.1/a"]},
                    {client_id = "w", redirect_uris = ["http://127.0.0.1/b"]}]"#,
            ),
        ] {
            let mut env = LOGIN.to_vec();
            env.push(extra);
            let config = load(&env).unwrap();
            assert!(config.issuer_settings().is_err(), "{extra:?}");
        }
    }
}
