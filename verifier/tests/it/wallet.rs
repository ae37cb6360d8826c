//! The wallet side, as a conformant OpenID4VP 1.0 wallet does it: open the `openid4vp://`
//! link, fetch and verify the request object (attestation against the pinned anchor, request
//! signature with the attested key, `client_id` equal in link and object), present the
//! requested claims with a Key Binding JWT for the full client identifier and nonce, and post
//! the encrypted response.

use idv_jose::jwe::{self, ContentEncryption};
use idv_jose::jws::UnverifiedJws;
use idv_jose::{Clock, PublicKey};
use idv_proto::claims_path::ClaimsPath;
use idv_proto::oid4vp::authorization_request::{
    REQUEST_OBJECT_MEDIA_TYPE, REQUEST_OBJECT_TYP, RequestObject,
};
use idv_proto::oid4vp::authorization_response::{AuthorizationResponse, VpToken};
use idv_sdjwt::holder::HeldSdJwt;
use idv_trust::anchors::TrustAnchors;
use idv_trust::attestation::verify_verifier_attestation;
use reqwest::Response;
use serde_json::Value;

use crate::helpers::{Federation, IssuedCredential};

/// A fetched and verified request.
pub(crate) struct WalletRequest {
    pub(crate) client_id: String,
    pub(crate) request_uri: String,
    pub(crate) object: RequestObject,
    /// The request object's JSON claims as sent.
    pub(crate) claims: Value,
}

impl WalletRequest {
    /// The claims paths the DCQL query asks for.
    pub(crate) fn requested_paths(&self) -> Vec<ClaimsPath> {
        let query = self.object.dcql_query.as_ref().unwrap();
        query.credentials[0]
            .claims
            .as_ref()
            .unwrap()
            .iter()
            .map(|c| c.path.clone())
            .collect()
    }

    /// The Credential Query id (the `vp_token` key).
    pub(crate) fn query_id(&self) -> String {
        self.object.dcql_query.as_ref().unwrap().credentials[0]
            .id
            .clone()
    }

    pub(crate) fn response_uri(&self) -> &str {
        self.object.response_uri.as_deref().unwrap()
    }

    pub(crate) fn state(&self) -> &str {
        self.object.state.as_deref().unwrap()
    }
}

/// Opens `wallet_url` and fetches the request object.
pub(crate) async fn fetch_request(fed: &Federation, wallet_url: &str) -> WalletRequest {
    let link = url::Url::parse(wallet_url).unwrap();
    assert_eq!(link.scheme(), "openid4vp");
    let query: std::collections::BTreeMap<String, String> =
        link.query_pairs().into_owned().collect();
    assert_eq!(query.len(), 2, "{query:?}");
    let client_id = query["client_id"].clone();
    let request_uri = query["request_uri"].clone();
    let response = fed
        .client
        .get(&request_uri)
        .header("accept", REQUEST_OBJECT_MEDIA_TYPE)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        REQUEST_OBJECT_MEDIA_TYPE
    );
    let jwt = response.text().await.unwrap();
    let (object, claims) = verify_request_object(fed, &jwt, &client_id);
    WalletRequest {
        client_id,
        request_uri,
        object,
        claims,
    }
}

/// What a wallet checks of a request object before showing it to the person.
pub(crate) fn verify_request_object(
    fed: &Federation,
    jwt: &str,
    client_id: &str,
) -> (RequestObject, Value) {
    let jws = UnverifiedJws::parse(jwt).unwrap();
    assert_eq!(jws.header().typ(), Some(REQUEST_OBJECT_TYP));
    let attestation = jws
        .header()
        .get("jwt")
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    let anchors = TrustAnchors::from_keys([fed.anchor.clone()]).unwrap();
    let attestation = verify_verifier_attestation(&attestation, &anchors, fed.clock.now()).unwrap();
    attestation.check_client_id(client_id).unwrap();
    let verified = jws
        .verify(attestation.key(), &[REQUEST_OBJECT_TYP])
        .unwrap();
    let claims: Value = verified.claims().unwrap();
    let object: RequestObject = verified.claims().unwrap();
    assert_eq!(object.client_id.as_deref(), Some(client_id));
    (object, claims)
}

/// An SD-JWT+KB disclosing `paths` of `credential`, bound to `audience` and `nonce`.
pub(crate) fn present_to(
    fed: &Federation,
    credential: &IssuedCredential,
    paths: &[ClaimsPath],
    audience: &str,
    nonce: &str,
) -> String {
    let now = fed.clock.now();
    let held = HeldSdJwt::receive(
        &credential.sd_jwt,
        &credential.issuer_key,
        idv_sdjwt::vc::accepted_typ(false),
        now,
    )
    .unwrap();
    held.present_bound(paths, &credential.holder, audience, nonce, now)
        .unwrap()
}

