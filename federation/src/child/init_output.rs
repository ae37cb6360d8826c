//! What the services' `init` commands print, read as their operators read it off the terminal.

use idv_service_kit::Secret;
use serde_json::Value;

use crate::error::LaunchError;

/// The anchor JWK and operator token from `trust-framework init`'s output, read as the
/// operator reads them off the terminal.
pub(super) fn parse_trust_framework_init(output: &str) -> Result<(Value, Secret), LaunchError> {
    let what = "trust-framework init";
    let start = output
        .find("\n{")
        .map(|i| i + 1)
        .ok_or_else(|| LaunchError::failed(what, "no anchor JWK in the output"))?;
    let end = output[start..]
        .find("\n}")
        .map(|i| start + i + 2)
        .ok_or_else(|| LaunchError::failed(what, "unterminated anchor JWK"))?;
    let anchor: Value = serde_json::from_str(&output[start..end])
        .map_err(|e| LaunchError::failed(what, format!("anchor JWK: {e}")))?;
    Ok((anchor, parse_token(what, output)?))
}

/// The operator token an `init` printed (`Operator API token (shown once, …): <token>`).
pub(super) fn parse_token(what: &str, output: &str) -> Result<Secret, LaunchError> {
    output
        .lines()
        .find_map(|line| {
            line.strip_prefix("Operator API token")
                .and_then(|rest| rest.rsplit_once(": "))
                .map(|(_, token)| Secret::new(token.trim()))
        })
        .ok_or_else(|| {
            LaunchError::failed(
                what,
                "no operator token in the output (initialised before?)",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_output_yields_the_anchor_and_the_token() {
        let output = "Created the anchor signing key.\n\
            Anchor public JWK (pin it in every verifier's and wallet's configuration):\n\
            {\n  \"kty\": \"EC\",\n  \"crv\": \"P-256\"\n}\n\
            Anchor thumbprint (kid): abc\n\
            Operator API token (shown once, store it now): tok_123\n";
        let (anchor, token) = parse_trust_framework_init(output).unwrap();
        assert_eq!(anchor["kty"], "EC");
        assert_eq!(token.expose(), "tok_123");
        assert!(parse_token("x", "An operator token exists; it is not shown again.").is_err());
    }
}
