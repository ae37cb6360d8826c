//! `TestApp`: the real issuer on 127.0.0.1 port 0 over a fresh database, with a manual clock
//! and the operator token from `init`; and `Wallet`, a holder written here against the
//! specifications (not against the issuer's code), using only `idv_jose` keys and the SD-JWT
//! core to check what it receives.

pub(crate) mod login;
pub(crate) mod register;

use std::sync::Arc;

use idv_jose::jws::{self, Header};
use idv_jose::{Clock, JwkSet, ManualClock, PublicKey, SigningKey, SystemRandom};
use idv_proto::oid4vci::credential_offer::{CredentialOffer, PRE_AUTHORIZED_CODE_GRANT_TYPE};
use idv_proto::oid4vci::proof::PROOF_JWT_TYP;
use idv_proto::sd_jwt_vc::status::StatusListReference;
use idv_sdjwt::holder::HeldSdJwt;
use idv_sdjwt::vc;
use idv_service_kit::Secret;
use idv_service_kit::db::PoolSettings;
use idv_status_list::{Status, StatusPolicy};
use idv_test_support::TestDb;
use idv_test_support::server::TestServer;
use issuer::config::IssuerConfig;
use issuer::issuance::setup::initialise;
use issuer::startup::Application;
use issuer::store::Store;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// The tests' "now": 2026-05-28T20:26:40Z.
pub(crate) const T0: i64 = 1_780_000_000;
/// The Credential Issuer Identifier in tests (requests go to the local port instead).
pub(crate) const PUBLIC_URL: &str = "https://id.example-idsp.co.uk";
pub(crate) const DAY: i64 = 24 * 60 * 60;
pub(crate) const IDENTITY: &str = "uk_identity";
pub(crate) const AGE: &str = "uk_age";

pub(crate) struct TestApp {
    pub(crate) address: String,
    pub(crate) client: reqwest::Client,
    pub(crate) token: String,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) config: IssuerConfig,
    server: TestServer,
}

pub(crate) fn test_config(db: &TestDb) -> IssuerConfig {
    let mut config = IssuerConfig::default();
    config.http.listen = "127.0.0.1:0".parse().unwrap();
    config.http.public_url = PUBLIC_URL.into();
    config.database.url = Some(Secret::new(db.url()));
    config.database.max_connections = 4;
    // Small lists keep token building cheap; still random over 1024 entries.
    config.status.list_size = 1024;
    config
}

impl TestApp {
    /// `init` on a fresh database, then the service.
    pub(crate) async fn spawn(db: &TestDb) -> Self {
        Self::spawn_with(test_config(db)).await
    }

    /// `init` with `config`, then the service.
    pub(crate) async fn spawn_with(config: IssuerConfig) -> Self {
        Self::spawn_at(config, T0).await
    }

    /// `init` with `config`, then the service, its clock at `now`.
    pub(crate) async fn spawn_at(config: IssuerConfig, now: i64) -> Self {
        let listener = TcpListener::bind(config.http.listen).await.unwrap();
        Self::spawn_on(config, listener, now).await
    }

    /// `init` with `config`, then the service on `listener`, its clock at `now`.
    pub(crate) async fn spawn_on(config: IssuerConfig, listener: TcpListener, now: i64) -> Self {
        Self::spawn_with_clock(config, listener, Arc::new(ManualClock::new(now))).await
    }

    /// `init` with `config`, then the service on `listener` and `clock` (shared with other
    /// services of the test).
    pub(crate) async fn spawn_with_clock(
        config: IssuerConfig,
        listener: TcpListener,
        clock: Arc<ManualClock>,
    ) -> Self {
        let store = Store::connect(
            config.database_url().expose(),
            PoolSettings::with_max_connections(2),
        )
        .await
        .unwrap();
        let initialised = initialise(&store, clock.as_ref(), &SystemRandom)
            .await
            .unwrap();
        store.close().await;
        let token = initialised.operator_token.unwrap().expose().to_owned();
        Self::start(config, listener, clock, token).await
    }

    /// Another instance of the same service on the same database and clock.
    pub(crate) async fn another_instance(&self) -> Self {
        self.another_instance_with(self.config.clone()).await
    }

    /// Another instance on the same database and clock, with `config` (as after a restart
    /// with changed settings).
    pub(crate) async fn another_instance_with(&self, config: IssuerConfig) -> Self {
        // On the configured address: the same port again after a restart, a new one for 0.
        let listener = TcpListener::bind(config.http.listen).await.unwrap();
        Self::start(
            config,
            listener,
            Arc::clone(&self.clock),
            self.token.clone(),
        )
        .await
    }

