//! Our own issue → present → verify round trips, and the RFC 9901 §7 rejections the corpus
//! does not cover, built by hand.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]

use idv_jose::jws::{self, Header};
use idv_jose::random::DeterministicRandom;
use idv_jose::{JoseError, SigningKey};
use idv_proto::claims_path::{ClaimsPath, PathElement};
use idv_sdjwt::SdJwtError;
use idv_sdjwt::disclosure::Disclosure;
use idv_sdjwt::holder::HeldSdJwt;
use idv_sdjwt::issue::SdJwtIssuer;
use idv_sdjwt::key_binding::KeyBindingPolicy;
use idv_sdjwt::vc::{self, VerifiedSdJwtVc};
use idv_sdjwt::verify::{UnverifiedSdJwt, VerifiedSdJwt, VerifyPolicy};
use serde_json::{Map, Value, json};

const NOW: i64 = 1_800_000_000;
const AUD: &str = "verifier_attestation:employer.example";
const NONCE: &str = "n-0S6_WzA2Mj";

fn path(keys: &[&str]) -> ClaimsPath {
    ClaimsPath::from_keys(keys.iter().copied()).unwrap()
}

fn object(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

struct Fixture {
    issuer: SigningKey,
    holder: SigningKey,
    rng: DeterministicRandom,
}

impl Fixture {
    fn new() -> Self {
        Self {
            issuer: SigningKey::generate().unwrap(),
            holder: SigningKey::generate().unwrap(),
            rng: DeterministicRandom::new(7),
        }
    }

    fn identity_claims(&self) -> Map<String, Value> {
        object(json!({
            "iss": "https://idsp.example",
            "iat": NOW - 10,
            "exp": NOW + 3600,
            "vct": "https://trust.example/vct/identity/1",
            "cnf": vc::cnf(self.holder.public_key()),
            "given_name": "Ada",
            "family_name": "Lovelace",
            "birthdate": "1990-12-10",
            "nationalities": ["GB", "IE"],
            "address": {"street_address": "1 Main St", "locality": "London", "country": "GB"}
        }))
    }

    fn issue_identity(&self) -> String {
        let conceal = [
            path(&["given_name"]),
            path(&["family_name"]),
            path(&["birthdate"]),
            ClaimsPath::new(vec![
                PathElement::Key("nationalities".into()),
                PathElement::AllElements,
            ])
            .unwrap(),
            path(&["address"]),
            path(&["address", "street_address"]),
            path(&["address", "locality"]),
        ];
        vc::issue(&self.issuer, &self.rng, self.identity_claims(), &conceal).unwrap()
    }

    fn verify(&self, compact: &str, kb: bool) -> Result<VerifiedSdJwt, SdJwtError> {
        let policy = VerifyPolicy {
            typ: vc::accepted_typ(false),
            now: NOW,
            skew: 60,
            key_binding: kb.then_some(KeyBindingPolicy {
                audience: AUD,
                nonce: NONCE,
                max_age: 300,
            }),
        };
        UnverifiedSdJwt::parse(compact)?.verify(self.issuer.public_key(), &policy)
    }

    fn held(&self, issued: &str) -> HeldSdJwt {
        HeldSdJwt::receive(
            issued,
            self.issuer.public_key(),
            vc::accepted_typ(false),
            NOW,
        )
        .unwrap()
    }

    /// Signs an arbitrary payload as an SD-JWT VC issuer JWT and appends `disclosures`.
    fn raw(&self, header: Header, payload: Value, disclosures: &[&Disclosure]) -> String {
        let mut out = jws::sign_claims(&header, &payload, &self.issuer).unwrap();
        out.push('~');
        for d in disclosures {
            out.push_str(d.encoded());
            out.push('~');
        }
        out
    }
}

fn base_payload(sd: Vec<&str>) -> Value {
    json!({"iss": "https://idsp.example", "vct": "urn:test", "_sd": sd, "_sd_alg": "sha-256"})
}

#[test]
fn issue_present_verify_round_trip_with_key_binding() {
    let f = Fixture::new();
    let held = f.held(&f.issue_identity());
    assert_eq!(held.claims(), &f.identity_claims());

    let presentation = held
        .present_bound(
            &[path(&["given_name"]), path(&["address", "locality"])],
            &f.holder,
            AUD,
            NONCE,
            NOW,
        )
        .unwrap();
    let verified = VerifiedSdJwtVc::from_verified(f.verify(&presentation, true).unwrap()).unwrap();
    let claims = verified.sd_jwt().claims();
    assert_eq!(claims["given_name"], "Ada");
    assert_eq!(
        claims["address"],
        json!({"locality": "London", "country": "GB"})
    );
    for absent in ["family_name", "birthdate"] {
        assert!(!claims.contains_key(absent), "{absent} leaked");
    }
    // The array itself is plain; its concealed elements are dropped (RFC 9901 §7.1 step 3.4).
    assert_eq!(claims["nationalities"], json!([]));
    assert_eq!(verified.vct(), "https://trust.example/vct/identity/1");
    assert_eq!(
        verified.sd_jwt().key_binding().unwrap().holder_key,
        *f.holder.public_key()
    );
    // The digest of the whole presentation comes out of the `sd_hash` pass.
    assert_eq!(
        verified.sd_jwt().presentation_sha256(),
        Some(idv_jose::digest::sha256(presentation.as_bytes()))
    );
    let issued = held.present(&[path(&["given_name"])]).unwrap();
    assert_eq!(
        f.verify(&issued, false).unwrap().presentation_sha256(),
        None
    );
}

#[test]
fn presenting_one_array_element_discloses_only_that_element() {
    let f = Fixture::new();
    let held = f.held(&f.issue_identity());
    let second = ClaimsPath::new(vec![
        PathElement::Key("nationalities".into()),
        PathElement::Index(1),
    ])
    .unwrap();
    let verified = f.verify(&held.present(&[second]).unwrap(), false).unwrap();
    assert_eq!(verified.claims()["nationalities"], json!(["IE"]));
}

#[test]
fn presenting_a_container_discloses_its_concealed_children() {
    let f = Fixture::new();
    let held = f.held(&f.issue_identity());
    let verified = f
        .verify(&held.present(&[path(&["address"])]).unwrap(), false)
        .unwrap();
    assert_eq!(verified.claims()["address"], f.identity_claims()["address"]);
}

#[test]
fn every_concealed_object_carries_decoys_and_no_plain_personal_data() {
    let f = Fixture::new();
    let issued = f.issue_identity();
    let payload: Value = UnverifiedSdJwt::parse(&issued)
        .unwrap()
        .insecure_claims()
        .clone()
        .into();
    let disclosures = issued.trim_end_matches('~').split('~').count() - 1;
    let top = payload["_sd"].as_array().unwrap().len();
    assert!(top > 4, "top-level _sd has decoys: {top}");
    assert!(disclosures >= 7);
    let text = payload.to_string();
    for secret in ["Ada", "Lovelace", "1990-12-10", "London"] {
        assert!(!text.contains(secret), "{secret} in plain text");
    }
}

#[test]
fn presenting_with_a_key_other_than_cnf_is_refused() {
    let f = Fixture::new();
    let held = f.held(&f.issue_identity());
    let stranger = SigningKey::generate().unwrap();
    let err = held
        .present_bound(&[path(&["given_name"])], &stranger, AUD, NONCE, NOW)
        .unwrap_err();
    assert!(matches!(err, SdJwtError::HolderKey(_)));
}

#[test]
fn presenting_an_unknown_claim_is_an_error() {
    let f = Fixture::new();
    let held = f.held(&f.issue_identity());
    assert!(matches!(
        held.present(&[path(&["shoe_size"])]),
        Err(SdJwtError::UnknownPath { .. })
    ));
}

#[test]
fn concealing_a_path_that_does_not_exist_is_an_error() {
    let f = Fixture::new();
    let err = vc::issue(
        &f.issuer,
        &f.rng,
        f.identity_claims(),
        &[path(&["given_nmae"])],
    );
    assert!(matches!(err, Err(SdJwtError::UnknownPath { .. })));
}

#[test]
fn sd_jwt_vc_protected_claims_cannot_be_concealed() {
    let f = Fixture::new();
    for claim in ["iss", "exp", "cnf", "vct", "status"] {
        let mut claims = f.identity_claims();
        claims.insert(
            "status".into(),
            json!({"status_list": {"idx": 1, "uri": "https://x"}}),
        );
        let err = vc::issue(&f.issuer, &f.rng, claims, &[path(&[claim])]).unwrap_err();
        assert!(
            matches!(err, SdJwtError::ClaimMustBePlain { .. }),
            "{claim}"
        );
    }
}

#[test]
fn sd_jwt_vc_with_a_disclosed_protected_claim_is_rejected() {
    let f = Fixture::new();
    let exp = Disclosure::property("c2FsdA", "exp", json!(NOW + 10));
    let compact = f.raw(
        Header::es256(vc::TYP),
        base_payload(vec![exp.digest()]),
        &[&exp],
    );
    let verified = f.verify(&compact, false).unwrap();
    assert!(matches!(
        VerifiedSdJwtVc::from_verified(verified),
        Err(SdJwtError::ClaimMustBePlain { claim }) if claim == "exp"
    ));
}

#[test]
fn sd_jwt_vc_without_vct_is_rejected() {
    let f = Fixture::new();
    let compact = f.raw(
        Header::es256(vc::TYP),
        json!({"iss": "https://idsp.example"}),
        &[],
    );
    let verified = f.verify(&compact, false).unwrap();
    assert!(matches!(
        VerifiedSdJwtVc::from_verified(verified),
        Err(SdJwtError::MissingClaim { claim: "vct" })
    ));
}

#[test]
fn legacy_typ_is_accepted_only_when_allowed() {
    let f = Fixture::new();
    let compact = f.raw(Header::es256(vc::LEGACY_TYP), base_payload(vec![]), &[]);
    assert!(matches!(
        f.verify(&compact, false),
        Err(SdJwtError::IssuerJwt(JoseError::UnexpectedType { .. }))
    ));
    let policy = VerifyPolicy {
        typ: vc::accepted_typ(true),
        now: NOW,
        skew: 60,
        key_binding: None,
    };
    UnverifiedSdJwt::parse(&compact)
        .unwrap()
        .verify(f.issuer.public_key(), &policy)
        .unwrap();
}

#[test]
fn reserved_claim_names_in_disclosures_are_rejected() {
    let f = Fixture::new();
    for name in ["_sd", "..."] {
        let d = Disclosure::property("c2FsdA", name, json!("x"));
        let compact = f.raw(
            Header::es256(vc::TYP),
            base_payload(vec![d.digest()]),
            &[&d],
        );
        assert!(
            matches!(
                f.verify(&compact, false),
                Err(SdJwtError::ReservedClaimName { .. })
            ),
            "{name}"
        );
    }
}

#[test]
fn disclosed_claim_colliding_with_a_plain_claim_is_rejected() {
    let f = Fixture::new();
    let d = Disclosure::property("c2FsdA", "iss", json!("https://evil.example"));
    let compact = f.raw(
        Header::es256(vc::TYP),
        base_payload(vec![d.digest()]),
        &[&d],
    );
    assert!(matches!(
        f.verify(&compact, false),
        Err(SdJwtError::ClaimNameCollision { name }) if name == "iss"
    ));
}

#[test]
fn disclosure_arity_must_match_where_it_is_referenced() {
    let f = Fixture::new();
    let element = Disclosure::element("c2FsdA", json!("GB"));
    let from_sd = f.raw(
        Header::es256(vc::TYP),
        base_payload(vec![element.digest()]),
        &[&element],
    );
    assert!(matches!(
        f.verify(&from_sd, false),
        Err(SdJwtError::WrongDisclosureArity { index: 0 })
    ));

    let property = Disclosure::property("c2FsdA", "n", json!("GB"));
    let mut payload = base_payload(vec![]);
    payload["nationalities"] = json!([{"...": property.digest()}]);
    let from_array = f.raw(Header::es256(vc::TYP), payload, &[&property]);
    assert!(matches!(
        f.verify(&from_array, false),
        Err(SdJwtError::WrongDisclosureArity { index: 0 })
    ));
}

#[test]
fn malformed_digest_structures_are_rejected() {
    let f = Fixture::new();
    let cases = [
        json!({"vct": "urn:t", "_sd": "not-an-array"}),
        json!({"vct": "urn:t", "_sd": [1, 2]}),
        json!({"vct": "urn:t", "list": [{"...": 5}]}),
        json!({"vct": "urn:t", "nested": {"_sd_alg": "sha-256"}}),
    ];
    for payload in cases {
        let compact = f.raw(Header::es256(vc::TYP), payload.clone(), &[]);
        assert!(
            matches!(
                f.verify(&compact, false),
                Err(SdJwtError::MalformedDigests { .. })
            ),
            "{payload}"
        );
    }
}

#[test]
fn unsupported_sd_alg_is_rejected() {
    let f = Fixture::new();
    for alg in [json!("sha-512"), json!("sha-256-32"), json!(1)] {
        let compact = f.raw(
            Header::es256(vc::TYP),
            json!({"vct": "urn:t", "_sd_alg": alg}),
            &[],
        );
        assert!(matches!(
            f.verify(&compact, false),
            Err(SdJwtError::UnsupportedSdAlg { .. })
        ));
    }
}

#[test]
fn a_digest_repeated_inside_a_disclosure_is_rejected() {
    let f = Fixture::new();
    let inner = Disclosure::property("c2FsdDE", "locality", json!("London"));
    let outer = Disclosure::property("c2FsdDI", "address", json!({"_sd": [inner.digest()]}));
    let compact = f.raw(
        Header::es256(vc::TYP),
        base_payload(vec![outer.digest(), inner.digest()]),
        &[&outer, &inner],
    );
    assert!(matches!(
        f.verify(&compact, false),
        Err(SdJwtError::DuplicateDigest { .. })
    ));
}

#[test]
fn a_repeated_digest_without_a_disclosure_is_rejected() {
    let f = Fixture::new();
    let given = Disclosure::property("c2FsdDE", "given_name", json!("Ada"));
    let decoy = idv_jose::digest::sha256_b64(b"decoy");
    let odd = "not-a-sha-256-digest";
    let cases = [
        // A decoy twice in one `_sd`, or in `_sd` and an array element; a string of another
        // length (never a disclosure's digest) twice.
        base_payload(vec![given.digest(), &decoy, &decoy]),
        json!({"vct": "urn:t", "_sd": [given.digest(), decoy], "list": [{"...": decoy}]}),
        json!({"vct": "urn:t", "_sd": [given.digest(), odd], "more": {"_sd": [odd]}}),
    ];
    for payload in cases {
        let compact = f.raw(Header::es256(vc::TYP), payload.clone(), &[&given]);
        assert!(
            matches!(
                f.verify(&compact, false),
                Err(SdJwtError::DuplicateDigest { .. })
            ),
            "{payload}"
        );
    }
    // Each once: accepted.
    let compact = f.raw(
        Header::es256(vc::TYP),
        base_payload(vec![given.digest(), &decoy, odd]),
        &[&given],
    );
    assert_eq!(
        f.verify(&compact, false).unwrap().claims()["given_name"],
        "Ada"
    );
}

#[test]
fn a_recursive_disclosure_without_its_parent_is_unreferenced() {
    let f = Fixture::new();
    let inner = Disclosure::property("c2FsdDE", "locality", json!("London"));
    let outer = Disclosure::property("c2FsdDI", "address", json!({"_sd": [inner.digest()]}));
    let compact = f.raw(
        Header::es256(vc::TYP),
        base_payload(vec![outer.digest()]),
        &[&inner],
    );
    assert!(matches!(
        f.verify(&compact, false),
        Err(SdJwtError::UnreferencedDisclosure { index: 0 })
    ));
}

#[test]
fn only_es256_issuer_signatures_are_accepted() {
    let f = Fixture::new();
    let good = f.raw(Header::es256(vc::TYP), base_payload(vec![]), &[]);
    let (_, rest) = good.split_once('.').unwrap();
    for alg in ["none", "HS256", "ES384", "RS256", "EdDSA"] {
        let header = idv_jose::base64url::encode(format!(r#"{{"alg":"{alg}","typ":"dc+sd-jwt"}}"#));
        let forged = format!("{header}.{rest}");
        assert!(
            matches!(
                f.verify(&forged, false),
                Err(SdJwtError::IssuerJwt(
                    JoseError::UnsupportedAlgorithm { .. }
                ))
            ),
            "{alg}"
        );
    }
}

#[test]
fn compact_form_errors_are_reported_not_panicked() {
    let f = Fixture::new();
    let good = f.issue_identity();
    let jwt = good.split('~').next().unwrap();
    let cases = [
        (String::new(), "empty"),
        (jwt.to_owned(), "no tilde"),
        (format!("~{}", &good), "empty jwt"),
        (format!("{jwt}~~"), "empty disclosure"),
    ];
    for (input, why) in cases {
        assert!(
            matches!(
                UnverifiedSdJwt::parse(&input),
                Err(SdJwtError::Malformed { .. })
            ),
            "{why}"
        );
    }
}

#[test]
fn no_mutation_of_a_presentation_panics_or_verifies() {
    let f = Fixture::new();
    let held = f.held(&f.issue_identity());
    let presentation = held
        .present_bound(&[path(&["given_name"])], &f.holder, AUD, NONCE, NOW)
        .unwrap();
    let bytes = presentation.as_bytes();
    for i in (0..bytes.len()).step_by(7) {
        for replacement in [b'A', b'~', b'.', b'_'] {
            if bytes[i] == replacement {
                continue;
            }
            let mut mutated = bytes.to_vec();
            mutated[i] = replacement;
            let mutated = String::from_utf8(mutated).unwrap();
            assert!(
                f.verify(&mutated, true).is_err(),
                "mutation at {i} accepted"
            );
        }
        let truncated = &presentation[..i];
        assert!(f.verify(truncated, true).is_err());
    }
}

#[test]
fn plain_sd_jwt_issuer_supports_custom_typ_and_no_decoys() {
    let f = Fixture::new();
    let issued = SdJwtIssuer::new(&f.issuer, &f.rng, "example+sd-jwt")
        .with_decoys(0, 0)
        .issue(object(json!({"a": 1, "b": [1, 2]})), &[path(&["a"])])
        .unwrap();
    let unverified = UnverifiedSdJwt::parse(&issued).unwrap();
    assert_eq!(
        unverified.insecure_claims()["_sd"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let verified = unverified
        .verify(
            f.issuer.public_key(),
            &VerifyPolicy {
                typ: &["example+sd-jwt"],
                now: NOW,
                skew: 60,
                key_binding: None,
            },
        )
        .unwrap();
    assert_eq!(
        Value::Object(verified.claims().clone()),
        json!({"a": 1, "b": [1, 2]})
    );
}
