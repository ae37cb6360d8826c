//! Issuer to relying party, through the public API only.

use std::collections::BTreeSet;

use idv_jose::random::DeterministicRandom;
use idv_jose::{ManualClock, SigningKey};
use idv_proto::sd_jwt_vc::status::StatusListReference;
use idv_status_list::allocate::random_free_index;
use idv_status_list::token::{issue_token, token_claims};
use idv_status_list::verify::verify_status_list_token;
use idv_status_list::{Status, StatusBits, StatusListBuf, StatusPolicy};

const URI: &str = "https://issuer.example/status/3";
const NOW: i64 = 1_767_225_600;

#[test]
fn issuer_revokes_one_credential_and_the_relying_party_sees_only_that_one() {
    let rng = DeterministicRandom::new(42);
    let key = SigningKey::generate().unwrap();
    let mut list = StatusListBuf::new(StatusBits::Two, 1 << 17).unwrap();
    let mut taken = BTreeSet::new();
    let credentials: Vec<StatusListReference> = (0..200)
        .map(|_| {
            let idx = random_free_index(list.len(), |i| taken.contains(&i), &rng).unwrap();
            taken.insert(idx);
            StatusListReference {
                idx,
                uri: URI.into(),
            }
        })
        .collect();
    list.set(credentials[7].idx, Status::Invalid).unwrap();
    list.set(credentials[8].idx, Status::Suspended).unwrap();

    let claims = token_claims(URI, NOW, Some(NOW + 86_400), Some(3600), &list);
    let token = issue_token(&claims, &key, None, None).unwrap();

    let clock = ManualClock::new(NOW + 5);
    let policy = StatusPolicy::default();
    let verified =
        verify_status_list_token(&credentials[0], &token, key.public_key(), &clock, &policy)
            .unwrap();
    for (n, credential) in credentials.iter().enumerate() {
        let expected = match n {
            7 => Status::Invalid,
            8 => Status::Suspended,
            _ => Status::Valid,
        };
        assert_eq!(verified.lookup(credential, &clock), Ok(expected));
    }
    assert_eq!(verified.fresh_until(), NOW + 5 + 3600);
}

/// A sanity bound, not a benchmark: decoding and verifying a 1,000,000-entry list and looking up
/// 100,000 indices must stay far from human-noticeable even in an unoptimised test build.
#[test]
fn million_entry_list_round_trips_through_a_signed_token() {
    let key = SigningKey::generate().unwrap();
    let mut list = StatusListBuf::new(StatusBits::One, 1_000_000).unwrap();
    for idx in (0..1_000_000).step_by(97) {
        list.set(idx, Status::Invalid).unwrap();
    }
    let token = issue_token(
        &token_claims(URI, NOW, Some(NOW + 86_400), Some(3600), &list),
        &key,
        None,
        None,
    )
    .unwrap();
    let clock = ManualClock::new(NOW);
    let reference = StatusListReference {
        idx: 0,
        uri: URI.into(),
    };

    let verified = verify_status_list_token(
        &reference,
        &token,
        key.public_key(),
        &clock,
        &StatusPolicy::default(),
    )
    .unwrap();

    let revoked = (0..100_000u64)
        .map(|i| i * 10)
        .filter(|&idx| !verified.status(idx).unwrap().is_valid())
        .count();

    assert_eq!(
        revoked,
        (0..100_000u64).filter(|i| (i * 10) % 97 == 0).count()
    );
}
