//! `present` to the project's verifier: right to work and age checks, approved and declined.

use serde_json::{Value, json};

use crate::helpers::{
    AGE, EMPLOYER, EMPLOYER_NAME, Federation, IDENTITY, IDSP_NAME, Run, Wallet, closed_port,
};

fn selected_paths(shared: &Value) -> Vec<String> {
    shared["disclosed"]["selected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|claim| claim["path"].to_string())
        .collect()
}

#[tokio::test]
async fn a_right_to_work_check_is_answered_with_exactly_the_requested_claims() {
    let federation = Federation::start().await;
    let wallet = federation.wallet();
    let (offer, _) = federation.issuer.offer(&[IDENTITY, AGE]).await;
    let received = wallet.receive(&offer, 2).await;
    let identity_id = received["credentials"][0]["id"].as_str().unwrap();
    let check = federation
        .verifier
        .create_from_template("right_to_work")
        .await;

    let outcome = wallet.approve(&check).await;

    assert_eq!(outcome["outcome"], "shared");
    assert_eq!(outcome["purpose"], "RTW");
    assert_eq!(outcome["verifier"]["organisation"], EMPLOYER_NAME);
    assert_eq!(
        outcome["verifier"]["client_id"],
        format!("verifier_attestation:{EMPLOYER}")
    );
    let shared = outcome["shared"].as_array().unwrap();
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0]["credential_id"], identity_id);
    assert!(shared[0]["issuer"].as_str().unwrap().starts_with(IDSP_NAME));
    assert_eq!(
        selected_paths(&shared[0]),
        [
            r#"["given_name"]"#,
            r#"["family_name"]"#,
            r#"["birthdate"]"#,
            r#"["portrait"]"#,
            r#"["nationalities"]"#,
            r#"["document","type"]"#,
            r#"["document","issuing_country"]"#,
            r#"["document","date_of_expiry"]"#,
            r#"["verification","assurance_level"]"#,
            r#"["verification","gpg45_profile"]"#,
        ]
    );
    assert_eq!(shared[0]["disclosed"]["selected"][0]["value"], "Ada");

    let result = federation.verifier.result(&check).await;
    assert_eq!(result["state"], "completed", "{result}");
    // Verified: the employer's photo match is still to come.
    assert_eq!(result["outcome"], "awaiting_confirmation", "{result}");
    assert_eq!(result["claims"]["family_name"], "Lovelace");
    assert!(result["claims"].get("address").is_none());

    // One copy used and the sharing logged (paths, no values).
    let shown = wallet.run(&["show", identity_id]).await.ok();
    assert_eq!(shown["unused"], 1);
    let log = shown["presentations"].as_array().unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["organisation"], EMPLOYER_NAME);
    assert_eq!(log[0]["purpose"], "RTW");
    assert!(!log[0].to_string().contains("Lovelace"));
    federation.stop().await;
}

#[tokio::test]
async fn each_age_check_gets_a_fresh_copy_and_only_the_age_claim() {
    let federation = Federation::start().await;
    let wallet = federation.wallet();
    let (offer, _) = federation.issuer.offer(&[IDENTITY, AGE]).await;
    wallet.receive(&offer, 2).await;

    let mut copies = Vec::new();
    for round in 0..3 {
        let check = federation
            .verifier
            .create_from_template("age_over_18")
            .await;
        let outcome = wallet.approve(&check).await;
        assert_eq!(outcome["purpose"], "AGE");
        let shared = &outcome["shared"][0];
        assert_eq!(
            selected_paths(shared),
            [
                r#"["age_over_18"]"#,
                r#"["verification","assurance_level"]"#
            ]
        );
        assert_eq!(shared["disclosed"]["selected"][0]["value"], true);
        let always = shared["disclosed"]["always"].to_string();
        assert!(
            !always.contains("\"Ada\"") && !always.contains("1990-"),
            "{always}"
        );
        copies.push(shared["copy_id"].as_str().unwrap().to_owned());
        let warnings = outcome["warnings"].as_array().unwrap();
        if round < 2 {
            assert!(warnings.is_empty(), "{outcome}");
        } else {
            assert!(
                warnings[0]
                    .as_str()
                    .unwrap()
                    .contains("link these presentations"),
                "{outcome}"
            );
        }
        let result = federation.verifier.result(&check).await;
        assert_eq!(result["compliant"], true, "{result}");
        assert_eq!(
            result["claims"],
            json!({"age_over_18": true, "verification": {"assurance_level": "medium"}})
        );
    }
    assert_ne!(
        copies[0], copies[1],
        "unlinkable: a different copy each time"
    );
    assert!(copies[2] == copies[0] || copies[2] == copies[1]);
    federation.stop().await;
}

