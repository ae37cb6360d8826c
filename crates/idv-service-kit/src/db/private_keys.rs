//! Private keys at rest: the start-up pass over every column a service keeps private keys in,
//! which seals a key an older version stored in clear and proves that every stored key opens
//! (a wrong key-encryption key stops start-up, naming the key the database was sealed with).
//! How a key is sealed is the caller's (`idv_keystore::KeyCustody::check_and_reseal`); this
//! module only reads and rewrites the columns.

use sqlx::{AssertSqlSafe, Row as _};

use super::Database;

/// A column holding private keys: sealed JWEs or HSM references, `NULL` or `''` where a key
/// was erased.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrivateKeyColumn {
    /// The table.
    pub table: &'static str,
    /// Its key column (a text identifier).
    pub id: &'static str,
    /// The column holding the private key.
    pub column: &'static str,
}

impl Database {
    /// Passes every stored private key of `columns` to `reseal`, which fails when the key does
    /// not open and returns the sealed form of a key stored in clear; that form replaces the
    /// stored one (unless another instance changed it meanwhile). Stops at the first failure.
    pub async fn seal_private_keys<E>(
        &self,
        columns: &[PrivateKeyColumn],
        reseal: impl Fn(&str) -> Result<Option<String>, E>,
    ) -> Result<(), E>
    where
        E: From<sqlx::Error>,
    {
        for &PrivateKeyColumn { table, id, column } in columns {
            // Identifiers from the service's own constants, never from input.
            let rows = sqlx::query(AssertSqlSafe(format!(
                "SELECT {id} AS id, {column} AS private_key FROM {table} \
                 WHERE {column} IS NOT NULL AND {column} <> ''"
            )))
            .fetch_all(self.pool())
            .await?;
            let mut sealed_count = 0_u32;
            for row in rows {
                let key_id: String = row.try_get("id")?;
                let stored: String = row.try_get("private_key")?;
                let Some(sealed) = reseal(&stored)? else {
                    continue;
                };
                self.write(
                    sqlx::query(AssertSqlSafe(format!(
                        "UPDATE {table} SET {column} = $2 WHERE {id} = $1 AND {column} = $3"
                    )))
                    .bind(key_id)
                    .bind(sealed)
                    .bind(stored),
                )
                .await?;
                sealed_count += 1;
            }
            if sealed_count > 0 {
                tracing::info!(table, sealed_count, "sealed private keys stored in clear");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: PrivateKeyColumn = PrivateKeyColumn {
        table: "keys",
        id: "kid",
        column: "private_jwk",
    };

    async fn database_with(rows: &[(&str, Option<&str>)]) -> Database {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        db.write(sqlx::query(
            "CREATE TABLE keys (kid TEXT PRIMARY KEY, private_jwk TEXT)",
        ))
        .await
        .unwrap();
        for (kid, key) in rows {
            db.write(
                sqlx::query("INSERT INTO keys (kid, private_jwk) VALUES ($1, $2)")
                    .bind(*kid)
                    .bind(*key),
            )
            .await
            .unwrap();
        }
        db
    }

    async fn stored(db: &Database) -> Vec<(String, Option<String>)> {
        sqlx::query_as("SELECT kid, private_jwk FROM keys ORDER BY kid")
            .fetch_all(db.pool())
            .await
            .unwrap()
    }

    #[derive(Debug)]
    enum Refused {
        Query,
        DoesNotOpen(String),
    }

    impl From<sqlx::Error> for Refused {
        fn from(_: sqlx::Error) -> Self {
            Self::Query
        }
    }

    #[tokio::test]
    async fn keys_in_clear_are_sealed_and_erased_keys_skipped() {
        let db = database_with(&[
            ("a", Some("clear")),
            ("b", Some("sealed")),
            ("c", Some("")),
            ("d", None),
        ])
        .await;
        let seen = std::sync::Mutex::new(Vec::new());
        db.seal_private_keys(&[KEYS], |key| {
            seen.lock().unwrap().push(key.to_owned());
            Ok::<_, Refused>((key == "clear").then(|| "sealed(clear)".to_owned()))
        })
        .await
        .unwrap();
        assert_eq!(seen.into_inner().unwrap(), ["clear", "sealed"]);
        assert_eq!(
            stored(&db).await,
            [
                ("a".to_owned(), Some("sealed(clear)".to_owned())),
                ("b".to_owned(), Some("sealed".to_owned())),
                ("c".to_owned(), Some(String::new())),
                ("d".to_owned(), None),
            ]
        );
    }

    #[tokio::test]
    async fn a_key_that_does_not_open_stops_the_pass() {
        let db = database_with(&[("a", Some("foreign")), ("b", Some("clear"))]).await;
        let refused = db
            .seal_private_keys(&[KEYS], |key| match key {
                "foreign" => Err(Refused::DoesNotOpen(key.to_owned())),
                _ => Ok(Some("sealed".to_owned())),
            })
            .await
            .unwrap_err();
        assert!(matches!(refused, Refused::DoesNotOpen(ref key) if key == "foreign"));
        assert_eq!(stored(&db).await[1].1.as_deref(), Some("clear"));
    }
}
