//! Issuer side: choosing the status index of a new credential.
//!
//! HAIP 1.0 requires "each credential a unique, unpredictable status index", and draft-20
//! ("Security Considerations", "Privacy Considerations") asks issuers to prevent double allocation
//! and to use random indices so that neighbouring entries reveal nothing about issuance order.
//! The allocator is pure: the caller owns the record of taken indices (a database, usually) and
//! must record the returned index atomically before using it, since this function cannot.

use idv_jose::Random;
use idv_jose::random::below;

/// Random probes before falling back to a scan. With the list at most half full, the chance of
/// needing the scan is below 2^-32.
pub const RANDOM_ATTEMPTS: u32 = 32;

/// A uniformly random index in `0..list_len` for which `is_taken` is false, or `None` when
/// every index is taken.
///
/// Expected O(1) probes while the list has free room: up to [`RANDOM_ATTEMPTS`] uniform probes,
/// then a linear scan that wraps around from a random start, so it always terminates. The scan
/// favours the index after a run of taken ones, so roll over to a new list well before it fills
/// (draft-20 suggests splitting lists by size or expiry).
///
/// Indices once handed out must stay taken even after the credential expires or is revoked:
/// reuse would let an old credential's status change a new one.
pub fn random_free_index(
    list_len: u64,
    is_taken: impl Fn(u64) -> bool,
    rng: &dyn Random,
) -> Option<u64> {
    if list_len == 0 {
        return None;
    }
    for _ in 0..RANDOM_ATTEMPTS {
        let idx = below(rng, list_len);
        if !is_taken(idx) {
            return Some(idx);
        }
    }
    let start = below(rng, list_len);
    (start..list_len)
        .chain(0..start)
        .find(|&idx| !is_taken(idx))
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeSet;

    use idv_jose::random::DeterministicRandom;

    use super::*;

    #[test]
    fn every_index_is_eventually_allocated_exactly_once() {
        let rng = DeterministicRandom::new(1);
        let taken = RefCell::new(BTreeSet::new());
        for _ in 0..1000 {
            let idx = random_free_index(1000, |i| taken.borrow().contains(&i), &rng).unwrap();
            assert!(idx < 1000);
            assert!(
                taken.borrow_mut().insert(idx),
                "index {idx} handed out twice"
            );
        }
        assert_eq!(
            random_free_index(1000, |i| taken.borrow().contains(&i), &rng),
            None
        );
    }

    #[test]
    fn the_single_free_slot_of_a_full_list_is_found() {
        let rng = DeterministicRandom::new(2);
        let calls = RefCell::new(0u64);
        let found = random_free_index(
            1_000_000,
            |i| {
                *calls.borrow_mut() += 1;
                i != 123_456
            },
            &rng,
        );
        assert_eq!(found, Some(123_456));
        assert!(*calls.borrow() <= u64::from(RANDOM_ATTEMPTS) + 1_000_000);
    }

    #[test]
    fn empty_or_full_lists_have_no_free_index() {
        let rng = DeterministicRandom::new(3);
        assert_eq!(random_free_index(0, |_| false, &rng), None);
        assert_eq!(random_free_index(50, |_| true, &rng), None);
    }

    #[test]
    fn allocation_in_a_mostly_free_list_needs_few_probes() {
        let rng = DeterministicRandom::new(4);
        let calls = RefCell::new(0u32);
        random_free_index(
            1 << 20,
            |i| {
                *calls.borrow_mut() += 1;
                i % 2 == 0
            },
            &rng,
        )
        .unwrap();
        assert!(*calls.borrow() <= RANDOM_ATTEMPTS);
    }

    #[test]
    fn indices_are_not_sequential() {
        // The HAIP negative test: consecutive credentials must not get consecutive indices.
        let rng = DeterministicRandom::new(5);
        let taken = RefCell::new(Vec::new());
        for _ in 0..64 {
            let idx = random_free_index(1 << 20, |i| taken.borrow().contains(&i), &rng).unwrap();
            taken.borrow_mut().push(idx);
        }
        let sequential = taken
            .borrow()
            .windows(2)
            .filter(|w| w[1] == w[0] + 1)
            .count();
        assert!(sequential < 2, "{sequential} sequential pairs");
        let spread = taken.borrow().iter().max().unwrap() - taken.borrow().iter().min().unwrap();
        assert!(spread > 1 << 19);
    }
}
