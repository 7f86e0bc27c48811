//! `GET .../locations/{loc}/capsOperations/{id}`: async status, or with `monitor=true` the result.

use axum::http::{Method, StatusCode};

use crate::emulator::arm::{
    json_response, lro_response, method_not_allowed, ArmError, ArmResult, Ctx,
};
use crate::emulator::path::Route;

pub(super) fn handle(ctx: &Ctx, route: &Route) -> ArmResult {
    let Route::CapsOperation { id, .. } = route else {
        unreachable!("dispatch sends only operations here")
    };
    if ctx.method != Method::GET {
        return Err(method_not_allowed(ctx));
    }
    let op = ctx
        .shared
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
        })?;
    if ctx
        .query("monitor")
        .is_some_and(|m| m.eq_ignore_ascii_case("true"))
    {
        let (status, body) = op.monitor();
        let headers = if status == StatusCode::ACCEPTED {
            op.headers(&ctx.shared.endpoint)
        } else {
            Default::default()
        };
        return Ok(lro_response(status, headers, body));
    }
    Ok(json_response(StatusCode::OK, op.status()))
}
