//! SD-JWT VC (draft-ietf-oauth-sd-jwt-vc) claim types that other crates share.

pub mod status;
pub mod vct;
