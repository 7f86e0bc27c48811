//! `az network vnet|vnet subnet|public-ip|nsg|nsg rule|nic …` (Microsoft.Network). Create commands wrap
//! their result as the CLI prints it (`{"newVNet": …}`, `{"publicIp": …}`, `{"NewNSG": …}`, `{"NewNIC": …}`).

use super::{arm, long_running, resource_group_location, rg_path, Outcome, Shape};
use crate::client::Client;
use crate::credentials::Subscription;
use crate::error::{Error, Result};
use crate::ids::{self, seg, ResourceId};
use crate::pipeline::Request;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The network resource types the CLI mirror manages, by command group.
fn type_path(kind: &str) -> Result<&'static str> {
    Ok(match kind {
        "vnet" => "virtualNetworks",
        "public_ip" => "publicIPAddresses",
        "nsg" => "networkSecurityGroups",
        "nic" => "networkInterfaces",
        _ => {
            return Err(Error::type_error(format!(
                "unknown network resource kind '{kind}'"
            )))
        }
    })
}

pub(crate) fn resource_path(sub: &Subscription, rg: &str, type_path: &str, name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/{}/{}",
        rg_path(sub, rg),
        type_path,
        seg(name)
    )
}

/// PUTs a network resource, waits, and returns it CLI-shaped (wrapped under `wrap` when the CLI wraps).
pub(crate) async fn put(
    client: &Client,
    sub: &Subscription,
    path: &str,
    op: &str,
    body: &Value,
    no_wait: bool,
    wrap: Option<&str>,
) -> Result<Outcome> {
    let url = client.arm_url(path, &client.api_version(op, "network"), &[])?;
    let outcome = long_running(
        client,
        sub,
        Request::new(Method::PUT, url, arm(sub)).json(body),
        no_wait,
        Shape::Cli,
    )
    .await?;
    Ok(match (outcome, wrap) {
        (Outcome::Value(v), Some(key)) => Outcome::Value(json!({ key: v })),
        (other, _) => other,
    })
}

async fn location_or_group(
    client: &Client,
    sub: &Subscription,
    rg: &str,
    location: &Option<String>,
) -> Result<String> {
    match location {
        Some(l) => Ok(l.clone()),
        None => resource_group_location(client, sub, rg).await,
    }
}

fn tags(t: &Option<Map<String, Value>>) -> Value {
    super::tags(t.clone())
}

/// A subnet given by name (in `vnet_name`) or by id.
fn subnet_id(sub: &Subscription, rg: &str, vnet: Option<&str>, subnet: &str) -> Result<String> {
    if subnet.starts_with('/') {
        ResourceId::parse(subnet).ok_or_else(|| {
            Error::invalid_param(
                "subnet",
                format!("--subnet: '{subnet}' is not a valid resource id."),
            )
        })?;
        return Ok(subnet.to_string());
    }
    let vnet = vnet.ok_or_else(|| {
        Error::invalid_param(
            "vnet_name",
            "usage error: --subnet NAME --vnet-name NAME | --subnet ID",
        )
    })?;
    Ok(format!(
        "{}/subnets/{}",
        resource_path(sub, rg, "virtualNetworks", vnet),
        seg(subnet)
    ))
}

/// A resource given by name in the same group, or by id.
fn id_or_name(
    sub: &Subscription,
    rg: &str,
    type_path: &str,
    param: &str,
    value: &str,
) -> Result<String> {
    if value.starts_with('/') {
        ResourceId::parse(value).ok_or_else(|| {
            Error::invalid_param(
                param,
                format!(
                    "{}: '{value}' is not a valid resource id.",
                    ids::flag(param)
                ),
            )
        })?;
        Ok(value.to_string())
    } else {
        ids::name(param, value)?;
        Ok(resource_path(sub, rg, type_path, value))
    }
}

#[derive(Deserialize)]
pub struct VnetCreateArgs {
    name: String,
    resource_group: String,
    location: Option<String>,
    address_prefixes: Option<Vec<String>>,
    subnet_name: Option<String>,
    subnet_prefixes: Option<Vec<String>>,
    tags: Option<Map<String, Value>>,
    subscription: Option<String>,
    #[serde(default)]
    no_wait: bool,
}

