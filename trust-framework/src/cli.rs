//! The command line of the `trust-framework` binary. Every command except `serve` works
//! directly on the database (every one but `init` refuses a database `init` has not created,
//! naming where it looked) through the same use cases as the HTTP API ([`crate::register`]).
//!
//! ```text
//! trust-framework [--config FILE] init
//! trust-framework [--config FILE] serve
//! trust-framework provider add --file entry.json
//! trust-framework provider certify <entry_id> <RTW|RTR|DBS|AGE>
//! trust-framework provider update-issuer <entry_id> --file issuer.json --reason "…"
//! trust-framework provider suspend|reinstate|withdraw <entry_id> --reason "…"
//! trust-framework provider list [--json]
//! trust-framework provider show <entry_id>
//! trust-framework rp add --file rp.json
//! trust-framework rp list [--json]
//! trust-framework rp attest <rp_id> --jwk-file key.json [--redirect-uri URI]… [--json]
//! trust-framework list show
//! ```
//! Settings come from `--config` and `IDV_*` variables (see [`crate::config`]).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use idv_jose::{SystemClock, SystemRandom};
use idv_proto::trust::entry::{IssuerBinding, SchemeCode, ServiceEntry};
use idv_proto::trust::relying_party::RelyingPartyEntry;
pub use idv_service_kit::cli::report;
use idv_service_kit::cli::{InputError, pretty, read_json, serve};
use idv_service_kit::config::ServiceConfig as _;
use idv_service_kit::telemetry;
use serde::Serialize;

use crate::config::TrustFrameworkConfig;
use crate::register::providers::{NewServiceEntry, StatusAction};
use crate::register::relying_parties::{AttestationRequest, NewRelyingParty};
use crate::register::setup::initialise;
use crate::register::{
    ProviderError, Providers, Register, RelyingParties, RelyingPartyError, SetupError,
    TrustListError,
};
use crate::startup::{Application, StartupError};
use crate::store::{Store, StoreError};

/// `trust-framework`: the DVS register operator.
#[derive(Debug, Parser)]
#[command(name = "trust-framework", version, about, long_about = None)]
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
    /// Create the database, the anchor key and an operator token (idempotent: existing keys
    /// are kept and the token is shown only when created).
    Init,
    /// Serve the HTTP API until ctrl-c or SIGTERM.
    Serve,
    /// Certified services.
    #[command(subcommand)]
    Provider(ProviderCommand),
    /// Relying parties.
    #[command(subcommand)]
    Rp(RpCommand),
    /// The published trust list.
    #[command(subcommand)]
    List(ListCommand),
}

/// `provider …`.
#[derive(Debug, Subcommand)]
pub enum ProviderCommand {
    /// Register a certified service from a JSON file (the `POST /v1/providers` body).
    Add {
        /// The JSON file.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// Certify a service for a supplementary code.
    Certify {
        /// The entry, e.g. dvs-000001.
        entry_id: String,
        /// RTW, RTR, DBS or AGE.
        #[arg(value_parser = parse_code)]
        code: SchemeCode,
    },
    /// Replace a service's issuer binding from a JSON file (what `issuer registration`
    /// prints), e.g. after the issuer rotated its keys.
    UpdateIssuer {
        /// The entry, e.g. dvs-000001.
        entry_id: String,
        /// The JSON file with the new `issuer` member.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// Why (recorded with the change).
        #[arg(long)]
        reason: String,
    },
    /// Suspend a certified service.
    Suspend(StatusArgs),
    /// Reinstate a suspended service.
    Reinstate(StatusArgs),
    /// Withdraw a service (final).
    Withdraw(StatusArgs),
    /// List every service.
    List(ListArgs),
    /// Show one service as JSON.
    Show {
        /// The entry.
        entry_id: String,
    },
}

/// Arguments of a lifecycle change.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The entry, e.g. dvs-000001.
    pub entry_id: String,
    /// Why (recorded in the status history and published).
    #[arg(long)]
    pub reason: String,
}

