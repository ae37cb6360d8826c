use idv_jose::jws::{Header, sign_claims};
use idv_jose::{JoseError, ManualClock, SigningKey, base64url};
use miniz_oxide::deflate::compress_to_vec;
use serde_json::{Value, json};

use super::*;
use crate::token::{issue_token, token_claims};

const URI: &str = "https://example.com/statuslists/1";
const NOW: i64 = 1_686_920_170;

struct Fixture {
    key: SigningKey,
    clock: ManualClock,
    policy: StatusPolicy,
}

impl Fixture {
    fn new() -> Self {
        Self {
            key: SigningKey::generate().unwrap(),
            clock: ManualClock::new(NOW),
            policy: StatusPolicy::default(),
        }
    }

    /// Signs arbitrary claims as a Status List Token.
    fn sign(&self, claims: &Value) -> String {
        sign_claims(&Header::es256("statuslist+jwt"), claims, &self.key).unwrap()
    }

    fn verify(&self, idx: u64, token: &str) -> Result<VerifiedStatusList, StatusListError> {
        let reference = StatusListReference {
            idx,
            uri: URI.into(),
        };
        verify_status_list_token(
            &reference,
            token,
            self.key.public_key(),
            &self.clock,
            &self.policy,
        )
    }
}

/// The draft-20 example token's claims, with `iat` moved to `NOW` so the age check passes.
fn example_claims() -> Value {
    json!({
        "exp": 2_291_720_170_i64,
        "iat": NOW,
        "status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ"},
        "sub": URI,
        "ttl": 43_200
    })
}

fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

fn without(mut claims: Value, name: &str) -> Value {
    if let Some(map) = claims.as_object_mut() {
        map.remove(name);
    }
    claims
}

fn reference(idx: u64) -> StatusListReference {
    StatusListReference {
        idx,
        uri: URI.into(),
    }
}

#[test]
fn draft_example_token_verifies_and_yields_the_listed_statuses() {
    let f = Fixture::new();
    let verified = f.verify(0, &f.sign(&example_claims())).unwrap();
    let statuses: Vec<u8> = (0..16)
        .map(|i| verified.status(i).unwrap().value())
        .collect();
    assert_eq!(statuses, [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]);
    assert_eq!(verified.sub(), URI);
    assert_eq!(verified.iat(), NOW);
    assert_eq!(verified.exp(), Some(2_291_720_170));
    assert_eq!(verified.ttl(), Some(43_200));
    assert_eq!(verified.fresh_until(), NOW + 43_200);
    assert_eq!(verified.status(1), Ok(Status::Valid));
    assert_eq!(verified.status(0), Ok(Status::Invalid));
}

#[test]
fn issued_token_round_trips_through_verification() {
    let f = Fixture::new();
    let mut list = StatusListBuf::new(StatusBits::Two, 1000).unwrap();
    list.set(999, Status::Suspended).unwrap();
    let mut claims = token_claims(URI, NOW, Some(NOW + 3600), Some(600), &list);
    claims.status_list.aggregation_uri = Some("https://example.com/statuslists".into());
    let token = issue_token(&claims, &f.key, None, None).unwrap();
    let verified = f.verify(999, &token).unwrap();
    assert_eq!(verified.status(999), Ok(Status::Suspended));
    assert_eq!(verified.list(), &list);
    assert_eq!(
        verified.aggregation_uri(),
        Some("https://example.com/statuslists")
    );
}

#[test]
fn wrong_typ_is_rejected() {
    let f = Fixture::new();
    for typ in ["JWT", "dc+sd-jwt", "statuslist+cwt"] {
        let token = sign_claims(&Header::es256(typ), &example_claims(), &f.key).unwrap();
        assert!(matches!(
            f.verify(0, &token),
            Err(StatusListError::Token(JoseError::UnexpectedType { .. }))
        ));
    }
    let untyped = Header::es256("x");
    let mut map = untyped.as_map().clone();
    map.remove("typ");
    let header_b64 = base64url::encode(serde_json::to_vec(&map).unwrap());
    let payload_b64 = base64url::encode(serde_json::to_vec(&example_claims()).unwrap());
    let signing_input = format!("{header_b64}.{payload_b64}");
    let sig = base64url::encode(f.key.sign(signing_input.as_bytes()).unwrap());
    assert!(matches!(
        f.verify(0, &format!("{signing_input}.{sig}")),
        Err(StatusListError::Token(JoseError::UnexpectedType {
            found: None,
            ..
        }))
    ));
}

