//! `az sig image-version create|show|list|delete`.

use super::images::image_path;
use super::{delete_resource, list_shaped, put_resource, show_shaped};
use super::{resource_group_location, Outcome};
use crate::client::Client;
use crate::credentials::Subscription;
use crate::error::{Error, Result};
use crate::ids::{self, seg};
use serde::Deserialize;
use serde_json::{json, Map, Value};

#[derive(Deserialize)]
pub struct CreateArgs {
    resource_group: String,
    gallery_name: String,
    gallery_image_definition: String,
    gallery_image_version: String,
    managed_image: Option<String>,
    virtual_machine: Option<String>,
    image_version: Option<String>,
    target_regions: Option<Vec<String>>,
    replica_count: Option<u32>,
    exclude_from_latest: Option<bool>,
    end_of_life_date: Option<String>,
    storage_account_type: Option<String>,
    location: Option<String>,
    tags: Option<Map<String, Value>>,
    subscription: Option<String>,
    #[serde(default)]
    no_wait: bool,
}

const STORAGE_TYPES: &[&str] = &[
    "Standard_LRS",
    "Standard_ZRS",
    "Premium_LRS",
    "PremiumV2_LRS",
];

/// `--target-regions eastus westus=2 northeurope=1=standard_zrs`, as the CLI parses them.
pub fn target_regions(values: &[String]) -> Result<Vec<Value>> {
    values
        .iter()
        .map(|raw| {
            let parts: Vec<&str> = raw.split('=').collect();
            if parts.len() > 3 || parts[0].trim().is_empty() {
                return Err(Error::invalid_param("target_regions", format!("--target-regions: '{raw}' is not of the form region[=replica_count][=storage_account_type].")));
            }
            ids::location(parts[0])?;
            let mut region = json!({"name": parts[0]});
            if let Some(count) = parts.get(1) {
                let n: u32 = count.parse().ok().filter(|n| (1..=100).contains(n)).ok_or_else(|| {
                    Error::invalid_param("target_regions", format!("--target-regions: replica count '{count}' in '{raw}' must be a whole number from 1 to 100."))
                })?;
                region["regionalReplicaCount"] = json!(n);
            }
            if let Some(sku) = parts.get(2) {
                region["storageAccountType"] = json!(super::choice("target_regions", sku, STORAGE_TYPES)?);
            }
            Ok(region)
        })
        .collect()
}

