//! The served OpenAPI document against the live router: every documented operation is
//! served and every other method of a documented path is refused, and real responses validate
//! against the schemas the document gives them.

mod schema;

use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Federation, british_citizen};
use crate::wallet::{answer_error, fetch_request, present, respond, vp_token};

test_on_both_databases!(
    every_documented_route_is_served,
    real_responses_validate_against_the_document,
);

/// The methods a route table could serve.
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn document(fed: &Federation) -> Value {
    let response = fed
        .client
        .get(fed.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    response.json().await.unwrap()
}

async fn every_documented_route_is_served(db: TestDb) {
    let fed = Federation::start(&db).await;
    let doc = document(&fed).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{check_id}", "chk_none")
            .replace("{request_id}", "none")
            .replace("{session_id}", "none");
        for method in METHODS {
            let documented = item.get(method).is_some();
            operations += usize::from(documented);
            let response = fed
                .client
                .request(method.to_uppercase().parse().unwrap(), fed.url(&concrete))
                .bearer_auth(&fed.tenant.api_key)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("")
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            if documented {
                // The fallbacks answer 404 "no such endpoint" and 405.
                assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
                assert_ne!(
                    body["error_description"], "no such endpoint",
                    "{method} {path}"
                );
            } else {
                assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            }
        }
    }
    assert_eq!(operations, 28);
    fed.stop().await;
}

/// Validates `body` against the schema the document gives `operation`'s `status` response.
fn assert_documented(doc: &Value, path: &str, method: &str, status: u16, body: &Value) {
    let response = &doc["paths"][path][method]["responses"][status.to_string()];
    let response = match response["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/responses/");
            &doc["components"]["responses"][name]
        }
        None => response,
    };
    let schema = &response["content"]["application/json"]["schema"];
    let name = schema["$ref"]
        .as_str()
        .unwrap_or_else(|| panic!("{method} {path} {status}: no schema component: {response}"))
        .trim_start_matches("#/components/schemas/");
    let problems = schema::problems(doc, name, body);
    assert!(
        problems.is_empty(),
        "{method} {path} {status}: {problems:#?}\n{body:#}"
    );
}

async fn get_json(fed: &Federation, path: &str) -> (u16, Value) {
    let response = fed.get(path).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn real_responses_validate_against_the_document(db: TestDb) {
    let fed = Federation::start(&db).await;
    let doc = document(&fed).await;

    let response = fed
        .post_check(
            &fed.tenant,
            &json!({"template": "right_to_work", "reference": "cand-7"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert_documented(&doc, "/v1/checks", "post", 201, &created);
    let id = created["id"].as_str().unwrap();
    let check_path = format!("/v1/checks/{id}");
    let (status, waiting) = get_json(&fed, &check_path).await;
    assert_documented(&doc, "/v1/checks/{check_id}", "get", status, &waiting);

    // Verified, awaiting the employer's confirmation: outcome, reasons, claims, provider,
    // trust list, evidence.
    let credential = fed.issue_identity("good", &british_citizen());
    let request = fetch_request(&fed, created["wallet_url"].as_str().unwrap()).await;
    let presentation = present(&fed, &credential, &request);
    let response = respond(&fed, &request, vp_token(&request, presentation)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let reply: Value = response.json().await.unwrap();
    assert_documented(&doc, "/wallet/responses/{request_id}", "post", 200, &reply);
    let (status, completed) = get_json(&fed, &check_path).await;
    assert_eq!(completed["outcome"], "awaiting_confirmation", "{completed}");
    assert_documented(&doc, "/v1/checks/{check_id}", "get", status, &completed);

    let confirmation = json!({
        "decision": "confirmed",
        "method": "in_person",
        "checker_name": "Grace Hopper",
        "start_date": "2031-01-05",
    });
    let response = fed.confirm(id, &confirmation).await;
    let status = response.status().as_u16();
    let confirmed: Value = response.json().await.unwrap();
    assert_eq!(confirmed["outcome"], "compliant", "{confirmed}");
    let operation = "/v1/checks/{check_id}/confirmation";
    assert_documented(&doc, operation, "post", status, &confirmed);

    let (status, package) = get_json(&fed, &format!("{check_path}/evidence")).await;
    assert_documented(
        &doc,
        "/v1/checks/{check_id}/evidence",
        "get",
        status,
        &package,
    );
    for (path, documented) in [
        ("/v1/templates", "/v1/templates"),
        ("/.well-known/jwks.json", "/.well-known/jwks.json"),
        (
            "/.well-known/evidence-keys.json",
            "/.well-known/evidence-keys.json",
        ),
        (
            "/.well-known/openid-configuration",
            "/.well-known/openid-configuration",
        ),
        ("/v1/checks/chk_none", "/v1/checks/{check_id}"),
        ("/readyz", "/readyz"),
        ("/healthz", "/healthz"),
    ] {
        let (status, body) = get_json(&fed, path).await;
        assert_documented(&doc, documented, "get", status, &body);
    }

    // Declined by the holder: failed, with reasons.
    let declined = fed.create_check(&json!({"template": "age_over_18"})).await;
    let request = fetch_request(&fed, declined["wallet_url"].as_str().unwrap()).await;
    let response = answer_error(&fed, &request, "access_denied").await;
    assert_eq!(response.status(), StatusCode::OK);
    let path = format!("/v1/checks/{}", declined["id"].as_str().unwrap());
    let (status, failed) = get_json(&fed, &path).await;
    assert_eq!(failed["reasons"][0]["code"], "holder_declined", "{failed}");
    assert_documented(&doc, "/v1/checks/{check_id}", "get", status, &failed);

    // Erased: the tombstone.
    let response = fed
        .client
        .request(Method::DELETE, fed.url(&check_path))
        .bearer_auth(&fed.tenant.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, erased) = get_json(&fed, &check_path).await;
    assert_eq!(erased["state"], "erased");
    assert_documented(&doc, "/v1/checks/{check_id}", "get", status, &erased);
    fed.stop().await;
}
