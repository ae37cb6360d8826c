//! Schemas of bodies whose Rust types the verifier does not own: types of libraries built
//! without utoipa (`idv-checks`, `idv-jose`, `idv-service-kit`) and bodies assembled as JSON
//! values (provider metadata, userinfo claims, the OAuth request parameters read from raw
//! text). Each type here only describes a body for the document and is never built; the
//! verifier's integration tests validate real responses against the document, so a change to
//! the type it describes fails there.

#![allow(
    dead_code,
    reason = "schema-only types: read by the ToSchema/IntoParams derives, never constructed"
)]

use idv_proto::trust::entry::Organisation;
use serde_json::Value;
use utoipa::openapi::schema::{Array, ArrayBuilder, ObjectBuilder, SchemaType, Type};
use utoipa::{IntoParams, ToSchema};

/// An OAuth error object (RFC 6749 §5.2): the body of every JSON error
/// (`idv_service_kit::ApiError`).
#[derive(ToSchema)]
#[schema(as = Error)]
pub(crate) struct ErrorObject {
    /// The error code, e.g. `invalid_request`.
    error: String,
    /// A human-readable explanation; at the wallet endpoints it starts with a stable reason
    /// code. Absent on 5xx.
    error_description: Option<String>,
}

/// A template's id and version (`idv_checks::templates::TemplateRef`).
#[derive(ToSchema)]
pub(crate) struct TemplateRef {
    /// e.g. `right_to_work`.
    id: String,
    /// Starts at 1; a changed query or rule is a new version.
    #[schema(minimum = 1)]
    version: u32,
}

/// The check's verdict (`idv_checks::reason::OutcomeState`). `awaiting_confirmation`: a
/// right-to-work or right-to-rent presentation verified and is eligible, but the employer or
/// landlord must still compare the photo and date of birth with the person (in person or by
/// live video call) and record it with `POST /v1/checks/{check_id}/confirmation`; only then is
/// it `compliant` (a statutory excuse needs that step).
#[derive(ToSchema)]
#[schema(as = Outcome)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OutcomeState {
    /// Every check passed and the scheme's rules accept the person.
    Compliant,
    /// Verified and eligible; the relying party's confirmation is still to come.
    AwaitingConfirmation,
    /// Verified, but the scheme's rules do not accept it: another route must be used.
    NotEligible,
    /// The presentation (or the exchange) failed verification.
    Rejected,
}

/// The step of a check that produced a reason (`idv_checks::reason::Step`).
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Step {
    /// The OpenID4VP exchange itself.
    Request,
    /// Whether the presented credentials answer the DCQL query.
    Match,
    /// The issuer-signed SD-JWT and its disclosures.
    Signature,
    /// The Key Binding JWT.
    Binding,
    /// The credential's validity period and status.
    Status,
    /// The trust list.
    Trust,
    /// The template's scheme rules.
    Rule,
    /// The relying party's confirmation step.
    Confirmation,
}

/// One reason a check is not compliant (`idv_checks::reason::Reason`).
#[derive(ToSchema)]
pub(crate) struct Reason {
    /// Stable reason code, e.g. credential_revoked, key_binding_nonce_mismatch,
    /// nationality_not_eligible, document_country_not_eligible, claim_invalid,
    /// holder_not_matched.
    code: String,
    /// The step that produced it.
    step: Step,
    /// A fixed explanation; never personal data.
    message: String,
    /// For `claim_invalid`: the claims path of the claim whose value is unusable.
    #[schema(schema_with = claims_path)]
    claim: Option<Vec<Value>>,
}

/// `Reason::claim`: a claims path (OpenID4VP 1.0 §7), an array of keys, indexes and `null`
/// (every element).
fn claims_path() -> Array {
    let element = ObjectBuilder::new().schema_type(SchemaType::from_iter([
        Type::String,
        Type::Integer,
        Type::Null,
    ]));
    ArrayBuilder::new()
        .items(element)
        .description(Some(
            "For `claim_invalid`: the claims path of the claim whose value is unusable (never \
             the value).",
        ))
        .build()
}

/// The certified provider that vouched for the credential (`idv_checks::outcome::Provider`).
#[derive(ToSchema)]
pub(crate) struct Provider {
    /// The register entry id, e.g. `dvs-000123`.
    register_id: String,
    /// The provider organisation.
    organisation: Organisation,
    /// The certified service's name.
    service: String,
}

/// The trust list a decision was taken on (`idv_checks::outcome::TrustListRef`).
#[derive(ToSchema)]
pub(crate) struct TrustListRef {
    /// The list's `list_id`.
    list_id: String,
    /// Its `sequence`.
    sequence: u64,
}

/// Whether the person matched the credential's holder
/// (`idv_checks::confirmation::ConfirmationDecision`).
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ConfirmationDecision {
    /// The person is the holder.
    Confirmed,
    /// The person is not the holder: the check fails with `holder_not_matched`.
    NotMatched,
}

/// How the checker compared the person with the photo
/// (`idv_checks::confirmation::ConfirmationMethod`).
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ConfirmationMethod {
    /// With the person physically present.
    InPerson,
    /// By a live video call.
    VideoCall,
}

/// The relying party's confirmation, as recorded (`idv_checks::Confirmation`).
#[derive(ToSchema)]
pub(crate) struct Confirmation {
    /// Confirmed, or not matched.
    decision: ConfirmationDecision,
    /// In person or by video call.
    method: ConfirmationMethod,
    /// Who compared the photo with the person.
    checker_name: String,
    /// When the comparison was recorded (Unix seconds).
    confirmed_at: i64,
    /// When employment (or the tenancy) starts.
    #[schema(format = Date)]
    start_date: Option<String>,
}

