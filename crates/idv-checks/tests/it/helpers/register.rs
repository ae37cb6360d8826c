//! The register the fixture's checks are decided on: one certified IDSP on a trust list signed
//! by the pinned anchor.

use idv_proto::jwk_set;
use idv_proto::trust::entry::{
    Certificate, CodeStatus, IssuerBinding, LevelOfConfidence, Organisation, Role, SchemeCode,
    Service, ServiceEntry, ServiceStatus, StatusChange, SupplementaryCode,
};
use idv_proto::trust::trust_list::{FrameworkValidity, TrustListClaims};
use idv_trust::list::{ListPolicy, VerifiedTrustList, sign_trust_list, verify_trust_list};

use super::{CERTIFIED_SINCE, DAY, Fixture, ISS, NOW, REGISTER_ID};

impl Fixture {
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
        let compact = sign_trust_list(claims, &self.anchor).unwrap();
        verify_trust_list(&compact, &self.anchors, now, &ListPolicy::default()).unwrap()
    }

    pub(crate) fn trust_list(&self) -> VerifiedTrustList {
        self.trust_list_from(&self.list_claims())
    }
}
