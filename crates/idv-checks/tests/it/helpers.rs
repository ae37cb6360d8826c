//! Fixtures: an operator anchor and signed trust list, an IDSP issuing with the scheme's real
//! credential profiles (`idv-profiles`), a holder presenting with key binding, and a status list.

use idv_checks::verify::{Expected, VerifiedPresentation, verify_presentation};
use idv_checks::{CheckFailure, CheckOutcome, Template, Templates};
use idv_jose::random::DeterministicRandom;
use idv_jose::{JwkSet, ManualClock, SigningKey};
use idv_profiles::{Envelope, IdentityDocument, ProofedIdentity, issue_age, issue_identity};
use idv_proto::claims_path::ClaimsPath;
use idv_proto::jwk_set;
use idv_proto::oid4vp::authorization_response::VpToken;
use idv_proto::sd_jwt_vc::status::StatusListReference;
use idv_proto::trust::entry::{
    Certificate, CodeStatus, IssuerBinding, LevelOfConfidence, Organisation, Role, SchemeCode,
    Service, ServiceEntry, ServiceStatus, StatusChange, SupplementaryCode,
};
use idv_proto::trust::trust_list::{FrameworkValidity, TRUST_LIST_TYP, TrustListClaims};
use idv_sdjwt::holder::HeldSdJwt;
use idv_sdjwt::vc;
use idv_status_list::{Status, StatusBits, StatusListBuf, StatusPolicy};
use idv_trust::anchors::TrustAnchors;
use idv_trust::list::{ListPolicy, VerifiedTrustList, verify_trust_list};
use serde_json::json;

pub(crate) const DAY: i64 = 24 * 60 * 60;
/// 2026-01-01T12:00:00Z.
pub(crate) const NOW: i64 = 1_767_225_600 + 12 * 3600;
pub(crate) const ISS: &str = "https://id.example-idsp.co.uk";
pub(crate) const STATUS_URI: &str = "https://id.example-idsp.co.uk/status/1";
pub(crate) const CLIENT_ID: &str = "verifier_attestation:hr.employer.example.co.uk";
pub(crate) const NONCE: &str = "n-0S6_WzA2Mj-4f7d";
pub(crate) const REGISTER_ID: &str = "dvs-000123";
/// The status list index of the credential under test.
pub(crate) const IDX: u64 = 77;
const CERTIFIED_SINCE: i64 = NOW - 200 * DAY;

pub(crate) struct Fixture {
    anchor: SigningKey,
    anchors: TrustAnchors,
    pub(crate) issuer: SigningKey,
    pub(crate) holder: SigningKey,
    pub(crate) templates: Templates,
    rng: DeterministicRandom,
}

impl Fixture {
    pub(crate) fn new() -> Self {
        let anchor = SigningKey::generate().unwrap();
        let anchors = TrustAnchors::from_jwks(&JwkSet {
            keys: vec![anchor.public_key().to_jwk()],
        })
        .unwrap();
        Self {
            anchor,
            anchors,
            issuer: SigningKey::generate().unwrap(),
            holder: SigningKey::generate().unwrap(),
            templates: Templates::builtin().unwrap(),
            rng: DeterministicRandom::new(7),
        }
    }

    pub(crate) fn template(&self, id: &str) -> &Template {
        self.templates.get(id).unwrap()
    }

