//! A light OpenID4VCI 1.0 client for the pre-authorized code flow: what a wallet must do over
//! HTTP to redeem an offer for a batch of credentials, and nothing else (no storage, no
//! display, no prompts). It fetches the offer by reference, exchanges the pre-authorized code
//! and `tx_code` at the token endpoint, takes a `c_nonce` and sends one
//! `openid4vci-proof+jwt` per holder key to the credential endpoint.
//!
//! The issuer verifies every proof and signs every credential as it would for any wallet;
//! the client verifies the credentials it received only when asked ([`Issuer::verify`]), so
//! that the generator's own cost stays out of the timed part.

use idv_jose::jws::{self, Header};
use idv_jose::{Clock as _, PublicKey, SigningKey, SystemClock};
use idv_proto::oid4vci::authorization_server_metadata::{
    AUTHORIZATION_SERVER_WELL_KNOWN, AuthorizationServerMetadata,
};
use idv_proto::oid4vci::credential_offer::{CredentialOffer, PRE_AUTHORIZED_CODE_GRANT_TYPE};
use idv_proto::oid4vci::credential_request::{CredentialRequest, Proofs};
use idv_proto::oid4vci::credential_response::CredentialResponse;
use idv_proto::oid4vci::issuer_metadata::{CREDENTIAL_ISSUER_WELL_KNOWN, CredentialIssuerMetadata};
use idv_proto::oid4vci::nonce::NonceResponse;
use idv_proto::oid4vci::proof::{JwtProofClaims, PROOF_JWT_TYP};
use idv_proto::oid4vci::token::{TokenRequest, TokenResponse};
use idv_sdjwt::holder::HeldSdJwt;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// An issuer's endpoints, read once from its metadata.
#[derive(Debug, Clone)]
pub(crate) struct Issuer {
    http: reqwest::Client,
    /// The Credential Issuer Identifier: the proofs' `aud`.
    credential_issuer: String,
    token_endpoint: String,
    nonce_endpoint: String,
    credential_endpoint: String,
    /// The credential signing keys (`/.well-known/jwt-vc-issuer`).
    keys: Vec<PublicKey>,
}

/// An offer to redeem: its `credential_offer_uri` and the transaction code sent apart.
#[derive(Debug, Clone)]
pub(crate) struct Offer {
    pub(crate) uri: String,
    pub(crate) tx_code: Option<String>,
}

impl Offer {
    /// From an `openid-credential-offer://?credential_offer_uri=…` link.
    pub(crate) fn from_link(link: &str, tx_code: Option<String>) -> Result<Self, String> {
        let url = reqwest::Url::parse(link).map_err(|e| format!("offer link: {e}"))?;
        let uri = url
            .query_pairs()
            .find(|(name, _)| name == "credential_offer_uri")
            .map(|(_, value)| value.into_owned())
            .ok_or("offer link: no credential_offer_uri")?;
        Ok(Self { uri, tx_code })
    }
}

impl Issuer {
    /// Reads the Credential Issuer, Authorization Server and JWT VC Issuer metadata.
    pub(crate) async fn discover(http: &reqwest::Client, base_url: &str) -> Result<Self, String> {
        let base = base_url.trim_end_matches('/');
        let metadata: CredentialIssuerMetadata =
            get_json(http, &format!("{base}{CREDENTIAL_ISSUER_WELL_KNOWN}")).await?;
        let server = metadata
            .authorization_servers
            .as_ref()
            .and_then(|servers| servers.first())
            .map_or(base, |server| server.trim_end_matches('/'));
        let authorization: AuthorizationServerMetadata =
            get_json(http, &format!("{server}{AUTHORIZATION_SERVER_WELL_KNOWN}")).await?;
        let jwt_vc_issuer: Value =
            get_json(http, &format!("{base}/.well-known/jwt-vc-issuer")).await?;
        let keys = jwt_vc_issuer["jwks"]["keys"]
            .as_array()
            .map(|keys| {
                keys.iter()
                    .filter_map(|k| PublicKey::from_jwk_value(k).ok())
            })
            .into_iter()
            .flatten()
            .collect();
        Ok(Self {
            http: http.clone(),
            token_endpoint: authorization
                .token_endpoint
                .ok_or("the authorization server has no token_endpoint")?,
            nonce_endpoint: metadata
                .nonce_endpoint
                .ok_or("the issuer has no nonce_endpoint")?,
            credential_endpoint: metadata.credential_endpoint,
            credential_issuer: metadata.credential_issuer,
            keys,
        })
    }

