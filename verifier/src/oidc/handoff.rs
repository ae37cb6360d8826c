//! The hand-off page's use cases: `GET /oidc/handoff/{session_id}` (the page, or the redirect
//! back to the client once the check has concluded), `…/status` (what the page's script
//! polls) and `…/cancel`. Each requires the cookie of the browser that started the session.
//!
//! Every OpenID Connect client takes an authorization code for a successful sign-in, so a code
//! is issued only for a check whose presentation verified and whose outcome signs the person in
//! ([`signs_in`]: `compliant`, or `awaiting_confirmation` for right to work and right to rent,
//! which the ID token's `dvs_check` states). Every other check (declined in the wallet, rejected, not
//! eligible, expired, erased or cancelled) ends the session with `error=access_denied`
//! (OpenID Connect Core 1.0 §3.1.2.6; RFC 6749 §4.1.2.1) whose `error_description` is the
//! check's stable reason codes, space-separated (`holder_declined`, `nationality_not_eligible`),
//! or a fixed text for a check withdrawn or cancelled: never anything the wallet sent. Either
//! way the session ends once (a compare-and-swap on its status); a later visit gets
//! [`Handoff::Finished`].

use idv_checks::reason::{OutcomeState, ReasonCode};
use idv_service_kit::Secret;
use serde::Serialize;

use super::authorize::ClientRedirect;
use idv_jose::digest::constant_time_eq;

use super::OpenIdProvider;
use super::{CODE_LIFETIME_SECS, OidcError, handoff_url, hash_secret};
use crate::checks::{CheckError, CheckRequest, CheckState, OutcomeRecord, request_uri, wallet_url};
use crate::store::checks::CheckRow;
use crate::store::oidc::OidcSessionRow;
use crate::tenants::{Tenant, full_client_id};

/// Random bytes of an authorization code (256 bits).
const CODE_BYTES: usize = 32;
/// Seconds between reloads of the page without script (the script polls its status faster).
pub const POLL_SECS: u32 = 4;
/// The QR code's accessible name.
const QR_TITLE: &str = "QR code: scan it with your wallet app to share your credential";

/// Where a session's check stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    /// Waiting for the wallet.
    Waiting,
    /// Done: the page moves on (back to the client).
    Finished,
}

impl Progress {
    /// The status line the page shows (and announces) for it.
    pub fn message(self) -> &'static str {
        match self {
            Self::Waiting => "Waiting for your wallet.",
            Self::Finished => "Done. Taking you back…",
        }
    }
}

/// The hand-off page's content.
#[derive(Clone, PartialEq, Eq)]
pub struct HandoffPage {
    /// The session (the page's own URL is `/oidc/handoff/{session_id}`).
    pub session_id: String,
    /// The client's display name.
    pub client_name: String,
    /// The title of the check the client asks for.
    pub check_title: String,
    /// `openid4vp://…`: the request, for a wallet on this device.
    pub wallet_url: String,
    /// The same link as a QR code (SVG, titled, `role="img"`).
    pub qr_svg: String,
    /// Where the check stands.
    pub progress: Progress,
    /// Seconds until the request expires.
    pub expires_in_secs: i64,
}

impl std::fmt::Debug for HandoffPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandoffPage")
            .field("progress", &self.progress)
            .finish_non_exhaustive()
    }
}

/// What a visit to the hand-off page leads to.
#[derive(Debug)]
pub enum Handoff {
    /// Still waiting: show the page.
    Page(HandoffPage),
    /// Concluded or refused: back to the client with a code or an error.
    Redirect(ClientRedirect),
    /// The session already ended; the page says so.
    Finished {
        /// The client's display name.
        client_name: String,
    },
}

/// What the browser does on the hand-off page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandoffVisit {
    /// Loads it (the first load creates the session's check).
    Load,
    /// The person cancels: the check is erased and the client told `access_denied`.
    Cancel,
}

/// `GET /oidc/handoff/{session_id}/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HandoffStatus {
    /// `waiting` or `finished` (then load the page again).
    pub status: Progress,
    /// The status line to show.
    pub message: &'static str,
}

/// A session's check, classified.
enum Outcome {
    /// The wallet has not answered yet.
    Pending,
    /// The presentation verified and signs the person in: issue the code.
    SignedIn,
    /// Anything else: `access_denied` with this `error_description`.
    Denied(String),
}

