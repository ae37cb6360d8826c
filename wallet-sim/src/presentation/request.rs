//! Fetching and authenticating the request object (OpenID4VP 1.0 "Authorization Request",
//! RFC 9101, "Defined Client Identifier Prefixes" → `verifier_attestation`).
//!
//! The request is trusted only when every step holds, in this order: the client identifier
//! uses the `verifier_attestation:` prefix; the JOSE header `jwt` carries a Verifier
//! Attestation signed by an anchor pinned in this wallet's configuration, unexpired; its
//! `sub` is the client identifier without the prefix; the request object is
//! `typ: oauth-authz-req+jwt`, signed with the attested `cnf` key; its `client_id` equals the
//! link's; it is within its `iat`/`exp` window; it echoes our `wallet_nonce` when we sent one.
//! Until then nothing is sent to the verifier.

use idv_jose::JoseError;
use idv_jose::jws::UnverifiedJws;
use idv_jose::jwt::Validity;
use idv_proto::oid4vp::authorization_request::{
    REQUEST_OBJECT_MEDIA_TYPE, REQUEST_OBJECT_TYP, RequestObject, RequestUriMethod,
    SELF_ISSUED_AUDIENCE,
};
use idv_proto::oid4vp::verifier_metadata::DC_SD_JWT_FORMAT;
use idv_proto::trust::verifier_attestation::{
    VERIFIER_ATTESTATION_CLIENT_ID_PREFIX, VERIFIER_ATTESTATION_HEADER,
};
use idv_trust::anchors::TrustAnchors;
use idv_trust::attestation::{VerifiedAttestation, verify_verifier_attestation};
use serde_json::json;

use crate::error::{Party, WalletError};
use crate::http_client::{Http, status_error};
use crate::links::{PresentationLink, RequestSource};

/// Clock skew tolerated on the request object's `iat` and `exp`.
const SKEW: i64 = 60;
/// Largest request object accepted.
const MAX_REQUEST_OBJECT: usize = 256 * 1024;

/// A request object whose verifier is authenticated.
#[derive(Debug, Clone)]
pub(crate) struct AuthenticatedRequest {
    /// The full client identifier, prefix included.
    pub(crate) client_id: String,
    /// The verified attestation.
    pub(crate) attestation: VerifiedAttestation,
    /// The request's parameters (only the request object's count).
    pub(crate) object: RequestObject,
}

/// This wallet's metadata, sent with `request_uri_method=post` (OpenID4VP 1.0 "Wallet
/// Metadata").
pub(crate) fn wallet_metadata() -> serde_json::Value {
    json!({
        "vp_formats_supported": {
            DC_SD_JWT_FORMAT: { "sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"] }
        },
        "client_id_prefixes_supported": ["verifier_attestation"],
        "request_object_signing_alg_values_supported": ["ES256"],
        "response_types_supported": ["vp_token"],
        "response_modes_supported": ["direct_post", "direct_post.jwt"],
        "authorization_encryption_alg_values_supported": ["ECDH-ES"],
        "authorization_encryption_enc_values_supported": ["A128GCM", "A256GCM"]
    })
}

/// Fetches the request object: `GET request_uri`, or `POST` with `wallet_metadata` and a
/// fresh `wallet_nonce` (returned, to be checked in the object), or the `request` itself.
pub(crate) async fn fetch(
    link: &PresentationLink,
    http: &Http,
    wallet_nonce: String,
) -> Result<(String, Option<String>), WalletError> {
    let (body, nonce) = match &link.request {
        RequestSource::Value(jwt) => return Ok((jwt.clone(), None)),
        RequestSource::Reference {
            uri,
            method: RequestUriMethod::Get,
        } => {
            let reply = http
                .get(uri, REQUEST_OBJECT_MEDIA_TYPE, Party::Verifier)
                .await
                .map_err(request_uri_error)?;
            (reply.body, None)
        }
        RequestSource::Reference {
            uri,
            method: RequestUriMethod::Post,
        } => {
            let metadata = wallet_metadata().to_string();
            let reply = http
                .post_form(
                    uri,
                    &[
                        ("wallet_metadata", metadata.as_str()),
                        ("wallet_nonce", wallet_nonce.as_str()),
                    ],
                    REQUEST_OBJECT_MEDIA_TYPE,
                    None,
                    Party::Verifier,
                )
                .await
                .map_err(request_uri_error)?;
            if !reply.is_success() {
                return Err(status_error(&reply, uri, Party::Verifier));
            }
            (reply.body, Some(wallet_nonce))
        }
    };
    if body.len() > MAX_REQUEST_OBJECT {
        return Err(invalid("the request object is too large".into()));
    }
    let text =
        String::from_utf8(body).map_err(|_| invalid("the request object is not text".into()))?;
    Ok((text.trim().to_owned(), nonce))
}

