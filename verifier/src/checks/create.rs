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
use utoipa::ToSchema;

use super::error::RedirectUriError;
use super::{CheckError, Checks, request_uri, wallet_url};
use crate::store::checks::CheckRow;
use crate::tenants::{Tenant, full_client_id};
use crate::webhooks::destination::{AllowHosts, check_webhook_url};

/// Random bytes of a check id (128 bits: ids are not guessable either).
const CHECK_ID_BYTES: usize = 16;
/// Random bytes of the request id, nonce and `state` (OpenID4VP: at least 128 bits).
const REQUEST_VALUE_BYTES: usize = 24;
/// Longest URL accepted.
const MAX_TEXT: usize = 2048;
/// Longest `reference` accepted, in bytes.
const MAX_REFERENCE: usize = 255;

/// The response modes a check may ask the wallet for: posted to the response URI, encrypted
/// or not (OpenID4VP 1.0 §8.3.1, §8.2).
const CHECK_RESPONSE_MODES: [ResponseMode; 2] =
    [ResponseMode::DirectPostJwt, ResponseMode::DirectPost];

/// The schema of `response_mode`: one of [`CHECK_RESPONSE_MODES`].
fn check_response_modes() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(CHECK_RESPONSE_MODES.map(ResponseMode::as_str)))
        .build()
}

/// `POST /v1/checks` body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// A template id, e.g. `right_to_work` or `age_over_18`.
    #[schema(examples("right_to_work", "age_over_18"))]
    pub template: String,
    /// Where to send the check's webhook events (signed with the tenant's secret): https on a
    /// public address (names are judged on the addresses they resolve to at each attempt);
    /// loopback, private or plain http targets only where the operator allow-lists the host.
    #[serde(default)]
    #[schema(format = "uri")]
    pub webhook_url: Option<String>,
    /// Same-device flow: where the wallet sends the person back, with `#response_code=…`.
    /// https; http only to an operator-allowed loopback host; an app's reverse-domain scheme
    /// only when the relying party's attestation lists the URI; when the attestation lists
    /// redirect URIs, one of them.
    #[serde(default)]
    #[schema(format = "uri")]
    pub redirect_uri: Option<String>,
    /// The tenant's own opaque reference (not personal data), echoed in events: 1 to 255
    /// printable characters (at most 255 bytes).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 255)]
    pub reference: Option<String>,
    /// `direct_post.jwt` or `direct_post` (OpenID4VP 1.0 §8.3.1, §8.2); the configured
    /// default when absent.
    #[serde(default)]
    #[schema(schema_with = check_response_modes)]
    pub response_mode: Option<ResponseMode>,
}

/// `POST /v1/checks` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
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

impl Checks {
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
            check_webhook_url(url, &self.settings.webhook_allow_hosts)?;
        }
        let redirect = match &request.redirect_uri {
            Some(uri) => Some(redirect_uri(
                uri,
                &self.settings.redirect_allow_hosts,
                &self.settings.public_url,
            )?),
            None => None,
        };
        if let Some(reference) = &request.reference
            && (reference.is_empty()
                || reference.len() > MAX_REFERENCE
                || reference.chars().any(char::is_control))
        {
            return Err(CheckError::InvalidInput(
                "reference: 1 to 255 printable characters".into(),
            ));
        }
        let response_mode = request.response_mode.unwrap_or(self.settings.response_mode);
        if !CHECK_RESPONSE_MODES.contains(&response_mode) {
            return Err(CheckError::InvalidInput(
                "response_mode: direct_post.jwt or direct_post".into(),
            ));
        }

        // Wallets verify the attestation and refuse requests beyond its purposes: refuse
        // here, where the employer can act on it, rather than at every wallet.
        let now = self.clock.now();
        let expires_at = now + self.settings.request_lifetime_secs;
        self.check_open_checks_cap(tenant, now).await?;
        let material = self.tenants.signing_material(&tenant.tenant_id).await?;
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
        if let (Some(uri), Some(kind)) = (&request.redirect_uri, redirect) {
            attested_redirect_uri(attestation.claims().redirect_uris.as_deref(), uri, kind)?;
        }

        let random = self.random.as_ref();
        let decryption_key = match response_mode {
            ResponseMode::DirectPostJwt => {
                let key = DecryptionKey::generate().map_err(CheckError::RequestKey)?;
                // Stored sealed under the key-encryption key, never in clear.
                Some(
                    self.store
                        .keys()
                        .seal_decryption_key(&key)
                        .map_err(CheckError::SealRequestKey)?,
                )
            }
            _ => None,
        };
        let check = CheckRow {
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
            nonce: Some(idv_jose::random::token(random, REQUEST_VALUE_BYTES)),
            decryption_key,
            created_at: now,
            expires_at,
            state: super::CheckState::Created.as_str().to_owned(),
            ..CheckRow::default()
        };
        self.store.insert_check(&check).await?;
        self.open_requests.insert(check.clone(), now);
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

