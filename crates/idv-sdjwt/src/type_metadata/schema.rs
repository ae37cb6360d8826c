//! A strict validator for the subset of JSON Schema 2020-12 our credential types use.
//!
//! Assertions: `type` (a name or a list of names), `enum`, `const`, `properties`,
//! `required`, `additionalProperties` (a boolean), `items` (a schema), `minItems`,
//! `maxItems`, `uniqueItems`, `minLength`, `maxLength` (in code points), `pattern` (the
//! subset of [`super::pattern`]) and `format: "date"` (RFC 3339 `full-date`, asserted as the
//! "format-assertion" vocabulary would). Annotations `$schema` (which must be 2020-12 when
//! present), `$id`, `$comment`, `title`, `description` and `examples` are read and ignored.
//! Any other keyword refuses the schema when it is compiled: a constraint we do not
//! understand is never silently skipped.
//!
//! A failure names the instance location (a JSON Pointer of claim names) and the keyword,
//! never a value.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use super::pattern::Pattern;

/// The only `$schema` accepted.
pub const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// A compiled schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema(Node);

/// Why a schema cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported JSON Schema at {at}: {reason}")]
pub struct SchemaError {
    /// JSON Pointer of the offending schema location.
    pub at: String,
    /// What is wrong or outside the subset.
    pub reason: String,
}

