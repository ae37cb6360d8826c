//! The hand-off page in a real headless browser: `tests/node/handoff-page.mjs` (playwright-core
//! driving Debian's chromium) opens the relying party's authorization URL, checks the page's
//! accessibility tree, keyboard use and contrast, with and without JavaScript, and hands over
//! the wallet link; the test's wallet presents to it; the page then takes the browser to the
//! client's redirect URI (a tiny server here) by itself, and the code it carries is exchanged.

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::response::Html;
use idv_test_support::{TestDb, test_on_both_databases};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::rp::{RelyingParty, query, register, wallet_presents};
use crate::helpers::{Federation, british_citizen};

test_on_both_databases!(the_handoff_page_works_in_a_headless_browser_with_and_without_javascript);

const CHROMIUM: &str = "/usr/bin/chromium";
/// How long the browser script may take for each step.
const STEP: Duration = Duration::from_secs(90);

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// node, chromium and the npm test peers, or a failure saying who installs them.
fn require_browser(root: &Path) {
    let mut missing = Vec::new();
    if Command::new("node").arg("--version").output().is_err() {
        missing.push("node".to_owned());
    }
    if !Path::new(CHROMIUM).exists() {
        missing.push(CHROMIUM.to_owned());
    }
    let peers = root.join("tests/node/node_modules/playwright-core");
    if !peers.exists() {
        missing.push(peers.display().to_string());
    }
    assert!(
        missing.is_empty(),
        "the headless-browser test needs {}: `.ci/run` installs them (node and npm, Debian's \
         chromium, `npm ci --prefix tests/node`)",
        missing.join(", ")
    );
}

/// The client's redirect target: answers any path with a small page and records each query.
async fn redirect_target() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let received = Arc::new(Mutex::new(Vec::new()));
    let router = axum::Router::new()
        .fallback(
            |State(received): State<Arc<Mutex<Vec<String>>>>, RawQuery(query): RawQuery| async move {
                received.lock().unwrap().push(query.unwrap_or_default());
                Html("<!doctype html><html lang=\"en\"><title>Signed in</title><h1>Signed in</h1></html>")
            },
        )
        .with_state(Arc::clone(&received));
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("{base}/oidc/callback"), received)
}

async fn the_handoff_page_works_in_a_headless_browser_with_and_without_javascript(db: TestDb) {
    let root = workspace_root();
    require_browser(&root);
    let fed = Federation::start(&db).await;
    let (callback, received) = redirect_target().await;
    let registered = register(&fed, &callback, &["right_to_work"]).await;
    let rp = RelyingParty::discover(&fed, &registered).await;
    let pending = rp.authorize("right_to_work");

    let mut child = Command::new("node")
        .arg("tests/node/handoff-page.mjs")
        .arg(pending.url.as_str())
        .current_dir(&root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts");
    let (lines_tx, mut lines) = mpsc::unbounded_channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut stderr = child.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut next_line = async |what: &str| -> Option<String> {
        match tokio::time::timeout(STEP, lines.recv()).await {
            Ok(line) => line,
            Err(_) => panic!("the browser script did not report {what} in time"),
        }
    };

    let wallet_line = next_line("the wallet link").await;
    let Some(wallet_url) = wallet_line
        .as_deref()
        .and_then(|line| line.strip_prefix("wallet_url "))
        .map(str::to_owned)
    else {
        let status = child.wait().unwrap();
        panic!(
            "the browser check failed ({status}):\n{}",
            log.join().unwrap()
        );
    };
    let credential = fed.issue_identity("good", &british_citizen());
    wallet_presents(&fed, &wallet_url, &credential).await;

    let redirected = next_line("the redirect").await;
    let status = child.wait().unwrap();
    let log = log.join().unwrap();
    eprintln!("{log}");
    assert!(
        status.success(),
        "the browser check failed ({status}):\n{log}"
    );
    let redirected = redirected
        .as_deref()
        .and_then(|line| line.strip_prefix("redirected "))
        .expect("the script reports where the page went")
        .to_owned();
    assert!(
        redirected.starts_with(&format!("{callback}?")),
        "{redirected}"
    );
    let params = query(&redirected);
    assert_eq!(params["state"], *pending.state.secret());
    assert_eq!(params["iss"], fed.url(""));
    let redirects = received
        .lock()
        .unwrap()
        .iter()
        .filter(|query| query.contains("code="))
        .count();
    assert_eq!(redirects, 1, "the client got one redirect");

    // The code the page delivered is a real one.
    rp.assert_redeems_to_a_check(&fed, &pending, &params["code"])
        .await;
    fed.stop().await;
}
