//! DCQL query: the `dcql_query` request parameter.
//!
//! OpenID4VP 1.0 "Digital Credentials Query Language (DCQL)" ("Credential Query",
//! "Trusted Authorities Query", "Credential Set Query", "Claims Query") and Appendix
//! "IETF SD-JWT VC" (`meta.vct_values`). Unknown members are ignored, as the spec requires.
//! Validation and evaluation live in `idv-dcql`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::claims_path::ClaimsPath;

/// A DCQL query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DcqlQuery {
    /// The requested credentials (non-empty).
    pub credentials: Vec<CredentialQuery>,
    /// Constraints on which combinations of credentials to return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_sets: Option<Vec<CredentialSetQuery>>,
}

impl DcqlQuery {
    /// The credential query with this `id`.
    pub fn credential(&self, id: &str) -> Option<&CredentialQuery> {
        self.credentials.iter().find(|query| query.id == id)
    }
}

/// A Credential Query. Defaults are always serialised explicitly, for wallets that get them wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialQuery {
    /// Identifier used as the key in the VP Token; `[A-Za-z0-9_-]+`, unique in the query.
    pub id: String,
    /// Credential format identifier, e.g. `dc+sd-jwt`.
    pub format: String,
    /// Whether several credentials may be returned (default `false`).
    #[serde(default)]
    pub multiple: bool,
    /// Format-specific constraints on metadata (required, may be empty).
    pub meta: CredentialQueryMeta,
    /// Authorities or trust frameworks the verifier accepts (advisory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_authorities: Option<Vec<TrustedAuthoritiesQuery>>,
    /// Whether a presentation with cryptographic holder binding is required (default `true`).
    #[serde(default = "default_true")]
    pub require_cryptographic_holder_binding: bool,
    /// Requested claims; absent means no selectively disclosable claims.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<ClaimsQuery>>,
    /// Alternative combinations of claim ids, in order of preference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_sets: Option<Vec<Vec<String>>>,
}

/// The `meta` object of a Credential Query.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CredentialQueryMeta {
    /// `dc+sd-jwt`: accepted `vct` values (required for that format).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vct_values: Option<Vec<String>>,
    /// Members for other formats (e.g. `doctype_value`), unparsed.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// A Trusted Authorities Query, e.g. `{"type": "aki", "values": ["s9tIpPmhxdiuNkHMEWNpYim8S8Y"]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedAuthoritiesQuery {
    /// `aki`, `etsi_tl`, `openid_federation` or another registered type.
    #[serde(rename = "type")]
    pub authority_type: String,
    /// Type-specific identifiers (non-empty).
    pub values: Vec<String>,
}

/// A Credential Set Query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialSetQuery {
    /// Alternatives, each a non-empty list of Credential Query ids.
    pub options: Vec<Vec<String>>,
    /// Whether the set must be satisfied (default `true`).
    #[serde(default = "default_true")]
    pub required: bool,
}

/// A Claims Query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimsQuery {
    /// Identifier referenced from `claim_sets` (required when those are present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Claims path pointer to the claim.
    pub path: ClaimsPath,
    /// Accepted values (strings, integers or booleans), matched by exact type and value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Value>>,
    /// `mso_mdoc` only: whether the verifier intends to retain the element.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent_to_retain: Option<bool>,
}

