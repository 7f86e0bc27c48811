//! Microsoft.Compute virtual machines and scale sets: create/update (long-running), get (with
//! `$expand=instanceView`), list by resource group, delete. Creation applies the deployment rules of
//! `deploy.rs` to the image and checks the network resources the VM or scale set links.
//! `adminPassword` and `customData` are write-only: never stored, never echoed.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use super::deploy::{Deployment, Resolved};
use super::network::{self, Link};
use super::resource_groups;
use crate::emulator::arm::{
    json_response, lro_response, method_not_allowed, no_content, ArmError, ArmResult, Ctx,
};
use crate::emulator::lro::{self, Flavor};
use crate::emulator::path::{ChildKind, Kind, Route};
use crate::emulator::store::{resource_key, Resource, World};

pub(super) fn handle(ctx: &Ctx, route: &Route) -> ArmResult {
    match (route, &ctx.method) {
        (Route::Resources { sub, rg, kind }, &Method::GET) => list(ctx, sub, rg, *kind),
        (
            Route::Resource {
                sub,
                rg,
                kind,
                name,
            },
            &Method::GET,
        ) => get(ctx, sub, rg, *kind, name),
        (
            Route::Resource {
                sub,
                rg,
                kind,
                name,
            },
            &Method::PUT,
        ) => put(ctx, sub, rg, *kind, name),
        (
            Route::Resource {
                sub,
                rg,
                kind,
                name,
            },
            &Method::DELETE,
        ) => delete(ctx, sub, rg, *kind, name),
        _ => Err(method_not_allowed(ctx)),
    }
}

/// Where a VM and a scale set keep the parts the rules look at.
struct Shape {
    /// JSON pointer of the machine profile inside `properties` ("" for a VM).
    profile: &'static str,
    /// Body path of the image reference, for `LinkedInvalidPropertyId`.
    image_path: &'static str,
}

fn shape(kind: Kind) -> Shape {
    match kind {
        Kind::ScaleSet => Shape {
            profile: "/virtualMachineProfile",
            image_path: "properties.virtualMachineProfile.storageProfile.imageReference",
        },
        _ => Shape {
            profile: "",
            image_path: "properties.storageProfile.imageReference",
        },
    }
}

fn timestamp() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Reads.

fn render(ctx: &Ctx, sub: &str, rg: &str, r: &Resource) -> Value {
    let id = network::resource_id(sub, rg, r.kind, &r.name);
    let state = r.provisioning.state();
    let mut props = r.properties.clone();
    props["provisioningState"] = json!(state);
    let wants_instance_view = ctx
        .query("$expand")
        .is_some_and(|e| e.eq_ignore_ascii_case("instanceView"));
    if r.kind == Kind::VirtualMachine && wants_instance_view {
        props["instanceView"] = instance_view(&props, state);
    }
    let mut body = json!({"name": r.name, "id": id, "type": r.kind.resource_type(),
                          "location": r.location, "tags": r.tags, "properties": props});
    if let Some(sku) = &r.sku {
        body["sku"] = sku.clone();
    }
    body
}

/// A running VM once provisioned, as `$expand=instanceView` reports it.
fn instance_view(props: &Value, state: &str) -> Value {
    let mut statuses = vec![json!({
        "code": format!("ProvisioningState/{}", state.to_ascii_lowercase()),
        "level": "Info",
        "displayStatus": if state == "Succeeded" { "Provisioning succeeded".to_string() } else { state.to_string() },
        "time": props.get("timeCreated")
    })];
    if state == "Succeeded" {
        statuses.push(
            json!({"code": "PowerState/running", "level": "Info", "displayStatus": "VM running"}),
        );
    }
    json!({
        "computerName": props.pointer("/osProfile/computerName"),
        "osName": props.pointer("/storageProfile/osDisk/osType"),
        "statuses": statuses
    })
}

