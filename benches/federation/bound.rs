//! The bound: one ES256 verification with each backend available to a Rust program here, and
//! the least work any verifier must do for one SD-JWT+KB presentation.
//!
//! [`minimum_work`] does exactly what no implementation can skip, and nothing else:
//! - split the presentation at `~` and the two JWTs at `.`;
//! - base64url-decode every part (both JOSE headers, both payloads, both signatures, every
//!   disclosure) and parse every JSON text into `serde_json::Value` (headers, payloads,
//!   disclosures);
//! - SHA-256 every disclosure (base64url-encoding the digest, the form it is compared in) and
//!   the presentation up to its last `~` (the KB-JWT's `sd_hash`);
//! - read the holder's key from `cnf.jwk` (two base64url coordinates) and parse the SEC1 point:
//!   the holder key arrives with the credential, so parsing it is unavoidable work;
//! - verify the two ES256 signatures (each includes the SHA-256 of its signing input). The
//!   issuer key is parsed beforehand where the backend allows it (it comes from the trust list,
//!   parsed once); ring has no parsed verification key, so it parses it in every call.
//!
//! It compares nothing: no `typ`, no digest matching, no times, no `aud`/`nonce`/`sd_hash`
//! comparison, no trust or status. The bound of a presentation is the faster backend's
//! figure.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::Criterion;
use serde_json::Value;
use std::hint::black_box;

use crate::fixtures::{CorpusCase, World};

const POINT_LEN: usize = 65;

/// A backend for the bound: its ES256 verification and its SHA-256.
pub(crate) trait Backend {
    /// Verifies an ES256 signature with the issuer's key, known before the presentation.
    fn verify_issuer(&self, message: &[u8], signature: &[u8]) -> bool;
    /// Parses the holder's SEC1 point and verifies an ES256 signature with it.
    fn verify_holder(&self, point: &[u8; POINT_LEN], message: &[u8], signature: &[u8]) -> bool;
    /// SHA-256.
    fn sha256(&self, bytes: &[u8]) -> [u8; 32];
}

/// The least work of verifying `presentation` (see the module docs). Panics when the
/// presentation is not a well-formed SD-JWT+KB or a signature does not verify: the benchmark
/// must measure the path that succeeds.
pub(crate) fn minimum_work(presentation: &str, backend: &impl Backend) -> usize {
    let last_tilde = presentation.rfind('~').unwrap();
    let (sd_hash_input, kb_jwt) = presentation.split_at(last_tilde + 1);
    let mut parts = sd_hash_input[..last_tilde].split('~');
    let issuer_jwt = parts.next().unwrap();

    let (signing_input, [header, payload], signature) = decode_jwt(issuer_jwt);
    assert!(backend.verify_issuer(signing_input, &signature));
    let mut values = 2 + header.as_object().map_or(0, |o| o.len());

    let mut encoded_digest = [0u8; 43];
    for disclosure in parts {
        let bytes = URL_SAFE_NO_PAD.decode(disclosure).unwrap();
        let value: Value = serde_json::from_slice(&bytes).unwrap();
        let digest = backend.sha256(disclosure.as_bytes());
        URL_SAFE_NO_PAD
            .encode_slice(digest, &mut encoded_digest)
            .unwrap();
        values += value.as_array().map_or(0, Vec::len) + usize::from(encoded_digest[0]);
    }

    let jwk = &payload["cnf"]["jwk"];
    let mut point = [0u8; POINT_LEN];
    point[0] = 0x04;
    for (coordinate, at) in [("x", 1), ("y", 33)] {
        let text = jwk[coordinate].as_str().unwrap();
        let written = URL_SAFE_NO_PAD
            .decode_slice(text, &mut point[at..at + 32])
            .unwrap();
        assert_eq!(written, 32);
    }

    let (kb_signing_input, [kb_header, kb_payload], kb_signature) = decode_jwt(kb_jwt);
    let sd_hash = backend.sha256(sd_hash_input.as_bytes());
    URL_SAFE_NO_PAD
        .encode_slice(sd_hash, &mut encoded_digest)
        .unwrap();
    assert!(backend.verify_holder(&point, kb_signing_input, &kb_signature));
    values
        + kb_header.as_object().map_or(0, |o| o.len())
        + kb_payload.as_object().map_or(0, |o| o.len())
        + usize::from(encoded_digest[0])
}

/// Splits and decodes a compact JWS: signing input, parsed header and payload, signature.
fn decode_jwt(compact: &str) -> (&[u8], [Value; 2], Vec<u8>) {
    let mut parts = compact.splitn(3, '.');
    let (header, payload, signature) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let signing_input = &compact.as_bytes()[..header.len() + 1 + payload.len()];
    let parse = |part: &str| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    };
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    (signing_input, [parse(header), parse(payload)], signature)
}

