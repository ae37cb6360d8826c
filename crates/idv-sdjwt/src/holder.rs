//! The holder's side (RFC 9901 §7.2): receive and check an issued SD-JWT, then present any
//! subset of its claims with a Key Binding JWT.

use idv_jose::jws::Header;
use idv_jose::{PublicKey, SigningKey};
use idv_proto::claims_path::{ClaimsPath, PathElement};
use serde_json::{Map, Value};

use crate::key_binding;
use crate::process::path_overlaps;
use crate::verify::{UnverifiedSdJwt, VerifyPolicy};
use crate::{SdJwtError, sha256_b64};

/// An SD-JWT as issued to this holder, verified on receipt, with every claim visible.
#[derive(Debug, Clone)]
pub struct HeldSdJwt {
    issuer_jwt: String,
    disclosures: Vec<String>,
    disclosed_paths: Vec<Vec<PathElement>>,
    header: Header,
    claims: Map<String, Value>,
}

impl HeldSdJwt {
    /// Checks an issued SD-JWT as RFC 9901 §7.2 requires: it must not carry a Key Binding JWT,
    /// the issuer signature must verify with `issuer_key`, and every disclosure must process.
    pub fn receive(
        issued: &str,
        issuer_key: &PublicKey,
        typ: &[&str],
        now: i64,
    ) -> Result<Self, SdJwtError> {
        let unverified = UnverifiedSdJwt::parse(issued)?;
        let issuer_jwt = issued.split('~').next().unwrap_or_default().to_owned();
        let disclosures: Vec<String> = issued
            .trim_end_matches('~')
            .split('~')
            .skip(1)
            .map(str::to_owned)
            .collect();
        let verified = unverified.verify(
            issuer_key,
            &VerifyPolicy {
                typ,
                now,
                skew: crate::verify::DEFAULT_SKEW,
                key_binding: None,
            },
        )?;
        Ok(Self {
            issuer_jwt,
            disclosures,
            disclosed_paths: verified.disclosed_paths().to_vec(),
            header: verified.header().clone(),
            claims: verified.into_claims(),
        })
    }

    /// The full set of claims, as the holder sees them.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// The issuer JWT's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The SD-JWT exactly as issued, for storage.
    pub fn issued(&self) -> String {
        let mut out = self.issuer_jwt.clone();
        out.push('~');
        for d in &self.disclosures {
            out.push_str(d);
            out.push('~');
        }
        out
    }

    /// The paths of the selectively disclosable claims, in issuance order.
    pub fn disclosable_paths(&self) -> &[Vec<PathElement>] {
        &self.disclosed_paths
    }

    /// An SD-JWT (ending in `~`) disclosing the claims at `paths` and nothing else but the
    /// disclosures needed to reach them. A path that selects nothing is an error.
    pub fn present(&self, paths: &[ClaimsPath]) -> Result<String, SdJwtError> {
        for path in paths {
            if !path_exists(&self.claims, path.elements()) {
                return Err(SdJwtError::UnknownPath {
                    path: path.to_string(),
                });
            }
        }
        let mut out = self.issuer_jwt.clone();
        out.push('~');
        for (disclosure, at) in self.disclosures.iter().zip(&self.disclosed_paths) {
            if paths.iter().any(|p| path_overlaps(at, p.elements())) {
                out.push_str(disclosure);
                out.push('~');
            }
        }
        Ok(out)
    }

    /// [`HeldSdJwt::present`] plus a Key Binding JWT for `audience` and `nonce`, signed at `iat`
    /// with `holder_key`, which must be the key in `cnf`.
    pub fn present_bound(
        &self,
        paths: &[ClaimsPath],
        holder_key: &SigningKey,
        audience: &str,
        nonce: &str,
        iat: i64,
    ) -> Result<String, SdJwtError> {
        let cnf = crate::verify::holder_key(&self.claims)?;
        if &cnf != holder_key.public_key() {
            return Err(SdJwtError::HolderKey(idv_jose::JoseError::InvalidKey {
                reason: "the signing key is not the credential's cnf key",
            }));
        }
        key_binding::bind(&self.present(paths)?, holder_key, audience, nonce, iat)
    }

    /// A stable identifier of this credential for the holder's own bookkeeping (the SHA-256 of
    /// the issuer JWT); never sent anywhere.
    pub fn fingerprint(&self) -> String {
        sha256_b64(self.issuer_jwt.as_bytes())
    }
}

/// Whether `path` selects at least one value in `value` (OpenID4VP claims path semantics).
fn path_exists(value: &Map<String, Value>, path: &[PathElement]) -> bool {
    fn walk(value: &Value, path: &[PathElement]) -> bool {
        let Some((first, rest)) = path.split_first() else {
            return true;
        };
        match (first, value) {
            (PathElement::Key(k), Value::Object(o)) => o.get(k).is_some_and(|v| walk(v, rest)),
            (PathElement::Index(i), Value::Array(a)) => usize::try_from(*i)
                .ok()
                .and_then(|i| a.get(i))
                .is_some_and(|v| walk(v, rest)),
            (PathElement::AllElements, Value::Array(a)) => a.iter().any(|v| walk(v, rest)),
            _ => false,
        }
    }
    match path.split_first() {
        Some((PathElement::Key(k), rest)) => value.get(k).is_some_and(|v| walk(v, rest)),
        _ => false,
    }
}
