//! The command line of the `verifier` binary. Every command except `serve` works directly on
//! the database through the same use cases as the HTTP API.
//!
//! ```text
//! verifier [--config FILE] serve
//! verifier tenant add --name NAME --client-id ID [--jwk-out FILE] [--json]
//! verifier tenant list [--json]
//! verifier tenant show <tenant_id>
//! verifier tenant attest <tenant_id> <attestation-jwt-file>
//! verifier tenant api-key <tenant_id>          # an additional API key (rotation)
//! verifier tenant revoke-keys <tenant_id>      # revoke every API key of the tenant
//! verifier tenant webhook-secret <tenant_id>   # print the webhook signing secret
//! verifier oidc-client add --tenant <tenant_id> --name NAME --redirect-uri URI [--redirect-uri …]
//!                         --template T [--template …]   # prints JSON with the client_secret
//! verifier oidc-client list [--tenant <tenant_id>]       # JSON, no secrets
//! verifier oidc-client remove <client_id>
//! verifier trust refresh                       # fetch and accept the trust list now
//! verifier sweep                               # one expiry and retention pass now
//! verifier keys rotate-evidence                # a new evidence signing key; the old one stays
//!                                              # published, retired (JSON: both keys)
//! verifier evidence verify FILE [--keys FILE | --keys-url URL]
//!                                              # check a record or evidence package offline
//! ```
//! `evidence verify` needs no database: it verifies FILE (a compact check record, or an
//! evidence package) against a saved copy of the verifier's evidence keys
//! (`/.well-known/evidence-keys.json`), the keys fetched from a URL, or, for a package given
//! neither, the key the package carries; it prints the record's essentials as JSON and fails
//! with the precise reason otherwise.
//! Settings come from `--config` and `IDV_*` variables (see [`crate::config`]).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use idv_jose::{Clock, Random, SystemClock, SystemRandom};
pub use idv_service_kit::cli::report;
use idv_service_kit::cli::{pretty, serve};
use idv_service_kit::config::ServiceConfig as _;
use idv_service_kit::telemetry;

use crate::config::VerifierConfig;
use crate::evidence::offline::{EvidenceCheckError, KeysSource, verify_evidence_file};
use crate::keys::KeyError;
use crate::oidc::OidcError;
use crate::oidc::clients::NewOidcClient;
use crate::retention::SweepError;
use crate::service::Verifier;
use crate::startup::{Application, Parts, StartupError};
use crate::tenants::{NewTenant, TenantError, TenantInfo};

/// `verifier`: identity checks over OpenID4VP for employers and shops.
#[derive(Debug, Parser)]
#[command(name = "verifier", version, about, long_about = None)]
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
    /// Serve the HTTP API and the background tasks until ctrl-c or SIGTERM.
    Serve,
    /// Tenants (relying parties using this verifier).
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// OpenID Connect clients of tenants (the sign-in bridge).
    #[command(subcommand)]
    OidcClient(OidcClientCommand),
    /// The trust list.
    #[command(subcommand)]
    Trust(TrustCommand),
    /// Expire abandoned checks and purge personal data whose retention ended, once.
    Sweep,
    /// The verifier's own signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Check records and evidence packages (offline: no database needed).
    #[command(subcommand)]
    Evidence(EvidenceCommand),
}

/// `keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new evidence signing key current. The previous key signs nothing more; its
    /// public key stays published with its validity, so its records keep verifying. Prints
    /// both keys as JSON.
    RotateEvidence,
}

/// `evidence …`.
#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Verify a check record (compact JWT) or an evidence package: signature, issuer, and the
    /// signing key's validity covering the record's `iat`. Prints the essentials as JSON.
    Verify {
        /// The record or the evidence package.
        file: PathBuf,
        /// A saved copy of the verifier's evidence keys (`/.well-known/evidence-keys.json`).
        #[arg(long, value_name = "FILE", conflicts_with = "keys_url")]
        keys: Option<PathBuf>,
        /// Fetch the verifier's evidence keys from this URL.
        #[arg(long = "keys-url", value_name = "URL")]
        keys_url: Option<String>,
    },
}

