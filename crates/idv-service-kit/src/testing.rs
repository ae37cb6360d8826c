//! What the services' test configurations (each service's `testing` module) share: where a
//! service started by a test keeps its data.

use std::path::PathBuf;

use crate::Secret;
use crate::config::DatabaseSettings;

/// Pool size of a test database: several services and tests share the machine and the
/// PostgreSQL server.
pub const TEST_POOL_SIZE: u32 = 2;

/// Where a service started by a test keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// Its default SQLite file in this folder (as `init` and `serve` would create it).
    DataDir(PathBuf),
    /// A test database (`TestDb::url`), on a pool of [`TEST_POOL_SIZE`].
    Url(String),
}

impl Storage {
    /// The `[database]` settings of this storage (the others at their defaults).
    pub fn database(&self) -> DatabaseSettings {
        let mut settings = DatabaseSettings::default_sqlite();
        match self {
            Self::DataDir(dir) => dir.clone_into(&mut settings.data_dir),
            Self::Url(url) => {
                settings.url = Some(Secret::new(url));
                settings.max_connections = TEST_POOL_SIZE;
            }
        }
        settings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_database_is_used_on_a_small_pool_and_a_data_dir_holds_the_default_file() {
        let url = Storage::Url("sqlite:///tmp/t.sqlite".into()).database();
        assert_eq!(
            url.url.as_ref().map(Secret::expose),
            Some("sqlite:///tmp/t.sqlite")
        );
        assert_eq!(url.max_connections, TEST_POOL_SIZE);
        let dir = Storage::DataDir(PathBuf::from("/tmp/fed")).database();
        assert_eq!(dir.url, None);
        assert_eq!(dir.data_dir, PathBuf::from("/tmp/fed"));
        assert_eq!(
            dir.url_or_sqlite_file("issuer.sqlite").expose(),
            "sqlite:///tmp/fed/issuer.sqlite"
        );
    }
}
