//! The OpenID Provider bridge: registered clients and authorization sessions (with their code
//! and access token, stored as hashes). Every step is a compare-and-swap: a session ends once,
//! a code is redeemed once.

use std::fmt;

use sqlx::any::AnyRow;

use super::{Store, StoreError, get};

const CLIENT_COLUMNS: &str =
    "client_id, tenant_id, name, secret_hash, redirect_uris, templates, created_at";

const SESSION_COLUMNS: &str = "session_id, browser_hash, client_id, tenant_id, check_id, scope, \
     redirect_uri, state, nonce, code_challenge, status, created_at, expires_at, finished_at, \
     code_expires_at, code_used_at, access_token_expires_at, access_token_revoked_at";

/// A registered client as stored (`removed_at IS NULL`).
#[derive(Clone, PartialEq, Eq)]
pub struct OidcClientRow {
    /// `oc_…`.
    pub client_id: String,
    /// The tenant whose checks the client runs.
    pub tenant_id: String,
    /// Display name, shown on the hand-off page.
    pub name: String,
    /// base64url(SHA-256(client_secret)).
    pub secret_hash: String,
    /// JSON array of the exact redirect URIs.
    pub redirect_uris: String,
    /// JSON array of the template ids the client may run.
    pub templates: String,
    /// Registration time.
    pub created_at: i64,
}

impl fmt::Debug for OidcClientRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcClientRow")
            .field("client_id", &self.client_id)
            .field("tenant_id", &self.tenant_id)
            .finish_non_exhaustive()
    }
}

/// An authorization session as stored (and, with what its start sets, as inserted: the rest
/// starts empty). Holds the client's `state` and `nonce`: `Debug` shows ids and status only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct OidcSessionRow {
    /// The hand-off page's id.
    pub session_id: String,
    /// SHA-256 of the starting browser's cookie secret.
    pub browser_hash: String,
    /// The client.
    pub client_id: String,
    /// The client's tenant.
    pub tenant_id: String,
    /// The check, once the hand-off page has been loaded.
    pub check_id: Option<String>,
    /// The granted scope.
    pub scope: String,
    /// The request's redirect URI.
    pub redirect_uri: String,
    /// The client's `state`.
    pub state: Option<String>,
    /// The client's `nonce`.
    pub nonce: Option<String>,
    /// The PKCE `code_challenge`.
    pub code_challenge: String,
    /// `pending`, `code_issued` or `denied`.
    pub status: String,
    /// Creation time.
    pub created_at: i64,
    /// Expiry of the pending session.
    pub expires_at: i64,
    /// When the code was issued or the session denied.
    pub finished_at: Option<i64>,
    /// Expiry of the code.
    pub code_expires_at: Option<i64>,
    /// When the code was redeemed.
    pub code_used_at: Option<i64>,
    /// Expiry of the access token.
    pub access_token_expires_at: Option<i64>,
    /// When the access token was revoked (its code was replayed).
    pub access_token_revoked_at: Option<i64>,
}

