//! Where the key-encryption key comes from: a variable, a file, or (nothing configured) a
//! file generated on first start beside the database.

use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use idv_jose::KeyEncryptionKey;

use crate::config::KeysConfig;
use crate::error::KeyStoreError;

/// Owner read/write only.
const KEK_FILE_MODE: u32 = 0o600;

/// The key-encryption key file used when `[keys]` names none: `<service>.kek` in the
/// directory of the SQLite database file, or in `data_dir` for any other database.
pub fn default_kek_file(database_url: &str, data_dir: &Path, service: &str) -> PathBuf {
    let file_name = format!("{service}.kek");
    let sqlite_path = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or_default())
        .filter(|path| !path.is_empty() && !path.starts_with(':'));
    match sqlite_path.and_then(|path| Path::new(path).parent()) {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(file_name),
        Some(_) => PathBuf::from(file_name),
        None => data_dir.join(file_name),
    }
}

/// The configured key-encryption key, or the default file's (generated when absent).
pub(crate) fn load_kek(
    config: &KeysConfig,
    default_file: &Path,
) -> Result<KeyEncryptionKey, KeyStoreError> {
    match (&config.kek_env, &config.kek_file) {
        (Some(_), Some(_)) => Err(KeyStoreError::Config(
            "set kek_env or kek_file, not both".into(),
        )),
        (Some(name), None) => {
            let text = std::env::var(name)
                .ok()
                .filter(|text| !text.trim().is_empty())
                .ok_or_else(|| KeyStoreError::MissingEnv { name: name.clone() })?;
            KeyEncryptionKey::from_text(&text).map_err(|source| KeyStoreError::InvalidKek {
                from: format!("environment variable {name}"),
                source,
            })
        }
        (None, Some(path)) => read_kek_file(path),
        (None, None) => match read_kek_file(default_file) {
            Err(KeyStoreError::File { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                generate_kek_file(default_file)
            }
            other => other,
        },
    }
}

fn read_kek_file(path: &Path) -> Result<KeyEncryptionKey, KeyStoreError> {
    let file_error = |source| KeyStoreError::File {
        path: path.to_owned(),
        source,
    };
    let text = std::fs::read_to_string(path).map_err(file_error)?;
    let mode = std::fs::metadata(path)
        .map_err(file_error)?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        tracing::warn!(
            file = %path.display(),
            "the key-encryption key file is readable by other users: chmod 600 it"
        );
    }
    KeyEncryptionKey::from_text(&text).map_err(|source| KeyStoreError::InvalidKek {
        from: path.display().to_string(),
        source,
    })
}

/// Writes a fresh key to `path` (mode 0600) unless another process got there first, whose key
/// is then used: the key is written to a private temporary file and linked into place, which
/// fails when `path` exists, so no process ever reads a half-written key.
fn generate_kek_file(path: &Path) -> Result<KeyEncryptionKey, KeyStoreError> {
    let file_error = |path: &Path| {
        let path = path.to_owned();
        move |source| KeyStoreError::File { path, source }
    };
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        // The folder is the owner's alone (0700), like the database folders.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(file_error(dir))?;
    }
    let (kek, text) = KeyEncryptionKey::generate().map_err(|source| KeyStoreError::InvalidKek {
        from: "the generator".into(),
        source,
    })?;
    let temporary = path.with_extension(format!("kek-{}.tmp", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(KEK_FILE_MODE)
        .open(&temporary)
        .and_then(|mut file| {
            file.write_all(format!("{text}\n").as_bytes())?;
            file.sync_all()
        });
    if let Err(source) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(file_error(&temporary)(source));
    }
    let linked = std::fs::hard_link(&temporary, path);
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Ok(()) => {
            tracing::warn!(
                file = %path.display(),
                "generated a key-encryption key file for this service's private keys: back it up apart from the database, or configure [keys]"
            );
            Ok(kek)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_kek_file(path),
        Err(source) => Err(file_error(path)(source)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_file_is_beside_a_sqlite_database_else_in_the_data_dir() {
        let data = Path::new("/srv/idv");
        assert_eq!(
            default_kek_file(
                "sqlite:///var/lib/idv/issuer.sqlite?mode=rwc",
                data,
                "issuer"
            ),
            Path::new("/var/lib/idv/issuer.kek")
        );
        assert_eq!(
            default_kek_file("sqlite:data/v.sqlite", data, "verifier"),
            Path::new("data/verifier.kek")
        );
        assert_eq!(
            default_kek_file("postgres://db/issuer", data, "issuer"),
            Path::new("/srv/idv/issuer.kek")
        );
        assert_eq!(
            default_kek_file("sqlite::memory:", data, "issuer"),
            Path::new("/srv/idv/issuer.kek")
        );
    }

    #[test]
    fn a_generated_file_is_private_and_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/issuer.kek");
        let first = load_kek(&KeysConfig::default(), &path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let folder = std::fs::metadata(dir.path().join("sub")).unwrap();
        assert_eq!(folder.permissions().mode() & 0o777, 0o700);
        let second = load_kek(&KeysConfig::default(), &path).unwrap();
        assert_eq!(first.id(), second.id());
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1
        );
    }

    #[test]
    fn a_configured_file_must_exist_and_hold_a_key() {
        let dir = tempfile::tempdir().unwrap();
        let config = KeysConfig {
            kek_file: Some(dir.path().join("missing.kek")),
            ..KeysConfig::default()
        };
        assert!(matches!(
            load_kek(&config, &dir.path().join("default.kek")),
            Err(KeyStoreError::File { .. })
        ));
        std::fs::write(dir.path().join("bad.kek"), "short").unwrap();
        let config = KeysConfig {
            kek_file: Some(dir.path().join("bad.kek")),
            ..KeysConfig::default()
        };
        let error = load_kek(&config, &dir.path().join("default.kek")).unwrap_err();
        assert!(matches!(error, KeyStoreError::InvalidKek { .. }), "{error}");
        assert!(!dir.path().join("default.kek").exists());
        let both = KeysConfig {
            kek_env: Some("IDV_TEST_NO_SUCH_KEK".into()),
            kek_file: Some(dir.path().join("bad.kek")),
            ..KeysConfig::default()
        };
        assert!(matches!(
            load_kek(&both, &dir.path().join("default.kek")),
            Err(KeyStoreError::Config(_))
        ));
        let unset = KeysConfig {
            kek_env: Some("IDV_TEST_NO_SUCH_KEK".into()),
            ..KeysConfig::default()
        };
        assert!(matches!(
            load_kek(&unset, &dir.path().join("default.kek")),
            Err(KeyStoreError::MissingEnv { .. })
        ));
    }
}
