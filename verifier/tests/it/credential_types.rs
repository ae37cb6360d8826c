//! The scheme's published credential types, over real HTTP: the verifier fetches the Type
//! Metadata and JSON Schema the trust list pins from the trust framework, and validates every
//! credential of a listed type against them. Credentials here come from independent issuers,
//! built with `idv_sdjwt` directly and signed with keys registered on the trust list.

use idv_jose::{Clock, SigningKey, SystemRandom};
use idv_proto::claims_path::ClaimsPath;
use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{AGE_VCT, DAY, Federation, IDENTITY_VCT, IssuedCredential, reason_codes};
use crate::wallet::run_check;

test_on_both_databases!(
    a_second_issuers_credentials_following_the_published_types_are_accepted,
    credentials_breaking_the_published_types_are_rejected_as_malformed,
    a_registered_issuers_impossible_birthdate_is_an_invalid_claim_named,
);

/// A credential from `provider` (a registered key, not the issuer crate): `claims` over an
/// envelope of `vct`, concealing `conceal`.
fn issue(
    fed: &Federation,
    provider: &str,
    vct: &str,
    claims: Value,
    conceal: &[Value],
) -> IssuedCredential {
    let provider = &fed.providers[provider];
    let holder = SigningKey::generate().unwrap();
    let (status_idx, status) = provider.allocate();
    let now = fed.clock.now();
    let mut payload = json!({
        "iss": provider.iss,
        "vct": vct,
        "iat": now - now.rem_euclid(DAY),
        "exp": now + 30 * DAY,
        "cnf": idv_sdjwt::vc::cnf(holder.public_key()),
        "status": status,
    });
    for (name, value) in claims.as_object().unwrap() {
        payload[name] = value.clone();
    }
    let conceal: Vec<ClaimsPath> = conceal
        .iter()
        .map(|path| serde_json::from_value(path.clone()).unwrap())
        .collect();
    let sd_jwt = idv_sdjwt::vc::issue(
        &provider.key,
        &SystemRandom,
        payload.as_object().unwrap().clone(),
        &conceal,
    )
    .unwrap();
    IssuedCredential {
        sd_jwt,
        holder,
        issuer_key: provider.key.public_key().clone(),
        status_idx,
    }
}

fn age_claims() -> Value {
    json!({
        "age_over_16": true, "age_over_18": true, "age_over_21": true, "age_over_25": false,
        "verification": {"trust_framework": "uk_dvs", "assurance_level": "medium"}
    })
}

fn age_conceal() -> Vec<Value> {
    ["age_over_16", "age_over_18", "age_over_21", "age_over_25"]
        .into_iter()
        .map(|claim| json!([claim]))
        .collect()
}

fn identity_claims() -> Value {
    json!({
        "given_name": "Grace",
        "family_name": "Hopper",
        "birthdate": "1991-03-09",
        "nationalities": ["IE", "GB"],
        "portrait": "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBD",
        "document": {"type": "irish_passport_card", "issuing_country": "IE",
                     "date_of_expiry": "2030-06-30"},
        "verification": {"trust_framework": "uk_dvs", "assurance_level": "high",
                         "gpg45_profile": "H1A", "time": 1_779_000_000},
        "address": {"street_address": "1 Quay Street", "locality": "Galway", "country": "IE"}
    })
}

fn identity_conceal() -> Vec<Value> {
    vec![
        json!(["given_name"]),
        json!(["family_name"]),
        json!(["birthdate"]),
        json!(["nationalities"]),
        json!(["nationalities", null]),
        json!(["portrait"]),
        json!(["document"]),
        json!(["document", "type"]),
        json!(["document", "issuing_country"]),
        json!(["document", "date_of_expiry"]),
        json!(["verification"]),
        json!(["verification", "gpg45_profile"]),
        json!(["verification", "time"]),
        json!(["address"]),
        json!(["address", "street_address"]),
        json!(["address", "locality"]),
        json!(["address", "country"]),
    ]
}

/// Runs `template` with `credential`; the finished check.
async fn check(fed: &Federation, template: &str, credential: &IssuedCredential) -> Value {
    let (id, response) = run_check(fed, template, credential).await;
    assert_eq!(response.status(), StatusCode::OK);
    fed.check(&id).await
}

