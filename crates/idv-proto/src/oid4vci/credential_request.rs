//! `POST /credential` request body (`application/json`; `application/jwt` when encrypted).
//!
//! OpenID4VCI 1.0 "Credential Endpoint" / "Credential Request" and "Proof Types".

use std::collections::BTreeMap;

use serde::de::{self, Deserialize, Deserializer};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

/// A Credential Request.
///
/// Exactly one of `credential_configuration_id` and `credential_identifier` must be present;
/// both are kept as options so that the issuer can answer a violation with
/// `invalid_credential_request` rather than a parse failure.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CredentialRequest {
    /// Used when the token response carried no `credential_identifiers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_configuration_id: Option<String>,
    /// One of the `credential_identifiers` from the token response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_identifier: Option<String>,
    /// Key proofs, one credential per proven key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proofs: Option<Proofs>,
    /// Key and algorithms for encrypting the Credential Response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_response_encryption: Option<CredentialResponseEncryption>,
}

/// The `proofs` object: exactly one proof type with a non-empty array of proofs.
///
/// Parsing rejects objects with zero or several proof types and empty arrays. Proof types this
/// crate does not model are kept as [`Proofs::Other`] so the issuer can reject them as unsupported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proofs {
    /// `jwt`: compact `openid4vci-proof+jwt` JWTs.
    Jwt(Vec<String>),
    /// `attestation`: a key attestation JWT (`typ: key-attestation+jwt`).
    Attestation(Vec<String>),
    /// `di_vp`: W3C Data Integrity verifiable presentations.
    DiVp(Vec<Value>),
    /// Any other proof type, unparsed.
    Other {
        /// The proof type name (the object key).
        proof_type: String,
        /// The value under that key.
        proofs: Value,
    },
}

impl Proofs {
    /// The proof type name, e.g. `"jwt"`.
    pub fn proof_type(&self) -> &str {
        match self {
            Self::Jwt(_) => "jwt",
            Self::Attestation(_) => "attestation",
            Self::DiVp(_) => "di_vp",
            Self::Other { proof_type, .. } => proof_type,
        }
    }
}

impl Serialize for Proofs {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            Self::Jwt(proofs) | Self::Attestation(proofs) => {
                map.serialize_entry(self.proof_type(), proofs)?;
            }
            Self::DiVp(proofs) => map.serialize_entry(self.proof_type(), proofs)?,
            Self::Other { proof_type, proofs } => map.serialize_entry(proof_type, proofs)?,
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Proofs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let entries = BTreeMap::<String, Value>::deserialize(deserializer)?;
        let mut entries = entries.into_iter();
        let (Some((proof_type, proofs)), None) = (entries.next(), entries.next()) else {
            return Err(de::Error::custom(
                "`proofs` must contain exactly one proof type",
            ));
        };
        fn non_empty<T: serde::de::DeserializeOwned, E: de::Error>(
            proof_type: &str,
            proofs: Value,
        ) -> Result<Vec<T>, E> {
            let proofs: Vec<T> = serde_json::from_value(proofs)
                .map_err(|error| E::custom(format_args!("`proofs.{proof_type}`: {error}")))?;
            if proofs.is_empty() {
                return Err(E::custom(format_args!(
                    "`proofs.{proof_type}` must not be empty"
                )));
            }
            Ok(proofs)
        }
        Ok(match proof_type.as_str() {
            "jwt" => Self::Jwt(non_empty(&proof_type, proofs)?),
            "attestation" => Self::Attestation(non_empty(&proof_type, proofs)?),
            "di_vp" => Self::DiVp(non_empty(&proof_type, proofs)?),
            _ => Self::Other { proof_type, proofs },
        })
    }
}

/// The `credential_response_encryption` object of a Credential Request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CredentialResponseEncryption {
    /// Public JWK to encrypt the response to; its `alg` names the JWE key management algorithm.
    pub jwk: Value,
    /// JWE content encryption algorithm, e.g. `A256GCM`.
    pub enc: String,
    /// JWE compression algorithm, e.g. `DEF`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn spec_example_request_round_trips() {
        let example = json!({
            "credential_configuration_id": "uk_rtw_sdjwt",
            "proofs": { "jwt": ["eyJ0eXAiOiJvcGVuaWQ0dmNpLXByb29mK2p3dCJ9.a.b", "eyJ.c.d"] },
            "credential_response_encryption": {
                "jwk": { "kty": "EC", "crv": "P-256", "x": "x", "y": "y", "alg": "ECDH-ES", "kid": "1" },
                "enc": "A256GCM",
                "zip": "DEF"
            }
        });
        let request: CredentialRequest = serde_json::from_value(example.clone()).unwrap();
        assert!(matches!(&request.proofs, Some(Proofs::Jwt(jwts)) if jwts.len() == 2));
        assert_eq!(request.credential_identifier, None);
        assert_eq!(serde_json::to_value(&request).unwrap(), example);
    }

    #[test]
    fn both_identifiers_parse_so_the_issuer_can_reject_them() {
        let request: CredentialRequest = serde_json::from_value(json!({
            "credential_configuration_id": "a",
            "credential_identifier": "b"
        }))
        .unwrap();
        assert!(
            request.credential_configuration_id.is_some()
                && request.credential_identifier.is_some()
        );
    }

    #[test]
    fn unknown_proof_type_is_kept_for_rejection() {
        let proofs: Proofs = serde_json::from_value(json!({ "cwt": ["x"] })).unwrap();
        assert_eq!(proofs.proof_type(), "cwt");
        assert_eq!(
            serde_json::to_value(&proofs).unwrap(),
            json!({ "cwt": ["x"] })
        );
    }

    #[test]
    fn proofs_with_several_or_no_types_are_rejected() {
        assert!(
            serde_json::from_value::<Proofs>(json!({ "jwt": ["a"], "attestation": ["b"] }))
                .is_err()
        );
        assert!(serde_json::from_value::<Proofs>(json!({})).is_err());
    }

    #[test]
    fn empty_or_mistyped_proof_arrays_are_rejected() {
        assert!(serde_json::from_value::<Proofs>(json!({ "jwt": [] })).is_err());
        assert!(serde_json::from_value::<Proofs>(json!({ "jwt": "eyJ.a.b" })).is_err());
        assert!(serde_json::from_value::<Proofs>(json!({ "jwt": [1] })).is_err());
    }
}
