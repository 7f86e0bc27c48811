//! Microsoft.Network: virtual networks (with subnets), public IP addresses, network security groups
//! (with security rules) and network interfaces. Child resources live inline in their parent's
//! `properties`, as Azure returns them; back-references (a subnet's `ipConfigurations`, a NIC's
//! `virtualMachine`, ...) are computed on read so they can never go stale.

use std::time::Instant;

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use super::resource_groups;
use crate::emulator::arm::{
    json_response, lro_response, method_not_allowed, no_content, ArmError, ArmResult, Ctx,
};
use crate::emulator::lro::{self, Flavor};
use crate::emulator::path::{self, ChildKind, Kind, Route};
use crate::emulator::rbac;
use crate::emulator::store::{normalize_location, resource_key, Provisioning, Resource, World};

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
        (
            Route::Children {
                sub,
                rg,
                kind,
                name,
                child,
            },
            &Method::GET,
        ) => list_children(ctx, [sub, rg, name], *kind, *child),
        (
            Route::Child {
                sub,
                rg,
                kind,
                name,
                child,
                child_name,
            },
            method,
        ) => child_request(ctx, method, [sub, rg, name, child_name], *kind, *child),
        _ => Err(method_not_allowed(ctx)),
    }
}

// ---------------------------------------------------------------------------------------------
// Shared with the Compute handler: ids, etags, lookups and reference checks.

pub(crate) fn resource_id(sub: &str, rg: &str, kind: Kind, name: &str) -> String {
    format!(
        "/subscriptions/{sub}/resourceGroups/{rg}/providers/{}/{}/{name}",
        kind.namespace(),
        kind.segment()
    )
}

pub(super) fn not_found(kind: Kind, name: &str, rg: &str) -> ArmError {
    ArmError::resource_not_found(&kind.resource_type(), name, rg)
}

pub(super) fn new_etag() -> String {
    format!("W/\"{}\"", uuid::Uuid::new_v4())
}

pub(super) fn location_required() -> ArmError {
    ArmError::bad_request(
        "LocationRequired",
        "The location property is required for this definition.",
    )
}

/// `Creating` for a new resource, `Updating` for an existing one, until `lro_delay` has passed.
pub(super) fn provisioning(exists: bool, ctx: &Ctx) -> Provisioning {
    Provisioning {
        verb: if exists { "Updating" } else { "Creating" },
        done_at: Instant::now() + ctx.lro_delay(),
    }
}

/// What a resource id points at, if it exists: the resource and, for a child id, the child.
pub(crate) struct Target<'w> {
    pub resource: &'w Resource,
    pub child: Option<&'w Value>,
}

impl Target<'_> {
    pub(crate) fn location(&self) -> &str {
        &self.resource.location
    }
}

/// Resolves a full resource id of a stored resource of `kind` (or of a `child` of it).
pub(crate) fn lookup<'w>(
    world: &'w World,
    id: &str,
    kind: Kind,
    child: Option<ChildKind>,
) -> Option<Target<'w>> {
    match (path::parse(id)?.route, child) {
        (
            Route::Resource {
                sub,
                rg,
                kind: k,
                name,
            },
            None,
        ) if k == kind => Some(Target {
            resource: world.resource(&sub, &rg, kind, &name)?,
            child: None,
        }),
        (
            Route::Child {
                sub,
                rg,
                kind: k,
                name,
                child: c,
                child_name,
            },
            Some(wanted),
        ) if k == kind && c == wanted => {
            let resource = world.resource(&sub, &rg, kind, &name)?;
            let child = children(&resource.properties, wanted)
                .iter()
                .find(|c| name_of(c).eq_ignore_ascii_case(&child_name))?;
            Some(Target {
                resource,
                child: Some(child),
            })
        }
        _ => None,
    }
}

/// 400 `InvalidResourceReference`, Network's answer to a reference it cannot resolve in the region.
pub(crate) fn invalid_reference(referenced: &str, by: &str) -> ArmError {
    ArmError::bad_request(
        "InvalidResourceReference",
        format!(
            "Resource {referenced} referenced by resource {by} was not found. Please make sure that the referenced \
             resource exists, and that both resources are in the same region."
        ),
    )
}

/// A linked resource check as ARM and Network make it: the caller needs `join_action` on the
/// referenced resource (else 403 `LinkedAuthorizationFailed`), and it must exist in `location`
/// (else 400 `InvalidResourceReference`).
pub(crate) struct Link<'a> {
    pub ctx: &'a Ctx<'a>,
    pub world: &'a World,
    /// The write action of the referencing resource and its id, for the messages.
    pub write_action: String,
    pub by: &'a str,
    pub location: &'a str,
}

