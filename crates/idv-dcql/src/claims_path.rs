//! Processing a claims path pointer against a JSON-based credential.
//!
//! OpenID4VP 1.0 "Claims Path Pointer" → "Semantics for JSON-based credentials" → "Processing".
//! Iterative, so a hostile path of any length cannot exhaust the stack.

use idv_proto::claims_path::{ClaimsPath, PathElement};
use serde_json::Value;

use crate::error::{DcqlError, PathErrorReason};

/// Applies `path` to `credential` (its processed claims) and returns the selected elements.
///
/// A string selects that key of every selected object (objects lacking it drop out; a
/// non-object is an error); `null` selects every element of every selected array; an integer
/// selects that index (arrays too short drop out); a non-array under either is an error.
/// An empty final selection is an error too.
pub fn process<'a>(path: &ClaimsPath, credential: &'a Value) -> Result<Vec<&'a Value>, DcqlError> {
    let error = |reason| DcqlError::PathError {
        path: path.clone(),
        reason,
    };
    let mut selected = vec![credential];
    for (position, element) in path.elements().iter().enumerate() {
        let mut next = Vec::with_capacity(selected.len());
        for value in selected {
            match (element, value) {
                (PathElement::Key(key), Value::Object(object)) => next.extend(object.get(key)),
                (PathElement::Key(_), _) => {
                    return Err(error(PathErrorReason::KeyOnNonObject { position }));
                }
                (PathElement::AllElements, Value::Array(items)) => next.extend(items),
                (PathElement::Index(index), Value::Array(items)) => {
                    next.extend(
                        usize::try_from(*index)
                            .ok()
                            .and_then(|index| items.get(index)),
                    );
                }
                (PathElement::AllElements | PathElement::Index(_), _) => {
                    return Err(error(PathErrorReason::NotAnArray { position }));
                }
            }
        }
        selected = next;
    }
    if selected.is_empty() {
        return Err(error(PathErrorReason::NothingSelected));
    }
    Ok(selected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The credential of OpenID4VP 1.0 "Claims Path Pointer Example".
    fn arthur_dent() -> Value {
        json!({
            "name": "Arthur Dent",
            "address": { "street_address": "42 Market Street", "locality": "Milliways", "postal_code": "12345" },
            "degrees": [
                { "type": "Bachelor of Science", "university": "University of Betelgeuse" },
                { "type": "Master of Science", "university": "University of Betelgeuse" }
            ],
            "nationalities": ["British", "Betelgeusian"]
        })
    }

    fn run(path: Value, credential: &Value) -> Result<Vec<Value>, DcqlError> {
        let path: ClaimsPath = serde_json::from_value(path).unwrap();
        process(&path, credential).map(|selected| selected.into_iter().cloned().collect())
    }

    #[test]
    fn spec_examples_select_the_documented_claims() {
        let credential = arthur_dent();
        assert_eq!(
            run(json!(["name"]), &credential).unwrap(),
            [json!("Arthur Dent")]
        );
        assert_eq!(
            run(json!(["address"]), &credential).unwrap(),
            [credential["address"].clone()]
        );
        assert_eq!(
            run(json!(["address", "street_address"]), &credential).unwrap(),
            [json!("42 Market Street")]
        );
        assert_eq!(
            run(json!(["degrees", null, "type"]), &credential).unwrap(),
            [json!("Bachelor of Science"), json!("Master of Science")]
        );
        assert_eq!(
            run(json!(["nationalities", 1]), &credential).unwrap(),
            [json!("Betelgeusian")]
        );
    }

    #[test]
    fn null_wildcard_selects_every_array_element() {
        assert_eq!(
            run(json!(["nationalities", null]), &arthur_dent()).unwrap(),
            [json!("British"), json!("Betelgeusian")]
        );
    }

    #[test]
    fn elements_missing_the_key_drop_out_of_the_selection() {
        let credential = json!({ "degrees": [{ "type": "BSc" }, { "university": "U" }] });
        assert_eq!(
            run(json!(["degrees", null, "type"]), &credential).unwrap(),
            [json!("BSc")]
        );
    }

    #[test]
    fn missing_key_or_index_selects_nothing_and_is_an_error() {
        let credential = arthur_dent();
        for path in [
            json!(["birthdate"]),
            json!(["nationalities", 2]),
            json!(["address", "country"]),
        ] {
            assert!(matches!(
                run(path, &credential),
                Err(DcqlError::PathError {
                    reason: PathErrorReason::NothingSelected,
                    ..
                })
            ));
        }
    }

    #[test]
    fn key_on_a_non_object_is_an_error() {
        let error = run(json!(["name", "first"]), &arthur_dent()).unwrap_err();
        assert!(matches!(
            error,
            DcqlError::PathError {
                reason: PathErrorReason::KeyOnNonObject { position: 1 },
                ..
            }
        ));
        assert_eq!(
            error.to_string(),
            r#"claims path ["name","first"]: component 1 is a key but a selected element is not an object"#
        );
    }

    #[test]
    fn wildcard_or_index_on_a_non_array_is_an_error() {
        for path in [json!(["address", null]), json!(["name", 0]), json!([0])] {
            assert!(matches!(
                run(path, &arthur_dent()),
                Err(DcqlError::PathError {
                    reason: PathErrorReason::NotAnArray { .. },
                    ..
                })
            ));
        }
    }

    #[test]
    fn a_non_object_among_wildcard_elements_is_an_error() {
        let credential = json!({ "degrees": [{ "type": "BSc" }, "MSc"] });
        assert!(matches!(
            run(json!(["degrees", null, "type"]), &credential),
            Err(DcqlError::PathError {
                reason: PathErrorReason::KeyOnNonObject { position: 2 },
                ..
            })
        ));
    }

    #[test]
    fn huge_index_selects_nothing_without_panicking() {
        assert!(run(json!(["nationalities", u64::MAX]), &arthur_dent()).is_err());
    }

    #[test]
    fn very_long_paths_do_not_exhaust_the_stack() {
        let mut path = vec![json!("a")];
        path.extend(std::iter::repeat_n(json!(null), 100_000));
        assert!(run(Value::Array(path), &json!({ "a": [] })).is_err());
    }
}
