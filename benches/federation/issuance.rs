//! Issuing: verifying the wallet's `openid4vci-proof+jwt` proofs, then signing one identity
//! SD-JWT VC per proven key, for one credential and for a batch of ten.

use std::hint::black_box;

use criterion::Criterion;
use idv_jose::SystemRandom;
use idv_profiles::issue_identity;
use idv_sdjwt::holder::HeldSdJwt;
use idv_sdjwt::vc;
use issuer::issuance::proof::{ProofPolicy, verify_proofs};

use crate::fixtures::{BATCH, ISS, NOW, World, envelope};

/// What the credential endpoint computes for a request (the database work around it is not
/// included): proof verification, then a credential per holder key (salts from the system
/// CSPRNG, digests, decoys, ES256 signature).
pub(crate) fn issue(world: &World, proofs: &[String]) -> Vec<String> {
    let policy = ProofPolicy {
        credential_issuer: ISS,
        now: NOW,
        max_age: 300,
        skew: 60,
        batch_size: BATCH,
    };
    verify_proofs(proofs, &policy)
        .unwrap()
        .iter()
        .map(|proof| {
            issue_identity(
                &world.person,
                &envelope(&proof.holder_key),
                &world.issuer,
                &SystemRandom,
            )
            .unwrap()
        })
        .collect()
}

pub(crate) fn issuance(c: &mut Criterion, world: &World) {
    let batch = issue(world, &world.proofs);
    assert_eq!(batch.len(), BATCH);
    for credential in &batch {
        HeldSdJwt::receive(
            credential,
            world.issuer.public_key(),
            vc::accepted_typ(false),
            NOW,
        )
        .unwrap();
    }

    let mut group = c.benchmark_group("issuance");
    group.bench_function("identity_1", |b| {
        b.iter(|| issue(world, black_box(&world.proofs[..1])));
    });
    group.bench_function("identity_batch_10", |b| {
        b.iter(|| issue(world, black_box(&world.proofs)));
    });
    group.finish();
}
