//! Claims path pointer: a non-empty JSON array of strings, `null`s and non-negative integers
//! that points into a credential's claims.
//!
//! Defined by OpenID4VP 1.0 "Claims Path Pointer" and reused by OpenID4VCI 1.0 claims
//! descriptions ("Claims Description" in Appendix "Credential Format Profiles").
//! Processing against a JSON value lives in `idv-dcql`; this module is the wire form only.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeSeq, Serializer};

/// One component of a [`ClaimsPath`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathElement {
    /// A JSON string: select this key of an object.
    Key(String),
    /// JSON `null`: select every element of an array.
    AllElements,
    /// A non-negative JSON integer: select this (0-based) index of an array.
    Index(u64),
}

/// A non-empty claims path pointer, e.g. `["address", "street_address"]` or `["degrees", null, "type"]`.
///
/// The inner vector is private so that an empty path cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClaimsPath(Vec<PathElement>);

/// A claims path pointer must have at least one component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a claims path pointer must not be empty")]
pub struct EmptyClaimsPath;

impl ClaimsPath {
    /// Builds a path from its components; fails when `elements` is empty.
    pub fn new(elements: Vec<PathElement>) -> Result<Self, EmptyClaimsPath> {
        if elements.is_empty() {
            Err(EmptyClaimsPath)
        } else {
            Ok(Self(elements))
        }
    }

    /// Builds a path of object keys only, e.g. `ClaimsPath::from_keys(["address", "locality"])`.
    pub fn from_keys<I, S>(keys: I) -> Result<Self, EmptyClaimsPath>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::new(
            keys.into_iter()
                .map(|key| PathElement::Key(key.into()))
                .collect(),
        )
    }

    /// The components, never empty.
    pub fn elements(&self) -> &[PathElement] {
        &self.0
    }

    /// Consumes the path, returning its components.
    pub fn into_elements(self) -> Vec<PathElement> {
        self.0
    }
}

impl fmt::Display for PathElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // `Value`'s Display writes a correctly escaped JSON string.
            Self::Key(key) => write!(f, "{}", serde_json::Value::String(key.clone())),
            Self::AllElements => f.write_str("null"),
            Self::Index(index) => write!(f, "{index}"),
        }
    }
}

/// Displays the path as its compact JSON form, e.g. `["degrees",null,"type"]`.
impl fmt::Display for ClaimsPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (position, element) in self.0.iter().enumerate() {
            if position > 0 {
                f.write_str(",")?;
            }
            write!(f, "{element}")?;
        }
        f.write_str("]")
    }
}

impl Serialize for PathElement {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Key(key) => serializer.serialize_str(key),
            Self::AllElements => serializer.serialize_unit(),
            Self::Index(index) => serializer.serialize_u64(*index),
        }
    }
}

impl<'de> Deserialize<'de> for PathElement {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PathElementVisitor)
    }
}

struct PathElementVisitor;

impl<'de> Visitor<'de> for PathElementVisitor {
    type Value = PathElement;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a claims path component: a string, null or a non-negative integer")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<PathElement, E> {
        Ok(PathElement::Key(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<PathElement, E> {
        Ok(PathElement::Key(value))
    }

    fn visit_unit<E: de::Error>(self) -> Result<PathElement, E> {
        Ok(PathElement::AllElements)
    }

    fn visit_none<E: de::Error>(self) -> Result<PathElement, E> {
        Ok(PathElement::AllElements)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<PathElement, E> {
        Ok(PathElement::Index(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<PathElement, E> {
        u64::try_from(value)
            .map(PathElement::Index)
            .map_err(|_| E::invalid_value(de::Unexpected::Signed(value), &self))
    }
}

impl Serialize for ClaimsPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for element in &self.0 {
            seq.serialize_element(element)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for ClaimsPath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(ClaimsPathVisitor)
    }
}

struct ClaimsPathVisitor;

impl<'de> Visitor<'de> for ClaimsPathVisitor {
    type Value = ClaimsPath;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a non-empty array of strings, nulls and non-negative integers")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ClaimsPath, A::Error> {
        // The size hint comes from untrusted input: cap the pre-allocation.
        let mut elements = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
        while let Some(element) = seq.next_element()? {
            elements.push(element);
        }
        ClaimsPath::new(elements).map_err(|_| de::Error::invalid_length(0, &self))
    }
}

/// A claims path's schema (OpenID4VP 1.0 §7): a non-empty array of keys, indexes and `null`.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for ClaimsPath {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
        let element = ObjectBuilder::new().schema_type(SchemaType::from_iter([
            Type::String,
            Type::Integer,
            Type::Null,
        ]));
        ArrayBuilder::new()
            .items(element)
            .min_items(Some(1))
            .description(Some(
                "A claims path pointer (OpenID4VP 1.0 §7): keys, array indexes and `null` \
                 (every element).",
            ))
            .build()
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for ClaimsPath {}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<ClaimsPath, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn strings_nulls_and_indices_round_trip() {
        let json = r#"["degrees",null,"type",0]"#;
        let path = parse(json).unwrap();
        assert_eq!(
            path.elements(),
            [
                PathElement::Key("degrees".into()),
                PathElement::AllElements,
                PathElement::Key("type".into()),
                PathElement::Index(0),
            ]
        );
        assert_eq!(serde_json::to_string(&path).unwrap(), json);
    }

    #[test]
    fn display_is_compact_json_with_escaped_keys() {
        let path = parse(r#"["a\"b",null,7]"#).unwrap();
        assert_eq!(path.to_string(), r#"["a\"b",null,7]"#);
    }

    #[test]
    fn empty_path_is_rejected() {
        let error = parse("[]").unwrap_err().to_string();
        assert!(error.contains("non-empty array"), "{error}");
        assert_eq!(ClaimsPath::new(Vec::new()), Err(EmptyClaimsPath));
    }

    #[test]
    fn negative_index_is_rejected() {
        let error = parse(r#"["nationalities",-1]"#).unwrap_err().to_string();
        assert!(error.contains("non-negative integer"), "{error}");
    }

    #[test]
    fn floats_booleans_objects_and_arrays_are_rejected() {
        for json in [
            r#"["a",1.0]"#,
            r#"["a",true]"#,
            r#"["a",{}]"#,
            r#"["a",["b"]]"#,
            r#"["a",18446744073709551616]"#,
        ] {
            assert!(parse(json).is_err(), "{json} must be rejected");
        }
    }

    #[test]
    fn a_path_must_be_an_array() {
        assert!(parse(r#""address""#).is_err());
        assert!(parse("null").is_err());
    }

    #[test]
    fn from_keys_builds_a_key_only_path() {
        let path = ClaimsPath::from_keys(["address", "locality"]).unwrap();
        assert_eq!(path.to_string(), r#"["address","locality"]"#);
        assert_eq!(
            ClaimsPath::from_keys(Vec::<String>::new()),
            Err(EmptyClaimsPath)
        );
    }
}
