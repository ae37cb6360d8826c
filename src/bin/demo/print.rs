//! How the demo shows each party's view: the wallet's consent screen, the employer's result,
//! times in UTC.

use federated_idv::employer::CheckResult;
use serde_json::Value;
use wallet_sim::presentation::{ConsentSummary, DisclosedClaim};

/// Longest value shown in full; longer ones (a portrait) are abbreviated.
const MAX_VALUE: usize = 48;

/// `[n] text`: a step of the story.
pub(crate) fn step(number: u32, text: &str) {
    println!("\n[{number}] {text}");
}

/// An indented detail line.
pub(crate) fn detail(label: &str, value: impl std::fmt::Display) {
    println!("      {label:<22} {value}");
}

/// A claim value, abbreviated when long.
pub(crate) fn value(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() <= MAX_VALUE {
        text
    } else {
        let head: String = text.chars().take(24).collect();
        format!("{head}… ({} characters)", text.chars().count())
    }
}

fn claims(list: &[DisclosedClaim]) -> String {
    if list.is_empty() {
        return "(nothing)".into();
    }
    list.iter()
        .map(|c| format!("{} = {}", c.path, value(&c.value)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The wallet's consent screen: who asks, under which registered purpose, what would leave.
pub(crate) fn consent(summary: &ConsentSummary) {
    let verifier = &summary.verifier;
    detail(
        "who asks",
        format!(
            "{} ({}, {}), checked on trust list #{}",
            verifier.organisation, verifier.rp_id, verifier.client_id, verifier.trust_list_sequence
        ),
    );
    detail("registered purpose", summary.purpose);
    for credential in &summary.credentials {
        detail(
            "from credential",
            format!("{} issued by {}", credential.name, credential.issuer),
        );
        detail("would share", claims(&credential.disclosed.selected));
        let always: Vec<String> = credential
            .disclosed
            .always
            .iter()
            .map(|c| c.path.to_string())
            .collect();
        detail("and always", always.join(", "));
    }
    detail(
        "response",
        format!(
            "{}{} to {}",
            summary.response_mode,
            summary
                .response_encryption
                .as_deref()
                .map(|enc| format!(" (encrypted, {enc})"))
                .unwrap_or_default(),
            summary.response_host
        ),
    );
    for warning in &summary.warnings {
        detail("warning", warning);
    }
}

/// The result as the employer's system shows it.
pub(crate) fn result(result: &CheckResult) {
    detail("check", format!("{} ({})", result.id, result.state));
    detail(
        "outcome",
        match (&result.outcome, result.compliant) {
            (Some(outcome), Some(compliant)) => format!("{outcome} (compliant: {compliant})"),
            (Some(outcome), None) => outcome.clone(),
            _ => "-".into(),
        },
    );
    if result.reasons.is_empty() {
        detail("reasons", "none");
    }
    for reason in &result.reasons {
        detail(
            "reason",
            format!("{} [{}]: {}", reason.code, reason.step, reason.message),
        );
    }
    match &result.claims {
        Some(claims) if !claims.is_empty() => {
            for (name, claim) in claims {
                detail(&format!("claim {name}"), value(claim));
            }
        }
        _ => detail("claims", "(none)"),
    }
    if let Some(provider) = &result.provider {
        detail(
            "provider",
            format!(
                "{} {} / {}",
                provider.register_id,
                provider.organisation_name(),
                provider.service
            ),
        );
    }
    if let Some(loc) = &result.level_of_confidence {
        detail("level of confidence", loc);
    }
    if let Some(sequence) = result.trust_list_sequence {
        detail("trust list", format!("sequence {sequence}"));
    }
    if let Some(at) = result.status_checked_at {
        detail("status checked at", utc(at));
    }
    if let Some(confirmation) = &result.confirmation {
        detail(
            "confirmed",
            format!(
                "{} by {} ({}) at {}",
                confirmation["decision"].as_str().unwrap_or("-"),
                confirmation["checker_name"].as_str().unwrap_or("-"),
                confirmation["method"].as_str().unwrap_or("-"),
                confirmation["confirmed_at"]
                    .as_i64()
                    .map_or("-".into(), utc),
            ),
        );
    }
    if let Some(evidence) = &result.evidence {
        let header = idv_jose::jws::UnverifiedJws::parse(evidence)
            .map(|jws| {
                let header = jws.header();
                format!(
                    "typ {}, alg {}, kid {}",
                    header.typ().unwrap_or("-"),
                    header.alg().unwrap_or("-"),
                    header.kid().unwrap_or("-")
                )
            })
            .unwrap_or_else(|e| format!("unreadable: {e}"));
        detail(
            "evidence",
            format!(
                "signed check record, {} characters ({header})",
                evidence.len()
            ),
        );
    }
}

/// Unix seconds as `YYYY-MM-DD hh:mm:ss UTC`.
pub(crate) fn utc(unix: i64) -> String {
    let at = idv_proto::calendar::utc(unix);
    let date = idv_proto::calendar::full_date(at.date());
    format!(
        "{date} {:02}:{:02}:{:02} UTC",
        at.hour(),
        at.minute(),
        at.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_780_000_000), "2026-05-28 20:26:40 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
    }

    #[test]
    fn long_values_are_abbreviated() {
        assert_eq!(value(&Value::Bool(true)), "true");
        let long = Value::String("x".repeat(100));
        assert!(value(&long).ends_with("(100 characters)"));
    }
}
