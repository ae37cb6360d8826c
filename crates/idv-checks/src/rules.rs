//! The templates' scheme rules over verified, requested claims.
//!
//! Right to work through an IDSP (standards.md §7.6, Home Office employer guide): British or
//! Irish citizens only, holding a passport or an Irish passport card that is valid (unexpired)
//! at the time of the check, verified to at least a medium level of confidence. Everyone else
//! is not eligible for the digital route. Age: the requested `age_over_NN` claim is `true`.

use idv_proto::trust::entry::LevelOfConfidence;
use serde::Deserialize as _;
use serde_json::{Map, Value};

use crate::reason::ReasonCode;
use crate::templates::Rule;

/// Nationalities eligible for the IDSP right-to-work route (ISO 3166-1 alpha-2).
pub const RTW_NATIONALITIES: &[&str] = &["GB", "IE"];
/// Identity documents eligible for the IDSP right-to-work route.
pub const RTW_DOCUMENT_TYPES: &[&str] = &["passport", "irish_passport_card"];

const DAY: i64 = 24 * 60 * 60;

/// What the rules concluded.
#[derive(Debug, Default)]
pub(crate) struct RuleResult {
    /// Every rule that failed (all of them, not just the first).
    pub(crate) reasons: Vec<ReasonCode>,
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
    match rule {
        Rule::RightToWork => right_to_work(claims, now, required, provider_max),
        Rule::AgeOver { claim } => RuleResult {
            reasons: match claims.get(claim) {
                Some(Value::Bool(true)) => Vec::new(),
                Some(Value::Bool(false)) => vec![ReasonCode::AgeThresholdNotMet],
                _ => vec![ReasonCode::ClaimInvalid],
            },
            level_of_confidence: None,
        },
    }
}

fn right_to_work(
    claims: &Map<String, Value>,
    now: i64,
    required: LevelOfConfidence,
    provider_max: LevelOfConfidence,
) -> RuleResult {
    let mut result = RuleResult::default();
    let reasons = &mut result.reasons;

    match claims.get("nationalities").and_then(Value::as_array) {
        Some(nationalities) if !nationalities.is_empty() => {
            let eligible = nationalities
                .iter()
                .any(|n| n.as_str().is_some_and(|n| RTW_NATIONALITIES.contains(&n)));
            if !eligible {
                reasons.push(ReasonCode::NationalityNotEligible);
            }
        }
        _ => reasons.push(ReasonCode::ClaimInvalid),
    }

    let document = claims.get("document");
    match document.and_then(|d| d.get("type")).and_then(Value::as_str) {
        Some(kind) if RTW_DOCUMENT_TYPES.contains(&kind) => {}
        Some(_) => reasons.push(ReasonCode::DocumentTypeNotEligible),
        None => reasons.push(ReasonCode::ClaimInvalid),
    }
    let expiry = document
        .and_then(|d| d.get("date_of_expiry"))
        .and_then(Value::as_str)
        .and_then(days_from_date);
    match expiry {
        // Valid through its expiry date, compared with the UTC date of the check.
        Some(expiry) if expiry >= now.div_euclid(DAY) => {}
        Some(_) => reasons.push(ReasonCode::DocumentExpired),
        None => reasons.push(ReasonCode::ClaimInvalid),
    }

    let stated = claims
        .get("verification")
        .and_then(|v| v.get("assurance_level"))
        .and_then(|level| LevelOfConfidence::deserialize(level).ok());
    match stated {
        Some(stated) => {
            // A credential cannot vouch for more than its provider is certified to reach.
            let effective = stated.min(provider_max);
            result.level_of_confidence = Some(effective);
            if effective < required {
                reasons.push(ReasonCode::LevelOfConfidenceTooLow);
            }
        }
        None => reasons.push(ReasonCode::ClaimInvalid),
    }
    let mut seen = std::collections::BTreeSet::new();
    reasons.retain(|code| seen.insert(*code));
    result
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date, checking the day exists.
pub(crate) fn days_from_date(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 10
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || !text
            .bytes()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit())
    {
        return None;
    }
    let year: i64 = text[..4].parse().ok()?;
    let month: i64 = text[5..7].parse().ok()?;
    let day: i64 = text[8..].parse().ok()?;
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=days_in_month).contains(&day) {
        return None;
    }
    // H. Hinnant's days_from_civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    // 2026-01-01T12:00:00Z
    const NOW: i64 = 1_767_225_600 + 12 * 3600;

    fn rtw(claims: Value) -> RuleResult {
        right_to_work(
            claims.as_object().unwrap(),
            NOW,
            LevelOfConfidence::Medium,
            LevelOfConfidence::High,
        )
    }

    fn eligible() -> Value {
        json!({
            "nationalities": ["FR", "IE"],
            "document": { "type": "irish_passport_card", "date_of_expiry": "2026-01-01" },
            "verification": { "assurance_level": "very_high" }
        })
    }

    #[test]
    fn dates_are_days_since_the_epoch() {
        assert_eq!(days_from_date("1970-01-01"), Some(0));
        assert_eq!(days_from_date("2026-01-01"), Some(NOW.div_euclid(DAY)));
        assert_eq!(days_from_date("2000-03-01"), Some(11_017));
        assert_eq!(days_from_date("2024-02-29"), Some(19_782));
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "2026-1-01",
            "+026-01-01",
            "2026-01-00",
        ] {
            assert_eq!(days_from_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_document_expiring_today_is_still_valid_and_loc_is_capped_by_the_provider() {
        let result = rtw(eligible());
        assert!(result.reasons.is_empty(), "{:?}", result.reasons);
        assert_eq!(result.level_of_confidence, Some(LevelOfConfidence::High));
    }

    #[test]
    fn every_failed_rule_is_reported() {
        let result = rtw(json!({
            "nationalities": ["FR"],
            "document": { "type": "driving_licence", "date_of_expiry": "2025-12-31" },
            "verification": { "assurance_level": "low" }
        }));
        assert_eq!(
            result.reasons,
            [
                ReasonCode::NationalityNotEligible,
                ReasonCode::DocumentTypeNotEligible,
                ReasonCode::DocumentExpired,
                ReasonCode::LevelOfConfidenceTooLow
            ]
        );
    }

    #[test]
    fn unusable_claims_are_invalid_not_ineligible() {
        let mut claims = eligible();
        claims["document"]["date_of_expiry"] = json!("31/12/2030");
        claims["verification"]["assurance_level"] = json!("extreme");
        assert_eq!(rtw(claims).reasons, [ReasonCode::ClaimInvalid]);
        assert_eq!(rtw(json!({})).reasons, [ReasonCode::ClaimInvalid]);
    }

    #[test]
    fn age_needs_the_threshold_claim_true() {
        let rule = Rule::AgeOver {
            claim: "age_over_18",
        };
        let run = |claims: Value| {
            evaluate(
                rule,
                claims.as_object().unwrap(),
                NOW,
                LevelOfConfidence::Medium,
                LevelOfConfidence::Medium,
            )
            .reasons
        };
        assert!(run(json!({ "age_over_18": true })).is_empty());
        assert_eq!(
            run(json!({ "age_over_18": false })),
            [ReasonCode::AgeThresholdNotMet]
        );
        assert_eq!(
            run(json!({ "age_over_18": "yes" })),
            [ReasonCode::ClaimInvalid]
        );
    }
}
