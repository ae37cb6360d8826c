//! The operator API's bearer tokens, `operator_tokens (token_hash, created_at)`: kept as
//! [`hash_secret`] only, so a copy of the database authenticates no one. The issuer and the
//! trust framework create the table in their migrations; these statements are its only SQL.

use idv_jose::Random;

use super::Database;
use crate::Secret;
use crate::secrets::hash_secret;

/// Random bytes of an operator token (256 bits).
const TOKEN_BYTES: usize = 32;

/// Creates an operator token unless one exists (`init`): the new token, to show once, or `None`
/// when the service already has one.
pub async fn create_if_none(
    db: &Database,
    random: &dyn Random,
    now: i64,
) -> Result<Option<Secret>, sqlx::Error> {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM operator_tokens")
        .fetch_one(db.pool())
        .await?;
    if count > 0 {
        return Ok(None);
    }
    let token = idv_jose::random::token(random, TOKEN_BYTES);
    db.write(
        sqlx::query("INSERT INTO operator_tokens (token_hash, created_at) VALUES ($1, $2)")
            .bind(hash_secret(&token))
            .bind(now),
    )
    .await?;
    Ok(Some(Secret::new(token)))
}

/// The hashes of every operator token, oldest first (to hold in memory and compare against).
pub async fn hashes(db: &Database) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT token_hash FROM operator_tokens ORDER BY created_at")
        .fetch_all(db.pool())
        .await
}

/// Whether `token` is one of the operator tokens.
pub async fn exists(db: &Database, token: &Secret) -> Result<bool, sqlx::Error> {
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM operator_tokens WHERE token_hash = $1")
            .bind(hash_secret(token.expose()))
            .fetch_one(db.pool())
            .await?;
    Ok(count > 0)
}

/// Whether any operator token exists (the operator API is unusable until `init` creates one).
pub async fn any(db: &Database) -> Result<bool, sqlx::Error> {
    Ok(!hashes(db).await?.is_empty())
}
