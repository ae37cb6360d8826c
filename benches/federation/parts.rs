//! Where the time of the RTW check goes beyond the SD-JWT VC verification: the parts of
//! phase one and phase two that have public entry points, measured alone.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{BatchSize, Criterion};
use idv_checks::verify::{Expected, verify_presentation};
use idv_dcql::check::PresentedCredential;
use idv_jose::{ManualClock, PublicKey};
use idv_proto::oid4vp::verifier_metadata::DC_SD_JWT_FORMAT;
use idv_sdjwt::verify::UnverifiedSdJwt;
use idv_status_list::Status;
use serde_json::Value;

use crate::fixtures::{CLIENT_ID, NONCE, NOW, STATUS_URI, World};

pub(crate) fn parts(c: &mut Criterion, world: &World) {
    let clock = ManualClock::new(NOW);
    let expected = Expected::new(CLIENT_ID, NONCE, NOW);
    let held_claims = world.held_claims.clone();
    let claims = Value::Object(held_claims.clone());
    let rtw = world.rtw();
    let vct = idv_checks::templates::IDENTITY_VCT;
    let response = BTreeMap::from([(
        rtw.credential_query_id().to_owned(),
        vec![PresentedCredential {
            format: DC_SD_JWT_FORMAT,
            vct,
            claims: &claims,
            holder_binding: true,
        }],
    )]);
    idv_dcql::check::check(rtw.dcql_query(), &response).unwrap();
    let cnf = held_claims["cnf"]["jwk"].clone();

    let mut group = c.benchmark_group("parts");
    group.bench_function("second_presentation_pass", |b| {
        b.iter(|| idv_checks::evidence::presentation_sha256(black_box(&world.vp_token)));
    });
    group.bench_function("sd_jwt_parse", |b| {
        b.iter(|| UnverifiedSdJwt::parse(black_box(&world.presentation)).unwrap());
    });
    group.bench_function("holder_key_from_cnf", |b| {
        b.iter(|| PublicKey::from_jwk_value(black_box(&cnf)).unwrap());
    });
    group.bench_function("dcql_check", |b| {
        b.iter(|| idv_dcql::check::check(rtw.dcql_query(), black_box(&response)).unwrap());
    });
    group.bench_function("conclude_with_cached_status", |b| {
        b.iter_batched(
            || {
                verify_presentation(rtw, &expected, &world.vp_token, &world.trust_list)
                    .map_err(|failure| failure.code())
                    .unwrap()
            },
            |verified| {
                let list = &world.status_cache[STATUS_URI];
                let statuses: Vec<_> = verified
                    .status_requests()
                    .iter()
                    .map(|request| {
                        let status = list.lookup(&request.reference, &clock).unwrap();
                        (request.reference.clone(), status)
                    })
                    .collect();
                assert_eq!(statuses[0].1, Status::Valid);
                verified.conclude(&statuses, NOW, Some(list.iat()))
            },
            BatchSize::SmallInput,
        );
    });
    group.bench_function("drop_processed_claims", |b| {
        b.iter_batched(|| held_claims.clone(), drop, BatchSize::SmallInput);
    });
    group.finish();
}
