//! Same-device `redirect_uri` by allow-list: https; plain http only to a loopback host the
//! operator allows; an app's scheme only where the relying party's attestation lists the URI;
//! and where the attestation lists redirect URIs, only those.

use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Federation, TenantCredentials, error_body};

test_on_both_databases!(
    redirect_uris_are_allowed_by_scheme_not_blocked,
    an_attested_list_of_redirect_uris_binds_same_device_checks,
);

async fn created(fed: &Federation, tenant: &TenantCredentials, uri: &str) -> bool {
    let response = fed
        .post_check(
            tenant,
            &json!({"template": "age_over_18", "redirect_uri": uri}),
        )
        .await;
    response.status() == StatusCode::CREATED
}

async fn refused(fed: &Federation, tenant: &TenantCredentials, uri: &str) -> String {
    let (error, description) = error_body(
        fed.post_check(
            tenant,
            &json!({"template": "age_over_18", "redirect_uri": uri}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error, "invalid_redirect_uri", "{uri}: {description}");
    description
}

async fn redirect_uris_are_allowed_by_scheme_not_blocked(db: TestDb) {
    let fed = Federation::start_with(&db, |c| {
        c.checks.redirect_allow_hosts = vec!["127.0.0.1:7777".into()];
    })
    .await;
    let tenant = fed.tenant.clone();
    for (uri, why) in [
        ("vbscript:msgbox(1)", "scheme `vbscript`"),
        ("javascript:alert(document.cookie)", "scheme `javascript`"),
        ("data:text/html,<script>alert(1)</script>", "scheme `data`"),
        ("file:///etc/passwd", "scheme `file`"),
        ("http://employer.example.co.uk/cb", "plain http"),
        ("http://127.0.0.1:7778/cb", "plain http"),
        ("https://employer.example.co.uk/cb#x", "fragment"),
        // A private-use scheme, but this relying party registered no redirect URIs.
        ("uk.co.employer.app:/cb", "app scheme"),
    ] {
        let description = refused(&fed, &tenant, uri).await;
        assert!(description.contains(why), "{uri}: {description}");
    }
    for uri in [
        "https://employer.example.co.uk/onboarding/cb",
        "http://127.0.0.1:7777/cb",
    ] {
        assert!(created(&fed, &tenant, uri).await, "{uri}");
    }
    fed.stop().await;
}

async fn an_attested_list_of_redirect_uris_binds_same_device_checks(db: TestDb) {
    let fed = Federation::start(&db).await;
    let listed = ["https://agency.example.co.uk/cb", "uk.co.agency.app:/cb"];
    let tenant = fed
        .registered_tenant_with_redirect_uris("agency.example.co.uk", Some(&listed))
        .await;
    for uri in listed {
        assert!(created(&fed, &tenant, uri).await, "{uri}");
    }
    for uri in [
        "https://agency.example.co.uk/other",
        "https://agency.example.co.uk/cb?x=1",
        "uk.co.agency.app:/elsewhere",
    ] {
        let description = refused(&fed, &tenant, uri).await;
        assert!(description.contains("not among"), "{uri}: {description}");
    }
    fed.stop().await;
}