fn list(ctx: &Ctx, sub: &str, rg: &str, kind: Kind) -> ArmResult {
    let world = ctx.shared.world.lock();
    let group = world
        .resource_group(sub, rg)
        .ok_or_else(|| resource_groups::not_found(rg))?;
    let items = group
        .resources
        .values()
        .filter(|r| r.kind == kind)
        .map(|r| render(ctx, sub, &group.name, r))
        .collect();
    Ok(json_response(StatusCode::OK, ctx.page(items)))
}

fn get(ctx: &Ctx, sub: &str, rg: &str, kind: Kind, name: &str) -> ArmResult {
    let world = ctx.shared.world.lock();
    let group = world
        .resource_group(sub, rg)
        .ok_or_else(|| resource_groups::not_found(rg))?;
    let r = group
        .resources
        .get(&resource_key(kind, name))
        .ok_or_else(|| network::not_found(kind, name, rg))?;
    Ok(json_response(
        StatusCode::OK,
        render(ctx, sub, &group.name, r),
    ))
}

// ---------------------------------------------------------------------------------------------
// Writes.

/// Everything a PUT needs to know about the target, gathered under one lock.
struct Target<'a> {
    ctx: &'a Ctx<'a>,
    world: &'a World,
    kind: Kind,
    sub: &'a str,
    id: String,
    location: String,
    existing: Option<Resource>,
}

impl Target<'_> {
    fn write_action(&self) -> String {
        format!("{}/write", self.kind.resource_type())
    }

    fn deployment(&self) -> Deployment<'_> {
        Deployment {
            ctx: self.ctx,
            world: self.world,
            sub: self.sub,
            location: &self.location,
            write_action: self.write_action(),
            scope: &self.id,
            property_path: shape(self.kind).image_path,
        }
    }

    fn link(&self) -> Link<'_> {
        Link {
            ctx: self.ctx,
            world: self.world,
            write_action: self.write_action(),
            by: &self.id,
            location: &self.location,
        }
    }
}

