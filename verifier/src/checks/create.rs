//! `POST /v1/checks`: a new check and its wallet request (`request_uri`, nonce, `state` and,
//! for `direct_post.jwt`, a fresh per-request ECDH-ES key, all stored so that any instance can
//! serve the wallet and a restart loses nothing).

use idv_checks::templates::TemplateRef;
use idv_fetch::is_loopback_host;
use idv_jose::DecryptionKey;
use idv_proto::oid4vp::authorization_request::ResponseMode;
use idv_trust::attestation::{check_relying_party_listed, check_within_purpose};
use idv_trust::list::VerifiedTrustList;
use serde::{Deserialize, Serialize};

use super::{CheckError, request_uri, wallet_url};
use crate::service::Verifier;
use crate::store::checks::NewCheck;
use crate::tenants::{Tenant, full_client_id};

/// Random bytes of a check id (128 bits: ids are not guessable either).
const CHECK_ID_BYTES: usize = 16;
/// Random bytes of the request id, nonce and `state` (OpenID4VP: at least 128 bits).
const REQUEST_VALUE_BYTES: usize = 24;
/// Longest `reference` or URL accepted.
const MAX_TEXT: usize = 2048;

/// `POST /v1/checks` body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// A template id, e.g. `right_to_work` or `age_over_18`.
    pub template: String,
    /// Where to send the check's webhook events (signed with the tenant's secret).
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// Same-device flow: where the wallet sends the user back (with a response code).
    #[serde(default)]
    pub redirect_uri: Option<String>,
    /// The tenant's own opaque reference (not personal data), echoed in events.
    #[serde(default)]
    pub reference: Option<String>,
    /// `direct_post.jwt` (default from configuration) or `direct_post`.
    #[serde(default)]
    pub response_mode: Option<ResponseMode>,
}

/// `POST /v1/checks` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreatedCheck {
    /// `chk_…`.
    pub id: String,
    /// `created`.
    pub state: &'static str,
    /// The template and version the check runs.
    pub template: TemplateRef,
    /// `openid4vp://?client_id=…&request_uri=…`: the link to open in the wallet or show as QR.
    pub wallet_url: String,
    /// The QR code of `wallet_url` as SVG.
    pub qr_svg_url: String,
    /// The QR code of `wallet_url` as PNG.
    pub qr_png_url: String,
    /// Creation time (Unix seconds).
    pub created_at: i64,
    /// When the request expires (Unix seconds).
    pub expires_at: i64,
}

impl Verifier {
    /// Creates a check for `tenant`.
    pub async fn create_check(
        &self,
        tenant: &Tenant,
        request: CheckRequest,
    ) -> Result<CreatedCheck, CheckError> {
        let template =
            self.templates
                .get(&request.template)
                .map_err(|_| CheckError::UnknownTemplate {
                    template: request.template.clone(),
                })?;
        if let Some(url) = &request.webhook_url {
            webhook_url(url)?;
        }
        if let Some(uri) = &request.redirect_uri {
            redirect_uri(uri)?;
        }
        if let Some(reference) = &request.reference
            && (reference.is_empty()
                || reference.len() > 255
                || reference.chars().any(char::is_control))
        {
            return Err(CheckError::InvalidInput(
                "reference: 1 to 255 printable characters".into(),
            ));
        }
        let response_mode = request.response_mode.unwrap_or(self.settings.response_mode);
        if !matches!(
            response_mode,
            ResponseMode::DirectPost | ResponseMode::DirectPostJwt
        ) {
            return Err(CheckError::InvalidInput(
                "response_mode: direct_post.jwt or direct_post".into(),
            ));
        }

        // Wallets verify the attestation and refuse requests beyond its purposes: refuse
        // here, where the employer can act on it, rather than at every wallet.
        let now = self.clock.now();
        let expires_at = now + self.settings.request_lifetime_secs;
        let material = self.signing_material(&tenant.tenant_id).await?;
        let attestation = &material.attestation;
        if attestation.claims().exp < expires_at {
            return Err(CheckError::NotAttested(
                "the tenant's verifier attestation expires before the check would: install a \
                 renewed one"
                    .into(),
            ));
        }
        check_within_purpose(
            attestation.purposes(),
            template.scheme(),
            template.requested_claims(),
        )
        .map_err(|e| {
            CheckError::NotAttested(format!(
                "the tenant is not registered for this template: {e}"
            ))
        })?;
        // Wallets also look the relying party up on the trust list: a suspended or removed
        // one is refused there, so refuse here. An unavailable list is the wallet's call.
        self.check_listed(&tenant.client_id).await?;
        if let Some(uri) = &request.redirect_uri {
            attestation
                .check_redirect_uri(uri)
                .map_err(|e| CheckError::NotAttested(format!("redirect_uri: {e}")))?;
        }

        let random = self.random.as_ref();
        let decryption_key = match response_mode {
            ResponseMode::DirectPostJwt => {
                let key =
                    DecryptionKey::generate().map_err(|e| CheckError::Internal(e.to_string()))?;
                Some(
                    serde_json::to_string(&key.to_private_jwk())
                        .map_err(|e| CheckError::Internal(e.to_string()))?,
                )
            }
            _ => None,
        };
        let check = NewCheck {
            check_id: format!("chk_{}", idv_jose::random::token(random, CHECK_ID_BYTES)),
            tenant_id: tenant.tenant_id.clone(),
            template: template.id().to_owned(),
            template_version: i64::from(template.version()),
            reference: request.reference,
            webhook_url: request.webhook_url,
            response_mode: response_mode.as_str().to_owned(),
            redirect_uri: request.redirect_uri,
            request_id: idv_jose::random::token(random, REQUEST_VALUE_BYTES),
            request_state: idv_jose::random::token(random, REQUEST_VALUE_BYTES),
            nonce: idv_jose::random::token(random, REQUEST_VALUE_BYTES),
            decryption_key,
            created_at: now,
            expires_at,
        };
        self.store.insert_check(&check).await?;
        self.open_requests.insert(check.to_row(), now);
        tracing::info!(
            tenant.id = %tenant.tenant_id, check.id = %check.check_id,
            check.template = %check.template, "check created"
        );
        metrics::counter!("idv_verifier_checks_created_total", "template" => template.id())
            .increment(1);
        let public_url = &self.settings.public_url;
        Ok(CreatedCheck {
            wallet_url: wallet_url(
                &full_client_id(&tenant.client_id),
                &request_uri(public_url, &check.request_id),
            ),
            qr_svg_url: format!("{public_url}/v1/checks/{}/qr.svg", check.check_id),
            qr_png_url: format!("{public_url}/v1/checks/{}/qr.png", check.check_id),
            id: check.check_id,
            state: super::CheckState::Created.as_str(),
            template: template.reference(),
            created_at: now,
            expires_at,
        })
    }
}

