//! What an operator sees of the running federation: `/metrics` after real traffic (an issuance,
//! a check end to end, refused requests), parsed strictly; request ids in the responses and in
//! the JSON log lines; and `/readyz` following a PostgreSQL outage and the recovery, without a
//! restart.

use std::time::Duration;

use idv_federation::Deployment as _;
use idv_federation::child::ProcessEnv;
use idv_service_kit::Secret;
use idv_service_kit::telemetry::LogFormat;
use serde_json::Value;

use crate::exposition::Scrape;
use crate::helpers::{Backend, World};

/// The trust framework's scrape token in these tests (`[metrics] bearer_token`).
const METRICS_TOKEN: &str = "scrape-token-for-tests";

async fn scrape(client: &reqwest::Client, base: &str, token: Option<&str>) -> Scrape {
    let mut request = client.get(format!("{base}/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200, "{base}/metrics");
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    Scrape::parse(&text)
}

#[tokio::test]
async fn metrics_count_real_traffic_with_bounded_impersonal_labels() {
    let world = World::start_with(
        Backend::Sqlite,
        |builder| {
            builder
                .trust_framework_config(|c| {
                    c.log.format = LogFormat::Json;
                    c.metrics.bearer_token = Some(Secret::new(METRICS_TOKEN));
                })
                .issuer_config(|c| c.log.format = LogFormat::Json)
                .verifier_config(|c| c.log.format = LogFormat::Json)
        },
        ProcessEnv::default(),
    )
    .await;
    let endpoints = world.federation.endpoints().clone();
    let client = reqwest::Client::new();

    // An issuance, a check end to end, and refused requests.
    let identity_id = world.citizen_with_credentials().await;
    let (_, result) = world.check(&world.employer, "right_to_work").await;
    assert_eq!(result.state, "completed", "{result:?}\n{}", world.logs());
    let refused = client
        .post(format!("{}/token", endpoints.issuer))
        .form(&[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:pre-authorized_code",
            ),
            ("pre-authorized_code", "not-a-code"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let unknown_check = format!("{}/v1/checks/chk_NoSuchCheck1234", endpoints.verifier);
    let missing = client
        .get(&unknown_check)
        .bearer_auth(world.employer.api_key().expose())
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let unrouted = client
        .get(format!("{unknown_check}/no-such-page"))
        .send()
        .await
        .unwrap();
    assert_eq!(unrouted.status(), 404);

    // The verifier: requests by route template and status, latency, checks, trust list,
    // status list cache, webhook backlog.
    let verifier = scrape(&client, &endpoints.verifier, None).await;
    let posted = [
        ("method", "POST"),
        ("route", "/wallet/responses/{request_id}"),
        ("status", "200"),
    ];
    assert!(
        verifier.sum("idv_http_requests_total", &posted) >= 1.0,
        "{verifier:#?}"
    );
    assert!(
        verifier.sum(
            "idv_http_requests_total",
            &[("route", "/v1/checks"), ("status", "201")]
        ) >= 1.0
    );
    assert_eq!(
        verifier.sum(
            "idv_http_requests_total",
            &[("route", "/v1/checks/{check_id}"), ("status", "404")]
        ),
        1.0,
        "the unknown check, counted under its template"
    );
    assert!(
        verifier.sum(
            "idv_http_requests_total",
            &[("route", "<unmatched>"), ("status", "404")]
        ) >= 1.0,
        "an unrouted path, counted under one label"
    );
    assert_eq!(
        verifier.types["idv_http_request_duration_seconds"],
        "histogram"
    );
    for family in [
        "idv_http_requests_total",
        "idv_verifier_checks_ended_total",
        "idv_trust_list_valid",
        "idv_status_list_cache_misses_total",
    ] {
        assert!(verifier.help.contains_key(family), "# HELP {family}");
    }
    let latency = [
        ("method", "POST"),
        ("route", "/wallet/responses/{request_id}"),
    ];
    assert!(verifier.sum("idv_http_request_duration_seconds_count", &latency) >= 1.0);
    assert!(verifier.sum("idv_http_request_duration_seconds_sum", &latency) > 0.0);
    assert_eq!(
        verifier.sum(
            "idv_verifier_checks_created_total",
            &[("template", "right_to_work")]
        ),
        1.0
    );
    assert_eq!(
        verifier.sum(
            "idv_verifier_checks_ended_total",
            &[
                ("template", "right_to_work"),
                ("state", "completed"),
                ("outcome", "awaiting_confirmation"),
            ]
        ),
        1.0,
        "{:#?}",
        verifier
            .matching("idv_verifier_checks_ended_total", &[])
            .collect::<Vec<_>>()
    );
    assert_eq!(verifier.sum("idv_trust_list_valid", &[]), 1.0);
    assert!(verifier.sum("idv_trust_list_sequence", &[]) >= 1.0);
    assert!(verifier.sum("idv_trust_list_expires_in_seconds", &[]) > 0.0);
    assert!(verifier.sum("idv_trust_list_age_seconds", &[]) >= 0.0);
    let lookups = verifier.sum("idv_status_list_cache_hits_total", &[])
        + verifier.sum("idv_status_list_cache_misses_total", &[]);
    assert!(
        verifier.sum("idv_status_list_cache_misses_total", &[]) >= 1.0 && lookups >= 1.0,
        "the credential's status was looked up"
    );
    assert_eq!(verifier.types["idv_verifier_webhook_events"], "gauge");
    assert_eq!(
        verifier
            .matching("idv_verifier_webhook_events", &[("state", "dead")])
            .count(),
        1
    );

    // The issuer: credentials by configuration, offers, token errors by code.
    let issuer = scrape(&client, &endpoints.issuer, None).await;
    for configuration in [
        federated_idv::provider::IDENTITY,
        federated_idv::provider::AGE,
    ] {
        assert!(
            issuer.sum(
                "idv_issuer_credentials_issued_total",
                &[("configuration", configuration)]
            ) >= 1.0,
            "{configuration}: {issuer:#?}"
        );
    }
    assert_eq!(issuer.sum("idv_issuer_offers_created_total", &[]), 1.0);
    assert_eq!(
        issuer.sum(
            "idv_issuer_token_errors_total",
            &[("error", "invalid_grant")]
        ),
        1.0
    );
    assert!(
        issuer.sum(
            "idv_http_requests_total",
            &[("route", "/credential"), ("status", "200")]
        ) >= 1.0
    );
    assert_eq!(
        issuer.sum("idv_trust_list_valid", &[]),
        1.0,
        "[trust] is configured"
    );

    // The trust framework: its published list; the scrape needs its token.
    let unauthorised = client
        .get(format!("{}/metrics", endpoints.trust_framework))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorised.status(), 401);
    let trust_framework = scrape(&client, &endpoints.trust_framework, Some(METRICS_TOKEN)).await;
    assert!(trust_framework.sum("idv_trust_list_sequence", &[]) >= 1.0);
    assert!(
        trust_framework.sum(
            "idv_http_requests_total",
            &[("route", "/trust-list"), ("status", "200")]
        ) >= 1.0
    );

    // No personal data, ids or secrets in any label.
    let secrets = [
        identity_id.as_str(),
        result.id.as_str(),
        world.employer.tenant.tenant_id.as_str(),
        world.employer.api_key().expose(),
        "NoSuchCheck",
        "no-such-page",
        "not-a-code",
        "Ada",
        "Lovelace",
        "1990-12-10",
    ];
    for scrape in [&verifier, &issuer, &trust_framework] {
        for (label, value) in scrape.label_values() {
            for secret in secrets {
                assert!(
                    !value.contains(secret),
                    "label {label}={value:?} holds {secret:?}"
                );
            }
            if label == "route" {
                assert!(
                    value == "<unmatched>" || value.starts_with('/'),
                    "{value:?}"
                );
            }
        }
    }
    assert!(
        !verifier
            .label_values()
            .any(|(label, _)| label.contains("tenant") || label.contains("check_id")),
        "no tenant or check labels"
    );
}

#[tokio::test]
async fn request_ids_are_echoed_and_on_every_json_log_line_of_the_request() {
    let mut world = World::start_with(
        Backend::Sqlite,
        |builder| builder.verifier_config(|c| c.log.format = LogFormat::Json),
        ProcessEnv::default(),
    )
    .await;
    world.citizen_with_credentials().await;
    let endpoints = world.federation.endpoints().clone();
    let client = reqwest::Client::new();

    // A sane incoming id is kept; one that is not is replaced by a generated one.
    let kept = client
        .get(format!("{}/healthz?probe=leak-me-not", endpoints.verifier))
        .header("x-request-id", "e2e-trace-0042")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.headers()["x-request-id"], "e2e-trace-0042");
    let replaced = client
        .get(format!("{}/readyz", endpoints.verifier))
        .header("x-request-id", "has a space")
        .send()
        .await
        .unwrap();
    let generated = replaced.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(generated.len(), 22, "{generated}");
    assert_ne!(generated, "has a space");
    // A check, whose wallet response is logged inside its request.
    world.check(&world.employer, "right_to_work").await;

    let log = world.federation.verifier().log();
    let lines: Vec<Value> = log
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"))
        })
        .collect();
    let in_request = |id: &str| {
        lines
            .iter()
            .filter(|line| line["span"]["request_id"] == id)
            .collect::<Vec<_>>()
    };
    let kept_lines = in_request("e2e-trace-0042");
    assert_eq!(kept_lines.len(), 1, "{log}");
    assert_eq!(kept_lines[0]["fields"]["message"], "request");
    assert_eq!(kept_lines[0]["fields"]["http.route"], "/healthz");
    assert_eq!(kept_lines[0]["fields"]["http.status"], 200);
    assert!(!in_request(&generated).is_empty(), "{log}");
    // Every request line has an id, and so does every line logged while a request ran.
    let requests: Vec<&Value> = lines
        .iter()
        .filter(|line| line["fields"]["message"] == "request")
        .collect();
    assert!(requests.len() > 3);
    for line in &requests {
        assert!(line["span"]["request_id"].is_string(), "{line}");
    }
    let finished = lines
        .iter()
        .find(|line| line["fields"]["message"] == "check finished")
        .unwrap_or_else(|| panic!("{log}"));
    let id = finished["span"]["request_id"].as_str().unwrap();
    assert!(
        in_request(id)
            .iter()
            .any(|line| line["fields"]["http.route"] == "/wallet/responses/{request_id}"),
        "the wallet response's request line carries the same id: {log}"
    );
    // Never the query string, the API key or the citizen's data.
    for needle in [
        "leak-me-not",
        world.employer.api_key().expose(),
        "Lovelace",
        "1990-12-10",
    ] {
        assert!(!log.contains(needle), "{needle:?} in the log");
    }
}

