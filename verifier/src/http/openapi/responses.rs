//! The responses many operations share, as response components: the limits' 429 and 413
//! (`http/limits.rs`, `[limits]`), the database's 503, the tenant API's 401, 404 and 409s, the
//! wallet's request object, and the OpenID Provider's redirects and pages.

use idv_proto::oid4vp::authorization_request::REQUEST_OBJECT_MEDIA_TYPE;
use utoipa::ToResponse;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{Content, HeaderBuilder, Ref, RefOr, Response, ResponseBuilder};

/// RFC 6585 §4 429: a rate limit or cap of `[limits]`.
pub(crate) struct TooManyRequests;
/// RFC 6585 §4 429 as an HTML page, at the authorization endpoint.
pub(crate) struct TooManySignIns;
/// RFC 9110 §15.5.14 413: a body over `[limits] max_body_bytes`.
pub(crate) struct ContentTooLarge;
/// RFC 9110 §15.6.4 503: the database does not answer for now.
pub(crate) struct Unavailable;
/// 401 at the tenant API.
pub(crate) struct Unauthorized;
/// 404 at the tenant API.
pub(crate) struct CheckNotFound;
/// 409 at the tenant API: the check no longer waits for a wallet.
pub(crate) struct NotWaiting;
/// 409 at the tenant API's evidence and clear copy: no signed record to give.
pub(crate) struct NoEvidence;
/// 200 at the request URI: the signed request object.
pub(crate) struct RequestObject;
/// 503 at the request URI: the tenant's attestation is not usable.
pub(crate) struct AttestationUnusable;
/// 303 from the authorization endpoint.
pub(crate) struct ToHandoff;
/// 400 page from the authorization endpoint: unknown client or redirect URI.
pub(crate) struct UnknownClientPage;
/// 400 page at the hand-off page's paths: no such session.
pub(crate) struct SessionUnknownPage;
/// 403 page at the hand-off page's paths: not this browser's session.
pub(crate) struct SessionRefusedPage;

impl<'r> ToResponse<'r> for TooManyRequests {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = with_retry_after(error_response(
            "Too Many Requests (RFC 6585 §4): a rate limit of `[limits]` (per client address; \
             per tenant for the tenant API's writes), or a cap (`max_open_checks_per_tenant` on \
             `POST /v1/checks`). `error` is `temporarily_unavailable`.",
        ));
        ("TooManyRequests", response.build().into())
    }
}

impl<'r> ToResponse<'r> for TooManySignIns {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = with_retry_after(page_response(
            "Too Many Requests (RFC 6585 §4), as an HTML page for the person: too many \
             authorization requests from this address (`authorize_per_ip`) or for this client \
             (`authorize_per_client`), or too many of the client's sign-ins pending \
             (`max_pending_sessions_per_client`).",
        ));
        ("TooManySignIns", response.build().into())
    }
}

impl<'r> ToResponse<'r> for ContentTooLarge {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = error_response(
            "Content Too Large (RFC 9110 §15.5.14): the body exceeds `[limits] max_body_bytes` \
             (2 MiB by default). `error` is `invalid_request`; a malformed body is 400 instead.",
        );
        ("ContentTooLarge", response.build().into())
    }
}

impl<'r> ToResponse<'r> for Unavailable {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = with_retry_after(error_response(
            "Service Unavailable (RFC 9110 §15.6.4): the database does not answer for now (a \
             pool timeout, a refused or dropped connection, a locked SQLite file). Nothing was \
             changed; try again after `Retry-After`. `error` is `temporarily_unavailable`.",
        ));
        ("Unavailable", response.build().into())
    }
}

impl<'r> ToResponse<'r> for Unauthorized {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = error_response(
            "Missing, unknown or revoked API key (`invalid_token`, with `WWW-Authenticate: \
             Bearer`)",
        );
        ("Unauthorized", response.build().into())
    }
}

impl<'r> ToResponse<'r> for CheckNotFound {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = error_response(
            "No such check for this tenant (`not_found`); another tenant's checks do not exist \
             for it",
        );
        ("CheckNotFound", response.build().into())
    }
}

impl<'r> ToResponse<'r> for NotWaiting {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = error_response("The check no longer waits for a wallet (`conflict`)");
        ("NotWaiting", response.build().into())
    }
}

impl<'r> ToResponse<'r> for NoEvidence {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = error_response(
            "No evidence to give (`conflict`): the check's personal data was purged at the end \
             of its retention, or the check has no signed record (still waiting for a wallet, \
             expired, erased, or a same-device result not yet released by its response code)",
        );
        ("NoEvidence", response.build().into())
    }
}

impl<'r> ToResponse<'r> for RequestObject {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = ResponseBuilder::new()
            .description("The request object")
            .content(REQUEST_OBJECT_MEDIA_TYPE, Content::new(Some(string())));
        ("RequestObject", response.build().into())
    }
}

impl<'r> ToResponse<'r> for AttestationUnusable {
    fn response() -> (&'r str, RefOr<Response>) {
        let response =
            error_response("The tenant's attestation is not usable (`temporarily_unavailable`)");
        ("AttestationUnusable", response.build().into())
    }
}

impl<'r> ToResponse<'r> for ToHandoff {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = ResponseBuilder::new()
            .description(
                "To the hand-off page `/oidc/handoff/{session_id}` (with `Set-Cookie: \
                 idv_oidc=…`), or back to the client with an error",
            )
            .header("Location", HeaderBuilder::new().schema(string()).build());
        ("ToHandoff", response.build().into())
    }
}

impl<'r> ToResponse<'r> for UnknownClientPage {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = page_response(
            "Unknown client or unregistered redirect URI: an error page, no redirect",
        );
        ("UnknownClientPage", response.build().into())
    }
}

impl<'r> ToResponse<'r> for SessionUnknownPage {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = page_response("Unknown or expired session");
        ("SessionUnknownPage", response.build().into())
    }
}

impl<'r> ToResponse<'r> for SessionRefusedPage {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = page_response("The session cookie is missing or another browser's");
        ("SessionRefusedPage", response.build().into())
    }
}

/// A response with an HTML page for the person as its body.
fn page_response(description: &str) -> ResponseBuilder {
    ResponseBuilder::new()
        .description(description)
        .content("text/html", Content::new(Some(string())))
}

/// A response with an OAuth error object (`Error`) as its JSON body.
fn error_response(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        Content::new(Some(Ref::from_schema_name("Error"))),
    )
}

/// Adds `Retry-After` (RFC 9110 §10.2.3) in seconds, as `idv_service_kit` sends it.
fn with_retry_after(response: ResponseBuilder) -> ResponseBuilder {
    let seconds = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1));
    response.header(
        "Retry-After",
        HeaderBuilder::new()
            .schema(seconds)
            .description(Some(
                "Seconds to wait before trying again (RFC 9110 §10.2.3).",
            ))
            .build(),
    )
}

/// `{"type": "string"}`.
fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}
