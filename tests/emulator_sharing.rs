//! The sharing rules end to end: direct sharing, regions, tenancy, RBAC, LRO and paging.
mod emulator_common;

use std::time::Duration;

use _core::emulator::Options;
use emulator_common::Harness;
use serde_json::{json, Value};

fn names(list: &Value) -> Vec<String> {
    list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn direct_sharing_is_visible_per_region_and_audience() {
    let h = Harness::start().await;
    let contoso = h.app_token("contoso-admin", "contoso.com").await;
    let fabrikam = h.app_token("fabrikam-admin", "fabrikam.com").await;
    let g = h.publish(&contoso, "sharedGallery", "Groups").await;
    let fab_sub = h.sub("fabrikam-prod");
    let unique = format!("{}-SHAREDGALLERY", h.sub("contoso-prod"));
    let shared = |loc: &str, q: &str| {
        format!("/subscriptions/{fab_sub}/providers/Microsoft.Compute/locations/{loc}/sharedGalleries{q}")
    };

    let (s, _, body) = h.call(&contoso, reqwest::Method::POST, &format!("{g}/share"),
        Some(json!({"operationType": "Add", "groups": [{"type": "Subscriptions", "ids": [fab_sub]}]}))).await;
    assert_eq!(s, 202);
    assert_eq!(body["operationType"], "Add");
    for loc in ["eastus", "westus"] {
        assert_eq!(
            names(&h.get(&fabrikam, &shared(loc, "")).await.1),
            vec![unique.clone()],
            "{loc}"
        );
    }
    assert!(names(&h.get(&fabrikam, &shared("northeurope", "")).await.1).is_empty());
    assert!(names(
        &h.get(&fabrikam, &shared("eastus", "?sharedTo=tenant"))
            .await
            .1
    )
    .is_empty());
    let (s, v) = h
        .get(
            &fabrikam,
            &format!(
                "{}/{unique}/images/linux/versions/1.0.0",
                shared("westus", "")
            ),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["identifier"]["uniqueId"],
        format!("/SharedGalleries/{unique}/Images/linux/Versions/1.0.0")
    );

    h.post(&contoso, &format!("{g}/share"), json!({"operationType": "Add", "groups": [{"type": "AADTenants", "ids": [h.tenant("fabrikam")]}]})).await;
    assert_eq!(
        names(
            &h.get(&fabrikam, &shared("eastus", "?sharedTo=tenant"))
                .await
                .1
        ),
        vec![unique.clone()]
    );
    let (_, gallery) = h.get(&contoso, &format!("{g}?$select=permissions")).await;
    assert_eq!(
        gallery["properties"]["sharingProfile"]["groups"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(h.get(&contoso, &g).await.1["properties"]["sharingProfile"]
        .get("groups")
        .is_none());

    h.post(
        &contoso,
        &format!("{g}/share"),
        json!({"operationType": "Remove", "groups": [{"type": "Subscriptions", "ids": [fab_sub]}]}),
    )
    .await;
    assert!(names(&h.get(&fabrikam, &shared("eastus", "")).await.1).is_empty());
    assert_eq!(
        h.get(&fabrikam, &format!("{}/{unique}", shared("eastus", "")))
            .await
            .0,
        200,
        "still shared to the tenant"
    );
    h.post(
        &contoso,
        &format!("{g}/share"),
        json!({"operationType": "Reset"}),
    )
    .await;
    assert!(names(
        &h.get(&fabrikam, &shared("eastus", "?sharedTo=tenant"))
            .await
            .1
    )
    .is_empty());
    assert_eq!(
        h.get(&fabrikam, &format!("{}/{unique}", shared("eastus", "")))
            .await
            .0,
        404
    );
    assert_eq!(
        h.get(&contoso, &g).await.1["properties"]["sharingProfile"]["permissions"],
        "Private"
    );
    h.emu.stop().await;
}

#[tokio::test]
async fn add_on_private_gallery_is_refused_naming_the_mode() {
    let h = Harness::start().await;
    let contoso = h.app_token("contoso-admin", "contoso.com").await;
    let g = h.publish(&contoso, "privateGallery", "Private").await;
    let (s, e) = h
        .post(
            &contoso,
            &format!("{g}/share"),
            json!({"operationType": "Add", "groups": [{"type": "Subscriptions", "ids": ["x"]}]}),
        )
        .await;
    assert_eq!(s, 409);
    assert_eq!(e["error"]["code"], "OperationNotAllowed");
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("'Private'") && msg.contains("'Groups'"),
        "{msg}"
    );
    h.emu.stop().await;
}

#[tokio::test]
async fn contributor_cannot_share_and_wrong_tenant_is_refused() {
    let h = Harness::start().await;
    let contoso = h.app_token("contoso-admin", "contoso.com").await;
    let g = h.publish(&contoso, "rbacGallery", "Groups").await;
    let app_sp = h.find("apps", "myGalleryApp")["service_principals"]["contoso"]
        .as_str()
        .unwrap()
        .to_string();
    let sub = h.sub("contoso-prod");
    let ra = format!(
        "/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments/{}",
        uuid::Uuid::new_v4()
    );
    let body = json!({"properties": {"roleDefinitionId": format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c"),
                                     "principalId": app_sp, "principalType": "ServicePrincipal"}});
    assert_eq!(h.put(&contoso, &ra, body.clone()).await.0, 201);
    let other = format!(
        "/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments/{}",
        uuid::Uuid::new_v4()
    );
    let (s, e) = h.put(&contoso, &other, body).await;
    assert_eq!(
        (s, e["error"]["code"].as_str().unwrap()),
        (409, "RoleAssignmentExists")
    );

    let contributor = h.app_token("myGalleryApp", "contoso.com").await;
    assert_eq!(h.get(&contributor, &g).await.0, 200);
    let (s, e) = h
        .post(
            &contributor,
            &format!("{g}/share"),
            json!({"operationType": "Reset"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str().unwrap()),
        (403, "AuthorizationFailed")
    );
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("'Microsoft.Compute/galleries/share/action'"));

    let (s, hdrs, e) = h
        .call(
            &contoso,
            reqwest::Method::GET,
            &format!("/subscriptions/{}/resourcegroups", h.sub("fabrikam-prod")),
            None,
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str().unwrap()),
        (401, "InvalidAuthenticationTokenTenant")
    );
    assert!(hdrs["www-authenticate"]
        .to_str()
        .unwrap()
        .contains(&h.tenant("fabrikam")));
    let (s, e) = h.get("garbage", &format!("/subscriptions/{sub}")).await;
    assert_eq!(
        (s, e["error"]["code"].as_str().unwrap()),
        (401, "InvalidAuthenticationToken")
    );
    let url = format!("{}/subscriptions/{sub}/resourcegroups", h.emu.endpoint());
    let resp = h.http.get(url).bearer_auth(&contoso).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    let (s, e) = h
        .get(
            &contoso,
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups",
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str().unwrap()),
        (404, "SubscriptionNotFound")
    );
    h.emu.stop().await;
}