#[tokio::test]
async fn declining_tells_the_verifier_access_denied() {
    let federation = Federation::start().await;
    let wallet = federation.wallet();
    let (offer, _) = federation.issuer.offer(&[AGE]).await;
    let received = wallet.receive(&offer, 2).await;
    let check = federation
        .verifier
        .create_from_template("age_over_18")
        .await;
    let link = check["wallet_url"].as_str().unwrap();

    // No flag and no terminal: nothing is sent, the person must be asked.
    let (status, code, _) = wallet.run(&["present", link]).await.err();
    assert_eq!((status, code.as_str()), (2, "consent_required"));
    let id = check["id"].as_str().unwrap();
    assert_eq!(federation.verifier.check(id).await["state"], "created");

    let outcome = wallet.run(&["present", link, "--decline"]).await.ok();
    assert_eq!(outcome["outcome"], "declined");
    assert_eq!(outcome["shared"], json!([]));
    let result = federation.verifier.check(id).await;
    assert_eq!(result["state"], "failed", "{result}");
    assert_eq!(result["reasons"][0]["code"], "holder_declined", "{result}");
    let shown = wallet
        .run(&["show", received["credentials"][0]["id"].as_str().unwrap()])
        .await
        .ok();
    assert_eq!(shown["unused"], 2, "nothing was presented");

    // The link is answered: presenting it again is refused with the verifier's reason.
    let (status, code, message) = wallet.run(&["present", link, "--approve"]).await.err();
    assert_eq!((status, code.as_str()), (7, "http_error"), "{message}");
    assert!(
        message.contains("HTTP 400 (invalid_request_uri: response_replayed"),
        "the verifier's code and description are shown: {message}"
    );
    federation.stop().await;
}

#[tokio::test]
async fn unencrypted_direct_post_and_request_uri_method_post_work_too() {
    let federation = Federation::start().await;
    let wallet = federation.wallet();
    let (offer, _) = federation.issuer.offer(&[AGE]).await;
    wallet.receive(&offer, 2).await;
    let check = federation
        .verifier
        .create_check(json!({"template": "age_over_18", "response_mode": "direct_post"}))
        .await;
    let link = format!(
        "{}&request_uri_method=post",
        check["wallet_url"].as_str().unwrap()
    );

    let outcome = wallet.run(&["present", &link, "--approve"]).await.ok();

    assert_eq!(outcome["outcome"], "shared");
    let result = federation.verifier.result(&check).await;
    assert_eq!(result["compliant"], true, "{result}");
    federation.stop().await;
}

#[tokio::test]
async fn the_consent_screen_names_who_asks_why_and_what_leaves() {
    let federation = Federation::start().await;
    let wallet = federation.wallet();
    let (offer, _) = federation.issuer.offer(&[AGE]).await;
    wallet.receive(&offer, 1).await;
    let check = federation
        .verifier
        .create_from_template("age_over_18")
        .await;

    let output = wallet
        .run_human(&[
            "present",
            check["wallet_url"].as_str().unwrap(),
            "--decline",
        ])
        .await;

    let text = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{text}");
    for expected in [
        EMPLOYER_NAME,
        &format!("client_id:    verifier_attestation:{EMPLOYER}"),
        "purpose:      AGE",
        "[\"age_over_18\"] = true",
        "direct_post.jwt (encrypted, ECDH-ES + A256GCM)",
        "Declined",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    federation.stop().await;
}

#[tokio::test]
async fn a_wallet_without_a_pinned_trust_list_does_not_present() {
    let link = "openid4vp://?client_id=verifier_attestation%3Aemployer.example.co.uk\
                &request_uri=http%3A%2F%2F127.0.0.1%3A9%2Fwallet%2Frequests%2Fx";
    let (status, code, message) = Wallet::unconfigured()
        .run(&["present", link, "--approve"])
        .await
        .err();
    assert_eq!((status, code.as_str()), (8, "trust_not_configured"));
    assert!(message.contains("--trust-anchor"), "{message}");
}

/// Approves a new age check from `wallet`, fetching the trust list from `trust_list_url`.
async fn present_age_check(
    federation: &Federation,
    wallet: &Wallet,
    trust_list_url: &str,
) -> (Value, Run) {
    let check = federation
        .verifier
        .create_from_template("age_over_18")
        .await;
    let run = wallet
        .run(&[
            "present",
            check["wallet_url"].as_str().unwrap(),
            "--approve",
            "--trust-list-url",
            trust_list_url,
        ])
        .await;
    (check, run)
}

#[tokio::test]
async fn a_wallet_presents_with_the_list_it_kept_while_the_register_refuses() {
    let federation = Federation::start().await;
    let wallet = federation.wallet();
    let (offer, _) = federation.issuer.offer(&[AGE]).await;
    wallet.receive(&offer, 2).await;
    assert!(wallet.dir().join("trust-list.jwt").exists());
    let unreachable = format!("http://127.0.0.1:{}/trust-list", closed_port());

    let (check, run) = present_age_check(&federation, &wallet, &unreachable).await;
    assert!(
        run.stderr.contains("using the trust list accepted last"),
        "{}",
        run.stderr
    );
    assert_eq!(run.ok()["outcome"], "shared");
    let result = federation.verifier.result(&check).await;
    assert_eq!(result["outcome"], "compliant", "{result}");

    // With no list kept, the wallet cannot judge the verifier: it refuses, saying why.
    std::fs::remove_file(wallet.dir().join("trust-list.jwt")).unwrap();
    let (_, run) = present_age_check(&federation, &wallet, &unreachable).await;
    let (_, code, message) = run.err();
    assert_eq!(code, "unreachable", "{message}");
    federation.stop().await;
}
