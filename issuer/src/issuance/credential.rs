//! The two credential profiles this issuer offers, both SD-JWT VC (`dc+sd-jwt`, ES256):
//!
//! - **identity**: a GPG 45 proofed person: names, birthdate, nationalities, portrait, identity
//!   document and how it was verified. Every personal claim is selectively disclosable, with
//!   recursive disclosures inside `document`, `verification` and `address`, and decoys.
//! - **age**: `age_over_16/18/21/25` booleans, each selectively disclosable, and the plain
//!   (not selectively disclosable) `verification` object `{trust_framework, assurance_level}`:
//!   the GPG 45 level of confidence the age rests on, at the same path as in the identity
//!   credential, so a verifier can enforce it per credential and no presentation can withhold
//!   it. No name, no birthdate. Issued in batches, one credential per holder key, so two
//!   presentations cannot be linked by the credential. Its `exp` never passes the start (00:00
//!   UTC) of the next birthday that would change one of its `age_over_N` values
//!   ([`age_changes_at`]): a credential saying "not over 18" must not outlive the 18th
//!   birthday, nor one saying "over 18" be shown by someone it was not true of at issuance.
//!
//! `iss`, `vct`, `cnf`, `status`, `iat` and `exp` stay plain text (SD-JWT VC "Registered JWT
//! Claims"); `iat` is rounded down to the day so batch credentials are not told apart by it.

use std::fmt;

use idv_jose::{PublicKey, Random, SigningKey};
use idv_proto::claims_path::{ClaimsPath, PathElement};
use idv_sdjwt::vc;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::IssuanceError;

pub use idv_proto::calendar::{civil_from_days, days_from_civil, is_leap_year, parse_date};
pub use idv_proto::sd_jwt_vc::vct::{AGE_VCT, IDENTITY_VCT};
/// A GPG 45 level of confidence, ordered `Low < Medium < High < VeryHigh`: the type the trust
/// list's `max_loc` uses too.
pub use idv_proto::trust::entry::LevelOfConfidence;
/// The age thresholds an age credential attests.
pub const AGE_THRESHOLDS: [u32; 4] = [16, 18, 21, 25];
/// `verification.trust_framework` of every credential.
pub const TRUST_FRAMEWORK: &str = "uk_dvs";

const DAY: i64 = 86_400;

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

/// The largest portrait we embed (bytes of the data URI).
pub const MAX_PORTRAIT_BYTES: usize = 96 * 1024;

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

    /// Checks the record is complete and well formed; the operator API calls it before storing.
    pub fn validate(&self) -> Result<(), IssuanceError> {
        let deny = |reason: &str| {
            Err(IssuanceError::InvalidRequest {
                reason: reason.to_owned(),
            })
        };
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

/// The members of `address` the identity credential type allows.
const ADDRESS_MEMBERS: [&str; 6] = [
    "formatted",
    "street_address",
    "locality",
    "region",
    "postal_code",
    "country",
];

/// What every credential carries besides the person's claims.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    /// The Credential Issuer Identifier (`iss`).
    pub issuer: &'a str,
    /// Issuance time (Unix seconds); rounded down to the day in the credential.
    pub now: i64,
    /// Validity in seconds (`exp` = rounded `iat` + validity).
    pub validity: i64,
    /// The latest `exp` whatever the validity (Unix seconds): for an age credential, the next
    /// birthday that changes one of its values ([`age_expiry_cap`]).
    pub not_after: Option<i64>,
    /// The holder key (`cnf.jwk`).
    pub holder: &'a PublicKey,
    /// The `status` claim: where this credential's revocation status is published.
    pub status: Value,
}

impl Envelope<'_> {
    /// The credential's `iat`: issuance time rounded down to the day.
    pub fn iat(&self) -> i64 {
        self.now - self.now.rem_euclid(DAY)
    }

    /// The credential's `exp`: [`Envelope::iat`] plus the validity, or
    /// [`Envelope::not_after`] when earlier.
    pub fn exp(&self) -> i64 {
        let exp = self.iat() + self.validity;
        self.not_after.map_or(exp, |not_after| exp.min(not_after))
    }

    fn claims(&self, vct: &str) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("iss".into(), self.issuer.into());
        claims.insert("vct".into(), vct.into());
        claims.insert("iat".into(), self.iat().into());
        claims.insert("exp".into(), self.exp().into());
        claims.insert("cnf".into(), vc::cnf(self.holder));
        claims.insert("status".into(), self.status.clone());
        claims
    }
}

