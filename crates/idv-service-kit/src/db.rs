//! One database handle for SQLite and PostgreSQL: `sqlx::AnyPool` plus the [`Backend`] it talks to.
//!
//! **Portable SQL.** Services write one SQL text for both backends: `$1`-style placeholders
//! (PostgreSQL's, which SQLite also accepts), times as `BIGINT` Unix seconds, JSON as `TEXT`,
//! keys as `TEXT`, no booleans (the `Any` driver decodes `bool` only from a native boolean, which
//! SQLite lacks; use `BIGINT` flags or `TEXT` states), `INSERT .. ON CONFLICT`, `RETURNING`, and
//! compare-and-swap `UPDATE .. WHERE` instead of `SELECT .. FOR UPDATE` (which SQLite lacks).
//! Where the dialects differ (DDL mostly) each service keeps two migration folders,
//! `migrations/<service>/sqlite/` and `migrations/<service>/postgres/`, with the same file names.
//!
//! **SQLite** file URLs (`sqlite://data/x.sqlite`, `sqlite:///abs/x.sqlite`) get their parent
//! folder and file created when missing, WAL journalling, foreign keys and a busy timeout.
//! `sqlite::memory:` gives every pooled connection its own empty database, so such a pool is
//! held to one connection that never expires.
//!
//! **PostgreSQL** URLs are used as given. No TLS support is compiled in: databases are reached
//! over loopback or a private network, and production TLS terminates at a proxy.
//!
//! **Migrations** are embedded at compile time with [`crate::migrations!`] (`include_str!` of each
//! file) and run through sqlx's `Migrator` (same `_sqlx_migrations` table and checksums as
//! `sqlx migrate`). We do not use `sqlx::migrate!`: that proc macro pulls `sqlx-macros`, which
//! compiles the SQLite (bundled C) and PostgreSQL drivers a second time for the host on every
//! cold build, to save listing the file names once.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, AssertSqlSafe, Executor as _, SqlSafeStr as _};

/// How long a SQLite connection waits for a competing writer before failing with "busy".
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The database engine behind a [`Database`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite (file, WAL): the embedded default.
    Sqlite,
    /// PostgreSQL: production and horizontal scale.
    Postgres,
}

impl Backend {
    /// The backend a database URL names by its scheme (`sqlite:`, `postgres:`/`postgresql:`).
    pub fn from_url(url: &str) -> Result<Self, DbError> {
        let scheme = url.split_once(':').map_or(url, |(scheme, _)| scheme);
        match scheme {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            other => Err(DbError::UnsupportedUrl {
                scheme: other.to_owned(),
            }),
        }
    }

    /// `sqlite` or `postgres`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Failures to connect to or migrate a database. Messages never contain the URL (it may hold
/// a password).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// The URL's scheme is neither `sqlite` nor `postgres`.
    #[error("unsupported database URL scheme `{scheme}`: expected `sqlite:` or `postgres:`")]
    UnsupportedUrl {
        /// The scheme found.
        scheme: String,
    },
    /// The SQLite file or its folder could not be created.
    #[error("cannot create the SQLite database file {}", path.display())]
    CreateFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The database did not accept a connection.
    #[error("cannot connect to the {backend} database")]
    Connect {
        /// Which engine.
        backend: Backend,
        /// Why.
        #[source]
        source: sqlx::Error,
    },
    /// A migration file name is not `<version>_<description>.sql`.
    #[error("migration file name `{name}` is not <version>_<description>.sql")]
    MigrationName {
        /// The name.
        name: &'static str,
    },
    /// Applying migrations failed (or an applied one was edited).
    #[error("database migration failed")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

/// Pool settings; the defaults suit a service instance.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    /// Most connections open at once.
    pub max_connections: u32,
    /// How long a request waits for a free connection.
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// A connection pool to SQLite or PostgreSQL. Cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct Database {
    pool: AnyPool,
    backend: Backend,
}

