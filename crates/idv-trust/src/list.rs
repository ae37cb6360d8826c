//! Signing a trust list ([`sign_trust_list`], the operator's side) and verifying a fetched one
//! (docs/trust-list.md steps 1–2) and indexing it for lookups.
//!
//! [`verify_trust_list`] is the only way to a [`VerifiedTrustList`]. It fails closed: size cap
//! before parsing, `typ: dvs-trust-list+jwt`, ES256, `kid` among the pinned anchors only,
//! signature, then the time window and the entries' consistency. Rollback against the held
//! state is a separate step ([`crate::rollback`]) because it needs persisted state.

use std::collections::BTreeMap;

use idv_jose::jws::{self, Header, UnverifiedJws};
use idv_jose::{JoseError, PublicKey, SigningKey};
use idv_proto::trust::entry::ServiceEntry;
use idv_proto::trust::relying_party::RelyingPartyEntry;
use idv_proto::trust::trust_list::{TRUST_LIST_TYP, TrustListClaims};

use crate::TrustError;
use crate::anchors::TrustAnchors;
use crate::rollback::TrustListState;

/// Default size cap of a compact trust list: 4 MiB.
pub const DEFAULT_MAX_BYTES: usize = 4 * 1024 * 1024;
/// Default clock skew tolerated on `iat`: one minute.
pub const DEFAULT_SKEW: i64 = 60;
/// Default shortest `next_update - iat` and `exp - iat`: one minute (refresh-storm bound).
pub const DEFAULT_MIN_LIFETIME: i64 = 60;
/// Default longest `next_update - iat` and `exp - iat`: seven days.
pub const DEFAULT_MAX_LIFETIME: i64 = 7 * 24 * 60 * 60;

/// Limits a trust list must respect, decided by the relying service, not by the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListPolicy {
    /// Largest compact JWS accepted, in bytes; checked before parsing.
    pub max_bytes: usize,
    /// Seconds `iat` may lie in the future.
    pub skew: i64,
    /// Shortest accepted `next_update - iat` and `exp - iat`, in seconds.
    pub min_lifetime: i64,
    /// Longest accepted `next_update - iat` and `exp - iat`, in seconds.
    pub max_lifetime: i64,
}

impl Default for ListPolicy {
    fn default() -> Self {
        Self {
            max_bytes: DEFAULT_MAX_BYTES,
            skew: DEFAULT_SKEW,
            min_lifetime: DEFAULT_MIN_LIFETIME,
            max_lifetime: DEFAULT_MAX_LIFETIME,
        }
    }
}

/// A trust list whose signature, type, anchor, time window and entries were checked, with
/// indexes for O(log n) lookups by `iss` and by relying-party client identifier.
#[derive(Debug, Clone)]
pub struct VerifiedTrustList {
    claims: TrustListClaims,
    payload_hash: String,
    anchor_kid: String,
    by_iss: BTreeMap<String, usize>,
    entry_keys: Vec<EntryKeys>,
    by_client_id: BTreeMap<String, usize>,
}

/// An entry's issuer keys, parsed once at verification.
#[derive(Debug, Clone, Default)]
pub(crate) struct EntryKeys {
    /// Keyed by RFC 7638 thumbprint.
    pub(crate) by_thumbprint: BTreeMap<String, PublicKey>,
    /// Declared `kid`s that differ from the thumbprint → thumbprint.
    pub(crate) aliases: BTreeMap<String, String>,
}

impl EntryKeys {
    fn parse(entry: &ServiceEntry) -> Result<Self, TrustError> {
        let mut keys = Self::default();
        for value in &entry.issuer.jwks.keys {
            let invalid = |source| TrustError::InvalidIssuerKey {
                entry_id: entry.entry_id.clone(),
                source,
            };
            let jwk = idv_jose::Jwk::deserialize_value(value).map_err(invalid)?;
            let key = PublicKey::from_jwk(&jwk).map_err(invalid)?;
            let thumbprint = key.thumbprint();
            if let Some(kid) = jwk.kid.filter(|kid| *kid != thumbprint)
                && let Some(previous) = keys.aliases.insert(kid.clone(), thumbprint.clone())
                && previous != thumbprint
            {
                return Err(TrustError::MalformedList {
                    reason: format!("entry {} uses kid {kid:?} for two keys", entry.entry_id),
                });
            }
            keys.by_thumbprint.insert(thumbprint, key);
        }
        Ok(keys)
    }