fn key(name: &str) -> PathElement {
    PathElement::Key(name.to_owned())
}

fn path(elements: Vec<PathElement>) -> Result<ClaimsPath, IssuanceError> {
    ClaimsPath::new(elements).map_err(|_| IssuanceError::InvalidRequest {
        reason: "empty claims path".into(),
    })
}

/// Issues an identity credential for `person`.
pub fn issue_identity(
    person: &ProofedIdentity,
    envelope: &Envelope<'_>,
    signer: &SigningKey,
    rng: &dyn Random,
) -> Result<String, IssuanceError> {
    person.validate()?;
    let mut claims = envelope.claims(IDENTITY_VCT);
    claims.insert("given_name".into(), person.given_name.clone().into());
    claims.insert("family_name".into(), person.family_name.clone().into());
    claims.insert("birthdate".into(), person.birthdate.clone().into());
    claims.insert("nationalities".into(), json!(person.nationalities));
    claims.insert("document".into(), json!(person.document));
    claims.insert(
        "verification".into(),
        json!({
            "trust_framework": TRUST_FRAMEWORK,
            "assurance_level": person.level_of_confidence,
            "gpg45_profile": person.gpg45_profile,
            "time": person.proofed_at,
        }),
    );
    let mut conceal = Vec::new();
    for name in [
        "given_name",
        "family_name",
        "birthdate",
        "nationalities",
        "document",
    ] {
        conceal.push(path(vec![key(name)])?);
    }
    conceal.push(path(vec![key("nationalities"), PathElement::AllElements])?);
    for field in ["type", "issuing_country", "date_of_expiry"] {
        conceal.push(path(vec![key("document"), key(field)])?);
    }
    conceal.push(path(vec![key("verification")])?);
    for field in ["gpg45_profile", "time"] {
        conceal.push(path(vec![key("verification"), key(field)])?);
    }
    if let Some(portrait) = &person.portrait {
        claims.insert("portrait".into(), portrait.clone().into());
        conceal.push(path(vec![key("portrait")])?);
    }
    if let Some(address) = &person.address {
        conceal.push(path(vec![key("address")])?);
        for field in address.keys() {
            conceal.push(path(vec![key("address"), key(field)])?);
        }
        claims.insert("address".into(), Value::Object(address.clone()));
    }
    Ok(vc::issue(signer, rng, claims, &conceal)?)
}

/// Issues an age credential: `age_over_N` booleans, each selectively disclosable, and the
/// plain `verification` object with the level of confidence.
pub fn issue_age(
    person: &ProofedIdentity,
    envelope: &Envelope<'_>,
    signer: &SigningKey,
    rng: &dyn Random,
) -> Result<String, IssuanceError> {
    let birthdate = parse_date(&person.birthdate).ok_or_else(|| IssuanceError::Denied {
        reason: "the proofed identity has no valid birthdate".into(),
    })?;
    let level = person.confidence().ok_or_else(|| IssuanceError::Denied {
        reason: "the proofed identity has no valid level of confidence".into(),
    })?;
    let today = civil_from_days(envelope.now.div_euclid(DAY));
    let age = age_on(birthdate, today);
    // Capped here too, so no caller can issue an age credential that outlives its values.
    let cap = age_changes_at(birthdate, today);
    let envelope = Envelope {
        not_after: match (envelope.not_after, cap) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        },
        ..envelope.clone()
    };
    let mut claims = envelope.claims(AGE_VCT);
    claims.insert(
        "verification".into(),
        json!({"trust_framework": TRUST_FRAMEWORK, "assurance_level": level}),
    );
    let mut conceal = Vec::new();
    for threshold in AGE_THRESHOLDS {
        let name = format!("age_over_{threshold}");
        claims.insert(name.clone(), (age >= threshold as i64).into());
        conceal.push(path(vec![key(&name)])?);
    }
    Ok(vc::issue(signer, rng, claims, &conceal)?)
}

