//! What the person is asked to agree to: who asks (the relying party as registered on the
//! trust list), under which registered purpose, and exactly what would leave the wallet.
//!
//! - [`covering_purpose`]: every claim the DCQL query names (all alternatives of
//!   `claim_sets` included: asking is what is judged) must lie within one purpose registered
//!   for the relying party, both on the trust list and in its attestation; otherwise the
//!   request is refused naming the claims no purpose covers.
//! - [`disclosed_view`]: the claims the verifier would see, computed by building the very
//!   presentation (without its Key Binding JWT) and processing it as a verifier does.

use idv_dcql::claims_path::process;
use idv_jose::PublicKey;
use idv_proto::claims_path::ClaimsPath;
use idv_proto::oid4vp::dcql::DcqlQuery;
use idv_proto::trust::entry::SchemeCode;
use idv_proto::trust::relying_party::Purpose;
use idv_sdjwt::holder::HeldSdJwt;
use idv_sdjwt::vc;
use idv_sdjwt::verify::{DEFAULT_SKEW, UnverifiedSdJwt, VerifyPolicy};
use idv_trust::attestation::check_within_purpose;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{InternalError, WalletError};

/// Every claims path the query names, in query order, without repeats.
pub(crate) fn requested_claims(query: &DcqlQuery) -> Vec<ClaimsPath> {
    let mut paths: Vec<ClaimsPath> = Vec::new();
    for claim in query
        .credentials
        .iter()
        .flat_map(|credential| credential.claims.iter().flatten())
    {
        if !paths.contains(&claim.path) {
            paths.push(claim.path.clone());
        }
    }
    paths
}

/// The first purpose registered for the relying party, on the list (`listed`) and in its
/// attestation (`attested`), that covers every requested claim.
pub(crate) fn covering_purpose(
    organisation: &str,
    listed: &[Purpose],
    attested: &[Purpose],
    requested: &[ClaimsPath],
) -> Result<SchemeCode, WalletError> {
    let covers = |code: SchemeCode, claims: &[ClaimsPath]| {
        check_within_purpose(listed, code, claims).is_ok()
            && check_within_purpose(attested, code, claims).is_ok()
    };
    if let Some(purpose) = listed.iter().find(|p| covers(p.code, requested)) {
        return Ok(purpose.code);
    }
    // Name what is beyond the purpose that comes closest.
    let uncovered = |code: SchemeCode| -> Vec<&ClaimsPath> {
        requested
            .iter()
            .filter(|claim| !covers(code, std::slice::from_ref(*claim)))
            .collect()
    };
    let beyond = listed
        .iter()
        .map(|p| uncovered(p.code))
        .min_by_key(Vec::len)
        .unwrap_or_else(|| requested.iter().collect());
    Err(WalletError::BeyondPurpose {
        organisation: organisation.to_owned(),
        claims: beyond.iter().map(ToString::to_string).collect(),
        allowed: if listed.is_empty() {
            vec!["no purpose registered".into()]
        } else {
            listed
                .iter()
                .map(|p| {
                    let claims: Vec<String> = p.claims.iter().map(ToString::to_string).collect();
                    format!("{}: {}", p.code, claims.join(", "))
                })
                .collect()
        },
    })
}

/// One claim as the verifier would receive it. `Debug` shows the path, never the value.
#[derive(Clone, PartialEq, Serialize)]
pub struct DisclosedClaim {
    /// The claims path.
    pub path: ClaimsPath,
    /// The value (an array when the path selects several elements).
    pub value: Value,
}

impl std::fmt::Debug for DisclosedClaim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DisclosedClaim")
            .field("path", &self.path.to_string())
            .finish_non_exhaustive()
    }
}

/// What one presentation reveals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DisclosedView {
    /// The selectively disclosable claims selected by the query, with their values.
    pub selected: Vec<DisclosedClaim>,
    /// Claims that travel with every presentation of this credential (`iss`, `vct`, `exp`,
    /// `status`, `cnf`, …): not selectively disclosable.
    pub always: Vec<DisclosedClaim>,
}

/// Builds the presentation of `paths` (no Key Binding JWT) and processes it with the issuer
/// key, as the verifier will: what comes out is exactly what the verifier learns.
pub(crate) fn disclosed_view(
    held: &HeldSdJwt,
    issuer_key: &PublicKey,
    paths: &[ClaimsPath],
    now: i64,
) -> Result<DisclosedView, WalletError> {
    let internal = |source| InternalError::SdJwt {
        what: "re-reading the claims a presentation discloses",
        source,
    };
    let policy = VerifyPolicy {
        typ: vc::accepted_typ(true),
        now,
        skew: DEFAULT_SKEW,
        key_binding: None,
    };
    let process_presentation = |paths: &[ClaimsPath]| -> Result<Map<String, Value>, WalletError> {
        let presentation = held.present(paths).map_err(internal)?;
        let verified = UnverifiedSdJwt::parse(&presentation)
            .and_then(|p| p.verify(issuer_key, &policy))
            .map_err(internal)?;
        Ok(verified.into_claims())
    };
    let view = Value::Object(process_presentation(paths)?);
    let selected = paths
        .iter()
        .map(|path| {
            let values = process(path, &view).map_err(InternalError::ClaimsPath)?;
            let value = match values.as_slice() {
                [one] if !path.elements().iter().any(is_wildcard) => (*one).clone(),
                many => Value::Array(many.iter().map(|v| (*v).clone()).collect()),
            };
            Ok(DisclosedClaim {
                path: path.clone(),
                value,
            })
        })
        .collect::<Result<Vec<_>, WalletError>>()?;
    let always = process_presentation(&[])?
        .into_iter()
        .filter(|(name, _)| name != "_sd_alg")
        .filter_map(|(name, value)| {
            Some(DisclosedClaim {
                path: ClaimsPath::from_keys([name]).ok()?,
                value,
            })
        })
        .collect();
    Ok(DisclosedView { selected, always })
}

