//! Where a [`super::TrustListClient`] keeps its rollback state (docs/trust-list.md step 3),
//! behind [`RollbackStore`]: a service's database (the SQL is `idv_service_kit`'s; this crate
//! holds none), or memory in tests.

use std::future::Future;
use std::pin::Pin;

use idv_trust::rollback::TrustListState;

/// What a [`RollbackStore`] method returns: a boxed future, so the trait can be used as
/// `dyn RollbackStore`.
pub type StoreFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, RollbackStoreError>> + Send + 'a>>;

/// A [`RollbackStore`] failed: the store's own error, kept as the source.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct RollbackStoreError(Box<dyn std::error::Error + Send + Sync>);

impl RollbackStoreError {
    /// Wraps the store's own error.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Box::new(error))
    }
}

/// The last accepted trust list state, persisted where every instance of a service (and every
/// later run of it) reads it.
pub trait RollbackStore: std::fmt::Debug + Send + Sync {
    /// The stored state with the highest `sequence`, if any.
    fn load(&self) -> StoreFuture<'_, Option<TrustListState>>;

    /// Stores `state` unless the state stored for its `list_id` has a `sequence` at least as
    /// high (a compare-and-set on `sequence`); `true` when it was stored.
    fn save_if_newer<'a>(&'a self, state: &'a TrustListState) -> StoreFuture<'a, bool>;
}
