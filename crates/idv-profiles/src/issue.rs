//! Building and signing the two credentials from a [`ProofedIdentity`]: which claims each
//! carries and which are selectively disclosable (RFC 9901 §4.2; SD-JWT VC for the plain
//! registered claims of the [`Envelope`]).

use idv_jose::{Random, SigningKey};
use idv_proto::calendar::{parse_date, utc};
use idv_proto::claims_path::{ClaimsPath, EmptyClaimsPath, PathElement};
use idv_sdjwt::{SdJwtError, vc};
use serde_json::{Value, json};
use thiserror::Error;

use crate::age::{age_changes_at, age_on};
use crate::{
    AGE_THRESHOLDS, AGE_VCT, Envelope, IDENTITY_VCT, InvalidRecord, ProofedIdentity,
    TRUST_FRAMEWORK,
};

/// Why a credential could not be built from a proofed identity.
#[derive(Debug, Error)]
pub enum IssueError {
    /// The record is incomplete or malformed ([`ProofedIdentity::validate`]).
    #[error(transparent)]
    InvalidRecord(#[from] InvalidRecord),
    /// The record does not support the credential: an age credential needs a valid birthdate
    /// and a known level of confidence.
    #[error("{reason}")]
    Unsupported {
        /// What the record lacks.
        reason: &'static str,
    },
    /// A claims path to conceal was empty (a programming error, never a record's).
    #[error(transparent)]
    ClaimsPath(#[from] EmptyClaimsPath),
    /// Signing the SD-JWT VC failed.
    #[error(transparent)]
    Credential(#[from] SdJwtError),
}

/// The path of the object keys `keys`, then `tail`.
fn path(keys: &[&str], tail: Option<PathElement>) -> Result<ClaimsPath, EmptyClaimsPath> {
    let mut elements: Vec<PathElement> = keys
        .iter()
        .map(|key| PathElement::Key((*key).to_owned()))
        .collect();
    elements.extend(tail);
    ClaimsPath::new(elements)
}

/// Issues an identity credential for `person`.
pub fn issue_identity(
    person: &ProofedIdentity,
    envelope: &Envelope<'_>,
    signer: &SigningKey,
    rng: &dyn Random,
) -> Result<String, IssueError> {
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
        conceal.push(path(&[name], None)?);
    }
    conceal.push(path(&["nationalities"], Some(PathElement::AllElements))?);
    for field in ["type", "issuing_country", "date_of_expiry"] {
        conceal.push(path(&["document", field], None)?);
    }
    conceal.push(path(&["verification"], None)?);
    for field in ["gpg45_profile", "time"] {
        conceal.push(path(&["verification", field], None)?);
    }
    if let Some(portrait) = &person.portrait {
        claims.insert("portrait".into(), portrait.clone().into());
        conceal.push(path(&["portrait"], None)?);
    }
    if let Some(address) = &person.address {
        conceal.push(path(&["address"], None)?);
        for field in address.keys() {
            conceal.push(path(&["address", field], None)?);
        }
        claims.insert("address".into(), Value::Object(address.clone()));
    }
    Ok(vc::issue(signer, rng, claims, &conceal)?)
}

/// Issues an age credential: `age_over_N` booleans, each selectively disclosable, and the
/// plain `verification` object with the level of confidence. Its `exp` is capped at the next
/// birthday that changes one of the values ([`age_changes_at`]) whatever the envelope says.
pub fn issue_age(
    person: &ProofedIdentity,
    envelope: &Envelope<'_>,
    signer: &SigningKey,
    rng: &dyn Random,
) -> Result<String, IssueError> {
    let birthdate = parse_date(&person.birthdate).ok_or(IssueError::Unsupported {
        reason: "the proofed identity has no valid birthdate",
    })?;
    let level = person.confidence().ok_or(IssueError::Unsupported {
        reason: "the proofed identity has no valid level of confidence",
    })?;
    let today = utc(envelope.now).date();
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
        claims.insert(name.clone(), (age >= i64::from(threshold)).into());
        conceal.push(path(&[&name], None)?);
    }
    Ok(vc::issue(signer, rng, claims, &conceal)?)
}

#[cfg(test)]
mod tests {
    use idv_jose::random::DeterministicRandom;
    use idv_proto::calendar::start_of_day;
    use idv_sdjwt::holder::HeldSdJwt;

