//! Deployment end to end: Network resources and their reference checks, VMs and scale sets from
//! shared, community-less, same-tenant and cross-tenant gallery images.
mod emulator_common;

use emulator_common::{Harness, API};
use reqwest::Method;
use serde_json::{json, Value};

const PASSWORD: &str = "Sup3r-Secret-P4ss!";
const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";

fn rg_path(sub: &str, rg: &str) -> String {
    format!("/subscriptions/{sub}/resourceGroups/{rg}")
}

fn net(sub: &str, rg: &str, kind: &str, name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/{kind}/{name}",
        rg_path(sub, rg)
    )
}

fn vm_path(sub: &str, rg: &str, name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Compute/virtualMachines/{name}",
        rg_path(sub, rg)
    )
}

/// A VM body from the spec example, with the given image reference, NIC and region.
fn vm_body(location: &str, image: Value, nic: &str) -> Value {
    json!({"location": location, "properties": {
        "hardwareProfile": {"vmSize": "Standard_D1_v2"},
        "storageProfile": {"imageReference": image, "osDisk": {"createOption": "FromImage", "caching": "ReadWrite",
                           "managedDisk": {"storageAccountType": "Standard_LRS"}}},
        "osProfile": {"computerName": "myVM", "adminUsername": "azureuser", "adminPassword": PASSWORD,
                      "customData": "c2VjcmV0"},
        "networkProfile": {"networkInterfaces": [{"id": nic, "properties": {"primary": true}}]}}})
}

async fn put_ok(h: &Harness, token: &str, path: &str, body: Value) -> Value {
    let (s, b) = h.put(token, path, body).await;
    assert!(s == 200 || s == 201, "PUT {path}: {s} {b}");
    b
}

