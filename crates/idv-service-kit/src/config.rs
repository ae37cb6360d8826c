//! Layered, typed configuration: defaults → optional TOML file → environment.
//!
//! A service describes its settings as one `Serialize + Deserialize + Default` struct of
//! sections, every struct `#[serde(deny_unknown_fields)]`, and calls [`load`] once in `main`.
//! Layers, later wins:
//!
//! 1. the struct's `Default`;
//! 2. the TOML file given with `--config FILE` (optional);
//! 3. environment variables `IDV_<SECTION>__<KEY>` (double underscore between levels, any case:
//!    `IDV_HTTP__LISTEN=127.0.0.1:9000` sets `http.listen`); `IDV_` variables without `__`
//!    (such as `IDV_TEST_POSTGRES_URL`) are not configuration;
//! 4. `DATABASE_URL`, which sets `database.url` (the convention of sqlx and most hosts).
//!
//! An environment value takes the type of the default it replaces (a string stays a string
//! even when it looks like a number); where there is no default it is read as a TOML value
//! (`8100`, `true`, `["a", "b"]`) and otherwise as a string. Unknown sections or keys, in the
//! file or the environment, are errors naming their path: a typo must not be silently ignored.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use toml::{Table, Value};

use crate::db::PoolSettings;
pub use crate::db::SqliteSynchronous;

/// Prefix of configuration environment variables.
pub const ENV_PREFIX: &str = "IDV_";
/// Separator between levels in an environment variable name.
pub const ENV_SEPARATOR: &str = "__";

/// Why configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("config file {} is not valid TOML: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// An environment variable does not fit the setting it names.
    #[error("environment variable {name}: {reason}")]
    Env {
        /// The variable.
        name: String,
        /// Why.
        reason: String,
    },
    /// The merged settings do not deserialise into the service's config.
    #[error("invalid configuration at `{path}`: {message}")]
    Invalid {
        /// Dotted path of the offending setting.
        path: String,
        /// The deserialiser's message.
        message: String,
    },
    /// A service-specific check failed.
    #[error("invalid configuration: {0}")]
    Rejected(String),
}

/// Loads `T` from its defaults, an optional TOML file and the process environment.
pub fn load<T>(file: Option<&Path>) -> Result<T, ConfigError>
where
    T: Serialize + DeserializeOwned + Default,
{
    load_from(file, std::env::vars())
}

/// [`load`] with an explicit environment, for tests.
pub fn load_from<T, I, K, V>(file: Option<&Path>, env: I) -> Result<T, ConfigError>
where
    T: Serialize + DeserializeOwned + Default,
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut merged = Value::try_from(T::default())
        .ok()
        .and_then(|v| match v {
            Value::Table(t) => Some(t),
            _ => None,
        })
        .ok_or_else(|| ConfigError::Rejected("defaults are not a table of sections".into()))?;

    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let table: Table = text
            .parse()
            .map_err(|e: toml::de::Error| ConfigError::Parse {
                path: path.to_owned(),
                message: e.message().to_owned(),
            })?;
        merge(&mut merged, table);
    }

    let mut env: Vec<(String, String)> = env
        .into_iter()
        .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
        .collect();
    // Deterministic order whatever the process environment's order.
    env.sort();
    for (name, raw) in &env {
        if name == "DATABASE_URL" {
            set(&mut merged, &["database".into(), "url".into()], raw, name)?;
            continue;
        }
        let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        if !rest.contains(ENV_SEPARATOR) {
            continue;
        }
        let path: Vec<String> = rest.split(ENV_SEPARATOR).map(str::to_lowercase).collect();
        if path.iter().any(String::is_empty) {
            return Err(ConfigError::Env {
                name: name.clone(),
                reason: "empty level in name".into(),
            });
        }
        set(&mut merged, &path, raw, name)?;
    }

    let deserializer = Value::Table(merged);
    serde_path_to_error::deserialize(deserializer).map_err(|e| ConfigError::Invalid {
        path: e.path().to_string(),
        message: e.inner().message().to_owned(),
    })
}

/// Deep merge: tables merge key by key, anything else is replaced.
fn merge(base: &mut Table, overlay: Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(existing)), Value::Table(incoming)) => merge(existing, incoming),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

fn set(root: &mut Table, path: &[String], raw: &str, name: &str) -> Result<(), ConfigError> {
    let env_error = |reason: String| ConfigError::Env {
        name: name.to_owned(),
        reason,
    };
    let Some((last, parents)) = path.split_last() else {
        return Err(env_error("no key".into()));
    };
    let mut table = root;
    for part in parents {
        let entry = table
            .entry(part.clone())
            .or_insert_with(|| Value::Table(Table::new()));
        table = match entry {
            Value::Table(t) => t,
            _ => return Err(env_error(format!("`{part}` is a value, not a section"))),
        };
    }
    let value = match table.get(last) {
        Some(Value::String(_)) => Value::String(raw.to_owned()),
        Some(Value::Integer(_)) => Value::Integer(
            raw.trim()
                .parse()
                .map_err(|_| env_error(format!("`{raw}` is not an integer")))?,
        ),
        Some(Value::Float(_)) => Value::Float(
            raw.trim()
                .parse()
                .map_err(|_| env_error(format!("`{raw}` is not a number")))?,
        ),
        Some(Value::Boolean(_)) => Value::Boolean(
            raw.trim()
                .parse()
                .map_err(|_| env_error(format!("`{raw}` is not true or false")))?,
        ),
        Some(Value::Table(_)) => {
            return Err(env_error(format!(
                "`{last}` is a section; set its keys with another `{ENV_SEPARATOR}`"
            )));
        }
        Some(Value::Array(_) | Value::Datetime(_)) | None => {
            toml_literal(raw).unwrap_or_else(|| Value::String(raw.to_owned()))
        }
    };
    table.insert(last.clone(), value);
    Ok(())
}