    async fn start(
        config: IssuerConfig,
        listener: TcpListener,
        clock: Arc<ManualClock>,
        token: String,
    ) -> Self {
        let app = Application::build_on(
            config.clone(),
            listener,
            Arc::clone(&clock) as Arc<dyn Clock>,
            Arc::new(SystemRandom),
        )
        .await
        .unwrap();
        let address = format!("http://127.0.0.1:{}", app.port());
        Self {
            address,
            client: reqwest::Client::new(),
            token,
            clock,
            config,
            server: TestServer::spawn(|stopped| app.run_until(stopped)),
        }
    }

    pub(crate) async fn stop(&mut self) {
        self.server.stop().await.unwrap();
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// The Credential Issuer Identifier.
    pub(crate) fn public_url(&self) -> &str {
        self.config.http.public_url.trim_end_matches('/')
    }

    /// A URL the issuer published (under [`PUBLIC_URL`]), reached on the local port.
    pub(crate) fn local(&self, published: &str) -> String {
        let public = self.config.http.public_url.trim_end_matches('/');
        let path = published
            .strip_prefix(public)
            .unwrap_or_else(|| panic!("{published} is not under {public}"));
        let path = url::Url::parse(&format!("http://x{path}"))
            .map(|u| u.path().to_owned())
            .unwrap();
        self.url(&path)
    }

    /// An operator `POST` with a JSON body.
    pub(crate) async fn post(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// An operator `GET`.
    pub(crate) async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
    }

    /// Records [`person`]; returns the identity id.
    pub(crate) async fn record_identity(&self) -> String {
        self.record(&person()).await
    }

    /// Records a proofed identity; returns its id.
    pub(crate) async fn record(&self, identity: &Value) -> String {
        let response = self.post("/v1/identities", identity).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        body["identity_id"].as_str().unwrap().to_owned()
    }

    /// Creates an offer; returns the operator's response.
    pub(crate) async fn create_offer(
        &self,
        identity_id: &str,
        ids: &[&str],
        tx_code: bool,
    ) -> Value {
        let response = self
            .post(
                &format!("/v1/identities/{identity_id}/offers"),
                &json!({"credential_configuration_ids": ids, "tx_code": tx_code}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    /// A new identity with an offer of `ids` (with a `tx_code`), fetched by the wallet.
    pub(crate) async fn offer(&self, ids: &[&str]) -> Offer {
        let identity_id = self.record_identity().await;
        let created = self.create_offer(&identity_id, ids, true).await;
        let offer = self.wallet().fetch_offer(&created).await;
        Offer {
            identity_id,
            tx_code: created["tx_code"].as_str().map(str::to_owned),
            created,
            code: offer
                .grants
                .unwrap()
                .pre_authorized_code
                .unwrap()
                .pre_authorized_code,
        }
    }

    /// An offer of `ids` redeemed for an access token.
    pub(crate) async fn access_token(&self, ids: &[&str]) -> (Offer, String) {
        let offer = self.offer(ids).await;
        let response = self
            .wallet()
            .token(&offer.code, offer.tx_code.as_deref())
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        (offer, body["access_token"].as_str().unwrap().to_owned())
    }

    /// The access token for an operator's offer response (`created`), as a wallet gets it.
    pub(crate) async fn redeem(&self, created: &Value) -> String {
        let offer = self.wallet().fetch_offer(created).await;
        let code = offer
            .grants
            .unwrap()
            .pre_authorized_code
            .unwrap()
            .pre_authorized_code;
        let response = self
            .wallet()
            .token(&code, created["tx_code"].as_str())
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    pub(crate) fn wallet(&self) -> Wallet<'_> {
        Wallet { app: self }
    }
}

/// An offer as the tests use it.
pub(crate) struct Offer {
    pub(crate) identity_id: String,
    pub(crate) created: Value,
    pub(crate) code: String,
    pub(crate) tx_code: Option<String>,
}

/// A valid proofed identity.
pub(crate) fn person() -> Value {
    json!({
        "given_name": "Ada",
        "family_name": "Lovelace",
        "birthdate": "1990-12-10",
        "nationalities": ["GB"],
        "document": {"type": "passport", "issuing_country": "GB", "date_of_expiry": "2031-01-31"},
        "portrait": "data:image/jpeg;base64,/9j/4AAQSkZJRg==",
        "level_of_confidence": "medium",
        "gpg45_profile": "M1B",
        "proofed_at": T0 - 600
    })
}

/// The holder side of OpenID4VCI.
pub(crate) struct Wallet<'a> {
    app: &'a TestApp,
}

impl Wallet<'_> {
    /// Follows `credential_offer_uri` from the operator's response.
    pub(crate) async fn fetch_offer(&self, created: &Value) -> CredentialOffer {
        let response = self.fetch_offer_response(created).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["cache-control"], "no-store");
        response.json().await.unwrap()
    }

    pub(crate) async fn fetch_offer_response(&self, created: &Value) -> Response {
        let uri = created["credential_offer_uri"].as_str().unwrap();
        self.app
            .client
            .get(self.app.local(uri))
            .send()
            .await
            .unwrap()
    }

    /// `POST /token` with the pre-authorized code grant.
    pub(crate) async fn token(&self, code: &str, tx_code: Option<&str>) -> Response {
        let mut form = vec![
            ("grant_type", PRE_AUTHORIZED_CODE_GRANT_TYPE),
            ("pre-authorized_code", code),
        ];
        if let Some(tx_code) = tx_code {
            form.push(("tx_code", tx_code));
        }
        self.token_form(&form).await
    }

    pub(crate) async fn token_form(&self, form: &[(&str, &str)]) -> Response {
        self.app
            .client
            .post(self.app.url("/token"))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// A fresh `c_nonce`.
    pub(crate) async fn nonce(&self) -> String {
        let response = self
            .app
            .client
            .post(self.app.url("/nonce"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body: Value = response.json().await.unwrap();
        body["c_nonce"].as_str().unwrap().to_owned()
    }

    /// An `openid4vci-proof+jwt` for `key`, as a wallet signs it.
    pub(crate) fn proof(&self, key: &SigningKey, nonce: &str) -> String {
        proof_with(
            key,
            PROOF_JWT_TYP,
            &json!({"aud": self.app.public_url(), "iat": self.app.clock.now(), "nonce": nonce}),
        )
    }

    /// `POST /credential` with `body` and `access_token`.
    pub(crate) async fn credential(&self, access_token: &str, body: &Value) -> Response {
        self.app
            .client
            .post(self.app.url("/credential"))
            .bearer_auth(access_token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// The issuer's published keys.
    pub(crate) async fn issuer_keys(&self) -> JwkSet {
        let body: Value = self
            .app
            .client
            .get(self.app.url("/.well-known/jwt-vc-issuer"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["issuer"], self.app.public_url());
        serde_json::from_value(body["jwks"].clone()).unwrap()
    }

    /// The published key with this `kid`.
    pub(crate) async fn issuer_key(&self, kid: &str) -> PublicKey {
        let keys = self.issuer_keys().await;
        let jwk = keys
            .find(kid)
            .unwrap_or_else(|| panic!("kid {kid} is not published"));
        PublicKey::from_jwk(jwk).unwrap()
    }

    /// Receives an issued credential as a holder must (RFC 9901 §7.2): signature with the
    /// published key its header names, every disclosure, `typ` `dc+sd-jwt`, bound to `holder`.
    pub(crate) async fn receive(&self, credential: &str, holder: &SigningKey) -> HeldSdJwt {
        let kid = jws::UnverifiedJws::parse(credential.split('~').next().unwrap())
            .unwrap()
            .header()
            .kid()
            .unwrap()
            .to_owned();
        let issuer_key = self.issuer_key(&kid).await;
        let held = HeldSdJwt::receive(
            credential,
            &issuer_key,
            vc::accepted_typ(false),
            self.app.clock.now(),
        )
        .unwrap();
        assert_eq!(held.claims()["iss"], self.app.public_url());
        let cnf = idv_sdjwt::verify::holder_key(held.claims()).unwrap();
        assert_eq!(&cnf, holder.public_key(), "bound to the proven key");
        held
    }

    /// The status of a received credential, from its verified status list token.
    pub(crate) async fn status(&self, held: &HeldSdJwt) -> Status {
        let reference: StatusListReference =
            serde_json::from_value(held.claims()["status"]["status_list"].clone()).unwrap();
        let response = self
            .app
            .client
            .get(self.app.local(&reference.uri))
            .header("accept", "application/statuslist+jwt")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-type"],
            "application/statuslist+jwt"
        );
        let token = response.text().await.unwrap();
        let kid = jws::UnverifiedJws::parse(&token)
            .unwrap()
            .header()
            .kid()
            .unwrap()
            .to_owned();
        let key = self.issuer_key(&kid).await;
        let verified = idv_status_list::verify::verify_status_list_token(
            &reference,
            &token,
            &key,
            self.app.clock.as_ref(),
            &StatusPolicy::default(),
        )
        .unwrap();
        assert!(verified.exp().is_some() && verified.ttl().is_some());
        verified.status(reference.idx).unwrap()
    }
}

/// A proof JWT with any `typ` and claims, the holder key in the `jwk` header.
pub(crate) fn proof_with(key: &SigningKey, typ: &str, claims: &Value) -> String {
    jws::sign_claims(
        &Header::es256(typ).with("jwk", json!(key.public_key().to_jwk())),
        claims,
        key,
    )
    .unwrap()
}

/// The `error` and `error_description` of an error response, after checking its status.
pub(crate) async fn error_body(response: Response, status: StatusCode) -> (String, String) {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    (
        body["error"].as_str().unwrap().to_owned(),
        body["error_description"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// Asserts `response` is `status` with OAuth `error` code `code`; returns the description.
pub(crate) async fn expect_error(response: Response, status: StatusCode, code: &str) -> String {
    let (error, description) = error_body(response, status).await;
    assert_eq!(error, code, "{description}");
    description
}
