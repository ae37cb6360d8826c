//! Reading the verified, requested claims a template relies on or shows, validating each one
//! (type, format, range) before any rule looks at it.
//!
//! An issuer's signature says who asserted a value, not that the value makes sense: a
//! registered issuer could sign `"birthdate": "1990-13-45"` or a date of birth next year. A
//! value that fails its validation is recorded under its claims path and becomes a
//! [`crate::ReasonCode::ClaimInvalid`] naming that path; nothing unvalidated reaches an
//! outcome that calls it verified.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
pub(crate) use idv_proto::calendar::days_from_date;
use idv_proto::claims_path::ClaimsPath;
use idv_proto::trust::entry::LevelOfConfidence;
use serde::Deserialize as _;
use serde_json::{Map, Value};

/// Seconds in a day.
pub(crate) const DAY: i64 = 24 * 60 * 60;

/// The longest name accepted, in characters (ICAO 9303 allows 39 in the machine-readable
/// zone; the full name on a data page is longer, so this only bounds absurd values).
const MAX_NAME_CHARS: usize = 256;
/// The oldest date of birth accepted, in years before the check.
const MAX_AGE_YEARS: i64 = 150;

/// A validating reader over one credential's claims at the time of a check.
pub(crate) struct ClaimReader<'a> {
    claims: &'a Map<String, Value>,
    /// The UTC date of the check, in days since 1970-01-01.
    today: i64,
    invalid: Vec<ClaimsPath>,
}

impl<'a> ClaimReader<'a> {
    /// A reader of `claims` for a check made at `now` (Unix seconds).
    pub(crate) fn new(claims: &'a Map<String, Value>, now: i64) -> Self {
        Self {
            claims,
            today: now.div_euclid(DAY),
            invalid: Vec::new(),
        }
    }

    /// The UTC date of the check, in days since 1970-01-01.
    pub(crate) fn today(&self) -> i64 {
        self.today
    }

    /// The claims paths whose values failed validation, in reading order.
    pub(crate) fn into_invalid(self) -> Vec<ClaimsPath> {
        self.invalid
    }

