//! Which key an issued credential must verify with (RFC 9901 §7.2: the holder checks the
//! issuer's signature on receipt; SD-JWT VC "Issuer Verification Key Discovery").
//!
//! In order, and the first that applies decides (an issuer cannot pick a weaker method once
//! a stronger one applies):
//! 1. the trust list: when an entry lists the credential's `iss`, the key must be one of that
//!    entry's keys (by `kid`), or the credential is refused;
//! 2. an `x5c` header: the leaf certificate's key (chain not validated: such an issuer is
//!    shown as not on the trust list);
//! 3. JWT VC Issuer Metadata at `/.well-known/jwt-vc-issuer[/path]` of an `http(s)` `iss`,
//!    whose `issuer` must equal `iss` (inline `jwks` or `jwks_uri`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use idv_jose::{JwkSet, PublicKey};
use idv_sdjwt::verify::UnverifiedSdJwt;
use idv_trust::evaluate::find_issuer_key;
use idv_trust::list::VerifiedTrustList;
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Party, WalletError};
use crate::http_client::Http;
use crate::{well_known, x509};

/// Where an issuer key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// The entry of the credential's `iss` on the trust list.
    TrustList,
    /// The leaf certificate of the `x5c` header.
    X5c,
    /// The issuer's JWT VC Issuer Metadata.
    JwtVcIssuerMetadata,
}

impl KeySource {
    /// The stored and displayed name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TrustList => "trust_list",
            Self::X5c => "x5c",
            Self::JwtVcIssuerMetadata => "jwt_vc_issuer_metadata",
        }
    }
}

/// `/.well-known/jwt-vc-issuer` (SD-JWT VC "JWT VC Issuer Metadata").
#[derive(Debug, Deserialize)]
struct JwtVcIssuerMetadata {
    issuer: String,
    #[serde(default)]
    jwks: Option<JwkSet>,
    #[serde(default)]
    jwks_uri: Option<String>,
}

/// The key to verify `credential` with, and where it came from.
pub async fn resolve(
    credential: &str,
    list: Option<&VerifiedTrustList>,
    http: &Http,
) -> Result<(PublicKey, KeySource), WalletError> {
    let rejected = |why: String| WalletError::CredentialRejected(why);
    let unverified = UnverifiedSdJwt::parse(credential).map_err(|e| rejected(e.to_string()))?;
    let kid = unverified.header().kid().map(str::to_owned);
    let x5c = unverified.header().get("x5c").cloned();
    let iss = unverified
        .insecure_claims()
        .get("iss")
        .and_then(Value::as_str)
        .map(str::to_owned);

    if let (Some(list), Some(iss)) = (list, iss.as_deref())
        && list.entry_for_issuer(iss).is_some()
    {
        let key = find_issuer_key(list, iss, kid.as_deref()).map_err(|e| {
            rejected(format!(
                "`{iss}` is on the trust list, but the credential is not signed with a key \
                 registered for it ({e})"
            ))
        })?;
        return Ok((key.clone(), KeySource::TrustList));
    }
    if let Some(x5c) = x5c {
        return leaf_key(&x5c)
            .map(|key| (key, KeySource::X5c))
            .map_err(rejected);
    }
    match iss.as_deref() {
        Some(iss) if iss.starts_with("https://") || iss.starts_with("http://") => {
            let key = metadata_key(iss, kid.as_deref(), http).await?;
            Ok((key, KeySource::JwtVcIssuerMetadata))
        }
        _ => Err(rejected(
            "the issuer's key cannot be found: the credential has no x5c header and no http(s) \
             `iss`, and its issuer is not on the trust list"
                .into(),
        )),
    }
}

fn leaf_key(x5c: &Value) -> Result<PublicKey, String> {
    let leaf = x5c
        .as_array()
        .and_then(|chain| chain.first())
        .and_then(Value::as_str)
        .ok_or("the x5c header is not an array of certificates")?;
    let der = STANDARD
        .decode(leaf)
        .map_err(|_| "the x5c leaf certificate is not base64")?;
    x509::certificate_public_key(&der).map_err(|e| format!("x5c leaf certificate: {e}"))
}