/// One evidence key with its validity (`idv_checks::evidence::EvidenceKey`).
#[derive(ToSchema)]
pub(crate) struct EvidenceKey {
    /// The key's RFC 7638 thumbprint: the `kid` of the records it signed.
    kid: String,
    /// The public key (EC P-256), with `kid`, `alg` `ES256` and `use` `sig`.
    #[schema(value_type = Object)]
    jwk: Value,
    /// When it became the signing key (Unix seconds).
    not_before: i64,
    /// When it was retired (Unix seconds); absent while it signs.
    not_after: Option<i64>,
}

/// Every key that ever signed the verifier's check records, current first
/// (`idv_checks::evidence::EvidenceKeys`).
#[derive(ToSchema)]
pub(crate) struct EvidenceKeys {
    /// The verifier: the `iss` of its check records.
    issuer: String,
    /// The keys.
    keys: Vec<EvidenceKey>,
}

/// A JWK Set (RFC 7517 §5; `idv_jose::JwkSet`).
#[derive(ToSchema)]
pub(crate) struct JwkSet {
    /// The keys, as JWKs.
    #[schema(value_type = Vec<Object>)]
    keys: Vec<Value>,
}

/// OpenID Provider Metadata (OpenID Connect Discovery 1.0 §3), built by
/// `Verifier::openid_configuration`.
#[derive(ToSchema)]
pub(crate) struct OpenidConfiguration {
    /// The verifier's public URL.
    issuer: String,
    /// `…/oidc/authorize`.
    authorization_endpoint: String,
    /// `…/oidc/token`.
    token_endpoint: String,
    /// `…/oidc/userinfo`.
    userinfo_endpoint: String,
    /// `…/.well-known/jwks.json`.
    jwks_uri: String,
    /// `openid` and the check templates.
    scopes_supported: Vec<String>,
    /// `["code"]`.
    response_types_supported: Vec<String>,
    /// `["query"]`.
    response_modes_supported: Vec<String>,
    /// `["authorization_code"]`.
    grant_types_supported: Vec<String>,
    /// `["pairwise"]`: `sub` is the check id, one check, never a person.
    subject_types_supported: Vec<String>,
    /// `["ES256"]`.
    id_token_signing_alg_values_supported: Vec<String>,
    /// `client_secret_basic` and `client_secret_post`.
    token_endpoint_auth_methods_supported: Vec<String>,
    /// The ID token's claims, `dvs_check` and the templates' disclosed claims.
    claims_supported: Vec<String>,
    /// `false`.
    claims_parameter_supported: bool,
    /// `false`.
    request_parameter_supported: bool,
    /// `false`.
    request_uri_parameter_supported: bool,
    /// `["S256"]`.
    code_challenge_methods_supported: Vec<String>,
    /// `true` (RFC 9207).
    authorization_response_iss_parameter_supported: bool,
    /// `["en"]`.
    ui_locales_supported: Vec<String>,
}

/// The sign-in's claims at the userinfo endpoint: `sub` and `dvs_check`, then the check's
/// disclosed claims as top-level claims under their credential names (`given_name`,
/// `family_name`, `birthdate`, `nationalities`, `portrait`, `document`, `verification`;
/// `age_over_NN` for an age check).
#[derive(ToSchema)]
pub(crate) struct SignInClaims {
    /// The check id: identifies one check, never a person across checks.
    sub: String,
    /// The check as `GET /v1/checks/{check_id}` shows it, without `claims`, `reference` and
    /// `wallet_url`.
    dvs_check: crate::checks::CheckView,
}

/// An authorization request (OpenID Connect Core 1.0 §3.1.2.1), in the query of `GET` or the
/// form body of `POST /oidc/authorize`.
#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuthorizationRequest {
    /// A registered client's id (`verifier oidc-client add`).
    client_id: String,
    /// One of the client's registered redirect URIs, exactly.
    redirect_uri: String,
    /// `code`.
    response_type: String,
    /// `openid` and exactly one check template the client may run, e.g. `openid
    /// right_to_work`; other scopes are ignored.
    scope: String,
    /// PKCE: base64url(SHA-256(code_verifier)).
    code_challenge: String,
    /// `S256` (`plain` is refused).
    code_challenge_method: String,
    /// Echoed in the redirect.
    state: Option<String>,
    /// Echoed in the ID token.
    nonce: Option<String>,
    /// `query` (the only mode).
    response_mode: Option<String>,
    /// `none` is refused with `login_required`.
    prompt: Option<String>,
}

/// A token request (RFC 6749 §4.1.3, with PKCE's `code_verifier`, RFC 7636 §4.5).
#[derive(ToSchema)]
pub(crate) struct TokenRequest {
    /// `authorization_code`.
    grant_type: String,
    /// The authorization code.
    code: String,
    /// The authorization request's `redirect_uri`.
    redirect_uri: String,
    /// The PKCE code verifier.
    code_verifier: String,
    /// `client_secret_post`.
    client_id: Option<String>,
    /// `client_secret_post`.
    client_secret: Option<String>,
}

/// `GET /healthz` (`idv_service_kit::http::health_routes`): `{"status": "ok"}`.
#[derive(ToSchema)]
pub(crate) struct Health {
    /// `ok`.
    status: String,
}

/// `GET /readyz` (`idv_service_kit::http::Readiness`): `{"status": "ready"}`, or
/// `{"status": "not_ready", "not_ready": [...]}` naming what is not ready.
#[derive(ToSchema)]
pub(crate) struct Readiness {
    /// `ready` or `not_ready`.
    status: String,
    /// What is not ready: `database`, `trust_list`.
    not_ready: Option<Vec<String>>,
}