fn put(ctx: &Ctx, sub: &str, rg: &str, kind: Kind, name: &str) -> ArmResult {
    let body = ctx.body_object()?;
    let location = body
        .get("location")
        .and_then(Value::as_str)
        .ok_or_else(network::location_required)?
        .to_string();
    let mut props = body
        .get("properties")
        .filter(|p| p.is_object())
        .cloned()
        .unwrap_or_else(|| json!({}));
    let sku = body.get("sku").cloned();
    let tags = body.get("tags").cloned().unwrap_or_else(|| json!({}));
    let mut world = ctx.shared.world.lock();
    let group = world
        .resource_group(sub, rg)
        .ok_or_else(|| resource_groups::not_found(rg))?;
    let rg_name = group.name.clone();
    let existing = group.resources.get(&resource_key(kind, name)).cloned();
    let target = Target {
        ctx,
        world: &world,
        kind,
        sub,
        id: network::resource_id(sub, &rg_name, kind, name),
        location: location.clone(),
        existing,
    };
    let resolved = validate(&target, &props, sku.as_ref())?;
    finish_properties(&target, name, &mut props, &resolved);
    let existing = target.existing.is_some();
    let resource = Resource {
        kind,
        name: target
            .existing
            .as_ref()
            .map_or(name.to_string(), |e| e.name.clone()),
        location,
        tags,
        sku: sku.map(|s| with_sku_defaults(kind, s)),
        properties: props,
        etag: network::new_etag(),
        provisioning: network::provisioning(existing, ctx),
    };
    let verb = resource.provisioning.verb;
    let mut rendered = render(ctx, sub, &rg_name, &resource);
    rendered["properties"]["provisioningState"] = json!(verb);
    let op_location = resource.location.clone();
    world
        .resource_group_mut(sub, rg)
        .expect("checked above")
        .resources
        .insert(resource_key(kind, name), resource);
    let op = lro::begin_as(
        Flavor::Compute,
        &mut world,
        sub,
        &op_location,
        &ctx.api_version,
        ctx.lro_delay(),
        Some(rendered.clone()),
    );
    let status = if existing {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(lro_response(
        status,
        op.headers(&ctx.shared.endpoint),
        Some(rendered),
    ))
}

/// All checks, in Azure's order: ARM's linked access (image, network), then Compute's validation
/// of the body, then the image's resolution.
fn validate(target: &Target, props: &Value, sku: Option<&Value>) -> Result<Resolved, ArmError> {
    let shape = shape(target.kind);
    let profile = props.pointer(shape.profile).unwrap_or(&Value::Null);
    let reference = profile.pointer("/storageProfile/imageReference");
    if let Some(reference) = reference {
        target.deployment().authorize_linked(reference)?;
    }
    check_network(target, profile)?;
    check_required(target, profile, sku)?;
    let reference = reference.expect("check_required demands an image reference");
    let resolved = match &target.existing {
        Some(old) => unchanged_image(old, &shape, reference),
        None => target.deployment().resolve(reference),
    }?;
    if matches!(target.kind, Kind::VirtualMachine) {
        check_linux_host_name(profile, &resolved)?;
    }
    Ok(resolved)
}

/// Characters Compute refuses in a Linux VM's `computerName` (a host name); `_` is the one clients trip
/// on, as the Azure CLI's own test names show (`vm_sgv…`, which the CLI turns into a host name without it).
const LINUX_HOST_NAME_FORBIDDEN: &str = "~!@#$%^&*()=+_[]{}\\|;:'\",<>/?";

/// Compute's rule for a Linux host name: at most 64 characters, none of [`LINUX_HOST_NAME_FORBIDDEN`]
/// nor white space; else 400 `InvalidParameter` on `computerName`.
fn check_linux_host_name(profile: &Value, resolved: &Resolved) -> Result<(), ArmError> {
    if resolved.os_type.eq_ignore_ascii_case("Windows") {
        return Ok(());
    }
    let Some(name) = text(profile, "/osProfile/computerName") else {
        return Ok(());
    };
    let bad = name.chars().count() > 64
        || name
            .chars()
            .any(|c| c.is_whitespace() || LINUX_HOST_NAME_FORBIDDEN.contains(c));
    if bad {
        return Err(ArmError::invalid_parameter(
            "computerName",
            "Linux host name cannot exceed 64 characters in length or contain the following characters: \
             ~ ! @ # $ % ^ & * ( ) = + _ [ ] { } \\ | ; : ' \" , < > / ?.",
        ));
    }
    Ok(())
}

fn missing(target: &str) -> ArmError {
    ArmError::invalid_parameter(
        target,
        format!("Required parameter '{target}' is missing (null)."),
    )
}

fn text<'v>(value: &'v Value, pointer: &str) -> Option<&'v str> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Compute's required properties. An update may omit the password: it is never returned, so a
/// client that reads, edits and writes back a VM cannot send it.
fn check_required(target: &Target, profile: &Value, sku: Option<&Value>) -> Result<(), ArmError> {
    match target.kind {
        Kind::ScaleSet if sku.and_then(|s| s.get("name")).is_none() => return Err(missing("sku")),
        Kind::VirtualMachine if text(profile, "/hardwareProfile/vmSize").is_none() => {
            return Err(missing("hardwareProfile.vmSize"))
        }
        _ => {}
    }
    if profile.pointer("/storageProfile/imageReference").is_none() {
        return Err(missing("imageReference"));
    }
    match text(profile, "/storageProfile/osDisk/createOption") {
        None => return Err(missing("osDisk.createOption")),
        Some(option) if !option.eq_ignore_ascii_case("FromImage") => {
            return Err(ArmError::invalid_parameter(
                "osDisk.createOption",
                format!(
                    "The value '{option}' of parameter 'osDisk.createOption' is not allowed. A VM created from an \
                     image reference needs 'FromImage'."
                ),
            ))
        }
        Some(_) => {}
    }
    let name_field = match target.kind {
        Kind::ScaleSet => "computerNamePrefix",
        _ => "computerName",
    };
    if profile.get("osProfile").is_none_or(Value::is_null) {
        return Err(missing("osProfile"));
    }
    for field in [name_field, "adminUsername"] {
        if text(profile, &format!("/osProfile/{field}")).is_none() {
            return Err(missing(field));
        }
    }
    let has_password = text(profile, "/osProfile/adminPassword").is_some();
    let has_keys = profile
        .pointer("/osProfile/linuxConfiguration/ssh/publicKeys")
        .and_then(Value::as_array)
        .is_some_and(|k| !k.is_empty());
    if target.existing.is_none() && !has_password && !has_keys {
        return Err(missing("adminPassword"));
    }
    Ok(())
}

