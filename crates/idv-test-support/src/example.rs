//! The example federation's names and clock, shared by the libraries' tests and the
//! benchmarks: one IDSP, one employer, one status list, one moment.

/// Seconds in a day.
pub const DAY: i64 = 24 * 60 * 60;
/// 2026-01-01T12:00:00Z: the verifier's, issuer's and holder's clock.
pub const NOW: i64 = 1_767_225_600 + 12 * 3600;
/// The IDSP's Credential Issuer Identifier (`iss`).
pub const ISS: &str = "https://id.example-idsp.co.uk";
/// The IDSP's status list.
pub const STATUS_URI: &str = "https://id.example-idsp.co.uk/status/1";
/// The employer's client identifier at the wallet.
pub const CLIENT_ID: &str = "verifier_attestation:hr.employer.example.co.uk";
/// The nonce of the employer's request.
pub const NONCE: &str = "n-0S6_WzA2Mj-4f7d";
