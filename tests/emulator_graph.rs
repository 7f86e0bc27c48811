//! The Microsoft Graph v1.0 subset: filters, lookups, getByIds, tenant isolation and errors.
mod emulator_common;

use emulator_common::Harness;
use serde_json::{json, Value};

const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
const ALINNE: &str = "alinne_montes@contoso.com";

async fn token(h: &Harness, tenant: &str, form: &[(&str, &str)]) -> String {
    let resp = h.token_response(tenant, form).await;
    assert_eq!(resp.status(), 200);
    resp.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A Graph token for a seeded app in a tenant (by domain).
async fn app_graph_token(h: &Harness, app: &str, tenant_domain: &str) -> String {
    let app = h.find("apps", app);
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", app["client_id"].as_str().unwrap()),
        ("client_secret", app["secret"].as_str().unwrap()),
        ("scope", GRAPH_SCOPE),
    ];
    token(h, tenant_domain, &form).await
}

async fn user_graph_token(h: &Harness) -> String {
    let user = h.find("users", ALINNE);
    let form = [
        ("grant_type", "password"),
        ("client_id", "04b07795-8ddb-461a-bbee-02f9e1bf7b46"),
        ("username", ALINNE),
        ("password", user["password"].as_str().unwrap()),
        ("scope", GRAPH_SCOPE),
    ];
    token(h, "organizations", &form).await
}

/// Sends a Graph request (no api-version); `query` pairs are URL-encoded.
async fn graph(
    h: &Harness,
    token: Option<&str>,
    method: reqwest::Method,
    path: &str,
    query: &[(&str, &str)],
    body: Option<Value>,
) -> (u16, Value) {
    let url = format!("{}/v1.0{path}", h.emu.endpoint());
    let mut req = h.http.request(method, url).query(query);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn get(h: &Harness, token: &str, path: &str) -> (u16, Value) {
    graph(h, Some(token), reqwest::Method::GET, path, &[], None).await
}

/// The values a filtered list returns, reduced to one property.
async fn filtered(
    h: &Harness,
    token: &str,
    collection: &str,
    filter: &str,
    prop: &str,
) -> Vec<String> {
    let (s, body) = graph(
        h,
        Some(token),
        reqwest::Method::GET,
        collection,
        &[("$filter", filter)],
        None,
    )
    .await;
    assert_eq!(s, 200, "{filter}: {body}");
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v[prop].as_str().unwrap().to_string())
        .collect()
}

