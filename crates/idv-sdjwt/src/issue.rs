//! The issuer's side (RFC 9901 §4, §5): conceal claims, add decoys, shuffle, sign.

use idv_jose::jws::{self, Header};
use idv_jose::{Random, SigningKey};
use idv_proto::claims_path::{ClaimsPath, PathElement};
use serde_json::{Map, Value, json};

use crate::disclosure::Disclosure;
use crate::process::path_overlaps;
use crate::{SD_ALG, SdJwtError, sha256_b64};

/// Salt length in bytes: 128 bits, as RFC 9901 §9.3 recommends.
const SALT_BYTES: usize = 16;

/// Issues SD-JWTs signed with one key.
#[derive(Debug)]
pub struct SdJwtIssuer<'a> {
    key: &'a SigningKey,
    rng: &'a dyn Random,
    typ: &'a str,
    decoys: (usize, usize),
}

impl<'a> SdJwtIssuer<'a> {
    /// An issuer signing with `key`, with header `typ` (`dc+sd-jwt` for SD-JWT VCs), adding
    /// 1 to 3 decoy digests to every object that has concealed claims.
    pub fn new(key: &'a SigningKey, rng: &'a dyn Random, typ: &'a str) -> Self {
        Self {
            key,
            rng,
            typ,
            decoys: (1, 3),
        }
    }

    /// Sets how many decoy digests (between `min` and `max`) each `_sd` array receives.
    pub fn with_decoys(mut self, min: usize, max: usize) -> Self {
        self.decoys = (min, max.max(min));
        self
    }

    /// Issues `claims` with every claim at `conceal` made selectively disclosable; returns
    /// `<issuer JWT>~<disclosure>~...~`.
    ///
    /// Paths may nest (conceal `address` and `address.locality` for a recursive disclosure);
    /// `null` conceals every element of an array. A path that selects nothing is an error,
    /// so a typo cannot silently leave a claim in plain text.
    pub fn issue(
        &self,
        claims: Map<String, Value>,
        conceal: &[ClaimsPath],
    ) -> Result<String, SdJwtError> {
        let mut state = Concealer {
            issuer: self,
            entropy: Entropy::new(self.rng),
            conceal,
            used: vec![false; conceal.len()],
            path: Vec::new(),
            disclosures: Vec::new(),
        };
        let mut payload = state.object(claims)?;
        if let Some(unused) = state.used.iter().position(|used| !used) {
            return Err(SdJwtError::UnknownPath {
                path: conceal[unused].to_string(),
            });
        }
        if !state.disclosures.is_empty() {
            payload.insert("_sd_alg".into(), SD_ALG.into());
        }
        let header = Header::es256(self.typ).with("kid", self.key.kid());
        let jwt = jws::sign_claims(&header, &payload, self.key).map_err(SdJwtError::Signing)?;
        let mut out = jwt;
        out.push('~');
        for disclosure in &state.disclosures {
            out.push_str(disclosure.encoded());
            out.push('~');
        }
        Ok(out)
    }
}

/// The issuer's random bytes, drawn from its source a block at a time: an identity credential
/// needs dozens of salts, decoys and shuffle draws, and one call into the system CSPRNG costs
/// about as much as copying a block. Every byte is used once.
struct Entropy<'a> {
    rng: &'a dyn Random,
    block: [u8; ENTROPY_BLOCK],
    next: usize,
}

/// Bytes drawn from the source at once.
const ENTROPY_BLOCK: usize = 512;

impl<'a> Entropy<'a> {
    fn new(rng: &'a dyn Random) -> Self {
        Self {
            rng,
            block: [0; ENTROPY_BLOCK],
            next: ENTROPY_BLOCK,
        }
    }

    /// Fills `out` with fresh random bytes (each byte of the block is handed out once).
    fn fill(&mut self, out: &mut [u8]) {
        if out.len() > ENTROPY_BLOCK {
            self.rng.fill(out);
            return;
        }
        if self.next + out.len() > ENTROPY_BLOCK {
            self.rng.fill(&mut self.block);
            self.next = 0;
        }
        out.copy_from_slice(&self.block[self.next..self.next + out.len()]);
        self.next += out.len();
    }

    /// A salt: 128 random bits, base64url (RFC 9901 §9.3).
    fn salt(&mut self) -> String {
        let mut bytes = [0u8; SALT_BYTES];
        self.fill(&mut bytes);
        idv_jose::base64url::encode(bytes)
    }

    /// A decoy digest: the digest of 32 random bytes, like any disclosure's (RFC 9901 §4.2.5).
    fn decoy(&mut self) -> String {
        let mut bytes = [0u8; 32];
        self.fill(&mut bytes);
        sha256_b64(&bytes)
    }

    /// A uniformly random integer in `0..bound`.
    fn below(&mut self, bound: u64) -> u64 {
        idv_jose::random::below_from(&mut |buf: &mut [u8]| self.fill(buf), bound)
    }

