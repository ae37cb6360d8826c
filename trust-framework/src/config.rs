//! `TrustFrameworkConfig`: typed, layered settings (defaults → `--config FILE` → environment),
//! loaded with [`idv_service_kit::config::load`] and checked once by
//! [`TrustFrameworkConfig::register_settings`].
//!
//! ```toml
//! [http]
//! listen = "127.0.0.1:8100"              # IDV_HTTP__LISTEN
//! public_url = "http://127.0.0.1:8100"   # IDV_HTTP__PUBLIC_URL: the lists' and attestations' `iss`
//!
//! [database]
//! url = "postgres://…"                   # IDV_DATABASE__URL or DATABASE_URL;
//!                                        # default sqlite://<data_dir>/trust-framework.sqlite
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
//! [list]
//! list_id = "uk-dvs-register"            # IDV_LIST__LIST_ID
//! validity_secs = 86400                  # IDV_LIST__VALIDITY_SECS: exp - iat (hard expiry)
//! next_update_secs = 3600                # IDV_LIST__NEXT_UPDATE_SECS: next_update - iat (re-sign)
//! [list.framework_versions_valid]        # accepted framework versions (file only)
//! "0.3" = { until = 1775001600 }         # beta certificates expired 31 March 2026
//! "0.4" = {}
//! "1.0" = { from = 1772496000 }
//!
//! [attestation]
//! lifetime_secs = 2592000                # IDV_ATTESTATION__LIFETIME_SECS: 30 days
//!
//! [limits]                               # 429 + Retry-After past a rate, per client address
//! trusted_proxies = []                   # IDV_LIMITS__TRUSTED_PROXIES: CIDRs of reverse proxies
//!                                        # whose X-Forwarded-For names the client (its
//!                                        # rightmost untrusted entry); otherwise the peer
//! max_body_bytes = 2097152               # IDV_LIMITS__MAX_BODY_BYTES: larger bodies are 413
//! per_ip = { per_minute = 3000, burst = 600 }         # the public endpoints
//!                                        # (IDV_LIMITS__PER_IP__PER_MINUTE, …__BURST)
//! operator_per_ip = { per_minute = 600, burst = 120 } # the operator API (/v1/…)
//! # Where private keys live. Nothing set: a key-encryption key (KEK) file, trust-framework.kek, is
//! # generated (mode 0600) on first start beside the SQLite database (in data_dir for
//! # PostgreSQL), and every private key is stored sealed under it (JWE dir + A256GCM). Set one
//! # of kek_file and kek_env to keep the KEK elsewhere; with [keys.pkcs11] the anchor key is
//! # generated and used in an HSM, and the database keeps only a reference to them.
//! [keys]
//! kek_file = "/etc/idv/trust-framework.kek"  # IDV_KEYS__KEK_FILE: 32 random bytes, base64url
//! kek_env = "TRUST_FRAMEWORK_KEK"            # IDV_KEYS__KEK_ENV: the variable that holds the KEK
//! [keys.pkcs11]
//! module = "/usr/lib/softhsm/libsofthsm2.so"   # IDV_KEYS__PKCS11__MODULE
//! token_label = "trust-framework"            # IDV_KEYS__PKCS11__TOKEN_LABEL
//! pin_env = "TRUST_FRAMEWORK_HSM_PIN"        # IDV_KEYS__PKCS11__PIN_ENV (or pin_file = "…")
//! ```
//!
//! Logging is set by `RUST_LOG` (default `info`).

use std::collections::BTreeMap;

use idv_proto::trust::trust_list::FrameworkValidity;
use idv_service_kit::config::{ConfigError, ServiceConfig};
pub use idv_service_kit::config::{DatabaseSettings, HttpSettings};
use idv_service_kit::limits::{DEFAULT_MAX_BODY_BYTES, IpNet, Rate};
use idv_service_kit::metrics::MetricsSettings;
use idv_service_kit::telemetry::LogSettings;
use serde::{Deserialize, Serialize};

use crate::register::RegisterSettings;

/// Shortest list lifetime accepted (`exp - iat` and `next_update - iat`), matching the bounds
/// verifiers apply by default (`idv_trust::list::ListPolicy`): one minute.
const MIN_LIST_LIFETIME: i64 = idv_trust::list::DEFAULT_MIN_LIFETIME;
/// Longest list lifetime accepted: seven days.
const MAX_LIST_LIFETIME: i64 = idv_trust::list::DEFAULT_MAX_LIFETIME;

/// All settings of the trust-framework service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustFrameworkConfig {
    /// The HTTP listener and public address.
    pub http: HttpSettings,
    /// Where the register lives.
    pub database: DatabaseSettings,
    /// Log line format.
    #[serde(default)]
    pub log: LogSettings,
    /// Access to `GET /metrics`.
    #[serde(default)]
    pub metrics: MetricsSettings,
    /// Trust list publication.
    pub list: ListSettings,
    /// Verifier attestations.
    pub attestation: AttestationSettings,
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
    /// The public endpoints (trust list, anchor, type metadata), per client address.
    pub per_ip: Rate,
    /// The operator API, per client address.
    pub operator_per_ip: Rate,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            trusted_proxies: Vec::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            per_ip: Rate::new(3000, 600),
            operator_per_ip: Rate::new(600, 120),
        }
    }
}

/// `[list]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListSettings {
    /// The list's `list_id`; its `sequence` counts per `list_id`.
    pub list_id: String,
    /// `exp - iat` of each signed list, in seconds.
    pub validity_secs: i64,
    /// `next_update - iat`: the list is re-signed (new `sequence`) this often even unchanged.
    pub next_update_secs: i64,
    /// Framework versions a service may be certified against, and when.
    pub framework_versions_valid: BTreeMap<String, FrameworkValidity>,
}

