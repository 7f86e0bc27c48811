//! Community galleries, the consumer's view: `az sig show-community|list-community`,
//! `az sig image-definition list-community|show-community`, `az sig image-version list-community|show-community`.
//! Compute has no list of community galleries; like the CLI, `list-community` asks Azure Resource Graph.

use super::{arm, consumer_view_path, list_shaped, show_shaped, Outcome, Shape};
use crate::client::Client;
use crate::error::Result;
use crate::ids;
use crate::pipeline::Request;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
pub struct CommunityArgs {
    location: String,
    public_gallery_name: Option<String>,
    gallery_image_definition: Option<String>,
    gallery_image_version: Option<String>,
    subscription: Option<String>,
}

/// The path after the subscription, down to the level the arguments reach, every name validated.
fn community_tail(a: &CommunityArgs, depth: usize) -> Result<String> {
    let view = super::ConsumerView {
        collection: "communityGalleries",
        gallery_param: "public_gallery_name",
        gallery: &a.public_gallery_name,
        image: &a.gallery_image_definition,
        version: &a.gallery_image_version,
    };
    super::consumer_view_tail(&a.location, &view, depth)
}

async fn show_at(client: &Client, a: CommunityArgs, depth: usize, op: &str) -> Result<Outcome> {
    let tail = community_tail(&a, depth)?;
    let sub = client.subscription(a.subscription.as_deref())?;
    show_shaped(client, &sub, &consumer_view_path(&sub, &tail), op, &[]).await
}

async fn list_at(
    client: &Client,
    a: CommunityArgs,
    depth: usize,
    op: &str,
    suffix: &str,
) -> Result<Outcome> {
    let tail = community_tail(&a, depth)?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let path = format!("{}{suffix}", consumer_view_path(&sub, &tail));
    list_shaped(client, &sub, &path, op, &[]).await
}

pub async fn show_gallery(client: &Client, a: CommunityArgs) -> Result<Outcome> {
    show_at(client, a, 1, "sig.show_community").await
}

pub async fn list_images(client: &Client, a: CommunityArgs) -> Result<Outcome> {
    list_at(
        client,
        a,
        1,
        "sig.image_definition.list_community",
        "/images",
    )
    .await
}

pub async fn show_image(client: &Client, a: CommunityArgs) -> Result<Outcome> {
    show_at(client, a, 2, "sig.image_definition.show_community").await
}

pub async fn list_versions(client: &Client, a: CommunityArgs) -> Result<Outcome> {
    list_at(
        client,
        a,
        2,
        "sig.image_version.list_community",
        "/versions",
    )
    .await
}

pub async fn show_version(client: &Client, a: CommunityArgs) -> Result<Outcome> {
    show_at(client, a, 3, "sig.image_version.show_community").await
}

#[derive(Deserialize)]
pub struct ListArgs {
    location: Option<String>,
    subscription: Option<String>,
}

/// The Resource Graph query `az sig list-community` sends.
pub fn list_query(location: Option<&str>) -> String {
    let mut q = "communitygalleryresources | where type == 'microsoft.compute/locations/communitygalleries'".to_string();
    if let Some(l) = location {
        q.push_str(&format!(
            " | where location == '{}'",
            l.to_ascii_lowercase().replace([' ', '\''], "")
        ));
    }
    q
}

const PAGE: u32 = 30;

/// Every community gallery (per region), following Resource Graph's `$skipToken`.
pub async fn list_galleries(client: &Client, a: ListArgs) -> Result<Outcome> {
    if let Some(l) = &a.location {
        ids::location(l)?;
    }
    let sub = client.subscription(a.subscription.as_deref())?;
    let url = client.arm_url(
        "/providers/Microsoft.ResourceGraph/resources",
        &client.api_version("sig.list_community", "resourcegraph"),
        &[],
    )?;
    let query = list_query(a.location.as_deref());
    let mut rows = Vec::new();
    let mut skip: Option<String> = None;
    loop {
        let mut options = json!({"$top": PAGE});
        if let Some(token) = &skip {
            options["$skipToken"] = json!(token);
        }
        let body = json!({"query": query, "options": options});
        let page = client
            .send_json(Request::new(Method::POST, url.clone(), arm(&sub)).json(&body))
            .await?;
        rows.extend(
            page.get("data")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
        );
        skip = page
            .get("$skipToken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if skip.is_none() {
            break;
        }
    }
    Ok(Outcome::Value(Shape::Cli.apply(Value::Array(rows))))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_query_filters_type_and_location() {
        assert_eq!(super::list_query(None), "communitygalleryresources | where type == 'microsoft.compute/locations/communitygalleries'");
        assert!(super::list_query(Some("East US")).ends_with("| where location == 'eastus'"));
    }
}
