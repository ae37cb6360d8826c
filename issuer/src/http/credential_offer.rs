//! `GET /credential-offer/{offer_id}`: the Credential Offer object by reference
//! (OpenID4VCI 1.0 "Sending Credential Offer by Reference"), `application/json`, never cached
//! (it carries the pre-authorized code). Unknown, expired, redeemed or locked offers are 404.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use idv_service_kit::ApiError;
use idv_service_kit::http::{Json, Path};

use super::AppState;

pub(super) async fn get_credential_offer(
    State(state): State<AppState>,
    Path(offer_id): Path<String>,
) -> Result<Response, ApiError> {
    let offer = state
        .issuer
        .offers()
        .credential_offer(&offer_id)
        .await?
        .ok_or_else(|| ApiError::not_found("no live credential offer at this URI"))?;
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(offer),
    )
        .into_response())
}