/// Output choice of list commands.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `rp …`.
#[derive(Debug, Subcommand)]
pub enum RpCommand {
    /// Register a relying party from a JSON file (the `POST /v1/relying-parties` body).
    Add {
        /// The JSON file.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// List every relying party.
    List(ListArgs),
    /// Issue a Verifier Attestation for a relying party's request-signing key.
    Attest {
        /// The relying party, e.g. rp-000001.
        rp_id: String,
        /// File holding the public P-256 JWK.
        #[arg(long, value_name = "FILE")]
        jwk_file: PathBuf,
        /// Allowed redirect/response URI (repeatable).
        #[arg(long = "redirect-uri", value_name = "URI")]
        redirect_uris: Vec<String>,
        /// JSON `{verifier_attestation, expires_at}` instead of the bare JWT.
        #[arg(long)]
        json: bool,
    },
}

/// `list …`.
#[derive(Debug, Subcommand)]
pub enum ListCommand {
    /// Print the current signed list (re-signing it first if due), decoded.
    Show,
}

idv_service_kit::cli_error!(
    /// Why a command failed.
    #[derive(Debug, thiserror::Error)]
    pub enum CliError(StartupError) {
        /// The register could not be initialised or opened.
        #[error(transparent)]
        Setup(#[from] SetupError),
        /// A certified service's command was refused or failed.
        #[error(transparent)]
        Provider(#[from] ProviderError),
        /// A relying party's command was refused or failed.
        #[error(transparent)]
        RelyingParty(#[from] RelyingPartyError),
        /// The trust list could not be published or decoded.
        #[error(transparent)]
        TrustList(#[from] TrustListError),
        /// The database failed.
        #[error(transparent)]
        Store(#[from] StoreError),
        /// An input file cannot be used.
        #[error(transparent)]
        Input(#[from] InputError),
    }
);

/// Parses the command line's configuration and runs the command, printing to stdout.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let config = TrustFrameworkConfig::load(cli.config.as_deref())?;
    telemetry::init_for_command(config.log, matches!(cli.command, Command::Serve));
    execute(config, cli.command, &mut std::io::stdout().lock()).await
}

/// Runs `command` with `config`, writing results to `out`.
pub async fn execute(
    config: TrustFrameworkConfig,
    command: Command,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    match command {
        Command::Serve => Ok(serve(Application::build(config)).await?),
        Command::Init => init(&config, out).await,
        command => {
            let settings = config.register_settings()?;
            let store = Store::open_initialised(&config).await?;
            let register = Register::open(store, Arc::new(SystemClock), settings).await?;
            let result = dispatch(&register, command, out).await;
            register.close().await;
            result
        }
    }
}

async fn init(config: &TrustFrameworkConfig, out: &mut dyn Write) -> Result<(), CliError> {
    config.register_settings()?;
    let store = Store::open_configured(config).await?;
    let initialised = initialise(&store, &SystemClock, &SystemRandom).await;
    store.close().await;
    let initialised = initialised?;
    let kid = initialised.anchor.kid.clone().unwrap_or_default();
    if initialised.created_anchor {
        writeln!(out, "Created the anchor signing key.")?;
    } else {
        writeln!(out, "The anchor signing key exists; it was not changed.")?;
    }
    writeln!(
        out,
        "Anchor public JWK (pin it in every verifier's and wallet's configuration):"
    )?;
    writeln!(out, "{}", pretty(&initialised.anchor)?)?;
    writeln!(out, "Anchor thumbprint (kid): {kid}")?;
    match &initialised.operator_token {
        Some(token) => {
            writeln!(
                out,
                "Operator API token (shown once, store it now): {}",
                token.expose()
            )?;
        }
        None => writeln!(out, "An operator token exists; it is not shown again.")?,
    }
    Ok(())
}

async fn dispatch(
    register: &Register,
    command: Command,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    match command {
        Command::Init | Command::Serve => Ok(()),
        Command::Provider(command) => provider(register.providers(), command, out).await,
        Command::Rp(command) => relying_party(register.relying_parties(), command, out).await,
        Command::List(ListCommand::Show) => {
            let list = register.trust_list().current().await?;
            let header = idv_jose::jws::UnverifiedJws::parse(&list.jws)
                .map(|jws| jws.header().as_map().clone())
                .map_err(TrustListError::Decode)?;
            let claims = list.claims(register.trust_list())?;
            let decoded = serde_json::json!({
                "etag": list.etag(),
                "header": header,
                "payload": claims,
            });
            writeln!(out, "{}", pretty(&decoded)?)?;
            Ok(())
        }
    }
}

async fn provider(
    register: &Providers,
    command: ProviderCommand,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let entry = match command {
        ProviderCommand::Add { file } => {
            let new: NewServiceEntry = read_json(&file)?;
            register.add(new).await?
        }
        ProviderCommand::Certify { entry_id, code } => {
            register.certify_code(&entry_id, code).await?
        }
        ProviderCommand::UpdateIssuer {
            entry_id,
            file,
            reason,
        } => {
            let issuer: IssuerBinding = read_json(&file)?;
            register.update_issuer(&entry_id, issuer, &reason).await?
        }
        ProviderCommand::Suspend(args) => change(register, args, StatusAction::Suspend).await?,
        ProviderCommand::Reinstate(args) => change(register, args, StatusAction::Reinstate).await?,
        ProviderCommand::Withdraw(args) => change(register, args, StatusAction::Withdraw).await?,
        ProviderCommand::Show { entry_id } => register.get(&entry_id).await?,
        ProviderCommand::List(ListArgs { json }) => {
            let entries = register.all().await?;
            if json {
                writeln!(out, "{}", pretty(&entries)?)?;
            } else {
                write_provider_table(&entries, out)?;
            }
            return Ok(());
        }
    };
    writeln!(out, "{}", pretty(&entry)?)?;
    Ok(())
}

async fn change(
    register: &Providers,
    args: StatusArgs,
    action: StatusAction,
) -> Result<ServiceEntry, ProviderError> {
    register
        .change_status(&args.entry_id, action, &args.reason)
        .await
}

async fn relying_party(
    register: &RelyingParties,
    command: RpCommand,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    match command {
        RpCommand::Add { file } => {
            let new: NewRelyingParty = read_json(&file)?;
            let rp = register.add(new).await?;
            writeln!(out, "{}", pretty(&rp)?)?;
        }
        RpCommand::List(ListArgs { json }) => {
            let rps = register.all().await?;
            if json {
                writeln!(out, "{}", pretty(&rps)?)?;
            } else {
                write_relying_party_table(&rps, out)?;
            }
        }
        RpCommand::Attest {
            rp_id,
            jwk_file,
            redirect_uris,
            json,
        } => {
            let jwk: serde_json::Value = read_json(&jwk_file)?;
            let request = AttestationRequest {
                jwk,
                redirect_uris: (!redirect_uris.is_empty()).then_some(redirect_uris),
            };
            let issued = register.attest(&rp_id, request).await?;
            if json {
                writeln!(out, "{}", pretty(&issued)?)?;
            } else {
                writeln!(out, "{}", issued.verifier_attestation)?;
            }
        }
    }
    Ok(())
}

fn write_provider_table(entries: &[ServiceEntry], out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<12} {:<10} {:<10} {:<14} {:<12} ORGANISATION / SERVICE",
        "ENTRY", "STATUS", "MAX_LOC", "ROLES", "CODES"
    )?;
    for entry in entries {
        let roles: Vec<String> = entry.roles.iter().map(wire).collect();
        let codes: Vec<&str> = entry
            .supplementary_codes
            .iter()
            .map(|c| c.code.as_str())
            .collect();
        writeln!(
            out,
            "{:<12} {:<10} {:<10} {:<14} {:<12} {} / {}",
            entry.entry_id,
            entry.status.as_str(),
            entry.max_loc.as_str(),
            roles.join(","),
            codes.join(","),
            entry.organisation.name,
            entry.service.name
        )?;
    }
    Ok(())
}

fn write_relying_party_table(
    rps: &[RelyingPartyEntry],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<12} {:<10} {:<30} {:<12} ORGANISATION",
        "RP", "STATUS", "CLIENT_ID", "PURPOSES"
    )?;
    for rp in rps {
        let purposes: Vec<&str> = rp.purposes.iter().map(|p| p.code.as_str()).collect();
        writeln!(
            out,
            "{:<12} {:<10} {:<30} {:<12} {}",
            rp.rp_id,
            rp.status.as_str(),
            rp.client_id,
            purposes.join(","),
            rp.organisation.name
        )?;
    }
    Ok(())
}

/// A serde unit enum's wire string (`IDSP` for `Role::Idsp`).
fn wire<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn parse_code(value: &str) -> Result<SchemeCode, String> {
    serde_json::from_value(serde_json::Value::String(value.to_ascii_uppercase()))
        .map_err(|_| format!("`{value}` is not one of RTW, RTR, DBS, AGE"))
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
    fn lifecycle_commands_parse() {
        let cli = Cli::try_parse_from([
            "trust-framework",
            "--config",
            "tf.toml",
            "provider",
            "suspend",
            "dvs-000001",
            "--reason",
            "audit",
        ])
        .unwrap();
        assert_eq!(cli.config.as_deref(), Some(std::path::Path::new("tf.toml")));
        assert!(matches!(
            cli.command,
            Command::Provider(ProviderCommand::Suspend(StatusArgs { ref entry_id, ref reason }))
                if entry_id == "dvs-000001" && reason == "audit"
        ));
        let cli = Cli::try_parse_from(["trust-framework", "provider", "certify", "dvs-1", "rtw"])
            .unwrap();
        assert!(matches!(
            cli.command,
            Command::Provider(ProviderCommand::Certify {
                code: SchemeCode::Rtw,
                ..
            })
        ));
        assert!(
            Cli::try_parse_from(["trust-framework", "provider", "certify", "dvs-1", "XYZ"])
                .is_err()
        );
    }
}
