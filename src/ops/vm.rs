//! `az vm create|show|list|delete`, `az vmss create|show|list|delete`, and the raw VM PUT behind
//! `New-AzVM`. Image references are classified exactly as the CLI does; when the image lives in another
//! tenant, the auxiliary token for that tenant is added from the session's logins.

use super::network::{nic_body, put as put_network, resource_path, rule_properties, RuleSpec};
use super::{arm, get, long_running, resource_group_location, rg_path, Outcome, Shape};
use crate::client::Client;
use crate::credentials::Subscription;
use crate::error::{Error, Result};
use crate::ids::{self, seg, ResourceId};
use crate::pipeline::{Auth, Request};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// What `--image` names.
#[derive(Debug, Clone, PartialEq)]
pub enum ImageRef {
    /// `/SharedGalleries/{unique}/Images/{image}/Versions/{version}`: access comes from the share.
    Shared(String),
    /// `/CommunityGalleries/{public}/Images/{image}/Versions/{version}`: open to everyone.
    Community(String),
    /// A full gallery image (or version, or managed image) resource id: needs RBAC, maybe an aux token.
    Id { id: String, subscription: String },
    /// `publisher:offer:sku:version`.
    Marketplace {
        publisher: String,
        offer: String,
        sku: String,
        version: String,
    },
}

/// Aliases the CLI knows for common marketplace images (subset), with their OS.
const ALIASES: &[(&str, &str, &str)] = &[
    (
        "Ubuntu2204",
        "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest",
        "Linux",
    ),
    (
        "Ubuntu2404",
        "Canonical:ubuntu-24_04-lts:server:latest",
        "Linux",
    ),
    ("Debian12", "Debian:debian-12:12-gen2:latest", "Linux"),
    (
        "Win2022Datacenter",
        "MicrosoftWindowsServer:WindowsServer:2022-datacenter-g2:latest",
        "Windows",
    ),
    (
        "Win2019Datacenter",
        "MicrosoftWindowsServer:WindowsServer:2019-Datacenter:latest",
        "Windows",
    ),
];

/// `/SharedGalleries/{u}/Images/{i}/Versions/{v}` (or Community) with every segment present.
fn gallery_path_id(image: &str, root: &str) -> bool {
    let parts: Vec<&str> = image.trim_start_matches('/').split('/').collect();
    parts.len() == 6
        && parts[0].eq_ignore_ascii_case(root)
        && parts[2].eq_ignore_ascii_case("images")
        && parts[4].eq_ignore_ascii_case("versions")
        && parts.iter().all(|p| ids::plain_id_segment(p))
}

pub fn classify(image: &str) -> Result<(ImageRef, Option<&'static str>)> {
    let lower = image.to_ascii_lowercase();
    if lower.starts_with("/sharedgalleries/") {
        if !gallery_path_id(image, "SharedGalleries") {
            return Err(Error::invalid_param("image", format!("--image: '{image}' is not a valid shared gallery image version id. Use /SharedGalleries/{{gallery unique name}}/Images/{{image}}/Versions/{{version or latest}}.")));
        }
        return Ok((ImageRef::Shared(image.to_string()), None));
    }
    if lower.starts_with("/communitygalleries/") {
        if !gallery_path_id(image, "CommunityGalleries") {
            return Err(Error::invalid_param("image", format!("--image: '{image}' is not a valid community gallery image version id. Use /CommunityGalleries/{{public name}}/Images/{{image}}/Versions/{{version or latest}}.")));
        }
        return Ok((ImageRef::Community(image.to_string()), None));
    }
    if lower.starts_with("/subscriptions/") {
        let rid = ResourceId::parse(image).filter(|r| {
            ids::is_guid(&r.subscription)
                && r.provider
                    .as_deref()
                    .is_some_and(|p| p.eq_ignore_ascii_case("Microsoft.Compute"))
        });
        let rid = rid.ok_or_else(|| {
            Error::invalid_param(
                "image",
                format!("--image: '{image}' is not a valid image resource id."),
            )
        })?;
        return Ok((
            ImageRef::Id {
                id: image.to_string(),
                subscription: rid.subscription.to_ascii_lowercase(),
            },
            None,
        ));
    }
    if let Some((_, urn, os)) = ALIASES
        .iter()
        .find(|(a, _, _)| a.eq_ignore_ascii_case(image))
    {
        return classify(urn).map(|(r, _)| (r, Some(*os)));
    }
    let parts: Vec<&str> = image.split(':').collect();
    if parts.len() == 4 && parts.iter().all(|p| !p.is_empty()) {
        return Ok((
            ImageRef::Marketplace {
                publisher: parts[0].into(),
                offer: parts[1].into(),
                sku: parts[2].into(),
                version: parts[3].into(),
            },
            None,
        ));
    }
    Err(Error::invalid_param("image", format!("--image: '{image}' is not a known image alias, a URN (publisher:offer:sku:version), a /SharedGalleries/… or /CommunityGalleries/… id, or an image resource id.")))
}