    /// Shuffles `items` in place (Fisher–Yates).
    fn shuffle<T>(&mut self, items: &mut [T]) {
        idv_jose::random::shuffle_from(&mut |buf: &mut [u8]| self.fill(buf), items);
    }
}

struct Concealer<'i, 'a> {
    issuer: &'i SdJwtIssuer<'a>,
    entropy: Entropy<'a>,
    conceal: &'i [ClaimsPath],
    used: Vec<bool>,
    path: Vec<PathElement>,
    disclosures: Vec<Disclosure>,
}

impl Concealer<'_, '_> {
    /// Whether the claim at the current path is to be concealed; marks the paths that match.
    fn is_concealed(&mut self) -> bool {
        let mut hit = false;
        for (i, path) in self.conceal.iter().enumerate() {
            let p = path.elements();
            if p.len() == self.path.len() && path_overlaps(&self.path, p) {
                self.used[i] = true;
                hit = true;
            }
        }
        hit
    }

    fn value(&mut self, value: Value) -> Result<Value, SdJwtError> {
        Ok(match value {
            Value::Object(object) => Value::Object(self.object(object)?),
            Value::Array(array) => Value::Array(self.array(array)?),
            scalar => scalar,
        })
    }

    /// Conceals bottom-up, so a concealed claim's own concealed children become recursive
    /// disclosures inside its value.
    fn object(&mut self, object: Map<String, Value>) -> Result<Map<String, Value>, SdJwtError> {
        let mut out = Map::with_capacity(object.len() + 1);
        let mut digests = Vec::new();
        for (name, value) in object {
            if name == "_sd" || name == "..." || name == "_sd_alg" {
                return Err(SdJwtError::ReservedClaimName { index: 0, name });
            }
            self.path.push(PathElement::Key(name.clone()));
            let value = self.value(value);
            let concealed = self.is_concealed();
            self.path.pop();
            let value = value?;
            if concealed {
                let disclosure = Disclosure::property(&self.entropy.salt(), &name, value);
                digests.push(disclosure.digest().to_owned());
                self.disclosures.push(disclosure);
            } else {
                out.insert(name, value);
            }
        }
        if !digests.is_empty() {
            let (min, max) = self.issuer.decoys;
            let decoys = min + self.entropy.below((max - min + 1) as u64) as usize;
            digests.extend((0..decoys).map(|_| self.entropy.decoy()));
            self.entropy.shuffle(&mut digests);
            out.insert("_sd".into(), json!(digests));
        }
        Ok(out)
    }

    fn array(&mut self, array: Vec<Value>) -> Result<Vec<Value>, SdJwtError> {
        let mut out = Vec::with_capacity(array.len());
        for (index, element) in array.into_iter().enumerate() {
            self.path.push(PathElement::Index(index as u64));
            let element = self.value(element);
            let concealed = self.is_concealed();
            self.path.pop();
            let element = element?;
            if concealed {
                let disclosure = Disclosure::element(&self.entropy.salt(), element);
                out.push(json!({ "...": disclosure.digest() }));
                self.disclosures.push(disclosure);
            } else {
                out.push(element);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

    use idv_jose::random::DeterministicRandom;

    use super::*;

    #[test]
    fn entropy_hands_out_the_source_bytes_in_order_and_never_twice() {
        let source = DeterministicRandom::new(3);
        let mut entropy = Entropy::new(&source);
        let mut drawn = Vec::new();
        for _ in 0..60 {
            let mut piece = [0u8; 20];
            entropy.fill(&mut piece);
            drawn.extend_from_slice(&piece);
        }
        // 25 pieces of 20 bytes fit a block; the 12 left over are dropped at the refill.
        let mut stream = vec![0u8; 3 * ENTROPY_BLOCK];
        DeterministicRandom::new(3).fill(&mut stream);
        let expected: Vec<u8> = stream
            .chunks(ENTROPY_BLOCK)
            .flat_map(|block| block[..500].to_vec())
            .take(60 * 20)
            .collect();
        assert_eq!(drawn, expected);
    }

    #[test]
    fn entropy_draws_salts_decoys_and_bounded_integers() {
        let source = DeterministicRandom::new(4);
        let mut entropy = Entropy::new(&source);
        let salt = entropy.salt();
        assert_eq!(
            idv_jose::base64url::decode(&salt).unwrap().len(),
            SALT_BYTES
        );
        assert_ne!(salt, entropy.salt());
        assert_eq!(entropy.decoy().len(), 43);
        let mut seen = [0usize; 3];
        for _ in 0..300 {
            seen[entropy.below(3) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 50), "{seen:?}");
        let mut items: Vec<u32> = (0..10).collect();
        entropy.shuffle(&mut items);
        items.sort_unstable();
        assert_eq!(items, (0..10).collect::<Vec<_>>());
    }
}