fn client_id(h: &Harness, app: &str) -> String {
    h.find("apps", app)["client_id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn sp_id(h: &Harness, app: &str, tenant: &str) -> String {
    h.find("apps", app)["service_principals"][tenant]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn users_list_filters_and_shape() {
    let h = Harness::start().await;
    let t = app_graph_token(&h, "contoso-admin", "contoso.com").await;
    let alinne_id = h.find("users", ALINNE)["id"].as_str().unwrap().to_string();

    let (s, body) = get(&h, &t, "/users").await;
    assert_eq!(s, 200);
    assert_eq!(
        body["@odata.context"],
        "https://graph.microsoft.com/v1.0/$metadata#users"
    );
    assert_eq!(
        body["value"][0],
        json!({"id": alinne_id, "displayName": "Alinne Montes", "userPrincipalName": ALINNE,
               "mail": ALINNE, "givenName": "Alinne", "surname": "Montes", "jobTitle": null,
               "businessPhones": [], "mobilePhone": null, "officeLocation": null, "preferredLanguage": null})
    );

    let upn = vec![ALINNE.to_string()];
    for filter in [
        "userPrincipalName eq 'ALINNE_MONTES@contoso.com'",
        "mail eq 'alinne_montes@contoso.com'",
        "startsWith(displayName,'ali')",
        "startswith( displayName , 'Alinne M' )",
        "displayName eq 'alinne montes'",
        &format!("id eq '{alinne_id}'"),
    ] {
        assert_eq!(
            filtered(&h, &t, "/users", filter, "userPrincipalName").await,
            upn,
            "{filter}"
        );
    }
    for filter in [
        "userPrincipalName eq 'nobody@contoso.com'",
        "startsWith(displayName,'Montes')",
        "displayName eq 'O''Brien'",
    ] {
        assert!(
            filtered(&h, &t, "/users", filter, "id").await.is_empty(),
            "{filter}"
        );
    }

    let (s, body) = graph(
        &h,
        Some(&t),
        reqwest::Method::GET,
        "/users",
        &[("$select", "id,displayName")],
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        body["value"][0],
        json!({"id": alinne_id, "displayName": "Alinne Montes"})
    );
    assert_eq!(
        body["@odata.context"],
        "https://graph.microsoft.com/v1.0/$metadata#users(id,displayName)"
    );
    h.emu.stop().await;
}

#[tokio::test]
async fn user_by_id_or_upn_me_and_not_found() {
    let h = Harness::start().await;
    let t = app_graph_token(&h, "contoso-admin", "contoso.com").await;
    let alinne_id = h.find("users", ALINNE)["id"].as_str().unwrap().to_string();
    for key in [alinne_id.as_str(), ALINNE] {
        let (s, body) = get(&h, &t, &format!("/users/{key}")).await;
        assert_eq!(s, 200);
        assert_eq!(body["id"], alinne_id.as_str());
        assert_eq!(
            body["@odata.context"],
            "https://graph.microsoft.com/v1.0/$metadata#users/$entity"
        );
        assert!(body.get("@odata.type").is_none());
    }

    let (s, body) = get(&h, &t, "/users/nobody@contoso.com").await;
    assert_eq!(s, 404);
    let error = &body["error"];
    assert_eq!(error["code"], "Request_ResourceNotFound");
    assert_eq!(
        error["message"],
        "Resource 'nobody@contoso.com' does not exist or one of its queried reference-property objects are not present."
    );
    for key in ["date", "request-id", "client-request-id"] {
        assert!(error["innerError"][key].is_string(), "{key}");
    }

    let (s, body) = get(&h, &t, "/me").await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (400, Some("BadRequest"))
    );
    let user = user_graph_token(&h).await;
    let (s, body) = get(&h, &user, "/me").await;
    assert_eq!(s, 200);
    assert_eq!(body["userPrincipalName"], ALINNE);
    h.emu.stop().await;
}

#[tokio::test]
async fn service_principals_filters_and_lookups() {
    let h = Harness::start().await;
    let t = app_graph_token(&h, "fabrikam-admin", "fabrikam.com").await;
    let app_id = client_id(&h, "myGalleryApp");
    let fabrikam_sp = sp_id(&h, "myGalleryApp", "fabrikam");

    let (s, body) = get(&h, &t, "/servicePrincipals").await;
    assert_eq!(s, 200);
    assert_eq!(
        body["@odata.context"],
        "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals"
    );
    let names: Vec<&str> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["fabrikam-admin", "myGalleryApp"],
        "only SPs present in fabrikam"
    );

    let expected = json!({"id": fabrikam_sp, "appId": app_id, "displayName": "myGalleryApp",
        "servicePrincipalNames": [app_id, format!("api://{app_id}")], "servicePrincipalType": "Application",
        "appOwnerOrganizationId": h.tenant("contoso"), "accountEnabled": true});
    let one = vec![fabrikam_sp.clone()];
    for filter in [
        format!("servicePrincipalNames/any(c:c eq '{app_id}')"),
        format!("servicePrincipalNames/any(x: x eq 'API://{app_id}')"),
        format!("appId eq '{app_id}'"),
        "displayName eq 'MYGALLERYAPP'".to_string(),
        "startsWith(displayName,'myGal')".to_string(),
        format!("id eq '{fabrikam_sp}'"),
    ] {
        assert_eq!(
            filtered(&h, &t, "/servicePrincipals", &filter, "id").await,
            one,
            "{filter}"
        );
    }
    // contoso-admin has no service principal in fabrikam.
    let contoso_admin = client_id(&h, "contoso-admin");
    let filter = format!("servicePrincipalNames/any(c:c eq '{contoso_admin}')");
    assert!(filtered(&h, &t, "/servicePrincipals", &filter, "id")
        .await
        .is_empty());

    let (s, body) = get(&h, &t, &format!("/servicePrincipals/{fabrikam_sp}")).await;
    assert_eq!(s, 200);
    assert_eq!(
        body["@odata.context"],
        "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals/$entity"
    );
    let mut entity = body.clone();
    entity.as_object_mut().unwrap().remove("@odata.context");
    assert_eq!(entity, expected);
    let (s, body) = get(&h, &t, &format!("/servicePrincipals(appId='{app_id}')")).await;
    assert_eq!((s, &body["id"]), (200, &json!(fabrikam_sp)));

    let contoso_sp = sp_id(&h, "myGalleryApp", "contoso");
    let (s, body) = get(&h, &t, &format!("/servicePrincipals/{contoso_sp}")).await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (404, Some("Request_ResourceNotFound"))
    );
    let (s, _) = get(
        &h,
        &t,
        &format!("/servicePrincipals(appId='{contoso_admin}')"),
    )
    .await;
    assert_eq!(s, 404);
    h.emu.stop().await;
}

