//! The register the fixture's checks are decided on: one certified IDSP on a trust list signed
//! by the pinned anchor.

use idv_proto::trust::entry::SchemeCode;
use idv_proto::trust::trust_list::TrustListClaims;
use idv_test_support::register::{CertifiedEntry, list_claims};
use idv_trust::list::{ListPolicy, VerifiedTrustList, sign_trust_list, verify_trust_list};

use super::{CERTIFIED_SINCE, DAY, Fixture, ISS, NOW, REGISTER_ID};

impl Fixture {
    /// One certified IDSP, RTW and AGE codes, medium LoC, both credential types.
    pub(crate) fn list_claims(&self) -> TrustListClaims {
        let entry = CertifiedEntry::new(REGISTER_ID, ISS, self.issuer.public_key())
            .certified(CERTIFIED_SINCE, NOW + 900 * DAY)
            .codes(&[SchemeCode::Rtw, SchemeCode::Age])
            .vct(&[
                idv_checks::templates::IDENTITY_VCT,
                idv_checks::templates::AGE_VCT,
            ])
            .build();
        list_claims(NOW, vec![entry])
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
