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
//! folder and file created when missing, WAL journalling, foreign keys, a busy timeout and the
//! configured [`SqliteSynchronous`] level. `sqlite::memory:` gives every pooled connection its
//! own empty database, so such a pool is held to one connection that never expires.
//!
//! **Writes** go through [`Database::write`] (single statements) and [`Database::begin_write`]
//! (transactions). On SQLite both use one connection of their own, behind an async mutex: the
//! writes of the process queue in one place, one at a time, as SQLite allows one writer per file
//! anyway. Without the mutex concurrent writers would wait for each other in SQLite's busy
//! handler, which sleeps 1, 2, 5, 10 … 100 ms between tries instead of waking when the lock is
//! free; with a connection of its own, a write is one hop to sqlx's connection thread rather
//! than a pool acquisition, the statement and a release (each a hop), and its page cache stays
//! valid. Single statements queued while a commit runs are committed together (group commit:
//! one commit and one `fsync` for the group). Transactions start with `BEGIN IMMEDIATE`, which
//! takes SQLite's write lock at once, so a transaction never has to upgrade a read lock (which
//! fails under WAL when another process committed meanwhile). Reads use the pool
//! ([`Database::pool`]).
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
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::any::{AnyQueryResult, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::pool::PoolConnection;
use sqlx::{
    Any, AnyConnection, AnyPool, AssertSqlSafe, Connection as _, Executor as _, SqlSafeStr as _,
};
use tokio::sync::{Mutex, OwnedMutexGuard, mpsc};

mod group_commit;
mod handles;
mod keyed;
pub mod operator_tokens;
mod private_keys;
pub mod trust_list_state;
mod unavailable;
mod wal;

pub use group_commit::Statement;
pub use handles::{SqliteHandles, sqlite_handles};
pub use idv_keystore::KeysConfig;
pub use keyed::{KeyedDatabase, StoreSpec};
pub use private_keys::PrivateKeyColumn;
pub use unavailable::Unavailable;
pub use wal::WalTruncation;

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
    /// A command that only works on an initialised database found none: no SQLite file, or a
    /// PostgreSQL database without the migrations table.
    #[error("no {service} database: {looked_at}; run `{service} init` first")]
    NotInitialised {
        /// The service whose `init` creates it.
        service: &'static str,
        /// Where it looked (the SQLite file; never a PostgreSQL URL, which may hold a password).
        looked_at: String,
    },
    /// Whether the PostgreSQL database was initialised could not be read.
    #[error("cannot read whether the PostgreSQL database was initialised")]
    Inspect(#[source] sqlx::Error),
}

/// SQLite's `PRAGMA synchronous` level: when a commit waits for the disk. Ignored for
/// PostgreSQL (set `synchronous_commit` on the server).
///
/// In WAL mode, which every SQLite file database here uses:
/// - `Full` (the default) `fsync`s the WAL on every commit: a commit that returned survives a
///   process crash, an operating system crash and a power loss;
/// - `Normal` does not `fsync` on commit (only at checkpoints): a commit that returned survives
///   a process crash (the data is in the operating system's cache), but an operating system
///   crash or a power loss may roll back the most recent commits. The database stays
///   consistent either way. Commits no longer wait for the disk, which is most of their cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    /// `fsync` on every commit (durable on power loss).
    #[default]
    Full,
    /// No `fsync` on commit in WAL mode (the last commits may be lost on power loss or an
    /// operating system crash, never on a process crash).
    Normal,
}

impl SqliteSynchronous {
    /// `FULL` or `NORMAL`, as `PRAGMA synchronous` takes it.
    pub const fn as_pragma(self) -> &'static str {
        match self {
            Self::Full => "FULL",
            Self::Normal => "NORMAL",
        }
    }
}

/// Pool settings; the defaults suit a service instance.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    /// Most connections open at once.
    pub max_connections: u32,
    /// How long a request waits for a connection: a free one, or a new one while the
    /// database is unreachable (sqlx retries refused connections until then). Past it the
    /// request fails with [`Unavailable::PoolTimedOut`] (`503`) instead of hanging.
    pub acquire_timeout: Duration,
    /// SQLite's commit durability (see [`SqliteSynchronous`]); ignored for PostgreSQL.
    pub sqlite_synchronous: SqliteSynchronous,
}

impl PoolSettings {
    /// The defaults with at most `max_connections` connections.
    pub fn with_max_connections(max_connections: u32) -> Self {
        Self {
            max_connections,
            ..Self::default()
        }
    }
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            // Long enough for a busy pool's queue, short enough that a client is told
            // `503` well before its own timeout while the database is down.
            acquire_timeout: Duration::from_secs(3),
            sqlite_synchronous: SqliteSynchronous::default(),
        }
    }
}

/// A connection pool to SQLite or PostgreSQL. Cheap to clone (the pool, and for SQLite the
/// write connection and its group commit queue, are shared).
#[derive(Debug, Clone)]
pub struct Database {
    pool: AnyPool,
    backend: Backend,
    /// SQLite only: the write lock, holding the connection every write of the process uses
    /// (`None` inside for an in-memory database, whose writes use its one pooled connection).
    writes: Option<Arc<Mutex<Option<AnyConnection>>>>,
    /// SQLite file only: the queue of single statements, committed in groups.
    group_commit: Option<mpsc::UnboundedSender<group_commit::Job>>,
    /// Whether the last [`Database::truncate_wal`] could not finish.
    truncation_owed: Arc<AtomicBool>,
    /// SQLite file only: this handle in the process's count of handles per file.
    _registered: Option<Arc<handles::Registered>>,
}