pub async fn vnet_create(client: &Client, a: VnetCreateArgs) -> Result<Outcome> {
    ids::resource_group(&a.resource_group)?;
    ids::name("name", &a.name)?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let location = location_or_group(client, &sub, &a.resource_group, &a.location).await?;
    let mut props = json!({"addressSpace": {"addressPrefixes": a.address_prefixes.clone().unwrap_or_else(|| vec!["10.0.0.0/16".into()])}});
    if let Some(subnet) = &a.subnet_name {
        let prefixes = a
            .subnet_prefixes
            .clone()
            .unwrap_or_else(|| vec!["10.0.0.0/24".into()]);
        props["subnets"] = json!([{"name": subnet, "properties": {"addressPrefix": prefixes[0]}}]);
    }
    let body = json!({"location": location, "tags": tags(&a.tags), "properties": props});
    let path = resource_path(&sub, &a.resource_group, "virtualNetworks", &a.name);
    put(
        client,
        &sub,
        &path,
        "network.vnet.create",
        &body,
        a.no_wait,
        Some("newVNet"),
    )
    .await
}

#[derive(Deserialize)]
pub struct SubnetCreateArgs {
    name: String,
    resource_group: String,
    vnet_name: String,
    address_prefixes: Vec<String>,
    network_security_group: Option<String>,
    subscription: Option<String>,
    #[serde(default)]
    no_wait: bool,
}

pub async fn subnet_create(client: &Client, a: SubnetCreateArgs) -> Result<Outcome> {
    ids::resource_group(&a.resource_group)?;
    ids::name("name", &a.name)?;
    ids::name("vnet_name", &a.vnet_name)?;
    let first = a.address_prefixes.first().ok_or_else(|| {
        Error::invalid_param(
            "address_prefixes",
            "--address-prefixes: at least one prefix is required.",
        )
    })?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let mut props = json!({"addressPrefix": first});
    if let Some(nsg) = &a.network_security_group {
        props["networkSecurityGroup"] = json!({"id": id_or_name(&sub, &a.resource_group, "networkSecurityGroups", "network_security_group", nsg)?});
    }
    let path = format!(
        "{}/subnets/{}",
        resource_path(&sub, &a.resource_group, "virtualNetworks", &a.vnet_name),
        seg(&a.name)
    );
    put(
        client,
        &sub,
        &path,
        "network.vnet.subnet.create",
        &json!({"properties": props}),
        a.no_wait,
        None,
    )
    .await
}

#[derive(Deserialize)]
pub struct PublicIpCreateArgs {
    name: String,
    resource_group: String,
    location: Option<String>,
    sku: Option<String>,
    allocation_method: Option<String>,
    tags: Option<Map<String, Value>>,
    subscription: Option<String>,
    #[serde(default)]
    no_wait: bool,
}

pub async fn public_ip_create(client: &Client, a: PublicIpCreateArgs) -> Result<Outcome> {
    ids::resource_group(&a.resource_group)?;
    ids::name("name", &a.name)?;
    let sku = super::choice(
        "sku",
        a.sku.as_deref().unwrap_or("Standard"),
        &["Basic", "Standard"],
    )?;
    let default_method = if sku == "Standard" {
        "Static"
    } else {
        "Dynamic"
    };
    let method = super::choice(
        "allocation_method",
        a.allocation_method.as_deref().unwrap_or(default_method),
        &["Static", "Dynamic"],
    )?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let location = location_or_group(client, &sub, &a.resource_group, &a.location).await?;
    let body = json!({"location": location, "tags": tags(&a.tags), "sku": {"name": sku},
        "properties": {"publicIPAllocationMethod": method, "publicIPAddressVersion": "IPv4", "idleTimeoutInMinutes": 4}});
    let path = resource_path(&sub, &a.resource_group, "publicIPAddresses", &a.name);
    put(
        client,
        &sub,
        &path,
        "network.public_ip.create",
        &body,
        a.no_wait,
        Some("publicIp"),
    )
    .await
}

#[derive(Deserialize)]
pub struct NsgCreateArgs {
    name: String,
    resource_group: String,
    location: Option<String>,
    tags: Option<Map<String, Value>>,
    subscription: Option<String>,
    #[serde(default)]
    no_wait: bool,
}

