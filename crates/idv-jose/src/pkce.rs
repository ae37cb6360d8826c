//! PKCE with the S256 method (RFC 7636): the syntax of a `code_verifier` and a
//! `code_challenge`, the challenge of a verifier, and the check a token endpoint makes.

use crate::digest::{constant_time_eq, sha256_b64};

/// Whether `verifier` has RFC 7636 §4.1's syntax: 43 to 128 characters of
/// `[A-Za-z0-9-._~]`.
pub fn is_code_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Whether `challenge` can be an S256 `code_challenge`: a base64url SHA-256 digest, 43
/// characters without padding (RFC 7636 §4.2).
pub fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The S256 `code_challenge` of `verifier`: `BASE64URL(SHA256(code_verifier))`.
pub fn s256_challenge(verifier: &str) -> String {
    sha256_b64(verifier.as_bytes())
}

/// Whether `verifier` is a well-formed verifier whose S256 challenge is `challenge`
/// (RFC 7636 §4.6), compared in constant time.
pub fn verifies(verifier: &str, challenge: &str) -> bool {
    is_code_verifier(verifier)
        && constant_time_eq(s256_challenge(verifier).as_bytes(), challenge.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn the_rfc_7636_example_verifies() {
        assert_eq!(s256_challenge(VERIFIER), CHALLENGE);
        assert!(is_s256_challenge(CHALLENGE));
        assert!(verifies(VERIFIER, CHALLENGE));
        assert!(!verifies(CHALLENGE, CHALLENGE));
        assert!(!verifies(
            VERIFIER,
            &s256_challenge("another verifier of 43 characters..")
        ));
    }

    #[test]
    fn verifiers_are_43_to_128_unreserved_characters() {
        assert!(is_code_verifier(&"a".repeat(43)));
        assert!(is_code_verifier(&"A-._~9".repeat(21)));
        assert!(!is_code_verifier(&"a".repeat(42)));
        assert!(!is_code_verifier(&"a".repeat(129)));
        assert!(!is_code_verifier(&format!("{}+", "a".repeat(43))));
        // Too short to be well-formed, so it verifies nothing, even its own challenge.
        assert!(!verifies("short", &s256_challenge("short")));
    }

    #[test]
    fn challenges_are_unpadded_base64url_digests() {
        assert!(!is_s256_challenge(&format!("{CHALLENGE}=")));
        assert!(!is_s256_challenge(&CHALLENGE.replace('-', "+")));
        assert!(!is_s256_challenge("plain"));
        assert!(!is_s256_challenge(&"a".repeat(44)));
    }
}
