//! Claims of the signed DVS trust list, served with
//! `Content-Type: application/dvs-trust-list+jwt` as a compact JWS
//! `{"alg":"ES256","typ":"dvs-trust-list+jwt","kid":"<anchor thumbprint>"}`.
//!
//! Our design (docs/trust-list.md): ETSI TS 119 612 `TSLSequenceNumber`/`NextUpdate`
//! semantics (`sequence`, `next_update`) on a JWT with a hard `exp`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::trust::credential_type::TypeMetadataReference;
use crate::trust::entry::ServiceEntry;
use crate::trust::relying_party::RelyingPartyEntry;

/// JOSE header `typ` of a trust list.
pub const TRUST_LIST_TYP: &str = "dvs-trust-list+jwt";

/// Media type of a trust list response.
pub const TRUST_LIST_MEDIA_TYPE: &str = "application/dvs-trust-list+jwt";

/// The trust list's claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustListClaims {
    /// The list operator (the simulated OfDIA).
    pub iss: String,
    /// Issue time (seconds since the epoch).
    pub iat: i64,
    /// Hard expiry: the list must never be used from this time on.
    pub exp: i64,
    /// Soft refresh time: fetch a newer list from then on; never after `exp`.
    pub next_update: i64,
    /// Which list this is; `sequence` is monotonic per `list_id`.
    pub list_id: String,
    /// Strictly increasing issue number; a lower one is a rollback.
    pub sequence: u64,
    /// Trust framework versions accepted, and when.
    pub framework_versions_valid: BTreeMap<String, FrameworkValidity>,
    /// Certified services.
    pub entries: Vec<ServiceEntry>,
    /// Registered relying parties.
    #[serde(default)]
    pub relying_parties: Vec<RelyingPartyEntry>,
    /// The scheme's credential types: where each `vct`'s Type Metadata (and JSON Schema) is
    /// published, pinned by digest. A verifier processes a listed type's metadata and rejects
    /// a credential that does not conform, or that it cannot check.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub type_metadata: BTreeMap<String, TypeMetadataReference>,
}

/// When certificates against a framework version are accepted: `from <= t < until`, each
/// bound open when absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameworkValidity {
    /// First accepted time (seconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<i64>,
    /// First time no longer accepted (seconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
}

