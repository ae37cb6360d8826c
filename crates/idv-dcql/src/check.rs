//! Verifier side: re-check a wallet's response against the DCQL query it answers, and drop
//! every claim that was not requested. The verifier must not rely on the wallet to have applied
//! the query ("Security Checks on the Returned Credentials").
//!
//! OpenID4VP 1.0 "Selecting Claims and Credentials", "Response Parameters" (`vp_token`) and
//! "VP Token Validation".

use std::collections::BTreeMap;

use idv_proto::claims_path::{ClaimsPath, PathElement};
use idv_proto::oid4vp::dcql::{CredentialQuery, DcqlQuery};
use serde_json::{Map, Value};

use crate::error::DcqlError;
use crate::matching::satisfies;
use crate::validate::validate;

/// One verified presentation, as seen by the query engine.
#[derive(Debug, Clone, Copy)]
pub struct PresentedCredential<'a> {
    /// Credential format identifier, e.g. `dc+sd-jwt`.
    pub format: &'a str,
    /// The credential's `vct`.
    pub vct: &'a str,
    /// The processed claims after applying the presented disclosures.
    pub claims: &'a Value,
    /// Whether a valid key binding JWT (or other holder binding proof) was verified.
    pub holder_binding: bool,
}

/// Checks a response, given as Credential Query id → verified presentations (the shape of the
/// VP Token), against `query`. Any failure rejects the whole response:
///
/// - every id is a Credential Query id with a non-empty array, of length 1 unless `multiple`;
/// - each presentation has the requested format, a `vct` in `meta.vct_values`, holder binding
///   unless `require_cryptographic_holder_binding` is `false`, and claims satisfying `claims`
///   (all of them) or at least one of `claim_sets`, `values` included;
/// - without `credential_sets` every Credential Query is answered; with them, every required
///   set has an option whose queries are all answered, and no answered query is outside every
///   set's options.
pub fn check(
    query: &DcqlQuery,
    response: &BTreeMap<String, Vec<PresentedCredential<'_>>>,
) -> Result<(), DcqlError> {
    validate(query)?;
    for (id, presentations) in response {
        let credential = query
            .credential(id)
            .ok_or_else(|| DcqlError::UnknownCredentialQuery { id: id.clone() })?;
        check_presentations(credential, presentations)?;
    }
    match &query.credential_sets {
        None => {
            if let Some(missing) = query
                .credentials
                .iter()
                .find(|credential| !response.contains_key(&credential.id))
            {
                return Err(DcqlError::MissingPresentation {
                    id: missing.id.clone(),
                });
            }
        }
        Some(credential_sets) => {
            for (index, set) in credential_sets.iter().enumerate() {
                let satisfied = set
                    .options
                    .iter()
                    .any(|option| option.iter().all(|id| response.contains_key(id)));
                if set.required && !satisfied {
                    return Err(DcqlError::CredentialSetNotSatisfied { index });
                }
            }
            let requested = |id: &String| {
                credential_sets
                    .iter()
                    .any(|set| set.options.iter().any(|option| option.contains(id)))
            };
            if let Some(id) = response.keys().find(|id| !requested(id)) {
                return Err(DcqlError::UnrequestedPresentation { id: id.clone() });
            }
        }
    }
    Ok(())
}

