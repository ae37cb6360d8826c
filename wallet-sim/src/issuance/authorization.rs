//! The authorization request (OpenID4VCI 1.0 "Authorization Endpoint"; RFC 6749 §4.1.1): PKCE
//! with S256 (RFC 7636), a fresh `state`, the credentials named by `authorization_details`
//! (type `openid_credential`) or by their `scope`, and the offer's `issuer_state`. When the
//! authorization server has a pushed authorization request endpoint (RFC 9126), the request is
//! pushed there and the URL the browser opens carries only `client_id` and `request_uri`.

use idv_jose::Random;
use idv_proto::oid4vci::authorization_details::{AuthorizationDetail, OPENID_CREDENTIAL_TYPE};
use idv_proto::oid4vci::authorization_server_metadata::PushedAuthorizationResponse;
use idv_proto::oid4vci::issuer_metadata::CredentialIssuerMetadata;

use super::discovery::AuthorizationServer;
use crate::error::{InternalError, Party, WalletError};
use crate::http_client::{Http, JSON, parse_json, status_error};

/// A PKCE verifier and its S256 challenge (RFC 7636 §4.1, §4.2).
pub(crate) struct Pkce {
    /// The `code_verifier`: 32 random bytes, base64url (43 characters).
    pub(crate) verifier: String,
    /// `BASE64URL(SHA256(code_verifier))`.
    pub(crate) challenge: String,
}

impl Pkce {
    /// A fresh verifier from `random`.
    pub(crate) fn new(random: &dyn Random) -> Self {
        let verifier = idv_jose::random::token(random, 32);
        let challenge = idv_jose::pkce::s256_challenge(&verifier);
        Self {
            verifier,
            challenge,
        }
    }
}

/// The authorization request's parameters.
#[derive(Debug)]
pub(crate) struct AuthorizationRequest<'a> {
    /// The wallet's client identifier.
    pub(crate) client_id: &'a str,
    /// The loopback redirect URI.
    pub(crate) redirect_uri: &'a str,
    /// The `state` the response must carry back.
    pub(crate) state: &'a str,
    /// The PKCE S256 challenge.
    pub(crate) code_challenge: &'a str,
    /// `("authorization_details", JSON)` or `("scope", scopes)`.
    pub(crate) credentials: (&'static str, String),
    /// The offer's `issuer_state`.
    pub(crate) issuer_state: Option<&'a str>,
}

impl AuthorizationRequest<'_> {
    fn parameters(&self) -> Vec<(&str, &str)> {
        let mut fields = vec![
            ("response_type", "code"),
            ("client_id", self.client_id),
            ("redirect_uri", self.redirect_uri),
            ("state", self.state),
            ("code_challenge", self.code_challenge),
            ("code_challenge_method", "S256"),
            (self.credentials.0, self.credentials.1.as_str()),
        ];
        if let Some(issuer_state) = self.issuer_state {
            fields.push(("issuer_state", issuer_state));
        }
        fields
    }
}

