//! Verifying presentations: our full in-process check of the right-to-work presentation (and
//! its parts, to show where the time goes), and our SD-JWT VC verification against
//! sd-jwt-rs 0.7.1 on the corpus case `sd-jwt-vc-examples/01`.

use std::hint::black_box;

use criterion::{BatchSize, Criterion};
use idv_checks::verify::{Expected, VerifiedPresentation, verify_presentation};
use idv_checks::{CheckOutcome, OutcomeState};
use idv_jose::{ManualClock, PublicKey};
use idv_sdjwt::SdJwtError;
use idv_sdjwt::key_binding::KeyBindingPolicy;
use idv_sdjwt::vc::{self, VerifiedSdJwtVc};
use idv_sdjwt::verify::{DEFAULT_KB_MAX_AGE, DEFAULT_SKEW, UnverifiedSdJwt, VerifyPolicy};
use serde_json::Value;

use crate::fixtures::{CLIENT_ID, CorpusCase, ISS, NONCE, NOW, World};

/// The right-to-work presentation: the whole check, phase one alone, and the SD-JWT VC
/// verification alone (issuer key already resolved).
pub(crate) fn rtw(c: &mut Criterion, world: &World) {
    let clock = ManualClock::new(NOW);
    let outcome = world.check(&world.vp_token, &clock);
    // Verified and eligible: the employer's photo match is a human step outside the check.
    assert_eq!(
        outcome.state,
        OutcomeState::AwaitingConfirmation,
        "{outcome:?}"
    );
    assert_eq!(outcome.claims["given_name"], "Ada");
    let rtw = Rtw::new(world);

    let mut group = c.benchmark_group("verify");
    group.bench_function("rtw_check", |b| b.iter(|| rtw.check()));
    group.bench_function("rtw_phase_one", |b| b.iter(|| rtw.phase_one()));
    group.bench_function("rtw_sd_jwt_vc", |b| b.iter(|| rtw.sd_jwt_vc()));
    group.finish();
}

/// The right-to-work presentation's functions under measurement.
pub(crate) struct Rtw<'w> {
    world: &'w World,
    clock: ManualClock,
    expected: Expected<'static>,
    issuer_key: &'w PublicKey,
    policy: VerifyPolicy<'static>,
}

impl<'w> Rtw<'w> {
    pub(crate) fn new(world: &'w World) -> Self {
        let issuer_key = idv_trust::evaluate::find_issuer_key(
            &world.trust_list,
            ISS,
            Some(&world.issuer.public_key().thumbprint()),
        )
        .unwrap();
        Self {
            world,
            clock: ManualClock::new(NOW),
            expected: Expected::new(CLIENT_ID, NONCE, NOW),
            issuer_key,
            policy: VerifyPolicy {
                typ: vc::accepted_typ(false),
                now: NOW,
                skew: DEFAULT_SKEW,
                key_binding: Some(KeyBindingPolicy {
                    audience: CLIENT_ID,
                    nonce: NONCE,
                    max_age: DEFAULT_KB_MAX_AGE,
                }),
            },
        }
    }

    pub(crate) fn check(&self) -> CheckOutcome {
        self.world
            .check(black_box(&self.world.vp_token), &self.clock)
    }

    pub(crate) fn phase_one(&self) -> VerifiedPresentation {
        verify_presentation(
            self.world.rtw(),
            &self.expected,
            black_box(&self.world.vp_token),
            &self.world.trust_list,
        )
        .map_err(|failure| failure.code())
        .unwrap()
    }

    pub(crate) fn sd_jwt_vc(&self) -> VerifiedSdJwtVc {
        verify_sd_jwt_vc(
            black_box(&self.world.presentation),
            self.issuer_key,
            &self.policy,
        )
    }
}

fn verify_sd_jwt_vc(
    presentation: &str,
    issuer_key: &PublicKey,
    policy: &VerifyPolicy<'_>,
) -> VerifiedSdJwtVc {
    UnverifiedSdJwt::parse(presentation)
        .and_then(|unverified| unverified.verify(issuer_key, policy))
        .and_then(VerifiedSdJwtVc::from_verified)
        .unwrap()
}

