//! The command line of the `issuer` binary. Every command except `serve` works directly on the
//! database (every one but `init` refuses a database `init` has not created, naming where it
//! looked) through the same use cases as the HTTP API ([`crate::issuance`]).
//!
//! ```text
//! issuer [--config FILE] init          signing key + operator token (token shown once)
//! issuer [--config FILE] serve         the HTTP API (on the database `init` created)
//! issuer keys rotate                   new active signing key; old ones stay published
//! issuer keys list [--json]            every key, and whether it is published
//! issuer registration [--entry-template FILE]
//!                                      what the trust framework registers for this issuer
//! ```
//!
//! `registration` prints the `issuer` member of a trust-framework service entry (`iss`, `jwks`,
//! `status_list_uris_prefix`, `vct`), exactly as `trust-framework provider add --file` and
//! `POST /v1/providers` take it; with `--entry-template`, the template's `issuer` member is
//! replaced and the whole entry printed, ready for `provider add`.
//!
//! Settings come from `--config` and `IDV_*` variables (see [`crate::config`]).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use idv_jose::{SystemClock, SystemRandom};
pub use idv_service_kit::cli::report;
use idv_service_kit::cli::{InputError, pretty, read_json, serve};
use idv_service_kit::config::ServiceConfig as _;
use idv_service_kit::telemetry;
use serde_json::Value;

use crate::config::IssuerConfig;
use crate::issuance::setup::initialise;
use crate::issuance::{Issuer, KeyError};
use crate::startup::{Application, StartupError};
use crate::store::{Store, StoreError};

/// `issuer`: a certified identity provider's OpenID4VCI credential issuer.
#[derive(Debug, Parser)]
#[command(name = "issuer", version, about, long_about = None)]
pub struct Cli {
    /// TOML configuration file (IDV_* environment variables override it).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database, the signing key and an operator token (idempotent: existing keys
    /// are kept and the token is shown only when created).
    Init,
    /// Serve the HTTP API until ctrl-c or SIGTERM.
    Serve,
    /// Signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Print what the trust framework operator registers for this issuer (JSON).
    Registration(RegistrationArgs),
}

/// `keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new signing key active; retired keys stay published while credentials they
    /// signed are unexpired.
    Rotate,
    /// List every signing key.
    List(ListArgs),
}

/// Output choice of list commands.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `registration`.
#[derive(Debug, Args)]
pub struct RegistrationArgs {
    /// A trust-framework service entry (JSON) whose `issuer` member is to be filled in; the
    /// whole entry is printed.
    #[arg(long, value_name = "FILE")]
    pub entry_template: Option<PathBuf>,
}

