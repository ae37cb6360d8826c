//! Field checks shared by the areas' inputs; each refusal names the field.

use std::collections::BTreeSet;
use std::fmt;

use super::InvalidInput;

/// Longest free-text field (names, reasons) accepted.
pub(crate) const MAX_TEXT: usize = 500;

/// A refusal with `message`.
pub(crate) fn invalid<T>(message: impl Into<String>) -> Result<T, InvalidInput> {
    Err(InvalidInput(message.into()))
}

/// A required, bounded, single-line text.
pub(crate) fn text(field: &str, value: &str) -> Result<(), InvalidInput> {
    if value.trim().is_empty() {
        return invalid(format!("{field}: required"));
    }
    if value.chars().count() > MAX_TEXT || value.chars().any(char::is_control) {
        return invalid(format!(
            "{field}: at most {MAX_TEXT} characters, no control characters"
        ));
    }
    Ok(())
}

/// An absolute `http(s)` URL with a host and no fragment.
pub(crate) fn http_url(field: &str, value: &str) -> Result<(), InvalidInput> {
    let bad = |why: &str| invalid(format!("{field}: {why}"));
    match url::Url::parse(value) {
        Err(e) => bad(&format!("not a URL ({e})")),
        Ok(url) if !matches!(url.scheme(), "https" | "http") => bad("must be an http(s) URL"),
        Ok(url) if url.host().is_none() => bad("must have a host"),
        Ok(url) if url.fragment().is_some() => bad("must not have a fragment"),
        Ok(_) => Ok(()),
    }
}

/// No value appears twice.
pub(crate) fn unique<T: Ord + fmt::Debug>(
    field: &str,
    values: impl Iterator<Item = T>,
) -> Result<(), InvalidInput> {
    let mut seen = BTreeSet::new();
    for value in values {
        if let Some(duplicate) = seen.replace(value) {
            return invalid(format!("{field}: {duplicate:?} appears twice"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_absolute_http_without_fragment() {
        assert!(http_url("f", "https://id.example/").is_ok());
        for bad in [
            "id.example",
            "ftp://id.example",
            "https://id.example/#x",
            "https://",
        ] {
            assert!(http_url("f", bad).is_err(), "{bad}");
        }
    }
}
