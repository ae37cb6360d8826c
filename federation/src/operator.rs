//! The trust framework operator at work, over the register's operator API: registering a
//! certified identity provider from what `issuer registration` printed, certifying its
//! supplementary codes, registering relying parties with their purposes, attesting their
//! request-signing keys, and suspending or reinstating a provider.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{Api, CallError, send};

/// Seconds in a day.
const DAY: i64 = 24 * 60 * 60;

/// The operator API of the trust framework (`Authorization: Bearer <operator token>`).
#[derive(Debug, Clone)]
pub struct TrustFrameworkOperator {
    api: Api,
}

/// A register entry, as far as the demo and the tests look at it.
#[derive(Debug, Clone, Deserialize)]
pub struct RegisteredProvider {
    /// `dvs-000001`.
    pub entry_id: String,
    /// `certified`, `suspended`, …
    pub status: String,
    /// The highest GPG 45 level of confidence certified.
    pub max_loc: String,
}

/// A relying party to register: who it is and what it may ask for.
#[derive(Debug, Clone)]
pub struct RelyingPartySpec {
    /// The organisation's name, as wallets show it.
    pub organisation: String,
    /// Its OpenID4VP client identifier (without prefix).
    pub client_id: String,
    /// The verifier templates (`right_to_work`, `age_over_18`, …) whose purposes it registers.
    pub templates: Vec<String>,
}

/// Why a relying party cannot be described.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// The built-in templates do not load.
    #[error("the check templates do not load: {0}")]
    Templates(String),
    /// A template is unknown.
    #[error("unknown check template `{0}`")]
    UnknownTemplate(String),
}

impl RelyingPartySpec {
    /// The example employer the demo, the end-to-end tests and the load command onboard:
    /// "Example Employer Ltd" (`employer.example.co.uk`), checking the right to work.
    pub fn example_employer() -> Self {
        Self {
            organisation: "Example Employer Ltd".into(),
            client_id: "employer.example.co.uk".into(),
            templates: vec!["right_to_work".into()],
        }
    }

    /// The example shop beside it: "Example Off-Licence Ltd" (`shop.example.co.uk`), checking
    /// only that the customer is over 18.
    pub fn example_shop() -> Self {
        Self {
            organisation: "Example Off-Licence Ltd".into(),
            client_id: "shop.example.co.uk".into(),
            templates: vec!["age_over_18".into()],
        }
    }

    /// The `POST /v1/relying-parties` body: one purpose per scheme, each with exactly the
    /// claims the relying party's templates request (so wallets refuse anything more).
    pub fn body(&self) -> Result<Value, SpecError> {
        let templates = idv_checks::templates::Templates::builtin()
            .map_err(|e| SpecError::Templates(e.to_string()))?;
        let mut purposes: Vec<Value> = Vec::new();
        for id in &self.templates {
            let template = templates
                .get(id)
                .map_err(|_| SpecError::UnknownTemplate(id.clone()))?;
            let purpose = serde_json::to_value(template.purpose())
                .map_err(|e| SpecError::Templates(e.to_string()))?;
            match purposes.iter_mut().find(|p| p["code"] == purpose["code"]) {
                Some(existing) => merge_claims(existing, &purpose),
                None => purposes.push(purpose),
            }
        }
        Ok(json!({
            "organisation": {"name": self.organisation},
            "client_id": self.client_id,
            "purposes": purposes,
        }))
    }
}

fn merge_claims(into: &mut Value, from: &Value) {
    let Some(claims) = into.get_mut("claims").and_then(Value::as_array_mut) else {
        return;
    };
    for claim in from["claims"].as_array().into_iter().flatten() {
        if !claims.contains(claim) {
            claims.push(claim.clone());
        }
    }
}

/// A certified identity service's register entry around the `issuer` member that
/// `issuer registration` prints: an IDSP certified under framework 1.0 by a conformity
/// assessment body, up to `max_loc`.
pub fn idsp_entry(
    organisation: &str,
    service: &str,
    max_loc: &str,
    binding: &Value,
    now: i64,
) -> Value {
    json!({
        "organisation": {"name": organisation, "company_number": "09876543"},
        "service": {"service_id": "reusable-id", "name": service},
        "roles": ["IDSP"],
        "framework_version": "1.0",
        "certificate": {
            "id": format!("CAB-{}", now / DAY),
            "cab": "Example Certification Ltd (UKAS 0000)",
            "issued": now - 60 * DAY,
            "expires": now + 3 * 365 * DAY
        },
        "max_loc": max_loc,
        "issuer": binding,
    })
}

impl TrustFrameworkOperator {
    /// The operator API behind `api`.
    pub fn new(api: Api) -> Self {
        Self { api }
    }

    /// The API (its base URL and token).
    pub fn api(&self) -> &Api {
        &self.api
    }

    /// `POST /v1/providers`: registers a certified service.
    pub async fn register_provider(&self, entry: &Value) -> Result<RegisteredProvider, CallError> {
        self.api.post("/v1/providers", entry).await
    }

