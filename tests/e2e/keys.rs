//! Key custody across the real binaries: every signing key in an HSM (SoftHSM2 through
//! PKCS#11), or every private key sealed at rest under a key-encryption key; restarts,
//! rotation, and a wrong key-encryption key at start-up.

use std::path::{Path, PathBuf};

use idv_federation::child::{ProcessEnv, write_config};
use idv_federation::{Deployment as _, FederationBuilder};
use idv_keystore::Pkcs11Config;
use idv_service_kit::db::{Database, PoolSettings};
use idv_test_support::softhsm::{MODULE, SoftHsm};
use serde_json::Value;

use crate::helpers::{Backend, World};

/// Every column holding a private key, per service database: `(file, SQL)`.
const PRIVATE_KEY_QUERIES: [(&str, &str); 5] = [
    (
        "trust-framework.sqlite",
        "SELECT private_jwk FROM anchor_keys",
    ),
    ("issuer.sqlite", "SELECT private_jwk FROM signing_keys"),
    ("verifier.sqlite", "SELECT private_jwk FROM service_keys"),
    ("verifier.sqlite", "SELECT signing_key FROM tenants"),
    (
        "verifier.sqlite",
        "SELECT decryption_key FROM checks WHERE decryption_key IS NOT NULL",
    ),
];

/// The stored private keys of every service, by query.
async fn stored_private_keys(services_dir: &Path) -> Vec<(String, String)> {
    let mut stored = Vec::new();
    for (file, sql) in PRIVATE_KEY_QUERIES {
        let url = format!("sqlite://{}", services_dir.join(file).display());
        let db = Database::connect_with(&url, PoolSettings::with_max_connections(1))
            .await
            .unwrap();
        let rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(db.pool()).await.unwrap();
        db.close().await;
        stored.extend(rows.into_iter().map(|text| (sql.to_owned(), text)));
    }
    stored
}

/// No file of the services' databases (main file, WAL) holds a private scalar in clear.
fn assert_no_private_scalar_in_files(services_dir: &Path) {
    let mut files = 0;
    for entry in std::fs::read_dir(services_dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.contains(".sqlite") {
            files += 1;
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes.windows(5).any(|w| w == b"\"d\":"),
                "{name} holds a private scalar in clear"
            );
        }
    }
    assert!(files >= 3, "the three databases were read");
}

/// The operator registers the issuer's keys after a rotation (`PUT
/// /v1/providers/{entry_id}/issuer`), as the provider asks it to.
async fn register_rotated_issuer_keys(world: &World) {
    let registration = world.federation.issuer_registration().await.unwrap();
    let api = world.operator.api();
    let response = reqwest::Client::new()
        .put(format!(
            "{}/v1/providers/{}/issuer",
            api.base_url(),
            world.entry_id
        ))
        .bearer_auth(api.token().expose())
        .json(&serde_json::json!({"issuer": registration, "reason": "key rotation"}))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{}",
        response.text().await.unwrap_or_default()
    );
}

fn services_dir(world: &World) -> PathBuf {
    world.federation.data_dir().to_owned()
}