fn request_uri_error(error: WalletError) -> WalletError {
    match error {
        WalletError::UrlNotAllowed { reason, .. } => WalletError::InvalidLink {
            reason: format!("request_uri cannot be fetched: {reason}"),
        },
        other => other,
    }
}

fn invalid(reason: String) -> WalletError {
    WalletError::InvalidRequest { reason }
}

/// Authenticates the request object of `link_client_id` (see the module documentation).
pub(crate) fn authenticate(
    jwt: &str,
    link_client_id: &str,
    wallet_nonce: Option<&str>,
    anchors: &TrustAnchors,
    now: i64,
) -> Result<AuthenticatedRequest, WalletError> {
    let unsupported = |reason: String| WalletError::UnsupportedClientId {
        client_id: link_client_id.to_owned(),
        reason,
    };
    match link_client_id.split_once(':') {
        Some((_, "")) => return Err(unsupported("the client identifier is empty".into())),
        Some((prefix, _)) if format!("{prefix}:") == VERIFIER_ATTESTATION_CLIENT_ID_PREFIX => {}
        Some((prefix, _)) => {
            return Err(unsupported(format!(
                "client identifier prefix `{prefix}` is not supported: this wallet \
                 authenticates verifiers by `verifier_attestation` from its trust framework"
            )));
        }
        None => {
            return Err(unsupported(
                "a client identifier without prefix names a pre-registered verifier, and this \
                 wallet has none"
                    .into(),
            ));
        }
    }
    let unverified = UnverifiedJws::parse(jwt)
        .map_err(|e| invalid(format!("the request object is not a compact JWS ({e})")))?;
    let attestation_jwt = unverified
        .header()
        .get(VERIFIER_ATTESTATION_HEADER)
        .and_then(|v| v.as_str())
        .ok_or_else(|| WalletError::UntrustedVerifier {
            reason: "the request object carries no Verifier Attestation (JOSE header `jwt`)".into(),
        })?;
    let attestation = verify_verifier_attestation(attestation_jwt, anchors, now).map_err(|e| {
        WalletError::UntrustedVerifier {
            reason: format!("its Verifier Attestation is not valid: {e}"),
        }
    })?;
    attestation
        .check_client_id(link_client_id)
        .map_err(|e| WalletError::UntrustedVerifier {
            reason: format!("the attestation is for another verifier: {e}"),
        })?;
    let verified = unverified
        .verify(attestation.key(), &[REQUEST_OBJECT_TYP])
        .map_err(|e| match e {
            JoseError::BadSignature => WalletError::BadRequestSignature {
                reason: e.to_string(),
            },
            other => invalid(format!("the request object is not acceptable: {other}")),
        })?;
    let object: RequestObject = verified
        .claims()
        .map_err(|e| invalid(format!("the request object's parameters are invalid: {e}")))?;
    if object.client_id.as_deref() != Some(link_client_id) {
        return Err(invalid(format!(
            "the request object's client_id {:?} differs from the link's `{link_client_id}`",
            object.client_id
        )));
    }
    match (Validity {
        iat: object.iat,
        nbf: None,
        exp: object.exp,
    })
    .check(now, SKEW)
    {
        Ok(()) => {}
        Err(JoseError::Expired { exp, now }) => {
            return Err(WalletError::RequestExpired { exp, now });
        }
        Err(other) => {
            return Err(invalid(format!(
                "the request object is not valid now: {other}"
            )));
        }
    }
    if let Some(sent) = wallet_nonce
        && object.wallet_nonce.as_deref() != Some(sent)
    {
        return Err(invalid(
            "the request object does not echo this wallet's wallet_nonce".into(),
        ));
    }
    if let Some(aud) = &object.aud
        && aud != SELF_ISSUED_AUDIENCE
    {
        return Err(invalid(format!(
            "the request object is addressed to `{aud}`, not to this wallet ({SELF_ISSUED_AUDIENCE})"
        )));
    }
    Ok(AuthenticatedRequest {
        client_id: link_client_id.to_owned(),
        attestation,
        object,
    })
}

