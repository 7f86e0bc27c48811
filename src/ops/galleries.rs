//! `az sig create|show|list|delete`.

use super::{choice, gallery_path, get, resource_group_location, rg_path, Outcome};
use super::{delete_resource, list_shaped, put_resource, show_shaped};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::ids::{self, seg};
use serde::Deserialize;
use serde_json::{json, Map, Value};

pub const PERMISSIONS: &[&str] = &["Community", "Groups", "Private"];
const COMMUNITY_FIELDS_MESSAGE: &str = "If you want to share to the community, you need to fill in all the following parameters: --publisher-uri, --publisher-email, --eula, --public-name-prefix.";

#[derive(Deserialize)]
pub struct CreateArgs {
    resource_group: String,
    gallery_name: String,
    location: Option<String>,
    description: Option<String>,
    permissions: Option<String>,
    soft_delete: Option<bool>,
    publisher_uri: Option<String>,
    publisher_email: Option<String>,
    eula: Option<String>,
    public_name_prefix: Option<String>,
    tags: Option<Map<String, Value>>,
    subscription: Option<String>,
    #[serde(default)]
    no_wait: bool,
}

/// The gallery body the CLI sends; validated in full before any request.
fn gallery_body(a: &CreateArgs, location: &str) -> Result<Value> {
    let mut props = Map::new();
    if let Some(d) = &a.description {
        props.insert("description".into(), json!(d));
    }
    if let Some(p) = &a.permissions {
        let permissions = choice("permissions", p, PERMISSIONS)?;
        let mut sharing = json!({"permissions": permissions});
        if permissions == "Community" {
            sharing["communityGalleryInfo"] = community_info(a)?;
        }
        props.insert("sharingProfile".into(), sharing);
    }
    if let Some(sd) = a.soft_delete {
        props.insert(
            "softDeletePolicy".into(),
            json!({"isSoftDeleteEnabled": sd}),
        );
    }
    Ok(json!({"location": location, "tags": super::tags(a.tags.clone()), "properties": props}))
}

fn community_info(a: &CreateArgs) -> Result<Value> {
    match (
        &a.publisher_uri,
        &a.publisher_email,
        &a.eula,
        &a.public_name_prefix,
    ) {
        (Some(uri), Some(email), Some(eula), Some(prefix)) => Ok(
            json!({"publisherUri": uri, "publisherContact": email, "eula": eula, "publicNamePrefix": prefix}),
        ),
        _ => Err(Error::invalid_param(
            "permissions",
            COMMUNITY_FIELDS_MESSAGE,
        )),
    }
}

pub async fn create(client: &Client, a: CreateArgs) -> Result<Outcome> {
    ids::resource_group(&a.resource_group)?;
    ids::gallery_name(&a.gallery_name)?;
    if let Some(l) = &a.location {
        ids::location(l)?;
    }
    gallery_body(&a, "")?; // validate everything before the first request
    let sub = client.subscription(a.subscription.as_deref())?;
    let location = match &a.location {
        Some(l) => l.clone(),
        None => resource_group_location(client, &sub, &a.resource_group).await?,
    };
    let body = gallery_body(&a, &location)?;
    put_resource(
        client,
        &sub,
        &gallery_path(&sub, &a.resource_group, &a.gallery_name),
        "sig.create",
        &body,
        a.no_wait,
    )
    .await
}

#[derive(Deserialize)]
pub struct ShowArgs {
    resource_group: String,
    gallery_name: String,
    select: Option<String>,
    #[serde(default)]
    sharing_groups: bool,
    subscription: Option<String>,
}

pub async fn show(client: &Client, a: ShowArgs) -> Result<Outcome> {
    ids::resource_group(&a.resource_group)?;
    ids::gallery_name(&a.gallery_name)?;
    let select = a
        .select
        .as_deref()
        .map(|s| choice("select", s, &["Permissions"]))
        .transpose()?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let mut query: Vec<(&str, &str)> = Vec::new();
    if let Some(s) = &select {
        query.push(("$select", s));
    }
    if a.sharing_groups {
        query.push(("$expand", "sharingProfile/Groups"));
    }
    show_shaped(
        client,
        &sub,
        &gallery_path(&sub, &a.resource_group, &a.gallery_name),
        "sig.show",
        &query,
    )
    .await
}

#[derive(Deserialize)]
pub struct ListArgs {
    resource_group: Option<String>,
    subscription: Option<String>,
}

