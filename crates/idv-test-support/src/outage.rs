//! A PostgreSQL test database going down and coming back, for tests of how services notice
//! (readiness) and recover without a restart.

use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Connection as _, Executor as _};

use crate::TestDb;

impl TestDb {
    /// PostgreSQL only: refuses new connections to this database and ends every open one
    /// (`ALTER DATABASE … ALLOW_CONNECTIONS false` and `pg_terminate_backend`), as an outage
    /// does; with `accept`, accepts connections again.
    ///
    /// # Panics
    /// On SQLite, or when the server refuses the statements.
    pub async fn set_accepting_connections(&self, accept: bool) {
        let Some(created) = &self.postgres else {
            panic!("only a PostgreSQL test database can refuse connections");
        };
        let mut admin = match PgConnection::connect(&created.admin_url).await {
            Ok(conn) => conn,
            Err(e) => panic!("cannot reach the PostgreSQL test server: {e}"),
        };
        let name = &created.name;
        let mut statements = vec![format!("ALTER DATABASE {name} ALLOW_CONNECTIONS {accept}")];
        if !accept {
            statements.push(format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            ));
        }
        for statement in statements {
            if let Err(e) = admin.execute(AssertSqlSafe(statement)).await {
                panic!("cannot change connections to {name}: {e}");
            }
        }
        let _ = admin.close().await;
    }
}
