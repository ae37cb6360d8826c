//! [`Verifier`]: the handle every use case hangs off (tenants, checks, wallet exchange,
//! webhooks, retention, the OpenID Provider bridge), shared by the HTTP API, the background
//! tasks and the CLI. No axum, no SQL: the store does the SQL, `crate::http` the HTTP.

use std::sync::Arc;

use idv_checks::templates::{Template, TemplateError, Templates};
use idv_fetch::TrustClientError;
use idv_fetch::http::{FetchError, FetchPolicy, Fetcher};
use idv_fetch::status_list::{DEFAULT_MAX_ENTRIES, StatusListClient};
use idv_fetch::trust_list::TrustListClient;
use idv_fetch::type_metadata::TypeMetadataClient;
use idv_jose::{Clock, JwkSet, Random, SigningKey};
use idv_status_list::verify::StatusPolicy;
use idv_trust::list::{ListPolicy, VerifiedTrustList};

use crate::config::Settings;
use crate::evidence::keys::{EvidenceSigner, KeyError, jwk_text, published_jwk};
use crate::store::keys::NewKey;
use crate::store::{Store, StoreError};
use crate::tenants::TenantCache;
use crate::wallet::OpenRequests;
use crate::webhooks::Delivery;

/// `service_keys.purpose` of the key that signs check records.
pub(crate) const EVIDENCE_KEY: &str = "evidence";
/// `service_keys.purpose` of the key that signs ID tokens (the OpenID Provider bridge).
const ID_TOKEN_KEY: &str = "id_token";
/// Seconds a refetch of the trust list for a relying party it does not show as active waits
/// after any fetch, so that such requests cannot hammer the trust framework.
pub(crate) const MISS_REFETCH_SECS: i64 = 5;
/// Longest a check creation waits for that refetch; then the list held decides.
pub(crate) const MISS_REFETCH_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Why the verifier could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A key could not be generated or loaded where it is kept (a KEK, an HSM).
    #[error(transparent)]
    Keys(#[from] idv_keystore::KeyStoreError),
    /// A signing key (`purpose`) could not be created or loaded.
    #[error("the {purpose} signing key is unusable")]
    Key {
        /// `evidence` or `id_token`.
        purpose: &'static str,
        /// Why.
        #[source]
        source: idv_jose::JoseError,
    },
    /// A built-in template does not compile.
    #[error(transparent)]
    Templates(#[from] TemplateError),
    /// The trust and status list fetcher could not be built.
    #[error(transparent)]
    Fetcher(#[from] FetchError),
    /// The webhook HTTP client could not be built.
    #[error("the webhook HTTP client could not be built: {0}")]
    WebhookClient(String),
}

/// The verifier's use cases over its store, clock, randomness and trust sources. Cheap to
/// clone.
#[derive(Debug, Clone)]
pub struct Verifier {
    pub(crate) store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) random: Arc<dyn Random>,
    pub(crate) settings: Arc<Settings>,
    pub(crate) templates: Arc<Templates>,
    pub(crate) trust: Arc<TrustListClient>,
    pub(crate) status: Arc<StatusListClient>,
    /// The credential types the trust list pins (Type Metadata and JSON Schema).
    pub(crate) types: Arc<TypeMetadataClient>,
    /// The evidence key this process last read (see [`crate::evidence`]).
    pub(crate) evidence_key: Arc<EvidenceSigner>,
    pub(crate) id_token_key: Arc<SigningKey>,
    /// Webhook delivery: clients, caps and circuit breakers.
    pub(crate) webhooks: Arc<Delivery>,
    /// API keys, tenant rows and signing material, kept for `checks.tenant_cache_secs`.
    pub(crate) tenant_cache: Arc<TenantCache>,
    /// The wallet requests this instance created and that are still open.
    pub(crate) open_requests: Arc<OpenRequests>,
}

impl Verifier {
    /// Opens the verifier on `store`: loads (or creates, once) the evidence and ID token
    /// signing keys and prepares the trust list and status list clients. Nothing is fetched yet.
    pub async fn open(
        store: Store,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        settings: Settings,
    ) -> Result<Self, OpenError> {
        let (evidence_key, evidence_since) =
            load_or_create_key(&store, EVIDENCE_KEY, clock.now()).await?;
        let (id_token_key, _) = load_or_create_key(&store, ID_TOKEN_KEY, clock.now()).await?;
        let templates = Templates::builtin()?;
        let fetcher = Fetcher::with_tls(
            FetchPolicy {
                plain_http: settings.plain_http,
                ..FetchPolicy::default()
            },
            &settings.tls,
        )?;
        let types = TypeMetadataClient::new(fetcher.clone(), Arc::clone(&clock));
        let trust = TrustListClient::new(
            settings.trust_list_url.clone(),
            settings.anchors.clone(),
            ListPolicy::default(),
            fetcher.clone(),
            Arc::new(store.database().clone()),
            Arc::clone(&clock),
            Arc::clone(&random),
        )
        .with_max_age(settings.trust_refresh_secs);
        let status = StatusListClient::new(
            fetcher,
            Arc::clone(&clock),
            Arc::clone(&random),
            StatusPolicy::default(),
            DEFAULT_MAX_ENTRIES,
        )
        .with_cache_secs(settings.status_cache_secs);
        let webhooks = Delivery::new(
            &settings.webhooks,
            &settings.webhook_allow_hosts,
            &settings.tls,
        )
        .map_err(|e| OpenError::WebhookClient(e.to_string()))?;
        let tenant_cache = Arc::new(TenantCache::new(settings.tenant_cache_secs));
        Ok(Self {
            store,
            clock,
            random,
            settings: Arc::new(settings),
            templates: Arc::new(templates),
            trust: Arc::new(trust),
            status: Arc::new(status),
            types: Arc::new(types),
            evidence_key: Arc::new(EvidenceSigner::new(evidence_key, evidence_since)),
            id_token_key: Arc::new(id_token_key),
            webhooks: Arc::new(webhooks),
            tenant_cache,
            open_requests: Arc::default(),
        })
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The templates offered.
    pub fn templates(&self) -> impl Iterator<Item = &Template> {
        self.templates.iter()
    }

    /// The verifier's signing keys in use (`kid` = thumbprint): first the key evidence
    /// records are signed with now, then the ID token key of the OpenID Provider bridge.
    /// Retired evidence keys are in [`Self::evidence_keys`], with their validity.
    pub async fn jwks(&self) -> Result<JwkSet, KeyError> {
        let evidence = self.evidence_signing_key().await?;
        Ok(JwkSet {
            keys: vec![
                published_jwk(&evidence.key),
                published_jwk(&self.id_token_key),
            ],
        })
    }

    /// The trust list client (for an operator-triggered refresh).
    pub fn trust_list(&self) -> &TrustListClient {
        &self.trust
    }

    /// The trust list to decide with: the held list, at once while it is valid (until its
    /// `exp`). A refresh due (after `next_update`, or `trust.refresh_secs` since the last
    /// fetch, so that a register change reaches every decision within about that time) runs
    /// in the background, spaced by back-off after failures: a hung or unreachable trust
    /// framework never delays a decision while a valid list is held. With none, this waits
    /// for the refresh under way (at most the fetch timeout) or fails closed.
    pub(crate) async fn current_trust_list(
        &self,
    ) -> Result<Arc<VerifiedTrustList>, TrustClientError> {
        self.trust.current().await
    }

    /// The trust list fetched again for a relying party the held one does not show as active
    /// (added to the register, or reinstated, since it was fetched), unless any fetch was
    /// attempted in the last [`MISS_REFETCH_SECS`] seconds or a back-off holds; waits at most
    /// [`MISS_REFETCH_WAIT`] for it, then decides on the list then held.
    pub(crate) async fn trust_list_after_miss(
        &self,
    ) -> Result<Arc<VerifiedTrustList>, TrustClientError> {
        self.trust
            .refresh_if_older_than(MISS_REFETCH_SECS, MISS_REFETCH_WAIT)
            .await
    }

    /// One pass of the background refresher: starts a refresh of the trust list when one is
    /// due, without waiting for it (a failure is logged by the refresh, the held list kept).
    pub(crate) fn refresh_trust_list(&self) {
        self.trust.refresh_if_due();
    }

    /// Closes the database pool.
    pub async fn close(&self) {
        self.store.close().await;
    }

    /// The template (at its version) a check runs.
    pub(crate) fn template_of(
        &self,
        check: &crate::store::checks::CheckRow,
    ) -> Result<&Template, TemplateError> {
        let version = u32::try_from(check.template_version).unwrap_or(u32::MAX);
        self.templates.get_version(&check.template, version)
    }

    /// Retention of a finished check's personal data for `template`, in seconds: the
    /// template's configured override, else the configured default, else the template's own.
    pub(crate) fn retention_secs(&self, template: &Template) -> i64 {
        let retention = &self.settings.retention;
        retention
            .templates
            .get(template.id())
            .copied()
            .or(retention.default_secs)
            .unwrap_or_else(|| template.default_retention_secs())
    }
}

/// The active key for `purpose` and when it became active, read once; created and stored if
/// there is none. A key stored before public keys were gets its public JWK recorded.
async fn load_or_create_key(
    store: &Store,
    purpose: &'static str,
    now: i64,
) -> Result<(SigningKey, i64), OpenError> {
    let unusable = |source| OpenError::Key { purpose, source };
    let invalid = |reason| unusable(idv_jose::JoseError::InvalidKey { reason });
    let active = match store.active_service_key(purpose).await? {
        Some(active) => active,
        None => {
            let (key, private) = store
                .keys()
                .new_signing_key(&format!("verifier-{purpose}"))?;
            let public = jwk_text(&published_jwk(&key)).map_err(unusable)?;
            let new = NewKey {
                kid: &key.kid(),
                private_jwk: &private,
                public_jwk: &public,
            };
            if store.insert_service_key_if_none(purpose, &new, now).await? {
                return Ok((key, now));
            }
            // Another instance won the race: use the key it stored.
            store
                .active_service_key(purpose)
                .await?
                .ok_or_else(|| invalid("no active key"))?
        }
    };
    let key = store.keys().signing_key(&active.private_jwk)?;
    if key.kid() != active.kid {
        return Err(invalid("the stored key is not the key its kid names"));
    }
    if active.public_jwk.is_none() {
        let public = jwk_text(&published_jwk(&key)).map_err(unusable)?;
        store.fill_public_jwk(&active.kid, &public).await?;
    }
    Ok((key, active.created_at))
}
