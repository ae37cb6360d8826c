//! Form-encoded OAuth parameters (a query string or a form body), read as OAuth 2.0 requires
//! (RFC 6749 §3.1): a parameter sent without a value is treated as omitted, and one sent more
//! than once makes the request invalid.

use std::collections::{BTreeMap, BTreeSet};

/// The parameters of one request.
#[derive(Default)]
pub(super) struct Params {
    values: BTreeMap<String, String>,
    repeated: BTreeSet<String>,
}

impl Params {
    /// Parses `application/x-www-form-urlencoded` text.
    pub(super) fn parse(text: &str) -> Self {
        let mut params = Self::default();
        for (name, value) in url::form_urlencoded::parse(text.as_bytes()) {
            if value.is_empty() {
                continue;
            }
            if params.values.contains_key(name.as_ref()) {
                params.repeated.insert(name.into_owned());
            } else {
                params.values.insert(name.into_owned(), value.into_owned());
            }
        }
        params
    }

    /// The value of a parameter sent once; `None` when absent or repeated.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        if self.repeated.contains(name) {
            return None;
        }
        self.values.get(name).map(String::as_str)
    }

    /// Whether the parameter was sent (once or more).
    pub(super) fn has(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// The first parameter sent more than once, if any.
    pub(super) fn first_repeated(&self) -> Option<&str> {
        self.repeated.iter().next().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_are_omitted_and_repeats_are_noticed() {
        let params = Params::parse("a=1&b=&c=x%20y&a=2&d=4");
        assert_eq!(params.get("a"), None);
        assert!(params.has("a"));
        assert!(!params.has("b"));
        assert_eq!(params.get("c"), Some("x y"));
        assert_eq!(params.first_repeated(), Some("a"));
        assert_eq!(params.get("d"), Some("4"));
    }
}