/// aws-lc-rs: the issuer key parsed once, the holder key parsed per presentation.
pub(crate) struct AwsLcRs {
    issuer: aws_lc_rs::signature::ParsedPublicKey,
}

impl AwsLcRs {
    pub(crate) fn new(issuer_point: &[u8]) -> Self {
        let issuer = aws_lc_rs::signature::ParsedPublicKey::new(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED,
            issuer_point,
        )
        .unwrap();
        Self { issuer }
    }
}

impl Backend for AwsLcRs {
    fn verify_issuer(&self, message: &[u8], signature: &[u8]) -> bool {
        self.issuer.verify_sig(message, signature).is_ok()
    }

    fn verify_holder(&self, point: &[u8; POINT_LEN], message: &[u8], signature: &[u8]) -> bool {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
            .verify(message, signature)
            .is_ok()
    }

    fn sha256(&self, bytes: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes).as_ref());
        out
    }
}

/// ring: every verification parses its key (ring keeps no parsed ECDSA verification key).
pub(crate) struct Ring {
    issuer_point: Vec<u8>,
}

impl Ring {
    pub(crate) fn new(issuer_point: &[u8]) -> Self {
        Self {
            issuer_point: issuer_point.to_vec(),
        }
    }
}

impl Backend for Ring {
    fn verify_issuer(&self, message: &[u8], signature: &[u8]) -> bool {
        self.verify_point(&self.issuer_point, message, signature)
    }

    fn verify_holder(&self, point: &[u8; POINT_LEN], message: &[u8], signature: &[u8]) -> bool {
        self.verify_point(point, message, signature)
    }

    fn sha256(&self, bytes: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref());
        out
    }
}

impl Ring {
    fn verify_point(&self, point: &[u8], message: &[u8], signature: &[u8]) -> bool {
        use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
            .verify(message, signature)
            .is_ok()
    }
}

/// One ES256 verification per backend, on the RTW credential's issuer JWT (its signing input is
/// what a verifier hashes), and the SEC1 point parse on its own.
pub(crate) fn es256(c: &mut Criterion, world: &World) {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey, UnparsedPublicKey};
    let issuer_jwt = world.presentation.split('~').next().unwrap();
    let (signing_input, _, signature) = decode_jwt(issuer_jwt);
    let point = world.issuer.public_key().sec1().to_vec();
    let parsed = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point).unwrap();
    let ours = world.issuer.public_key();

    let mut group = c.benchmark_group("es256");
    group.bench_function("aws_lc_rs_parsed_key", |b| {
        b.iter(|| {
            parsed
                .verify_sig(black_box(signing_input), black_box(&signature))
                .unwrap();
        });
    });
    group.bench_function("aws_lc_rs_with_key_parse", |b| {
        b.iter(|| {
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, black_box(&point))
                .verify(black_box(signing_input), black_box(&signature))
                .unwrap();
        });
    });
    group.bench_function("ring_with_key_parse", |b| {
        b.iter(|| {
            ring::signature::UnparsedPublicKey::new(
                &ring::signature::ECDSA_P256_SHA256_FIXED,
                black_box(&point),
            )
            .verify(black_box(signing_input), black_box(&signature))
            .unwrap();
        });
    });
    group.bench_function("idv_jose", |b| {
        b.iter(|| {
            ours.verify(black_box(signing_input), black_box(&signature))
                .unwrap();
        });
    });
    group.bench_function("aws_lc_rs_sec1_parse", |b| {
        b.iter(|| ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, black_box(&point)).unwrap());
    });
    group.finish();
}

/// The bound of the RTW presentation and of the corpus presentation, with each backend.
pub(crate) fn presentations(c: &mut Criterion, world: &World, corpus: &CorpusCase) {
    let corpus_issuer = idv_jose::PublicKey::from_jwk_value(&corpus.case["issuer_public_jwk"])
        .unwrap()
        .sec1()
        .to_vec();
    let cases = [
        (
            "rtw",
            world.presentation.as_str(),
            world.issuer.public_key().sec1().to_vec(),
        ),
        ("corpus01", corpus.presentation.as_str(), corpus_issuer),
    ];
    let mut group = c.benchmark_group("bound");
    for (name, presentation, issuer_point) in &cases {
        let with_aws_lc_rs = AwsLcRs::new(issuer_point);
        let with_ring = Ring::new(issuer_point);
        // Both must succeed before anything is measured.
        minimum_work(presentation, &with_aws_lc_rs);
        minimum_work(presentation, &with_ring);
        group.bench_function(format!("{name}_aws_lc_rs"), |b| {
            b.iter(|| minimum_work(black_box(presentation), &with_aws_lc_rs));
        });
        group.bench_function(format!("{name}_ring"), |b| {
            b.iter(|| minimum_work(black_box(presentation), &with_ring));
        });
    }
    group.finish();
}
