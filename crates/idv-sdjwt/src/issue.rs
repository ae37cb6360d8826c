//! The issuer's side (RFC 9901 §4, §5): conceal claims, add decoys, shuffle, sign.

use idv_jose::jws::{self, Header};
use idv_jose::{Random, SigningKey, random};
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

    fn salt(&self) -> String {
        random::token(self.rng, SALT_BYTES)
    }

    fn decoy(&self) -> String {
        let mut bytes = [0u8; 32];
        self.rng.fill(&mut bytes);
        sha256_b64(&bytes)
    }
}

struct Concealer<'i, 'a> {
    issuer: &'i SdJwtIssuer<'a>,
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
                let disclosure = Disclosure::property(&self.issuer.salt(), &name, value);
                digests.push(disclosure.digest().to_owned());
                self.disclosures.push(disclosure);
            } else {
                out.insert(name, value);
            }
        }
        if !digests.is_empty() {
            let (min, max) = self.issuer.decoys;
            let decoys = min + random::below(self.issuer.rng, (max - min + 1) as u64) as usize;
            digests.extend((0..decoys).map(|_| self.issuer.decoy()));
            random::shuffle(self.issuer.rng, &mut digests);
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
                let disclosure = Disclosure::element(&self.issuer.salt(), element);
                out.push(json!({ "...": disclosure.digest() }));
                self.disclosures.push(disclosure);
            } else {
                out.push(element);
            }
        }
        Ok(out)
    }
}
