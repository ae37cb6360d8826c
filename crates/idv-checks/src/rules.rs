//! The templates' scheme rules over verified, requested claims.
//!
//! Right to work and right to rent through an identity service provider (Home Office,
//! employer's guide to right to work checks, "identity document validation technology";
//! landlord's guide to right to rent checks): the route covers only a valid British passport,
//! or a valid Irish passport or Irish passport card, held by a citizen of the country that
//! issued it, verified to at least a medium level of confidence. Every other combination is
//! not eligible: a British or Irish citizen then needs a manual check of their original
//! document, anyone else a Home Office share code.
//!
//! Age: the requested `age_over_NN` claim is `true`, and the identity behind it was verified
//! to the level of confidence the check requires (stated by the credential, capped by what
//! its provider is certified to reach).
//!
//! Every claim a template relies on or shows is validated first ([`ClaimReader`]); an invalid
//! one rejects the check with [`ReasonCode::ClaimInvalid`] naming it, before any eligibility
//! rule runs.

use idv_proto::trust::entry::LevelOfConfidence;
use serde_json::{Map, Value};

use crate::claims::ClaimReader;
use crate::reason::{Reason, ReasonCode};
use crate::templates::Rule;

/// The passports and passport cards the IDVT route accepts: document type and the ISO 3166-1
/// alpha-2 code of the state that issued it, whose nationality the holder must have.
pub const IDVT_DOCUMENTS: &[(&str, &str)] = &[
    ("passport", "GB"),
    ("passport", "IE"),
    ("irish_passport_card", "IE"),
];
/// Nationalities the IDVT route covers (ISO 3166-1 alpha-2).
pub const IDVT_NATIONALITIES: &[&str] = &["GB", "IE"];

/// How far ahead a passport's expiry date can plausibly lie, in years: British and Irish
/// passports are issued for at most ten years (older British ones carried up to nine months
/// over), Irish passport cards for five.
const MAX_DOCUMENT_YEARS_AHEAD: i64 = 11;

/// What the rules concluded.
#[derive(Debug, Default)]
pub(crate) struct RuleResult {
    /// Every rule that failed (all of them, not just the first).
    pub(crate) reasons: Vec<Reason>,
    /// The level of confidence relied on: the credential's, capped at the provider's.
    pub(crate) level_of_confidence: Option<LevelOfConfidence>,
}

/// Applies `rule` to `claims` at `now` (Unix seconds); `required` is the template's least
/// level of confidence, `provider_max` the provider's certified maximum.
pub(crate) fn evaluate(
    rule: Rule,
    claims: &Map<String, Value>,
    now: i64,
    required: LevelOfConfidence,
    provider_max: LevelOfConfidence,
) -> RuleResult {
    let mut reader = ClaimReader::new(claims, now);
    let mut codes = Vec::new();
    let stated = match rule {
        Rule::IdvtDocument => idvt_document(&mut reader, &mut codes),
        Rule::AgeOver { claim } => {
            if reader.boolean(&[claim]) == Some(false) {
                codes.push(ReasonCode::AgeThresholdNotMet);
            }
            reader.level(&["verification", "assurance_level"])
        }
    };
    // A credential cannot vouch for more than its provider is certified to reach.
    let level_of_confidence = stated.map(|stated| stated.min(provider_max));
    if level_of_confidence.is_some_and(|level| level < required) {
        codes.push(ReasonCode::LevelOfConfidenceTooLow);
    }
    let invalid = reader.into_invalid();
    let reasons = if invalid.is_empty() {
        let mut seen = std::collections::BTreeSet::new();
        codes.retain(|code| seen.insert(*code));
        codes.into_iter().map(Reason::from).collect()
    } else {
        // Eligibility drawn from unusable values would be meaningless: say only what is wrong.
        invalid.into_iter().map(Reason::claim_invalid).collect()
    };
    RuleResult {
        reasons,
        level_of_confidence,
    }
}

