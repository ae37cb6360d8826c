//! The claim-matching rules shared by the wallet ([`crate::select`]) and the verifier
//! ([`crate::check`]).
//!
//! OpenID4VP 1.0 "Selecting Claims" and "Claims Query" (`values`).

use idv_proto::claims_path::{ClaimsPath, PathElement};
use idv_proto::oid4vp::dcql::{ClaimsQuery, CredentialQuery};
use serde_json::Value;

use crate::claims_path::process;

/// Whether one Claims Query is satisfied by `claims`: its path selects something and, when it
/// has `values`, at least one selected element equals one of them in type and value
/// (`18` ≠ `"18"` ≠ `18.0`). A path error counts as "claim absent".
pub fn claim_satisfied(claim: &ClaimsQuery, claims: &Value) -> bool {
    // A path without `null` selects at most one element: follow it without collecting.
    if let Some(selected) = select_one(&claim.path, claims) {
        return match (selected, &claim.values) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(value), Some(accepted)) => accepted.contains(value),
        };
    }
    let Ok(selected) = process(&claim.path, claims) else {
        return false;
    };
    match &claim.values {
        None => true,
        Some(accepted) => selected.iter().any(|value| accepted.contains(value)),
    }
}

/// For a path without `null`: `Some(Some(value))` when it selects `value`, `Some(None)` when it
/// selects nothing or is an error (what [`process`] would reject); `None` for a path with
/// `null`, which [`process`] must handle.
fn select_one<'a>(path: &ClaimsPath, claims: &'a Value) -> Option<Option<&'a Value>> {
    let mut selected = claims;
    for element in path.elements() {
        let next = match (element, selected) {
            (PathElement::AllElements, _) => return None,
            (PathElement::Key(key), Value::Object(object)) => object.get(key),
            (PathElement::Index(index), Value::Array(items)) => usize::try_from(*index)
                .ok()
                .and_then(|index| items.get(index)),
            _ => None,
        };
        match next {
            Some(value) => selected = value,
            // A missing key or index, or a key on a non-object (an error in `process`): either
            // way nothing is selected. A later `null` cannot change that.
            None => return Some(None),
        }
    }
    Some(Some(selected))
}

/// The claims `claims` can deliver for `query`, or `None` if it cannot satisfy the query:
///
/// - no `claims`: nothing to disclose (`Some(vec![])`);
/// - `claims` without `claim_sets`: every claim must be satisfied, all are disclosed;
/// - with `claim_sets`: the first satisfiable set in the verifier's order of preference.
///
/// Paths come back in the order of the `claims` array, without duplicates.
pub fn matched_claims(query: &CredentialQuery, claims: &Value) -> Option<Vec<ClaimsPath>> {
    ranked_match(query, claims).map(|(_, paths)| paths)
}

/// Whether `claims` can satisfy `query` (whether [`matched_claims`] is `Some`), without
/// building the list of paths.
pub fn satisfies(query: &CredentialQuery, claims: &Value) -> bool {
    satisfied_set(query, claims).is_some()
}

/// Like [`matched_claims`], also returning the position of the satisfied claim set (0 when
/// there are no claim sets), so that callers can prefer credentials meeting earlier sets.
pub(crate) fn ranked_match(
    query: &CredentialQuery,
    claims: &Value,
) -> Option<(usize, Vec<ClaimsPath>)> {
    let (rank, members) = satisfied_set(query, claims)?;
    let claim_queries = query.claims.iter().flatten();
    let paths = match members {
        None => dedup_paths(claim_queries),
        Some(claim_set) => dedup_paths(
            claim_queries
                .filter(|claim| claim.id.as_ref().is_some_and(|id| claim_set.contains(id))),
        ),
    };
    Some((rank, paths))
}

/// The rank of the satisfied claim set and its claim ids (`None`: every claim, when there are
/// no claim sets), or `None` when `claims` cannot satisfy `query`.
fn satisfied_set<'q>(
    query: &'q CredentialQuery,
    claims: &Value,
) -> Option<(usize, Option<&'q [String]>)> {
    let Some(claim_queries) = &query.claims else {
        return Some((0, None));
    };
    let Some(claim_sets) = &query.claim_sets else {
        return claim_queries
            .iter()
            .all(|claim| claim_satisfied(claim, claims))
            .then_some((0, None));
    };
    claim_sets.iter().enumerate().find_map(|(rank, claim_set)| {
        // An id that names no claim makes the set unsatisfiable (validation rejects it anyway).
        let all_known = claim_set.iter().all(|id| {
            claim_queries
                .iter()
                .any(|claim| claim.id.as_ref() == Some(id))
        });
        let mut members = claim_queries
            .iter()
            .filter(|claim| claim.id.as_ref().is_some_and(|id| claim_set.contains(id)));
        (all_known && members.all(|claim| claim_satisfied(claim, claims)))
            .then_some((rank, Some(claim_set.as_slice())))
    })
}