fn toml_literal(raw: &str) -> Option<Value> {
    let mut table: Table = format!("v = {raw}").parse().ok()?;
    table.remove("v")
}

/// What every service's configuration has besides its own sections: a `[database]` and the
/// `[keys]` custody of the private keys it stores; and what follows from them (the database
/// URL, the store, see `keyed_store!`'s `open_configured`).
pub trait ServiceConfig: Serialize + DeserializeOwned + Default {
    /// The default SQLite file's name in `database.data_dir` (`issuer.sqlite`).
    const SQLITE_FILE: &'static str;

    /// `[database]`.
    fn database(&self) -> &DatabaseSettings;
    /// `[keys]`: where the private keys live.
    fn keys(&self) -> &crate::db::KeysConfig;

    /// Loads defaults, then `file`, then the environment ([`load`]).
    fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        load(file)
    }

    /// The database URL: `database.url`, or the SQLite file in `database.data_dir`.
    fn database_url(&self) -> Secret {
        self.database().url_or_sqlite_file(Self::SQLITE_FILE)
    }
}

/// A secret setting (a password in a URL, an API key): `Debug` and `Display` show
/// `[redacted]`; [`Secret::expose`] is the one way to the value.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

/// `[http]` of every service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// Address to bind; port 0 picks a free port.
    pub listen: std::net::SocketAddr,
    /// The URL clients reach the service at, without a trailing slash (the `iss` of what the
    /// service signs, the base of the URLs it publishes).
    pub public_url: String,
}

impl HttpSettings {
    /// `public_url` without a trailing slash, checked to be an absolute http(s) URL with a host
    /// ([`http_url`]).
    pub fn checked_public_url(&self) -> Result<String, ConfigError> {
        let public_url = self.public_url.trim_end_matches('/').to_owned();
        http_url("http.public_url", &public_url)?;
        Ok(public_url)
    }

    /// Listening on `127.0.0.1:port`, reached at `http://127.0.0.1:port`.
    pub fn loopback(port: u16) -> Self {
        Self {
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
            public_url: format!("http://127.0.0.1:{port}"),
        }
    }
}

/// Checks that `value`, the setting `name`, is an absolute http(s) URL with a host; returns it
/// parsed.
pub fn http_url(name: &str, value: &str) -> Result<url::Url, ConfigError> {
    let parsed =
        url::Url::parse(value).map_err(|e| ConfigError::Rejected(format!("{name}: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(ConfigError::Rejected(format!(
            "{name} must be an http(s) URL with a host"
        )));
    }
    Ok(parsed)
}

/// `[database]` of every service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://…` or `postgres://…`; when absent, a SQLite file in `data_dir`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Secret>,
    /// Folder of the default SQLite file.
    pub data_dir: PathBuf,
    /// Pool size.
    pub max_connections: u32,
    /// SQLite's `PRAGMA synchronous`: `full` (default) `fsync`s every commit; `normal` does
    /// not (WAL mode), so a process crash loses nothing but an operating system crash or a
    /// power loss may roll back the most recent commits. See [`SqliteSynchronous`]. Ignored for
    /// PostgreSQL.
    #[serde(default)]
    pub sqlite_synchronous: SqliteSynchronous,
    /// How long a request waits for a database connection (a free one, or a new one while the
    /// database is unreachable) before it fails with `503` (see [`PoolSettings`]).
    #[serde(default = "default_acquire_timeout_ms")]
    pub acquire_timeout_ms: u64,
}

fn default_acquire_timeout_ms() -> u64 {
    duration_ms(PoolSettings::default().acquire_timeout)
}