    /// The key a credential header's `kid` names: its thumbprint or its declared `kid`.
    pub(crate) fn find(&self, kid: &str) -> Option<&PublicKey> {
        self.by_thumbprint.get(kid).or_else(|| {
            self.aliases
                .get(kid)
                .and_then(|thumbprint| self.by_thumbprint.get(thumbprint))
        })
    }

    /// Whether `key` is one of the entry's keys. Entries hold a handful of keys, so comparing
    /// points is cheaper than hashing a thumbprint.
    pub(crate) fn contains(&self, key: &PublicKey) -> bool {
        self.by_thumbprint.values().any(|k| k == key)
    }
}

/// Signs `claims` with the operator's `anchor` as a compact trust list: ES256, `typ:
/// dvs-trust-list+jwt` and the anchor's `kid` in the header, as [`verify_trust_list`] requires.
pub fn sign_trust_list(claims: &TrustListClaims, anchor: &SigningKey) -> Result<String, JoseError> {
    let header = Header::es256(TRUST_LIST_TYP).with("kid", anchor.kid());
    jws::sign_claims(&header, claims, anchor)
}

/// Verifies a compact trust list against the pinned anchors at time `now` (Unix seconds).
pub fn verify_trust_list(
    compact: &str,
    anchors: &TrustAnchors,
    now: i64,
    policy: &ListPolicy,
) -> Result<VerifiedTrustList, TrustError> {
    let verified = verify_signed(compact, anchors, TRUST_LIST_TYP, policy.max_bytes)?;
    let claims: TrustListClaims =
        serde_json::from_slice(verified.jws.payload()).map_err(|e| TrustError::MalformedList {
            reason: e.to_string(),
        })?;
    check_window(&claims, now, policy)?;
    let payload_hash = sha256_b64(verified.jws.payload());
    VerifiedTrustList::index(claims, payload_hash, verified.anchor_kid)
}

/// A JWS verified under a pinned anchor, and that anchor's `kid`.
pub(crate) struct AnchorSigned {
    pub(crate) jws: jws::VerifiedJws,
    pub(crate) anchor_kid: String,
}

/// Size cap, `alg`, `typ`, `kid` among the anchors, signature: in that order, so that
/// nothing unauthenticated is parsed beyond the JOSE header.
pub(crate) fn verify_signed(
    compact: &str,
    anchors: &TrustAnchors,
    typ: &str,
    max_bytes: usize,
) -> Result<AnchorSigned, TrustError> {
    if compact.len() > max_bytes {
        return Err(TrustError::TooLarge {
            size: compact.len(),
            max: max_bytes,
        });
    }
    let unverified = UnverifiedJws::parse(compact)?;
    let header = unverified.header();
    // Checked here as well as in `verify` so that an `alg: none` or mistyped object is
    // reported as such rather than as an unknown key.
    if header.alg() != Some(jws::ES256) {
        return Err(idv_jose::JoseError::UnsupportedAlgorithm {
            alg: header.alg().unwrap_or_default().to_owned(),
        }
        .into());
    }
    if !header
        .typ()
        .is_some_and(|found| jws::typ_matches(found, typ))
    {
        return Err(idv_jose::JoseError::UnexpectedType {
            expected: typ.to_owned(),
            found: header.typ().map(str::to_owned),
        }
        .into());
    }
    let (anchor_kid, key) = anchors.resolve(header.kid())?;
    let anchor_kid = anchor_kid.to_owned();
    let jws = unverified.verify(key, &[typ])?;
    Ok(AnchorSigned { jws, anchor_kid })
}

fn check_window(claims: &TrustListClaims, now: i64, policy: &ListPolicy) -> Result<(), TrustError> {
    let TrustListClaims {
        iat,
        exp,
        next_update,
        ..
    } = *claims;
    if iat > now.saturating_add(policy.skew) {
        return Err(TrustError::ListIssuedInFuture { iat, now });
    }
    if now >= exp {
        return Err(TrustError::ListExpired { exp, now });
    }
    if next_update > exp {
        return Err(TrustError::InvalidValidityWindow {
            reason: "next_update is after exp",
        });
    }
    let lifetime_ok = |end: i64| {
        let lifetime = end.saturating_sub(iat);
        (policy.min_lifetime..=policy.max_lifetime).contains(&lifetime)
    };
    if !lifetime_ok(exp) {
        return Err(TrustError::InvalidValidityWindow {
            reason: "exp - iat is outside the policy bounds",
        });
    }
    if !lifetime_ok(next_update) {
        return Err(TrustError::InvalidValidityWindow {
            reason: "next_update - iat is outside the policy bounds",
        });
    }
    Ok(())
}

