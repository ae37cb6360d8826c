//! `POST /oidc/token` (OpenID Connect Core 1.0 §3.1.3; RFC 6749 §4.1.3, §5; RFC 7636 §4.6) and
//! `GET|POST /oidc/userinfo` (Core §5.3).
//!
//! The client authenticates with `client_secret_basic` (RFC 6749 §2.3.1: both parts
//! form-encoded, then Basic) or `client_secret_post`, not both. The code must be unexpired,
//! unused and the client's; `redirect_uri` must be the authorization request's, and
//! base64url(SHA-256(`code_verifier`)) its `code_challenge`; its check must still sign the
//! person in (a check erased since the code was issued does not). The first attempt spends the
//! code, successful or not (RFC 6749 §4.1.2: a code is used once): a wrong PKCE verifier or
//! `redirect_uri` leaves nothing to retry with. A code presented a second time is refused and
//! the access token issued from it revoked.
//!
//! The ID token: `{"alg":"ES256","typ":"JWT","kid":…}` signed with the verifier's `id_token`
//! key; claims `iss`, `sub`, `aud` (the client id), `iat`, `exp`, `auth_time`, `nonce` (when
//! the request had one), `at_hash`, then the sign-in claims ([`super::claims`]).

use base64::Engine as _;
use idv_jose::jws::{self, Header};
use idv_service_kit::Secret;
use serde::Serialize;
use serde_json::{Map, Value};

use super::OpenIdProvider;
use super::params::Params;
use super::{ACCESS_TOKEN_LIFETIME_SECS, ID_TOKEN_LIFETIME_SECS, OidcError, hash_secret};

/// Random bytes of an access token (256 bits).
const ACCESS_TOKEN_BYTES: usize = 32;
/// The ID token's `typ`.
const ID_TOKEN_TYP: &str = "JWT";

/// The successful token response (RFC 6749 §5.1; Core §3.1.3.3).
#[derive(Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    /// Opaque; for the userinfo endpoint.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: &'static str,
    /// Seconds the access token is valid.
    pub expires_in: i64,
    /// The signed ID token: a JWT, `{"alg":"ES256","typ":"JWT","kid":…}`, its key in
    /// `/.well-known/jwks.json`. Claims: `iss`, `sub`, `aud`, `iat`, `exp`, `auth_time`,
    /// `nonce`, `at_hash` and those of `SignInClaims`.
    pub id_token: String,
    /// The granted scope (`openid <template>`).
    pub scope: String,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl OpenIdProvider {
    /// A token request: the `Authorization` header (if any) and the form body.
    pub async fn exchange_token(
        &self,
        authorization: Option<&str>,
        body: &str,
    ) -> Result<TokenResponse, OidcError> {
        let params = Params::parse(body);
        if let Some(name) = params.first_repeated() {
            return Err(OidcError::InvalidRequest(format!(
                "the parameter {name} must be sent once"
            )));
        }
        let (client_id, client_secret, basic) = client_credentials(authorization, &params)?;
        let client = self
            .authenticate_client(&client_id, client_secret.expose(), basic)
            .await?;
        match params.get("grant_type") {
            Some("authorization_code") => {}
            Some(_) => return Err(OidcError::UnsupportedGrantType),
            None => return Err(OidcError::InvalidRequest("grant_type is required".into())),
        }
        let required = |name: &str| {
            params
                .get(name)
                .ok_or_else(|| OidcError::InvalidRequest(format!("{name} is required")))
        };
        let code = required("code")?;
        let redirect_uri = required("redirect_uri")?;
        let code_verifier = required("code_verifier")?;

        let code_hash = hash_secret(code);
        let now = self.clock.now();
        let session =
            self.store
                .oidc_session_by_code(&code_hash)
                .await?
                .ok_or(OidcError::InvalidGrant(
                    "the code is unknown or has expired",
                ))?;
        let check_id = session.check_id.clone().unwrap_or_default();
        if session.code_used_at.is_some() {
            return Err(self.replayed(&code_hash, &check_id, now).await);
        }
        let refusal = if session.client_id != client.client_id {
            Some("the code was issued to another client")
        } else if session.code_expires_at.is_none_or(|exp| exp <= now) {
            Some("the code is unknown or has expired")
        } else if session.redirect_uri != redirect_uri {
            Some("redirect_uri is not the authorization request's")
        } else if !idv_jose::pkce::verifies(code_verifier, &session.code_challenge) {
            Some("the code_verifier does not match the code_challenge")
        } else {
            None
        };
        if let Some(why) = refusal {
            // A code is used once (RFC 6749 §4.1.2): a failed attempt spends it too, so a
            // stolen code cannot be tried against verifiers until one fits.
            self.store.spend_oidc_code(&code_hash, now).await?;
            return Err(OidcError::InvalidGrant(why));
        }

        let sign_in = self.sign_in_claims(&session).await?;
        if !sign_in.signs_in {
            // Codes are issued only for checks that sign in; this one was erased since.
            self.store.spend_oidc_code(&code_hash, now).await?;
            return Err(OidcError::InvalidGrant("the code's check no longer stands"));
        }
        let access_token = idv_jose::random::token(self.random.as_ref(), ACCESS_TOKEN_BYTES);
        if !self
            .store
            .redeem_oidc_code(
                &code_hash,
                now,
                &hash_secret(&access_token),
                now + ACCESS_TOKEN_LIFETIME_SECS,
            )
            .await?
        {
            // Redeemed by a concurrent request meanwhile: a replay all the same.
            return Err(self.replayed(&code_hash, &check_id, now).await);
        }

        let mut claims = Map::new();
        claims.insert("iss".into(), self.settings.public_url.clone().into());
        claims.insert("sub".into(), sign_in.sub.into());
        claims.insert("aud".into(), client.client_id.clone().into());
        claims.insert("iat".into(), now.into());
        claims.insert("exp".into(), (now + ID_TOKEN_LIFETIME_SECS).into());
        claims.insert("auth_time".into(), sign_in.auth_time.into());
        if let Some(nonce) = &session.nonce {
            claims.insert("nonce".into(), nonce.clone().into());
        }
        claims.insert("at_hash".into(), at_hash(&access_token).into());
        claims.extend(sign_in.claims);
        let header = Header::es256(ID_TOKEN_TYP).with("kid", self.keys.id_token_key().kid());
        let id_token = jws::sign_claims(&header, &Value::Object(claims), self.keys.id_token_key())
            .map_err(OidcError::Signing)?;
        tracing::info!(
            oidc.client_id = %client.client_id, check.id = %check_id,
            "tokens issued"
        );
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: ACCESS_TOKEN_LIFETIME_SECS,
            id_token,
            scope: session.scope,
        })
    }

    /// The userinfo response of an access token: `sub` and the sign-in claims.
    pub async fn userinfo(&self, access_token: &Secret) -> Result<Map<String, Value>, OidcError> {
        let session = self
            .store
            .oidc_session_by_access_token(&hash_secret(access_token.expose()))
            .await?
            .ok_or(OidcError::InvalidToken)?;
        let now = self.clock.now();
        if session.access_token_revoked_at.is_some()
            || session.access_token_expires_at.is_none_or(|exp| exp <= now)
            || self.registered_client(&session.client_id).await?.is_none()
        {
            return Err(OidcError::InvalidToken);
        }
        let sign_in = self.sign_in_claims(&session).await?;
        let mut claims = Map::new();
        claims.insert("sub".into(), sign_in.sub.into());
        claims.extend(sign_in.claims);
        Ok(claims)
    }

    /// A code presented again: the access token issued from it is revoked.
    async fn replayed(&self, code_hash: &str, check_id: &str, now: i64) -> OidcError {
        match self.store.revoke_oidc_access_token(code_hash, now).await {
            Ok(true) => tracing::warn!(
                check.id = %check_id,
                "authorization code presented again: its access token is revoked"
            ),
            Ok(false) => {}
            Err(error) => return error.into(),
        }
        OidcError::InvalidGrant("the code was already used")
    }
}