impl Database {
    /// Connects with default [`PoolSettings`].
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        Self::connect_with(url, PoolSettings::default()).await
    }

    /// Connects; for SQLite creates the file when missing and switches it to WAL.
    pub async fn connect_with(url: &str, settings: PoolSettings) -> Result<Self, DbError> {
        let backend = Backend::from_url(url)?;
        install_default_drivers();
        let mut options = AnyPoolOptions::new()
            .max_connections(settings.max_connections.max(1))
            .acquire_timeout(settings.acquire_timeout);
        if backend == Backend::Sqlite {
            match sqlite_file(url) {
                Some(path) => create_sqlite_file(&path)?,
                None => {
                    options = options
                        .max_connections(1)
                        .min_connections(1)
                        .idle_timeout(None)
                        .max_lifetime(None);
                }
            }
            options = options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    let pragmas = format!(
                        "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {};",
                        SQLITE_BUSY_TIMEOUT.as_millis()
                    );
                    conn.execute(AssertSqlSafe(pragmas)).await?;
                    Ok(())
                })
            });
        }
        let connect_error = |source| DbError::Connect { backend, source };
        let pool = options.connect(url).await.map_err(connect_error)?;
        if backend == Backend::Sqlite && sqlite_file(url).is_some() {
            // WAL is a property of the file: set once, it stays. Readers then never block the
            // writer, which the services rely on for concurrent requests.
            pool.execute("PRAGMA journal_mode = WAL")
                .await
                .map_err(connect_error)?;
        }
        Ok(Self { pool, backend })
    }

    /// The pool, for `sqlx::query(..).execute(db.pool())` in a service's `store` module.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which engine this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies the backend's pending migrations; fails if an applied one was changed.
    pub async fn migrate(&self, migrations: &Migrations) -> Result<(), DbError> {
        let files = match self.backend {
            Backend::Sqlite => migrations.sqlite,
            Backend::Postgres => migrations.postgres,
        };
        let migrator = Migrator::with_migrations(
            files
                .iter()
                .map(|file| file.to_migration())
                .collect::<Result<_, _>>()?,
        );
        migrator.run(&self.pool).await.map_err(DbError::Migrate)
    }

    /// Closes every connection (waits for those in use to be returned).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The file a SQLite URL names, or `None` for an in-memory database.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, params) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" || params.contains("mode=memory") {
        return None;
    }
    Some(PathBuf::from(path))
}

fn create_sqlite_file(path: &Path) -> Result<(), DbError> {
    let error = |source| DbError::CreateFile {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(error)?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(error)?;
    Ok(())
}

/// One embedded migration: its file name (`0001_create_register.sql`) and SQL.
#[derive(Debug, Clone, Copy)]
pub struct MigrationFile {
    /// `<version>_<description>.sql`.
    pub name: &'static str,
    /// The SQL, run in one transaction.
    pub sql: &'static str,
}

impl MigrationFile {
    fn to_migration(self) -> Result<Migration, DbError> {
        let invalid = DbError::MigrationName { name: self.name };
        let stem = self.name.strip_suffix(".sql").ok_or(invalid)?;
        let (version, description) = stem
            .split_once('_')
            .ok_or(DbError::MigrationName { name: self.name })?;
        let version = version
            .parse::<i64>()
            .map_err(|_| DbError::MigrationName { name: self.name })?;
        Ok(Migration::new(
            version,
            Cow::Owned(description.replace('_', " ")),
            MigrationType::Simple,
            AssertSqlSafe(self.sql).into_sql_str(),
            false,
        ))
    }
}

/// A service's migrations for both backends, same file names in both folders.
/// Build it with [`crate::migrations!`].
#[derive(Debug, Clone, Copy)]
pub struct Migrations {
    /// Files for SQLite, in order.
    pub sqlite: &'static [MigrationFile],
    /// Files for PostgreSQL, in order.
    pub postgres: &'static [MigrationFile],
}

impl Migrations {
    /// The file names, in order (the same for both backends).
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.sqlite.iter().map(|f| f.name)
    }
}

/// Embeds a service's migrations from `<dir>/sqlite/<file>` and `<dir>/postgres/<file>`, `dir`
/// relative to the calling crate's manifest:
///
/// ```text
/// pub static MIGRATIONS: Migrations = idv_service_kit::migrations!(
///     "../migrations/trust-framework", ["0001_create_register.sql"]);
/// ```
///
/// List every file: a service test should compare the list with the folders (see
/// [`check_migration_folders`]).
#[macro_export]
macro_rules! migrations {
    ($dir:literal, [$($file:literal),+ $(,)?]) => {
        $crate::db::Migrations {
            sqlite: &[$($crate::db::MigrationFile {
                name: $file,
                sql: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $dir, "/sqlite/", $file)),
            }),+],
            postgres: &[$($crate::db::MigrationFile {
                name: $file,
                sql: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $dir, "/postgres/", $file)),
            }),+],
        }
    };
}

