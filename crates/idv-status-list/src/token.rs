//! Issuer side: signing a Status List Token (draft-ietf-oauth-status-list-20, "Status List Token
//! in JWT Format"), served at its `sub` URI as `application/statuslist+jwt`.

use idv_jose::SigningKey;
use idv_jose::jws::{Header, sign_claims};
use idv_proto::status_list::{STATUS_LIST_TOKEN_TYP, StatusListTokenClaims};

use crate::codec::{StatusBits, StatusListBuf};
use crate::error::StatusListError;

/// The claims of a Status List Token for `list`, published at `sub`, issued at `iat`.
///
/// Draft-20 RECOMMENDS both `exp` and `ttl`; relying parties clamp `ttl` to their own bounds.
pub fn token_claims(
    sub: impl Into<String>,
    iat: i64,
    exp: Option<i64>,
    ttl: Option<u64>,
    list: &StatusListBuf,
) -> StatusListTokenClaims {
    StatusListTokenClaims {
        sub: sub.into(),
        iat,
        exp,
        ttl,
        status_list: list.to_status_list(None),
    }
}

/// Signs `claims` as a compact JWS with header `{"alg":"ES256","typ":"statuslist+jwt","kid":…}`.
///
/// `kid` defaults to the key's RFC 7638 thumbprint. `x5c` (base64 DER, leaf first, no trust
/// anchor) is added when given, as HAIP requires for Status List Tokens.
///
/// Refuses to sign what a conforming relying party must reject: an empty `sub`, `bits` other than
/// 1, 2, 4 or 8, a zero `ttl`, or an `exp` not after `iat`.
pub fn issue_token(
    claims: &StatusListTokenClaims,
    key: &SigningKey,
    kid: Option<&str>,
    x5c: Option<&[String]>,
) -> Result<String, StatusListError> {
    if claims.sub.is_empty() {
        return Err(StatusListError::InvalidClaim {
            claim: "sub",
            reason: "must be the non-empty URI of the token".into(),
        });
    }
    StatusBits::try_from(claims.status_list.bits)?;
    if claims.ttl == Some(0) {
        return Err(StatusListError::TtlOutOfBounds { ttl: 0 });
    }
    if let Some(exp) = claims.exp
        && exp <= claims.iat
    {
        return Err(StatusListError::InvalidClaim {
            claim: "exp",
            reason: format!("{exp} is not after iat {}", claims.iat),
        });
    }
    let mut header = Header::es256(STATUS_LIST_TOKEN_TYP)
        .with("kid", kid.map_or_else(|| key.kid(), str::to_owned));
    if let Some(x5c) = x5c {
        header = header.with("x5c", x5c.to_vec());
    }
    Ok(sign_claims(&header, claims, key)?)
}

#[cfg(test)]
mod tests {
    use idv_jose::jws::UnverifiedJws;
    use serde_json::{Value, json};

    use super::*;

    fn sample_claims() -> StatusListTokenClaims {
        let mut list = StatusListBuf::new(StatusBits::One, 16).unwrap();
        list.set(0, crate::Status::Invalid).unwrap();
        token_claims(
            "https://example.com/statuslists/1",
            1_686_920_170,
            Some(2_291_720_170),
            Some(43_200),
            &list,
        )
    }

    #[test]
    fn token_has_the_draft_header_and_claims() {
        let key = SigningKey::generate().unwrap();
        let token = issue_token(&sample_claims(), &key, None, None).unwrap();
        let jws = UnverifiedJws::parse(&token).unwrap();
        assert_eq!(
            Value::Object(jws.header().as_map().clone()),
            json!({"alg": "ES256", "typ": "statuslist+jwt", "kid": key.kid()})
        );
        let verified = jws.verify(key.public_key(), &["statuslist+jwt"]).unwrap();
        let claims: StatusListTokenClaims = verified.claims().unwrap();
        assert_eq!(claims, sample_claims());
    }

    #[test]
    fn explicit_kid_and_x5c_go_in_the_header() {
        let key = SigningKey::generate().unwrap();
        let chain = vec!["MIIB".to_owned()];
        let token = issue_token(&sample_claims(), &key, Some("12"), Some(&chain)).unwrap();
        let jws = UnverifiedJws::parse(&token).unwrap();
        assert_eq!(jws.header().kid(), Some("12"));
        assert_eq!(jws.header().get("x5c"), Some(&json!(["MIIB"])));
    }

    #[test]
    fn tokens_a_relying_party_must_reject_are_not_signed() {
        let key = SigningKey::generate().unwrap();
        let mut empty_sub = sample_claims();
        empty_sub.sub.clear();
        let mut three_bits = sample_claims();
        three_bits.status_list.bits = 3;
        let mut zero_ttl = sample_claims();
        zero_ttl.ttl = Some(0);
        let mut backwards = sample_claims();
        backwards.exp = Some(backwards.iat);

        assert!(matches!(
            issue_token(&empty_sub, &key, None, None),
            Err(StatusListError::InvalidClaim { claim: "sub", .. })
        ));
        assert_eq!(
            issue_token(&three_bits, &key, None, None),
            Err(StatusListError::UnsupportedBits { bits: 3 })
        );
        assert_eq!(
            issue_token(&zero_ttl, &key, None, None),
            Err(StatusListError::TtlOutOfBounds { ttl: 0 })
        );
        assert!(matches!(
            issue_token(&backwards, &key, None, None),
            Err(StatusListError::InvalidClaim { claim: "exp", .. })
        ));
    }
}
