//! The held trust list: refresh timing, grace until `exp`, and the persisted rollback state
//! (standards.md §8.3 steps 3–4).
//!
//! The service fetches over HTTP when [`TrustListCache::needs_refresh`] says so and hands the
//! body to [`TrustListCache::accept`]. A failed refresh leaves the held list in use until its
//! `exp`; from then on [`TrustListCache::current`] fails closed. Share the cache as
//! `Arc<RwLock<TrustListCache>>`: lookups take the read lock, `accept` the write lock.

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use crate::TrustError;
use crate::anchors::TrustAnchors;
use crate::list::{ListPolicy, VerifiedTrustList, verify_trust_list};
use crate::rollback::{TrustListState, check_rollback};

/// Where the last accepted [`TrustListState`] is persisted, so that a restart cannot be used
/// to roll the list back. Services implement it over their database.
pub trait TrustStateStore: Send + Sync + Debug {
    /// The last saved state, if any.
    fn load(&self) -> Result<Option<TrustListState>, TrustError>;
    /// Replaces the saved state; must be durable when it returns `Ok`.
    fn save(&self, state: &TrustListState) -> Result<(), TrustError>;
}

/// A [`TrustStateStore`] in memory: for tests and single-process demos only, since it does
/// not survive a restart.
#[derive(Debug, Default)]
pub struct InMemoryTrustStateStore {
    state: Mutex<Option<TrustListState>>,
}

impl InMemoryTrustStateStore {
    /// A store already holding `state`, as if saved before a restart.
    pub fn with_state(state: TrustListState) -> Self {
        Self {
            state: Mutex::new(Some(state)),
        }
    }
}

impl TrustStateStore for InMemoryTrustStateStore {
    fn load(&self) -> Result<Option<TrustListState>, TrustError> {
        self.state
            .lock()
            .map(|state| state.clone())
            .map_err(|_| poisoned())
    }

    fn save(&self, state: &TrustListState) -> Result<(), TrustError> {
        *self.state.lock().map_err(|_| poisoned())? = Some(state.clone());
        Ok(())
    }
}

fn poisoned() -> TrustError {
    TrustError::Storage {
        reason: "in-memory state lock poisoned".into(),
    }
}

/// The current verified list, the rollback state it was checked against, and the anchors and
/// policy new lists are verified with.
#[derive(Debug)]
pub struct TrustListCache {
    anchors: TrustAnchors,
    policy: ListPolicy,
    store: Arc<dyn TrustStateStore>,
    held: Option<TrustListState>,
    list: Option<VerifiedTrustList>,
}

impl TrustListCache {
    /// A cache with no list yet, loading the persisted state from `store`.
    pub fn new(
        anchors: TrustAnchors,
        policy: ListPolicy,
        store: Arc<dyn TrustStateStore>,
    ) -> Result<Self, TrustError> {
        let held = store.load()?;
        Ok(Self {
            anchors,
            policy,
            store,
            held,
            list: None,
        })
    }

    /// Whether a fetch is due: no list held, or `now >= next_update`.
    pub fn needs_refresh(&self, now: i64) -> bool {
        self.list
            .as_ref()
            .is_none_or(|list| now >= list.next_update())
    }

    /// The list to decide with at `now`: the held list until its `exp`, even when refreshes
    /// have failed since `next_update`; an error once it has expired or when none is held.
    pub fn current(&self, now: i64) -> Result<&VerifiedTrustList, TrustError> {
        let list = self.list.as_ref().ok_or(TrustError::NoList)?;
        if now >= list.exp() {
            return Err(TrustError::ListExpired {
                exp: list.exp(),
                now,
            });
        }
        Ok(list)
    }

    /// The rollback state last accepted (or loaded from the store).
    pub fn state(&self) -> Option<&TrustListState> {
        self.held.as_ref()
    }

    /// Verifies a fetched list, checks it against the held state, persists the new state and
    /// only then replaces the held list. On any error the held list stays in place.
    pub fn accept(&mut self, compact: &str, now: i64) -> Result<(), TrustError> {
        let list = verify_trust_list(compact, &self.anchors, now, &self.policy)?;
        let state = check_rollback(self.held.as_ref(), &list)?;
        // Persist first: the durable high-water mark must never lag the list in use.
        if self.held.as_ref() != Some(&state) {
            self.store.save(&state)?;
        }
        self.held = Some(state);
        self.list = Some(list);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn cache_can_be_shared_between_threads() {
        assert_send_sync::<TrustListCache>();
        assert_send_sync::<std::sync::RwLock<TrustListCache>>();
    }
}
