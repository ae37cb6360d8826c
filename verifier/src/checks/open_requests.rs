//! Open wallet requests held in memory by the instance that created them: the request's
//! immutable material (tenant, template, response mode, `state`, nonce, key), so that the
//! request object fetch and the response read only the check's state there.
//!
//! The database stays the truth: the row is written at creation, its state is read at every
//! use of a held entry (`Verifier::check_by_request`: a check completed, expired or erased
//! through another instance sharing the database is never served again), every state change
//! is a compare-and-swap on it, and a miss (a check another instance created, a restart, a
//! full table) reads the whole row. An entry leaves when its check is seen closed, ends or is
//! erased on this instance, or at the first sweep after its expiry.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::store::checks::CheckRow;

/// Most requests held; beyond it new ones are read from the database (about 1 KB each).
const CAPACITY: usize = 10_000;

/// Open requests by `request_id`.
#[derive(Debug, Default)]
pub(crate) struct OpenRequests {
    entries: Mutex<BTreeMap<String, Arc<CheckRow>>>,
}

impl OpenRequests {
    /// Holds a freshly created check's request. When full, drops the requests that expired by
    /// `now` first, and holds nothing if that frees no room.
    pub(crate) fn insert(&self, check: CheckRow, now: i64) {
        let mut entries = self.lock();
        if entries.len() >= CAPACITY {
            entries.retain(|_, open| open.expires_at > now);
            if entries.len() >= CAPACITY {
                return;
            }
        }
        entries.insert(check.request_id.clone(), Arc::new(check));
    }

    /// The request `request_id`, if held.
    pub(crate) fn get(&self, request_id: &str) -> Option<Arc<CheckRow>> {
        self.lock().get(request_id).cloned()
    }

    /// Forgets the requests that expired by `now` (their keys with them).
    pub(crate) fn forget_expired(&self, now: i64) {
        self.lock().retain(|_, open| open.expires_at > now);
    }

    /// Forgets the request `request_id` (its check ended).
    pub(crate) fn remove(&self, request_id: &str) {
        self.lock().remove(request_id);
    }

    /// Forgets the request of check `check_id` (erased).
    pub(crate) fn remove_check(&self, check_id: &str) {
        self.lock().retain(|_, open| open.check_id != check_id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Arc<CheckRow>>> {
        // The map stays consistent whatever panicked while holding it.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(request_id: &str, check_id: &str, expires_at: i64) -> CheckRow {
        CheckRow {
            check_id: check_id.into(),
            request_id: request_id.into(),
            expires_at,
            ..CheckRow::default()
        }
    }

    #[test]
    fn held_until_removed_by_request_or_by_check() {
        let requests = OpenRequests::default();
        requests.insert(open("r1", "c1", 100), 0);
        requests.insert(open("r2", "c2", 100), 0);
        assert_eq!(requests.get("r1").unwrap().check_id, "c1");
        requests.remove("r1");
        assert!(requests.get("r1").is_none());
        requests.remove_check("c2");
        assert!(requests.get("r2").is_none());
    }

    #[test]
    fn expired_requests_are_forgotten() {
        let requests = OpenRequests::default();
        requests.insert(open("r1", "c1", 100), 0);
        requests.insert(open("r2", "c2", 200), 0);
        requests.forget_expired(100);
        assert!(requests.get("r1").is_none());
        assert!(requests.get("r2").is_some());
    }

    #[test]
    fn when_full_expired_requests_make_room_and_otherwise_nothing_is_held() {
        let requests = OpenRequests::default();
        for i in 0..CAPACITY {
            let expires_at = if i == 0 { 10 } else { 100 };
            requests.insert(open(&format!("r{i}"), &format!("c{i}"), expires_at), 0);
        }
        requests.insert(open("late", "c-late", 100), 5);
        assert!(requests.get("late").is_none(), "full: not held");
        requests.insert(open("later", "c-later", 100), 10);
        assert!(requests.get("r0").is_none(), "the expired one made room");
        assert!(requests.get("later").is_some());
        assert_eq!(requests.lock().len(), CAPACITY);
    }
}
