//! Wallet side: choose which held credentials answer a DCQL query and which claims each discloses.
//!
//! OpenID4VP 1.0 "Selecting Claims and Credentials" ("Selecting Claims", "Selecting Credentials").

use std::collections::{BTreeMap, BTreeSet};

use idv_proto::claims_path::ClaimsPath;
use idv_proto::oid4vp::dcql::{CredentialQuery, DcqlQuery};
use serde_json::Value;

use crate::error::DcqlError;
use crate::matching::ranked_match;
use crate::validate::validate;

/// A credential the wallet holds, as seen by the query engine.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a, H> {
    /// The wallet's own reference to the credential, returned in the [`Selection`].
    pub handle: H,
    /// Credential format identifier, e.g. `dc+sd-jwt`.
    pub format: &'a str,
    /// The credential's `vct`.
    pub vct: &'a str,
    /// The full processed claims (every disclosure resolved).
    pub claims: &'a Value,
    /// Whether the credential is bound to a holder key (`cnf`) the wallet can sign with.
    pub holder_binding: bool,
}

/// The credentials chosen for one Credential Query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectedCredential<H> {
    /// The candidate's handle.
    pub handle: H,
    /// Exactly the claims to disclose; empty means only what is mandatory to present.
    pub disclose: Vec<ClaimsPath>,
}

/// The answer to a DCQL query: Credential Query id → chosen credentials (one unless `multiple`).
/// Queries that are not answered (optional or unchosen) have no entry, as in the VP Token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection<H> {
    /// Chosen credentials by Credential Query id.
    pub credentials: BTreeMap<String, Vec<SelectedCredential<H>>>,
}