/// Where and how an instance fails its schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the claim at {at:?} fails the schema's {keyword}")]
pub struct SchemaViolation {
    /// JSON Pointer of the failing instance location ("" is the whole payload).
    pub at: String,
    /// The failing keyword, e.g. `type`.
    pub keyword: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonType {
    Null,
    Boolean,
    Object,
    Array,
    Number,
    String,
    Integer,
}

impl JsonType {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "null" => Self::Null,
            "boolean" => Self::Boolean,
            "object" => Self::Object,
            "array" => Self::Array,
            "number" => Self::Number,
            "string" => Self::String,
            "integer" => Self::Integer,
            _ => return None,
        })
    }

    fn admits(self, value: &Value) -> bool {
        match (self, value) {
            (Self::Null, Value::Null)
            | (Self::Boolean, Value::Bool(_))
            | (Self::Object, Value::Object(_))
            | (Self::Array, Value::Array(_))
            | (Self::Number, Value::Number(_))
            | (Self::String, Value::String(_)) => true,
            // JSON Schema 2020-12 (Validation §6.1.1): a number with a zero fractional part.
            (Self::Integer, Value::Number(n)) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Node {
    types: Option<Vec<JsonType>>,
    one_of_values: Option<Vec<Value>>,
    constant: Option<Value>,
    properties: BTreeMap<String, Node>,
    required: Vec<String>,
    additional_properties: bool,
    items: Option<Box<Node>>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    unique_items: bool,
    min_length: Option<u64>,
    max_length: Option<u64>,
    pattern: Option<Pattern>,
    date: bool,
}

impl Schema {
    /// Compiles a schema document, refusing anything outside the subset.
    pub fn compile(schema: &Value) -> Result<Self, SchemaError> {
        if let Some(declared) = schema.get("$schema")
            && declared != DRAFT_2020_12
        {
            return Err(error("", "$schema must be JSON Schema 2020-12"));
        }
        let root = compile(schema, "")?;
        if root.one_of_values.is_some() || root.constant.is_some() {
            return Err(error("", "enum and const apply to claims, not the payload"));
        }
        Ok(Self(root))
    }

    /// Validates `instance` (a processed SD-JWT payload).
    pub fn validate(&self, instance: &Map<String, Value>) -> Result<(), SchemaViolation> {
        if let Some(types) = &self.0.types
            && !types.contains(&JsonType::Object)
        {
            return Err(SchemaViolation {
                at: String::new(),
                keyword: "type",
            });
        }
        let mut at = String::new();
        self.0.validate_object(instance, &mut at)
    }
}

fn error(at: &str, reason: impl fmt::Display) -> SchemaError {
    SchemaError {
        at: at.to_owned(),
        reason: reason.to_string(),
    }
}

fn compile(schema: &Value, at: &str) -> Result<Node, SchemaError> {
    let Value::Object(schema) = schema else {
        return Err(error(at, "a schema must be an object"));
    };
    let mut node = Node {
        additional_properties: true,
        ..Node::default()
    };
    let count = |value: &Value, keyword: &str| {
        value
            .as_u64()
            .ok_or_else(|| error(at, format!("{keyword} must be a non-negative integer")))
    };
    for (keyword, value) in schema {
        let here = format!("{at}/{}", escape(keyword));
        match keyword.as_str() {
            "$schema" | "$id" | "$comment" | "title" | "description" | "examples" => {}
            "type" => {
                let names: Vec<&Value> = match value {
                    Value::Array(names) if !names.is_empty() => names.iter().collect(),
                    Value::String(_) => vec![value],
                    _ => return Err(error(&here, "type must be a name or a list of names")),
                };
                let types = names
                    .into_iter()
                    .map(|name| name.as_str().and_then(JsonType::parse))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| error(&here, "unknown type name"))?;
                node.types = Some(types);
            }
            "enum" => match value {
                Value::Array(values) if !values.is_empty() => {
                    node.one_of_values = Some(values.clone());
                }
                _ => return Err(error(&here, "enum must be a non-empty array")),
            },
            "const" => node.constant = Some(value.clone()),
            "properties" => {
                let Value::Object(properties) = value else {
                    return Err(error(&here, "properties must be an object"));
                };
                for (name, schema) in properties {
                    let at = format!("{here}/{}", escape(name));
                    node.properties.insert(name.clone(), compile(schema, &at)?);
                }
            }
            "required" => {
                node.required = value
                    .as_array()
                    .and_then(|names| {
                        names
                            .iter()
                            .map(|n| n.as_str().map(str::to_owned))
                            .collect()
                    })
                    .ok_or_else(|| error(&here, "required must be an array of names"))?;
            }
            "additionalProperties" => {
                node.additional_properties = value
                    .as_bool()
                    .ok_or_else(|| error(&here, "only a boolean additionalProperties"))?;
            }
            "items" => node.items = Some(Box::new(compile(value, &here)?)),
            "minItems" => node.min_items = Some(count(value, keyword)?),
            "maxItems" => node.max_items = Some(count(value, keyword)?),
            "uniqueItems" => {
                node.unique_items = value
                    .as_bool()
                    .ok_or_else(|| error(&here, "uniqueItems must be a boolean"))?;
            }
            "minLength" => node.min_length = Some(count(value, keyword)?),
            "maxLength" => node.max_length = Some(count(value, keyword)?),
            "pattern" => {
                let source = value
                    .as_str()
                    .ok_or_else(|| error(&here, "pattern must be a string"))?;
                node.pattern =
                    Some(Pattern::compile(source).map_err(|reason| error(&here, reason))?);
            }
            "format" => match value.as_str() {
                Some("date") => node.date = true,
                _ => return Err(error(&here, "only format \"date\" is supported")),
            },
            _ => return Err(error(&here, "keyword outside the supported subset")),
        }
    }
    Ok(node)
}

/// A key as a JSON Pointer reference token (RFC 6901 §3).
fn escape(key: &str) -> std::borrow::Cow<'_, str> {
    if key.contains(['~', '/']) {
        key.replace('~', "~0").replace('/', "~1").into()
    } else {
        key.into()
    }
}

impl Node {
    fn validate(&self, value: &Value, at: &mut String) -> Result<(), SchemaViolation> {
        let fail = |keyword| {
            Err(SchemaViolation {
                at: at.clone(),
                keyword,
            })
        };
        if let Some(types) = &self.types
            && !types.iter().any(|t| t.admits(value))
        {
            return fail("type");
        }
        if let Some(values) = &self.one_of_values
            && !values.contains(value)
        {
            return fail("enum");
        }
        if let Some(constant) = &self.constant
            && constant != value
        {
            return fail("const");
        }
        match value {
            Value::Object(object) => self.validate_object(object, at),
            Value::Array(array) => self.validate_array(array, at),
            Value::String(text) => self.validate_string(text, at),
            _ => Ok(()),
        }
    }

