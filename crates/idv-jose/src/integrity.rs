//! Integrity metadata of referenced documents: the W3C Subresource Integrity string syntax
//! (`sha256-<base64>`, whitespace-separated hash expressions, `?options` ignored) with the
//! verification procedure of SD-JWT VC "Integrity of Referenced Documents": hash the octets
//! retrieved with the strongest algorithm listed that we support (sha512 > sha384 > sha256),
//! and accept if any expression of that algorithm matches. A mismatch, or no supported
//! algorithm, rejects the document.

use aws_lc_rs::digest::{Algorithm, SHA256, SHA384, SHA512, digest};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};

/// Why a document does not match its integrity metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IntegrityError {
    /// No hash expression uses an algorithm we support (sha256, sha384, sha512).
    #[error("the integrity metadata names no supported hash algorithm")]
    NoSupportedAlgorithm,
    /// The document's digest matches no expression of the strongest algorithm listed.
    #[error("the document does not match its integrity metadata")]
    Mismatch,
}

/// Supported algorithms, strongest first, by their SRI token.
const ALGORITHMS: [(&str, &Algorithm); 3] = [
    ("sha512", &SHA512),
    ("sha384", &SHA384),
    ("sha256", &SHA256),
];

/// `sha256-<base64 of SHA-256(bytes)>`: the integrity metadata a publisher states.
pub fn sha256_integrity(bytes: &[u8]) -> String {
    format!("sha256-{}", STANDARD.encode(digest(&SHA256, bytes)))
}

/// Checks `bytes` against `integrity` (see the module doc).
pub fn check(integrity: &str, bytes: &[u8]) -> Result<(), IntegrityError> {
    let expressions: Vec<(&str, &str)> = integrity
        .split_ascii_whitespace()
        .filter_map(|expression| {
            let expression = expression.split_once('?').map_or(expression, |(e, _)| e);
            expression.split_once('-')
        })
        .collect();
    let (token, algorithm) = ALGORITHMS
        .into_iter()
        .find(|(token, _)| expressions.iter().any(|(alg, _)| alg == token))
        .ok_or(IntegrityError::NoSupportedAlgorithm)?;
    let actual = digest(algorithm, bytes);
    let matches = expressions
        .iter()
        .filter(|(alg, _)| *alg == token)
        .filter_map(|(_, value)| decode(value))
        .any(|expected| expected == actual.as_ref());
    if matches {
        Ok(())
    } else {
        Err(IntegrityError::Mismatch)
    }
}

/// SRI's base64 (CSP `base64-value`: either alphabet, padding optional).
fn decode(value: &str) -> Option<Vec<u8>> {
    let config =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    GeneralPurpose::new(&alphabet::STANDARD, config)
        .decode(value)
        .or_else(|_| GeneralPurpose::new(&alphabet::URL_SAFE, config).decode(value))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_nothing_is_the_well_known_value() {
        assert_eq!(
            sha256_integrity(b""),
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert_eq!(check(&sha256_integrity(b"doc"), b"doc"), Ok(()));
        assert_eq!(
            check(&sha256_integrity(b"doc"), b"doc "),
            Err(IntegrityError::Mismatch)
        );
    }

    #[test]
    fn either_alphabet_and_no_padding_are_accepted() {
        // SHA-256("abc") has both `+` and `/` in standard base64.
        let standard = sha256_integrity(b"abc");
        let value = standard.trim_start_matches("sha256-");
        let url = value.replace('+', "-").replace('/', "_");
        for variant in [
            value.to_owned(),
            value.trim_end_matches('=').to_owned(),
            url,
        ] {
            assert_eq!(
                check(&format!("sha256-{variant}"), b"abc"),
                Ok(()),
                "{variant}"
            );
        }
    }

    #[test]
    fn the_strongest_supported_algorithm_decides() {
        let sha512 = format!("sha512-{}", STANDARD.encode(digest(&SHA512, b"doc")));
        let good256 = sha256_integrity(b"doc");
        let bad256 = sha256_integrity(b"other");
        // A matching sha256 does not rescue a mismatching sha512.
        let wrong512 = format!("sha512-{}", STANDARD.encode(digest(&SHA512, b"other")));
        assert_eq!(
            check(&format!("{good256} {wrong512}"), b"doc"),
            Err(IntegrityError::Mismatch)
        );
        // Any expression of the strongest algorithm may match; options are ignored.
        assert_eq!(
            check(&format!("{bad256} {wrong512}\t{sha512}?ct=x"), b"doc"),
            Ok(())
        );
        assert_eq!(
            check("md5-AAAA sha1-AAAA", b"doc"),
            Err(IntegrityError::NoSupportedAlgorithm)
        );
        assert_eq!(check("", b"doc"), Err(IntegrityError::NoSupportedAlgorithm));
        assert_eq!(check("sha256-!!!", b"doc"), Err(IntegrityError::Mismatch));
    }
}