pub fn image_reference(r: &ImageRef) -> Value {
    match r {
        ImageRef::Shared(id) => json!({"sharedGalleryImageId": id}),
        ImageRef::Community(id) => json!({"communityGalleryImageId": id}),
        ImageRef::Id { id, .. } => json!({"id": id}),
        ImageRef::Marketplace {
            publisher,
            offer,
            sku,
            version,
        } => json!({"publisher": publisher, "offer": offer, "sku": sku, "version": version}),
    }
}

/// The OS type of the image, read from its definition (shared, community or own), as the CLI does.
async fn image_os_type(
    client: &Client,
    sub: &Subscription,
    r: &ImageRef,
    location: &str,
) -> Result<Option<String>> {
    let definition = match r {
        ImageRef::Shared(id) | ImageRef::Community(id) => {
            let parts: Vec<&str> = id.trim_start_matches('/').split('/').collect();
            let kind = if matches!(r, ImageRef::Shared(_)) {
                "sharedGalleries"
            } else {
                "communityGalleries"
            };
            let path = format!(
                "/subscriptions/{}/providers/Microsoft.Compute/locations/{}/{kind}/{}/images/{}",
                seg(&sub.id),
                seg(location),
                seg(parts[1]),
                seg(parts[3])
            );
            get(
                client,
                sub,
                &path,
                &client.api_version("vm.create", "gallery"),
                &[],
            )
            .await?
        }
        ImageRef::Id { id, subscription } => {
            // Read with the login of the image's tenant; if there is none, or it may not read the image,
            // ARM decides on the PUT and its LinkedAuthorizationFailed is explained there.
            let tenant = image_tenant(client, sub, subscription).await;
            let Some(tenant) = tenant.filter(|t| client.has_login_for(t)) else {
                return Ok(None);
            };
            let rid = ResourceId::parse(id).expect("classified");
            let in_gallery = rid
                .types
                .first()
                .is_some_and(|(t, _)| t.eq_ignore_ascii_case("galleries"));
            let lower = id.to_ascii_lowercase();
            let definition_id = if in_gallery {
                &id[..lower.find("/versions/").unwrap_or(id.len())]
            } else {
                id.as_str()
            };
            let family = if in_gallery { "gallery" } else { "compute" };
            let url =
                client.arm_url(definition_id, &client.api_version("vm.create", family), &[])?;
            let v = match client
                .send_json(Request::new(Method::GET, url, Auth::Arm(tenant)))
                .await
            {
                Ok(v) => v,
                Err(e)
                    if matches!(
                        e.kind,
                        crate::error::ErrorKind::Authentication | crate::error::ErrorKind::NotFound
                    ) || e.status == Some(403) =>
                {
                    return Ok(None)
                }
                Err(e) => return Err(e),
            };
            let pointer = if in_gallery {
                "/properties/osType"
            } else {
                "/properties/storageProfile/osDisk/osType"
            };
            return Ok(v
                .pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_string));
        }
        ImageRef::Marketplace { .. } => return Ok(None),
    };
    Ok(definition
        .pointer("/properties/osType")
        .and_then(Value::as_str)
        .map(str::to_string))
}

/// The tenant an image's subscription belongs to: a login's, or learnt once from ARM's challenge.
pub(crate) async fn image_tenant(
    client: &Client,
    sub: &Subscription,
    image_sub: &str,
) -> Option<String> {
    if image_sub.eq_ignore_ascii_case(&sub.id) {
        return Some(sub.tenant_id.clone());
    }
    if let Some(t) = client.tenant_of_subscription(image_sub) {
        return Some(t);
    }
    let t = discover_tenant(client, sub, image_sub).await?;
    client.remember_tenant(image_sub, &t);
    Some(t)
}

/// The tenants whose tokens go in `x-ms-authorization-auxiliary` for an image in `image_sub`.
async fn aux_tenants(client: &Client, sub: &Subscription, image_sub: &str) -> Vec<String> {
    match image_tenant(client, sub, image_sub).await {
        Some(t) if !t.eq_ignore_ascii_case(&sub.tenant_id) && client.has_login_for(&t) => vec![t],
        _ => vec![],
    }
}

/// The image id a VM or VMSS body references, if it is a resource id.
fn referenced_image_id(body: &Value) -> Option<String> {
    [
        "/properties/storageProfile/imageReference/id",
        "/properties/virtualMachineProfile/storageProfile/imageReference/id",
    ]
    .iter()
    .find_map(|p| body.pointer(p).and_then(Value::as_str))
    .map(str::to_string)
}