/// Each service's signing keys in its own token: `[keys.pkcs11]` through the builder's hooks,
/// the PIN in a file beside the token, `SOFTHSM2_CONF` in each process's environment.
fn in_hsms(builder: FederationBuilder<'static>, hsms: &[SoftHsm; 3]) -> FederationBuilder<'static> {
    let [trust_framework, issuer, verifier] = hsms.each_ref().map(|hsm| {
        let pin_file = hsm.dir().join("pin");
        std::fs::write(&pin_file, hsm.pin()).unwrap();
        Pkcs11Config {
            module: MODULE.into(),
            token_label: hsm.label().to_owned(),
            pin_env: None,
            pin_file: Some(pin_file),
        }
    });
    builder
        .trust_framework_config(|c| c.keys.pkcs11 = Some(trust_framework))
        .issuer_config(|c| c.keys.pkcs11 = Some(issuer))
        .verifier_config(|c| c.keys.pkcs11 = Some(verifier))
}

/// Rotation while the services run (the issuer's signing key and the verifier's evidence key,
/// by their commands), then every service restarts, the register learns the issuer's new keys,
/// and a check still completes. What `issuer keys rotate` printed.
async fn rotate_restart_and_check(world: &mut World) -> String {
    let rotated = world
        .federation
        .run("issuer", &["keys", "rotate"])
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", world.logs()));
    world
        .federation
        .run("verifier", &["keys", "rotate-evidence"])
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", world.logs()));
    let bins = world.federation.binaries().clone();
    world
        .federation
        .trust_framework()
        .restart(&bins)
        .await
        .unwrap();
    world.federation.issuer().restart(&bins).await.unwrap();
    world.federation.restart_verifier().await.unwrap();
    register_rotated_issuer_keys(world).await;
    // The verifier refetches the list at most a second after its last fetch.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    world.citizen_with_credentials().await;
    let (_, after) = world.check(&world.employer, "right_to_work").await;
    assert_eq!(
        after.outcome.as_deref(),
        Some("awaiting_confirmation"),
        "{after:?}\n{}",
        world.logs()
    );
    rotated
}

#[tokio::test]
async fn every_signing_key_in_an_hsm_signs_the_register_the_credentials_and_the_checks() {
    let hsms = [
        SoftHsm::new("idv-trust-framework"),
        SoftHsm::new("idv-issuer"),
        SoftHsm::new("idv-verifier"),
    ];
    let [trust_framework, issuer, verifier] = hsms.each_ref().map(|hsm| vec![hsm.env()]);
    let mut world = World::start_with(
        Backend::Sqlite,
        |builder| in_hsms(builder, &hsms),
        ProcessEnv {
            trust_framework,
            issuer,
            verifier,
        },
    )
    .await;
    // The register's list is signed by the HSM anchor key (the wallet and the verifier verify
    // it against the pinned anchor); the issuer signs with its HSM key; the verifier signs its
    // request objects and evidence with HSM keys.
    world.citizen_with_credentials().await;
    let (_, result) = world.check(&world.employer, "right_to_work").await;
    assert_eq!(
        result.outcome.as_deref(),
        Some("awaiting_confirmation"),
        "{result:?}\n{}",
        world.logs()
    );

    // The databases hold references to the HSM keys, never private material; the per-check
    // ECDH-ES keys (not HSM keys) are sealed.
    let dir = services_dir(&world);
    let stored = stored_private_keys(&dir).await;
    for (sql, text) in &stored {
        assert!(!text.contains("\"d\""), "{sql}: {text}");
        if sql.contains("decryption_key") {
            assert!(idv_jose::kek::sealed_with(text).is_some(), "{sql}: {text}");
        } else {
            let reference: Value = serde_json::from_str(text).unwrap();
            assert!(reference["pkcs11"]["key_id"].is_string(), "{sql}: {text}");
        }
    }
    assert_no_private_scalar_in_files(&dir);

    // Rotation in the HSM: the issuer's and the verifier's evidence key, by their commands,
    // while the services run; then every service restarts and a check still completes.
    let rotated = rotate_restart_and_check(&mut world).await;
    assert!(!rotated.is_empty());
    let issuer_keys: Vec<Value> = stored_private_keys(&dir)
        .await
        .into_iter()
        .filter(|(sql, _)| sql.contains("signing_keys"))
        .map(|(_, text)| serde_json::from_str(&text).unwrap())
        .collect();
    assert_eq!(issuer_keys.len(), 2, "the retired key and the new one");
}

#[tokio::test]
async fn sealed_keys_survive_restarts_and_rotation_and_a_wrong_kek_stops_start_up() {
    let mut world = World::start(Backend::Sqlite).await;
    world.citizen_with_credentials().await;
    let (_, first) = world.check(&world.employer, "right_to_work").await;
    assert_eq!(first.outcome.as_deref(), Some("awaiting_confirmation"));

    // With nothing configured, each service generated its key-encryption key file (0600)
    // beside its database, and sealed every private key under it.
    let dir = services_dir(&world);
    for service in ["trust-framework", "issuer", "verifier"] {
        let kek = dir.join(format!("{service}.kek"));
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&kek).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o600, "{}", kek.display());
    }
    let stored = stored_private_keys(&dir).await;
    assert!(stored.len() >= 5, "{stored:?}");
    for (sql, text) in &stored {
        if text.is_empty() {
            continue; // a retired key's erased private part
        }
        assert!(
            idv_jose::kek::sealed_with(text).is_some(),
            "{sql}: not sealed"
        );
    }
    assert_no_private_scalar_in_files(&dir);

    // Rotation, then every service restarts and keeps working with its sealed keys.
    rotate_restart_and_check(&mut world).await;
    for (sql, text) in stored_private_keys(&dir).await {
        assert!(
            text.is_empty() || idv_jose::kek::sealed_with(&text).is_some(),
            "{sql}: not sealed after rotation"
        );
    }
    assert_no_private_scalar_in_files(&dir);

    // Another key-encryption key: the issuer refuses to start, naming both keys' ids.
    let (other, other_text) = idv_jose::KeyEncryptionKey::generate().unwrap();
    let other_file = dir.join("other.kek");
    std::fs::write(&other_file, other_text).unwrap();
    let mut config = world.federation.issuer_config().clone();
    config.keys.kek_file = Some(other_file);
    config.http.listen = "127.0.0.1:0".parse().unwrap();
    let config_file = dir.join("issuer-other-kek.toml");
    write_config(&config_file, &config).unwrap();
    let config_file = config_file.display().to_string();
    let bins = world.federation.binaries();
    let error = bins
        .run("issuer", &["--config", &config_file, "keys", "list"], &[])
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("sealed under key-encryption key kek-")
            && error.contains(&format!("the configured key is {}", other.id())),
        "{error}"
    );
    assert!(!error.contains("panicked"), "{error}");
    let error = bins
        .run("issuer", &["--config", &config_file, "serve"], &[])
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("sealed under key-encryption key"), "{error}");
}
