//! Relying-party side: verifying a fetched Status List Token and looking statuses up in it
//! (draft-ietf-oauth-status-list-20, "Verification and Processing").
//!
//! Before calling [`verify_status_list_token`], the relying party has validated the referenced
//! token itself (signature, `exp`, ...; draft-20 forbids fetching status for a token already
//! invalid), resolved the status list issuer's key (the same key or `x5c` chain as the
//! referenced token), and fetched `GET <uri>` with `Accept: application/statuslist+jwt`.
//!
//! # `ttl` bounds
//!
//! Draft-20 says clients SHOULD keep `exp` and `ttl` within configured bounds to avoid request
//! storms. We **clamp** a positive `ttl` into `[min_ttl, max_ttl]` rather than reject it: a
//! shorter cache only costs a refetch, and a longer one than the issuer asked for is a bound
//! the relying party chose. A `ttl` that is not a positive number (`0`, negative, a string) is
//! malformed and rejected. An absent `ttl` is treated as `min_ttl`: with no hint from the
//! issuer, refresh as often as the policy allows.

use idv_jose::jws::UnverifiedJws;
use idv_jose::jwt::numeric_date;
use idv_jose::{Clock, PublicKey};
use idv_proto::sd_jwt_vc::status::StatusListReference;
use idv_proto::status_list::{STATUS_LIST_TOKEN_TYP, StatusList};
use serde::Deserialize as _;
use serde_json::{Map, Value};

use crate::codec::{Status, StatusBits, StatusListBuf};
use crate::error::StatusListError;

/// Relying-party limits applied while verifying a Status List Token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusPolicy {
    /// Largest compact token accepted, in bytes; longer ones are not parsed.
    pub max_token_bytes: usize,
    /// Largest decompressed byte array accepted (16 MiB holds 128 Mi one-bit entries).
    pub max_decompressed_bytes: usize,
    /// Shortest caching period in seconds; smaller `ttl`s are raised to it.
    pub min_ttl: i64,
    /// Longest caching period in seconds; larger `ttl`s are lowered to it.
    pub max_ttl: i64,
    /// Oldest acceptable `iat`, in seconds before now; `None` accepts any age.
    pub max_age: Option<i64>,
    /// Clock skew allowed on `iat`, `nbf` and `exp`, in seconds.
    pub clock_skew: i64,
}

impl StatusPolicy {
    /// 1 MiB of token.
    pub const DEFAULT_MAX_TOKEN_BYTES: usize = 1 << 20;
    /// 16 MiB of decompressed list.
    pub const DEFAULT_MAX_DECOMPRESSED_BYTES: usize = 16 << 20;
    /// Five minutes.
    pub const DEFAULT_MIN_TTL: i64 = 5 * 60;
    /// One day.
    pub const DEFAULT_MAX_TTL: i64 = 24 * 60 * 60;
    /// One day: an issuer should re-sign its lists at least this often.
    pub const DEFAULT_MAX_AGE: i64 = 24 * 60 * 60;
    /// One minute.
    pub const DEFAULT_CLOCK_SKEW: i64 = 60;
}

impl Default for StatusPolicy {
    fn default() -> Self {
        Self {
            max_token_bytes: Self::DEFAULT_MAX_TOKEN_BYTES,
            max_decompressed_bytes: Self::DEFAULT_MAX_DECOMPRESSED_BYTES,
            min_ttl: Self::DEFAULT_MIN_TTL,
            max_ttl: Self::DEFAULT_MAX_TTL,
            max_age: Some(Self::DEFAULT_MAX_AGE),
            clock_skew: Self::DEFAULT_CLOCK_SKEW,
        }
    }
}

/// A Status List Token whose signature, type, claims and list have all been checked.
///
/// Reachable only through [`verify_status_list_token`]. Keep it in a cache keyed by `sub` until
/// [`VerifiedStatusList::fresh_until`], and look up as many indices as needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedStatusList {
    list: StatusListBuf,
    sub: String,
    iat: i64,
    exp: Option<i64>,
    ttl: Option<u64>,
    fresh_until: i64,
    aggregation_uri: Option<String>,
}

