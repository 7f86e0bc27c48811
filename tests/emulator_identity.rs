//! Token issuance, AADSTS errors, discovery, and the control plane.
mod emulator_common;

use emulator_common::Harness;
use serde_json::Value;

#[tokio::test]
async fn client_credentials_and_password_grants_issue_tokens() {
    let h = Harness::start().await;
    let token = h.app_token("myGalleryApp", "fabrikam.com").await;
    assert_eq!(token.split('.').count(), 3);
    let user = h.find("users", "alinne_montes@contoso.com");
    let form = [
        ("grant_type", "password"),
        ("client_id", "04b07795-8ddb-461a-bbee-02f9e1bf7b46"),
        ("username", "alinne_montes@contoso.com"),
        ("password", user["password"].as_str().unwrap()),
        ("scope", "https://management.core.windows.net//.default"),
    ];
    let resp = h.token_response("organizations", &form).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    let (s, subs) = h
        .get(body["access_token"].as_str().unwrap(), "/subscriptions")
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        subs["value"].as_array().unwrap().len(),
        0,
        "the user holds no role"
    );
    h.emu.stop().await;
}

async fn aad_error(h: &Harness, tenant: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let resp = h.token_response(tenant, form).await;
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn token_errors_look_like_entra() {
    let h = Harness::start().await;
    let app = h.find("apps", "contoso-admin");
    let id = app["client_id"].as_str().unwrap();
    let scope = "https://management.azure.com/.default";
    let (s, e) = aad_error(
        &h,
        "contoso.com",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", "wrong"),
            ("scope", scope),
        ],
    )
    .await;
    assert_eq!((s, e["error"].as_str().unwrap()), (401, "invalid_client"));
    assert!(e["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS7000215: Invalid client secret provided."));
    assert_eq!(e["error_codes"][0], 7000215);
    let secret = app["secret"].as_str().unwrap();
    let (s, e) = aad_error(
        &h,
        "fabrikam.com",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
            ("scope", scope),
        ],
    )
    .await;
    assert_eq!(
        (s, e["error"].as_str().unwrap()),
        (400, "unauthorized_client")
    );
    assert!(e["error_description"]
        .as_str()
        .unwrap()
        .contains("AADSTS700016: Application with identifier"));
    let (s, e) = aad_error(
        &h,
        "nowhere.com",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
            ("scope", scope),
        ],
    )
    .await;
    assert_eq!((s, e["error"].as_str().unwrap()), (400, "invalid_request"));
    assert!(e["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS90002: Tenant 'nowhere.com' not found."));
    let (s, e) = aad_error(
        &h,
        "contoso.com",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
            ("scope", "https://vault.azure.net/.default"),
        ],
    )
    .await;
    assert_eq!((s, e["error"].as_str().unwrap()), (400, "invalid_scope"));
    let (s, e) = aad_error(
        &h,
        "organizations",
        &[
            ("grant_type", "password"),
            ("client_id", id),
            ("username", "alinne_montes@contoso.com"),
            ("password", "nope"),
            ("scope", scope),
        ],
    )
    .await;
    assert_eq!((s, e["error"].as_str().unwrap()), (400, "invalid_grant"));
    assert!(e["error_description"]
        .as_str()
        .unwrap()
        .contains("AADSTS50126"));
    h.emu.stop().await;
}

#[tokio::test]
async fn discovery_documents_are_served() {
    let h = Harness::start().await;
    let url = format!(
        "{}/contoso.com/v2.0/.well-known/openid-configuration",
        h.emu.endpoint()
    );
    let oidc: Value = h.http.get(url).send().await.unwrap().json().await.unwrap();
    assert!(oidc["token_endpoint"]
        .as_str()
        .unwrap()
        .ends_with("/contoso.com/oauth2/v2.0/token"));
    let jwks: Value = h
        .http
        .get(oidc["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kty"], "EC");
    h.emu.stop().await;
}

#[tokio::test]
async fn control_plane_needs_the_key_and_log_holds_no_secrets() {
    let h = Harness::start().await;
    let token = h.app_token("contoso-admin", "contoso.com").await;
    h.get(&token, "/subscriptions").await;
    let url = format!("{}/_emulator/requests", h.emu.endpoint());
    assert_eq!(h.http.get(&url).send().await.unwrap().status(), 403);
    assert_eq!(
        h.http
            .get(&url)
            .header("x-emulator-key", "wrong")
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let resp = h
        .http
        .get(&url)
        .header("x-emulator-key", h.emu.control_key())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    let secret = h.find("apps", "contoso-admin")["secret"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!text.contains(&secret) && !text.contains(&token));
    let log = h.emu.request_log();
    assert_eq!(
        log.len(),
        2,
        "token + subscriptions; control calls are not logged"
    );
    assert_eq!(
        log[1]["principal"],
        h.find("apps", "contoso-admin")["service_principals"]["contoso"]
    );
    assert_eq!(log[1]["tenant"], h.tenant("contoso"));
    let config = format!("{}/_emulator/config", h.emu.endpoint());
    let resp = h
        .http
        .put(config)
        .header("x-emulator-key", h.emu.control_key())
        .json(&serde_json::json!({"page_size": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    h.emu.reset();
    assert!(h.emu.request_log().is_empty());
    h.emu.stop().await;
    h.emu.stop().await;
}