    fn get(&self, path: &[&str]) -> Option<&'a Value> {
        let (first, rest) = path.split_first()?;
        rest.iter()
            .try_fold(self.claims.get(*first)?, |value, key| value.get(key))
    }

    /// Reads `path` with `parse`; a missing or unparsable value is recorded as invalid.
    fn read<T>(&mut self, path: &[&str], parse: impl FnOnce(&'a Value) -> Option<T>) -> Option<T> {
        let value = self.get(path).and_then(parse);
        if value.is_none()
            && let Ok(path) = ClaimsPath::from_keys(path.iter().copied())
        {
            self.invalid.push(path);
        }
        value
    }

    /// A name: a non-empty string of at most 256 characters without control characters.
    pub(crate) fn name(&mut self, path: &[&str]) -> Option<&'a str> {
        self.read(path, |value| {
            let text = value.as_str()?;
            let chars = text.chars().count();
            (!text.trim().is_empty()
                && chars <= MAX_NAME_CHARS
                && !text.chars().any(char::is_control))
            .then_some(text)
        })
    }

    /// A date of birth: a real `YYYY-MM-DD` date, not after the day of the check and at most
    /// 150 years before it. Days since 1970-01-01.
    pub(crate) fn birthdate(&mut self, path: &[&str]) -> Option<i64> {
        let today = self.today;
        self.read(path, |value| {
            let days = days_from_date(value.as_str()?)?;
            (days <= today && days >= today - MAX_AGE_YEARS * 366).then_some(days)
        })
    }

    /// A real `YYYY-MM-DD` date no more than `max_years_ahead` years after the check. Days
    /// since 1970-01-01.
    pub(crate) fn date_until(&mut self, path: &[&str], max_years_ahead: i64) -> Option<i64> {
        let today = self.today;
        self.read(path, |value| {
            let days = days_from_date(value.as_str()?)?;
            (days <= today + max_years_ahead * 366).then_some(days)
        })
    }

    /// An ISO 3166-1 alpha-2 code (two upper-case ASCII letters).
    pub(crate) fn country(&mut self, path: &[&str]) -> Option<&'a str> {
        self.read(path, |value| value.as_str().filter(|c| is_country(c)))
    }

    /// A non-empty array of distinct ISO 3166-1 alpha-2 codes.
    pub(crate) fn countries(&mut self, path: &[&str]) -> Option<Vec<&'a str>> {
        self.read(path, |value| {
            let codes = value
                .as_array()?
                .iter()
                .map(|c| c.as_str().filter(|c| is_country(c)))
                .collect::<Option<Vec<_>>>()?;
            let distinct = codes
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            (!codes.is_empty() && distinct == codes.len()).then_some(codes)
        })
    }

    /// A code of lower-case ASCII letters, digits and underscores (e.g. a document type).
    pub(crate) fn code(&mut self, path: &[&str]) -> Option<&'a str> {
        self.read(path, |value| {
            value.as_str().filter(|code| {
                !code.is_empty()
                    && code.len() <= 64
                    && code
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            })
        })
    }

    /// A GPG 45 level of confidence (`low`, `medium`, `high`, `very_high`).
    pub(crate) fn level(&mut self, path: &[&str]) -> Option<LevelOfConfidence> {
        self.read(path, |value| LevelOfConfidence::deserialize(value).ok())
    }

    /// A GPG 45 identity profile (e.g. `M1B`): a level letter (L, M, H, V), a digit and a
    /// letter. When the stated level is known, the profile must belong to it: a profile of
    /// one level under a claim of another cannot both be true.
    pub(crate) fn gpg45_profile(&mut self, path: &[&str], level: Option<LevelOfConfidence>) {
        self.read(path, |value| {
            let profile = value.as_str()?.as_bytes();
            let [letter, digit, variant] = *profile else {
                return None;
            };
            let profile_level = match letter {
                b'L' => LevelOfConfidence::Low,
                b'M' => LevelOfConfidence::Medium,
                b'H' => LevelOfConfidence::High,
                b'V' => LevelOfConfidence::VeryHigh,
                _ => return None,
            };
            (digit.is_ascii_digit()
                && variant.is_ascii_uppercase()
                && level.is_none_or(|level| level == profile_level))
            .then_some(())
        });
    }

    /// A portrait: a `data:image/jpeg;base64,` URI of well-formed base64 whose content starts
    /// as a JPEG image does (the SOI marker followed by another marker, ISO/IEC 10918-1).
    /// Only the first quantum is decoded: the rest is checked, not copied.
    pub(crate) fn portrait(&mut self, path: &[&str]) {
        self.read(path, |value| {
            let data = value.as_str()?.strip_prefix("data:image/jpeg;base64,")?;
            let head = STANDARD.decode(data.get(..4)?).ok()?;
            (is_base64(data) && head.starts_with(&[0xFF, 0xD8, 0xFF])).then_some(())
        });
    }

    /// A boolean.
    pub(crate) fn boolean(&mut self, path: &[&str]) -> Option<bool> {
        self.read(path, Value::as_bool)
    }
}

/// Whether `text` is padded standard base64 (RFC 4648 §4): whole quanta of the alphabet, with
/// at most two `=` at the end.
fn is_base64(text: &str) -> bool {
    let bytes = text.as_bytes();
    let body = bytes
        .strip_suffix(b"==")
        .or_else(|| bytes.strip_suffix(b"="))
        .unwrap_or(bytes);
    bytes.len().is_multiple_of(4)
        && body
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
}

