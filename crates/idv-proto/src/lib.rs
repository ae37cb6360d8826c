//! Wire types of the federated-idv protocols: serde structs and enums, a few newtypes and the
//! OAuth error body. Nothing here performs I/O, cryptography or protocol decisions; parsing
//! only rejects what cannot be represented (wrong JSON types, unknown enum strings, empty
//! claims paths, malformed `proofs`).
//!
//! Flows and where their messages live:
//!
//! - **Issuance** (OpenID4VCI 1.0, [`oid4vci`]): the issuer publishes
//!   [`oid4vci::issuer_metadata`] and [`oid4vci::authorization_server_metadata`], hands the
//!   wallet a [`oid4vci::credential_offer`], the wallet exchanges the pre-authorized code at the
//!   [`oid4vci::token`] endpoint, fetches a `c_nonce` from [`oid4vci::nonce`], signs a
//!   [`oid4vci::proof`] JWT and sends a [`oid4vci::credential_request`], receiving a
//!   [`oid4vci::credential_response`].
//! - **Presentation** (OpenID4VP 1.0, [`oid4vp`]): the verifier signs a Request Object
//!   ([`oid4vp::authorization_request`]) carrying a [`oid4vp::dcql`] query and its
//!   [`oid4vp::verifier_metadata`]; the wallet posts an [`oid4vp::authorization_response`].
//! - **Trust** (our signed DVS trust list, docs/trust-list.md, [`trust`]): the operator signs a
//!   [`trust::trust_list`] of certified services ([`trust::entry`]) and registered relying
//!   parties ([`trust::relying_party`]), and attests relying parties' keys and purposes
//!   ([`trust::verifier_attestation`]).
//! - **Status** (Token Status List): credentials carry a [`sd_jwt_vc::status`] claim pointing
//!   into a [`status_list`] token.
//! - **Credential types**: the scheme owner publishes each `vct`'s
//!   [`sd_jwt_vc::type_metadata`] and the trust list pins it ([`trust::credential_type`]).
//! - Shared: [`claims_path`] pointers (DCQL and issuer metadata), [`jwk_set`], and
//!   [`oauth_error`] bodies returned by every endpoint.
//!
//! Identifiers and URLs are kept as `String`s: OpenID4VCI/VP compare them as exact strings, and
//! URL normalisation would break that.

pub mod calendar;
pub mod claims_path;
pub mod jwk_set;
pub mod oauth_error;
pub mod oid4vci;
pub mod oid4vp;
pub mod sd_jwt_vc;
pub mod status_list;
pub mod trust;
