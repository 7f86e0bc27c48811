//! Microsoft.Authorization: built-in role definitions and role assignments at any scope.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::emulator::arm::{
    json_response, method_not_allowed, no_content, ArmError, ArmResult, Ctx,
};
use crate::emulator::path::{scope_subscription, Route};
use crate::emulator::rbac::{self, scope_contains, BUILT_IN_ROLES};
use crate::emulator::store::RoleAssignment;

pub(super) fn handle(ctx: &Ctx, route: &Route) -> ArmResult {
    match (route, &ctx.method) {
        (Route::RoleDefinitions { scope }, &Method::GET) => list_definitions(ctx, scope),
        (Route::RoleDefinition { scope, id }, &Method::GET) => get_definition(scope, id),
        (Route::RoleAssignments { scope }, &Method::GET) => list_assignments(ctx, scope),
        (Route::RoleAssignment { name, .. }, &Method::GET) => get_assignment(ctx, name),
        (Route::RoleAssignment { scope, name }, &Method::PUT) => put_assignment(ctx, scope, name),
        (Route::RoleAssignment { name, .. }, &Method::DELETE) => delete_assignment(ctx, name),
        _ => Err(method_not_allowed(ctx)),
    }
}

/// `roleName eq 'X'` out of a `$filter`.
fn filter_value<'a>(filter: &'a str, field: &str) -> Option<&'a str> {
    let rest = filter.trim().strip_prefix(field)?.trim_start();
    let rest = rest.strip_prefix("eq")?.trim();
    rest.strip_prefix('\'')?.strip_suffix('\'')
}

fn list_definitions(ctx: &Ctx, scope: &str) -> ArmResult {
    let wanted = ctx
        .query("$filter")
        .and_then(|f| filter_value(f, "roleName"));
    let items = BUILT_IN_ROLES
        .iter()
        .filter(|r| wanted.is_none_or(|w| r.name.eq_ignore_ascii_case(w)))
        .map(|r| r.to_json(scope))
        .collect();
    Ok(json_response(StatusCode::OK, ctx.page(items)))
}

fn get_definition(scope: &str, id: &str) -> ArmResult {
    let role = rbac::role_by_id(id).ok_or_else(|| {
        ArmError::not_found(
            "RoleDefinitionDoesNotExist",
            format!("The specified role definition with ID '{id}' does not exist."),
        )
    })?;
    Ok(json_response(StatusCode::OK, role.to_json(scope)))
}

fn render(ra: &RoleAssignment) -> Value {
    let sub = scope_subscription(&ra.scope).unwrap_or_default();
    json!({
        "properties": {
            "roleDefinitionId": format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{}", ra.role_id),
            "principalId": ra.principal_id,
            "principalType": ra.principal_type,
            "scope": ra.scope,
            "condition": null,
            "conditionVersion": null,
            "createdOn": ra.created,
            "updatedOn": ra.created,
            "createdBy": null,
            "updatedBy": null,
            "delegatedManagedIdentityResourceId": null,
            "description": null
        },
        "id": format!("{}/providers/Microsoft.Authorization/roleAssignments/{}", ra.scope, ra.name),
        "type": "Microsoft.Authorization/roleAssignments",
        "name": ra.name
    })
}

fn list_assignments(ctx: &Ctx, scope: &str) -> ArmResult {
    let filter = ctx.query("$filter").unwrap_or_default();
    let at_scope_only = filter.to_ascii_lowercase().contains("atscope()");
    let principal = filter_value(filter, "principalId");
    let world = ctx.shared.world.lock();
    let items = world
        .role_assignments
        .iter()
        .filter(|ra| {
            scope_contains(&ra.scope, scope) || (!at_scope_only && scope_contains(scope, &ra.scope))
        })
        .filter(|ra| principal.is_none_or(|p| ra.principal_id.eq_ignore_ascii_case(p)))
        .map(render)
        .collect();
    Ok(json_response(StatusCode::OK, ctx.page(items)))
}

fn assignment_not_found(name: &str) -> ArmError {
    ArmError::not_found(
        "RoleAssignmentNotFound",
        format!("The role assignment '{name}' is not found."),
    )
}