impl Database {
    /// Connects with default [`PoolSettings`].
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        Self::connect_with(url, PoolSettings::default()).await
    }

    /// A service's database: connects ([`Database::connect_with`]) and applies its
    /// `migrations`.
    pub async fn open(
        url: &str,
        settings: PoolSettings,
        migrations: &Migrations,
    ) -> Result<Self, DbError> {
        let db = Self::connect_with(url, settings).await?;
        db.migrate(migrations).await?;
        Ok(db)
    }

    /// Refuses a database `service`'s `init` has not created: a SQLite file that does not
    /// exist, or a PostgreSQL database without the migrations table (empty, or another
    /// program's). An in-memory SQLite database is always new and passes. Commands other than
    /// `init` call this before opening, so that run in the wrong directory (or against the
    /// wrong server) they stop instead of creating a new database and a new signing key.
    pub async fn require_initialised(url: &str, service: &'static str) -> Result<(), DbError> {
        match Backend::from_url(url)? {
            Backend::Sqlite => match sqlite_file(url) {
                Some(path) if !path.exists() => Err(DbError::NotInitialised {
                    service,
                    looked_at: format!("the SQLite file {} does not exist", path.display()),
                }),
                _ => Ok(()),
            },
            Backend::Postgres => {
                let db = Self::connect_with(url, PoolSettings::with_max_connections(1)).await?;
                let found: Result<i64, sqlx::Error> = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'",
                )
                .fetch_one(&db.pool)
                .await;
                db.pool.close().await;
                match found.map_err(DbError::Inspect)? {
                    0 => Err(DbError::NotInitialised {
                        service,
                        looked_at: "the PostgreSQL database `database.url` names has no tables \
                                    of this service (not migrated)"
                            .into(),
                    }),
                    _ => Ok(()),
                }
            }
        }
    }

    /// Connects; for SQLite creates the file when missing, switches it to WAL and opens the
    /// write connection.
    pub async fn connect_with(url: &str, settings: PoolSettings) -> Result<Self, DbError> {
        let backend = Backend::from_url(url)?;
        install_default_drivers();
        let connect_error = |source| DbError::Connect { backend, source };
        let mut options = AnyPoolOptions::new()
            .max_connections(settings.max_connections.max(1))
            .acquire_timeout(settings.acquire_timeout);
        if backend == Backend::Postgres {
            let pool = options.connect(url).await.map_err(connect_error)?;
            return Ok(Self {
                pool,
                backend,
                writes: None,
                group_commit: None,
                truncation_owed: Arc::default(),
                _registered: None,
            });
        }
        let file = sqlite_file(url);
        let url = &match &file {
            Some(_) => creating(url),
            None => url.to_owned(),
        };
        match &file {
            Some(path) => create_sqlite_folder(path)?,
            None => {
                options = options
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None);
            }
        }
        let pragmas = sqlite_pragmas(settings.sqlite_synchronous);
        // A local file does not drop connections: no ping before handing one out (sqlx
        // still pings on release, which also flushes an interrupted statement).
        let options = options
            .test_before_acquire(false)
            .after_connect(move |conn, _meta| {
                let pragmas = pragmas.clone();
                Box::pin(async move {
                    conn.execute(AssertSqlSafe(pragmas)).await?;
                    Ok(())
                })
            });
        let pool = options.connect(url).await.map_err(connect_error)?;
        if file.is_none() {
            return Ok(Self {
                pool,
                backend,
                writes: Some(Arc::new(Mutex::new(None))),
                group_commit: None,
                truncation_owed: Arc::default(),
                _registered: None,
            });
        }
        // WAL is a property of the file: set once, it stays. Readers then never block the
        // writer, which the services rely on for concurrent requests.
        pool.execute("PRAGMA journal_mode = WAL")
            .await
            .map_err(connect_error)?;
        let mut conn = AnyConnection::connect(url).await.map_err(connect_error)?;
        conn.execute(AssertSqlSafe(sqlite_pragmas(settings.sqlite_synchronous)))
            .await
            .map_err(connect_error)?;
        let writes = Arc::new(Mutex::new(Some(conn)));
        let group_commit = Some(group_commit::start(pool.clone(), Arc::clone(&writes)));
        Ok(Self {
            pool,
            backend,
            writes: Some(writes),
            group_commit,
            truncation_owed: Arc::default(),
            _registered: file
                .as_deref()
                .map(|path| Arc::new(handles::Registered::open(path))),
        })
    }

    /// The pool, for reading statements: `sqlx::query(..).fetch_one(db.pool())` in a
    /// service's `store` module. Writes go through [`Database::write`] or
    /// [`Database::begin_write`].
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which engine this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs one writing statement outside a transaction: `db.write(sqlx::query(..).bind(..))`.
    /// On a SQLite file it joins the statements queued meanwhile in one transaction (group
    /// commit: one commit, one `fsync`, for all of them), behind the
    /// same write lock as [`Database::begin_write`], so every write of the process queues in
    /// one place instead of sleeping in SQLite's busy handler. On PostgreSQL (and in-memory
    /// SQLite) it runs on its own.
    ///
    /// Not while holding a [`WriteTx`] of the same [`Database`]: on SQLite it would wait
    /// forever.
    pub async fn write(&self, statement: Statement) -> Result<AnyQueryResult, sqlx::Error> {
        let Some(queue) = &self.group_commit else {
            return statement.execute(&mut *self.writer().await?).await;
        };
        group_commit::submit(queue, |reply| group_commit::Job::Execute(statement, reply)).await
    }

    /// [`Database::write`] for a compare-and-swap `UPDATE`: whether it changed exactly one row
    /// (false when its `WHERE` no longer matched: another writer came first).
    pub async fn write_once(&self, statement: Statement) -> Result<bool, sqlx::Error> {
        Ok(self.write(statement).await?.rows_affected() == 1)
    }

    /// [`Database::write`] for an `INSERT` a unique index may refuse: false when it did (see
    /// [`is_unique_violation`]: another row already holds the value).
    pub async fn write_unless_taken(&self, statement: Statement) -> Result<bool, sqlx::Error> {
        match self.write(statement).await {
            Ok(_) => Ok(true),
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// [`Database::write`] for a statement with `RETURNING`: its first row, if any.
    pub async fn write_returning(
        &self,
        statement: Statement,
    ) -> Result<Option<AnyRow>, sqlx::Error> {
        let Some(queue) = &self.group_commit else {
            return statement.fetch_optional(&mut *self.writer().await?).await;
        };
        group_commit::submit(queue, |reply| {
            group_commit::Job::FetchOptional(statement, reply)
        })
        .await
    }

    /// The connection to write on: on SQLite the write connection with the write lock held
    /// (or, in memory, the pooled one behind the lock); on PostgreSQL a pooled connection.
    async fn writer(&self) -> Result<Writer, sqlx::Error> {
        Writer::acquire(&self.pool, self.writes.as_ref()).await
    }

    /// Starts a transaction that writes, on a [`Database::writer`] connection: on SQLite
    /// with `BEGIN IMMEDIATE`, which takes SQLite's write lock at once (so a transaction
    /// never has to upgrade a read lock, which fails under WAL when another process
    /// committed meanwhile), and the process's write mutex held until it commits, rolls back
    /// or is dropped. Other processes writing the same file are arbitrated by SQLite's busy
    /// timeout. On PostgreSQL a plain `BEGIN`.
    ///
    /// Not while holding a [`WriteTx`] of the same [`Database`]: on SQLite it would wait
    /// forever.
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        // Open before `BEGIN` is sent: if this future is dropped meanwhile, the drop rolls
        // back whatever the connection did.
        let mut tx = WriteTx {
            writer: Some(self.writer().await?),
        };
        tx.execute(begin).await?;
        Ok(tx)
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
        if let Some(writes) = &self.writes
            && let Some(conn) = writes.lock().await.take()
        {
            let _ = conn.close().await;
        }
        self.pool.close().await;
    }
}