fn duration_ms(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl DatabaseSettings {
    /// No URL, the SQLite file in `./data`, ten connections, `synchronous = FULL`.
    pub fn default_sqlite() -> Self {
        Self {
            url: None,
            data_dir: PathBuf::from("./data"),
            max_connections: 10,
            sqlite_synchronous: SqliteSynchronous::Full,
            acquire_timeout_ms: default_acquire_timeout_ms(),
        }
    }

    /// The pool settings these give (other settings at their defaults).
    pub fn pool_settings(&self) -> PoolSettings {
        PoolSettings {
            max_connections: self.max_connections,
            sqlite_synchronous: self.sqlite_synchronous,
            acquire_timeout: std::time::Duration::from_millis(self.acquire_timeout_ms),
        }
    }

    /// The database URL: `url`, or `sqlite://<data_dir>/<file_name>`.
    pub fn url_or_sqlite_file(&self, file_name: &str) -> Secret {
        self.url.clone().unwrap_or_else(|| {
            Secret::new(format!(
                "sqlite://{}",
                self.data_dir.join(file_name).display()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Config {
        http: Http,
        database: Database,
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Http {
        listen: String,
        port_name: String,
        max_body: u64,
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Database {
        url: Option<Secret>,
        tags: Vec<String>,
    }

    impl Default for Config {
        fn default() -> Self {
            Self {
                http: Http {
                    listen: "127.0.0.1:8000".into(),
                    port_name: "web".into(),
                    max_body: 1024,
                },
                database: Database {
                    url: None,
                    tags: vec![],
                },
            }
        }
    }

    fn no_env() -> Vec<(String, String)> {
        vec![]
    }

    #[test]
    fn defaults_apply_without_file_or_environment() {
        let config: Config = load_from(None, no_env()).unwrap();
        assert_eq!(config, Config::default());
    }

    #[test]
    fn file_overrides_defaults_and_environment_overrides_file() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "[http]\nlisten = \"0.0.0.0:1\"\nmax_body = 5").unwrap();
        let config: Config = load_from(
            Some(file.path()),
            [
                ("IDV_HTTP__LISTEN", "127.0.0.1:2"),
                ("IDV_HTTP__PORT_NAME", "8080"),
                ("IDV_DATABASE__TAGS", "[\"a\", \"b\"]"),
                ("IDV_TEST_POSTGRES_URL", "ignored: not a config variable"),
                ("DATABASE_URL", "postgres://u:pw@h/db"),
            ],
        )
        .unwrap();
        assert_eq!(config.http.listen, "127.0.0.1:2");
        assert_eq!(config.http.port_name, "8080", "stays a string");
        assert_eq!(config.http.max_body, 5);
        assert_eq!(config.database.tags, ["a", "b"]);
        assert_eq!(
            config.database.url.as_ref().unwrap().expose(),
            "postgres://u:pw@h/db"
        );
        assert!(!format!("{config:?}").contains("pw"));
    }

    #[test]
    fn unknown_keys_are_errors_naming_their_path() {
        let err = load_from::<Config, _, _, _>(None, [("IDV_HTTP__LISTN", "x")]).unwrap_err();
        assert!(
            matches!(&err, ConfigError::Invalid { path, message } if path == "http.listn" && message.contains("expected one of `listen`")),
            "{err}"
        );
        let err = load_from::<Config, _, _, _>(None, [("IDV_CACHE__SIZE", "1")]).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { .. }), "{err}");
    }

    #[test]
    fn ill_typed_environment_values_are_errors() {
        let err = load_from::<Config, _, _, _>(None, [("IDV_HTTP__MAX_BODY", "lots")]).unwrap_err();
        assert!(
            matches!(&err, ConfigError::Env { name, .. } if name == "IDV_HTTP__MAX_BODY"),
            "{err}"
        );
        let err = load_from::<Config, _, _, _>(None, [("IDV_HTTP", "x")]);
        assert!(err.is_ok(), "no separator: not configuration");
        let err = load_from::<Config, _, _, _>(None, [("IDV_HTTP__", "x")]).unwrap_err();
        assert!(matches!(err, ConfigError::Env { .. }));
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct ServiceConfig {
        database: DatabaseSettings,
    }

    impl Default for ServiceConfig {
        fn default() -> Self {
            Self {
                database: DatabaseSettings::default_sqlite(),
            }
        }
    }

    #[test]
    fn sqlite_synchronous_is_full_unless_set_to_normal() {
        let config: ServiceConfig = load_from(None, no_env()).unwrap();
        assert_eq!(config.database.sqlite_synchronous, SqliteSynchronous::Full);
        let config: ServiceConfig = load_from(
            None,
            [
                ("IDV_DATABASE__SQLITE_SYNCHRONOUS", "normal"),
                ("IDV_DATABASE__MAX_CONNECTIONS", "3"),
            ],
        )
        .unwrap();
        let pool = config.database.pool_settings();
        assert_eq!(pool.sqlite_synchronous, SqliteSynchronous::Normal);
        assert_eq!(pool.max_connections, 3);
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "[database]\ndata_dir = \"x\"\nmax_connections = 2").unwrap();
        let config: ServiceConfig = load_from(Some(file.path()), no_env()).unwrap();
        assert_eq!(config.database.sqlite_synchronous, SqliteSynchronous::Full);
        let err = load_from::<ServiceConfig, _, _, _>(
            None,
            [("IDV_DATABASE__SQLITE_SYNCHRONOUS", "off")],
        )
        .unwrap_err();
        assert!(
            matches!(&err, ConfigError::Invalid { path, .. } if path == "database.sqlite_synchronous"),
            "{err}"
        );
    }

    #[test]
    fn secrets_are_redacted_in_debug_and_display() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "Secret([redacted])");
        assert_eq!(secret.to_string(), "[redacted]");
        assert_eq!(secret.expose(), "hunter2");
    }
}