async fn metadata_key(iss: &str, kid: Option<&str>, http: &Http) -> Result<PublicKey, WalletError> {
    let invalid = |reason: String| WalletError::InvalidResponse {
        party: Party::Issuer,
        what: "JWT VC Issuer Metadata",
        reason,
    };
    let url = well_known::insert(iss, well_known::JWT_VC_ISSUER).map_err(invalid)?;
    let metadata: JwtVcIssuerMetadata = http
        .get_json(&url, Party::Issuer, "JWT VC Issuer Metadata")
        .await?;
    if metadata.issuer != iss {
        return Err(invalid(format!(
            "`issuer` is `{}`, not the credential's `iss` `{iss}`",
            metadata.issuer
        )));
    }
    let jwks = match (metadata.jwks, metadata.jwks_uri) {
        (Some(jwks), None) => jwks,
        (None, Some(uri)) => http.get_json(&uri, Party::Issuer, "JWK Set").await?,
        _ => {
            return Err(invalid(
                "exactly one of jwks and jwks_uri must be present".into(),
            ));
        }
    };
    let usable: Vec<(Option<&str>, PublicKey)> = jwks
        .keys
        .iter()
        .filter_map(|jwk| Some((jwk.kid.as_deref(), PublicKey::from_jwk(jwk).ok()?)))
        .collect();
    let found = match kid {
        Some(kid) => usable
            .iter()
            .find(|(declared, key)| *declared == Some(kid) || key.thumbprint() == kid),
        None if usable.len() == 1 => usable.first(),
        None => None,
    };
    found.map(|(_, key)| key.clone()).ok_or_else(|| {
        WalletError::CredentialRejected(format!(
            "the issuer's metadata has no P-256 key {}",
            kid.map_or("(and the credential names none)".to_owned(), |k| format!(
                "`{k}`"
            ))
        ))
    })
}

#[cfg(test)]
mod tests {
    use idv_fetch::FetchPolicy;
    use idv_jose::jws::{self, Header};
    use idv_jose::{Jwk, SigningKey, base64url};
    use idv_sdjwt::holder::HeldSdJwt;
    use serde_json::json;

    use super::*;

    /// The private scalar of the certificate in `x509::tests`.
    const CERTIFICATE_KEY_D: [u8; 32] = [
        0x34, 0x94, 0xa8, 0x94, 0x5f, 0xae, 0x99, 0xbc, 0x09, 0x41, 0x15, 0x0e, 0x3e, 0x7f, 0xb2,
        0xb5, 0x08, 0x9a, 0x72, 0xa7, 0x6c, 0x9c, 0x5a, 0x35, 0x17, 0xd3, 0xa2, 0x86, 0xf5, 0x44,
        0x19, 0x7a,
    ];

    #[tokio::test]
    async fn a_credential_with_an_x5c_header_verifies_with_the_leaf_key() {
        let der = STANDARD.decode(x509::tests::CERTIFICATE).unwrap();
        let public = x509::certificate_public_key(&der).unwrap();
        let key = SigningKey::from_jwk(&Jwk {
            d: Some(base64url::encode(CERTIFICATE_KEY_D)),
            ..public.to_jwk()
        })
        .unwrap();
        let header = Header::es256("dc+sd-jwt").with("x5c", json!([x509::tests::CERTIFICATE]));
        let holder = SigningKey::generate().unwrap();
        let claims = json!({
            "iss": "https://issuer.example", "vct": "urn:example:age", "age_over_18": true,
            "cnf": {"jwk": holder.public_key().to_jwk()}
        });
        let credential = format!("{}~", jws::sign_claims(&header, &claims, &key).unwrap());
        let http = Http::new(FetchPolicy::default()).unwrap();
        let (resolved, source) = resolve(&credential, None, &http).await.unwrap();
        assert_eq!(source, KeySource::X5c);
        HeldSdJwt::receive(&credential, &resolved, &["dc+sd-jwt"], 0).unwrap();
    }

    #[tokio::test]
    async fn a_credential_without_a_key_discovery_method_is_rejected() {
        let key = SigningKey::generate().unwrap();
        let claims = json!({"iss": "did:example:123", "vct": "urn:example:age"});
        let credential = format!(
            "{}~",
            jws::sign_claims(&Header::es256("dc+sd-jwt"), &claims, &key).unwrap()
        );
        let http = Http::new(FetchPolicy::default()).unwrap();
        assert!(matches!(
            resolve(&credential, None, &http).await,
            Err(WalletError::CredentialRejected(_))
        ));
    }
}
