//! The control plane under `/_emulator/`: loopback peers with the control key only; not logged.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::faults::{self, Faults};
use super::server::Shared;

/// Refuses non-loopback peers and requests without the right `x-emulator-key`.
async fn guard(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let key_ok = request
        .headers()
        .get("x-emulator-key")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|k| constant_time_eq(k.as_bytes(), shared.control_key.as_bytes()));
    if !peer.ip().is_loopback() || !key_ok {
        let body = json!({"error": {"code": "Forbidden", "message": "The emulator control plane needs a loopback peer and the x-emulator-key header."}});
        return (StatusCode::FORBIDDEN, Json(body)).into_response();
    }
    next.run(request).await
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn requests(State(shared): State<Arc<Shared>>) -> Response {
    Json(json!({ "value": shared.log.entries() })).into_response()
}

async fn clear_requests(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.log.clear();
    StatusCode::NO_CONTENT
}

async fn reset(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.reset();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct ConfigUpdate {
    lro_delay_ms: Option<u64>,
    page_size: Option<usize>,
}

async fn config(State(shared): State<Arc<Shared>>, Json(update): Json<ConfigUpdate>) -> Response {
    let mut config = shared.config.lock();
    if let Some(ms) = update.lro_delay_ms {
        config.lro_delay = Duration::from_millis(ms);
    }
    if let Some(n) = update.page_size {
        config.page_size = n.max(1);
    }
    Json(
        json!({"lro_delay_ms": config.lro_delay.as_millis() as u64, "page_size": config.page_size}),
    )
    .into_response()
}

/// `PUT /_emulator/faults`: `{"rules": [...], "seed": N}` (or just the list) replaces the rules.
async fn set_faults(State(shared): State<Arc<Shared>>, Json(body): Json<Value>) -> Response {
    let (rules, seed) = match &body {
        Value::Array(_) => (body.clone(), None),
        _ => (
            body.get("rules").cloned().unwrap_or(Value::Null),
            body.get("seed").and_then(Value::as_u64),
        ),
    };
    match faults::parse_rules(&rules) {
        Ok(parsed) => {
            let seed = seed.unwrap_or_else(|| shared.faults.lock().seed());
            let mut state = shared.faults.lock();
            *state = Faults::new(parsed, seed);
            Json(state.to_json()).into_response()
        }
        Err(message) => {
            let body = json!({"error": {"code": "InvalidFaultRule", "message": message}});
            (StatusCode::BAD_REQUEST, Json(body)).into_response()
        }
    }
}

async fn get_faults(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.faults.lock().to_json()).into_response()
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> StatusCode {
    let mut state = shared.faults.lock();
    *state = Faults::new(vec![], state.seed());
    StatusCode::NO_CONTENT
}

async fn directory(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.directory.to_json(true)).into_response()
}

/// Tokens this emulator signed, by emulator (its control key), newest last, at most `ISSUED_MAX` each.
/// Only for leak tests (`GET /_emulator/issued-tokens`): they are short-lived tokens of this emulator.
static ISSUED: std::sync::LazyLock<
    parking_lot::Mutex<std::collections::HashMap<String, Vec<String>>>,
> = std::sync::LazyLock::new(Default::default);
const ISSUED_MAX: usize = 10_000;

/// Called by the token endpoint for every access token it signs.
pub(crate) fn record_issued_token(shared: &Shared, token: &str) {
    let mut all = ISSUED.lock();
    let mine = all.entry(shared.control_key.clone()).or_default();
    if mine.len() == ISSUED_MAX {
        mine.remove(0);
    }
    mine.push(token.to_string());
}

async fn issued_tokens(State(shared): State<Arc<Shared>>) -> Response {
    let tokens = ISSUED
        .lock()
        .get(&shared.control_key)
        .cloned()
        .unwrap_or_default();
    Json(json!({ "value": tokens })).into_response()
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_emulator/requests", get(requests).delete(clear_requests))
        .route("/_emulator/reset", post(reset))
        .route("/_emulator/config", put(config))
        .route("/_emulator/directory", get(directory))
        .route("/_emulator/issued-tokens", get(issued_tokens))
        .route(
            "/_emulator/faults",
            get(get_faults).put(set_faults).delete(clear_faults),
        )
        .route_layer(middleware::from_fn_with_state(shared.clone(), guard))
        .with_state(shared)
}
