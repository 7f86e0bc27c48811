//! `az sig share add|remove|reset|wait`: POST `{gallery}/share` with a SharingUpdate.

use super::{arm, gallery_path, get, long_running, Outcome, Shape};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::ids;
use crate::pipeline::Request;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[derive(Deserialize)]
pub struct GroupsArgs {
    resource_group: String,
    gallery_name: String,
    subscription_ids: Option<Vec<String>>,
    tenant_ids: Option<Vec<String>>,
    subscription: Option<String>,
    #[serde(default)]
    no_wait: bool,
}

/// `{"operationType": op, "groups": [Subscriptions first, then AADTenants; a group only when given]}`.
pub fn sharing_update(
    op: &str,
    subscription_ids: &[String],
    tenant_ids: &[String],
) -> Result<Value> {
    if subscription_ids.is_empty() && tenant_ids.is_empty() {
        return Err(Error::invalid_param(
            "subscription_ids",
            "At least one of subscription ids or tenant ids must be provided.",
        ));
    }
    let mut groups = Vec::new();
    if !subscription_ids.is_empty() {
        let ids = validated_ids("subscription_ids", "subscription id", subscription_ids)?;
        groups.push(json!({"type": "Subscriptions", "ids": ids}));
    }
    if !tenant_ids.is_empty() {
        let ids = validated_ids("tenant_ids", "tenant id", tenant_ids)?;
        groups.push(json!({"type": "AADTenants", "ids": ids}));
    }
    Ok(json!({"operationType": op, "groups": groups}))
}

fn validated_ids(param: &str, what: &str, values: &[String]) -> Result<Vec<String>> {
    if values.len() > 1000 {
        return Err(Error::invalid_param(
            param,
            format!("{}: at most 1000 ids per call.", ids::flag(param)),
        ));
    }
    values
        .iter()
        .map(|v| ids::guid(param, what, v.trim()))
        .collect()
}

async fn update(client: &Client, a: GroupsArgs, op: &str, name: &str) -> Result<Outcome> {
    ids::resource_group(&a.resource_group)?;
    ids::gallery_name(&a.gallery_name)?;
    let body = sharing_update(
        op,
        a.subscription_ids.as_deref().unwrap_or_default(),
        a.tenant_ids.as_deref().unwrap_or_default(),
    )?;
    let sub = client.subscription(a.subscription.as_deref())?;
    post_share(
        client,
        &sub,
        &a.resource_group,
        &a.gallery_name,
        name,
        &body,
        a.no_wait,
    )
    .await
}

async fn post_share(
    client: &Client,
    sub: &crate::credentials::Subscription,
    rg: &str,
    gallery: &str,
    op_name: &str,
    body: &Value,
    no_wait: bool,
) -> Result<Outcome> {
    let path = format!("{}/share", gallery_path(sub, rg, gallery));
    let url = client.arm_url(&path, &client.api_version(op_name, "gallery"), &[])?;
    let mut req = Request::new(Method::POST, url, arm(sub)).json(body);
    // A SharingUpdate states the groups it adds or removes, so sending it twice changes nothing.
    req.idempotent = true;
    long_running(client, sub, req, no_wait, Shape::Empty).await
}

pub async fn add(client: &Client, a: GroupsArgs) -> Result<Outcome> {
    update(client, a, "Add", "sig.share.add").await
}

pub async fn remove(client: &Client, a: GroupsArgs) -> Result<Outcome> {
    update(client, a, "Remove", "sig.share.remove").await
}

#[derive(Deserialize)]
pub struct ResetArgs {
    resource_group: String,
    gallery_name: String,
    subscription: Option<String>,
    #[serde(default)]
    no_wait: bool,
}

pub async fn reset(client: &Client, a: ResetArgs) -> Result<Outcome> {
    ids::resource_group(&a.resource_group)?;
    ids::gallery_name(&a.gallery_name)?;
    let sub = client.subscription(a.subscription.as_deref())?;
    post_share(
        client,
        &sub,
        &a.resource_group,
        &a.gallery_name,
        "sig.share.reset",
        &json!({"operationType": "Reset"}),
        a.no_wait,
    )
    .await
}

/// `az sig share enable-community`: publishes a Community gallery to every Azure user.
pub async fn enable_community(client: &Client, a: ResetArgs) -> Result<Outcome> {
    ids::resource_group(&a.resource_group)?;
    ids::gallery_name(&a.gallery_name)?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let body = json!({"operationType": "EnableCommunity"});
    post_share(
        client,
        &sub,
        &a.resource_group,
        &a.gallery_name,
        "sig.share.enable_community",
        &body,
        a.no_wait,
    )
    .await
}

#[derive(Deserialize)]
pub struct WaitArgs {
    resource_group: String,
    gallery_name: String,
    /// `--timeout`: how long to wait, the command's own (a facade's `timeout` is the call's limit).
    #[serde(default = "default_timeout", rename = "wait_timeout")]
    timeout: u64,
    #[serde(default = "default_interval")]
    interval: u64,
    subscription: Option<String>,
}

fn default_timeout() -> u64 {
    3600
}

fn default_interval() -> u64 {
    30
}

/// `az sig share wait`: polls the gallery until its provisioning and sharing states settle.
pub async fn wait(client: &Client, a: WaitArgs) -> Result<Outcome> {
    ids::resource_group(&a.resource_group)?;
    ids::gallery_name(&a.gallery_name)?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let path = gallery_path(&sub, &a.resource_group, &a.gallery_name);
    let version = client.api_version("sig.share.wait", "gallery");
    let start = Instant::now();
    loop {
        let g = get(client, &sub, &path, &version, &[]).await?;
        let provisioning = g
            .pointer("/properties/provisioningState")
            .and_then(Value::as_str)
            .unwrap_or("Succeeded");
        let sharing = g
            .pointer("/properties/sharingStatus/aggregatedState")
            .and_then(Value::as_str)
            .unwrap_or("Succeeded");
        let settled = |s: &str| {
            !s.eq_ignore_ascii_case("InProgress")
                && !s.eq_ignore_ascii_case("Creating")
                && !s.eq_ignore_ascii_case("Updating")
        };
        if settled(provisioning) && settled(sharing) {
            return Ok(Outcome::Value(Value::Null));
        }
        if start.elapsed() >= Duration::from_secs(a.timeout) {
            return Err(Error::new(
                crate::error::ErrorKind::Timeout,
                format!("Wait operation timed-out after {} seconds", a.timeout),
            ));
        }
        tokio::time::sleep(Duration::from_secs(a.interval.max(1))).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_group_comes_first_and_only_given_groups_are_sent() {
        let s = "0b1f6471-1bf0-4dda-aec3-cb9272f09590".to_string();
        let t = "2f4a9838-26b7-47ee-be60-ccc1fdec5953".to_string();
        let body =
            sharing_update("Add", std::slice::from_ref(&s), std::slice::from_ref(&t)).unwrap();
        assert_eq!(
            body,
            json!({"operationType":"Add","groups":[{"type":"Subscriptions","ids":[s]},{"type":"AADTenants","ids":[t]}]})
        );
        let only_t = sharing_update("Remove", &[], &[t]).unwrap();
        assert_eq!(only_t["groups"].as_array().unwrap().len(), 1);
        assert_eq!(
            sharing_update("Add", &[], &[]).unwrap_err().message,
            "At least one of subscription ids or tenant ids must be provided."
        );
        assert!(sharing_update("Add", &["nope".into()], &[]).is_err());
    }
}
