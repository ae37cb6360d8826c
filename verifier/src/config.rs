//! `VerifierConfig`: typed, layered settings (defaults → `--config FILE` → environment),
//! loaded with [`idv_service_kit::config::load`] and checked once by
//! [`VerifierConfig::settings`].
//!
//! ```toml
//! [http]
//! listen = "127.0.0.1:8300"              # IDV_HTTP__LISTEN
//! public_url = "http://127.0.0.1:8300"   # IDV_HTTP__PUBLIC_URL: base of request_uri/response_uri
//!
//! [database]
//! url = "postgres://…"                   # IDV_DATABASE__URL or DATABASE_URL;
//!                                        # default sqlite://<data_dir>/verifier.sqlite
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
//! [trust]
//! list_url = "http://127.0.0.1:8100/trust-list"   # IDV_TRUST__LIST_URL
//! anchors_file = "trust-anchor.json"     # IDV_TRUST__ANCHORS_FILE: pinned anchor JWK or JWK Set
//! anchors = []                           # IDV_TRUST__ANCHORS: pinned anchor JWKs inline (TOML)
//! plain_http = "loopback"                # IDV_TRUST__PLAIN_HTTP: where plain-http trust and
//!                                        # status lists may be fetched from: "loopback" or
//!                                        # "any_host" (a lab network; TLS terminates at a proxy)
//! refresh_secs = 60                      # IDV_TRUST__REFRESH_SECS: refetch the list at least
//!                                        # this often (in the background: checks never wait
//!                                        # for it while the held list is valid; back-off after
//!                                        # failures), so a register change (a suspension, a
//!                                        # new relying party) reaches checks within it rather
//!                                        # than at the list's next_update; a refetch of an
//!                                        # unchanged list is a 304 (If-None-Match). 1 to 86400
//! status_cache_secs = 60                 # IDV_TRUST__STATUS_CACHE_SECS: refetch a status list
//!                                        # token after this long (never later than its own
//!                                        # ttl), so a revocation reaches checks within it; if
//!                                        # the refetch fails or takes over 2 s the token held
//!                                        # decides until its ttl or exp. 0 (refetch for every
//!                                        # check) to 86400
//!
//! [checks]
//! request_lifetime_secs = 600            # IDV_CHECKS__REQUEST_LIFETIME_SECS: a check's expiry
//! response_mode = "direct_post.jwt"      # IDV_CHECKS__RESPONSE_MODE: or "direct_post"
//! redirect_allow_hosts = []              # IDV_CHECKS__REDIRECT_ALLOW_HOSTS: loopback "host" or
//!                                        # "host:port" a same-device redirect_uri may use with
//!                                        # plain http (a native app's loopback listener)
//! tenant_cache_secs = 10                 # IDV_CHECKS__TENANT_CACHE_SECS: how long a server
//!                                        # keeps a tenant's row and API keys in memory; a
//!                                        # `verifier tenant attest | revoke-keys | api-key` run
//!                                        # on the same database takes effect within it (0: no
//!                                        # cache, every check reads the database; at most 3600)
//!
//! [retention]                            # how long a finished check's personal data is kept;
//!                                        # by default each template's own period (right_to_work
//!                                        # 30 days, age_over_NN 1 day)
//! default_secs = 604800                  # IDV_RETENTION__DEFAULT_SECS: overrides every template
//! [retention.templates]                  # per-template overrides (file only), seconds
//! right_to_work = 2592000
//! age_over_18 = 0                        # 0: personal data is purged by the next sweep
//!
//! [webhooks]
//! poll_interval_ms = 1000                # IDV_WEBHOOKS__POLL_INTERVAL_MS: outbox scan period
//! timeout_secs = 10                      # IDV_WEBHOOKS__TIMEOUT_SECS: per delivery attempt
//! retry_initial_secs = 10                # IDV_WEBHOOKS__RETRY_INITIAL_SECS: first retry delay,
//! retry_max_secs = 3600                  # IDV_WEBHOOKS__RETRY_MAX_SECS: doubling up to this
//! max_attempts = 20                      # IDV_WEBHOOKS__MAX_ATTEMPTS: then the event is dead
//! connect_timeout_secs = 3               # IDV_WEBHOOKS__CONNECT_TIMEOUT_SECS: TCP + TLS connect
//! max_in_flight = 64                     # IDV_WEBHOOKS__MAX_IN_FLIGHT: attempts at once (instance)
//! max_in_flight_per_tenant = 8           # IDV_WEBHOOKS__MAX_IN_FLIGHT_PER_TENANT
//! max_in_flight_per_host = 4             # IDV_WEBHOOKS__MAX_IN_FLIGHT_PER_HOST: host:port
//! breaker_failures = 5                   # IDV_WEBHOOKS__BREAKER_FAILURES: failures in a row
//!                                        # (no answer, timeout, 5xx, 429) that open a host's
//!                                        # circuit breaker
//! breaker_open_secs = 60                 # IDV_WEBHOOKS__BREAKER_OPEN_SECS: then one trial
//! allow_hosts = []                       # IDV_WEBHOOKS__ALLOW_HOSTS: "host" or "host:port"
//!                                        # exempt from the public-address rule (and allowed
//!                                        # plain http), e.g. ["127.0.0.1:9000"] for a local
//!                                        # relay; by default webhooks go to https on public
//!                                        # addresses only
//!
//! [tls]                                  # optional: extra PEM CA certificates trusted, with
//! ca_file = "/etc/idv/private-ca.pem"    # the system's roots, by outbound https (trust and
//!                                        # status lists, webhooks); IDV_TLS__CA_FILE
//!
//! [sweeper]
//! interval_ms = 60000                    # IDV_SWEEPER__INTERVAL_MS: expiry and retention
//!
//! [limits]                               # 429 + Retry-After past a rate, per key
//! trusted_proxies = []                   # IDV_LIMITS__TRUSTED_PROXIES: CIDRs of reverse proxies
//!                                        # whose X-Forwarded-For names the client (its
//!                                        # rightmost untrusted entry); otherwise the peer
//! max_body_bytes = 2097152               # IDV_LIMITS__MAX_BODY_BYTES: larger bodies are 413
//! per_ip = { per_minute = 3000, burst = 600 }   # every public endpoint, per client address
//!                                        # (IDV_LIMITS__PER_IP__PER_MINUTE, …__BURST)
//! authorize_per_ip = { per_minute = 60, burst = 20 }        # /oidc/authorize, per address
//! authorize_per_client = { per_minute = 600, burst = 100 }  # /oidc/authorize, per client_id
//! checks_per_tenant = { per_minute = 600, burst = 100 }     # tenant API writes, per tenant
//! max_open_checks_per_tenant = 1000      # checks waiting for a wallet; then 429
//! max_pending_sessions_per_client = 1000 # sign-ins waiting for a person; then 429
//! # Where private keys live. Nothing set: a key-encryption key (KEK) file, verifier.kek, is
//! # generated (mode 0600) on first start beside the SQLite database (in data_dir for
//! # PostgreSQL), and every private key, the per-check ECDH-ES decryption keys too, is stored
//! # sealed under it (JWE dir + A256GCM). Set one of kek_file and kek_env to keep the KEK
//! # elsewhere; with [keys.pkcs11] the signing keys (request objects, evidence, ID tokens) are
//! # generated and used in an HSM, and the database keeps only a reference to them.
//! [keys]
//! kek_file = "/etc/idv/verifier.kek"  # IDV_KEYS__KEK_FILE: 32 random bytes, base64url
//! kek_env = "VERIFIER_KEK"                # IDV_KEYS__KEK_ENV: the variable that holds the KEK
//! [keys.pkcs11]
//! module = "/usr/lib/softhsm/libsofthsm2.so"   # IDV_KEYS__PKCS11__MODULE
//! token_label = "verifier"            # IDV_KEYS__PKCS11__TOKEN_LABEL
//! pin_env = "VERIFIER_HSM_PIN"            # IDV_KEYS__PKCS11__PIN_ENV (or pin_file = "…")
//! ```
//!
//! Logging is set by `RUST_LOG` (default `info`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use idv_fetch::http::PlainHttp;
use idv_jose::{Jwk, PublicKey};
use idv_proto::oid4vp::authorization_request::ResponseMode;
use idv_service_kit::config::{ConfigError, ServiceConfig, http_url};
pub use idv_service_kit::config::{DatabaseSettings, HttpSettings};
use idv_service_kit::limits::{DEFAULT_MAX_BODY_BYTES, IpNet, Rate};
use idv_service_kit::metrics::MetricsSettings;
use idv_service_kit::telemetry::LogSettings;
use idv_service_kit::tls::{ClientTls, TlsSettings};
use idv_trust::anchors::TrustAnchors;
use serde::{Deserialize, Serialize};

