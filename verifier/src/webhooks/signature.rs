//! Standard Webhooks signatures (<https://www.standardwebhooks.com>, "Signature scheme"):
//! `v1,` + base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")), where the key
//! is the base64-decoded part of the `whsec_…` secret.
//!
//! HMAC comes straight from aws-lc-rs (the workspace's one crypto backend): `idv-jose` holds
//! the federation's JOSE primitives, and a webhook MAC is not one of them.

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::tenants::WEBHOOK_SECRET_PREFIX;

/// Header carrying the event id.
pub const WEBHOOK_ID: &str = "webhook-id";
/// Header carrying the attempt's Unix time.
pub const WEBHOOK_TIMESTAMP: &str = "webhook-timestamp";
/// Header carrying the signature(s), space-separated.
pub const WEBHOOK_SIGNATURE: &str = "webhook-signature";

/// The secret is not `whsec_<base64>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the webhook secret is not whsec_<base64>")]
pub struct MalformedSecret;

/// The `webhook-signature` value of a message.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, MalformedSecret> {
    let key = key(secret)?;
    let tag = hmac::sign(&key, format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!("v1,{}", STANDARD.encode(tag.as_ref())))
}

/// Whether any `v1` signature in a `webhook-signature` header value is valid (what a receiver
/// does; constant-time comparison).
pub fn verify(
    secret: &str,
    id: &str,
    timestamp: i64,
    body: &str,
    header: &str,
) -> Result<bool, MalformedSecret> {
    let key = key(secret)?;
    let message = format!("{id}.{timestamp}.{body}");
    Ok(header.split(' ').any(|candidate| {
        candidate
            .strip_prefix("v1,")
            .and_then(|b64| STANDARD.decode(b64).ok())
            .is_some_and(|tag| hmac::verify(&key, message.as_bytes(), &tag).is_ok())
    }))
}

fn key(secret: &str) -> Result<hmac::Key, MalformedSecret> {
    let encoded = secret
        .strip_prefix(WEBHOOK_SECRET_PREFIX)
        .ok_or(MalformedSecret)?;
    let bytes = STANDARD.decode(encoded).map_err(|_| MalformedSecret)?;
    Ok(hmac::Key::new(hmac::HMAC_SHA256, &bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_webhooks_reference_vector() {
        // From the Standard Webhooks reference libraries' test suite.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let timestamp = 1_614_265_330;
        let body = r#"{"test": 2432232314}"#;
        let signature = sign(secret, id, timestamp, body).unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(verify(secret, id, timestamp, body, &format!("v1,bad {signature}")).unwrap());
        assert!(!verify(secret, id, timestamp + 1, body, &signature).unwrap());
    }

    #[test]
    fn secrets_must_be_prefixed_base64() {
        assert_eq!(sign("MfKQ9r8G", "i", 1, "b"), Err(MalformedSecret));
        assert_eq!(sign("whsec_%%%", "i", 1, "b"), Err(MalformedSecret));
    }
}
