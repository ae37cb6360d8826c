//! The `[keys]` section every service shares.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Where a service's private keys live. With nothing set, the key-encryption key is a file
/// generated on first start beside the SQLite database (or in `database.data_dir`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeysConfig {
    /// A file holding the key-encryption key: 32 bytes in base64url. It must exist.
    pub kek_file: Option<PathBuf>,
    /// The name of an environment variable holding the key-encryption key (base64url).
    pub kek_env: Option<String>,
    /// An HSM for the signing keys, through PKCS#11.
    pub pkcs11: Option<Pkcs11Config>,
}

/// A PKCS#11 token that generates and holds the signing keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Pkcs11Config {
    /// The PKCS#11 module (shared library), such as `/usr/lib/softhsm/libsofthsm2.so`.
    pub module: PathBuf,
    /// The label of the token (its slot is found by label).
    pub token_label: String,
    /// The name of an environment variable holding the user PIN.
    pub pin_env: Option<String>,
    /// A file holding the user PIN (surrounding whitespace ignored).
    pub pin_file: Option<PathBuf>,
}