fn is_wildcard(element: &idv_proto::claims_path::PathElement) -> bool {
    matches!(element, idv_proto::claims_path::PathElement::AllElements)
}

#[cfg(test)]
mod tests {
    use idv_jose::{SigningKey, SystemRandom};
    use serde_json::json;

    use super::*;

    fn purposes(json: Value) -> Vec<Purpose> {
        serde_json::from_value(json).unwrap()
    }

    fn paths(json: Value) -> Vec<ClaimsPath> {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn the_first_purpose_covering_every_claim_is_chosen() {
        let listed = purposes(json!([
            {"code": "AGE", "claims": [["age_over_18"]]},
            {"code": "RTW", "claims": [["given_name"], ["family_name"], ["document"]]}
        ]));
        assert_eq!(
            covering_purpose("Shop", &listed, &listed, &paths(json!([["age_over_18"]]))).unwrap(),
            SchemeCode::Age
        );
        assert_eq!(
            covering_purpose(
                "Employer",
                &listed,
                &listed,
                &paths(json!([["given_name"], ["document", "type"]]))
            )
            .unwrap(),
            SchemeCode::Rtw
        );
    }

    #[test]
    fn over_asking_names_the_claims_beyond_the_closest_purpose() {
        let listed = purposes(json!([{"code": "AGE", "claims": [["age_over_18"]]}]));
        let error = covering_purpose(
            "Example Off-Licence Ltd",
            &listed,
            &listed,
            &paths(json!([["age_over_18"], ["given_name"], ["birthdate"]])),
        )
        .unwrap_err();
        let WalletError::BeyondPurpose { claims, .. } = &error else {
            panic!("{error}");
        };
        assert_eq!(claims, &[r#"["given_name"]"#, r#"["birthdate"]"#]);
        assert!(
            error
                .to_string()
                .contains("Example Off-Licence Ltd asks for")
        );
    }

    #[test]
    fn a_purpose_removed_from_the_attestation_or_the_list_no_longer_covers() {
        let listed = purposes(json!([{"code": "AGE", "claims": [["age_over_18"]]}]));
        let attested = purposes(json!([{"code": "RTW", "claims": [["age_over_18"]]}]));
        assert!(
            covering_purpose("Shop", &listed, &attested, &paths(json!([["age_over_18"]]))).is_err()
        );
        assert!(covering_purpose("Shop", &[], &[], &paths(json!([["x"]]))).is_err());
    }

    #[test]
    fn the_view_is_exactly_what_the_verifier_processes() {
        let issuer = SigningKey::generate().unwrap();
        let holder = SigningKey::generate().unwrap();
        let claims = json!({
            "iss": "http://127.0.0.1:9", "vct": "urn:dvs:vct:uk-identity:1",
            "cnf": {"jwk": holder.public_key().to_jwk()},
            "given_name": "Ada", "family_name": "Lovelace", "birthdate": "1815-12-10",
            "nationalities": ["GB", "IE"],
            "document": {"type": "passport", "number": "123"}
        });
        let conceal = paths(json!([
            ["given_name"],
            ["family_name"],
            ["birthdate"],
            ["nationalities"],
            ["nationalities", 0],
            ["nationalities", 1],
            ["document"],
            ["document", "type"],
            ["document", "number"]
        ]));
        let issued = vc::issue(
            &issuer,
            &SystemRandom,
            claims.as_object().unwrap().clone(),
            &conceal,
        )
        .unwrap();
        let held = HeldSdJwt::receive(&issued, issuer.public_key(), &[vc::TYP], 0).unwrap();
        let view = disclosed_view(
            &held,
            issuer.public_key(),
            &paths(json!([
                ["given_name"],
                ["nationalities", null],
                ["document", "type"]
            ])),
            0,
        )
        .unwrap();
        let selected: Vec<(String, Value)> = view
            .selected
            .iter()
            .map(|c| (c.path.to_string(), c.value.clone()))
            .collect();
        assert_eq!(
            selected,
            [
                (r#"["given_name"]"#.to_owned(), json!("Ada")),
                (r#"["nationalities",null]"#.to_owned(), json!(["GB", "IE"])),
                (r#"["document","type"]"#.to_owned(), json!("passport")),
            ]
        );
        let always: Vec<String> = view.always.iter().map(|c| c.path.to_string()).collect();
        assert_eq!(always, [r#"["iss"]"#, r#"["vct"]"#, r#"["cnf"]"#]);
        assert!(
            !format!("{view:?}").contains("Ada"),
            "values stay out of Debug"
        );
    }
}
