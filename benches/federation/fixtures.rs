//! The world every benchmark runs in, built once: an operator anchor and a signed trust list of
//! 10,000 providers, one IDSP issuing with the issuer crate's real identity profile, a holder
//! presenting a right-to-work credential with key binding, and a Token Status List of 1,000,000
//! entries, 1 % of them revoked.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use idv_checks::verify::{Expected, verify_presentation};
use idv_checks::{CheckOutcome, Template, Templates};
use idv_jose::jws::{Header, sign_claims};
use idv_jose::random::DeterministicRandom;
use idv_jose::{JwkSet, ManualClock, PublicKey, SigningKey};
use idv_profiles::{Envelope, ProofedIdentity, issue_identity};
use idv_proto::oid4vci::proof::PROOF_JWT_TYP;
use idv_proto::oid4vp::authorization_response::VpToken;
use idv_proto::sd_jwt_vc::status::StatusListReference;
use idv_proto::trust::trust_list::TRUST_LIST_TYP;
use idv_sdjwt::holder::HeldSdJwt;
use idv_sdjwt::vc;
use idv_status_list::{Status, StatusBits, StatusListBuf, StatusPolicy, VerifiedStatusList};
use idv_test_support::status_list::signed_status_list;
use idv_trust::anchors::TrustAnchors;
use idv_trust::list::{ListPolicy, VerifiedTrustList, verify_trust_list};
use serde_json::{Value, json};

use register::trust_list_claims;

mod corpus;
mod register;

pub(crate) use corpus::{CorpusCase, corpus_dir};

pub(crate) use idv_test_support::example::{CLIENT_ID, DAY, ISS, NONCE, NOW, STATUS_URI};
/// Providers on the trust list.
pub(crate) const TRUST_LIST_ENTRIES: usize = 10_000;
/// Where our IDSP sits on the list (any position costs the same: lookups go through indexes).
pub(crate) const ISSUER_POSITION: usize = 6_789;
/// Entries of the status list.
pub(crate) const STATUS_LIST_ENTRIES: u64 = 1_000_000;
/// The status list index of the presented credential.
pub(crate) const IDX: u64 = 777_777;
/// Bytes of the portrait JPEG before base64 (a small ICAO-style face image is 2–4 KB).
const PORTRAIT_BYTES: usize = 3_000;
/// Proofs in a batch Credential Request (the issuer's default `batch_size`).
pub(crate) const BATCH: usize = 10;

/// Everything the benchmarks measure against.
pub(crate) struct World {
    pub(crate) issuer: SigningKey,
    pub(crate) anchors: TrustAnchors,
    /// The signed trust list, compact.
    pub(crate) trust_list_jws: String,
    pub(crate) trust_list: VerifiedTrustList,
    pub(crate) templates: Templates,
    /// The signed status list token, compact.
    pub(crate) status_token: String,
    pub(crate) status_reference: StatusListReference,
    /// Verified status lists by URI: the verifier's cache.
    pub(crate) status_cache: BTreeMap<String, VerifiedStatusList>,
    pub(crate) person: ProofedIdentity,
    /// The right-to-work SD-JWT+KB, as the wallet sends it.
    pub(crate) presentation: String,
    pub(crate) vp_token: VpToken,
    /// The full processed claims of the credential, as the holder holds them.
    pub(crate) held_claims: serde_json::Map<String, Value>,
    /// One `openid4vci-proof+jwt` per holder key, for a batch request.
    pub(crate) proofs: Vec<String>,
}

impl World {
    pub(crate) fn build() -> Self {
        let anchor = SigningKey::generate().unwrap();
        let anchors = TrustAnchors::from_jwks(&JwkSet {
            keys: vec![anchor.public_key().to_jwk()],
        })
        .unwrap();
        let issuer = SigningKey::generate().unwrap();
        let holder = SigningKey::generate().unwrap();

        let claims = trust_list_claims(issuer.public_key());
        let header = Header::es256(TRUST_LIST_TYP).with("kid", anchor.kid());
        let trust_list_jws = sign_claims(&header, &claims, &anchor).unwrap();
        let trust_list =
            verify_trust_list(&trust_list_jws, &anchors, NOW, &trust_list_policy()).unwrap();

        let (status_token, status_reference) = status_list_token(&issuer);
        let clock = ManualClock::new(NOW);
        let status_list = idv_status_list::verify::verify_status_list_token(
            &status_reference,
            &status_token,
            issuer.public_key(),
            &clock,
            &StatusPolicy::default(),
        )
        .unwrap();
        let status_cache = BTreeMap::from([(STATUS_URI.to_owned(), status_list)]);

        let templates = Templates::builtin().unwrap();
        let person = person();
        // A fixed stream, so that every run measures a presentation of the same shape (the
        // number of decoys is random).
        let issued = issue_identity(
            &person,
            &envelope(holder.public_key()),
            &issuer,
            &DeterministicRandom::new(7),
        )
        .unwrap();
        let held =
            HeldSdJwt::receive(&issued, issuer.public_key(), vc::accepted_typ(false), NOW).unwrap();
        let rtw = templates.get(idv_checks::templates::RIGHT_TO_WORK).unwrap();
        let presentation = held
            .present_bound(rtw.requested_claims(), &holder, CLIENT_ID, NONCE, NOW)
            .unwrap();
        let vp_token = VpToken(BTreeMap::from([(
            rtw.credential_query_id().to_owned(),
            vec![presentation.clone()],
        )]));

        let proofs = (0..BATCH)
            .map(|_| proof(&SigningKey::generate().unwrap()))
            .collect();

        Self {
            issuer,
            anchors,
            trust_list_jws,
            trust_list,
            templates,
            status_token,
            status_reference,
            status_cache,
            person,
            presentation,
            vp_token,
            held_claims: held.claims().clone(),
            proofs,
        }
    }

