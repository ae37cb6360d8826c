//! SD-JWT VC (draft-ietf-oauth-sd-jwt-vc) claim types and documents that other crates share.

pub mod status;
pub mod type_metadata;
pub mod vct;