#[tokio::test]
async fn lro_headers_and_status_progress_with_a_delay() {
    let h = Harness::with(Options {
        lro_delay: Duration::from_millis(300),
        ..Options::default()
    })
    .await;
    let contoso = h.app_token("contoso-admin", "contoso.com").await;
    let g = h.gallery_path(&h.sub("contoso-prod"), "lroGallery");
    let (s, hdrs, body) = h
        .call(
            &contoso,
            reqwest::Method::PUT,
            &g,
            Some(json!({"location": "eastus"})),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(body["properties"]["provisioningState"], "Creating");
    assert_eq!(hdrs["retry-after"], "1");
    let async_url = hdrs["azure-asyncoperation"].to_str().unwrap().to_string();
    let monitor = hdrs["location"].to_str().unwrap().to_string();
    assert!(
        async_url.contains("/capsOperations/")
            && async_url.ends_with(&format!("api-version={}", emulator_common::API))
    );
    assert!(monitor.contains("monitor=true"));
    assert_eq!(h.get(&contoso, &async_url).await.1["status"], "InProgress");
    assert_eq!(h.get(&contoso, &monitor).await.0, 202);
    assert_eq!(
        h.get(&contoso, &g).await.1["properties"]["provisioningState"],
        "Creating"
    );
    tokio::time::sleep(Duration::from_millis(350)).await;
    let status = h.get(&contoso, &async_url).await.1;
    assert_eq!(status["status"], "Succeeded");
    assert!(status["endTime"].is_string());
    let (s, result) = h.get(&contoso, &monitor).await;
    assert_eq!(
        (
            s,
            result["properties"]["provisioningState"].as_str().unwrap()
        ),
        (200, "Succeeded")
    );
    assert_eq!(
        h.get(&contoso, &g).await.1["properties"]["provisioningState"],
        "Succeeded"
    );
    h.emu.set_lro_delay(Duration::ZERO);
    let (s, hdrs, _) = h.call(&contoso, reqwest::Method::DELETE, &g, None).await;
    assert_eq!((s, hdrs["retry-after"].to_str().unwrap()), (202, "0"));
    assert_eq!(
        h.call(&contoso, reqwest::Method::DELETE, &g, None).await.0,
        204
    );
    h.emu.stop().await;
}

#[tokio::test]
async fn lists_page_with_absolute_next_links() {
    let h = Harness::start().await;
    h.emu.set_page_size(2);
    let contoso = h.app_token("contoso-admin", "contoso.com").await;
    let sub = h.sub("contoso-prod");
    for i in 0..5 {
        assert_eq!(
            h.put(
                &contoso,
                &h.gallery_path(&sub, &format!("g{i}")),
                json!({"location": "eastus"})
            )
            .await
            .0,
            201
        );
    }
    let mut seen = Vec::new();
    let mut page = h
        .get(
            &contoso,
            &format!("/subscriptions/{sub}/providers/Microsoft.Compute/galleries"),
        )
        .await
        .1;
    loop {
        seen.extend(names(&page));
        let Some(next) = page.get("nextLink").and_then(Value::as_str) else {
            break;
        };
        assert!(next.starts_with(h.emu.endpoint()) && next.contains("$skiptoken="));
        page = h.get(&contoso, next).await.1;
    }
    assert_eq!(seen, vec!["g0", "g1", "g2", "g3", "g4"]);
    let (s, e) = h
        .put(
            &contoso,
            &h.gallery_path(&sub, "bad-name"),
            json!({"location": "eastus"}),
        )
        .await;
    assert_eq!(
        (
            s,
            e["error"]["code"].as_str().unwrap(),
            e["error"]["target"].as_str().unwrap()
        ),
        (400, "InvalidParameter", "galleryName")
    );
    h.emu.stop().await;
}
