//! SHA-256, the one digest of the federation (`_sd_alg`, `sd_hash`, thumbprints, token hashes).

use aws_lc_rs::digest::{Context, SHA256, digest};

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

/// SHA-256 over input fed in pieces, for hashing a serialisation without building it first.
#[derive(Clone)]
pub struct Sha256(Context);

impl std::fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sha256")
    }
}

impl Default for Sha256 {
    fn default() -> Self {
        Self::new()
    }
}

impl Sha256 {
    /// An empty hash.
    pub fn new() -> Self {
        Self(Context::new(&SHA256))
    }

    /// Feeds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// base64url of the digest of everything fed.
    pub fn finish_b64(self) -> String {
        crate::base64url::encode(self.0.finish())
    }

    /// The digest of everything fed.
    pub fn finish(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.0.finish().as_ref());
        out
    }
}

impl std::io::Write for Sha256 {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Equality of two secrets (token hashes, PKCE challenges) in a time that does not depend on
/// where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_comparison_is_equality() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn streaming_equals_one_shot() {
        let mut hash = Sha256::new();
        hash.update(b"hello ");
        hash.update(b"");
        hash.update(b"world");
        let mut forked = hash.clone();
        assert_eq!(hash.finish_b64(), sha256_b64(b"hello world"));
        forked.update(b"!");
        assert_eq!(forked.finish(), sha256(b"hello world!"));
        // RFC 6234 test vector "abc".
        assert_eq!(
            sha256(b"abc")[..4],
            [0xba, 0x78, 0x16, 0xbf],
            "SHA-256(\"abc\") starts ba7816bf"
        );
    }
}
