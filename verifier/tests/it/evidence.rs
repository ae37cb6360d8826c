//! What the employer keeps: the evidence package and the clear copy of a confirmed
//! right-to-work check, evidence key rotation that leaves earlier records verifiable, the
//! offline `verifier evidence verify`, and evidence that goes when the check's personal data
//! is purged.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use idv_checks::evidence::{EvidenceError, EvidenceKeys, verify_check_record_with_keys};
use idv_jose::Clock as _;
use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};
use verifier::cli::{CliError, Command, EvidenceCommand, KeysCommand};
use verifier::evidence::offline::EvidenceCheckError;

use crate::helpers::{DAY, Federation, british_citizen, error_body};
use crate::wallet::run_check;

test_on_both_databases!(
    a_confirmed_right_to_work_check_has_an_evidence_package_and_a_clear_copy,
    records_signed_before_a_key_rotation_still_verify_after_it,
    evidence_is_given_only_while_the_checks_personal_data_is_kept,
);

/// A small but complete baseline JPEG (240 × 300), as a provider's portrait.
const PORTRAIT: &[u8] = include_bytes!("../../../testdata/portrait/specimen.jpg");

fn hex_sha256(text: &str) -> String {
    idv_jose::digest::sha256(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Runs `command`; what it printed, as JSON where it is.
async fn run(fed: &Federation, command: Command) -> Result<Value, CliError> {
    let text = fed.run_cli(command).await?;
    Ok(serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn verify(fed: &Federation, file: &Path, keys: Option<&Path>) -> Result<Value, CliError> {
    run(
        fed,
        Command::Evidence(EvidenceCommand::Verify {
            file: file.to_owned(),
            keys: keys.map(Path::to_owned),
            keys_url: None,
        }),
    )
    .await
}

/// A right-to-work check of a person with a real JPEG portrait, confirmed by `checker`.
async fn confirmed_right_to_work(fed: &Federation, checker: &str) -> String {
    let mut person = british_citizen();
    person.portrait = Some(format!(
        "data:image/jpeg;base64,{}",
        STANDARD.encode(PORTRAIT)
    ));
    let credential = fed.issue_identity("good", &person);
    let (id, response) = run_check(fed, "right_to_work", &credential).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = fed
        .confirm(
            &id,
            &json!({"decision": "confirmed", "method": "video_call", "checker_name": checker,
                    "start_date": "2031-01-05"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    id
}

async fn a_confirmed_right_to_work_check_has_an_evidence_package_and_a_clear_copy(db: TestDb) {
    let fed = Federation::start(&db).await;
    // Markup in a name is text, never markup.
    let id = confirmed_right_to_work(&fed, "Grace <i>Hopper</i> & Co").await;
    let check = fed.check(&id).await;

    let response = fed.get(&format!("/v1/checks/{id}/evidence")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let package: Value = response.json().await.unwrap();
    assert_eq!(package["format"], "dvs-evidence-package");
    assert_eq!(package["check_id"], id.as_str());
    assert_eq!(
        package["template"],
        json!({"id": "right_to_work", "version": 2})
    );
    let record = package["record"].as_str().unwrap();
    assert_eq!(record, check["evidence"].as_str().unwrap());
    assert_eq!(package["record_sha256"], hex_sha256(record));
    assert_eq!(
        package["retention"],
        json!({
            "required": true, "after": "employment_ends", "years_after": 2,
            "advice": package["retention"]["advice"],
            "source": "Home Office, employer's guide to right to work checks"
        })
    );
    assert_eq!(
        package["keys_url"],
        fed.url("/.well-known/evidence-keys.json")
    );
    // The package verifies on its own, with the key it carries.
    let keys: EvidenceKeys = serde_json::from_value(package["keys"].clone()).unwrap();
    assert_eq!(keys.keys.len(), 1);
    let (verified, key) = verify_check_record_with_keys(record, &keys).unwrap();
    assert_eq!(key.not_after, None);
    assert_eq!(verified.checked_at, package["checked_at"].as_i64().unwrap());
    assert_eq!(
        verified.confirmation.unwrap().checker_name,
        "Grace <i>Hopper</i> & Co"
    );

    let response = fed.get(&format!("/v1/checks/{id}/clear-copy")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-store");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.starts_with("default-src 'none'; img-src data:;"),
        "{csp}"
    );
    let html = response.text().await.unwrap();
    for expected in [
        "<html lang=\"en\">",
        "<h1>Right to work check: clear copy</h1>",
        "<th scope=\"row\">Given names</th><td>Ada</td>",
        "<th scope=\"row\">Family name</th><td>Lovelace</td>",
        "10 December 1990",
        "Compliant",
        "Ada Lovelace has the right to work in the UK",
        "<td>Grace &lt;i&gt;Hopper&lt;/i&gt; &amp; Co</td>",
        "On a live video call",
        "<th scope=\"row\">Employment starts</th><td>5 January 2031</td>",
        "<th scope=\"row\">Check made before the start</th><td>Yes</td>",
        "good IDSP Ltd (company number 01234567)",
        "good Reusable ID",
        "two years after the employment ends",
        "alt=\"Photo of Ada Lovelace held by the identity service provider\"",
        package["record_sha256"].as_str().unwrap(),
        &format!("data:image/jpeg;base64,{}", STANDARD.encode(PORTRAIT)),
    ] {
        assert!(html.contains(expected), "{expected} missing");
    }
    assert!(!html.contains("<i>Hopper"), "unescaped markup");
    assert!(!html.contains("<script"), "no script");
    let register_id = check["provider"]["register_id"].as_str().unwrap();
    assert!(html.contains(register_id));
    let sequence = format!("sequence {}", check["trust_list_sequence"]);
    assert!(html.contains(&sequence), "{sequence}");

    let response = fed.get(&format!("/v1/checks/{id}/clear-copy.pdf")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let pdf = response.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"));
    let contains = |needle: &[u8]| pdf.windows(needle.len()).any(|w| w == needle);
    assert!(contains(PORTRAIT), "the portrait, embedded as its JPEG");
    assert!(contains(b"/DCTDecode"));
    for text in [
        &b"(Lovelace)"[..],
        b"(Grace <i>Hopper</i> & Co)",
        b"(5 January 2031)",
        register_id.as_bytes(),
        package["record_sha256"].as_str().unwrap().as_bytes(),
    ] {
        assert!(contains(text), "{} missing", String::from_utf8_lossy(text));
    }

    // Another tenant's checks do not exist for it; nor does an unknown check.
    let other = fed.another_tenant("other.example.co.uk").await;
    for path in ["evidence", "clear-copy", "clear-copy.pdf"] {
        let response = fed.get_as(&other, &format!("/v1/checks/{id}/{path}")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let response = fed.get(&format!("/v1/checks/chk_unknown/{path}")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    fed.stop().await;
}

/// `record` with its payload changed by `change` and its signature kept.
fn tampered(record: &str, change: impl FnOnce(&mut Value)) -> String {
    let parts: Vec<&str> = record.split('.').collect();
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    change(&mut payload);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap());
    format!("{}.{payload}.{}", parts[0], parts[2])
}

fn record_error(result: Result<Value, CliError>) -> EvidenceError {
    match result {
        Err(CliError::Evidence(EvidenceCheckError::Record(error))) => error,
        other => panic!("expected a record error, got {other:?}"),
    }
}

async fn records_signed_before_a_key_rotation_still_verify_after_it(db: TestDb) {
    let fed = Federation::start(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let id = confirmed_right_to_work(&fed, "Grace Hopper").await;
    let package_file = dir.path().join("package.json");
    let package: Value = fed
        .get(&format!("/v1/checks/{id}/evidence"))
        .await
        .json()
        .await
        .unwrap();
    std::fs::write(&package_file, serde_json::to_vec_pretty(&package).unwrap()).unwrap();
    let record = package["record"].as_str().unwrap().to_owned();
    let record_file = dir.path().join("record.jwt");
    std::fs::write(&record_file, format!("{record}\n")).unwrap();
    let old_kid = package["keys"]["keys"][0]["kid"]
        .as_str()
        .unwrap()
        .to_owned();

    // A check still awaiting its confirmation when the key rotates.
    let credential = fed.issue_identity("good", &british_citizen());
    let (waiting, _) = run_check(&fed, "right_to_work", &credential).await;

    fed.clock.advance(DAY);
    let rotated_at = fed.clock.now();
    let rotation = run(&fed, Command::Keys(KeysCommand::RotateEvidence))
        .await
        .unwrap();
    assert_eq!(rotation["retired"]["kid"], old_kid.as_str());
    assert_eq!(rotation["retired"]["not_after"], rotated_at);
    assert_eq!(rotation["current"]["not_before"], rotated_at);
    assert!(rotation["current"].get("not_after").is_none());
    let new_kid = rotation["current"]["kid"].as_str().unwrap().to_owned();
    assert_ne!(new_kid, old_kid);

    // Both published: the new key signs, the old one is listed with its validity.
    let published = fed.public_json("/.well-known/evidence-keys.json").await;
    assert_eq!(published["issuer"], fed.url(""));
    let kids: Vec<&str> = published["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, [new_kid.as_str(), old_kid.as_str()]);
    assert_eq!(published["keys"][1]["not_after"], rotated_at);
    assert!(published["keys"][1]["jwk"].get("d").is_none());
    let jwks = fed.public_json("/.well-known/jwks.json").await;
    assert_eq!(jwks["keys"][0]["kid"], new_kid.as_str());
    let keys_file = dir.path().join("evidence-keys.json");
    std::fs::write(&keys_file, published.to_string()).unwrap();

    // The running server signs with the new key at once, and confirms a check whose first
    // record the retired key signed.
    fed.clock.advance(60);
    let confirmed: Value = fed
        .confirm(
            &waiting,
            &json!({"decision": "confirmed", "method": "in_person", "checker_name": "Ada"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(confirmed["outcome"], "compliant", "{confirmed}");
    let keys: EvidenceKeys = serde_json::from_value(published.clone()).unwrap();
    let (_, key) =
        verify_check_record_with_keys(confirmed["evidence"].as_str().unwrap(), &keys).unwrap();
    assert_eq!(key.kid, new_kid);

    // The record signed before the rotation verifies: against the saved keys, the keys
    // fetched, and the package's own key.
    let verified = verify(&fed, &package_file, Some(&keys_file)).await.unwrap();
    assert_eq!(verified["verified"], true);
    assert_eq!(verified["check_id"], id.as_str());
    assert_eq!(verified["template"]["id"], "right_to_work");
    assert_eq!(verified["outcome"], "compliant");
    assert_eq!(verified["check_date"].as_str().unwrap().len(), 20);
    assert_eq!(verified["confirmation"]["checker_name"], "Grace Hopper");
    assert_eq!(verified["confirmation"]["method"], "video_call");
    assert!(verified["provider"]["register_id"].is_string());
    assert_eq!(verified["key"]["kid"], old_kid.as_str());
    assert_eq!(verified["key"]["not_after"], rotated_at);
    assert_eq!(verified["keys_from"], "file");
    let fetched = run(
        &fed,
        Command::Evidence(EvidenceCommand::Verify {
            file: record_file.clone(),
            keys: None,
            keys_url: Some(fed.url("/.well-known/evidence-keys.json")),
        }),
    )
    .await
    .unwrap();
    assert_eq!(fetched["keys_from"], "url");
    assert_eq!(fetched["record_sha256"], package["record_sha256"]);
    let alone = verify(&fed, &package_file, None).await.unwrap();
    assert_eq!(alone["keys_from"], "package");

    // A bare record needs keys.
    assert!(matches!(
        verify(&fed, &record_file, None).await,
        Err(CliError::Evidence(EvidenceCheckError::KeysRequired))
    ));
    // A tampered record does not verify.
    let file = dir.path().join("tampered.jwt");
    std::fs::write(
        &file,
        tampered(&record, |p| {
            p["confirmation"]["checker_name"] = "Mallory".into()
        }),
    )
    .unwrap();
    assert!(matches!(
        record_error(verify(&fed, &file, Some(&keys_file)).await),
        EvidenceError::Invalid(_)
    ));
    // Nor a package whose digest does not match its record.
    let mut bad = package.clone();
    bad["record"] = tampered(&record, |p| p["compliant"] = false.into()).into();
    let file = dir.path().join("bad-package.json");
    std::fs::write(&file, bad.to_string()).unwrap();
    assert!(matches!(
        verify(&fed, &file, None).await,
        Err(CliError::Evidence(
            EvidenceCheckError::PackageDigestMismatch
        ))
    ));
    // A record whose iat falls outside its key's validity: the keys say the old key was
    // retired before the record was signed (or came into use after).
    let iat = verified["issued_at"].as_i64().unwrap();
    for (member, value) in [("not_after", iat - 1), ("not_before", iat + 1)] {
        let mut keys = published.clone();
        keys["keys"][1][member] = value.into();
        let file = dir.path().join("narrow-keys.json");
        std::fs::write(&file, keys.to_string()).unwrap();
        let error = record_error(verify(&fed, &record_file, Some(&file)).await);
        assert!(
            matches!(&error, EvidenceError::OutsideKeyValidity { kid, iat: at, .. }
                if *kid == old_kid && *at == iat),
            "{error:?}"
        );
    }
    // Keys that lack the record's key, or list another key under its kid.
    let mut keys = published.clone();
    keys["keys"].as_array_mut().unwrap().truncate(1);
    let file = dir.path().join("new-only.json");
    std::fs::write(&file, keys.to_string()).unwrap();
    assert!(matches!(
        record_error(verify(&fed, &record_file, Some(&file)).await),
        EvidenceError::UnknownKey { kid } if kid == old_kid
    ));
    let mut keys = published.clone();
    keys["keys"][1]["jwk"] = keys["keys"][0]["jwk"].clone();
    std::fs::write(&file, keys.to_string()).unwrap();
    assert!(matches!(
        record_error(verify(&fed, &record_file, Some(&file)).await),
        EvidenceError::KeyIdMismatch { .. }
    ));
    // Another verifier's keys.
    let mut keys = published.clone();
    keys["issuer"] = "https://other-verifier.example".into();
    std::fs::write(&file, keys.to_string()).unwrap();
    assert!(matches!(
        record_error(verify(&fed, &record_file, Some(&file)).await),
        EvidenceError::IssuerMismatch { .. }
    ));
    fed.stop().await;
}

async fn evidence_is_given_only_while_the_checks_personal_data_is_kept(db: TestDb) {
    let fed = Federation::start(&db).await;
    let id = confirmed_right_to_work(&fed, "Grace Hopper").await;

    // No evidence yet for a check still waiting for a wallet.
    let waiting = fed
        .create_check(&json!({"template": "right_to_work"}))
        .await;
    let waiting = waiting["id"].as_str().unwrap();
    let (error, description) = error_body(
        fed.get(&format!("/v1/checks/{waiting}/evidence")).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(error, "conflict");
    assert!(
        description.contains("waiting for a wallet"),
        "{description}"
    );

    // An age check's package asks for nothing to be kept, and its copy names no one.
    let credential = fed.issue_age("good", &british_citizen());
    let (age, _) = run_check(&fed, "age_over_18", &credential).await;
    let package: Value = fed
        .get(&format!("/v1/checks/{age}/evidence"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(package["retention"]["required"], false);
    assert!(package["retention"].get("years_after").is_none());
    let html = fed
        .get(&format!("/v1/checks/{age}/clear-copy"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("<h1>Age check: clear copy</h1>"));
    assert!(!html.contains("Lovelace") && !html.contains("1990"));

    // Retention ends: the personal data, and the evidence with it, is purged.
    let check = fed.check(&id).await;
    fed.clock.set(check["retain_until"].as_i64().unwrap());
    run(&fed, Command::Sweep).await.unwrap();
    assert!(fed.check(&id).await.get("purged_at").is_some());
    for path in ["evidence", "clear-copy", "clear-copy.pdf"] {
        let (error, description) = error_body(
            fed.get(&format!("/v1/checks/{id}/{path}")).await,
            StatusCode::CONFLICT,
        )
        .await;
        assert_eq!(error, "conflict", "{path}");
        assert!(description.contains("purged"), "{description}");
    }
    fed.stop().await;
}