/// Checks that `dir/sqlite` and `dir/postgres` hold exactly the embedded files, so a migration
/// added to a folder but not to [`crate::migrations!`] fails a test instead of being silently skipped.
pub fn check_migration_folders(migrations: &Migrations, dir: &Path) -> Result<(), String> {
    let embedded: Vec<&str> = migrations.names().collect();
    for backend in ["sqlite", "postgres"] {
        let folder = dir.join(backend);
        let mut found: Vec<String> = std::fs::read_dir(&folder)
            .map_err(|e| format!("{}: {e}", folder.display()))?
            .filter_map(Result::ok)
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        found.sort();
        if found != embedded {
            return Err(format!(
                "{} holds {found:?} but the binary embeds {embedded:?}",
                folder.display()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_is_read_from_the_url_scheme() {
        assert_eq!(
            Backend::from_url("sqlite://data/x.sqlite").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert!(matches!(
            Backend::from_url("mysql://h/db"),
            Err(DbError::UnsupportedUrl { .. })
        ));
    }

    #[test]
    fn sqlite_urls_name_their_file_unless_in_memory() {
        assert_eq!(
            sqlite_file("sqlite://data/x.sqlite?mode=rwc"),
            Some(PathBuf::from("data/x.sqlite"))
        );
        assert_eq!(
            sqlite_file("sqlite:///tmp/x.sqlite"),
            Some(PathBuf::from("/tmp/x.sqlite"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("sqlite://file?mode=memory"), None);
    }

    #[test]
    fn migration_file_names_give_version_and_description() {
        let file = MigrationFile {
            name: "0002_add_status_history.sql",
            sql: "SELECT 1",
        };
        let migration = file.to_migration().unwrap();
        assert_eq!(migration.version, 2);
        assert_eq!(migration.description, "add status history");
        for bad in ["0002.sql", "x_y.sql", "0002_x.txt"] {
            let file = MigrationFile { name: bad, sql: "" };
            assert!(file.to_migration().is_err(), "{bad}");
        }
    }

    static PORTABLE: Migrations = Migrations {
        sqlite: &[MigrationFile {
            name: "0001_create_t.sql",
            sql: "CREATE TABLE t (id BIGINT PRIMARY KEY, v TEXT NOT NULL, n BIGINT);",
        }],
        postgres: &[MigrationFile {
            name: "0001_create_t.sql",
            sql: "CREATE TABLE t (id BIGINT PRIMARY KEY, v TEXT NOT NULL, n BIGINT);",
        }],
    };

    idv_test_support::test_on_both_databases!(
        migrations_apply_once_and_one_sql_text_serves_both_backends
    );

    async fn migrations_apply_once_and_one_sql_text_serves_both_backends(
        test_db: idv_test_support::TestDb,
    ) {
        let db = Database::connect(test_db.url()).await.unwrap();
        db.migrate(&PORTABLE).await.unwrap();
        db.migrate(&PORTABLE).await.unwrap();
        for (id, v, n) in [(1_i64, "one", Some(7_i64)), (2, "two", None)] {
            sqlx::query("INSERT INTO t (id, v, n) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(v)
                .bind(n)
                .execute(db.pool())
                .await
                .unwrap();
        }
        let upserted =
            sqlx::query("INSERT INTO t (id, v) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
                .bind(1_i64)
                .bind("again")
                .execute(db.pool())
                .await
                .unwrap();
        assert_eq!(upserted.rows_affected(), 0);
        let (v, n): (String, Option<i64>) =
            sqlx::query_as("SELECT v, n FROM t WHERE id = $1 AND v = $2")
                .bind(2_i64)
                .bind("two")
                .fetch_one(db.pool())
                .await
                .unwrap();
        assert_eq!((v.as_str(), n), ("two", None));
        let next: i64 = sqlx::query_scalar("UPDATE t SET n = n + 1 WHERE id = $1 RETURNING n")
            .bind(1_i64)
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(next, 8);
        if db.backend() == Backend::Sqlite {
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(db.pool())
                .await
                .unwrap();
            assert_eq!(mode, "wal");
        }
        db.close().await;
    }

    #[tokio::test]
    async fn a_missing_sqlite_file_and_folder_are_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/db.sqlite");
        let db = Database::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        assert!(path.exists());
        db.close().await;
    }

    #[tokio::test]
    async fn an_in_memory_sqlite_pool_keeps_one_database() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        db.migrate(&PORTABLE).await.unwrap();
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(count, 0);
    }
}