/// Whether a check that ended with `outcome` signs the person in, i.e. earns an authorization
/// code. The one place this is decided (the hand-off page and the token endpoint both ask): a
/// new outcome state must be placed here before it compiles. A right-to-work or right-to-rent
/// presentation that verified signs in while awaiting the employer's confirmation: the ID
/// token's `dvs_check` says so, and the employer still records its photo match through the
/// check API.
pub const fn signs_in(outcome: OutcomeState) -> bool {
    match outcome {
        OutcomeState::Compliant | OutcomeState::AwaitingConfirmation => true,
        OutcomeState::NotEligible | OutcomeState::Rejected => false,
    }
}

impl OpenIdProvider {
    /// A visit to the hand-off page by the browser holding `browser_secret`. Once the session
    /// has ended, whatever the visit, the page says so.
    pub async fn handoff(
        &self,
        session_id: &str,
        browser_secret: Option<&Secret>,
        visit: HandoffVisit,
    ) -> Result<Handoff, OidcError> {
        let (session, client_name) = match self.pending_session(session_id, browser_secret).await? {
            Ok(pending) => pending,
            Err(finished) => return Ok(finished),
        };
        let now = self.clock.now();
        match visit {
            HandoffVisit::Load => self.load(session, client_name, now).await,
            HandoffVisit::Cancel => self.cancel(session, client_name, now).await,
        }
    }

    /// A load of the page of a pending session. The first load creates the session's check.
    async fn load(
        &self,
        session: OidcSessionRow,
        client_name: String,
        now: i64,
    ) -> Result<Handoff, OidcError> {
        let check_id = match &session.check_id {
            Some(check_id) => check_id.clone(),
            None if now >= session.expires_at => {
                let expired = ReasonCode::RequestExpired.as_str();
                return self
                    .end_session(&session, client_name, "access_denied", expired, now)
                    .await;
            }
            None => match self.start_check(&session, now).await? {
                Ok(check_id) => check_id,
                Err((error, description)) => {
                    return self
                        .end_session(&session, client_name, error, description, now)
                        .await;
                }
            },
        };
        let check = self.session_check(&session.tenant_id, &check_id).await?;
        match outcome(&check, now)? {
            Outcome::Pending => {
                let tenant = self.tenants.tenant_row(&session.tenant_id).await?;
                let wallet_url = wallet_url(
                    &full_client_id(&tenant.client_id),
                    &request_uri(&self.settings.public_url, &check.request_id),
                );
                let qr_svg =
                    idv_service_kit::qr::svg(&wallet_url, QR_TITLE).map_err(OidcError::Qr)?;
                let check_title = self.checks.template_of(&check)?.title().to_owned();
                Ok(Handoff::Page(HandoffPage {
                    session_id: session.session_id,
                    client_name,
                    check_title,
                    wallet_url,
                    qr_svg,
                    progress: Progress::Waiting,
                    expires_in_secs: (check.expires_at - now).max(0),
                }))
            }
            Outcome::SignedIn => self.issue_code(&session, client_name, now).await,
            Outcome::Denied(why) => {
                if check.state == CheckState::Created.as_str() {
                    // Expired but not swept yet: end the check as the sweeper would.
                    self.checks.expire(&check, now).await?;
                }
                self.end_session(&session, client_name, "access_denied", &why, now)
                    .await
            }
        }
    }

