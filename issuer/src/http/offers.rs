//! `/v1/offers/{offer_id}/qr.svg|qr.png`: the offer link as a QR code, while the offer is live
//! (operator API; never cached, since the code leads to the pre-authorized code).

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use idv_service_kit::ApiError;
use idv_service_kit::http::Path;

use super::AppState;

pub(super) async fn get_qr_svg(
    State(state): State<AppState>,
    Path(offer_id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let svg = state.issuer.offers().offer_qr_svg(&offer_id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        svg,
    ))
}

pub(super) async fn get_qr_png(
    State(state): State<AppState>,
    Path(offer_id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let png = state.issuer.offers().offer_qr_png(&offer_id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        png,
    ))
}
