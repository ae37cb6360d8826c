//! Structural validation of a DCQL query beyond what parsing enforces.
//!
//! OpenID4VP 1.0 "Digital Credentials Query Language (DCQL)", "Credential Query",
//! "Credential Set Query", "Claims Query" and Appendix "IETF SD-JWT VC" (`vct_values`).
//! Wallets run this on every incoming query; verifiers on every query they build.

use std::collections::BTreeSet;

use idv_proto::oid4vp::dcql::{ClaimsQuery, CredentialQuery, DcqlQuery};
use idv_proto::oid4vp::verifier_metadata::DC_SD_JWT_FORMAT;
use serde_json::Value;

use crate::error::DcqlError;

/// Checks every DCQL rule that a well-formed query must follow; returns the first violation.
///
/// `credentials` non-empty; ids `[A-Za-z0-9_-]+` and unique; `meta.vct_values` non-empty for
/// `dc+sd-jwt`; `trusted_authorities` and their `values` non-empty; `claims` non-empty, claim
/// ids well-formed, unique and present when `claim_sets` is; no claim path requested twice;
/// `values` non-empty strings, integers or booleans; `claim_sets` only with `claims`, non-empty
/// and naming existing claim ids; `credential_sets` non-empty with non-empty options naming
/// existing Credential Query ids.
pub fn validate(query: &DcqlQuery) -> Result<(), DcqlError> {
    if query.credentials.is_empty() {
        return invalid("`credentials` must not be empty".to_owned());
    }
    let mut ids = BTreeSet::new();
    for credential in &query.credentials {
        if !is_valid_id(&credential.id) {
            return invalid(format!(
                "credential query id `{}` must match [A-Za-z0-9_-]+",
                credential.id
            ));
        }
        if !ids.insert(credential.id.as_str()) {
            return invalid(format!(
                "credential query id `{}` is used twice",
                credential.id
            ));
        }
        validate_credential_query(credential)?;
    }
    if let Some(credential_sets) = &query.credential_sets {
        if credential_sets.is_empty() {
            return invalid("`credential_sets` must not be empty".to_owned());
        }
        for (index, set) in credential_sets.iter().enumerate() {
            if set.options.is_empty() {
                return invalid(format!("credential set #{index} has no options"));
            }
            for option in &set.options {
                if option.is_empty() {
                    return invalid(format!("credential set #{index} has an empty option"));
                }
                if let Some(unknown) = option.iter().find(|id| !ids.contains(id.as_str())) {
                    return invalid(format!(
                        "credential set #{index} names unknown credential query `{unknown}`"
                    ));
                }
            }
        }
    }
    Ok(())
}

fn validate_credential_query(credential: &CredentialQuery) -> Result<(), DcqlError> {
    let id = &credential.id;
    if credential.format.is_empty() {
        return invalid(format!("credential query `{id}` has an empty `format`"));
    }
    match &credential.meta.vct_values {
        Some(vct_values) if vct_values.is_empty() => {
            return invalid(format!(
                "credential query `{id}` has an empty `meta.vct_values`"
            ));
        }
        None if credential.format == DC_SD_JWT_FORMAT => {
            return invalid(format!(
                "credential query `{id}` of format `{DC_SD_JWT_FORMAT}` needs `meta.vct_values`"
            ));
        }
        _ => {}
    }
    if let Some(authorities) = &credential.trusted_authorities
        && (authorities.is_empty()
            || authorities
                .iter()
                .any(|authority| authority.values.is_empty()))
    {
        return invalid(format!(
            "credential query `{id}` has empty `trusted_authorities` or `values`"
        ));
    }
    let Some(claims) = &credential.claims else {
        if credential.claim_sets.is_some() {
            return invalid(format!(
                "credential query `{id}` has `claim_sets` without `claims`"
            ));
        }
        return Ok(());
    };
    if claims.is_empty() {
        return invalid(format!("credential query `{id}` has an empty `claims`"));
    }
    let mut claim_ids = BTreeSet::new();
    let mut paths = BTreeSet::new();
    for claim in claims {
        validate_claims_query(id, claim)?;
        if let Some(claim_id) = &claim.id {
            if !claim_ids.insert(claim_id.as_str()) {
                return invalid(format!(
                    "credential query `{id}` uses claim id `{claim_id}` twice"
                ));
            }
        } else if credential.claim_sets.is_some() {
            return invalid(format!(
                "credential query `{id}` has `claim_sets`, so every claim needs an `id`"
            ));
        }
        if !paths.insert(&claim.path) {
            return invalid(format!(
                "credential query `{id}` requests claim {} twice",
                claim.path
            ));
        }
    }
    if let Some(claim_sets) = &credential.claim_sets {
        if claim_sets.is_empty() {
            return invalid(format!("credential query `{id}` has an empty `claim_sets`"));
        }
        for claim_set in claim_sets {
            if claim_set.is_empty() {
                return invalid(format!("credential query `{id}` has an empty claim set"));
            }
            if let Some(unknown) = claim_set
                .iter()
                .find(|claim_id| !claim_ids.contains(claim_id.as_str()))
            {
                return invalid(format!(
                    "credential query `{id}` has a claim set naming unknown claim id `{unknown}`"
                ));
            }
        }
    }
    Ok(())
}