/// The latest `exp` of an age credential for `person` issued at `now` (Unix seconds):
/// [`age_changes_at`] of their birthdate, `None` when no value will change (or the record has
/// no valid birthdate, which [`issue_age`] refuses).
pub fn age_expiry_cap(person: &ProofedIdentity, now: i64) -> Option<i64> {
    let birthdate = parse_date(&person.birthdate)?;
    age_changes_at(birthdate, civil_from_days(now.div_euclid(DAY)))
}

/// The start (00:00 UTC, Unix seconds) of the next birthday, after `today`, at which someone
/// born on `birth` reaches one of the [`AGE_THRESHOLDS`] they have not reached yet: when an
/// `age_over_N` value of an age credential issued `today` stops being true. `None` once every
/// threshold is reached. Someone born on 29 February has birthdays on 1 March in common years,
/// as [`age_on`] counts.
pub fn age_changes_at(birth: (i64, u32, u32), today: (i64, u32, u32)) -> Option<i64> {
    let age = age_on(birth, today);
    let threshold = AGE_THRESHOLDS
        .into_iter()
        .map(i64::from)
        .find(|&threshold| age < threshold)?;
    let year = birth.0 + threshold;
    let (month, day) = match (birth.1, birth.2) {
        (2, 29) if !is_leap_year(year) => (3, 1),
        other => other,
    };
    Some(days_from_civil((year, month, day)) * DAY)
}

/// Completed years between `birth` and `on`.
pub fn age_on(birth: (i64, u32, u32), on: (i64, u32, u32)) -> i64 {
    let had_birthday = (on.1, on.2) >= (birth.1, birth.2);
    on.0 - birth.0 - i64::from(!had_birthday)
}

#[cfg(test)]
mod tests {
    use idv_jose::random::DeterministicRandom;
    use idv_sdjwt::holder::HeldSdJwt;

    use super::*;

    // 2026-11-21T12:00:00Z
    const NOW: i64 = 1_795_219_200 + 12 * 3600;

