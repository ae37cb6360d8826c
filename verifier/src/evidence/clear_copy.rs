//! The clear copy of a check: the facts of its signed record, in words a person reads, that
//! the HTML page ([`super::html`]) and the PDF ([`super::pdf`]) both show. Everything comes
//! from the record as verified against the evidence keys, never from mutable state; the copy
//! carries the record's SHA-256, so whoever holds the evidence package can tell that the copy
//! states what the record does.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use idv_checks::evidence::CheckRecord;
use idv_checks::{ConfirmationDecision, ConfirmationMethod, OutcomeState, Template};
use idv_proto::trust::entry::SchemeCode;
use serde_json::{Map, Value};

use super::package::{KeptRecord, RetentionAdvice, record_sha256};
use super::{Evidence, EvidenceError};
use crate::dates::{long_claim_date, long_date, long_date_time};
use crate::tenants::Tenant;

/// One row of a table of facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fact {
    pub(crate) label: String,
    pub(crate) value: String,
}

fn fact(label: impl Into<String>, value: impl Into<String>) -> Fact {
    Fact {
        label: label.into(),
        value: value.into(),
    }
}

/// The JPEG portrait the record carries.
pub(crate) struct Portrait {
    /// The JPEG file.
    pub(crate) jpeg: Vec<u8>,
    /// Its alternative text.
    pub(crate) alt: String,
}

/// What a clear copy shows.
pub(crate) struct ClearCopy {
    /// e.g. "Right to work check".
    pub(crate) heading: &'static str,
    /// The template's title.
    pub(crate) title: &'static str,
    pub(crate) check_id: String,
    /// The outcome in a few words, e.g. "Compliant".
    pub(crate) outcome: &'static str,
    /// The outcome as a sentence.
    pub(crate) outcome_sentence: String,
    pub(crate) state: OutcomeState,
    /// Why not compliant, in plain English.
    pub(crate) reasons: Vec<String>,
    /// The person's details (empty when the record keeps no claims).
    pub(crate) person: Vec<Fact>,
    pub(crate) portrait: Option<Portrait>,
    /// Why a photo the record states could not be shown, if so.
    pub(crate) portrait_problem: Option<&'static str>,
    /// The check: when, by which provider, on which trust list.
    pub(crate) check: Vec<Fact>,
    /// The relying party's confirmation, when the template has the step.
    pub(crate) confirmation: Option<Vec<Fact>>,
    /// Whether the template has the confirmation step.
    pub(crate) confirmation_step: bool,
    /// What the check shows.
    pub(crate) statement: &'static str,
    pub(crate) retention: RetentionAdvice,
    /// The signed record: digest, signature time, key.
    pub(crate) record: Vec<Fact>,
}

impl Evidence {
    /// The clear copy of a tenant's check (while its personal data is kept).
    pub(crate) async fn clear_copy_facts(
        &self,
        tenant: &Tenant,
        check_id: &str,
    ) -> Result<ClearCopy, EvidenceError> {
        let kept = self.kept_record(tenant, check_id).await?;
        let template = self.template_of_view(&kept.view)?;
        Ok(clear_copy_of(&kept, template))
    }
}

fn clear_copy_of(kept: &KeptRecord, template: &Template) -> ClearCopy {
    let record = &kept.record;
    let scheme = template.scheme();
    let claims = record.claims.clone().unwrap_or_default();
    let (portrait, portrait_problem) = portrait(&claims);
    let name = full_name(&claims);
    let outcome = match record.state {
        OutcomeState::Compliant => "Compliant",
        OutcomeState::AwaitingConfirmation => "Awaiting the photo match",
        OutcomeState::NotEligible => "Not eligible for this route",
        OutcomeState::Rejected => "Rejected",
    };
    ClearCopy {
        heading: heading(scheme),
        title: template.title(),
        check_id: record.sub.clone(),
        outcome,
        outcome_sentence: outcome_sentence(record, scheme, name.as_deref()),
        state: record.state,
        reasons: record
            .reasons
            .iter()
            .map(|reason| reason.message.clone())
            .collect(),
        person: person_facts(&claims),
        portrait: portrait.map(|jpeg| Portrait {
            jpeg,
            alt: match &name {
                Some(name) => format!("Photo of {name} held by the identity service provider"),
                None => "Photo held by the identity service provider".to_owned(),
            },
        }),
        portrait_problem,
        check: check_facts(record, template),
        confirmation: record
            .confirmation
            .as_ref()
            .map(|c| confirmation_facts(c, record.checked_at, scheme)),
        confirmation_step: template.confirmation_required(),
        statement: statement(scheme),
        retention: RetentionAdvice::for_template(template),
        record: vec![
            fact("SHA-256 of the signed record", record_sha256(&kept.jwt)),
            fact("Signed", long_date_time(record.iat)),
            fact("Signed by", kept.issuer.clone()),
            fact("Signing key (kid)", kept.key.kid.clone()),
            fact(
                "Key valid",
                match kept.key.not_after {
                    Some(end) => format!(
                        "from {} to {}",
                        long_date_time(kept.key.not_before),
                        long_date_time(end)
                    ),
                    None => format!("from {} (current key)", long_date_time(kept.key.not_before)),
                },
            ),
        ],
    }
}

