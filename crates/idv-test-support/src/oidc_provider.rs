//! A real OpenID Provider for tests, and a citizen's browser that signs in there.
//!
//! [`OidcProvider::start`] spawns `node tests/node/oidc-provider.mjs`: the certified npm package
//! `oidc-provider` (installed by `.ci/run` with `npm ci --prefix tests/node`), listening on
//! 127.0.0.1 on a free port, with the confidential [`OidcClient`]s given (PKCE S256 required,
//! ES256 ID tokens) and any login name accepted as the account's `sub`. The process is killed
//! when the value is dropped.
//!
//! [`CitizenBrowser::sign_in`] plays the person at a browser: it opens an authorization URL
//! (the issuer's `/authorize`, say), follows redirects itself (none automatically), fills in
//! the OP's sign-in form as the given account and its consent form, keeps the cookies a browser
//! would (a small manual jar), and stops at the first redirect leaving both the OP and the site
//! it started at, returning that URL (the wallet's `redirect_uri?code=…` or `?error=…`).
//!
//! ```text
//! let op = OidcProvider::start(&[OidcClient::new("issuer", secret, [callback_url])]).await;
//! // configure the relying party with op.issuer_url(), then:
//! let redirect = op.browser().sign_in(&authorization_url, "citizen-42").await?;
//! ```

use std::fmt;
use std::io::{BufRead as _, BufReader, Read as _};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};
use url::Url;

/// How long node may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Requests a sign-in may take before the browser gives up (each redirect or form is one).
const MAX_STEPS: usize = 30;
/// Most of the OP's standard error kept for failure messages.
const MAX_STDERR: usize = 16 * 1024;

/// A confidential client (relying party) registered at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcClient {
    /// Its `client_id`.
    pub client_id: String,
    /// Its `client_secret` (`client_secret_basic` at the token endpoint).
    pub client_secret: String,
    /// Its redirect URIs, matched exactly by the OP.
    pub redirect_uris: Vec<String>,
}

impl OidcClient {
    /// A client with these values.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        redirect_uris: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            redirect_uris: redirect_uris.into_iter().map(Into::into).collect(),
        }
    }
}

/// A running `oidc-provider` (see the module docs); killed on drop.
pub struct OidcProvider {
    issuer_url: String,
    child: Child,
    stderr: Arc<Mutex<String>>,
}

impl fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcProvider")
            .field("issuer_url", &self.issuer_url)
            .finish_non_exhaustive()
    }
}

/// `tests/node` of the workspace.
fn node_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/node")
}

impl OidcProvider {
    /// Starts the provider with `clients` and waits until it listens.
    ///
    /// # Panics
    /// When node or `tests/node/node_modules` is missing (`.ci/run` installs them), or the
    /// provider does not start: tests that need it fail rather than skip.
    pub async fn start(clients: &[OidcClient]) -> Self {
        Self::start_on_port(0, clients).await
    }