fn validate_claims_query(id: &str, claim: &ClaimsQuery) -> Result<(), DcqlError> {
    if let Some(claim_id) = &claim.id
        && !is_valid_id(claim_id)
    {
        return invalid(format!(
            "credential query `{id}`: claim id `{claim_id}` must match [A-Za-z0-9_-]+"
        ));
    }
    if let Some(values) = &claim.values {
        if values.is_empty() {
            return invalid(format!(
                "credential query `{id}`: claim {} has empty `values`",
                claim.path
            ));
        }
        let scalar = |value: &Value| match value {
            Value::String(_) | Value::Bool(_) => true,
            Value::Number(number) => number.is_i64() || number.is_u64(),
            Value::Null | Value::Array(_) | Value::Object(_) => false,
        };
        if !values.iter().all(scalar) {
            return invalid(format!(
                "credential query `{id}`: claim {} `values` must be strings, integers or booleans",
                claim.path
            ));
        }
    }
    Ok(())
}

fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
}

fn invalid(reason: String) -> Result<(), DcqlError> {
    Err(DcqlError::InvalidQuery { reason })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::test_fixtures::parse;

    fn reason(json: Value) -> String {
        match validate(&parse(json)) {
            Err(DcqlError::InvalidQuery { reason }) => reason,
            other => panic!("expected InvalidQuery, got {other:?}"),
        }
    }

    fn sd_jwt(id: &str) -> Value {
        json!({ "id": id, "format": "dc+sd-jwt", "meta": { "vct_values": ["https://trust.example.uk/vct/rtw/1"] } })
    }

    fn with(mut credential: Value, key: &str, value: Value) -> Value {
        credential[key] = value;
        credential
    }

    #[test]
    fn spec_and_digest_examples_are_valid() {
        let digest = json!({
            "credentials": [with(with(sd_jwt("rtw"), "claims", json!([
                { "id": "a", "path": ["age_equal_or_over", "18"] },
                { "id": "b", "path": ["birthdate"] }
            ])), "claim_sets", json!([["a"], ["b"]]))],
            "credential_sets": [{ "options": [["rtw"]], "required": true }]
        });
        assert_eq!(validate(&parse(digest)), Ok(()));
        let alternatives = json!({
            "credentials": [sd_jwt("pid"), sd_jwt("other_pid"), sd_jwt("pid_reduced_cred_1"), sd_jwt("pid_reduced_cred_2"), sd_jwt("nice_to_have")],
            "credential_sets": [
                { "options": [["pid"], ["other_pid"], ["pid_reduced_cred_1", "pid_reduced_cred_2"]] },
                { "required": false, "options": [["nice_to_have"]] }
            ]
        });
        assert_eq!(validate(&parse(alternatives)), Ok(()));
    }

    #[test]
    fn empty_credentials_are_rejected() {
        assert!(reason(json!({ "credentials": [] })).contains("`credentials`"));
    }

    #[test]
    fn credential_query_ids_must_use_the_allowed_characters() {
        for id in ["", "a b", "pid.1", "ü"] {
            assert!(
                reason(json!({ "credentials": [sd_jwt(id)] })).contains("must match"),
                "{id:?}"
            );
        }
        assert_eq!(
            validate(&parse(json!({ "credentials": [sd_jwt("A-z_09")] }))),
            Ok(())
        );
    }

    #[test]
    fn duplicate_credential_query_ids_are_rejected() {
        assert!(reason(json!({ "credentials": [sd_jwt("pid"), sd_jwt("pid")] })).contains("twice"));
    }

    #[test]
    fn sd_jwt_vc_queries_need_non_empty_vct_values() {
        let missing =
            json!({ "credentials": [{ "id": "pid", "format": "dc+sd-jwt", "meta": {} }] });
        assert!(reason(missing).contains("needs `meta.vct_values`"));
        let empty = json!({ "credentials": [{ "id": "pid", "format": "dc+sd-jwt", "meta": { "vct_values": [] } }] });
        assert!(reason(empty).contains("empty `meta.vct_values`"));
        let mdoc = json!({ "credentials": [{ "id": "mdl", "format": "mso_mdoc", "meta": { "doctype_value": "org.iso.18013.5.1.mDL" } }] });
        assert_eq!(validate(&parse(mdoc)), Ok(()));
    }

    #[test]
    fn empty_claims_array_is_rejected() {
        assert!(
            reason(json!({ "credentials": [with(sd_jwt("pid"), "claims", json!([]))] }))
                .contains("empty `claims`")
        );
    }

    #[test]
    fn claim_sets_require_claims_with_ids() {
        let no_claims = with(sd_jwt("pid"), "claim_sets", json!([["a"]]));
        assert!(reason(json!({ "credentials": [no_claims] })).contains("without `claims`"));
        let no_id = with(
            with(sd_jwt("pid"), "claims", json!([{ "path": ["a"] }])),
            "claim_sets",
            json!([["a"]]),
        );
        assert!(reason(json!({ "credentials": [no_id] })).contains("needs an `id`"));
    }

    #[test]
    fn claim_sets_must_name_existing_claims() {
        let credential = with(
            with(
                sd_jwt("pid"),
                "claims",
                json!([{ "id": "a", "path": ["a"] }]),
            ),
            "claim_sets",
            json!([["a", "b"]]),
        );
        assert!(reason(json!({ "credentials": [credential] })).contains("unknown claim id `b`"));
        let empty_set = with(
            with(
                sd_jwt("pid"),
                "claims",
                json!([{ "id": "a", "path": ["a"] }]),
            ),
            "claim_sets",
            json!([[]]),
        );
        assert!(reason(json!({ "credentials": [empty_set] })).contains("empty claim set"));
    }

    #[test]
    fn claim_ids_must_be_unique_and_well_formed() {
        let twice = with(
            sd_jwt("pid"),
            "claims",
            json!([{ "id": "a", "path": ["a"] }, { "id": "a", "path": ["b"] }]),
        );
        assert!(reason(json!({ "credentials": [twice] })).contains("claim id `a` twice"));
        let bad = with(
            sd_jwt("pid"),
            "claims",
            json!([{ "id": "a/b", "path": ["a"] }]),
        );
        assert!(reason(json!({ "credentials": [bad] })).contains("must match"));
    }

    #[test]
    fn the_same_claim_path_must_not_be_requested_twice() {
        let credential = with(
            sd_jwt("pid"),
            "claims",
            json!([{ "path": ["address", "locality"] }, { "path": ["address", "locality"] }]),
        );
        assert!(
            reason(json!({ "credentials": [credential] }))
                .contains(r#"["address","locality"] twice"#)
        );
    }

    #[test]
    fn values_must_be_non_empty_scalars() {
        for values in [
            json!([]),
            json!([1.5]),
            json!([null]),
            json!([{ "a": 1 }]),
            json!([["GB"]]),
        ] {
            let credential = with(
                sd_jwt("pid"),
                "claims",
                json!([{ "path": ["a"], "values": values }]),
            );
            assert!(reason(json!({ "credentials": [credential] })).contains("values"));
        }
        let ok = with(
            sd_jwt("pid"),
            "claims",
            json!([{ "path": ["a"], "values": ["GB", 18, -1, true] }]),
        );
        assert_eq!(validate(&parse(json!({ "credentials": [ok] }))), Ok(()));
    }

    #[test]
    fn credential_sets_must_be_non_empty_and_name_existing_queries() {
        assert!(
            reason(json!({ "credentials": [sd_jwt("pid")], "credential_sets": [] }))
                .contains("`credential_sets`")
        );
        assert!(
            reason(
                json!({ "credentials": [sd_jwt("pid")], "credential_sets": [{ "options": [] }] })
            )
            .contains("no options")
        );
        assert!(
            reason(
                json!({ "credentials": [sd_jwt("pid")], "credential_sets": [{ "options": [[]] }] })
            )
            .contains("empty option")
        );
        assert!(reason(json!({ "credentials": [sd_jwt("pid")], "credential_sets": [{ "options": [["mdl"]] }] })).contains("unknown credential query `mdl`"));
    }

    #[test]
    fn trusted_authorities_must_not_be_empty() {
        let credential = with(
            sd_jwt("pid"),
            "trusted_authorities",
            json!([{ "type": "aki", "values": [] }]),
        );
        assert!(reason(json!({ "credentials": [credential] })).contains("trusted_authorities"));
    }
}
