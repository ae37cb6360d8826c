//! Token Status List (draft-ietf-oauth-status-list-20) for SD-JWT VCs, profiled by HAIP 1.0.
//!
//! A credential carries `"status": {"status_list": {"idx": 42, "uri": "https://…/lists/7"}}`.
//! The list at that `uri` is a signed JWT whose `status_list.lst` is a ZLIB-compressed,
//! base64url-encoded array of 1-, 2-, 4- or 8-bit statuses; entry 42 says whether the credential
//! is VALID, INVALID (revoked) or SUSPENDED.
//!
//! **Issuer.** When issuing a credential, pick its index with
//! [`allocate::random_free_index`]: uniformly random over the free entries (HAIP: "unique,
//! unpredictable"), never one used before. Keep the list in a [`StatusListBuf`], flip entries with
//! [`StatusListBuf::set`] on revocation or suspension, and publish it re-signed with
//! [`token::issue_token`] (`typ: statuslist+jwt`, `sub` = the list's URI, `iat`, `exp`, `ttl`),
//! served as `application/statuslist+jwt`.
//!
//! **Relying party.** After the credential itself has verified (never fetch status for a token
//! already invalid), fetch its `uri` and call [`verify::verify_status_list_token`] with the
//! credential issuer's key: it checks the signature and `typ`, the required claims, `sub` ==
//! `uri`, `iat`, `exp`, `ttl` bounds, inflates the list under a size cap and checks the index,
//! in draft-20 order. The result, a [`VerifiedStatusList`], can be cached until
//! [`VerifiedStatusList::fresh_until`] and queried for many indices with
//! [`VerifiedStatusList::lookup`]. What a status means for the use case is the caller's
//! decision; [`Status::is_valid`] is the strict reading.
//!
//! Modules:
//! - [`codec`]: [`StatusBits`], [`Status`] and the bit-packed [`StatusListBuf`] with its
//!   ZLIB/base64url `lst` encoding; decoding is capped, so a compression bomb is an error.
//! - [`token`]: issuing Status List Tokens.
//! - [`verify`]: verifying them ([`StatusPolicy`] holds the limits) and looking statuses up.
//! - [`allocate`]: random, never-reused index allocation.
//!
//! Out of scope here: HTTP fetching (redirects, `Accept`, caching storage), historical
//! resolution (`?time=`), aggregation and the CWT form.

pub mod allocate;
pub mod codec;
mod error;
pub mod token;
pub mod verify;

pub use codec::{Status, StatusBits, StatusListBuf};
pub use error::StatusListError;
pub use verify::{StatusPolicy, VerifiedStatusList};