const fn heading(scheme: SchemeCode) -> &'static str {
    match scheme {
        SchemeCode::Rtw => "Right to work check",
        SchemeCode::Rtr => "Right to rent check",
        SchemeCode::Age => "Age check",
        SchemeCode::Dbs => "Identity check",
    }
}

const fn statement(scheme: SchemeCode) -> &'static str {
    match scheme {
        SchemeCode::Rtw => {
            "This is the output of a right to work check made with identity document validation \
             technology (IDVT) through an identity service provider certified for right to work \
             checks. It shows the identity the provider verified, the document it relied on (a \
             valid British passport, or a valid Irish passport or passport card, of a citizen \
             of the country that issued it), the provider's certification on the trust list at \
             the time, and the employer's confirmation that the person is the one in the photo. \
             Made before employment starts and with that confirmation, the check gives the \
             employer a statutory excuse (Home Office, employer's guide to right to work \
             checks). It does not cover anyone else, or any other document."
        }
        SchemeCode::Rtr => {
            "This is the output of a right to rent check (England) made with identity document \
             validation technology (IDVT) through an identity service provider certified for \
             right to rent checks. It shows the identity the provider verified, the document it \
             relied on (a valid British passport, or a valid Irish passport or passport card, of \
             a citizen of the country that issued it), the provider's certification on the \
             trust list at the time, and the landlord's or agent's confirmation that the person \
             is the one in the photo. Made before the tenancy starts and with that \
             confirmation, the check gives a statutory excuse (Home Office, landlord's guide to \
             right to rent checks)."
        }
        SchemeCode::Age => {
            "This shows the answer to an age question given by a credential from a certified \
             provider, and the level of confidence of the identity behind it. It holds no name \
             and no date of birth."
        }
        SchemeCode::Dbs => {
            "This shows the outcome of an identity check made through a certified identity \
             service provider."
        }
    }
}

fn outcome_sentence(record: &CheckRecord, scheme: SchemeCode, name: Option<&str>) -> String {
    let who = name.unwrap_or("The person");
    let date = long_date(record.checked_at);
    match (record.state, scheme) {
        (OutcomeState::Compliant, SchemeCode::Rtw | SchemeCode::Rtr) => {
            let right = if scheme == SchemeCode::Rtw {
                "the right to work in the UK"
            } else {
                "the right to rent in England"
            };
            match &record.confirmation {
                Some(c) => format!(
                    "{who} has {right} as a British or Irish citizen: the check was made on \
                     {date}, and {checker} confirmed {how} on {confirmed} that the person is \
                     the one in the photo.",
                    checker = c.checker_name,
                    how = method_words(c.method),
                    confirmed = long_date(c.confirmed_at),
                ),
                None => format!("{who} has {right} as a British or Irish citizen."),
            }
        }
        (OutcomeState::Compliant, _) => {
            format!("The check made on {date} is compliant.")
        }
        (OutcomeState::AwaitingConfirmation, _) => format!(
            "The check made on {date} verified, but it is not yet a statutory excuse: compare \
             the photo and the date of birth with the person, in person or on a live video \
             call, and record the result."
        ),
        (OutcomeState::NotEligible, _) => format!(
            "The check made on {date} verified, but this route does not accept it: use another \
             way to check."
        ),
        (OutcomeState::Rejected, _) => {
            format!("The check made on {date} cannot be relied on.")
        }
    }
}

const fn method_words(method: ConfirmationMethod) -> &'static str {
    match method {
        ConfirmationMethod::InPerson => "in person",
        ConfirmationMethod::VideoCall => "on a live video call",
    }
}