/// Polls `url` until it answers `status`, for at most `within`; the last body.
async fn wait_for_status(
    client: &reqwest::Client,
    url: &str,
    status: u16,
    within: Duration,
) -> Value {
    let started = tokio::time::Instant::now();
    loop {
        let response = client.get(url).send().await.unwrap();
        let answered = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if answered == status {
            return body;
        }
        assert!(
            started.elapsed() < within,
            "{url} still answers {answered} {body} after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn readiness_follows_a_database_outage_and_recovery_without_a_restart() {
    let world = World::start(Backend::Postgres).await;
    let endpoints = world.federation.endpoints().clone();
    let client = reqwest::Client::new();
    let services = [
        (0, endpoints.trust_framework.clone()),
        (1, endpoints.issuer.clone()),
        (2, endpoints.verifier.clone()),
    ];
    for (_, base) in &services {
        let body = wait_for_status(
            &client,
            &format!("{base}/readyz"),
            200,
            Duration::from_secs(10),
        )
        .await;
        assert_eq!(body, serde_json::json!({"status": "ready"}));
    }

    for (index, _) in &services {
        world.database(*index).start_outage().await;
    }
    for (_, base) in &services {
        let body = wait_for_status(
            &client,
            &format!("{base}/readyz"),
            503,
            Duration::from_secs(10),
        )
        .await;
        assert_eq!(body["status"], "not_ready", "{base}");
        assert_eq!(body["not_ready"], serde_json::json!(["database"]), "{base}");
        // Liveness is not readiness: the process is up.
        let health = client.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(health.status(), 200);
    }
    // Metrics still answer during the outage (the outbox gauges keep their last values).
    scrape(&client, &endpoints.verifier, None).await;

    for (index, _) in &services {
        world.database(*index).end_outage().await;
    }
    for (_, base) in &services {
        wait_for_status(
            &client,
            &format!("{base}/readyz"),
            200,
            Duration::from_secs(20),
        )
        .await;
    }
    // And the verifier serves again: a check end to end after the recovery.
    world.citizen_with_credentials().await;
    let (_, result) = world.check(&world.employer, "right_to_work").await;
    assert_eq!(result.state, "completed", "{result:?}\n{}", world.logs());
}