idv_service_kit::cli_error!(
    /// Why a command failed.
    #[derive(Debug, thiserror::Error)]
    pub enum CliError(StartupError) {
        /// A signing key operation failed.
        #[error(transparent)]
        Key(#[from] KeyError),
        /// The database failed.
        #[error(transparent)]
        Store(#[from] StoreError),
        /// An input file cannot be used.
        #[error(transparent)]
        Input(#[from] InputError),
        /// `serve` and `init` open the database themselves: they are not run on an open issuer.
        #[error("`{0}` is not a command on an open issuer")]
        NotOnOpenIssuer(&'static str),
    }
);

/// Parses the command line's configuration and runs the command, printing to stdout.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let config = IssuerConfig::load(cli.config.as_deref())?;
    telemetry::init_for_command(config.log, matches!(cli.command, Command::Serve));
    execute(config, cli.command, &mut std::io::stdout().lock()).await
}

/// Runs `command` with `config`, writing results to `out`.
pub async fn execute(
    config: IssuerConfig,
    command: Command,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    match command {
        Command::Serve => Ok(serve(Application::build(config)).await?),
        Command::Init => init(&config, out).await,
        command => {
            let settings = config.issuer_settings()?;
            let store = Store::open_initialised(&config).await?;
            let issuer = Issuer::open(
                store.clone(),
                Arc::new(SystemClock),
                Arc::new(SystemRandom),
                settings,
            )
            .await;
            let result = match issuer {
                Ok(issuer) => dispatch(&issuer, command, out).await,
                Err(e) => Err(e.into()),
            };
            store.close().await;
            result
        }
    }
}

/// Runs an operator `command` on an issuer already open in this process (a running
/// service's, [`crate::startup::Application::issuer`]), sharing its database handle instead of
/// opening a second one. `serve` and `init` are refused: they open the database themselves.
pub async fn execute_on(
    issuer: &Issuer,
    command: Command,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    match command {
        Command::Serve => Err(CliError::NotOnOpenIssuer("serve")),
        Command::Init => Err(CliError::NotOnOpenIssuer("init")),
        command => dispatch(issuer, command, out).await,
    }
}

async fn init(config: &IssuerConfig, out: &mut dyn Write) -> Result<(), CliError> {
    let settings = config.issuer_settings()?;
    let store = Store::open_configured(config).await?;
    let initialised = initialise(&store, &SystemClock, &SystemRandom).await;
    store.close().await;
    let initialised = initialised?;
    if initialised.created_signing_key {
        writeln!(out, "Created the credential signing key.")?;
    } else {
        writeln!(out, "The signing key exists; it was not changed.")?;
    }
    writeln!(out, "Signing key (public JWK):")?;
    writeln!(out, "{}", pretty(&initialised.signing_key)?)?;
    writeln!(
        out,
        "Signing key id (kid): {}",
        initialised.signing_key.kid.clone().unwrap_or_default()
    )?;
    writeln!(
        out,
        "Credential Issuer Identifier (iss): {}",
        settings.public_url
    )?;
    match &initialised.operator_token {
        Some(token) => writeln!(
            out,
            "Operator API token (shown once, store it now): {}",
            token.expose()
        )?,
        None => writeln!(out, "An operator token exists; it is not shown again.")?,
    }
    writeln!(
        out,
        "Run `issuer registration` for what the trust framework operator registers."
    )?;
    Ok(())
}

async fn dispatch(issuer: &Issuer, command: Command, out: &mut dyn Write) -> Result<(), CliError> {
    match command {
        Command::Init | Command::Serve => Ok(()),
        Command::Keys(KeysCommand::Rotate) => {
            let rotation = issuer.keys().rotate_signing_key().await?;
            writeln!(out, "{}", pretty(&rotation)?)?;
            Ok(())
        }
        Command::Keys(KeysCommand::List(ListArgs { json })) => {
            let keys = issuer.keys().signing_keys().await?;
            if json {
                writeln!(out, "{}", pretty(&keys)?)?;
            } else {
                writeln!(
                    out,
                    "{:<44} {:<8} {:<10} {:<12} LAST_CREDENTIAL_EXPIRY",
                    "KID", "STATUS", "PUBLISHED", "CREATED"
                )?;
                for key in keys {
                    writeln!(
                        out,
                        "{:<44} {:<8} {:<10} {:<12} {}",
                        key.kid,
                        key.status,
                        if key.published { "yes" } else { "no" },
                        key.created_at,
                        key.last_credential_expiry
                            .map_or_else(|| "-".to_owned(), |t| t.to_string())
                    )?;
                }
            }
            Ok(())
        }
        Command::Registration(RegistrationArgs { entry_template }) => {
            let binding = issuer.keys().registration().await?;
            let binding = serde_json::to_value(&binding)
                .map_err(|e| CliError::Output(std::io::Error::other(e.to_string())))?;
            let output = match entry_template {
                None => binding,
                Some(path) => {
                    let mut entry = read_json(&path)?;
                    let Value::Object(members) = &mut entry else {
                        return Err(InputError::Json {
                            path,
                            message: "the entry template must be a JSON object".into(),
                        }
                        .into());
                    };
                    members.insert("issuer".into(), binding);
                    entry
                }
            };
            writeln!(out, "{}", pretty(&output)?)?;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn commands_parse() {
        let cli = Cli::try_parse_from(["issuer", "--config", "i.toml", "keys", "rotate"]).unwrap();
        assert_eq!(cli.config.as_deref(), Some(std::path::Path::new("i.toml")));
        assert!(matches!(cli.command, Command::Keys(KeysCommand::Rotate)));
        let cli =
            Cli::try_parse_from(["issuer", "registration", "--entry-template", "e.json"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Registration(RegistrationArgs {
                entry_template: Some(_)
            })
        ));
        assert!(Cli::try_parse_from(["issuer", "keys", "burn"]).is_err());
    }
}
