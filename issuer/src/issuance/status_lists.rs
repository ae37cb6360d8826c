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
//! bumps the revision, so the next token fetched from any instance shows it. A stored status
//! the issuer does not know ([`CredentialStatus::parse`]) fails the token (a 500 whose
//! non-personal cause is logged): a revoked credential must never be shown as valid.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use idv_status_list::token::{issue_token, token_claims};
use idv_status_list::{Status, StatusBits, StatusListBuf};

use super::Base;
use super::keys::Keys;
use super::{KeyError, random_id};
use crate::store::StoreError;
use crate::store::status_lists::StoredList;
use std::sync::Arc;

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

/// A credential's status as the issuer records it: exactly the three its lifecycle knows.
/// Stored statuses are parsed into it, and an unknown one is an error, never a default: a
/// list that cannot show every entry exactly is not served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialStatus {
    /// Valid (Token Status List `VALID`).
    Valid,
    /// Suspended (`SUSPENDED`).
    Suspended,
    /// Revoked, for good (`INVALID`).
    Revoked,
}

/// A stored credential status this issuer does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown credential status `{0}`")]
pub struct UnknownStatus(String);

impl From<UnknownStatus> for StoreError {
    fn from(error: UnknownStatus) -> Self {
        StoreError::Corrupt {
            what: "credential status",
            reason: error.to_string(),
        }
    }
}

impl CredentialStatus {
    /// Its stored name: `valid`, `suspended` or `revoked`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Suspended => "suspended",
            Self::Revoked => "revoked",
        }
    }

    /// The status stored as `name`.
    pub fn parse(name: &str) -> Result<Self, UnknownStatus> {
        match name {
            "valid" => Ok(Self::Valid),
            "suspended" => Ok(Self::Suspended),
            "revoked" => Ok(Self::Revoked),
            // Bounded: the message reaches a log line.
            other => Err(UnknownStatus(other.chars().take(32).collect())),
        }
    }

    /// Its Token Status List value.
    pub const fn status(self) -> Status {
        match self {
            Self::Valid => Status::Valid,
            Self::Suspended => Status::Suspended,
            Self::Revoked => Status::Invalid,
        }
    }
}

/// The status list of `size` entries with `entries` (index, stored status) set and every other
/// entry valid. An unknown status or an index outside the list fails the whole list.
fn build_list(size: u64, entries: &[(i64, String)]) -> Result<StatusListBuf, KeyError> {
    let mut statuses = StatusListBuf::new(BITS, size).map_err(KeyError::StatusList)?;
    for (idx, status) in entries {
        let idx = u64::try_from(*idx).map_err(|_| StoreError::Corrupt {
            what: "status index",
            reason: format!("{idx} is negative"),
        })?;
        let status = CredentialStatus::parse(status).map_err(StoreError::from)?;
        statuses
            .set(idx, status.status())
            .map_err(KeyError::StatusList)?;
    }
    Ok(statuses)
}

/// Token Status Lists: the lists credentials are allocated on and their signed tokens (cached).
#[derive(Debug, Clone)]
pub struct StatusLists {
    pub(super) base: Base,
    pub(super) keys: Keys,
    pub(super) status_tokens: Arc<TokenCache>,
}

impl StatusLists {
    /// The URI of list `list_id`.
    pub fn status_list_uri(&self, list_id: &str) -> String {
        self.base.settings.url(&format!("{PATH_PREFIX}{list_id}"))
    }

    /// The active list, with room for `count` more credentials: rolls over to a new list when
    /// the active one cannot take them.
    pub(crate) async fn status_list_with_room(
        &self,
        count: i64,
    ) -> Result<Option<StoredList>, StoreError> {
        for _ in 0..ROLLOVER_ATTEMPTS {
            match self.base.store.active_status_list().await? {
                Some(list) if list.allocated + count <= list.capacity => return Ok(Some(list)),
                Some(full) => self.base.store.mark_status_list_full(&full.list_id).await?,
                None => {}
            }
            let size = i64::try_from(self.base.settings.status_list_size).unwrap_or(i64::MAX);
            let list_id = random_id(self.base.random.as_ref());
            if self
                .base
                .store
                .insert_active_status_list(
                    &list_id,
                    i64::from(BITS.get()),
                    size,
                    size / 2,
                    self.base.clock.now(),
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
        let Some(list) = self.base.store.status_list(list_id).await? else {
            return Ok(None);
        };
        let key = self.keys.active_key().await?;
        let now = self.base.clock.now();
        let ttl = self.base.settings.status_token_ttl_secs;
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
        let statuses = build_list(size, &self.base.store.non_valid_entries(list_id).await?)?;
        let claims = token_claims(
            self.status_list_uri(list_id),
            now,
            Some(now + self.base.settings.status_token_validity_secs),
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
        for status in [
            CredentialStatus::Valid,
            CredentialStatus::Suspended,
            CredentialStatus::Revoked,
        ] {
            assert_eq!(CredentialStatus::parse(status.as_str()), Ok(status));
        }
        assert_eq!(CredentialStatus::Revoked.status(), Status::Invalid);
        assert_eq!(CredentialStatus::Suspended.status(), Status::Suspended);
        assert_eq!(CredentialStatus::Valid.status(), Status::Valid);
    }

    #[test]
    fn an_unknown_stored_status_is_an_error_not_valid() {
        for name in ["", "Revoked", "expired", "invalid", "0"] {
            assert!(CredentialStatus::parse(name).is_err(), "{name:?}");
        }
        let list = build_list(16, &[(3, "revoked".into()), (5, "suspended".into())]).unwrap();
        assert_eq!(list.get(3).unwrap(), Status::Invalid);
        assert_eq!(list.get(5).unwrap(), Status::Suspended);
        assert_eq!(list.get(4).unwrap(), Status::Valid);
        let error = build_list(16, &[(3, "revoked".into()), (5, "on-hold".into())]).unwrap_err();
        assert!(
            matches!(
                &error,
                KeyError::Store(StoreError::Corrupt {
                    what: "credential status",
                    ..
                })
            ),
            "{error:?}"
        );
        assert!(error.to_string().contains("on-hold"), "{error}");
        assert!(build_list(16, &[(-1, "revoked".into())]).is_err());
        assert!(build_list(16, &[(16, "revoked".into())]).is_err());
    }
}