fn is_country(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    // 2026-01-01T12:00:00Z
    const NOW: i64 = 1_767_225_600 + 12 * 3600;

    /// The invalid paths `read` found, dotted (`document.type`).
    fn invalid(claims: Value, read: impl FnOnce(&mut ClaimReader<'_>)) -> Vec<String> {
        let claims = claims.as_object().unwrap().clone();
        let mut reader = ClaimReader::new(&claims, NOW);
        read(&mut reader);
        reader
            .into_invalid()
            .into_iter()
            .map(|path| {
                let keys: Vec<String> = serde_json::from_value(json!(path)).unwrap();
                keys.join(".")
            })
            .collect()
    }

    #[test]
    fn the_test_clock_reads_2026_01_01() {
        // Dates themselves are tested where they are parsed, in idv_proto::calendar.
        assert_eq!(days_from_date("2026-01-01"), Some(NOW.div_euclid(DAY)));
    }

    #[test]
    fn a_birthdate_is_a_real_past_date_of_a_living_person() {
        for good in ["1990-12-10", "2026-01-01", "1900-01-01"] {
            assert!(
                invalid(json!({ "birthdate": good }), |r| {
                    r.birthdate(&["birthdate"]);
                })
                .is_empty(),
                "{good}"
            );
        }
        for bad in [
            json!("1990-13-45"),
            json!(19_901_210),
            json!("2026-01-02"),
            json!("2027-01-01"),
            json!("1850-01-01"),
            json!(null),
        ] {
            assert_eq!(
                invalid(json!({ "birthdate": bad }), |r| {
                    r.birthdate(&["birthdate"]);
                }),
                ["birthdate"],
                "{bad}"
            );
        }
        assert_eq!(
            invalid(json!({}), |r| {
                r.birthdate(&["birthdate"]);
            }),
            ["birthdate"]
        );
    }

    #[test]
    fn names_countries_codes_and_levels_are_checked_for_type_and_format() {
        let claims = json!({
            "given_name": "Ada\u{0007}",
            "family_name": " ",
            "nationalities": ["GB", "GB"],
            "document": { "type": "Passport", "issuing_country": "gbr" },
            "verification": { "assurance_level": "extreme", "gpg45_profile": "M1B" },
        });
        let paths = invalid(claims, |r| {
            r.name(&["given_name"]);
            r.name(&["family_name"]);
            r.countries(&["nationalities"]);
            r.code(&["document", "type"]);
            r.country(&["document", "issuing_country"]);
            r.level(&["verification", "assurance_level"]);
        });
        assert_eq!(
            paths,
            [
                "given_name",
                "family_name",
                "nationalities",
                "document.type",
                "document.issuing_country",
                "verification.assurance_level"
            ]
        );
    }

    #[test]
    fn a_gpg45_profile_must_belong_to_the_stated_level() {
        let read = |profile: Value, level| {
            invalid(json!({ "p": profile }), |r| r.gpg45_profile(&["p"], level))
        };
        assert!(read(json!("M1B"), Some(LevelOfConfidence::Medium)).is_empty());
        assert!(read(json!("H2A"), None).is_empty());
        assert_eq!(read(json!("L1A"), Some(LevelOfConfidence::Medium)), ["p"]);
        assert_eq!(read(json!("X1A"), None), ["p"]);
        assert_eq!(read(json!("M1"), None), ["p"]);
    }

    #[test]
    fn a_portrait_is_a_jpeg_data_uri() {
        let read = |portrait: &str| {
            invalid(json!({ "portrait": portrait }), |r| {
                r.portrait(&["portrait"])
            })
        };
        assert!(read("data:image/jpeg;base64,/9j/4AAQSkZJRg==").is_empty());
        assert_eq!(read("data:image/png;base64,iVBORw0KGgo="), ["portrait"]);
        assert_eq!(read("data:image/jpeg;base64,not base64!"), ["portrait"]);
        assert_eq!(read("data:image/jpeg;base64,aGVsbG8="), ["portrait"]);
        assert_eq!(read("data:image/jpeg;base64,/9j/4AAQSkZJRg="), ["portrait"]);
        assert_eq!(
            read("data:image/jpeg;base64,/9j/4A=QSkZJRg=="),
            ["portrait"]
        );
    }
}
