//! The employer's side: an OpenID Connect relying party built with the `openidconnect` crate
//! over reqwest (an async closure HTTP client), its registration through the operator's CLI,
//! and a minimal browser (cookies by path, redirects followed by hand).

use std::sync::Arc;

use idv_jose::Clock;
use openidconnect::core::{
    CoreClient, CoreErrorResponseType, CoreGenderClaim, CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreResponseType, CoreTokenResponse,
};
use openidconnect::{
    AdditionalClaims, AuthType, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret,
    CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdToken, IdTokenClaims,
    IdTokenVerifier, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, StandardErrorResponse, TokenResponse as _,
};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use verifier::cli::{Command, OidcClientCommand};

use crate::helpers::{Federation, IssuedCredential};
use crate::wallet::{fetch_request, present, respond, vp_token};

/// The claims beyond OpenID Connect's standard ones that a sign-in carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DvsClaims {
    pub(crate) dvs_check: Value,
    #[serde(default)]
    pub(crate) nationalities: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) portrait: Option<String>,
    #[serde(default)]
    pub(crate) document: Option<Value>,
    #[serde(default)]
    pub(crate) verification: Option<Value>,
    #[serde(default)]
    pub(crate) age_over_18: Option<bool>,
}

impl AdditionalClaims for DvsClaims {}

/// An ID token whose additional claims are read as [`DvsClaims`].
pub(crate) type DvsIdToken =
    IdToken<DvsClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;

/// A client configured from discovery (authorization endpoint set; token and userinfo
/// endpoints as discovered).
pub(crate) type DiscoveredClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

pub(crate) use idv_test_support::openid_client::http_client;

/// A reqwest client that does not follow redirects.
pub(crate) fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A client as registered: what its operator hands the employer.
#[derive(Clone)]
pub(crate) struct Registered {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) redirect_uri: String,
    pub(crate) output: Value,
}

/// `verifier oidc-client add` on the federation's verifier database.
pub(crate) async fn register(
    fed: &Federation,
    redirect_uri: &str,
    templates: &[&str],
) -> Registered {
    let output = fed
        .run_cli(Command::OidcClient(OidcClientCommand::Add {
            tenant_id: fed.tenant.tenant_id.clone(),
            name: "Example Employer Hiring".into(),
            redirect_uris: vec![redirect_uri.to_owned()],
            templates: templates.iter().map(|t| (*t).to_owned()).collect(),
        }))
        .await
        .unwrap();
    let output: Value = serde_json::from_str(&output).unwrap();
    Registered {
        client_id: output["client_id"].as_str().unwrap().to_owned(),
        client_secret: output["client_secret"].as_str().unwrap().to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        output,
    }
}

/// The relying party: its discovered client and HTTP client.
pub(crate) struct RelyingParty {
    pub(crate) client: DiscoveredClient,
    pub(crate) metadata: CoreProviderMetadata,
    pub(crate) http: reqwest::Client,
}

/// One authorization request as the relying party remembers it.
pub(crate) struct Pending {
    pub(crate) url: url::Url,
    pub(crate) state: CsrfToken,
    pub(crate) nonce: Nonce,
    pub(crate) verifier: PkceCodeVerifier,
}