impl Verifier {
    /// Refuses a relying party the trust list does not show as active. The held list may
    /// predate its registration (or reinstatement): it is fetched again once first, at most
    /// every [`crate::service::MISS_REFETCH_SECS`] seconds.
    async fn check_listed(&self, client_id: &str) -> Result<(), CheckError> {
        let list = match self.current_trust_list().await {
            Ok(list) => list,
            Err(error) => {
                tracing::warn!(%error, "trust list unavailable at check creation");
                return Ok(());
            }
        };
        if listed(&list, client_id).is_ok() {
            return Ok(());
        }
        match self.trust_list_after_miss().await {
            Ok(refetched) => listed(&refetched, client_id),
            Err(error) => {
                tracing::warn!(%error, "trust list unavailable at check creation");
                listed(&list, client_id)
            }
        }
    }
}

/// Whether `list` shows `client_id` as an active relying party.
fn listed(list: &VerifiedTrustList, client_id: &str) -> Result<(), CheckError> {
    check_relying_party_listed(list, client_id)
        .map(|_| ())
        .map_err(|e| {
            CheckError::NotAttested(format!(
                "the trust list does not show the tenant as an active relying party: {e}"
            ))
        })
}

/// An absolute `https` URL, or `http` to a loopback host ([`is_loopback_host`]: a local relay),
/// without credentials or fragment: a delivery is signed but not encrypted, so it never crosses
/// a network in clear.
fn webhook_url(value: &str) -> Result<(), CheckError> {
    let invalid = |why: &str| Err(CheckError::InvalidInput(format!("webhook_url: {why}")));
    if value.len() > MAX_TEXT {
        return invalid("too long");
    }
    let Ok(url) = url::Url::parse(value) else {
        return invalid("not an absolute URL");
    };
    if url.host().is_none() {
        return invalid("must have a host");
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_host(&url) => {}
        "http" => return invalid("plain http only to a loopback host; use https"),
        _ => return invalid("must be an https URL"),
    }
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return invalid("must not carry credentials or a fragment");
    }
    Ok(())
}

/// An absolute URI (apps use custom schemes) without a fragment: the response code goes there.
fn redirect_uri(value: &str) -> Result<(), CheckError> {
    let invalid = |why: &str| Err(CheckError::InvalidInput(format!("redirect_uri: {why}")));
    if value.len() > MAX_TEXT {
        return invalid("too long");
    }
    match url::Url::parse(value) {
        Ok(url) if url.fragment().is_some() => invalid("must not have a fragment"),
        Ok(url) if matches!(url.scheme(), "javascript" | "data" | "file") => {
            invalid("scheme not allowed")
        }
        Ok(_) => Ok(()),
        Err(_) => invalid("not an absolute URI"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_are_https_or_loopback_http_without_credentials() {
        for good in [
            "https://hooks.example/idv",
            "http://127.0.0.1:9/x",
            "http://[::1]:9/x",
            "http://localhost:9/x",
            "http://127.0.0.2:9/x",
        ] {
            assert!(webhook_url(good).is_ok(), "{good}");
        }
        for bad in [
            "http://hooks.example/idv",
            "http://127.0.0.1.evil.example/x",
            "http://localhost.evil.example/x",
            "http://[::2]/x",
            "ftp://x/y",
            "https://user:pw@hooks.example/",
            "https://hooks.example/#x",
            "/relative",
        ] {
            assert!(webhook_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn redirect_uris_may_use_app_schemes_but_no_fragment() {
        assert!(redirect_uri("https://employer.example/cb").is_ok());
        assert!(redirect_uri("com.employer.app:/cb").is_ok());
        assert!(redirect_uri("https://employer.example/cb#x").is_err());
        assert!(redirect_uri("javascript:alert(1)").is_err());
    }
}
