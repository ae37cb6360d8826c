//! Every figure once more as a paired ratio to the bound (see [`crate::paired`]): criterion's
//! medians come from separate time windows, and on a shared 2-core machine the load changes
//! between windows by more than the ratios being measured. Here each figure runs in
//! alternation with the bound, and the ratio is taken within each round.

use std::collections::BTreeMap;
use std::hint::black_box;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey, UnparsedPublicKey};
use idv_jose::ManualClock;
use idv_jose::jws::UnverifiedJws;
use idv_proto::status_list::StatusListTokenClaims;
use idv_sdjwt::verify::UnverifiedSdJwt;
use idv_status_list::{StatusBits, StatusListBuf, StatusPolicy};
use idv_trust::evaluate::find_issuer_key;

use crate::bound::{AwsLcRs, Ring, minimum_work};
use crate::fixtures::{CorpusCase, ISS, NOW, STATUS_URI, World, trust_list_policy};
use crate::paired;
use crate::presentation::{Corpus, Rtw};
use crate::trust_list::lookup_and_evaluate;

/// Which bound a figure is divided by.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    Rtw,
    Corpus,
}

/// A figure's id, its bound, and the function measured.
pub(crate) type Figure<'a> = (&'static str, Bound, Box<dyn Fn() + 'a>);

/// Paired ratios by figure id: to the RTW bound, and for the corpus figures to the corpus bound.
pub(crate) struct PairedRatios {
    pub(crate) to_rtw: BTreeMap<&'static str, f64>,
    pub(crate) to_corpus: BTreeMap<&'static str, f64>,
    /// idv-sdjwt ÷ sd-jwt-rs on the corpus case, paired head to head.
    pub(crate) ours_to_theirs: Option<f64>,
}

/// What the figures need, prepared once as for criterion.
pub(crate) struct Prepared<'w> {
    world: &'w World,
    case: &'w CorpusCase,
    rtw_bounds: (AwsLcRs, Ring),
    corpus: Corpus<'w>,
    corpus_bounds: (AwsLcRs, Ring),
    signing_input: &'w [u8],
    signature: Vec<u8>,
    point: Vec<u8>,
    parsed: ParsedPublicKey,
    rtw: Rtw<'w>,
    cnf: serde_json::Value,
    kid: String,
    policy: idv_trust::list::ListPolicy,
    clock: ManualClock,
    status_policy: StatusPolicy,
    lst: String,
}