/// `tenant …`.
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant: request-signing key, API key and webhook secret.
    Add {
        /// Display name (e.g. the organisation).
        #[arg(long)]
        name: String,
        /// The client identifier registered with the trust framework (no prefix).
        #[arg(long = "client-id")]
        client_id: String,
        /// Also write the public request-signing JWK to this file (for `rp attest`).
        #[arg(long = "jwk-out", value_name = "FILE")]
        jwk_out: Option<PathBuf>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// List tenants.
    List {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Show one tenant as JSON.
    Show {
        /// `tn_…`.
        tenant_id: String,
    },
    /// Install the trust framework's Verifier Attestation for a tenant.
    Attest {
        /// `tn_…`.
        tenant_id: String,
        /// File holding the compact `verifier-attestation+jwt`.
        file: PathBuf,
    },
    /// Issue an additional API key.
    ApiKey(TenantArg),
    /// Revoke every API key of a tenant.
    RevokeKeys(TenantArg),
    /// Print the tenant's webhook signing secret.
    WebhookSecret(TenantArg),
}

/// A tenant id argument.
#[derive(Debug, Args)]
pub struct TenantArg {
    /// `tn_…`.
    pub tenant_id: String,
}

/// `oidc-client …`.
#[derive(Debug, Subcommand)]
pub enum OidcClientCommand {
    /// Register a client for a tenant; prints JSON with its `client_secret` (shown once).
    Add {
        /// The tenant whose checks the client runs (`tn_…`).
        #[arg(long = "tenant", value_name = "TENANT_ID")]
        tenant_id: String,
        /// Display name, shown to people on the hand-off page.
        #[arg(long)]
        name: String,
        /// An exact redirect URI (repeat for more).
        #[arg(long = "redirect-uri", value_name = "URI", required = true)]
        redirect_uris: Vec<String>,
        /// A check template the client may run, e.g. `right_to_work` (repeat for more).
        #[arg(long = "template", value_name = "TEMPLATE", required = true)]
        templates: Vec<String>,
    },
    /// List registered clients as JSON.
    List {
        /// Only this tenant's.
        #[arg(long = "tenant", value_name = "TENANT_ID")]
        tenant_id: Option<String>,
    },
    /// Retire a client: its sign-ins, codes and tokens stop working.
    Remove {
        /// `oc_…`.
        client_id: String,
    },
}

/// `trust …`.
#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Fetch, verify and accept the trust list now; print its sequence. A running server
    /// fetches it by itself within `trust.refresh_secs`; this records the new sequence in the
    /// shared database at once, so no instance accepts an older list from then on.
    Refresh,
}

