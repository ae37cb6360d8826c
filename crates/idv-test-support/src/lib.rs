//! Test-only support (a `[dev-dependencies]` crate): a fresh database per test, on SQLite and on
//! PostgreSQL, and a macro that runs one async test body against both.
//!
//! ```text
//! use idv_test_support::{TestDb, test_on_both_databases};
//!
//! test_on_both_databases!(entries_survive_a_restart);
//! async fn entries_survive_a_restart(db: TestDb) { /* connect to db.url() */ }
//! ```
//! generates `entries_survive_a_restart::sqlite` and `entries_survive_a_restart::postgres`
//! (`#[tokio::test]`, so the test crate needs `tokio` with `macros`).
//!
//! PostgreSQL tests never skip: when the server at `IDV_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) does not answer, they fail and say so.
//!
//! [`oidc_provider`]: a real OpenID Provider (the npm `oidc-provider`, run by node) and a
//! citizen's browser that signs in there, for relying parties under test.
//!
//! [`citizen`]: the fictional citizen every test proofs.
//!
//! [`example`]: the example federation's names and clock.
//!
//! [`register`]: a certified provider's trust list entry and the list around it.
//!
//! [`server`]: a server task a test starts and stops.
//!
//! [`responses`]: the `{error, error_description}` of a service's error response.
//!
//! [`api`]: a service's operator API as a test calls it, and its answers through a database
//! outage.
//!
//! [`cli`]: a service's command line as a test runs it.
//!
//! [`softhsm`]: a SoftHSM2 token in a temporary folder, for keys held through PKCS#11.
//!
//! [`sqlite_lock`]: another process holding a SQLite file's write lock.
//!
//! [`status_list`]: an issuer's signed status list.

pub mod api;
pub mod citizen;
pub mod cli;
pub mod example;
pub mod oidc_provider;
pub mod openid_client;
pub mod register;
pub mod responses;
pub mod server;
pub mod softhsm;
pub mod sqlite_lock;
pub mod status_list;

use std::fmt;

use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Connection as _, Executor as _};
use tempfile::TempDir;

/// Environment variable naming the PostgreSQL server (and maintenance database) tests use.
pub const POSTGRES_URL_ENV: &str = "IDV_TEST_POSTGRES_URL";
/// Server used when [`POSTGRES_URL_ENV`] is unset: the developer machines' and CI's.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that exists for one test: a SQLite file in a temporary folder, or a PostgreSQL
/// database `idv_test_<random>` created for it. Dropped with the value.
pub struct TestDb {
    url: String,
    _dir: Option<TempDir>,
    postgres: Option<CreatedDatabase>,
}

struct CreatedDatabase {
    admin_url: String,
    name: String,
}

impl CreatedDatabase {
    /// Runs `statements` on the maintenance database.
    async fn admin(&self, statements: &[&str]) {
        let mut admin = match PgConnection::connect(&self.admin_url).await {
            Ok(conn) => conn,
            Err(e) => panic!("PostgreSQL is not reachable: {e}"),
        };
        for statement in statements {
            if let Err(e) = admin.execute(AssertSqlSafe(statement.to_string())).await {
                panic!("{statement}: {e}");
            }
        }
        let _ = admin.close().await;
    }
}

impl fmt::Debug for TestDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestDb")
            .field("backend", &self.backend_name())
            .finish()
    }
}

impl TestDb {
    /// A fresh SQLite file (not `:memory:`, whose pooled connections would each see their own
    /// empty database).
    /// `async` like [`TestDb::postgres`], so both read the same in tests.
    pub async fn sqlite() -> Self {
        let dir = match tempfile::Builder::new().prefix("idv-test-").tempdir() {
            Ok(dir) => dir,
            Err(e) => panic!("cannot create a temporary folder for a SQLite test database: {e}"),
        };
        let url = format!("sqlite://{}", dir.path().join("test.sqlite").display());
        Self {
            url,
            _dir: Some(dir),
            postgres: None,
        }
    }

    /// A fresh, empty PostgreSQL database on the test server.
    ///
    /// # Panics
    /// When the server does not answer or refuses to create the database: PostgreSQL tests
    /// fail rather than skip, so a missing server cannot pass CI silently.
    pub async fn postgres() -> Self {
        let admin_url =
            std::env::var(POSTGRES_URL_ENV).unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let mut admin = match PgConnection::connect(&admin_url).await {
            Ok(conn) => conn,
            Err(e) => panic!(
                "PostgreSQL is not reachable at {} ({e}). Start a server there or set \
                 {POSTGRES_URL_ENV} to one (user with CREATEDB; `.ci/run` \
                 starts one where none answers)",
                redact(&admin_url)
            ),
        };
        let name = format!("idv_test_{}", random_hex(8));
        if let Err(e) = admin
            .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
        {
            panic!("cannot create test database {name}: {e}");
        }
        let _ = admin.close().await;
        let mut url = match url::Url::parse(&admin_url) {
            Ok(url) => url,
            Err(e) => panic!("{POSTGRES_URL_ENV} is not a URL: {e}"),
        };
        url.set_path(&name);
        Self {
            url: url.into(),
            _dir: None,
            postgres: Some(CreatedDatabase { admin_url, name }),
        }
    }

