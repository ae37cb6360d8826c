//! What the unit tests of the engine share: two credential types and the JSON readers of a
//! query and of claims paths.

use idv_proto::claims_path::ClaimsPath;
use idv_proto::oid4vp::dcql::DcqlQuery;
use serde_json::Value;

/// A right-to-work credential type.
pub(crate) const RTW: &str = "https://trust.example.uk/vct/rtw/1";
/// An age credential type.
pub(crate) const AGE: &str = "https://trust.example.uk/vct/age/1";

/// A DCQL query from its JSON.
pub(crate) fn parse(json: Value) -> DcqlQuery {
    serde_json::from_value(json).unwrap()
}

/// Claims paths from their JSON array.
pub(crate) fn paths(json: Value) -> Vec<ClaimsPath> {
    serde_json::from_value(json).unwrap()
}
