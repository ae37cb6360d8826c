//! An issuer's signed Token Status List as the tests and benchmarks serve it.

use idv_jose::SigningKey;
use idv_status_list::StatusListBuf;
use idv_status_list::token::{issue_token, token_claims};

/// `list` as the Status List Token at `uri`, signed by `issuer` a minute before `now`, expiring
/// a day after `now`, to be cached for an hour.
#[allow(
    clippy::expect_used,
    reason = "the subject is never empty and the key signs"
)]
pub fn signed_status_list(
    uri: &str,
    list: &StatusListBuf,
    issuer: &SigningKey,
    now: i64,
) -> String {
    let claims = token_claims(uri, now - 60, Some(now + 24 * 60 * 60), Some(3600), list);
    issue_token(&claims, issuer, None, None).expect("a status list token signs")
}