/// The IDVT document rule (right to work, right to rent); returns the stated level of
/// confidence. Reads, and so validates, every claim the templates show.
fn idvt_document(
    reader: &mut ClaimReader<'_>,
    codes: &mut Vec<ReasonCode>,
) -> Option<LevelOfConfidence> {
    reader.name(&["given_name"]);
    reader.name(&["family_name"]);
    reader.birthdate(&["birthdate"]);
    reader.portrait(&["portrait"]);
    let nationalities = reader.countries(&["nationalities"]);
    let document_type = reader.code(&["document", "type"]);
    let issuing_country = reader.country(&["document", "issuing_country"]);
    let expiry = reader.date_until(&["document", "date_of_expiry"], MAX_DOCUMENT_YEARS_AHEAD);
    let level = reader.level(&["verification", "assurance_level"]);
    reader.gpg45_profile(&["verification", "gpg45_profile"], level);

    if let Some(nationalities) = &nationalities
        && !nationalities.iter().any(|n| IDVT_NATIONALITIES.contains(n))
    {
        codes.push(ReasonCode::NationalityNotEligible);
    }
    if let (Some(kind), Some(country)) = (document_type, issuing_country) {
        if !IDVT_DOCUMENTS.iter().any(|(k, _)| *k == kind) {
            codes.push(ReasonCode::DocumentTypeNotEligible);
        } else if !IDVT_DOCUMENTS.contains(&(kind, country))
            || nationalities.is_some_and(|n| !n.contains(&country))
        {
            // A French passport of a British and French citizen, or a British passport of
            // someone who is not British: the holder's nationality must be the document's.
            codes.push(ReasonCode::DocumentCountryNotEligible);
        }
    }
    // Valid through its expiry date, compared with the UTC date of the check.
    if expiry.is_some_and(|expiry| expiry < reader.today()) {
        codes.push(ReasonCode::DocumentExpired);
    }
    level
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    // 2026-01-01T12:00:00Z
    const NOW: i64 = 1_767_225_600 + 12 * 3600;

    fn rtw(claims: Value) -> RuleResult {
        evaluate(
            Rule::IdvtDocument,
            claims.as_object().unwrap(),
            NOW,
            LevelOfConfidence::Medium,
            LevelOfConfidence::High,
        )
    }

    fn codes(result: &RuleResult) -> Vec<ReasonCode> {
        result.reasons.iter().map(|r| r.code).collect()
    }

    fn eligible() -> Value {
        json!({
            "given_name": "Siobhán",
            "family_name": "Ní Bhriain",
            "birthdate": "1990-12-10",
            "portrait": "data:image/jpeg;base64,/9j/4AAQSkZJRg==",
            "nationalities": ["FR", "IE"],
            "document": {
                "type": "irish_passport_card",
                "issuing_country": "IE",
                "date_of_expiry": "2026-01-01"
            },
            "verification": { "assurance_level": "very_high", "gpg45_profile": "V1A" }
        })
    }

    #[test]
    fn a_document_expiring_today_is_still_valid_and_loc_is_capped_by_the_provider() {
        let result = rtw(eligible());
        assert!(result.reasons.is_empty(), "{:?}", result.reasons);
        assert_eq!(result.level_of_confidence, Some(LevelOfConfidence::High));
    }

    #[test]
    fn only_british_and_irish_passports_of_their_own_citizens_are_eligible() {
        let with = |nationalities: Value, kind: &str, country: &str| {
            let mut claims = eligible();
            claims["nationalities"] = nationalities;
            claims["document"]["type"] = kind.into();
            claims["document"]["issuing_country"] = country.into();
            codes(&rtw(claims))
        };
        assert!(with(json!(["GB", "FR"]), "passport", "GB").is_empty());
        assert!(with(json!(["IE"]), "passport", "IE").is_empty());
        assert!(with(json!(["IE"]), "irish_passport_card", "IE").is_empty());
        // A dual national's French passport, a British passport of an Irish citizen, an Irish
        // passport card "issued" by the UK.
        for (nationalities, kind, country) in [
            (json!(["GB", "FR"]), "passport", "FR"),
            (json!(["IE"]), "passport", "GB"),
            (json!(["GB"]), "irish_passport_card", "GB"),
        ] {
            assert_eq!(
                with(nationalities, kind, country),
                [ReasonCode::DocumentCountryNotEligible],
                "{kind} {country}"
            );
        }
        assert_eq!(
            with(json!(["GB"]), "driving_licence", "GB"),
            [ReasonCode::DocumentTypeNotEligible]
        );
        assert_eq!(
            with(json!(["FR"]), "passport", "FR"),
            [
                ReasonCode::NationalityNotEligible,
                ReasonCode::DocumentCountryNotEligible
            ]
        );
    }

    #[test]
    fn every_failed_rule_is_reported() {
        let mut claims = eligible();
        claims["nationalities"] = json!(["FR"]);
        claims["document"] = json!({ "type": "driving_licence", "issuing_country": "FR", "date_of_expiry": "2025-12-31" });
        claims["verification"] = json!({ "assurance_level": "low", "gpg45_profile": "L1A" });
        assert_eq!(
            codes(&rtw(claims)),
            [
                ReasonCode::NationalityNotEligible,
                ReasonCode::DocumentTypeNotEligible,
                ReasonCode::DocumentExpired,
                ReasonCode::LevelOfConfidenceTooLow
            ]
        );
    }

    #[test]
    fn unusable_claims_are_invalid_not_ineligible_and_each_is_named() {
        let mut claims = eligible();
        claims["birthdate"] = json!("1990-13-45");
        claims["document"]["date_of_expiry"] = json!("31/12/2030");
        claims["nationalities"] = json!(["FR"]);
        let result = rtw(claims);
        assert_eq!(
            json!(result.reasons.iter().map(|r| &r.claim).collect::<Vec<_>>()),
            json!([["birthdate"], ["document", "date_of_expiry"]])
        );
        assert!(
            codes(&result)
                .iter()
                .all(|c| *c == ReasonCode::ClaimInvalid)
        );
        assert_eq!(
            rtw(json!({})).reasons.len(),
            10,
            "every shown claim is required"
        );
    }

    #[test]
    fn age_needs_the_threshold_claim_true_and_a_sufficient_level() {
        let run = |claims: Value| {
            codes(&evaluate(
                Rule::AgeOver {
                    claim: "age_over_18",
                },
                claims.as_object().unwrap(),
                NOW,
                LevelOfConfidence::Medium,
                LevelOfConfidence::High,
            ))
        };
        let medium = json!({ "assurance_level": "medium" });
        assert!(run(json!({ "age_over_18": true, "verification": medium })).is_empty());
        assert_eq!(
            run(json!({ "age_over_18": false, "verification": medium })),
            [ReasonCode::AgeThresholdNotMet]
        );
        assert_eq!(
            run(json!({ "age_over_18": true, "verification": { "assurance_level": "low" } })),
            [ReasonCode::LevelOfConfidenceTooLow]
        );
        assert_eq!(
            run(json!({ "age_over_18": "yes", "verification": medium })),
            [ReasonCode::ClaimInvalid]
        );
        assert_eq!(
            run(json!({ "age_over_18": true })),
            [ReasonCode::ClaimInvalid]
        );
    }
}