impl VerifiedStatusList {
    /// The decoded list.
    pub fn list(&self) -> &StatusListBuf {
        &self.list
    }

    /// The token's `sub`: the URI it was published at.
    pub fn sub(&self) -> &str {
        &self.sub
    }

    /// The token's `iat`.
    pub fn iat(&self) -> i64 {
        self.iat
    }

    /// The token's `exp`, when present.
    pub fn exp(&self) -> Option<i64> {
        self.exp
    }

    /// The token's `ttl` as the issuer wrote it (before clamping), when present.
    pub fn ttl(&self) -> Option<u64> {
        self.ttl
    }

    /// `status_list.aggregation_uri`, when present.
    pub fn aggregation_uri(&self) -> Option<&str> {
        self.aggregation_uri.as_deref()
    }

    /// Until when (exclusive, Unix seconds) this list may be used: `min(exp, verified_at +
    /// clamped ttl)`. After that, fetch and verify a new token.
    pub fn fresh_until(&self) -> i64 {
        self.fresh_until
    }

    /// Whether the list may still be used at `now`.
    pub fn is_fresh(&self, now: i64) -> bool {
        now < self.fresh_until
    }

    /// The status at `idx`, without a freshness check (use right after verification).
    pub fn status(&self, idx: u64) -> Result<Status, StatusListError> {
        self.list.get(idx)
    }

    /// The status a referenced token points to, for a cached list: checks that the reference
    /// names this list (`uri` == `sub`), that the list is still fresh, and the index.
    pub fn lookup(
        &self,
        reference: &StatusListReference,
        clock: &dyn Clock,
    ) -> Result<Status, StatusListError> {
        if reference.uri != self.sub {
            return Err(StatusListError::SubjectMismatch {
                expected: reference.uri.clone(),
                found: self.sub.clone(),
            });
        }
        let now = clock.now();
        if !self.is_fresh(now) {
            return Err(StatusListError::Stale {
                fresh_until: self.fresh_until,
                now,
            });
        }
        self.status(reference.idx)
    }
}