/// The image of an existing VM or scale set cannot change; an unchanged one keeps its resolution.
fn unchanged_image(old: &Resource, shape: &Shape, reference: &Value) -> Result<Resolved, ArmError> {
    let stored = old
        .properties
        .pointer(&format!("{}/storageProfile/imageReference", shape.profile))
        .cloned()
        .unwrap_or_default();
    if reference_identity(&stored) != reference_identity(reference) {
        let mut e = ArmError::conflict(
            "PropertyChangeNotAllowed",
            "Changing property 'imageReference' is not allowed.",
        );
        e.target = Some("imageReference".into());
        return Err(e);
    }
    let os_type = old
        .properties
        .pointer(&format!("{}/storageProfile/osDisk/osType", shape.profile))
        .and_then(Value::as_str)
        .unwrap_or("Linux")
        .to_string();
    Ok(Resolved {
        os_type,
        exact_version: text(&stored, "/exactVersion").map(str::to_string),
    })
}

/// What identifies an image reference, ignoring case and read-only fields such as `exactVersion`.
fn reference_identity(reference: &Value) -> Vec<(String, String)> {
    [
        "id",
        "sharedGalleryImageId",
        "communityGalleryImageId",
        "publisher",
        "offer",
        "sku",
        "version",
    ]
    .iter()
    .filter_map(|f| {
        text(reference, &format!("/{f}")).map(|v| (f.to_string(), v.to_ascii_lowercase()))
    })
    .collect()
}

