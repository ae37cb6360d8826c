//! [`TenantCache`]: what every check would otherwise look up about its tenant again, kept in
//! the process (BENCHMARKS.md, proposal P3).
//!
//! - **API keys and rows.** The SHA-256 of an API key → its tenant, and the tenant's row, are
//!   kept for `checks.tenant_cache_secs`, measured with the injected clock. The CLI changes them
//!   from another process (`tenant attest`, `tenant revoke-keys`, `tenant api-key`) and a
//!   running server cannot be told, so such a change takes effect within that time; made
//!   through this process's [`Tenants`](super::Tenants) it takes effect at once
//!   ([`TenantCache::invalidate`]). An unknown key is never remembered: a new key works at
//!   once, and guessed keys cannot fill memory.
//! - **Signing material.** The parsed request-signing key and the verified attestation are
//!   reused only while the row's `client_id`, `signing_key` and `attestation` are
//!   byte-identical to those they were derived from, and the attestation still passes the
//!   time checks of [`verify_verifier_attestation`] at `now` (`exp` plus the skew not reached,
//!   `iat` not beyond `now` plus the skew; the anchors are fixed for the process). Everything
//!   else that verification checks depends on those three texts and the anchors only.
//!
//! Each map holds at most [`MAX_ENTRIES`] entries; the oldest goes first. A
//! `tenant_cache_secs` of 0 turns the whole cache off: every lookup reads the database and
//! verifies the attestation, as without it.
//!
//! [`verify_verifier_attestation`]: idv_trust::attestation::verify_verifier_attestation

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use idv_jose::jwt::Validity;
use idv_trust::attestation::{ATTESTATION_SKEW, VerifiedAttestation};

use super::{SigningMaterial, Tenant};
use crate::store::tenants::TenantRow;

/// Most entries each of the cache's maps holds.
pub(crate) const MAX_ENTRIES: usize = 10_000;

/// The per-process tenant cache (see the module doc). Shared by every clone of the
/// [`Tenants`](super::Tenants).
pub(crate) struct TenantCache {
    /// Seconds rows and API keys are kept; 0: no caching at all.
    ttl: i64,
    state: Mutex<State>,
}

struct State {
    /// Bumped by every invalidation: a read started before it is not kept.
    generation: u64,
    rows: Bounded<String, Arc<TenantRow>>,
    api_keys: Bounded<String, Tenant>,
    material: Bounded<String, Derived>,
}

/// Signing material with the row texts it was derived from.
struct Derived {
    client_id: String,
    signing_key: String,
    material: SigningMaterial,
}

/// Taken before a database read: the time the entry counts from, and the generation a
/// concurrent invalidation would have bumped.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticket {
    at: i64,
    generation: u64,
}

impl TenantCache {
    /// A cache keeping rows and API keys `ttl_secs` (0: off), [`MAX_ENTRIES`] each.
    pub(crate) fn new(ttl_secs: i64) -> Self {
        Self::with_capacity(ttl_secs, MAX_ENTRIES)
    }

    fn with_capacity(ttl_secs: i64, capacity: usize) -> Self {
        Self {
            ttl: ttl_secs.max(0),
            state: Mutex::new(State {
                generation: 0,
                rows: Bounded::new(capacity),
                api_keys: Bounded::new(capacity),
                material: Bounded::new(capacity),
            }),
        }
    }

