//! Desired-state sharing: `az.sig.share.sync(...)` reads the live sharing profile, computes the Add and
//! Remove that reach the desired groups, and applies only that — so a runbook can be re-run safely.

use super::sharing::sharing_update;
use super::{arm, gallery_path, get, long_running, Outcome, Shape};
use crate::client::Client;
use crate::credentials::Subscription;
use crate::error::{Error, Result};
use crate::ids;
use crate::pipeline::Request;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeSet;

#[derive(Deserialize)]
pub struct SyncArgs {
    resource_group: String,
    gallery_name: String,
    #[serde(default)]
    subscription_ids: Vec<String>,
    #[serde(default)]
    tenant_ids: Vec<String>,
    #[serde(default)]
    dry_run: bool,
    subscription: Option<String>,
}

/// The ids of one group type in a live sharing profile, lower-cased.
pub(crate) fn live_ids(gallery: &Value, group: &str) -> BTreeSet<String> {
    gallery
        .pointer("/properties/sharingProfile/groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|g| {
            g.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case(group))
        })
        .flat_map(|g| {
            g.get("ids")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|i| i.as_str().map(str::to_ascii_lowercase))
        .collect()
}

fn desired(param: &str, what: &str, values: &[String]) -> Result<BTreeSet<String>> {
    values
        .iter()
        .map(|v| ids::guid(param, what, v.trim()))
        .collect()
}

/// What has to change: (add subscriptions, add tenants, remove subscriptions, remove tenants).
pub fn plan(
    live_subs: &BTreeSet<String>,
    live_tenants: &BTreeSet<String>,
    want_subs: &BTreeSet<String>,
    want_tenants: &BTreeSet<String>,
) -> [Vec<String>; 4] {
    let diff =
        |a: &BTreeSet<String>, b: &BTreeSet<String>| a.difference(b).cloned().collect::<Vec<_>>();
    [
        diff(want_subs, live_subs),
        diff(want_tenants, live_tenants),
        diff(live_subs, want_subs),
        diff(live_tenants, want_tenants),
    ]
}

pub async fn sync(client: &Client, a: SyncArgs) -> Result<Outcome> {
    ids::resource_group(&a.resource_group)?;
    ids::gallery_name(&a.gallery_name)?;
    let want_subs = desired("subscription_ids", "subscription id", &a.subscription_ids)?;
    let want_tenants = desired("tenant_ids", "tenant id", &a.tenant_ids)?;
    let sub = client.subscription(a.subscription.as_deref())?;
    let path = gallery_path(&sub, &a.resource_group, &a.gallery_name);
    let version = client.api_version("sig.share.sync", "gallery");
    let gallery = get(
        client,
        &sub,
        &path,
        &version,
        &[("$expand", "sharingProfile/Groups")],
    )
    .await?;
    let mode = gallery
        .pointer("/properties/sharingProfile/permissions")
        .and_then(Value::as_str)
        .unwrap_or("Private")
        .to_string();
    let wants_any = !want_subs.is_empty() || !want_tenants.is_empty();
    if mode.eq_ignore_ascii_case("Community") && wants_any {
        return Err(Error::invalid_param("subscription_ids", format!("Gallery '{}' is a Community gallery; direct sharing needs permissions 'Groups'. Reset it first: az.sig.share.reset(resource_group=\"{}\", gallery_name=\"{}\").", a.gallery_name, a.resource_group, a.gallery_name)));
    }
    let (live_subs, live_tenants) = (
        live_ids(&gallery, "Subscriptions"),
        live_ids(&gallery, "AADTenants"),
    );
    let [add_subs, add_tenants, remove_subs, remove_tenants] =
        plan(&live_subs, &live_tenants, &want_subs, &want_tenants);
    let switch_mode = wants_any && !mode.eq_ignore_ascii_case("Groups");
    let changes = switch_mode
        || !(add_subs.is_empty()
            && add_tenants.is_empty()
            && remove_subs.is_empty()
            && remove_tenants.is_empty());
    let mut report = json!({
        "gallery": a.gallery_name,
        "permissions": {"current": mode, "desired": if switch_mode { "Groups".to_string() } else { mode.clone() }},
        "add": {"subscriptionIds": add_subs, "tenantIds": add_tenants},
        "remove": {"subscriptionIds": remove_subs, "tenantIds": remove_tenants},
        "inSync": !changes,
        "dryRun": a.dry_run,
        "applied": [],
    });
    if a.dry_run || !changes {
        return Ok(Outcome::Value(report));
    }
    let mut applied = Vec::new();
    if switch_mode {
        set_groups_mode(client, &sub, &path, &gallery).await?;
        applied.push(json!({"operation": "permissions", "value": "Groups"}));
    }
    for (op, subs, tenants) in [
        ("Add", &add_subs, &add_tenants),
        ("Remove", &remove_subs, &remove_tenants),
    ] {
        if subs.is_empty() && tenants.is_empty() {
            continue;
        }
        let body = sharing_update(op, subs, tenants)?;
        let url = client.arm_url(&format!("{path}/share"), &version, &[])?;
        let mut req = Request::new(Method::POST, url, arm(&sub)).json(&body);
        req.idempotent = true;
        long_running(client, &sub, req, false, Shape::Empty).await?;
        applied.push(body);
    }
    report["applied"] = Value::Array(applied);
    Ok(Outcome::Value(report))
}

/// Moves a Private gallery to `Groups`, keeping everything else.
async fn set_groups_mode(
    client: &Client,
    sub: &Subscription,
    path: &str,
    gallery: &Value,
) -> Result<()> {
    let mut body = json!({
        "location": gallery.get("location").cloned().unwrap_or(Value::Null),
        "tags": gallery.get("tags").cloned().unwrap_or(json!({})),
        "properties": {"sharingProfile": {"permissions": "Groups"}},
    });
    if let Some(d) = gallery.pointer("/properties/description") {
        body["properties"]["description"] = d.clone();
    }
    let url = client.arm_url(path, &client.api_version("sig.share.sync", "gallery"), &[])?;
    long_running(
        client,
        sub,
        Request::new(Method::PUT, url, arm(sub)).json(&body),
        false,
        Shape::Cli,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &[&str]) -> BTreeSet<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn plan_is_the_difference_both_ways() {
        let [add_s, add_t, rm_s, rm_t] = plan(
            &set(&["a", "b"]),
            &set(&["t"]),
            &set(&["b", "c"]),
            &set(&["t"]),
        );
        assert_eq!(
            (add_s, add_t, rm_s, rm_t),
            (vec!["c".to_string()], vec![], vec!["a".to_string()], vec![])
        );
        let [a, b, c, d] = plan(&set(&["a"]), &set(&[]), &set(&["a"]), &set(&[]));
        assert!(a.is_empty() && b.is_empty() && c.is_empty() && d.is_empty());
    }
}