/// PUTs a VM or VMSS, adding auxiliary tokens for an image in another tenant, and explains a
/// `LinkedAuthorizationFailed` that still happens.
pub(crate) async fn put_compute(
    client: &Client,
    sub: &Subscription,
    path: &str,
    op: &str,
    body: &Value,
    no_wait: bool,
    shape: Shape,
) -> Result<Outcome> {
    let url = client.arm_url(path, &client.api_version(op, "compute"), &[])?;
    let mut req = Request::new(Method::PUT, url, arm(sub)).json(body);
    let image_sub = referenced_image_id(body)
        .and_then(|id| ResourceId::parse(&id))
        .map(|r| r.subscription.to_ascii_lowercase());
    if let Some(s) = &image_sub {
        req.aux_tenants = aux_tenants(client, sub, s).await;
    }
    match long_running(client, sub, req, no_wait, shape).await {
        Err(e) if e.code() == Some("LinkedAuthorizationFailed") => {
            Err(explain_linked(client, sub, image_sub.as_deref(), e).await)
        }
        other => other,
    }
}

/// Says which tenant's login is missing and the line that fixes it, or which permission is.
async fn explain_linked(
    client: &Client,
    sub: &Subscription,
    image_sub: Option<&str>,
    mut e: Error,
) -> Error {
    let Some(image_sub) = image_sub else { return e };
    let tenant = image_tenant(client, sub, image_sub).await;
    let hint = match tenant {
        Some(t) if !client.has_login_for(&t) => format!(
            " The image is in subscription '{image_sub}' of tenant '{t}', and this session has no login for that tenant, so no auxiliary token could be sent. Log in to it as well — az.login(service_principal=True, username=APP_ID, password=SECRET, tenant=\"{t}\") or ps.Connect_AzAccount(ServicePrincipal=True, Credential=cred, Tenant=\"{t}\") — then run the command again."
        ),
        Some(t) => format!(
            " The image is in subscription '{image_sub}' of tenant '{t}'; the login for that tenant was sent as an auxiliary token but lacks read access to the image: give it Reader on the gallery (az.role.assignment.create(role=\"Reader\", assignee=APP_ID, scope=GALLERY_ID))."
        ),
        None => String::new(),
    };
    e.message.push_str(&hint);
    e
}

/// A subscription's tenant, from ARM's 401 challenge (`authorization_uri=".../{tenant}"`), without a login.
async fn discover_tenant(
    client: &Client,
    sub: &Subscription,
    subscription: &str,
) -> Option<String> {
    let url = client
        .arm_url(
            &format!("/subscriptions/{}", seg(subscription)),
            &client.api_version("account.list", "subscriptions"),
            &[],
        )
        .ok()?;
    let resp = client
        .send_raw(Request::new(Method::GET, url, arm(sub)))
        .await
        .ok()?;
    let challenge = resp.header("www-authenticate")?;
    let uri = challenge
        .split("authorization_uri=\"")
        .nth(1)?
        .split('"')
        .next()?;
    uri.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|t| ids::is_guid(t))
        .map(str::to_string)
}

#[derive(Deserialize)]
pub struct CreateArgs {
    name: String,
    resource_group: String,
    image: String,
    location: Option<String>,
    size: Option<String>,
    admin_username: Option<String>,
    admin_password: Option<String>,
    ssh_key_values: Option<Vec<String>>,
    #[serde(default)]
    generate_ssh_keys: bool,
    authentication_type: Option<String>,
    os_type: Option<String>,
    nics: Option<Vec<String>>,
    vnet_name: Option<String>,
    subnet: Option<String>,
    public_ip_address: Option<String>,
    nsg: Option<String>,
    os_disk_name: Option<String>,
    os_disk_caching: Option<String>,
    storage_sku: Option<String>,
    #[serde(default)]
    accept_term: bool,
    tags: Option<Map<String, Value>>,
    subscription: Option<String>,
    #[serde(default)]
    no_wait: bool,
}

const DISK_SKUS: &[&str] = &[
    "Standard_LRS",
    "Premium_LRS",
    "StandardSSD_LRS",
    "UltraSSD_LRS",
    "Premium_ZRS",
    "StandardSSD_ZRS",
    "PremiumV2_LRS",
];

/// `--os-disk-name`, `--os-disk-caching`, `--storage-sku` as the OS disk of the VM (or scale set).
fn os_disk(a: &CreateArgs) -> Result<Value> {
    let caching = super::choice(
        "os_disk_caching",
        a.os_disk_caching.as_deref().unwrap_or("ReadWrite"),
        &["None", "ReadOnly", "ReadWrite"],
    )?;
    let sku = super::choice(
        "storage_sku",
        a.storage_sku.as_deref().unwrap_or("Premium_LRS"),
        DISK_SKUS,
    )?;
    let mut disk = json!({"createOption": "FromImage", "caching": caching, "managedDisk": {"storageAccountType": sku}});
    if let Some(name) = &a.os_disk_name {
        disk["name"] = json!(ids::name("os_disk_name", name)?);
    }
    Ok(disk)
}