#[test]
fn application_prefixed_typ_is_accepted() {
    let f = Fixture::new();
    let token = sign_claims(
        &Header::es256("application/statuslist+jwt"),
        &example_claims(),
        &f.key,
    )
    .unwrap();
    assert!(f.verify(0, &token).is_ok());
}

#[test]
fn signature_by_a_key_unrelated_to_the_credential_issuer_is_rejected() {
    let f = Fixture::new();
    let other = SigningKey::generate().unwrap();
    let token = sign_claims(&Header::es256("statuslist+jwt"), &example_claims(), &other).unwrap();
    assert_eq!(
        f.verify(0, &token),
        Err(StatusListError::Token(JoseError::BadSignature))
    );
}

#[test]
fn alg_none_is_rejected() {
    let f = Fixture::new();
    let token = format!(
        "{}.{}.",
        base64url::encode(br#"{"alg":"none","typ":"statuslist+jwt"}"#),
        base64url::encode(serde_json::to_vec(&example_claims()).unwrap())
    );
    assert!(matches!(
        f.verify(0, &token),
        Err(StatusListError::Token(
            JoseError::UnsupportedAlgorithm { .. }
        ))
    ));
}

#[test]
fn each_required_claim_must_be_present() {
    let f = Fixture::new();
    for claim in ["sub", "iat", "status_list"] {
        let token = f.sign(&without(example_claims(), claim));
        assert_eq!(
            f.verify(0, &token),
            Err(StatusListError::MissingClaim { claim }),
            "{claim}"
        );
    }
}

#[test]
fn exp_and_ttl_are_optional() {
    let f = Fixture::new();
    let claims = without(without(example_claims(), "exp"), "ttl");
    let verified = f.verify(0, &f.sign(&claims)).unwrap();
    assert_eq!(verified.exp(), None);
    assert_eq!(verified.ttl(), None);
    assert_eq!(verified.fresh_until(), NOW + StatusPolicy::DEFAULT_MIN_TTL);
}

#[test]
fn malformed_claims_are_rejected() {
    let f = Fixture::new();
    let cases = [
        ("sub", json!(42), "sub"),
        ("iat", json!("yesterday"), "iat"),
        ("exp", json!("tomorrow"), "exp"),
        ("status_list", json!("eNrbuRgAAhcBXQ"), "status_list"),
        ("status_list", json!({"bits": 1}), "status_list"),
        (
            "status_list",
            json!({"bits": "1", "lst": "eNrbuRgAAhcBXQ"}),
            "status_list",
        ),
        ("ttl", json!("43200"), "ttl"),
    ];
    for (name, value, claim) in cases {
        let token = f.sign(&with(example_claims(), name, value.clone()));
        assert!(
            matches!(f.verify(0, &token), Err(StatusListError::InvalidClaim { claim: c, .. }) if c == claim),
            "{name}: {value}"
        );
    }
}

#[test]
fn sub_must_equal_the_referenced_uri_exactly() {
    let f = Fixture::new();
    for sub in [
        "https://example.com/statuslists/2",
        "https://example.com/statuslists/1/",
        "https://EXAMPLE.com/statuslists/1",
        "",
    ] {
        let token = f.sign(&with(example_claims(), "sub", json!(sub)));
        assert_eq!(
            f.verify(0, &token),
            Err(StatusListError::SubjectMismatch {
                expected: URI.into(),
                found: sub.into()
            })
        );
    }
}

#[test]
fn reference_without_uri_is_rejected_before_anything_else() {
    let f = Fixture::new();
    let empty = StatusListReference {
        idx: 0,
        uri: String::new(),
    };
    let result =
        verify_status_list_token(&empty, "garbage", f.key.public_key(), &f.clock, &f.policy);
    assert!(matches!(
        result,
        Err(StatusListError::InvalidReference { .. })
    ));
}

#[test]
fn expired_token_is_rejected_even_when_the_status_is_valid() {
    let f = Fixture::new();
    let token = f.sign(&with(example_claims(), "exp", json!(NOW - 61)));
    assert_eq!(
        f.verify(1, &token),
        Err(StatusListError::Expired {
            exp: NOW - 61,
            now: NOW
        })
    );
    // Within the clock skew it is still usable, but not cacheable.
    let token = f.sign(&with(example_claims(), "exp", json!(NOW - 30)));
    let verified = f.verify(1, &token).unwrap();
    assert_eq!(verified.fresh_until(), NOW - 30);
    assert!(!verified.is_fresh(NOW));
}

#[test]
fn token_not_yet_valid_is_rejected() {
    let f = Fixture::new();
    let token = f.sign(&with(example_claims(), "nbf", json!(NOW + 3600)));
    assert!(matches!(
        f.verify(0, &token),
        Err(StatusListError::NotYetValid { .. })
    ));
}

#[test]
fn iat_in_the_future_beyond_skew_is_rejected() {
    let f = Fixture::new();
    let ok = f.sign(&with(example_claims(), "iat", json!(NOW + 60)));
    assert!(f.verify(0, &ok).is_ok());
    let token = f.sign(&with(example_claims(), "iat", json!(NOW + 61)));
    assert_eq!(
        f.verify(0, &token),
        Err(StatusListError::IssuedInFuture {
            iat: NOW + 61,
            now: NOW
        })
    );
}

#[test]
fn token_older_than_max_age_is_rejected() {
    let mut f = Fixture::new();
    let old = NOW - StatusPolicy::DEFAULT_MAX_AGE - 1;
    let token = f.sign(&with(example_claims(), "iat", json!(old)));
    assert_eq!(
        f.verify(0, &token),
        Err(StatusListError::TooOld {
            iat: old,
            now: NOW,
            max_age: StatusPolicy::DEFAULT_MAX_AGE
        })
    );
    f.policy.max_age = None;
    assert!(f.verify(0, &token).is_ok());
}

#[test]
fn the_draft_example_with_its_original_iat_needs_a_lenient_age_policy() {
    let mut f = Fixture::new();
    f.clock.set(NOW + 365 * 86_400);
    let token = f.sign(&example_claims());
    assert!(matches!(
        f.verify(0, &token),
        Err(StatusListError::TooOld { .. })
    ));
    f.policy.max_age = None;
    assert!(f.verify(0, &token).is_ok());
}

#[test]
fn non_positive_ttl_is_rejected() {
    let f = Fixture::new();
    for (ttl, reported) in [
        (json!(0), 0),
        (json!(-5), -5),
        (json!(0.5), 0),
        (json!(-1e30), i64::MIN),
    ] {
        let token = f.sign(&with(example_claims(), "ttl", ttl.clone()));
        assert_eq!(
            f.verify(0, &token),
            Err(StatusListError::TtlOutOfBounds { ttl: reported }),
            "{ttl}"
        );
    }
}

#[test]
fn ttl_outside_the_policy_bounds_is_clamped() {
    let f = Fixture::new();
    let cases = [
        (json!(1), StatusPolicy::DEFAULT_MIN_TTL),
        (json!(1e12), StatusPolicy::DEFAULT_MAX_TTL),
        (json!(1_000_000_000_000_u64), StatusPolicy::DEFAULT_MAX_TTL),
        (json!(u64::MAX), StatusPolicy::DEFAULT_MAX_TTL),
        (json!(600.9), 600),
    ];
    for (ttl, cache_for) in cases {
        let token = f.sign(&with(example_claims(), "ttl", ttl.clone()));
        let verified = f.verify(0, &token).unwrap();
        assert_eq!(verified.fresh_until(), NOW + cache_for, "{ttl}");
    }
}

#[test]
fn fresh_until_never_passes_exp() {
    let f = Fixture::new();
    let token = f.sign(&with(example_claims(), "exp", json!(NOW + 100)));
    assert_eq!(f.verify(0, &token).unwrap().fresh_until(), NOW + 100);
}

#[test]
fn inverted_ttl_bounds_do_not_panic() {
    let mut f = Fixture::new();
    f.policy.min_ttl = 1000;
    f.policy.max_ttl = 10;
    let verified = f.verify(0, &f.sign(&example_claims())).unwrap();
    assert_eq!(verified.fresh_until(), NOW + 10);
}

#[test]
fn index_out_of_bounds_is_rejected() {
    let f = Fixture::new();
    let token = f.sign(&example_claims());
    assert!(f.verify(15, &token).is_ok());
    for idx in [16, 1 << 40, u64::MAX] {
        assert_eq!(
            f.verify(idx, &token),
            Err(StatusListError::IndexOutOfRange { idx, len: 16 })
        );
    }
}

#[test]
fn three_bits_per_status_is_rejected() {
    let f = Fixture::new();
    for bits in [0u64, 3, 300] {
        let list = json!({"bits": bits, "lst": "eNrbuRgAAhcBXQ"});
        let token = f.sign(&with(example_claims(), "status_list", list));
        assert_eq!(
            f.verify(0, &token),
            Err(StatusListError::UnsupportedBits { bits })
        );
    }
}

#[test]
fn raw_deflate_and_gzip_lists_are_rejected() {
    let f = Fixture::new();
    let raw = base64url::encode(compress_to_vec(&[0xb9, 0xa3], 9));
    let mut gzip = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 0xff];
    gzip.extend(compress_to_vec(&[0xb9, 0xa3], 9));
    gzip.extend([0; 8]);
    for lst in [raw, base64url::encode(gzip)] {
        let list = json!({"bits": 1, "lst": lst});
        let token = f.sign(&with(example_claims(), "status_list", list));
        assert_eq!(f.verify(0, &token), Err(StatusListError::NotZlib));
    }
}

