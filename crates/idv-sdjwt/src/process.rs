//! The disclosure-processing core of RFC 9901 §7.1 step 3–5, shared by holder and verifier.
//!
//! Digests are handled in their fixed-size form ([`Digest`]: the 43 base64url characters of a
//! SHA-256, compared by an integer prefix first): the disclosures' digests are one sorted
//! vector searched by bisection, and the digests that name no disclosure (decoys, claims not
//! disclosed) are collected and checked for repeats once, at the end. No digest is copied into
//! a `String`.

use idv_proto::claims_path::PathElement;
use serde_json::{Map, Value};

use crate::SdJwtError;
use crate::disclosure::{Decoded, Digest};

/// Deepest nesting of objects and arrays we process.
pub(crate) const MAX_DEPTH: usize = 64;

/// The processed payload, and for each disclosure (in presentation order) the path at which
/// it was inserted, array indices counted in the processed arrays.
#[derive(Debug)]
pub(crate) struct Processed {
    pub(crate) claims: Map<String, Value>,
    pub(crate) disclosed_paths: Vec<Vec<PathElement>>,
}

struct Pending {
    name: Option<String>,
    value: Option<Value>,
}

struct Processor {
    /// The disclosures' digests with their index, sorted by digest.
    by_digest: Vec<(Digest, usize)>,
    pending: Vec<Pending>,
    /// Whether a digest has named the disclosure yet (a second one is a repeated digest).
    claimed: Vec<bool>,
    paths: Vec<Option<Vec<PathElement>>>,
    /// The digests seen that name no disclosure, checked for repeats at the end.
    unmatched: Vec<Digest>,
    /// Those that are not even 43 characters long (so never a disclosure's), as text.
    unmatched_odd: Vec<String>,
    path: Vec<PathElement>,
}

/// Replaces every digest that has a disclosure with the disclosed claim, drops the others,
/// removes `_sd` and `_sd_alg`, and enforces every rejection of §7.1.
pub(crate) fn process(
    mut payload: Map<String, Value>,
    disclosures: Vec<Decoded>,
) -> Result<Processed, SdJwtError> {
    let count = disclosures.len();
    let mut by_digest = Vec::with_capacity(count);
    let mut pending = Vec::with_capacity(count);
    for (index, disclosure) in disclosures.into_iter().enumerate() {
        by_digest.push((disclosure.digest, index));
        pending.push(Pending {
            name: disclosure.name,
            value: Some(disclosure.value),
        });
    }
    // Stable: equal digests stay in presentation order, so the first repeat is reported.
    by_digest.sort_by_key(|(digest, _)| *digest);
    if let Some(index) = by_digest
        .windows(2)
        .filter(|pair| pair[0].0 == pair[1].0)
        .map(|pair| pair[1].1)
        .min()
    {
        return Err(SdJwtError::DuplicateDisclosure { index });
    }
    let mut processor = Processor {
        by_digest,
        pending,
        claimed: vec![false; count],
        paths: vec![None; count],
        unmatched: Vec::new(),
        unmatched_odd: Vec::new(),
        path: Vec::new(),
    };
    payload.remove("_sd_alg");
    let claims = processor.object(payload, 0)?;
    processor.no_repeated_unmatched_digest()?;
    let disclosed_paths = processor
        .paths
        .into_iter()
        .enumerate()
        .map(|(index, path)| path.ok_or(SdJwtError::UnreferencedDisclosure { index }))
        .collect::<Result<_, _>>()?;
    Ok(Processed {
        claims,
        disclosed_paths,
    })
}

impl Processor {
    fn value(&mut self, value: Value, depth: usize) -> Result<Value, SdJwtError> {
        match value {
            Value::Object(object) => self.object(object, depth + 1).map(Value::Object),
            Value::Array(array) => self.array(array, depth + 1).map(Value::Array),
            scalar => Ok(scalar),
        }
    }

    /// Claims a digest: the disclosure it names, if any. A digest naming an already claimed
    /// disclosure is a repeat; repeats among the others are found at the end.
    fn claim_digest(&mut self, digest: &str) -> Result<Option<usize>, SdJwtError> {
        let Some(key) = Digest::parse(digest) else {
            self.unmatched_odd.push(digest.to_owned());
            return Ok(None);
        };
        match self.by_digest.binary_search_by(|(d, _)| d.cmp(&key)) {
            Ok(position) => {
                let index = self.by_digest[position].1;
                if std::mem::replace(&mut self.claimed[index], true) {
                    return Err(SdJwtError::DuplicateDigest {
                        digest: digest.to_owned(),
                    });
                }
                Ok(Some(index))
            }
            Err(_) => {
                self.unmatched.push(key);
                Ok(None)
            }
        }
    }

