//! The command line: `init`, `keys`, and `registration` in the trust framework's format.

use idv_jose::PublicKey;
use idv_proto::trust::entry::IssuerBinding;
use idv_test_support::cli::{assert_refused_before_init, init_twice, printed};
use idv_test_support::{TestDb, test_on_both_databases};
use issuer::cli::{Command, KeysCommand, ListArgs, RegistrationArgs, execute};
use issuer::config::IssuerConfig;
use serde_json::{Value, json};

use crate::helpers::{PUBLIC_URL, test_config};

test_on_both_databases!(
    init_is_idempotent_and_registration_is_what_the_trust_framework_takes,
    commands_but_init_refuse_a_database_init_did_not_create
);

async fn run(config: &IssuerConfig, command: Command) -> String {
    printed(async |out| execute(config.clone(), command, out).await).await
}

async fn commands_but_init_refuse_a_database_init_did_not_create(db: TestDb) {
    let config = test_config(&db);
    let commands = [
        (
            "keys list",
            Command::Keys(KeysCommand::List(ListArgs { json: true })),
        ),
        ("keys rotate", Command::Keys(KeysCommand::Rotate)),
        (
            "registration",
            Command::Registration(RegistrationArgs {
                entry_template: None,
            }),
        ),
    ];
    for (name, command) in commands {
        let mut out = Vec::new();
        let error = execute(config.clone(), command, &mut out)
            .await
            .expect_err(name);
        let message = issuer::cli::report(&error);
        assert_refused_before_init("issuer", &db, name, &message);
    }
    // `serve` does not start either.
    let error = issuer::startup::Application::build(config.clone())
        .await
        .expect_err("serve");
    let message = issuer::cli::report(&error);
    assert_refused_before_init("issuer", &db, "serve", &message);
    // Nothing was created: `init` still creates the key, and then the commands work.
    let init = run(&config, Command::Init).await;
    assert!(
        init.contains("Created the credential signing key."),
        "{init}"
    );
    let keys = run(
        &config,
        Command::Keys(KeysCommand::List(ListArgs { json: true })),
    )
    .await;
    assert_eq!(
        serde_json::from_str::<Value>(&keys)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn init_is_idempotent_and_registration_is_what_the_trust_framework_takes(db: TestDb) {
    let config = test_config(&db);
    let init = async || run(&config, Command::Init).await;
    let kid = init_twice(
        init,
        "Created the credential signing key.",
        "Signing key id (kid): ",
    )
    .await;

    let registration = run(
        &config,
        Command::Registration(RegistrationArgs {
            entry_template: None,
        }),
    )
    .await;
    let binding: IssuerBinding = serde_json::from_str(&registration).unwrap();
    assert_eq!(binding.iss, [PUBLIC_URL]);
    assert_eq!(
        binding.vct,
        ["urn:dvs:vct:uk-identity:1", "urn:dvs:vct:uk-age:1"]
    );
    assert_eq!(
        binding.status_list_uris_prefix,
        [format!("{PUBLIC_URL}/status-lists/")]
    );
    assert_eq!(binding.jwks.keys.len(), 1);
    let key = PublicKey::from_jwk_value(&binding.jwks.keys[0]).unwrap();
    assert_eq!(binding.jwks.keys[0]["kid"], key.thumbprint());
    assert_eq!(key.thumbprint(), kid);

    let tmp = tempfile::tempdir().unwrap();
    let template = tmp.path().join("entry.json");
    std::fs::write(
        &template,
        json!({"organisation": {"name": "Example IDSP Ltd"}, "issuer": null}).to_string(),
    )
    .unwrap();
    let entry: Value = serde_json::from_str(
        &run(
            &config,
            Command::Registration(RegistrationArgs {
                entry_template: Some(template),
            }),
        )
        .await,
    )
    .unwrap();
    assert_eq!(entry["organisation"]["name"], "Example IDSP Ltd");
    assert_eq!(
        serde_json::from_value::<IssuerBinding>(entry["issuer"].clone()).unwrap(),
        binding
    );

    let rotated: Value =
        serde_json::from_str(&run(&config, Command::Keys(KeysCommand::Rotate)).await).unwrap();
    assert_eq!(rotated["retired_kid"], kid);
    let keys: Value = serde_json::from_str(
        &run(
            &config,
            Command::Keys(KeysCommand::List(ListArgs { json: true })),
        )
        .await,
    )
    .unwrap();
    let statuses: Vec<&str> = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["active", "retired"]);
    let table = run(
        &config,
        Command::Keys(KeysCommand::List(ListArgs { json: false })),
    )
    .await;
    assert!(table.contains(&kid), "{table}");
}
