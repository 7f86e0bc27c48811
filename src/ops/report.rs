//! `az.sig.sharing_report(...)`: for every gallery in scope, who can reach it — RBAC assignments (with the
//! role and where they are inherited from), direct shares to subscriptions and tenants, community
//! publication — as flat rows ready for `pandas.DataFrame(rows)` and a Jupyter table.

use super::{arm, rg_path, Outcome};
use crate::client::Client;
use crate::credentials::Subscription;
use crate::error::Result;
use crate::ids::{self, seg};
use crate::pipeline::pager::Pager;
use crate::shape::pwsh::BUILT_IN_ROLES;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

#[derive(Deserialize)]
pub struct ReportArgs {
    resource_group: Option<String>,
    subscription: Option<String>,
}

fn text(v: &Value, pointer: &str) -> String {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

async fn all(
    client: &Client,
    sub: &Subscription,
    path: &str,
    op: &str,
    family: &str,
    query: &[(&str, &str)],
) -> Result<Vec<Value>> {
    let url = client.arm_url(path, &client.api_version(op, family), query)?;
    Pager::new(url, arm(sub)).collect(client).await
}

/// Display names of principals, from Graph when this session may ask it (the id stands in otherwise).
async fn principal_names(
    client: &Client,
    tenant: &str,
    ids: Vec<String>,
) -> HashMap<String, String> {
    if ids.is_empty() {
        return HashMap::new();
    }
    let found = super::graph::objects_by_ids(client, tenant, &ids)
        .await
        .unwrap_or_default();
    found
        .iter()
        .filter_map(|o| {
            let id = o.get("id")?.as_str()?.to_string();
            let name = ["userPrincipalName", "displayName", "appId"]
                .iter()
                .find_map(|k| o.get(*k).and_then(Value::as_str))?;
            Some((id, name.to_string()))
        })
        .collect()
}

fn role_name(definition_id: &str) -> String {
    let guid = definition_id
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    BUILT_IN_ROLES
        .iter()
        .find(|(g, _)| *g == guid)
        .map(|(_, n)| n.to_string())
        .unwrap_or(guid)
}

fn row(gallery: &Value, access: &str, fields: Value) -> Value {
    let mut r = Map::new();
    r.insert("gallery".into(), json!(text(gallery, "/name")));
    r.insert(
        "resourceGroup".into(),
        json!(ids::ResourceId::resource_group_of(&text(gallery, "/id")).unwrap_or_default()),
    );
    r.insert(
        "permissions".into(),
        json!(text(gallery, "/properties/sharingProfile/permissions")),
    );
    r.insert("access".into(), json!(access));
    if let Value::Object(f) = fields {
        r.extend(f);
    }
    Value::Object(r)
}

pub async fn report(client: &Client, a: ReportArgs) -> Result<Outcome> {
    if let Some(rg) = &a.resource_group {
        ids::resource_group(rg)?;
    }
    let sub = client.subscription(a.subscription.as_deref())?;
    let list_path = match &a.resource_group {
        Some(rg) => format!(
            "{}/providers/Microsoft.Compute/galleries",
            rg_path(&sub, rg)
        ),
        None => format!(
            "/subscriptions/{}/providers/Microsoft.Compute/galleries",
            seg(&sub.id)
        ),
    };
    let mut rows = Vec::new();
    for listed in all(client, &sub, &list_path, "sig.list", "gallery", &[]).await? {
        let id = text(&listed, "/id");
        let gallery = all_one(client, &sub, &id).await?.unwrap_or(listed);
        rows.extend(rbac_rows(client, &sub, &gallery, &id).await?);
        rows.extend(share_rows(&gallery));
    }
    Ok(Outcome::Value(Value::Array(rows)))
}

/// The gallery with its sharing groups expanded.
async fn all_one(client: &Client, sub: &Subscription, id: &str) -> Result<Option<Value>> {
    let v = super::get(
        client,
        sub,
        id,
        &client.api_version("sig.show", "gallery"),
        &[("$expand", "sharingProfile/Groups")],
    )
    .await?;
    Ok(Some(v))
}

async fn rbac_rows(
    client: &Client,
    sub: &Subscription,
    gallery: &Value,
    id: &str,
) -> Result<Vec<Value>> {
    let assignments = all(
        client,
        sub,
        &format!("{id}/providers/Microsoft.Authorization/roleAssignments"),
        "role.assignment.list",
        "authorization",
        &[],
    )
    .await?;
    let covering: Vec<&Value> = assignments
        .iter()
        .filter(|ra| {
            id.to_ascii_lowercase().starts_with(
                &text(ra, "/properties/scope")
                    .trim_end_matches('/')
                    .to_ascii_lowercase(),
            )
        })
        .collect();
    let names = principal_names(
        client,
        &sub.tenant_id,
        covering
            .iter()
            .map(|ra| text(ra, "/properties/principalId"))
            .collect(),
    )
    .await;
    Ok(covering
        .into_iter()
        .map(|ra| {
            let scope = text(ra, "/properties/scope");
            let principal_id = text(ra, "/properties/principalId");
            let inherited = !scope.eq_ignore_ascii_case(id);
            row(gallery, "rbac", json!({
                "principal": names.get(&principal_id).cloned().unwrap_or_else(|| principal_id.clone()),
                "principalId": principal_id,
                "principalType": text(ra, "/properties/principalType"),
                "role": role_name(&text(ra, "/properties/roleDefinitionId")),
                "scope": scope,
                "inheritedFrom": if inherited { json!(scope) } else { Value::Null },
            }))
        })
        .collect())
}

fn share_rows(gallery: &Value) -> Vec<Value> {
    let mut rows = Vec::new();
    for group in gallery
        .pointer("/properties/sharingProfile/groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let access = if text(group, "/type").eq_ignore_ascii_case("AADTenants") {
            "tenant"
        } else {
            "subscription"
        };
        for target in group
            .get("ids")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            rows.push(row(gallery, access, json!({"target": target})));
        }
    }
    if let Some(info) = gallery.pointer("/properties/sharingProfile/communityGalleryInfo") {
        let enabled = info
            .get("communityGalleryEnabled")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let public = info
            .pointer("/publicNames/0")
            .and_then(Value::as_str)
            .unwrap_or_default();
        rows.push(row(
            gallery,
            "community",
            json!({"target": public, "communityEnabled": enabled}),
        ));
    }
    rows
}