/// How the authorization request names the credentials: `authorization_details` (one
/// `openid_credential` entry per configuration, with `locations` when the issuer uses a
/// separate authorization server) or, `by_scope`, the configurations' `scope` values.
pub(crate) fn credentials(
    metadata: &CredentialIssuerMetadata,
    ids: &[String],
    by_scope: bool,
) -> Result<(&'static str, String), WalletError> {
    if by_scope {
        let scopes = ids
            .iter()
            .map(|id| {
                metadata
                    .credential_configurations_supported
                    .get(id)
                    .and_then(|c| c.scope.as_deref())
                    .ok_or_else(|| {
                        WalletError::UnsupportedOffer(format!(
                            "`{id}` has no scope in the issuer's metadata: ask for it without \
                             choosing scopes"
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(("scope", scopes.join(" ")));
    }
    let separate_server = metadata
        .authorization_servers
        .as_ref()
        .is_some_and(|servers| !servers.is_empty());
    let details: Vec<AuthorizationDetail> = ids
        .iter()
        .map(|id| AuthorizationDetail {
            detail_type: OPENID_CREDENTIAL_TYPE.to_owned(),
            credential_configuration_id: id.clone(),
            locations: separate_server.then(|| vec![metadata.credential_issuer.clone()]),
            claims: None,
            credential_identifiers: None,
        })
        .collect();
    let json = serde_json::to_string(&details).map_err(|source| InternalError::Json {
        what: "the authorization details",
        source,
    })?;
    Ok(("authorization_details", json))
}

/// The URL the browser opens: the request pushed when the server can take it, otherwise in
/// the URL itself (refused when the server requires pushing but names no endpoint).
pub(crate) async fn authorization_url(
    http: &Http,
    server: &AuthorizationServer,
    request: &AuthorizationRequest<'_>,
) -> Result<String, WalletError> {
    let invalid = |reason: &str| WalletError::InvalidResponse {
        party: Party::AuthorizationServer,
        what: "authorization server metadata",
        reason: reason.to_owned(),
    };
    let endpoint = server
        .authorization_endpoint
        .as_deref()
        .ok_or_else(|| invalid("authorization_endpoint is missing"))?;
    let mut url = http.check_url(endpoint, Party::AuthorizationServer)?;
    let parameters = match &server.par_endpoint {
        Some(par_endpoint) => {
            let request_uri = push(http, par_endpoint, request).await?;
            vec![
                ("client_id", request.client_id.to_owned()),
                ("request_uri", request_uri),
            ]
        }
        None if server.requires_par => {
            return Err(invalid(
                "require_pushed_authorization_requests is true but there is no \
                 pushed_authorization_request_endpoint",
            ));
        }
        None => request
            .parameters()
            .into_iter()
            .map(|(name, value)| (name, value.to_owned()))
            .collect(),
    };
    url.query_pairs_mut().extend_pairs(parameters);
    Ok(url.into())
}

/// Pushes the request; returns its `request_uri`.
async fn push(
    http: &Http,
    par_endpoint: &str,
    request: &AuthorizationRequest<'_>,
) -> Result<String, WalletError> {
    let reply = http
        .post_form(
            par_endpoint,
            &request.parameters(),
            JSON,
            None,
            Party::AuthorizationServer,
        )
        .await?;
    if !reply.is_success() {
        return Err(match reply.oauth_error() {
            Some(remote) => WalletError::IssuerRefused {
                party: Party::AuthorizationServer,
                remote,
            },
            None => status_error(&reply, par_endpoint, Party::AuthorizationServer),
        });
    }
    let pushed: PushedAuthorizationResponse = parse_json(
        &reply.body,
        Party::AuthorizationServer,
        "pushed authorization response",
    )?;
    if pushed.request_uri.is_empty() {
        return Err(WalletError::InvalidResponse {
            party: Party::AuthorizationServer,
            what: "pushed authorization response",
            reason: "request_uri is empty".into(),
        });
    }
    Ok(pushed.request_uri)
}

#[cfg(test)]
mod tests {
    use idv_fetch::FetchPolicy;
    use idv_fetch::http::PlainHttp;
    use idv_jose::SystemRandom;
    use serde_json::json;

    use super::*;

    #[test]
    fn the_pkce_challenge_is_the_s256_of_the_verifier() {
        let pkce = Pkce::new(&SystemRandom);
        assert_eq!(pkce.verifier.len(), 43);
        assert_eq!(
            pkce.challenge,
            idv_jose::digest::sha256_b64(pkce.verifier.as_bytes())
        );
        assert_ne!(Pkce::new(&SystemRandom).verifier, pkce.verifier);
        // RFC 7636 Appendix B.
        assert_eq!(
            idv_jose::digest::sha256_b64(b"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    fn metadata(authorization_servers: serde_json::Value) -> CredentialIssuerMetadata {
        serde_json::from_value(json!({
            "credential_issuer": "https://idsp.example",
            "authorization_servers": authorization_servers,
            "credential_endpoint": "https://idsp.example/credential",
            "credential_configurations_supported": {
                "uk_age": {"format": "dc+sd-jwt", "vct": "urn:age", "scope": "uk_age"},
                "uk_identity": {"format": "dc+sd-jwt", "vct": "urn:identity"}
            }
        }))
        .unwrap()
    }

    #[test]
    fn credentials_are_named_by_authorization_details_or_scope() {
        let ids = ["uk_age".to_owned(), "uk_identity".to_owned()];
        let (name, json) = credentials(&metadata(json!(null)), &ids, false).unwrap();
        assert_eq!(name, "authorization_details");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&json).unwrap(),
            json!([
                {"type": "openid_credential", "credential_configuration_id": "uk_age"},
                {"type": "openid_credential", "credential_configuration_id": "uk_identity"}
            ])
        );
        // With a separate authorization server, `locations` names the issuer.
        let (_, json) =
            credentials(&metadata(json!(["https://as.example"])), &ids[..1], false).unwrap();
        assert!(
            json.contains(r#""locations":["https://idsp.example"]"#),
            "{json}"
        );

        assert_eq!(
            credentials(&metadata(json!(null)), &ids[..1], true).unwrap(),
            ("scope", "uk_age".to_owned())
        );
        assert!(matches!(
            credentials(&metadata(json!(null)), &ids, true),
            Err(WalletError::UnsupportedOffer(_))
        ));
    }

    fn server(par: bool, requires_par: bool) -> AuthorizationServer {
        AuthorizationServer {
            issuer: "https://idsp.example".into(),
            token_endpoint: "https://idsp.example/token".into(),
            authorization_endpoint: Some("https://idsp.example/authorize?tenant=1".into()),
            par_endpoint: par.then(|| "https://idsp.example/par".into()),
            requires_par,
            sends_iss: true,
        }
    }

    #[tokio::test]
    async fn without_a_par_endpoint_the_request_travels_in_the_url_unless_par_is_required() {
        let http = Http::new(FetchPolicy {
            max_bytes: 4096,
            timeout: std::time::Duration::from_secs(1),
            plain_http: PlainHttp::Loopback,
        })
        .unwrap();
        let request = AuthorizationRequest {
            client_id: "wallet-sim",
            redirect_uri: "http://127.0.0.1:5/callback",
            state: "s-1",
            code_challenge: "ch",
            credentials: ("scope", "uk_age".into()),
            issuer_state: Some("is-1"),
        };
        let url = authorization_url(&http, &server(false, false), &request)
            .await
            .unwrap();
        assert_eq!(
            url,
            "https://idsp.example/authorize?tenant=1&response_type=code&client_id=wallet-sim\
             &redirect_uri=http%3A%2F%2F127.0.0.1%3A5%2Fcallback&state=s-1&code_challenge=ch\
             &code_challenge_method=S256&scope=uk_age&issuer_state=is-1"
        );
        assert!(matches!(
            authorization_url(&http, &server(false, true), &request).await,
            Err(WalletError::InvalidResponse { .. })
        ));
        // Plain http only to loopback (by default), and only web URLs.
        for (endpoint, allowed) in [
            ("http://idsp.example/authorize", false),
            ("javascript:alert(1)", false),
            ("https://user:pw@idsp.example/authorize", false),
            ("http://127.0.0.1:8080/authorize", true),
            ("http://localhost:8080/authorize", true),
        ] {
            let mut other = server(false, false);
            other.authorization_endpoint = Some(endpoint.into());
            let url = authorization_url(&http, &other, &request).await;
            assert_eq!(url.is_ok(), allowed, "{endpoint}: {url:?}");
        }
    }
}
