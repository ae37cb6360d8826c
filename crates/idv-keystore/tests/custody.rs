//! Key custody against a real SoftHSM2 token and a real key-encryption key. Tests that use
//! the token run again in a child process with `SOFTHSM2_CONF` set (SoftHSM reads it once, at
//! `C_Initialize`); the parent creates the token.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::time::Instant;

use idv_jose::jws::{self, Header};
use idv_jose::{DecryptionKey, KeyEncryptionKey, PublicKey};
use idv_keystore::{KeyCustody, KeyStoreError, KeysConfig, Pkcs11Config, StoredKey};
use idv_test_support::softhsm::{MODULE, SoftHsm};

const TOKEN: &str = "idv-keystore-test";
const PIN_ENV: &str = "IDV_TEST_KEYSTORE_PIN";

fn hsm_config(kek_file: &std::path::Path) -> KeysConfig {
    KeysConfig {
        kek_file: Some(kek_file.to_owned()),
        kek_env: None,
        pkcs11: Some(Pkcs11Config {
            module: MODULE.into(),
            token_label: TOKEN.into(),
            pin_env: Some(PIN_ENV.into()),
            pin_file: None,
        }),
    }
}

fn kek_file(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("service.kek");
    if !path.exists() {
        let (_, text) = KeyEncryptionKey::generate().unwrap();
        std::fs::write(&path, text).unwrap();
    }
    path
}

fn run_with_token(name: &str) -> bool {
    if SoftHsm::in_child() {
        return true;
    }
    let hsm = SoftHsm::new(TOKEN);
    hsm.run_test_in_child(name, &[(PIN_ENV.into(), hsm.pin().into())]);
    false
}