/// `[attestation]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttestationSettings {
    /// `exp - iat` of a verifier attestation, in seconds.
    pub lifetime_secs: i64,
}

impl Default for TrustFrameworkConfig {
    fn default() -> Self {
        Self {
            http: HttpSettings::loopback(8100),
            database: DatabaseSettings::default_sqlite(),
            log: LogSettings::default(),
            metrics: MetricsSettings::default(),
            list: ListSettings {
                list_id: "uk-dvs-register".into(),
                validity_secs: 24 * 60 * 60,
                next_update_secs: 60 * 60,
                framework_versions_valid: BTreeMap::from([
                    (
                        // Beta 0.3 certificates expired on 31 March 2026 (UK digital identity and attributes trust framework, beta 0.3 certificates).
                        "0.3".to_owned(),
                        FrameworkValidity {
                            from: None,
                            until: Some(idv_trust::evaluate::FRAMEWORK_0_3_END),
                        },
                    ),
                    ("0.4".to_owned(), FrameworkValidity::default()),
                    (
                        // 1.0 pre-release, 3 March 2026.
                        "1.0".to_owned(),
                        FrameworkValidity {
                            from: Some(1_772_496_000),
                            until: None,
                        },
                    ),
                ]),
            },
            attestation: AttestationSettings {
                lifetime_secs: 30 * 24 * 60 * 60,
            },
            limits: LimitSettings::default(),
            keys: idv_keystore::KeysConfig::default(),
        }
    }
}

impl ServiceConfig for TrustFrameworkConfig {
    const SQLITE_FILE: &'static str = "trust-framework.sqlite";

    fn database(&self) -> &DatabaseSettings {
        &self.database
    }

    fn keys(&self) -> &idv_keystore::KeysConfig {
        &self.keys
    }
}

impl TrustFrameworkConfig {
    /// Checks the settings the register depends on and returns them as one value.
    pub fn register_settings(&self) -> Result<RegisterSettings, ConfigError> {
        let public_url = self.http.checked_public_url()?;
        if self.list.list_id.trim().is_empty() {
            return Err(ConfigError::Rejected(
                "list.list_id must not be empty".into(),
            ));
        }
        let bounds = MIN_LIST_LIFETIME..=MAX_LIST_LIFETIME;
        for (name, value) in [
            ("list.validity_secs", self.list.validity_secs),
            ("list.next_update_secs", self.list.next_update_secs),
        ] {
            if !bounds.contains(&value) {
                return Err(ConfigError::Rejected(format!(
                    "{name} must be between {MIN_LIST_LIFETIME} and {MAX_LIST_LIFETIME} seconds \
                     (what verifiers accept)"
                )));
            }
        }
        if self.list.next_update_secs > self.list.validity_secs {
            return Err(ConfigError::Rejected(
                "list.next_update_secs must not exceed list.validity_secs".into(),
            ));
        }
        if self.list.framework_versions_valid.is_empty() {
            return Err(ConfigError::Rejected(
                "list.framework_versions_valid must name at least one version".into(),
            ));
        }
        if self.attestation.lifetime_secs <= 0 {
            return Err(ConfigError::Rejected(
                "attestation.lifetime_secs must be positive".into(),
            ));
        }
        Ok(RegisterSettings {
            type_metadata: crate::credential_types::references(&public_url),
            public_url,
            list_id: self.list.list_id.clone(),
            list_validity_secs: self.list.validity_secs,
            next_update_secs: self.list.next_update_secs,
            framework_versions_valid: self.list.framework_versions_valid.clone(),
            attestation_lifetime_secs: self.attestation.lifetime_secs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(env: &[(&str, &str)]) -> Result<TrustFrameworkConfig, ConfigError> {
        idv_service_kit::config::load_from(None, env.iter().copied())
    }

    #[test]
    fn defaults_are_valid_and_use_a_sqlite_file_in_the_data_dir() {
        let config = load(&[]).unwrap();
        assert_eq!(config, TrustFrameworkConfig::default());
        let settings = config.register_settings().unwrap();
        assert_eq!(settings.public_url, "http://127.0.0.1:8100");
        assert_eq!(
            config.database_url().expose(),
            "sqlite://./data/trust-framework.sqlite"
        );
    }

    #[test]
    fn environment_overrides_defaults() {
        let config = load(&[
            ("IDV_HTTP__LISTEN", "0.0.0.0:9000"),
            ("IDV_LIST__NEXT_UPDATE_SECS", "600"),
            ("DATABASE_URL", "postgres://tf:pw@db/tf"),
        ])
        .unwrap();
        assert_eq!(config.http.listen.port(), 9000);
        assert_eq!(config.list.next_update_secs, 600);
        assert_eq!(config.database_url().expose(), "postgres://tf:pw@db/tf");
        assert!(!format!("{config:?}").contains("pw"));
    }

    #[test]
    fn lifetimes_outside_what_verifiers_accept_are_rejected() {
        for env in [
            [("IDV_LIST__NEXT_UPDATE_SECS", "10")],
            [("IDV_LIST__VALIDITY_SECS", "2592000")],
            [("IDV_LIST__NEXT_UPDATE_SECS", "172800")],
        ] {
            let config = load(&env).unwrap();
            assert!(config.register_settings().is_err(), "{env:?}");
        }
    }

    #[test]
    fn public_url_must_be_http_with_a_host() {
        let config = load(&[("IDV_HTTP__PUBLIC_URL", "ftp://x")]).unwrap();
        assert!(config.register_settings().is_err());
        let config = load(&[("IDV_HTTP__PUBLIC_URL", "https://trust.example/")]).unwrap();
        assert_eq!(
            config.register_settings().unwrap().public_url,
            "https://trust.example"
        );
    }
}
