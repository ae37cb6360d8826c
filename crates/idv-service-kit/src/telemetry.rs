//! Logging: `tracing` events, formatted to stderr (stdout belongs to CLI output), as text for
//! people or as one JSON object per line for log collectors (`[log] format = "json"`,
//! `IDV_LOG__FORMAT=json`).
//!
//! The filter comes from `RUST_LOG` (e.g. `RUST_LOG=info,trust_framework=debug`), else the
//! default the binary passes (`info` for a server, `warn` for one-shot CLI commands). What we log follows one rule: a message plus dotted fields, once, at the boundary
//! where the outcome is known ([`crate::http`] logs each request's method, route, status and
//! latency, and each 5xx cause). Request and response bodies, query strings, tokens, keys and
//! personal data are never logged; types holding them redact their `Debug`.
//!
//! Every line logged while a request is handled carries its request id: [`crate::http::serve`]
//! runs each request inside a `request` span with a `request_id` field (text: the
//! `request{request_id=…}:` prefix; JSON: the `span` object).

use std::io::IsTerminal as _;

use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (coloured on a terminal).
    #[default]
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `fields` (the message and
    /// the event's fields) and `span` (the request span's fields, e.g. `request_id`).
    Json,
}

/// `[log]` of every service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `text` (default) or `json` (`IDV_LOG__FORMAT`).
    #[serde(default)]
    pub format: LogFormat,
}

/// Installs the global subscriber (text format), filtered by `RUST_LOG` or else
/// `default_filter` (e.g. `"info"`). Safe to call twice (the second call does nothing), so
/// tests and binaries can both call it.
pub fn init(default_filter: &str) {
    init_with(LogSettings::default(), default_filter);
}

/// [`init`] in the format `settings` name.
pub fn init_with(settings: LogSettings, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true);
    // Err only when a subscriber is already installed, which is fine.
    let _ = match settings.format {
        // Colours only for people: a file or a log collector gets plain text.
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        // The request span's fields (the request id) on every line, without the list of
        // enclosing spans, which repeats them.
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}

/// [`init_with`] for a service command: a server reports its requests (`info`); one-shot
/// commands print results, not progress (`warn`).
pub fn init_for_command(settings: LogSettings, serving: bool) {
    init_with(settings, if serving { "info" } else { "warn" });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_format_is_text_unless_json_is_asked_for() {
        let settings: LogSettings = toml::from_str("").unwrap();
        assert_eq!(settings.format, LogFormat::Text);
        let settings: LogSettings = toml::from_str("format = \"json\"").unwrap();
        assert_eq!(settings.format, LogFormat::Json);
        assert!(toml::from_str::<LogSettings>("format = \"xml\"").is_err());
    }
}
