//! `GET /type-metadata/{name}[/schema]`: the scheme's credential types, served exactly as the
//! signed trust list pins them.

use idv_jose::integrity;
use idv_proto::sd_jwt_vc::type_metadata::TypeMetadata;
use idv_proto::sd_jwt_vc::vct::{AGE_VCT, IDENTITY_VCT};
use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use reqwest::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS,
};

use crate::helpers::{PUBLIC_URL, TestApp, error_body};

test_on_both_databases!(
    the_trust_list_pins_every_type_and_its_schema_as_served,
    an_unknown_type_is_not_found,
);

async fn the_trust_list_pins_every_type_and_its_schema_as_served(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let list = app.verified_list().await;
    let types = &list.claims().type_metadata;
    assert_eq!(
        types.keys().map(String::as_str).collect::<Vec<_>>(),
        [AGE_VCT, IDENTITY_VCT]
    );
    for (vct, reference) in types {
        let path = reference.uri.strip_prefix(PUBLIC_URL).unwrap();
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(response.headers()[CACHE_CONTROL], "public, max-age=86400");
        assert_eq!(response.headers()[X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(
            response.headers()[CONTENT_SECURITY_POLICY],
            "default-src 'none'"
        );
        let body = response.bytes().await.unwrap();
        integrity::check(&reference.uri_integrity, &body).unwrap();
        let metadata: TypeMetadata = serde_json::from_slice(&body).unwrap();
        assert_eq!(&metadata.vct, vct);

        let schema = reference.schema.as_ref().unwrap();
        assert_eq!(schema.uri, format!("{}/schema", reference.uri));
        let path = schema.uri.strip_prefix(PUBLIC_URL).unwrap();
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/schema+json");
        let body = response.bytes().await.unwrap();
        integrity::check(&schema.uri_integrity, &body).unwrap();
    }
}

async fn an_unknown_type_is_not_found(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    for path in ["/type-metadata/uk-rtw-1", "/type-metadata/uk-age-2/schema"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let (error, _) = error_body(response, StatusCode::NOT_FOUND).await;
        assert_eq!(error, "not_found", "{path}");
    }
}
