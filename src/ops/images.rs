//! `az sig image-definition create|show|list|delete`.

use super::{choice, gallery_path, resource_group_location, Outcome};
use super::{delete_resource, list_shaped, put_resource, show_shaped};
use crate::client::Client;
use crate::credentials::Subscription;
use crate::error::Result;
use crate::ids::{self, seg};
use serde::Deserialize;
use serde_json::{json, Map, Value};

pub(crate) fn image_path(sub: &Subscription, rg: &str, gallery: &str, image: &str) -> String {
    format!("{}/images/{}", gallery_path(sub, rg, gallery), seg(image))
}

#[derive(Deserialize)]
pub struct CreateArgs {
    resource_group: String,
    gallery_name: String,
    gallery_image_definition: String,
    publisher: String,
    offer: String,
    sku: String,
    os_type: String,
    os_state: Option<String>,
    hyper_v_generation: Option<String>,
    architecture: Option<String>,
    location: Option<String>,
    description: Option<String>,
    eula: Option<String>,
    end_of_life_date: Option<String>,
    privacy_statement_uri: Option<String>,
    release_note_uri: Option<String>,
    tags: Option<Map<String, Value>>,
    subscription: Option<String>,
    #[serde(default)]
    no_wait: bool,
}

fn properties(a: &CreateArgs) -> Result<Value> {
    for (param, v) in [
        ("publisher", &a.publisher),
        ("offer", &a.offer),
        ("sku", &a.sku),
    ] {
        ids::name(param, v)?;
    }
    let mut p = json!({
        "osType": choice("os_type", &a.os_type, &["Windows", "Linux"])?,
        "osState": choice("os_state", a.os_state.as_deref().unwrap_or("Generalized"), &["Generalized", "Specialized"])?,
        "hyperVGeneration": choice("hyper_v_generation", a.hyper_v_generation.as_deref().unwrap_or("V1"), &["V1", "V2"])?,
        "identifier": {"publisher": a.publisher, "offer": a.offer, "sku": a.sku},
    });
    let optional = [
        (
            "architecture",
            a.architecture
                .as_deref()
                .map(|v| choice("architecture", v, &["x64", "Arm64"]))
                .transpose()?,
        ),
        ("description", a.description.clone()),
        ("eula", a.eula.clone()),
        ("endOfLifeDate", a.end_of_life_date.clone()),
        ("privacyStatementUri", a.privacy_statement_uri.clone()),
        ("releaseNoteUri", a.release_note_uri.clone()),
    ];
    for (k, v) in optional {
        if let Some(v) = v {
            p[k] = json!(v);
        }
    }
    Ok(p)
}

pub async fn create(client: &Client, a: CreateArgs) -> Result<Outcome> {
    ids::resource_group(&a.resource_group)?;
    ids::gallery_name(&a.gallery_name)?;
    ids::image_definition_name(&a.gallery_image_definition)?;
    if let Some(l) = &a.location {
        ids::location(l)?;
    }
    let props = properties(&a)?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let location = match &a.location {
        Some(l) => l.clone(),
        None => resource_group_location(client, &sub, &a.resource_group).await?,
    };
    let body =
        json!({"location": location, "tags": super::tags(a.tags.clone()), "properties": props});
    put_resource(
        client,
        &sub,
        &image_path(
            &sub,
            &a.resource_group,
            &a.gallery_name,
            &a.gallery_image_definition,
        ),
        "sig.image_definition.create",
        &body,
        a.no_wait,
    )
    .await
}

#[derive(Deserialize)]
pub struct ItemArgs {
    resource_group: String,
    gallery_name: String,
    gallery_image_definition: Option<String>,
    subscription: Option<String>,
    #[serde(default)]
    no_wait: bool,
}

fn item_path(client: &Client, a: &ItemArgs) -> Result<(Subscription, String)> {
    ids::resource_group(&a.resource_group)?;
    ids::gallery_name(&a.gallery_name)?;
    let image = a.gallery_image_definition.as_deref().unwrap_or_default();
    ids::image_definition_name(image)?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let path = image_path(&sub, &a.resource_group, &a.gallery_name, image);
    Ok((sub, path))
}

pub async fn show(client: &Client, a: ItemArgs) -> Result<Outcome> {
    let (sub, path) = item_path(client, &a)?;
    show_shaped(client, &sub, &path, "sig.image_definition.show", &[]).await
}

pub async fn list(client: &Client, a: ItemArgs) -> Result<Outcome> {
    ids::resource_group(&a.resource_group)?;
    ids::gallery_name(&a.gallery_name)?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let path = format!(
        "{}/images",
        gallery_path(&sub, &a.resource_group, &a.gallery_name)
    );
    list_shaped(client, &sub, &path, "sig.image_definition.list", &[]).await
}

pub async fn delete(client: &Client, a: ItemArgs) -> Result<Outcome> {
    let (sub, path) = item_path(client, &a)?;
    delete_resource(
        client,
        &sub,
        &path,
        "sig.image_definition.delete",
        a.no_wait,
    )
    .await
}
