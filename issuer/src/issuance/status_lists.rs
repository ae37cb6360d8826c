//! Token Status Lists (draft-ietf-oauth-status-list-20, profiled by HAIP): where each
//! credential's revocation status is published.
//!
//! Every credential gets an entry of 2 bits (VALID 0, INVALID 1 = revoked, SUSPENDED 2) at a
//! uniformly random, never reused index of the active list
//! ([`idv_status_list::allocate::random_free_index`]; HAIP: "unique, unpredictable"). A list
//! takes new credentials until half its entries are allocated, then a new list (with a random
//! id) takes over: random probing stays O(1), and a list's population stays large enough to
//! hide who is being checked. Lists live at `<public_url>/status-lists/<list_id>`.
//!
//! The signed token (`typ: statuslist+jwt`, `sub` = its URI, `iat`, `exp` = `iat` +
//! `status.token_validity_secs`, `ttl` = `status.token_ttl_secs`, signed with the active key) is
//! built on request from the database, and cached in memory for at most `ttl` while the list's
//! revision and the active key are unchanged. Every revocation, suspension or reinstatement
//! bumps the revision, so the next token fetched from any instance shows it.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use idv_status_list::token::{issue_token, token_claims};
use idv_status_list::{Status, StatusBits, StatusListBuf};

use super::{Issuer, KeyError, random_id};
use crate::store::StoreError;
use crate::store::status_lists::StoredList;

/// Path prefix of status list URIs (the prefix the trust framework registers).
pub const PATH_PREFIX: &str = "/status-lists/";

/// Bits per entry.
const BITS: StatusBits = StatusBits::Two;

/// Attempts to find an active list with room before giving up (each failed attempt means
/// another instance rolled the list over at the same moment).
const ROLLOVER_ATTEMPTS: usize = 5;

/// A signed status list token, ready to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedStatusList {
    /// The compact JWS.
    pub token: String,
    /// Seconds an HTTP cache may keep it (what is left of its `ttl`).
    pub max_age: u64,
}

#[derive(Debug, Clone)]
struct CachedToken {
    revision: i64,
    kid: String,
    iat: i64,
    token: String,
}

/// Signed tokens per list, reused while nothing changed and within `ttl`.
#[derive(Debug, Default)]
pub struct TokenCache {
    tokens: Mutex<BTreeMap<String, CachedToken>>,
}

/// The stored status string of a [`Status`].
pub(crate) fn status_name(status: Status) -> &'static str {
    match status {
        Status::Invalid => "revoked",
        Status::Suspended => "suspended",
        _ => "valid",
    }
}

/// The [`Status`] of a stored status string.
pub(crate) fn status_value(name: &str) -> Status {
    match name {
        "revoked" => Status::Invalid,
        "suspended" => Status::Suspended,
        _ => Status::Valid,
    }
}

impl Issuer {
    /// The URI of list `list_id`.
    pub fn status_list_uri(&self, list_id: &str) -> String {
        self.settings.url(&format!("{PATH_PREFIX}{list_id}"))
    }

    /// The active list, with room for `count` more credentials: rolls over to a new list when
    /// the active one cannot take them.
    pub(crate) async fn status_list_with_room(
        &self,
        count: i64,
    ) -> Result<Option<StoredList>, StoreError> {
        for _ in 0..ROLLOVER_ATTEMPTS {
            match self.store.active_status_list().await? {
                Some(list) if list.allocated + count <= list.capacity => return Ok(Some(list)),
                Some(full) => self.store.mark_status_list_full(&full.list_id).await?,
                None => {}
            }
            let size = i64::try_from(self.settings.status_list_size).unwrap_or(i64::MAX);
            let list_id = random_id(self.random.as_ref());
            if self
                .store
                .insert_active_status_list(
                    &list_id,
                    i64::from(BITS.get()),
                    size,
                    size / 2,
                    self.clock.now(),
                )
                .await?
            {
                tracing::info!(status_list.id = %list_id, "status list opened");
            }
        }
        Ok(None)
    }

    /// The signed token of list `list_id`, or `None` when there is no such list.
    pub async fn status_list_token(
        &self,
        list_id: &str,
    ) -> Result<Option<SignedStatusList>, KeyError> {
        let Some(list) = self.store.status_list(list_id).await? else {
            return Ok(None);
        };
        let key = self.active_key().await?;
        let now = self.clock.now();
        let ttl = self.settings.status_token_ttl_secs;
        let ttl_secs = i64::try_from(ttl).unwrap_or(i64::MAX);
        let remaining = |iat: i64| u64::try_from(iat + ttl_secs - now).unwrap_or(0);
        let cached = self
            .status_tokens
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(list_id)
            .filter(|c| {
                c.revision == list.revision
                    && c.kid == key.kid
                    && (c.iat..c.iat + ttl_secs).contains(&now)
            })
            .cloned();
        if let Some(cached) = cached {
            return Ok(Some(SignedStatusList {
                max_age: remaining(cached.iat),
                token: cached.token,
            }));
        }

        let size = u64::try_from(list.size).unwrap_or(0);
        let mut statuses = StatusListBuf::new(BITS, size).map_err(KeyError::StatusList)?;
        for (idx, status) in self.store.non_valid_entries(list_id).await? {
            let idx = u64::try_from(idx).map_err(|_| StoreError::Corrupt {
                what: "status index",
                reason: format!("{idx} is negative"),
            })?;
            statuses
                .set(idx, status_value(&status))
                .map_err(KeyError::StatusList)?;
        }
        let claims = token_claims(
            self.status_list_uri(list_id),
            now,
            Some(now + self.settings.status_token_validity_secs),
            Some(ttl),
            &statuses,
        );
        let token =
            issue_token(&claims, &key.key, Some(&key.kid), None).map_err(KeyError::StatusList)?;
        self.status_tokens
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                list_id.to_owned(),
                CachedToken {
                    revision: list.revision,
                    kid: key.kid,
                    iat: now,
                    token: token.clone(),
                },
            );
        Ok(Some(SignedStatusList {
            token,
            max_age: remaining(now),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_round_trip() {
        for status in [Status::Valid, Status::Invalid, Status::Suspended] {
            assert_eq!(status_value(status_name(status)), status);
        }
    }
}