pub async fn list(client: &Client, a: ListArgs) -> Result<Outcome> {
    if let Some(rg) = &a.resource_group {
        ids::resource_group(rg)?;
    }
    let sub = client.subscription(a.subscription.as_deref())?;
    let path = match &a.resource_group {
        Some(rg) => format!(
            "{}/providers/Microsoft.Compute/galleries",
            rg_path(&sub, rg)
        ),
        None => format!(
            "/subscriptions/{}/providers/Microsoft.Compute/galleries",
            seg(&sub.id)
        ),
    };
    list_shaped(client, &sub, &path, "sig.list", &[]).await
}

#[derive(Deserialize)]
pub struct DeleteArgs {
    resource_group: String,
    gallery_name: String,
    subscription: Option<String>,
    #[serde(default)]
    no_wait: bool,
}

pub async fn delete(client: &Client, a: DeleteArgs) -> Result<Outcome> {
    ids::resource_group(&a.resource_group)?;
    ids::gallery_name(&a.gallery_name)?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let path = gallery_path(&sub, &a.resource_group, &a.gallery_name);
    delete_resource(client, &sub, &path, "sig.delete", a.no_wait).await
}

#[derive(Deserialize)]
pub struct UpdateArgs {
    resource_group: String,
    gallery_name: String,
    description: Option<String>,
    permissions: Option<String>,
    publisher_uri: Option<String>,
    publisher_email: Option<String>,
    eula: Option<String>,
    public_name_prefix: Option<String>,
    tags: Option<Map<String, Value>>,
    subscription: Option<String>,
    #[serde(default)]
    no_wait: bool,
}

/// `az sig update` / `Update-AzGallery`: read the gallery, change what was given, PUT it back.
pub async fn update(client: &Client, a: UpdateArgs) -> Result<Outcome> {
    ids::resource_group(&a.resource_group)?;
    ids::gallery_name(&a.gallery_name)?;
    let permissions = a
        .permissions
        .as_deref()
        .map(|p| choice("permissions", p, PERMISSIONS))
        .transpose()?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let path = gallery_path(&sub, &a.resource_group, &a.gallery_name);
    let current = get(
        client,
        &sub,
        &path,
        &client.api_version("sig.update", "gallery"),
        &[],
    )
    .await?;
    let mut body = json!({
        "location": current.get("location").cloned().unwrap_or(Value::Null),
        "tags": a.tags.clone().map(Value::Object).or_else(|| current.get("tags").cloned()).unwrap_or(json!({})),
        "properties": {},
    });
    let props = &mut body["properties"];
    if let Some(d) = a.description.clone().or_else(|| {
        current
            .pointer("/properties/description")
            .and_then(Value::as_str)
            .map(str::to_string)
    }) {
        props["description"] = json!(d);
    }
    let mut sharing = current
        .pointer("/properties/sharingProfile")
        .cloned()
        .unwrap_or(json!({"permissions": "Private"}));
    if let Some(obj) = sharing.as_object_mut() {
        obj.remove("groups");
        if let Some(info) = obj
            .get_mut("communityGalleryInfo")
            .and_then(Value::as_object_mut)
        {
            info.remove("communityGalleryEnabled");
            info.remove("publicNames");
        }
    }
    if let Some(p) = permissions {
        sharing["permissions"] = json!(p);
        if p == "Community" && sharing.get("communityGalleryInfo").is_none() {
            let info = CreateArgs::community_from(
                &a.publisher_uri,
                &a.publisher_email,
                &a.eula,
                &a.public_name_prefix,
            )?;
            sharing["communityGalleryInfo"] = info;
        }
    }
    props["sharingProfile"] = sharing;
    put_resource(client, &sub, &path, "sig.update", &body, a.no_wait).await
}

impl CreateArgs {
    fn community_from(
        uri: &Option<String>,
        email: &Option<String>,
        eula: &Option<String>,
        prefix: &Option<String>,
    ) -> Result<Value> {
        match (uri, email, eula, prefix) {
            (Some(uri), Some(email), Some(eula), Some(prefix)) => Ok(
                json!({"publisherUri": uri, "publisherContact": email, "eula": eula, "publicNamePrefix": prefix}),
            ),
            _ => Err(Error::invalid_param(
                "permissions",
                COMMUNITY_FIELDS_MESSAGE,
            )),
        }
    }
}
