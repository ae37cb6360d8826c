//! The credential types (`vct`) of this federation, shared by issuers, verifiers and wallets.

/// `vct` of the identity credential issued by certified IDSPs (every personal claim
/// selectively disclosable).
pub const IDENTITY_VCT: &str = "urn:dvs:vct:uk-identity:1";
/// `vct` of the age credential (`age_over_NN` booleans only).
pub const AGE_VCT: &str = "urn:dvs:vct:uk-age:1";
