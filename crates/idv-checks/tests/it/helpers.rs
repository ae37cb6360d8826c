//! Fixtures: an operator anchor and signed trust list, an IDSP issuing with the scheme's real
//! credential profiles (`idv-profiles`), a holder presenting with key binding, and a status list.

use idv_checks::verify::{Expected, VerifiedPresentation, verify_presentation};
use idv_checks::{CheckFailure, CheckOutcome, Template, Templates};
use idv_jose::random::DeterministicRandom;
use idv_jose::{ManualClock, SigningKey};
use idv_profiles::ProofedIdentity;
use idv_proto::claims_path::ClaimsPath;
use idv_proto::oid4vp::authorization_response::VpToken;
use idv_proto::sd_jwt_vc::status::StatusListReference;
use idv_sdjwt::holder::HeldSdJwt;
use idv_status_list::{Status, StatusBits, StatusListBuf, StatusPolicy};
use idv_test_support::status_list::signed_status_list;
use idv_trust::anchors::TrustAnchors;
use idv_trust::list::VerifiedTrustList;

mod credentials;
mod register;

pub(crate) use idv_test_support::example::{CLIENT_ID, DAY, ISS, NONCE, NOW, STATUS_URI};
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
        let (anchor, anchors) = idv_test_support::register::pinned_anchor();
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
        self.vp_token_disclosing(template, held, template.requested_claims())
    }

    /// A VP Token for `template` presenting `held` to the verifier, disclosing `paths`.
    pub(crate) fn vp_token_disclosing(
        &self,
        template: &Template,
        held: &HeldSdJwt,
        paths: &[ClaimsPath],
    ) -> VpToken {
        token(
            template,
            self.present_to(held, paths, CLIENT_ID, NONCE, NOW),
        )
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
        let token = signed_status_list(STATUS_URI, &list, &self.issuer, NOW);
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

/// The federation's citizen, a British passport holder, proofed to medium before [`NOW`].
pub(crate) fn person() -> ProofedIdentity {
    idv_test_support::citizen::ada_lovelace(NOW - 600)
}

pub(crate) fn path(json: serde_json::Value) -> ClaimsPath {
    serde_json::from_value(json).unwrap()
}

/// Personal values of [`person`] that must never leak into text output.
pub(crate) const PERSONAL: &[&str] = &["Ada", "Lovelace", "1990-12-10", "Analytical", "/9j/"];
