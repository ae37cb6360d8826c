//! The SD-JWT conformance corpus in `testdata/sd-jwt-conformance` (see testdata/README.md):
//! every positive case verifies to exactly its `expected.json`, every negative case fails with
//! the specific error its defect calls for.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]

use std::path::PathBuf;

use idv_jose::JoseError;
use idv_jose::PublicKey;
use idv_proto::claims_path::{ClaimsPath, PathElement};
use idv_sdjwt::SdJwtError;
use idv_sdjwt::holder::HeldSdJwt;
use idv_sdjwt::key_binding::KeyBindingPolicy;
use idv_sdjwt::vc::VerifiedSdJwtVc;
use idv_sdjwt::verify::{UnverifiedSdJwt, VerifiedSdJwt, VerifyPolicy};
use serde_json::Value;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sd-jwt-conformance")
}

fn read(case: &str, file: &str) -> String {
    std::fs::read_to_string(corpus().join(case).join(file))
        .unwrap_or_else(|e| panic!("{case}/{file}: {e}"))
}

fn json(case: &str, file: &str) -> Value {
    serde_json::from_str(&read(case, file)).unwrap()
}

fn index(kind: &str) -> Vec<String> {
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(corpus().join("index.json")).unwrap())
            .unwrap();
    index[kind]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect()
}

/// Verifies `compact` under the case's policy; `with_kb` overrides the case's key binding.
fn verify(case: &Value, compact: &str, with_kb: bool) -> Result<VerifiedSdJwt, SdJwtError> {
    let key = PublicKey::from_jwk_value(&case["issuer_public_jwk"]).unwrap();
    let typ = [case["typ"].as_str().unwrap()];
    let key_binding = with_kb.then(|| KeyBindingPolicy {
        audience: case["aud"].as_str().unwrap(),
        nonce: case["nonce"].as_str().unwrap(),
        max_age: 300,
    });
    let policy = VerifyPolicy {
        typ: &typ,
        now: case["now"].as_i64().unwrap(),
        skew: 60,
        key_binding,
    };
    UnverifiedSdJwt::parse(compact)?.verify(&key, &policy)
}

fn claims_path(elements: &[PathElement]) -> ClaimsPath {
    ClaimsPath::new(elements.to_vec()).unwrap()
}

#[test]
fn every_positive_case_verifies_to_its_expected_payload() {
    let cases = index("positive");
    assert_eq!(cases.len(), 31);
    for name in cases {
        let case = json(&name, "case.json");
        let kb = case["key_binding"].as_bool().unwrap();
        let verified = verify(&case, &read(&name, "presentation.txt"), kb)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            Value::Object(verified.claims().clone()),
            json(&name, "expected.json"),
            "{name}"
        );
        if kb {
            let binding = verified.key_binding().expect("key binding verified");
            let holder = PublicKey::from_jwk_value(&case["holder_public_jwk"]).unwrap();
            assert_eq!(binding.holder_key, holder, "{name}");
        }
        if case["typ"] == "dc+sd-jwt" {
            VerifiedSdJwtVc::from_verified(verified)
                .unwrap_or_else(|e| panic!("{name} as SD-JWT VC: {e}"));
        }
    }
}

