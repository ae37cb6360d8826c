//! Text for people. Every value that came from a party (names, claims, descriptions) is shown
//! without control characters, so nothing received can rewrite the terminal.

use std::fmt::Write as _;

use serde_json::Value;

use crate::holdings::{CredentialDetails, CredentialSummary};
use crate::issuance::ReceiveOutcome;
use crate::presentation::{ConsentSummary, DisclosedClaim, PresentationOutcome};

/// Longest value shown inline.
const MAX_VALUE: usize = 100;

/// `text` without control characters.
fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}

/// A claim value on one line: strings as they are, images and long values abridged.
fn value(value: &Value) -> String {
    let text = match value {
        Value::String(s) if s.starts_with("data:") => {
            let media = s
                .trim_start_matches("data:")
                .split([';', ','])
                .next()
                .unwrap_or_default();
            format!("[{} data, {} bytes]", clean(media), s.len())
        }
        Value::String(s) => clean(s),
        other => clean(&other.to_string()),
    };
    if text.chars().count() > MAX_VALUE {
        let cut: String = text.chars().take(MAX_VALUE).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// A Unix time as `YYYY-MM-DD HH:MM UTC`.
pub(crate) fn time(unix: i64) -> String {
    let at = idv_proto::calendar::utc(unix);
    let date = idv_proto::calendar::full_date(at.date());
    format!("{date} {:02}:{:02} UTC", at.hour(), at.minute())
}

fn expiry(expires_at: Option<i64>, expired: bool) -> String {
    match (expires_at, expired) {
        (Some(at), true) => format!("expired {}", time(at)),
        (Some(at), false) => format!("until {}", time(at)),
        (None, _) => "no expiry".into(),
    }
}

/// `receive`.
pub(crate) fn received(outcome: &ReceiveOutcome, now: i64) -> String {
    let mut out = String::new();
    for credential in &outcome.credentials {
        let expired = credential.expires_at.is_some_and(|e| e <= now);
        let _ = writeln!(
            out,
            "Received {} ({} copies, each with its own key)\n  id:      {}\n  issuer:  {}\n  valid:   {}",
            clean(&credential.name),
            credential.copies,
            credential.id,
            clean(&credential.issuer.describe(credential.iss.as_deref())),
            expiry(credential.expires_at, expired),
        );
        if !credential.issuer.trusted_for.is_empty() {
            let schemes: Vec<&str> = credential
                .issuer
                .trusted_for
                .iter()
                .map(|s| s.as_str())
                .collect();
            let _ = writeln!(out, "  trusted for: {}", schemes.join(", "));
        }
        if let Some(note) = &credential.issuer.note {
            let _ = writeln!(out, "  note:    {}", clean(note));
        }
    }
    for warning in &outcome.warnings {
        let _ = writeln!(out, "warning: {}", clean(warning));
    }
    out
}

/// `list`.
pub(crate) fn list(credentials: &[CredentialSummary]) -> String {
    if credentials.is_empty() {
        return "No credentials. Receive one with `wallet-sim receive <offer-link>`.\n".into();
    }
    let mut out = String::new();
    for c in credentials {
        let _ = writeln!(
            out,
            "{}  {}  {} of {} copies unused  {}\n            from {}",
            c.id,
            clean(&c.name),
            c.unused,
            c.copies,
            expiry(c.expires_at, c.expired),
            clean(&c.issuer),
        );
    }
    out
}

/// `show`.
pub(crate) fn details(d: &CredentialDetails) -> String {
    let mut out = String::new();
    let s = &d.summary;
    let _ = writeln!(out, "{} ({})", clean(&s.name), s.id);
    let _ = writeln!(out, "  type:     {}", clean(&s.vct));
    let _ = writeln!(out, "  issuer:   {}", clean(&d.issuer_name));
    if !d.issuer_standing.trusted_for.is_empty() {
        let schemes: Vec<&str> = d
            .issuer_standing
            .trusted_for
            .iter()
            .map(|s| s.as_str())
            .collect();
        let _ = writeln!(out, "            trusted for {}", schemes.join(", "));
    }
    if let Some(note) = &d.issuer_standing.note {
        let _ = writeln!(out, "            {}", clean(note));
    }
    let _ = writeln!(out, "  valid:    {}", expiry(s.expires_at, s.expired));
    let _ = write!(out, "  status:   {}", d.status.state);
    if let Some(detail) = &d.status.detail {
        let _ = write!(out, " ({})", clean(detail));
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "  copies:   {} of {} unused", s.unused, s.copies);
    let _ = writeln!(out, "  claims:");
    for (name, claim) in &d.claims {
        let _ = writeln!(out, "    {}: {}", clean(name), value(claim));
    }
    if !d.presentations.is_empty() {
        let _ = writeln!(out, "  shared:");
        for p in &d.presentations {
            let claims: Vec<String> = p.claims.iter().map(ToString::to_string).collect();
            let _ = writeln!(
                out,
                "    {} with {} ({}, {}): {}",
                time(p.presented_at),
                clean(&p.organisation),
                p.purpose,
                clean(&p.client_id),
                clean(&claims.join(" "))
            );
        }
    }
    out
}

fn claim_lines(out: &mut String, claims: &[DisclosedClaim]) {
    for claim in claims {
        let path = claim.path.to_string();
        let shown = match (path.as_str(), claim.value.as_i64()) {
            (r#"["iat"]"# | r#"["nbf"]"# | r#"["exp"]"#, Some(at)) => time(at),
            (r#"["cnf"]"#, _) => "a holder key used for this credential only".to_owned(),
            _ => value(&claim.value),
        };
        let _ = writeln!(out, "      {} = {shown}", clean(&path));
    }
}

/// The consent screen.
pub(crate) fn consent(summary: &ConsentSummary) -> String {
    let mut out = String::new();
    let v = &summary.verifier;
    let _ = writeln!(
        out,
        "{} asks for your credentials.\n  organisation: {} (register entry {}, trust list #{})\n  client_id:    {}\n  purpose:      {}",
        clean(&v.organisation),
        clean(&v.organisation),
        clean(&v.rp_id),
        v.trust_list_sequence,
        clean(&v.client_id),
        summary.purpose,
    );
    let mode = match &summary.response_encryption {
        Some(enc) => format!("{} (encrypted, ECDH-ES + {enc})", summary.response_mode),
        None => format!("{} (not encrypted)", summary.response_mode),
    };
    let _ = writeln!(
        out,
        "  response:     {mode} to {}",
        clean(&summary.response_host)
    );
    if let Some(exp) = summary.request_expires_at {
        let _ = writeln!(out, "  expires:      {}", time(exp));
    }
    for credential in &summary.credentials {
        let _ = writeln!(
            out,
            "  From {} ({}, copy {}), issued by {}:",
            clean(&credential.name),
            credential.credential_id,
            credential.copy_id,
            clean(&credential.issuer),
        );
        if credential.disclosed.selected.is_empty() {
            let _ = writeln!(out, "    no personal claims");
        } else {
            let _ = writeln!(out, "    these claims would be disclosed:");
            claim_lines(&mut out, &credential.disclosed.selected);
        }
        let _ = writeln!(out, "    and, as always with this credential:");
        claim_lines(&mut out, &credential.disclosed.always);
    }
    for warning in &summary.warnings {
        let _ = writeln!(out, "  warning: {}", clean(warning));
    }
    out
}

/// `present`'s result.
pub(crate) fn presented(outcome: &PresentationOutcome) -> String {
    let mut out = match outcome.outcome {
        // The verifier's answer says the response arrived, not how the check came out
        // (OpenID4VP's response URI reply carries no result): say no more than that.
        "shared" => format!(
            "Sent to {organisation} ({}) for {}: the verifier received the credentials. \
             Whether the check passed is for {organisation} to tell you; the verifier reports \
             the result to it, not to this wallet.\n",
            clean(&outcome.verifier.client_id),
            outcome.purpose,
            organisation = clean(&outcome.verifier.organisation),
        ),
        _ => format!(
            "Declined: {} was told access_denied.\n",
            clean(&outcome.verifier.organisation)
        ),
    };
    if let Some(uri) = &outcome.redirect_uri {
        let _ = writeln!(out, "The verifier asks you to continue at: {}", clean(uri));
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn times_are_utc_civil_dates() {
        assert_eq!(time(0), "1970-01-01 00:00 UTC");
        assert_eq!(time(1_780_000_000), "2026-05-28 20:26 UTC");
        assert_eq!(time(951_782_400), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn a_sent_response_is_not_reported_as_a_passed_check() {
        let outcome = PresentationOutcome {
            outcome: "shared",
            verifier: crate::presentation::Requester {
                organisation: "Example Employer Ltd".into(),
                rp_id: "rp-1".into(),
                client_id: "verifier_attestation:employer.example".into(),
                trust_list_sequence: 1,
            },
            purpose: idv_proto::trust::entry::SchemeCode::Rtw,
            shared: Vec::new(),
            redirect_uri: None,
            warnings: Vec::new(),
        };
        let text = presented(&outcome);
        assert!(!text.contains("Shared with"), "{text}");
        assert!(
            text.starts_with(
                "Sent to Example Employer Ltd (verifier_attestation:employer.example) for RTW: \
                 the verifier received the credentials. Whether the check passed is for \
                 Example Employer Ltd to tell you"
            ),
            "{text}"
        );
    }

    #[test]
    fn values_are_one_clean_line() {
        assert_eq!(value(&json!("Ada\u{1b}[2J")), "Ada[2J");
        assert_eq!(
            value(&json!("data:image/jpeg;base64,AAAA")),
            "[image/jpeg data, 27 bytes]"
        );
        assert_eq!(value(&json!(["GB", "IE"])), r#"["GB","IE"]"#);
        assert!(value(&json!("x".repeat(500))).ends_with('…'));
    }
}