    /// Redeems `offer` for one credential per key of `holders` (at most the issuer's batch
    /// size). Returns the credentials in `holders` order, as issued (not verified here).
    pub(crate) async fn redeem(
        &self,
        offer: &Offer,
        holders: &[SigningKey],
    ) -> Result<Vec<String>, String> {
        let offer_body: CredentialOffer = get_json(&self.http, &offer.uri)
            .await
            .map_err(|e| format!("offer: {e}"))?;
        let grant = offer_body
            .grants
            .and_then(|grants| grants.pre_authorized_code)
            .ok_or("offer: no pre-authorized code grant")?;
        let configuration = offer_body
            .credential_configuration_ids
            .first()
            .ok_or("offer: no credential configuration")?
            .clone();
        let token: TokenResponse =
            send_json(self.http.post(&self.token_endpoint).form(&TokenRequest {
                grant_type: PRE_AUTHORIZED_CODE_GRANT_TYPE.into(),
                pre_authorized_code: Some(grant.pre_authorized_code),
                tx_code: offer.tx_code.clone(),
                code: None,
                redirect_uri: None,
                code_verifier: None,
                client_id: None,
            }))
            .await
            .map_err(|e| format!("token: {e}"))?;
        let nonce: NonceResponse = send_json(self.http.post(&self.nonce_endpoint))
            .await
            .map_err(|e| format!("nonce: {e}"))?;
        let now = SystemClock.now();
        let proofs = holders
            .iter()
            .map(|holder| self.proof(holder, &nonce.c_nonce, now))
            .collect::<Result<Vec<_>, _>>()?;
        let request = CredentialRequest {
            credential_configuration_id: Some(configuration),
            credential_identifier: None,
            proofs: Some(Proofs::Jwt(proofs)),
            credential_response_encryption: None,
        };
        let response: CredentialResponse = send_json(
            self.http
                .post(&self.credential_endpoint)
                .bearer_auth(&token.access_token)
                .json(&request),
        )
        .await
        .map_err(|e| format!("credential: {e}"))?;
        let credentials: Vec<String> = response
            .credentials
            .unwrap_or_default()
            .into_iter()
            .map(|issued| issued.credential)
            .collect();
        if credentials.len() != holders.len() {
            return Err(format!(
                "credential: {} credentials for {} proofs",
                credentials.len(),
                holders.len()
            ));
        }
        Ok(credentials)
    }

    /// An `openid4vci-proof+jwt` for `holder` (HAIP: the key in the `jwk` header).
    fn proof(&self, holder: &SigningKey, nonce: &str, now: i64) -> Result<String, String> {
        let header = Header::es256(PROOF_JWT_TYP).with("jwk", json!(holder.public_key().to_jwk()));
        let claims = JwtProofClaims {
            iss: None,
            aud: self.credential_issuer.clone(),
            iat: now,
            nonce: Some(nonce.to_owned()),
        };
        jws::sign_claims(&header, &claims, holder).map_err(|e| format!("proof: {e}"))
    }

    /// Verifies an issued credential as its holder receives it (RFC 9901 §7.2), with the
    /// issuer key its header names.
    pub(crate) fn verify(&self, credential: &str) -> Result<HeldSdJwt, String> {
        let typ = idv_sdjwt::vc::accepted_typ(false);
        let kid = idv_sdjwt::verify::UnverifiedSdJwt::parse(credential)
            .map_err(|e| e.to_string())?
            .header()
            .kid()
            .map(str::to_owned);
        let key = self
            .keys
            .iter()
            .find(|key| kid.as_deref() == Some(key.thumbprint().as_str()))
            .ok_or("no published issuer key has the credential's kid")?;
        HeldSdJwt::receive(credential, key, typ, SystemClock.now()).map_err(|e| e.to_string())
    }
}

/// `GET url` → JSON.
pub(crate) async fn get_json<T: DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
) -> Result<T, String> {
    send_json(http.get(url)).await
}

/// Sends `request`; a success status with a JSON body of type `T`, else the status and the
/// start of the body.
pub(crate) async fn send_json<T: DeserializeOwned>(
    request: reqwest::RequestBuilder,
) -> Result<T, String> {
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        let text: String = String::from_utf8_lossy(&body).chars().take(160).collect();
        return Err(format!("{status}: {text}"));
    }
    serde_json::from_slice(&body).map_err(|e| format!("unexpected body: {e}"))
}
