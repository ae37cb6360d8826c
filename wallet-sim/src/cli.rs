//! The command line: `receive`, `list`, `show`, `present`, `delete`, each printing for people
//! by default or one JSON document with `--json` (errors too: `{"error": {...}}`), and
//! exiting with the status of [`WalletError::exit_status`].

mod render;

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use idv_jose::{SystemClock, SystemRandom};
use idv_proto::oid4vci::credential_offer::TxCode;
use serde::Serialize;
use serde_json::json;

use crate::config::{WalletConfig, default_data_dir};
use crate::error::WalletError;
use crate::issuance::{Browser, GrantChoice, ReceiveOptions, SignIn, Source, TxCodePrompt};
use crate::presentation::Decision;
use crate::wallet::Wallet;

/// `wallet-sim`: a citizen's wallet for federated-idv credentials.
#[derive(Debug, Parser)]
#[command(
    name = "wallet-sim",
    version,
    about = "A citizen's wallet: receives SD-JWT VC credentials (OpenID4VCI) and presents them \
             (OpenID4VP) after checking who asks against the trust list"
)]
pub struct Cli {
    /// Where the wallet keeps its database and config.toml [default:
    /// $XDG_DATA_HOME/federated-idv/wallet-sim or ~/.local/share/federated-idv/wallet-sim]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print one JSON document instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// The trust list URL (overrides config.toml and IDV_WALLET__TRUST_LIST_URL).
    #[arg(long, global = true, value_name = "URL")]
    pub trust_list_url: Option<String>,
    /// A file with the trust framework's anchor public JWK (or a JWK Set) to pin.
    #[arg(long, global = true, value_name = "FILE")]
    pub trust_anchor: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Receive credentials from a credential offer (openid-credential-offer://…), or ask an
    /// issuer for them (--issuer, --credential) and sign in at the provider.
    ///
    /// When the sign-in is needed, the URL to open is printed on stderr ("Sign in at your
    /// provider: …"; with --json, one line {"event": "sign_in", "authorization_url": …}) and
    /// the wallet waits for the browser to come back to it on 127.0.0.1.
    Receive {
        /// The offer link (or its credential_offer_uri).
        #[arg(required_unless_present = "issuer", conflicts_with = "issuer")]
        link: Option<String>,
        /// Without an offer: the Credential Issuer Identifier to ask (with --credential).
        #[arg(long, value_name = "URL", requires = "credentials")]
        issuer: Option<String>,
        /// Without an offer: a credential configuration to ask for (repeatable).
        #[arg(long = "credential", value_name = "ID", requires = "issuer")]
        credentials: Vec<String>,
        /// The grant to use when the offer carries both.
        #[arg(long, value_enum, default_value_t = Grant::PreAuthorized)]
        grant: Grant,
        /// Ask for the credentials by their OAuth scope rather than authorization_details.
        #[arg(long)]
        scope: bool,
        /// The transaction code the issuer sent you by another channel.
        #[arg(long, value_name = "CODE")]
        tx_code: Option<String>,
        /// Copies to ask for (one per presentation, for unlinkability); capped by the issuer.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
        copies: Option<u32>,
    },
    /// List the credentials held.
    List,
    /// Show a credential: claims, issuer, expiry, status, what was shared.
    Show {
        /// The credential id (from `list`).
        id: String,
    },
    /// Answer a presentation request (openid4vp://…) after showing who asks and for what.
    Present {
        /// The request link.
        link: String,
        /// Share without asking.
        #[arg(long, conflicts_with = "decline")]
        approve: bool,
        /// Refuse without asking (the verifier is told: access_denied).
        #[arg(long)]
        decline: bool,
    },
    /// Delete a credential, all its copies and their keys.
    Delete {
        /// The credential id (from `list`).
        id: String,
    },
}

/// `--grant`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Grant {
    /// The offer's pre-authorized code (and transaction code).
    PreAuthorized,
    /// Sign in at the provider (authorization code flow).
    AuthorizationCode,
}

/// Runs the command and prints its result; returns the exit status.
pub async fn run(cli: Cli) -> u8 {
    let json = cli.json;
    match execute(cli).await {
        Ok(()) => 0,
        Err(error) => {
            if json {
                print_json(&json!({"error": {
                    "code": error.code(),
                    "message": error.to_string(),
                    "exit_status": error.exit_status(),
                }}));
            } else {
                eprintln!("error: {error}");
            }
            error.exit_status()
        }
    }
}

async fn execute(cli: Cli) -> Result<(), WalletError> {
    let wallet = open(&cli).await?;
    let result = command(&wallet, &cli).await;
    wallet.close().await;
    result
}

async fn open(cli: &Cli) -> Result<Wallet, WalletError> {
    let data_dir = match &cli.data_dir {
        Some(dir) => dir.clone(),
        None => default_data_dir(
            std::env::var("XDG_DATA_HOME").ok().as_deref(),
            std::env::var("HOME").ok().as_deref(),
        )
        .ok_or_else(|| {
            WalletError::Usage(
                "no --data-dir given and neither XDG_DATA_HOME nor HOME is set".into(),
            )
        })?,
    };
    let mut config = WalletConfig::load(&data_dir, std::env::vars())?;
    if let Some(url) = &cli.trust_list_url {
        config.wallet.trust_list_url = Some(url.clone());
    }
    if let Some(anchor) = &cli.trust_anchor {
        // A path on the command line is relative to where the command runs.
        let absolute = std::env::current_dir()
            .map(|cwd| cwd.join(anchor))
            .unwrap_or_else(|_| anchor.clone());
        config.wallet.trust_anchor = Some(absolute);
    }
    Wallet::open(
        &data_dir,
        config.wallet,
        Arc::new(SystemClock),
        Arc::new(SystemRandom),
    )
    .await
}

