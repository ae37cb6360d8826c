//! A person as a certified provider proofed them (GPG 45): the record both profiles are built
//! from, and the checks it must pass before anything is issued from it.

use std::fmt;

use idv_proto::calendar::parse_date;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;

use crate::LevelOfConfidence;

/// The largest portrait we embed (bytes of the data URI).
pub const MAX_PORTRAIT_BYTES: usize = 96 * 1024;

/// The members of `address` the identity credential type allows.
const ADDRESS_MEMBERS: [&str; 6] = [
    "formatted",
    "street_address",
    "locality",
    "region",
    "postal_code",
    "country",
];

/// The identity document the person was proofed with.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityDocument {
    /// `passport`, `irish_passport_card`, `driving_licence`, `national_identity_card`, ...
    #[serde(rename = "type")]
    pub document_type: String,
    /// ISO 3166-1 alpha-2 code of the issuing state.
    pub issuing_country: String,
    /// `YYYY-MM-DD`.
    pub date_of_expiry: String,
}

/// A person as the provider proofed them (GPG 45), recorded by the operator.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofedIdentity {
    /// Given name(s).
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// `YYYY-MM-DD`.
    pub birthdate: String,
    /// ISO 3166-1 alpha-2 codes.
    pub nationalities: Vec<String>,
    /// The document checked.
    pub document: IdentityDocument,
    /// A small JPEG as a `data:image/jpeg;base64,...` URI, for the relying party's photo match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portrait: Option<String>,
    /// Postal address, when proofed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Map<String, Value>>,
    /// GPG 45 level of confidence achieved: `low`, `medium`, `high` or `very_high`.
    pub level_of_confidence: String,
    /// GPG 45 identity profile, e.g. `M1B`.
    pub gpg45_profile: String,
    /// When proofing completed (Unix seconds).
    pub proofed_at: i64,
}

impl fmt::Debug for ProofedIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Personal data never reaches a log line.
        f.debug_struct("ProofedIdentity")
            .field("level_of_confidence", &self.level_of_confidence)
            .field("proofed_at", &self.proofed_at)
            .finish_non_exhaustive()
    }
}

/// A proofed identity record that is incomplete or malformed: what is wrong, naming no
/// personal data.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{reason}")]
pub struct InvalidRecord {
    /// What is wrong.
    pub reason: &'static str,
}

impl ProofedIdentity {
    /// Its level of confidence; `None` when the record names no known level.
    pub fn confidence(&self) -> Option<LevelOfConfidence> {
        match self.level_of_confidence.as_str() {
            "low" => Some(LevelOfConfidence::Low),
            "medium" => Some(LevelOfConfidence::Medium),
            "high" => Some(LevelOfConfidence::High),
            "very_high" => Some(LevelOfConfidence::VeryHigh),
            _ => None,
        }
    }

