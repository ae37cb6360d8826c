//! Rollback protection (docs/trust-list.md step 3): a list older than the last accepted one is
//! an attack, even though its signature is valid.
//!
//! The last accepted [`TrustListState`] must survive restarts, otherwise a restart reopens the
//! window for a replayed list; services persist it between [`crate::cache::TrustListCache::verify`]
//! and [`crate::cache::TrustListCache::install`].

use serde::{Deserialize, Serialize};

use crate::TrustError;
use crate::list::VerifiedTrustList;

/// What is remembered of the last accepted list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustListState {
    /// The list's `list_id`.
    pub list_id: String,
    /// The highest accepted `sequence`.
    pub sequence: u64,
    /// base64url(SHA-256(payload)) of the list accepted with that `sequence`.
    pub payload_hash: String,
    /// Its `iat`.
    pub iat: i64,
    /// Its `exp`.
    pub exp: i64,
}

/// Checks `new` against the `previous` accepted state and returns the state to persist.
///
/// A higher `sequence` replaces; the same `sequence` is accepted only with the same payload
/// (an idempotent refetch); a lower `sequence`, an earlier `iat` or another `list_id` is
/// rejected. With no previous state any list is accepted (trust on first use of the
/// sequence; the signature was already checked against the pinned anchors).
pub fn check_rollback(
    previous: Option<&TrustListState>,
    new: &VerifiedTrustList,
) -> Result<TrustListState, TrustError> {
    let offered = new.state();
    let Some(held) = previous else {
        return Ok(offered);
    };
    if held.list_id != offered.list_id {
        return Err(TrustError::ListIdMismatch {
            held: held.list_id.clone(),
            offered: offered.list_id,
        });
    }
    let rollback = || TrustError::Rollback {
        held_sequence: held.sequence,
        offered_sequence: offered.sequence,
        held_iat: held.iat,
        offered_iat: offered.iat,
    };
    if offered.sequence < held.sequence || offered.iat < held.iat {
        return Err(rollback());
    }
    if offered.sequence == held.sequence && offered.payload_hash != held.payload_hash {
        return Err(TrustError::SequenceReused {
            sequence: held.sequence,
        });
    }
    Ok(offered)
}
