//! Logging: `tracing` events, formatted to stderr (stdout belongs to CLI output).
//!
//! The filter comes from `RUST_LOG` (e.g. `RUST_LOG=info,trust_framework=debug`), else the
//! default the binary passes (`info` for a server, `warn` for one-shot CLI commands). What we log follows one rule: a message plus dotted fields, once, at the boundary
//! where the outcome is known ([`crate::http`] logs each request's method, route, status and
//! latency, and each 5xx cause). Request and response bodies, query strings, tokens, keys and
//! personal data are never logged; types holding them redact their `Debug`.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber, filtered by `RUST_LOG` or else `default_filter` (e.g.
/// `"info"`). Safe to call twice (the second call does nothing), so tests and binaries can
/// both call it.
pub fn init(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    // Err only when a subscriber is already installed, which is fine.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only for people: a file or a log collector gets plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(true)
        .try_init();
}