    /// Checks the record is complete and well formed; an operator API calls it before storing.
    pub fn validate(&self) -> Result<(), InvalidRecord> {
        let deny = |reason| Err(InvalidRecord { reason });
        if self.given_name.trim().is_empty() || self.family_name.trim().is_empty() {
            return deny("given_name and family_name are required");
        }
        if parse_date(&self.birthdate).is_none() {
            return deny("birthdate must be YYYY-MM-DD");
        }
        if parse_date(&self.document.date_of_expiry).is_none() {
            return deny("document.date_of_expiry must be YYYY-MM-DD");
        }
        let is_country = |c: &String| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase());
        if self.nationalities.is_empty() || !self.nationalities.iter().all(is_country) {
            return deny("nationalities must be ISO 3166-1 alpha-2 codes");
        }
        if !is_country(&self.document.issuing_country) {
            return deny("document.issuing_country must be an ISO 3166-1 alpha-2 code");
        }
        if self.confidence().is_none() {
            return deny("level_of_confidence must be low, medium, high or very_high");
        }
        if let Some(portrait) = &self.portrait
            && (!portrait.starts_with("data:image/jpeg;base64,")
                || portrait.len() > MAX_PORTRAIT_BYTES)
        {
            return deny("portrait must be a data:image/jpeg;base64 URI of at most 96 KiB");
        }
        // The members the scheme's published identity type allows (OpenID Connect Core 1.0
        // §5.1.1 `address`), each a string: verifiers refuse anything else.
        if let Some(address) = &self.address
            && !address
                .iter()
                .all(|(name, value)| ADDRESS_MEMBERS.contains(&name.as_str()) && value.is_string())
        {
            return deny(
                "address members must be strings among formatted, street_address, locality, \
                 region, postal_code and country",
            );
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::json;

    use super::*;

    /// Ada, proofed to medium with a passport, born on `birthdate`, at `proofed_at`.
    pub(crate) fn person(birthdate: &str, proofed_at: i64) -> ProofedIdentity {
        ProofedIdentity {
            given_name: "Ada".into(),
            family_name: "Lovelace".into(),
            birthdate: birthdate.into(),
            nationalities: vec!["GB".into()],
            document: IdentityDocument {
                document_type: "passport".into(),
                issuing_country: "GB".into(),
                date_of_expiry: "2031-01-31".into(),
            },
            portrait: Some("data:image/jpeg;base64,/9j/4AAQSkZJRg==".into()),
            address: None,
            level_of_confidence: "medium".into(),
            gpg45_profile: "M1B".into(),
            proofed_at,
        }
    }

    #[test]
    fn an_address_holds_only_the_members_the_identity_type_allows() {
        let mut with_address = person("1990-12-10", 0);
        with_address.address = Some(
            json!({"street_address": "12 Analytical Row", "postal_code": "N1 9GU"})
                .as_object()
                .unwrap()
                .clone(),
        );
        assert!(with_address.validate().is_ok());
        for bad in [json!({"flat": "2"}), json!({"locality": 12})] {
            with_address.address = Some(bad.as_object().unwrap().clone());
            assert!(with_address.validate().is_err(), "{bad}");
        }
    }

    #[test]
    fn levels_of_confidence_are_read_by_their_wire_names() {
        use LevelOfConfidence::{High, Low, Medium, VeryHigh};
        for level in [Low, Medium, High, VeryHigh] {
            let mut record = person("1990-01-01", 0);
            record.level_of_confidence = level.as_str().into();
            assert_eq!(record.confidence(), Some(level));
        }
        let mut record = person("1990-01-01", 0);
        record.level_of_confidence = "Medium".into();
        assert_eq!(record.confidence(), None);
        assert!(Low < Medium && Medium < High && High < VeryHigh);
    }

    #[test]
    fn incomplete_or_malformed_records_are_refused() {
        assert_eq!(person("1990-01-01", 0).validate(), Ok(()));
        let refused = |change: fn(&mut ProofedIdentity)| {
            let mut bad = person("1990-01-01", 0);
            change(&mut bad);
            bad.validate().unwrap_err().reason
        };
        assert_eq!(
            refused(|p| p.birthdate = "1990-13-01".into()),
            "birthdate must be YYYY-MM-DD"
        );
        assert_eq!(
            refused(|p| p.document.date_of_expiry = "2031-02-30".into()),
            "document.date_of_expiry must be YYYY-MM-DD"
        );
        assert_eq!(
            refused(|p| p.family_name = " ".into()),
            "given_name and family_name are required"
        );
        assert_eq!(
            refused(|p| p.nationalities = vec!["gb".into()]),
            "nationalities must be ISO 3166-1 alpha-2 codes"
        );
        assert_eq!(
            refused(|p| p.document.issuing_country = "GBR".into()),
            "document.issuing_country must be an ISO 3166-1 alpha-2 code"
        );
        assert_eq!(
            refused(|p| p.portrait = Some("data:image/png;base64,AAAA".into())),
            "portrait must be a data:image/jpeg;base64 URI of at most 96 KiB"
        );
        assert_eq!(
            refused(|p| p.level_of_confidence = "extreme".into()),
            "level_of_confidence must be low, medium, high or very_high"
        );
    }

    #[test]
    fn debug_output_contains_no_personal_data() {
        let text = format!("{:?}", person("1990-12-10", 0));
        assert!(!text.contains("Ada") && !text.contains("1990"));
    }
}
