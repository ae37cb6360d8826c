//! The stored form of bearer secrets: API keys, operator tokens, codes, access tokens, nonces
//! and handles are kept and looked up as base64url(SHA-256(secret)), never as themselves, so a
//! copy of the database authenticates no one.

/// base64url(SHA-256(`secret`)): what a service stores of a bearer secret and looks it up by.
pub fn hash_secret(secret: &str) -> String {
    idv_jose::digest::sha256_b64(secret.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_hash_to_sha256_base64url() {
        // SHA-256("abc"), RFC 6234 test vector, base64url.
        assert_eq!(
            hash_secret("abc"),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
        assert_ne!(hash_secret("abc"), hash_secret("abd"));
    }
}
