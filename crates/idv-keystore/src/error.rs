//! Why a key could not be kept or used.

use std::path::PathBuf;

use idv_jose::JoseError;

/// Why key custody failed: at start-up, a clear reason the service cannot use its keys.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyStoreError {
    /// `[keys]` is inconsistent.
    #[error("invalid [keys] configuration: {0}")]
    Config(String),
    /// A key-encryption key or PIN file cannot be read or written.
    #[error("cannot use {}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The environment variable named in the configuration is not set.
    #[error("environment variable {name} is not set")]
    MissingEnv {
        /// The variable.
        name: String,
    },
    /// The key-encryption key is not 32 bytes of base64url.
    #[error("the key-encryption key from {from} is invalid")]
    InvalidKek {
        /// Where it came from (a file or a variable, never the key).
        from: String,
        /// Why.
        #[source]
        source: JoseError,
    },
    /// A stored key was sealed under another key-encryption key than the configured one.
    #[error(
        "the stored keys were sealed under key-encryption key {sealed_with}, but the configured key is {configured}: configure the key they were sealed with"
    )]
    WrongKek {
        /// The id of the key they were sealed with.
        sealed_with: String,
        /// The id of the configured key.
        configured: String,
    },
    /// A stored key does not open or parse (tampered, or not a key).
    #[error("a stored key is unusable")]
    Unusable(#[source] JoseError),
    /// A stored key is held in an HSM, but no `[keys.pkcs11]` is configured.
    #[error(
        "a stored key is held in HSM token {token_label:?}, but no [keys.pkcs11] is configured"
    )]
    HsmNotConfigured {
        /// The token of the stored key.
        token_label: String,
    },
    /// A stored key is held in another token than the configured one.
    #[error(
        "a stored key is held in HSM token {token_label:?}, but the configured token is {configured:?}"
    )]
    OtherToken {
        /// The token of the stored key.
        token_label: String,
        /// The configured token.
        configured: String,
    },
    /// No slot holds a token with the configured label.
    #[error("no PKCS#11 token is labelled {label:?}")]
    TokenNotFound {
        /// The label.
        label: String,
    },
    /// The token holds no private key with a stored key's id.
    #[error("HSM token {token_label:?} holds no private key with id {key_id}")]
    HsmKeyMissing {
        /// The token.
        token_label: String,
        /// The key's `CKA_ID` (hex).
        key_id: String,
    },
    /// A PKCS#11 call failed.
    #[error("PKCS#11 {operation} failed")]
    Pkcs11 {
        /// The operation.
        operation: &'static str,
        /// The module's answer.
        #[source]
        source: cryptoki::error::Error,
    },
    /// The HSM returned something that is not a P-256 key or signature.
    #[error("the HSM returned an unusable key: {0}")]
    HsmKey(#[source] JoseError),
}

impl KeyStoreError {
    /// Maps a failure to open a sealed key: another KEK is named as such.
    pub(crate) fn from_sealed(error: JoseError) -> Self {
        match error {
            JoseError::WrongKeyEncryptionKey {
                sealed_with,
                configured,
            } => Self::WrongKek {
                sealed_with,
                configured,
            },
            other => Self::Unusable(other),
        }
    }
}
