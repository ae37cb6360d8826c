//! `demo`: the whole federation in one command (`cargo run --release --bin demo`).
//!
//! Starts the trust framework, an identity provider's issuer and the verifier on 127.0.0.1
//! (SQLite files in a fresh directory), puts the provider, an employer and a shop on the
//! register, records a proofed citizen whose wallet receives the identity and age credentials,
//! then runs the employer's right-to-work check and the shop's age check, printing what each
//! party sees; the employer saves the right-to-work check's clear copy (HTML, PDF) and evidence
//! package in the data directory (`evidence/`). `--keep-running` leaves everything up and prints
//! the commands to try by hand.

mod print;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use federated_idv::citizen::Citizen;
use federated_idv::employer::CheckResult;
use federated_idv::enrol::{self, OnboardedRelyingParty, ProviderSpec};
use federated_idv::operator::RelyingPartySpec;
use federated_idv::provider::{AGE, IDENTITY, proofed_citizen};
use idv_federation::{Deployment, Federation, ShiftedClock, report};
use idv_jose::Clock;
use wallet_sim::presentation::PresentationOutcome;

use crate::print::{consent, detail, step, utc};

/// How long before now the register's first entries are dated: a provider is certified before
/// it issues, and its credentials carry only their day of issuance (`iat` rounded down), which
/// the verifier checks the provider was certified on.
const REGISTERED_DAYS_AGO: i64 = 2;
/// How often the verifier and the issuer refetch the register here
/// (`[trust] refresh_secs`), so that a change tried by hand (a suspension) shows in the next
/// check, offer or issuance within seconds.
const TRUST_REFRESH_SECS: u64 = 5;
/// Longest wait for a check's result.
const RESULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Claims an age check must never receive.
const NOT_FOR_AN_AGE_CHECK: [&str; 6] = [
    "given_name",
    "family_name",
    "birthdate",
    "portrait",
    "document",
    "nationalities",
];