use crate::webhooks::destination::AllowHosts;

/// All settings of the verifier service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifierConfig {
    /// The HTTP listener and public address.
    pub http: HttpSettings,
    /// Where the state lives.
    pub database: DatabaseSettings,
    /// Log line format.
    #[serde(default)]
    pub log: LogSettings,
    /// Access to `GET /metrics`.
    #[serde(default)]
    pub metrics: MetricsSettings,
    /// The trust list and its pinned anchors.
    pub trust: TrustSettings,
    /// Checks and their wallet requests.
    pub checks: CheckSettings,
    /// How long personal data is kept.
    pub retention: RetentionSettings,
    /// Webhook delivery.
    pub webhooks: WebhookSettings,
    /// The background sweeper.
    pub sweeper: SweeperSettings,
    /// Trust of outbound https besides the system's roots.
    #[serde(default, skip_serializing_if = "is_default_tls")]
    pub tls: TlsSettings,
    /// Rate and resource limits.
    #[serde(default)]
    pub limits: LimitSettings,
    /// Where the private keys live (`[keys]`, see `idv_keystore`).
    #[serde(default)]
    pub keys: idv_keystore::KeysConfig,
}

/// `[limits]`: rates per client address, OpenID Connect client and tenant, and caps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    /// Reverse proxies whose `X-Forwarded-For` is read (CIDRs); none by default.
    pub trusted_proxies: Vec<IpNet>,
    /// Largest request body, bytes.
    pub max_body_bytes: usize,
    /// Every public endpoint (wallet, OpenID Provider, keys), per client address.
    pub per_ip: Rate,
    /// `GET|POST /oidc/authorize`, per client address.
    pub authorize_per_ip: Rate,
    /// `GET|POST /oidc/authorize`, per `client_id`.
    pub authorize_per_client: Rate,
    /// `POST`/`DELETE` of the tenant API, per tenant.
    pub checks_per_tenant: Rate,
    /// Checks of one tenant waiting for a wallet at once.
    pub max_open_checks_per_tenant: i64,
    /// Sign-ins of one OpenID Connect client waiting for the person at once.
    pub max_pending_sessions_per_client: i64,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            trusted_proxies: Vec::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            per_ip: Rate::new(3000, 600),
            authorize_per_ip: Rate::new(60, 20),
            authorize_per_client: Rate::new(600, 100),
            checks_per_tenant: Rate::new(600, 100),
            max_open_checks_per_tenant: 1000,
            max_pending_sessions_per_client: 1000,
        }
    }
}

