//! Evidence that still verifies years later. A right-to-work check's employer keeps a clear
//! copy of the check's output in an unalterable format, with the date the check was made, for
//! the employment plus two years (right to rent: the tenancy plus one year; Home Office,
//! employer's guide to right to work checks). The verifier gives it:
//!
//! - the signed check record (`dvs-check-record+jwt`, `idv_checks::evidence`), which cannot
//!   change without its signature failing;
//! - evidence keys that rotate without orphaning a record ([`crate::keys`]): every key that
//!   ever signed stays published with its validity (`GET /.well-known/evidence-keys.json`), and
//!   a record verifies only with a key whose validity covers its `iat`;
//! - [`package`]: the evidence package (`GET /v1/checks/{id}/evidence`), the record with the
//!   key that verifies it and the retention advice, one JSON document that verifies offline;
//! - the clear copy (`GET /v1/checks/{id}/clear-copy`, `…/clear-copy.pdf`): the record's
//!   facts for a person to read and print, with its SHA-256 to tie the two together;
//! - [`offline`]: `verifier evidence verify`, the check anyone can run on a package later.
//!
//! Package and clear copy exist while the check's personal data is kept (the verifier's own
//! retention); the employer's copy is what lasts. [`Evidence`] owns the package and the clear
//! copy, built on [`crate::checks`] (the check as the tenant sees it) and the evidence keys.

mod clear_copy;
mod error;
mod html;
pub mod offline;
pub mod package;
mod pdf;

use std::sync::Arc;

use idv_checks::templates::Templates;
use idv_jose::Clock;

pub use self::error::EvidenceError;
use crate::checks::Checks;
use crate::keys::ServiceKeys;
use crate::tenants::Tenant;

/// The formats of the clear copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyFormat {
    /// A printable HTML page.
    Html,
    /// A PDF (A4, the portrait embedded as its JPEG).
    Pdf,
}

impl CopyFormat {
    /// The document's media type.
    pub const fn media_type(self) -> &'static str {
        match self {
            Self::Html => "text/html; charset=utf-8",
            Self::Pdf => "application/pdf",
        }
    }

    /// The document's file name extension.
    pub const fn extension(self) -> &'static str {
        match self {
            Self::Html => "html",
            Self::Pdf => "pdf",
        }
    }
}

/// A rendered clear copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedCopy {
    /// The document.
    pub body: Vec<u8>,
    /// Its Content Security Policy (HTML only).
    pub content_security_policy: Option<String>,
}

/// The evidence use cases over the checks they give evidence of. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Evidence {
    clock: Arc<dyn Clock>,
    /// The verifier's `public_url`.
    public_url: Arc<str>,
    templates: Arc<Templates>,
    checks: Checks,
    keys: ServiceKeys,
}

impl Evidence {
    /// The evidence of `checks`, verified with `keys`.
    pub(crate) fn new(checks: Checks, keys: ServiceKeys) -> Self {
        Self {
            clock: Arc::clone(&checks.clock),
            public_url: Arc::from(checks.settings.public_url.as_str()),
            templates: Arc::clone(&checks.templates),
            checks,
            keys,
        }
    }

    /// The clear copy of a tenant's check in `format` (while its personal data is kept).
    pub async fn clear_copy(
        &self,
        tenant: &Tenant,
        check_id: &str,
        format: CopyFormat,
    ) -> Result<RenderedCopy, EvidenceError> {
        let copy = self.clear_copy_facts(tenant, check_id).await?;
        tracing::info!(
            tenant.id = %tenant.tenant_id, check.id = %check_id,
            copy.format = format.extension(), "clear copy made"
        );
        Ok(match format {
            CopyFormat::Html => RenderedCopy {
                body: html::render(&copy).into_bytes(),
                content_security_policy: Some(html::content_security_policy()),
            },
            CopyFormat::Pdf => RenderedCopy {
                body: pdf::render(&copy, self.clock.now()),
                content_security_policy: None,
            },
        })
    }
}