impl Checks {
    /// Refuses a check beyond `[limits] max_open_checks_per_tenant` waiting for a wallet (a
    /// count, not a lock: concurrent creations may pass it by as many as run at once, which
    /// the tenant's rate limit bounds).
    async fn check_open_checks_cap(&self, tenant: &Tenant, now: i64) -> Result<(), CheckError> {
        let limit = self.settings.limits.max_open_checks_per_tenant;
        let (open, earliest) = self
            .store
            .open_checks(
                &tenant.tenant_id,
                now,
                now - self.settings.request_lifetime_secs,
            )
            .await?;
        if open >= limit {
            tracing::warn!(tenant.id = %tenant.tenant_id, "check refused: too many open checks");
            return Err(CheckError::TooManyOpenChecks {
                limit,
                retry_after_secs: secs_until(earliest, now),
            });
        }
        Ok(())
    }

    /// Refuses a relying party the trust list does not show as active. The held list may
    /// predate its registration (or reinstatement): it is fetched again once first, at most
    /// every [`crate::trust::MISS_REFETCH_SECS`] seconds.
    async fn check_listed(&self, client_id: &str) -> Result<(), CheckError> {
        let list = match self.trust.current().await {
            Ok(list) => list,
            Err(error) => {
                tracing::warn!(%error, "trust list unavailable at check creation");
                return Ok(());
            }
        };
        if listed(&list, client_id).is_ok() {
            return Ok(());
        }
        match self.trust.after_miss().await {
            Ok(refetched) => listed(&refetched, client_id),
            Err(error) => {
                tracing::warn!(%error, "trust list unavailable at check creation");
                listed(&list, client_id)
            }
        }
    }
}

/// Seconds until `earliest` (at least 1; 1 when there is none): a `Retry-After` value.
pub(crate) fn secs_until(earliest: Option<i64>, now: i64) -> u64 {
    earliest.map_or(1, |at| u64::try_from(at - now).unwrap_or(0).max(1))
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

/// What kind of redirect URI passed the syntactic rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RedirectKind {
    /// `https`, or `http` to an allowed loopback host.
    Web,
    /// An app's private-use scheme (RFC 8252 §7.1): only where the register lists the URI.
    App,
}

/// A same-device `redirect_uri` by allow-list, never a blocklist: `https` with a host; `http`
/// only to a loopback host in `[checks] redirect_allow_hosts` (a native app's loopback
/// listener, RFC 8252 §7.3); or a private-use scheme in reverse domain name form (RFC 8252
/// §7.1, e.g. `com.employer.app:/cb`), which [`attested_redirect_uri`] then requires the
/// relying party's attestation to list. No fragment (RFC 6749 §3.1.2), no credentials. The
/// verifier's own pages (under `public_url`: the OpenID Provider bridge's hand-off page) are
/// always allowed.
fn redirect_uri(
    value: &str,
    allow: &AllowHosts,
    public_url: &str,
) -> Result<RedirectKind, RedirectUriError> {
    if value.len() > MAX_TEXT {
        return Err(RedirectUriError::TooLong);
    }
    let own_page = value
        .strip_prefix(public_url)
        .is_some_and(|path| path.starts_with('/'));
    let url = url::Url::parse(value).map_err(|_| RedirectUriError::NotAbsolute)?;
    if url.fragment().is_some() {
        return Err(RedirectUriError::Fragment);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(RedirectUriError::Credentials);
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(RedirectKind::Web),
        "https" => Err(RedirectUriError::NotAbsolute),
        "http" if own_page || (is_loopback_host(&url) && allow.allows(&url)) => {
            Ok(RedirectKind::Web)
        }
        "http" => Err(RedirectUriError::PlainHttp),
        scheme if scheme.contains('.') => Ok(RedirectKind::App),
        scheme => Err(RedirectUriError::Scheme {
            scheme: scheme.to_owned(),
        }),
    }
}