impl FrameworkValidity {
    /// Whether `t` lies in `[from, until)`.
    pub fn contains(&self, t: i64) -> bool {
        self.from.is_none_or(|from| from <= t) && self.until.is_none_or(|until| t < until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::entry::{LevelOfConfidence, Role, SchemeCode, ServiceStatus};
    use crate::trust::relying_party::RelyingPartyStatus;
    use serde_json::json;

    /// A complete example list: an entry with a key, a relying party and a credential type.
    fn example() -> serde_json::Value {
        json!({
            "iss": "https://trust.sim.ofdia.example",
            "iat": 1767225600, "exp": 1767830400,
            "next_update": 1767312000,
            "list_id": "uk-dvs-register", "sequence": 42,
            "framework_versions_valid": {
                "0.3": {"until": 1775001600},
                "0.4": {},
                "1.0": {"from": 1772496000}
            },
            "entries": [{
                "entry_id": "dvs-000123",
                "organisation": {"name": "Example IDSP Ltd", "company_number": "01234567"},
                "service": {"service_id": "svc-01", "name": "Example Reusable ID"},
                "roles": ["IDSP", "HSP"],
                "framework_version": "1.0",
                "certificate": {"id": "CAB-7-2026-55", "cab": "Example CAB (UKAS 1234)",
                                "issued": 1751328000, "expires": 1845936000},
                "supplementary_codes": [
                    {"code": "RTW", "status": "certified"},
                    {"code": "RTR", "status": "suspended"}
                ],
                "max_loc": "very_high",
                "status": "certified",
                "status_since": 1751328000,
                "status_history": [
                    {"status": "certified", "since": 1751328000},
                    {"status": "suspended", "since": 1752000000, "reason": "surveillance audit"},
                    {"status": "certified", "since": 1753000000}
                ],
                "issuer": {
                    "iss": ["https://id.example-idsp.co.uk"],
                    "jwks": {"keys": [{"kty": "EC", "crv": "P-256",
                        "x": "TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc",
                        "y": "ZxjiWWbZMQGHVWKVQ4hbSIirsVfuecCE6t4jT9F2HZQ"}]},
                    "status_list_uris_prefix": ["https://id.example-idsp.co.uk/status/"],
                    "vct": ["https://trust.sim.ofdia.example/vct/uk-rtw/1"]
                }
            }],
            "relying_parties": [{
                "rp_id": "rp-000007",
                "organisation": {"name": "Example Off-Licence Ltd"},
                "client_id": "shop.example.co.uk",
                "status": "active",
                "purposes": [{"code": "AGE", "claims": [["age_over_18"]]}]
            }],
            "type_metadata": {
                "https://trust.sim.ofdia.example/vct/uk-rtw/1": {
                    "uri": "https://trust.sim.ofdia.example/type-metadata/uk-rtw-1",
                    "uri#integrity": "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
                }
            }
        })
    }

    #[test]
    fn standards_example_trust_list_round_trips() {
        let claims: TrustListClaims = serde_json::from_value(example()).unwrap();
        let entry = &claims.entries[0];
        assert_eq!(entry.roles, [Role::Idsp, Role::Hsp]);
        assert_eq!(entry.supplementary_codes[0].code, SchemeCode::Rtw);
        assert_eq!(entry.max_loc, LevelOfConfidence::VeryHigh);
        assert_eq!(entry.status_history[1].status, ServiceStatus::Suspended);
        assert_eq!(claims.relying_parties[0].status, RelyingPartyStatus::Active);
        assert_eq!(serde_json::to_value(&claims).unwrap(), example());
    }

    #[test]
    fn explicit_null_bounds_and_missing_relying_parties_and_types_are_accepted() {
        let mut value = example();
        value["framework_versions_valid"]["0.4"] = json!({"until": null});
        value.as_object_mut().unwrap().remove("relying_parties");
        value.as_object_mut().unwrap().remove("type_metadata");
        let claims: TrustListClaims = serde_json::from_value(value).unwrap();
        assert!(claims.type_metadata.is_empty());
        assert!(
            serde_json::to_value(&claims)
                .unwrap()
                .get("type_metadata")
                .is_none()
        );
        assert_eq!(
            claims.framework_versions_valid["0.4"],
            FrameworkValidity::default()
        );
        assert!(claims.relying_parties.is_empty());
    }

    #[test]
    fn unknown_roles_statuses_and_levels_are_rejected() {
        for (pointer, bad) in [
            ("/entries/0/roles/0", json!("idsp")),
            ("/entries/0/status", json!("active")),
            ("/entries/0/max_loc", json!("VERY_HIGH")),
            ("/entries/0/supplementary_codes/0/code", json!("rtw")),
            ("/sequence", json!(-1)),
        ] {
            let mut value = example();
            *value.pointer_mut(pointer).unwrap() = bad;
            assert!(
                serde_json::from_value::<TrustListClaims>(value).is_err(),
                "{pointer}"
            );
        }
    }

    #[test]
    fn levels_of_confidence_are_ordered() {
        use LevelOfConfidence::*;
        assert!(Low < Medium && Medium < High && High < VeryHigh);
    }

    #[test]
    fn framework_validity_is_half_open() {
        let validity = FrameworkValidity {
            from: Some(10),
            until: Some(20),
        };
        assert!(!validity.contains(9));
        assert!(validity.contains(10));
        assert!(validity.contains(19));
        assert!(!validity.contains(20));
        assert!(FrameworkValidity::default().contains(i64::MIN));
    }
}