/// The VM's host name, derived from its name as the CLI does: letters, digits and hyphens only (Azure refuses
/// others in Linux host names), at most 64 characters on Linux and 15 on Windows.
fn computer_name(vm_name: &str, os: &str) -> String {
    let max = if os == "Windows" { 15 } else { 64 };
    let cleaned: String = vm_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(max)
        .collect();
    let cleaned = cleaned.trim_matches('-').to_string();
    if cleaned.is_empty() {
        "vm".into()
    } else {
        cleaned
    }
}

/// How the VM signs in: a password or SSH keys, validated as the CLI does.
fn os_profile(computer_name: &str, user: &str, os: &str, a: &CreateArgs) -> Result<Value> {
    let auth = a
        .authentication_type
        .as_deref()
        .map(|t| super::choice("authentication_type", t, &["password", "ssh", "all"]))
        .transpose()?;
    let auth = auth.unwrap_or_else(|| {
        if os == "Windows" || a.admin_password.is_some() {
            "password".into()
        } else {
            "ssh".into()
        }
    });
    if os == "Windows" && auth != "password" {
        return Err(Error::invalid_param(
            "authentication_type",
            "SSH not supported for Windows VMs.",
        ));
    }
    let mut profile = json!({"computerName": computer_name, "adminUsername": user});
    if auth == "password" || auth == "all" {
        let password = a.admin_password.as_deref().ok_or_else(|| {
            Error::invalid_param(
                "admin_password",
                "Please specify password in non-interactive mode (admin_password=...).",
            )
        })?;
        if password.chars().count() < 12 || password.chars().count() > 123 {
            return Err(Error::invalid_param(
                "admin_password",
                "The password length must be between 12 and 123.",
            ));
        }
        profile["adminPassword"] = json!(password);
    }
    if os == "Linux" {
        let mut linux = json!({"disablePasswordAuthentication": auth == "ssh"});
        if auth == "ssh" || auth == "all" {
            let keys = ssh_keys(a)?;
            let path = format!("/home/{user}/.ssh/authorized_keys");
            linux["ssh"] = json!({"publicKeys": keys.iter().map(|k| json!({"path": path, "keyData": k})).collect::<Vec<_>>()});
        }
        profile["linuxConfiguration"] = linux;
    }
    Ok(profile)
}

fn ssh_keys(a: &CreateArgs) -> Result<Vec<String>> {
    if let Some(keys) = a.ssh_key_values.as_ref().filter(|k| !k.is_empty()) {
        return keys.iter().map(|k| read_key(k)).collect();
    }
    let home = std::env::var("HOME").unwrap_or_default();
    let default = format!("{home}/.ssh/id_rsa.pub");
    if std::path::Path::new(&default).exists() {
        return Ok(vec![read_key(&default)?]);
    }
    let hint = if a.generate_ssh_keys {
        " generate_ssh_keys=True found none to reuse;"
    } else {
        ""
    };
    Err(Error::invalid_param("ssh_key_values", format!("An RSA key file or key value must be supplied to SSH Key Value.{hint} pass ssh_key_values=[\"ssh-rsa AAAA…\"] (or a path), or use authentication_type=\"password\" with admin_password.")))
}

/// A key value, or the contents of a key file.
fn read_key(value: &str) -> Result<String> {
    let v = value.trim();
    if v.starts_with("ssh-") || v.starts_with("ecdsa-") {
        return Ok(v.to_string());
    }
    std::fs::read_to_string(v)
        .map(|s| s.trim().to_string())
        .map_err(|e| {
            Error::invalid_param(
                "ssh_key_values",
                format!("Cannot read the SSH public key file '{v}': {e}"),
            )
        })
}

/// Credential rules that do not need the image's OS: the password's length, SSH on a known Windows image.
fn early_credential_checks(a: &CreateArgs, alias_os: Option<&str>) -> Result<()> {
    if let Some(p) = &a.admin_password {
        if p.chars().count() < 12 || p.chars().count() > 123 {
            return Err(Error::invalid_param(
                "admin_password",
                "The password length must be between 12 and 123.",
            ));
        }
    }
    if alias_os == Some("Windows")
        && a.authentication_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("ssh"))
    {
        return Err(Error::invalid_param(
            "authentication_type",
            "SSH not supported for Windows VMs.",
        ));
    }
    Ok(())
}

