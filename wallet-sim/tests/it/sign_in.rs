//! `receive` through the authorization code flow: the citizen signs in at the provider's real
//! OpenID Provider (the npm `oidc-provider`, driven over HTTP by the harness's citizen browser),
//! the issuer links the account to the proofed identity, and the browser comes back to the
//! wallet's loopback redirect URI. Offer-initiated (with `issuer_state`) and wallet-initiated,
//! through the library (with a browser hook) and the binary (which prints the URL).

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use idv_test_support::oidc_provider::OidcProvider;
use serde_json::{Value, json};
use url::Url;
use wallet_sim::WalletError;
use wallet_sim::issuance::{GrantChoice, NoPrompt, ReceiveOptions, ReceiveOutcome, SignIn, Source};

use crate::helpers::{
    AGE, AGE_VCT, EMPLOYER_NAME, Federation, IDENTITY, IDENTITY_VCT, IDSP_NAME, Wallet,
};

/// What the citizen's browser saw at the wallet's redirect URI.
#[derive(Debug, Clone)]
struct Page {
    status: u16,
    text: String,
}

/// Signs in at the OP as `subject` and returns the URL the OP sends the browser back to.
async fn sign_in(op: &OidcProvider, url: &str, subject: &str) -> Result<Url, String> {
    let back = op
        .browser()
        .sign_in(url, subject)
        .await
        .map_err(|e| e.to_string())?;
    Url::parse(&back).map_err(|e| e.to_string())
}

/// The browser arriving at `url` (the wallet's redirect URI).
async fn visit(url: &Url) -> Result<Page, String> {
    let response = reqwest::get(url.as_str())
        .await
        .map_err(|e| e.to_string())?;
    Ok(Page {
        status: response.status().as_u16(),
        text: response.text().await.map_err(|e| e.to_string())?,
    })
}

/// `url` with the query parameter `name` set to `value`.
fn with_param(url: &Url, name: &str, value: &str) -> Url {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .map(|(k, v)| {
            if k == name {
                (k, value.to_owned())
            } else {
                (k, v)
            }
        })
        .collect();
    let mut forged = url.clone();
    forged.query_pairs_mut().clear().extend_pairs(pairs);
    forged
}

/// Receives from `source` with the library, the citizen's browser signing in as `subject`
/// and recording the page the wallet answered with.
async fn receive(
    federation: &Federation,
    wallet: &Wallet,
    source: Source<'_>,
    subject: &str,
) -> (Result<ReceiveOutcome, WalletError>, Vec<Page>) {
    let op = federation.op.as_ref().unwrap();
    let pages = Mutex::new(Vec::new());
    let pages_seen = &pages;
    let browser = |url: String| async move {
        let back = sign_in(op, &url, subject).await?;
        let page = visit(&back).await?;
        pages_seen.lock().unwrap().push(page);
        Ok(())
    };
    let library = wallet.open().await;
    let outcome = library
        .issuance()
        .receive_from(
            source,
            &ReceiveOptions {
                tx_code: None,
                copies: Some(2),
            },
            &SignIn {
                grant: GrantChoice::default(),
                by_scope: false,
                browser: &browser,
            },
            &NoPrompt,
        )
        .await;
    library.close().await;
    (outcome, pages.into_inner().unwrap())
}

#[tokio::test]
async fn an_offer_is_received_after_the_citizen_signs_in_at_the_provider_and_is_presentable() {
    let federation = Federation::start_with_sign_in().await;
    let identity = federation.issuer.record_linked_identity("ada-42").await;
    let offer = federation
        .issuer
        .sign_in_offer(&identity, &[IDENTITY, AGE])
        .await;
    let link = offer["offer_link"].as_str().unwrap();
    let wallet = federation.wallet();

    // A receive without a browser cannot sign anyone in, and says so.
    let library = wallet.open().await;
    let refused = library
        .issuance()
        .receive(link, &ReceiveOptions::default(), &NoPrompt)
        .await
        .unwrap_err();
    library.close().await;
    assert!(
        matches!(refused, WalletError::UnsupportedOffer(ref why) if why.contains("sign-in")),
        "{refused}"
    );

    let (outcome, pages) = receive(&federation, &wallet, Source::Offer(link), "ada-42").await;
    let outcome = outcome.unwrap();

    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].status, 200);
    assert!(
        pages[0].text.contains("You can return to your wallet"),
        "{}",
        pages[0].text
    );
    let types: Vec<&str> = outcome.credentials.iter().map(|c| c.vct.as_str()).collect();
    assert_eq!(types, [IDENTITY_VCT, AGE_VCT]);
    for credential in &outcome.credentials {
        assert_eq!(credential.copies, 2);
        assert_eq!(credential.issuer_key_source, "trust_list");
        assert!(credential.issuer.on_trust_list);
        assert_eq!(credential.issuer.organisation.as_deref(), Some(IDSP_NAME));
    }
    // Issued to the identity the signed-in account is linked to, one holder key per copy.
    let mut thumbprints = federation.issuer.holder_thumbprints(&identity).await;
    thumbprints.sort_unstable();
    thumbprints.dedup();
    assert_eq!(thumbprints.len(), 4, "{thumbprints:?}");

    // Like any other credential: listed, and presented to the employer's right-to-work check.
    let listed = wallet.run(&["list"]).await.ok();
    assert_eq!(listed["credentials"].as_array().unwrap().len(), 2);
    let check = federation
        .verifier
        .create_from_template("right_to_work")
        .await;
    let shared = wallet.approve(&check).await;
    assert_eq!(shared["outcome"], "shared");
    assert_eq!(shared["verifier"]["organisation"], EMPLOYER_NAME);
    let result = federation.verifier.result(&check).await;
    assert_eq!(result["outcome"], "awaiting_confirmation", "{result}");
    assert_eq!(result["claims"]["given_name"], "Ada");
    federation.stop().await;
}