impl Link<'_> {
    pub(crate) fn check(
        &self,
        id: &str,
        kind: Kind,
        child: Option<ChildKind>,
        join_action: &str,
    ) -> Result<(), ArmError> {
        if !rbac::is_allowed(
            &self.world.role_assignments,
            &self.ctx.caller.oid,
            join_action,
            id,
        ) {
            return Err(self.ctx.linked_permission_failed(
                &self.write_action,
                self.by,
                join_action,
                id,
            ));
        }
        match lookup(self.world, id, kind, child) {
            Some(t) if normalize_location(t.location()) == normalize_location(self.location) => {
                Ok(())
            }
            _ => Err(invalid_reference(id, self.by)),
        }
    }
}

/// `{"id": ...}` references must carry an id: Network's `InvalidRequestFormat` otherwise.
fn reference_id<'v>(reference: &'v Value, at: &str) -> Result<&'v str, ArmError> {
    reference
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            let mut e = ArmError::bad_request("InvalidRequestFormat", "Cannot parse the request.");
            e.details = Some(Box::new(json!([{
                "code": "MissingJsonReferenceId",
                "message": format!("Value for reference id is missing. Path {at}.")
            }])));
            e
        })
}

// ---------------------------------------------------------------------------------------------
// Children kept inline: `properties.subnets[]`, `properties.securityRules[]`.

fn name_of(item: &Value) -> &str {
    item.get("name").and_then(Value::as_str).unwrap_or_default()
}

