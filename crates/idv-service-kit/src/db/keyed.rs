//! A service's database together with the custody of the private keys it stores: connected,
//! migrated, and every stored private key checked at start-up (see [`super::private_keys`]), so
//! a wrong key-encryption key stops the service before it serves anything.

use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;

use idv_keystore::{KeyCustody, KeyStoreError, KeysConfig};

use super::{Database, DbError, Migrations, PoolSettings, PrivateKeyColumn};
use crate::config::{DatabaseSettings, Secret};

/// What opening a service's database needs to know of the service.
#[derive(Debug)]
pub struct StoreSpec {
    /// The service's name; its default key-encryption key file is `<service>.kek`.
    pub service: &'static str,
    /// Its embedded migrations.
    pub migrations: &'static Migrations,
    /// Every column in which it keeps private keys.
    pub private_key_columns: &'static [PrivateKeyColumn],
}

/// A service's [`Database`] (which it dereferences to) and its [`KeyCustody`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct KeyedDatabase {
    db: Database,
    keys: Arc<KeyCustody>,
}

impl KeyedDatabase {
    /// Opens the key custody `keys` describe (`data_dir`: `database.data_dir`, where the
    /// default key-encryption key file goes for a database that is not a SQLite file),
    /// connects to `url` (creating a SQLite file when missing), applies the migrations, then
    /// seals any private key still stored in clear and checks that every stored key opens.
    pub async fn open<E>(
        spec: &StoreSpec,
        url: &str,
        pool: PoolSettings,
        keys: &KeysConfig,
        data_dir: &Path,
    ) -> Result<Self, E>
    where
        E: From<DbError> + From<KeyStoreError> + From<sqlx::Error>,
    {
        let default_kek = idv_keystore::default_kek_file(url, data_dir, spec.service);
        let keys = Arc::new(KeyCustody::open(keys, &default_kek)?);
        let db = Database::open(url, pool, spec.migrations).await?;
        db.seal_private_keys(spec.private_key_columns, |stored| {
            Ok::<_, E>(keys.check_and_reseal(stored)?)
        })
        .await?;
        Ok(Self { db, keys })
    }

    /// [`KeyedDatabase::open`] of `url` with a service's `[database]` and `[keys]` settings.
    pub async fn open_configured<E>(
        spec: &StoreSpec,
        url: &Secret,
        database: &DatabaseSettings,
        keys: &KeysConfig,
    ) -> Result<Self, E>
    where
        E: From<DbError> + From<KeyStoreError> + From<sqlx::Error>,
    {
        let pool = database.pool_settings();
        Self::open(spec, url.expose(), pool, keys, &database.data_dir).await
    }

    /// [`KeyedDatabase::open`] with the default `[keys]`: the key-encryption key file beside
    /// the SQLite database, or in the default data folder.
    pub async fn open_with_default_keys<E>(
        spec: &StoreSpec,
        url: &str,
        pool: PoolSettings,
    ) -> Result<Self, E>
    where
        E: From<DbError> + From<KeyStoreError> + From<sqlx::Error>,
    {
        let data_dir = DatabaseSettings::default_sqlite().data_dir;
        Self::open(spec, url, pool, &KeysConfig::default(), &data_dir).await
    }

    /// Where the private keys live.
    pub fn keys(&self) -> &KeyCustody {
        &self.keys
    }

    /// The database.
    pub fn database(&self) -> &Database {
        &self.db
    }
}

impl Deref for KeyedDatabase {
    type Target = Database;

    fn deref(&self) -> &Database {
        &self.db
    }
}

/// Declares a service's store type: a newtype over [`KeyedDatabase`] (which it dereferences
/// to) for the service's `SQL` methods, with
/// - `connect(url, pool)`: the database at `url` with the default `[keys]` (tests);
/// - `open(url, database, keys)`: the configured `[database]` and `[keys]`;
/// - `open_configured(config)`: the same from a [`crate::config::ServiceConfig`];
/// - `open_initialised(config)`: the same, refusing a database `init` has not created;
/// - a private `begin()`: a write transaction (see [`Database::begin_write`]);
///
/// all failing with the service's store error, which converts from [`DbError`],
/// `idv_keystore::KeyStoreError` and `sqlx::Error`.
///
/// ```ignore
/// idv_service_kit::keyed_store!(
///     /// The issuer's database and the custody of its private keys.
///     pub struct Store(SPEC) -> StoreError;
/// );
/// ```
#[macro_export]
macro_rules! keyed_store {
    ($(#[$meta:meta])* $vis:vis struct $name:ident($spec:path) -> $error:ty;) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        $vis struct $name {
            db: $crate::db::KeyedDatabase,
        }

        impl $name {
            /// Connects to `url` and applies migrations, with the default `[keys]` (the
            /// key-encryption key file beside the SQLite database, or in the default data
            /// folder).
            pub async fn connect(
                url: &str,
                pool: $crate::db::PoolSettings,
            ) -> ::std::result::Result<Self, $error> {
                let db =
                    $crate::db::KeyedDatabase::open_with_default_keys::<$error>(&$spec, url, pool)
                        .await?;
                Ok(Self { db })
            }

            /// Opens the database at `url` with the settings of `[database]` and the key
            /// custody of `[keys]`: seals any private key still stored in clear and checks
            /// that every stored key opens.
            pub async fn open(
                url: &$crate::Secret,
                database: &$crate::config::DatabaseSettings,
                keys: &$crate::db::KeysConfig,
            ) -> ::std::result::Result<Self, $error> {
                let db = $crate::db::KeyedDatabase::open_configured::<$error>(
                    &$spec, url, database, keys,
                )
                .await?;
                Ok(Self { db })
            }

            /// [`Self::open`] with a service configuration's database URL, `[database]` and
            /// `[keys]`.
            pub async fn open_configured(
                config: &impl $crate::config::ServiceConfig,
            ) -> ::std::result::Result<Self, $error> {
                Self::open(&config.database_url(), config.database(), config.keys()).await
            }

            /// [`Self::open_configured`] of a database the service's `init` created; refuses
            /// any other (`DbError::NotInitialised`, naming where it looked) instead of
            /// creating it. For every command but `init`.
            pub async fn open_initialised(
                config: &impl $crate::config::ServiceConfig,
            ) -> ::std::result::Result<Self, $error> {
                $crate::db::Database::require_initialised(
                    config.database_url().expose(),
                    $spec.service,
                )
                .await?;
                Self::open_configured(config).await
            }

            /// A write transaction: on SQLite one at a time per database, taking the write
            /// lock at once (see `Database::begin_write`). Every caller writes.
            async fn begin(&self) -> ::std::result::Result<$crate::db::WriteTx, $error> {
                Ok(self.db.begin_write().await?)
            }
        }

        impl ::std::ops::Deref for $name {
            type Target = $crate::db::KeyedDatabase;

            fn deref(&self) -> &$crate::db::KeyedDatabase {
                &self.db
            }
        }
    };
}