/// Verifies a fetched Status List Token for `reference`, in the order of draft-20
/// "Verification and Processing":
///
/// 1. the reference has a non-empty `uri`; the token is within `max_token_bytes`;
/// 2. ES256 signature by `issuer_key`, `typ` `statuslist+jwt`, no `crit`;
/// 3. `sub`, `iat` and `status_list` are present and well-formed;
/// 4. `sub` equals `reference.uri` exactly;
/// 5. `iat` is not in the future and not older than `max_age`;
/// 6. `exp` (and any `nbf`) allow use now;
/// 7. `ttl` is positive, then clamped into `[min_ttl, max_ttl]` (see the module docs);
/// 8. `bits` is 1, 2, 4 or 8 and `lst` inflates as ZLIB within `max_decompressed_bytes`;
/// 9. `reference.idx` is inside the list.
///
/// The status value itself is left to the caller: [`Status::is_valid`] is the strict reading.
pub fn verify_status_list_token(
    reference: &StatusListReference,
    token: &str,
    issuer_key: &PublicKey,
    clock: &dyn Clock,
    policy: &StatusPolicy,
) -> Result<VerifiedStatusList, StatusListError> {
    if reference.uri.is_empty() {
        return Err(StatusListError::InvalidReference {
            reason: "status_list.uri is empty",
        });
    }
    if token.len() > policy.max_token_bytes {
        return Err(StatusListError::TokenTooLarge {
            len: token.len(),
            limit: policy.max_token_bytes,
        });
    }

    let verified = UnverifiedJws::parse(token)?.verify(issuer_key, &[STATUS_LIST_TOKEN_TYP])?;
    let claims: Map<String, Value> = verified.claims()?;

    let sub = match claims.get("sub") {
        None => return Err(StatusListError::MissingClaim { claim: "sub" }),
        Some(Value::String(sub)) => sub.clone(),
        Some(_) => return Err(invalid("sub", "not a string")),
    };
    let iat = date(&claims, "iat")?.ok_or(StatusListError::MissingClaim { claim: "iat" })?;
    let status_list: StatusList = match claims.get("status_list") {
        None => {
            return Err(StatusListError::MissingClaim {
                claim: "status_list",
            });
        }
        Some(value) => {
            if let Some(bits) = value.get("bits").and_then(Value::as_u64) {
                // Report `bits: 3` (or 300) as what it is, not as a shape error.
                StatusBits::parse(bits)?;
            }
            StatusList::deserialize(value).map_err(|e| invalid("status_list", &e.to_string()))?
        }
    };

    if sub != reference.uri {
        return Err(StatusListError::SubjectMismatch {
            expected: reference.uri.clone(),
            found: sub,
        });
    }

    let now = clock.now();
    let skew = policy.clock_skew;
    if iat > now.saturating_add(skew) {
        return Err(StatusListError::IssuedInFuture { iat, now });
    }
    if let Some(max_age) = policy.max_age
        && iat < now.saturating_sub(max_age)
    {
        return Err(StatusListError::TooOld { iat, now, max_age });
    }

    let exp = date(&claims, "exp")?;
    if let Some(exp) = exp
        && now >= exp.saturating_add(skew)
    {
        return Err(StatusListError::Expired { exp, now });
    }
    if let Some(nbf) = date(&claims, "nbf")?
        && now.saturating_add(skew) < nbf
    {
        return Err(StatusListError::NotYetValid { nbf, now });
    }

    let ttl = ttl(&claims)?;
    // `max(min).min(max)` rather than `clamp`, which panics on a policy with min > max.
    let cache_for = ttl
        .map_or(policy.min_ttl, |t| i64::try_from(t).unwrap_or(i64::MAX))
        .max(policy.min_ttl)
        .min(policy.max_ttl);
    let fetched_until = now.saturating_add(cache_for);
    let fresh_until = exp.map_or(fetched_until, |exp| exp.min(fetched_until));

    let list = StatusListBuf::from_status_list(&status_list, policy.max_decompressed_bytes)?;
    if reference.idx >= list.len() {
        return Err(StatusListError::IndexOutOfRange {
            idx: reference.idx,
            len: list.len(),
        });
    }

    Ok(VerifiedStatusList {
        list,
        sub,
        iat,
        exp,
        ttl,
        fresh_until,
        aggregation_uri: status_list.aggregation_uri,
    })
}

fn invalid(claim: &'static str, reason: &str) -> StatusListError {
    StatusListError::InvalidClaim {
        claim,
        reason: reason.to_owned(),
    }
}

fn date(claims: &Map<String, Value>, claim: &'static str) -> Result<Option<i64>, StatusListError> {
    numeric_date(claims, claim).map_err(|_| invalid(claim, "not a NumericDate"))
}

/// `ttl` as a positive whole number of seconds; fractions are truncated like NumericDates.
fn ttl(claims: &Map<String, Value>) -> Result<Option<u64>, StatusListError> {
    let Some(value) = claims.get("ttl") else {
        return Ok(None);
    };
    let Value::Number(n) = value else {
        return Err(invalid("ttl", "not a number"));
    };
    if let Some(ttl) = n.as_u64() {
        return match ttl {
            0 => Err(StatusListError::TtlOutOfBounds { ttl: 0 }),
            ttl => Ok(Some(ttl)),
        };
    }
    // Negative integers, or floats such as `1e12`; `as` saturates and maps NaN to 0.
    let seconds = n
        .as_i64()
        .unwrap_or_else(|| n.as_f64().unwrap_or(0.0) as i64);
    match u64::try_from(seconds) {
        Ok(ttl) if ttl > 0 => Ok(Some(ttl)),
        _ => Err(StatusListError::TtlOutOfBounds { ttl: seconds }),
    }
}

#[cfg(test)]
mod tests;
