//! The authorization code flow: pushed authorization requests, the sign-in at the OP they lead
//! to, and the authorization codes given to wallets.
//!
//! Each step is single use by a conditional `UPDATE`: a `request_uri` by `used_at IS NULL`, a
//! sign-in callback by `login_completed_at IS NULL`, a code by `used_at IS NULL`, so that of
//! two concurrent attempts (on any instances) exactly one goes on.

use idv_service_kit::db::WriteTx;

use super::offers::{NewAccessToken, NewOffer, insert_access_token, insert_offer_rows};
use super::{Store, StoreError, corrupt, get};

/// How long after expiry finished requests and codes are kept: a code replayed within this
/// time still revokes the access token issued for it.
const KEEP_SECS: i64 = 24 * 60 * 60;

/// A pushed authorization request to store.
#[derive(Debug, Clone)]
pub struct NewAuthorizationRequest<'a> {
    /// Hash of the `request_uri` handle.
    pub request_ref: &'a str,
    /// The wallet's `client_id`.
    pub client_id: &'a str,
    /// The wallet's `redirect_uri`.
    pub redirect_uri: &'a str,
    /// The wallet's `state`.
    pub state: Option<&'a str>,
    /// PKCE S256 challenge.
    pub code_challenge: &'a str,
    /// Requested configuration ids.
    pub configuration_ids: &'a [String],
    /// Whether they were requested by `authorization_details`.
    pub uses_details: bool,
    /// The offer answered (by its `issuer_state`), if any.
    pub offer_ref: Option<&'a str>,
    /// Creation time.
    pub now: i64,
    /// End of the `request_uri`'s usability.
    pub expires_at: i64,
}

/// A pushed authorization request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAuthorizationRequest {
    /// Hash of the `request_uri` handle.
    pub request_ref: String,
    /// The wallet's `client_id`.
    pub client_id: String,
    /// The wallet's `redirect_uri`.
    pub redirect_uri: String,
    /// The wallet's `state`.
    pub state: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: String,
    /// Requested configuration ids.
    pub configuration_ids: Vec<String>,
    /// Whether they were requested by `authorization_details`.
    pub uses_details: bool,
    /// The offer answered, if any.
    pub offer_ref: Option<String>,
    /// End of the `request_uri`'s usability.
    pub expires_at: i64,
}

/// The sign-in started at `/authorize`.
#[derive(Clone)]
pub struct NewSignIn<'a> {
    /// Hash of the `state` sent to the OP.
    pub state_hash: &'a str,
    /// Hash of the `nonce` sent to the OP.
    pub nonce_hash: &'a str,
    /// The PKCE verifier for the OP's code (a secret).
    pub pkce_verifier: &'a str,
    /// Until when the callback is accepted.
    pub expires_at: i64,
}

impl std::fmt::Debug for NewSignIn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSignIn")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A sign-in whose callback has just been claimed.
#[derive(Clone)]
pub struct ClaimedSignIn {
    /// The request it belongs to.
    pub request: StoredAuthorizationRequest,
    /// Hash of the `nonce` sent to the OP.
    pub nonce_hash: String,
    /// The PKCE verifier for the OP's code (now erased from the database).
    pub pkce_verifier: String,
    /// Until when the callback was accepted.
    pub expires_at: i64,
}

impl std::fmt::Debug for ClaimedSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClaimedSignIn")
            .field("request", &self.request)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// An authorization code just claimed at the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedCode {
    /// The request it answers.
    pub request: StoredAuthorizationRequest,
    /// The proofed identity of the person who signed in.
    pub identity_id: String,
    /// Its expiry.
    pub expires_at: i64,
}

/// What claiming an authorization code found.
#[derive(Debug)]
pub enum CodeClaim {
    /// No such code (or long expired and purged).
    Unknown,
    /// The code was used before.
    Replayed,
    /// First use: the code is spent once the transaction commits.
    Fresh(Box<ClaimedCode>, CodeGrantTx),
}

/// The transaction that spends an authorization code and issues its access token; dropping
/// it without [`CodeGrantTx::commit`] rolls back, leaving the code unspent.
#[derive(Debug)]
pub struct CodeGrantTx {
    tx: WriteTx,
}

/// Every request column, qualified by `r.`.
macro_rules! request_columns {
    () => {
        "r.request_ref, r.client_id, r.redirect_uri, r.state, r.code_challenge, \
         r.configuration_ids, r.uses_details, r.offer_ref, r.expires_at"
    };
}

