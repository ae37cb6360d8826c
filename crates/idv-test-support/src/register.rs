//! A certified service's entry in the register's trust list (docs/trust-list.md), built the
//! same way by the libraries' tests and the benchmarks, and the list around such entries.

use idv_jose::{Jwk, PublicKey, SigningKey};
use idv_proto::jwk_set::JwkSet;
use idv_proto::trust::entry::{
    Certificate, CodeStatus, IssuerBinding, LevelOfConfidence, Organisation, Role, SchemeCode,
    Service, ServiceEntry, ServiceStatus, StatusChange, SupplementaryCode,
};
use idv_proto::trust::trust_list::{FrameworkValidity, TrustListClaims};
use idv_trust::anchors::TrustAnchors;

/// Seconds in a day.
const DAY: i64 = 24 * 60 * 60;

/// Builds the entry of an identity service provider certified at medium confidence, with one
/// signing key, since [`CertifiedEntry::certified`]'s first time. Every other member has a
/// fixed example value ("Example IDSP Ltd", service `svc-01`, certificate `CAB-7-2026-55`)
/// that the builder's methods replace.
#[derive(Debug, Clone)]
#[must_use]
pub struct CertifiedEntry {
    entry: ServiceEntry,
}

impl CertifiedEntry {
    /// Entry `entry_id`, issuing as `iss` with `key` (its JWK carrying its RFC 7638 thumbprint
    /// as `kid`), status lists under `{iss}/status/`, role IDSP, no supplementary code and no
    /// credential type yet, certified from 0 until 0.
    #[allow(
        clippy::expect_used,
        reason = "a JWK always serialises to a JSON object"
    )]
    pub fn new(entry_id: impl Into<String>, iss: &str, key: &PublicKey) -> Self {
        let jwk = Jwk {
            kid: Some(key.thumbprint()),
            ..key.to_jwk()
        };
        let jwk = serde_json::to_value(jwk).expect("a JWK is JSON");
        Self {
            entry: ServiceEntry {
                entry_id: entry_id.into(),
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
                    issued: 0,
                    expires: 0,
                },
                supplementary_codes: Vec::new(),
                max_loc: LevelOfConfidence::Medium,
                status: ServiceStatus::Certified,
                status_since: 0,
                status_history: Vec::new(),
                issuer: IssuerBinding {
                    iss: vec![iss.into()],
                    jwks: JwkSet { keys: vec![jwk] },
                    x5c_roots_sha256: Vec::new(),
                    status_list_uris_prefix: vec![format!("{iss}/status/")],
                    vct: Vec::new(),
                },
            },
        }
    }

    /// Certified (status and certificate) from `since`, the certificate expiring at `expires`.
    pub fn certified(mut self, since: i64, expires: i64) -> Self {
        self.entry.certificate.issued = since;
        self.entry.certificate.expires = expires;
        self.entry.status_since = since;
        self.entry.status_history = vec![StatusChange {
            status: ServiceStatus::Certified,
            since,
            reason: None,
        }];
        self
    }

    /// Certified for each of the supplementary `codes`.
    pub fn codes(mut self, codes: &[SchemeCode]) -> Self {
        self.entry.supplementary_codes = codes
            .iter()
            .map(|&code| SupplementaryCode {
                code,
                status: CodeStatus::Certified,
            })
            .collect();
        self
    }

    /// Issues the credential types `vct`.
    pub fn vct(mut self, vct: &[&str]) -> Self {
        self.entry.issuer.vct = vct.iter().map(|&v| v.to_owned()).collect();
        self
    }

    /// In the `roles` (IDSP alone by default).
    pub fn roles(mut self, roles: &[Role]) -> Self {
        self.entry.roles = roles.to_vec();
        self
    }

    /// Run by the organisation `name`, with the Companies House `company_number`.
    pub fn organisation(mut self, name: impl Into<String>, company_number: Option<String>) -> Self {
        self.entry.organisation = Organisation {
            name: name.into(),
            company_number,
        };
        self
    }

    /// The service's id within its organisation.
    pub fn service_id(mut self, service_id: impl Into<String>) -> Self {
        self.entry.service.service_id = service_id.into();
        self
    }

    /// The certificate's id.
    pub fn certificate_id(mut self, id: impl Into<String>) -> Self {
        self.entry.certificate.id = id.into();
        self
    }

    /// Status lists under `prefix` rather than `{iss}/status/`.
    pub fn status_list_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.entry.issuer.status_list_uris_prefix = vec![prefix.into()];
        self
    }

    /// The entry.
    pub fn build(self) -> ServiceEntry {
        self.entry
    }
}

/// The example register's list `uk-dvs-register`, sequence 42, issued a minute before `now`,
/// expiring a day after and due for update in an hour, framework version 1.0 valid, holding
/// `entries` and no relying party.
pub fn list_claims(now: i64, entries: Vec<ServiceEntry>) -> TrustListClaims {
    TrustListClaims {
        iss: "https://trust.sim.ofdia.example".into(),
        iat: now - 60,
        exp: now + DAY,
        next_update: now + 3600,
        list_id: "uk-dvs-register".into(),
        sequence: 42,
        framework_versions_valid: [("1.0".to_owned(), FrameworkValidity::default())]
            .into_iter()
            .collect(),
        entries,
        relying_parties: Vec::new(),
        type_metadata: Default::default(),
    }
}

/// A new register signing key, and the trust anchors a relying party pins it with.
#[allow(
    clippy::expect_used,
    reason = "a fresh P-256 key generates and is a valid anchor"
)]
pub fn pinned_anchor() -> (SigningKey, TrustAnchors) {
    let anchor = SigningKey::generate().expect("a P-256 key generates");
    let anchors =
        TrustAnchors::from_keys([anchor.public_key().clone()]).expect("one key is an anchor set");
    (anchor, anchors)
}