    /// One certified IDSP, RTW and AGE codes, medium LoC, both credential types.
    pub(crate) fn list_claims(&self) -> TrustListClaims {
        let mut jwk = serde_json::to_value(self.issuer.public_key().to_jwk()).unwrap();
        jwk["kid"] = self.issuer.public_key().thumbprint().into();
        TrustListClaims {
            iss: "https://trust.sim.ofdia.example".into(),
            iat: NOW - 60,
            exp: NOW + DAY,
            next_update: NOW + 3600,
            list_id: "uk-dvs-register".into(),
            sequence: 42,
            framework_versions_valid: [("1.0".to_owned(), FrameworkValidity::default())]
                .into_iter()
                .collect(),
            entries: vec![ServiceEntry {
                entry_id: REGISTER_ID.into(),
                organisation: Organisation {
                    name: "Example IDSP Ltd".into(),
                    company_number: Some("01234567".into()),
                },
                service: Service {
                    service_id: "svc-01".into(),
                    name: "Example Reusable ID".into(),
                },
                roles: vec![Role::Idsp],
                framework_version: "1.0".into(),
                certificate: Certificate {
                    id: "CAB-7-2026-55".into(),
                    cab: "Example CAB (UKAS 1234)".into(),
                    issued: CERTIFIED_SINCE,
                    expires: NOW + 900 * DAY,
                },
                supplementary_codes: [SchemeCode::Rtw, SchemeCode::Age]
                    .into_iter()
                    .map(|code| SupplementaryCode {
                        code,
                        status: CodeStatus::Certified,
                    })
                    .collect(),
                max_loc: LevelOfConfidence::Medium,
                status: ServiceStatus::Certified,
                status_since: CERTIFIED_SINCE,
                status_history: vec![StatusChange {
                    status: ServiceStatus::Certified,
                    since: CERTIFIED_SINCE,
                    reason: None,
                }],
                issuer: IssuerBinding {
                    iss: vec![ISS.into()],
                    jwks: jwk_set::JwkSet { keys: vec![jwk] },
                    x5c_roots_sha256: Vec::new(),
                    status_list_uris_prefix: vec![format!("{ISS}/status/")],
                    vct: vec![
                        idv_checks::templates::IDENTITY_VCT.into(),
                        idv_checks::templates::AGE_VCT.into(),
                    ],
                },
            }],
            relying_parties: Vec::new(),
            type_metadata: Default::default(),
        }
    }

    /// `claims` signed by the pinned anchor and verified at [`NOW`].
    pub(crate) fn trust_list_from(&self, claims: &TrustListClaims) -> VerifiedTrustList {
        self.trust_list_at(claims, NOW)
    }

    /// `claims` signed by the pinned anchor and verified at `now`.
    pub(crate) fn trust_list_at(&self, claims: &TrustListClaims, now: i64) -> VerifiedTrustList {
        let header = idv_jose::jws::Header::es256(TRUST_LIST_TYP).with("kid", self.anchor.kid());
        let compact = idv_jose::jws::sign_claims(&header, claims, &self.anchor).unwrap();
        verify_trust_list(&compact, &self.anchors, now, &ListPolicy::default()).unwrap()
    }

    pub(crate) fn trust_list(&self) -> VerifiedTrustList {
        self.trust_list_from(&self.list_claims())
    }