impl<'w> Prepared<'w> {
    pub(crate) fn new(world: &'w World, case: &'w CorpusCase) -> Self {
        let issuer_point = world.issuer.public_key().sec1();
        let corpus = Corpus::new(case);
        let corpus_point = corpus.issuer_key.sec1().to_vec();
        let issuer_jwt = world.presentation.split('~').next().unwrap();
        let (header_payload, signature) = issuer_jwt.rsplit_once('.').unwrap();
        let claims: StatusListTokenClaims = UnverifiedJws::parse(&world.status_token)
            .unwrap()
            .insecure_claims()
            .unwrap();
        Self {
            world,
            case,
            rtw_bounds: (AwsLcRs::new(issuer_point), Ring::new(issuer_point)),
            corpus_bounds: (AwsLcRs::new(&corpus_point), Ring::new(&corpus_point)),
            corpus,
            signing_input: header_payload.as_bytes(),
            signature: idv_jose::base64url::decode(signature).unwrap(),
            point: issuer_point.to_vec(),
            parsed: ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, issuer_point).unwrap(),
            rtw: Rtw::new(world),
            cnf: world.held_claims["cnf"]["jwk"].clone(),
            kid: world.issuer.public_key().thumbprint(),
            policy: trust_list_policy(),
            clock: ManualClock::new(NOW),
            status_policy: StatusPolicy::default(),
            lst: claims.status_list.lst,
        }
    }

    fn rtw_bound_aws(&self) {
        black_box(minimum_work(
            black_box(&self.world.presentation),
            &self.rtw_bounds.0,
        ));
    }

    fn rtw_bound_ring(&self) {
        black_box(minimum_work(
            black_box(&self.world.presentation),
            &self.rtw_bounds.1,
        ));
    }

    fn corpus_bound_aws(&self) {
        black_box(minimum_work(
            black_box(&self.case.presentation),
            &self.corpus_bounds.0,
        ));
    }

    fn corpus_bound_ring(&self) {
        black_box(minimum_work(
            black_box(&self.case.presentation),
            &self.corpus_bounds.1,
        ));
    }

    fn lookup(&self) {
        black_box(lookup_and_evaluate(self.world, &self.kid));
    }

    /// Every figure with its bound and the function measured.
    pub(crate) fn figures(&self) -> Vec<Figure<'_>> {
        let world = self.world;
        let (signing_input, signature, point) = (self.signing_input, &self.signature, &self.point);
        let (rtw, corpus, case) = (&self.rtw, &self.corpus, self.case);
        vec![
            (
                "es256/aws_lc_rs_parsed_key",
                Bound::Rtw,
                Box::new(move || {
                    self.parsed
                        .verify_sig(black_box(signing_input), signature)
                        .unwrap();
                }),
            ),
            (
                "es256/aws_lc_rs_with_key_parse",
                Bound::Rtw,
                Box::new(move || {
                    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, black_box(&point))
                        .verify(signing_input, signature)
                        .unwrap();
                }),
            ),
            (
                "es256/ring_with_key_parse",
                Bound::Rtw,
                Box::new(move || {
                    ring::signature::UnparsedPublicKey::new(
                        &ring::signature::ECDSA_P256_SHA256_FIXED,
                        black_box(&point),
                    )
                    .verify(signing_input, signature)
                    .unwrap();
                }),
            ),
            (
                "es256/idv_jose",
                Bound::Rtw,
                Box::new(move || {
                    world
                        .issuer
                        .public_key()
                        .verify(black_box(signing_input), signature)
                        .unwrap();
                }),
            ),
            (
                "es256/aws_lc_rs_sec1_parse",
                Bound::Rtw,
                Box::new(move || {
                    black_box(
                        ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, black_box(&point)).unwrap(),
                    );
                }),
            ),
            (
                "bound/rtw_aws_lc_rs",
                Bound::Rtw,
                Box::new(move || self.rtw_bound_aws()),
            ),
            (
                "bound/rtw_ring",
                Bound::Rtw,
                Box::new(move || self.rtw_bound_ring()),
            ),
            (
                "verify/rtw_check",
                Bound::Rtw,
                Box::new(move || {
                    black_box(rtw.check());
                }),
            ),
            (
                "verify/rtw_phase_one",
                Bound::Rtw,
                Box::new(move || {
                    black_box(rtw.phase_one());
                }),
            ),
            (
                "verify/rtw_sd_jwt_vc",
                Bound::Rtw,
                Box::new(move || {
                    black_box(rtw.sd_jwt_vc());
                }),
            ),
            (
                "parts/second_presentation_pass",
                Bound::Rtw,
                Box::new(move || {
                    black_box(idv_checks::evidence::presentation_sha256(black_box(
                        &world.vp_token,
                    )));
                }),
            ),
            (
                "parts/sd_jwt_parse",
                Bound::Rtw,
                Box::new(move || {
                    black_box(UnverifiedSdJwt::parse(black_box(&world.presentation)).unwrap());
                }),
            ),
            (
                "parts/holder_key_from_cnf",
                Bound::Rtw,
                Box::new(move || {
                    black_box(idv_jose::PublicKey::from_jwk_value(black_box(&self.cnf)).unwrap());
                }),
            ),
            (
                "bound/corpus01_aws_lc_rs",
                Bound::Corpus,
                Box::new(move || self.corpus_bound_aws()),
            ),
            (
                "bound/corpus01_ring",
                Bound::Corpus,
                Box::new(move || self.corpus_bound_ring()),
            ),
            (
                "corpus01/idv_sdjwt",
                Bound::Corpus,
                Box::new(move || {
                    black_box(corpus.ours());
                }),
            ),
            (
                "corpus01/sd_jwt_rs",
                Bound::Corpus,
                Box::new(move || {
                    black_box(corpus.theirs(case.presentation.clone()));
                }),
            ),
            (
                "issuance/identity_1",
                Bound::Rtw,
                Box::new(move || {
                    black_box(crate::issuance::issue(world, &world.proofs[..1]));
                }),
            ),
            (
                "issuance/identity_batch_10",
                Bound::Rtw,
                Box::new(move || {
                    black_box(crate::issuance::issue(world, &world.proofs));
                }),
            ),
            (
                "trust_list/verify_and_index_10000",
                Bound::Rtw,
                Box::new(move || {
                    black_box(
                        idv_trust::list::verify_trust_list(
                            black_box(&world.trust_list_jws),
                            &world.anchors,
                            NOW,
                            &self.policy,
                        )
                        .unwrap(),
                    );
                }),
            ),
            (
                "trust_list/lookup_issuer_key",
                Bound::Rtw,
                Box::new(move || {
                    black_box(
                        find_issuer_key(&world.trust_list, black_box(ISS), Some(&self.kid))
                            .unwrap(),
                    );
                }),
            ),
            (
                "trust_list/lookup_and_evaluate_issuer",
                Bound::Rtw,
                Box::new(move || self.lookup()),
            ),
            (
                "status_list/verify_and_inflate_1000000",
                Bound::Rtw,
                Box::new(move || {
                    black_box(
                        idv_status_list::verify::verify_status_list_token(
                            &world.status_reference,
                            black_box(&world.status_token),
                            world.issuer.public_key(),
                            &self.clock,
                            &self.status_policy,
                        )
                        .unwrap(),
                    );
                }),
            ),
            (
                "status_list/inflate_1000000",
                Bound::Rtw,
                Box::new(move || {
                    black_box(
                        StatusListBuf::decode(
                            StatusBits::Two,
                            black_box(&self.lst),
                            StatusPolicy::DEFAULT_MAX_DECOMPRESSED_BYTES,
                        )
                        .unwrap(),
                    );
                }),
            ),
            (
                "status_list/cached_lookup",
                Bound::Rtw,
                Box::new(move || {
                    black_box(
                        world.status_cache[STATUS_URI]
                            .lookup(black_box(&world.status_reference), &self.clock)
                            .unwrap(),
                    );
                }),
            ),
        ]
    }
}

