//! Credential offers, their single-use grants (pre-authorized codes, `tx_code` attempts,
//! `issuer_state`s), access tokens and `c_nonce`s.
//!
//! Every access token and credential hangs off an offer row. An offer the operator made is
//! redeemed with its pre-authorized code or through the authorization code flow with its
//! `issuer_state`; a wallet-initiated authorization gets an offer row, already redeemed, when
//! its code is exchanged ([`super::authorization::CodeGrantTx::create_grant`]).

use sqlx::AnyConnection;

use super::{Store, StoreError, corrupt, get};

/// `offers.grant_type` of offers redeemed with a pre-authorized code.
pub const PRE_AUTHORIZED_GRANT: &str = "pre-authorized_code";
/// `offers.grant_type` of offers redeemed through the authorization code flow.
pub const AUTHORIZATION_CODE_GRANT: &str = "authorization_code";

/// A new offer to store.
#[derive(Debug, Clone)]
pub struct NewOffer<'a> {
    /// Hash of the offer handle.
    pub offer_ref: &'a str,
    /// The proofed identity offered.
    pub identity_id: &'a str,
    /// Offered configuration ids, in offer order.
    pub configuration_ids: &'a [String],
    /// Hash of the pre-authorized code.
    pub code_hash: &'a str,
    /// Hash of the `tx_code`, when one is required.
    pub tx_code_hash: Option<&'a str>,
    /// [`PRE_AUTHORIZED_GRANT`] or [`AUTHORIZATION_CODE_GRANT`].
    pub grant_type: &'a str,
    /// Hash of the `issuer_state`, for authorization code offers.
    pub issuer_state_hash: Option<&'a str>,
    /// Creation time.
    pub now: i64,
    /// End of redeemability.
    pub expires_at: i64,
    /// Set for a grant created already redeemed.
    pub redeemed_at: Option<i64>,
}

/// An offer as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOffer {
    /// Hash of the offer handle.
    pub offer_ref: String,
    /// The proofed identity offered.
    pub identity_id: String,
    /// Offered configuration ids, in offer order.
    pub configuration_ids: Vec<String>,
    /// Hash of the `tx_code`, when one is required.
    pub tx_code_hash: Option<String>,
    /// [`PRE_AUTHORIZED_GRANT`] or [`AUTHORIZATION_CODE_GRANT`].
    pub grant_type: String,
    /// Token requests that carried a `tx_code` so far.
    pub tx_code_attempts: i64,
    /// Creation time.
    pub created_at: i64,
    /// End of redeemability.
    pub expires_at: i64,
    /// When the pre-authorized code was exchanged, if it was.
    pub redeemed_at: Option<i64>,
}

/// A new access token to store.
#[derive(Debug, Clone)]
pub struct NewAccessToken<'a> {
    /// Hash of the token.
    pub token_hash: &'a str,
    /// Configuration ids it authorizes.
    pub authorized: &'a [String],
    /// Whether the token response returned `credential_identifiers`.
    pub uses_identifiers: bool,
    /// Expiry.
    pub expires_at: i64,
    /// Hash of the authorization code it was issued for, if any.
    pub code_hash: Option<&'a str>,
}

/// An access token as stored, with its offer's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAccessToken {
    /// The offer it was issued for.
    pub offer_ref: String,
    /// The identity offered.
    pub identity_id: String,
    /// Configuration ids it authorizes.
    pub authorized: Vec<String>,
    /// Whether requests must use `credential_identifier`.
    pub uses_identifiers: bool,
    /// Expiry.
    pub expires_at: i64,
}

/// `SELECT` of every offer column, with a `WHERE` clause.
macro_rules! select_offer {
    ($where:literal) => {
        concat!(
            "SELECT offer_ref, identity_id, configuration_ids, tx_code_hash, grant_type, \
             tx_code_attempts, created_at, expires_at, redeemed_at FROM offers WHERE ",
            $where
        )
    };
}

