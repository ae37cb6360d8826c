//! The claims of a sign-in, shared by the ID token and the userinfo response: `sub` (the check
//! id), `dvs_check` (the check as the tenant API shows it, without its claims) and the check's
//! disclosed claims as top-level claims (see the module doc of [`crate::oidc`]).

use serde_json::{Map, Value};

use super::OidcError;
use super::OpenIdProvider;
use super::handoff::signs_in;
use crate::checks::released_view;
use crate::store::oidc::OidcSessionRow;

/// The object carrying the check's outcome.
pub const DVS_CHECK_CLAIM: &str = "dvs_check";

/// Claims the protocol defines: a disclosed claim never takes their place.
const PROTOCOL_CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nbf",
    "jti",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "at_hash",
    "c_hash",
    "sid",
    DVS_CHECK_CLAIM,
];

/// `dvs_check` members the check view has but a sign-in does not need: the claims are
/// top-level, the reference is the bridge's own, the rest concern waiting checks.
const NOT_IN_DVS_CHECK: &[&str] = &[
    "claims",
    "reference",
    "wallet_url",
    "response_code_required",
];

/// What a session's tokens say.
#[derive(Clone, PartialEq)]
pub struct SignInClaims {
    /// The check id: one check, never a person.
    pub sub: String,
    /// When the wallet presented (the person authenticated), else when the check ended.
    pub auth_time: i64,
    /// `dvs_check` and the disclosed claims.
    pub claims: Map<String, Value>,
    /// Whether the check, as stored now, signs the person in ([`super::handoff::signs_in`]):
    /// false once it is erased.
    pub signs_in: bool,
}

impl std::fmt::Debug for SignInClaims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInClaims")
            .field("sub", &self.sub)
            .finish_non_exhaustive()
    }
}

impl OpenIdProvider {
    /// The claims of a session's check, as stored now.
    pub(crate) async fn sign_in_claims(
        &self,
        session: &OidcSessionRow,
    ) -> Result<SignInClaims, OidcError> {
        let corrupt = OidcError::Corrupt {
            what: "session check",
        };
        let Some(check_id) = &session.check_id else {
            return Err(corrupt);
        };
        let check = self
            .store
            .load_check(&session.tenant_id, check_id)
            .await?
            .ok_or(corrupt)?;
        let view = released_view(&check, &self.settings.public_url)?;
        let signs_in = view.outcome.is_some_and(signs_in);
        let Value::Object(mut dvs_check) =
            serde_json::to_value(&view).map_err(OidcError::Encode)?
        else {
            return Err(OidcError::Corrupt { what: "check" });
        };
        let disclosed = dvs_check.remove("claims");
        dvs_check.retain(|name, _| !NOT_IN_DVS_CHECK.contains(&name.as_str()));
        let mut claims = Map::new();
        claims.insert(DVS_CHECK_CLAIM.into(), Value::Object(dvs_check));
        if let Some(Value::Object(disclosed)) = disclosed {
            for (name, value) in disclosed {
                if !PROTOCOL_CLAIMS.contains(&name.as_str()) {
                    claims.insert(name, value);
                }
            }
        }
        Ok(SignInClaims {
            sub: check.check_id.clone(),
            auth_time: check
                .presented_at
                .or(check.finished_at)
                .unwrap_or(session.created_at),
            claims,
            signs_in,
        })
    }
}