#[test]
fn list_inflating_past_the_cap_is_rejected() {
    let mut f = Fixture::new();
    f.policy.max_decompressed_bytes = 1024;
    let big = StatusListBuf::new(StatusBits::Eight, 4096).unwrap();
    let token = f.sign(&with(
        example_claims(),
        "status_list",
        serde_json::to_value(big.to_status_list(None)).unwrap(),
    ));
    assert_eq!(
        f.verify(0, &token),
        Err(StatusListError::TooLarge { limit: 1024 })
    );
}

#[test]
fn oversized_token_is_not_parsed() {
    let mut f = Fixture::new();
    f.policy.max_token_bytes = 100;
    let token = f.sign(&example_claims());
    assert_eq!(
        f.verify(0, &token),
        Err(StatusListError::TokenTooLarge {
            len: token.len(),
            limit: 100
        })
    );
}

#[test]
fn garbage_tokens_are_errors_not_panics() {
    let f = Fixture::new();
    let cases = [
        String::new(),
        ".".into(),
        "..".into(),
        "a.b.c".into(),
        "e30.e30.".into(),
        "eyJhbGciOiJFUzI1NiJ9.bnVsbA.AAAA".into(),
        f.sign(&json!(null)),
        f.sign(&json!([1, 2])),
        f.sign(&json!({})),
    ];
    for token in cases {
        assert!(f.verify(0, &token).is_err(), "{token}");
    }
}