    fn validate_object(
        &self,
        object: &Map<String, Value>,
        at: &mut String,
    ) -> Result<(), SchemaViolation> {
        if let Some(missing) = self.required.iter().find(|n| !object.contains_key(*n)) {
            return Err(SchemaViolation {
                at: format!("{at}/{}", escape(missing)),
                keyword: "required",
            });
        }
        for (name, value) in object {
            let len = at.len();
            at.push('/');
            at.push_str(&escape(name));
            let result = match self.properties.get(name) {
                Some(schema) => schema.validate(value, at),
                None if !self.additional_properties => Err(SchemaViolation {
                    at: at.clone(),
                    keyword: "additionalProperties",
                }),
                None => Ok(()),
            };
            result?;
            at.truncate(len);
        }
        Ok(())
    }

    fn validate_array(&self, array: &[Value], at: &mut String) -> Result<(), SchemaViolation> {
        let fail = |keyword| {
            Err(SchemaViolation {
                at: at.clone(),
                keyword,
            })
        };
        let len = array.len() as u64;
        if self.min_items.is_some_and(|min| len < min) {
            return fail("minItems");
        }
        if self.max_items.is_some_and(|max| len > max) {
            return fail("maxItems");
        }
        if self.unique_items
            && array
                .iter()
                .enumerate()
                .any(|(i, a)| array[i + 1..].contains(a))
        {
            return fail("uniqueItems");
        }
        if let Some(items) = &self.items {
            for (index, item) in array.iter().enumerate() {
                let len = at.len();
                at.push('/');
                at.push_str(&index.to_string());
                items.validate(item, at)?;
                at.truncate(len);
            }
        }
        Ok(())
    }

    fn validate_string(&self, text: &str, at: &str) -> Result<(), SchemaViolation> {
        let fail = |keyword| {
            Err(SchemaViolation {
                at: at.to_owned(),
                keyword,
            })
        };
        // Code points lie between a quarter of the UTF-8 bytes and all of them: count them
        // only when the byte length does not decide (a portrait is tens of KiB).
        let bytes = text.len() as u64;
        let needs_count = self.min_length.is_some_and(|min| bytes.div_ceil(4) < min)
            || self.max_length.is_some_and(|max| bytes > max);
        if needs_count {
            let length = text.chars().count() as u64;
            if self.min_length.is_some_and(|min| length < min) {
                return fail("minLength");
            }
            if self.max_length.is_some_and(|max| length > max) {
                return fail("maxLength");
            }
        }
        if let Some(pattern) = &self.pattern
            && !pattern.is_match(text)
        {
            return fail("pattern");
        }
        if self.date && !is_full_date(text) {
            return fail("format");
        }
        Ok(())
    }
}