    /// Starts the provider on 127.0.0.1:`port` (0: a free one), for a relying party already
    /// configured with the provider's address. Panics as [`OidcProvider::start`] does.
    pub async fn start_on_port(port: u16, clients: &[OidcClient]) -> Self {
        let dir = node_dir();
        if !dir
            .join("node_modules/oidc-provider/package.json")
            .is_file()
        {
            panic!(
                "{} has no node_modules/oidc-provider: run `.ci/run`, which installs the test \
                 peers with `npm ci --prefix tests/node`",
                dir.display()
            );
        }
        let clients_json = serde_json::Value::Array(
            clients
                .iter()
                .map(|client| {
                    serde_json::json!({
                        "client_id": client.client_id,
                        "client_secret": client.client_secret,
                        "redirect_uris": client.redirect_uris,
                    })
                })
                .collect(),
        )
        .to_string();
        let mut child = match Command::new("node")
            .arg("oidc-provider.mjs")
            .arg(&clients_json)
            .env("OIDC_PORT", port.to_string())
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        {
            Ok(child) => child,
            Err(e) => panic!(
                "cannot run `node` ({e}): install Node.js (>= 20.19) and run `.ci/run`, which \
                 installs the test peers with `npm ci --prefix tests/node`"
            ),
        };
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(mut pipe) = child.stderr.take() {
            let sink = Arc::clone(&stderr);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = pipe.read(&mut buf) {
                    if let Ok(mut text) = sink.lock()
                        && text.len() < MAX_STDERR
                    {
                        text.push_str(&String::from_utf8_lossy(&buf[..n]));
                    }
                }
            });
        }
        let (first_line, line_read) = tokio::sync::oneshot::channel::<String>();
        if let Some(pipe) = child.stdout.take() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(pipe);
                let mut line = String::new();
                let _ = reader.read_line(&mut line);
                let _ = first_line.send(line);
                // Keep draining so that the provider never writes into a closed pipe.
                let _ = std::io::copy(&mut reader, &mut std::io::sink());
            });
        }
        let mut provider = Self {
            issuer_url: String::new(),
            child,
            stderr,
        };
        let line = match tokio::time::timeout(START_TIMEOUT, line_read).await {
            Ok(Ok(line)) => line,
            Ok(Err(_)) => String::new(),
            Err(_) => provider.fail(&format!("did not listen within {START_TIMEOUT:?}")),
        };
        let issuer = serde_json::from_str::<serde_json::Value>(&line)
            .ok()
            .and_then(|v| v["issuer"].as_str().map(str::to_owned));
        match issuer {
            Some(issuer) => provider.issuer_url = issuer,
            None => provider.fail(&format!("did not start (first line: {line:?})")),
        }
        provider
    }

    fn fail(&mut self, what: &str) -> ! {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Let the stderr thread catch the last words.
        std::thread::sleep(Duration::from_millis(100));
        let stderr = self.stderr.lock().map(|s| s.clone()).unwrap_or_default();
        panic!("tests/node/oidc-provider.mjs {what}; its stderr:\n{stderr}")
    }

    /// The provider's issuer identifier, `http://127.0.0.1:<port>` (discovery at
    /// `<issuer>/.well-known/openid-configuration`).
    pub fn issuer_url(&self) -> &str {
        &self.issuer_url
    }

    /// What the provider wrote to its standard error so far (warnings, server errors).
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// A browser with an empty cookie jar, to sign in at this provider.
    pub fn browser(&self) -> CitizenBrowser {
        CitizenBrowser::new(&self.issuer_url)
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A page the browser did not expect: an error page, or too many steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserError {
    /// The URL that answered.
    pub url: String,
    /// Its HTTP status (0 when the request failed or the steps ran out).
    pub status: u16,
    /// The start of the body, or what went wrong.
    pub body: String,
}

impl fmt::Display for BrowserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} answered {}: {}", self.url, self.status, self.body)
    }
}

impl std::error::Error for BrowserError {}

/// A cookie as the jar keeps it.
#[derive(Debug, Clone)]
struct Cookie {
    host: String,
    path: String,
    name: String,
    value: String,
}

/// The person's browser (see the module docs). Keeps its cookies between sign-ins, so a second
/// sign-in may reuse the OP session.
#[derive(Debug, Clone)]
pub struct CitizenBrowser {
    op: Option<url::Origin>,
    client: reqwest::Client,
    jar: Vec<Cookie>,
}

impl CitizenBrowser {
    fn new(issuer_url: &str) -> Self {
        let client = match reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
        {
            Ok(client) => client,
            Err(e) => panic!("cannot build the browser's HTTP client: {e}"),
        };
        Self {
            op: Url::parse(issuer_url).ok().map(|url| url.origin()),
            client,
            jar: Vec::new(),
        }
    }

