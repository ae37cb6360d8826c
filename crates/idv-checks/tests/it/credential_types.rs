//! The scheme's credential types in phase one: when the trust list names a type's Type
//! Metadata and JSON Schema, a credential of that type must conform to the published
//! documents (those the trust framework serves), and cannot be verified without them.

use std::sync::Arc;

use idv_checks::ReasonCode;
use idv_checks::verify::{Expected, verify_presentation};
use idv_jose::random::DeterministicRandom;
use idv_profiles::type_metadata::{PUBLISHED, references};
use idv_proto::claims_path::ClaimsPath;
use idv_sdjwt::holder::HeldSdJwt;
use idv_sdjwt::type_metadata::{CredentialType, CredentialTypes};
use idv_sdjwt::vc;
use idv_trust::list::VerifiedTrustList;
use serde_json::{Value, json};

use crate::helpers::*;

/// Where the trust framework serves the scheme's documents.
const DOCUMENTS_URL: &str = "https://trust.sim.ofdia.example/type-metadata";

/// The baseline trust list, naming the scheme's credential types.
fn pinned_list(f: &Fixture) -> VerifiedTrustList {
    let mut claims = f.list_claims();
    claims.type_metadata = references(DOCUMENTS_URL);
    f.trust_list_from(&claims)
}

/// The types as a verifier loads them from the published documents.
fn published_types() -> CredentialTypes {
    let mut types = CredentialTypes::new();
    for published in PUBLISHED {
        let loaded = CredentialType::load(
            published.vct,
            &published.reference(DOCUMENTS_URL),
            published.metadata.as_bytes(),
            Some(published.schema.as_bytes()),
        )
        .unwrap();
        types.insert(Arc::new(loaded));
    }
    types
}

fn reason(
    f: &Fixture,
    template: &str,
    held: &HeldSdJwt,
    types: Option<&CredentialTypes>,
) -> Option<ReasonCode> {
    failure(f, template, held, types).map(|(code, _)| code)
}

/// The reason code and the cause logged with it.
fn failure(
    f: &Fixture,
    template: &str,
    held: &HeldSdJwt,
    types: Option<&CredentialTypes>,
) -> Option<(ReasonCode, String)> {
    let template = f.template(template);
    let mut expected = Expected::new(CLIENT_ID, NONCE, NOW);
    expected.credential_types = types;
    verify_presentation(
        template,
        &expected,
        &f.vp_token(template, held),
        &pinned_list(f),
    )
    .err()
    .map(|failure| {
        let cause = std::error::Error::source(&failure).map(ToString::to_string);
        (failure.code(), cause.unwrap_or_default())
    })
}

/// Asserts `credential_malformed` because of the type metadata, for `why`.
fn malformed(failure: Option<(ReasonCode, String)>, why: &str) {
    let (code, cause) = failure.unwrap();
    assert_eq!(code, ReasonCode::CredentialMalformed);
    assert!(
        cause.starts_with("type metadata: ") && cause.contains(why),
        "{cause}"
    );
}

/// An age credential another certified issuer could sign: `claims` over the envelope,
/// concealing `conceal`.
fn age_credential(f: &Fixture, claims: Value, conceal: &[&str]) -> HeldSdJwt {
    let mut payload = json!({
        "iss": ISS,
        "vct": idv_checks::templates::AGE_VCT,
        "iat": NOW - NOW.rem_euclid(DAY),
        "exp": NOW + 90 * DAY,
        "cnf": vc::cnf(f.holder.public_key()),
        "status": { "status_list": { "idx": IDX, "uri": STATUS_URI } },
    });
    for (name, value) in claims.as_object().unwrap() {
        payload[name] = value.clone();
    }
    let conceal: Vec<ClaimsPath> = conceal
        .iter()
        .map(|name| ClaimsPath::from_keys([*name]).unwrap())
        .collect();
    let issued = vc::issue(
        &f.issuer,
        &DeterministicRandom::new(11),
        payload.as_object().unwrap().clone(),
        &conceal,
    )
    .unwrap();
    HeldSdJwt::receive(&issued, f.issuer.public_key(), vc::accepted_typ(false), NOW).unwrap()
}

const AGES: [&str; 4] = ["age_over_16", "age_over_18", "age_over_21", "age_over_25"];

fn ages(verification: Value) -> Value {
    json!({
        "age_over_16": true, "age_over_18": true, "age_over_21": true, "age_over_25": false,
        "verification": verification,
    })
}

#[test]
fn the_issuers_credentials_conform_to_the_published_types() {
    let f = Fixture::new();
    let types = published_types();
    assert_eq!(
        reason(&f, "age_over_18", &f.age("2000-05-05"), Some(&types)),
        None
    );
    assert_eq!(
        reason(&f, "right_to_work", &f.identity(&person()), Some(&types)),
        None
    );
}

#[test]
fn a_conforming_credential_of_another_issuer_is_accepted() {
    let f = Fixture::new();
    let held = age_credential(
        &f,
        ages(json!({"trust_framework": "uk_dvs", "assurance_level": "medium"})),
        &AGES,
    );
    assert_eq!(
        reason(&f, "age_over_18", &held, Some(&published_types())),
        None
    );
}