fn check_presentations(
    credential: &CredentialQuery,
    presentations: &[PresentedCredential<'_>],
) -> Result<(), DcqlError> {
    let id = || credential.id.clone();
    if presentations.is_empty() {
        return Err(DcqlError::EmptyPresentations { id: id() });
    }
    if presentations.len() > 1 && !credential.multiple {
        return Err(DcqlError::TooManyPresentations {
            id: id(),
            count: presentations.len(),
        });
    }
    for presented in presentations {
        if presented.format != credential.format {
            return Err(DcqlError::WrongFormat {
                id: id(),
                expected: credential.format.clone(),
                actual: presented.format.to_owned(),
            });
        }
        if let Some(vct_values) = &credential.meta.vct_values
            && !vct_values.iter().any(|vct| vct == presented.vct)
        {
            return Err(DcqlError::VctNotRequested {
                id: id(),
                vct: presented.vct.to_owned(),
            });
        }
        if credential.require_cryptographic_holder_binding && !presented.holder_binding {
            return Err(DcqlError::MissingHolderBinding { id: id() });
        }
        if !satisfies(credential, presented.claims) {
            return Err(DcqlError::ClaimsNotSatisfied { id: id() });
        }
    }
    Ok(())
}

/// Every claim path the Credential Query `id` requests (all `claims`, whatever `claim_sets`
/// says), in query order. Empty when the query requests no claims.
pub fn requested_paths(query: &DcqlQuery, id: &str) -> Result<Vec<ClaimsPath>, DcqlError> {
    let credential = query
        .credential(id)
        .ok_or_else(|| DcqlError::UnknownCredentialQuery { id: id.to_owned() })?;
    let mut paths: Vec<ClaimsPath> = Vec::new();
    for claim in credential.claims.iter().flatten() {
        if !paths.contains(&claim.path) {
            paths.push(claim.path.clone());
        }
    }
    Ok(paths)
}

/// A copy of `claims` holding only what `paths` select, nested as in the original, and nothing
/// else. Arrays keep the selected elements in their original order (so indices may shift);
/// paths that select nothing contribute nothing. Use it on the personal claims only: registered
/// claims such as `iss`, `vct` or `cnf` are dropped too unless requested.
pub fn retain_requested(claims: &Value, paths: &[ClaimsPath]) -> Value {
    let remaining: Vec<&[PathElement]> = paths.iter().map(ClaimsPath::elements).collect();
    retain(claims, &remaining).unwrap_or_else(|| Value::Object(Map::new()))
}

/// Keeps what the remaining path components select below `value`; `None` when nothing is.
/// Recursion depth is bounded by the depth of `value`, which parsing already bounds.
fn retain(value: &Value, remaining: &[&[PathElement]]) -> Option<Value> {
    if remaining.iter().any(|rest| rest.is_empty()) {
        return Some(value.clone());
    }
    match value {
        Value::Object(object) => {
            let mut kept = Map::new();
            for (key, child) in object {
                let below: Vec<&[PathElement]> = remaining
                    .iter()
                    .filter_map(|rest| match rest.split_first() {
                        Some((PathElement::Key(wanted), tail)) if wanted == key => Some(tail),
                        _ => None,
                    })
                    .collect();
                if !below.is_empty()
                    && let Some(child) = retain(child, &below)
                {
                    kept.insert(key.clone(), child);
                }
            }
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        Value::Array(items) => {
            let mut kept = Vec::new();
            for (index, item) in items.iter().enumerate() {
                let below: Vec<&[PathElement]> = remaining
                    .iter()
                    .filter_map(|rest| match rest.split_first() {
                        Some((PathElement::AllElements, tail)) => Some(tail),
                        Some((PathElement::Index(wanted), tail))
                            if usize::try_from(*wanted) == Ok(index) =>
                        {
                            Some(tail)
                        }
                        _ => None,
                    })
                    .collect();
                if !below.is_empty()
                    && let Some(item) = retain(item, &below)
                {
                    kept.push(item);
                }
            }
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::test_fixtures::{AGE, RTW, parse, paths};

    fn presented<'a>(vct: &'a str, claims: &'a Value) -> PresentedCredential<'a> {
        PresentedCredential {
            format: "dc+sd-jwt",
            vct,
            claims,
            holder_binding: true,
        }
    }

    fn response<'a>(
        entries: Vec<(&str, Vec<PresentedCredential<'a>>)>,
    ) -> BTreeMap<String, Vec<PresentedCredential<'a>>> {
        entries
            .into_iter()
            .map(|(id, list)| (id.to_owned(), list))
            .collect()
    }

    fn age_query() -> DcqlQuery {
        parse(json!({ "credentials": [{
            "id": "age", "format": "dc+sd-jwt", "meta": { "vct_values": [AGE, RTW] },
            "claims": [{ "id": "a", "path": ["age_over_18"], "values": [true] }, { "id": "b", "path": ["birthdate"] }],
            "claim_sets": [["a"], ["b"]]
        }] }))
    }

    #[test]
    fn a_response_meeting_any_claim_set_passes() {
        let over18 = json!({ "age_over_18": true });
        let birthdate = json!({ "birthdate": "2000-01-01" });
        assert_eq!(
            check(
                &age_query(),
                &response(vec![("age", vec![presented(AGE, &over18)])])
            ),
            Ok(())
        );
        assert_eq!(
            check(
                &age_query(),
                &response(vec![("age", vec![presented(RTW, &birthdate)])])
            ),
            Ok(())
        );
    }

    #[test]
    fn claims_failing_values_or_every_claim_set_are_rejected() {
        let under18 = json!({ "age_over_18": false });
        assert_eq!(
            check(
                &age_query(),
                &response(vec![("age", vec![presented(AGE, &under18)])])
            ),
            Err(DcqlError::ClaimsNotSatisfied { id: "age".into() })
        );
    }

    #[test]
    fn unknown_query_ids_are_rejected() {
        let claims = json!({ "age_over_18": true });
        assert_eq!(
            check(
                &age_query(),
                &response(vec![
                    ("age", vec![presented(AGE, &claims)]),
                    ("pid", vec![presented(AGE, &claims)])
                ])
            ),
            Err(DcqlError::UnknownCredentialQuery { id: "pid".into() })
        );
    }

    #[test]
    fn two_presentations_without_multiple_are_rejected() {
        let claims = json!({ "age_over_18": true });
        assert_eq!(
            check(
                &age_query(),
                &response(vec![(
                    "age",
                    vec![presented(AGE, &claims), presented(AGE, &claims)]
                )])
            ),
            Err(DcqlError::TooManyPresentations {
                id: "age".into(),
                count: 2
            })
        );
        let mut multiple = age_query();
        multiple.credentials[0].multiple = true;
        assert_eq!(
            check(
                &multiple,
                &response(vec![(
                    "age",
                    vec![presented(AGE, &claims), presented(AGE, &claims)]
                )])
            ),
            Ok(())
        );
    }

    #[test]
    fn an_empty_presentation_array_is_rejected() {
        assert_eq!(
            check(&age_query(), &response(vec![("age", vec![])])),
            Err(DcqlError::EmptyPresentations { id: "age".into() })
        );
    }

    #[test]
    fn wrong_format_vct_or_missing_binding_is_rejected() {
        let claims = json!({ "age_over_18": true });
        let wrong_format = PresentedCredential {
            format: "vc+sd-jwt",
            ..presented(AGE, &claims)
        };
        assert!(matches!(
            check(&age_query(), &response(vec![("age", vec![wrong_format])])),
            Err(DcqlError::WrongFormat { .. })
        ));
        assert_eq!(
            check(
                &age_query(),
                &response(vec![(
                    "age",
                    vec![presented("https://evil.example/vct", &claims)]
                )])
            ),
            Err(DcqlError::VctNotRequested {
                id: "age".into(),
                vct: "https://evil.example/vct".into()
            })
        );
        let unbound = PresentedCredential {
            holder_binding: false,
            ..presented(AGE, &claims)
        };
        assert_eq!(
            check(&age_query(), &response(vec![("age", vec![unbound])])),
            Err(DcqlError::MissingHolderBinding { id: "age".into() })
        );
        let mut not_required = age_query();
        not_required.credentials[0].require_cryptographic_holder_binding = false;
        assert_eq!(
            check(&not_required, &response(vec![("age", vec![unbound])])),
            Ok(())
        );
    }

    #[test]
    fn every_query_must_be_answered_without_credential_sets() {
        let query = parse(json!({ "credentials": [
            { "id": "rtw", "format": "dc+sd-jwt", "meta": { "vct_values": [RTW] } },
            { "id": "age", "format": "dc+sd-jwt", "meta": { "vct_values": [AGE] } }
        ] }));
        let claims = json!({});
        assert_eq!(
            check(
                &query,
                &response(vec![("age", vec![presented(AGE, &claims)])])
            ),
            Err(DcqlError::MissingPresentation { id: "rtw".into() })
        );
        assert_eq!(
            check(&query, &response(vec![])),
            Err(DcqlError::MissingPresentation { id: "rtw".into() })
        );
    }

    #[test]
    fn required_credential_sets_must_be_met_and_optional_ones_may_be() {
        let query = parse(json!({
            "credentials": [
                { "id": "pid", "format": "dc+sd-jwt", "meta": { "vct_values": [RTW] } },
                { "id": "reduced_1", "format": "dc+sd-jwt", "meta": { "vct_values": [RTW] } },
                { "id": "reduced_2", "format": "dc+sd-jwt", "meta": { "vct_values": [RTW] } },
                { "id": "rewards", "format": "dc+sd-jwt", "meta": { "vct_values": [AGE] } },
                { "id": "unused", "format": "dc+sd-jwt", "meta": { "vct_values": [AGE] } }
            ],
            "credential_sets": [
                { "options": [["pid"], ["reduced_1", "reduced_2"]] },
                { "required": false, "options": [["rewards"]] }
            ]
        }));
        let claims = json!({});
        let rtw = || vec![presented(RTW, &claims)];
        assert_eq!(check(&query, &response(vec![("pid", rtw())])), Ok(()));
        assert_eq!(
            check(
                &query,
                &response(vec![
                    ("reduced_1", rtw()),
                    ("reduced_2", rtw()),
                    ("rewards", vec![presented(AGE, &claims)])
                ])
            ),
            Ok(())
        );
        assert_eq!(
            check(
                &query,
                &response(vec![
                    ("reduced_1", rtw()),
                    ("rewards", vec![presented(AGE, &claims)])
                ])
            ),
            Err(DcqlError::CredentialSetNotSatisfied { index: 0 })
        );
        assert_eq!(
            check(
                &query,
                &response(vec![
                    ("pid", rtw()),
                    ("unused", vec![presented(AGE, &claims)])
                ])
            ),
            Err(DcqlError::UnrequestedPresentation {
                id: "unused".into()
            })
        );
    }

    #[test]
    fn requested_paths_are_the_union_of_all_claims() {
        assert_eq!(
            requested_paths(&age_query(), "age").unwrap(),
            paths(json!([["age_over_18"], ["birthdate"]]))
        );
        assert_eq!(
            requested_paths(&age_query(), "pid"),
            Err(DcqlError::UnknownCredentialQuery { id: "pid".into() })
        );
        let no_claims = parse(
            json!({ "credentials": [{ "id": "rtw", "format": "dc+sd-jwt", "meta": { "vct_values": [RTW] } }] }),
        );
        assert!(requested_paths(&no_claims, "rtw").unwrap().is_empty());
    }

    #[test]
    fn retain_requested_drops_every_claim_not_asked_for() {
        let disclosed = json!({
            "given_name": "Arthur", "family_name": "Dent", "birthdate": "1990-03-11",
            "address": { "street_address": "42 Market Street", "locality": "Milliways", "postal_code": "12345" },
            "degrees": [{ "type": "BSc", "university": "U" }, { "type": "MSc", "university": "U" }],
            "nationalities": ["GB", "FR", "IE"]
        });
        let kept = retain_requested(
            &disclosed,
            &paths(json!([
                ["given_name"],
                ["address", "locality"],
                ["degrees", null, "type"],
                ["nationalities", 2],
                ["missing", "x"]
            ])),
        );
        assert_eq!(
            kept,
            json!({
                "given_name": "Arthur",
                "address": { "locality": "Milliways" },
                "degrees": [{ "type": "BSc" }, { "type": "MSc" }],
                "nationalities": ["IE"]
            })
        );
    }

    #[test]
    fn retain_requested_merges_overlapping_paths() {
        let disclosed = json!({ "address": { "locality": "L", "region": "R", "country": "C" }, "nationalities": ["GB", "FR"] });
        let kept = retain_requested(
            &disclosed,
            &paths(json!([
                ["address", "locality"],
                ["address"],
                ["nationalities", null],
                ["nationalities", 0]
            ])),
        );
        assert_eq!(kept, disclosed);
    }

    #[test]
    fn retain_requested_with_no_paths_keeps_nothing() {
        assert_eq!(
            retain_requested(&json!({ "given_name": "A" }), &[]),
            json!({})
        );
        assert_eq!(
            retain_requested(
                &json!({ "given_name": "A" }),
                &paths(json!([["given_name", "x"], [0]]))
            ),
            json!({})
        );
    }
}