idv_service_kit::cli_error!(
    /// Why a command failed.
    #[derive(Debug, thiserror::Error)]
    pub enum CliError(StartupError) {
        /// A tenant use case refused or failed.
        #[error(transparent)]
        Tenant(#[from] TenantError),
        /// An OpenID Connect client command refused or failed.
        #[error(transparent)]
        Oidc(#[from] OidcError),
        /// The trust list could not be refreshed.
        #[error(transparent)]
        Trust(#[from] idv_fetch::TrustClientError),
        /// The sweep failed.
        #[error(transparent)]
        Sweep(#[from] SweepError),
        /// An evidence key operation failed.
        #[error(transparent)]
        Key(#[from] KeyError),
        /// The evidence did not verify.
        #[error(transparent)]
        Evidence(#[from] EvidenceCheckError),
        /// The verifier could not be opened.
        #[error(transparent)]
        Startup(#[from] StartupError),
        /// A file could not be read or written.
        #[error("cannot access {}", path.display())]
        File {
            /// The file.
            path: PathBuf,
            /// Why.
            #[source]
            source: std::io::Error,
        },
        /// `serve` and `evidence` are not run on an open verifier (`serve` opens the database
        /// itself, `evidence` needs none).
        #[error("`{0}` is not a command on an open verifier")]
        NotOnOpenVerifier(&'static str),
    }
);

/// Parses the command line's configuration and runs the command, printing to stdout.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let config = VerifierConfig::load(cli.config.as_deref())?;
    telemetry::init_for_command(config.log, matches!(cli.command, Command::Serve));
    execute(config, cli.command, &mut std::io::stdout().lock()).await
}

/// Runs `command` with `config`, writing results to `out`.
pub async fn execute(
    config: VerifierConfig,
    command: Command,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    execute_with(
        config,
        command,
        out,
        Arc::new(SystemClock),
        Arc::new(SystemRandom),
    )
    .await
}

/// [`execute`] with an injected clock and randomness (tests).
pub async fn execute_with(
    config: VerifierConfig,
    command: Command,
    out: &mut dyn Write,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
) -> Result<(), CliError> {
    let parts = Parts {
        clock,
        random,
        ..Parts::default()
    };
    if let Command::Serve = command {
        return Ok(serve(Application::build_with(config, parts)).await?);
    }
    if let Command::Evidence(command) = command {
        return evidence(&config, command, out).await;
    }
    let verifier = crate::startup::open_with(&config, parts).await?;
    let result = dispatch(&verifier, command, out).await;
    verifier.close().await;
    result
}

/// Runs an operator `command` on a verifier already open in this process (a running
/// service's, [`Application::verifier`]), sharing its database handle instead of opening a
/// second one. `serve` and `evidence` are refused.
pub async fn execute_on(
    verifier: &Verifier,
    command: Command,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    match command {
        Command::Serve => Err(CliError::NotOnOpenVerifier("serve")),
        Command::Evidence(_) => Err(CliError::NotOnOpenVerifier("evidence")),
        command => dispatch(verifier, command, out).await,
    }
}

async fn dispatch(
    verifier: &Verifier,
    command: Command,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    match command {
        Command::Serve | Command::Evidence(_) => Ok(()),
        Command::Keys(KeysCommand::RotateEvidence) => {
            let rotation = verifier.keys().rotate_evidence_key().await?;
            writeln!(out, "{}", pretty(&rotation)?)?;
            Ok(())
        }
        Command::Tenant(command) => tenant(verifier, command, out).await,
        Command::OidcClient(command) => oidc_client(verifier, command, out).await,
        Command::Trust(TrustCommand::Refresh) => {
            let list = verifier.trust().trust_list().refresh().await?;
            writeln!(
                out,
                "Trust list {} accepted: sequence {}, next update {}, expires {}.",
                list.list_id(),
                list.sequence(),
                list.next_update(),
                list.exp()
            )?;
            Ok(())
        }
        Command::Sweep => {
            let report = verifier.retention().sweep().await?;
            writeln!(
                out,
                "Expired {} check(s), purged personal data of {} check(s), deleted {} ended \
                 sign-in session(s).",
                report.expired, report.purged, report.sessions
            )?;
            Ok(())
        }
    }
}

/// `evidence verify`: offline, with the configuration's outbound TLS settings for `--keys-url`.
async fn evidence(
    config: &VerifierConfig,
    command: EvidenceCommand,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let EvidenceCommand::Verify {
        file,
        keys,
        keys_url,
    } = command;
    let source = match (keys, keys_url) {
        (Some(path), _) => KeysSource::File(path),
        (None, Some(url)) => KeysSource::Url(url),
        (None, None) => KeysSource::Package,
    };
    let tls = idv_service_kit::tls::ClientTls::from_settings(&config.tls)
        .map_err(EvidenceCheckError::Tls)?;
    let plain_http = if config.trust.plain_http == "any_host" {
        idv_fetch::http::PlainHttp::AnyHost
    } else {
        idv_fetch::http::PlainHttp::Loopback
    };
    let verified = verify_evidence_file(&file, &source, &tls, plain_http).await?;
    writeln!(out, "{}", pretty(&verified)?)?;
    Ok(())
}

async fn tenant(
    verifier: &Verifier,
    command: TenantCommand,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    match command {
        TenantCommand::Add {
            name,
            client_id,
            jwk_out,
            json,
        } => {
            let created = verifier
                .tenants()
                .add_tenant(NewTenant { name, client_id })
                .await?;
            let tenant = &created.tenant;
            if let Some(path) = &jwk_out {
                let text = pretty(&tenant.request_signing_jwk)?;
                std::fs::write(path, text + "\n").map_err(|source| CliError::File {
                    path: path.clone(),
                    source,
                })?;
            }
            if json {
                let value = serde_json::json!({
                    "tenant": tenant,
                    "api_key": created.api_key.expose(),
                    "webhook_secret": created.webhook_secret.expose(),
                });
                writeln!(out, "{}", pretty(&value)?)?;
                return Ok(());
            }
            writeln!(
                out,
                "Tenant {} created for client_id {} (requests use {}).",
                tenant.tenant_id, tenant.client_id, tenant.full_client_id
            )?;
            writeln!(
                out,
                "API key (shown once, store it now): {}",
                created.api_key.expose()
            )?;
            writeln!(
                out,
                "Webhook signing secret: {}",
                created.webhook_secret.expose()
            )?;
            writeln!(
                out,
                "Request-signing public JWK (the trust framework operator attests it):"
            )?;
            writeln!(out, "{}", pretty(&tenant.request_signing_jwk)?)?;
            writeln!(
                out,
                "Next: `trust-framework rp attest <rp_id> --jwk-file <that JWK>`, then \
                 `verifier tenant attest {} <attestation file>`.",
                tenant.tenant_id
            )?;
        }
        TenantCommand::List { json } => {
            let tenants = verifier.tenants().list().await?;
            if json {
                writeln!(out, "{}", pretty(&tenants)?)?;
            } else {
                write_tenant_table(&tenants, out)?;
            }
        }
        TenantCommand::Show { tenant_id } => {
            writeln!(
                out,
                "{}",
                pretty(&verifier.tenants().tenant(&tenant_id).await?)?
            )?;
        }
        TenantCommand::Attest { tenant_id, file } => {
            let jwt = std::fs::read_to_string(&file).map_err(|source| CliError::File {
                path: file.clone(),
                source,
            })?;
            let tenant = verifier
                .tenants()
                .install_attestation(&tenant_id, &jwt)
                .await?;
            writeln!(
                out,
                "Attestation installed for {}; it expires at {}.",
                tenant.tenant_id,
                tenant.attestation_expires_at.unwrap_or_default()
            )?;
        }
        TenantCommand::ApiKey(TenantArg { tenant_id }) => {
            let key = verifier.tenants().new_api_key(&tenant_id).await?;
            writeln!(out, "API key (shown once, store it now): {}", key.expose())?;
        }
        TenantCommand::RevokeKeys(TenantArg { tenant_id }) => {
            let revoked = verifier.tenants().revoke_api_keys(&tenant_id).await?;
            writeln!(out, "Revoked {revoked} API key(s) of {tenant_id}.")?;
        }
        TenantCommand::WebhookSecret(TenantArg { tenant_id }) => {
            let secret = verifier.tenants().webhook_secret(&tenant_id).await?;
            writeln!(out, "{}", secret.expose())?;
        }
    }
    Ok(())
}

async fn oidc_client(
    verifier: &Verifier,
    command: OidcClientCommand,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    match command {
        OidcClientCommand::Add {
            tenant_id,
            name,
            redirect_uris,
            templates,
        } => {
            let created = verifier
                .oidc()
                .add_oidc_client(NewOidcClient {
                    tenant_id,
                    name,
                    redirect_uris,
                    templates,
                })
                .await?;
            let mut value = serde_json::to_value(&created.client).map_err(OidcError::Encode)?;
            value["client_secret"] = created.client_secret.expose().into();
            writeln!(out, "{}", pretty(&value)?)?;
        }
        OidcClientCommand::List { tenant_id } => {
            let clients = verifier.oidc().oidc_clients(tenant_id.as_deref()).await?;
            writeln!(out, "{}", pretty(&clients)?)?;
        }
        OidcClientCommand::Remove { client_id } => {
            verifier.oidc().remove_oidc_client(&client_id).await?;
            writeln!(out, "OpenID Connect client {client_id} removed.")?;
        }
    }
    Ok(())
}

fn write_tenant_table(tenants: &[TenantInfo], out: &mut dyn Write) -> Result<(), CliError> {
    writeln!(
        out,
        "{:<16} {:<36} {:<12} NAME",
        "TENANT", "CLIENT_ID", "ATTESTED"
    )?;
    for tenant in tenants {
        let attested = tenant
            .attestation_expires_at
            .map_or_else(|| "no".to_owned(), |exp| format!("until {exp}"));
        writeln!(
            out,
            "{:<16} {:<36} {:<12} {}",
            tenant.tenant_id, tenant.client_id, attested, tenant.name
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;

    #[test]
    fn the_keys_and_evidence_commands_parse() {
        Cli::command().debug_assert();
        let parse = |args: &[&str]| Cli::try_parse_from([&["verifier"], args].concat());
        assert!(matches!(
            parse(&["keys", "rotate-evidence"]).unwrap().command,
            Command::Keys(KeysCommand::RotateEvidence)
        ));
        let cli = parse(&["evidence", "verify", "package.json", "--keys", "keys.json"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Evidence(EvidenceCommand::Verify {
                keys: Some(_),
                keys_url: None,
                ..
            })
        ));
        let url = "https://verifier.example/.well-known/evidence-keys.json";
        assert!(parse(&["evidence", "verify", "record.jwt", "--keys-url", url]).is_ok());
        assert!(
            parse(&[
                "evidence",
                "verify",
                "p.json",
                "--keys",
                "k.json",
                "--keys-url",
                url
            ])
            .is_err()
        );
    }
}
