//! The services' own cryptography, timed in this process with the same library (idv-jose,
//! aws-lc-rs underneath): for one complete check, the verifier signs the request object
//! (ES256), decrypts the `direct_post.jwt` response (ECDH-ES + AES-GCM), verifies the
//! credential's and the key binding's signatures (two ES256 verifications) and signs the check
//! record (ES256); for one credential, the issuer verifies its proof (ES256) and signs it
//! (ES256).

use std::time::{Duration, Instant};

use idv_jose::jwe::{self, ContentEncryption};
use idv_jose::jws::{self, Header, UnverifiedJws};
use idv_jose::{DecryptionKey, JoseError, SigningKey};

/// A request object's size, about what the verifier signs.
const REQUEST_OBJECT_BYTES: usize = 1_500;
/// A response's size, about a right-to-work presentation with its portrait.
const RESPONSE_BYTES: usize = 8_000;
/// A signed token's size, about an SD-JWT issuer part.
const SIGNED_BYTES: usize = 2_000;

/// Median time of each primitive and of one check's worth of them.
#[derive(Debug)]
pub(crate) struct CryptoTimes {
    /// One ES256 signature (request object).
    pub(crate) sign: Duration,
    /// One ECDH-ES decryption (the response).
    pub(crate) decrypt: Duration,
    /// One ES256 verification.
    pub(crate) verify: Duration,
    /// Iterations of each.
    pub(crate) iterations: usize,
}

impl CryptoTimes {
    /// The verifier's per check: request object signature + decryption + 2 × verification +
    /// check record signature.
    pub(crate) fn per_check(&self) -> Duration {
        self.sign * 2 + self.decrypt + self.verify * 2
    }

    /// The issuer's per credential: proof verification + credential signature.
    pub(crate) fn per_credential(&self) -> Duration {
        self.verify + self.sign
    }
}

/// Times each primitive `iterations` times (at least once) and takes the medians.
pub(crate) fn per_check(iterations: usize) -> Result<CryptoTimes, JoseError> {
    let iterations = iterations.max(1);
    let signer = SigningKey::generate()?;
    let recipient = DecryptionKey::generate()?;
    let request = vec![b'r'; REQUEST_OBJECT_BYTES];
    let response = vec![b'p'; RESPONSE_BYTES];
    let header = Header::es256("oauth-authz-req+jwt");

    let sign = median(iterations, || {
        jws::sign(&header, &request, &signer).map(drop)
    })?;

    let encrypted = jwe::encrypt(
        &response,
        recipient.public_key(),
        None,
        ContentEncryption::A128Gcm,
    )?;
    let decrypt = median(iterations, || {
        jwe::decrypt(&encrypted, &recipient, &[ContentEncryption::A128Gcm]).map(drop)
    })?;

    let token = jws::sign(
        &Header::es256("dc+sd-jwt"),
        &vec![b's'; SIGNED_BYTES],
        &signer,
    )?;
    let verify = median(iterations, || {
        UnverifiedJws::parse(&token)?
            .verify(signer.public_key(), &["dc+sd-jwt"])
            .map(drop)
    })?;
    Ok(CryptoTimes {
        sign,
        decrypt,
        verify,
        iterations,
    })
}

/// The median duration of `iterations` runs of `f`.
fn median(
    iterations: usize,
    mut f: impl FnMut() -> Result<(), JoseError>,
) -> Result<Duration, JoseError> {
    let mut times = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        f()?;
        times.push(started.elapsed());
    }
    times.sort_unstable();
    Ok(times[times.len() / 2])
}