/// Runs `wallet-sim --json receive <args>` as a person would, reading the sign-in URL from its
/// standard error while it waits: `(authorization URL, the process)`.
fn spawn_receive(
    wallet: &Wallet,
    args: &[&str],
) -> (
    tokio::sync::oneshot::Receiver<String>,
    std::process::Child,
    std::thread::JoinHandle<String>,
) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wallet-sim"))
        .env_clear()
        .arg("--json")
        .arg("--data-dir")
        .arg(wallet.dir())
        .arg("receive")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (url_sender, url) = tokio::sync::oneshot::channel();
    let reader = std::thread::spawn(move || {
        let mut sender = Some(url_sender);
        let mut all = String::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            if let Ok(event) = serde_json::from_str::<Value>(&line)
                && event["event"] == "sign_in"
                && let Some(sender) = sender.take()
            {
                let _ = sender.send(event["authorization_url"].as_str().unwrap().to_owned());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    (url, child, reader)
}

#[tokio::test]
async fn a_wallet_initiated_request_by_scope_signs_in_and_receives_from_the_command_line() {
    let federation = Federation::start_with_sign_in().await;
    let op = federation.op.as_ref().unwrap();
    federation.issuer.record_linked_identity("grace-7").await;
    let wallet = federation.wallet();

    let (url, child, stderr) = spawn_receive(
        &wallet,
        &[
            "--issuer",
            &federation.issuer_iss,
            "--credential",
            AGE,
            "--scope",
            "--copies",
            "3",
        ],
    );
    let url = url.await.expect("the wallet prints the sign-in URL");
    // The request was pushed: the browser's URL names it only by reference.
    let parsed = Url::parse(&url).unwrap();
    assert!(url.starts_with(&federation.issuer_iss), "{url}");
    let params: Vec<String> = parsed.query_pairs().map(|(k, _)| k.into_owned()).collect();
    assert_eq!(params, ["client_id", "request_uri"], "{url}");

    let back = sign_in(op, &url, "grace-7").await.unwrap();
    assert_eq!(back.path(), "/callback");
    let page = visit(&back).await.unwrap();
    assert_eq!(page.status, 200, "{}", page.text);

    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stderr = stderr.join().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(!stderr.contains(back.query().unwrap()), "{stderr}");
    let received: Value = serde_json::from_str(&stdout).unwrap();
    let credentials = received["credentials"].as_array().unwrap();
    assert_eq!(credentials.len(), 1, "{received}");
    assert_eq!(credentials[0]["vct"], AGE_VCT);
    assert_eq!(credentials[0]["copies"], 3);
    assert_eq!(credentials[0]["issuer"]["on_trust_list"], true);

    let check = federation
        .verifier
        .create_from_template("age_over_18")
        .await;
    let shared = wallet.approve(&check).await;
    assert_eq!(shared["purpose"], "AGE");
    let result = federation.verifier.result(&check).await;
    assert_eq!(
        result["claims"],
        json!({"age_over_18": true, "verification": {"assurance_level": "medium"}}),
        "{result}"
    );
    federation.stop().await;
}

#[tokio::test]
async fn an_account_not_linked_to_a_proofed_identity_is_told_access_denied() {
    let federation = Federation::start_with_sign_in().await;
    federation.issuer.record_linked_identity("ada-42").await;
    let wallet = federation.wallet();
    let ids = [AGE.to_owned()];

    let (outcome, pages) = receive(
        &federation,
        &wallet,
        Source::Issuer {
            credential_issuer: &federation.issuer_iss,
            configuration_ids: &ids,
        },
        "somebody-else",
    )
    .await;

    let error = outcome.unwrap_err();
    let WalletError::AuthorizationDenied { remote } = &error else {
        panic!("{error}");
    };
    assert_eq!(remote.error, "access_denied");
    assert!(remote.description.is_some(), "{error}");
    assert_eq!(
        (error.code(), error.exit_status()),
        ("authorization_denied", 5)
    );
    assert_eq!(pages.len(), 1);
    assert!(
        pages[0].text.contains("did not authorise"),
        "{}",
        pages[0].text
    );
    assert_eq!(wallet.run(&["list"]).await.ok(), json!({"credentials": []}));
    federation.stop().await;
}

#[tokio::test]
async fn forged_or_mixed_up_responses_at_the_redirect_uri_are_refused_before_any_token_request() {
    let federation = Federation::start_with_sign_in().await;
    let op = federation.op.as_ref().unwrap();
    let identity = federation.issuer.record_linked_identity("ada-42").await;
    let wallet = federation.wallet();

    // Another session's state, and a response claiming to come from another server.
    for (name, value) in [("state", "0123456789abcdef"), ("iss", op.issuer_url())] {
        let offer = federation.issuer.sign_in_offer(&identity, &[AGE]).await;
        let pages = Mutex::new(Vec::new());
        let pages_seen = &pages;
        let browser = |url: String| async move {
            let genuine = sign_in(op, &url, "ada-42").await?;
            let forged = with_param(&genuine, name, value);
            let refused = visit(&forged).await?;
            // The first response decided: the genuine one comes too late.
            let late = visit(&genuine).await?;
            pages_seen.lock().unwrap().extend([refused, late]);
            Ok(())
        };
        let library = wallet.open().await;
        let outcome = library
            .issuance()
            .receive_from(
                Source::Offer(offer["offer_link"].as_str().unwrap()),
                &ReceiveOptions::default(),
                &SignIn {
                    grant: GrantChoice::AuthorizationCode,
                    by_scope: false,
                    browser: &browser,
                },
                &NoPrompt,
            )
            .await;
        library.close().await;

        let error = outcome.unwrap_err();
        assert!(
            matches!(error, WalletError::CallbackRefused { .. }),
            "{name}: {error}"
        );
        assert_eq!(error.exit_status(), 6);
        let pages = pages.into_inner().unwrap();
        assert_eq!(pages[0].status, 400, "{name}");
        assert!(pages[0].text.contains("refused"), "{}", pages[0].text);
        assert_eq!(pages[1].status, 410, "{name}");
    }
    // Nothing was issued, nothing is held.
    let issued = federation
        .issuer
        .get(&format!("/v1/credentials?identity_id={identity}"))
        .await;
    assert_eq!(issued["credentials"], json!([]));
    assert_eq!(wallet.run(&["list"]).await.ok(), json!({"credentials": []}));
    federation.stop().await;
}

#[tokio::test]
async fn nobody_coming_back_from_the_provider_in_time_is_a_timeout() {
    let federation = Federation::start_with_sign_in().await;
    let identity = federation.issuer.record_linked_identity("ada-42").await;
    let offer = federation.issuer.sign_in_offer(&identity, &[AGE]).await;
    let wallet = federation.wallet();
    wallet.configure("sign_in_timeout_secs = 1");

    let run = wallet
        .run(&["receive", offer["offer_link"].as_str().unwrap()])
        .await;

    let (status, code, message) = run.err();
    assert_eq!((status, code.as_str()), (9, "sign_in_timeout"));
    assert!(message.contains("1 seconds"), "{message}");
    // The person was shown where to sign in.
    let event: Value = serde_json::from_str(run.stderr.lines().next().unwrap()).unwrap();
    assert_eq!(event["event"], "sign_in");
    assert!(
        event["authorization_url"]
            .as_str()
            .unwrap()
            .starts_with(&federation.issuer_iss)
    );

    // For people: the URL in a sentence, the reason and what to do.
    let human = wallet
        .run_human(&["receive", offer["offer_link"].as_str().unwrap()])
        .await;
    assert_eq!(human.status.code(), Some(9));
    let stderr = String::from_utf8(human.stderr).unwrap();
    let prompt = format!(
        "Sign in at your provider: {}/authorize?",
        federation.issuer_iss
    );
    assert!(stderr.starts_with(&prompt), "{stderr}");
    assert!(stderr.contains("run receive again"), "{stderr}");
    federation.stop().await;
}