fn text(claims: &Map<String, Value>, path: &[&str]) -> Option<String> {
    let mut value = claims.get(*path.first()?)?;
    for key in &path[1..] {
        value = value.get(key)?;
    }
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => Some(
            items
                .iter()
                .map(|item| match item {
                    Value::String(s) => country(s),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn full_name(claims: &Map<String, Value>) -> Option<String> {
    let parts: Vec<String> = [["given_name"], ["family_name"]]
        .iter()
        .filter_map(|path| text(claims, path))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn country(code: &str) -> String {
    match code {
        "GB" => "United Kingdom (GB)".to_owned(),
        "IE" => "Ireland (IE)".to_owned(),
        other => other.to_owned(),
    }
}

fn document_type(kind: &str) -> String {
    match kind {
        "passport" => "Passport".to_owned(),
        "irish_passport_card" => "Irish passport card".to_owned(),
        other => other.replace('_', " "),
    }
}

/// The claims a person reads, labelled, in a fixed order; claims not named here follow
/// under their own names (portrait aside), so nothing the record states is left out.
fn person_facts(claims: &Map<String, Value>) -> Vec<Fact> {
    let mut facts = Vec::new();
    let mut add = |label: &str, value: Option<String>| {
        if let Some(value) = value {
            facts.push(fact(label, value));
        }
    };
    add("Given names", text(claims, &["given_name"]));
    add("Family name", text(claims, &["family_name"]));
    add(
        "Date of birth",
        text(claims, &["birthdate"]).map(|d| long_claim_date(&d)),
    );
    add("Nationality", text(claims, &["nationalities"]));
    add(
        "Document",
        text(claims, &["document", "type"]).map(|t| document_type(&t)),
    );
    add(
        "Document issued by",
        text(claims, &["document", "issuing_country"]).map(|c| country(&c)),
    );
    add(
        "Document valid until",
        text(claims, &["document", "date_of_expiry"]).map(|d| long_claim_date(&d)),
    );
    add(
        "Identity verified to (GPG 45)",
        text(claims, &["verification", "assurance_level"]).map(|level| {
            match text(claims, &["verification", "gpg45_profile"]) {
                Some(profile) => format!("{level} confidence, profile {profile}"),
                None => format!("{level} confidence"),
            }
        }),
    );
    const SHOWN: [&str; 7] = [
        "given_name",
        "family_name",
        "birthdate",
        "nationalities",
        "document",
        "verification",
        "portrait",
    ];
    for (name, value) in claims {
        if SHOWN.contains(&name.as_str()) {
            continue;
        }
        let shown = match value {
            Value::String(s) => s.clone(),
            Value::Bool(true) => "yes".to_owned(),
            Value::Bool(false) => "no".to_owned(),
            other => other.to_string(),
        };
        facts.push(fact(name.replace('_', " "), shown));
    }
    facts
}

/// The portrait's JPEG bytes, or why there is none to show.
fn portrait(claims: &Map<String, Value>) -> (Option<Vec<u8>>, Option<&'static str>) {
    let Some(value) = claims.get("portrait") else {
        return (None, None);
    };
    let jpeg = value
        .as_str()
        .and_then(|uri| uri.strip_prefix("data:image/jpeg;base64,"))
        .and_then(|data| STANDARD.decode(data).ok())
        .filter(|bytes| bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
    match jpeg {
        Some(jpeg) => (Some(jpeg), None),
        None => (None, Some("The record's photo is not a JPEG image.")),
    }
}

fn check_facts(record: &CheckRecord, template: &Template) -> Vec<Fact> {
    let mut facts = vec![
        fact("Check reference", record.sub.clone()),
        fact(
            "Check",
            format!(
                "{}; template {}, version {}",
                template.title(),
                record.template.id,
                record.template.version
            ),
        ),
        fact("Date of the check", long_date_time(record.checked_at)),
    ];
    if let Some(provider) = &record.provider {
        let organisation = match &provider.organisation.company_number {
            Some(number) => format!("{} (company number {number})", provider.organisation.name),
            None => provider.organisation.name.clone(),
        };
        facts.push(fact("Identity service provider", organisation));
        facts.push(fact("Certified service", provider.service.clone()));
        facts.push(fact("Register entry", provider.register_id.clone()));
    }
    if let Some(level) = record.level_of_confidence {
        facts.push(fact(
            "Level of confidence relied on",
            format!("{} (GPG 45)", level.as_str()),
        ));
    }
    if let Some(list) = &record.trust_list {
        facts.push(fact(
            "Trust list",
            format!("{}, sequence {}", list.list_id, list.sequence),
        ));
    }
    if let Some(at) = record.status_checked_at {
        facts.push(fact("Credential status checked", long_date_time(at)));
    }
    facts.push(fact("Relying party account", record.tenant.clone()));
    facts
}

fn confirmation_facts(
    confirmation: &idv_checks::Confirmation,
    checked_at: i64,
    scheme: SchemeCode,
) -> Vec<Fact> {
    let mut facts = vec![
        fact(
            "Decision",
            match confirmation.decision {
                ConfirmationDecision::Confirmed => "Confirmed: the person is the one in the photo",
                ConfirmationDecision::NotMatched => "Not matched: the person is not the holder",
            },
        ),
        fact(
            "How",
            match confirmation.method {
                ConfirmationMethod::InPerson => "In person",
                ConfirmationMethod::VideoCall => "On a live video call",
            },
        ),
        fact("Checked by", confirmation.checker_name.clone()),
        fact("Recorded", long_date_time(confirmation.confirmed_at)),
    ];
    if let Some(start) = &confirmation.start_date {
        let label = if scheme == SchemeCode::Rtr {
            "Tenancy starts"
        } else {
            "Employment starts"
        };
        facts.push(fact(label, long_claim_date(start)));
        if let Some(before) = confirmation.checked_before_start(checked_at) {
            facts.push(fact(
                "Check made before the start",
                if before {
                    "Yes"
                } else {
                    "No: the check was made after the start date"
                },
            ));
        }
    }
    facts
}
