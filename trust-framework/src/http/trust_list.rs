//! Public endpoints: the signed trust list and the anchor key for out-of-band pinning.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use idv_jose::JwkSet;
use idv_proto::trust::trust_list::TRUST_LIST_MEDIA_TYPE;
use idv_service_kit::ApiError;
use idv_service_kit::http::Json;

use super::AppState;

/// `GET /trust-list`: `application/dvs-trust-list+jwt`, cacheable until `next_update`, with a
/// strong `ETag` over `list_id` and `sequence` (a `sequence` names one content); `304 Not
/// Modified`, without the list, when `If-None-Match` names it (RFC 9110 §13.1.2, weak
/// comparison) or is `*`. Relying services refetch often (the verifier's `trust.refresh_secs`),
/// so an unchanged list costs them a few hundred bytes.
pub(super) async fn get_trust_list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let list = state.register.trust_list().current().await?;
    let etag = list.etag();
    let cache_control = format!("public, max-age={}", list.max_age);
    let not_modified = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag);
    let headers = [(header::ETAG, etag), (header::CACHE_CONTROL, cache_control)];
    if not_modified {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    Ok((
        headers,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(TRUST_LIST_MEDIA_TYPE),
        )],
        list.jws,
    )
        .into_response())
}

/// `GET /.well-known/trust-anchor`: the anchor's public JWK Set. For pinning out of band only;
/// see the module doc of `crate::http`.
pub(super) async fn get_trust_anchor(State(state): State<AppState>) -> Json<JwkSet> {
    Json(JwkSet {
        keys: vec![state.register.anchor().public_jwk()],
    })
}