fn offer_from_row(row: &sqlx::any::AnyRow) -> Result<StoredOffer, StoreError> {
    let ids: String = get(row, "configuration_ids")?;
    Ok(StoredOffer {
        offer_ref: get(row, "offer_ref")?,
        identity_id: get(row, "identity_id")?,
        configuration_ids: serde_json::from_str(&ids)
            .map_err(|e| corrupt("offer configuration ids", e))?,
        tx_code_hash: get(row, "tx_code_hash")?,
        grant_type: get(row, "grant_type")?,
        tx_code_attempts: get(row, "tx_code_attempts")?,
        created_at: get(row, "created_at")?,
        expires_at: get(row, "expires_at")?,
        redeemed_at: get(row, "redeemed_at")?,
    })
}

impl Store {
    /// Stores an offer and one issuance slot per offered configuration.
    pub async fn insert_offer(&self, offer: &NewOffer<'_>) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        insert_offer_rows(&mut tx, offer).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The offer whose handle hashes to `offer_ref`.
    pub async fn offer(&self, offer_ref: &str) -> Result<Option<StoredOffer>, StoreError> {
        let row = sqlx::query(select_offer!("offer_ref = $1"))
            .bind(offer_ref)
            .fetch_optional(self.db.pool())
            .await?;
        row.as_ref().map(offer_from_row).transpose()
    }

    /// The offer whose `issuer_state` hashes to `issuer_state_hash`.
    pub async fn offer_by_issuer_state(
        &self,
        issuer_state_hash: &str,
    ) -> Result<Option<StoredOffer>, StoreError> {
        let row = sqlx::query(select_offer!("issuer_state_hash = $1 AND grant_type = $2"))
            .bind(issuer_state_hash)
            .bind(AUTHORIZATION_CODE_GRANT)
            .fetch_optional(self.db.pool())
            .await?;
        row.as_ref().map(offer_from_row).transpose()
    }

    /// The offer whose pre-authorized code hashes to `code_hash`.
    pub async fn offer_by_code(&self, code_hash: &str) -> Result<Option<StoredOffer>, StoreError> {
        let row = sqlx::query(select_offer!("code_hash = $1"))
            .bind(code_hash)
            .fetch_optional(self.db.pool())
            .await?;
        row.as_ref().map(offer_from_row).transpose()
    }

    /// Counts one `tx_code` attempt **before** the code is compared, so that parallel guesses
    /// cannot exceed `max_attempts` in total. Returns the attempt's number (1-based), or `None`
    /// when no attempt is left or the offer was redeemed.
    pub async fn reserve_tx_code_attempt(
        &self,
        offer_ref: &str,
        max_attempts: i64,
    ) -> Result<Option<i64>, StoreError> {
        let row = self
            .db
            .write_returning(
                sqlx::query(
                    "UPDATE offers SET tx_code_attempts = tx_code_attempts + 1 \
                     WHERE offer_ref = $1 AND tx_code_attempts < $2 AND redeemed_at IS NULL \
                     RETURNING tx_code_attempts",
                )
                .bind(offer_ref)
                .bind(max_attempts),
            )
            .await?;
        row.as_ref()
            .map(|row| get(row, "tx_code_attempts"))
            .transpose()
    }

    /// Redeems the offer's pre-authorized code and stores the access token, atomically: of
    /// several concurrent redemptions exactly one succeeds. Returns whether this one did.
    /// Expired access tokens are purged on the way.
    pub async fn redeem_offer(
        &self,
        offer_ref: &str,
        token: &NewAccessToken<'_>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let redeemed = sqlx::query(
            "UPDATE offers SET redeemed_at = $1 \
             WHERE offer_ref = $2 AND redeemed_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(offer_ref)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if redeemed != 1 {
            return Ok(false);
        }
        insert_access_token(&mut tx, offer_ref, token, now).await?;
        sqlx::query("DELETE FROM access_tokens WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Deletes the access tokens issued for an authorization code (which was replayed);
    /// returns how many there were.
    pub async fn revoke_code_tokens(&self, code_hash: &str) -> Result<u64, StoreError> {
        Ok(self
            .db
            .write(sqlx::query("DELETE FROM access_tokens WHERE code_hash = $1").bind(code_hash))
            .await?
            .rows_affected())
    }

    /// The access token with this hash, whatever its expiry.
    pub async fn access_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<StoredAccessToken>, StoreError> {
        let row = sqlx::query(
            "SELECT t.offer_ref, o.identity_id, t.authorized, t.uses_identifiers, t.expires_at \
             FROM access_tokens t JOIN offers o ON o.offer_ref = t.offer_ref \
             WHERE t.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|row| {
            let authorized: String = get(&row, "authorized")?;
            let uses_identifiers: i64 = get(&row, "uses_identifiers")?;
            Ok(StoredAccessToken {
                offer_ref: get(&row, "offer_ref")?,
                identity_id: get(&row, "identity_id")?,
                authorized: serde_json::from_str(&authorized)
                    .map_err(|e| corrupt("authorized configuration ids", e))?,
                uses_identifiers: uses_identifiers != 0,
                expires_at: get(&row, "expires_at")?,
            })
        })
        .transpose()
    }

    /// Stores a fresh `c_nonce` and purges expired ones (an expired nonce is refused whether
    /// or not its row still exists, so purging never makes a used nonce usable again).
    pub async fn insert_nonce(
        &self,
        nonce_hash: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO c_nonces (nonce_hash, created_at, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(nonce_hash)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM c_nonces WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Consumes every nonce in `nonce_hashes` (distinct), all or none: each must exist, be
    /// unused and unexpired. Returns whether they were consumed.
    pub async fn consume_nonces(
        &self,
        nonce_hashes: &[String],
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        for hash in nonce_hashes {
            let consumed = sqlx::query(
                "UPDATE c_nonces SET used_at = $1 \
                 WHERE nonce_hash = $2 AND used_at IS NULL AND expires_at > $1",
            )
            .bind(now)
            .bind(hash)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if consumed != 1 {
                // Dropping the transaction rolls back the nonces consumed so far.
                return Ok(false);
            }
        }
        tx.commit().await?;
        Ok(true)
    }
}

/// Inserts an offer and its issuance slots on `conn` (inside the caller's transaction).
pub(super) async fn insert_offer_rows(
    conn: &mut AnyConnection,
    offer: &NewOffer<'_>,
) -> Result<(), StoreError> {
    let ids = serde_json::to_string(offer.configuration_ids)
        .map_err(|e| corrupt("offer configuration ids", e))?;
    sqlx::query(
        "INSERT INTO offers (offer_ref, identity_id, configuration_ids, code_hash, \
         tx_code_hash, tx_code_attempts, grant_type, issuer_state_hash, created_at, expires_at, \
         redeemed_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8, $9, $10)",
    )
    .bind(offer.offer_ref)
    .bind(offer.identity_id)
    .bind(&ids)
    .bind(offer.code_hash)
    .bind(offer.tx_code_hash)
    .bind(offer.grant_type)
    .bind(offer.issuer_state_hash)
    .bind(offer.now)
    .bind(offer.expires_at)
    .bind(offer.redeemed_at)
    .execute(&mut *conn)
    .await?;
    for id in offer.configuration_ids {
        sqlx::query(
            "INSERT INTO offer_configurations (offer_ref, configuration_id) VALUES ($1, $2)",
        )
        .bind(offer.offer_ref)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Inserts an access token for `offer_ref` on `conn` (inside the caller's transaction).
pub(super) async fn insert_access_token(
    conn: &mut AnyConnection,
    offer_ref: &str,
    token: &NewAccessToken<'_>,
    now: i64,
) -> Result<(), StoreError> {
    let authorized = serde_json::to_string(token.authorized)
        .map_err(|e| corrupt("authorized configuration ids", e))?;
    sqlx::query(
        "INSERT INTO access_tokens \
         (token_hash, offer_ref, authorized, uses_identifiers, created_at, expires_at, code_hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(token.token_hash)
    .bind(offer_ref)
    .bind(&authorized)
    .bind(i64::from(token.uses_identifiers))
    .bind(now)
    .bind(token.expires_at)
    .bind(token.code_hash)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