pub async fn nsg_create(client: &Client, a: NsgCreateArgs) -> Result<Outcome> {
    ids::resource_group(&a.resource_group)?;
    ids::name("name", &a.name)?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let location = location_or_group(client, &sub, &a.resource_group, &a.location).await?;
    let body = json!({"location": location, "tags": tags(&a.tags), "properties": {}});
    let path = resource_path(&sub, &a.resource_group, "networkSecurityGroups", &a.name);
    put(
        client,
        &sub,
        &path,
        "network.nsg.create",
        &body,
        a.no_wait,
        Some("NewNSG"),
    )
    .await
}

#[derive(Deserialize)]
pub struct RuleCreateArgs {
    name: String,
    resource_group: String,
    nsg_name: String,
    priority: u32,
    direction: Option<String>,
    access: Option<String>,
    protocol: Option<String>,
    source_address_prefixes: Option<Vec<String>>,
    source_port_ranges: Option<Vec<String>>,
    destination_address_prefixes: Option<Vec<String>>,
    destination_port_ranges: Option<Vec<String>>,
    description: Option<String>,
    subscription: Option<String>,
    #[serde(default)]
    no_wait: bool,
}

/// A security rule's properties, as the CLI fills its defaults.
/// One security rule, with the CLI's defaults for what is not given (empty lists mean `*`, port 80).
pub(crate) struct RuleSpec<'a> {
    pub priority: u32,
    pub direction: &'a str,
    pub access: &'a str,
    pub protocol: &'a str,
    pub sources: &'a [String],
    pub source_ports: &'a [String],
    pub destinations: &'a [String],
    pub destination_ports: &'a [String],
}

pub(crate) fn rule_properties(r: &RuleSpec) -> Result<Value> {
    let RuleSpec {
        priority,
        direction,
        access,
        protocol,
        sources: src,
        source_ports: src_ports,
        destinations: dst,
        destination_ports: dst_ports,
    } = *r;
    if !(100..=4096).contains(&priority) {
        return Err(Error::invalid_param(
            "priority",
            "--priority must be between 100 and 4096.",
        ));
    }
    let one_or_many = |key: &str, keys: &str, v: &[String], default: &str| -> (String, Value) {
        match v {
            [] => (key.to_string(), json!(default)),
            [one] => (key.to_string(), json!(one)),
            many => (keys.to_string(), json!(many)),
        }
    };
    let mut p = json!({
        "priority": priority,
        "direction": super::choice("direction", direction, &["Inbound", "Outbound"])?,
        "access": super::choice("access", access, &["Allow", "Deny"])?,
        "protocol": super::choice("protocol", protocol, &["*", "Tcp", "Udp", "Icmp", "Esp", "Ah"])?,
    });
    for (k, v) in [
        one_or_many("sourceAddressPrefix", "sourceAddressPrefixes", src, "*"),
        one_or_many("sourcePortRange", "sourcePortRanges", src_ports, "*"),
        one_or_many(
            "destinationAddressPrefix",
            "destinationAddressPrefixes",
            dst,
            "*",
        ),
        one_or_many(
            "destinationPortRange",
            "destinationPortRanges",
            dst_ports,
            "80",
        ),
    ] {
        p[k] = v;
    }
    Ok(p)
}

pub async fn nsg_rule_create(client: &Client, a: RuleCreateArgs) -> Result<Outcome> {
    ids::resource_group(&a.resource_group)?;
    ids::name("name", &a.name)?;
    ids::name("nsg_name", &a.nsg_name)?;
    let v = |o: &Option<Vec<String>>| o.clone().unwrap_or_default();
    let (sources, source_ports) = (v(&a.source_address_prefixes), v(&a.source_port_ranges));
    let (destinations, destination_ports) = (
        v(&a.destination_address_prefixes),
        v(&a.destination_port_ranges),
    );
    let mut props = rule_properties(&RuleSpec {
        priority: a.priority,
        direction: a.direction.as_deref().unwrap_or("Inbound"),
        access: a.access.as_deref().unwrap_or("Allow"),
        protocol: a.protocol.as_deref().unwrap_or("*"),
        sources: &sources,
        source_ports: &source_ports,
        destinations: &destinations,
        destination_ports: &destination_ports,
    })?;
    if let Some(d) = &a.description {
        props["description"] = json!(d);
    }
    let sub = client.subscription(a.subscription.as_deref())?;
    let path = format!(
        "{}/securityRules/{}",
        resource_path(
            &sub,
            &a.resource_group,
            "networkSecurityGroups",
            &a.nsg_name
        ),
        seg(&a.name)
    );
    put(
        client,
        &sub,
        &path,
        "network.nsg.rule.create",
        &json!({"properties": props}),
        a.no_wait,
        None,
    )
    .await
}