    fn envelope(&self, validity: i64) -> Envelope<'_> {
        Envelope {
            not_after: None,
            issuer: ISS,
            now: NOW,
            validity,
            holder: self.holder.public_key(),
            status: json!({ "status_list": { "idx": IDX, "uri": STATUS_URI } }),
        }
    }

    /// An identity credential for `person`, issued by `signer`, as the holder received it.
    pub(crate) fn identity_from(&self, person: &ProofedIdentity, signer: &SigningKey) -> HeldSdJwt {
        let issued = issue_identity(person, &self.envelope(365 * DAY), signer, &self.rng).unwrap();
        HeldSdJwt::receive(&issued, signer.public_key(), vc::accepted_typ(false), NOW).unwrap()
    }

    pub(crate) fn identity(&self, person: &ProofedIdentity) -> HeldSdJwt {
        self.identity_from(person, &self.issuer)
    }

    /// An identity credential of [`person`] signed by the registered issuer after `edit`
    /// changed its claims: values our issuer would refuse, which another certified issuer
    /// could still sign. Every personal claim is selectively disclosable.
    pub(crate) fn identity_with_claims(
        &self,
        edit: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
    ) -> HeldSdJwt {
        let person = person();
        let mut claims = self.registered_claims(idv_checks::templates::IDENTITY_VCT, 365 * DAY);
        claims.extend(
            json!({
            "given_name": person.given_name,
            "family_name": person.family_name,
            "birthdate": person.birthdate,
            "portrait": person.portrait,
            "nationalities": person.nationalities,
            "document": person.document,
            "verification": {
                "assurance_level": person.level_of_confidence,
                "gpg45_profile": person.gpg45_profile,
            },
            })
            .as_object()
            .unwrap()
            .clone(),
        );
        edit(&mut claims);
        let conceal: Vec<ClaimsPath> = ["given_name", "family_name", "birthdate", "portrait"]
            .into_iter()
            .map(|key| ClaimsPath::from_keys([key]).unwrap())
            .collect();
        self.signed(claims, &conceal)
    }

    /// The registered claims of a credential of type `vct` issued today for `validity`.
    fn registered_claims(
        &self,
        vct: &str,
        validity: i64,
    ) -> serde_json::Map<String, serde_json::Value> {
        json!({
            "iss": ISS,
            "vct": vct,
            "iat": NOW - NOW.rem_euclid(DAY),
            "exp": NOW + validity,
            "cnf": vc::cnf(self.holder.public_key()),
            "status": { "status_list": { "idx": IDX, "uri": STATUS_URI } },
        })
        .as_object()
        .unwrap()
        .clone()
    }

    /// `claims` signed by the registered issuer with `conceal` selectively disclosable, as
    /// the holder received it.
    fn signed(
        &self,
        claims: serde_json::Map<String, serde_json::Value>,
        conceal: &[ClaimsPath],
    ) -> HeldSdJwt {
        let issued = vc::issue(&self.issuer, &self.rng, claims, conceal).unwrap();
        HeldSdJwt::receive(
            &issued,
            self.issuer.public_key(),
            vc::accepted_typ(false),
            NOW,
        )
        .unwrap()
    }

    /// An identity credential whose status entry is `status_claim`.
    pub(crate) fn identity_with_status(&self, status_claim: serde_json::Value) -> HeldSdJwt {
        let mut envelope = self.envelope(365 * DAY);
        envelope.status = status_claim;
        let issued = issue_identity(&person(), &envelope, &self.issuer, &self.rng).unwrap();
        HeldSdJwt::receive(
            &issued,
            self.issuer.public_key(),
            vc::accepted_typ(false),
            NOW,
        )
        .unwrap()
    }

    pub(crate) fn age(&self, birthdate: &str) -> HeldSdJwt {
        let mut person = person();
        person.birthdate = birthdate.into();
        let issued = issue_age(&person, &self.envelope(90 * DAY), &self.issuer, &self.rng).unwrap();
        HeldSdJwt::receive(
            &issued,
            self.issuer.public_key(),
            vc::accepted_typ(false),
            NOW,
        )
        .unwrap()
    }

    /// An age credential with `extra` claims (`age_over_NN` selectively disclosable, the rest
    /// plain), signed by the registered issuer: what another certified issuer could sign.
    pub(crate) fn age_with_claims(&self, extra: serde_json::Value) -> HeldSdJwt {
        let mut claims = self.registered_claims(idv_checks::templates::AGE_VCT, 90 * DAY);
        let mut conceal = Vec::new();
        for (name, value) in extra.as_object().unwrap() {
            if name.starts_with("age_over_") {
                conceal.push(ClaimsPath::from_keys([name.as_str()]).unwrap());
            }
            claims.insert(name.clone(), value.clone());
        }
        self.signed(claims, &conceal)
    }

    /// The SD-JWT+KB disclosing `paths`, for `aud` and `nonce`, signed now.
    pub(crate) fn present_to(
        &self,
        held: &HeldSdJwt,
        paths: &[ClaimsPath],
        aud: &str,
        nonce: &str,
        iat: i64,
    ) -> String {
        held.present_bound(paths, &self.holder, aud, nonce, iat)
            .unwrap()
    }

    /// A VP Token answering `template` with `held`, disclosing what the template requests.
    pub(crate) fn vp_token(&self, template: &Template, held: &HeldSdJwt) -> VpToken {
        let presentation =
            self.present_to(held, template.requested_claims(), CLIENT_ID, NONCE, NOW);
        token(template, presentation)
    }

    /// A signed status list token with `status` at [`IDX`], verified as the service would,
    /// and the statuses phase two takes.
    pub(crate) fn resolve(
        &self,
        verified: &VerifiedPresentation,
        status: Status,
    ) -> Vec<(StatusListReference, Status)> {
        let mut list = StatusListBuf::new(StatusBits::Two, 1024).unwrap();
        list.set(IDX, status).unwrap();
        let claims = idv_status_list::token::token_claims(
            STATUS_URI,
            NOW - 60,
            Some(NOW + DAY),
            Some(3600),
            &list,
        );
        let token = idv_status_list::token::issue_token(&claims, &self.issuer, None, None).unwrap();
        let clock = ManualClock::new(NOW);
        verified
            .status_requests()
            .iter()
            .map(|request| {
                let list = idv_status_list::verify::verify_status_list_token(
                    &request.reference,
                    &token,
                    &request.issuer_key,
                    &clock,
                    &StatusPolicy::default(),
                )
                .unwrap();
                (
                    request.reference.clone(),
                    list.status(request.reference.idx).unwrap(),
                )
            })
            .collect()
    }

    /// Phase one against the baseline trust list.
    pub(crate) fn verify(
        &self,
        template: &Template,
        vp_token: &VpToken,
    ) -> Result<VerifiedPresentation, CheckFailure> {
        self.verify_with(template, vp_token, &self.trust_list())
    }

    pub(crate) fn verify_with(
        &self,
        template: &Template,
        vp_token: &VpToken,
        list: &VerifiedTrustList,
    ) -> Result<VerifiedPresentation, CheckFailure> {
        verify_presentation(
            template,
            &Expected::new(CLIENT_ID, NONCE, NOW),
            vp_token,
            list,
        )
    }

    /// Both phases, the status list saying `status`.
    pub(crate) fn check_with_status(
        &self,
        template: &Template,
        vp_token: &VpToken,
        status: Status,
    ) -> CheckOutcome {
        let verified = self.verify(template, vp_token).unwrap();
        let statuses = self.resolve(&verified, status);
        verified.conclude(&statuses, NOW + 1, Some(NOW))
    }

    /// Both phases with a valid status.
    pub(crate) fn check(&self, template: &Template, vp_token: &VpToken) -> CheckOutcome {
        self.check_with_status(template, vp_token, Status::Valid)
    }

    /// Phase one must fail: its reason code and outcome.
    pub(crate) fn rejection(&self, template: &Template, vp_token: &VpToken) -> CheckFailure {
        self.verify(template, vp_token).unwrap_err()
    }
}

