//! The request log: one JSON object per request, never a header value, token, secret or body.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use parking_lot::Mutex;
use serde_json::{json, Value};

use super::faults::AppliedFault;
use super::server::Shared;

fn unix_now() -> f64 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as f64 / 1e9
}

/// Who made a request, attached to the response by the ARM front door.
#[derive(Debug, Clone)]
pub(crate) struct LoggedCaller {
    pub tenant: String,
    pub principal: String,
    /// `tid`s of the valid `x-ms-authorization-auxiliary` tokens (never the tokens).
    pub aux_tenants: Vec<String>,
}

/// One served request, kept as plain fields: rendered to JSON only when the log is read, so logging
/// costs a serving request no JSON building.
struct Entry {
    seq: u64,
    received: f64,
    time: f64,
    method: String,
    path: String,
    query: String,
    /// None for a dropped connection.
    status: Option<u16>,
    fault: Option<String>,
    retry_after: Option<f64>,
    caller: Option<LoggedCaller>,
    aux_tokens: usize,
    user_agent: Option<String>,
}

impl Entry {
    fn to_json(&self) -> Value {
        let c = self.caller.as_ref();
        json!({
            "seq": self.seq, "received": self.received, "time": self.time, "method": self.method,
            "path": self.path, "query": self.query, "status": self.status,
            "fault": self.fault, "retry_after": self.retry_after,
            "tenant": c.map(|c| c.tenant.clone()), "principal": c.map(|c| c.principal.clone()),
            "aux_tokens": self.aux_tokens,
            "aux_tenants": c.map(|c| c.aux_tenants.clone()).unwrap_or_default(),
            "user_agent": self.user_agent
        })
    }
}

#[derive(Default)]
pub(crate) struct RequestLog {
    entries: Mutex<(u64, Vec<Entry>)>,
}

impl RequestLog {
    pub(crate) fn entries(&self) -> Vec<Value> {
        self.entries.lock().1.iter().map(Entry::to_json).collect()
    }

    pub(crate) fn clear(&self) {
        self.entries.lock().1.clear();
    }

    fn push(&self, mut entry: Entry) {
        let mut guard = self.entries.lock();
        guard.0 += 1;
        entry.seq = guard.0;
        guard.1.push(entry);
    }
}

/// Counts the tokens in `x-ms-authorization-auxiliary` (joined with "," by the CLI, ";" by PowerShell).
fn auxiliary_token_count(request: &Request) -> usize {
    request
        .headers()
        .get("x-ms-authorization-auxiliary")
        .and_then(|v| v.to_str().ok())
        .map_or(0, |v| {
            v.split([',', ';']).filter(|t| !t.trim().is_empty()).count()
        })
}

/// The router answers a wrong method on a fixed route (GET on the token endpoint) with an empty 405;
/// Azure answers JSON, so clients (and the fuzz test) can read the error.
fn json_method_not_allowed(response: Response, method: &str) -> Response {
    use axum::response::IntoResponse;
    if response.status() != axum::http::StatusCode::METHOD_NOT_ALLOWED {
        return response;
    }
    let body = json!({"error": {"code": "MethodNotAllowed",
        "message": format!("The requested resource does not support http method '{method}'.")}});
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    (parts, axum::Json(body)).into_response()
}

/// Middleware recording every non-control request after it is answered — faulted attempts too.
/// `received` is when the request arrived and `time` when it was answered (Unix seconds); a faulted
/// attempt has `fault` (e.g. `status:429`, `drop`) and the `retry_after` it asked for, and a dropped
/// one has no `status`.
pub(crate) async fn record(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let received = unix_now();
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or_default().to_string();
    let aux_tokens = auxiliary_token_count(&request);
    let user_agent = request
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let response = json_method_not_allowed(next.run(request).await, &method);
    let fault = response.extensions().get::<AppliedFault>();
    shared.log.push(Entry {
        seq: 0,
        received,
        time: unix_now(),
        method,
        path,
        query,
        status: match fault {
            Some(f) if f.dropped => None,
            _ => Some(response.status().as_u16()),
        },
        fault: fault.map(|f| f.name.clone()),
        retry_after: fault.and_then(|f| f.retry_after),
        caller: response.extensions().get::<LoggedCaller>().cloned(),
        aux_tokens,
        user_agent,
    });
    response
}
