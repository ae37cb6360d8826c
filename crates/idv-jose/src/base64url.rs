//! Unpadded base64url (RFC 7515 §2), strict on input: padding and other alphabets are errors.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Encodes bytes as unpadded base64url.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes unpadded base64url; `=` padding, `+`/`/` and whitespace are rejected.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// Decodes unpadded base64url into `out`, returning the number of bytes written; `None` when
/// the text is not strict base64url or decodes to more than `out` holds.
pub fn decode_to_slice(text: &str, out: &mut [u8]) -> Option<usize> {
    URL_SAFE_NO_PAD.decode_slice(text, out).ok()
}

/// Encodes `bytes` into `out` (appending), avoiding an intermediate allocation.
pub fn encode_into(bytes: impl AsRef<[u8]>, out: &mut String) {
    URL_SAFE_NO_PAD.encode_string(bytes, out);
}

/// Encodes `bytes` into `out`, returning the number of bytes written; `None` when `out` is too
/// small. For fixed-size encodings (a SHA-256 digest is 43 characters) without allocating.
pub fn encode_to_slice(bytes: impl AsRef<[u8]>, out: &mut [u8]) -> Option<usize> {
    URL_SAFE_NO_PAD.encode_slice(bytes, out).ok()
}
