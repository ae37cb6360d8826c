//! [`OutcomeRecord`]: the part of a check's outcome kept until erasure (no personal data);
//! claims and the evidence record are stored apart and purged when retention ends.

use std::ops::{Deref, DerefMut};

use idv_checks::outcome::CheckOutcome;
use idv_checks::reason::ReasonCode;
use idv_checks::templates::TemplateRef;
use serde_json::{Map, Value};

use crate::store::checks::CheckRow;

/// The outcome metadata of a finished check: its [`CheckOutcome`] (verdict, reason codes,
/// provider, level of confidence, trust list, times) without the claims, the presentation's
/// digest, the confirmation (who compared) or the evidence record, which are personal data.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeRecord(CheckOutcome);

impl OutcomeRecord {
    /// The metadata of `outcome` (its claims and evidence are kept apart).
    pub fn of(outcome: &CheckOutcome) -> Self {
        Self(CheckOutcome {
            claims: Map::new(),
            presentation_sha256: None,
            confirmation: None,
            evidence: None,
            ..outcome.clone()
        })
    }

    /// A rejection the service detected itself (expiry).
    pub fn rejected(template: TemplateRef, code: ReasonCode, checked_at: i64) -> Self {
        Self(CheckOutcome::rejected(template, code, checked_at))
    }

    /// The stable reason codes.
    pub fn codes(&self) -> impl Iterator<Item = ReasonCode> + '_ {
        self.0.reasons.iter().map(|r| r.code)
    }

    /// The record as stored (JSON).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(&self.0)
    }

    /// The record `check` stores, if it has one. Records written before the record was the
    /// outcome itself name the verdict `outcome` and leave the template to the check's row.
    pub fn of_row(check: &CheckRow) -> Result<Option<Self>, serde_json::Error> {
        let Some(text) = check.outcome.as_deref() else {
            return Ok(None);
        };
        let mut value: Value = serde_json::from_str(text)?;
        if let Value::Object(fields) = &mut value {
            if let Some(state) = fields.remove("outcome") {
                fields.entry("state").or_insert(state);
            }
            if !fields.contains_key("template") {
                let version = u32::try_from(check.template_version).map_err(|_| {
                    <serde_json::Error as serde::de::Error>::custom("template version")
                })?;
                let template = TemplateRef {
                    id: check.template.clone(),
                    version,
                };
                fields.insert("template".into(), serde_json::to_value(template)?);
            }
        }
        serde_json::from_value(value).map(|outcome| Some(Self(outcome)))
    }
}

impl Deref for OutcomeRecord {
    type Target = CheckOutcome;

    fn deref(&self) -> &CheckOutcome {
        &self.0
    }
}

impl DerefMut for OutcomeRecord {
    fn deref_mut(&mut self) -> &mut CheckOutcome {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use idv_checks::reason::OutcomeState;

    use super::*;

    fn row(outcome: &str) -> CheckRow {
        CheckRow {
            template: "right_to_work".into(),
            template_version: 2,
            outcome: Some(outcome.into()),
            ..CheckRow::default()
        }
    }

    #[test]
    fn a_record_round_trips_without_personal_data() {
        let mut outcome = CheckOutcome::rejected(
            TemplateRef {
                id: "right_to_work".into(),
                version: 2,
            },
            ReasonCode::CredentialRevoked,
            7,
        );
        outcome.claims.insert("given_name".into(), "Ada".into());
        outcome.presentation_sha256 = Some("digest".into());
        outcome.evidence = Some("eyJ...".into());
        let record = OutcomeRecord::of(&outcome);
        let stored = record.to_json().unwrap();
        for personal in ["Ada", "digest", "eyJ"] {
            assert!(!stored.contains(personal), "{personal} in {stored}");
        }
        assert_eq!(OutcomeRecord::of_row(&row(&stored)).unwrap(), Some(record));
    }

    #[test]
    fn a_record_stored_by_an_earlier_version_reads_with_the_rows_template() {
        let stored = r#"{"outcome":"not_eligible","compliant":false,"reasons":[
            {"code":"nationality_not_eligible","step":"rule","message":"m"}],"checked_at":9}"#;
        let record = OutcomeRecord::of_row(&row(stored)).unwrap().unwrap();
        assert_eq!(record.state, OutcomeState::NotEligible);
        assert_eq!(record.template.id, "right_to_work");
        assert_eq!(record.template.version, 2);
        assert_eq!(record.checked_at, 9);
        assert_eq!(
            record.codes().collect::<Vec<_>>(),
            [ReasonCode::NationalityNotEligible]
        );
        assert!(
            OutcomeRecord::of_row(&CheckRow::default())
                .unwrap()
                .is_none()
        );
        assert!(OutcomeRecord::of_row(&row("{")).is_err());
    }
}