fn request_from_row(row: &sqlx::any::AnyRow) -> Result<StoredAuthorizationRequest, StoreError> {
    let ids: String = get(row, "configuration_ids")?;
    let uses_details: i64 = get(row, "uses_details")?;
    Ok(StoredAuthorizationRequest {
        request_ref: get(row, "request_ref")?,
        client_id: get(row, "client_id")?,
        redirect_uri: get(row, "redirect_uri")?,
        state: get(row, "state")?,
        code_challenge: get(row, "code_challenge")?,
        configuration_ids: serde_json::from_str(&ids)
            .map_err(|e| corrupt("requested configuration ids", e))?,
        uses_details: uses_details != 0,
        offer_ref: get(row, "offer_ref")?,
        expires_at: get(row, "expires_at")?,
    })
}

impl Store {
    /// Stores a pushed authorization request, and purges requests and codes finished more than
    /// a day ago.
    pub async fn insert_authorization_request(
        &self,
        request: &NewAuthorizationRequest<'_>,
    ) -> Result<(), StoreError> {
        let ids = serde_json::to_string(request.configuration_ids)
            .map_err(|e| corrupt("requested configuration ids", e))?;
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO authorization_requests (request_ref, client_id, redirect_uri, state, \
             code_challenge, configuration_ids, uses_details, offer_ref, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(request.request_ref)
        .bind(request.client_id)
        .bind(request.redirect_uri)
        .bind(request.state)
        .bind(request.code_challenge)
        .bind(&ids)
        .bind(i64::from(request.uses_details))
        .bind(request.offer_ref)
        .bind(request.now)
        .bind(request.expires_at)
        .execute(&mut *tx)
        .await?;
        let cutoff = request.now - KEEP_SECS;
        sqlx::query("DELETE FROM authorization_codes WHERE expires_at < $1")
            .bind(cutoff)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM authorization_requests WHERE expires_at < $1 \
             AND (login_expires_at IS NULL OR login_expires_at < $1) \
             AND NOT EXISTS (SELECT 1 FROM authorization_codes c \
                             WHERE c.request_ref = authorization_requests.request_ref)",
        )
        .bind(cutoff)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The pushed request with this `request_ref`, whatever its state.
    pub async fn authorization_request(
        &self,
        request_ref: &str,
    ) -> Result<Option<StoredAuthorizationRequest>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            request_columns!(),
            " FROM authorization_requests r WHERE r.request_ref = $1"
        ))
        .bind(request_ref)
        .fetch_optional(self.db.pool())
        .await?;
        row.as_ref().map(request_from_row).transpose()
    }

    /// Spends the `request_uri` of `request_ref` (if unused, unexpired and of `client_id`) and
    /// records the sign-in it starts. Returns whether it was spent now.
    pub async fn start_sign_in(
        &self,
        request_ref: &str,
        client_id: &str,
        sign_in: &NewSignIn<'_>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let started = self
            .db
            .write(
                sqlx::query(
                    "UPDATE authorization_requests SET used_at = $1, login_state_hash = $2, \
             login_nonce_hash = $3, login_pkce_verifier = $4, login_expires_at = $5 \
             WHERE request_ref = $6 AND client_id = $7 AND used_at IS NULL AND expires_at > $1",
                )
                .bind(now)
                .bind(sign_in.state_hash)
                .bind(sign_in.nonce_hash)
                .bind(sign_in.pkce_verifier)
                .bind(sign_in.expires_at)
                .bind(request_ref)
                .bind(client_id),
            )
            .await?
            .rows_affected();
        Ok(started == 1)
    }

    /// Claims the sign-in whose OP `state` hashes to `state_hash`: once only, whatever the
    /// outcome. The PKCE verifier is returned and erased. `None` when unknown or claimed before.
    pub async fn claim_sign_in(
        &self,
        state_hash: &str,
        now: i64,
    ) -> Result<Option<ClaimedSignIn>, StoreError> {
        let mut tx = self.begin().await?;
        let claimed = sqlx::query(
            "UPDATE authorization_requests SET login_completed_at = $1 \
             WHERE login_state_hash = $2 AND login_completed_at IS NULL",
        )
        .bind(now)
        .bind(state_hash)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed != 1 {
            return Ok(None);
        }
        let row = sqlx::query(concat!(
            "SELECT ",
            request_columns!(),
            ", r.login_nonce_hash, r.login_pkce_verifier, r.login_expires_at \
             FROM authorization_requests r WHERE r.login_state_hash = $1"
        ))
        .bind(state_hash)
        .fetch_one(&mut *tx)
        .await?;
        let nonce_hash: Option<String> = get(&row, "login_nonce_hash")?;
        let pkce_verifier: Option<String> = get(&row, "login_pkce_verifier")?;
        let expires_at: Option<i64> = get(&row, "login_expires_at")?;
        let (Some(nonce_hash), Some(pkce_verifier), Some(expires_at)) =
            (nonce_hash, pkce_verifier, expires_at)
        else {
            return Err(corrupt(
                "sign-in",
                "started without nonce, verifier or expiry",
            ));
        };
        let request = request_from_row(&row)?;
        sqlx::query(
            "UPDATE authorization_requests SET login_pkce_verifier = NULL \
             WHERE request_ref = $1",
        )
        .bind(&request.request_ref)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(ClaimedSignIn {
            request,
            nonce_hash,
            pkce_verifier,
            expires_at,
        }))
    }

    /// Stores an authorization code for the person who signed in.
    pub async fn insert_authorization_code(
        &self,
        code_hash: &str,
        request_ref: &str,
        identity_id: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.db
            .write(
                sqlx::query(
                    "INSERT INTO authorization_codes \
             (code_hash, request_ref, identity_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(code_hash)
                .bind(request_ref)
                .bind(identity_id)
                .bind(now)
                .bind(expires_at),
            )
            .await?;
        Ok(())
    }

    /// Claims the authorization code hashing to `code_hash` (see [`CodeClaim`]). The claim is
    /// the transaction's first statement, so a replay waits for it and then sees the code used.
    pub async fn claim_authorization_code(
        &self,
        code_hash: &str,
        now: i64,
    ) -> Result<CodeClaim, StoreError> {
        let mut tx = self.begin().await?;
        let claimed = sqlx::query(
            "UPDATE authorization_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL",
        )
        .bind(now)
        .bind(code_hash)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed != 1 {
            drop(tx);
            let known: Option<i64> =
                sqlx::query_scalar("SELECT 1 FROM authorization_codes WHERE code_hash = $1")
                    .bind(code_hash)
                    .fetch_optional(self.db.pool())
                    .await?;
            return Ok(if known.is_some() {
                CodeClaim::Replayed
            } else {
                CodeClaim::Unknown
            });
        }
        let row = sqlx::query(concat!(
            "SELECT ",
            request_columns!(),
            ", c.identity_id, c.expires_at AS code_expires_at \
             FROM authorization_codes c \
             JOIN authorization_requests r ON r.request_ref = c.request_ref \
             WHERE c.code_hash = $1"
        ))
        .bind(code_hash)
        .fetch_one(&mut *tx)
        .await?;
        let code = ClaimedCode {
            request: request_from_row(&row)?,
            identity_id: get(&row, "identity_id")?,
            expires_at: get(&row, "code_expires_at")?,
        };
        Ok(CodeClaim::Fresh(Box::new(code), CodeGrantTx { tx }))
    }
}

impl CodeGrantTx {
    /// Redeems the offer the request answered; `false` when it was redeemed before or expired.
    pub async fn redeem_offer(&mut self, offer_ref: &str, now: i64) -> Result<bool, StoreError> {
        let redeemed = sqlx::query(
            "UPDATE offers SET redeemed_at = $1 \
             WHERE offer_ref = $2 AND redeemed_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(offer_ref)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        Ok(redeemed == 1)
    }

    /// Creates the grant (an offer row, already redeemed) of a wallet-initiated authorization.
    pub async fn create_grant(&mut self, grant: &NewOffer<'_>) -> Result<(), StoreError> {
        insert_offer_rows(&mut self.tx, grant).await
    }

    /// Stores the access token issued for the code.
    pub async fn insert_access_token(
        &mut self,
        offer_ref: &str,
        token: &NewAccessToken<'_>,
        now: i64,
    ) -> Result<(), StoreError> {
        insert_access_token(&mut self.tx, offer_ref, token, now).await
    }

    /// Makes it permanent: the code is spent (and, if a token was stored, the grant issued).
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}