/// RFC 3339 `full-date`: `YYYY-MM-DD` naming a day that exists.
fn is_full_date(text: &str) -> bool {
    idv_proto::calendar::parse_date(text).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Schema {
        Schema::compile(&json!({
            "$schema": DRAFT_2020_12,
            "title": "test",
            "type": "object",
            "properties": {
                "vct": {"const": "urn:test:1"},
                "birthdate": {"type": "string", "format": "date"},
                "nationalities": {
                    "type": "array", "minItems": 1, "maxItems": 3, "uniqueItems": true,
                    "items": {"type": "string", "pattern": "^[A-Z]{2}$"}
                },
                "given_name": {"type": "string", "minLength": 1, "maxLength": 4},
                "time": {"type": "integer"},
                "level": {"enum": ["low", "medium"]},
                "note": {"type": ["string", "null"]},
                "address": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["country"],
                    "properties": {"country": {"type": "string"}, "a/b": {"type": "string"}}
                }
            },
            "required": ["vct"],
            "additionalProperties": false
        }))
        .unwrap()
    }

    fn violation(instance: Value) -> Option<(String, &'static str)> {
        let Value::Object(instance) = instance else {
            unreachable!()
        };
        schema()
            .validate(&instance)
            .err()
            .map(|v| (v.at, v.keyword))
    }

    #[test]
    fn conforming_payloads_pass() {
        assert_eq!(violation(json!({"vct": "urn:test:1"})), None);
        // Four code points in eight bytes.
        assert_eq!(
            violation(json!({"vct": "urn:test:1", "given_name": "ÉÉÉÉ"})),
            None
        );
        assert_eq!(
            violation(json!({
                "vct": "urn:test:1", "birthdate": "2000-02-29", "nationalities": ["GB", "IE"],
                "given_name": "Ada", "time": 1.0e9, "level": "low", "note": null,
                "address": {"country": "GB", "a/b": "x"}
            })),
            None
        );
    }

    #[test]
    fn each_keyword_fails_where_it_should() {
        let base = json!({"vct": "urn:test:1"});
        for (member, value, at, keyword) in [
            ("nationalities", json!("GB"), "/nationalities", "type"),
            ("nationalities", json!([]), "/nationalities", "minItems"),
            (
                "nationalities",
                json!(["GB", "IE", "FR", "DE"]),
                "/nationalities",
                "maxItems",
            ),
            (
                "nationalities",
                json!(["GB", "GB"]),
                "/nationalities",
                "uniqueItems",
            ),
            (
                "nationalities",
                json!(["GB", "gb"]),
                "/nationalities/1",
                "pattern",
            ),
            ("birthdate", json!("1999-02-29"), "/birthdate", "format"),
            ("birthdate", json!("2000-1-01"), "/birthdate", "format"),
            ("given_name", json!(""), "/given_name", "minLength"),
            ("given_name", json!("Adaline"), "/given_name", "maxLength"),
            ("given_name", json!("ÉÉÉÉÉ"), "/given_name", "maxLength"),
            ("time", json!(1.5), "/time", "type"),
            ("time", json!("1"), "/time", "type"),
            ("level", json!("high"), "/level", "enum"),
            ("note", json!(1), "/note", "type"),
            ("vct", json!("urn:test:2"), "/vct", "const"),
            ("address", json!({}), "/address/country", "required"),
            (
                "address",
                json!({"country": "GB", "street": "x"}),
                "/address/street",
                "additionalProperties",
            ),
            ("a/b", json!(1), "/a~1b", "additionalProperties"),
        ] {
            let mut instance = base.clone();
            instance[member] = value;
            assert_eq!(
                violation(instance),
                Some((at.to_owned(), keyword)),
                "{member}"
            );
        }
        assert_eq!(violation(json!({})), Some(("/vct".into(), "required")));
    }

    #[test]
    fn failures_name_no_values() {
        let mut instance = json!({"vct": "urn:test:1", "given_name": "Secretname"});
        let Value::Object(instance) = instance.take() else {
            unreachable!()
        };
        let text = schema().validate(&instance).unwrap_err().to_string();
        assert!(!text.contains("Secretname"), "{text}");
    }

    #[test]
    fn schemas_outside_the_subset_are_refused() {
        for bad in [
            json!({"$schema": "http://json-schema.org/draft-07/schema#"}),
            json!({"type": "object", "properties": {"a": {"$ref": "#/$defs/a"}}}),
            json!({"oneOf": [{"type": "string"}]}),
            json!({"additionalProperties": {"type": "string"}}),
            json!({"format": "email"}),
            json!({"type": "text"}),
            json!({"type": []}),
            json!({"enum": []}),
            json!({"minLength": -1}),
            json!({"pattern": "[A-Z]"}),
            json!({"items": [{"type": "string"}]}),
            json!({"required": [1]}),
            json!(true),
        ] {
            assert!(Schema::compile(&bad).is_err(), "{bad}");
        }
    }
}
