//! OpenID Connect at both ends of the federation, across the real binaries: the citizen
//! receives credentials by signing in at the provider's own OpenID Provider (the certified npm
//! `oidc-provider`; the issuer is its relying party, `wallet-sim` follows the authorization code
//! flow), then an employer's system built on the `openidconnect` crate signs the candidate in
//! through the verifier's OpenID Provider bridge and reads the right-to-work outcome from a
//! verified ID token.

use std::io::{BufRead as _, BufReader};
use std::process::Stdio;

use federated_idv::employer::wallet_link_on_page;
use federated_idv::provider::{AGE, IDENTITY, proofed_citizen};
use idv_federation::child::ProcessEnv;
use idv_federation::free_port;
use idv_federation::in_process::WALLET_CLIENT_ID;
use idv_federation::in_process::configs::issuer_login;
use idv_jose::{Clock as _, SystemClock};
use idv_test_support::oidc_provider::{OidcClient, OidcProvider};
use idv_test_support::openid_client::http_client;
use openidconnect::core::{
    CoreClient, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreResponseType,
};
use openidconnect::{
    AdditionalClaims, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    IdToken, IssuerUrl, Nonce, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse as _,
};
use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use idv_federation::Deployment as _;

use crate::helpers::{Backend, World};

/// The citizen's account at the provider's existing sign-in.
const ACCOUNT: &str = "customer-4711";
/// The issuer's client at the provider's OP.
const ISSUER_CLIENT: &str = "credential-issuer";
const ISSUER_SECRET: &str = "issuer-client-secret-for-tests";
/// The employer's HR system, registered at the verifier.
const HR_CALLBACK: &str = "https://hr.employer.example.co.uk/oidc/callback";

