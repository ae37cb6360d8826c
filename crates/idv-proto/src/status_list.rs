//! Status List Token (JWT) claims and the `status_list` object, served at
//! `GET <status.status_list.uri>` with `Content-Type: application/statuslist+jwt`.
//!
//! draft-ietf-oauth-status-list-20 "Status List" and "Status List Token in JWT Format".
//! Decoding `lst` (base64url, zlib, bit packing) lives in `idv-status-list`.

use serde::{Deserialize, Serialize};

/// JOSE header `typ` of a Status List Token.
pub const STATUS_LIST_TOKEN_TYP: &str = "statuslist+jwt";

/// Media type of a Status List Token response.
pub const STATUS_LIST_TOKEN_MEDIA_TYPE: &str = "application/statuslist+jwt";

/// The `status_list` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusList {
    /// Bits per status: 1, 2, 4 or 8 (checked by the decoder).
    pub bits: u8,
    /// base64url of the zlib-compressed status byte array.
    pub lst: String,
    /// URI to retrieve the list of all Status List Tokens of this issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregation_uri: Option<String>,
}

/// Claims of a Status List Token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusListTokenClaims {
    /// URI of this token; must equal the Referenced Token's `status.status_list.uri`.
    pub sub: String,
    /// Issuance time (seconds since the epoch).
    pub iat: i64,
    /// Expiry time (seconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Maximum seconds the token may be cached before refetching.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u64>,
    /// The status list.
    pub status_list: StatusList,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn spec_example_status_list_token_claims_round_trip() {
        let example = json!({
            "exp": 2291720170_i64,
            "iat": 1686920170,
            "status_list": { "bits": 1, "lst": "eNrbuRgAAhcBXQ" },
            "sub": "https://example.com/statuslists/1",
            "ttl": 43200
        });
        let claims: StatusListTokenClaims = serde_json::from_value(example.clone()).unwrap();
        assert_eq!(claims.status_list.bits, 1);
        assert_eq!(claims.ttl, Some(43200));
        assert_eq!(serde_json::to_value(&claims).unwrap(), example);
    }

    #[test]
    fn status_list_with_aggregation_uri_round_trips() {
        let example = json!({ "bits": 2, "lst": "eNo76fITAAPfAgc", "aggregation_uri": "https://example.com/statuslists" });
        let list: StatusList = serde_json::from_value(example.clone()).unwrap();
        assert_eq!(serde_json::to_value(&list).unwrap(), example);
    }

    #[test]
    fn token_without_sub_or_with_negative_ttl_is_rejected() {
        let list = json!({ "bits": 1, "lst": "eNrbuRgAAhcBXQ" });
        assert!(
            serde_json::from_value::<StatusListTokenClaims>(
                json!({ "iat": 1, "status_list": list })
            )
            .is_err()
        );
        assert!(
            serde_json::from_value::<StatusListTokenClaims>(
                json!({ "sub": "s", "iat": 1, "ttl": -5, "status_list": list })
            )
            .is_err()
        );
    }
}
