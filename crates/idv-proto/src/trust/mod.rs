//! DVS trust list and relying-party registration wire types.
//!
//! The simulated OfDIA operator publishes the register of certified digital verification
//! services as a signed JSON trust list (`typ: dvs-trust-list+jwt`, served with
//! `Content-Type: application/dvs-trust-list+jwt`): our design in docs/trust-list.md, modelled
//! on ETSI TS 119 612 sequence/next-update semantics and the UK DVS register (DUA Act 2025
//! Part 2, s.32 and s.36). Relying parties are registered in the same list and receive a
//! Verifier Attestation JWT (OpenID4VP 1.0 "Defined Client Identifier Prefixes",
//! `verifier_attestation:`) naming the purposes they may request claims for.
//!
//! - [`trust_list`]: the signed list's claims.
//! - [`entry`]: one certified service and the UK vocabulary (roles, schemes, GPG 45 levels).
//! - [`relying_party`]: a registered relying party and its purposes.
//! - [`credential_type`]: where the scheme's credential types' Type Metadata is published.
//! - [`verifier_attestation`]: the attestation JWT a relying party signs its requests under.
//!
//! Verification and trust decisions live in `idv-trust`.

pub mod credential_type;
pub mod entry;
pub mod relying_party;
pub mod trust_list;
pub mod verifier_attestation;
