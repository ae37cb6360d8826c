//! What the issuer tells its operator's monitoring: whether it can serve (`/readyz`) and the
//! gauges `/metrics` reads at scrape time. The issuer's counters are recorded where things
//! happen: `idv_issuer_offers_created_total` ([`super::offers`]),
//! `idv_issuer_credentials_issued_total` ([`super::credential_requests`]), and the token and credential
//! endpoints' errors by code (`crate::http`'s error mapping).

use idv_service_kit::http::Readiness;
use idv_service_kit::http::readiness::database_answers;

use super::certification::Certification;
use crate::store::Store;

/// Readiness and the gauges read at scrape time.
#[derive(Debug, Clone)]
pub struct Operations {
    pub(super) store: Store,
    pub(super) certification: Certification,
}

impl Operations {
    /// Ready when the database answers. The trust list is not a condition: without a usable
    /// one the issuer still serves metadata, status lists and its operator API, and refuses
    /// offers and issuance itself (503 / `credential_request_denied`).
    pub async fn readiness(&self) -> Readiness {
        Readiness::new().with("database", database_answers(self.store.database()).await)
    }

    /// Sets the gauges of the trust list the provider's certification is checked on, when
    /// `[trust]` is configured (`idv_trust_list_*`, see `idv_fetch::TrustListClient::record_gauges`).
    pub async fn record_gauges(&self) {
        self.certification.record_gauges();
    }
}

/// Describes (`# HELP`) the issuer's metrics; startup calls it once the recorder is installed.
pub fn describe_metrics() {
    idv_fetch::trust_list::describe_metrics();
    metrics::describe_counter!(
        "idv_issuer_offers_created_total",
        "Credential offers created, by grant"
    );
    metrics::describe_counter!(
        "idv_issuer_credentials_issued_total",
        "Credentials issued, by credential configuration"
    );
    metrics::describe_counter!(
        "idv_issuer_token_errors_total",
        "Token endpoint errors, by OAuth error code"
    );
    metrics::describe_counter!(
        "idv_issuer_credential_errors_total",
        "Credential endpoint errors, by error code"
    );
}
