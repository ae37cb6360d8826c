//! What the register's operator enters before the verifier starts: certified providers and
//! relying parties, as tests describe them.

use serde_json::{Value, json};

use crate::error::LaunchError;
use crate::operator::TrustFrameworkOperator;

/// Seconds in a day.
const DAY: i64 = 24 * 60 * 60;

/// A provider to put on the register.
#[derive(Debug, Clone)]
pub struct ProviderRegistration {
    /// The name the test knows it by (see [`super::Federation::provider_entry`]).
    pub name: String,
    /// The `POST /v1/providers` body (e.g. [`idsp_entry`]).
    pub entry: Value,
    /// The supplementary codes certified (`RTW`, `RTR`, `AGE`).
    pub codes: Vec<String>,
    /// Suspended after certification, for this reason.
    pub suspension: Option<String>,
}

/// A relying party to put on the register.
#[derive(Debug, Clone)]
pub(crate) struct RelyingPartyRegistration {
    /// The `POST /v1/relying-parties` body (e.g. [`relying_party_entry`]).
    pub(crate) entry: Value,
}

/// The register entry of `organisation`'s identity service `service`, an IDSP certified
/// (certificate `certificate_id`, issued 60 days before `now`) up to `high` for both credential
/// types, issuing as `iss` with `jwk` and publishing status lists under `status_prefix`.
pub fn idsp_entry(
    organisation: &str,
    service: &str,
    certificate_id: &str,
    iss: &str,
    jwk: &Value,
    status_prefix: &str,
    now: i64,
) -> Value {
    json!({
        "organisation": {"name": organisation, "company_number": "01234567"},
        "service": {"service_id": "svc-01", "name": service},
        "roles": ["IDSP"],
        "framework_version": "1.0",
        "certificate": {
            "id": certificate_id,
            "cab": "Example CAB (UKAS 1234)",
            "issued": now - 60 * DAY,
            "expires": now + 3 * 365 * DAY
        },
        "max_loc": "high",
        "issuer": {
            "iss": [iss],
            "jwks": {"keys": [jwk]},
            "status_list_uris_prefix": [status_prefix],
            "vct": [idv_checks::templates::IDENTITY_VCT, idv_checks::templates::AGE_VCT]
        }
    })
}

/// The age purpose a relying party registers: every age threshold and the assurance level.
pub fn age_purpose() -> Value {
    json!({"code": "AGE", "claims": [
        ["age_over_16"], ["age_over_18"], ["age_over_21"], ["age_over_25"],
        ["verification", "assurance_level"]
    ]})
}

/// A relying party `organisation` known as `client_id`, registered for the purposes of the
/// built-in `templates` and for [`age_purpose`].
pub fn relying_party_entry(
    organisation: &str,
    client_id: &str,
    templates: &[&str],
) -> Result<Value, LaunchError> {
    let builtin = idv_checks::templates::Templates::builtin()
        .map_err(|e| LaunchError::failed("loading the check templates", e))?;
    let mut purposes = Vec::new();
    for id in templates {
        let template = builtin
            .get(id)
            .map_err(|e| LaunchError::failed(format!("the `{id}` template"), e))?;
        purposes.push(
            serde_json::to_value(template.purpose())
                .map_err(|e| LaunchError::failed(format!("the `{id}` purpose"), e))?,
        );
    }
    purposes.push(age_purpose());
    Ok(json!({
        "organisation": {"name": organisation},
        "client_id": client_id,
        "purposes": purposes,
    }))
}

/// Registers `provider`: its entry, its codes, then its suspension; its entry id.
pub(crate) async fn register_provider(
    operator: &TrustFrameworkOperator,
    provider: &ProviderRegistration,
) -> Result<String, LaunchError> {
    let what = format!("registering {}", provider.name);
    let entry_id = operator
        .register_provider(&provider.entry)
        .await
        .map_err(LaunchError::call(what.clone()))?
        .entry_id;
    for code in &provider.codes {
        operator
            .certify(&entry_id, code)
            .await
            .map_err(LaunchError::call(what.clone()))?;
    }
    if let Some(reason) = &provider.suspension {
        operator
            .suspend(&entry_id, reason)
            .await
            .map_err(LaunchError::call(what))?;
    }
    Ok(entry_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relying_parties_register_their_templates_purposes_and_age() {
        let entry =
            relying_party_entry("Example Ltd", "example.co.uk", &["right_to_work"]).unwrap();
        let purposes = entry["purposes"].as_array().unwrap();
        assert_eq!(purposes.len(), 2);
        assert_eq!(purposes[0]["code"], "RTW");
        assert_eq!(purposes[1], age_purpose());
        assert!(relying_party_entry("Example Ltd", "example.co.uk", &["right_to_fly"]).is_err());
    }
}