impl RelyingParty {
    /// Discovers the verifier and configures the client.
    pub(crate) async fn discover(fed: &Federation, registered: &Registered) -> Self {
        let http = no_redirects();
        let issuer = IssuerUrl::new(fed.url("")).unwrap();
        let metadata = CoreProviderMetadata::discover_async(issuer, &http_client(http.clone()))
            .await
            .unwrap();
        let client = CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(registered.client_id.clone()),
            Some(ClientSecret::new(registered.client_secret.clone())),
        )
        .set_redirect_uri(RedirectUrl::new(registered.redirect_uri.clone()).unwrap());
        Self {
            client,
            metadata,
            http,
        }
    }

    /// An authorization request for `template`, with PKCE S256 and a nonce.
    pub(crate) fn authorize(&self, template: &str) -> Pending {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = self
            .client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new(template.to_owned()))
            .set_pkce_challenge(challenge)
            .url();
        Pending {
            url,
            state,
            nonce,
            verifier,
        }
    }

    /// The relying party asks for `template` and a new browser lands on the hand-off page.
    pub(crate) async fn open_page(&self, template: &str) -> (Pending, Browser, HandoffPage) {
        let pending = self.authorize(template);
        let mut browser = Browser::new();
        let page = open_handoff(&mut browser, pending.url.as_str()).await;
        (pending, browser, page)
    }

    /// A sign-in up to the code: the relying party asks for `template`, a new browser lands
    /// on the hand-off page, the wallet on this device presents `credential` to the page's
    /// request, and the browser, back on the page, is sent to the client ([`back_to_client`]
    /// checks `state` and `iss`).
    pub(crate) async fn sign_in(
        &self,
        fed: &Federation,
        registered: &Registered,
        template: &str,
        credential: &IssuedCredential,
    ) -> SignIn {
        let (pending, mut browser, page) = self.open_page(template).await;
        let wallet_reply = wallet_presents(fed, &page.wallet_url, credential).await;
        let params = back_to_client(fed, &mut browser, &page, registered, &pending).await;
        SignIn {
            pending,
            browser,
            page,
            wallet_reply,
            params,
        }
    }

    /// The employer's system redeems the redirect's `code` with `pending`'s PKCE verifier,
    /// authenticating with `auth`, and verifies the ID token (signature against the JWKS,
    /// issuer, audience, `pending`'s nonce, times on the federation's clock).
    pub(crate) async fn redeem(
        &self,
        fed: &Federation,
        auth: AuthType,
        pending: &Pending,
        code: &str,
    ) -> Redeemed {
        let client = self.client.clone().set_auth_type(auth);
        let tokens = exchange(&client, &self.http, code, pending.verifier.secret())
            .await
            .unwrap();
        let id_token: DvsIdToken = tokens.id_token().unwrap().to_string().parse().unwrap();
        let claims = id_token
            .claims(&self.id_token_verifier(fed), &pending.nonce)
            .unwrap()
            .clone();
        Redeemed {
            tokens,
            id_token,
            claims,
        }
    }

    /// Redeems `code` (client_secret_basic, [`Self::redeem`]) and checks that its ID token
    /// states a check awaiting the employer's confirmation: the code was a real one.
    pub(crate) async fn assert_redeems_to_a_check(
        &self,
        fed: &Federation,
        pending: &Pending,
        code: &str,
    ) {
        let Redeemed { claims, .. } = self.redeem(fed, AuthType::BasicAuth, pending, code).await;
        let check = &claims.additional_claims().dvs_check;
        assert_eq!(check["outcome"], "awaiting_confirmation", "{check}");
    }

    /// The ID token verifier, on the federation's clock.
    pub(crate) fn id_token_verifier(
        &self,
        fed: &Federation,
    ) -> IdTokenVerifier<'_, openidconnect::core::CoreJsonWebKey> {
        let clock = Arc::clone(&fed.clock);
        self.client
            .id_token_verifier()
            .set_time_fn(move || chrono::DateTime::from_timestamp(clock.now(), 0).unwrap())
    }
}

/// Why a token request failed: the token endpoint's OAuth error, or the exchange itself.
pub(crate) type TokenError =
    RequestTokenError<std::io::Error, StandardErrorResponse<CoreErrorResponseType>>;

/// `client` redeems `code` with the PKCE `verifier` at the token endpoint, over `http`.
pub(crate) async fn exchange(
    client: &DiscoveredClient,
    http: &reqwest::Client,
    code: &str,
    verifier: &str,
) -> Result<CoreTokenResponse, TokenError> {
    client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .unwrap()
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
        .request_async(&http_client(http.clone()))
        .await
}

/// A sign-in that reached the client's redirect URI ([`RelyingParty::sign_in`]).
pub(crate) struct SignIn {
    pub(crate) pending: Pending,
    pub(crate) browser: Browser,
    pub(crate) page: HandoffPage,
    /// What the wallet got back from its response.
    pub(crate) wallet_reply: Value,
    /// The redirect's query: `code` (or `error`), `state`, `iss`.
    pub(crate) params: std::collections::BTreeMap<String, String>,
}