    fn person(birthdate: &str) -> ProofedIdentity {
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
            proofed_at: NOW - 600,
        }
    }

    fn receive(credential: &str, key: &SigningKey) -> HeldSdJwt {
        HeldSdJwt::receive(credential, key.public_key(), vc::accepted_typ(false), NOW).unwrap()
    }

    #[test]
    fn an_address_holds_only_the_members_the_identity_type_allows() {
        let mut with_address = person("1990-12-10");
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
    fn dates_are_computed_without_a_calendar_library() {
        assert_eq!(civil_from_days(NOW.div_euclid(DAY)), (2026, 11, 21));
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(parse_date("2024-02-29"), Some((2024, 2, 29)));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(age_on((2008, 11, 21), (2026, 11, 21)), 18);
        assert_eq!(age_on((2008, 11, 22), (2026, 11, 21)), 17);
    }

    #[test]
    fn identity_credential_carries_every_claim_and_hides_them_all() {
        let key = SigningKey::generate().unwrap();
        let holder = SigningKey::generate().unwrap();
        let rng = DeterministicRandom::new(1);
        let envelope = Envelope {
            issuer: "https://idsp.example",
            now: NOW,
            validity: 365 * DAY,
            not_after: None,
            holder: holder.public_key(),
            status: json!({"status_list": {"idx": 7, "uri": "https://idsp.example/status/1"}}),
        };
        let credential = issue_identity(&person("1990-12-10"), &envelope, &key, &rng).unwrap();
        let held = receive(&credential, &key);
        let claims = held.claims();
        assert_eq!(claims["vct"], IDENTITY_VCT);
        assert_eq!(claims["given_name"], "Ada");
        assert_eq!(claims["document"]["type"], "passport");
        assert_eq!(claims["verification"]["assurance_level"], "medium");
        assert_eq!(claims["iat"], NOW - 12 * 3600);

        let jwt_payload = credential.split('.').nth(1).unwrap();
        let plain = String::from_utf8(idv_jose::base64url::decode(jwt_payload).unwrap()).unwrap();
        for secret in ["Ada", "Lovelace", "1990-12-10", "passport", "M1B", "/9j/"] {
            assert!(!plain.contains(secret), "{secret} is not concealed");
        }
    }

    #[test]
    fn age_credential_has_only_thresholds() {
        let key = SigningKey::generate().unwrap();
        let holder = SigningKey::generate().unwrap();
        let rng = DeterministicRandom::new(2);
        let envelope = Envelope {
            issuer: "https://idsp.example",
            now: NOW,
            validity: 90 * DAY,
            not_after: None,
            holder: holder.public_key(),
            status: json!({"status_list": {"idx": 8, "uri": "https://idsp.example/status/1"}}),
        };
        let held = receive(
            &issue_age(&person("2005-11-22"), &envelope, &key, &rng).unwrap(),
            &key,
        );
        let claims = held.claims();
        assert_eq!(claims["age_over_16"], true);
        assert_eq!(claims["age_over_18"], true);
        assert_eq!(claims["age_over_21"], false);
        assert_eq!(claims["age_over_25"], false);
        assert_eq!(
            claims["exp"],
            NOW - 12 * 3600 + DAY,
            "21 tomorrow: capped even when the envelope is not"
        );
        assert_eq!(
            claims["verification"],
            json!({"trust_framework": "uk_dvs", "assurance_level": "medium"})
        );
        // The level is plain: it needs no disclosure and travels with every presentation.
        assert!(
            !held
                .disclosable_paths()
                .iter()
                .any(|path| path.first() == Some(&PathElement::Key("verification".into())))
        );
        let presented = held.present(&[]).unwrap();
        let payload = presented.split('.').nth(1).unwrap();
        let plain: Value =
            serde_json::from_slice(&idv_jose::base64url::decode(payload).unwrap()).unwrap();
        assert_eq!(plain["verification"]["assurance_level"], "medium");
        for absent in [
            "given_name",
            "family_name",
            "birthdate",
            "nationalities",
            "portrait",
        ] {
            assert!(!claims.contains_key(absent));
        }
    }

    /// The `exp` of an age credential for someone born on `birthdate`, issued at `now` for
    /// `validity`, and its `age_over_18`, as a holder receives them.
    fn age_exp(birthdate: &str, now: i64, validity: i64) -> (i64, Value) {
        let key = SigningKey::generate().unwrap();
        let holder = SigningKey::generate().unwrap();
        let person = person(birthdate);
        let envelope = Envelope {
            issuer: "https://idsp.example",
            now,
            validity,
            not_after: age_expiry_cap(&person, now),
            holder: holder.public_key(),
            status: json!({"status_list": {"idx": 9, "uri": "https://idsp.example/status/1"}}),
        };
        let credential = issue_age(&person, &envelope, &key, &DeterministicRandom::new(3)).unwrap();
        let held = HeldSdJwt::receive(&credential, key.public_key(), vc::accepted_typ(false), now)
            .unwrap();
        let exp = held.claims()["exp"].as_i64().unwrap();
        assert_eq!(exp, envelope.exp(), "the stored expiry is the credential's");
        (exp, held.claims()["age_over_18"].clone())
    }

    #[test]
    fn an_age_credential_expires_when_its_next_threshold_is_reached() {
        // 17 years and 345 days old on 2026-11-21: 18 on 2026-12-11.
        assert_eq!(
            age_on((2008, 12, 11), civil_from_days(NOW.div_euclid(DAY))),
            17
        );
        let (exp, over_18) = age_exp("2008-12-11", NOW, 90 * DAY);
        assert_eq!(exp, 1_796_947_200, "2026-12-11T00:00:00Z");
        assert_eq!(over_18, false);
        assert_eq!(age_on((2008, 12, 11), civil_from_days(exp / DAY)), 18);
        assert_eq!(age_on((2008, 12, 11), civil_from_days(exp / DAY - 1)), 17);
        // A shorter validity still wins.
        assert_eq!(
            age_exp("2008-12-11", NOW, 10 * DAY).0,
            NOW - 12 * 3600 + 10 * DAY
        );
        // The day after the birthday: the next change is the 21st birthday, beyond the validity.
        let after = 1_796_947_200 + 12 * 3600;
        let (exp, over_18) = age_exp("2008-12-11", after, 90 * DAY);
        assert_eq!(
            (exp, over_18),
            (after - 12 * 3600 + 90 * DAY, Value::Bool(true))
        );
        // Under 16: the 16th birthday.
        assert_eq!(
            age_changes_at((2012, 1, 5), (2026, 11, 21)),
            Some(days_from_civil((2028, 1, 5)) * DAY)
        );
    }

    #[test]
    fn a_leap_day_birth_reaches_an_age_on_1_march_in_common_years() {
        // 18 in 2026, a common year: on 1 March.
        let (exp, over_18) = age_exp("2008-02-29", 1_769_904_000, 90 * DAY); // 2026-02-01
        assert_eq!(exp, 1_772_323_200, "2026-03-01T00:00:00Z");
        assert_eq!(over_18, false);
        assert_eq!(age_on((2008, 2, 29), (2026, 2, 28)), 17);
        assert_eq!(age_on((2008, 2, 29), (2026, 3, 1)), 18);
        // 16 in 2024, a leap year: on 29 February.
        assert_eq!(
            age_changes_at((2008, 2, 29), (2024, 1, 10)),
            Some(1_709_164_800),
            "2024-02-29T00:00:00Z"
        );
    }

    #[test]
    fn from_25_an_age_credential_has_no_birthday_cap() {
        assert_eq!(age_changes_at((1990, 12, 10), (2026, 11, 21)), None);
        assert_eq!(
            age_changes_at((2001, 11, 21), (2026, 11, 21)),
            None,
            "25 today"
        );
        assert_eq!(
            age_changes_at((2001, 11, 22), (2026, 11, 21)),
            Some(days_from_civil((2026, 11, 22)) * DAY),
            "25 tomorrow"
        );
        let validity = 10 * 365 * DAY;
        assert_eq!(
            age_exp("1990-12-10", NOW, validity).0,
            NOW - 12 * 3600 + validity
        );
    }

    #[test]
    fn days_and_dates_convert_both_ways() {
        for days in [-719_468, -1, 0, 1, 11_016, 20_513, 20_878, 2_932_896] {
            assert_eq!(days_from_civil(civil_from_days(days)), days);
        }
        assert_eq!(days_from_civil((1970, 1, 1)), 0);
        assert_eq!(days_from_civil((2000, 3, 1)), 11_017);
    }

    #[test]
    fn levels_of_confidence_are_read_by_their_wire_names() {
        use LevelOfConfidence::{High, Low, Medium, VeryHigh};
        for level in [Low, Medium, High, VeryHigh] {
            let mut record = person("1990-01-01");
            record.level_of_confidence = level.as_str().into();
            assert_eq!(record.confidence(), Some(level));
        }
        let mut record = person("1990-01-01");
        record.level_of_confidence = "Medium".into();
        assert_eq!(record.confidence(), None);
        assert!(Low < Medium && Medium < High && High < VeryHigh);
    }

    #[test]
    fn incomplete_or_malformed_records_are_refused() {
        let mut bad = person("1990-13-01");
        assert!(bad.validate().is_err());
        bad = person("1990-01-01");
        bad.nationalities = vec!["gb".into()];
        assert!(bad.validate().is_err());
        bad = person("1990-01-01");
        bad.portrait = Some("data:image/png;base64,AAAA".into());
        assert!(bad.validate().is_err());
        bad = person("1990-01-01");
        bad.level_of_confidence = "extreme".into();
        assert!(bad.validate().is_err());
    }

    #[test]
    fn debug_output_contains_no_personal_data() {
        let text = format!("{:?}", person("1990-12-10"));
        assert!(!text.contains("Ada") && !text.contains("1990"));
    }
}
