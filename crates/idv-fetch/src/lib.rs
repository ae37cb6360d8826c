//! What the federation's relying services fetch, and how: bounded HTTP GETs ([`http`]), the
//! trust list with its rollback state persisted in the service's database ([`trust_list`]),
//! issuers' status lists cached within policy bounds ([`status_list`]), and the credential
//! types the trust list pins ([`type_metadata`]). Failed fetches of the trust list and status lists
//! are retried after a [`backoff`]; decisions never wait on a hung operator or issuer while
//! a usable list is held.
//!
//! The verifier and the wallet simulator use it; the protocol crates (`idv-trust`,
//! `idv-status-list`) stay free of I/O and do every check, this crate only moves bytes and
//! state between them and the network and the service's store (through
//! [`trust_list::RollbackStore`]; the SQL is `idv_service_kit::db::trust_list_state`'s).

pub mod backoff;
pub mod http;
pub mod status_list;
pub mod trust_list;
pub mod type_metadata;

pub use backoff::Backoff;
pub use http::{FetchError, FetchPolicy, Fetched, Fetcher, is_loopback_host};
pub use status_list::{StatusCheck, StatusClientError, StatusListClient};
pub use trust_list::{RollbackStore, RollbackStoreError, TrustClientError, TrustListClient};
pub use type_metadata::{TypeMetadataClient, TypeMetadataClientError};