/// The federation in one command.
#[derive(Debug, Parser)]
#[command(
    name = "demo",
    version,
    about = "The federation in one command: the register, an identity provider, a verifier and a citizen's wallet on 127.0.0.1, through a right-to-work and an age check"
)]
struct Args {
    /// Leave the services running (until ctrl-c) and print how to use them by hand.
    #[arg(long)]
    keep_running: bool,
    /// Keep the services' data in this new (or empty) directory instead of a temporary one.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

/// Why the demo stopped.
#[derive(Debug)]
struct Failure(String);

impl<E: std::error::Error> From<E> for Failure {
    fn from(error: E) -> Self {
        Self(report(&error))
    }
}

fn fail(message: impl Into<String>) -> Failure {
    Failure(message.into())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    // The services log warnings only; RUST_LOG=info shows their requests.
    idv_service_kit::telemetry::init("warn");
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            eprintln!("\ndemo failed: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Failure> {
    let temporary;
    let data_dir = match &args.data_dir {
        Some(dir) => {
            fresh_directory(dir)?;
            dir.clone()
        }
        None => {
            temporary = tempfile::Builder::new()
                .prefix("federated-idv-demo-")
                .tempdir()?;
            temporary.path().to_owned()
        }
    };
    println!(
        "federated-idv: the whole federation on 127.0.0.1 (data in {})",
        data_dir.display()
    );

    let register_clock = Arc::new(ShiftedClock::default());
    register_clock.set_offset(-REGISTERED_DAYS_AGO * 24 * 60 * 60);
    step(
        1,
        "The services start, each initialised by its operator (`init`)",
    );
    let federation = Federation::builder()
        .data_dir(&data_dir)
        .trust_framework_clock(register_clock.clone())
        .trust_refresh_secs(TRUST_REFRESH_SECS)
        .issuer_checks_register()
        .issuer_config(|config| config.metadata.display_name = "Example Reusable ID".into())
        .with_issuer()
        .with_verifier()
        .start()
        .await?;
    let endpoints = federation.endpoints().clone();
    detail("trust framework", &endpoints.trust_framework);
    detail("issuer (IDSP)", &endpoints.issuer);
    detail("verifier", &endpoints.verifier);
    detail(
        "anchor pinned",
        format!(
            "{} (verifier and wallet)",
            endpoints.anchor["kid"].as_str().unwrap_or("-")
        ),
    );

    let outcome = story(&federation, &register_clock, &data_dir).await;
    let outcome = match outcome {
        Ok(story) if args.keep_running => {
            keep_running(&federation, &story, &data_dir).await;
            Ok(())
        }
        other => other.map(drop),
    };
    federation.stop().await?;
    if outcome.is_ok() {
        println!("\nAll services stopped. Done.");
    }
    outcome
}

/// What `--keep-running` tells the person.
struct Story {
    employer: OnboardedRelyingParty,
    identity_id: String,
    entry_id: String,
    wallet_dir: PathBuf,
}

async fn story(
    federation: &Federation,
    register_clock: &ShiftedClock,
    data_dir: &Path,
) -> Result<Story, Failure> {
    let endpoints = federation.endpoints();
    let client = reqwest::Client::new();
    let operator = endpoints.operator(&client);

    step(
        2,
        &format!(
            "The register's operator certifies the identity provider ({REGISTERED_DAYS_AGO} days ago on the register's clock)"
        ),
    );
    let provider = enrol::register_provider(
        federation,
        &operator,
        &ProviderSpec::example(&["RTW", "AGE"]),
        register_clock.now(),
    )
    .await?;
    detail(
        "registered",
        format!(
            "{} {} (IDSP, max level of confidence {}), codes RTW and AGE",
            provider.entry_id, provider.status, provider.max_loc
        ),
    );
    detail(
        "issuer binding",
        "iss, signing keys, vct and status-list prefix from `issuer registration`",
    );
    detail(
        "why back-dated",
        "credentials carry only their day of issuance; the provider was certified before it",
    );

    step(
        3,
        "The register's operator registers two relying parties with their purposes",
    );
    let employer_spec = RelyingPartySpec::example_employer();
    let shop_spec = RelyingPartySpec::example_shop();
    let employer_rp = operator.add_relying_party(&employer_spec.body()?).await?;
    let shop_rp = operator.add_relying_party(&shop_spec.body()?).await?;
    detail(
        &employer_rp,
        "Example Employer Ltd: RTW (name, birthdate, portrait, nationality, document)",
    );
    detail(&shop_rp, "Example Off-Licence Ltd: AGE (age_over_18 only)");
    register_clock.set_offset(0);

    step(
        4,
        "The verifier's operator onboards both as tenants; the register attests their request-signing keys",
    );
    let employer =
        enrol::onboard_tenant(federation, &operator, &employer_rp, &employer_spec, &client).await?;
    let shop = enrol::onboard_tenant(federation, &operator, &shop_rp, &shop_spec, &client).await?;
    for (who, tenant) in [("employer", &employer), ("shop", &shop)] {
        detail(
            who,
            format!(
                "tenant {}, verifier attestation installed ({} on the register)",
                tenant.tenant.tenant_id, tenant.rp_id
            ),
        );
    }

    step(
        5,
        "The identity provider records a citizen it has proofed and offers two credentials",
    );
    let issuer = endpoints.provider(&client);
    let now = idv_jose::SystemClock.now();
    let identity_id = issuer.record_identity(&proofed_citizen(now)).await?;
    let offer = issuer.offer(&identity_id, &[IDENTITY, AGE]).await?;
    detail(
        "proofed identity",
        format!("{identity_id} (GPG 45 medium, profile M1B, British passport)"),
    );
    detail(
        "offer",
        format!("{} and {}, until {}", IDENTITY, AGE, utc(offer.expires_at)),
    );
    detail(
        "certification",
        "made only after the issuer found its own register entry certified for RTW and AGE",
    );
    detail(
        "link for the wallet",
        print::value(&serde_json::Value::String(offer.offer_link.clone())),
    );
    detail(
        "tx_code (by SMS)",
        offer.tx_code.as_deref().unwrap_or("(none)"),
    );

    step(
        6,
        "The citizen's wallet receives the credentials (OpenID4VCI, pre-authorized code)",
    );
    let wallet_dir = data_dir.join("wallet");
    let citizen =
        Citizen::open(&wallet_dir, &endpoints.trust_list_url(), &endpoints.anchor).await?;
    let received = citizen
        .receive(&offer.offer_link, offer.tx_code.as_deref())
        .await?;
    for credential in &received.credentials {
        detail(
            &credential.name,
            format!(
                "{} copies (one per presentation), issuer {} on the register ({}), trusted for {}",
                credential.copies,
                credential.issuer.organisation.as_deref().unwrap_or("?"),
                credential
                    .issuer
                    .entry_id
                    .as_deref()
                    .unwrap_or("not listed"),
                list(&credential.issuer.trusted_for),
            ),
        );
    }
    for warning in &received.warnings {
        detail("warning", warning);
    }

    step(7, "The employer runs a right-to-work check");
    let (rtw, _) = check(&citizen, &employer, "employer", "right_to_work").await?;
    if rtw.outcome.as_deref() != Some("awaiting_confirmation") {
        return Err(fail(format!(
            "the right-to-work check did not verify: {:?}",
            rtw.reason_codes()
        )));
    }
    println!(
        "    Not yet a statutory excuse: the employer compares the photo with the candidate on a"
    );
    println!("    live video call, then records it (POST /v1/checks/{{id}}/confirmation):");
    let rtw = employer
        .employer
        .confirm(&rtw.id, "video_call", "Hiring manager")
        .await?;
    print::result(&rtw);
    if rtw.compliant != Some(true) {
        return Err(fail(format!(
            "the right-to-work check is not compliant after confirmation: {:?}",
            rtw.reason_codes()
        )));
    }
    println!(
        "    The employer keeps a clear copy of the check and its evidence (employment + 2 years):"
    );
    keep_evidence(&employer, &rtw.id, data_dir).await?;

    step(8, "The shop runs an age check");
    let (age, shared) = check(&citizen, &shop, "shop", "age_over_18").await?;
    if age.compliant != Some(true) {
        return Err(fail(format!(
            "the age check is not compliant: {:?}",
            age.reason_codes()
        )));
    }
    let left: Vec<String> = shared
        .shared
        .iter()
        .flat_map(|c| {
            c.disclosed
                .selected
                .iter()
                .map(|claim| claim.path.to_string())
        })
        .chain(age.claims.iter().flat_map(|c| c.keys().cloned()))
        .collect();
    let leaked: Vec<&str> = NOT_FOR_AN_AGE_CHECK
        .into_iter()
        .filter(|name| left.iter().any(|claim| claim.contains(name)))
        .collect();
    if !leaked.is_empty() {
        return Err(fail(format!("the age check received {leaked:?}")));
    }
    detail(
        "left the wallet",
        "age_over_18 and its level of confidence only: no name, birthdate, portrait, document \
         or nationality",
    );
    citizen.close().await;

    Ok(Story {
        employer,
        identity_id,
        entry_id: provider.entry_id,
        wallet_dir,
    })
}

/// A check: created by the relying party (`who`), answered by the wallet, read by the relying
/// party; the result and what the wallet sent.
async fn check(
    citizen: &Citizen,
    relying_party: &OnboardedRelyingParty,
    who: &str,
    template: &str,
) -> Result<(CheckResult, PresentationOutcome), Failure> {
    let created = relying_party.employer.create_check(template).await?;
    detail("check created", format!("{} ({template})", created.id));
    detail(
        "shown as QR code",
        print::value(&serde_json::Value::String(created.wallet_url.clone())),
    );
    println!("    The wallet opens the request and asks the citizen:");
    let prepared = citizen.open_request(&created.wallet_url).await?;
    consent(prepared.summary());
    println!("    The citizen approves; the wallet sends the presentation.");
    let shared = citizen.answer(prepared, true).await?;
    println!("    What the {who} sees:");
    let result = relying_party
        .employer
        .wait_for_result(&created.id, RESULT_TIMEOUT)
        .await?;
    print::result(&result);
    Ok((result, shared))
}

/// Saves a check's clear copy (HTML and PDF) and evidence package under `data_dir/evidence`,
/// prints their paths, and verifies the package offline with `verifier evidence verify`.
async fn keep_evidence(
    relying_party: &OnboardedRelyingParty,
    check_id: &str,
    data_dir: &Path,
) -> Result<(), Failure> {
    let dir = data_dir.join("evidence");
    std::fs::create_dir_all(&dir)?;
    let employer = &relying_party.employer;
    let package = dir.join(format!("{check_id}-evidence.json"));
    for (what, path, body) in [
        (
            "clear copy (HTML)",
            dir.join(format!("{check_id}-clear-copy.html")),
            employer.clear_copy_html(check_id).await?,
        ),
        (
            "clear copy (PDF)",
            dir.join(format!("{check_id}-clear-copy.pdf")),
            employer.clear_copy_pdf(check_id).await?,
        ),
        (
            "evidence package",
            package.clone(),
            employer.evidence_package(check_id).await?,
        ),
    ] {
        std::fs::write(&path, &body)?;
        detail(what, format!("{} ({} bytes)", path.display(), body.len()));
    }
    let mut out = Vec::new();
    verifier::cli::execute(
        verifier::config::VerifierConfig::default(),
        verifier::cli::Command::Evidence(verifier::cli::EvidenceCommand::Verify {
            file: package.clone(),
            keys: None,
            keys_url: None,
        }),
        &mut out,
    )
    .await?;
    let verified: serde_json::Value = serde_json::from_slice(&out)?;
    detail(
        "verified offline",
        format!(
            "`verifier evidence verify {}`: {} on {}, signed with key {}",
            package.display(),
            verified["outcome"].as_str().unwrap_or("?"),
            verified["check_date"].as_str().unwrap_or("?"),
            verified["key"]["kid"].as_str().unwrap_or("?"),
        ),
    );
    Ok(())
}

fn list<T: std::fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        return "nothing".into();
    }
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `--data-dir` must not hold a federation already: `init` shows tokens only once.
fn fresh_directory(dir: &Path) -> Result<(), Failure> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(fail(format!(
                    "--data-dir {} is not empty: give a new or empty directory",
                    dir.display()
                )));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(fail(format!("--data-dir {}: {e}", dir.display()))),
    }
}