impl fmt::Debug for OidcSessionRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcSessionRow")
            .field("client_id", &self.client_id)
            .field("check_id", &self.check_id)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Registers a client.
    pub async fn insert_oidc_client(&self, client: &OidcClientRow) -> Result<(), StoreError> {
        self.db.write(sqlx::query(
            "INSERT INTO oidc_clients (client_id, tenant_id, name, secret_hash, redirect_uris, \
             templates, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&client.client_id)
        .bind(&client.tenant_id)
        .bind(&client.name)
        .bind(&client.secret_hash)
        .bind(&client.redirect_uris)
        .bind(&client.templates)
        .bind(client.created_at)
        )
        .await?;
        Ok(())
    }

    /// A registered, not removed, client.
    pub async fn load_oidc_client(
        &self,
        client_id: &str,
    ) -> Result<Option<OidcClientRow>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CLIENT_COLUMNS} FROM oidc_clients WHERE client_id = $1 \
             AND removed_at IS NULL"
        )))
        .bind(client_id)
        .fetch_optional(self.db.pool())
        .await?;
        row.as_ref().map(client).transpose()
    }

    /// The registered clients (of one tenant, or all), oldest first.
    pub async fn load_oidc_clients(
        &self,
        tenant_id: Option<&str>,
    ) -> Result<Vec<OidcClientRow>, StoreError> {
        let rows = match tenant_id {
            Some(tenant_id) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {CLIENT_COLUMNS} FROM oidc_clients WHERE removed_at IS NULL \
                     AND tenant_id = $1 ORDER BY created_at, client_id"
                )))
                .bind(tenant_id)
                .fetch_all(self.db.pool())
                .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {CLIENT_COLUMNS} FROM oidc_clients WHERE removed_at IS NULL \
                     ORDER BY created_at, client_id"
                )))
                .fetch_all(self.db.pool())
                .await?
            }
        };
        rows.iter().map(client).collect()
    }

    /// Retires a client; returns whether it was registered.
    pub async fn remove_oidc_client(&self, client_id: &str, now: i64) -> Result<bool, StoreError> {
        self.swap(sqlx::query(
            "UPDATE oidc_clients SET removed_at = $2 WHERE client_id = $1 AND removed_at IS NULL",
        )
        .bind(client_id)
        .bind(now)
        ).await
    }

    /// Starts an authorization session, `pending`: the columns its start sets (the request,
    /// `created_at`, `expires_at`); its status and later times are not read.
    pub async fn insert_oidc_session(&self, session: &OidcSessionRow) -> Result<(), StoreError> {
        self.db.write(sqlx::query(
            "INSERT INTO oidc_sessions (session_id, browser_hash, client_id, tenant_id, check_id, \
             scope, redirect_uri, state, nonce, code_challenge, status, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $12)",
        )
        .bind(&session.session_id)
        .bind(&session.browser_hash)
        .bind(&session.client_id)
        .bind(&session.tenant_id)
        .bind(&session.check_id)
        .bind(&session.scope)
        .bind(&session.redirect_uri)
        .bind(&session.state)
        .bind(&session.nonce)
        .bind(&session.code_challenge)
        .bind(session.created_at)
        .bind(session.expires_at)
        )
        .await?;
        Ok(())
    }

    /// Attaches the check created for a pending session that has none yet, and takes the
    /// check's expiry. Returns whether this call won (a concurrent load may have attached one).
    pub async fn attach_oidc_check(
        &self,
        session_id: &str,
        check_id: &str,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        self.swap(
            sqlx::query(
                "UPDATE oidc_sessions SET check_id = $2, expires_at = $3 \
                     WHERE session_id = $1 AND check_id IS NULL AND status = 'pending'",
            )
            .bind(session_id)
            .bind(check_id)
            .bind(expires_at),
        )
        .await
    }

    /// How many sessions of `client_id` are pending and unexpired at `now`, and the earliest
    /// expiry among them.
    pub async fn pending_oidc_sessions(
        &self,
        client_id: &str,
        now: i64,
    ) -> Result<(i64, Option<i64>), StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS pending_count, MIN(expires_at) AS earliest FROM oidc_sessions \
             WHERE client_id = $1 AND status = 'pending' AND expires_at > $2",
        )
        .bind(client_id)
        .bind(now)
        .fetch_one(self.db.pool())
        .await?;
        Ok((get(&row, "pending_count")?, get(&row, "earliest")?))
    }

    /// A session by its id.
    pub async fn load_oidc_session(
        &self,
        session_id: &str,
    ) -> Result<Option<OidcSessionRow>, StoreError> {
        self.session_where("session_id", session_id).await
    }

    /// The session whose code hashes to `code_hash`.
    pub async fn oidc_session_by_code(
        &self,
        code_hash: &str,
    ) -> Result<Option<OidcSessionRow>, StoreError> {
        self.session_where("code_hash", code_hash).await
    }

    /// The session whose access token hashes to `token_hash`.
    pub async fn oidc_session_by_access_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<OidcSessionRow>, StoreError> {
        self.session_where("access_token_hash", token_hash).await
    }

    async fn session_where(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<Option<OidcSessionRow>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SESSION_COLUMNS} FROM oidc_sessions WHERE {column} = $1"
        )))
        .bind(value)
        .fetch_optional(self.db.pool())
        .await?;
        row.as_ref().map(session).transpose()
    }

    /// `pending → code_issued` with the code's hash and expiry. Returns whether this call won.
    pub async fn issue_oidc_code(
        &self,
        session_id: &str,
        code_hash: &str,
        now: i64,
        code_expires_at: i64,
    ) -> Result<bool, StoreError> {
        self.swap(sqlx::query(
            "UPDATE oidc_sessions SET status = 'code_issued', code_hash = $2, finished_at = $3, \
             code_expires_at = $4 WHERE session_id = $1 AND status = 'pending'",
        )
        .bind(session_id)
        .bind(code_hash)
        .bind(now)
        .bind(code_expires_at)
        ).await
    }

    /// `pending → denied`. Returns whether this call won.
    pub async fn deny_oidc_session(&self, session_id: &str, now: i64) -> Result<bool, StoreError> {
        self.swap(
            sqlx::query(
                "UPDATE oidc_sessions SET status = 'denied', finished_at = $2 \
             WHERE session_id = $1 AND status = 'pending'",
            )
            .bind(session_id)
            .bind(now),
        )
        .await
    }

    /// Redeems a code once, while unexpired at `now`, recording the access token issued for it.
    /// Returns whether this call won.
    pub async fn redeem_oidc_code(
        &self,
        code_hash: &str,
        now: i64,
        access_token_hash: &str,
        access_token_expires_at: i64,
    ) -> Result<bool, StoreError> {
        self.swap(
            sqlx::query(
                "UPDATE oidc_sessions SET code_used_at = $2, access_token_hash = $3, \
             access_token_expires_at = $4 WHERE code_hash = $1 AND code_used_at IS NULL \
             AND code_expires_at > $2",
            )
            .bind(code_hash)
            .bind(now)
            .bind(access_token_hash)
            .bind(access_token_expires_at),
        )
        .await
    }

    /// Spends a code without issuing anything (a failed exchange attempt). Returns whether it
    /// was unspent.
    pub async fn spend_oidc_code(&self, code_hash: &str, now: i64) -> Result<bool, StoreError> {
        self.swap(
            sqlx::query(
                "UPDATE oidc_sessions SET code_used_at = $2 WHERE code_hash = $1 \
                     AND code_used_at IS NULL",
            )
            .bind(code_hash)
            .bind(now),
        )
        .await
    }

    /// Revokes the access token issued from a code (the code was presented again).
    pub async fn revoke_oidc_access_token(
        &self,
        code_hash: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.swap(
            sqlx::query(
                "UPDATE oidc_sessions SET access_token_revoked_at = $2 WHERE code_hash = $1 \
             AND access_token_hash IS NOT NULL AND access_token_revoked_at IS NULL",
            )
            .bind(code_hash)
            .bind(now),
        )
        .await
    }

    /// Deletes the sessions whose pending period, code and access token had all expired by
    /// `before`; returns how many.
    pub async fn purge_oidc_sessions(&self, before: i64) -> Result<u64, StoreError> {
        let done = self
            .db
            .write(
                sqlx::query(
                    "DELETE FROM oidc_sessions WHERE expires_at <= $1 \
             AND (code_expires_at IS NULL OR code_expires_at <= $1) \
             AND (access_token_expires_at IS NULL OR access_token_expires_at <= $1)",
                )
                .bind(before),
            )
            .await?;
        Ok(done.rows_affected())
    }
}