    /// Opens `authorization_url`, follows redirects, signs in as account `subject` (and
    /// consents) at the OP, and returns the first redirect URL outside both the OP and the
    /// site of `authorization_url`.
    pub async fn sign_in(
        &mut self,
        authorization_url: &str,
        subject: &str,
    ) -> Result<String, BrowserError> {
        let error = |url: &str, status: u16, body: String| BrowserError {
            url: url.to_owned(),
            status,
            body,
        };
        let mut url = Url::parse(authorization_url)
            .map_err(|e| error(authorization_url, 0, format!("not a URL: {e}")))?;
        let start = url.origin();
        let mut form: Option<Vec<(String, String)>> = None;
        for _ in 0..MAX_STEPS {
            let method = if form.is_some() {
                Method::POST
            } else {
                Method::GET
            };
            let mut request = self.client.request(method, url.clone());
            if let Some(cookies) = self.cookie_header(&url) {
                request = request.header(COOKIE, cookies);
            }
            if let Some(fields) = form.take() {
                request = request.form(&fields);
            }
            let response = request
                .send()
                .await
                .map_err(|e| error(url.as_str(), 0, e.to_string()))?;
            let status = response.status();
            for value in response.headers().get_all(SET_COOKIE) {
                if let Ok(value) = value.to_str() {
                    self.store_cookie(&url, value);
                }
            }
            if status.is_redirection() {
                let location = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| url.join(v).ok())
                    .ok_or_else(|| {
                        error(url.as_str(), status.as_u16(), "no usable Location".into())
                    })?;
                let origin = location.origin();
                if Some(&origin) != self.op.as_ref() && origin != start {
                    return Ok(location.into());
                }
                url = location;
                continue;
            }
            let is_html = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/html"));
            let body = response.text().await.unwrap_or_default();
            let at_op = Some(&url.origin()) == self.op.as_ref();
            if status == StatusCode::OK
                && at_op
                && is_html
                && let Some(page_form) = parse_form(&body)
            {
                let action = url
                    .join(&page_form.action)
                    .map_err(|e| error(url.as_str(), 200, format!("bad form action: {e}")))?;
                form = Some(page_form.fill(subject));
                url = action;
                continue;
            }
            return Err(error(
                url.as_str(),
                status.as_u16(),
                body.chars().take(2000).collect(),
            ));
        }
        Err(error(
            url.as_str(),
            0,
            format!("no way out of the OP after {MAX_STEPS} steps"),
        ))
    }

    /// The `Cookie` header for `url`: cookies of its host whose path matches (RFC 6265 §5.4;
    /// ports are not isolated, as in browsers).
    fn cookie_header(&self, url: &Url) -> Option<String> {
        let host = url.host_str()?;
        let path = url.path();
        let pairs: Vec<String> = self
            .jar
            .iter()
            .filter(|c| c.host == host && path_matches(path, &c.path))
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    /// Stores (or, when expired or emptied, removes) a `Set-Cookie` received from `url`.
    fn store_cookie(&mut self, url: &Url, header: &str) {
        let Some(host) = url.host_str() else {
            return;
        };
        let mut parts = header.split(';');
        let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
            return;
        };
        let (name, value) = (name.trim().to_owned(), value.trim().to_owned());
        let mut path = default_path(url.path());
        let mut expired = value.is_empty();
        for attribute in parts {
            let (key, val) = attribute.split_once('=').unwrap_or((attribute, ""));
            match key.trim().to_ascii_lowercase().as_str() {
                "path" if val.trim().starts_with('/') => path = val.trim().to_owned(),
                "max-age" => expired |= val.trim().parse::<i64>().is_ok_and(|age| age <= 0),
                // How oidc-provider (koa) clears a cookie.
                "expires" => expired |= val.contains("1970"),
                _ => {}
            }
        }
        self.jar
            .retain(|c| !(c.host == host && c.path == path && c.name == name));
        if !expired {
            self.jar.push(Cookie {
                host: host.to_owned(),
                path,
                name,
                value,
            });
        }
    }
}

/// RFC 6265 §5.1.4 default-path: the request path up to its last `/`.
fn default_path(request_path: &str) -> String {
    match request_path.rfind('/') {
        Some(0) | None => "/".to_owned(),
        Some(i) => request_path[..i].to_owned(),
    }
}

/// RFC 6265 §5.1.4 path-match.
fn path_matches(request_path: &str, cookie_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/') || request_path[cookie_path.len()..].starts_with('/')))
}

/// The first `<form>` of a page: its action and its inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PageForm {
    action: String,
    inputs: Vec<(String, String, String)>,
}

impl PageForm {
    /// The fields a person submits: hidden values as they are, `login` = the account,
    /// `password` = anything (the development OP accepts any).
    fn fill(self, subject: &str) -> Vec<(String, String)> {
        self.inputs
            .into_iter()
            .map(|(kind, name, value)| {
                let value = match (kind.as_str(), name.as_str()) {
                    (_, "login") => subject.to_owned(),
                    ("password", _) => "correct horse battery staple".to_owned(),
                    _ => value,
                };
                (name, value)
            })
            .collect()
    }
}

fn parse_form(html: &str) -> Option<PageForm> {
    let start = html.find("<form")?;
    let rest = &html[start..];
    let tag_end = rest.find('>')?;
    let form_attributes = attributes(&rest[5..tag_end]);
    let action = form_attributes
        .iter()
        .find(|(k, _)| k == "action")
        .map(|(_, v)| v.clone())?;
    let body = &rest[tag_end..rest.find("</form>").unwrap_or(rest.len())];
    let mut inputs = Vec::new();
    let mut cursor = body;
    while let Some(at) = cursor.find("<input") {
        let tag = &cursor[at + 6..];
        let end = tag.find('>').unwrap_or(tag.len());
        let attrs = attributes(&tag[..end]);
        let get = |key: &str| {
            attrs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let name = get("name");
        if !name.is_empty() {
            inputs.push((get("type").to_ascii_lowercase(), name, get("value")));
        }
        cursor = &tag[end..];
    }
    Some(PageForm { action, inputs })
}

/// The attributes of a tag's inside (`name="v"`, `name='v'`, `name=v` or bare `name`),
/// names lowercased, values with HTML character references decoded.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = tag.trim_end_matches('/').chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace() || *c == '/').is_some() {}
        let name: String =
            std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace() && *c != '=' && *c != '/'))
                .collect();
        if name.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'=').is_some() {
            match chars.next_if(|c| *c == '"' || *c == '\'') {
                Some(quote) => {
                    value = std::iter::from_fn(|| chars.next_if(|c| *c != quote)).collect();
                    chars.next();
                }
                None => {
                    value = std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace())).collect();
                }
            }
        }
        out.push((name.to_ascii_lowercase(), decode_entities(&value)));
    }
    out
}