fn dedup_paths<'a>(claims: impl Iterator<Item = &'a ClaimsQuery>) -> Vec<ClaimsPath> {
    let mut paths: Vec<ClaimsPath> = Vec::new();
    for claim in claims {
        if !paths.contains(&claim.path) {
            paths.push(claim.path.clone());
        }
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::test_fixtures::paths;

    fn query(json: Value) -> CredentialQuery {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn no_claims_means_nothing_to_disclose() {
        let query =
            query(json!({ "id": "pid", "format": "dc+sd-jwt", "meta": { "vct_values": ["v"] } }));
        assert_eq!(
            matched_claims(&query, &json!({ "name": "x" })),
            Some(Vec::new())
        );
    }

    #[test]
    fn claims_without_claim_sets_need_every_claim() {
        let query = query(json!({
            "id": "pid", "format": "dc+sd-jwt", "meta": { "vct_values": ["v"] },
            "claims": [{ "path": ["given_name"] }, { "path": ["address", "locality"] }]
        }));
        assert_eq!(
            matched_claims(
                &query,
                &json!({ "given_name": "A", "address": { "locality": "L" }, "x": 1 })
            ),
            Some(paths(json!([["given_name"], ["address", "locality"]])))
        );
        assert_eq!(matched_claims(&query, &json!({ "given_name": "A" })), None);
    }

    #[test]
    fn claim_sets_prefer_the_first_satisfiable_option() {
        let query = query(json!({
            "id": "age", "format": "dc+sd-jwt", "meta": { "vct_values": ["v"] },
            "claims": [
                { "id": "over18", "path": ["age_over_18"] },
                { "id": "dob", "path": ["birthdate"] }
            ],
            "claim_sets": [["over18"], ["dob"]]
        }));
        let both = json!({ "age_over_18": true, "birthdate": "2000-01-01" });
        assert_eq!(
            matched_claims(&query, &both),
            Some(paths(json!([["age_over_18"]])))
        );
        let only_birthdate = json!({ "birthdate": "2000-01-01" });
        assert_eq!(
            matched_claims(&query, &only_birthdate),
            Some(paths(json!([["birthdate"]])))
        );
        assert_eq!(matched_claims(&query, &json!({ "name": "x" })), None);
    }

    #[test]
    fn spec_claims_alternatives_example_falls_back_to_postal_code() {
        let query = query(json!({
            "id": "pid", "format": "dc+sd-jwt",
            "meta": { "vct_values": ["https://credentials.example.com/identity_credential"] },
            "claims": [
                { "id": "a", "path": ["last_name"] },
                { "id": "b", "path": ["postal_code"] },
                { "id": "c", "path": ["locality"] },
                { "id": "d", "path": ["region"] },
                { "id": "e", "path": ["date_of_birth"] }
            ],
            "claim_sets": [["a", "c", "d", "e"], ["a", "b", "e"]]
        }));
        let credential = json!({ "last_name": "Doe", "postal_code": "90210", "locality": "LA", "date_of_birth": "1990-01-01" });
        assert_eq!(
            matched_claims(&query, &credential),
            Some(paths(json!([
                ["last_name"],
                ["postal_code"],
                ["date_of_birth"]
            ])))
        );
    }

    #[test]
    fn values_match_exact_type_and_value() {
        let claim: ClaimsQuery =
            serde_json::from_value(json!({ "path": ["age"], "values": [18, "nineteen"] })).unwrap();
        assert!(claim_satisfied(&claim, &json!({ "age": 18 })));
        assert!(claim_satisfied(&claim, &json!({ "age": "nineteen" })));
        assert!(!claim_satisfied(&claim, &json!({ "age": "18" })));
        assert!(!claim_satisfied(&claim, &json!({ "age": 18.0 })));
        assert!(!claim_satisfied(&claim, &json!({ "age": 19 })));
    }

    #[test]
    fn values_over_a_wildcard_match_when_any_element_matches() {
        let claim: ClaimsQuery = serde_json::from_value(
            json!({ "path": ["nationalities", null], "values": ["GB", "IE"] }),
        )
        .unwrap();
        assert!(claim_satisfied(
            &claim,
            &json!({ "nationalities": ["FR", "IE"] })
        ));
        assert!(!claim_satisfied(
            &claim,
            &json!({ "nationalities": ["FR", "DE"] })
        ));
        assert!(!claim_satisfied(&claim, &json!({ "nationalities": "GB" })));
    }

    #[test]
    fn a_claim_set_naming_an_unknown_id_is_never_satisfied() {
        let query = query(json!({
            "id": "pid", "format": "dc+sd-jwt", "meta": { "vct_values": ["v"] },
            "claims": [{ "id": "a", "path": ["a"] }],
            "claim_sets": [["a", "ghost"]]
        }));
        assert_eq!(matched_claims(&query, &json!({ "a": 1 })), None);
    }
}