    use super::*;
    use crate::DAY;
    use crate::age::age_expiry_cap;
    use crate::age::tests::date;
    use crate::identity::tests::person as person_at;

    // 2026-11-21T12:00:00Z
    const NOW: i64 = 1_795_219_200 + 12 * 3600;

    fn person(birthdate: &str) -> ProofedIdentity {
        person_at(birthdate, NOW - 600)
    }

    fn envelope(holder: &SigningKey, now: i64, validity: i64, idx: u64) -> Envelope<'_> {
        Envelope {
            issuer: "https://idsp.example",
            now,
            validity,
            not_after: None,
            holder: holder.public_key(),
            status: json!({"status_list": {"idx": idx, "uri": "https://idsp.example/status/1"}}),
        }
    }

    fn receive(credential: &str, key: &SigningKey, now: i64) -> HeldSdJwt {
        HeldSdJwt::receive(credential, key.public_key(), vc::accepted_typ(false), now).unwrap()
    }

    #[test]
    fn identity_credential_carries_every_claim_and_hides_them_all() {
        let key = SigningKey::generate().unwrap();
        let holder = SigningKey::generate().unwrap();
        let rng = DeterministicRandom::new(1);
        let envelope = envelope(&holder, NOW, 365 * DAY, 7);
        let credential = issue_identity(&person("1990-12-10"), &envelope, &key, &rng).unwrap();
        let held = receive(&credential, &key, NOW);
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
    fn an_invalid_record_is_not_issued() {
        let key = SigningKey::generate().unwrap();
        let rng = DeterministicRandom::new(4);
        let mut bad = person("1990-02-30");
        let envelope = envelope(&key, NOW, DAY, 1);
        let refused = issue_identity(&bad, &envelope, &key, &rng).unwrap_err();
        assert!(matches!(refused, IssueError::InvalidRecord(_)), "{refused}");
        let refused = issue_age(&bad, &envelope, &key, &rng).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "the proofed identity has no valid birthdate"
        );
        bad.birthdate = "1990-02-28".into();
        bad.level_of_confidence = "extreme".into();
        let refused = issue_age(&bad, &envelope, &key, &rng).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "the proofed identity has no valid level of confidence"
        );
    }

    #[test]
    fn age_credential_has_only_thresholds() {
        let key = SigningKey::generate().unwrap();
        let holder = SigningKey::generate().unwrap();
        let rng = DeterministicRandom::new(2);
        let envelope = envelope(&holder, NOW, 90 * DAY, 8);
        let held = receive(
            &issue_age(&person("2005-11-22"), &envelope, &key, &rng).unwrap(),
            &key,
            NOW,
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
            not_after: age_expiry_cap(&person, now),
            ..envelope(&holder, now, validity, 9)
        };
        let credential = issue_age(&person, &envelope, &key, &DeterministicRandom::new(3)).unwrap();
        let held = receive(&credential, &key, now);
        let exp = held.claims()["exp"].as_i64().unwrap();
        assert_eq!(exp, envelope.exp(), "the stored expiry is the credential's");
        (exp, held.claims()["age_over_18"].clone())
    }

    #[test]
    fn an_age_credential_expires_when_its_next_threshold_is_reached() {
        // 17 years and 345 days old on 2026-11-21: 18 on 2026-12-11.
        let birth = date(2008, 12, 11);
        assert_eq!(age_on(birth, utc(NOW).date()), 17);
        let (exp, over_18) = age_exp("2008-12-11", NOW, 90 * DAY);
        assert_eq!(exp, 1_796_947_200, "2026-12-11T00:00:00Z");
        assert_eq!(over_18, false);
        assert_eq!(age_on(birth, utc(exp).date()), 18);
        assert_eq!(age_on(birth, utc(exp - 1).date()), 17);
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
    }

    #[test]
    fn a_leap_day_birth_reaches_an_age_on_1_march_in_common_years() {
        // 18 in 2026, a common year: on 1 March.
        let (exp, over_18) = age_exp("2008-02-29", 1_769_904_000, 90 * DAY); // 2026-02-01
        assert_eq!(exp, start_of_day(date(2026, 3, 1)));
        assert_eq!(over_18, false);
    }

    #[test]
    fn from_25_an_age_credential_has_no_birthday_cap() {
        let validity = 10 * 365 * DAY;
        assert_eq!(
            age_exp("1990-12-10", NOW, validity).0,
            NOW - 12 * 3600 + validity
        );
    }
}