/// `sd-jwt-vc-examples/01` (two disclosures, key binding): idv-sdjwt with every RFC 9901 and
/// SD-JWT VC check, and sd-jwt-rs 0.7.1's verifier, on the same bytes.
pub(crate) fn corpus(c: &mut Criterion, case: &CorpusCase) {
    let corpus = Corpus::new(case);
    assert_eq!(
        Value::Object(corpus.ours().sd_jwt().claims().clone()),
        case.expected
    );
    assert_eq!(corpus.theirs(case.presentation.clone()), case.expected);

    let mut group = c.benchmark_group("corpus01");
    group.bench_function("idv_sdjwt", |b| b.iter(|| corpus.ours()));
    group.bench_function("sd_jwt_rs", |b| {
        b.iter_batched(
            || case.presentation.clone(),
            |presentation| corpus.theirs(presentation),
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

/// The corpus case's verifiers.
pub(crate) struct Corpus<'c> {
    case: &'c CorpusCase,
    pub(crate) issuer_key: PublicKey,
    typ: [&'c str; 1],
    decoding_key: jsonwebtoken::DecodingKey,
}

impl<'c> Corpus<'c> {
    pub(crate) fn new(case: &'c CorpusCase) -> Self {
        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(case.case["issuer_public_jwk"].clone()).unwrap();
        Self {
            case,
            // Ours: the issuer key parsed once, as the trust list holds it.
            issuer_key: PublicKey::from_jwk_value(&case.case["issuer_public_jwk"]).unwrap(),
            typ: [case.str("typ")],
            // sd-jwt-rs: its key resolver hands out a prepared key (jsonwebtoken keeps the
            // point bytes; ring parses them in each verification).
            decoding_key: jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap(),
        }
    }

    /// Whether the case requires key binding (all but two negative cases do).
    fn key_binding(&self) -> bool {
        self.case.case["key_binding"].as_bool().unwrap()
    }

    pub(crate) fn ours(&self) -> VerifiedSdJwtVc {
        self.try_ours(black_box(&self.case.presentation)).unwrap()
    }

    fn try_ours(&self, presentation: &str) -> Result<VerifiedSdJwtVc, SdJwtError> {
        let policy = VerifyPolicy {
            typ: &self.typ,
            now: self.case.case["now"].as_i64().unwrap(),
            skew: DEFAULT_SKEW,
            key_binding: self.key_binding().then(|| KeyBindingPolicy {
                audience: self.case.str("aud"),
                nonce: self.case.str("nonce"),
                max_age: DEFAULT_KB_MAX_AGE,
            }),
        };
        UnverifiedSdJwt::parse(presentation)
            .and_then(|unverified| unverified.verify(&self.issuer_key, &policy))
            .and_then(VerifiedSdJwtVc::from_verified)
    }

    pub(crate) fn theirs(&self, presentation: String) -> Value {
        self.try_theirs(presentation).unwrap()
    }

    fn try_theirs(&self, presentation: String) -> Result<Value, sd_jwt_rs::error::Error> {
        let key = self.decoding_key.clone();
        sd_jwt_rs::SDJWTVerifier::new(
            black_box(presentation),
            Box::new(move |_, _| key.clone()),
            self.key_binding().then(|| self.case.str("aud").to_owned()),
            self.key_binding()
                .then(|| self.case.str("nonce").to_owned()),
            sd_jwt_rs::SDJWTSerializationFormat::Compact,
        )
        .map(|verifier| verifier.verified_claims)
    }
}

/// Both verifiers on the corpus's single-defect variants of `sd-jwt-vc-examples/01`, each of
/// which RFC 9901 or SD-JWT VC requires a verifier to reject: ours must reject them all; the
/// cases sd-jwt-rs accepts (or panics on) are printed, as the checks its figure leaves out.
pub(crate) fn negative_corpus() {
    let index: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::fixtures::corpus_dir().join("index.json")).unwrap(),
    )
    .unwrap();
    let names: Vec<&str> = index["negative"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap())
        .collect();
    let (mut accepted, mut panicked) = (Vec::new(), Vec::new());
    for name in &names {
        let case = CorpusCase::load(name);
        let corpus = Corpus::new(&case);
        assert!(
            corpus.try_ours(&case.presentation).is_err(),
            "idv-sdjwt accepted {name}"
        );
        // sd-jwt-rs may panic on hostile input: silenced, caught and counted.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let theirs = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            corpus.try_theirs(case.presentation.clone()).is_ok()
        }));
        std::panic::set_hook(hook);
        match theirs {
            Ok(true) => accepted.push(*name),
            Ok(false) => {}
            Err(_) => panicked.push(*name),
        }
    }
    eprintln!(
        "Negative corpus cases: idv-sdjwt rejects all {}; sd-jwt-rs 0.7.1 accepts {} {accepted:?} \
         and panics on {} {panicked:?}",
        names.len(),
        accepted.len(),
        panicked.len(),
    );
}
