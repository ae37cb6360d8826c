//! `LoginApp`: the issuer with `[login]`, signing citizens in at a real OpenID Provider (the npm
//! `oidc-provider`, through `idv_test_support::oidc_provider`), on its real port and public URL
//! and the real time (the OP's ID tokens carry real times). `WalletRequest`: the wallet side of
//! the authorization code flow, written from RFC 9126, RFC 7636 and RFC 9207.

use std::collections::BTreeMap;
use std::sync::Arc;

use idv_jose::{Clock as _, ManualClock, SystemClock};
use idv_test_support::TestDb;
use idv_test_support::oidc_provider::{OidcClient, OidcProvider};
use issuer::config::{IssuerConfig, LoginSettings, WalletClientSettings};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use tokio::net::TcpListener;
use url::Url;

use super::{TestApp, person, test_config};

pub(crate) use wallet_request::WalletRequest;

mod wallet_request;

/// A registered wallet with a loopback redirect URI (any port).
pub(crate) const WALLET: &str = "wallet-sim";
/// Where that wallet listens in these tests (nothing does: the browser stops before it).
pub(crate) const WALLET_REDIRECT: &str = "http://127.0.0.1:49152/callback";
/// A registered wallet with an exact https redirect URI.
pub(crate) const WEB_WALLET: &str = "web-wallet";
pub(crate) const WEB_WALLET_REDIRECT: &str = "https://wallet.example/cb";
/// The issuer's client at the OP.
const OP_CLIENT_ID: &str = "credential-issuer";
const OP_CLIENT_SECRET: &str = "issuer-secret-0123456789abcdef";

/// The `[login]` settings for an OP at `op_issuer_url` (`issuer::testing::login`), with a
/// second wallet whose redirect URI is an exact https one.
pub(crate) fn login_settings(op_issuer_url: &str) -> LoginSettings {
    let mut login = issuer::testing::login(op_issuer_url, OP_CLIENT_ID, OP_CLIENT_SECRET, WALLET);
    login.wallet_clients.push(WalletClientSettings {
        client_id: WEB_WALLET.into(),
        redirect_uris: vec![WEB_WALLET_REDIRECT.into()],
    });
    login
}

/// A test config listening on a fixed free port, which is also its public URL.
pub(crate) async fn config_on_own_port(db: &TestDb) -> (IssuerConfig, TcpListener) {
    // Bound now and kept bound until the issuer serves on it: its public URL (the OP's
    // redirect URI) must be known before it starts, and no other process may take the port.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let mut config = test_config(db);
    config.http.listen = address;
    config.http.public_url = format!("http://{address}");
    (config, listener)
}

pub(crate) struct LoginApp {
    pub(crate) app: TestApp,
    pub(crate) op: OidcProvider,
    /// A client that follows no redirects, to see each 303.
    pub(crate) http: reqwest::Client,
}

impl LoginApp {
    /// The OP, then the issuer as its relying party.
    pub(crate) async fn spawn(db: &TestDb) -> Self {
        let (mut config, listener) = config_on_own_port(db).await;
        let callback = format!("{}/login/callback", config.http.public_url);
        let op =
            OidcProvider::start(&[OidcClient::new(OP_CLIENT_ID, OP_CLIENT_SECRET, [callback])])
                .await;
        config.login = Some(login_settings(op.issuer_url()));
        let app = TestApp::spawn_with_clock(
            config,
            listener,
            Arc::new(ManualClock::new(SystemClock.now())),
        )
        .await;
        Self {
            app,
            op,
            http: no_redirects(),
        }
    }

    /// Stops the issuer and starts another instance on the same database and port.
    pub(crate) async fn restart(&mut self) {
        self.app.stop().await;
        self.app = self.app.another_instance().await;
    }