/// VM: every NIC must exist in the VM's region, be joinable by the caller and not belong to another
/// VM. Scale set: every ip configuration's subnet must exist and be joinable.
fn check_network(target: &Target, profile: &Value) -> Result<(), ArmError> {
    let link = target.link();
    if target.kind == Kind::ScaleSet {
        let configs = profile
            .pointer("/networkProfile/networkInterfaceConfigurations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        for config in configs {
            let ip_configs = config
                .pointer("/properties/ipConfigurations")
                .and_then(Value::as_array)
                .into_iter()
                .flatten();
            for ip in ip_configs {
                let Some(subnet) = text(ip, "/properties/subnet/id") else {
                    return Err(missing(
                        "networkInterfaceConfigurations.ipConfigurations.subnet.id",
                    ));
                };
                link.check(
                    subnet,
                    Kind::VirtualNetwork,
                    Some(ChildKind::Subnet),
                    "Microsoft.Network/virtualNetworks/subnets/join/action",
                )?;
            }
        }
        return Ok(());
    }
    let nics: Vec<&Value> = profile
        .pointer("/networkProfile/networkInterfaces")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    if nics.is_empty() {
        return Err(missing("networkProfile"));
    }
    for nic in nics {
        let id = text(nic, "/id").ok_or_else(|| missing("networkProfile.networkInterfaces.id"))?;
        link.check(
            id,
            Kind::NetworkInterface,
            None,
            "Microsoft.Network/networkInterfaces/join/action",
        )?;
        match network::vm_using_nic(target.world, id) {
            Some(vm) if !vm.eq_ignore_ascii_case(&target.id) => {
                return Err(ArmError::bad_request(
                    "NicInUse",
                    format!("Network Interface {id} is used by existing resource {vm}."),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Removes the write-only secrets of an `osProfile`.
fn strip_secrets(os_profile: &mut Value) {
    if let Some(p) = os_profile.as_object_mut() {
        p.remove("adminPassword");
        p.remove("customData");
    }
}

/// Stored properties: secrets removed, read-only fields set by the emulator, Azure's defaults.
/// What Azure fills in on a scale set's network interface configurations when the request leaves it out.
fn nic_configuration_defaults(profile: &mut Value) {
    let Some(nics) = profile
        .pointer_mut("/networkProfile/networkInterfaceConfigurations")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for nic in nics.iter_mut().filter_map(|n| n.get_mut("properties")) {
        for (field, default) in [
            ("dnsSettings", json!({"dnsServers": []})),
            ("enableAcceleratedNetworking", json!(false)),
        ] {
            if nic.get(field).is_none() {
                nic[field] = default;
            }
        }
        let ip_configs = nic
            .get_mut("ipConfigurations")
            .and_then(Value::as_array_mut);
        for ip in ip_configs
            .into_iter()
            .flatten()
            .filter_map(|i| i.get_mut("properties"))
        {
            if ip.get("privateIPAddressVersion").is_none() {
                ip["privateIPAddressVersion"] = json!("IPv4");
            }
        }
    }
}

fn finish_properties(target: &Target, name: &str, props: &mut Value, resolved: &Resolved) {
    let shape = shape(target.kind);
    if let Some(p) = props.as_object_mut() {
        for read_only in [
            "provisioningState",
            "instanceView",
            "vmId",
            "uniqueId",
            "timeCreated",
        ] {
            p.remove(read_only);
        }
    }
    let old = target.existing.as_ref().map(|e| &e.properties);
    let (id_field, default_id) = match target.kind {
        Kind::ScaleSet => ("uniqueId", uuid::Uuid::new_v4().to_string()),
        _ => ("vmId", uuid::Uuid::new_v4().to_string()),
    };
    props[id_field] = old
        .and_then(|o| o.get(id_field).cloned())
        .unwrap_or_else(|| json!(default_id));
    props["timeCreated"] = old
        .and_then(|o| o.get("timeCreated").cloned())
        .unwrap_or_else(|| json!(timestamp()));
    if target.kind == Kind::ScaleSet {
        for (field, default) in [
            ("singlePlacementGroup", json!(true)),
            ("overprovision", json!(true)),
            ("upgradePolicy", json!({"mode": "Manual"})),
        ] {
            if props.get(field).is_none() {
                props[field] = default;
            }
        }
    }
    let Some(profile) = props.pointer_mut(shape.profile) else {
        return;
    };
    if target.kind == Kind::ScaleSet {
        nic_configuration_defaults(profile);
    }
    let has_password = text(profile, "/osProfile/adminPassword").is_some();
    if let Some(os) = profile.get_mut("osProfile") {
        let old_os = old.and_then(|o| o.pointer(&format!("{}/osProfile", shape.profile)));
        finish_os_profile(os, old_os, resolved, has_password);
    }
    finish_storage(target.kind, name, &mut profile["storageProfile"], resolved);
}

fn finish_os_profile(os: &mut Value, old: Option<&Value>, resolved: &Resolved, has_password: bool) {
    strip_secrets(os);
    if os.get("secrets").is_none() {
        os["secrets"] = json!([]);
    }
    if os.get("allowExtensionOperations").is_none() {
        os["allowExtensionOperations"] = json!(true);
    }
    if resolved.os_type.eq_ignore_ascii_case("Windows") {
        if os.get("windowsConfiguration").is_none() {
            os["windowsConfiguration"] =
                json!({"provisionVMAgent": true, "enableAutomaticUpdates": true});
        }
        return;
    }
    // An update without the password keeps whether password login was allowed.
    let password_login = has_password
        || old
            .and_then(|o| o.pointer("/linuxConfiguration/disablePasswordAuthentication"))
            .and_then(Value::as_bool)
            .is_some_and(|disabled| !disabled);
    if !os.get("linuxConfiguration").is_some_and(Value::is_object) {
        os["linuxConfiguration"] = json!({});
    }
    let linux = &mut os["linuxConfiguration"];
    if linux.get("disablePasswordAuthentication").is_none() {
        linux["disablePasswordAuthentication"] = json!(!password_login);
    }
    if linux.get("provisionVMAgent").is_none() {
        linux["provisionVMAgent"] = json!(true);
    }
}

fn finish_storage(kind: Kind, name: &str, storage: &mut Value, resolved: &Resolved) {
    if let Some(reference) = storage.get_mut("imageReference") {
        match &resolved.exact_version {
            Some(v) => reference["exactVersion"] = json!(v),
            None => {
                if let Some(r) = reference.as_object_mut() {
                    r.remove("exactVersion");
                }
            }
        }
    }
    let disk = &mut storage["osDisk"];
    disk["osType"] = json!(resolved.os_type);
    let disk_name = format!("{name}_OsDisk_1_{}", uuid::Uuid::new_v4().simple());
    let mut defaults = vec![
        ("caching", json!("ReadWrite")),
        ("managedDisk", json!({"storageAccountType": "Standard_LRS"})),
        ("diskSizeGB", json!(30)),
    ];
    if kind == Kind::VirtualMachine {
        defaults.push(("name", json!(disk_name)));
        defaults.push(("deleteOption", json!("Detach")));
    }
    for (field, default) in defaults {
        if disk.get(field).is_none() {
            disk[field] = default;
        }
    }
    if storage.get("dataDisks").is_none() {
        storage["dataDisks"] = json!([]);
    }
}

fn with_sku_defaults(kind: Kind, mut sku: Value) -> Value {
    if kind == Kind::ScaleSet {
        if sku.get("tier").is_none() {
            sku["tier"] = json!("Standard");
        }
        if sku.get("capacity").is_none() {
            sku["capacity"] = json!(2);
        }
    }
    sku
}

fn delete(ctx: &Ctx, sub: &str, rg: &str, kind: Kind, name: &str) -> ArmResult {
    let mut world = ctx.shared.world.lock();
    let group = world
        .resource_group_mut(sub, rg)
        .ok_or_else(|| resource_groups::not_found(rg))?;
    // Removing the VM frees its NICs: their `virtualMachine` is computed from the VMs that remain.
    let Some(removed) = group.resources.remove(&resource_key(kind, name)) else {
        return Ok(no_content());
    };
    let op = lro::begin_as(
        Flavor::Compute,
        &mut world,
        sub,
        &removed.location,
        &ctx.api_version,
        ctx.lro_delay(),
        None,
    );
    Ok(lro_response(
        StatusCode::ACCEPTED,
        op.headers(&ctx.shared.endpoint),
        None,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_stripped() {
        let mut os = json!({"adminUsername": "a", "adminPassword": "p", "customData": "c"});
        strip_secrets(&mut os);
        assert_eq!(os, json!({"adminUsername": "a"}));
    }

    #[test]
    fn image_identity_ignores_case_and_exact_version() {
        assert_eq!(
            reference_identity(
                &json!({"sharedGalleryImageId": "/SharedGalleries/A", "exactVersion": "1.0.0"})
            ),
            reference_identity(&json!({"sharedGalleryImageId": "/sharedgalleries/a"}))
        );
        assert_ne!(
            reference_identity(&json!({"id": "/a"})),
            reference_identity(&json!({"sharedGalleryImageId": "/a"}))
        );
    }
}
