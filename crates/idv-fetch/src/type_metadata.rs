//! The credential types a trust list pins (its `type_metadata` member): each type's SD-JWT VC
//! Type Metadata and JSON Schema, fetched from the URLs the list names, checked against the
//! integrity metadata it carries and loaded by `idv_sdjwt::type_metadata` before use.
//!
//! A loaded type is kept for as long as the list pins the same documents: the integrity
//! values identify their content, so they may be cached indefinitely (SD-JWT VC "From a Local
//! Cache"). A type that fails to load is logged and left out, so checks of that type are
//! refused (the list requires its processing) while other types keep working; it is tried
//! again after [`RETRY_AFTER`] seconds, so an unreachable publisher does not slow every check.

use std::collections::BTreeMap;
use std::sync::Arc;

use idv_jose::Clock;
use idv_proto::sd_jwt_vc::type_metadata::TYPE_METADATA_MEDIA_TYPE;
use idv_proto::trust::credential_type::{JSON_SCHEMA_MEDIA_TYPE, TypeMetadataReference};
use idv_sdjwt::type_metadata::{CredentialType, CredentialTypes, Document, TypeMetadataError};
use idv_trust::list::VerifiedTrustList;
use tokio::sync::RwLock;

use crate::http::{FetchError, Fetcher};

/// Seconds before a type that failed to load is fetched again.
pub const RETRY_AFTER: i64 = 30;

/// Why a credential type could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TypeMetadataClientError {
    /// A document could not be fetched.
    #[error("{document} fetch failed: {source}")]
    Fetch {
        /// Which document.
        document: Document,
        /// Why.
        #[source]
        source: FetchError,
    },
    /// A document was served with another media type.
    #[error("the {document} is not served as JSON")]
    MediaType {
        /// Which document.
        document: Document,
    },
    /// A document failed its integrity check, or does not load.
    #[error(transparent)]
    Invalid(#[from] TypeMetadataError),
}

#[derive(Debug, Default)]
struct State {
    loaded: BTreeMap<String, Arc<CredentialType>>,
    /// The reference that last failed per `vct`, and when.
    failed: BTreeMap<String, (TypeMetadataReference, i64)>,
    /// What was handed out, and for which references.
    current: Option<(
        BTreeMap<String, TypeMetadataReference>,
        Arc<CredentialTypes>,
    )>,
}

/// Fetches and holds the credential types trust lists pin. Share it behind an `Arc`.
#[derive(Debug)]
pub struct TypeMetadataClient {
    fetcher: Fetcher,
    clock: Arc<dyn Clock>,
    state: RwLock<State>,
}

impl TypeMetadataClient {
    /// A client fetching with `fetcher`.
    pub fn new(fetcher: Fetcher, clock: Arc<dyn Clock>) -> Self {
        Self {
            fetcher,
            clock,
            state: RwLock::new(State::default()),
        }
    }

    /// The types `list` pins that could be loaded (see the module doc). Fetches only what is
    /// not held yet; calls wait while a fetch runs.
    pub async fn types(&self, list: &VerifiedTrustList) -> Arc<CredentialTypes> {
        let wanted = &list.claims().type_metadata;
        let held = |state: &State| match &state.current {
            Some((references, types)) if references == wanted && types.len() == wanted.len() => {
                Some(Arc::clone(types))
            }
            _ => None,
        };
        if let Some(types) = held(&*self.state.read().await) {
            return types;
        }
        let mut state = self.state.write().await;
        if let Some(types) = held(&state) {
            return types;
        }
        let now = self.clock.now();
        for (vct, reference) in wanted {
            if state
                .loaded
                .get(vct)
                .is_some_and(|t| t.is_published_as(reference))
            {
                continue;
            }
            if state
                .failed
                .get(vct)
                .is_some_and(|(failed, at)| failed == reference && now < at + RETRY_AFTER)
            {
                continue;
            }
            match self.load(vct, reference).await {
                Ok(loaded) => {
                    state.failed.remove(vct);
                    state.loaded.insert(vct.clone(), Arc::new(loaded));
                }
                Err(error) => {
                    tracing::warn!(%error, type_metadata.vct = %vct, "credential type unavailable");
                    state.failed.insert(vct.clone(), (reference.clone(), now));
                }
            }
        }
        state.loaded.retain(|vct, _| wanted.contains_key(vct));
        state.failed.retain(|vct, _| wanted.contains_key(vct));
        let mut types = CredentialTypes::new();
        for (vct, reference) in wanted {
            if let Some(loaded) = state.loaded.get(vct)
                && loaded.is_published_as(reference)
            {
                types.insert(Arc::clone(loaded));
            }
        }
        let types = Arc::new(types);
        state.current = Some((wanted.clone(), Arc::clone(&types)));
        types
    }

    async fn load(
        &self,
        vct: &str,
        reference: &TypeMetadataReference,
    ) -> Result<CredentialType, TypeMetadataClientError> {
        let metadata = self
            .fetch(
                &reference.uri,
                Document::TypeMetadata,
                &[TYPE_METADATA_MEDIA_TYPE],
            )
            .await?;
        let schema = match &reference.schema {
            Some(schema) => Some(
                self.fetch(
                    &schema.uri,
                    Document::Schema,
                    &[JSON_SCHEMA_MEDIA_TYPE, TYPE_METADATA_MEDIA_TYPE],
                )
                .await?,
            ),
            None => None,
        };
        Ok(CredentialType::load(
            vct,
            reference,
            &metadata,
            schema.as_deref(),
        )?)
    }

    async fn fetch(
        &self,
        url: &str,
        document: Document,
        media_types: &[&str],
    ) -> Result<Vec<u8>, TypeMetadataClientError> {
        let fetched = self
            .fetcher
            .get(url, media_types[0])
            .await
            .map_err(|source| TypeMetadataClientError::Fetch { document, source })?;
        let essence = fetched
            .content_type
            .as_deref()
            .and_then(|value| value.split(';').next())
            .map(|essence| essence.trim().to_ascii_lowercase());
        if !essence.is_some_and(|essence| media_types.contains(&essence.as_str())) {
            return Err(TypeMetadataClientError::MediaType { document });
        }
        Ok(fetched.body)
    }
}