/// A community image without `accept_term`: like the CLI's prompt, show the publisher's EULA — but refuse,
/// since a notebook cannot answer a prompt. Only the gallery's public metadata is read; nothing is created.
async fn refuse_without_terms(
    client: &Client,
    sub: &Subscription,
    id: &str,
    location: &str,
) -> Error {
    let public = id
        .trim_start_matches('/')
        .split('/')
        .nth(1)
        .unwrap_or_default();
    let path = format!(
        "/subscriptions/{}/providers/Microsoft.Compute/locations/{}/communityGalleries/{}",
        seg(&sub.id),
        seg(location),
        seg(public)
    );
    let eula = match get(
        client,
        sub,
        &path,
        &client.api_version("vm.create", "gallery"),
        &[],
    )
    .await
    {
        Ok(g) => g
            .pointer("/properties/communityMetadata/eula")
            .and_then(Value::as_str)
            .map(str::to_string),
        Err(_) => None,
    };
    let terms = eula
        .map(|e| format!(" The publisher's terms (EULA): {e}."))
        .unwrap_or_default();
    Error::invalid_param(
        "accept_term",
        format!("The image '{id}' is from a community gallery, published under its publisher's terms.{terms} To deploy it you must accept them: pass accept_term=True (the CLI's --accept-term)."),
    )
}

/// What `az vm create` validates before any request: names, the image, credentials.
fn validate_create(a: &CreateArgs) -> Result<(ImageRef, Option<&'static str>)> {
    ids::resource_group(&a.resource_group)?;
    ids::name("name", &a.name)?;
    let (image, alias_os) = classify(&a.image)?;
    os_disk(a)?;
    if matches!(image, ImageRef::Shared(_) | ImageRef::Community(_)) && a.location.is_none() {
        return Err(Error::invalid_param("location", "usage error: --location is required when --image is a shared or community gallery image (the image is looked up in that region)."));
    }
    if let Some(l) = &a.location {
        ids::location(l)?;
    }
    if let Some(os) = &a.os_type {
        super::choice("os_type", os, &["Linux", "Windows"])?;
    }
    early_credential_checks(a, alias_os)?;
    if let (Some(found), Some(given)) = (alias_os, a.os_type.as_deref()) {
        if !found.eq_ignore_ascii_case(given) {
            return Err(Error::invalid_param("os_type", format!("The --os-type '{given}' does not match the OS type '{found}' of the image '{}'.", a.image)));
        }
    }
    Ok((image, alias_os))
}

pub async fn create(client: &Client, a: CreateArgs) -> Result<Outcome> {
    let (image, alias_os) = validate_create(&a)?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let location = match &a.location {
        Some(l) => l.clone(),
        None => resource_group_location(client, &sub, &a.resource_group).await?,
    };
    if let (ImageRef::Community(id), false) = (&image, a.accept_term) {
        return Err(refuse_without_terms(client, &sub, id, &location).await);
    }
    let found_os = image_os_type(client, &sub, &image, &location).await?;
    let os = resolve_os(&a, found_os.as_deref(), alias_os)?;
    let user = a
        .admin_username
        .clone()
        .unwrap_or_else(|| "azureuser".into());
    let os_profile = os_profile(&computer_name(&a.name, &os), &user, &os, &a)?;
    let nic_id = match &a.nics {
        Some(nics) if !nics.is_empty() => nics[0].clone(),
        _ => create_network(client, &sub, &a, &location, &os).await?,
    };
    let body = json!({
        "location": location,
        "tags": super::tags(a.tags.clone()),
        "properties": {
            "hardwareProfile": {"vmSize": a.size.clone().unwrap_or_else(|| "Standard_DS1_v2".into())},
            "storageProfile": {"imageReference": image_reference(&image), "osDisk": os_disk(&a)?},
            "osProfile": os_profile,
            "networkProfile": {"networkInterfaces": [{"id": nic_id, "properties": {"primary": true}}]},
        },
    });
    let path = format!(
        "{}/providers/Microsoft.Compute/virtualMachines/{}",
        rg_path(&sub, &a.resource_group),
        seg(&a.name)
    );
    match put_compute(
        client,
        &sub,
        &path,
        "vm.create",
        &body,
        a.no_wait,
        Shape::Cli,
    )
    .await?
    {
        Outcome::Value(vm) => Ok(Outcome::Value(summary(client, &sub, &vm, &nic_id).await?)),
        poll => Ok(poll),
    }
}

/// The OS type: the image definition's, else the alias's, else `os_type`; a mismatch is the CLI's error.
fn resolve_os(a: &CreateArgs, found: Option<&str>, alias: Option<&str>) -> Result<String> {
    let given = a
        .os_type
        .as_deref()
        .map(|o| super::choice("os_type", o, &["Linux", "Windows"]))
        .transpose()?;
    match (found.or(alias), given) {
        (Some(f), Some(g)) if !f.eq_ignore_ascii_case(&g) => Err(Error::invalid_param(
            "os_type",
            format!(
                "The --os-type '{g}' does not match the OS type '{f}' of the image '{}'.",
                a.image
            ),
        )),
        (Some(f), _) => Ok(if f.eq_ignore_ascii_case("windows") {
            "Windows".into()
        } else {
            "Linux".into()
        }),
        (None, Some(g)) => Ok(g),
        (None, None) => Ok("Linux".into()),
    }
}