#[test]
fn every_issued_credential_is_accepted_and_represented_identically_by_the_holder() {
    for name in index("positive") {
        let case = json(&name, "case.json");
        let issued = read(&name, "issuance.txt");
        verify(&case, &issued, false).unwrap_or_else(|e| panic!("{name} issuance: {e}"));

        let key = PublicKey::from_jwk_value(&case["issuer_public_jwk"]).unwrap();
        let typ = [case["typ"].as_str().unwrap()];
        let now = case["now"].as_i64().unwrap();
        let held = HeldSdJwt::receive(&issued, &key, &typ, now)
            .unwrap_or_else(|e| panic!("{name} receive: {e}"));
        assert_eq!(held.issued(), issued, "{name}");

        // Presenting the claims the corpus presentation disclosed includes (at least) each of
        // its disclosures, and verifies.
        let presentation = read(&name, "presentation.txt");
        let presented: Vec<&str> = presentation.split('~').skip(1).collect();
        let issued_disclosures: Vec<&str> =
            issued.trim_end_matches('~').split('~').skip(1).collect();
        let paths: Vec<ClaimsPath> = issued_disclosures
            .iter()
            .zip(held.disclosable_paths())
            .filter(|(d, _)| presented.contains(d))
            .map(|(_, p)| claims_path(p))
            .collect();
        let ours = held.present(&paths).unwrap();
        for d in presented
            .iter()
            .filter(|d| !d.is_empty() && !d.contains('.'))
        {
            assert!(
                ours.contains(&format!("~{d}~")),
                "{name}: {d} not presented"
            );
        }
        verify(&case, &ours, false).unwrap_or_else(|e| panic!("{name}: {e}"));

        // Everything, and nothing.
        let all: Vec<ClaimsPath> = held
            .disclosable_paths()
            .iter()
            .map(|p| claims_path(p))
            .collect();
        let everything = verify(&case, &held.present(&all).unwrap(), false).unwrap();
        assert_eq!(everything.claims(), held.claims(), "{name}");
        let nothing = verify(&case, &held.present(&[]).unwrap(), false).unwrap();
        assert!(nothing.disclosed_paths().is_empty(), "{name}");
    }
}

#[test]
fn every_negative_case_fails_for_its_own_reason() {
    let cases = index("negative");
    assert_eq!(cases.len(), 19);
    for name in cases {
        let case = json(&name, "case.json");
        let kb = case["key_binding"].as_bool().unwrap();
        let err = verify(&case, &read(&name, "presentation.txt"), kb)
            .expect_err(&format!("{name} must fail: {}", case["must_fail_because"]));
        let expected = match name.trim_start_matches("negative/") {
            "duplicated_disclosure" => matches!(err, SdJwtError::DuplicateDisclosure { .. }),
            "issuance_missing_trailing_tilde" => matches!(err, SdJwtError::UnexpectedKeyBinding),
            "issuer_alg_none" => matches!(
                err,
                SdJwtError::IssuerJwt(JoseError::UnsupportedAlgorithm { ref alg }) if alg == "none"
            ),
            "issuer_expired" => matches!(err, SdJwtError::IssuerJwt(JoseError::Expired { .. })),
            "issuer_payload_modified" | "issuer_signed_by_other_key" => {
                matches!(err, SdJwtError::IssuerJwt(JoseError::BadSignature))
            }
            "issuer_repeated_digest" => matches!(err, SdJwtError::DuplicateDigest { .. }),
            "issuer_wrong_typ" => {
                matches!(err, SdJwtError::IssuerJwt(JoseError::UnexpectedType { .. }))
            }
            "kb_iat_far_past" => matches!(err, SdJwtError::KeyBindingJwt(JoseError::TooOld { .. })),
            "kb_iat_future" => {
                matches!(
                    err,
                    SdJwtError::KeyBindingJwt(JoseError::IssuedInFuture { .. })
                )
            }
            "kb_missing" => matches!(err, SdJwtError::KeyBindingMissing),
            "kb_sd_hash_mismatch" => matches!(err, SdJwtError::KeyBindingSdHash),
            "kb_signed_by_other_key" => {
                matches!(err, SdJwtError::KeyBindingJwt(JoseError::BadSignature))
            }
            "kb_wrong_aud" => matches!(err, SdJwtError::KeyBindingAudience),
            "kb_wrong_nonce" => matches!(err, SdJwtError::KeyBindingNonce),
            "kb_wrong_typ" => {
                matches!(
                    err,
                    SdJwtError::KeyBindingJwt(JoseError::UnexpectedType { .. })
                )
            }
            "modified_disclosure" | "unreferenced_disclosure" | "unreferenced_disclosure_no_kb" => {
                matches!(err, SdJwtError::UnreferencedDisclosure { .. })
            }
            other => panic!("no expectation for negative case {other}"),
        };
        assert!(expected, "{name}: wrong error {err:?}");
    }
}