fn is_default_tls(tls: &TlsSettings) -> bool {
    *tls == TlsSettings::default()
}

/// `[trust]`.
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
    /// Where plain-`http` trust and status lists may be fetched from: `loopback` or `any_host`.
    pub plain_http: String,
    /// Seconds after which the list is fetched again even before its `next_update`.
    pub refresh_secs: u64,
    /// Seconds after which a fetched status list token is fetched again (never later than its
    /// `ttl`; while the issuer fails to answer, the token held decides until its `ttl` or
    /// `exp`).
    pub status_cache_secs: u64,
}

/// `[checks]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSettings {
    /// Seconds from creation until a check (and its wallet request) expires.
    pub request_lifetime_secs: i64,
    /// `direct_post.jwt` (encrypted, the default) or `direct_post`.
    pub response_mode: String,
    /// Seconds a tenant's row and its API keys are kept in memory (0: not at all).
    pub tenant_cache_secs: u64,
    /// Loopback hosts (`host` or `host:port`) a same-device `redirect_uri` may use with plain
    /// `http` (RFC 8252 §7.3).
    #[serde(default)]
    pub redirect_allow_hosts: Vec<String>,
}

/// `[retention]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Seconds personal data is kept after a check ends, for every template without an
    /// override; when absent, each template's own default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_secs: Option<i64>,
    /// Per-template overrides, by template name.
    #[serde(default)]
    pub templates: BTreeMap<String, i64>,
}