fn decode_entities(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test helpers fail loudly")]
mod tests {
    use super::*;

    #[test]
    fn forms_are_read_like_a_browser_reads_them() {
        let html = r#"<form autocomplete="off" action="http://127.0.0.1:1/interaction/a&amp;b" method="post">
            <input type="hidden" name="prompt" value="login"/>
            <input required type="text" name="login" placeholder="Enter any login" autofocus="on" value="">
            <input required type="password" name="password" autofocus="on">
            <button type="submit">Sign-in</button></form>"#;
        let form = parse_form(html).unwrap();
        assert_eq!(form.action, "http://127.0.0.1:1/interaction/a&b");
        assert_eq!(
            form.fill("citizen-1"),
            [
                ("prompt".to_owned(), "login".to_owned()),
                ("login".to_owned(), "citizen-1".to_owned()),
                (
                    "password".to_owned(),
                    "correct horse battery staple".to_owned()
                ),
            ]
        );
        assert_eq!(parse_form("<p>no form</p>"), None);
    }

    #[test]
    fn cookies_follow_host_and_path_and_can_be_cleared() {
        let mut browser = CitizenBrowser::new("http://127.0.0.1:1");
        let url = Url::parse("http://127.0.0.1:1/auth/abc").unwrap();
        browser.store_cookie(&url, "_interaction=x; path=/interaction/abc; httponly");
        browser.store_cookie(&url, "_session=s; path=/; samesite=lax");
        browser.store_cookie(&url, "scoped=d");
        let at = |path: &str| Url::parse(&format!("http://127.0.0.1:2{path}")).unwrap();
        assert_eq!(
            browser.cookie_header(&at("/interaction/abc")).unwrap(),
            "_interaction=x; _session=s"
        );
        assert_eq!(
            browser.cookie_header(&at("/auth/xyz")).unwrap(),
            "_session=s; scoped=d"
        );
        assert_eq!(
            browser.cookie_header(&at("/interaction/abcd")).unwrap(),
            "_session=s"
        );
        browser.store_cookie(
            &url,
            "_session=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT",
        );
        assert_eq!(browser.cookie_header(&at("/")), None);
        let other = Url::parse("http://localhost:1/").unwrap();
        assert_eq!(browser.cookie_header(&other), None);
    }

    #[tokio::test]
    async fn a_citizen_signs_in_at_the_real_provider_and_comes_back_with_a_code() {
        let redirect = "http://127.0.0.1:9/callback";
        let op =
            OidcProvider::start(&[OidcClient::new("rp", "rp-secret-0123456789", [redirect])]).await;
        let discovery: serde_json::Value = reqwest::get(format!(
            "{}/.well-known/openid-configuration",
            op.issuer_url()
        ))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        assert_eq!(discovery["issuer"], op.issuer_url());
        let mut authorize =
            Url::parse(discovery["authorization_endpoint"].as_str().unwrap()).unwrap();
        authorize
            .query_pairs_mut()
            .append_pair("client_id", "rp")
            .append_pair("response_type", "code")
            .append_pair("scope", "openid")
            .append_pair("redirect_uri", redirect)
            .append_pair("state", "st-1")
            .append_pair("nonce", "n-1")
            // RFC 7636 appendix B.
            .append_pair(
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            )
            .append_pair("code_challenge_method", "S256");
        let mut browser = op.browser();
        let back = Url::parse(
            &browser
                .sign_in(authorize.as_str(), "citizen-1")
                .await
                .unwrap(),
        )
        .unwrap();
        assert_eq!(back.origin(), Url::parse(redirect).unwrap().origin());
        let query: Vec<(String, String)> = back.query_pairs().into_owned().collect();
        let param = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(param("state"), Some("st-1"));
        assert_eq!(param("iss"), Some(op.issuer_url()));
        assert!(param("code").is_some_and(|code| !code.is_empty()), "{back}");

        // The OP remembers the session: a second sign-in needs no form, and an unregistered
        // redirect_uri is an error page at the OP, not a redirect.
        let again = browser
            .sign_in(authorize.as_str(), "ignored")
            .await
            .unwrap();
        assert!(again.starts_with(redirect), "{again}");
        let mut wrong = authorize.clone();
        wrong.set_query(Some(
            &authorize
                .query()
                .unwrap()
                .replace("127.0.0.1%3A9", "127.0.0.1%3A10"),
        ));
        let refused = browser
            .sign_in(wrong.as_str(), "citizen-1")
            .await
            .unwrap_err();
        assert_eq!(refused.status, 400, "{refused}");
    }
}
