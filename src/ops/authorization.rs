//! `az role definition list`, `az role assignment create|list|delete` (Microsoft.Authorization).

use super::{arm, Outcome, Shape};
use crate::client::Client;
use crate::credentials::Subscription;
use crate::error::{Error, ErrorKind, Result};
use crate::ids::{self, ResourceId};
use crate::pipeline::pager::Pager;
use crate::pipeline::Request;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Value};

const PRINCIPAL_TYPES: &[&str] = &["User", "Group", "ServicePrincipal", "ForeignGroup"];

/// The subscription a scope lives in (its tenant decides the token); `/` falls back to the current one.
fn scope_subscription(
    client: &Client,
    scope: &str,
    explicit: Option<&str>,
) -> Result<Subscription> {
    match ResourceId::parse(scope) {
        Some(r) => client.subscription(Some(&r.subscription)),
        None => client.subscription(explicit),
    }
}

fn default_scope(
    client: &Client,
    scope: Option<&str>,
    subscription: Option<&str>,
) -> Result<String> {
    match scope {
        Some(s) => ids::scope(s),
        None => Ok(format!(
            "/subscriptions/{}",
            client.subscription(subscription)?.id
        )),
    }
}

async fn get_list(client: &Client, sub: &Subscription, url: url::Url) -> Result<Vec<Value>> {
    Pager::new(url, arm(sub)).collect(client).await
}

/// A role by name (`Reader`) or by id/GUID, as a role definition id.
async fn resolve_role(
    client: &Client,
    sub: &Subscription,
    scope: &str,
    role: &str,
) -> Result<String> {
    let version = client.api_version("role.definition.list", "authorization");
    if ids::is_guid(role) {
        return Ok(format!(
            "/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{}",
            sub.id,
            role.to_ascii_lowercase()
        ));
    }
    if role.starts_with('/') && role.to_ascii_lowercase().contains("/roledefinitions/") {
        return Ok(role.to_string());
    }
    let filter = format!("roleName eq '{}'", role.replace('\'', "''"));
    let url = client.arm_url(
        &format!(
            "{}/providers/Microsoft.Authorization/roleDefinitions",
            scope
        ),
        &version,
        &[("$filter", &filter)],
    )?;
    let found = get_list(client, sub, url).await?;
    match found.as_slice() {
        [one] => Ok(one.get("id").and_then(Value::as_str).unwrap_or_default().to_string()),
        [] => Err(Error::invalid_param("role", format!("Role '{role}' doesn't exist."))),
        _ => Err(Error::invalid_param("role", format!("More than one role matches the given name '{role}'. Please pick an id from '{found:?}'"))),
    }
}

#[derive(Deserialize)]
pub struct DefinitionListArgs {
    name: Option<String>,
    scope: Option<String>,
    subscription: Option<String>,
}

pub async fn definition_list(client: &Client, a: DefinitionListArgs) -> Result<Outcome> {
    let scope = default_scope(client, a.scope.as_deref(), a.subscription.as_deref())?;
    let sub = scope_subscription(client, &scope, a.subscription.as_deref())?;
    let version = client.api_version("role.definition.list", "authorization");
    let filter = a
        .name
        .as_ref()
        .map(|n| format!("roleName eq '{}'", n.replace('\'', "''")));
    let query: Vec<(&str, &str)> = filter
        .as_deref()
        .map(|f| vec![("$filter", f)])
        .unwrap_or_default();
    let url = client.arm_url(
        &format!("{scope}/providers/Microsoft.Authorization/roleDefinitions"),
        &version,
        &query,
    )?;
    let items = get_list(client, &sub, url).await?;
    Ok(Outcome::Value(Shape::Cli.apply(Value::Array(items))))
}

#[derive(Deserialize)]
pub struct CreateArgs {
    role: String,
    scope: String,
    assignee: Option<String>,
    assignee_object_id: Option<String>,
    assignee_principal_type: Option<String>,
    description: Option<String>,
    name: Option<String>,
}

pub async fn assignment_create(client: &Client, a: CreateArgs) -> Result<Outcome> {
    if a.assignee.is_some() == a.assignee_object_id.is_some() {
        return Err(Error::invalid_param(
            "assignee",
            "usage error: --assignee STRING | --assignee-object-id GUID",
        ));
    }
    if a.assignee_principal_type.is_some() && a.assignee_object_id.is_none() {
        return Err(Error::invalid_param(
            "assignee_principal_type",
            "usage error: --assignee-principal-type must be used with --assignee-object-id",
        ));
    }
    let principal_type = a
        .assignee_principal_type
        .as_deref()
        .map(|t| super::choice("assignee_principal_type", t, PRINCIPAL_TYPES))
        .transpose()?;
    let object_id = a
        .assignee_object_id
        .as_deref()
        .map(|o| ids::guid("assignee_object_id", "object id", o))
        .transpose()?;
    let name = a
        .name
        .as_deref()
        .map(|n| ids::guid("name", "role assignment name", n))
        .transpose()?;
    let scope = ids::scope(&a.scope)?;
    let sub = scope_subscription(client, &scope, None)?;
    let role_id = resolve_role(client, &sub, &scope, &a.role).await?;
    let (principal_id, principal_type) = match (object_id, principal_type, &a.assignee) {
        (Some(id), Some(t), _) => (id, t),
        (Some(id), None, _) => {
            match super::graph::objects_by_ids(client, &sub.tenant_id, std::slice::from_ref(&id))
                .await
            {
                Ok(found) => (
                    id,
                    found
                        .first()
                        .map(super::graph::principal_type)
                        .unwrap_or("User")
                        .to_string(),
                ),
                // Without Graph access the CLI still assigns, leaving the type to ARM.
                Err(_) => (id, String::new()),
            }
        }
        (None, _, Some(assignee)) => {
            let (id, t) = super::graph::resolve_assignee(client, &sub.tenant_id, assignee).await?;
            (id, t.to_string())
        }
        (None, _, None) => unreachable!("checked above"),
    };
    let mut props = json!({"roleDefinitionId": role_id, "principalId": principal_id});
    if !principal_type.is_empty() {
        props["principalType"] = json!(principal_type);
    }
    if let Some(d) = &a.description {
        props["description"] = json!(d);
    }
    let name = name.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let version = client.api_version("role.assignment.create", "authorization");
    let url = client.arm_url(
        &format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"),
        &version,
        &[],
    )?;
    match client
        .send_json(Request::new(Method::PUT, url, arm(&sub)).json(&json!({"properties": props})))
        .await
    {
        Ok(v) => Ok(Outcome::Value(Shape::Cli.apply(v))),
        // The CLI's idempotency: an identical assignment is returned, not reported as a conflict.
        Err(e) if e.kind == ErrorKind::Exists && e.code() == Some("RoleAssignmentExists") => {
            let existing = find_assignment(client, &sub, &scope, &principal_id, &role_id).await?;
            existing
                .map(|v| Outcome::Value(Shape::Cli.apply(v)))
                .ok_or(e)
        }
        Err(e) => Err(e),
    }
}

