//! The server-rendered HTML of the OpenID Provider bridge: the hand-off page and the message
//! pages (errors, a finished sign-in). No framework, no external resources: one inline style
//! and one inline script, both allowed by the response's CSP nonce.
//!
//! Accessibility: `lang`, a title and one `h1`; the QR code is an `<svg role="img">` with an
//! accessible name; the same-device button is a real link; the status line is a polite live
//! region; every control is a link, reachable by Tab with a visible focus style; contrast is
//! at least 9:1 for text, 8:1 for links and 6:1 for the button (measured by the browser check,
//! `tests/node/handoff-page.mjs`). Without JavaScript a
//! meta refresh reloads the page every [`POLL_SECS`] seconds; with it, a small script polls
//! the status endpoint instead and reloads once the check has concluded.

use std::fmt::Write as _;

use idv_service_kit::markup::escape;

use crate::oidc::handoff::{HandoffPage, POLL_SECS};
use crate::oidc::handoff_path;

const STYLE: &str = "\
body{margin:0;font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,Arial,sans-serif;\
font-size:1.1875rem;line-height:1.5;color:#0b0c0c;background:#fff}\
main{max-width:44rem;margin:0 auto;padding:1.5rem 1rem 3rem}\
h1{font-size:2rem;line-height:1.2;margin:0 0 1rem}\
h2{font-size:1.375rem;margin:1.5rem 0 .5rem}\
a{color:#1d4f91;text-decoration:underline;text-underline-offset:.15em}\
a:hover{text-decoration-thickness:3px}\
a:focus,a:focus-visible{outline:3px solid #0b0c0c;outline-offset:2px;background:#fd0;\
color:#0b0c0c;text-decoration:none;box-shadow:0 4px #0b0c0c}\
.button{display:inline-block;padding:.6rem 1.1rem;background:#00703c;color:#fff;font-weight:700;\
text-decoration:none;border-radius:0;box-shadow:0 2px 0 #002d18}\
.button:focus,.button:focus-visible{background:#fd0;color:#0b0c0c;box-shadow:0 2px 0 #0b0c0c}\
.status{border-left:5px solid #1d4f91;padding:.5rem 1rem;background:#f3f2f1;font-weight:700}\
.qr svg{display:block;width:100%;max-width:18rem;height:auto;border:1px solid #b1b4b6}\
.hint{color:#484949}";

const SCRIPT: &str = "\
(function(){\
var b=document.body,s=document.getElementById('status');\
var statusUrl=b.getAttribute('data-status-url'),pageUrl=b.getAttribute('data-page-url');\
function poll(){\
fetch(statusUrl,{credentials:'same-origin',cache:'no-store',headers:{Accept:'application/json'}})\
.then(function(r){if(!r.ok){location.replace(pageUrl);return null;}return r.json();})\
.then(function(v){if(!v){return;}\
if(v.status==='finished'){s.textContent=v.message;location.replace(pageUrl);return;}\
if(s.textContent!==v.message){s.textContent=v.message;}\
setTimeout(poll,1500);})\
.catch(function(){setTimeout(poll,4000);});}\
setTimeout(poll,1500);})();";

/// The hand-off page. `nonce` is the response's CSP nonce.
pub(super) fn handoff_page(page: &HandoffPage, nonce: &str) -> String {
    let client = escape(&page.client_name);
    let path = handoff_path(&page.session_id);
    let minutes = (page.expires_in_secs + 59) / 60;
    let mut html = String::with_capacity(page.qr_svg.len() + 4096);
    // Writing to a String cannot fail.
    let _ = write!(
        html,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>Share your credential with {client}</title>\n\
         <noscript><meta http-equiv=\"refresh\" content=\"{POLL_SECS}\"></noscript>\n\
         <style nonce=\"{nonce}\">{STYLE}</style>\n</head>\n\
         <body data-status-url=\"{status_url}\" data-page-url=\"{page_url}\">\n<main>\n\
         <h1>Share your credential with {client}</h1>\n\
         <p>{client} asks for a check: <strong>{title}</strong>. Share it from your digital \
         identity wallet to continue.</p>\n\
         <p id=\"status\" class=\"status\" role=\"status\" aria-live=\"polite\">{status}</p>\n\
         <h2>Wallet on another device</h2>\n\
         <p>Scan this QR code with your wallet app.</p>\n<div class=\"qr\">{qr}</div>\n\
         <h2>Wallet on this device</h2>\n\
         <p><a class=\"button\" href=\"{wallet_url}\">Open your wallet app</a></p>\n\
         <p class=\"hint\">This request expires in about {minutes} minute{plural}. This page \
         updates by itself.</p>\n\
         <p><a href=\"{cancel_url}\">Cancel and go back to {client}</a></p>\n</main>\n\
         <script nonce=\"{nonce}\">{SCRIPT}</script>\n</body>\n</html>\n",
        status_url = escape(&format!("{path}/status")),
        page_url = escape(&path),
        title = escape(&page.check_title),
        status = escape(page.progress.message()),
        qr = page.qr_svg,
        wallet_url = escape(&page.wallet_url),
        plural = if minutes == 1 { "" } else { "s" },
        cancel_url = escape(&format!("{path}/cancel")),
    );
    html
}

/// A page with a heading and a message, and no links (errors, a finished sign-in).
pub(super) fn message_page(heading: &str, message: &str, nonce: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{heading}</title>\n<style nonce=\"{nonce}\">{STYLE}</style>\n</head>\n\
         <body>\n<main>\n<h1>{heading}</h1>\n<p>{message}</p>\n</main>\n</body>\n</html>\n",
        heading = escape(heading),
        message = escape(message),
    )
}

#[cfg(test)]
mod tests {
    use crate::oidc::handoff::Progress;

    use super::*;

    #[test]
    fn the_page_escapes_what_it_shows_and_carries_its_accessible_parts() {
        let page = HandoffPage {
            session_id: "s1".into(),
            client_name: "Jobs <R> Us & \"Co\"".into(),
            check_title: "Right to work".into(),
            wallet_url: "openid4vp://?client_id=a&request_uri=b".into(),
            qr_svg: "<svg role=\"img\" aria-label=\"QR\"></svg>".into(),
            progress: Progress::Waiting,
            expires_in_secs: 600,
        };
        let html = handoff_page(&page, "n0nce");
        assert!(html.contains("Jobs &lt;R&gt; Us &amp; &quot;Co&quot;"));
        assert!(!html.contains("<R>"));
        assert!(html.contains("href=\"openid4vp://?client_id=a&amp;request_uri=b\""));
        assert!(html.contains("<html lang=\"en\">"));
        assert!(html.contains("role=\"status\" aria-live=\"polite\""));
        assert!(html.contains("<noscript><meta http-equiv=\"refresh\" content=\"4\"></noscript>"));
        assert!(html.contains("href=\"/oidc/handoff/s1/cancel\""));
        assert!(html.contains("<script nonce=\"n0nce\">"));
        assert!(html.contains("about 10 minutes"));
    }
}