#[cfg(test)]
mod tests {
    use idv_jose::SigningKey;
    use idv_jose::jws::{self, Header};
    use idv_proto::trust::entry::Organisation;
    use idv_proto::trust::verifier_attestation::{Confirmation, VerifierAttestationClaims};
    use idv_trust::attestation::issue_verifier_attestation;
    use serde_json::{Value, json};

    use super::*;

    const NOW: i64 = 1_800_000_000;
    const CLIENT_ID: &str = "verifier_attestation:employer.example";

    struct Fixture {
        anchor: SigningKey,
        rp: SigningKey,
    }

    impl Fixture {
        fn new() -> Self {
            Self {
                anchor: SigningKey::generate().unwrap(),
                rp: SigningKey::generate().unwrap(),
            }
        }

        fn anchors(&self) -> TrustAnchors {
            TrustAnchors::from_keys([self.anchor.public_key().clone()]).unwrap()
        }

        fn attestation(&self, signer: &SigningKey, sub: &str, exp: i64) -> String {
            let claims = VerifierAttestationClaims {
                iss: "https://trust.sim.ofdia.example".into(),
                sub: sub.into(),
                iat: exp - 7200,
                exp,
                cnf: Confirmation {
                    jwk: serde_json::to_value(self.rp.public_key().to_jwk()).unwrap(),
                },
                redirect_uris: None,
                rp_id: "rp-000001".into(),
                organisation: Organisation {
                    name: "Example Employer Ltd".into(),
                    company_number: None,
                },
                purposes: serde_json::from_value(
                    json!([{"code": "AGE", "claims": [["age_over_18"]]}]),
                )
                .unwrap(),
            };
            issue_verifier_attestation(&claims, signer).unwrap()
        }

        fn payload(&self) -> Value {
            json!({
                "client_id": CLIENT_ID,
                "response_type": "vp_token",
                "response_mode": "direct_post.jwt",
                "response_uri": "http://127.0.0.1:9/wallet/responses/r1",
                "nonce": "n-1",
                "state": "s-1",
                "aud": SELF_ISSUED_AUDIENCE,
                "iat": NOW - 10,
                "exp": NOW + 300,
                "dcql_query": {"credentials": [{"id": "age", "format": "dc+sd-jwt",
                    "meta": {"vct_values": ["urn:dvs:vct:uk-age:1"]},
                    "claims": [{"path": ["age_over_18"]}]}]}
            })
        }

        fn request(
            &self,
            typ: &str,
            attestation: &str,
            payload: &Value,
            key: &SigningKey,
        ) -> String {
            let header = Header::es256(typ).with(VERIFIER_ATTESTATION_HEADER, attestation);
            jws::sign_claims(&header, payload, key).unwrap()
        }

        fn good(&self) -> String {
            let attestation = self.attestation(&self.anchor, "employer.example", NOW + 3600);
            self.request(REQUEST_OBJECT_TYP, &attestation, &self.payload(), &self.rp)
        }
    }

    #[test]
    fn a_request_signed_under_a_pinned_attestation_is_authenticated() {
        let f = Fixture::new();
        let request = authenticate(&f.good(), CLIENT_ID, None, &f.anchors(), NOW).unwrap();
        assert_eq!(request.attestation.sub(), "employer.example");
        assert_eq!(request.object.nonce, "n-1");
    }

    #[test]
    fn a_bad_signature_is_refused_as_such() {
        let f = Fixture::new();
        let attestation = f.attestation(&f.anchor, "employer.example", NOW + 3600);
        let impostor = SigningKey::generate().unwrap();
        let forged = f.request(REQUEST_OBJECT_TYP, &attestation, &f.payload(), &impostor);
        assert!(matches!(
            authenticate(&forged, CLIENT_ID, None, &f.anchors(), NOW),
            Err(WalletError::BadRequestSignature { .. })
        ));
        // A valid signature over other content: one byte of the payload changed.
        let good = f.good();
        let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
        let mut payload = f.payload();
        payload["nonce"] = json!("n-2");
        parts[1] = idv_jose::base64url::encode(serde_json::to_vec(&payload).unwrap());
        assert!(matches!(
            authenticate(&parts.join("."), CLIENT_ID, None, &f.anchors(), NOW),
            Err(WalletError::BadRequestSignature { .. })
        ));
    }

