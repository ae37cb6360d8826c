//! The trust list of 10,000 providers: verifying the signed list and building its indexes
//! (what a verifier does at each refresh), then one lookup (what each presentation does).

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use idv_proto::trust::entry::{LevelOfConfidence, SchemeCode};
use idv_trust::evaluate::{
    IssuanceWindow, IssuerQuery, TrustDecision, evaluate_issuer, find_issuer_key,
};
use idv_trust::list::verify_trust_list;

use crate::fixtures::{ISS, NOW, World, trust_list_policy};

/// What each presentation does with the list: finds our issuer's key by `kid` and evaluates
/// the issuer for a right-to-work credential issued an hour ago.
pub(crate) fn lookup_and_evaluate(world: &World, kid: &str) -> TrustDecision {
    let key = find_issuer_key(&world.trust_list, black_box(ISS), Some(kid)).unwrap();
    evaluate_issuer(
        &world.trust_list,
        &IssuerQuery {
            iss: ISS,
            issuer_key: key,
            vct: idv_checks::templates::IDENTITY_VCT,
            scheme: SchemeCode::Rtw,
            required_loc: LevelOfConfidence::Medium,
            now: NOW,
            issued: Some(IssuanceWindow::from_iat(NOW - 3600, NOW)),
        },
    )
    .unwrap()
}

pub(crate) fn trust_list(c: &mut Criterion, world: &World) {
    let policy = trust_list_policy();
    let kid = world.issuer.public_key().thumbprint();
    let lookup = || lookup_and_evaluate(world, &kid);
    lookup();

    let mut group = c.benchmark_group("trust_list");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("verify_and_index_10000", |b| {
        b.iter_with_large_drop(|| {
            verify_trust_list(
                black_box(&world.trust_list_jws),
                &world.anchors,
                NOW,
                &policy,
            )
            .unwrap()
        });
    });
    group.finish();

    let mut group = c.benchmark_group("trust_list");
    group.bench_function("lookup_issuer_key", |b| {
        b.iter(|| find_issuer_key(&world.trust_list, black_box(ISS), Some(&kid)).unwrap());
    });
    group.bench_function("lookup_and_evaluate_issuer", |b| b.iter(lookup));
    group.finish();
}