#[derive(Deserialize)]
pub struct NicCreateArgs {
    name: String,
    resource_group: String,
    location: Option<String>,
    subnet: String,
    vnet_name: Option<String>,
    public_ip_address: Option<String>,
    network_security_group: Option<String>,
    private_ip_address: Option<String>,
    tags: Option<Map<String, Value>>,
    subscription: Option<String>,
    #[serde(default)]
    no_wait: bool,
}

/// A NIC body with one primary IP configuration.
pub(crate) fn nic_body(
    location: &str,
    tags: Value,
    subnet: &str,
    public_ip: Option<&str>,
    nsg: Option<&str>,
    ip_config: &str,
) -> Value {
    let mut ipc = json!({"name": ip_config, "properties": {"subnet": {"id": subnet}, "privateIPAllocationMethod": "Dynamic"}});
    if let Some(p) = public_ip {
        ipc["properties"]["publicIPAddress"] = json!({"id": p});
    }
    let mut body =
        json!({"location": location, "tags": tags, "properties": {"ipConfigurations": [ipc]}});
    if let Some(n) = nsg {
        body["properties"]["networkSecurityGroup"] = json!({"id": n});
    }
    body
}

pub async fn nic_create(client: &Client, a: NicCreateArgs) -> Result<Outcome> {
    ids::resource_group(&a.resource_group)?;
    ids::name("name", &a.name)?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let subnet = subnet_id(&sub, &a.resource_group, a.vnet_name.as_deref(), &a.subnet)?;
    let pip = a
        .public_ip_address
        .as_deref()
        .map(|p| {
            id_or_name(
                &sub,
                &a.resource_group,
                "publicIPAddresses",
                "public_ip_address",
                p,
            )
        })
        .transpose()?;
    let nsg = a
        .network_security_group
        .as_deref()
        .map(|n| {
            id_or_name(
                &sub,
                &a.resource_group,
                "networkSecurityGroups",
                "network_security_group",
                n,
            )
        })
        .transpose()?;
    let location = location_or_group(client, &sub, &a.resource_group, &a.location).await?;
    let mut body = nic_body(
        &location,
        tags(&a.tags),
        &subnet,
        pip.as_deref(),
        nsg.as_deref(),
        "ipconfig1",
    );
    if let Some(ip) = &a.private_ip_address {
        body["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"] = json!(ip);
        body["properties"]["ipConfigurations"][0]["properties"]["privateIPAllocationMethod"] =
            json!("Static");
    }
    let path = resource_path(&sub, &a.resource_group, "networkInterfaces", &a.name);
    put(
        client,
        &sub,
        &path,
        "network.nic.create",
        &body,
        a.no_wait,
        Some("NewNIC"),
    )
    .await
}

pub async fn item(client: &Client, verb: &str, a: super::ItemArgs) -> Result<Outcome> {
    let kind = a.kind.clone().unwrap_or_default();
    let rt = super::ResourceType {
        provider: "Microsoft.Network",
        type_path: type_path(&kind)?,
        family: "network",
    };
    super::resource_item(client, &rt, &format!("network.{kind}.{verb}"), verb, &a).await
}

#[derive(Deserialize)]
pub struct PutArgs {
    kind: String,
    name: String,
    resource_group: String,
    body: Value,
    subscription: Option<String>,
    #[serde(default)]
    no_wait: bool,
}

/// A network resource whose body the caller built (the PowerShell cmdlets).
pub async fn put_raw(client: &Client, a: PutArgs) -> Result<Outcome> {
    ids::resource_group(&a.resource_group)?;
    ids::name("name", &a.name)?;
    let tp = type_path(&a.kind)?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let path = resource_path(&sub, &a.resource_group, tp, &a.name);
    put(
        client,
        &sub,
        &path,
        &format!("network.{}.create", a.kind),
        &a.body,
        a.no_wait,
        None,
    )
    .await
}