/// A value a column decodes to through the `Any` driver: the bound of a service store's
/// `get(row, column)`.
pub trait Column: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> {}

impl<T> Column for T where T: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> {}

/// Whether `error` is a unique constraint's violation (a value another writer took first).
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}

/// The `PRAGMA`s every SQLite connection gets (each is per connection). `secure_delete` zeroes
/// deleted content and freed pages (see [`Database::truncate_wal`] for the write-ahead log).
fn sqlite_pragmas(synchronous: SqliteSynchronous) -> String {
    format!(
        "PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; PRAGMA busy_timeout = {}; \
         PRAGMA synchronous = {};",
        SQLITE_BUSY_TIMEOUT.as_millis(),
        synchronous.as_pragma()
    )
}

/// A connection for writing, from [`Database::writer`]; derefs to the connection.
#[derive(Debug)]
enum Writer {
    /// SQLite file: the write lock, holding the write connection (always `Some`).
    Dedicated(OwnedMutexGuard<Option<AnyConnection>>),
    /// PostgreSQL, or in-memory SQLite (with the write lock held): a pooled connection.
    Pooled(
        PoolConnection<Any>,
        Option<OwnedMutexGuard<Option<AnyConnection>>>,
    ),
}

impl Writer {
    /// The write connection behind the write lock `writes` (SQLite), or, when it holds none
    /// (in memory, or discarded), a pooled connection behind the lock; without a lock
    /// (PostgreSQL) a pooled connection.
    async fn acquire(
        pool: &AnyPool,
        writes: Option<&Arc<Mutex<Option<AnyConnection>>>>,
    ) -> Result<Self, sqlx::Error> {
        let Some(writes) = writes else {
            return Ok(Self::Pooled(pool.acquire().await?, None));
        };
        let lock = Arc::clone(writes).lock_owned().await;
        if lock.is_some() {
            return Ok(Self::Dedicated(lock));
        }
        Ok(Self::Pooled(pool.acquire().await?, Some(lock)))
    }

    /// Closes the connection instead of reusing it (its state is unknown); on SQLite the
    /// writes that follow use the pool, behind the same lock.
    fn discard(self) {
        match self {
            // Dropping a SQLite connection closes it.
            Self::Dedicated(mut lock) => drop(lock.take()),
            Self::Pooled(mut conn, _lock) => conn.close_on_drop(),
        }
    }
}

impl Deref for Writer {
    type Target = AnyConnection;

    #[expect(
        clippy::expect_used,
        reason = "a Dedicated writer is made only from a lock holding a connection, which \
                  only `discard` (consuming the writer) and `Database::close` take out"
    )]
    fn deref(&self) -> &AnyConnection {
        match self {
            Self::Dedicated(lock) => lock.as_ref().expect("the write connection"),
            Self::Pooled(conn, _) => conn,
        }
    }
}

