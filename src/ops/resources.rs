//! `az group …` (Microsoft.Resources).

use super::{arm, get, Outcome, Shape};
use crate::client::Client;
use crate::error::Result;
use crate::ids::{self, seg};
use crate::pipeline::Request;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Map, Value};

#[derive(Deserialize)]
pub struct GroupCreateArgs {
    name: String,
    location: String,
    tags: Option<Map<String, Value>>,
    subscription: Option<String>,
}

pub async fn group_create(client: &Client, a: GroupCreateArgs) -> Result<Outcome> {
    ids::resource_group(&a.name).map_err(|e| crate::error::Error {
        parameter: Some("name".into()),
        ..e
    })?;
    let location = ids::location(&a.location)?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let url = client.arm_url(
        &format!(
            "/subscriptions/{}/resourcegroups/{}",
            seg(&sub.id),
            seg(&a.name)
        ),
        &client.api_version("group.create", "resources"),
        &[],
    )?;
    let body = json!({"location": location, "tags": super::tags(a.tags)});
    let v = client
        .send_json(Request::new(Method::PUT, url, arm(&sub)).json(&body))
        .await?;
    Ok(Outcome::Value(Shape::Sorted.apply(v)))
}

#[derive(Deserialize)]
pub struct GroupShowArgs {
    name: String,
    subscription: Option<String>,
}

pub async fn group_show(client: &Client, a: GroupShowArgs) -> Result<Outcome> {
    ids::resource_group(&a.name).map_err(|e| crate::error::Error {
        parameter: Some("name".into()),
        ..e
    })?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let path = format!(
        "/subscriptions/{}/resourcegroups/{}",
        seg(&sub.id),
        seg(&a.name)
    );
    let v = get(
        client,
        &sub,
        &path,
        &client.api_version("group.show", "resources"),
        &[],
    )
    .await?;
    Ok(Outcome::Value(Shape::Sorted.apply(v)))
}

#[derive(Deserialize)]
pub struct GroupListArgs {
    subscription: Option<String>,
}

pub async fn group_list(client: &Client, a: GroupListArgs) -> Result<Outcome> {
    let sub = client.subscription(a.subscription.as_deref())?;
    let path = format!("/subscriptions/{}/resourcegroups", seg(&sub.id));
    let items = super::list(
        client,
        &sub,
        &path,
        &client.api_version("group.list", "resources"),
        &[],
    )
    .await?;
    Ok(Outcome::Value(Shape::Sorted.apply(Value::Array(items))))
}