/// Measures the paired ratio of every figure `wanted` says criterion measured in this run.
pub(crate) fn measure(
    world: &World,
    case: &CorpusCase,
    wanted: &dyn Fn(&str) -> bool,
) -> PairedRatios {
    let prepared = Prepared::new(world, case);
    let figures = prepared.figures();
    let (corpus, rtw_bound_aws, rtw_bound_ring, corpus_bound_aws, corpus_bound_ring) = (
        &prepared.corpus,
        || prepared.rtw_bound_aws(),
        || prepared.rtw_bound_ring(),
        || prepared.corpus_bound_aws(),
        || prepared.corpus_bound_ring(),
    );
    let mut ratios = PairedRatios {
        to_rtw: BTreeMap::new(),
        to_corpus: BTreeMap::new(),
        ours_to_theirs: None,
    };
    let rtw_reference: [&dyn Fn(); 2] = [&rtw_bound_aws, &rtw_bound_ring];
    let corpus_reference: [&dyn Fn(); 2] = [&corpus_bound_aws, &corpus_bound_ring];
    for (id, bound, run) in &figures {
        if !wanted(id) {
            continue;
        }
        let (_, to_rtw) = paired::to_bound(&rtw_reference, run.as_ref());
        ratios.to_rtw.insert(id, to_rtw);
        if *bound == Bound::Corpus {
            let (_, to_corpus) = paired::to_bound(&corpus_reference, run.as_ref());
            ratios.to_corpus.insert(id, to_corpus);
        }
    }
    if wanted("corpus01/idv_sdjwt") && wanted("corpus01/sd_jwt_rs") {
        let theirs = || {
            black_box(corpus.theirs(case.presentation.clone()));
        };
        let ours = || {
            black_box(corpus.ours());
        };
        ratios.ours_to_theirs = Some(paired::to_bound(&[&theirs], &ours).1);
    }
    ratios
}
