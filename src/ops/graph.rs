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