    #[test]
    fn attestations_not_from_the_pinned_anchor_expired_missing_or_for_another_verifier_are_refused()
    {
        let f = Fixture::new();
        let rogue_anchor = SigningKey::generate().unwrap();
        let cases = [
            f.attestation(&rogue_anchor, "employer.example", NOW + 3600),
            f.attestation(&f.anchor, "employer.example", NOW - 3600),
            f.attestation(&f.anchor, "other.example", NOW + 3600),
        ];
        for attestation in cases {
            let request = f.request(REQUEST_OBJECT_TYP, &attestation, &f.payload(), &f.rp);
            let error = authenticate(&request, CLIENT_ID, None, &f.anchors(), NOW).unwrap_err();
            assert!(
                matches!(error, WalletError::UntrustedVerifier { .. }),
                "{error}"
            );
        }
        let header = Header::es256(REQUEST_OBJECT_TYP);
        let without = jws::sign_claims(&header, &f.payload(), &f.rp).unwrap();
        assert!(matches!(
            authenticate(&without, CLIENT_ID, None, &f.anchors(), NOW),
            Err(WalletError::UntrustedVerifier { .. })
        ));
    }

    #[test]
    fn other_client_identifier_prefixes_are_refused() {
        let f = Fixture::new();
        for client_id in [
            "x509_hash:Uvo3HtuIxuhC92rShpgqcT3YXwrqRxWEviRiA0OZszk",
            "redirect_uri:https://employer.example/cb",
            "employer.example",
            "verifier_attestation:",
        ] {
            assert!(
                matches!(
                    authenticate(&f.good(), client_id, None, &f.anchors(), NOW),
                    Err(WalletError::UnsupportedClientId { .. })
                ),
                "{client_id}"
            );
        }
    }

    #[test]
    fn request_object_rules_are_enforced() {
        let f = Fixture::new();
        let attestation = f.attestation(&f.anchor, "employer.example", NOW + 3600);
        let sign = |typ: &str, payload: &Value| f.request(typ, &attestation, payload, &f.rp);

        let untyped = sign("JWT", &f.payload());
        assert!(matches!(
            authenticate(&untyped, CLIENT_ID, None, &f.anchors(), NOW),
            Err(WalletError::InvalidRequest { .. })
        ));
        let mut other_client = f.payload();
        other_client["client_id"] = json!("verifier_attestation:shop.example");
        assert!(matches!(
            authenticate(
                &sign(REQUEST_OBJECT_TYP, &other_client),
                CLIENT_ID,
                None,
                &f.anchors(),
                NOW
            ),
            Err(WalletError::InvalidRequest { .. })
        ));
        assert!(matches!(
            authenticate(&f.good(), CLIENT_ID, None, &f.anchors(), NOW + 3000),
            Err(WalletError::RequestExpired { .. })
        ));
        assert!(matches!(
            authenticate(
                &f.good(),
                CLIENT_ID,
                Some("wallet-nonce"),
                &f.anchors(),
                NOW
            ),
            Err(WalletError::InvalidRequest { .. })
        ));
        let mut echoed = f.payload();
        echoed["wallet_nonce"] = json!("wallet-nonce");
        authenticate(
            &sign(REQUEST_OBJECT_TYP, &echoed),
            CLIENT_ID,
            Some("wallet-nonce"),
            &f.anchors(),
            NOW,
        )
        .unwrap();
        let mut elsewhere = f.payload();
        elsewhere["aud"] = json!("https://other-wallet.example");
        assert!(matches!(
            authenticate(
                &sign(REQUEST_OBJECT_TYP, &elsewhere),
                CLIENT_ID,
                None,
                &f.anchors(),
                NOW
            ),
            Err(WalletError::InvalidRequest { .. })
        ));
    }
}
