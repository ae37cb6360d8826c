//! The holder side of OpenID4VCI, written against the specifications (not against the issuer's
//! code), using only `idv_jose` keys and the SD-JWT core to check what it receives.

use idv_jose::jws::{self, Header};
use idv_jose::{Clock, JwkSet, PublicKey, SigningKey};
use idv_proto::oid4vci::credential_offer::{CredentialOffer, PRE_AUTHORIZED_CODE_GRANT_TYPE};
use idv_proto::oid4vci::proof::PROOF_JWT_TYP;
use idv_proto::sd_jwt_vc::status::StatusListReference;
use idv_sdjwt::holder::HeldSdJwt;
use idv_sdjwt::vc;
use idv_status_list::{Status, StatusPolicy};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use super::TestApp;

/// The holder side of OpenID4VCI.
pub(crate) struct Wallet<'a> {
    pub(super) app: &'a TestApp,
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

    /// `POST /token` with the pre-authorized code grant, its transaction code and
    /// `authorization_details` (OpenID4VCI 1.0 §6.1).
    pub(crate) async fn token_with_details(
        &self,
        code: &str,
        tx_code: &str,
        details: &str,
    ) -> Response {
        self.token_form(&[
            ("grant_type", PRE_AUTHORIZED_CODE_GRANT_TYPE),
            ("pre-authorized_code", code),
            ("tx_code", tx_code),
            ("authorization_details", details),
        ])
        .await
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

    /// `POST /credential` with `request` (which names the credential) and one proof of
    /// `holder`'s key on a fresh `c_nonce`.
    pub(crate) async fn request_proven(
        &self,
        access_token: &str,
        request: Value,
        holder: &SigningKey,
    ) -> Response {
        let nonce = self.nonce().await;
        let mut body = request;
        body["proofs"] = json!({"jwt": [self.proof(holder, &nonce)]});
        self.credential(access_token, &body).await
    }

    /// [`Self::request_proven`] for one credential of `configuration`, which must be issued:
    /// the credential.
    pub(crate) async fn issue(
        &self,
        access_token: &str,
        configuration: &str,
        holder: &SigningKey,
    ) -> String {
        let request = json!({"credential_configuration_id": configuration});
        let response = self.request_proven(access_token, request, holder).await;
        let mut credentials = self.credentials(response).await;
        assert_eq!(credentials.len(), 1, "one proof, one credential");
        credentials.remove(0)
    }

    /// [`Self::issue`], and the credential received as a holder must ([`Self::receive`]).
    pub(crate) async fn issue_held(
        &self,
        access_token: &str,
        configuration: &str,
        holder: &SigningKey,
    ) -> HeldSdJwt {
        let credential = self.issue(access_token, configuration, holder).await;
        self.receive(&credential, holder).await
    }

    /// The credentials of a successful Credential Response (`200`, not to be stored).
    pub(crate) async fn credentials(&self, response: Response) -> Vec<String> {
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body: Value = response.json().await.unwrap();
        body["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["credential"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The issuer's published keys.
    pub(crate) async fn issuer_keys(&self) -> JwkSet {
        let body: Value = self.app.public_json("/.well-known/jwt-vc-issuer").await;
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
