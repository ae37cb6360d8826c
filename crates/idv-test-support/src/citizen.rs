//! The fictional citizen the tests and benchmarks proof and issue to: Ada Lovelace, British,
//! holding a valid passport, proofed to GPG 45 medium confidence (profile M1B).

use idv_profiles::{IdentityDocument, ProofedIdentity};
use serde_json::{Map, Value};

/// Her portrait: the start of a JPEG file (SOI and JFIF APP0 marker) as a `data:` URI.
pub const PORTRAIT: &str = "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBD";

/// Ada Lovelace as her provider proofed her at `proofed_at` (Unix seconds), with her
/// [`PORTRAIT`] and her address in London.
pub fn ada_lovelace(proofed_at: i64) -> ProofedIdentity {
    let address: Map<String, Value> = [
        ("street_address", "12 Analytical Row"),
        ("locality", "London"),
        ("postal_code", "N1 9GU"),
    ]
    .into_iter()
    .map(|(member, value)| (member.to_owned(), value.into()))
    .collect();
    ProofedIdentity {
        given_name: "Ada".into(),
        family_name: "Lovelace".into(),
        birthdate: "1990-12-10".into(),
        nationalities: vec!["GB".into()],
        document: IdentityDocument {
            document_type: "passport".into(),
            issuing_country: "GB".into(),
            date_of_expiry: "2031-01-31".into(),
        },
        portrait: Some(PORTRAIT.into()),
        address: Some(address),
        level_of_confidence: "medium".into(),
        gpg45_profile: "M1B".into(),
        proofed_at,
    }
}