#[test]
fn hsm_signing_keys_sign_jws_and_reload_from_their_reference() {
    if !run_with_token("hsm_signing_keys_sign_jws_and_reload_from_their_reference") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = hsm_config(&kek_file(dir.path()));
    let custody = KeyCustody::open(&config, &dir.path().join("unused.kek")).unwrap();
    assert_eq!(custody.hsm_token(), Some(TOKEN));
    let (key, stored) = custody.new_signing_key("test").unwrap();
    assert!(key.is_external());
    assert!(!stored.contains("\"d\""), "{stored}");
    let StoredKey::Hsm(reference) = StoredKey::parse(&stored).unwrap() else {
        panic!("not an HSM reference: {stored}");
    };
    assert_eq!(reference.token_label, TOKEN);
    assert_eq!(
        reference.public_jwk.kid.as_deref(),
        Some(key.kid().as_str())
    );

    // A JWS signed in the HSM verifies with the public key alone.
    let header = Header::es256("test+jwt").with("kid", key.kid());
    let token = jws::sign(&header, br#"{"hello":"hsm"}"#, &key).unwrap();
    let public = PublicKey::from_jwk(&key.public_key().to_jwk()).unwrap();
    jws::UnverifiedJws::parse(&token)
        .unwrap()
        .verify(&public, &["test+jwt"])
        .unwrap();

    // Another process (a fresh custody) loads it by reference and signs with the same key.
    drop(key);
    let again = KeyCustody::open(&config, &dir.path().join("unused.kek")).unwrap();
    let reloaded = again.signing_key(&stored).unwrap();
    let signature = reloaded.sign(b"again").unwrap();
    public.verify(b"again", &signature).unwrap();
    assert_eq!(again.check_and_reseal(&stored).unwrap(), None);

    // Destroyed (a retired key): the reference no longer loads.
    again.destroy(&stored);
    assert!(matches!(
        again.signing_key(&stored),
        Err(KeyStoreError::HsmKeyMissing { .. })
    ));
    // Without the HSM configured, an HSM reference is named, not guessed at.
    let software = KeyCustody::open(&KeysConfig::default(), &dir.path().join("s.kek")).unwrap();
    assert!(matches!(
        software.signing_key(&stored),
        Err(KeyStoreError::HsmNotConfigured { .. })
    ));
}

#[test]
fn a_wrong_pin_or_token_is_a_typed_error() {
    if !run_with_token("a_wrong_pin_or_token_is_a_typed_error") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut config = hsm_config(&kek_file(dir.path()));
    config.pkcs11.as_mut().unwrap().token_label = "no-such-token".into();
    let error = KeyCustody::open(&config, &dir.path().join("k")).unwrap_err();
    assert!(
        matches!(error, KeyStoreError::TokenNotFound { .. }),
        "{error}"
    );

    let pin_file = dir.path().join("pin");
    std::fs::write(&pin_file, "wrong-pin\n").unwrap();
    let mut config = hsm_config(&kek_file(dir.path()));
    let pkcs11 = config.pkcs11.as_mut().unwrap();
    pkcs11.pin_env = None;
    pkcs11.pin_file = Some(pin_file);
    let error = KeyCustody::open(&config, &dir.path().join("k")).unwrap_err();
    assert!(
        matches!(
            error,
            KeyStoreError::Pkcs11 {
                operation: "C_Login",
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn software_keys_are_sealed_and_a_wrong_kek_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let default_file = dir.path().join("svc.kek");
    let custody = KeyCustody::open(&KeysConfig::default(), &default_file).unwrap();
    let (key, stored) = custody.new_signing_key("test").unwrap();
    assert!(!key.is_external());
    assert!(!stored.contains("\"d\""));
    assert!(matches!(
        StoredKey::parse(&stored).unwrap(),
        StoredKey::Sealed(_)
    ));
    let reloaded = KeyCustody::open(&KeysConfig::default(), &default_file)
        .unwrap()
        .signing_key(&stored)
        .unwrap();
    assert_eq!(reloaded.kid(), key.kid());

    let decryption = DecryptionKey::generate().unwrap();
    let sealed = custody.seal_decryption_key(&decryption).unwrap();
    assert_eq!(
        custody.decryption_key(&sealed).unwrap().public_key(),
        decryption.public_key()
    );

    // A key stored in clear (before this change) is resealed by the start-up check.
    let plain = serde_json::to_string(&key.to_private_jwk()).unwrap();
    let resealed = custody.check_and_reseal(&plain).unwrap().unwrap();
    assert!(!resealed.contains("\"d\""));
    assert_eq!(custody.signing_key(&resealed).unwrap().kid(), key.kid());
    assert_eq!(custody.check_and_reseal(&resealed).unwrap(), None);

    let other = KeyCustody::open(&KeysConfig::default(), &dir.path().join("other.kek")).unwrap();
    let error = other.check_and_reseal(&stored).unwrap_err();
    assert!(
        matches!(&error, KeyStoreError::WrongKek { sealed_with, configured }
            if sealed_with == custody.kek_id() && configured == other.kek_id()),
        "{error}"
    );
    assert!(matches!(
        other.decryption_key(&sealed),
        Err(KeyStoreError::WrongKek { .. })
    ));
}

/// Signing cost, HSM (SoftHSM2 through PKCS#11) against software (aws-lc-rs). Prints the
/// numbers; asserts nothing about them. `cargo test -p idv-keystore --release --test custody
/// -- --ignored --nocapture measure`.
#[test]
#[ignore = "a measurement, run by hand"]
fn measure_signing_cost() {
    if !run_with_token("measure_signing_cost") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let hsm = KeyCustody::open(&hsm_config(&kek_file(dir.path())), &dir.path().join("k")).unwrap();
    let software = KeyCustody::open(&KeysConfig::default(), &dir.path().join("s.kek")).unwrap();
    let message = [7u8; 600];
    for (name, custody) in [("software", &software), ("softhsm2", &hsm)] {
        let (key, stored) = custody.new_signing_key("measure").unwrap();
        for _ in 0..50 {
            key.sign(&message).unwrap();
        }
        let rounds = 2000;
        let started = Instant::now();
        for _ in 0..rounds {
            key.sign(&message).unwrap();
        }
        let per_sign = started.elapsed() / rounds;
        let started = Instant::now();
        for _ in 0..100 {
            custody.signing_key(&stored).unwrap();
        }
        let per_load = started.elapsed() / 100;
        println!("{name}: ES256 sign {per_sign:?}, load key {per_load:?}");
    }
}