    fn enabled(&self) -> bool {
        self.ttl > 0
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic cannot leave the maps inconsistent (each update is one map operation).
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether an entry stored at `at` may still be used at `now`.
    fn fresh(&self, at: i64, now: i64) -> bool {
        at <= now && now < at.saturating_add(self.ttl)
    }

    /// To be taken at `now`, before reading what [`Self::put_api_key`] or [`Self::put_row`]
    /// then keeps.
    pub(crate) fn ticket(&self, now: i64) -> Ticket {
        Ticket {
            at: now,
            generation: self.state().generation,
        }
    }

    /// The tenant owning the API key whose hash is `key_hash`, if known and fresh at `now`.
    pub(crate) fn api_key(&self, key_hash: &str, now: i64) -> Option<Tenant> {
        if !self.enabled() {
            return None;
        }
        let mut state = self.state();
        match state.api_keys.get(key_hash) {
            Some((tenant, at)) if self.fresh(at, now) => Some(tenant.clone()),
            Some(_) => {
                state.api_keys.remove(key_hash);
                None
            }
            None => None,
        }
    }

    /// Keeps an API key's tenant and row, read under `ticket`.
    pub(crate) fn put_api_key(
        &self,
        ticket: Ticket,
        key_hash: String,
        tenant: Tenant,
        row: TenantRow,
    ) {
        if !self.enabled() {
            return;
        }
        let mut state = self.state();
        if state.generation != ticket.generation {
            return;
        }
        state.api_keys.insert(key_hash, ticket.at, tenant);
        state
            .rows
            .insert(row.tenant_id.clone(), ticket.at, Arc::new(row));
    }

    /// The tenant's row, if known and fresh at `now`.
    pub(crate) fn row(&self, tenant_id: &str, now: i64) -> Option<Arc<TenantRow>> {
        if !self.enabled() {
            return None;
        }
        let mut state = self.state();
        match state.rows.get(tenant_id) {
            Some((row, at)) if self.fresh(at, now) => Some(Arc::clone(row)),
            Some(_) => {
                state.rows.remove(tenant_id);
                None
            }
            None => None,
        }
    }

    /// Keeps a tenant's row, read under `ticket`.
    pub(crate) fn put_row(&self, ticket: Ticket, row: Arc<TenantRow>) {
        if !self.enabled() {
            return;
        }
        let mut state = self.state();
        if state.generation != ticket.generation {
            return;
        }
        state.rows.insert(row.tenant_id.clone(), ticket.at, row);
    }

    /// The signing material derived from `row`'s current texts, if kept and its attestation
    /// would still pass verification at `now`.
    pub(crate) fn signing_material(&self, row: &TenantRow, now: i64) -> Option<SigningMaterial> {
        if !self.enabled() {
            return None;
        }
        let mut state = self.state();
        let derived = state.material.get(row.tenant_id.as_str())?.0;
        let same_texts = derived.client_id == row.client_id
            && derived.signing_key == row.signing_key
            && row.attestation.as_deref() == Some(derived.material.attestation_jwt.as_str());
        if !same_texts {
            state.material.remove(row.tenant_id.as_str());
            return None;
        }
        if !within_validity(&derived.material.attestation, now) {
            return None;
        }
        Some(derived.material.clone())
    }

    /// Keeps `material`, derived from `row` (whose `attestation` is `material`'s).
    pub(crate) fn put_signing_material(&self, row: &TenantRow, material: &SigningMaterial) {
        if !self.enabled() {
            return;
        }
        let derived = Derived {
            client_id: row.client_id.clone(),
            signing_key: row.signing_key.clone(),
            material: material.clone(),
        };
        // No time: it is checked against the row and the attestation's validity instead.
        self.state()
            .material
            .insert(row.tenant_id.clone(), 0, derived);
    }

    /// Forgets everything about `tenant_id`, and keeps nothing read before this call.
    pub(crate) fn invalidate(&self, tenant_id: &str) {
        let mut state = self.state();
        state.generation = state.generation.wrapping_add(1);
        state.rows.remove(tenant_id);
        state.material.remove(tenant_id);
        state
            .api_keys
            .retain(|tenant| tenant.tenant_id != tenant_id);
    }
}

impl fmt::Debug for TenantCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("TenantCache")
            .field("ttl", &self.ttl)
            .field("rows", &state.rows.len())
            .field("api_keys", &state.api_keys.len())
            .field("material", &state.material.len())
            .finish()
    }
}

/// Whether `attestation`, verified earlier, passes at `now` the time checks
/// [`verify_verifier_attestation`](idv_trust::attestation::verify_verifier_attestation) applies.
fn within_validity(attestation: &VerifiedAttestation, now: i64) -> bool {
    let claims = attestation.claims();
    Validity {
        iat: Some(claims.iat),
        nbf: None,
        exp: Some(claims.exp),
    }
    .check(now, ATTESTATION_SKEW)
    .is_ok()
}

/// A map of at most `capacity` entries, each with the time it was stored; inserting beyond
/// the capacity evicts the entry inserted first.
struct Bounded<K, V> {
    capacity: usize,
    entries: BTreeMap<K, Entry<V>>,
    /// Insertion sequence number → key, oldest first.
    order: BTreeMap<u64, K>,
    next: u64,
}

struct Entry<V> {
    seq: u64,
    at: i64,
    value: V,
}

