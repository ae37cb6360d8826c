//! OpenID for Verifiable Credential Issuance 1.0 wire types, one module per spec object or
//! endpoint.

pub mod authorization_details;
pub mod authorization_server_metadata;
pub mod credential_offer;
pub mod credential_request;
pub mod credential_response;
pub mod issuer_metadata;
pub mod nonce;
pub mod proof;
pub mod token;