/// The client's id and secret, from HTTP Basic or the body (not both), and whether Basic was
/// used.
fn client_credentials(
    authorization: Option<&str>,
    params: &Params,
) -> Result<(String, Secret, bool), OidcError> {
    let basic = authorization.and_then(|value| {
        let (scheme, credentials) = value.trim().split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("basic")
            .then(|| credentials.trim())
    });
    match (basic, params.get("client_secret")) {
        (Some(_), Some(_)) => Err(OidcError::InvalidRequest(
            "use one client authentication method, not both".into(),
        )),
        (Some(credentials), None) => {
            let invalid = || OidcError::InvalidClient { basic: true };
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(credentials)
                .map_err(|_| invalid())?;
            let decoded = String::from_utf8(decoded).map_err(|_| invalid())?;
            let (id, secret) = decoded.split_once(':').ok_or_else(invalid)?;
            let id = form_decode(id);
            if params.get("client_id").is_some_and(|body_id| body_id != id) {
                return Err(OidcError::InvalidRequest(
                    "client_id differs from the authenticated client".into(),
                ));
            }
            Ok((id, Secret::new(form_decode(secret)), true))
        }
        (None, Some(secret)) => {
            let id = params
                .get("client_id")
                .ok_or(OidcError::InvalidClient { basic: false })?;
            Ok((id.to_owned(), Secret::new(secret), false))
        }
        (None, None) => Err(OidcError::InvalidClient { basic: false }),
    }
}

/// `application/x-www-form-urlencoded` decoding of one value (RFC 6749 §2.3.1).
fn form_decode(value: &str) -> String {
    url::form_urlencoded::parse(format!("v={value}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// `at_hash`: base64url of the left half of SHA-256 of the access token (Core §3.1.3.6).
fn at_hash(access_token: &str) -> String {
    let digest = idv_jose::digest::sha256(access_token.as_bytes());
    idv_jose::base64url::encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let header = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("oc_a%2Bb:s%3Ac+d")
        );
        let (id, secret, basic) = client_credentials(Some(&header), &Params::default()).unwrap();
        assert_eq!(
            (id.as_str(), secret.expose(), basic),
            ("oc_a+b", "s:c d", true)
        );
    }

    #[test]
    fn two_authentication_methods_or_none_are_refused() {
        let header = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("a:b")
        );
        let both = Params::parse("client_id=a&client_secret=b");
        assert!(matches!(
            client_credentials(Some(&header), &both),
            Err(OidcError::InvalidRequest(_))
        ));
        assert!(matches!(
            client_credentials(None, &Params::parse("client_id=a")),
            Err(OidcError::InvalidClient { basic: false })
        ));
        assert!(matches!(
            client_credentials(Some("Basic !!!"), &Params::default()),
            Err(OidcError::InvalidClient { basic: true })
        ));
    }

    #[test]
    fn at_hash_is_the_left_half_of_sha256() {
        // OpenID Connect Core's example is RS256 (also SHA-256): access token
        // "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y" has at_hash "77QmUPtjPfzWtF2AnpK9RQ".
        assert_eq!(
            at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
