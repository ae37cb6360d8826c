//! SHA-256, the one digest of the federation (`_sd_alg`, `sd_hash`, thumbprints, token hashes).

use aws_lc_rs::digest::{SHA256, digest};

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, bytes).as_ref());
    out
}

/// base64url(SHA-256(`bytes`)).
pub fn sha256_b64(bytes: &[u8]) -> String {
    crate::base64url::encode(sha256(bytes))
}
