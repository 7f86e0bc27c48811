//! Community galleries end to end: the owner's view, the public consumer views by public name,
//! the Resource Graph query `az sig list-community` sends, Reset, and VMs from community images.
mod emulator_common;

use emulator_common::Harness;
use reqwest::Method;
use serde_json::{json, Value};

const PASSWORD: &str = "Sup3r-Secret-P4ss!";
const COMMUNITY_QUERY: &str =
    "communitygalleryresources | where type == 'microsoft.compute/locations/communitygalleries'";
const GRAPH: &str = "/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01";

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

/// A Community gallery with all four publisher fields, a Linux definition and version 1.0.0 in
/// eastus + westus, owned by contoso-prod. Returns the gallery's path.
async fn publish_community(h: &Harness, token: &str, gallery: &str) -> String {
    let sub = h.sub("contoso-prod");
    let g = h.gallery_path(&sub, gallery);
    let (s, b) = h
        .put(token, &g, json!({"location": "eastus", "properties": {"sharingProfile": {
            "permissions": "Community", "communityGalleryInfo": {"publisherUri": "https://contoso.com",
            "publisherContact": "images@contoso.com", "eula": "https://contoso.com/eula", "publicNamePrefix": "contoso"}}}}))
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = h
        .put(
            token,
            &format!("{g}/images/linux"),
            json!({"location": "eastus", "properties": {
            "osType": "Linux", "osState": "Generalized",
            "identifier": {"publisher": "contoso", "offer": "ubuntu", "sku": "22"}}}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let source = format!(
        "/subscriptions/{sub}/resourceGroups/images/providers/Microsoft.Compute/images/ubuntu-base"
    );
    let (s, b) = h
        .put(
            token,
            &format!("{g}/images/linux/versions/1.0.0"),
            json!({"location": "eastus", "properties": {
            "publishingProfile": {"targetRegions": [{"name": "East US"}, {"name": "westus"}]},
            "storageProfile": {"source": {"id": source}}}}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    g
}

fn community_path(h: &Harness, location: &str, rest: &str) -> String {
    format!(
        "/subscriptions/{}/providers/Microsoft.Compute/locations/{location}/communityGalleries/{rest}",
        h.sub("fabrikam-prod")
    )
}

async fn share(h: &Harness, token: &str, gallery: &str, operation: &str) -> (u16, Value) {
    h.post(
        token,
        &format!("{gallery}/share"),
        json!({"operationType": operation}),
    )
    .await
}

/// POSTs a Resource Graph query (the path carries its own api-version).
async fn graph(h: &Harness, token: &str, body: Value) -> (u16, Value) {
    let url = format!("{}{GRAPH}", h.emu.endpoint());
    let resp = h
        .http
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn rows(page: &Value) -> Vec<(String, String)> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["location"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn public_name(gallery: &Value) -> String {
    gallery["properties"]["sharingProfile"]["communityGalleryInfo"]["publicNames"][0]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn owner_view_has_the_public_name_from_creation_on() {
    let h = Harness::start().await;
    let contoso = h.app_token("contoso-admin", "contoso.com").await;
    let g = publish_community(&h, &contoso, "communityGallery").await;
    let (_, before) = h.get(&contoso, &g).await;
    let info = &before["properties"]["sharingProfile"]["communityGalleryInfo"];
    assert_eq!(info["communityGalleryEnabled"], false);
    assert!(
        info.get("publicNamePrefix").is_none(),
        "write-only, as recorded: {info}"
    );
    let public = public_name(&before);
    let guid = public.strip_prefix("contoso-").expect("{prefix}-{guid}");
    assert!(uuid::Uuid::parse_str(guid).is_ok(), "{public}");

    let (s, body) = share(&h, &contoso, &g, "EnableCommunity").await;
    assert_eq!(
        (s, &body),
        (202, &json!({"operationType": "EnableCommunity"}))
    );
    // galleryExamples/CommunityGallery_Get.json
    let (s, after) = h.get(&contoso, &g).await;
    assert_eq!(s, 200);
    let props = &after["properties"];
    assert_eq!(props["sharingProfile"]["permissions"], "Community");
    let info = &props["sharingProfile"]["communityGalleryInfo"];
    assert_eq!(info["communityGalleryEnabled"], true);
    assert_eq!(info["publicNames"], json!([public]), "stable across enable");
    for field in ["publisherUri", "publisherContact", "eula"] {
        assert!(info[field].is_string(), "{field}: {info}");
    }
    assert_eq!(props["sharingStatus"]["aggregatedState"], "Succeeded");
    assert_eq!(props["sharingStatus"]["summary"][0]["region"], "eastus");
    assert_eq!(props["provisioningState"], "Succeeded");
    assert!(props["identifier"]["uniqueName"].is_string());

    // A read-modify-write cannot send the prefix back (GET hides it); the public name survives.
    let mut update = after.clone();
    update["properties"]["description"] = json!("updated");
    let (s, b) = h.put(&contoso, &g, update).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(public_name(&h.get(&contoso, &g).await.1), public);
    h.emu.stop().await;
}

#[tokio::test]
async fn enable_community_needs_a_community_gallery() {
    let h = Harness::start().await;
    let contoso = h.app_token("contoso-admin", "contoso.com").await;
    let g = h.publish(&contoso, "groupsGallery", "Groups").await;
    let (s, e) = share(&h, &contoso, &g, "EnableCommunity").await;
    assert_eq!((s, code(&e)), (409, "OperationNotAllowed"));
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("'Groups'") && msg.contains("'Community'"),
        "{msg}"
    );
    let (s, e) = h
        .put(&contoso, &h.gallery_path(&h.sub("contoso-prod"), "half"),
            json!({"location": "eastus", "properties": {"sharingProfile": {"permissions": "Community",
                   "communityGalleryInfo": {"publisherUri": "u", "publisherContact": "c", "eula": "e"}}}}))
        .await;
    assert_eq!((s, code(&e)), (400, "InvalidParameter"));
    assert_eq!(
        e["error"]["target"],
        "gallery.properties.sharingProfile.communityGalleryInfo.publicNamePrefix"
    );
    h.emu.stop().await;
}

#[tokio::test]
async fn consumers_see_a_community_gallery_only_while_enabled() {
    let h = Harness::start().await;
    let contoso = h.app_token("contoso-admin", "contoso.com").await;
    let fabrikam = h.app_token("fabrikam-admin", "fabrikam.com").await;
    // Consented in fabrikam but without any role there: community views need none.
    let no_role = h.app_token("myGalleryApp", "fabrikam.com").await;
    let g = publish_community(&h, &contoso, "communityGallery").await;
    let public = public_name(&h.get(&contoso, &g).await.1);
    let gallery_in = |loc: &str| community_path(&h, loc, &public);

    let (s, e) = h.get(&fabrikam, &gallery_in("eastus")).await;
    assert_eq!((s, code(&e)), (404, "ResourceNotFound"), "not enabled yet");
    assert!(e["error"]["message"].as_str().unwrap().contains(&public));

    share(&h, &contoso, &g, "EnableCommunity").await;
    // CommunityGallery_Get.json, in the gallery's region and its versions' regions, any case.
    for (caller, loc) in [
        (&fabrikam, "eastus"),
        (&no_role, "westus"),
        (&fabrikam, "WestUS"),
    ] {
        let (s, b) = h.get(caller, &gallery_in(loc)).await;
        assert_eq!(s, 200, "{loc}: {b}");
        assert_eq!(b["name"], public.as_str());
        assert_eq!(b["location"], loc.to_ascii_lowercase());
        assert_eq!(b["type"], "Microsoft.Compute/locations/communityGallery");
        assert_eq!(
            b["identifier"]["uniqueId"],
            format!("/CommunityGalleries/{public}")
        );
        let meta = &b["properties"]["communityMetadata"];
        assert_eq!(meta["publisherUri"], "https://contoso.com");
        assert_eq!(meta["publisherContact"], "images@contoso.com");
        assert_eq!(meta["eula"], "https://contoso.com/eula");
        assert_eq!(meta["publicNames"], json!([public]));
        assert!(b["properties"]["artifactTags"].is_object());
    }
    let upper = community_path(&h, "eastus", &public.to_ascii_uppercase());
    assert_eq!(
        h.get(&fabrikam, &upper).await.0,
        200,
        "public names match case-insensitively"
    );
    assert_eq!(h.get(&fabrikam, &gallery_in("northeurope")).await.0, 404);

    // CommunityGalleryImage_List / _Get.
    let (s, list) = h
        .get(&no_role, &format!("{}/images", gallery_in("eastus")))
        .await;
    assert_eq!(s, 200, "{list}");
    let image = &list["value"][0];
    assert_eq!(image["name"], "linux");
    assert_eq!(
        image["identifier"]["uniqueId"],
        format!("/CommunityGalleries/{public}/Images/linux")
    );
    let props = &image["properties"];
    assert_eq!(
        (
            &props["osType"],
            &props["osState"],
            &props["hyperVGeneration"]
        ),
        (&json!("Linux"), &json!("Generalized"), &json!("V1"))
    );
    assert_eq!(props["identifier"]["publisher"], "contoso");
    assert!(props["artifactTags"].is_object());
    let (s, one) = h
        .get(&fabrikam, &format!("{}/images/LINUX", gallery_in("westus")))
        .await;
    assert_eq!(
        (s, &one["type"]),
        (
            200,
            &json!("Microsoft.Compute/locations/communityGalleryImage")
        )
    );
    let (s, e) = h
        .get(&fabrikam, &format!("{}/images/nope", gallery_in("westus")))
        .await;
    assert_eq!((s, code(&e)), (404, "ResourceNotFound"));

    // CommunityGalleryImageVersion_List / _Get, only where the version is replicated.
    let versions = format!("{}/images/linux/versions", gallery_in("westus"));
    let (s, list) = h.get(&fabrikam, &versions).await;
    assert_eq!(s, 200);
    assert_eq!(list["value"].as_array().unwrap().len(), 1);
    let (s, v) = h.get(&fabrikam, &format!("{versions}/1.0.0")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["type"],
        "Microsoft.Compute/locations/communityGalleryImageVersion"
    );
    assert_eq!(
        v["identifier"]["uniqueId"],
        format!("/CommunityGalleries/{public}/Images/linux/Versions/1.0.0")
    );
    let props = &v["properties"];
    assert!(props["publishedDate"].is_string());
    assert_eq!(props["excludeFromLatest"], false);
    assert!(props["storageProfile"]["osDiskImage"]["diskSizeGB"].is_number());
    assert!(props["storageProfile"]["osDiskImage"]["hostCaching"].is_string());
    assert!(props.get("source").is_none() && props.get("publishingProfile").is_none());

    // The tenancy rule still applies to the subscription in the path.
    let foreign = format!(
        "/subscriptions/{}/providers/Microsoft.Compute/locations/eastus/communityGalleries/{public}",
        h.sub("contoso-prod")
    );
    let (s, e) = h.get(&fabrikam, &foreign).await;
    assert_eq!((s, code(&e)), (401, "InvalidAuthenticationTokenTenant"));
    assert_eq!(
        h.call(&fabrikam, Method::DELETE, &gallery_in("eastus"), None)
            .await
            .0,
        405
    );

    let (s, _) = share(&h, &contoso, &g, "Reset").await;
    assert_eq!(s, 202);
    for path in [gallery_in("eastus"), format!("{versions}/1.0.0")] {
        let (s, e) = h.get(&fabrikam, &path).await;
        assert_eq!((s, code(&e)), (404, "ResourceNotFound"), "{path}");
    }
    assert_eq!(
        h.get(&contoso, &g).await.1["properties"]["sharingProfile"]["permissions"],
        "Private"
    );
    h.emu.stop().await;
}

#[tokio::test]
async fn resource_graph_lists_community_galleries_per_region() {
    let h = Harness::start().await;
    let contoso = h.app_token("contoso-admin", "contoso.com").await;
    let fabrikam = h.app_token("fabrikam-admin", "fabrikam.com").await;
    let g = publish_community(&h, &contoso, "communityGallery").await;
    let public = public_name(&h.get(&contoso, &g).await.1);

    let (s, page) = graph(
        &h,
        &fabrikam,
        json!({"query": COMMUNITY_QUERY, "options": {"$top": 30}}),
    )
    .await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(
        (page["totalRecords"].clone(), page["count"].clone()),
        (json!(0), json!(0))
    );
    assert!(page["data"].as_array().unwrap().is_empty());

    share(&h, &contoso, &g, "EnableCommunity").await;
    let (s, page) = graph(
        &h,
        &fabrikam,
        json!({"query": COMMUNITY_QUERY, "options": {"$top": 30}}),
    )
    .await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(
        rows(&page),
        vec![
            (public.clone(), "eastus".to_string()),
            (public.clone(), "westus".to_string())
        ]
    );
    assert_eq!(
        (page["totalRecords"].clone(), page["count"].clone()),
        (json!(2), json!(2))
    );
    assert_eq!(page["resultTruncated"], "false");
    assert!(page["facets"].is_array() && page.get("$skipToken").is_none());
    let row = &page["data"][0];
    assert_eq!(
        row["type"],
        "microsoft.compute/locations/communitygalleries"
    );
    assert_eq!(row["id"], format!("/CommunityGalleries/{public}"));
    assert_eq!(
        row["properties"]["communityMetadata"]["publicNames"],
        json!([public])
    );
    assert_eq!(
        row["properties"]["communityMetadata"]["publisherContact"],
        "images@contoso.com"
    );

    // `az sig list-community --location` adds a location clause; `=~` ignores case.
    for clause in [
        "| where location == 'westus'",
        "| where location =~ 'WestUS'",
    ] {
        let query = format!("{COMMUNITY_QUERY} {clause}");
        let (s, page) = graph(&h, &fabrikam, json!({"query": query})).await;
        assert_eq!(s, 200, "{page}");
        assert_eq!(
            rows(&page),
            vec![(public.clone(), "westus".to_string())],
            "{clause}"
        );
    }

    // Paging: $top=1, then the $skipToken of each page until there is none.
    let mut seen = Vec::new();
    let mut options = json!({"$top": 1});
    loop {
        let (s, page) = graph(
            &h,
            &contoso,
            json!({"query": COMMUNITY_QUERY, "options": options.clone(),
                                                     "subscriptions": [h.sub("contoso-prod")]}),
        )
        .await;
        assert_eq!(s, 200, "{page}");
        assert_eq!(
            (page["count"].clone(), page["totalRecords"].clone()),
            (json!(1), json!(2))
        );
        seen.extend(rows(&page));
        match page.get("$skipToken").and_then(Value::as_str) {
            Some(token) => options = json!({"$top": 1, "$skipToken": token}),
            None => break,
        }
    }
    assert_eq!(seen.len(), 2);
    assert_ne!(seen[0], seen[1]);

    // Queries the emulator does not model get Resource Graph's 400.
    let (s, e) = graph(
        &h,
        &fabrikam,
        json!({"query": "resources | where type == 'microsoft.compute/galleries'"}),
    )
    .await;
    assert_eq!((s, code(&e)), (400, "BadRequest"));
    assert_eq!(e["error"]["details"][0]["code"], "InvalidQuery");
    let (s, e) = graph(
        &h,
        &fabrikam,
        json!({"query": COMMUNITY_QUERY, "options": {"$skipToken": "garbage"}}),
    )
    .await;
    assert_eq!((s, code(&e)), (400, "BadRequest"));

    share(&h, &contoso, &g, "Reset").await;
    let (_, page) = graph(&h, &fabrikam, json!({"query": COMMUNITY_QUERY})).await;
    assert!(rows(&page).is_empty(), "gone after Reset");
    h.emu.stop().await;
}

#[tokio::test]
async fn vm_from_community_image_needs_community_enabled() {
    let h = Harness::start().await;
    let contoso = h.app_token("contoso-admin", "contoso.com").await;
    let fab = h.app_token("fabrikam-admin", "fabrikam.com").await;
    let g = publish_community(&h, &contoso, "communityGallery").await;
    let public = public_name(&h.get(&contoso, &g).await.1);
    let sub = h.sub("fabrikam-prod");
    let rg = format!("/subscriptions/{sub}/resourceGroups/app");
    let (s, _) = h.put(&fab, &rg, json!({"location": "eastus"})).await;
    assert!(s == 200 || s == 201);
    let vnet = format!("{rg}/providers/Microsoft.Network/virtualNetworks/vnet");
    let (s, b) = h
        .put(
            &fab,
            &vnet,
            json!({"location": "eastus", "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/24"}}]}}),
        )
        .await;
    assert!(s == 200 || s == 201, "{b}");
    let nic = format!("{rg}/providers/Microsoft.Network/networkInterfaces/nic1");
    let (s, b) = h
        .put(&fab, &nic, json!({"location": "eastus", "properties": {"ipConfigurations": [
            {"name": "ipconfig1", "properties": {"subnet": {"id": format!("{vnet}/subnets/default")}}}]}}))
        .await;
    assert!(s == 200 || s == 201, "{b}");
    let vm = format!("{rg}/providers/Microsoft.Compute/virtualMachines/vm1");
    let body = json!({"location": "eastus", "properties": {
        "hardwareProfile": {"vmSize": "Standard_D1_v2"},
        "storageProfile": {"imageReference": {"communityGalleryImageId":
                               format!("/CommunityGalleries/{public}/Images/linux/Versions/latest")},
                           "osDisk": {"createOption": "FromImage"}},
        "osProfile": {"computerName": "vm1", "adminUsername": "azureuser", "adminPassword": PASSWORD},
        "networkProfile": {"networkInterfaces": [{"id": nic, "properties": {"primary": true}}]}}});

    let (s, e) = h.put(&fab, &vm, body.clone()).await;
    assert_eq!(
        (s, code(&e)),
        (404, "GalleryImageNotFound"),
        "not enabled yet"
    );
    share(&h, &contoso, &g, "EnableCommunity").await;
    let (s, b) = h.put(&fab, &vm, body).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(
        b["properties"]["storageProfile"]["imageReference"]["exactVersion"],
        "1.0.0"
    );
    h.emu.stop().await;
}