fn children(properties: &Value, child: ChildKind) -> &[Value] {
    properties
        .get(child.segment())
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn child_type(child: ChildKind) -> String {
    format!("{}/{}", child.parent().resource_type(), child.segment())
}

/// A stored child (`{name, properties}`) as Azure returns it inside and outside its parent.
fn render_child(parent_id: &str, parent: &Resource, child: ChildKind, item: &Value) -> Value {
    let name = name_of(item);
    let mut props = item.get("properties").cloned().unwrap_or_else(|| json!({}));
    props["provisioningState"] = json!(parent.provisioning.state());
    json!({"name": name, "id": format!("{parent_id}/{}/{name}", child.segment()), "etag": parent.etag,
           "type": child_type(child), "properties": props})
}

/// Strips what the caller may not set on a child and keeps `{name, properties}`.
fn stored_child(name: &str, body: &Value) -> Value {
    let mut props = body.get("properties").cloned().unwrap_or_else(|| json!({}));
    if let Some(p) = props.as_object_mut() {
        p.remove("provisioningState");
        p.remove("ipConfigurations");
    }
    json!({"name": name, "properties": props})
}

// ---------------------------------------------------------------------------------------------
// Reads.

/// Every NIC ip configuration: (its id, its properties).
fn ip_configurations(world: &World) -> Vec<(String, Value)> {
    world
        .all_resources(Kind::NetworkInterface)
        .flat_map(|(sub, rg, nic)| {
            let nic_id = resource_id(sub, &rg.name, nic.kind, &nic.name);
            nic.properties
                .get("ipConfigurations")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(move |c| {
                    (
                        format!("{nic_id}/ipConfigurations/{}", name_of(c)),
                        c.get("properties").cloned().unwrap_or_default(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn refers_to(props: &Value, pointer: &str, id: &str) -> bool {
    props
        .pointer(pointer)
        .and_then(Value::as_str)
        .is_some_and(|r| r.eq_ignore_ascii_case(id))
}

/// The ip configurations whose `pointer` (e.g. `/subnet/id`) names `id`.
fn ip_configurations_using(world: &World, pointer: &str, id: &str) -> Vec<String> {
    ip_configurations(world)
        .into_iter()
        .filter(|(_, props)| refers_to(props, pointer, id))
        .map(|(config_id, _)| config_id)
        .collect()
}

/// The VM whose network profile lists this NIC.
pub(crate) fn vm_using_nic(world: &World, nic_id: &str) -> Option<String> {
    world
        .all_resources(Kind::VirtualMachine)
        .find(|(_, _, vm)| {
            vm.properties
                .pointer("/networkProfile/networkInterfaces")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .any(|n| refers_to(n, "/id", nic_id))
        })
        .map(|(sub, rg, vm)| resource_id(sub, &rg.name, vm.kind, &vm.name))
}

fn id_refs(ids: Vec<String>) -> Value {
    Value::Array(ids.into_iter().map(|id| json!({ "id": id })).collect())
}

/// A stored Network resource as Azure returns it.
pub(super) fn render(world: &World, sub: &str, rg: &str, r: &Resource) -> Value {
    let id = resource_id(sub, rg, r.kind, &r.name);
    let mut props = r.properties.clone();
    props["provisioningState"] = json!(r.provisioning.state());
    match r.kind {
        Kind::VirtualNetwork => {
            let subnets: Vec<Value> = children(&r.properties, ChildKind::Subnet)
                .iter()
                .map(|s| render_subnet(world, &id, r, s))
                .collect();
            props["subnets"] = json!(subnets);
        }
        Kind::SecurityGroup => {
            let rules: Vec<Value> = children(&r.properties, ChildKind::SecurityRule)
                .iter()
                .map(|s| render_child(&id, r, ChildKind::SecurityRule, s))
                .collect();
            props["securityRules"] = json!(rules);
            props["defaultSecurityRules"] = default_security_rules(&id, r);
            let nics = nics_using_nsg(world, &id);
            if !nics.is_empty() {
                props["networkInterfaces"] = id_refs(nics);
            }
        }
        Kind::NetworkInterface => render_nic(world, &id, r, &mut props),
        Kind::PublicIpAddress => {
            let configs = ip_configurations_using(world, "/publicIPAddress/id", &id);
            let is_static = refers_to(&props, "/publicIPAllocationMethod", "Static");
            if let Some(config) = configs.first() {
                props["ipConfiguration"] = json!({ "id": config });
            } else if !is_static {
                // A dynamic address is allocated only while something uses it.
                if let Some(p) = props.as_object_mut() {
                    p.remove("ipAddress");
                }
            }
        }
        Kind::VirtualMachine | Kind::ScaleSet => {}
    }
    let mut body = json!({"name": r.name, "id": id, "etag": r.etag, "type": r.kind.resource_type(),
                          "location": r.location, "tags": r.tags, "properties": props});
    if let Some(sku) = &r.sku {
        body["sku"] = sku.clone();
    }
    body
}

fn render_subnet(world: &World, vnet_id: &str, vnet: &Resource, subnet: &Value) -> Value {
    let mut item = render_child(vnet_id, vnet, ChildKind::Subnet, subnet);
    let subnet_id = item["id"].as_str().unwrap_or_default().to_string();
    let users = ip_configurations_using(world, "/subnet/id", &subnet_id);
    if !users.is_empty() {
        item["properties"]["ipConfigurations"] = id_refs(users);
    }
    item
}

fn nics_using_nsg(world: &World, nsg_id: &str) -> Vec<String> {
    world
        .all_resources(Kind::NetworkInterface)
        .filter(|(_, _, nic)| refers_to(&nic.properties, "/networkSecurityGroup/id", nsg_id))
        .map(|(sub, rg, nic)| resource_id(sub, &rg.name, nic.kind, &nic.name))
        .collect()
}

fn render_nic(world: &World, id: &str, r: &Resource, props: &mut Value) {
    let configs: Vec<Value> = props
        .get("ipConfigurations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            let name = name_of(c);
            let mut p = c.get("properties").cloned().unwrap_or_else(|| json!({}));
            p["provisioningState"] = json!(r.provisioning.state());
            json!({"name": name, "id": format!("{id}/ipConfigurations/{name}"), "etag": r.etag,
                   "type": "Microsoft.Network/networkInterfaces/ipConfigurations", "properties": p})
        })
        .collect();
    props["ipConfigurations"] = json!(configs);
    if let Some(vm) = vm_using_nic(world, id) {
        props["virtualMachine"] = json!({ "id": vm });
        props["primary"] = json!(true);
    }
}

/// The six rules every NSG carries, as Azure lists them.
fn default_security_rules(nsg_id: &str, nsg: &Resource) -> Value {
    const RULES: [(&str, &str, &str, &str, &str, u32, &str); 6] = [
        (
            "AllowVnetInBound",
            "Allow inbound traffic from all VMs in VNET",
            "VirtualNetwork",
            "VirtualNetwork",
            "Allow",
            65000,
            "Inbound",
        ),
        (
            "AllowAzureLoadBalancerInBound",
            "Allow inbound traffic from azure load balancer",
            "AzureLoadBalancer",
            "*",
            "Allow",
            65001,
            "Inbound",
        ),
        (
            "DenyAllInBound",
            "Deny all inbound traffic",
            "*",
            "*",
            "Deny",
            65500,
            "Inbound",
        ),
        (
            "AllowVnetOutBound",
            "Allow outbound traffic from all VMs to all VMs in VNET",
            "VirtualNetwork",
            "VirtualNetwork",
            "Allow",
            65000,
            "Outbound",
        ),
        (
            "AllowInternetOutBound",
            "Allow outbound traffic from all VMs to Internet",
            "*",
            "Internet",
            "Allow",
            65001,
            "Outbound",
        ),
        (
            "DenyAllOutBound",
            "Deny all outbound traffic",
            "*",
            "*",
            "Deny",
            65500,
            "Outbound",
        ),
    ];
    let rules: Vec<Value> = RULES
        .iter()
        .map(|(name, description, source, destination, access, priority, direction)| {
            json!({
                "name": name,
                "id": format!("{nsg_id}/defaultSecurityRules/{name}"),
                "etag": nsg.etag,
                "type": "Microsoft.Network/networkSecurityGroups/defaultSecurityRules",
                "properties": {
                    "provisioningState": "Succeeded", "description": description, "protocol": "*",
                    "sourcePortRange": "*", "destinationPortRange": "*",
                    "sourceAddressPrefix": source, "destinationAddressPrefix": destination,
                    "access": access, "priority": priority, "direction": direction,
                    "sourcePortRanges": [], "destinationPortRanges": [],
                    "sourceAddressPrefixes": [], "destinationAddressPrefixes": []
                }
            })
        })
        .collect();
    json!(rules)
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
        .map(|r| render(&world, sub, &group.name, r))
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
        .ok_or_else(|| not_found(kind, name, rg))?;
    Ok(json_response(
        StatusCode::OK,
        render(&world, sub, &group.name, r),
    ))
}

// ---------------------------------------------------------------------------------------------
// Writes.

/// The parts of a PUT body every Network resource shares.
struct Body {
    location: String,
    tags: Value,
    sku: Option<Value>,
    properties: Value,
}

fn parse_body(ctx: &Ctx) -> Result<Body, ArmError> {
    let body = ctx.body_object()?;
    let location = body
        .get("location")
        .and_then(Value::as_str)
        .ok_or_else(location_required)?
        .to_string();
    let mut properties = body.get("properties").cloned().unwrap_or_else(|| json!({}));
    if !properties.is_object() {
        properties = json!({});
    }
    if let Some(p) = properties.as_object_mut() {
        p.remove("provisioningState");
    }
    Ok(Body {
        location,
        tags: body.get("tags").cloned().unwrap_or_else(|| json!({})),
        sku: body.get("sku").cloned(),
        properties,
    })
}

fn put(ctx: &Ctx, sub: &str, rg: &str, kind: Kind, name: &str) -> ArmResult {
    let mut body = parse_body(ctx)?;
    let mut world = ctx.shared.world.lock();
    let group = world
        .resource_group(sub, rg)
        .ok_or_else(|| resource_groups::not_found(rg))?;
    let rg_name = group.name.clone();
    let existing = group.resources.get(&resource_key(kind, name)).cloned();
    let id = resource_id(sub, &rg_name, kind, name);
    let guid = existing
        .as_ref()
        .and_then(|e| e.properties.get("resourceGuid").cloned())
        .unwrap_or_else(|| json!(uuid::Uuid::new_v4().to_string()));
    match kind {
        Kind::VirtualNetwork => prepare_vnet(&world, &id, existing.as_ref(), &mut body)?,
        Kind::SecurityGroup => prepare_nsg(&id, &mut body)?,
        Kind::PublicIpAddress => prepare_public_ip(existing.as_ref(), &mut body),
        Kind::NetworkInterface => prepare_nic(ctx, &world, &id, existing.as_ref(), &mut body)?,
        Kind::VirtualMachine | Kind::ScaleSet => unreachable!("Compute kinds go to compute.rs"),
    }
    body.properties["resourceGuid"] = guid;
    let resource = Resource {
        kind,
        name: existing
            .as_ref()
            .map_or(name.to_string(), |e| e.name.clone()),
        location: body.location,
        tags: body.tags,
        sku: body.sku,
        properties: body.properties,
        etag: new_etag(),
        provisioning: provisioning(existing.is_some(), ctx),
    };
    let verb = resource.provisioning.verb;
    let status = if existing.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let location = resource.location.clone();
    world
        .resource_group_mut(sub, rg)
        .expect("checked above")
        .resources
        .insert(resource_key(kind, name), resource);
    let stored = world.resource(sub, rg, kind, name).expect("just stored");
    let mut rendered = render(&world, sub, &rg_name, stored);
    rendered["properties"]["provisioningState"] = json!(verb);
    respond_put(ctx, &mut world, sub, &location, status, rendered)
}

/// 201/200 with Network's `Azure-AsyncOperation` (no `Location` on PUT).
fn respond_put(
    ctx: &Ctx,
    world: &mut World,
    sub: &str,
    location: &str,
    status: StatusCode,
    rendered: Value,
) -> ArmResult {
    let op = lro::begin_as(
        Flavor::Network,
        world,
        sub,
        location,
        &ctx.api_version,
        ctx.lro_delay(),
        Some(rendered.clone()),
    );
    Ok(lro_response(
        status,
        op.headers_with(&ctx.shared.endpoint, false),
        Some(rendered),
    ))
}

/// 202 with `Azure-AsyncOperation` and an `operationResults` `Location`.
fn respond_delete(ctx: &Ctx, world: &mut World, sub: &str, location: &str) -> ArmResult {
    let op = lro::begin_as(
        Flavor::Network,
        world,
        sub,
        location,
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

/// `a.b.c.d/n` as (first address, number of addresses).
fn parse_cidr(prefix: &str) -> Option<(u32, u64)> {
    let (address, bits) = prefix.split_once('/')?;
    let address: std::net::Ipv4Addr = address.parse().ok()?;
    let bits: u32 = bits.parse().ok().filter(|b| *b <= 32)?;
    let size = 1u64 << (32 - bits);
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    Some((u32::from(address) & mask, size))
}

fn subnet_prefix(subnet_props: &Value) -> Option<&str> {
    subnet_props
        .get("addressPrefix")
        .and_then(Value::as_str)
        .or_else(|| {
            subnet_props
                .pointer("/addressPrefixes/0")
                .and_then(Value::as_str)
        })
}

fn invalid_prefix(prefix: &str, id: &str) -> ArmError {
    ArmError::bad_request(
        "InvalidAddressPrefixFormat",
        format!(
            "Address prefix {prefix} of resource {id} is not formatted correctly. It should follow CIDR notation, \
             for example 10.0.0.0/24."
        ),
    )
}

/// Normalizes the inline subnets (unique names, CIDR prefixes) and refuses to drop a subnet in use.
fn prepare_vnet(
    world: &World,
    id: &str,
    existing: Option<&Resource>,
    body: &mut Body,
) -> Result<(), ArmError> {
    for prefix in body
        .properties
        .pointer("/addressSpace/addressPrefixes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let p = prefix.as_str().unwrap_or_default();
        parse_cidr(p).ok_or_else(|| invalid_prefix(p, id))?;
    }
    let mut subnets = Vec::new();
    for s in children(&body.properties, ChildKind::Subnet) {
        let name = name_of(s);
        let subnet_id = format!("{id}/subnets/{name}");
        let stored = stored_child(name, s);
        let prefix = subnet_prefix(&stored["properties"]).unwrap_or_default();
        parse_cidr(prefix).ok_or_else(|| invalid_prefix(prefix, &subnet_id))?;
        subnets.push(stored);
    }
    if let Some(old) = existing {
        for s in children(&old.properties, ChildKind::Subnet) {
            let kept = subnets
                .iter()
                .any(|n| name_of(n).eq_ignore_ascii_case(name_of(s)));
            if !kept {
                ensure_subnet_unused(world, &format!("{id}/subnets/{}", name_of(s)), name_of(s))?;
            }
        }
    }
    body.properties["subnets"] = json!(subnets);
    if body.properties.get("virtualNetworkPeerings").is_none() {
        body.properties["virtualNetworkPeerings"] = json!([]);
    }
    if body.properties.get("enableDdosProtection").is_none() {
        body.properties["enableDdosProtection"] = json!(false);
    }
    Ok(())
}

fn ensure_subnet_unused(world: &World, subnet_id: &str, name: &str) -> Result<(), ArmError> {
    match ip_configurations_using(world, "/subnet/id", subnet_id).first() {
        Some(user) => Err(ArmError::bad_request(
            "InUseSubnetCannotBeDeleted",
            format!(
                "Subnet {name} is in use by {user} and cannot be deleted. In order to delete the subnet, delete all \
                 the resources within the subnet. See aka.ms/deletesubnet."
            ),
        )),
        None => Ok(()),
    }
}

fn prepare_nsg(id: &str, body: &mut Body) -> Result<(), ArmError> {
    let mut rules = Vec::new();
    for r in children(&body.properties, ChildKind::SecurityRule) {
        let name = name_of(r);
        let mut stored = stored_child(name, r);
        check_rule(
            &format!("{id}/securityRules/{name}"),
            &mut stored["properties"],
        )?;
        rules.push(stored);
    }
    body.properties["securityRules"] = json!(rules);
    if let Some(p) = body.properties.as_object_mut() {
        p.remove("defaultSecurityRules");
        p.remove("networkInterfaces");
    }
    Ok(())
}

/// A security rule needs a priority in 100..=4096; list-valued fields default to empty lists.
fn check_rule(id: &str, props: &mut Value) -> Result<(), ArmError> {
    let priority = props.get("priority").and_then(Value::as_i64);
    if !priority.is_some_and(|p| (100..=4096).contains(&p)) {
        let shown = props.get("priority").cloned().unwrap_or(Value::Null);
        return Err(ArmError::bad_request(
            "SecurityRuleInvalidPriority",
            format!("Security rule {id} has invalid Priority. Value provided: {shown} Allowed range 100-4096."),
        ));
    }
    for field in [
        "sourcePortRanges",
        "destinationPortRanges",
        "sourceAddressPrefixes",
        "destinationAddressPrefixes",
    ] {
        if props.get(field).is_none() {
            props[field] = json!([]);
        }
    }
    Ok(())
}

/// Basic/Dynamic by default (Standard is Static); the address is kept across updates.
fn prepare_public_ip(existing: Option<&Resource>, body: &mut Body) {
    let sku = body
        .sku
        .get_or_insert_with(|| json!({"name": "Basic", "tier": "Regional"}));
    if sku.get("tier").is_none() {
        sku["tier"] = json!("Regional");
    }
    let standard = refers_to(sku, "/name", "Standard");
    let props = &mut body.properties;
    for (field, default) in [
        (
            "publicIPAllocationMethod",
            json!(if standard { "Static" } else { "Dynamic" }),
        ),
        ("publicIPAddressVersion", json!("IPv4")),
        ("idleTimeoutInMinutes", json!(4)),
        ("ipTags", json!([])),
    ] {
        if props.get(field).is_none() {
            props[field] = default;
        }
    }
    let address = existing
        .and_then(|e| e.properties.get("ipAddress").cloned())
        .unwrap_or_else(|| json!(public_address()));
    props["ipAddress"] = address;
    if let Some(p) = props.as_object_mut() {
        p.remove("ipConfiguration");
    }
}

/// A random address in 20.0.0.0/8, where many Azure public IPs live.
fn public_address() -> String {
    let b = *uuid::Uuid::new_v4().as_bytes();
    format!("20.{}.{}.{}", b[0], b[1], b[2].clamp(4, 254))
}

/// A MAC in Azure's `00-0D-3A` range.
fn mac_address() -> String {
    let b = *uuid::Uuid::new_v4().as_bytes();
    format!("00-0D-3A-{:02X}-{:02X}-{:02X}", b[0], b[1], b[2])
}

/// Checks every reference of a NIC (subnet, public IP, NSG: existence, region and join permission)
/// and assigns private addresses to dynamic ip configurations.
fn prepare_nic(
    ctx: &Ctx,
    world: &World,
    id: &str,
    existing: Option<&Resource>,
    body: &mut Body,
) -> Result<(), ArmError> {
    let link = Link {
        ctx,
        world,
        write_action: format!("{}/write", Kind::NetworkInterface.resource_type()),
        by: id,
        location: &body.location,
    };
    if let Some(nsg) = body.properties.get("networkSecurityGroup") {
        let nsg_id = reference_id(nsg, "properties.networkSecurityGroup")?;
        link.check(
            nsg_id,
            Kind::SecurityGroup,
            None,
            "Microsoft.Network/networkSecurityGroups/join/action",
        )?;
    }
    let configs: Vec<Value> = children_of(&body.properties, "ipConfigurations");
    if configs.is_empty() {
        reference_id(
            &Value::Null,
            "properties.ipConfigurations[0].properties.subnet",
        )?;
    }
    let mut stored = Vec::new();
    for (i, c) in configs.iter().enumerate() {
        let at = format!("properties.ipConfigurations[{i}].properties");
        let mut props = c.get("properties").cloned().unwrap_or_else(|| json!({}));
        let subnet_id = reference_id(&props["subnet"], &format!("{at}.subnet"))?.to_string();
        link.check(
            &subnet_id,
            Kind::VirtualNetwork,
            Some(ChildKind::Subnet),
            "Microsoft.Network/virtualNetworks/subnets/join/action",
        )?;
        if let Some(pip) = props.get("publicIPAddress").filter(|v| !v.is_null()) {
            let pip_id = reference_id(pip, &format!("{at}.publicIPAddress"))?;
            link.check(
                pip_id,
                Kind::PublicIpAddress,
                None,
                "Microsoft.Network/publicIPAddresses/join/action",
            )?;
        }
        let name = match name_of(c) {
            "" => format!("ipconfig{}", i + 1),
            n => n.to_string(),
        };
        assign_private_address(world, id, existing, &name, &subnet_id, &mut props)?;
        if let Some(p) = props.as_object_mut() {
            p.remove("provisioningState");
        }
        props["primary"] = json!(props
            .get("primary")
            .and_then(Value::as_bool)
            .unwrap_or(i == 0));
        props["privateIPAddressVersion"] = json!("IPv4");
        stored.push(json!({"name": name, "properties": props}));
    }
    body.properties["ipConfigurations"] = json!(stored);
    let mac = existing
        .and_then(|e| e.properties.get("macAddress").cloned())
        .unwrap_or_else(|| json!(mac_address()));
    body.properties["macAddress"] = mac;
    for (field, default) in [
        ("enableAcceleratedNetworking", json!(false)),
        ("enableIPForwarding", json!(false)),
        (
            "dnsSettings",
            json!({"dnsServers": [], "appliedDnsServers": []}),
        ),
    ] {
        if body.properties.get(field).is_none() {
            body.properties[field] = default;
        }
    }
    if let Some(p) = body.properties.as_object_mut() {
        p.remove("virtualMachine");
    }
    Ok(())
}

fn children_of(properties: &Value, field: &str) -> Vec<Value> {
    properties
        .get(field)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Dynamic: keep the address this ip configuration already has in the subnet, else the lowest free
/// one from `.4` (Azure reserves the first four). Static: the requested address, if free.
fn assign_private_address(
    world: &World,
    nic_id: &str,
    existing: Option<&Resource>,
    config: &str,
    subnet_id: &str,
    props: &mut Value,
) -> Result<(), ArmError> {
    let config_id = format!("{nic_id}/ipConfigurations/{config}");
    let used: Vec<String> = ip_configurations(world)
        .into_iter()
        .filter(|(cid, p)| {
            !cid.eq_ignore_ascii_case(&config_id) && refers_to(p, "/subnet/id", subnet_id)
        })
        .filter_map(|(_, p)| p.get("privateIPAddress")?.as_str().map(str::to_string))
        .collect();
    let is_static = refers_to(props, "/privateIPAllocationMethod", "Static");
    if is_static {
        let wanted = props
            .get("privateIPAddress")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if used.iter().any(|u| u == wanted) {
            return Err(ArmError::bad_request(
                "PrivateIPAddressInUse",
                format!("IP configuration {config_id} is using the private IP address {wanted} which is already allocated to another resource."),
            ));
        }
        return Ok(());
    }
    props["privateIPAllocationMethod"] = json!("Dynamic");
    let previous = existing
        .map(|e| children_of(&e.properties, "ipConfigurations"))
        .unwrap_or_default()
        .into_iter()
        .find(|c| name_of(c).eq_ignore_ascii_case(config))
        .and_then(|c| c.get("properties").cloned())
        .filter(|p| refers_to(p, "/subnet/id", subnet_id))
        .and_then(|p| p.get("privateIPAddress").cloned());
    let address = match previous {
        Some(a) => a,
        None => json!(free_address(world, subnet_id, &used).ok_or_else(|| {
            ArmError::bad_request(
                "SubnetIsFull",
                format!("Subnet {subnet_id} with address prefix has no available addresses."),
            )
        })?),
    };
    props["privateIPAddress"] = address;
    Ok(())
}

fn free_address(world: &World, subnet_id: &str, used: &[String]) -> Option<String> {
    let subnet = lookup(
        world,
        subnet_id,
        Kind::VirtualNetwork,
        Some(ChildKind::Subnet),
    )?
    .child?;
    let (base, size) = parse_cidr(subnet_prefix(subnet.get("properties")?)?)?;
    (4..size.saturating_sub(1))
        .map(|offset| std::net::Ipv4Addr::from(base.wrapping_add(offset as u32)).to_string())
        .find(|a| !used.contains(a))
}

fn delete(ctx: &Ctx, sub: &str, rg: &str, kind: Kind, name: &str) -> ArmResult {
    let mut world = ctx.shared.world.lock();
    let group = world
        .resource_group(sub, rg)
        .ok_or_else(|| resource_groups::not_found(rg))?;
    let Some(r) = group.resources.get(&resource_key(kind, name)) else {
        return Ok(no_content());
    };
    let id = resource_id(sub, &group.name, kind, &r.name);
    ensure_deletable(&world, &id, r)?;
    let location = r.location.clone();
    world
        .resource_group_mut(sub, rg)
        .expect("checked above")
        .resources
        .remove(&resource_key(kind, name));
    respond_delete(ctx, &mut world, sub, &location)
}

/// Azure refuses to delete a Network resource something still uses.
fn ensure_deletable(world: &World, id: &str, r: &Resource) -> Result<(), ArmError> {
    match r.kind {
        Kind::VirtualNetwork => children(&r.properties, ChildKind::Subnet)
            .iter()
            .try_for_each(|s| {
                ensure_subnet_unused(world, &format!("{id}/subnets/{}", name_of(s)), name_of(s))
            }),
        Kind::NetworkInterface => match vm_using_nic(world, id) {
            Some(vm) => Err(ArmError::bad_request(
                "NicInUse",
                format!(
                    "Network Interface {id} is used by existing resource {vm}. In order to delete the network \
                     interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic."
                ),
            )),
            None => Ok(()),
        },
        Kind::PublicIpAddress => match ip_configurations_using(world, "/publicIPAddress/id", id).first() {
            Some(user) => Err(ArmError::bad_request(
                "PublicIPAddressCannotBeDeleted",
                format!(
                    "Public IP address {id} can not be deleted since it is still allocated to resource {user}. In \
                     order to delete the public IP, disassociate/detach the Public IP address from the resource. To \
                     learn how to do this, see aka.ms/deletepublicip."
                ),
            )),
            None => Ok(()),
        },
        Kind::SecurityGroup => match nics_using_nsg(world, id).as_slice() {
            [] => Ok(()),
            users => Err(ArmError::bad_request(
                "InUseNetworkSecurityGroupCannotBeDeleted",
                format!(
                    "Network security group {id} cannot be deleted because it is in use by the following resources: \
                     {}. In order to delete the Network security group, remove the association with the resource(s).",
                    users.join(", ")
                ),
            )),
        },
        Kind::VirtualMachine | Kind::ScaleSet => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Child resources: `virtualNetworks/{v}/subnets/{s}`, `networkSecurityGroups/{n}/securityRules/{r}`.

fn list_children(
    ctx: &Ctx,
    [sub, rg, name]: [&String; 3],
    kind: Kind,
    child: ChildKind,
) -> ArmResult {
    let world = ctx.shared.world.lock();
    let group = world
        .resource_group(sub, rg)
        .ok_or_else(|| resource_groups::not_found(rg))?;
    let parent = group
        .resources
        .get(&resource_key(kind, name))
        .ok_or_else(|| not_found(kind, name, rg))?;
    let parent_id = resource_id(sub, &group.name, kind, &parent.name);
    let items = children(&parent.properties, child)
        .iter()
        .map(|c| render_one_child(&world, &parent_id, parent, child, c))
        .collect();
    Ok(json_response(StatusCode::OK, ctx.page(items)))
}

fn render_one_child(
    world: &World,
    parent_id: &str,
    parent: &Resource,
    child: ChildKind,
    item: &Value,
) -> Value {
    match child {
        ChildKind::Subnet => render_subnet(world, parent_id, parent, item),
        ChildKind::SecurityRule => render_child(parent_id, parent, child, item),
    }
}

fn child_request(
    ctx: &Ctx,
    method: &Method,
    [sub, rg, name, child_name]: [&String; 4],
    kind: Kind,
    child: ChildKind,
) -> ArmResult {
    let mut world = ctx.shared.world.lock();
    let group = world
        .resource_group(sub, rg)
        .ok_or_else(|| resource_groups::not_found(rg))?;
    let rg_name = group.name.clone();
    let parent = group
        .resources
        .get(&resource_key(kind, name))
        .ok_or_else(|| not_found(kind, name, rg))?
        .clone();
    let parent_id = resource_id(sub, &rg_name, kind, &parent.name);
    let child_id = format!("{parent_id}/{}/{child_name}", child.segment());
    let position = children(&parent.properties, child)
        .iter()
        .position(|c| name_of(c).eq_ignore_ascii_case(child_name));
    let mut updated = parent.clone();
    match *method {
        Method::GET => {
            let item = position
                .map(|i| &children(&parent.properties, child)[i])
                .ok_or_else(|| not_found(kind, &format!("{}/{}", parent.name, child_name), rg))?;
            let body = render_one_child(&world, &parent_id, &parent, child, item);
            return Ok(json_response(StatusCode::OK, body));
        }
        Method::PUT => {
            ctx.body_object()?;
            let name = position.map_or(child_name.to_string(), |i| {
                name_of(&children(&parent.properties, child)[i]).to_string()
            });
            let mut stored = stored_child(&name, &ctx.body);
            match child {
                ChildKind::Subnet => {
                    let prefix = subnet_prefix(&stored["properties"]).unwrap_or_default();
                    parse_cidr(prefix).ok_or_else(|| invalid_prefix(prefix, &child_id))?;
                }
                ChildKind::SecurityRule => check_rule(&child_id, &mut stored["properties"])?,
            }
            let list = updated.properties[child.segment()]
                .as_array_mut()
                .expect("stored parents always hold their child list");
            match position {
                Some(i) => list[i] = stored,
                None => list.push(stored),
            }
        }
        Method::DELETE => {
            let Some(i) = position else {
                return Ok(no_content());
            };
            if child == ChildKind::Subnet {
                ensure_subnet_unused(&world, &child_id, child_name)?;
            }
            updated.properties[child.segment()]
                .as_array_mut()
                .expect("stored parents always hold their child list")
                .remove(i);
        }
        _ => return Err(method_not_allowed(ctx)),
    }
    updated.etag = new_etag();
    updated.provisioning = provisioning(true, ctx);
    let location = updated.location.clone();
    world
        .resource_group_mut(sub, rg)
        .expect("checked above")
        .resources
        .insert(resource_key(kind, name), updated);
    if *method == Method::DELETE {
        return respond_delete(ctx, &mut world, sub, &location);
    }
    let parent = world.resource(sub, rg, kind, name).expect("just stored");
    let item = children(&parent.properties, child)
        .iter()
        .find(|c| name_of(c).eq_ignore_ascii_case(child_name))
        .expect("just stored");
    let mut rendered = render_one_child(&world, &parent_id, parent, child, item);
    rendered["properties"]["provisioningState"] = json!(if position.is_some() {
        "Updating"
    } else {
        "Creating"
    });
    let status = if position.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    respond_put(ctx, &mut world, sub, &location, status, rendered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::store::key;

    #[test]
    fn cidr_prefixes_parse_and_reject_garbage() {
        assert_eq!(parse_cidr("10.0.0.0/24"), Some((0x0a00_0000, 256)));
        assert_eq!(parse_cidr("10.0.1.7/16"), Some((0x0a00_0000, 65536)));
        assert!(parse_cidr("10.0.0.0").is_none());
        assert!(parse_cidr("10.0.0.0/33").is_none());
        assert!(parse_cidr("x/8").is_none());
    }

    #[test]
    fn key_is_case_insensitive_per_kind() {
        assert_eq!(
            resource_key(Kind::VirtualNetwork, "VNet"),
            key("virtualnetworks/vnet")
        );
        assert_ne!(
            resource_key(Kind::VirtualNetwork, "a"),
            resource_key(Kind::NetworkInterface, "a")
        );
    }
}
