//! The clear copy as a printable HTML page (`GET /v1/checks/{id}/clear-copy`).
//!
//! Self-contained, so that a saved copy opens the same years later: the photo is a `data:`
//! URI, the one style sheet is inline, and the page's own Content Security Policy (also sent as
//! a header) allows nothing else: no script, no external resource. Accessibility: `lang`, a
//! title, one `h1` and an `h2` per section, the facts in tables with row headers, the photo
//! with a text alternative naming the person, the outcome in words (never in colour alone),
//! and print styles for A4. Every text is escaped.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use idv_checks::OutcomeState;
use idv_service_kit::markup::escape;

use super::clear_copy::{ClearCopy, Fact};

const STYLE: &str = "\
body{margin:0;font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,Arial,sans-serif;\
font-size:1.0625rem;line-height:1.5;color:#0b0c0c;background:#fff}\
main{max-width:50rem;margin:0 auto;padding:1.5rem 1rem 3rem}\
h1{font-size:2rem;line-height:1.2;margin:0 0 .25rem}\
h2{font-size:1.375rem;margin:1.75rem 0 .5rem;padding-top:.5rem;border-top:2px solid #b1b4b6}\
.subtitle{margin:0 0 1rem;color:#484949}\
.outcome{border-left:8px solid #1d4f91;padding:.75rem 1rem;background:#f3f2f1;margin:1rem 0}\
.outcome p{margin:.25rem 0}\
.outcome .words{font-size:1.5rem;font-weight:700}\
.outcome.compliant{border-color:#00703c}.outcome.awaiting{border-color:#b58800}\
.outcome.refused{border-color:#d4351c}\
table{border-collapse:collapse;width:100%;margin:.5rem 0}\
th,td{text-align:left;vertical-align:top;padding:.45rem .5rem .45rem 0;\
border-bottom:1px solid #b1b4b6}\
th{width:16rem;font-weight:700}\
td{overflow-wrap:anywhere}\
figure{margin:.5rem 0 1rem}\
figure img{display:block;width:50mm;max-width:100%;height:auto;border:1px solid #505a5f}\
figcaption{color:#484949;font-size:.9375rem;margin-top:.25rem}\
.mono{font-family:ui-monospace,\"Cascadia Mono\",Menlo,Consolas,monospace;font-size:.9375rem}\
@page{size:A4;margin:16mm}\
@media print{body{font-size:10.5pt}main{max-width:none;padding:0}\
h2{break-after:avoid}tr,figure{break-inside:avoid}}";

/// The Content Security Policy of the page: its own style sheet and `data:` images, nothing
/// else.
pub(crate) fn content_security_policy() -> String {
    let hash = STANDARD.encode(idv_jose::digest::sha256(STYLE.as_bytes()));
    format!(
        "default-src 'none'; img-src data:; style-src 'sha256-{hash}'; base-uri 'none'; \
         form-action 'none'"
    )
}

/// A table of facts, named by the section heading `labelled_by` (an element id).
fn facts_table(html: &mut String, facts: &[Fact], labelled_by: &str) {
    let _ = write!(html, "<table aria-labelledby=\"{labelled_by}\">\n<tbody>\n");
    for row in facts {
        let class = if row.label.starts_with("SHA-256") || row.label.starts_with("Signing key") {
            " class=\"mono\""
        } else {
            ""
        };
        let _ = writeln!(
            html,
            "<tr><th scope=\"row\">{}</th><td{class}>{}</td></tr>",
            escape(&row.label),
            escape(&row.value)
        );
    }
    html.push_str("</tbody>\n</table>\n");
}

