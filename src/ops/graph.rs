//! Microsoft Graph lookups the CLI makes to resolve `--assignee` (users, service principals, object ids).

use crate::client::Client;
use crate::error::{Error, Result};
use crate::pipeline::{Auth, Request};
use reqwest::Method;
use serde_json::{json, Value};
use url::Url;

fn graph_url(client: &Client, path: &str, filter: Option<&str>) -> Result<Url> {
    let mut url = Url::parse(&format!(
        "{}/v1.0{}",
        client.cloud.microsoft_graph.trim_end_matches('/'),
        path
    ))
    .map_err(|e| Error::validation(format!("Cannot build a Graph URL: {e}")))?;
    if let Some(f) = filter {
        url.query_pairs_mut().append_pair("$filter", f);
    }
    Ok(url)
}

/// Quotes a value inside an OData string literal.
fn odata(v: &str) -> String {
    v.replace('\'', "''")
}

async fn values(client: &Client, tenant: &str, url: Url) -> Result<Vec<Value>> {
    let body = client
        .send_json(Request::new(
            Method::GET,
            url,
            Auth::Graph(tenant.to_string()),
        ))
        .await?;
    Ok(body
        .get("value")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default())
}

pub async fn users_by(client: &Client, tenant: &str, filter: &str) -> Result<Vec<Value>> {
    values(client, tenant, graph_url(client, "/users", Some(filter))?).await
}

pub async fn service_principals_by(
    client: &Client,
    tenant: &str,
    filter: &str,
) -> Result<Vec<Value>> {
    values(
        client,
        tenant,
        graph_url(client, "/servicePrincipals", Some(filter))?,
    )
    .await
}

pub async fn objects_by_ids(client: &Client, tenant: &str, ids: &[String]) -> Result<Vec<Value>> {
    let req = Request::new(Method::POST, graph_url(client, "/directoryObjects/getByIds", None)?, Auth::Graph(tenant.to_string()))
        .json(&json!({"ids": ids, "types": ["user", "group", "servicePrincipal", "directoryObjectPartnerReference"]}));
    let body = client.send_json(req).await?;
    Ok(body
        .get("value")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default())
}

/// ARM's principalType for a Graph object.
pub fn principal_type(object: &Value) -> &'static str {
    match object
        .get("@odata.type")
        .and_then(Value::as_str)
        .unwrap_or_default()
    {
        "#microsoft.graph.servicePrincipal" => "ServicePrincipal",
        "#microsoft.graph.group" => "Group",
        "#microsoft.graph.directoryObjectPartnerReference" => "ForeignGroup",
        _ => "User",
    }
}

/// Resolves `--assignee` exactly as the CLI does: a UPN (contains `@`) through users, then service
/// principal names (an app id is one), then, for a GUID, the object itself. Returns (object id, type).
pub async fn resolve_assignee(
    client: &Client,
    tenant: &str,
    assignee: &str,
) -> Result<(String, &'static str)> {
    let mut found = Vec::new();
    if assignee.contains('@') {
        found = users_by(
            client,
            tenant,
            &format!("userPrincipalName eq '{}'", odata(assignee)),
        )
        .await?;
    }
    if found.is_empty() {
        found = service_principals_by(
            client,
            tenant,
            &format!("servicePrincipalNames/any(c:c eq '{}')", odata(assignee)),
        )
        .await?;
    }
    if found.is_empty() && crate::ids::is_guid(assignee) {
        found = objects_by_ids(client, tenant, &[assignee.to_string()]).await?;
    }
    let object = found.first().ok_or_else(|| {
        Error::invalid_param(
            "assignee",
            format!("Cannot find user or service principal in graph database for '{assignee}'. If the assignee is an appId, make sure the corresponding service principal is created with 'az ad sp create --id {assignee}'."),
        )
    })?;
    let id = object
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    Ok((id, principal_type(object)))
}

// ---- `az ad user|sp show|list` -------------------------------------------------------------------------

use super::Outcome;
use serde::Deserialize;

/// Graph calls go to the tenant of the current subscription's login.
fn current_tenant(client: &Client) -> Result<String> {
    Ok(client.subscription(None)?.tenant_id)
}

#[derive(Deserialize)]
pub struct ShowArgs {
    id: String,
}

async fn show(client: &Client, collection: &str, filter_key: &str, id: &str) -> Result<Outcome> {
    let tenant = current_tenant(client)?;
    crate::ids::query_value("id", id)?;
    let found = if crate::ids::is_guid(id) {
        objects_by_ids(client, &tenant, &[id.to_string()]).await?
    } else {
        values(
            client,
            &tenant,
            graph_url(
                client,
                collection,
                Some(&format!("{filter_key} eq '{}'", odata(id))),
            )?,
        )
        .await?
    };
    let found = if found.is_empty() && crate::ids::is_guid(id) && collection == "/servicePrincipals"
    {
        values(
            client,
            &tenant,
            graph_url(
                client,
                collection,
                Some(&format!("appId eq '{}'", odata(id))),
            )?,
        )
        .await?
    } else {
        found
    };
    let item = found.into_iter().next().ok_or_else(|| {
        let mut e = Error::new(crate::error::ErrorKind::NotFound, format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."));
        e.status = Some(404);
        e
    })?;
    Ok(Outcome::Value(item))
}

pub async fn user_show(client: &Client, a: ShowArgs) -> Result<Outcome> {
    show(client, "/users", "userPrincipalName", &a.id).await
}

pub async fn sp_show(client: &Client, a: ShowArgs) -> Result<Outcome> {
    show(client, "/servicePrincipals", "appId", &a.id).await
}

#[derive(Deserialize)]
pub struct ListArgs {
    upn: Option<String>,
    spn: Option<String>,
    display_name: Option<String>,
    filter: Option<String>,
}

/// The one `$filter` the CLI builds from its flags.
fn list_filter(a: &ListArgs) -> Option<String> {
    if let Some(f) = &a.filter {
        return Some(f.clone());
    }
    if let Some(u) = &a.upn {
        return Some(format!("userPrincipalName eq '{}'", odata(u)));
    }
    if let Some(s) = &a.spn {
        return Some(format!("servicePrincipalNames/any(c:c eq '{}')", odata(s)));
    }
    a.display_name
        .as_ref()
        .map(|d| format!("startsWith(displayName,'{}')", odata(d)))
}

pub async fn user_list(client: &Client, a: ListArgs) -> Result<Outcome> {
    let tenant = current_tenant(client)?;
    let items = values(
        client,
        &tenant,
        graph_url(client, "/users", list_filter(&a).as_deref())?,
    )
    .await?;
    Ok(Outcome::Value(Value::Array(items)))
}

pub async fn sp_list(client: &Client, a: ListArgs) -> Result<Outcome> {
    let tenant = current_tenant(client)?;
    let items = values(
        client,
        &tenant,
        graph_url(client, "/servicePrincipals", list_filter(&a).as_deref())?,
    )
    .await?;
    Ok(Outcome::Value(Value::Array(items)))
}