fn default_true() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims_path::PathElement;
    use serde_json::json;

    /// A DCQL query in the shape of OpenID4VP 1.0 §6's examples.
    fn digest_example() -> Value {
        json!({
            "credentials": [{
                "id": "rtw",
                "format": "dc+sd-jwt",
                "multiple": false,
                "meta": { "vct_values": ["https://trust.example.uk/vct/rtw/1"] },
                "trusted_authorities": [{ "type": "aki", "values": ["s9tIpPmhxdiuNkHMEWNpYim8S8Y"] }],
                "require_cryptographic_holder_binding": true,
                "claims": [
                    { "id": "a", "path": ["age_equal_or_over", "18"] },
                    { "id": "b", "path": ["birthdate"] }
                ],
                "claim_sets": [["a"], ["b"]]
            }],
            "credential_sets": [{ "options": [["rtw"]], "required": true }]
        })
    }

    #[test]
    fn digest_example_round_trips() {
        let query: DcqlQuery = serde_json::from_value(digest_example()).unwrap();
        assert_eq!(
            query
                .credential("rtw")
                .unwrap()
                .trusted_authorities
                .as_ref()
                .unwrap()[0]
                .authority_type,
            "aki"
        );
        assert_eq!(serde_json::to_value(&query).unwrap(), digest_example());
    }

    #[test]
    fn absent_defaults_parse_to_spec_defaults_and_serialise_explicitly() {
        let query: DcqlQuery = serde_json::from_value(json!({
            "credentials": [{ "id": "pid", "format": "dc+sd-jwt", "meta": {} }],
            "credential_sets": [{ "options": [["pid"]] }]
        }))
        .unwrap();
        let credential = &query.credentials[0];
        assert!(!credential.multiple);
        assert!(credential.require_cryptographic_holder_binding);
        assert!(query.credential_sets.as_ref().unwrap()[0].required);
        assert_eq!(
            serde_json::to_value(&query).unwrap(),
            json!({
                "credentials": [{ "id": "pid", "format": "dc+sd-jwt", "multiple": false, "meta": {}, "require_cryptographic_holder_binding": true }],
                "credential_sets": [{ "options": [["pid"]], "required": true }]
            })
        );
    }

    #[test]
    fn spec_credentials_alternatives_example_parses() {
        let query: DcqlQuery = serde_json::from_value(json!({
            "credentials": [
                { "id": "pid", "format": "dc+sd-jwt", "meta": { "vct_values": ["https://credentials.example.com/identity_credential"] },
                  "claims": [{ "path": ["given_name"] }, { "path": ["family_name"] }, { "path": ["address", "street_address"] }] },
                { "id": "nice_to_have", "format": "dc+sd-jwt", "meta": { "vct_values": ["https://company.example/company_rewards"] },
                  "claims": [{ "path": ["rewards_number"] }] }
            ],
            "credential_sets": [
                { "options": [["pid"]] },
                { "required": false, "options": [["nice_to_have"]] }
            ]
        }))
        .unwrap();
        let sets = query.credential_sets.unwrap();
        assert!(sets[0].required && !sets[1].required);
        assert_eq!(
            query.credentials[0].claims.as_ref().unwrap()[2]
                .path
                .elements(),
            [
                PathElement::Key("address".into()),
                PathElement::Key("street_address".into())
            ]
        );
    }

    #[test]
    fn unknown_members_are_ignored_and_other_meta_is_kept() {
        let query: DcqlQuery = serde_json::from_value(json!({
            "credentials": [{ "id": "mdl", "format": "mso_mdoc", "meta": { "doctype_value": "org.iso.18013.5.1.mDL" }, "purpose": "x" }],
            "future_extension": true
        }))
        .unwrap();
        assert_eq!(
            query.credentials[0].meta.other["doctype_value"],
            json!("org.iso.18013.5.1.mDL")
        );
    }

    #[test]
    fn credential_query_without_meta_is_rejected() {
        assert!(
            serde_json::from_value::<DcqlQuery>(
                json!({ "credentials": [{ "id": "pid", "format": "dc+sd-jwt" }] })
            )
            .is_err()
        );
    }

    #[test]
    fn claims_query_with_a_bad_path_is_rejected() {
        for path in [json!([]), json!(["a", -1]), json!(["a", true]), json!("a")] {
            let query = json!({ "credentials": [{ "id": "pid", "format": "dc+sd-jwt", "meta": {}, "claims": [{ "path": path }] }] });
            assert!(serde_json::from_value::<DcqlQuery>(query).is_err());
        }
    }
}
