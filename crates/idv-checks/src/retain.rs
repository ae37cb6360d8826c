//! Dropping every claim a template did not request, moving rather than copying what is kept.
//!
//! Same result as [`idv_dcql::check::retain_requested`], which copies everything it keeps: a
//! right-to-work portrait is tens of KiB, so whole top-level claims are moved out of the
//! verified payload and only nested selections (`["document", "type"]`) go through the
//! copying engine, on their small sub-objects. The plan is built once per template.

use idv_proto::claims_path::{ClaimsPath, PathElement};
use serde_json::{Map, Value};

/// For each top-level claim a template requests (in query order): keep it whole, or keep what
/// the remaining path components select inside it.
#[derive(Debug, Clone, Default)]
pub(crate) struct RetainPlan {
    roots: Vec<(String, Option<Vec<ClaimsPath>>)>,
}

impl RetainPlan {
    /// The plan for `paths`. Paths that do not start with a key select nothing in a claims
    /// object and are left out.
    pub(crate) fn new(paths: &[ClaimsPath]) -> Self {
        let mut plan = Self::default();
        for path in paths {
            let Some((PathElement::Key(root), tail)) = path.elements().split_first() else {
                continue;
            };
            let position = match plan.roots.iter().position(|(r, _)| r == root) {
                Some(position) => position,
                None => {
                    plan.roots.push((root.clone(), Some(Vec::new())));
                    plan.roots.len() - 1
                }
            };
            let entry = &mut plan.roots[position].1;
            match ClaimsPath::new(tail.to_vec()) {
                // The whole claim: nothing narrower matters any more.
                Err(_) => *entry = None,
                Ok(tail) => {
                    if let Some(tails) = entry {
                        tails.push(tail);
                    }
                }
            }
        }
        plan
    }

    /// The requested claims of `claims`, consuming it; everything else is dropped.
    pub(crate) fn apply(&self, mut claims: Map<String, Value>) -> Map<String, Value> {
        let mut kept = Map::new();
        for (root, tails) in &self.roots {
            let Some(value) = claims.remove(root) else {
                continue;
            };
            match tails {
                None => {
                    kept.insert(root.clone(), value);
                }
                Some(tails) => {
                    let selected = idv_dcql::check::retain_requested(&value, tails);
                    // `retain_requested` answers `{}` exactly when nothing was selected.
                    if selected.as_object().is_none_or(|o| !o.is_empty()) {
                        kept.insert(root.clone(), selected);
                    }
                }
            }
        }
        kept
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn paths(value: Value) -> Vec<ClaimsPath> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn the_plan_keeps_exactly_what_retain_requested_keeps() {
        let claims = json!({
            "iss": "https://idsp.example", "vct": "v", "cnf": { "jwk": {} },
            "given_name": "Ada", "birthdate": "1990-12-10",
            "nationalities": ["GB", "FR"],
            "document": { "type": "passport", "issuing_country": "GB", "date_of_expiry": "2031-01-31" },
            "verification": { "trust_framework": "uk_dvs", "assurance_level": "medium", "time": 1 },
            "address": { "locality": "L", "postal_code": "P" }
        });
        for requested in [
            json!([
                ["given_name"],
                ["document", "type"],
                ["document", "date_of_expiry"]
            ]),
            json!([
                ["nationalities"],
                ["verification", "assurance_level"],
                ["missing"]
            ]),
            json!([["document", "type"], ["document"], ["address", "nothing"]]),
            json!([["nationalities", 1], ["birthdate", "x"]]),
            json!([]),
        ] {
            let requested = paths(requested);
            let expected = idv_dcql::check::retain_requested(&claims, &requested);
            let kept = RetainPlan::new(&requested).apply(claims.as_object().unwrap().clone());
            assert_eq!(Value::Object(kept), expected, "{requested:?}");
        }
    }

    #[test]
    fn kept_claims_follow_the_query_order() {
        let plan = RetainPlan::new(&paths(json!([["b"], ["a", "x"]])));
        let kept = plan.apply(
            json!({ "a": { "x": 1, "y": 2 }, "b": 3, "c": 4 })
                .as_object()
                .unwrap()
                .clone(),
        );
        assert_eq!(kept.keys().collect::<Vec<_>>(), ["b", "a"]);
    }
}
