//! Erasure that reaches the disk: after `DELETE /v1/checks/{id}` and after the retention
//! sweeper's purge, the citizen's claims (family name, birthdate, portrait) are in none of
//! the SQLite files (database, `-wal`, `-shm`), read as bytes, in any encoding the verifier
//! stores them in (plain JSON, base64 inside the portrait's data URI, base64url inside signed
//! records); on PostgreSQL, in no row of any table.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use idv_profiles::ProofedIdentity;
use idv_test_support::TestDb;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::{Connection as _, Row as _};

use crate::helpers::{Federation, british_citizen};
use crate::wallet::{fetch_request, present, respond, vp_token};

/// A citizen whose claims are easy to find: a rare family name, a birthdate no other test
/// uses, and a portrait of 3 KiB of bytes no other image holds (overflow pages on SQLite).
fn citizen(family_name: &str, birthdate: &str, seed: u32) -> ProofedIdentity {
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
    let mut state = seed;
    for _ in 0..3_000 {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        jpeg.push(state.to_be_bytes()[1]);
    }
    jpeg.extend([0xFF, 0xD9]);
    ProofedIdentity {
        family_name: family_name.into(),
        birthdate: birthdate.into(),
        portrait: Some(format!("data:image/jpeg;base64,{}", STANDARD.encode(&jpeg))),
        ..british_citizen()
    }
}

/// What must not survive of `person`: family name, birthdate, a stretch of the portrait's
/// bytes and of its base64 text.
fn claims_of(person: &ProofedIdentity) -> Vec<(&'static str, Vec<u8>)> {
    let portrait = person.portrait.as_deref().unwrap();
    let base64 = portrait.strip_prefix("data:image/jpeg;base64,").unwrap();
    let bytes = STANDARD.decode(base64).unwrap();
    vec![
        ("family name", person.family_name.as_bytes().to_vec()),
        ("birthdate", person.birthdate.as_bytes().to_vec()),
        ("portrait bytes", bytes[1_000..1_048].to_vec()),
        ("portrait text", base64.as_bytes()[2_000..2_064].to_vec()),
    ]
}

/// `needle` as stored: as is, and in standard and URL-safe base64 at each of the three
/// alignments it may start at (only the characters that depend on `needle` alone).
fn encodings(needle: &[u8]) -> Vec<Vec<u8>> {
    let mut forms = vec![needle.to_vec()];
    for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
        for offset in 0..3_usize {
            let mut shifted = vec![0_u8; offset];
            shifted.extend_from_slice(needle);
            let encoded = engine.encode(&shifted);
            let start = (8 * offset).div_ceil(6);
            let end = 8 * (offset + needle.len()) / 6;
            forms.push(encoded.as_bytes()[start..end].to_vec());
        }
    }
    forms
}

/// The database file, its `-wal` and its `-shm`, read as bytes, each by name.
fn sqlite_files(db: &TestDb) -> Vec<(String, Vec<u8>)> {
    let main = db.sqlite_file().unwrap();
    ["", "-wal", "-shm"]
        .into_iter()
        .filter_map(|suffix| {
            let mut name = main.as_os_str().to_owned();
            name.push(suffix);
            let path = std::path::PathBuf::from(name);
            let bytes = std::fs::read(&path).ok()?;
            Some((path.display().to_string(), bytes))
        })
        .collect()
}

/// Where in the SQLite files each of `person`'s claims is found, in any encoding.
fn traces_in_files(db: &TestDb, person: &ProofedIdentity) -> Vec<String> {
    let files = sqlite_files(db);
    let mut found = Vec::new();
    for (claim, needle) in claims_of(person) {
        for (file, bytes) in &files {
            let count: usize = encodings(&needle)
                .iter()
                .map(|form| {
                    bytes
                        .windows(form.len())
                        .filter(|w| w == &form.as_slice())
                        .count()
                })
                .sum();
            if count > 0 {
                found.push(format!("{claim} {count}x in {file}"));
            }
        }
    }
    found
}

/// A completed right-to-work check of `person`; returns its JSON.
async fn completed_check(fed: &Federation, person: &ProofedIdentity) -> Value {
    let credential = fed.issue_identity("good", person);
    let created = fed
        .create_check(&json!({"template": "right_to_work"}))
        .await;
    let id = created["id"].as_str().unwrap();
    let request = fetch_request(fed, created["wallet_url"].as_str().unwrap()).await;
    let presentation = present(fed, &credential, &request);
    respond(fed, &request, vp_token(&request, presentation)).await;
    let check = fed.check(id).await;
    assert_eq!(check["claims"]["family_name"], person.family_name.as_str());
    assert_eq!(check["claims"]["birthdate"], person.birthdate.as_str());
    assert_eq!(
        check["claims"]["portrait"],
        person.portrait.as_deref().unwrap()
    );
    check
}

