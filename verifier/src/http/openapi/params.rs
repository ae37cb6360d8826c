//! The path and cookie parameters many operations share.

#![allow(
    dead_code,
    reason = "parameter-only types: read by the IntoParams derive, never constructed"
)]

use utoipa::IntoParams;

/// `{check_id}` of the tenant API's paths.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct CheckPath {
    /// The check id (`chk_…`).
    check_id: String,
}

/// `{request_id}` of the wallet endpoints' paths.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct RequestPath {
    /// The wallet-facing request id from `request_uri`.
    request_id: String,
}

/// `{session_id}` of the hand-off page's paths.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct HandoffPath {
    /// The authorization session (from the authorization endpoint's redirect).
    session_id: String,
}

/// The hand-off page's session cookie (`crate::oidc::SESSION_COOKIE`).
#[derive(IntoParams)]
#[into_params(parameter_in = Cookie)]
pub(crate) struct SessionCookie {
    /// The session's browser binding, set by the authorization endpoint (`HttpOnly`,
    /// `SameSite=Lax`, path of the hand-off page).
    idv_oidc: String,
}