/// `[webhooks]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// How often the outbox is scanned, in milliseconds.
    pub poll_interval_ms: u64,
    /// Timeout of one delivery attempt, in seconds.
    pub timeout_secs: u64,
    /// Delay before the first retry, in seconds; it doubles with every failure.
    pub retry_initial_secs: i64,
    /// Longest delay between retries, in seconds.
    pub retry_max_secs: i64,
    /// Attempts before an event is given up (kept as `dead` for the operator).
    pub max_attempts: i64,
    /// Timeout of connecting (TCP and TLS), in seconds.
    pub connect_timeout_secs: u64,
    /// Attempts under way at once, per instance.
    pub max_in_flight: usize,
    /// Attempts under way at once for one tenant, per instance.
    pub max_in_flight_per_tenant: usize,
    /// Attempts under way at once to one `host:port`, per instance.
    pub max_in_flight_per_host: usize,
    /// Failures in a row that open a host's circuit breaker.
    pub breaker_failures: u32,
    /// Seconds a host's breaker stays open before one trial attempt.
    pub breaker_open_secs: i64,
    /// Hosts (`host` or `host:port`) exempt from the public-address rule, also by plain http.
    #[serde(default)]
    pub allow_hosts: Vec<String>,
}

/// `[sweeper]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweeperSettings {
    /// Milliseconds between sweeps (expiry, retention).
    pub interval_ms: u64,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        Self {
            http: HttpSettings::loopback(8300),
            database: DatabaseSettings::default_sqlite(),
            log: LogSettings::default(),
            metrics: MetricsSettings::default(),
            trust: TrustSettings {
                list_url: "http://127.0.0.1:8100/trust-list".into(),
                anchors_file: None,
                anchors: Vec::new(),
                plain_http: "loopback".into(),
                refresh_secs: 60,
                status_cache_secs: 60,
            },
            checks: CheckSettings {
                request_lifetime_secs: 10 * 60,
                response_mode: ResponseMode::DirectPostJwt.as_str().into(),
                tenant_cache_secs: 10,
                redirect_allow_hosts: Vec::new(),
            },
            retention: RetentionSettings {
                default_secs: None,
                templates: BTreeMap::new(),
            },
            webhooks: WebhookSettings {
                poll_interval_ms: 1000,
                timeout_secs: 10,
                retry_initial_secs: 10,
                retry_max_secs: 60 * 60,
                max_attempts: 20,
                connect_timeout_secs: 3,
                max_in_flight: 64,
                max_in_flight_per_tenant: 8,
                max_in_flight_per_host: 4,
                breaker_failures: 5,
                breaker_open_secs: 60,
                allow_hosts: Vec::new(),
            },
            sweeper: SweeperSettings {
                interval_ms: 60_000,
            },
            tls: TlsSettings::default(),
            limits: LimitSettings::default(),
            keys: idv_keystore::KeysConfig::default(),
        }
    }
}

/// Checked settings the use cases and background tasks need.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Public URL, no trailing slash.
    pub public_url: String,
    /// The trust list URL.
    pub trust_list_url: String,
    /// The pinned anchors.
    pub anchors: TrustAnchors,
    /// Where plain-http fetches may go.
    pub plain_http: PlainHttp,
    /// Refetch the trust list at least this often (seconds), whatever its `next_update`.
    pub trust_refresh_secs: i64,
    /// Longest use of a fetched status list token (seconds).
    pub status_cache_secs: i64,
    /// Check lifetime, seconds.
    pub request_lifetime_secs: i64,
    /// Default response mode of new checks.
    pub response_mode: ResponseMode,
    /// Seconds a tenant's row and API keys are cached (0: off).
    pub tenant_cache_secs: i64,
    /// Retention.
    pub retention: RetentionSettings,
    /// Webhook delivery.
    pub webhooks: WebhookSettings,
    /// `webhooks.allow_hosts`, parsed.
    pub webhook_allow_hosts: AllowHosts,
    /// `checks.redirect_allow_hosts`, parsed (loopback only).
    pub redirect_allow_hosts: AllowHosts,
    /// Sweep period.
    pub sweep_interval: Duration,
    /// Trust of outbound https (trust and status lists, webhooks).
    pub tls: ClientTls,
    /// Rate and resource limits.
    pub limits: LimitSettings,
}