impl<K: Ord + Clone, V> Bounded<K, V> {
    fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: BTreeMap::new(),
            order: BTreeMap::new(),
            next: 0,
        }
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    /// The value and the time it was stored.
    fn get<Q>(&self, key: &Q) -> Option<(&V, i64)>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.entries.get(key).map(|entry| (&entry.value, entry.at))
    }

    fn insert(&mut self, key: K, at: i64, value: V) {
        if let Some(old) = self.entries.remove(&key) {
            self.order.remove(&old.seq);
        }
        let seq = self.next;
        self.next += 1;
        self.order.insert(seq, key.clone());
        self.entries.insert(key, Entry { seq, at, value });
        while self.entries.len() > self.capacity {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            self.entries.remove(&oldest);
        }
    }

    fn remove<Q>(&mut self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        if let Some(entry) = self.entries.remove(key) {
            self.order.remove(&entry.seq);
        }
    }

    fn retain(&mut self, mut keep: impl FnMut(&V) -> bool) {
        let order = &mut self.order;
        self.entries.retain(|_, entry| {
            let kept = keep(&entry.value);
            if !kept {
                order.remove(&entry.seq);
            }
            kept
        });
    }
}

#[cfg(test)]
mod tests {
    use idv_jose::SigningKey;
    use idv_proto::trust::entry::Organisation;
    use idv_proto::trust::verifier_attestation::{Confirmation, VerifierAttestationClaims};
    use idv_trust::anchors::TrustAnchors;
    use idv_trust::attestation::{issue_verifier_attestation, verify_verifier_attestation};

    use super::*;

    const T: i64 = 1_780_000_000;

    fn tenant(id: &str) -> Tenant {
        Tenant {
            tenant_id: id.into(),
            client_id: format!("{id}.example"),
        }
    }

    fn row(id: &str, attestation: Option<&str>) -> TenantRow {
        TenantRow {
            tenant_id: id.into(),
            name: "Employer".into(),
            client_id: format!("{id}.example"),
            signing_key: format!("{{\"key of\":\"{id}\"}}"),
            attestation: attestation.map(str::to_owned),
            attestation_exp: None,
            webhook_secret: "whsec_x".into(),
            created_at: T,
        }
    }

    /// An attestation for `client_id` (iat `iat`, exp `exp`), verified at `iat`.
    fn attestation(iat: i64, exp: i64) -> (String, TrustAnchors, SigningMaterial) {
        let anchor = SigningKey::generate().unwrap();
        let key = SigningKey::generate().unwrap();
        let claims = VerifierAttestationClaims {
            iss: "https://trust.example".into(),
            sub: "tn_a.example".into(),
            iat,
            exp,
            cnf: Confirmation {
                jwk: serde_json::to_value(key.public_key().to_jwk()).unwrap(),
            },
            redirect_uris: None,
            rp_id: "rp_1".into(),
            organisation: Organisation {
                name: "Employer".into(),
                company_number: None,
            },
            purposes: Vec::new(),
        };
        let jwt = issue_verifier_attestation(&claims, &anchor).unwrap();
        let anchors = TrustAnchors::from_keys([anchor.public_key().clone()]).unwrap();
        let verified = verify_verifier_attestation(&jwt, &anchors, iat).unwrap();
        let material = SigningMaterial {
            key: Arc::new(key),
            attestation_jwt: jwt.clone(),
            attestation: Arc::new(verified),
        };
        (jwt, anchors, material)
    }

    #[test]
    fn the_oldest_entry_is_evicted_beyond_the_capacity() {
        let mut map = Bounded::new(3);
        for (i, key) in ["a", "b", "c", "d"].into_iter().enumerate() {
            map.insert(key.to_owned(), i64::try_from(i).unwrap(), i);
        }
        assert_eq!(map.len(), 3);
        assert!(map.get("a").is_none());
        assert_eq!(map.get("d"), Some((&3, 3)));
        // Re-inserting moves an entry to the back of the queue.
        map.insert("b".to_owned(), 10, 10);
        map.insert("e".to_owned(), 11, 11);
        assert!(map.get("c").is_none());
        assert_eq!(map.get("b"), Some((&10, 10)));
        assert_eq!((map.len(), map.order.len()), (3, 3));
        map.retain(|v| *v != 10);
        map.remove("d");
        assert_eq!((map.len(), map.order.len()), (1, 1));
        assert_eq!(map.get("e"), Some((&11, 11)));
        let mut none = Bounded::new(0);
        none.insert("a".to_owned(), 0, 0);
        assert_eq!(none.len(), 0);
    }

    #[test]
    fn the_cache_holds_at_most_its_capacity_of_api_keys_and_rows() {
        let cache = TenantCache::with_capacity(10, 2);
        for id in ["t1", "t2", "t3"] {
            let ticket = cache.ticket(T);
            cache.put_api_key(ticket, format!("hash-{id}"), tenant(id), row(id, None));
        }
        assert!(cache.api_key("hash-t1", T).is_none());
        assert!(cache.row("t1", T).is_none());
        assert_eq!(cache.api_key("hash-t3", T), Some(tenant("t3")));
        assert!(cache.row("t2", T).is_some());
        let state = cache.state();
        assert_eq!((state.api_keys.len(), state.rows.len()), (2, 2));
    }

