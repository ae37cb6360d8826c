//! The well-known metadata documents (see [`crate::issuance::metadata`]).

use axum::extract::State;
use idv_proto::oid4vci::authorization_server_metadata::AuthorizationServerMetadata;
use idv_proto::oid4vci::issuer_metadata::CredentialIssuerMetadata;
use idv_service_kit::ApiError;
use idv_service_kit::http::Json;

use super::AppState;
use crate::issuance::metadata::{
    JwtVcIssuerMetadata, authorization_server_metadata, credential_issuer_metadata,
};

/// `GET /.well-known/openid-credential-issuer[/path]`.
pub(super) async fn get_credential_issuer_metadata(
    State(state): State<AppState>,
) -> Json<CredentialIssuerMetadata> {
    Json(credential_issuer_metadata(state.issuer.settings()))
}

/// `GET /.well-known/oauth-authorization-server[/path]`.
pub(super) async fn get_authorization_server_metadata(
    State(state): State<AppState>,
) -> Json<AuthorizationServerMetadata> {
    Json(authorization_server_metadata(state.issuer.settings()))
}

/// `GET /.well-known/jwt-vc-issuer[/path]`.
pub(super) async fn get_jwt_vc_issuer_metadata(
    State(state): State<AppState>,
) -> Result<Json<JwtVcIssuerMetadata>, ApiError> {
    Ok(Json(
        state.issuer.metadata().jwt_vc_issuer_metadata().await?,
    ))
}
