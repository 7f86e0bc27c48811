//! The consumer's view of directly shared galleries: `az sig list-shared|show-shared`,
//! `az sig image-definition list-shared|show-shared`, `az sig image-version list-shared|show-shared`.

use super::{consumer_view_path, show_shaped, Outcome};
use crate::client::Client;
use crate::error::Result;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct SharedArgs {
    location: String,
    gallery_unique_name: Option<String>,
    gallery_image_definition: Option<String>,
    gallery_image_version: Option<String>,
    shared_to: Option<String>,
    subscription: Option<String>,
}

/// `sharedTo` exists only on the three list calls; its one value is `tenant`.
fn shared_to_query(shared_to: &Option<String>) -> Result<Vec<(&'static str, &'static str)>> {
    match shared_to {
        None => Ok(vec![]),
        Some(s) => super::choice("shared_to", s, &["tenant"]).map(|_| vec![("sharedTo", "tenant")]),
    }
}

/// The path after the subscription, down to the level the arguments reach, every name validated.
fn shared_tail(a: &SharedArgs, depth: usize) -> Result<String> {
    let view = super::ConsumerView {
        collection: "sharedGalleries",
        gallery_param: "gallery_unique_name",
        gallery: &a.gallery_unique_name,
        image: &a.gallery_image_definition,
        version: &a.gallery_image_version,
    };
    super::consumer_view_tail(&a.location, &view, depth)
}

async fn list_at(
    client: &Client,
    a: SharedArgs,
    depth: usize,
    op: &str,
    suffix: &str,
) -> Result<Outcome> {
    let query = shared_to_query(&a.shared_to)?;
    let tail = shared_tail(&a, depth)?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let path = format!("{}{suffix}", consumer_view_path(&sub, &tail));
    super::pages(
        client,
        &sub,
        &path,
        &client.api_version(op, "gallery"),
        &query,
    )
}

async fn show_at(client: &Client, a: SharedArgs, depth: usize, op: &str) -> Result<Outcome> {
    shared_to_query(&a.shared_to)?;
    let tail = shared_tail(&a, depth)?;
    let sub = client.subscription(a.subscription.as_deref())?;
    show_shaped(client, &sub, &consumer_view_path(&sub, &tail), op, &[]).await
}

pub async fn list_galleries(client: &Client, a: SharedArgs) -> Result<Outcome> {
    list_at(client, a, 0, "sig.list_shared", "").await
}

pub async fn show_gallery(client: &Client, a: SharedArgs) -> Result<Outcome> {
    show_at(client, a, 1, "sig.show_shared").await
}

pub async fn list_images(client: &Client, a: SharedArgs) -> Result<Outcome> {
    list_at(client, a, 1, "sig.image_definition.list_shared", "/images").await
}

pub async fn show_image(client: &Client, a: SharedArgs) -> Result<Outcome> {
    show_at(client, a, 2, "sig.image_definition.show_shared").await
}

pub async fn list_versions(client: &Client, a: SharedArgs) -> Result<Outcome> {
    list_at(client, a, 2, "sig.image_version.list_shared", "/versions").await
}

pub async fn show_version(client: &Client, a: SharedArgs) -> Result<Outcome> {
    show_at(client, a, 3, "sig.image_version.show_shared").await
}