    /// The database URL to configure the service under test with.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The SQLite file, or `None` on PostgreSQL. Its `-wal` and `-shm` files lie beside it.
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        if self.postgres.is_some() {
            return None;
        }
        self.url
            .strip_prefix("sqlite://")
            .map(std::path::PathBuf::from)
    }

    /// PostgreSQL only: a database outage as its clients see one. The database stops
    /// accepting connections (`ALTER DATABASE … ALLOW_CONNECTIONS false`) and every session
    /// on it is ended (`pg_terminate_backend`), so pooled connections fail and new ones are
    /// refused, until [`TestDb::end_outage`].
    ///
    /// # Panics
    /// On SQLite, or when the server refuses the statements.
    pub async fn start_outage(&self) {
        let created = self.created("start_outage");
        created
            .admin(&[
                &format!("ALTER DATABASE {} ALLOW_CONNECTIONS false", created.name),
                &format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = '{}' AND pid <> pg_backend_pid()",
                    created.name
                ),
            ])
            .await;
    }

    /// PostgreSQL only: the database accepts connections again (see [`TestDb::start_outage`]).
    ///
    /// # Panics
    /// On SQLite, or when the server refuses the statement.
    pub async fn end_outage(&self) {
        let created = self.created("end_outage");
        created
            .admin(&[&format!(
                "ALTER DATABASE {} ALLOW_CONNECTIONS true",
                created.name
            )])
            .await;
    }

    fn created(&self, what: &str) -> &CreatedDatabase {
        match &self.postgres {
            Some(created) => created,
            None => panic!("{what} needs a PostgreSQL test database"),
        }
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        if self.postgres.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(created) = self.postgres.take() else {
            return;
        };
        // Drop may run inside the test's runtime, which must not block on itself: drop the
        // database from a thread with its own runtime. Best effort: a leftover `idv_test_*`
        // database is harmless and the next server reset removes it.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&created.admin_url)
                    .await
                    .map_err(|e| e.to_string())?;
                admin
                    .execute(AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        created.name
                    )))
                    .await
                    .map_err(|e| e.to_string())?;
                let _ = admin.close().await;
                Ok::<(), String>(())
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("warning: could not drop a test database: {e}");
        }
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    idv_jose::Random::fill(&idv_jose::SystemRandom, &mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.into()
        }
        Ok(parsed) => parsed.into(),
        Err(_) => "<unparsable URL>".to_owned(),
    }
}

/// Runs each named `async fn(TestDb)` as two `#[tokio::test]`s, `<name>::sqlite` and
/// `<name>::postgres`, each with a fresh database.
#[macro_export]
macro_rules! test_on_both_databases {
    ($($test:ident),+ $(,)?) => {$(
        mod $test {
            #[tokio::test]
            async fn sqlite() {
                super::$test($crate::TestDb::sqlite().await).await;
            }

            #[tokio::test]
            async fn postgres() {
                super::$test($crate::TestDb::postgres().await).await;
            }
        }
    )+};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_databases_are_fresh_files() {
        let (a, b) = (TestDb::sqlite().await, TestDb::sqlite().await);
        assert_ne!(a.url(), b.url());
        assert!(a.url().starts_with("sqlite://"));
    }

    #[tokio::test]
    async fn postgres_databases_are_created_and_dropped() {
        let db = TestDb::postgres().await;
        let name = db.url().rsplit('/').next().unwrap().to_owned();
        let mut conn = PgConnection::connect(db.url()).await.unwrap();
        let one: i32 = sqlx::query_scalar("SELECT 1")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(one, 1);
        conn.close().await.unwrap();
        drop(db);
        let admin_url =
            std::env::var(POSTGRES_URL_ENV).unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let mut admin = PgConnection::connect(&admin_url).await.unwrap();
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname = $1")
            .bind(&name)
            .fetch_one(&mut admin)
            .await
            .unwrap();
        assert_eq!(left, 0);
    }

    #[test]
    fn passwords_are_redacted_from_messages() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
    }
}