/// A resource group with a VNet (10.0.0.0/16, subnet `default` 10.0.0.0/24) in `location`.
async fn network(h: &Harness, token: &str, sub: &str, rg: &str, location: &str) -> String {
    put_ok(h, token, &rg_path(sub, rg), json!({"location": location})).await;
    let vnet = net(sub, rg, "virtualNetworks", "vnet");
    put_ok(
        h,
        token,
        &vnet,
        json!({"location": location, "properties": {
        "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
        "subnets": [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/24"}}]}}),
    )
    .await;
    format!("{vnet}/subnets/default")
}

async fn nic(h: &Harness, token: &str, sub: &str, rg: &str, name: &str, subnet: &str) -> String {
    let path = net(sub, rg, "networkInterfaces", name);
    let location = if subnet.contains("/resourceGroups/north") {
        "northeurope"
    } else {
        "eastus"
    };
    put_ok(
        h,
        token,
        &path,
        json!({"location": location, "properties": {"ipConfigurations": [
        {"name": "ipconfig1", "properties": {"subnet": {"id": subnet}}}]}}),
    )
    .await;
    path
}

async fn assign(h: &Harness, token: &str, scope: &str, role: &str, principal: &str) {
    let sub = scope.split('/').nth(2).unwrap();
    let path = format!(
        "{scope}/providers/Microsoft.Authorization/roleAssignments/{}",
        uuid::Uuid::new_v4()
    );
    let (s, b) = h
        .put(token, &path, json!({"properties": {
            "roleDefinitionId": format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{role}"),
            "principalId": principal, "principalType": "ServicePrincipal"}}))
        .await;
    assert_eq!(s, 201, "{b}");
}

fn sp(h: &Harness, app: &str, tenant: &str) -> String {
    h.find("apps", app)["service_principals"][tenant]
        .as_str()
        .unwrap()
        .to_string()
}

/// PUT with an `x-ms-authorization-auxiliary` header.
async fn put_with_aux(
    h: &Harness,
    token: &str,
    aux: &str,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let url = format!("{}{path}?api-version={API}", h.emu.endpoint());
    let resp = h
        .http
        .request(Method::PUT, url)
        .bearer_auth(token)
        .header("x-ms-authorization-auxiliary", aux)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn network_resources_and_references() {
    let h = Harness::start().await;
    let fab = h.app_token("fabrikam-admin", "fabrikam.com").await;
    let sub = h.sub("fabrikam-prod");
    let subnet = network(&h, &fab, &sub, "app", "eastus").await;
    let vnet = net(&sub, "app", "virtualNetworks", "vnet");

    let (s, headers, body) = h
        .call(
            &fab,
            Method::PUT,
            &format!("{vnet}/subnets/second"),
            Some(json!({"properties": {"addressPrefix": "10.0.1.0/24"}})),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    assert_eq!(body["type"], "Microsoft.Network/virtualNetworks/subnets");
    let async_url = headers["azure-asyncoperation"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(async_url.contains(&format!(
        "/subscriptions/{sub}/providers/Microsoft.Network/locations/eastus/operations/"
    )));
    assert!(
        headers.get("location").is_none(),
        "Network PUTs have no Location"
    );
    assert_eq!(
        h.get(&fab, &async_url).await.1,
        json!({"status": "Succeeded"})
    );
    let (_, v) = h.get(&fab, &vnet).await;
    assert_eq!(v["properties"]["subnets"].as_array().unwrap().len(), 2);
    assert_eq!(v["properties"]["provisioningState"], "Succeeded");
    assert!(v["etag"].as_str().unwrap().starts_with("W/\""));
    assert!(v["properties"]["resourceGuid"].is_string());

    let nsg = net(&sub, "app", "networkSecurityGroups", "nsg");
    let b = put_ok(&h, &fab, &nsg, json!({"location": "eastus", "properties": {"securityRules": [
        {"name": "ssh", "properties": {"priority": 1000, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
         "sourcePortRange": "*", "destinationPortRange": "22", "sourceAddressPrefix": "*", "destinationAddressPrefix": "*"}}]}})).await;
    assert_eq!(
        b["properties"]["defaultSecurityRules"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    let (s, e) = h
        .put(
            &fab,
            &format!("{nsg}/securityRules/bad"),
            json!({"properties": {"priority": 50}}),
        )
        .await;
    assert_eq!((s, code(&e)), (400, "SecurityRuleInvalidPriority"));
    let pip = net(&sub, "app", "publicIPAddresses", "pip");
    let b = put_ok(&h, &fab, &pip, json!({"location": "eastus"})).await;
    assert_eq!(b["sku"]["name"], "Basic");

    let nic_path = net(&sub, "app", "networkInterfaces", "nic1");
    let missing_subnet = format!("{vnet}/subnets/nope");
    let (s, e) = h
        .put(
            &fab,
            &nic_path,
            json!({"location": "eastus", "properties": {"ipConfigurations": [
        {"name": "ipconfig1", "properties": {"subnet": {"id": missing_subnet}}}]}}),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(e["error"]["code"], "InvalidResourceReference");
    assert_eq!(e["error"]["message"], format!("Resource {missing_subnet} referenced by resource {nic_path} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region."));
    let missing_pip = net(&sub, "app", "publicIPAddresses", "nope");
    let (s, e) = h.put(&fab, &nic_path, json!({"location": "eastus", "properties": {"ipConfigurations": [
        {"name": "ipconfig1", "properties": {"subnet": {"id": subnet}, "publicIPAddress": {"id": missing_pip}}}]}})).await;
    assert_eq!((s, code(&e)), (400, "InvalidResourceReference"));
    let (s, e) = h
        .put(
            &fab,
            &nic_path,
            json!({"location": "westus", "properties": {"ipConfigurations": [
        {"name": "ipconfig1", "properties": {"subnet": {"id": subnet}}}]}}),
        )
        .await;
    assert_eq!(
        (s, code(&e)),
        (400, "InvalidResourceReference"),
        "subnet in another region"
    );

    let b = put_ok(&h, &fab, &nic_path, json!({"location": "eastus", "properties": {
        "networkSecurityGroup": {"id": nsg},
        "ipConfigurations": [{"name": "ipconfig1", "properties": {"subnet": {"id": subnet}, "publicIPAddress": {"id": pip}}}]}})).await;
    assert_eq!(
        b["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"],
        "10.0.0.4"
    );
    let second = nic(&h, &fab, &sub, "app", "nic2", &subnet).await;
    let (_, n2) = h.get(&fab, &second).await;
    assert_eq!(
        n2["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"],
        "10.0.0.5"
    );
    let (_, s1) = h.get(&fab, &subnet).await;
    assert_eq!(
        s1["properties"]["ipConfigurations"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let (_, p) = h.get(&fab, &pip).await;
    assert!(p["properties"]["ipConfiguration"]["id"]
        .as_str()
        .unwrap()
        .ends_with("nic1/ipConfigurations/ipconfig1"));
    let (_, list) = h
        .get(
            &fab,
            &format!(
                "{}/providers/Microsoft.Network/networkInterfaces",
                rg_path(&sub, "app")
            ),
        )
        .await;
    assert_eq!(list["value"].as_array().unwrap().len(), 2);

    let (s, _, e) = h.call(&fab, Method::DELETE, &subnet, None).await;
    assert_eq!((s, code(&e)), (400, "InUseSubnetCannotBeDeleted"));
    let (s, _, e) = h.call(&fab, Method::DELETE, &pip, None).await;
    assert_eq!((s, code(&e)), (400, "PublicIPAddressCannotBeDeleted"));
    let (s, headers, _) = h.call(&fab, Method::DELETE, &second, None).await;
    assert_eq!(s, 202);
    let result = headers["location"].to_str().unwrap().to_string();
    assert!(result.contains("/operationResults/"));
    assert_eq!(h.get(&fab, &result).await.0, 204);
    assert_eq!(h.get(&fab, &second).await.0, 404);

    // Joining a subnet is a linked action: a Contributor on another resource group only cannot.
    let app = h.app_token("myGalleryApp", "fabrikam.com").await;
    put_ok(
        &h,
        &fab,
        &rg_path(&sub, "other"),
        json!({"location": "eastus"}),
    )
    .await;
    assign(
        &h,
        &fab,
        &rg_path(&sub, "other"),
        CONTRIBUTOR,
        &sp(&h, "myGalleryApp", "fabrikam"),
    )
    .await;
    let (s, e) = h
        .put(
            &app,
            &net(&sub, "other", "networkInterfaces", "x"),
            json!({"location": "eastus", "properties": {
        "ipConfigurations": [{"name": "c", "properties": {"subnet": {"id": subnet}}}]}}),
        )
        .await;
    assert_eq!((s, code(&e)), (403, "LinkedAuthorizationFailed"));
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("'Microsoft.Network/virtualNetworks/subnets/join/action'"));
    h.emu.stop().await;
}

#[tokio::test]
async fn vm_from_directly_shared_image() {
    let h = Harness::start().await;
    let contoso = h.app_token("contoso-admin", "contoso.com").await;
    let fab = h.app_token("fabrikam-admin", "fabrikam.com").await;
    let g = h.publish(&contoso, "sharedGallery", "Groups").await;
    let sub = h.sub("fabrikam-prod");
    let unique = format!("{}-SHAREDGALLERY", h.sub("contoso-prod"));
    let image = |v: &str| json!({"sharedGalleryImageId": format!("/SharedGalleries/{unique}/Images/linux/Versions/{v}")});
    let subnet = network(&h, &fab, &sub, "app", "eastus").await;
    let nic1 = nic(&h, &fab, &sub, "app", "nic1", &subnet).await;
    let vm1 = vm_path(&sub, "app", "vm1");

    let (s, e) = h
        .put(&fab, &vm1, vm_body("eastus", image("1.0.0"), &nic1))
        .await;
    assert_eq!(
        (s, code(&e)),
        (404, "GalleryImageNotFound"),
        "not shared yet"
    );
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains(&format!(
            "/SharedGalleries/{unique}/Images/linux/Versions/1.0.0"
        )) && msg.contains(&sub),
        "{msg}"
    );

    h.post(
        &contoso,
        &format!("{g}/share"),
        json!({"operationType": "Add", "groups": [{"type": "Subscriptions", "ids": [sub]}]}),
    )
    .await;
    let (s, headers, b) = h
        .call(
            &fab,
            Method::PUT,
            &vm1,
            Some(vm_body("eastus", image("1.0.0"), &nic1)),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert!(headers["azure-asyncoperation"]
        .to_str()
        .unwrap()
        .contains("/providers/Microsoft.Compute/locations/eastus/operations/"));
    assert_eq!(b["properties"]["provisioningState"], "Creating");
    assert_eq!(
        b["properties"]["storageProfile"]["imageReference"]["exactVersion"],
        "1.0.0"
    );
    assert_eq!(
        b["properties"]["storageProfile"]["osDisk"]["osType"],
        "Linux"
    );
    assert!(uuid::Uuid::parse_str(b["properties"]["vmId"].as_str().unwrap()).is_ok());
    assert!(
        !b.to_string().contains(PASSWORD)
            && b["properties"]["osProfile"].get("adminPassword").is_none()
    );
    assert!(b["properties"]["osProfile"].get("customData").is_none());
    let (s, got) = h.get(&fab, &format!("{vm1}?$expand=instanceView")).await;
    assert_eq!(s, 200);
    assert_eq!(got["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        got["properties"]["instanceView"]["statuses"][1]["code"],
        "PowerState/running"
    );
    assert!(!got.to_string().contains(PASSWORD));
    let (_, n) = h.get(&fab, &nic1).await;
    assert!(n["properties"]["virtualMachine"]["id"]
        .as_str()
        .unwrap()
        .eq_ignore_ascii_case(&vm1));

    // What a client GETs it can PUT back (no password): an update. The image cannot change.
    let (s, b) = h.put(&fab, &vm1, got.clone()).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["properties"]["vmId"], got["properties"]["vmId"]);
    let mut changed = got.clone();
    changed["properties"]["storageProfile"]["imageReference"] = image("latest");
    let (s, e) = h.put(&fab, &vm1, changed).await;
    assert_eq!((s, code(&e)), (409, "PropertyChangeNotAllowed"));

    // Shared to the tenant instead of the subscription.
    h.post(
        &contoso,
        &format!("{g}/share"),
        json!({"operationType": "Remove", "groups": [{"type": "Subscriptions", "ids": [sub]}]}),
    )
    .await;
    let nic2 = nic(&h, &fab, &sub, "app", "nic2", &subnet).await;
    let vm2 = vm_path(&sub, "app", "vm2");
    let (s, _) = h
        .put(&fab, &vm2, vm_body("eastus", image("1.0.0"), &nic2))
        .await;
    assert_eq!(s, 404);
    h.post(&contoso, &format!("{g}/share"), json!({"operationType": "Add", "groups": [{"type": "AADTenants", "ids": [h.tenant("fabrikam")]}]})).await;

    // `latest` skips a newer version excluded from latest.
    let source = format!(
        "/subscriptions/{}/resourceGroups/images/providers/Microsoft.Compute/images/ubuntu-base",
        h.sub("contoso-prod")
    );
    put_ok(
        &h,
        &contoso,
        &format!("{g}/images/linux/versions/2.0.0"),
        json!({"location": "eastus", "properties": {
        "publishingProfile": {"targetRegions": [{"name": "eastus"}], "excludeFromLatest": true},
        "storageProfile": {"source": {"id": source}}}}),
    )
    .await;
    let lower = json!({"sharedGalleryImageId": format!("/sharedgalleries/{}/images/linux/versions/latest", unique.to_lowercase())});
    let (s, b) = h.put(&fab, &vm2, vm_body("eastus", lower, &nic2)).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(
        b["properties"]["storageProfile"]["imageReference"]["exactVersion"],
        "1.0.0"
    );

    // A NIC belongs to one VM.
    let (s, e) = h
        .put(
            &fab,
            &vm_path(&sub, "app", "vm3"),
            vm_body("eastus", image("1.0.0"), &nic2),
        )
        .await;
    assert_eq!((s, code(&e)), (400, "NicInUse"));

    // Wrong region: the version is in eastus and westus only.
    let north = network(&h, &fab, &sub, "north", "northeurope").await;
    let nic3 = nic(&h, &fab, &sub, "north", "nic3", &north).await;
    let (s, e) = h
        .put(
            &fab,
            &vm_path(&sub, "north", "vm3"),
            vm_body("northeurope", image("1.0.0"), &nic3),
        )
        .await;
    assert_eq!(
        (s, code(&e)),
        (400, "GalleryImageVersionNotAvailableInRegion")
    );
    let (s, e) = h
        .put(
            &fab,
            &vm_path(&sub, "north", "vm3"),
            vm_body("northeurope", image("latest"), &nic3),
        )
        .await;
    assert_eq!(
        (s, code(&e)),
        (400, "GalleryImageVersionNotAvailableInRegion")
    );

    // The shared id in `id` is refused by ARM before Compute sees it.
    let shared_id = format!("/SharedGalleries/{unique}/Images/linux/Versions/1.0.0");
    let (s, e) = h
        .put(
            &fab,
            &vm_path(&sub, "app", "vm4"),
            vm_body("eastus", json!({"id": shared_id}), &nic2),
        )
        .await;
    assert_eq!((s, code(&e)), (400, "LinkedInvalidPropertyId"));
    assert_eq!(e["error"]["message"], format!("Property id '{shared_id}' at path 'properties.storageProfile.imageReference.id' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{{subscriptionId}}' or '/providers/{{resourceProviderNamespace}}/'."));

    // Validation.
    let nic5 = nic(&h, &fab, &sub, "app", "nic5", &subnet).await;
    let mut no_password = vm_body("eastus", image("1.0.0"), &nic5);
    no_password["properties"]["osProfile"]
        .as_object_mut()
        .unwrap()
        .remove("adminPassword");
    let (s, e) = h.put(&fab, &vm_path(&sub, "app", "vm5"), no_password).await;
    assert_eq!(
        (s, code(&e), e["error"]["target"].as_str()),
        (400, "InvalidParameter", Some("adminPassword"))
    );
    let mut two = image("1.0.0");
    two["publisher"] = json!("Canonical");
    let (s, e) = h
        .put(
            &fab,
            &vm_path(&sub, "app", "vm5"),
            vm_body("eastus", two, &nic5),
        )
        .await;
    assert_eq!(
        (s, e["error"]["target"].as_str()),
        (400, Some("imageReference"))
    );
    let missing_nic = net(&sub, "app", "networkInterfaces", "ghost");
    let (s, e) = h
        .put(
            &fab,
            &vm_path(&sub, "app", "vm5"),
            vm_body("eastus", image("1.0.0"), &missing_nic),
        )
        .await;
    assert_eq!((s, code(&e)), (400, "InvalidResourceReference"));

    // Reset: consumers lose the image at once.
    h.post(
        &contoso,
        &format!("{g}/share"),
        json!({"operationType": "Reset"}),
    )
    .await;
    let (s, _, _) = h.call(&fab, Method::DELETE, &vm2, None).await;
    assert_eq!(s, 202);
    let (s, e) = h
        .put(&fab, &vm2, vm_body("eastus", image("1.0.0"), &nic2))
        .await;
    assert_eq!((s, code(&e)), (404, "GalleryImageNotFound"));
    h.emu.stop().await;
}

#[tokio::test]
async fn vm_from_image_id_in_the_same_tenant_needs_read_access() {
    let h = Harness::start().await;
    let contoso = h.app_token("contoso-admin", "contoso.com").await;
    let app = h.app_token("myGalleryApp", "contoso.com").await;
    let g = h.publish(&contoso, "privateGallery", "Private").await;
    let dev = h.sub("contoso-dev");
    let subnet = network(&h, &contoso, &dev, "vms", "eastus").await;
    let nic1 = nic(&h, &contoso, &dev, "vms", "nic1", &subnet).await;
    let app_oid = sp(&h, "myGalleryApp", "contoso");
    assign(&h, &contoso, &rg_path(&dev, "vms"), CONTRIBUTOR, &app_oid).await;
    let version = format!("{g}/images/linux/versions/1.0.0");
    let vm = vm_path(&dev, "vms", "vm1");

    let (s, e) = h
        .put(&app, &vm, vm_body("eastus", json!({"id": version}), &nic1))
        .await;
    assert_eq!((s, code(&e)), (403, "LinkedAuthorizationFailed"));
    assert_eq!(e["error"]["message"], format!("The client '{app_oid}' with object id '{app_oid}' has permission to perform action 'Microsoft.Compute/virtualMachines/write' on scope '{vm}'; however, it does not have permission to perform action(s) 'Microsoft.Compute/galleries/images/versions/read' on the linked scope(s) '{version}' (respectively) or the linked scope(s) are invalid."));

    assign(&h, &contoso, &g, READER, &app_oid).await;
    let (s, b) = h
        .put(&app, &vm, vm_body("eastus", json!({"id": version}), &nic1))
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(
        b["properties"]["storageProfile"]["imageReference"]["exactVersion"],
        "1.0.0"
    );
    // A definition id deploys its latest version.
    let nic2 = nic(&h, &contoso, &dev, "vms", "nic2", &subnet).await;
    let (s, b) = h
        .put(
            &app,
            &vm_path(&dev, "vms", "vm2"),
            vm_body("eastus", json!({"id": format!("{g}/images/linux")}), &nic2),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(
        b["properties"]["storageProfile"]["imageReference"]["exactVersion"],
        "1.0.0"
    );
    let nic3 = nic(&h, &contoso, &dev, "vms", "nic3", &subnet).await;
    let (s, e) = h
        .put(
            &app,
            &vm_path(&dev, "vms", "vm3"),
            vm_body(
                "eastus",
                json!({"id": format!("{g}/images/nope/versions/1.0.0")}),
                &nic3,
            ),
        )
        .await;
    assert_eq!((s, code(&e)), (404, "GalleryImageNotFound"));
    h.emu.stop().await;
}

#[tokio::test]
async fn vm_from_image_id_in_another_tenant_needs_an_auxiliary_token() {
    let h = Harness::start().await;
    let contoso = h.app_token("contoso-admin", "contoso.com").await;
    let fab = h.app_token("fabrikam-admin", "fabrikam.com").await;
    let g = h.publish(&contoso, "tenantGallery", "Private").await;
    let sub = h.sub("fabrikam-prod");
    let image_sub = h.sub("contoso-prod");
    let subnet = network(&h, &fab, &sub, "app", "eastus").await;
    let nic1 = nic(&h, &fab, &sub, "app", "nic1", &subnet).await;
    let version = format!("{g}/images/linux/versions/1.0.0");
    let vm = vm_path(&sub, "app", "vm1");
    let body = || vm_body("eastus", json!({"id": version}), &nic1);

    let fab_oid = sp(&h, "fabrikam-admin", "fabrikam");
    let (s, e) = h.put(&fab, &vm, body()).await;
    assert_eq!((s, code(&e)), (403, "LinkedAuthorizationFailed"));
    assert_eq!(e["error"]["message"], format!("The client '{fab_oid}' with object id '{fab_oid}' has permission to perform action 'Microsoft.Compute/virtualMachines/write' on scope '{vm}'; however, the current tenant '{}' is not authorized to access linked subscription '{image_sub}'.", h.tenant("fabrikam")));

    // The multi-tenant app: Contributor on the fabrikam resource group, nothing yet in contoso.
    assign(
        &h,
        &fab,
        &rg_path(&sub, "app"),
        CONTRIBUTOR,
        &sp(&h, "myGalleryApp", "fabrikam"),
    )
    .await;
    let primary = h.app_token("myGalleryApp", "fabrikam.com").await;
    let aux = h.app_token("myGalleryApp", "contoso.com").await;
    let (s, e) = put_with_aux(&h, &primary, "Bearer not-a-token", &vm, body()).await;
    assert!(
        s == 403
            && e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("is not authorized to access linked subscription"),
        "{e}"
    );
    let (s, e) = put_with_aux(&h, &primary, &format!("Bearer {aux}"), &vm, body()).await;
    assert_eq!((s, code(&e)), (403, "LinkedAuthorizationFailed"));
    assert!(e["error"]["message"].as_str().unwrap().contains("does not have permission to perform action(s) 'Microsoft.Compute/galleries/images/versions/read'"));

    assign(&h, &contoso, &g, READER, &sp(&h, "myGalleryApp", "contoso")).await;
    h.emu.clear_request_log();
    let (s, b) = put_with_aux(&h, &primary, &format!("Bearer {aux}"), &vm, body()).await;
    assert_eq!(s, 201, "{b}");
    let log = h.emu.request_log();
    let entry = log.iter().rev().find(|e| e["method"] == "PUT").unwrap();
    assert_eq!(entry["aux_tokens"], 1);
    assert_eq!(entry["aux_tenants"], json!([h.tenant("contoso")]));
    assert!(!serde_json::to_string(&log).unwrap().contains(&aux));

    // PowerShell joins with ";"; more than three tokens are refused.
    let nic2 = nic(&h, &fab, &sub, "app", "nic2", &subnet).await;
    let (s, b) = put_with_aux(
        &h,
        &primary,
        &format!("Bearer {contoso};Bearer {aux}"),
        &vm_path(&sub, "app", "vm2"),
        vm_body("eastus", json!({"id": version}), &nic2),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let four = vec![format!("Bearer {aux}"); 4].join(", ");
    let (s, e) = put_with_aux(&h, &primary, &four, &vm, body()).await;
    assert_eq!((s, code(&e)), (400, "TooManyAuxiliaryTokens"));
    h.emu.stop().await;
}

#[tokio::test]
async fn scale_set_from_shared_image() {
    let h = Harness::start().await;
    let contoso = h.app_token("contoso-admin", "contoso.com").await;
    let fab = h.app_token("fabrikam-admin", "fabrikam.com").await;
    let g = h.publish(&contoso, "sharedGallery", "Groups").await;
    let sub = h.sub("fabrikam-prod");
    h.post(
        &contoso,
        &format!("{g}/share"),
        json!({"operationType": "Add", "groups": [{"type": "Subscriptions", "ids": [sub]}]}),
    )
    .await;
    let unique = format!("{}-SHAREDGALLERY", h.sub("contoso-prod"));
    let subnet = network(&h, &fab, &sub, "app", "eastus").await;
    let path = format!(
        "{}/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1",
        rg_path(&sub, "app")
    );
    let body = |subnet: &str| {
        json!({"location": "eastus", "sku": {"name": "Standard_D1_v2", "capacity": 3},
        "properties": {"upgradePolicy": {"mode": "Manual"}, "virtualMachineProfile": {
            "storageProfile": {"imageReference": {"sharedGalleryImageId": format!("/SharedGalleries/{unique}/Images/linux/Versions/latest")},
                               "osDisk": {"createOption": "FromImage"}},
            "osProfile": {"computerNamePrefix": "vmss", "adminUsername": "azureuser", "adminPassword": PASSWORD},
            "networkProfile": {"networkInterfaceConfigurations": [{"name": "nic", "properties": {"primary": true,
                "ipConfigurations": [{"name": "ip", "properties": {"subnet": {"id": subnet}}}]}}]}}}})
    };

    let (s, e) = h.put(&fab, &path, body(&format!("{subnet}x"))).await;
    assert_eq!((s, code(&e)), (400, "InvalidResourceReference"));
    let (s, b) = h.put(&fab, &path, body(&subnet)).await;
    assert_eq!(s, 201, "{b}");
    assert!(!b.to_string().contains(PASSWORD));
    let (s, got) = h.get(&fab, &path).await;
    assert_eq!(s, 200);
    assert_eq!(got["sku"]["capacity"], 3);
    assert_eq!(got["properties"]["provisioningState"], "Succeeded");
    assert!(got["properties"]["uniqueId"].is_string());
    assert_eq!(
        got["properties"]["virtualMachineProfile"]["storageProfile"]["imageReference"]
            ["exactVersion"],
        "1.0.0"
    );
    assert!(got["properties"]["virtualMachineProfile"]["osProfile"]
        .get("adminPassword")
        .is_none());
    let (_, list) = h
        .get(
            &fab,
            &format!(
                "{}/providers/Microsoft.Compute/virtualMachineScaleSets",
                rg_path(&sub, "app")
            ),
        )
        .await;
    assert_eq!(list["value"].as_array().unwrap().len(), 1);
    let mut no_sku = body(&subnet);
    no_sku.as_object_mut().unwrap().remove("sku");
    let (s, e) = h.put(&fab, &format!("{path}2"), no_sku).await;
    assert_eq!((s, e["error"]["target"].as_str()), (400, Some("sku")));
    h.emu.stop().await;
}