    pub(crate) fn rtw(&self) -> &Template {
        self.templates
            .get(idv_checks::templates::RIGHT_TO_WORK)
            .unwrap()
    }

    /// What the verifier does with a `vp_token` once the status list is cached: phase one
    /// (SD-JWT VC + KB-JWT, trust-list lookup and issuer evaluation, DCQL, minimisation), the
    /// cached status lookup, and phase two (status and the template's rules).
    pub(crate) fn check(&self, vp_token: &VpToken, clock: &ManualClock) -> CheckOutcome {
        let expected = Expected::new(CLIENT_ID, NONCE, NOW);
        let verified = verify_presentation(self.rtw(), &expected, vp_token, &self.trust_list)
            .map_err(|failure| failure.code())
            .unwrap();
        let statuses: Vec<(StatusListReference, Status)> = verified
            .status_requests()
            .iter()
            .filter_map(|request| {
                let list = self.status_cache.get(&request.reference.uri)?;
                let status = list.lookup(&request.reference, clock).ok()?;
                Some((request.reference.clone(), status))
            })
            .collect();
        verified.conclude(&statuses, NOW, None)
    }
}

/// The trust-list limits of the benchmark: a 10,000-entry list is larger than the 4 MiB that
/// [`ListPolicy::default`] accepts (see BENCHMARKS.md), so the cap is raised.
pub(crate) fn trust_list_policy() -> ListPolicy {
    ListPolicy {
        max_bytes: 64 * 1024 * 1024,
        ..ListPolicy::default()
    }
}

/// A 2-bit list of 1,000,000 entries (the issuer's format), 1 % revoked and 0.1 % suspended at
/// scattered indices, signed by the issuer; and the presented credential's (valid) reference.
fn status_list_token(issuer: &SigningKey) -> (String, StatusListReference) {
    let mut list = StatusListBuf::new(StatusBits::Two, STATUS_LIST_ENTRIES).unwrap();
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    for n in 0..STATUS_LIST_ENTRIES / 100 {
        // xorshift64: scattered, reproducible indices.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let idx = state % STATUS_LIST_ENTRIES;
        if idx == IDX {
            continue;
        }
        let status = if n % 10 == 0 {
            Status::Suspended
        } else {
            Status::Invalid
        };
        list.set(idx, status).unwrap();
    }
    let token = signed_status_list(STATUS_URI, &list, issuer, NOW);
    let reference = StatusListReference {
        idx: IDX,
        uri: STATUS_URI.into(),
    };
    (token, reference)
}

pub(crate) fn envelope(holder: &PublicKey) -> Envelope<'_> {
    Envelope {
        not_after: None,
        issuer: ISS,
        now: NOW,
        validity: 365 * DAY,
        holder,
        status: json!({ "status_list": { "idx": IDX, "uri": STATUS_URI } }),
    }
}

/// The federation's citizen, a British passport holder proofed to medium, with a 3 KB
/// portrait.
fn person() -> ProofedIdentity {
    ProofedIdentity {
        portrait: Some(format!(
            "data:image/jpeg;base64,{}",
            STANDARD.encode(jpeg_like(PORTRAIT_BYTES))
        )),
        ..idv_test_support::citizen::ada_lovelace(NOW - 600)
    }
}

/// `len` bytes shaped like a baseline JPEG: SOI and JFIF APP0 marker, incompressible
/// entropy-coded data, EOI.
fn jpeg_like(len: usize) -> Vec<u8> {
    let mut bytes = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00, 0x00,
        0x01, 0x00, 0x01, 0x00, 0x00,
    ];
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    while bytes.len() < len - 2 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.push((state >> 24) as u8);
    }
    bytes.extend_from_slice(&[0xFF, 0xD9]);
    bytes
}

/// An `openid4vci-proof+jwt` for `key`, as a wallet sends it (HAIP: `jwk` header).
fn proof(key: &SigningKey) -> String {
    let header = Header::es256(PROOF_JWT_TYP).with("jwk", json!(key.public_key().to_jwk()));
    let claims = json!({ "aud": ISS, "iat": NOW, "nonce": "c-nonce-7Hq2" });
    sign_claims(&header, &claims, key).unwrap()
}
