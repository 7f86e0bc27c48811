//! Fault injection and persistence at the HTTP level: each fault kind, the control plane, and a
//! restart from `state_dir` that keeps the world, the secrets and the token signing key.

mod emulator_common;

use std::time::Duration;

use _core::emulator::{Emulator, Options};
use emulator_common::Harness;
use reqwest::Method;
use serde_json::{json, Value};

async fn with_faults(faults: Value) -> Harness {
    Harness::with(Options {
        lro_delay: Duration::ZERO,
        faults,
        ..Options::default()
    })
    .await
}

fn faults_of(log: &[Value]) -> Vec<Option<String>> {
    log.iter()
        .map(|e| e["fault"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn status_faults_answer_azure_errors_with_retry_after_and_change_nothing() {
    let h = with_faults(json!([{"kind": "status", "status": 429, "retry_after": 0.25,
        "method": "PUT", "path": "/subscriptions/*/resourceGroups/*/providers/Microsoft.Compute/galleries/*", "next_n": 1}]))
    .await;
    let token = h.app_token("contoso-admin", "contoso.com").await;
    let g = h.gallery_path(&h.sub("contoso-prod"), "faulted");
    let body = json!({"location": "eastus"});
    let (s, hdrs, b) = h.call(&token, Method::PUT, &g, Some(body.clone())).await;
    assert_eq!(s, 429);
    assert_eq!(b["error"]["code"], "TooManyRequests");
    assert_eq!(hdrs["retry-after"], "0.25");
    assert_eq!(hdrs["retry-after-ms"], "250");
    assert_eq!(
        h.get(&token, &g).await.0,
        404,
        "a faulted PUT stores nothing"
    );
    assert_eq!(h.put(&token, &g, body).await.0, 201, "next_n: 1 fires once");
    let log = h.emu.request_log();
    let faulted: Vec<&Value> = log.iter().filter(|e| !e["fault"].is_null()).collect();
    assert_eq!(faulted.len(), 1);
    assert_eq!(faulted[0]["fault"], "status:429");
    assert_eq!(faulted[0]["retry_after"], 0.25);
    assert_eq!(faulted[0]["status"], 429);
    assert!(faulted[0]["received"].as_f64().unwrap() <= faulted[0]["time"].as_f64().unwrap());
    let rules = h.emu.faults();
    assert_eq!(
        (
            rules["rules"][0]["matched"].as_u64(),
            rules["rules"][0]["fired"].as_u64()
        ),
        (Some(2), Some(1))
    );
    h.emu.stop().await;
}

#[tokio::test]
async fn a_dropped_connection_gets_no_answer_and_is_logged() {
    let h = with_faults(
        json!([{"kind": "drop", "path": "/subscriptions", "method": "GET", "every_nth": 2}]),
    )
    .await;
    let token = h.app_token("contoso-admin", "contoso.com").await;
    assert_eq!(h.get(&token, "/subscriptions").await.0, 200);
    let url = format!("{}/subscriptions?api-version=2022-12-01", h.emu.endpoint());
    let err = h.http.get(&url).bearer_auth(&token).send().await;
    assert!(err.is_err(), "the second request is dropped: {err:?}");
    assert_eq!(h.get(&token, "/subscriptions").await.0, 200);
    let log = h.emu.request_log();
    let subs: Vec<&Value> = log
        .iter()
        .filter(|e| e["path"] == "/subscriptions")
        .collect();
    assert_eq!(faults_of(&log).iter().filter(|f| f.is_some()).count(), 1);
    assert_eq!(subs.len(), 3);
    assert_eq!(subs[1]["fault"], "drop");
    assert!(subs[1]["status"].is_null());
    h.emu.stop().await;
}

#[tokio::test]
async fn delay_and_lro_faults() {
    let h = with_faults(json!([
        {"kind": "delay", "delay_ms": 150, "path": "/subscriptions", "next_n": 1},
        {"kind": "lro_fail", "code": "QuotaExceeded", "message": "No room left.", "method": "PUT", "path": "/**/galleries/failing"},
        {"kind": "lro_hang", "method": "PUT", "path": "/**/galleries/hanging"}
    ]))
    .await;
    let token = h.app_token("contoso-admin", "contoso.com").await;
    let started = std::time::Instant::now();
    assert_eq!(h.get(&token, "/subscriptions").await.0, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
    let sub = h.sub("contoso-prod");
    for (name, status) in [("failing", "Failed"), ("hanging", "InProgress")] {
        let g = h.gallery_path(&sub, name);
        let (s, hdrs, _) = h
            .call(&token, Method::PUT, &g, Some(json!({"location": "eastus"})))
            .await;
        assert_eq!(s, 201);
        let op = hdrs["azure-asyncoperation"].to_str().unwrap().to_string();
        let (s, doc) = h.get(&token, &op).await;
        assert_eq!((s, doc["status"].as_str()), (200, Some(status)), "{doc}");
        if name == "failing" {
            assert_eq!(
                doc["error"],
                json!({"code": "QuotaExceeded", "message": "No room left."})
            );
        }
    }
    h.emu.stop().await;
}

#[tokio::test]
async fn after_faults_let_the_write_happen_and_a_retried_role_assignment_put_is_not_duplicated() {
    let h = with_faults(
        json!([{"kind": "status", "status": 503, "after": true, "method": "PUT",
        "path": "/**/providers/Microsoft.Authorization/roleAssignments/*", "next_n": 1}]),
    )
    .await;
    let token = h.app_token("contoso-admin", "contoso.com").await;
    let sub = h.sub("contoso-prod");
    let user = h.find("users", "alinne_montes@contoso.com");
    let path = format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments/0b6e1c1a-5d7f-4f5e-9a51-2f3c1d0e9b11");
    let body = json!({"properties": {"roleDefinitionId": format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"),
        "principalId": user["id"], "principalType": "User"}});
    let url = format!("{path}?api-version=2022-04-01");
    let (s, _, _) = h.call(&token, Method::PUT, &url, Some(body.clone())).await;
    assert_eq!(s, 503, "the answer is lost");
    let (s, _, again) = h.call(&token, Method::PUT, &url, Some(body)).await;
    assert_eq!(
        s, 200,
        "the retry finds the assignment the lost request made: {again}"
    );
    let list = format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=principalId%20eq%20'{}'", user["id"].as_str().unwrap());
    let (s, listed) = h.get(&token, &list).await;
    assert_eq!(s, 200);
    let named: Vec<&Value> = listed["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["name"] == "0b6e1c1a-5d7f-4f5e-9a51-2f3c1d0e9b11")
        .collect();
    assert_eq!(named.len(), 1, "{listed}");
    h.emu.stop().await;
}

#[tokio::test]
async fn the_control_plane_sets_shows_and_clears_faults_and_refuses_without_the_key() {
    let h = Harness::start().await;
    let url = format!("{}/_emulator/faults", h.emu.endpoint());
    let rules =
        json!({"rules": [{"kind": "status", "status": 503, "probability": 0.5}], "seed": 42});
    let refused = h.http.put(&url).json(&rules).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    let wrong = h
        .http
        .put(&url)
        .header("x-emulator-key", "nope")
        .json(&rules)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    assert_eq!(h.emu.faults()["rules"], json!([]), "nothing was set");
    let key = h.emu.control_key().to_string();
    let set = h
        .http
        .put(&url)
        .header("x-emulator-key", &key)
        .json(&rules)
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let shown: Value = h
        .http
        .get(&url)
        .header("x-emulator-key", &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            shown["seed"].as_u64(),
            shown["rules"][0]["probability"].as_f64()
        ),
        (Some(42), Some(0.5))
    );
    let bad = h
        .http
        .put(&url)
        .header("x-emulator-key", &key)
        .json(&json!([{"kind": "status", "status": 418}]))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let bad: Value = bad.json().await.unwrap();
    assert_eq!(bad["error"]["code"], "InvalidFaultRule");
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("fault rule 0: status 418"),
        "{bad}"
    );
    let cleared = h
        .http
        .delete(&url)
        .header("x-emulator-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 204);
    assert_eq!(h.emu.faults()["rules"], json!([]));
    h.emu.stop().await;
}

#[tokio::test]
async fn a_bad_rule_at_start_is_refused() {
    let err = Emulator::start(Options {
        faults: json!([{"kind": "delay"}]),
        ..Options::default()
    })
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("fault rule 0: kind 'delay' needs 'delay_ms'"),
        "{err}"
    );
}

#[tokio::test]
async fn state_dir_keeps_the_world_secrets_and_signing_key_across_a_restart() {
    let dir = std::env::temp_dir().join(format!("gs-emulator-state-{}", uuid::Uuid::new_v4()));
    let options = Options {
        lro_delay: Duration::ZERO,
        state_dir: Some(dir.clone()),
        ..Options::default()
    };
    let first = Harness::with(options.clone()).await;
    let token = first.app_token("contoso-admin", "contoso.com").await;
    let g = first.publish(&token, "kept", "Groups").await;
    let secret = first.find("apps", "contoso-admin")["secret"].clone();
    first.emu.stop().await;

    let second = Harness::with(options).await;
    assert_eq!(second.find("apps", "contoso-admin")["secret"], secret);
    let (s, version) = second
        .get(&token, &format!("{g}/images/linux/versions/1.0.0"))
        .await;
    assert_eq!(
        s, 200,
        "the old token still verifies and the version is there: {version}"
    );
    assert_eq!(version["properties"]["provisioningState"], "Succeeded");
    let (s, gallery) = second.get(&token, &g).await;
    assert_eq!(
        (
            s,
            gallery["properties"]["sharingProfile"]["permissions"].as_str()
        ),
        (200, Some("Groups"))
    );
    second.emu.stop().await;
    let world: Value =
        serde_json::from_slice(&std::fs::read(dir.join("world.json")).unwrap()).unwrap();
    assert_eq!(world["v"], 1);
    std::fs::remove_dir_all(&dir).unwrap();
}
