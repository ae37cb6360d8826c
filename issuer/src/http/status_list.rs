//! `GET /status-lists/{list_id}`: the signed Status List Token, `application/statuslist+jwt`,
//! cacheable by HTTP for what is left of its `ttl` (the token's own `ttl` and `exp` take
//! priority for relying parties).

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use idv_proto::status_list::STATUS_LIST_TOKEN_MEDIA_TYPE;
use idv_service_kit::ApiError;
use idv_service_kit::http::Path;

use super::AppState;

pub(super) async fn get_status_list(
    State(state): State<AppState>,
    Path(list_id): Path<String>,
) -> Result<Response, ApiError> {
    let signed = state
        .issuer
        .status_lists()
        .status_list_token(&list_id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such status list"))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(STATUS_LIST_TOKEN_MEDIA_TYPE),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_str(&format!("public, max-age={}", signed.max_age))
                    .unwrap_or_else(|_| HeaderValue::from_static("no-cache")),
            ),
        ],
        signed.token,
    )
        .into_response())
}
