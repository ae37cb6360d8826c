//! Randomness is injected: salts, nonces, codes and status-list indices come from a [`Random`].

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_lc_rs::digest;

/// A source of cryptographically secure random bytes.
pub trait Random: Send + Sync + Debug {
    /// Fills `dest` with random bytes.
    fn fill(&self, dest: &mut [u8]);
}

/// The operating system's CSPRNG (through aws-lc).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemRandom;

impl Random for SystemRandom {
    #[expect(
        clippy::expect_used,
        reason = "a failing system CSPRNG leaves no safe way to continue"
    )]
    fn fill(&self, dest: &mut [u8]) {
        aws_lc_rs::rand::fill(dest).expect("system CSPRNG failed");
    }
}

/// A reproducible byte stream (SHA-256 of seed and counter).
///
/// # Security
/// Predictable by construction: for tests and conformance vectors only, never for real secrets.
#[derive(Debug)]
pub struct DeterministicRandom {
    seed: [u8; 32],
    counter: AtomicU64,
}

impl DeterministicRandom {
    /// A stream determined entirely by `seed`.
    pub fn new(seed: u64) -> Self {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&seed.to_be_bytes());
        Self {
            seed: bytes,
            counter: AtomicU64::new(0),
        }
    }
}

impl Random for DeterministicRandom {
    fn fill(&self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(32) {
            let n = self.counter.fetch_add(1, Ordering::SeqCst);
            let mut ctx = digest::Context::new(&digest::SHA256);
            ctx.update(&self.seed);
            ctx.update(&n.to_be_bytes());
            let block = ctx.finish();
            chunk.copy_from_slice(&block.as_ref()[..chunk.len()]);
        }
    }
}

/// A fresh unguessable token: `bytes` random bytes, base64url-encoded (16 bytes = 128 bits).
pub fn token(rng: &dyn Random, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rng.fill(&mut buf);
    crate::base64url::encode(buf)
}

/// A uniformly random integer in `0..bound` (rejection sampling, no modulo bias).
pub fn below(rng: &dyn Random, bound: u64) -> u64 {
    below_from(&mut |buf: &mut [u8]| rng.fill(buf), bound)
}

/// Shuffles `items` in place (Fisher–Yates).
pub fn shuffle<T>(rng: &dyn Random, items: &mut [T]) {
    shuffle_from(&mut |buf: &mut [u8]| rng.fill(buf), items);
}

/// [`below`] with its random bytes from `fill` (a caller's own buffered source).
pub fn below_from(fill: &mut impl FnMut(&mut [u8]), bound: u64) -> u64 {
    if bound <= 1 {
        return 0;
    }
    let zone = u64::MAX - (u64::MAX % bound);
    loop {
        let mut buf = [0u8; 8];
        fill(&mut buf);
        let v = u64::from_be_bytes(buf);
        if v < zone {
            return v % bound;
        }
    }
}

/// [`shuffle`] with its random bytes from `fill`.
pub fn shuffle_from<T>(fill: &mut impl FnMut(&mut [u8]), items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = below_from(fill, i as u64 + 1) as usize;
        items.swap(i, j);
    }
}
