//! The held list: refresh, grace until `exp`, persistence across restarts (§8.3 steps 3–4).

use std::sync::{Arc, RwLock};

use idv_proto::trust::trust_list::TrustListClaims;
use idv_trust::TrustError;
use idv_trust::cache::{InMemoryTrustStateStore, TrustListCache, TrustStateStore};
use idv_trust::list::ListPolicy;
use idv_trust::rollback::TrustListState;

use crate::helpers::{DAY, Fixture, NOW};

fn cache(fixture: &Fixture, store: Arc<dyn TrustStateStore>) -> TrustListCache {
    TrustListCache::new(fixture.anchors.clone(), ListPolicy::default(), store).unwrap()
}

fn with_sequence(fixture: &Fixture, sequence: u64, iat: i64) -> TrustListClaims {
    let mut claims = fixture.claims();
    claims.sequence = sequence;
    claims.iat = iat;
    claims.next_update = iat + 3600;
    claims.exp = iat + DAY;
    claims
}

#[test]
fn empty_cache_needs_a_list_and_has_none_to_decide_with() {
    let fixture = Fixture::new();
    let cache = cache(&fixture, Arc::new(InMemoryTrustStateStore::default()));
    assert!(cache.needs_refresh(NOW));
    assert_eq!(cache.current(NOW).err(), Some(TrustError::NoList));
}

#[test]
fn held_list_is_used_past_next_update_until_exp_then_fails_closed() {
    let fixture = Fixture::new();
    let mut cache = cache(&fixture, Arc::new(InMemoryTrustStateStore::default()));
    let claims = fixture.claims();
    cache.accept(&fixture.sign(&claims), NOW).unwrap();

    assert!(!cache.needs_refresh(NOW));
    assert!(cache.needs_refresh(claims.next_update));
    // Refresh failed (e.g. the operator is unreachable): grace until exp.
    assert_eq!(cache.current(claims.exp - 1).unwrap().sequence(), 42);
    assert_eq!(
        cache.current(claims.exp).err(),
        Some(TrustError::ListExpired {
            exp: claims.exp,
            now: claims.exp
        })
    );
}

#[test]
fn newer_list_replaces_the_held_one_and_is_persisted() {
    let fixture = Fixture::new();
    let store = Arc::new(InMemoryTrustStateStore::default());
    let mut cache = cache(&fixture, store.clone());
    cache.accept(&fixture.sign(&fixture.claims()), NOW).unwrap();
    let newer = with_sequence(&fixture, 43, NOW + 3600);
    cache.accept(&fixture.sign(&newer), NOW + 3600).unwrap();
    assert_eq!(cache.current(NOW + 3600).unwrap().sequence(), 43);
    assert_eq!(store.load().unwrap().unwrap().sequence, 43);
}

#[test]
fn rejected_list_leaves_the_held_list_in_place() {
    let fixture = Fixture::new();
    let mut cache = cache(&fixture, Arc::new(InMemoryTrustStateStore::default()));
    cache
        .accept(&fixture.sign(&with_sequence(&fixture, 43, NOW)), NOW)
        .unwrap();
    let older = fixture.sign(&with_sequence(&fixture, 42, NOW - 60));
    assert!(matches!(
        cache.accept(&older, NOW),
        Err(TrustError::Rollback { .. })
    ));
    assert_eq!(cache.current(NOW).unwrap().sequence(), 43);
}

#[test]
fn replayed_older_list_is_rejected_after_a_restart() {
    let fixture = Fixture::new();
    let store = Arc::new(InMemoryTrustStateStore::default());
    let older = fixture.sign(&with_sequence(&fixture, 42, NOW - 60));
    let newer = fixture.sign(&with_sequence(&fixture, 43, NOW));
    {
        let mut cache = cache(&fixture, store.clone());
        cache.accept(&older, NOW).unwrap();
        cache.accept(&newer, NOW).unwrap();
    }
    let mut restarted = cache(&fixture, store);
    assert_eq!(restarted.state().map(|s| s.sequence), Some(43));
    assert!(matches!(
        restarted.accept(&older, NOW),
        Err(TrustError::Rollback { .. })
    ));
    // The list accepted before the restart is accepted again (idempotent refetch).
    restarted.accept(&newer, NOW).unwrap();
    assert_eq!(restarted.current(NOW).unwrap().sequence(), 43);
}

#[derive(Debug)]
struct FailingStore;

impl TrustStateStore for FailingStore {
    fn load(&self) -> Result<Option<TrustListState>, TrustError> {
        Ok(None)
    }
    fn save(&self, _: &TrustListState) -> Result<(), TrustError> {
        Err(TrustError::Storage {
            reason: "database unavailable".into(),
        })
    }
}

#[test]
fn list_is_not_used_when_its_state_cannot_be_persisted() {
    let fixture = Fixture::new();
    let mut cache = cache(&fixture, Arc::new(FailingStore));
    assert!(matches!(
        cache.accept(&fixture.sign(&fixture.claims()), NOW),
        Err(TrustError::Storage { .. })
    ));
    assert_eq!(cache.current(NOW).err(), Some(TrustError::NoList));
}

#[test]
fn cache_is_shared_behind_an_rwlock_across_threads() {
    let fixture = Fixture::new();
    let shared = Arc::new(RwLock::new(cache(
        &fixture,
        Arc::new(InMemoryTrustStateStore::default()),
    )));
    shared
        .write()
        .unwrap()
        .accept(&fixture.sign(&fixture.claims()), NOW)
        .unwrap();
    let reader = Arc::clone(&shared);
    let sequence =
        std::thread::spawn(move || reader.read().unwrap().current(NOW).unwrap().sequence())
            .join()
            .unwrap();
    assert_eq!(sequence, 42);
}