    /// Creates the check of a session that has none (the same use case as `POST /v1/checks`;
    /// its `reference` is `oidc:<client_id>`) and attaches it. `Err((error, description))`
    /// when it cannot be created: the sign-in goes back to the client with that error.
    async fn start_check(
        &self,
        session: &OidcSessionRow,
        now: i64,
    ) -> Result<Result<String, (&'static str, &'static str)>, OidcError> {
        let template = session
            .scope
            .strip_prefix("openid ")
            .ok_or(OidcError::Corrupt {
                what: "session scope",
            })?;
        let row = self.tenants.tenant_row(&session.tenant_id).await?;
        let tenant = Tenant {
            tenant_id: row.tenant_id.clone(),
            client_id: row.client_id.clone(),
        };
        let handoff = handoff_url(&self.settings.public_url, &session.session_id);
        // A wallet on this device returns the person to the hand-off page, unless the tenant's
        // attestation restricts redirect URIs (the page then keeps polling on its own).
        let wallet_return = match self.tenants.signing_material(&tenant.tenant_id).await {
            Ok(material) if material.attestation.check_redirect_uri(&handoff).is_ok() => {
                Some(handoff)
            }
            _ => None,
        };
        let created = self
            .checks
            .create_check(
                &tenant,
                CheckRequest {
                    template: template.to_owned(),
                    webhook_url: None,
                    redirect_uri: wallet_return,
                    reference: Some(format!("oidc:{}", session.client_id)),
                    response_mode: None,
                },
            )
            .await;
        let check = match created {
            Ok(check) => check,
            Err(error) => {
                tracing::warn!(
                    oidc.client_id = %session.client_id, %error,
                    "check for an authorization session not created"
                );
                return Ok(Err(match error {
                    CheckError::NotAttested(_) | CheckError::TooManyOpenChecks { .. } => (
                        "temporarily_unavailable",
                        "the verifier cannot run this check for the client now",
                    ),
                    _ => ("server_error", "the check could not be created"),
                }));
            }
        };
        if self
            .store
            .attach_oidc_check(&session.session_id, &check.id, check.expires_at)
            .await?
        {
            tracing::info!(
                oidc.client_id = %session.client_id, check.id = %check.id,
                "authorization session's check created"
            );
            return Ok(Ok(check.id));
        }
        // A concurrent load of the page attached its check first: this one goes.
        self.checks.erase(&tenant.tenant_id, &check.id, now).await?;
        let reloaded = self
            .store
            .load_oidc_session(&session.session_id)
            .await?
            .ok_or(OidcError::UnknownSession)?;
        reloaded.check_id.map(Ok).ok_or(OidcError::Corrupt {
            what: "session check",
        })
    }

    /// Where the session's check stands, for the page's script.
    pub async fn handoff_status(
        &self,
        session_id: &str,
        browser_secret: Option<&Secret>,
    ) -> Result<HandoffStatus, OidcError> {
        let session = self.bound_session(session_id, browser_secret).await?;
        let status = match (session.status.as_str(), &session.check_id) {
            // The page has not been loaded yet: nothing has started.
            ("pending", None) => Progress::Waiting,
            ("pending", Some(check_id)) => {
                let check = self.session_check(&session.tenant_id, check_id).await?;
                match outcome(&check, self.clock.now())? {
                    Outcome::Pending => Progress::Waiting,
                    Outcome::SignedIn | Outcome::Denied(_) => Progress::Finished,
                }
            }
            _ => Progress::Finished,
        };
        Ok(HandoffStatus {
            status,
            message: status.message(),
        })
    }

    /// The person cancels a pending session: the check is erased and the client told
    /// `access_denied`.
    async fn cancel(
        &self,
        session: OidcSessionRow,
        client_name: String,
        now: i64,
    ) -> Result<Handoff, OidcError> {
        let handoff = self
            .end_session(
                &session,
                client_name,
                "access_denied",
                "the person cancelled the sign-in",
                now,
            )
            .await?;
        // Nothing the wallet sends now can be used: the check goes too.
        if let Some(check_id) = &session.check_id {
            self.checks.erase(&session.tenant_id, check_id, now).await?;
        }
        Ok(handoff)
    }

    /// The browser's session and its client's name while the session is pending; the
    /// [`Handoff::Finished`] page once it has ended.
    async fn pending_session(
        &self,
        session_id: &str,
        browser_secret: Option<&Secret>,
    ) -> Result<Result<(OidcSessionRow, String), Handoff>, OidcError> {
        let session = self.bound_session(session_id, browser_secret).await?;
        let client_name = self.session_client_name(&session).await?;
        if session.status != "pending" {
            return Ok(Err(Handoff::Finished { client_name }));
        }
        Ok(Ok((session, client_name)))
    }

    /// The session, if `browser_secret` is the cookie of the browser that started it.
    async fn bound_session(
        &self,
        session_id: &str,
        browser_secret: Option<&Secret>,
    ) -> Result<OidcSessionRow, OidcError> {
        let session = self
            .store
            .load_oidc_session(session_id)
            .await?
            .ok_or(OidcError::UnknownSession)?;
        let presented = browser_secret.map(|s| hash_secret(s.expose()));
        if !presented
            .is_some_and(|p| constant_time_eq(p.as_bytes(), session.browser_hash.as_bytes()))
        {
            return Err(OidcError::OtherBrowser);
        }
        Ok(session)
    }

    /// The session's client's name; a removed client ends its sessions.
    async fn session_client_name(&self, session: &OidcSessionRow) -> Result<String, OidcError> {
        Ok(self
            .registered_client(&session.client_id)
            .await?
            .ok_or(OidcError::UnknownSession)?
            .name)
    }