#[tokio::test]
async fn a_citizen_signs_in_at_the_provider_and_an_employer_signs_the_candidate_in_through_the_verifier()
 {
    // The provider's OP runs where the issuer was told it runs; it learns the issuer's callback
    // once the issuer has a port.
    let op_port = free_port().unwrap();
    let op_url = format!("http://127.0.0.1:{op_port}");
    let world = World::start_with(
        Backend::Sqlite,
        |builder| {
            builder.issuer_config(move |c| {
                c.login = Some(issuer_login(
                    &op_url,
                    ISSUER_CLIENT,
                    ISSUER_SECRET,
                    WALLET_CLIENT_ID,
                ));
            })
        },
        ProcessEnv::default(),
    )
    .await;
    let issuer = world.federation.endpoints().issuer.clone();
    let op = OidcProvider::start_on_port(
        op_port,
        &[OidcClient::new(
            ISSUER_CLIENT,
            ISSUER_SECRET,
            [format!("{issuer}/login/callback")],
        )],
    )
    .await;

    // The provider links the proofed identity to the citizen's account and offers sign-in.
    let mut identity = proofed_citizen(SystemClock.now());
    identity["login_subject"] = json!(ACCOUNT);
    let identity_id = world.provider.record_identity(&identity).await.unwrap();
    let offer: Value = world
        .provider
        .api()
        .post(
            &format!("/v1/identities/{identity_id}/offers"),
            &json!({"credential_configuration_ids": [IDENTITY, AGE], "grant": "authorization_code"}),
        )
        .await
        .unwrap();
    let offer_link = offer["offer_link"].as_str().unwrap();
    assert!(offer.get("tx_code").is_none_or(Value::is_null), "{offer:#}");

    // `wallet-sim receive` asks the citizen to sign in; the citizen's browser signs in at the
    // OP and comes back to the wallet, which then receives both credentials.
    let mut receive = world.wallet.command(&["receive", offer_link]);
    receive.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = receive.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (url_tx, url_rx) = tokio::sync::oneshot::channel();
    let stderr_reader = std::thread::spawn(move || {
        let mut url_tx = Some(url_tx);
        let mut seen = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(event) = serde_json::from_str::<Value>(&line)
                && event["event"] == "sign_in"
                && let Some(tx) = url_tx.take()
            {
                let _ = tx.send(event["authorization_url"].as_str().unwrap().to_owned());
            }
            seen.push_str(&line);
            seen.push('\n');
        }
        seen
    });
    let authorization_url = url_rx.await.unwrap_or_else(|_| {
        panic!(
            "wallet-sim never asked to sign in: {}",
            world.federation.logs()
        )
    });
    assert!(authorization_url.starts_with(&format!("{issuer}/authorize?")));
    let back_to_wallet = op
        .browser()
        .sign_in(&authorization_url, ACCOUNT)
        .await
        .unwrap_or_else(|e| panic!("signing in: {e:?}\n{}", world.federation.logs()));
    assert!(
        back_to_wallet.starts_with("http://127.0.0.1:"),
        "{back_to_wallet}"
    );
    let landed = reqwest::get(&back_to_wallet).await.unwrap();
    assert_eq!(landed.status(), StatusCode::OK);
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let wallet_stderr = stderr_reader.join().unwrap();
    assert!(
        output.status.success(),
        "wallet-sim receive: {}\n{wallet_stderr}\n{}",
        String::from_utf8_lossy(&output.stdout),
        world.federation.logs()
    );
    let received: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(received["credentials"].as_array().map(Vec::len), Some(2));

    // The employer's HR system is registered at the verifier as an OpenID Connect client.
    let tenant = &world.employer.tenant.tenant_id;
    let registered = world
        .federation
        .run(
            "verifier",
            &[
                "oidc-client",
                "add",
                "--tenant",
                tenant,
                "--name",
                "Example Employer Hiring",
                "--redirect-uri",
                HR_CALLBACK,
                "--template",
                "right_to_work",
            ],
        )
        .await
        .unwrap();
    let registered: Value = serde_json::from_str(&registered).unwrap();
    let verifier = world.federation.endpoints().verifier.clone();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let metadata = CoreProviderMetadata::discover_async(
        IssuerUrl::new(verifier.clone()).unwrap(),
        &http_client(http.clone()),
    )
    .await
    .unwrap();
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(registered["client_id"].as_str().unwrap().to_owned()),
        Some(ClientSecret::new(
            registered["client_secret"].as_str().unwrap().to_owned(),
        )),
    )
    .set_redirect_uri(RedirectUrl::new(HR_CALLBACK.to_owned()).unwrap());
    let (challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize_url, state, nonce) = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("right_to_work".into()))
        .set_pkce_challenge(challenge)
        .url();

    // The candidate's browser lands on the hand-off page; the wallet on the same device
    // presents; the page then sends the browser back to the HR system with a code.
    let started = http.get(authorize_url).send().await.unwrap();
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let handoff = location(&started);
    let cookie = started.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = http
        .get(&handoff)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let wallet_url = wallet_link_on_page(&html)
        .unwrap_or_else(|| panic!("no wallet link on the hand-off page: {html}"));
    let presented = world
        .wallet
        .run(&["present", &wallet_url, "--approve"])
        .await
        .success(&world);
    assert_eq!(presented["outcome"], "shared", "{presented:#}");
    let back = http
        .get(&handoff)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        back.status(),
        StatusCode::SEE_OTHER,
        "{}",
        world.federation.logs()
    );
    let back = Url::parse(&location(&back)).unwrap();
    assert!(back.as_str().starts_with(HR_CALLBACK), "{back}");
    let params: std::collections::BTreeMap<String, String> =
        back.query_pairs().into_owned().collect();
    assert_eq!(params["state"], *state.secret());
    assert_eq!(params["iss"], verifier);

    // The HR system exchanges the code and reads the verified outcome.
    let tokens = client
        .exchange_code(AuthorizationCode::new(params["code"].clone()))
        .unwrap()
        .set_pkce_verifier(pkce_verifier)
        .request_async(&http_client(http.clone()))
        .await
        .unwrap();
    let id_token: IdToken<
        CheckClaims,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    > = tokens.id_token().unwrap().to_string().parse().unwrap();
    let claims = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .unwrap();
    let check = &claims.additional_claims().dvs_check;
    assert_eq!(check["outcome"], "awaiting_confirmation", "{check:#}");
    assert_eq!(
        check["provider"]["register_id"],
        world.entry_id.as_str(),
        "{check:#}"
    );
    assert_eq!(claims.subject().as_str(), check["id"].as_str().unwrap());
    let given_name = claims.given_name().unwrap().get(None).unwrap();
    assert_eq!(given_name.as_str(), "Ada");
    assert_eq!(
        claims.birthdate().unwrap().as_str(),
        "1990-12-10",
        "the right-to-work template discloses the date of birth"
    );
}

/// The claims a sign-in adds to OpenID Connect's own.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CheckClaims {
    dvs_check: Value,
}

impl AdditionalClaims for CheckClaims {}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}