/// Exactly one source, as the CLI demands; a bare managed image name means one in the same group.
fn source(a: &CreateArgs, sub: &str) -> Result<Value> {
    let given: Vec<(&str, &String)> = [
        ("managed_image", &a.managed_image),
        ("virtual_machine", &a.virtual_machine),
        ("image_version", &a.image_version),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
    .collect();
    let (param, value) = match given.as_slice() {
        [one] => *one,
        _ => return Err(Error::invalid_param("managed_image", "usage error: please specify exactly one of --managed-image, --virtual-machine or --image-version as the source.")),
    };
    let id = if value.starts_with('/') {
        if ids::ResourceId::parse(value).is_none() {
            return Err(Error::invalid_param(
                param,
                format!(
                    "{}: '{value}' is not a valid resource id.",
                    ids::flag(param)
                ),
            ));
        }
        value.clone()
    } else if param == "managed_image" {
        ids::name(param, value)?;
        format!(
            "/subscriptions/{sub}/resourceGroups/{}/providers/Microsoft.Compute/images/{}",
            a.resource_group, value
        )
    } else {
        return Err(Error::invalid_param(
            param,
            format!(
                "{}: '{value}' must be a full resource id.",
                ids::flag(param)
            ),
        ));
    };
    Ok(json!({"id": id}))
}

fn publishing_profile(a: &CreateArgs, location: &str) -> Result<Value> {
    let regions = match &a.target_regions {
        Some(r) if r.is_empty() => {
            return Err(Error::invalid_param(
                "target_regions",
                "argument --target-regions: expected at least one argument",
            ))
        }
        Some(r) => target_regions(r)?,
        None => vec![json!({"name": location})],
    };
    let mut p = json!({"targetRegions": regions});
    if let Some(n) = a.replica_count {
        if !(1..=100).contains(&n) {
            return Err(Error::invalid_param(
                "replica_count",
                "--replica-count must be from 1 to 100.",
            ));
        }
        p["replicaCount"] = json!(n);
    }
    if let Some(x) = a.exclude_from_latest {
        p["excludeFromLatest"] = json!(x);
    }
    if let Some(d) = &a.end_of_life_date {
        p["endOfLifeDate"] = json!(d);
    }
    if let Some(s) = &a.storage_account_type {
        p["storageAccountType"] = json!(super::choice("storage_account_type", s, STORAGE_TYPES)?);
    }
    Ok(p)
}

pub async fn create(client: &Client, a: CreateArgs) -> Result<Outcome> {
    ids::resource_group(&a.resource_group)?;
    ids::gallery_name(&a.gallery_name)?;
    ids::image_definition_name(&a.gallery_image_definition)?;
    ids::image_version_name(&a.gallery_image_version)?;
    if let Some(l) = &a.location {
        ids::location(l)?;
    }
    source(&a, "")?;
    publishing_profile(&a, "")?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let location = match &a.location {
        Some(l) => l.clone(),
        None => resource_group_location(client, &sub, &a.resource_group).await?,
    };
    let body = json!({
        "location": location,
        "tags": super::tags(a.tags.clone()),
        "properties": {"publishingProfile": publishing_profile(&a, &location)?, "storageProfile": {"source": source(&a, &sub.id)?}},
    });
    let path = version_path(
        &sub,
        &a.resource_group,
        &a.gallery_name,
        &a.gallery_image_definition,
        &a.gallery_image_version,
    );
    put_resource(
        client,
        &sub,
        &path,
        "sig.image_version.create",
        &body,
        a.no_wait,
    )
    .await
}

fn version_path(sub: &Subscription, rg: &str, gallery: &str, image: &str, version: &str) -> String {
    format!(
        "{}/versions/{}",
        image_path(sub, rg, gallery, image),
        seg(version)
    )
}

#[derive(Deserialize)]
pub struct ItemArgs {
    resource_group: String,
    gallery_name: String,
    gallery_image_definition: String,
    gallery_image_version: Option<String>,
    expand: Option<String>,
    subscription: Option<String>,
    #[serde(default)]
    no_wait: bool,
}

fn item(client: &Client, a: &ItemArgs) -> Result<(Subscription, String)> {
    ids::resource_group(&a.resource_group)?;
    ids::gallery_name(&a.gallery_name)?;
    ids::image_definition_name(&a.gallery_image_definition)?;
    let version = a.gallery_image_version.as_deref().unwrap_or_default();
    ids::image_version_name(version)?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let path = version_path(
        &sub,
        &a.resource_group,
        &a.gallery_name,
        &a.gallery_image_definition,
        version,
    );
    Ok((sub, path))
}

pub async fn show(client: &Client, a: ItemArgs) -> Result<Outcome> {
    let expand = a
        .expand
        .as_deref()
        .map(|e| super::choice("expand", e, &["ReplicationStatus"]))
        .transpose()?;
    let (sub, path) = item(client, &a)?;
    let query: Vec<(&str, &str)> = expand
        .as_deref()
        .map(|e| vec![("$expand", e)])
        .unwrap_or_default();
    show_shaped(client, &sub, &path, "sig.image_version.show", &query).await
}

pub async fn list(client: &Client, a: ItemArgs) -> Result<Outcome> {
    ids::resource_group(&a.resource_group)?;
    ids::gallery_name(&a.gallery_name)?;
    ids::image_definition_name(&a.gallery_image_definition)?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let path = format!(
        "{}/versions",
        image_path(
            &sub,
            &a.resource_group,
            &a.gallery_name,
            &a.gallery_image_definition
        )
    );
    list_shaped(client, &sub, &path, "sig.image_version.list", &[]).await
}

pub async fn delete(client: &Client, a: ItemArgs) -> Result<Outcome> {
    let (sub, path) = item(client, &a)?;
    delete_resource(client, &sub, &path, "sig.image_version.delete", a.no_wait).await
}

#[derive(Deserialize)]
pub struct UpdateArgs {
    resource_group: String,
    gallery_name: String,
    gallery_image_definition: String,
    gallery_image_version: String,
    target_regions: Option<Vec<String>>,
    replica_count: Option<u32>,
    exclude_from_latest: Option<bool>,
    end_of_life_date: Option<String>,
    subscription: Option<String>,
    #[serde(default)]
    no_wait: bool,
}

/// `az sig image-version update`: read the version, change what was given, PUT it back.
pub async fn update(client: &Client, a: UpdateArgs) -> Result<Outcome> {
    ids::resource_group(&a.resource_group)?;
    ids::gallery_name(&a.gallery_name)?;
    ids::image_definition_name(&a.gallery_image_definition)?;
    ids::image_version_name(&a.gallery_image_version)?;
    let regions = a
        .target_regions
        .as_deref()
        .map(target_regions)
        .transpose()?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let path = version_path(
        &sub,
        &a.resource_group,
        &a.gallery_name,
        &a.gallery_image_definition,
        &a.gallery_image_version,
    );
    let current = super::get(
        client,
        &sub,
        &path,
        &client.api_version("sig.image_version.update", "gallery"),
        &[],
    )
    .await?;
    let mut profile = current
        .pointer("/properties/publishingProfile")
        .cloned()
        .unwrap_or(json!({}));
    if let Some(obj) = profile.as_object_mut() {
        obj.remove("publishedDate");
        if let Some(r) = regions {
            obj.insert("targetRegions".into(), json!(r));
        }
        if let Some(n) = a.replica_count {
            obj.insert("replicaCount".into(), json!(n));
        }
        if let Some(x) = a.exclude_from_latest {
            obj.insert("excludeFromLatest".into(), json!(x));
        }
        if let Some(d) = &a.end_of_life_date {
            obj.insert("endOfLifeDate".into(), json!(d));
        }
    }
    let storage = current
        .pointer("/properties/storageProfile")
        .cloned()
        .unwrap_or(json!({}));
    let body = json!({
        "location": current.get("location").cloned().unwrap_or(Value::Null),
        "tags": current.get("tags").cloned().unwrap_or(json!({})),
        "properties": {"publishingProfile": profile, "storageProfile": storage},
    });
    super::put_resource(
        client,
        &sub,
        &path,
        "sig.image_version.update",
        &body,
        a.no_wait,
    )
    .await
}
