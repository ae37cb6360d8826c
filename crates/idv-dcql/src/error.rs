//! Errors of DCQL validation, selection and checking.

use idv_proto::claims_path::ClaimsPath;

/// Why a DCQL query is invalid, cannot be satisfied, or a response does not satisfy it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DcqlError {
    /// The query breaks a DCQL rule (the verifier should not have sent it).
    #[error("invalid DCQL query: {reason}")]
    InvalidQuery {
        /// What is wrong, naming the offending query or claim id.
        reason: String,
    },
    /// A response names a Credential Query id that the query does not define.
    #[error("response names unknown credential query `{id}`")]
    UnknownCredentialQuery {
        /// The unknown id.
        id: String,
    },
    /// Wallet side: no candidate credential satisfies this required Credential Query.
    #[error("no credential satisfies credential query `{id}`")]
    NotSatisfiable {
        /// The Credential Query id.
        id: String,
    },
    /// A required Credential Set Query has no option that is (wallet) satisfiable or
    /// (verifier) satisfied by the response.
    #[error("required credential set #{index} is not satisfied")]
    CredentialSetNotSatisfied {
        /// Position of the set in `credential_sets`.
        index: usize,
    },
    /// Verifier side: a required Credential Query has no entry in the response.
    #[error("response has no presentation for required credential query `{id}`")]
    MissingPresentation {
        /// The Credential Query id.
        id: String,
    },
    /// Verifier side: the response has an entry for a query no credential set asks for.
    #[error(
        "response has a presentation for credential query `{id}`, which no credential set requests"
    )]
    UnrequestedPresentation {
        /// The Credential Query id.
        id: String,
    },
    /// Verifier side: a response entry is an empty array.
    #[error("response entry for credential query `{id}` is empty")]
    EmptyPresentations {
        /// The Credential Query id.
        id: String,
    },
    /// Verifier side: several presentations for a query without `multiple: true`.
    #[error("{count} presentations for credential query `{id}`, which allows one")]
    TooManyPresentations {
        /// The Credential Query id.
        id: String,
        /// How many were returned.
        count: usize,
    },
    /// Verifier side: a presentation has another format than requested.
    #[error("credential query `{id}` asks for format `{expected}`, got `{actual}`")]
    WrongFormat {
        /// The Credential Query id.
        id: String,
        /// The requested format.
        expected: String,
        /// The presented format.
        actual: String,
    },
    /// Verifier side: a presentation's `vct` is not among `meta.vct_values`.
    #[error("credential query `{id}` does not request vct `{vct}`")]
    VctNotRequested {
        /// The Credential Query id.
        id: String,
        /// The presented `vct`.
        vct: String,
    },
    /// Verifier side: holder binding is required but the presentation has none.
    #[error("credential query `{id}` requires cryptographic holder binding")]
    MissingHolderBinding {
        /// The Credential Query id.
        id: String,
    },
    /// Verifier side: the disclosed claims satisfy neither the claims nor any claim set.
    #[error("disclosed claims do not satisfy credential query `{id}`")]
    ClaimsNotSatisfied {
        /// The Credential Query id.
        id: String,
    },
    /// Processing a claims path pointer against a credential failed.
    #[error("claims path {path}: {reason}")]
    PathError {
        /// The path being processed.
        path: ClaimsPath,
        /// What went wrong.
        reason: PathErrorReason,
    },
}

/// Why processing a claims path pointer failed (OpenID4VP 1.0 "Claims Path Pointer" → "Processing").
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathErrorReason {
    /// A string component met a selected element that is not an object.
    #[error("component {position} is a key but a selected element is not an object")]
    KeyOnNonObject {
        /// 0-based position of the component.
        position: usize,
    },
    /// A `null` or integer component met a selected element that is not an array.
    #[error("component {position} selects array elements but a selected element is not an array")]
    NotAnArray {
        /// 0-based position of the component.
        position: usize,
    },
    /// Nothing was left selected after processing.
    #[error("selects nothing")]
    NothingSelected,
}