/// Selects credentials for `query` from `candidates`, listed in the wallet's order of preference.
/// Candidates meeting an earlier claim set (the verifier's preference, normally the smaller
/// disclosure) come first; otherwise the wallet's order decides.
///
/// A candidate matches a Credential Query when its format equals `format`, its `vct` is in
/// `meta.vct_values` (when given), it has holder binding if the query requires it (the default),
/// and its claims satisfy `claims`/`claim_sets` ([`matched_claims`](crate::matching::matched_claims)). Without `credential_sets`
/// every Credential Query must be matched; with them, each set takes its first option whose
/// queries all match, required sets must have one and optional sets are answered when possible.
///
/// Other `meta` members and `trusted_authorities` are not evaluated here.
pub fn select<H: Clone>(
    query: &DcqlQuery,
    candidates: &[Candidate<'_, H>],
) -> Result<Selection<H>, DcqlError> {
    validate(query)?;
    let matches: BTreeMap<&str, Vec<SelectedCredential<H>>> = query
        .credentials
        .iter()
        .map(|credential| {
            (
                credential.id.as_str(),
                matching_candidates(credential, candidates),
            )
        })
        .collect();
    let satisfiable = |id: &String| {
        matches
            .get(id.as_str())
            .is_some_and(|found| !found.is_empty())
    };

    let mut answered: BTreeSet<&str> = BTreeSet::new();
    match &query.credential_sets {
        None => {
            for credential in &query.credentials {
                if !satisfiable(&credential.id) {
                    return Err(DcqlError::NotSatisfiable {
                        id: credential.id.clone(),
                    });
                }
                answered.insert(credential.id.as_str());
            }
        }
        Some(credential_sets) => {
            for (index, set) in credential_sets.iter().enumerate() {
                match set
                    .options
                    .iter()
                    .find(|option| option.iter().all(satisfiable))
                {
                    Some(option) => answered.extend(option.iter().map(String::as_str)),
                    None if set.required => {
                        return Err(DcqlError::CredentialSetNotSatisfied { index });
                    }
                    None => {}
                }
            }
        }
    }

    let credentials = query
        .credentials
        .iter()
        .filter(|credential| answered.contains(credential.id.as_str()))
        .filter_map(|credential| {
            let mut chosen = matches.get(credential.id.as_str())?.clone();
            if !credential.multiple {
                chosen.truncate(1);
            }
            Some((credential.id.clone(), chosen))
        })
        .collect();
    Ok(Selection { credentials })
}

fn matching_candidates<H: Clone>(
    credential: &CredentialQuery,
    candidates: &[Candidate<'_, H>],
) -> Vec<SelectedCredential<H>> {
    let mut matches: Vec<(usize, SelectedCredential<H>)> = candidates
        .iter()
        .filter(|candidate| candidate.format == credential.format)
        .filter(|candidate| {
            credential
                .meta
                .vct_values
                .as_ref()
                .is_none_or(|vct_values| vct_values.iter().any(|vct| vct == candidate.vct))
        })
        .filter(|candidate| {
            candidate.holder_binding || !credential.require_cryptographic_holder_binding
        })
        .filter_map(|candidate| {
            ranked_match(credential, candidate.claims).map(|(rank, disclose)| {
                let selected = SelectedCredential {
                    handle: candidate.handle.clone(),
                    disclose,
                };
                (rank, selected)
            })
        })
        .collect();
    // Stable: among credentials meeting the same claim set, the wallet's order is kept.
    matches.sort_by_key(|(rank, _)| *rank);
    matches.into_iter().map(|(_, selected)| selected).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::test_fixtures::{AGE, RTW, parse, paths};

    fn candidate<'a>(handle: usize, vct: &'a str, claims: &'a Value) -> Candidate<'a, usize> {
        Candidate {
            handle,
            format: "dc+sd-jwt",
            vct,
            claims,
            holder_binding: true,
        }
    }

    fn handles(selection: &Selection<usize>, id: &str) -> Vec<usize> {
        selection.credentials[id]
            .iter()
            .map(|chosen| chosen.handle)
            .collect()
    }

    fn identity() -> Value {
        json!({
            "given_name": "Arthur", "family_name": "Dent", "birthdate": "1990-03-11",
            "nationalities": ["GB", "FR"],
            "address": { "street_address": "42 Market Street", "locality": "Milliways" }
        })
    }

    #[test]
    fn age_over_18_is_preferred_over_birthdate() {
        let query = parse(json!({ "credentials": [{
            "id": "age", "format": "dc+sd-jwt", "meta": { "vct_values": [AGE, RTW] },
            "claims": [{ "id": "a", "path": ["age_over_18"] }, { "id": "b", "path": ["birthdate"] }],
            "claim_sets": [["a"], ["b"]]
        }] }));
        let id = identity();
        let selection = select(&query, &[candidate(1, RTW, &id)]).unwrap();
        assert_eq!(
            selection.credentials["age"],
            [SelectedCredential {
                handle: 1,
                disclose: paths(json!([["birthdate"]]))
            }]
        );

        let mut both = identity();
        both["age_over_18"] = json!(true);
        let selection = select(&query, &[candidate(1, RTW, &both)]).unwrap();
        assert_eq!(
            selection.credentials["age"],
            [SelectedCredential {
                handle: 1,
                disclose: paths(json!([["age_over_18"]]))
            }]
        );
    }

    #[test]
    fn candidates_satisfying_an_earlier_claim_set_are_preferred() {
        let query = parse(json!({ "credentials": [{
            "id": "age", "format": "dc+sd-jwt", "meta": { "vct_values": [AGE, RTW] }, "multiple": true,
            "claims": [{ "id": "a", "path": ["age_over_18"] }, { "id": "b", "path": ["birthdate"] }],
            "claim_sets": [["a"], ["b"]]
        }] }));
        let id = identity();
        let age = json!({ "age_over_18": true, "age_over_21": true });
        let selection = select(
            &query,
            &[
                candidate(1, RTW, &id),
                candidate(2, AGE, &age),
                candidate(3, AGE, &age),
            ],
        )
        .unwrap();
        assert_eq!(handles(&selection, "age"), [2, 3, 1]);
        assert_eq!(
            selection.credentials["age"][0].disclose,
            paths(json!([["age_over_18"]]))
        );
    }

    #[test]
    fn all_claims_are_disclosed_when_there_are_no_claim_sets() {
        let query = parse(json!({ "credentials": [{
            "id": "rtw", "format": "dc+sd-jwt", "meta": { "vct_values": [RTW] },
            "claims": [{ "path": ["given_name"] }, { "path": ["address", "street_address"] }]
        }] }));
        let id = identity();
        let selection = select(&query, &[candidate(7, RTW, &id)]).unwrap();
        assert_eq!(
            selection.credentials["rtw"][0].disclose,
            paths(json!([["given_name"], ["address", "street_address"]]))
        );
    }

    #[test]
    fn no_claims_means_no_selectively_disclosable_claims() {
        let query = parse(
            json!({ "credentials": [{ "id": "rtw", "format": "dc+sd-jwt", "meta": { "vct_values": [RTW] } }] }),
        );
        let id = identity();
        let selection = select(&query, &[candidate(0, RTW, &id)]).unwrap();
        assert!(selection.credentials["rtw"][0].disclose.is_empty());
    }

    #[test]
    fn nationality_values_match_any_element_of_the_array() {
        let query = parse(json!({ "credentials": [{
            "id": "rtw", "format": "dc+sd-jwt", "meta": { "vct_values": [RTW] },
            "claims": [{ "path": ["nationalities", null], "values": ["GB", "IE"] }, { "path": ["given_name"] }]
        }] }));
        let british = identity();
        let selection = select(&query, &[candidate(0, RTW, &british)]).unwrap();
        assert_eq!(
            selection.credentials["rtw"][0].disclose,
            paths(json!([["nationalities", null], ["given_name"]]))
        );

        let mut german = identity();
        german["nationalities"] = json!(["DE"]);
        assert_eq!(
            select(&query, &[candidate(0, RTW, &german)]),
            Err(DcqlError::NotSatisfiable { id: "rtw".into() })
        );
    }

    #[test]
    fn every_query_is_required_without_credential_sets() {
        let query = parse(json!({ "credentials": [
            { "id": "rtw", "format": "dc+sd-jwt", "meta": { "vct_values": [RTW] } },
            { "id": "age", "format": "dc+sd-jwt", "meta": { "vct_values": [AGE] } }
        ] }));
        let id = identity();
        assert_eq!(
            select(&query, &[candidate(0, RTW, &id)]),
            Err(DcqlError::NotSatisfiable { id: "age".into() })
        );
    }

    #[test]
    fn optional_credential_set_is_answered_only_when_satisfiable() {
        let query = parse(json!({
            "credentials": [
                { "id": "pid", "format": "dc+sd-jwt", "meta": { "vct_values": ["https://credentials.example.com/identity_credential"] },
                  "claims": [{ "path": ["given_name"] }, { "path": ["family_name"] }, { "path": ["address", "street_address"] }] },
                { "id": "other_pid", "format": "dc+sd-jwt", "meta": { "vct_values": ["https://othercredentials.example/pid"] },
                  "claims": [{ "path": ["given_name"] }, { "path": ["family_name"] }, { "path": ["address", "street_address"] }] },
                { "id": "pid_reduced_cred_1", "format": "dc+sd-jwt", "meta": { "vct_values": ["https://credentials.example.com/reduced_identity_credential"] },
                  "claims": [{ "path": ["family_name"] }, { "path": ["given_name"] }] },
                { "id": "pid_reduced_cred_2", "format": "dc+sd-jwt", "meta": { "vct_values": ["https://cred.example/residence_credential"] },
                  "claims": [{ "path": ["postal_code"] }, { "path": ["locality"] }, { "path": ["region"] }] },
                { "id": "nice_to_have", "format": "dc+sd-jwt", "meta": { "vct_values": ["https://company.example/company_rewards"] },
                  "claims": [{ "path": ["rewards_number"] }] }
            ],
            "credential_sets": [
                { "options": [["pid"], ["other_pid"], ["pid_reduced_cred_1", "pid_reduced_cred_2"]] },
                { "required": false, "options": [["nice_to_have"]] }
            ]
        }));
        let reduced = json!({ "given_name": "A", "family_name": "D" });
        let residence = json!({ "postal_code": "1", "locality": "L", "region": "R" });
        let rewards = json!({ "rewards_number": 42 });
        let wallet = [
            candidate(
                1,
                "https://credentials.example.com/reduced_identity_credential",
                &reduced,
            ),
            candidate(2, "https://cred.example/residence_credential", &residence),
        ];
        let selection = select(&query, &wallet).unwrap();
        assert_eq!(
            selection.credentials.keys().collect::<Vec<_>>(),
            ["pid_reduced_cred_1", "pid_reduced_cred_2"]
        );

        let mut wallet = wallet.to_vec();
        wallet.push(candidate(
            3,
            "https://company.example/company_rewards",
            &rewards,
        ));
        let selection = select(&query, &wallet).unwrap();
        assert_eq!(handles(&selection, "nice_to_have"), [3]);

        assert_eq!(
            select(
                &query,
                &[candidate(
                    3,
                    "https://company.example/company_rewards",
                    &rewards
                )]
            ),
            Err(DcqlError::CredentialSetNotSatisfied { index: 0 })
        );
    }

    #[test]
    fn first_satisfiable_option_of_a_set_wins() {
        let query = parse(json!({
            "credentials": [
                { "id": "rtw", "format": "dc+sd-jwt", "meta": { "vct_values": [RTW] } },
                { "id": "age", "format": "dc+sd-jwt", "meta": { "vct_values": [AGE] } }
            ],
            "credential_sets": [{ "options": [["age"], ["rtw"]] }]
        }));
        let id = identity();
        let age = json!({ "age_over_18": true });
        let selection = select(&query, &[candidate(0, RTW, &id), candidate(1, AGE, &age)]).unwrap();
        assert_eq!(selection.credentials.keys().collect::<Vec<_>>(), ["age"]);
    }

    #[test]
    fn multiple_returns_every_match_otherwise_only_the_first() {
        let single = parse(
            json!({ "credentials": [{ "id": "age", "format": "dc+sd-jwt", "meta": { "vct_values": [AGE] } }] }),
        );
        let mut multiple = single.clone();
        multiple.credentials[0].multiple = true;
        let age = json!({ "age_over_18": true });
        let wallet = [candidate(4, AGE, &age), candidate(5, AGE, &age)];
        assert_eq!(handles(&select(&single, &wallet).unwrap(), "age"), [4]);
        assert_eq!(handles(&select(&multiple, &wallet).unwrap(), "age"), [4, 5]);
    }

    #[test]
    fn unbound_credentials_only_match_when_binding_is_not_required() {
        let mut query = parse(
            json!({ "credentials": [{ "id": "age", "format": "dc+sd-jwt", "meta": { "vct_values": [AGE] } }] }),
        );
        let age = json!({ "age_over_18": true });
        let unbound = Candidate {
            holder_binding: false,
            ..candidate(9, AGE, &age)
        };
        assert_eq!(
            select(&query, &[unbound]),
            Err(DcqlError::NotSatisfiable { id: "age".into() })
        );
        query.credentials[0].require_cryptographic_holder_binding = false;
        assert_eq!(handles(&select(&query, &[unbound]).unwrap(), "age"), [9]);
    }

    #[test]
    fn format_and_vct_must_match() {
        let query = parse(
            json!({ "credentials": [{ "id": "rtw", "format": "dc+sd-jwt", "meta": { "vct_values": [RTW] } }] }),
        );
        let id = identity();
        let wrong_format = Candidate {
            format: "vc+sd-jwt",
            ..candidate(0, RTW, &id)
        };
        let wrong_vct = candidate(1, AGE, &id);
        assert_eq!(
            select(&query, &[wrong_format, wrong_vct]),
            Err(DcqlError::NotSatisfiable { id: "rtw".into() })
        );
    }

    #[test]
    fn invalid_queries_are_rejected_before_selection() {
        let query =
            parse(json!({ "credentials": [{ "id": "rtw", "format": "dc+sd-jwt", "meta": {} }] }));
        assert!(matches!(
            select::<usize>(&query, &[]),
            Err(DcqlError::InvalidQuery { .. })
        ));
    }
}