pub(crate) use idv_jose::digest::sha256_b64;

impl VerifiedTrustList {
    fn index(
        claims: TrustListClaims,
        payload_hash: String,
        anchor_kid: String,
    ) -> Result<Self, TrustError> {
        let mut by_iss = BTreeMap::new();
        let mut entry_ids = BTreeMap::new();
        let mut entry_keys = Vec::with_capacity(claims.entries.len());
        for (position, entry) in claims.entries.iter().enumerate() {
            if entry_ids
                .insert(entry.entry_id.as_str(), position)
                .is_some()
            {
                return Err(TrustError::MalformedList {
                    reason: format!("entry_id {:?} appears twice", entry.entry_id),
                });
            }
            for iss in &entry.issuer.iss {
                // The same `iss` twice within one entry is harmless; across entries it would
                // let either entry's rules decide for the other's credentials.
                if let Some(other) = by_iss.insert(iss.clone(), position)
                    && other != position
                {
                    return Err(TrustError::ConflictingEntries { iss: iss.clone() });
                }
            }
            entry_keys.push(EntryKeys::parse(entry)?);
        }
        let mut by_client_id = BTreeMap::new();
        for (position, rp) in claims.relying_parties.iter().enumerate() {
            if by_client_id
                .insert(rp.client_id.clone(), position)
                .is_some()
            {
                return Err(TrustError::ConflictingRelyingParties {
                    client_id: rp.client_id.clone(),
                });
            }
        }
        Ok(Self {
            claims,
            payload_hash,
            anchor_kid,
            by_iss,
            entry_keys,
            by_client_id,
        })
    }

    /// The verified claims.
    pub fn claims(&self) -> &TrustListClaims {
        &self.claims
    }

    /// `list_id`.
    pub fn list_id(&self) -> &str {
        &self.claims.list_id
    }

    /// `sequence`: record it with every decision taken on this list.
    pub fn sequence(&self) -> u64 {
        self.claims.sequence
    }

    /// `iat`.
    pub fn iat(&self) -> i64 {
        self.claims.iat
    }

    /// `next_update`: refresh from then on.
    pub fn next_update(&self) -> i64 {
        self.claims.next_update
    }

    /// `exp`: unusable from then on.
    pub fn exp(&self) -> i64 {
        self.claims.exp
    }

    /// base64url(SHA-256(JWS payload bytes)): tells two lists with one `sequence` apart.
    pub fn payload_hash(&self) -> &str {
        &self.payload_hash
    }

    /// The `kid` of the anchor that signed the list.
    pub fn anchor_kid(&self) -> &str {
        &self.anchor_kid
    }

    /// What must be persisted to detect a later rollback.
    pub fn state(&self) -> TrustListState {
        TrustListState {
            list_id: self.claims.list_id.clone(),
            sequence: self.claims.sequence,
            payload_hash: self.payload_hash.clone(),
            iat: self.claims.iat,
            exp: self.claims.exp,
        }
    }

    /// The entry listing `iss`, whatever its status.
    pub fn entry_for_issuer(&self, iss: &str) -> Option<&ServiceEntry> {
        self.entry_position(iss).map(|(entry, _)| entry)
    }

    /// The relying party registered under the original `client_id`, whatever its status.
    pub fn relying_party(&self, client_id: &str) -> Option<&RelyingPartyEntry> {
        self.by_client_id
            .get(client_id)
            .and_then(|&position| self.claims.relying_parties.get(position))
    }

    /// The entry listing `iss` and its parsed keys.
    pub(crate) fn entry_position(&self, iss: &str) -> Option<(&ServiceEntry, &EntryKeys)> {
        let position = *self.by_iss.get(iss)?;
        Some((
            self.claims.entries.get(position)?,
            self.entry_keys.get(position)?,
        ))
    }
}