fn get_assignment(ctx: &Ctx, name: &str) -> ArmResult {
    let world = ctx.shared.world.lock();
    let ra = world
        .role_assignments
        .iter()
        .find(|r| r.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| assignment_not_found(name))?;
    Ok(json_response(StatusCode::OK, render(ra)))
}

/// Validates a role assignment PUT body into an assignment.
fn parse_assignment(ctx: &Ctx, scope: &str, name: &str) -> Result<RoleAssignment, ArmError> {
    if uuid::Uuid::parse_str(name).is_err() {
        return Err(ArmError::bad_request("InvalidRoleAssignmentId", format!("The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.")));
    }
    let props = ctx
        .body_object()?
        .get("properties")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            ArmError::bad_request(
                "InvalidRequestContent",
                "The request content was invalid: 'properties' is required.",
            )
        })?;
    let role_ref = props
        .get("roleDefinitionId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let role_guid = role_ref.rsplit('/').next().unwrap_or_default();
    let role = rbac::role_by_id(role_guid).ok_or_else(|| {
        ArmError::bad_request(
            "RoleDefinitionDoesNotExist",
            format!("The specified role definition with ID '{role_guid}' does not exist."),
        )
    })?;
    let principal_id = props
        .get("principalId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let dir = &ctx.shared.directory;
    let tenant = scope_subscription(scope)
        .and_then(|s| dir.subscription(s))
        .and_then(|s| dir.tenant(&s.tenant));
    let principal = tenant
        .and_then(|t| dir.principal_by_object_id(t, principal_id))
        .ok_or_else(|| {
            ArmError::bad_request(
                "PrincipalNotFound",
                format!(
                    "Principal {} does not exist in the directory {}.",
                    principal_id.replace('-', ""),
                    ctx.caller.tid
                ),
            )
        })?;
    let principal_type = match principal {
        crate::emulator::directory::Principal::ServicePrincipal(_) => "ServicePrincipal",
        crate::emulator::directory::Principal::User(_) => "User",
    };
    let created = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    Ok(RoleAssignment {
        name: name.to_ascii_lowercase(),
        scope: scope.to_string(),
        role_id: role.id.to_string(),
        principal_id: principal_id.to_ascii_lowercase(),
        principal_type: principal_type.to_string(),
        created,
    })
}

fn same_grant(a: &RoleAssignment, b: &RoleAssignment) -> bool {
    a.principal_id.eq_ignore_ascii_case(&b.principal_id)
        && a.role_id.eq_ignore_ascii_case(&b.role_id)
        && a.scope
            .trim_end_matches('/')
            .eq_ignore_ascii_case(b.scope.trim_end_matches('/'))
}

fn put_assignment(ctx: &Ctx, scope: &str, name: &str) -> ArmResult {
    let new = parse_assignment(ctx, scope, name)?;
    let mut world = ctx.shared.world.lock();
    if let Some(existing) = world
        .role_assignments
        .iter()
        .find(|r| r.name.eq_ignore_ascii_case(name))
    {
        if same_grant(existing, &new) {
            return Ok(json_response(StatusCode::OK, render(existing)));
        }
        return Err(ArmError::conflict(
            "RoleAssignmentUpdateNotPermitted",
            "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
        ));
    }
    if let Some(existing) = world.role_assignments.iter().find(|r| same_grant(r, &new)) {
        let mut e = ArmError::conflict(
            "RoleAssignmentExists",
            "The role assignment already exists.",
        );
        let id = format!(
            "{}/providers/Microsoft.Authorization/roleAssignments/{}",
            existing.scope, existing.name
        );
        e.details = Some(Box::new(
            json!([{"code": "RoleAssignmentExists", "message": "The role assignment already exists.", "target": id}]),
        ));
        return Err(e);
    }
    let body = render(&new);
    world.role_assignments.push(new);
    Ok(json_response(StatusCode::CREATED, body))
}

fn delete_assignment(ctx: &Ctx, name: &str) -> ArmResult {
    let mut world = ctx.shared.world.lock();
    let Some(at) = world
        .role_assignments
        .iter()
        .position(|r| r.name.eq_ignore_ascii_case(name))
    else {
        return Ok(no_content());
    };
    let removed = world.role_assignments.remove(at);
    Ok(json_response(StatusCode::OK, render(&removed)))
}