    /// Records a proofed person named `given_name`, linked to the OP account `subject`.
    pub(crate) async fn linked_identity(&self, given_name: &str, subject: &str) -> String {
        let mut body = person();
        body["given_name"] = given_name.into();
        body["login_subject"] = subject.into();
        let response = self.app.post("/v1/identities", &body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        body["identity_id"].as_str().unwrap().to_owned()
    }

    /// `POST /par` with `form`.
    pub(crate) async fn par(&self, form: &[(&str, &str)]) -> Response {
        self.http
            .post(self.app.url("/par"))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Pushes `wallet`'s request with `extra` parameters; returns the `request_uri`.
    pub(crate) async fn push(&self, wallet: &WalletRequest, extra: &[(&str, &str)]) -> String {
        let response = self.par(&wallet.form(extra)).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["expires_in"], 60);
        let request_uri = body["request_uri"].as_str().unwrap().to_owned();
        assert!(request_uri.starts_with("urn:ietf:params:oauth:request_uri:"));
        request_uri
    }

    /// The authorization URL a wallet opens in the browser.
    pub(crate) fn authorization_url(&self, client_id: &str, request_uri: &str) -> String {
        let mut url = Url::parse(&self.app.url("/authorize")).unwrap();
        url.query_pairs_mut()
            .append_pair("client_id", client_id)
            .append_pair("request_uri", request_uri);
        url.into()
    }

    /// `GET url` without following redirects.
    pub(crate) async fn get(&self, url: &str) -> Response {
        self.http.get(url).send().await.unwrap()
    }

    /// The browser from the authorization URL through the OP's sign-in as `subject` back to
    /// the wallet: the wallet's redirect URL.
    pub(crate) async fn sign_in(
        &self,
        wallet: &WalletRequest,
        request_uri: &str,
        subject: &str,
    ) -> Url {
        let url = self.authorization_url(&wallet.client_id, request_uri);
        let back = self.op.browser().sign_in(&url, subject).await.unwrap();
        Url::parse(&back).unwrap()
    }

    /// The browser from `/authorize` through the OP's sign-in, stopped at the OP's redirect to
    /// the issuer's callback: that callback URL.
    pub(crate) async fn sign_in_at_op(
        &self,
        wallet: &WalletRequest,
        request_uri: &str,
        subject: &str,
    ) -> Url {
        let response = self
            .get(&self.authorization_url(&wallet.client_id, request_uri))
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let op_url = location(&response);
        assert!(op_url.starts_with(self.op.issuer_url()), "{op_url}");
        let callback = self.op.browser().sign_in(&op_url, subject).await.unwrap();
        assert!(
            callback.starts_with(&self.app.url("/login/callback")),
            "{callback}"
        );
        Url::parse(&callback).unwrap()
    }

    /// A pushed request signed in as `subject`: the authorization code, after checking the
    /// redirect's `state` and `iss` as a wallet must.
    pub(crate) async fn code(
        &self,
        wallet: &WalletRequest,
        extra: &[(&str, &str)],
        subject: &str,
    ) -> String {
        let request_uri = self.push(wallet, extra).await;
        let back = self.sign_in(wallet, &request_uri, subject).await;
        let params = wallet.check_redirect(&back, self.app.public_url());
        params
            .get("code")
            .unwrap_or_else(|| panic!("no code in {back}"))
            .clone()
    }

    /// `POST /token` with the authorization code grant as `wallet` sends it.
    pub(crate) async fn token(&self, wallet: &WalletRequest, code: &str) -> Response {
        self.token_with(wallet, code, &[]).await
    }

    /// [`Self::token`] with `extra` parameters.
    pub(crate) async fn token_with(
        &self,
        wallet: &WalletRequest,
        code: &str,
        extra: &[(&str, &str)],
    ) -> Response {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &wallet.redirect_uri),
            ("code_verifier", &wallet.verifier),
            ("client_id", &wallet.client_id),
        ];
        form.extend_from_slice(extra);
        self.token_form(&form).await
    }

    pub(crate) async fn token_form(&self, form: &[(&str, &str)]) -> Response {
        self.app.wallet().token_form(form).await
    }

    /// An access token for a code, with the token response.
    pub(crate) async fn access_token(&self, wallet: &WalletRequest, code: &str) -> (String, Value) {
        let response = self.token(wallet, code).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body: Value = response.json().await.unwrap();
        (body["access_token"].as_str().unwrap().to_owned(), body)
    }
}

/// A client that follows no redirects.
pub(crate) fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The `Location` of a redirect.
pub(crate) fn location(response: &Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// The query parameters of `url`.
pub(crate) fn query(url: &Url) -> BTreeMap<String, String> {
    url.query_pairs().into_owned().collect()
}

/// `authorization_details` asking for `configuration`.
pub(crate) fn details(configuration: &str) -> String {
    format!(r#"[{{"type":"openid_credential","credential_configuration_id":"{configuration}"}}]"#)
}
