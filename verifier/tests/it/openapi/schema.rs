//! A JSON Schema check of real bodies against the served OpenAPI document, for the keywords
//! utoipa generates (JSON Schema 2020-12 as OpenAPI 3.1 uses it): `$ref` to
//! `#/components/schemas/…`, `type`, `enum`, `const`, `required`, `properties`, `items`,
//! `oneOf`/`anyOf`/`allOf`, `format: date`/`date-time`, `minimum`, `maxLength`. Objects are
//! closed unless the schema says `additionalProperties`: a field a body carries but its schema
//! does not name is an error, so a response cannot grow past its documentation.

use serde_json::Value;

/// The problems of `value` against the component schema `name` of `document`, each with its
/// JSON pointer; empty when it validates.
pub(crate) fn problems(document: &Value, name: &str, value: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let schema = component(document, name);
    check(document, schema, value, &format!("{name}:"), &mut problems);
    problems
}

/// The component schema `name`.
pub(crate) fn component<'d>(document: &'d Value, name: &str) -> &'d Value {
    let schema = &document["components"]["schemas"][name];
    assert!(schema.is_object(), "no schema {name}");
    schema
}

fn check(document: &Value, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{at} unexpected $ref {reference}"));
        check(document, component(document, name), value, at, problems);
        return;
    }
    if let Some(all) = schema["allOf"].as_array() {
        for part in all {
            check(document, part, value, at, problems);
        }
    }
    for (keyword, exactly_one) in [("oneOf", true), ("anyOf", false)] {
        if let Some(choices) = schema[keyword].as_array() {
            let passing = choices
                .iter()
                .filter(|choice| {
                    let mut inner = Vec::new();
                    check(document, choice, value, at, &mut inner);
                    inner.is_empty()
                })
                .count();
            if passing == 0 || (exactly_one && passing > 1) {
                problems.push(format!(
                    "{at} {passing} of the {keyword} choices match {value}"
                ));
            }
        }
    }
    if let Some(types) = types(schema)
        && !types.iter().any(|t| has_type(value, t))
    {
        problems.push(format!("{at} {value} is not of type {types:?}"));
        return;
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        problems.push(format!("{at} {value} is not one of {allowed:?}"));
    }
    if let Some(expected) = schema.get("const")
        && expected != value
    {
        problems.push(format!("{at} {value} is not {expected}"));
    }
    check_scalar(schema, value, at, problems);
    match value {
        Value::Object(object) => {
            for required in schema["required"].as_array().into_iter().flatten() {
                let name = required.as_str().unwrap_or_default();
                if !object.contains_key(name) {
                    problems.push(format!("{at} required `{name}` is missing"));
                }
            }
            // A schema naming no property (a bare `type: object`, or only `oneOf`/`$ref`
            // choices checked above) says nothing about the members.
            let Some(properties) = schema["properties"].as_object() else {
                return;
            };
            for (name, field) in object {
                let path = format!("{at}/{name}");
                match (properties.get(name), schema.get("additionalProperties")) {
                    (Some(property), _) => check(document, property, field, &path, problems),
                    (None, Some(Value::Bool(true))) => {}
                    (None, Some(extra @ Value::Object(_))) => {
                        check(document, extra, field, &path, problems);
                    }
                    (None, _) => problems.push(format!("{path} is not in the schema")),
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check(document, item_schema, item, &format!("{at}/{i}"), problems);
                }
            }
        }
        _ => {}
    }
}

/// `minimum`, `maxLength` and the date formats.
fn check_scalar(schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    if let (Some(minimum), Some(number)) = (schema["minimum"].as_f64(), value.as_f64())
        && number < minimum
    {
        problems.push(format!("{at} {number} is below {minimum}"));
    }
    let Some(text) = value.as_str() else {
        return;
    };
    if let Some(max) = schema["maxLength"].as_u64()
        && text.chars().count() as u64 > max
    {
        problems.push(format!("{at} is longer than {max}"));
    }
    let shaped = match schema["format"].as_str() {
        // RFC 3339 §5.6 full-date and date-time (UTC, as the verifier writes them).
        Some("date") => is_full_date(text),
        Some("date-time") => text.len() >= 20 && is_full_date(&text[..10]) && &text[10..11] == "T",
        _ => true,
    };
    if !shaped {
        problems.push(format!("{at} {text} is not a {}", schema["format"]));
    }
}

fn is_full_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit())
}

/// The schema's `type`, as a list.
fn types(schema: &Value) -> Option<Vec<&str>> {
    match &schema["type"] {
        Value::String(one) => Some(vec![one.as_str()]),
        Value::Array(many) => Some(many.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}

fn has_type(value: &Value, name: &str) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    }
}

#[test]
fn the_checker_rejects_what_a_schema_forbids() {
    let document = serde_json::json!({"components": {"schemas": {
        "Thing": {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string"},
                "size": {"type": "integer", "minimum": 1},
                "kind": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Kind"}]},
                "day": {"type": "string", "format": "date"}
            }
        },
        "Kind": {"type": "string", "enum": ["a", "b"]}
    }}});
    let good = serde_json::json!({"id": "x", "size": 2, "kind": "a", "day": "2030-01-31"});
    assert_eq!(problems(&document, "Thing", &good), Vec::<String>::new());
    for bad in [
        serde_json::json!({"size": 2}),
        serde_json::json!({"id": 1}),
        serde_json::json!({"id": "x", "size": 0}),
        serde_json::json!({"id": "x", "kind": "c"}),
        serde_json::json!({"id": "x", "day": "31/01/2030"}),
        serde_json::json!({"id": "x", "extra": true}),
    ] {
        assert!(!problems(&document, "Thing", &bad).is_empty(), "{bad}");
    }
}