async fn a_second_issuers_credentials_following_the_published_types_are_accepted(db: TestDb) {
    let fed = Federation::start(&db).await;
    let age = issue(&fed, "ageonly", AGE_VCT, age_claims(), &age_conceal());
    let result = check(&fed, "age_over_18", &age).await;
    assert_eq!(result["outcome"], "compliant", "{result}");
    assert_eq!(
        result["claims"],
        json!({"age_over_18": true, "verification": {"assurance_level": "medium"}})
    );

    let identity = issue(
        &fed,
        "good",
        IDENTITY_VCT,
        identity_claims(),
        &identity_conceal(),
    );
    let result = check(&fed, "right_to_work", &identity).await;
    assert_eq!(result["outcome"], "awaiting_confirmation", "{result}");
    assert_eq!(result["claims"]["nationalities"], json!(["IE", "GB"]));
    fed.stop().await;
}

async fn credentials_breaking_the_published_types_are_rejected_as_malformed(db: TestDb) {
    let fed = Federation::start(&db).await;
    let malformed = |result: &Value| {
        assert_eq!(result["outcome"], "rejected", "{result}");
        assert_eq!(reason_codes(result), ["credential_malformed"], "{result}");
        assert!(result.get("claims").is_none(), "{result}");
    };

    // `age_over_18` not selectively disclosable: it would travel with every presentation.
    let plain: Vec<Value> = age_conceal()
        .into_iter()
        .filter(|path| *path != json!(["age_over_18"]))
        .collect();
    let age = issue(&fed, "ageonly", AGE_VCT, age_claims(), &plain);
    malformed(&check(&fed, "age_over_18", &age).await);

    // The level of confidence selectively disclosable: a holder could withhold it.
    let mut concealed = age_conceal();
    concealed.push(json!(["verification"]));
    let age = issue(&fed, "ageonly", AGE_VCT, age_claims(), &concealed);
    malformed(&check(&fed, "age_over_18", &age).await);

    // `nationalities` as a string, concealed as the type asks.
    let mut claims = identity_claims();
    claims["nationalities"] = json!("GB");
    let conceal: Vec<Value> = identity_conceal()
        .into_iter()
        .filter(|path| *path != json!(["nationalities", null]))
        .collect();
    let identity = issue(&fed, "good", IDENTITY_VCT, claims, &conceal);
    malformed(&check(&fed, "right_to_work", &identity).await);

    // A claim the type does not define, in plain text (one selectively disclosed and not
    // presented is invisible to the verifier, as it should be).
    let mut claims = identity_claims();
    claims["eye_colour"] = json!("brown");
    let identity = issue(&fed, "good", IDENTITY_VCT, claims, &identity_conceal());
    malformed(&check(&fed, "right_to_work", &identity).await);
    fed.stop().await;
}

async fn a_registered_issuers_impossible_birthdate_is_an_invalid_claim_named(db: TestDb) {
    let fed = Federation::start(&db).await;
    // Not a date (the published schema refuses it), a number, and a date next year (the
    // template's rule refuses it): each rejects the check naming `birthdate`, not its value.
    let next_year = idv_jose::Clock::now(fed.clock.as_ref()) / 86_400 / 365 + 1972;
    for bad in [
        json!("1990-13-45"),
        json!(19_901_210),
        json!(format!("{next_year}-01-01")),
    ] {
        let mut claims = identity_claims();
        claims["birthdate"] = bad.clone();
        let identity = issue(&fed, "good", IDENTITY_VCT, claims, &identity_conceal());
        let result = check(&fed, "right_to_work", &identity).await;
        assert_eq!(result["outcome"], "rejected", "{bad}: {result}");
        assert_eq!(reason_codes(&result), ["claim_invalid"], "{bad}: {result}");
        assert_eq!(result["reasons"][0]["claim"], json!(["birthdate"]), "{bad}");
        assert!(result.get("claims").is_none(), "{result}");
        let record = idv_checks::evidence::verify_check_record(
            result["evidence"].as_str().unwrap(),
            &fed.evidence_key().await,
        )
        .unwrap();
        assert!(
            record.claims.is_none(),
            "the record shows no unvalidated value"
        );
    }
    fed.stop().await;
}