    #[test]
    fn entries_last_the_ttl_and_not_a_second_longer() {
        let cache = TenantCache::with_capacity(10, MAX_ENTRIES);
        cache.put_api_key(cache.ticket(T), "h".into(), tenant("t1"), row("t1", None));
        assert!(cache.api_key("h", T + 9).is_some());
        assert!(cache.row("t1", T + 9).is_some());
        // A clock set back does not make an entry last longer.
        assert!(cache.api_key("h", T - 1).is_none());
        cache.put_api_key(cache.ticket(T), "h".into(), tenant("t1"), row("t1", None));
        assert!(cache.api_key("h", T + 10).is_none());
        assert!(cache.row("t1", T + 10).is_none());
        assert_eq!(cache.state().api_keys.len(), 0, "a stale entry is dropped");
    }

    #[test]
    fn a_ttl_of_zero_keeps_nothing() {
        let cache = TenantCache::with_capacity(0, MAX_ENTRIES);
        cache.put_api_key(cache.ticket(T), "h".into(), tenant("t1"), row("t1", None));
        cache.put_row(cache.ticket(T), Arc::new(row("t1", None)));
        let (jwt, _, material) = attestation(T, T + 3600);
        let row = row("t1", Some(&jwt));
        cache.put_signing_material(&row, &material);
        assert!(cache.api_key("h", T).is_none());
        assert!(cache.row("t1", T).is_none());
        assert!(cache.signing_material(&row, T).is_none());
    }

    #[test]
    fn invalidation_forgets_the_tenant_and_reads_started_before_it() {
        let cache = TenantCache::with_capacity(10, MAX_ENTRIES);
        cache.put_api_key(cache.ticket(T), "h1".into(), tenant("t1"), row("t1", None));
        cache.put_api_key(cache.ticket(T), "h2".into(), tenant("t2"), row("t2", None));
        let before = cache.ticket(T);
        cache.invalidate("t1");
        assert!(cache.api_key("h1", T).is_none());
        assert!(cache.row("t1", T).is_none());
        assert!(cache.api_key("h2", T).is_some(), "other tenants are kept");
        // A read that began before the change is not kept; one begun after it is.
        cache.put_api_key(before, "h1".into(), tenant("t1"), row("t1", None));
        cache.put_row(before, Arc::new(row("t1", None)));
        assert!(cache.api_key("h1", T).is_none());
        assert!(cache.row("t1", T).is_none());
        cache.put_row(cache.ticket(T), Arc::new(row("t1", None)));
        assert!(cache.row("t1", T).is_some());
    }

    #[test]
    fn signing_material_is_reused_only_for_identical_texts() {
        let cache = TenantCache::with_capacity(10, MAX_ENTRIES);
        let (jwt, _, material) = attestation(T, T + 3600);
        let stored = row("tn_a", Some(&jwt));
        cache.put_signing_material(&stored, &material);
        let hit = cache.signing_material(&stored, T + 100).unwrap();
        assert!(Arc::ptr_eq(&hit.key, &material.key));
        for changed in [
            TenantRow {
                client_id: "other.example".into(),
                ..stored.clone()
            },
            TenantRow {
                signing_key: format!("{} ", stored.signing_key),
                ..stored.clone()
            },
            TenantRow {
                attestation: Some(format!("{jwt}x")),
                ..stored.clone()
            },
            TenantRow {
                attestation: None,
                ..stored.clone()
            },
        ] {
            cache.put_signing_material(&stored, &material);
            assert!(cache.signing_material(&changed, T + 100).is_none());
        }
    }

    #[test]
    fn signing_material_follows_the_attestation_time_checks_exactly() {
        let (iat, exp) = (T, T + 3600);
        let (jwt, anchors, material) = attestation(iat, exp);
        let stored = row("tn_a", Some(&jwt));
        let cache = TenantCache::with_capacity(10, MAX_ENTRIES);
        for now in [
            iat - ATTESTATION_SKEW - 1,
            iat - ATTESTATION_SKEW,
            iat,
            exp - 1,
            exp,
            exp + ATTESTATION_SKEW - 1,
            exp + ATTESTATION_SKEW,
            exp + 365 * 24 * 3600,
        ] {
            cache.put_signing_material(&stored, &material);
            let verifies = verify_verifier_attestation(&jwt, &anchors, now).is_ok();
            assert_eq!(
                cache.signing_material(&stored, now).is_some(),
                verifies,
                "at iat{:+} / exp{:+}",
                now - iat,
                now - exp
            );
        }
    }
}