/// The presentation a conformant wallet makes for `request`.
pub(crate) fn present(
    fed: &Federation,
    credential: &IssuedCredential,
    request: &WalletRequest,
) -> String {
    present_paths(fed, credential, request, &request.requested_paths())
}

/// A presentation for `request` (its client identifier and nonce) disclosing `paths`, which
/// may be more or fewer than it asked for.
pub(crate) fn present_paths(
    fed: &Federation,
    credential: &IssuedCredential,
    request: &WalletRequest,
    paths: &[ClaimsPath],
) -> String {
    present_to(
        fed,
        credential,
        paths,
        &request.client_id,
        &request.object.nonce,
    )
}

/// `{query id: [presentation]}`.
pub(crate) fn vp_token(request: &WalletRequest, presentation: String) -> VpToken {
    VpToken(
        [(request.query_id(), vec![presentation])]
            .into_iter()
            .collect(),
    )
}

/// The encrypted `direct_post.jwt` response for `payload`, to the request's key.
pub(crate) fn encrypt(request: &WalletRequest, payload: &AuthorizationResponse) -> String {
    let metadata = request.object.client_metadata.as_ref().unwrap();
    let jwk = &metadata.jwks.as_ref().unwrap().keys[0];
    let key = PublicKey::from_jwk_value(jwk).unwrap();
    let kid = jwk["kid"].as_str().unwrap();
    jwe::encrypt(
        &serde_json::to_vec(payload).unwrap(),
        &key,
        Some(kid),
        ContentEncryption::A256Gcm,
    )
    .unwrap()
}

/// Posts `vp_token` with the request's `state`, encrypted (`direct_post.jwt`).
pub(crate) async fn respond(
    fed: &Federation,
    request: &WalletRequest,
    vp_token: VpToken,
) -> Response {
    let payload = AuthorizationResponse {
        vp_token: Some(vp_token),
        ..AuthorizationResponse::default()
    };
    post_encrypted(fed, request, payload).await
}

/// Posts the OAuth error `error` with the request's `state`, encrypted as `direct_post.jwt`
/// requires: the wallet declines (`access_denied`) or fails.
pub(crate) async fn answer_error(
    fed: &Federation,
    request: &WalletRequest,
    error: &str,
) -> Response {
    let payload = AuthorizationResponse {
        error: Some(error.to_owned()),
        error_description: Some("the wallet says no".into()),
        ..AuthorizationResponse::default()
    };
    post_encrypted(fed, request, payload).await
}

/// Posts `payload` with the request's `state`, encrypted to the request's key.
async fn post_encrypted(
    fed: &Federation,
    request: &WalletRequest,
    payload: AuthorizationResponse,
) -> Response {
    let payload = AuthorizationResponse {
        state: Some(request.state().to_owned()),
        ..payload
    };
    post_form(fed, request, &[("response", &encrypt(request, &payload))]).await
}

/// Posts form fields to the request's `response_uri`.
pub(crate) async fn post_form(
    fed: &Federation,
    request: &WalletRequest,
    fields: &[(&str, &str)],
) -> Response {
    fed.client
        .post(request.response_uri())
        .form(fields)
        .send()
        .await
        .unwrap()
}

/// Creates a check from `body` as the employer and fetches its request as the wallet; returns
/// the created check (`id`, `wallet_url`, `expires_at`, ...) and the request.
pub(crate) async fn open_check(fed: &Federation, body: &Value) -> (Value, WalletRequest) {
    let created = fed.create_check(body).await;
    let request = fetch_request(fed, created["wallet_url"].as_str().unwrap()).await;
    (created, request)
}

/// The body of an age check answered by `direct_post` (the response unencrypted).
pub(crate) fn direct_post_age_check() -> Value {
    serde_json::json!({"template": "age_over_18", "response_mode": "direct_post"})
}

/// Checks that `response` is a `400` with `error` and a description starting with `prefix`;
/// returns the description.
pub(crate) async fn assert_refused(response: Response, error: &str, prefix: &str) -> String {
    let (actual, description) =
        crate::helpers::error_body(response, reqwest::StatusCode::BAD_REQUEST).await;
    assert_eq!(actual, error, "{description}");
    assert!(description.starts_with(prefix), "{prefix}: {description}");
    description
}

/// Creates a check for `template` and runs a conformant wallet holding `credential` through
/// it; returns the check id and the response.
pub(crate) async fn run_check(
    fed: &Federation,
    template: &str,
    credential: &IssuedCredential,
) -> (String, Response) {
    let (created, request) = open_check(fed, &serde_json::json!({"template": template})).await;
    let presentation = present(fed, credential, &request);
    let response = respond(fed, &request, vp_token(&request, presentation)).await;
    (created["id"].as_str().unwrap().to_owned(), response)
}