    /// RFC 9901 §7.1 step 4 for the digests that name no disclosure.
    fn no_repeated_unmatched_digest(&mut self) -> Result<(), SdJwtError> {
        self.unmatched.sort_unstable();
        if let Some(pair) = self.unmatched.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(SdJwtError::DuplicateDigest {
                digest: pair[0].to_text(),
            });
        }
        self.unmatched_odd.sort_unstable();
        if let Some(pair) = self
            .unmatched_odd
            .windows(2)
            .find(|pair| pair[0] == pair[1])
        {
            return Err(SdJwtError::DuplicateDigest {
                digest: pair[0].clone(),
            });
        }
        Ok(())
    }

    /// Processes a plain (not disclosed) object or array in place, at `at` below the current
    /// path. Scalars hold no digests: callers skip them (and the path element they would need).
    fn nested(
        &mut self,
        at: PathElement,
        value: &mut Value,
        depth: usize,
    ) -> Result<(), SdJwtError> {
        self.path.push(at);
        let processed = self.value(std::mem::take(value), depth);
        self.path.pop();
        *value = processed?;
        Ok(())
    }

    /// Takes a disclosure's value and processes it at the current path.
    fn disclose(&mut self, index: usize, depth: usize) -> Result<Value, SdJwtError> {
        let value = self.pending[index].value.take().unwrap_or(Value::Null);
        let value = self.value(value, depth)?;
        self.paths[index] = Some(self.path.clone());
        Ok(value)
    }

    fn object(
        &mut self,
        mut object: Map<String, Value>,
        depth: usize,
    ) -> Result<Map<String, Value>, SdJwtError> {
        if depth > MAX_DEPTH {
            return Err(SdJwtError::TooLarge { limit: "depth" });
        }
        if depth > 0 && object.contains_key("_sd_alg") {
            return Err(SdJwtError::MalformedDigests {
                reason: "_sd_alg must only appear at the top level",
            });
        }
        // Processed in place: the plain claims keep their order and are not re-inserted.
        let sd = object.remove("_sd");
        for (name, value) in object.iter_mut() {
            if is_container(value) {
                self.nested(PathElement::Key(name.clone()), value, depth)?;
            }
        }
        let mut out = object;
        let Some(sd) = sd else { return Ok(out) };
        let Value::Array(digests) = sd else {
            return Err(SdJwtError::MalformedDigests {
                reason: "_sd must be an array",
            });
        };
        for digest in &digests {
            let Value::String(digest) = digest else {
                return Err(SdJwtError::MalformedDigests {
                    reason: "_sd must contain only strings",
                });
            };
            let Some(index) = self.claim_digest(digest)? else {
                continue; // a decoy, or a claim the holder chose not to disclose
            };
            // Each disclosure is claimed once (a repeated digest was rejected above).
            let Some(name) = self.pending[index].name.take() else {
                return Err(SdJwtError::WrongDisclosureArity { index });
            };
            if name == "_sd" || name == "..." {
                return Err(SdJwtError::ReservedClaimName { index, name });
            }
            if out.contains_key(&name) {
                return Err(SdJwtError::ClaimNameCollision { name });
            }
            self.path.push(PathElement::Key(name.clone()));
            let value = self.disclose(index, depth);
            self.path.pop();
            out.insert(name, value?);
        }
        Ok(out)
    }

    fn array(&mut self, array: Vec<Value>, depth: usize) -> Result<Vec<Value>, SdJwtError> {
        if depth > MAX_DEPTH {
            return Err(SdJwtError::TooLarge { limit: "depth" });
        }
        let mut out = Vec::with_capacity(array.len());
        for element in array {
            let digest = match &element {
                Value::Object(o) if o.len() == 1 && o.contains_key("...") => o.get("..."),
                _ => None,
            };
            let index_here = PathElement::Index(out.len() as u64);
            match digest {
                None => {
                    let mut element = element;
                    if is_container(&element) {
                        self.nested(index_here, &mut element, depth)?;
                    }
                    out.push(element);
                }
                Some(Value::String(digest)) => {
                    let Some(index) = self.claim_digest(digest)? else {
                        continue; // undisclosed element: removed (§7.1 step 3.4)
                    };
                    if self.pending[index].name.is_some() {
                        return Err(SdJwtError::WrongDisclosureArity { index });
                    }
                    self.path.push(index_here);
                    let value = self.disclose(index, depth);
                    self.path.pop();
                    out.push(value?);
                }
                Some(_) => {
                    return Err(SdJwtError::MalformedDigests {
                        reason: "an array element digest must be a string",
                    });
                }
            }
        }
        Ok(out)
    }
}

fn is_container(value: &Value) -> bool {
    matches!(value, Value::Object(_) | Value::Array(_))
}

/// Whether a disclosure at `disclosed` is needed for a request of `requested`: it is on the
/// way to the requested claim (an ancestor) or inside it (a descendant). `null` in a request
/// matches every array index.
pub(crate) fn path_overlaps(disclosed: &[PathElement], requested: &[PathElement]) -> bool {
    disclosed.iter().zip(requested).all(|(d, r)| match (d, r) {
        (PathElement::Index(_), PathElement::AllElements) => true,
        (d, r) => d == r,
    })
}
