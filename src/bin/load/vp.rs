//! A light OpenID4VP 1.0 wallet: per request, exactly what the wallet side of the protocol must
//! compute and send, so that the load generator costs the machine as little as a wallet can.
//!
//! Before the run, each held credential is verified once and its presentation for the
//! right-to-work template (the disclosures the template requests) is put together. Per check
//! the wallet then fetches the request object, reads its `client_id`, `nonce`, `state`,
//! `response_uri`, DCQL query id and encryption key, signs a Key Binding JWT over the prepared
//! presentation (`sd_hash`, one ES256 signature), encrypts the Authorization Response to the
//! request's key (ECDH-ES + A128GCM) and posts it (`direct_post.jwt`).
//!
//! Unlike wallet-sim it does **not** authenticate the request object (its signature and the
//! Verifier Attestation chained to the trust anchor), look the relying party up on the trust
//! list, ask for consent or keep a presentation log: the verifier's work per check is the same
//! either way, and this generator exists to leave the verifier as much of the machine as
//! possible. `--client wallet-sim` runs the full wallet instead.

use std::sync::atomic::{AtomicUsize, Ordering};

use idv_jose::jwe::{self, ContentEncryption};
use idv_jose::jws::UnverifiedJws;
use idv_jose::{Clock as _, PublicKey, SigningKey, SystemClock};
use idv_proto::oid4vp::authorization_request::RequestObject;
use idv_proto::oid4vp::authorization_response::{AuthorizationResponse, VpToken};
use idv_sdjwt::holder::HeldSdJwt;

use crate::vci::send_json;

/// One credential, ready to be presented again and again.
struct Presentable {
    /// The SD-JWT disclosing what the template requests, ending in `~`.
    presented: String,
    holder: SigningKey,
}

/// The light wallet: credentials presented in turn.
pub(crate) struct LightWallet {
    http: reqwest::Client,
    /// The Credential Query id of the template's DCQL query (the VP Token's key).
    query_id: String,
    credentials: Vec<Presentable>,
    next: AtomicUsize,
}

impl LightWallet {
    /// A wallet presenting `held` (each with its holder key) for `template`.
    pub(crate) fn new(
        http: reqwest::Client,
        template: &idv_checks::Template,
        held: Vec<(HeldSdJwt, SigningKey)>,
    ) -> Result<Self, String> {
        let credentials = held
            .into_iter()
            .map(|(held, holder)| {
                let presented = held
                    .present(template.requested_claims())
                    .map_err(|e| format!("preparing the presentation: {e}"))?;
                Ok(Presentable { presented, holder })
            })
            .collect::<Result<Vec<_>, String>>()?;
        if credentials.is_empty() {
            return Err("the light wallet holds no credential".into());
        }
        Ok(Self {
            http,
            query_id: template.credential_query_id().to_owned(),
            credentials,
            next: AtomicUsize::new(0),
        })
    }

    /// Answers the request behind `wallet_url` (`openid4vp://?client_id=…&request_uri=…`).
    pub(crate) async fn answer(&self, wallet_url: &str) -> Result<(), String> {
        let url = reqwest::Url::parse(wallet_url).map_err(|e| format!("wallet URL: {e}"))?;
        let request_uri = url
            .query_pairs()
            .find(|(name, _)| name == "request_uri")
            .map(|(_, value)| value.into_owned())
            .ok_or("wallet URL: no request_uri")?;
        let response = self
            .http
            .get(&request_uri)
            .send()
            .await
            .map_err(|e| format!("request object: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("request object: {}", response.status()));
        }
        let jwt = response
            .text()
            .await
            .map_err(|e| format!("request object: {e}"))?;
        let request: RequestObject = UnverifiedJws::parse(&jwt)
            .and_then(|jws| jws.insecure_claims())
            .map_err(|e| format!("request object: {e}"))?;
        let (recipient, kid) = encryption_key(&request)?;
        let query_id = request
            .dcql_query
            .as_ref()
            .and_then(|query| query.credentials.first())
            .map(|credential| credential.id.as_str());
        if query_id != Some(self.query_id.as_str()) {
            return Err("request object: not the right-to-work query".into());
        }
        let client_id = request
            .client_id
            .as_deref()
            .ok_or("request object: no client_id")?;
        let response_uri = request
            .response_uri
            .as_deref()
            .ok_or("request object: no response_uri")?;

        let credential =
            &self.credentials[self.next.fetch_add(1, Ordering::Relaxed) % self.credentials.len()];
        let presentation = idv_sdjwt::key_binding::bind(
            &credential.presented,
            &credential.holder,
            client_id,
            &request.nonce,
            SystemClock.now(),
        )
        .map_err(|e| format!("key binding: {e}"))?;
        let payload = AuthorizationResponse {
            vp_token: Some(VpToken(
                [(self.query_id.clone(), vec![presentation])].into(),
            )),
            state: request.state.clone(),
            error: None,
            error_description: None,
        };
        let payload = serde_json::to_vec(&payload).map_err(|e| e.to_string())?;
        let encrypted = jwe::encrypt(
            &payload,
            &recipient,
            kid.as_deref(),
            ContentEncryption::A128Gcm,
        )
        .map_err(|e| format!("encrypting the response: {e}"))?;
        let _reply: serde_json::Value = send_json(
            self.http
                .post(response_uri)
                .form(&[("response", encrypted)]),
        )
        .await
        .map_err(|e| format!("response: {e}"))?;
        Ok(())
    }
}

/// The request's response encryption key (`client_metadata.jwks`, the first ECDH-ES key) and
/// its `kid`; A128GCM must be among the offered encryptions.
fn encryption_key(request: &RequestObject) -> Result<(PublicKey, Option<String>), String> {
    let metadata = request
        .client_metadata
        .as_ref()
        .ok_or("request object: no client_metadata (direct_post.jwt expected)")?;
    let jwk = metadata
        .jwks
        .as_ref()
        .and_then(|jwks| jwks.keys.first())
        .ok_or("request object: no encryption key")?;
    let offers_a128gcm = metadata
        .encrypted_response_enc_values_supported
        .as_ref()
        .is_some_and(|values| {
            values
                .iter()
                .any(|v| v == ContentEncryption::A128Gcm.as_str())
        });
    if !offers_a128gcm {
        return Err("request object: A128GCM not offered".into());
    }
    let key = PublicKey::from_jwk_value(jwk).map_err(|e| format!("encryption key: {e}"))?;
    let kid = jwk
        .get("kid")
        .and_then(|kid| kid.as_str())
        .map(str::to_owned);
    Ok((key, kid))
}