/// A VP Token holding `presentation` under the template's Credential Query id.
pub(crate) fn token(template: &Template, presentation: String) -> VpToken {
    VpToken(
        [(
            template.credential_query_id().to_owned(),
            vec![presentation],
        )]
        .into_iter()
        .collect(),
    )
}

/// A British passport holder proofed to medium.
pub(crate) fn person() -> ProofedIdentity {
    ProofedIdentity {
        given_name: "Ada".into(),
        family_name: "Lovelace".into(),
        birthdate: "1990-12-10".into(),
        nationalities: vec!["GB".into()],
        document: IdentityDocument {
            document_type: "passport".into(),
            issuing_country: "GB".into(),
            date_of_expiry: "2031-01-31".into(),
        },
        portrait: Some("data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ==".into()),
        address: Some(
            json!({ "street_address": "12 Analytical Row", "locality": "London", "postal_code": "N1 9GU" })
                .as_object()
                .unwrap()
                .clone(),
        ),
        level_of_confidence: "medium".into(),
        gpg45_profile: "M1B".into(),
        proofed_at: NOW - 600,
    }
}

pub(crate) fn path(json: serde_json::Value) -> ClaimsPath {
    serde_json::from_value(json).unwrap()
}

/// Personal values of [`person`] that must never leak into text output.
pub(crate) const PERSONAL: &[&str] = &["Ada", "Lovelace", "1990-12-10", "Analytical", "/9j/"];