    async fn session_check(&self, tenant_id: &str, check_id: &str) -> Result<CheckRow, OidcError> {
        self.store
            .load_check(tenant_id, check_id)
            .await?
            .ok_or(OidcError::Corrupt {
                what: "session check",
            })
    }

    /// `pending → code_issued`: the code, and the browser back to the client with it.
    async fn issue_code(
        &self,
        session: &OidcSessionRow,
        client_name: String,
        now: i64,
    ) -> Result<Handoff, OidcError> {
        let code = idv_jose::random::token(self.random.as_ref(), CODE_BYTES);
        if !self
            .store
            .issue_oidc_code(
                &session.session_id,
                &hash_secret(&code),
                now,
                now + CODE_LIFETIME_SECS,
            )
            .await?
        {
            // Another request (a second tab, the script and a refresh) ended it first.
            return Ok(Handoff::Finished { client_name });
        }
        tracing::info!(
            oidc.client_id = %session.client_id,
            check.id = session.check_id.as_deref().unwrap_or_default(),
            "authorization code issued"
        );
        Ok(Handoff::Redirect(self.client_redirect(
            &session.redirect_uri,
            &[("code", &code)],
            session.state.as_deref(),
        )?))
    }

    /// `pending → denied`, and the browser back to the client with `error` (`access_denied`,
    /// or `temporarily_unavailable` / `server_error` when its check could not be created).
    async fn end_session(
        &self,
        session: &OidcSessionRow,
        client_name: String,
        error: &str,
        why: &str,
        now: i64,
    ) -> Result<Handoff, OidcError> {
        if !self
            .store
            .deny_oidc_session(&session.session_id, now)
            .await?
        {
            return Ok(Handoff::Finished { client_name });
        }
        tracing::info!(
            oidc.client_id = %session.client_id, oidc.error = error,
            "authorization session denied"
        );
        Ok(Handoff::Redirect(self.client_redirect(
            &session.redirect_uri,
            &[("error", error), ("error_description", why)],
            session.state.as_deref(),
        )?))
    }
}

fn outcome(check: &CheckRow, now: i64) -> Result<Outcome, OidcError> {
    let state = CheckState::parse(&check.state).ok_or(OidcError::Corrupt {
        what: "check state",
    })?;
    Ok(match state {
        CheckState::Created if now < check.expires_at => Outcome::Pending,
        CheckState::Created | CheckState::Expired => {
            Outcome::Denied(ReasonCode::RequestExpired.as_str().to_owned())
        }
        CheckState::Completed | CheckState::Failed => {
            let record = OutcomeRecord::of_row(check)
                .map_err(|_| OidcError::Corrupt { what: "outcome" })?
                .ok_or(OidcError::Corrupt { what: "outcome" })?;
            if signs_in(record.state) {
                Outcome::SignedIn
            } else {
                Outcome::Denied(reason_codes(&record))
            }
        }
        CheckState::Erased => Outcome::Denied("the check was withdrawn".to_owned()),
    })
}

/// The record's distinct reason codes, space-separated (its outcome when it names none).
fn reason_codes(record: &OutcomeRecord) -> String {
    let mut codes: Vec<&str> = Vec::new();
    for code in record.codes().map(ReasonCode::as_str) {
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    if codes.is_empty() {
        record.state.as_str().to_owned()
    } else {
        codes.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use idv_checks::reason::Reason;

    use super::*;

    #[test]
    fn only_a_verified_outcome_signs_in() {
        assert!(signs_in(OutcomeState::Compliant));
        assert!(signs_in(OutcomeState::AwaitingConfirmation));
        assert!(!signs_in(OutcomeState::NotEligible));
        assert!(!signs_in(OutcomeState::Rejected));
    }

    #[test]
    fn a_denial_names_the_distinct_reason_codes_only() {
        let template = idv_checks::templates::TemplateRef {
            id: "right_to_work".into(),
            version: 1,
        };
        let mut record = OutcomeRecord::rejected(template, ReasonCode::ProviderSuspended, 1);
        record
            .reasons
            .push(Reason::from(ReasonCode::CredentialRevoked));
        record
            .reasons
            .push(Reason::from(ReasonCode::ProviderSuspended));
        assert_eq!(
            reason_codes(&record),
            "provider_suspended credential_revoked"
        );
        record.reasons.clear();
        assert_eq!(reason_codes(&record), "rejected");
    }
}