#[test]
fn a_threshold_that_is_not_selectively_disclosable_is_refused() {
    let f = Fixture::new();
    let held = age_credential(
        &f,
        ages(json!({"trust_framework": "uk_dvs", "assurance_level": "medium"})),
        &["age_over_16", "age_over_21", "age_over_25"],
    );
    malformed(
        failure(&f, "age_over_18", &held, Some(&published_types())),
        r#"the claim at ["age_over_18"] must be selectively disclosable"#,
    );
}

#[test]
fn a_level_of_confidence_that_could_be_withheld_or_is_unknown_is_refused() {
    let f = Fixture::new();
    let verification = json!({"trust_framework": "uk_dvs", "assurance_level": "medium"});
    let concealed = age_credential(
        &f,
        ages(verification),
        &[&AGES[..], &["verification"]].concat(),
    );
    let unknown = age_credential(
        &f,
        ages(json!({"trust_framework": "uk_dvs", "assurance_level": "extreme"})),
        &AGES,
    );
    let extra = age_credential(
        &f,
        json!({"age_over_18": true, "shoe_size": 9,
               "verification": {"trust_framework": "uk_dvs", "assurance_level": "medium"}}),
        &["age_over_18"],
    );
    for (held, why) in [
        (
            concealed,
            r#"the claim at ["verification"] must not be selectively disclosable"#,
        ),
        (
            extra,
            r#""/shoe_size" fails the schema's additionalProperties"#,
        ),
    ] {
        malformed(
            failure(&f, "age_over_18", &held, Some(&published_types())),
            why,
        );
    }
    // A value outside the schema's enumeration is an invalid claim, named.
    let template = f.template("age_over_18");
    let types = published_types();
    let mut expected = Expected::new(CLIENT_ID, NONCE, NOW);
    expected.credential_types = Some(&types);
    let outcome = verify_presentation(
        template,
        &expected,
        &f.vp_token(template, &unknown),
        &pinned_list(&f),
    )
    .unwrap_err()
    .into_outcome();
    assert_eq!(
        outcome.codes().collect::<Vec<_>>(),
        [ReasonCode::ClaimInvalid]
    );
    assert_eq!(
        serde_json::to_value(&outcome.reasons[0].claim).unwrap(),
        json!(["verification", "assurance_level"])
    );
}

#[test]
fn nationalities_that_are_not_a_list_of_codes_are_refused() {
    let f = Fixture::new();
    // Concealed as the type requires, but a string.
    let person = person();
    let payload = json!({
        "iss": ISS,
        "vct": idv_checks::templates::IDENTITY_VCT,
        "iat": NOW - NOW.rem_euclid(DAY),
        "exp": NOW + 365 * DAY,
        "cnf": vc::cnf(f.holder.public_key()),
        "status": { "status_list": { "idx": IDX, "uri": STATUS_URI } },
        "given_name": person.given_name,
        "family_name": person.family_name,
        "birthdate": person.birthdate,
        "nationalities": "GB",
        "portrait": person.portrait,
        "document": person.document,
        "verification": {"trust_framework": "uk_dvs", "assurance_level": "medium",
                         "gpg45_profile": "M1B", "time": NOW - DAY},
    });
    let conceal: Vec<ClaimsPath> = [
        json!(["given_name"]),
        json!(["family_name"]),
        json!(["birthdate"]),
        json!(["portrait"]),
        json!(["nationalities"]),
        json!(["document"]),
        json!(["document", "type"]),
        json!(["document", "issuing_country"]),
        json!(["document", "date_of_expiry"]),
        json!(["verification"]),
        json!(["verification", "gpg45_profile"]),
        json!(["verification", "time"]),
    ]
    .into_iter()
    .map(path)
    .collect();
    let issued = vc::issue(
        &f.issuer,
        &DeterministicRandom::new(5),
        payload.as_object().unwrap().clone(),
        &conceal,
    )
    .unwrap();
    let held =
        HeldSdJwt::receive(&issued, f.issuer.public_key(), vc::accepted_typ(false), NOW).unwrap();
    malformed(
        failure(&f, "right_to_work", &held, Some(&published_types())),
        r#"claim metadata path ["nationalities",null] does not apply"#,
    );
}

#[test]
fn a_listed_type_cannot_be_verified_without_its_pinned_documents() {
    let f = Fixture::new();
    let held = f.age("2000-05-05");
    assert_eq!(
        reason(&f, "age_over_18", &held, None),
        Some(ReasonCode::TrustListUnavailable)
    );
    // Types loaded from other documents than the list pins (an older version, say).
    let mut stale = CredentialTypes::new();
    let age = PUBLISHED
        .iter()
        .find(|p| p.vct == idv_checks::templates::AGE_VCT)
        .unwrap();
    let mut reference = age.reference(DOCUMENTS_URL);
    let mut older = age.metadata.to_owned();
    older.push('\n');
    reference.uri_integrity = idv_jose::integrity::sha256_integrity(older.as_bytes());
    stale.insert(Arc::new(
        CredentialType::load(
            age.vct,
            &reference,
            older.as_bytes(),
            Some(age.schema.as_bytes()),
        )
        .unwrap(),
    ));
    assert_eq!(
        reason(&f, "age_over_18", &held, Some(&stale)),
        Some(ReasonCode::TrustListUnavailable)
    );
    // A list that names no types asks for no processing.
    let template = f.template("age_over_18");
    assert!(
        verify_presentation(
            template,
            &Expected::new(CLIENT_ID, NONCE, NOW),
            &f.vp_token(template, &held),
            &f.trust_list(),
        )
        .is_ok()
    );
}
