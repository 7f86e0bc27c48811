//! `GET /subscriptions`, `GET /subscriptions/{id}` and `GET /tenants`: what `az login` lists.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::emulator::arm::{json_response, method_not_allowed, ArmError, ArmResult, Ctx};
use crate::emulator::directory::Subscription;
use crate::emulator::path::Route;
use crate::emulator::rbac::scope_contains;

pub(super) fn handle(ctx: &Ctx, route: &Route) -> ArmResult {
    if ctx.method != Method::GET {
        return Err(method_not_allowed(ctx));
    }
    match route {
        Route::Subscriptions => Ok(json_response(
            StatusCode::OK,
            ctx.page(visible(ctx).into_iter().map(render).collect()),
        )),
        Route::Tenants => Ok(json_response(StatusCode::OK, ctx.page(tenants(ctx)))),
        Route::Subscription { sub } => visible(ctx)
            .into_iter()
            .find(|s| s.id.eq_ignore_ascii_case(sub))
            .map(|s| json_response(StatusCode::OK, render(s)))
            .ok_or_else(|| {
                ArmError::not_found(
                    "SubscriptionNotFound",
                    format!("The subscription '{sub}' could not be found."),
                )
            }),
        _ => unreachable!("dispatch sends only subscription routes here"),
    }
}

/// Subscriptions of the token's tenant where the caller holds a role at or below the subscription.
fn visible<'a>(ctx: &Ctx<'a>) -> Vec<&'a Subscription> {
    let world = ctx.shared.world.lock();
    ctx.shared
        .directory
        .subscriptions
        .iter()
        .filter(|s| s.tenant_id.eq_ignore_ascii_case(&ctx.caller.tid))
        .filter(|s| {
            let scope = format!("/subscriptions/{}", s.id);
            world.role_assignments.iter().any(|ra| {
                ra.principal_id.eq_ignore_ascii_case(&ctx.caller.oid)
                    && scope_contains(&scope, &ra.scope)
            })
        })
        .collect()
}

fn render(s: &Subscription) -> Value {
    json!({
        "id": format!("/subscriptions/{}", s.id),
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": s.id,
        "tenantId": s.tenant_id,
        "displayName": s.name,
        "state": "Enabled",
        "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01",
                                 "spendingLimit": "Off"}
    })
}

/// The token's home tenant, as `GET /tenants` shows it.
fn tenants(ctx: &Ctx) -> Vec<Value> {
    ctx.shared
        .directory
        .tenant_by_id(&ctx.caller.tid)
        .map(|t| {
            json!({"id": format!("/tenants/{}", t.id), "tenantId": t.id, "tenantCategory": "Home",
                   "defaultDomain": t.domain, "displayName": t.name})
        })
        .into_iter()
        .collect()
}