impl DerefMut for Writer {
    #[expect(
        clippy::expect_used,
        reason = "a Dedicated writer is made only from a lock holding a connection, which \
                  only `discard` (consuming the writer) and `Database::close` take out"
    )]
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            Self::Dedicated(lock) => lock.as_mut().expect("the write connection"),
            Self::Pooled(conn, _) => conn,
        }
    }
}

/// An open write transaction from [`Database::begin_write`]. It derefs to the connection, so
/// statements run on it with `.execute(&mut *tx)`, and it coerces to `&mut AnyConnection`.
///
/// Dropping it without [`WriteTx::commit`] rolls back: the `ROLLBACK` is awaited on a
/// spawned task before the connection (and on SQLite the write lock) is released, so the next
/// writer never finds the transaction still open.
pub struct WriteTx {
    /// `Some` until committed or rolled back.
    writer: Option<Writer>,
}

impl WriteTx {
    /// Commits, then releases the connection.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        self.finish("COMMIT").await
    }

    /// Rolls back, then releases the connection.
    pub async fn rollback(mut self) -> Result<(), sqlx::Error> {
        self.finish("ROLLBACK").await
    }

    /// Runs `COMMIT` or `ROLLBACK`; on failure (or if this future is dropped) the drop rolls
    /// back.
    async fn finish(&mut self, statement: &'static str) -> Result<(), sqlx::Error> {
        if let Some(writer) = &mut self.writer {
            writer.execute(statement).await?;
            self.writer = None;
        }
        Ok(())
    }
}

impl Deref for WriteTx {
    type Target = AnyConnection;

    #[expect(
        clippy::expect_used,
        reason = "`writer` is taken only by `commit`, `rollback` and `drop`, which consume the WriteTx"
    )]
    fn deref(&self) -> &AnyConnection {
        self.writer.as_ref().expect("an open WriteTx")
    }
}

impl DerefMut for WriteTx {
    #[expect(
        clippy::expect_used,
        reason = "`writer` is taken only by `commit`, `rollback` and `drop`, which consume the WriteTx"
    )]
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.writer.as_mut().expect("an open WriteTx")
    }
}

impl fmt::Debug for WriteTx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteTx")
            .field("open", &self.writer.is_some())
            .finish()
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        let Some(mut writer) = self.writer.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Err(error) = writer.execute("ROLLBACK").await {
                        tracing::warn!(%error, "rolling back a dropped write transaction failed");
                        writer.discard();
                    }
                });
            }
            // No runtime (shutdown): the connection is closed, which ends the transaction.
            Err(_) => writer.discard(),
        }
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

/// Mode of the folders created for a database (and its key-encryption key beside it): the
/// owner's alone, as the files in them hold personal data and sealed keys.
const DATA_DIR_MODE: u32 = 0o700;

/// Creates the folder of a SQLite file (missing folders mode 0700, existing ones untouched).
/// The file itself is SQLite's to create ([`creating`]):
/// opening and closing it here would drop every POSIX lock this process holds on it (POSIX
/// advisory locks belong to the process, and any `close` of the file releases them), so a second
/// handle in a running service would let another process's SQLite delete the WAL under it.
fn create_sqlite_folder(path: &Path) -> Result<(), DbError> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => {
            use std::os::unix::fs::DirBuilderExt as _;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(DATA_DIR_MODE)
                .create(parent)
                .map_err(|source| DbError::CreateFile {
                    path: path.to_owned(),
                    source,
                })
        }
        None => Ok(()),
    }
}

/// `url` with `mode=rwc` (SQLite creates the file when missing) unless it names a mode.
fn creating(url: &str) -> String {
    match url.split_once('?') {
        Some((_, params)) if params.split('&').any(|p| p.starts_with("mode=")) => url.to_owned(),
        Some(_) => format!("{url}&mode=rwc"),
        None => format!("{url}?mode=rwc"),
    }
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
    /// The folder they were embedded from (holding `sqlite/` and `postgres/`), as the source
    /// tree had it at build time.
    pub folder: &'static str,
}