/// Where the relying party's attestation lists redirect URIs, the URI must be one of them
/// (exact match, RFC 9700 §2.1); an app scheme is accepted only that way.
fn attested_redirect_uri(
    attested: Option<&[String]>,
    uri: &str,
    kind: RedirectKind,
) -> Result<(), RedirectUriError> {
    match attested {
        Some(uris) if uris.iter().any(|u| u == uri) => Ok(()),
        Some(_) => Err(RedirectUriError::NotAttested),
        None if kind == RedirectKind::App => Err(RedirectUriError::AppSchemeNotRegistered),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLIC: &str = "http://verifier.internal:8300";

    fn loopback(entries: &[&str]) -> AllowHosts {
        AllowHosts::parse(&entries.iter().map(|e| (*e).to_owned()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn redirect_uris_are_https_allowed_loopback_http_or_app_schemes() {
        let allow = loopback(&["127.0.0.1:7777"]);
        for (good, kind) in [
            ("https://employer.example/cb", RedirectKind::Web),
            ("https://employer.example/cb?x=1", RedirectKind::Web),
            ("http://127.0.0.1:7777/cb", RedirectKind::Web),
            ("com.employer.app:/cb", RedirectKind::App),
            (
                "http://verifier.internal:8300/oidc/handoff/x",
                RedirectKind::Web,
            ),
        ] {
            assert_eq!(redirect_uri(good, &allow, PUBLIC), Ok(kind), "{good}");
        }
        for (bad, error) in [
            ("vbscript:msgbox(1)", "scheme `vbscript`"),
            ("javascript:alert(1)", "scheme `javascript`"),
            ("JavaScript:alert(1)", "scheme `javascript`"),
            ("data:text/html,<script>1</script>", "scheme `data`"),
            ("file:///etc/passwd", "scheme `file`"),
            ("http://employer.example/cb", "plain http"),
            ("http://127.0.0.1:7778/cb", "plain http"),
            ("http://localhost:7777/cb", "plain http"),
            ("http://verifier.internal:8300.evil.example/x", "absolute"),
            (
                "http://verifier.internal:8300@evil.example/x",
                "credentials",
            ),
            ("http://verifier.internal:8300x/x", "absolute"),
            ("http://verifier.internal:83001/x", "absolute"),
            ("https://employer.example/cb#x", "fragment"),
            ("https://u:p@employer.example/cb", "credentials"),
            ("/cb", "absolute"),
        ] {
            let refused = redirect_uri(bad, &allow, PUBLIC).unwrap_err().to_string();
            assert!(refused.contains(error), "{bad}: {refused}");
        }
    }

    #[test]
    fn attested_uris_bind_when_listed_and_app_schemes_need_them() {
        let listed = vec!["https://employer.example/cb".to_owned()];
        let uri = "https://employer.example/cb";
        assert!(attested_redirect_uri(Some(&listed), uri, RedirectKind::Web).is_ok());
        assert!(attested_redirect_uri(None, uri, RedirectKind::Web).is_ok());
        assert_eq!(
            attested_redirect_uri(
                Some(&listed),
                "https://employer.example/other",
                RedirectKind::Web
            ),
            Err(RedirectUriError::NotAttested)
        );
        assert_eq!(
            attested_redirect_uri(None, "com.employer.app:/cb", RedirectKind::App),
            Err(RedirectUriError::AppSchemeNotRegistered)
        );
        let app = vec!["com.employer.app:/cb".to_owned()];
        assert!(
            attested_redirect_uri(Some(&app), "com.employer.app:/cb", RedirectKind::App).is_ok()
        );
    }
}