/// The VNet, subnet, public IP, NSG (with an SSH or RDP rule) and NIC `az vm create` makes when none is given.
async fn create_network(
    client: &Client,
    sub: &Subscription,
    a: &CreateArgs,
    location: &str,
    os: &str,
) -> Result<String> {
    let rg = &a.resource_group;
    let vnet = a
        .vnet_name
        .clone()
        .unwrap_or_else(|| format!("{}VNET", a.name));
    let subnet = a
        .subnet
        .clone()
        .unwrap_or_else(|| format!("{}Subnet", a.name));
    let subnet_id = if subnet.starts_with('/') {
        subnet.clone()
    } else {
        let vnet_path = resource_path(sub, rg, "virtualNetworks", &vnet);
        if a.vnet_name.is_none() {
            let body = json!({"location": location, "tags": {}, "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}, "subnets": [{"name": subnet, "properties": {"addressPrefix": "10.0.0.0/24"}}]}});
            put_network(client, sub, &vnet_path, "vm.create", &body, false, None).await?;
        }
        format!("{vnet_path}/subnets/{}", seg(&subnet))
    };
    let public_ip = match a.public_ip_address.as_deref() {
        Some("") => None,
        Some(p) if p.starts_with('/') => Some(p.to_string()),
        other => {
            let name = other
                .map(str::to_string)
                .unwrap_or_else(|| format!("{}PublicIP", a.name));
            let path = resource_path(sub, rg, "publicIPAddresses", &name);
            let body = json!({"location": location, "tags": {}, "sku": {"name": "Standard"}, "properties": {"publicIPAllocationMethod": "Static", "publicIPAddressVersion": "IPv4"}});
            put_network(client, sub, &path, "vm.create", &body, false, None).await?;
            Some(path)
        }
    };
    let nsg = match a.nsg.as_deref() {
        Some("") => None,
        Some(n) if n.starts_with('/') => Some(n.to_string()),
        other => {
            let name = other
                .map(str::to_string)
                .unwrap_or_else(|| format!("{}NSG", a.name));
            let path = resource_path(sub, rg, "networkSecurityGroups", &name);
            let (rule, port) = if os == "Windows" {
                ("rdp", "3389")
            } else {
                ("default-allow-ssh", "22")
            };
            let ports = [port.to_string()];
            let props = rule_properties(&RuleSpec {
                priority: 1000,
                direction: "Inbound",
                access: "Allow",
                protocol: "Tcp",
                sources: &[],
                source_ports: &[],
                destinations: &[],
                destination_ports: &ports,
            })?;
            let body = json!({"location": location, "tags": {}, "properties": {"securityRules": [{"name": rule, "properties": props}]}});
            put_network(client, sub, &path, "vm.create", &body, false, None).await?;
            Some(path)
        }
    };
    let nic_path = resource_path(sub, rg, "networkInterfaces", &format!("{}VMNic", a.name));
    let body = nic_body(
        location,
        json!({}),
        &subnet_id,
        public_ip.as_deref(),
        nsg.as_deref(),
        &format!("ipconfig{}", a.name),
    );
    put_network(client, sub, &nic_path, "vm.create", &body, false, None).await?;
    Ok(nic_path)
}

/// What `az vm create` prints: ids, addresses and power state, read back from the NIC and public IP.
async fn summary(client: &Client, sub: &Subscription, vm: &Value, nic_id: &str) -> Result<Value> {
    let version = client.api_version("vm.create", "network");
    let nic = get(client, sub, nic_id, &version, &[])
        .await
        .unwrap_or(Value::Null);
    let ipc = nic
        .pointer("/properties/ipConfigurations/0/properties")
        .cloned()
        .unwrap_or(Value::Null);
    let public_ip = match ipc.pointer("/publicIPAddress/id").and_then(Value::as_str) {
        Some(id) => get(client, sub, id, &version, &[])
            .await
            .ok()
            .and_then(|p| p.pointer("/properties/ipAddress").cloned()),
        None => None,
    };
    let id = vm.get("id").and_then(Value::as_str).unwrap_or_default();
    Ok(json!({
        "fqdns": "",
        "id": id,
        "location": vm.get("location").cloned().unwrap_or(Value::Null),
        "macAddress": nic.pointer("/properties/macAddress").cloned().unwrap_or(json!("")),
        "powerState": "VM running",
        "privateIpAddress": ipc.get("privateIPAddress").cloned().unwrap_or(json!("")),
        "publicIpAddress": public_ip.unwrap_or(json!("")),
        "resourceGroup": ResourceId::resource_group_of(id).unwrap_or_default(),
        "zones": "",
    }))
}

#[derive(Deserialize)]
pub struct PutArgs {
    name: String,
    resource_group: String,
    body: Value,
    subscription: Option<String>,
    #[serde(default)]
    no_wait: bool,
}

/// `New-AzVmss -VirtualMachineScaleSet $config`: the body is built by the caller.
pub async fn put_vmss(client: &Client, a: PutArgs) -> Result<Outcome> {
    ids::resource_group(&a.resource_group)?;
    ids::name("name", &a.name)?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let path = format!(
        "{}/providers/Microsoft.Compute/virtualMachineScaleSets/{}",
        rg_path(&sub, &a.resource_group),
        seg(&a.name)
    );
    put_compute(
        client,
        &sub,
        &path,
        "vmss.create",
        &a.body,
        a.no_wait,
        Shape::Cli,
    )
    .await
}

/// `New-AzVM -ResourceGroupName -Location -VM $config`: the body is built by the caller.
pub async fn put_vm(client: &Client, a: PutArgs) -> Result<Outcome> {
    ids::resource_group(&a.resource_group)?;
    ids::name("name", &a.name)?;
    if let Some(id) = a
        .body
        .pointer("/properties/storageProfile/imageReference/id")
        .and_then(Value::as_str)
    {
        if id.to_ascii_lowercase().starts_with("/sharedgalleries/")
            || id.to_ascii_lowercase().starts_with("/communitygalleries/")
        {
            return Err(Error::invalid_param("Id", format!("'{id}' is a shared or community gallery image id: pass it as SharedGalleryImageId/CommunityGalleryImageId, not as the image resource Id (Azure answers LinkedInvalidPropertyId).")));
        }
    }
    let sub = client.subscription(a.subscription.as_deref())?;
    let path = format!(
        "{}/providers/Microsoft.Compute/virtualMachines/{}",
        rg_path(&sub, &a.resource_group),
        seg(&a.name)
    );
    put_compute(
        client,
        &sub,
        &path,
        "vm.create",
        &a.body,
        a.no_wait,
        Shape::Cli,
    )
    .await
}

/// `az vm|vmss show|list|delete`.
pub async fn item(client: &Client, kind: &str, verb: &str, a: super::ItemArgs) -> Result<Outcome> {
    let type_path = if kind == "vmss" {
        "virtualMachineScaleSets"
    } else {
        "virtualMachines"
    };
    let rt = super::ResourceType {
        provider: "Microsoft.Compute",
        type_path,
        family: "compute",
    };
    super::resource_item(client, &rt, &format!("{kind}.{verb}"), verb, &a).await
}

#[derive(Deserialize)]
pub struct VmssCreateArgs {
    name: String,
    resource_group: String,
    image: String,
    location: Option<String>,
    instance_count: Option<u32>,
    vm_sku: Option<String>,
    admin_username: Option<String>,
    admin_password: Option<String>,
    ssh_key_values: Option<Vec<String>>,
    #[serde(default)]
    generate_ssh_keys: bool,
    authentication_type: Option<String>,
    os_type: Option<String>,
    vnet_name: Option<String>,
    subnet: Option<String>,
    upgrade_policy_mode: Option<String>,
    orchestration_mode: Option<String>,
    os_disk_caching: Option<String>,
    storage_sku: Option<String>,
    #[serde(default)]
    disable_overprovision: bool,
    #[serde(default)]
    accept_term: bool,
    tags: Option<Map<String, Value>>,
    subscription: Option<String>,
    #[serde(default)]
    no_wait: bool,
}

impl VmssCreateArgs {
    /// The VM-level arguments, so VM and VMSS validate credentials and images the same way.
    fn as_vm(&self) -> CreateArgs {
        CreateArgs {
            name: self.name.clone(),
            resource_group: self.resource_group.clone(),
            image: self.image.clone(),
            location: self.location.clone(),
            size: self.vm_sku.clone(),
            admin_username: self.admin_username.clone(),
            admin_password: self.admin_password.clone(),
            ssh_key_values: self.ssh_key_values.clone(),
            generate_ssh_keys: self.generate_ssh_keys,
            authentication_type: self.authentication_type.clone(),
            os_type: self.os_type.clone(),
            nics: None,
            vnet_name: self.vnet_name.clone(),
            subnet: self.subnet.clone(),
            public_ip_address: Some(String::new()),
            nsg: Some(String::new()),
            os_disk_name: None,
            os_disk_caching: self.os_disk_caching.clone(),
            storage_sku: self.storage_sku.clone(),
            accept_term: self.accept_term,
            tags: self.tags.clone(),
            subscription: self.subscription.clone(),
            no_wait: self.no_wait,
        }
    }
}

pub async fn vmss_create(client: &Client, a: VmssCreateArgs) -> Result<Outcome> {
    let vm = a.as_vm();
    let (image, alias_os) = validate_create(&vm)?;
    let count = a.instance_count.unwrap_or(2);
    if count > 1000 {
        return Err(Error::invalid_param(
            "instance_count",
            "--instance-count must be at most 1000.",
        ));
    }
    let upgrade = super::choice(
        "upgrade_policy_mode",
        a.upgrade_policy_mode.as_deref().unwrap_or("Manual"),
        &["Automatic", "Manual", "Rolling"],
    )?;
    let orchestration = super::choice(
        "orchestration_mode",
        a.orchestration_mode.as_deref().unwrap_or("Uniform"),
        &["Uniform", "Flexible"],
    )?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let location = match &a.location {
        Some(l) => l.clone(),
        None => resource_group_location(client, &sub, &a.resource_group).await?,
    };
    if let (ImageRef::Community(id), false) = (&image, a.accept_term) {
        return Err(refuse_without_terms(client, &sub, id, &location).await);
    }
    let os = resolve_os(
        &vm,
        image_os_type(client, &sub, &image, &location)
            .await?
            .as_deref(),
        alias_os,
    )?;
    let user = a
        .admin_username
        .clone()
        .unwrap_or_else(|| "azureuser".into());
    let prefix: String = a.name.chars().take(9).collect();
    let mut os_profile = os_profile(&prefix, &user, &os, &vm)?;
    let profile = os_profile.as_object_mut().expect("object");
    profile.remove("computerName");
    profile.insert("computerNamePrefix".into(), json!(prefix));
    let subnet_id = vmss_subnet(client, &sub, &a, &location).await?;
    let body = json!({
        "location": location,
        "tags": super::tags(a.tags.clone()),
        "sku": {"name": a.vm_sku.clone().unwrap_or_else(|| "Standard_DS1_v2".into()), "capacity": count},
        "properties": {
            "orchestrationMode": orchestration,
            "overprovision": !a.disable_overprovision,
            "upgradePolicy": {"mode": upgrade},
            "virtualMachineProfile": {
                "storageProfile": {"imageReference": image_reference(&image), "osDisk": os_disk(&vm)?},
                "osProfile": os_profile,
                "networkProfile": {"networkInterfaceConfigurations": [{"name": format!("{prefix}Nic"), "properties": {"primary": true,
                    "ipConfigurations": [{"name": format!("{prefix}IPConfig"), "properties": {"subnet": {"id": subnet_id}}}]}}]},
            },
        },
    });
    let path = format!(
        "{}/providers/Microsoft.Compute/virtualMachineScaleSets/{}",
        rg_path(&sub, &a.resource_group),
        seg(&a.name)
    );
    match put_compute(
        client,
        &sub,
        &path,
        "vmss.create",
        &body,
        a.no_wait,
        Shape::Cli,
    )
    .await?
    {
        Outcome::Value(v) => Ok(Outcome::Value(json!({"vmss": v}))),
        poll => Ok(poll),
    }
}

async fn vmss_subnet(
    client: &Client,
    sub: &Subscription,
    a: &VmssCreateArgs,
    location: &str,
) -> Result<String> {
    let subnet = a
        .subnet
        .clone()
        .unwrap_or_else(|| format!("{}Subnet", a.name));
    if subnet.starts_with('/') {
        return Ok(subnet);
    }
    let vnet = a
        .vnet_name
        .clone()
        .unwrap_or_else(|| format!("{}VNET", a.name));
    let vnet_path = resource_path(sub, &a.resource_group, "virtualNetworks", &vnet);
    if a.vnet_name.is_none() {
        let body = json!({"location": location, "tags": {}, "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}, "subnets": [{"name": subnet, "properties": {"addressPrefix": "10.0.0.0/24"}}]}});
        put_network(client, sub, &vnet_path, "vmss.create", &body, false, None).await?;
    }
    Ok(format!("{vnet_path}/subnets/{}", seg(&subnet)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_classified_as_the_cli_does() {
        let (r, _) = classify("/SharedGalleries/abc-G/Images/img/Versions/latest").unwrap();
        assert_eq!(
            image_reference(&r),
            json!({"sharedGalleryImageId": "/SharedGalleries/abc-G/Images/img/Versions/latest"})
        );
        let (r, _) = classify("/CommunityGalleries/pfx-1234/Images/img/Versions/1.0.0").unwrap();
        assert!(matches!(r, ImageRef::Community(_)));
        let id = "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i/versions/1.0.0";
        let (r, _) = classify(id).unwrap();
        assert_eq!(
            r,
            ImageRef::Id {
                id: id.into(),
                subscription: "0b1f6471-1bf0-4dda-aec3-cb9272f09590".into()
            }
        );
        let (r, os) = classify("Ubuntu2204").unwrap();
        assert!(matches!(r, ImageRef::Marketplace { .. }) && os == Some("Linux"));
        assert!(classify("/SharedGalleries/abc/Images/img").is_err());
        assert!(classify("nonsense").is_err());
    }

    #[test]
    fn computer_names_are_valid_host_names() {
        assert_eq!(computer_name("vm_sgv000004", "Linux"), "vmsgv000004");
        assert_eq!(
            computer_name("myVMfromImage-long-name", "Windows"),
            "myVMfromImage-l"
        );
    }
}