impl Migrations {
    /// The file names, in order (the same for both backends).
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.sqlite.iter().map(|f| f.name)
    }

    /// Checks that the folder they were embedded from holds exactly these files (a service's
    /// test; see [`check_migration_folders`]).
    pub fn check_folder(&self) -> Result<(), String> {
        check_migration_folders(self, Path::new(self.folder))
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
/// List every file: a service test compares the list with the folders
/// ([`Migrations::check_folder`]).
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
            folder: concat!(env!("CARGO_MANIFEST_DIR"), "/", $dir),
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
    use sqlx::error::ErrorKind;

    #[tokio::test]
    async fn a_missing_sqlite_file_is_refused_by_name_and_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("data/issuer.sqlite");
        let url = format!("sqlite://{}", file.display());
        let error = Database::require_initialised(&url, "issuer")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(&file.display().to_string()) && error.contains("run `issuer init`"),
            "{error}"
        );
        assert!(!file.parent().unwrap().exists());
        Database::require_initialised("sqlite::memory:", "issuer")
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn created_data_folders_are_the_owners_alone() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a/b/issuer.sqlite");
        let db = Database::connect(&format!("sqlite://{}", file.display()))
            .await
            .unwrap();
        for folder in [dir.path().join("a"), dir.path().join("a/b")] {
            let mode = std::fs::metadata(&folder).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700, "{}", folder.display());
        }
        Database::require_initialised(&format!("sqlite://{}", file.display()), "issuer")
            .await
            .unwrap();
        db.close().await;
    }

    /// The one value `sql` selects from `db`.
    async fn select<T: Column + Send + Unpin>(db: &Database, sql: &'static str) -> T {
        sqlx::query_scalar(sql).fetch_one(db.pool()).await.unwrap()
    }

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
        folder: "",
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
            let mode: String = select(&db, "PRAGMA journal_mode").await;
            assert_eq!(mode, "wal");
        }
        db.close().await;
    }

    #[tokio::test]
    async fn a_second_handle_in_the_process_leaves_the_first_ones_locks_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let url = format!("sqlite://{}", path.display());
        let running = Database::connect(&url).await.unwrap();
        running
            .write(sqlx::query("CREATE TABLE t (v INTEGER)"))
            .await
            .unwrap();
        running
            .write(sqlx::query("INSERT INTO t (v) VALUES (1)"))
            .await
            .unwrap();
        let wal = dir.path().join("db.sqlite-wal");
        assert!(wal.exists());
        // A second handle in the same process (a CLI command run in-process, a test fixture)...
        Database::connect(&url).await.unwrap().close().await;
        // ...then another process (a backup, the service's CLI) reads and closes the file.
        // While the running handle keeps its locks, that process's SQLite may not checkpoint
        // and delete the WAL under it.
        let read = std::process::Command::new("python3")
            .arg("-c")
            .arg(
                "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); \
                 print(c.execute('SELECT count(*) FROM t').fetchone()[0]); c.close()",
            )
            .arg(&path)
            .output()
            .unwrap();
        assert!(read.status.success(), "{read:?}");
        assert_eq!(String::from_utf8_lossy(&read.stdout).trim(), "1");
        assert!(
            wal.exists(),
            "another process deleted the running handle's WAL"
        );
        running
            .write(sqlx::query("INSERT INTO t (v) VALUES (2)"))
            .await
            .unwrap();
        let count: i64 = select(&running, "SELECT count(*) FROM t").await;
        assert_eq!(count, 2);
        running.close().await;
    }

    /// The SQLite file and its `-wal` and `-shm` files, as bytes.
    fn sqlite_files(path: &Path) -> Vec<u8> {
        let mut bytes = std::fs::read(path).unwrap();
        for suffix in ["-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            if let Ok(more) = std::fs::read(PathBuf::from(name)) {
                bytes.extend(more);
            }
        }
        bytes
    }

    fn holds(haystack: &[u8], needle: &str) -> bool {
        haystack
            .windows(needle.len())
            .any(|window| window == needle.as_bytes())
    }

    #[tokio::test]
    async fn secure_delete_and_a_truncated_wal_leave_no_trace_of_erased_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let db = Database::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        db.migrate(&PORTABLE).await.unwrap();
        // A short value stays in its table page; a long one spills into overflow pages.
        let short = "Featherstonehaugh";
        let long = format!("portrait:{}", "QmFiYmFnZQ".repeat(1_000));
        for (id, v) in [
            (1_i64, short.to_owned()),
            (2, long.clone()),
            (3, "kept".into()),
        ] {
            db.write(
                sqlx::query("INSERT INTO t (id, v) VALUES ($1, $2)")
                    .bind(id)
                    .bind(v),
            )
            .await
            .unwrap();
        }
        for pragma in ["secure_delete", "foreign_keys"] {
            let on: i64 = sqlx::query_scalar(AssertSqlSafe(format!("PRAGMA {pragma}")))
                .fetch_one(db.pool())
                .await
                .unwrap();
            assert_eq!(on, 1, "{pragma} on every connection");
        }
        assert_eq!(db.truncate_wal().await.unwrap(), WalTruncation::Truncated);
        // Edited a few times (each commit appends whole pages to the log), then erased.
        for round in 0..3 {
            db.write(sqlx::query("UPDATE t SET n = $1 WHERE id IN (1, 2)").bind(round))
                .await
                .unwrap();
        }
        let files = sqlite_files(&path);
        assert!(
            holds(&files, short) && holds(&files, &long[..200]),
            "seen before"
        );
        db.write(sqlx::query("UPDATE t SET v = 'erased' WHERE id = 1"))
            .await
            .unwrap();
        db.write(sqlx::query("DELETE FROM t WHERE id = 2"))
            .await
            .unwrap();
        let files = sqlite_files(&path);
        assert!(holds(&files, short), "the log still holds the old pages");
        assert_eq!(db.truncate_wal().await.unwrap(), WalTruncation::Truncated);
        assert!(!db.wal_truncation_owed());
        let files = sqlite_files(&path);
        assert!(!holds(&files, short), "the short value is gone");
        assert!(
            !holds(&files, "QmFiYmFnZQQmFiYmFnZQ"),
            "the overflow pages are zeroed"
        );
        assert!(holds(&files, "kept"), "what was not erased is there");
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        assert_eq!(std::fs::metadata(PathBuf::from(wal)).unwrap().len(), 0);
        db.close().await;
    }

    #[tokio::test]
    async fn a_reader_on_an_old_snapshot_makes_the_truncation_busy_until_it_ends() {
        let (_test_db, db) = counter_db(2).await;
        let mut reader = db.pool().acquire().await.unwrap();
        reader.execute("BEGIN").await.unwrap();
        assert_eq!(counter_on(&mut reader).await, 0);
        db.write(sqlx::query("UPDATE t SET n = 1 WHERE id = 1"))
            .await
            .unwrap();
        assert_eq!(db.truncate_wal().await.unwrap(), WalTruncation::Busy);
        assert!(db.wal_truncation_owed(), "owed until one succeeds");
        // Writes go on meanwhile: the checkpoint's shorter busy timeout is undone.
        db.write(sqlx::query("UPDATE t SET n = 2 WHERE id = 1"))
            .await
            .unwrap();
        reader.execute("COMMIT").await.unwrap();
        drop(reader);
        assert_eq!(db.truncate_wal().await.unwrap(), WalTruncation::Truncated);
        assert!(!db.wal_truncation_owed());
        let timeout: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(&mut *db.writer().await.unwrap())
            .await
            .unwrap();
        assert_eq!(
            u128::try_from(timeout).unwrap(),
            SQLITE_BUSY_TIMEOUT.as_millis()
        );
        assert_eq!(counter(&db).await, 2);
        db.close().await;
    }

    #[tokio::test]
    async fn there_is_no_log_to_truncate_in_memory() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        assert_eq!(db.truncate_wal().await.unwrap(), WalTruncation::NoLog);
    }

    #[tokio::test]
    async fn the_handles_on_each_sqlite_file_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let url = format!("sqlite://{}", path.display());
        assert_eq!(sqlite_handles(&path), SqliteHandles::default());
        let first = Database::connect(&url).await.unwrap();
        let clone = first.clone();
        assert_eq!(sqlite_handles(&path), SqliteHandles { opened: 1, open: 1 });
        let second = Database::connect(&url).await.unwrap();
        assert_eq!(sqlite_handles(&path), SqliteHandles { opened: 2, open: 2 });
        second.close().await;
        drop(second);
        assert_eq!(sqlite_handles(&path), SqliteHandles { opened: 2, open: 1 });
        drop(first);
        assert_eq!(sqlite_handles(&path).open, 1, "the clone holds the handle");
        clone.close().await;
        drop(clone);
        assert_eq!(sqlite_handles(&path), SqliteHandles { opened: 2, open: 0 });
    }

    #[tokio::test]
    async fn a_postgres_outage_is_unavailable_fails_fast_and_recovers() {
        let test_db = idv_test_support::TestDb::postgres().await;
        let settings = PoolSettings {
            acquire_timeout: Duration::from_secs(2),
            ..PoolSettings::with_max_connections(2)
        };
        let db = Database::connect_with(test_db.url(), settings)
            .await
            .unwrap();
        db.migrate(&PORTABLE).await.unwrap();
        let write = || {
            db.write(sqlx::query(
                "INSERT INTO t (id, v) VALUES (1, 'x') ON CONFLICT (id) DO NOTHING",
            ))
        };
        write().await.unwrap();

        test_db.start_outage().await;
        for _ in 0..3 {
            let started = std::time::Instant::now();
            let read = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM t")
                .fetch_one(db.pool())
                .await
                .expect_err("the database is down");
            assert!(Unavailable::of(&read).is_some(), "{read:?}");
            let written = write().await.expect_err("the database is down");
            assert!(Unavailable::of(&written).is_some(), "{written:?}");
            // Never longer than the acquire timeout (plus scheduling), never a hang.
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{:?}",
                started.elapsed()
            );
        }

        test_db.end_outage().await;
        write().await.unwrap();
        let count: i64 = select(&db, "SELECT count(*) FROM t").await;
        assert_eq!(count, 1, "the same handle serves again");
        db.close().await;
    }

    #[tokio::test]
    async fn a_sqlite_file_locked_by_another_process_is_unavailable_for_writes_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let db = Database::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        db.migrate(&PORTABLE).await.unwrap();
        // An operator's shell (or a tool) holds the write lock.
        let holder = idv_test_support::sqlite_lock::WriteLockHolder::hold(&path);

        let single = db
            .write(sqlx::query("INSERT INTO t (id, v) VALUES (1, 'x')"))
            .await
            .expect_err("locked");
        assert_eq!(
            Unavailable::of(&single),
            Some(Unavailable::Locked),
            "{single:?}"
        );
        let tx = db.begin_write().await.expect_err("locked");
        assert_eq!(Unavailable::of(&tx), Some(Unavailable::Locked), "{tx:?}");
        // Readers are not blocked by a writer under WAL.
        let count: i64 = select(&db, "SELECT count(*) FROM t").await;
        assert_eq!(count, 0);

        holder.release();
        db.write(sqlx::query("INSERT INTO t (id, v) VALUES (1, 'x')"))
            .await
            .unwrap();
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
    async fn every_sqlite_connection_gets_the_synchronous_setting() {
        for (setting, expected) in [
            (None, 2_i64),
            (Some(SqliteSynchronous::Full), 2),
            (Some(SqliteSynchronous::Normal), 1),
        ] {
            let test_db = idv_test_support::TestDb::sqlite().await;
            let mut settings = PoolSettings::with_max_connections(4);
            if let Some(setting) = setting {
                settings.sqlite_synchronous = setting;
            }
            let db = Database::connect_with(test_db.url(), settings)
                .await
                .unwrap();
            // Held at once, so these are four distinct connections.
            let mut connections = Vec::new();
            for _ in 0..4 {
                connections.push(db.pool().acquire().await.unwrap());
            }
            for connection in &mut connections {
                let level: i64 = sqlx::query_scalar("PRAGMA synchronous")
                    .fetch_one(&mut **connection)
                    .await
                    .unwrap();
                assert_eq!(level, expected, "{setting:?}");
            }
            drop(connections);
            let level: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&mut *db.writer().await.unwrap())
                .await
                .unwrap();
            assert_eq!(level, expected, "the write connection, {setting:?}");
            db.close().await;
        }
    }

    async fn counter_db(max_connections: u32) -> (idv_test_support::TestDb, Database) {
        let test_db = idv_test_support::TestDb::sqlite().await;
        let db = Database::connect_with(
            test_db.url(),
            PoolSettings::with_max_connections(max_connections),
        )
        .await
        .unwrap();
        db.migrate(&PORTABLE).await.unwrap();
        sqlx::query("INSERT INTO t (id, v, n) VALUES (1, 'counter', 0)")
            .execute(db.pool())
            .await
            .unwrap();
        (test_db, db)
    }

    async fn counter_on(conn: &mut AnyConnection) -> i64 {
        sqlx::query_scalar("SELECT n FROM t WHERE id = 1")
            .fetch_one(conn)
            .await
            .unwrap()
    }

    async fn counter(db: &Database) -> i64 {
        select(db, "SELECT n FROM t WHERE id = 1").await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_write_transactions_of_one_database_never_interleave() {
        let (_test_db, db) = counter_db(10).await;
        let open = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most_open = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (db, open, most_open) = (db.clone(), open.clone(), most_open.clone());
            tasks.push(tokio::spawn(async move {
                use std::sync::atomic::Ordering::SeqCst;
                let mut tx = db.begin_write().await?;
                let now_open = open.fetch_add(1, SeqCst) + 1;
                most_open.fetch_max(now_open, SeqCst);
                // Read, let the others run, then write what was read plus one: a deferred
                // transaction would have to upgrade its read lock here, and fail as busy
                // when another one committed meanwhile.
                let n: i64 = sqlx::query_scalar("SELECT n FROM t WHERE id = 1")
                    .fetch_one(&mut *tx)
                    .await?;
                tokio::time::sleep(Duration::from_millis(5)).await;
                sqlx::query("UPDATE t SET n = $1 WHERE id = 1")
                    .bind(n + 1)
                    .execute(&mut *tx)
                    .await?;
                open.fetch_sub(1, SeqCst);
                tx.commit().await
            }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(most_open.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(counter(&db).await, 8, "no update lost");
        db.close().await;
    }

    #[tokio::test]
    async fn a_waiting_sqlite_writer_starts_after_the_commit_and_holds_no_connection() {
        let (_test_db, db) = counter_db(2).await;
        let mut first = db.begin_write().await.unwrap();
        sqlx::query("UPDATE t SET n = 1 WHERE id = 1")
            .execute(&mut *first)
            .await
            .unwrap();
        let (began_tx, mut began) = tokio::sync::oneshot::channel();
        let second = tokio::spawn({
            let db = db.clone();
            async move {
                let mut tx = db.begin_write().await?;
                let _ = began_tx.send(());
                let n: i64 = sqlx::query_scalar("SELECT n FROM t WHERE id = 1")
                    .fetch_one(&mut *tx)
                    .await?;
                sqlx::query("UPDATE t SET n = $1 WHERE id = 1")
                    .bind(n + 1)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await.map(|()| n)
            }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(began.try_recv().is_err(), "the second writer waits");
        // It waits on the mutex, not in SQLite's busy handler on a pooled connection: the
        // pool's other connection is free for readers, who see the last commit.
        let mut reader = tokio::time::timeout(Duration::from_secs(1), db.pool().acquire())
            .await
            .expect("a free connection")
            .unwrap();
        let n: i64 = sqlx::query_scalar("SELECT n FROM t WHERE id = 1")
            .fetch_one(&mut *reader)
            .await
            .unwrap();
        assert_eq!(n, 0);
        drop(reader);
        first.commit().await.unwrap();
        let seen_by_second = second.await.unwrap().unwrap();
        assert_eq!(seen_by_second, 1, "began after the first committed");
        assert_eq!(counter(&db).await, 2);
        db.close().await;
    }

    #[tokio::test]
    async fn a_single_sqlite_write_queues_behind_an_open_write_transaction() {
        let (_test_db, db) = counter_db(2).await;
        let mut first = db.begin_write().await.unwrap();
        sqlx::query("UPDATE t SET n = 1 WHERE id = 1")
            .execute(&mut *first)
            .await
            .unwrap();
        let single = tokio::spawn({
            let db = db.clone();
            async move {
                db.write(sqlx::query("UPDATE t SET n = n + 10 WHERE id = 1"))
                    .await
            }
        });
        // Longer than SQLite's busy timeout would let it wait on a pooled connection.
        tokio::time::sleep(SQLITE_BUSY_TIMEOUT + Duration::from_millis(500)).await;
        assert!(!single.is_finished(), "it waits for the transaction");
        first.commit().await.unwrap();
        single.await.unwrap().unwrap();
        assert_eq!(counter(&db).await, 11);
        db.close().await;
    }

    /// Queues `statements` in this order behind an open write transaction, then commits it:
    /// they run as one group. Returns their results.
    async fn one_group(
        db: &Database,
        statements: Vec<Statement>,
    ) -> Vec<Result<AnyQueryResult, sqlx::Error>> {
        let open = db.begin_write().await.unwrap();
        let mut queued = Vec::new();
        for statement in statements {
            let db = db.clone();
            queued.push(tokio::spawn(async move { db.write(statement).await }));
            // Sent in order: each task sends its statement at its first poll.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        open.commit().await.unwrap();
        let mut results = Vec::new();
        for task in queued {
            results.push(task.await.unwrap());
        }
        results
    }

    #[tokio::test]
    async fn single_sqlite_writes_commit_in_a_group_each_with_its_own_result() {
        let (_test_db, db) = counter_db(2).await;
        let results = one_group(
            &db,
            vec![
                sqlx::query("INSERT INTO t (id, v) VALUES (2, 'two')"),
                sqlx::query("INSERT INTO t (id, v) VALUES (1, 'taken')"),
                sqlx::query("UPDATE t SET n = n + 1 WHERE id = 1"),
                sqlx::query("UPDATE t SET n = n + 1 WHERE id = 99"),
            ],
        )
        .await;
        assert_eq!(results[0].as_ref().unwrap().rows_affected(), 1);
        match &results[1] {
            Err(sqlx::Error::Database(e)) => assert_eq!(e.kind(), ErrorKind::UniqueViolation),
            other => panic!("expected a unique violation, got {other:?}"),
        }
        assert_eq!(results[2].as_ref().unwrap().rows_affected(), 1);
        assert_eq!(results[3].as_ref().unwrap().rows_affected(), 0);
        let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, v FROM t ORDER BY id")
            .fetch_all(db.pool())
            .await
            .unwrap();
        assert_eq!(rows, [(1, "counter".to_owned()), (2, "two".to_owned())]);
        assert_eq!(
            counter(&db).await,
            1,
            "a violation undoes its statement only"
        );
        let returned = db
            .write_returning(sqlx::query(
                "UPDATE t SET n = n + 1 WHERE id = 1 RETURNING n",
            ))
            .await
            .unwrap()
            .map(|row| sqlx::Row::get::<i64, _>(&row, 0));
        assert_eq!(returned, Some(2));
        db.close().await;
    }

    #[tokio::test]
    async fn a_failing_statement_other_than_a_violation_rolls_its_group_back() {
        let (_test_db, db) = counter_db(2).await;
        let results = one_group(
            &db,
            vec![
                sqlx::query("UPDATE t SET n = 5 WHERE id = 1"),
                sqlx::query("UPDATE no_such_table SET n = 1"),
                sqlx::query("UPDATE t SET v = 'after' WHERE id = 1"),
            ],
        )
        .await;
        for (i, result) in results.iter().enumerate() {
            let error = result.as_ref().expect_err("the whole group fails");
            if i == 1 {
                assert!(matches!(error, sqlx::Error::Database(_)), "{error}");
            } else {
                assert!(
                    error.to_string().contains("rolled back with its group"),
                    "{error}"
                );
            }
        }
        assert_eq!(counter(&db).await, 0, "nothing of the group stayed");
        db.write(sqlx::query("UPDATE t SET n = 7 WHERE id = 1"))
            .await
            .unwrap();
        assert_eq!(counter(&db).await, 7, "writes go on");
        db.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_concurrent_single_sqlite_writes_all_commit() {
        let (_test_db, db) = counter_db(4).await;
        let mut tasks = Vec::new();
        for id in 2..402_i64 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                db.write(sqlx::query("INSERT INTO t (id, v) VALUES ($1, 'x')").bind(id))
                    .await?;
                db.write(sqlx::query("UPDATE t SET n = n + 1 WHERE id = 1"))
                    .await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap().rows_affected(), 1);
        }
        assert_eq!(counter(&db).await, 400);
        let rows: i64 = select(&db, "SELECT COUNT(*) FROM t").await;
        assert_eq!(rows, 401);
        db.close().await;
        let after_close = db.write(sqlx::query("UPDATE t SET n = 0")).await;
        let error = after_close.expect_err("the database is closed");
        assert!(error.to_string().contains("closed pool"), "{error}");
    }

    idv_test_support::test_on_both_databases!(
        a_dropped_write_transaction_rolls_back_and_frees_the_lock
    );

    async fn a_dropped_write_transaction_rolls_back_and_frees_the_lock(
        test_db: idv_test_support::TestDb,
    ) {
        let db = Database::connect(test_db.url()).await.unwrap();
        db.migrate(&PORTABLE).await.unwrap();
        let mut tx = db.begin_write().await.unwrap();
        sqlx::query("INSERT INTO t (id, v) VALUES (1, 'dropped')")
            .execute(&mut *tx)
            .await
            .unwrap();
        drop(tx);
        let mut tx = tokio::time::timeout(Duration::from_secs(2), db.begin_write())
            .await
            .expect("the lock is free again")
            .unwrap();
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(count, 0, "rolled back");
        sqlx::query("INSERT INTO t (id, v) VALUES (1, 'kept')")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let rolled_back = db.begin_write().await.unwrap();
        rolled_back.rollback().await.unwrap();
        let v: String = select(&db, "SELECT v FROM t WHERE id = 1").await;
        assert_eq!(v, "kept");
        db.close().await;
    }

    #[tokio::test]
    async fn an_in_memory_sqlite_database_is_one_connection_for_reads_and_writes() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        db.migrate(&PORTABLE).await.unwrap();
        // Writes use the pool's one connection, so reads see them.
        db.write(sqlx::query("INSERT INTO t (id, v) VALUES (1, 'single')"))
            .await
            .unwrap();
        let mut tx = db.begin_write().await.unwrap();
        sqlx::query("INSERT INTO t (id, v) VALUES (2, 'in a transaction')")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let count: i64 = select(&db, "SELECT COUNT(*) FROM t").await;
        assert_eq!(count, 2);
    }
}