/// The page.
pub(crate) fn render(copy: &ClearCopy) -> String {
    let mut html = String::with_capacity(
        8192 + copy
            .portrait
            .as_ref()
            .map_or(0, |portrait| portrait.jpeg.len() * 4 / 3),
    );
    let title = format!("{} {}: clear copy", copy.heading, copy.check_id);
    let class = match copy.state {
        OutcomeState::Compliant => "compliant",
        OutcomeState::AwaitingConfirmation => "awaiting",
        OutcomeState::NotEligible | OutcomeState::Rejected => "refused",
    };
    // Writing to a String cannot fail.
    let _ = write!(
        html,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
         <h1>{heading}: clear copy</h1>\n<p class=\"subtitle\">{subtitle}</p>\n\
         <section aria-labelledby=\"outcome\">\n<h2 id=\"outcome\">Outcome</h2>\n\
         <div class=\"outcome {class}\">\n<p class=\"words\">{words}</p>\n<p>{sentence}</p>\n\
         </div>\n",
        csp = escape(&content_security_policy()),
        title = escape(&title),
        heading = escape(copy.heading),
        subtitle = escape(&format!("{} · check {}", copy.title, copy.check_id)),
        words = escape(copy.outcome),
        sentence = escape(&copy.outcome_sentence),
    );
    if !copy.reasons.is_empty() {
        html.push_str("<p>Why:</p>\n<ul>\n");
        for reason in &copy.reasons {
            let _ = writeln!(html, "<li>{}</li>", escape(reason));
        }
        html.push_str("</ul>\n");
    }
    html.push_str("</section>\n");

    if !copy.person.is_empty() || copy.portrait.is_some() || copy.portrait_problem.is_some() {
        html.push_str(
            "<section aria-labelledby=\"person\">\n<h2 id=\"person\">The person checked</h2>\n",
        );
        if let Some(portrait) = &copy.portrait {
            let _ = write!(
                html,
                "<figure>\n<img src=\"data:image/jpeg;base64,{data}\" alt=\"{alt}\">\n\
                 <figcaption>The photo the identity service provider holds: compare it with \
                 the person.</figcaption>\n</figure>\n",
                data = STANDARD.encode(&portrait.jpeg),
                alt = escape(&portrait.alt),
            );
        }
        if let Some(problem) = copy.portrait_problem {
            let _ = writeln!(html, "<p>{}</p>", escape(problem));
        }
        facts_table(&mut html, &copy.person, "person");
        html.push_str("</section>\n");
    }

    html.push_str("<section aria-labelledby=\"check\">\n<h2 id=\"check\">The check</h2>\n");
    facts_table(&mut html, &copy.check, "check");
    html.push_str("</section>\n");

    if copy.confirmation_step || copy.confirmation.is_some() {
        html.push_str(
            "<section aria-labelledby=\"confirmation\">\n\
             <h2 id=\"confirmation\">Confirmation that the person is the holder</h2>\n",
        );
        match &copy.confirmation {
            Some(facts) => facts_table(&mut html, facts, "confirmation"),
            None => html.push_str(
                "<p>Not recorded yet. Compare the photo and the date of birth with the person, \
                 in person or on a live video call, before relying on this check.</p>\n",
            ),
        }
        html.push_str("</section>\n");
    }

    let _ = write!(
        html,
        "<section aria-labelledby=\"shows\">\n<h2 id=\"shows\">What this check shows</h2>\n\
         <p>{statement}</p>\n</section>\n\
         <section aria-labelledby=\"keep\">\n<h2 id=\"keep\">How long to keep this</h2>\n\
         <p>{advice}</p>\n{source}</section>\n\
         <section aria-labelledby=\"record\">\n<h2 id=\"record\">The signed record</h2>\n\
         <p>This copy restates the check record the verifier signed. The record, in the \
         evidence package, cannot be changed without its signature failing; its SHA-256 below \
         ties this copy to it. Check it at any time with <code>verifier evidence verify \
         &lt;package file&gt;</code>.</p>\n",
        statement = escape(copy.statement),
        advice = escape(&copy.retention.advice),
        source = copy
            .retention
            .source
            .as_ref()
            .map(|source| format!("<p>Source: {}.</p>\n", escape(source)))
            .unwrap_or_default(),
    );
    facts_table(&mut html, &copy.record, "record");
    html.push_str("</section>\n</main>\n</body>\n</html>\n");
    html
}
