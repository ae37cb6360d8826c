//! `list`, `show` and `delete` of received credentials.

use serde_json::json;

use crate::helpers::{AGE, Federation, IDENTITY, IDSP_NAME, closed_port};

#[tokio::test]
async fn credentials_are_listed_shown_with_their_issuer_and_status_and_deleted() {
    let federation = Federation::start().await;
    let wallet = federation.wallet();
    assert_eq!(wallet.run(&["list"]).await.ok(), json!({"credentials": []}));
    let (offer, identity) = federation.issuer.offer(&[IDENTITY, AGE]).await;
    let received = wallet.receive(&offer, 2).await;
    let identity_id = received["credentials"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let age_id = received["credentials"][1]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let listed = wallet.run(&["list"]).await.ok();
    let listed = listed["credentials"].as_array().unwrap();
    assert_eq!(
        listed.len(),
        2,
        "one line per credential, however many copies"
    );
    // Both were received in the same second: find the identity credential by id.
    let entry = listed
        .iter()
        .find(|c| c["id"] == identity_id.as_str())
        .unwrap();
    assert_eq!(entry["copies"], 2);
    assert_eq!(entry["unused"], 2);
    assert_eq!(entry["expired"], false);
    assert_eq!(entry["issuer"], federation.issuer_iss.as_str());

    let shown = wallet.run(&["show", &identity_id]).await.ok();
    assert_eq!(shown["claims"]["given_name"], "Ada");
    assert_eq!(shown["claims"]["nationalities"], json!(["GB"]));
    assert!(
        shown["claims"].get("cnf").is_none(),
        "the holder key is not a claim"
    );
    assert_eq!(shown["issuer_standing"]["organisation"], IDSP_NAME);
    assert!(
        shown["issuer_name"]
            .as_str()
            .unwrap()
            .starts_with(IDSP_NAME),
        "{shown}"
    );
    assert!(shown["expires_at"].as_i64().unwrap() > crate::helpers::real_now());
    assert_eq!(shown["status"]["state"], "valid", "{shown}");
    assert_eq!(shown["copies"].as_array().unwrap().len(), 2);
    assert_eq!(shown["presentations"], json!([]));

    // The issuer's operator revokes the age credentials: `show` reads the status list.
    let issued = federation
        .issuer
        .get(&format!("/v1/credentials?identity_id={identity}"))
        .await;
    for credential in issued["credentials"].as_array().unwrap() {
        if credential["credential_configuration_id"] == AGE {
            let id = credential["credential_id"].as_str().unwrap();
            federation
                .issuer
                .post(
                    &format!("/v1/credentials/{id}/revoke"),
                    &json!({"reason": "reported stolen"}),
                )
                .await;
        }
    }
    let revoked = wallet.run(&["show", &age_id]).await.ok();
    assert_eq!(revoked["status"]["state"], "revoked", "{revoked}");
    assert_eq!(revoked["claims"]["age_over_18"], true);

    let deleted = wallet.run(&["delete", &age_id]).await.ok();
    assert_eq!(deleted["deleted"]["id"], age_id.as_str());
    let (status, code, _) = wallet.run(&["show", &age_id]).await.err();
    assert_eq!((status, code.as_str()), (3, "not_found"));
    let (status, code, _) = wallet.run(&["delete", &age_id]).await.err();
    assert_eq!((status, code.as_str()), (3, "not_found"));
    let listed = wallet.run(&["list"]).await.ok();
    assert_eq!(listed["credentials"].as_array().unwrap().len(), 1);
    let store = wallet.store().await;
    assert!(
        store.copies(&age_id).await.unwrap().is_empty(),
        "keys deleted"
    );
    store.close().await;
    federation.stop().await;
}

#[tokio::test]
async fn human_output_is_the_default_and_never_shows_keys() {
    let federation = Federation::start().await;
    let wallet = federation.wallet();
    let (offer, _) = federation.issuer.offer(&[IDENTITY]).await;
    let received = wallet.receive(&offer, 1).await;
    let id = received["credentials"][0]["id"].as_str().unwrap();

    let output = wallet.run_human(&["show", id]).await;
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{text}");
    assert!(text.contains("given_name: Ada"), "{text}");
    assert!(text.contains(IDSP_NAME), "{text}");
    assert!(
        text.contains("[image/jpeg data"),
        "portraits are abridged: {text}"
    );
    let store = wallet.store().await;
    let copy = &store.copies(id).await.unwrap()[0];
    let jwk: idv_jose::Jwk = serde_json::from_str(&copy.stored.holder_key).unwrap();
    assert!(!text.contains(jwk.d.as_deref().unwrap()));
    store.close().await;
    federation.stop().await;
}

#[tokio::test]
async fn show_works_when_the_trust_framework_cannot_be_reached() {
    let federation = Federation::start().await;
    let wallet = federation.wallet();
    let (offer, _) = federation.issuer.offer(&[AGE]).await;
    let received = wallet.receive(&offer, 1).await;
    let id = received["credentials"][0]["id"].as_str().unwrap();
    let unreachable = format!("http://127.0.0.1:{}/trust-list", closed_port());

    // The register refuses: the list the wallet accepted last (at `receive`) names the issuer,
    // until its exp.
    let shown = wallet
        .run(&["show", id, "--trust-list-url", &unreachable])
        .await
        .ok();
    assert_eq!(shown["issuer_standing"]["on_trust_list"], true, "{shown}");
    assert!(shown["issuer_standing"].get("note").is_none(), "{shown}");
    assert_eq!(shown["status"]["state"], "valid", "{shown}");

    // Without a kept list the credential is still shown, its standing unknown.
    std::fs::remove_file(wallet.dir().join("trust-list.jwt")).unwrap();
    let shown = wallet
        .run(&["show", id, "--trust-list-url", &unreachable])
        .await
        .ok();

    assert_eq!(shown["claims"]["age_over_18"], true);
    let note = shown["issuer_standing"]["note"].as_str().unwrap();
    assert!(note.starts_with("trust list unavailable"), "{note}");
    assert_eq!(shown["status"]["state"], "unknown");
    federation.stop().await;
}
