//! The held list: refresh, grace until `exp`, rollback against the persisted state across
//! restarts (§8.3 steps 3–4).

use std::sync::{Arc, RwLock};

use idv_proto::trust::trust_list::TrustListClaims;
use idv_trust::TrustError;
use idv_trust::cache::TrustListCache;
use idv_trust::list::ListPolicy;
use idv_trust::rollback::TrustListState;

use crate::helpers::{DAY, Fixture, NOW};

fn cache(fixture: &Fixture) -> TrustListCache {
    TrustListCache::new(fixture.anchors.clone(), ListPolicy::default())
}

fn with_sequence(fixture: &Fixture, sequence: u64, iat: i64) -> TrustListClaims {
    let mut claims = fixture.claims();
    claims.sequence = sequence;
    claims.iat = iat;
    claims.next_update = iat + 3600;
    claims.exp = iat + DAY;
    claims
}

/// What a service does on refresh: verify against the persisted state, persist, install.
fn refresh(
    cache: &mut TrustListCache,
    persisted: &mut Option<TrustListState>,
    compact: &str,
    now: i64,
) -> Result<(), TrustError> {
    let candidate = cache.verify(compact, persisted.as_ref(), now)?;
    if candidate.is_new_state() {
        *persisted = Some(candidate.state().clone());
    }
    cache.install(candidate);
    Ok(())
}

#[test]
fn empty_cache_needs_a_list_and_has_none_to_decide_with() {
    let fixture = Fixture::new();
    let cache = cache(&fixture);
    assert!(cache.needs_refresh(NOW));
    assert_eq!(cache.current(NOW).err(), Some(TrustError::NoList));
}

#[test]
fn held_list_is_used_past_next_update_until_exp_then_fails_closed() {
    let fixture = Fixture::new();
    let mut cache = cache(&fixture);
    let claims = fixture.claims();
    refresh(&mut cache, &mut None, &fixture.sign(&claims), NOW).unwrap();

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
fn newer_list_replaces_the_held_one_and_its_state_is_new() {
    let fixture = Fixture::new();
    let mut persisted = None;
    let mut cache = cache(&fixture);
    refresh(
        &mut cache,
        &mut persisted,
        &fixture.sign(&fixture.claims()),
        NOW,
    )
    .unwrap();
    let newer = fixture.sign(&with_sequence(&fixture, 43, NOW + 3600));
    let candidate = cache
        .verify(&newer, persisted.as_ref(), NOW + 3600)
        .unwrap();
    assert!(candidate.is_new_state());
    assert_eq!(candidate.state().sequence, 43);
    // Not in use before install.
    assert_eq!(cache.current(NOW + 3600).unwrap().sequence(), 42);
    cache.install(candidate);
    assert_eq!(cache.current(NOW + 3600).unwrap().sequence(), 43);
}

#[test]
fn refetching_the_same_list_needs_no_write() {
    let fixture = Fixture::new();
    let mut persisted = None;
    let mut cache = cache(&fixture);
    let compact = fixture.sign(&fixture.claims());
    refresh(&mut cache, &mut persisted, &compact, NOW).unwrap();
    let again = cache.verify(&compact, persisted.as_ref(), NOW).unwrap();
    assert!(!again.is_new_state());
}

#[test]
fn rejected_list_leaves_the_held_list_in_place() {
    let fixture = Fixture::new();
    let mut persisted = None;
    let mut cache = cache(&fixture);
    let current = fixture.sign(&with_sequence(&fixture, 43, NOW));
    refresh(&mut cache, &mut persisted, &current, NOW).unwrap();
    let older = fixture.sign(&with_sequence(&fixture, 42, NOW - 60));
    assert!(matches!(
        refresh(&mut cache, &mut persisted, &older, NOW),
        Err(TrustError::Rollback { .. })
    ));
    assert_eq!(cache.current(NOW).unwrap().sequence(), 43);
    assert_eq!(persisted.map(|s| s.sequence), Some(43));
}

#[test]
fn replayed_older_list_is_rejected_after_a_restart() {
    let fixture = Fixture::new();
    let mut persisted = None;
    let older = fixture.sign(&with_sequence(&fixture, 42, NOW - 60));
    let newer = fixture.sign(&with_sequence(&fixture, 43, NOW));
    {
        let mut cache = cache(&fixture);
        refresh(&mut cache, &mut persisted, &older, NOW).unwrap();
        refresh(&mut cache, &mut persisted, &newer, NOW).unwrap();
    }
    // A restarted service starts empty but reads the persisted state.
    let mut restarted = cache(&fixture);
    assert!(matches!(
        refresh(&mut restarted, &mut persisted, &older, NOW),
        Err(TrustError::Rollback { .. })
    ));
    // The list accepted before the restart is accepted again (idempotent refetch).
    refresh(&mut restarted, &mut persisted, &newer, NOW).unwrap();
    assert_eq!(restarted.current(NOW).unwrap().sequence(), 43);
}

#[test]
fn cache_is_shared_behind_an_rwlock_across_threads() {
    let fixture = Fixture::new();
    let shared = Arc::new(RwLock::new(cache(&fixture)));
    refresh(
        &mut shared.write().unwrap(),
        &mut None,
        &fixture.sign(&fixture.claims()),
        NOW,
    )
    .unwrap();
    let reader = Arc::clone(&shared);
    let sequence =
        std::thread::spawn(move || reader.read().unwrap().current(NOW).unwrap().sequence())
            .join()
            .unwrap();
    assert_eq!(sequence, 42);
}