async fn command(wallet: &Wallet, cli: &Cli) -> Result<(), WalletError> {
    let now = idv_jose::Clock::now(&SystemClock);
    match &cli.command {
        Command::Receive {
            link,
            issuer,
            credentials,
            grant,
            scope,
            tx_code,
            copies,
        } => {
            let options = ReceiveOptions {
                tx_code: tx_code.clone(),
                copies: *copies,
            };
            let source = match (link, issuer) {
                (Some(link), _) => Source::Offer(link),
                (None, Some(issuer)) => Source::Issuer {
                    credential_issuer: issuer,
                    configuration_ids: credentials,
                },
                (None, None) => {
                    return Err(WalletError::Usage(
                        "give an offer link, or --issuer and --credential".into(),
                    ));
                }
            };
            let sign_in = SignIn {
                grant: match grant {
                    Grant::PreAuthorized => GrantChoice::PreAuthorized,
                    Grant::AuthorizationCode => GrantChoice::AuthorizationCode,
                },
                by_scope: *scope,
                browser: &PrintUrl { json: cli.json },
            };
            let outcome = wallet
                .issuance()
                .receive_from(source, &options, &sign_in, &TerminalPrompt)
                .await?;
            output(cli.json, &outcome, || render::received(&outcome, now));
        }
        Command::List => {
            let credentials = wallet.holdings().list().await?;
            output(cli.json, &json!({ "credentials": credentials }), || {
                render::list(&credentials)
            });
        }
        Command::Show { id } => {
            let details = wallet.holdings().show(id).await?;
            output(cli.json, &details, || render::details(&details));
        }
        Command::Delete { id } => {
            let deleted = wallet.holdings().delete(id).await?;
            output(cli.json, &json!({ "deleted": deleted }), || {
                format!(
                    "Deleted {} ({}) and its {} holder key(s).\n",
                    deleted.name, deleted.id, deleted.copies
                )
            });
        }
        Command::Present {
            link,
            approve,
            decline,
        } => {
            let prepared = wallet.presentations().prepare(link).await?;
            let consent = render::consent(prepared.summary());
            let decision = match (approve, decline) {
                (true, _) => Decision::Approve,
                (_, true) => Decision::Decline,
                _ => {
                    // Without a flag, a person must answer on a terminal.
                    if !std::io::stdin().is_terminal() {
                        return Err(WalletError::ConsentRequired);
                    }
                    eprint!("{consent}");
                    ask_consent(&prepared.summary().verifier.organisation)?
                }
            };
            if !cli.json && (*approve || *decline) {
                print!("{consent}");
            }
            let outcome = wallet.presentations().respond(prepared, decision).await?;
            output(cli.json, &outcome, || render::presented(&outcome));
        }
    }
    Ok(())
}

fn output<T: Serialize>(json: bool, value: &T, human: impl FnOnce() -> String) {
    if json {
        print_json(value);
    } else {
        print!("{}", human());
        let _ = std::io::stdout().flush();
    }
}

fn print_json<T: Serialize + ?Sized>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: cannot print the result as JSON: {e}"),
    }
}

fn read_line() -> Option<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok()?;
    Some(line.trim().to_owned())
}

fn ask_consent(organisation: &str) -> Result<Decision, WalletError> {
    eprint!("Share this with {organisation}? [y/N] ");
    let _ = std::io::stderr().flush();
    let answer = read_line().ok_or(WalletError::ConsentRequired)?;
    Ok(
        if matches!(answer.to_ascii_lowercase().as_str(), "y" | "yes") {
            Decision::Approve
        } else {
            Decision::Decline
        },
    )
}

/// Asks for the transaction code on a terminal; never otherwise.
struct TerminalPrompt;

impl TxCodePrompt for TerminalPrompt {
    fn ask(&self, tx_code: &TxCode) -> Option<String> {
        if !std::io::stdin().is_terminal() {
            return None;
        }
        if let Some(description) = &tx_code.description {
            let description: String = description.chars().filter(|c| !c.is_control()).collect();
            eprintln!("{description}");
        }
        match tx_code.length {
            Some(length) => eprint!("Transaction code ({length} characters): "),
            None => eprint!("Transaction code: "),
        }
        let _ = std::io::stderr().flush();
        read_line().filter(|code| !code.is_empty())
    }
}

/// Shows the authorization URL on stderr, for the person to open in their browser.
struct PrintUrl {
    json: bool,
}

impl Browser for PrintUrl {
    async fn open(&self, url: &str) -> Result<(), String> {
        if self.json {
            eprintln!("{}", json!({"event": "sign_in", "authorization_url": url}));
        } else {
            eprintln!("Sign in at your provider: {url}");
            eprintln!("(waiting for your browser to come back to this wallet…)");
        }
        let _ = std::io::stderr().flush();
        Ok(())
    }
}