/// Shortest check lifetime accepted: one minute (a person must scan and consent).
const MIN_REQUEST_LIFETIME: i64 = 60;
/// Longest check lifetime accepted: one day.
const MAX_REQUEST_LIFETIME: i64 = 24 * 60 * 60;
/// Longest `trust.refresh_secs` accepted: one day.
const MAX_TRUST_REFRESH: u64 = 24 * 60 * 60;
/// Longest `trust.status_cache_secs` accepted: one day (the longest `ttl` honoured).
const MAX_STATUS_CACHE: u64 = 24 * 60 * 60;
/// Longest `checks.tenant_cache_secs` accepted: an hour (a revocation by the CLI must not wait
/// longer).
const MAX_TENANT_CACHE: u64 = 60 * 60;

impl ServiceConfig for VerifierConfig {
    const SQLITE_FILE: &'static str = "verifier.sqlite";

    fn database(&self) -> &DatabaseSettings {
        &self.database
    }

    fn keys(&self) -> &idv_keystore::KeysConfig {
        &self.keys
    }
}

impl VerifierConfig {
    /// The pinned anchors: `trust.anchors` plus the keys in `trust.anchors_file`.
    pub fn anchors(&self) -> Result<TrustAnchors, ConfigError> {
        let mut keys = Vec::new();
        for (i, jwk) in self.trust.anchors.iter().enumerate() {
            keys.push(
                PublicKey::from_jwk(jwk)
                    .map_err(|e| ConfigError::Rejected(format!("trust.anchors[{i}]: {e}")))?,
            );
        }
        if let Some(path) = &self.trust.anchors_file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                ConfigError::Rejected(format!("trust.anchors_file {}: {e}", path.display()))
            })?;
            let rejected = |e: String| ConfigError::Rejected(format!("trust.anchors_file: {e}"));
            let jwks = idv_trust::anchors::jwks_from_json(&text)
                .map_err(|e| rejected(e.to_string()))?
                .keys;
            for jwk in &jwks {
                keys.push(PublicKey::from_jwk(jwk).map_err(|e| rejected(e.to_string()))?);
            }
        }
        if keys.is_empty() {
            return Err(ConfigError::Rejected(
                "no trust anchor pinned: set trust.anchors_file or trust.anchors".into(),
            ));
        }
        TrustAnchors::from_keys(keys).map_err(|e| ConfigError::Rejected(format!("trust: {e}")))
    }

    /// Checks every setting and returns them as one value.
    pub fn settings(&self) -> Result<Settings, ConfigError> {
        let reject = |m: String| Err(ConfigError::Rejected(m));
        let public_url = self.http.checked_public_url()?;
        http_url("trust.list_url", &self.trust.list_url)?;
        let plain_http = match self.trust.plain_http.as_str() {
            "loopback" => PlainHttp::Loopback,
            "any_host" => PlainHttp::AnyHost,
            _ => return reject("trust.plain_http must be loopback or any_host".into()),
        };
        let trust_refresh_secs = match i64::try_from(self.trust.refresh_secs) {
            Ok(secs) if (1..=MAX_TRUST_REFRESH).contains(&self.trust.refresh_secs) => secs,
            _ => {
                return reject(format!(
                    "trust.refresh_secs must be between 1 and {MAX_TRUST_REFRESH}"
                ));
            }
        };
        let status_cache_secs = match i64::try_from(self.trust.status_cache_secs) {
            Ok(secs) if self.trust.status_cache_secs <= MAX_STATUS_CACHE => secs,
            _ => {
                return reject(format!(
                    "trust.status_cache_secs must be between 0 and {MAX_STATUS_CACHE}"
                ));
            }
        };
        let checks = &self.checks;
        if !(MIN_REQUEST_LIFETIME..=MAX_REQUEST_LIFETIME).contains(&checks.request_lifetime_secs) {
            return reject(format!(
                "checks.request_lifetime_secs must be between {MIN_REQUEST_LIFETIME} and \
                 {MAX_REQUEST_LIFETIME}"
            ));
        }
        let response_mode = match checks.response_mode.as_str() {
            "direct_post.jwt" => ResponseMode::DirectPostJwt,
            "direct_post" => ResponseMode::DirectPost,
            _ => {
                return reject(
                    "checks.response_mode must be direct_post.jwt or direct_post".into(),
                );
            }
        };
        let tenant_cache_secs = match i64::try_from(checks.tenant_cache_secs) {
            Ok(secs) if checks.tenant_cache_secs <= MAX_TENANT_CACHE => secs,
            _ => {
                return reject(format!(
                    "checks.tenant_cache_secs must be between 0 and {MAX_TENANT_CACHE}"
                ));
            }
        };
        if self.retention.default_secs.is_some_and(|s| s < 0)
            || self.retention.templates.values().any(|s| *s < 0)
        {
            return reject("retention periods must not be negative".into());
        }
        let webhooks = &self.webhooks;
        if webhooks.poll_interval_ms == 0
            || webhooks.timeout_secs == 0
            || webhooks.retry_initial_secs <= 0
            || webhooks.retry_max_secs < webhooks.retry_initial_secs
            || webhooks.max_attempts <= 0
            || webhooks.connect_timeout_secs == 0
            || webhooks.max_in_flight == 0
            || webhooks.max_in_flight_per_tenant == 0
            || webhooks.max_in_flight_per_host == 0
            || webhooks.breaker_failures == 0
            || webhooks.breaker_open_secs <= 0
        {
            return reject(
                "webhooks: poll_interval_ms, timeout_secs, connect_timeout_secs, \
                 retry_initial_secs, max_attempts, max_in_flight*, breaker_failures and \
                 breaker_open_secs must be positive and retry_max_secs at least \
                 retry_initial_secs"
                    .into(),
            );
        }
        let webhook_allow_hosts = AllowHosts::parse(&webhooks.allow_hosts)
            .map_err(|e| ConfigError::Rejected(format!("webhooks.allow_hosts: {e}")))?;
        let redirect_allow_hosts = AllowHosts::parse(&checks.redirect_allow_hosts)
            .map_err(|e| ConfigError::Rejected(format!("checks.redirect_allow_hosts: {e}")))?;
        if !redirect_allow_hosts.all_loopback() {
            return reject(
                "checks.redirect_allow_hosts: loopback hosts only (localhost, 127/8, ::1); \
                 other redirects use https"
                    .into(),
            );
        }
        if self.sweeper.interval_ms == 0 {
            return reject("sweeper.interval_ms must be positive".into());
        }
        let limits = &self.limits;
        for (name, rate) in [
            ("per_ip", limits.per_ip),
            ("authorize_per_ip", limits.authorize_per_ip),
            ("authorize_per_client", limits.authorize_per_client),
            ("checks_per_tenant", limits.checks_per_tenant),
        ] {
            if rate.per_minute == 0 || rate.burst == 0 {
                return reject(format!(
                    "limits.{name}: per_minute and burst must be at least 1"
                ));
            }
        }
        if limits.max_open_checks_per_tenant < 1
            || limits.max_pending_sessions_per_client < 1
            || limits.max_body_bytes == 0
        {
            return reject(
                "limits: max_open_checks_per_tenant, max_pending_sessions_per_client and \
                 max_body_bytes must be at least 1"
                    .into(),
            );
        }
        Ok(Settings {
            public_url,
            trust_list_url: self.trust.list_url.clone(),
            anchors: self.anchors()?,
            plain_http,
            trust_refresh_secs,
            status_cache_secs,
            request_lifetime_secs: checks.request_lifetime_secs,
            response_mode,
            tenant_cache_secs,
            retention: self.retention.clone(),
            webhooks: webhooks.clone(),
            webhook_allow_hosts,
            redirect_allow_hosts,
            sweep_interval: Duration::from_millis(self.sweeper.interval_ms),
            tls: ClientTls::from_settings(&self.tls)
                .map_err(|e| ConfigError::Rejected(format!("tls.ca_file: {e}")))?,
            limits: limits.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use idv_jose::SigningKey;

    use super::*;

    fn load(env: &[(&str, &str)]) -> Result<VerifierConfig, ConfigError> {
        idv_service_kit::config::load_from(None, env.iter().copied())
    }

    fn anchor_env() -> String {
        let jwk = SigningKey::generate().unwrap().public_key().to_jwk();
        format!(
            "[{{kty = \"EC\", crv = \"P-256\", x = \"{}\", y = \"{}\"}}]",
            jwk.x.unwrap(),
            jwk.y.unwrap()
        )
    }

    #[test]
    fn defaults_need_only_an_anchor() {
        let config = load(&[]).unwrap();
        assert_eq!(config, VerifierConfig::default());
        assert!(config.settings().is_err(), "no anchor pinned");
        let anchors = anchor_env();
        let config = load(&[("IDV_TRUST__ANCHORS", anchors.as_str())]).unwrap();
        let settings = config.settings().unwrap();
        assert_eq!(settings.plain_http, PlainHttp::Loopback);
        assert_eq!(settings.anchors.len(), 1);
        assert_eq!(settings.response_mode, ResponseMode::DirectPostJwt);
        assert_eq!(settings.tenant_cache_secs, 10);
        assert_eq!(settings.trust_refresh_secs, 60);
        assert_eq!(settings.status_cache_secs, 60);
        let config = load(&[
            ("IDV_TRUST__ANCHORS", anchors.as_str()),
            ("IDV_CHECKS__TENANT_CACHE_SECS", "0"),
        ])
        .unwrap();
        assert_eq!(config.settings().unwrap().tenant_cache_secs, 0);
        let config = load(&[
            ("IDV_TRUST__ANCHORS", anchors.as_str()),
            (
                "IDV_LIMITS__TRUSTED_PROXIES",
                "[\"10.0.0.0/8\", \"fd00::/8\"]",
            ),
            ("IDV_LIMITS__CHECKS_PER_TENANT__BURST", "7"),
        ])
        .unwrap();
        let limits = config.settings().unwrap().limits;
        assert_eq!(limits.trusted_proxies.len(), 2);
        assert_eq!(limits.checks_per_tenant, Rate::new(600, 7));
        let config = load(&[
            ("IDV_TRUST__ANCHORS", anchors.as_str()),
            (
                "IDV_WEBHOOKS__ALLOW_HOSTS",
                r#"["127.0.0.1:9000", "hooks.internal"]"#,
            ),
        ])
        .unwrap();
        let allow = config.settings().unwrap().webhook_allow_hosts;
        assert!(allow.allows(&"http://127.0.0.1:9000/x".parse().unwrap()));
        assert!(allow.allows(&"https://hooks.internal:8443/x".parse().unwrap()));
        assert!(!allow.allows(&"http://127.0.0.1:9001/x".parse().unwrap()));
        assert!(
            settings.webhook_allow_hosts.is_empty(),
            "nothing allowed by default"
        );
        assert_eq!(
            config.database_url().expose(),
            "sqlite://./data/verifier.sqlite"
        );
    }

    #[test]
    fn anchors_file_accepts_a_jwk_or_a_jwk_set() {
        let dir = tempfile::tempdir().unwrap();
        let key = SigningKey::generate().unwrap().public_key().to_jwk();
        for (name, content) in [
            ("one.json", serde_json::to_string(&key).unwrap()),
            (
                "set.json",
                serde_json::json!({"keys": [key.clone()]}).to_string(),
            ),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, content).unwrap();
            let mut config = VerifierConfig::default();
            config.trust.anchors_file = Some(path);
            assert_eq!(config.anchors().unwrap().len(), 1);
        }
    }

    #[test]
    fn out_of_range_settings_are_rejected() {
        let anchors = anchor_env();
        for (name, value) in [
            ("IDV_CHECKS__REQUEST_LIFETIME_SECS", "5"),
            ("IDV_CHECKS__RESPONSE_MODE", "fragment"),
            ("IDV_WEBHOOKS__MAX_ATTEMPTS", "0"),
            ("IDV_HTTP__PUBLIC_URL", "ftp://x"),
            ("IDV_TRUST__PLAIN_HTTP", "everywhere"),
            ("IDV_TRUST__REFRESH_SECS", "0"),
            ("IDV_TRUST__REFRESH_SECS", "86401"),
            ("IDV_TRUST__STATUS_CACHE_SECS", "86401"),
            ("IDV_CHECKS__TENANT_CACHE_SECS", "3601"),
            ("IDV_LIMITS__PER_IP__BURST", "0"),
            ("IDV_LIMITS__MAX_OPEN_CHECKS_PER_TENANT", "0"),
            ("IDV_WEBHOOKS__MAX_IN_FLIGHT_PER_HOST", "0"),
            ("IDV_WEBHOOKS__ALLOW_HOSTS", "[\"host:port\"]"),
            ("IDV_CHECKS__REDIRECT_ALLOW_HOSTS", "[\"app.example:80\"]"),
        ] {
            let config = load(&[("IDV_TRUST__ANCHORS", anchors.as_str()), (name, value)]).unwrap();
            assert!(config.settings().is_err(), "{name}={value}");
        }
    }
}