async fn find_assignment(
    client: &Client,
    sub: &Subscription,
    scope: &str,
    principal: &str,
    role_id: &str,
) -> Result<Option<Value>> {
    let version = client.api_version("role.assignment.list", "authorization");
    let filter = format!("principalId eq '{principal}'");
    let url = client.arm_url(
        &format!("{scope}/providers/Microsoft.Authorization/roleAssignments"),
        &version,
        &[("$filter", &filter)],
    )?;
    let role_guid = role_id
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    Ok(get_list(client, sub, url).await?.into_iter().find(|ra| {
        let scope_of = ra
            .pointer("/properties/scope")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let rd = ra
            .pointer("/properties/roleDefinitionId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        scope_of.eq_ignore_ascii_case(scope) && rd.ends_with(&role_guid)
    }))
}

#[derive(Deserialize)]
pub struct ListArgs {
    scope: Option<String>,
    assignee: Option<String>,
    role: Option<String>,
    subscription: Option<String>,
}

pub async fn assignment_list(client: &Client, a: ListArgs) -> Result<Outcome> {
    let scope = default_scope(client, a.scope.as_deref(), a.subscription.as_deref())?;
    let sub = scope_subscription(client, &scope, a.subscription.as_deref())?;
    let principal = match &a.assignee {
        Some(x) => Some(
            super::graph::resolve_assignee(client, &sub.tenant_id, x)
                .await?
                .0,
        ),
        None => None,
    };
    let role = match &a.role {
        Some(r) => Some(resolve_role(client, &sub, &scope, r).await?),
        None => None,
    };
    let version = client.api_version("role.assignment.list", "authorization");
    let filter = principal.as_ref().map(|p| format!("principalId eq '{p}'"));
    let query: Vec<(&str, &str)> = filter
        .as_deref()
        .map(|f| vec![("$filter", f)])
        .unwrap_or_default();
    let url = client.arm_url(
        &format!("{scope}/providers/Microsoft.Authorization/roleAssignments"),
        &version,
        &query,
    )?;
    let role_guid = role.map(|r| {
        r.rsplit('/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    });
    let items: Vec<Value> = get_list(client, &sub, url)
        .await?
        .into_iter()
        .filter(|ra| {
            let rd = ra
                .pointer("/properties/roleDefinitionId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_ascii_lowercase();
            role_guid.as_ref().is_none_or(|g| rd.ends_with(g.as_str()))
        })
        .collect();
    Ok(Outcome::Value(Shape::Cli.apply(Value::Array(items))))
}

#[derive(Deserialize)]
pub struct DeleteArgs {
    ids: Option<Vec<String>>,
    scope: Option<String>,
    assignee: Option<String>,
    role: Option<String>,
    subscription: Option<String>,
}

pub async fn assignment_delete(client: &Client, a: DeleteArgs) -> Result<Outcome> {
    let targets: Vec<String> = match &a.ids {
        Some(ids) => ids
            .iter()
            .map(|i| {
                ids::scope(i).map_err(|e| Error {
                    parameter: Some("ids".into()),
                    ..e
                })
            })
            .collect::<Result<_>>()?,
        None => {
            if a.assignee.is_none() && a.role.is_none() && a.scope.is_none() {
                return Err(Error::invalid_param("ids", "usage error: please provide --ids, or at least one of --assignee, --role, --scope."));
            }
            let listed = assignment_list(
                client,
                ListArgs {
                    scope: a.scope.clone(),
                    assignee: a.assignee.clone(),
                    role: a.role.clone(),
                    subscription: a.subscription.clone(),
                },
            )
            .await?;
            let Outcome::Value(Value::Array(items)) = listed else {
                return Ok(Outcome::Value(Value::Null));
            };
            items
                .iter()
                .filter_map(|v| v.get("id").and_then(Value::as_str).map(str::to_string))
                .collect()
        }
    };
    let version = client.api_version("role.assignment.delete", "authorization");
    for id in targets {
        let sub = scope_subscription(client, &id, a.subscription.as_deref())?;
        let url = client.arm_url(&id, &version, &[])?;
        client
            .send(Request::new(Method::DELETE, url, arm(&sub)))
            .await?;
    }
    Ok(Outcome::Value(Value::Null))
}