async fn keep_running(federation: &Federation, story: &Story, data_dir: &Path) {
    let endpoints = federation.endpoints();
    let key = story.employer.api_key().expose();
    let issuer_token = endpoints.issuer_token.expose();
    let tf_token = endpoints.trust_framework_token.expose();
    let wallet = format!(
        "cargo run -p wallet-sim -- --data-dir {}",
        story.wallet_dir.display()
    );
    let json = "-H 'Content-Type: application/json'";
    println!(
        "\nThe federation keeps running; ctrl-c stops it. Data: {}",
        data_dir.display()
    );
    println!(
        "\n  trust framework  {}   operator token {tf_token}",
        endpoints.trust_framework
    );
    println!(
        "  issuer           {}   operator token {issuer_token}",
        endpoints.issuer
    );
    println!(
        "  verifier         {}   employer API key {key}",
        endpoints.verifier
    );
    println!("\nTry it by hand:");
    println!("  # the employer starts a right-to-work check (note its id and wallet_url)");
    println!(
        "  curl -s -X POST {}/v1/checks -H 'Authorization: Bearer {key}' {json} -d '{{\"template\": \"right_to_work\"}}'",
        endpoints.verifier
    );
    println!("  # the citizen answers it with the wallet");
    println!("  {wallet} present '<wallet_url>'");
    println!("  # the employer reads the result");
    println!(
        "  curl -s {}/v1/checks/<id> -H 'Authorization: Bearer {key}'",
        endpoints.verifier
    );
    println!(
        "  # what the employer keeps of a check: the clear copy (HTML, PDF) and the evidence package"
    );
    for path in ["clear-copy", "clear-copy.pdf", "evidence"] {
        println!(
            "  curl -s {}/v1/checks/<id>/{path} -H 'Authorization: Bearer {key}' -o <file>",
            endpoints.verifier
        );
    }
    println!("  # ... which verifies offline, years later, after key rotations");
    println!("  cargo run -p verifier -- evidence verify <evidence file>");
    println!("  # what the wallet holds");
    println!("  {wallet} list");
    println!("  # a new age credential offer for the citizen, and the wallet receiving it");
    println!(
        "  curl -s -X POST {}/v1/identities/{}/offers -H 'Authorization: Bearer {issuer_token}' {json} -d '{{\"credential_configuration_ids\": [\"uk_age\"]}}'",
        endpoints.issuer, story.identity_id
    );
    println!("  {wallet} receive '<offer_link>' --tx-code <tx_code>");
    println!(
        "  # the register's operator suspends the provider; the verifier and the issuer refetch the register every {TRUST_REFRESH_SECS} s:"
    );
    println!(
        "  # checks of its credentials fail, and the issuer refuses new offers (409 issuer_not_certified) and credentials"
    );
    println!(
        "  curl -s -X POST {}/v1/providers/{}/suspend -H 'Authorization: Bearer {tf_token}' {json} -d '{{\"reason\": \"surveillance audit\"}}'",
        endpoints.trust_framework, story.entry_id
    );
    println!("  # the signed register everyone pins");
    println!("  curl -s {}/trust-list", endpoints.trust_framework);
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("cannot wait for ctrl-c ({e}); stopping");
    }
    println!("\nStopping.");
}
