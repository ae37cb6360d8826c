//! Fixed fixtures: an operator anchor, an issuer, and a §8.3-style list signed on demand.

use idv_jose::{PublicKey, SigningKey};
use idv_proto::claims_path::ClaimsPath;
use idv_proto::trust::entry::{LevelOfConfidence, Organisation, Role, SchemeCode, ServiceEntry};
use idv_proto::trust::relying_party::{Purpose, RelyingPartyEntry, RelyingPartyStatus};
use idv_proto::trust::trust_list::{FrameworkValidity, TrustListClaims};
use idv_test_support::register::CertifiedEntry;
use idv_trust::anchors::TrustAnchors;
use idv_trust::evaluate::{IssuanceWindow, IssuerQuery};
use idv_trust::list::{ListPolicy, VerifiedTrustList, sign_trust_list, verify_trust_list};

/// 2026-01-01T00:00:00Z.
pub(crate) const NOW: i64 = 1_767_225_600;
pub(crate) const DAY: i64 = 24 * 60 * 60;
pub(crate) const ISS: &str = "https://id.example-idsp.co.uk";
pub(crate) const RTW_VCT: &str = "https://trust.sim.ofdia.example/vct/uk-rtw/1";
pub(crate) const AGE_VCT: &str = "https://trust.sim.ofdia.example/vct/uk-age/1";
pub(crate) const SHOP: &str = "shop.example.co.uk";
pub(crate) const EMPLOYER: &str = "hr.employer.example.co.uk";
/// When the issuer's service was first certified.
pub(crate) const CERTIFIED_SINCE: i64 = NOW - 200 * DAY;

pub(crate) struct Fixture {
    pub(crate) anchor: SigningKey,
    pub(crate) anchors: TrustAnchors,
    pub(crate) issuer: SigningKey,
}

impl Fixture {
    pub(crate) fn new() -> Self {
        let (anchor, anchors) = idv_test_support::register::pinned_anchor();
        Self {
            anchor,
            anchors,
            issuer: SigningKey::generate().unwrap(),
        }
    }

    /// The baseline list: one certified IDSP entry and two relying parties.
    pub(crate) fn claims(&self) -> TrustListClaims {
        list_claims(self.issuer.public_key())
    }

    /// Signs `claims` with the pinned anchor.
    pub(crate) fn sign(&self, claims: &TrustListClaims) -> String {
        sign_list(claims, &self.anchor)
    }

    /// Signs and verifies `claims` at [`NOW`] with the default policy.
    pub(crate) fn verified(&self, claims: &TrustListClaims) -> VerifiedTrustList {
        verify_trust_list(
            &self.sign(claims),
            &self.anchors,
            NOW,
            &ListPolicy::default(),
        )
        .unwrap()
    }

    /// An RTW query at medium LoC for a credential issued a day ago with the issuer key.
    pub(crate) fn rtw_query(&self) -> IssuerQuery<'_> {
        IssuerQuery {
            iss: ISS,
            issuer_key: self.issuer.public_key(),
            vct: RTW_VCT,
            scheme: SchemeCode::Rtw,
            required_loc: LevelOfConfidence::Medium,
            now: NOW,
            issued: Some(IssuanceWindow::from_iat(NOW - DAY, NOW)),
        }
    }
}

pub(crate) fn sign_list(claims: &TrustListClaims, key: &SigningKey) -> String {
    sign_trust_list(claims, key).unwrap()
}

pub(crate) fn path(json: &str) -> ClaimsPath {
    serde_json::from_str(json).unwrap()
}

pub(crate) fn list_claims(issuer_key: &PublicKey) -> TrustListClaims {
    let entry = CertifiedEntry::new("dvs-000123", ISS, issuer_key)
        .certified(CERTIFIED_SINCE, NOW + 900 * DAY)
        .roles(&[Role::Idsp, Role::Hsp])
        .codes(&[SchemeCode::Rtw, SchemeCode::Rtr, SchemeCode::Age])
        .vct(&[RTW_VCT, AGE_VCT])
        .build();
    TrustListClaims {
        framework_versions_valid: [
            (
                "0.3".to_owned(),
                FrameworkValidity {
                    from: None,
                    until: Some(1_775_001_600),
                },
            ),
            ("0.4".to_owned(), FrameworkValidity::default()),
            (
                "1.0".to_owned(),
                FrameworkValidity {
                    from: Some(NOW - 365 * DAY),
                    until: None,
                },
            ),
        ]
        .into_iter()
        .collect(),
        relying_parties: vec![
            RelyingPartyEntry {
                rp_id: "rp-000007".into(),
                organisation: Organisation {
                    name: "Example Off-Licence Ltd".into(),
                    company_number: None,
                },
                client_id: SHOP.into(),
                status: RelyingPartyStatus::Active,
                purposes: vec![Purpose {
                    code: SchemeCode::Age,
                    claims: vec![path(r#"["age_over_18"]"#)],
                }],
            },
            RelyingPartyEntry {
                rp_id: "rp-000008".into(),
                organisation: Organisation {
                    name: "Example Employer plc".into(),
                    company_number: Some("07654321".into()),
                },
                client_id: EMPLOYER.into(),
                status: RelyingPartyStatus::Active,
                purposes: vec![Purpose {
                    code: SchemeCode::Rtw,
                    claims: ["given_name", "family_name", "birthdate", "address"]
                        .into_iter()
                        .map(|name| ClaimsPath::from_keys([name]).unwrap())
                        .collect(),
                }],
            },
        ],
        ..idv_test_support::register::list_claims(NOW, vec![entry])
    }
}

/// The only entry of a baseline list.
pub(crate) fn entry(claims: &mut TrustListClaims) -> &mut ServiceEntry {
    &mut claims.entries[0]
}
