//! OpenID for Verifiable Presentations 1.0 wire types, one module per spec object or endpoint.

pub mod authorization_request;
pub mod authorization_response;
pub mod dcql;
pub mod verifier_metadata;
