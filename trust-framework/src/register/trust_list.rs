//! Publishing the signed trust list (docs/trust-list.md).
//!
//! The list served is the stored one while the register is unchanged and `next_update` has not
//! passed; otherwise it is re-signed with `sequence + 1`, `iat` = now (never earlier than the
//! previous `iat`), `exp` = `iat` + validity and `next_update` = `iat` + refresh interval, and
//! stored by compare-and-swap (`crate::store::trust_list`). So every instance, before and after
//! a restart, serves the same bytes under one `sequence`, and a `sequence` never names two
//! contents.

use idv_jose::jws::{self, Header};
use idv_proto::trust::trust_list::{TRUST_LIST_TYP, TrustListClaims};

use super::setup::Anchor;
use super::{Handles, TrustListError};
use crate::store::trust_list::StoredList;

/// Attempts to sign before falling back to the stored list when other instances or mutations
/// keep winning the compare-and-swap.
const MAX_SIGNING_ATTEMPTS: usize = 5;

/// A signed trust list and how long it may be cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedList {
    /// The compact JWS (`typ: dvs-trust-list+jwt`).
    pub jws: String,
    /// Its `list_id`.
    pub list_id: String,
    /// Its `sequence`.
    pub sequence: u64,
    /// Its `iat`.
    pub iat: i64,
    /// Its `exp`.
    pub exp: i64,
    /// Its `next_update`.
    pub next_update: i64,
    /// Seconds from now until `next_update` (0 when due).
    pub max_age: u64,
}

impl PublishedList {
    /// A strong entity tag: a `sequence` names exactly one content per `list_id`.
    pub fn etag(&self) -> String {
        format!("\"{}-{}\"", self.list_id, self.sequence)
    }

    /// The decoded claims, checked against the anchor key that signed them.
    pub fn claims(&self, lists: &TrustList) -> Result<TrustListClaims, TrustListError> {
        jws::UnverifiedJws::parse(&self.jws)
            .and_then(|jws| jws.verify(lists.anchor.key().public_key(), &[TRUST_LIST_TYP]))
            .and_then(|jws| jws.claims())
            .map_err(TrustListError::Decode)
    }
}

/// Publishing the signed list: the stored one, or a new `sequence` signed by the anchor.
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct TrustList {
    handles: Handles,
    anchor: Anchor,
}

impl TrustList {
    pub(super) fn new(handles: Handles, anchor: Anchor) -> Self {
        Self { handles, anchor }
    }

    /// The current signed list, re-signed first when the register changed or `next_update`
    /// passed.
    pub async fn current(&self) -> Result<PublishedList, TrustListError> {
        let now = self.handles.clock.now();
        self.handles.store.expire_lapsed_entries(now).await?;
        let list_id = &self.handles.settings.list_id;
        let mut last_stored = None;
        for _ in 0..MAX_SIGNING_ATTEMPTS {
            let state = self.handles.store.list_state(list_id).await?;
            if let Some(stored) = &state.signed
                && state.signed_revision == state.revision
                && now < stored.next_update
            {
                return self.published(stored, state.sequence, now);
            }
            let iat = state.signed.as_ref().map_or(now, |s| now.max(s.iat));
            let claims = TrustListClaims {
                iss: self.handles.settings.public_url.clone(),
                iat,
                exp: iat + self.handles.settings.list_validity_secs,
                next_update: iat + self.handles.settings.next_update_secs,
                list_id: list_id.clone(),
                sequence: sequence(state.sequence + 1)?,
                framework_versions_valid: self.handles.settings.framework_versions_valid.clone(),
                entries: self.handles.store.load_entries().await?,
                relying_parties: self.handles.store.load_relying_parties().await?,
                type_metadata: self.handles.settings.type_metadata.clone(),
            };
            let header = Header::es256(TRUST_LIST_TYP).with("kid", self.anchor.key().kid());
            let signed = StoredList {
                jws: jws::sign_claims(&header, &claims, self.anchor.key())
                    .map_err(TrustListError::Signing)?,
                iat: claims.iat,
                exp: claims.exp,
                next_update: claims.next_update,
            };
            if self
                .handles
                .store
                .save_signed_list(list_id, state.sequence, state.revision, &signed)
                .await?
            {
                tracing::info!(
                    trust_list.list_id = %list_id,
                    trust_list.sequence = claims.sequence,
                    trust_list.entries = claims.entries.len(),
                    "trust list signed"
                );
                return self.published(&signed, state.sequence + 1, now);
            }
            // Another instance signed, or the register changed under us: look again.
            last_stored = state.signed.map(|s| (s, state.sequence));
        }
        match last_stored {
            Some((stored, seq)) if now < stored.exp => {
                tracing::warn!(
                    trust_list.sequence = seq,
                    "serving the stored list under contention"
                );
                self.published(&stored, seq, now)
            }
            _ => Err(TrustListError::Contention),
        }
    }

    fn published(
        &self,
        stored: &StoredList,
        seq: i64,
        now: i64,
    ) -> Result<PublishedList, TrustListError> {
        Ok(PublishedList {
            jws: stored.jws.clone(),
            list_id: self.handles.settings.list_id.clone(),
            sequence: sequence(seq)?,
            iat: stored.iat,
            exp: stored.exp,
            next_update: stored.next_update,
            max_age: u64::try_from(stored.next_update.saturating_sub(now)).unwrap_or(0),
        })
    }
}

fn sequence(stored: i64) -> Result<u64, TrustListError> {
    u64::try_from(stored).map_err(TrustListError::Sequence)
}