async fn erase(fed: &Federation, id: &str) {
    let response = fed
        .client
        .delete(fed.url(&format!("/v1/checks/{id}")))
        .bearer_auth(&fed.tenant.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

/// Moves the clock to the check's end of retention and waits for the sweeper's purge.
async fn purge(fed: &Federation, check: &Value) {
    let id = check["id"].as_str().unwrap();
    fed.clock.set(check["retain_until"].as_i64().unwrap());
    for _ in 0..500 {
        if fed.check(id).await.get("purged_at").is_some() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the sweeper did not purge {id}");
}

#[tokio::test]
async fn an_erased_check_leaves_no_trace_in_the_sqlite_files() {
    let db = TestDb::sqlite().await;
    let fed = Federation::start(&db).await;
    let kept = citizen("Babbage", "1991-12-26", 7);
    completed_check(&fed, &kept).await;
    let erased = citizen("Featherstonehaugh", "1987-03-14", 3);
    let check = completed_check(&fed, &erased).await;
    let before = traces_in_files(&db, &erased);
    for (claim, _) in claims_of(&erased) {
        assert!(
            before.iter().any(|trace| trace.starts_with(claim)),
            "{claim} is on disk before the erasure: {before:?}"
        );
    }

    erase(&fed, check["id"].as_str().unwrap()).await;
    let after = traces_in_files(&db, &erased);
    assert!(after.is_empty(), "left on disk: {after:?}");
    let wal = std::fs::metadata(format!("{}-wal", db.sqlite_file().unwrap().display()));
    assert_eq!(wal.map(|m| m.len()).unwrap_or(0), 0, "the log is truncated");
    // The other citizen's check is untouched: the files are read where the data is.
    let others = traces_in_files(&db, &kept);
    for (claim, _) in claims_of(&kept) {
        assert!(
            others.iter().any(|trace| trace.starts_with(claim)),
            "{claim} of the kept check: {others:?}"
        );
    }
    fed.stop().await;
}

#[tokio::test]
async fn a_purged_check_leaves_no_trace_in_the_sqlite_files() {
    let db = TestDb::sqlite().await;
    let fed = Federation::start(&db).await;
    let person = citizen("Featherstonehaugh", "1987-03-14", 5);
    let check = completed_check(&fed, &person).await;
    assert!(!traces_in_files(&db, &person).is_empty());

    purge(&fed, &check).await;
    // The sweeper truncates the log in the pass that purged, right after the purge.
    let mut left = traces_in_files(&db, &person);
    for _ in 0..500 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        left = traces_in_files(&db, &person);
    }
    assert!(left.is_empty(), "left on disk: {left:?}");
    let purged = fed.check(check["id"].as_str().unwrap()).await;
    assert_eq!(purged["outcome"], check["outcome"], "the outcome stays");
    fed.stop().await;
}

/// How many rows of the verifier's tables hold `needle` in any encoding (PostgreSQL: every
/// row of every table, read as text).
async fn rows_holding(db: &TestDb, needle: &[u8]) -> i64 {
    let mut conn = sqlx::PgConnection::connect(db.url()).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut rows = 0;
    for table in &tables {
        // Raw bytes that are not UTF-8 cannot be in a text column; their encodings can.
        for form in encodings(needle)
            .into_iter()
            .filter_map(|form| String::from_utf8(form).ok())
        {
            let sql = format!("SELECT count(*) FROM {table} r WHERE strpos(r::text, $1) > 0");
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&form)
                .fetch_one(&mut conn)
                .await
                .unwrap();
            rows += row.get::<i64, _>(0);
        }
    }
    conn.close().await.unwrap();
    rows
}

#[tokio::test]
async fn erased_and_purged_claims_are_in_no_row_on_postgres() {
    let db = TestDb::postgres().await;
    let fed = Federation::start(&db).await;
    let erased = citizen("Featherstonehaugh", "1987-03-14", 3);
    let erased_check = completed_check(&fed, &erased).await;
    let purged = citizen("Babbage", "1991-12-26", 7);
    let purged_check = completed_check(&fed, &purged).await;
    for (claim, needle) in claims_of(&erased).into_iter().chain(claims_of(&purged)) {
        assert!(rows_holding(&db, &needle).await > 0, "{claim} stored");
    }

    erase(&fed, erased_check["id"].as_str().unwrap()).await;
    for (claim, needle) in claims_of(&erased) {
        assert_eq!(rows_holding(&db, &needle).await, 0, "{claim} erased");
    }
    for (claim, needle) in claims_of(&purged) {
        assert!(
            rows_holding(&db, &needle).await > 0,
            "{claim} of the other check kept"
        );
    }
    purge(&fed, &purged_check).await;
    for (claim, needle) in claims_of(&purged) {
        assert_eq!(rows_holding(&db, &needle).await, 0, "{claim} purged");
    }
    fed.stop().await;
}