/// A redeemed code ([`RelyingParty::redeem`]): the token response and its ID token, verified.
pub(crate) struct Redeemed {
    pub(crate) tokens: CoreTokenResponse,
    pub(crate) id_token: DvsIdToken,
    pub(crate) claims: IdTokenClaims<DvsClaims, CoreGenderClaim>,
}

/// A browser: keeps cookies by path and does not follow redirects on its own.
pub(crate) struct Browser {
    http: reqwest::Client,
    cookies: Vec<(String, String)>,
}

impl Browser {
    pub(crate) fn new() -> Self {
        Self {
            http: no_redirects(),
            cookies: Vec::new(),
        }
    }

    /// `GET url`, with the cookies whose path covers it; remembers any cookie set.
    pub(crate) async fn get(&mut self, url: &str) -> reqwest::Response {
        let path = url::Url::parse(url).unwrap().path().to_owned();
        let mut request = self.http.get(url);
        let cookies: Vec<&str> = self
            .cookies
            .iter()
            .filter(|(cookie_path, _)| path.starts_with(cookie_path.as_str()))
            .map(|(_, pair)| pair.as_str())
            .collect();
        if !cookies.is_empty() {
            request = request.header("cookie", cookies.join("; "));
        }
        let response = request.send().await.unwrap();
        for value in response.headers().get_all("set-cookie") {
            let value = value.to_str().unwrap();
            let pair = value.split(';').next().unwrap().trim().to_owned();
            let cookie_path = value
                .split(';')
                .filter_map(|attr| attr.trim().strip_prefix("Path="))
                .next()
                .unwrap_or("/")
                .to_owned();
            self.cookies.push((cookie_path, pair));
        }
        response
    }

    /// The cookies set so far (`name=value`, path).
    pub(crate) fn cookies(&self) -> &[(String, String)] {
        &self.cookies
    }
}

/// The `Location` of a `303 See Other`.
pub(crate) fn see_other(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// The query parameters of a URL.
pub(crate) fn query(url: &str) -> std::collections::BTreeMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// The hand-off page a browser reached from an authorization URL.
pub(crate) struct HandoffPage {
    pub(crate) url: String,
    pub(crate) html: String,
    pub(crate) wallet_url: String,
}

/// The browser opens the authorization URL and lands on the hand-off page.
pub(crate) async fn open_handoff(browser: &mut Browser, authorize_url: &str) -> HandoffPage {
    let response = browser.get(authorize_url).await;
    let url = see_other(&response);
    let page = browser.get(&url).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    let wallet_url = html
        .split("href=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
        .find(|href| href.starts_with("openid4vp://"))
        .unwrap()
        .replace("&amp;", "&");
    HandoffPage {
        url,
        html,
        wallet_url,
    }
}

/// The wallet presents `credential` to the page's request; returns the wallet's reply.
pub(crate) async fn wallet_presents(
    fed: &Federation,
    wallet_url: &str,
    credential: &IssuedCredential,
) -> Value {
    let request = fetch_request(fed, wallet_url).await;
    let presentation = present(fed, credential, &request);
    let response = respond(fed, &request, vp_token(&request, presentation)).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// The browser, back on the hand-off page once the check has concluded, is sent to the
/// client; returns the redirect's query after checking `state` and `iss`.
pub(crate) async fn back_to_client(
    fed: &Federation,
    browser: &mut Browser,
    page: &HandoffPage,
    registered: &Registered,
    pending: &Pending,
) -> std::collections::BTreeMap<String, String> {
    let response = browser.get(&page.url).await;
    let location = see_other(&response);
    assert!(
        location.starts_with(&format!("{}?", registered.redirect_uri)),
        "{location}"
    );
    let params = query(&location);
    assert_eq!(params["state"], *pending.state.secret());
    assert_eq!(params["iss"], fed.url(""));
    params
}