#[tokio::test]
async fn get_by_ids_types_and_unknown_ids() {
    let h = Harness::start().await;
    let t = app_graph_token(&h, "contoso-admin", "contoso.com").await;
    let alinne_id = h.find("users", ALINNE)["id"].as_str().unwrap().to_string();
    let sp = sp_id(&h, "contoso-admin", "contoso");
    let unknown = "00000000-0000-0000-0000-000000000001";
    let by_ids = |body: Value| {
        graph(
            &h,
            Some(&t),
            reqwest::Method::POST,
            "/directoryObjects/getByIds",
            &[],
            Some(body),
        )
    };

    let (s, body) = by_ids(json!({"ids": [alinne_id, unknown, sp]})).await;
    assert_eq!(s, 200);
    assert_eq!(
        body["@odata.context"],
        "https://graph.microsoft.com/v1.0/$metadata#directoryObjects"
    );
    let value = body["value"].as_array().unwrap();
    assert_eq!(value.len(), 2);
    assert_eq!(value[0]["@odata.type"], "#microsoft.graph.user");
    assert_eq!(value[0]["userPrincipalName"], ALINNE);
    assert_eq!(value[1]["@odata.type"], "#microsoft.graph.servicePrincipal");
    assert_eq!(value[1]["id"], sp.as_str());

    let (s, body) =
        by_ids(json!({"ids": [alinne_id, sp], "types": ["servicePrincipal", "group"]})).await;
    assert_eq!(s, 200);
    let types: Vec<&str> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["@odata.type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["#microsoft.graph.servicePrincipal"]);
    let (_, body) =
        by_ids(json!({"ids": [alinne_id, sp], "types": ["microsoft.graph.user"]})).await;
    assert_eq!(body["value"].as_array().unwrap().len(), 1);
    assert_eq!(body["value"][0]["id"], alinne_id.as_str());

    let (s, body) = by_ids(json!({"types": ["user"]})).await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (400, Some("Request_BadRequest"))
    );
    let (s, _) = graph(
        &h,
        Some(&t),
        reqwest::Method::GET,
        "/directoryObjects/getByIds",
        &[],
        None,
    )
    .await;
    assert_eq!(s, 405);
    h.emu.stop().await;
}

#[tokio::test]
async fn tenant_isolation() {
    let h = Harness::start().await;
    let t = app_graph_token(&h, "myGalleryApp", "fabrikam.com").await;
    let alinne_id = h.find("users", ALINNE)["id"].as_str().unwrap().to_string();
    let (s, body) = get(&h, &t, "/users").await;
    assert_eq!((s, body["value"].as_array().unwrap().len()), (200, 0));
    assert!(filtered(
        &h,
        &t,
        "/users",
        &format!("userPrincipalName eq '{ALINNE}'"),
        "id"
    )
    .await
    .is_empty());
    let (s, _) = get(&h, &t, &format!("/users/{ALINNE}")).await;
    assert_eq!(s, 404);
    let (s, body) = graph(
        &h,
        Some(&t),
        reqwest::Method::POST,
        "/directoryObjects/getByIds",
        &[],
        Some(json!({"ids": [alinne_id, sp_id(&h, "contoso-admin", "contoso")]})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(body["value"], json!([]));
    h.emu.stop().await;
}

#[tokio::test]
async fn arm_tokens_and_missing_tokens_are_refused_and_logged() {
    let h = Harness::start().await;
    let arm = h.app_token("contoso-admin", "contoso.com").await;
    let (s, body) = get(&h, &arm, "/users").await;
    assert_eq!(s, 401);
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    assert_eq!(
        body["error"]["message"],
        "Access token validation failure. Invalid audience."
    );
    assert!(body["error"]["innerError"]["request-id"].is_string());

    let resp = h
        .http
        .get(format!("{}/v1.0/users", h.emu.endpoint()))
        .header("client-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["client-request-id"], "abc-123");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    assert_eq!(body["error"]["innerError"]["client-request-id"], "abc-123");

    // A Graph token is no good for ARM either.
    let t = app_graph_token(&h, "contoso-admin", "contoso.com").await;
    let (s, body) = h.get(&t, "/subscriptions").await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (401, Some("InvalidAuthenticationTokenAudience"))
    );

    h.emu.clear_request_log();
    let (s, _) = graph(
        &h,
        Some(&t),
        reqwest::Method::GET,
        "/users",
        &[("$filter", "mail eq 'x'")],
        None,
    )
    .await;
    assert_eq!(s, 200);
    let log = h.emu.request_log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["path"], "/v1.0/users");
    assert_eq!(log[0]["tenant"], h.tenant("contoso").as_str());
    assert_eq!(
        log[0]["principal"],
        sp_id(&h, "contoso-admin", "contoso").as_str()
    );
    assert!(!log[0].to_string().contains(&t), "no token in the log");
    h.emu.stop().await;
}

#[tokio::test]
async fn unsupported_filters_are_400() {
    let h = Harness::start().await;
    let t = app_graph_token(&h, "contoso-admin", "contoso.com").await;
    for (collection, filter) in [
        ("/users", "jobTitle eq 'x'"),
        ("/users", "displayName ne 'x'"),
        ("/users", "endsWith(mail,'x')"),
        ("/users", "displayName eq 'x' or mail eq 'y'"),
        ("/users", "displayName eq 'unterminated"),
        ("/users", "servicePrincipalNames/any(c:c eq 'x')"),
        ("/servicePrincipals", "mail eq 'x'"),
        ("/servicePrincipals", "accountEnabled eq true"),
    ] {
        let (s, body) = graph(
            &h,
            Some(&t),
            reqwest::Method::GET,
            collection,
            &[("$filter", filter)],
            None,
        )
        .await;
        assert_eq!(s, 400, "{filter}");
        assert_eq!(
            body["error"]["code"], "Request_UnsupportedQuery",
            "{filter}"
        );
        assert_eq!(body["error"]["message"], "Unsupported query.");
    }
    let (s, body) = get(&h, &t, "/groups").await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (400, Some("BadRequest"))
    );
    h.emu.stop().await;
}
