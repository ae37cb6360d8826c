//! The command line drives the same register as the API, on the same database.

use idv_jose::SigningKey;
use idv_test_support::cli::{assert_refused_before_init, init_twice, printed};
use idv_test_support::{TestDb, test_on_both_databases};
use serde_json::Value;
use trust_framework::cli::{Command, ListArgs, ListCommand, ProviderCommand, RpCommand, execute};
use trust_framework::config::TrustFrameworkConfig;

use crate::helpers::{provider_body, relying_party_body, test_config};

test_on_both_databases!(
    init_is_idempotent_and_the_cli_manages_the_register,
    commands_but_init_refuse_a_database_init_did_not_create
);

async fn run(config: &TrustFrameworkConfig, command: Command) -> String {
    printed(async |out| execute(config.clone(), command, out).await).await
}

async fn commands_but_init_refuse_a_database_init_did_not_create(db: TestDb) {
    let config = test_config(&db);
    let commands = [
        ("list show", Command::List(ListCommand::Show)),
        (
            "provider list",
            Command::Provider(ProviderCommand::List(ListArgs { json: true })),
        ),
    ];
    for (name, command) in commands {
        let mut out = Vec::new();
        let error = execute(config.clone(), command, &mut out)
            .await
            .expect_err(name);
        let message = trust_framework::cli::report(&error);
        assert_refused_before_init("trust-framework", &db, name, &message);
    }
    // `serve` does not start either.
    let error = trust_framework::startup::Application::build(config.clone())
        .await
        .expect_err("serve");
    let message = trust_framework::cli::report(&error);
    assert_refused_before_init("trust-framework", &db, "serve", &message);
    // Nothing was created: `init` still creates the anchor key.
    let init = run(&config, Command::Init).await;
    assert!(init.contains("Created the anchor signing key."), "{init}");
}

async fn init_is_idempotent_and_the_cli_manages_the_register(db: TestDb) {
    let config = test_config(&db);
    let init = async || run(&config, Command::Init).await;
    let kid = init_twice(
        init,
        "Created the anchor signing key.",
        "Anchor thumbprint (kid): ",
    )
    .await;

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let entry_file = dir.join("entry.json");
    std::fs::write(&entry_file, provider_body("cli").to_string()).unwrap();
    let added: Value = serde_json::from_str(
        &run(
            &config,
            Command::Provider(ProviderCommand::Add { file: entry_file }),
        )
        .await,
    )
    .unwrap();
    assert_eq!(added["entry_id"], "dvs-000001");
    let table = run(
        &config,
        Command::Provider(ProviderCommand::List(ListArgs { json: false })),
    )
    .await;
    assert!(table.contains("dvs-000001   certified"), "{table}");

    let rp_file = dir.join("rp.json");
    std::fs::write(
        &rp_file,
        relying_party_body("shop.example.co.uk").to_string(),
    )
    .unwrap();
    run(&config, Command::Rp(RpCommand::Add { file: rp_file })).await;
    let jwk_file = dir.join("key.json");
    let key = SigningKey::generate().unwrap();
    std::fs::write(
        &jwk_file,
        serde_json::to_string(&key.public_key().to_jwk()).unwrap(),
    )
    .unwrap();
    let jwt = run(
        &config,
        Command::Rp(RpCommand::Attest {
            rp_id: "rp-000001".into(),
            jwk_file,
            redirect_uris: vec![],
            json: false,
        }),
    )
    .await;
    assert_eq!(jwt.trim().split('.').count(), 3);

    let shown: Value =
        serde_json::from_str(&run(&config, Command::List(ListCommand::Show)).await).unwrap();
    assert_eq!(shown["header"]["typ"], "dvs-trust-list+jwt");
    assert_eq!(shown["header"]["kid"], kid);
    assert_eq!(shown["payload"]["entries"][0]["entry_id"], "dvs-000001");
    assert_eq!(
        shown["payload"]["relying_parties"][0]["client_id"],
        "shop.example.co.uk"
    );
}
