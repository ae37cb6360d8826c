//! Why a service could not be started or an operator command failed.

/// An error and its causes, `outer: inner: root`.
pub use idv_service_kit::cli::report;

/// Why a service could not be started or an operator command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LaunchError {
    /// A file or process operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// A service refused to start or a command failed; `detail` carries its own words.
    #[error("{what}: {detail}")]
    Failed {
        /// What was being done.
        what: String,
        /// The service's error or the end of its log.
        detail: String,
    },
    /// A call to a running service's API failed.
    #[error("{what}")]
    Call {
        /// What was being done.
        what: String,
        /// Why it failed.
        #[source]
        source: crate::api::CallError,
    },
}

impl LaunchError {
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let what = what.into();
        move |source| Self::Io { what, source }
    }

    pub(crate) fn call(what: impl Into<String>) -> impl FnOnce(crate::api::CallError) -> Self {
        let what = what.into();
        move |source| Self::Call { what, source }
    }

    pub(crate) fn failed(what: impl Into<String>, detail: impl std::fmt::Display) -> Self {
        Self::Failed {
            what: what.into(),
            detail: detail.to_string(),
        }
    }
}

/// `what` failed with `error` (and its causes).
pub(crate) fn fail(what: &str, error: &dyn std::error::Error) -> LaunchError {
    LaunchError::failed(what, report(error))
}