    /// `POST /v1/providers/{id}/codes`: certifies a supplementary code (`RTW`, `AGE`, …).
    pub async fn certify(
        &self,
        entry_id: &str,
        code: &str,
    ) -> Result<RegisteredProvider, CallError> {
        self.api
            .post(
                &format!("/v1/providers/{entry_id}/codes"),
                &json!({"code": code}),
            )
            .await
    }

    /// `POST /v1/providers/{id}/suspend`.
    pub async fn suspend(
        &self,
        entry_id: &str,
        reason: &str,
    ) -> Result<RegisteredProvider, CallError> {
        self.status_change(entry_id, "suspend", reason).await
    }

    /// `POST /v1/providers/{id}/reinstate`.
    pub async fn reinstate(
        &self,
        entry_id: &str,
        reason: &str,
    ) -> Result<RegisteredProvider, CallError> {
        self.status_change(entry_id, "reinstate", reason).await
    }

    async fn status_change(
        &self,
        entry_id: &str,
        action: &str,
        reason: &str,
    ) -> Result<RegisteredProvider, CallError> {
        self.api
            .post(
                &format!("/v1/providers/{entry_id}/{action}"),
                &json!({"reason": reason}),
            )
            .await
    }

    /// `POST /v1/relying-parties`: returns the `rp_id`.
    pub async fn add_relying_party(&self, body: &Value) -> Result<String, CallError> {
        #[derive(Deserialize)]
        struct Created {
            rp_id: String,
        }
        let created: Created = self.api.post("/v1/relying-parties", body).await?;
        Ok(created.rp_id)
    }

    /// `POST /v1/relying-parties/{rp_id}/attestations`: the Verifier Attestation JWT binding
    /// `jwk`, the relying party's request-signing key.
    pub async fn attest(&self, rp_id: &str, jwk: &Value) -> Result<String, CallError> {
        self.attest_with_redirect_uris(rp_id, jwk, None).await
    }

    /// [`Self::attest`], the attestation listing the relying party's `redirect_uris` when given.
    pub async fn attest_with_redirect_uris(
        &self,
        rp_id: &str,
        jwk: &Value,
        redirect_uris: Option<&[&str]>,
    ) -> Result<String, CallError> {
        #[derive(Deserialize)]
        struct Issued {
            verifier_attestation: String,
        }
        let mut body = json!({"jwk": jwk});
        if let Some(uris) = redirect_uris {
            body["redirect_uris"] = json!(uris);
        }
        let issued: Issued = self
            .api
            .post(&format!("/v1/relying-parties/{rp_id}/attestations"), &body)
            .await?;
        Ok(issued.verifier_attestation)
    }
}

/// The claims of the trust list the register at `base_url` serves now, read without verifying
/// its signature: for tests that watch its `sequence` or `exp` change.
pub async fn served_trust_list_claims(
    client: &reqwest::Client,
    base_url: &str,
) -> Result<Value, CallError> {
    let url = format!("{base_url}/trust-list");
    let body = send("GET", &url, client.get(&url)).await?;
    let unreadable = |reason: String| CallError::Body {
        method: "GET",
        url: url.clone(),
        reason,
    };
    let compact = std::str::from_utf8(&body).map_err(|e| unreadable(e.to_string()))?;
    let payload = compact
        .trim()
        .split('.')
        .nth(1)
        .ok_or_else(|| unreadable("not a compact JWS".to_owned()))?;
    let claims = idv_jose::base64url::decode(payload)
        .ok_or_else(|| unreadable("its payload is not base64url".to_owned()))?;
    serde_json::from_slice(&claims).map_err(|e| unreadable(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(templates: &[&str]) -> RelyingPartySpec {
        RelyingPartySpec {
            organisation: "Example Ltd".into(),
            client_id: "example.co.uk".into(),
            templates: templates.iter().map(|t| (*t).to_owned()).collect(),
        }
    }

    #[test]
    fn purposes_hold_exactly_the_claims_of_the_templates() {
        let body = spec(&["age_over_18"]).body().unwrap();
        assert_eq!(body["client_id"], "example.co.uk");
        assert_eq!(
            body["purposes"],
            json!([{"code": "AGE", "claims": [["age_over_18"], ["verification", "assurance_level"]]}])
        );
    }

    #[test]
    fn templates_of_one_scheme_share_a_purpose() {
        let body = spec(&["age_over_18", "age_over_21", "right_to_work"])
            .body()
            .unwrap();
        let purposes = body["purposes"].as_array().unwrap();
        assert_eq!(purposes.len(), 2, "{body:#}");
        assert_eq!(
            purposes[0],
            json!({"code": "AGE", "claims": [
                ["age_over_18"], ["verification", "assurance_level"], ["age_over_21"]
            ]})
        );
        assert_eq!(purposes[1]["code"], "RTW");
        assert!(
            purposes[1]["claims"]
                .as_array()
                .unwrap()
                .contains(&json!(["given_name"]))
        );
    }

    #[test]
    fn unknown_templates_are_refused() {
        assert!(matches!(
            spec(&["right_to_fly"]).body(),
            Err(SpecError::UnknownTemplate(_))
        ));
    }
}
