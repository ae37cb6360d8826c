//! The scheme's credential types: `GET /type-metadata/{name}` (SD-JWT VC Type Metadata,
//! `application/json`) and `GET /type-metadata/{name}/schema` (JSON Schema,
//! `application/schema+json`), served byte for byte as the trust list pins them, with the
//! headers SD-JWT VC "Serving Documents and Rendering Resources" recommends and a day's
//! freshness ("Retrieving Documents and Resources via HTTP").

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use idv_proto::sd_jwt_vc::type_metadata::TYPE_METADATA_MEDIA_TYPE;
use idv_proto::trust::credential_type::JSON_SCHEMA_MEDIA_TYPE;
use idv_service_kit::ApiError;

use crate::credential_types::{self, PublishedType};

/// `GET /type-metadata/{name}`.
pub(super) async fn get_type_metadata(Path(name): Path<String>) -> Result<Response, ApiError> {
    let published = find(&name)?;
    Ok(document(published.metadata, TYPE_METADATA_MEDIA_TYPE))
}

/// `GET /type-metadata/{name}/schema`.
pub(super) async fn get_schema(Path(name): Path<String>) -> Result<Response, ApiError> {
    let published = find(&name)?;
    Ok(document(published.schema, JSON_SCHEMA_MEDIA_TYPE))
}

fn find(name: &str) -> Result<&'static PublishedType, ApiError> {
    credential_types::find(name)
        .ok_or_else(|| ApiError::not_found(format!("no credential type is published as `{name}`")))
}

fn document(body: &'static str, media_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(media_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'"),
            ),
        ],
        body,
    )
        .into_response()
}
