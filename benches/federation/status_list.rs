//! The status list of 1,000,000 entries: verifying the signed token and inflating the list
//! (once per `ttl`, then cached), and one lookup in the cached list (each presentation).

use std::hint::black_box;

use criterion::Criterion;
use idv_jose::ManualClock;
use idv_jose::jws::UnverifiedJws;
use idv_proto::status_list::StatusListTokenClaims;
use idv_status_list::verify::verify_status_list_token;
use idv_status_list::{Status, StatusBits, StatusListBuf, StatusPolicy};

use crate::fixtures::{NOW, STATUS_LIST_ENTRIES, STATUS_URI, World};

pub(crate) fn status_list(c: &mut Criterion, world: &World) {
    let clock = ManualClock::new(NOW);
    let policy = StatusPolicy::default();
    let key = world.issuer.public_key();
    let cached = &world.status_cache[STATUS_URI];
    assert_eq!(cached.list().len(), STATUS_LIST_ENTRIES);
    assert_eq!(
        cached.lookup(&world.status_reference, &clock).unwrap(),
        Status::Valid
    );
    let claims: StatusListTokenClaims = UnverifiedJws::parse(&world.status_token)
        .unwrap()
        .insecure_claims()
        .unwrap();
    let lst = claims.status_list.lst;

    let mut group = c.benchmark_group("status_list");
    group.sample_size(20);
    group.bench_function("verify_and_inflate_1000000", |b| {
        b.iter_with_large_drop(|| {
            verify_status_list_token(
                &world.status_reference,
                black_box(&world.status_token),
                key,
                &clock,
                &policy,
            )
            .unwrap()
        });
    });
    group.bench_function("inflate_1000000", |b| {
        b.iter_with_large_drop(|| {
            StatusListBuf::decode(
                StatusBits::Two,
                black_box(&lst),
                StatusPolicy::DEFAULT_MAX_DECOMPRESSED_BYTES,
            )
            .unwrap()
        });
    });
    group.finish();

    let mut group = c.benchmark_group("status_list");
    group.bench_function("cached_lookup", |b| {
        b.iter(|| {
            cached
                .lookup(black_box(&world.status_reference), &clock)
                .unwrap()
        });
    });
    group.finish();
}
