//! Async-operation URLs: Compute's `capsOperations/{id}` and `operations/{id}` (status, or with
//! `monitor=true` the result) and Network's `operations/{id}` (status) and `operationResults/{id}`.

use axum::http::{Method, StatusCode};

use crate::emulator::arm::{
    json_response, lro_response, method_not_allowed, no_content, ArmError, ArmResult, Ctx,
};
use crate::emulator::lro::{Flavor, Operation};
use crate::emulator::path::Route;

pub(super) fn handle(ctx: &Ctx, route: &Route) -> ArmResult {
    let (id, result) = match route {
        Route::CapsOperation { id, .. } => (id, false),
        Route::ProviderOperation { id, result, .. } => (id, *result),
        _ => unreachable!("dispatch sends only operations here"),
    };
    if ctx.method != Method::GET {
        return Err(method_not_allowed(ctx));
    }
    let op = find(ctx, id)?;
    let monitor = ctx
        .query("monitor")
        .is_some_and(|m| m.eq_ignore_ascii_case("true"));
    if result || monitor {
        return Ok(outcome(ctx, &op));
    }
    Ok(json_response(StatusCode::OK, op.status()))
}

fn find(ctx: &Ctx, id: &str) -> Result<Operation, ArmError> {
    ctx.shared
        .world
        .lock()
        .operations
        .get(id)
        .cloned()
        .ok_or_else(|| {
            ArmError::not_found(
                "OperationNotFound",
                format!("The operation '{id}' could not be found."),
            )
        })
}

/// The monitor / operation-result URL: 202 while running, then the result (Network: 204 when the
/// operation had no body, e.g. a DELETE).
fn outcome(ctx: &Ctx, op: &Operation) -> axum::response::Response {
    let (status, body) = op.monitor();
    if status == StatusCode::ACCEPTED {
        return lro_response(status, op.headers(&ctx.shared.endpoint), None);
    }
    match (op.flavor, body) {
        (Flavor::Network, None) => no_content(),
        (_, body) => lro_response(status, Default::default(), body),
    }
}
