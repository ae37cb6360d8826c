//! The `status` claim of a Referenced Token (here an SD-JWT VC), pointing into a Status List.
//!
//! draft-ietf-oauth-status-list-20 "Referenced Token in JOSE"; SD-JWT VC "Registered JWT Claims".

use serde::{Deserialize, Serialize};

/// The `status` claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusClaim {
    /// Reference into a Status List Token.
    pub status_list: StatusListReference,
}

/// `status.status_list`: where this token's status lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusListReference {
    /// Index of this token in the list (non-negative integer).
    pub idx: u64,
    /// URI of the Status List Token; must equal that token's `sub`.
    pub uri: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn status_claim_round_trips() {
        let example =
            json!({ "status_list": { "idx": 0, "uri": "https://example.com/statuslists/1" } });
        let claim: StatusClaim = serde_json::from_value(example.clone()).unwrap();
        assert_eq!(claim.status_list.idx, 0);
        assert_eq!(serde_json::to_value(&claim).unwrap(), example);
    }

    #[test]
    fn negative_fractional_or_textual_idx_is_rejected() {
        for idx in [json!(-1), json!(1.5), json!("1")] {
            let claim = json!({ "status_list": { "idx": idx, "uri": "https://example.com/statuslists/1" } });
            assert!(serde_json::from_value::<StatusClaim>(claim).is_err());
        }
    }
}