#[test]
fn unknown_status_values_are_returned_for_the_caller_to_judge() {
    let f = Fixture::new();
    let list = json!({"bits": 2, "lst": "eNo76fITAAPfAgc"});
    let token = f.sign(&with(example_claims(), "status_list", list));
    let verified = f.verify(3, &token).unwrap();
    assert_eq!(verified.status(3), Ok(Status::ApplicationSpecific(3)));
    assert!(!verified.status(3).unwrap().is_valid());
    assert_eq!(verified.status(1), Ok(Status::Suspended));
}

#[test]
fn cached_list_serves_lookups_until_it_goes_stale() {
    let f = Fixture::new();
    let verified = f.verify(0, &f.sign(&example_claims())).unwrap();
    assert_eq!(
        verified.lookup(&reference(0), &f.clock),
        Ok(Status::Invalid)
    );
    assert_eq!(verified.lookup(&reference(1), &f.clock), Ok(Status::Valid));
    assert!(matches!(
        verified.lookup(&reference(16), &f.clock),
        Err(StatusListError::IndexOutOfRange { .. })
    ));
    let elsewhere = StatusListReference {
        idx: 0,
        uri: "https://example.com/statuslists/2".into(),
    };
    assert!(matches!(
        verified.lookup(&elsewhere, &f.clock),
        Err(StatusListError::SubjectMismatch { .. })
    ));
    f.clock.advance(43_199);
    assert!(verified.lookup(&reference(0), &f.clock).is_ok());
    f.clock.advance(1);
    assert_eq!(
        verified.lookup(&reference(0), &f.clock),
        Err(StatusListError::Stale {
            fresh_until: NOW + 43_200,
            now: NOW + 43_200
        })
    );
}
