//! The held trust list: refresh timing, grace until `exp`, and the two-step accept that lets a
//! service persist the rollback state durably before the new list is used (docs/trust-list.md
//! steps 3–4).
//!
//! A refresh is: [`TrustListCache::needs_refresh`] says a fetch is due; the service fetches the
//! body and reads the last persisted [`TrustListState`] from its database;
//! [`TrustListCache::verify`] checks the body against the anchors, the policy and that state,
//! changing nothing; the service saves [`Candidate::state`] (when [`Candidate::is_new_state`]),
//! and only then calls [`TrustListCache::install`]. A failed refresh leaves the held list in use
//! until its `exp`; from then on [`TrustListCache::current`] fails closed.
//!
//! Reading the persisted state at every refresh, rather than remembering it, keeps several
//! instances sharing one database honest: none can accept a list older than one another
//! instance already accepted.

use std::sync::Arc;

use crate::TrustError;
use crate::anchors::TrustAnchors;
use crate::list::{ListPolicy, VerifiedTrustList, verify_trust_list};
use crate::rollback::{TrustListState, check_rollback};

/// A fetched list that passed verification and the rollback check, not yet in use.
#[derive(Debug)]
pub struct Candidate {
    list: VerifiedTrustList,
    state: TrustListState,
    new_state: bool,
}

impl Candidate {
    /// The rollback state to persist before [`TrustListCache::install`].
    pub fn state(&self) -> &TrustListState {
        &self.state
    }

    /// Whether [`Self::state`] differs from the persisted state it was checked against (a
    /// refetch of the same list needs no write).
    pub fn is_new_state(&self) -> bool {
        self.new_state
    }

    /// The verified list.
    pub fn list(&self) -> &VerifiedTrustList {
        &self.list
    }
}

/// The current verified list and the anchors and policy new lists are verified with.
#[derive(Debug)]
pub struct TrustListCache {
    anchors: TrustAnchors,
    policy: ListPolicy,
    list: Option<Arc<VerifiedTrustList>>,
}

impl TrustListCache {
    /// A cache with no list yet.
    pub fn new(anchors: TrustAnchors, policy: ListPolicy) -> Self {
        Self {
            anchors,
            policy,
            list: None,
        }
    }

    /// Whether a fetch is due: no list held, or `now >= next_update`.
    pub fn needs_refresh(&self, now: i64) -> bool {
        self.list
            .as_ref()
            .is_none_or(|list| now >= list.next_update())
    }

    /// The list to decide with at `now`: the held list until its `exp`, even when refreshes
    /// have failed since `next_update`; an error once it has expired or when none is held.
    pub fn current(&self, now: i64) -> Result<Arc<VerifiedTrustList>, TrustError> {
        let list = self.list.as_ref().ok_or(TrustError::NoList)?;
        if now >= list.exp() {
            return Err(TrustError::ListExpired {
                exp: list.exp(),
                now,
            });
        }
        Ok(Arc::clone(list))
    }

    /// Verifies a fetched list and checks it against `persisted`, the last accepted state as
    /// just read from durable storage. Changes nothing.
    pub fn verify(
        &self,
        compact: &str,
        persisted: Option<&TrustListState>,
        now: i64,
    ) -> Result<Candidate, TrustError> {
        let list = verify_trust_list(compact, &self.anchors, now, &self.policy)?;
        let state = check_rollback(persisted, &list)?;
        let new_state = persisted != Some(&state);
        Ok(Candidate {
            list,
            state,
            new_state,
        })
    }

    /// Puts a candidate in use. Call only after its state is durably persisted.
    pub fn install(&mut self, candidate: Candidate) {
        self.list = Some(Arc::new(candidate.list));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn cache_can_be_shared_between_threads() {
        assert_send_sync::<TrustListCache>();
        assert_send_sync::<Candidate>();
    }
}