fn client(row: &AnyRow) -> Result<OidcClientRow, StoreError> {
    Ok(OidcClientRow {
        client_id: get(row, "client_id")?,
        tenant_id: get(row, "tenant_id")?,
        name: get(row, "name")?,
        secret_hash: get(row, "secret_hash")?,
        redirect_uris: get(row, "redirect_uris")?,
        templates: get(row, "templates")?,
        created_at: get(row, "created_at")?,
    })
}

fn session(row: &AnyRow) -> Result<OidcSessionRow, StoreError> {
    Ok(OidcSessionRow {
        session_id: get(row, "session_id")?,
        browser_hash: get(row, "browser_hash")?,
        client_id: get(row, "client_id")?,
        tenant_id: get(row, "tenant_id")?,
        check_id: get(row, "check_id")?,
        scope: get(row, "scope")?,
        redirect_uri: get(row, "redirect_uri")?,
        state: get(row, "state")?,
        nonce: get(row, "nonce")?,
        code_challenge: get(row, "code_challenge")?,
        status: get(row, "status")?,
        created_at: get(row, "created_at")?,
        expires_at: get(row, "expires_at")?,
        finished_at: get(row, "finished_at")?,
        code_expires_at: get(row, "code_expires_at")?,
        code_used_at: get(row, "code_used_at")?,
        access_token_expires_at: get(row, "access_token_expires_at")?,
        access_token_revoked_at: get(row, "access_token_revoked_at")?,
    })
}
