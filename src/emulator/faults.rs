//! Fault injection for reliability tests: rules matched by method and path pattern that answer
//! 429/5xx, drop the connection, delay the response, or make the operation a request starts fail or
//! never finish — on every matching request, every Nth, the next N, or with a probability drawn from a
//! seeded generator (so a run is reproducible).
//!
//! Faults run in a middleware inside the request log (every attempt is logged, with a `fault` field)
//! and, by default, before the handler, so a faulted request changes nothing. With `after: true` a
//! status or drop fault lets the handler run and persist first, then loses the answer — the case that
//! proves a retried PUT, `/share` or role assignment is exactly-once.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::lro::OperationFault;
use super::requestlog::LoggedCaller;
use super::server::Shared;

const STATUSES: [u16; 5] = [429, 500, 502, 503, 504];

/// What a rule does to a request it fires on.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Action {
    /// Answer this status; `retry_after` (seconds, may be fractional) adds `Retry-After` and `retry-after-ms`.
    Status {
        status: u16,
        #[serde(skip_serializing_if = "Option::is_none")]
        retry_after: Option<f64>,
    },
    /// Close the connection (HTTP/1.1) or reset the stream (HTTP/2) without an answer.
    Drop,
    /// Wait, then serve the request normally.
    Delay { delay_ms: u64 },
    /// Serve the request; the operation it starts ends `Failed` with this error.
    LroFail { code: String, message: String },
    /// Serve the request; the operation it starts stays `InProgress` forever.
    LroHang,
}

/// Which matching requests a rule fires on.
#[derive(Debug, Clone, PartialEq)]
enum Trigger {
    Always,
    EveryNth(u64),
    NextN(u64),
    Probability(f64),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rule {
    method: Option<String>,
    path: String,
    action: Action,
    trigger: Trigger,
    after: bool,
}

/// The JSON form of a rule, as `Options.faults` and `PUT /_emulator/faults` take it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    method: Option<String>,
    path: Option<String>,
    kind: String,
    status: Option<u16>,
    retry_after: Option<f64>,
    delay_ms: Option<u64>,
    code: Option<String>,
    message: Option<String>,
    every_nth: Option<u64>,
    next_n: Option<u64>,
    probability: Option<f64>,
    #[serde(default)]
    after: bool,
}

/// Parses and checks a list of rules; the message says which rule is wrong and why.
pub(crate) fn parse_rules(value: &Value) -> Result<Vec<Rule>, String> {
    let items = value
        .as_array()
        .ok_or_else(|| "faults must be a list of rules".to_string())?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| parse_rule(item).map_err(|e| format!("fault rule {i}: {e}")))
        .collect()
}

fn parse_rule(item: &Value) -> Result<Rule, String> {
    let raw: RawRule = serde_json::from_value(item.clone()).map_err(|e| e.to_string())?;
    let action = parse_action(&raw)?;
    let trigger = parse_trigger(&raw)?;
    if raw.after && !matches!(action, Action::Status { .. } | Action::Drop) {
        return Err("'after' applies only to the status and drop kinds".into());
    }
    let path = raw.path.clone().unwrap_or_else(|| "/**".to_string());
    if !path.starts_with('/') {
        return Err(format!("path pattern '{path}' must start with '/'"));
    }
    let method = match raw.method.as_deref() {
        None | Some("*") => None,
        Some(m) if !m.is_empty() && m.chars().all(|c| c.is_ascii_alphabetic()) => {
            Some(m.to_ascii_uppercase())
        }
        Some(m) => return Err(format!("method '{m}' is not an HTTP method")),
    };
    Ok(Rule {
        method,
        path,
        action,
        trigger,
        after: raw.after,
    })
}

fn parse_action(raw: &RawRule) -> Result<Action, String> {
    let unused = |fields: &[(&str, bool)]| -> Result<(), String> {
        match fields.iter().find(|(_, set)| *set) {
            Some((name, _)) => Err(format!("'{name}' does not apply to kind '{}'", raw.kind)),
            None => Ok(()),
        }
    };
    let status_fields = [
        ("status", raw.status.is_some()),
        ("retry_after", raw.retry_after.is_some()),
    ];
    let delay_fields = [("delay_ms", raw.delay_ms.is_some())];
    let lro_fields = [
        ("code", raw.code.is_some()),
        ("message", raw.message.is_some()),
    ];
    match raw.kind.as_str() {
        "status" => {
            unused(&delay_fields)?;
            unused(&lro_fields)?;
            let status = raw.status.ok_or("kind 'status' needs 'status'")?;
            if !STATUSES.contains(&status) {
                return Err(format!(
                    "status {status} is not one of 429, 500, 502, 503, 504"
                ));
            }
            if let Some(s) = raw.retry_after {
                if !(s.is_finite() && (0.0..=3600.0).contains(&s)) {
                    return Err(format!(
                        "retry_after {s} must be between 0 and 3600 seconds"
                    ));
                }
            }
            Ok(Action::Status {
                status,
                retry_after: raw.retry_after,
            })
        }
        "drop" | "lro_hang" => {
            unused(&status_fields)?;
            unused(&delay_fields)?;
            unused(&lro_fields)?;
            Ok(if raw.kind == "drop" {
                Action::Drop
            } else {
                Action::LroHang
            })
        }
        "delay" => {
            unused(&status_fields)?;
            unused(&lro_fields)?;
            let delay_ms = raw.delay_ms.ok_or("kind 'delay' needs 'delay_ms'")?;
            Ok(Action::Delay { delay_ms })
        }
        "lro_fail" => {
            unused(&status_fields)?;
            unused(&delay_fields)?;
            Ok(Action::LroFail {
                code: raw.code.clone().unwrap_or_else(|| "InternalError".into()),
                message: raw
                    .message
                    .clone()
                    .unwrap_or_else(|| "The operation failed (injected fault).".into()),
            })
        }
        other => Err(format!(
            "kind '{other}' is not one of status, drop, delay, lro_fail, lro_hang"
        )),
    }
}

fn parse_trigger(raw: &RawRule) -> Result<Trigger, String> {
    match (raw.every_nth, raw.next_n, raw.probability) {
        (None, None, None) => Ok(Trigger::Always),
        (Some(n), None, None) if n >= 1 => Ok(Trigger::EveryNth(n)),
        (None, Some(n), None) if n >= 1 => Ok(Trigger::NextN(n)),
        (None, None, Some(p)) if (0.0..=1.0).contains(&p) => Ok(Trigger::Probability(p)),
        (Some(_), None, None) => Err("every_nth must be at least 1".into()),
        (None, Some(_), None) => Err("next_n must be at least 1".into()),
        (None, None, Some(p)) => Err(format!("probability {p} must be between 0 and 1")),
        _ => Err("give at most one of every_nth, next_n and probability".into()),
    }
}

/// `*` matches within one path segment, `**` across segments, `?` one character; case-insensitive,
/// as ARM paths are.
pub(crate) fn glob_match(pattern: &str, path: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let s: Vec<char> = path.to_lowercase().chars().collect();
    // matches[j]: whether p[..i] matches s[..j], row by row over i.
    let mut matches = vec![false; s.len() + 1];
    matches[0] = true;
    let mut i = 0;
    while i < p.len() {
        let mut next = vec![false; s.len() + 1];
        if p[i] == '*' {
            let deep = p.get(i + 1) == Some(&'*');
            let mut reachable = false;
            for j in 0..=s.len() {
                // Once reached, a star extends over following characters (not '/', unless `**`).
                reachable = matches[j] || (reachable && j > 0 && (deep || s[j - 1] != '/'));
                next[j] = reachable;
            }
            i += if deep { 2 } else { 1 };
        } else {
            for j in 1..=s.len() {
                let one = if p[i] == '?' {
                    s[j - 1] != '/'
                } else {
                    p[i] == s[j - 1]
                };
                next[j] = matches[j - 1] && one;
            }
            i += 1;
        }
        matches = next;
    }
    matches[s.len()]
}

struct Armed {
    rule: Rule,
    matched: u64,
    fired: u64,
}

/// The rules in force, their counters and the seeded generator (one per emulator, behind a mutex).
pub(crate) struct Faults {
    rules: Vec<Armed>,
    seed: u64,
    rng: StdRng,
}

impl Faults {
    pub(crate) fn new(rules: Vec<Rule>, seed: u64) -> Faults {
        Faults {
            rules: rules
                .into_iter()
                .map(|rule| Armed {
                    rule,
                    matched: 0,
                    fired: 0,
                })
                .collect(),
            seed,
            rng: StdRng::seed_from_u64(seed),
        }
    }

    pub(crate) fn seed(&self) -> u64 {
        self.seed
    }

    /// The first rule that fires on this request, if any; counts matches and firings.
    fn decide(&mut self, method: &str, path: &str) -> Option<Rule> {
        for armed in &mut self.rules {
            let rule = &armed.rule;
            if rule.method.as_deref().is_some_and(|m| m != method) || !glob_match(&rule.path, path)
            {
                continue;
            }
            armed.matched += 1;
            let fire = match rule.trigger {
                Trigger::Always => true,
                Trigger::EveryNth(n) => armed.matched % n == 0,
                Trigger::NextN(n) => armed.fired < n,
                Trigger::Probability(p) => self.rng.random::<f64>() < p,
            };
            if fire {
                armed.fired += 1;
                return Some(rule.clone());
            }
        }
        None
    }

    /// The rules as JSON, with how often each matched and fired.
    pub(crate) fn to_json(&self) -> Value {
        let rules: Vec<Value> = self
            .rules
            .iter()
            .map(|a| {
                let mut v = serde_json::to_value(&a.rule.action).expect("actions serialize");
                v["method"] = json!(a.rule.method);
                v["path"] = json!(a.rule.path);
                match a.rule.trigger {
                    Trigger::Always => {}
                    Trigger::EveryNth(n) => v["every_nth"] = json!(n),
                    Trigger::NextN(n) => v["next_n"] = json!(n),
                    Trigger::Probability(p) => v["probability"] = json!(p),
                }
                v["after"] = json!(a.rule.after);
                v["matched"] = json!(a.matched);
                v["fired"] = json!(a.fired);
                v
            })
            .collect();
        json!({"rules": rules, "seed": self.seed})
    }
}

/// Attached to a response a fault produced or changed; the request log names it.
#[derive(Debug, Clone)]
pub(crate) struct AppliedFault {
    pub name: String,
    /// The seconds a `Retry-After` asked for.
    pub retry_after: Option<f64>,
    /// The connection is to be closed without an answer.
    pub dropped: bool,
}

impl Rule {
    fn name(&self) -> String {
        let base = match &self.action {
            Action::Status { status, .. } => format!("status:{status}"),
            Action::Drop => "drop".into(),
            Action::Delay { delay_ms } => format!("delay:{delay_ms}ms"),
            Action::LroFail { code, .. } => format!("lro_fail:{code}"),
            Action::LroHang => "lro_hang".into(),
        };
        if self.after {
            format!("{base}:after")
        } else {
            base
        }
    }

    fn applied(&self) -> AppliedFault {
        AppliedFault {
            name: self.name(),
            retry_after: match self.action {
                Action::Status { retry_after, .. } => retry_after,
                _ => None,
            },
            dropped: self.action == Action::Drop,
        }
    }
}

fn error_code(status: u16) -> &'static str {
    match status {
        429 => "TooManyRequests",
        500 => "InternalServerError",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        _ => "GatewayTimeout",
    }
}

/// The answer of a status fault, in ARM's error shape, with `Retry-After` (seconds, as given) and
/// `retry-after-ms` when the rule has one.
fn status_response(status: u16, retry_after: Option<f64>) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let body = json!({"error": {"code": error_code(status), "message": format!("The request failed with status {status} (injected fault). Retry the request later.")}});
    let mut response = (code, Json(body)).into_response();
    if let Some(secs) = retry_after {
        let headers = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            headers.insert("retry-after", v);
        }
        if let Ok(v) = HeaderValue::from_str(&((secs * 1000.0).ceil() as u64).to_string()) {
            headers.insert("retry-after-ms", v);
        }
    }
    response
}

/// The id of the operation a response started, from its `Azure-AsyncOperation` URL.
fn started_operation(response: &Response) -> Option<String> {
    let url = response
        .headers()
        .get("azure-asyncoperation")?
        .to_str()
        .ok()?;
    let path = url.split('?').next()?;
    Some(path.rsplit('/').next()?.to_string())
}

fn mark_operation(shared: &Shared, response: &Response, fault: OperationFault) {
    if let Some(id) = started_operation(response) {
        if let Some(op) = shared.world.lock().operations.get_mut(&id) {
            op.fault = Some(fault);
        }
        if let Err(e) = shared.persist_now() {
            log::error!("azure emulator: {e}");
        }
    }
}

fn tagged(mut response: Response, rule: &Rule, caller: Option<LoggedCaller>) -> Response {
    response.extensions_mut().insert(rule.applied());
    if let Some(caller) = caller {
        response.extensions_mut().insert(caller);
    }
    response
}

/// For an `after` rule, serves the request (so the write happens and is saved) and keeps only who made
/// it, for the log; the answer itself is lost.
async fn serve_if_after(rule: &Rule, request: Request, next: Next) -> Option<LoggedCaller> {
    if !rule.after {
        return None;
    }
    let response = next.run(request).await;
    response.extensions().get::<LoggedCaller>().cloned()
}

/// Middleware: applies the first rule that fires on the request.
pub(crate) async fn apply(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().as_str().to_string();
    let decided = shared.faults.lock().decide(&method, request.uri().path());
    let Some(rule) = decided else {
        return next.run(request).await;
    };
    match rule.action.clone() {
        Action::Status {
            status,
            retry_after,
        } => {
            let caller = serve_if_after(&rule, request, next).await;
            tagged(status_response(status, retry_after), &rule, caller)
        }
        Action::Drop => {
            let caller = serve_if_after(&rule, request, next).await;
            // The placeholder is never sent: the outer service turns it into a dropped connection.
            tagged(StatusCode::BAD_GATEWAY.into_response(), &rule, caller)
        }
        Action::Delay { delay_ms } => {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            let response = next.run(request).await;
            tagged(response, &rule, None)
        }
        Action::LroFail { code, message } => {
            let response = next.run(request).await;
            mark_operation(&shared, &response, OperationFault::Fail { code, message });
            tagged(response, &rule, None)
        }
        Action::LroHang => {
            let response = next.run(request).await;
            mark_operation(&shared, &response, OperationFault::Hang);
            tagged(response, &rule, None)
        }
    }
}

/// Whether the connection of this response must be dropped instead of answered.
pub(crate) fn must_drop(response: &Response) -> bool {
    response
        .extensions()
        .get::<AppliedFault>()
        .is_some_and(|f| f.dropped)
}

/// A seed for faults when none is given: fixed, so runs are reproducible by default.
pub(crate) const DEFAULT_SEED: u64 = 0x6761_6c6c_6572;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_segments_and_ignore_case() {
        assert!(glob_match(
            "/subscriptions/*/resourceGroups/*",
            "/SUBSCRIPTIONS/s1/resourcegroups/rg"
        ));
        assert!(!glob_match(
            "/subscriptions/*",
            "/subscriptions/s1/resourceGroups"
        ));
        assert!(glob_match(
            "/subscriptions/**",
            "/subscriptions/s1/resourceGroups/rg"
        ));
        assert!(glob_match(
            "/**/share",
            "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/galleries/g/share"
        ));
        assert!(glob_match("/**", "/"));
        assert!(glob_match("/v1.0/users?", "/v1.0/users1"));
        assert!(!glob_match("/v1.0/users?", "/v1.0/users/"));
        assert!(glob_match(
            "/**/galleries/*",
            "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/galleries/g"
        ));
        assert!(!glob_match(
            "/**/galleries/*",
            "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/galleries/g/images/i"
        ));
    }

    #[test]
    fn bad_rules_say_what_is_wrong() {
        let err = |v: Value| parse_rules(&v).unwrap_err();
        assert!(err(json!([{"kind": "status", "status": 404}])).contains("404 is not one of"));
        assert!(err(json!([{"kind": "boom"}])).contains("kind 'boom'"));
        assert!(err(json!([{"kind": "drop", "every_nth": 2, "next_n": 1}])).contains("at most one"));
        assert!(err(json!([{"kind": "drop", "probability": 1.5}])).contains("between 0 and 1"));
        assert!(err(json!([{"kind": "delay"}])).contains("needs 'delay_ms'"));
        assert!(err(json!([{"kind": "drop", "colour": 1}])).contains("unknown field"));
        assert!(err(json!([{"kind": "lro_hang", "after": true}])).contains("'after'"));
        assert!(err(json!({"kind": "drop"})).contains("list"));
        assert!(err(json!([{"kind": "drop", "path": "subscriptions"}])).contains("start with '/'"));
    }

    #[test]
    fn triggers_count_per_rule_and_probability_is_reproducible() {
        let rules = parse_rules(&json!([
            {"kind": "drop", "path": "/a", "every_nth": 3},
            {"kind": "status", "status": 503, "path": "/b", "next_n": 2},
            {"kind": "status", "status": 429, "path": "/c", "method": "get", "probability": 0.5}
        ]))
        .unwrap();
        let mut f = Faults::new(rules.clone(), 7);
        let a: Vec<bool> = (0..6).map(|_| f.decide("GET", "/a").is_some()).collect();
        assert_eq!(a, [false, false, true, false, false, true]);
        let b: Vec<bool> = (0..4).map(|_| f.decide("PUT", "/B").is_some()).collect();
        assert_eq!(b, [true, true, false, false]);
        assert!(f.decide("PUT", "/c").is_none());
        let draws = |seed| {
            let mut f = Faults::new(rules.clone(), seed);
            (0..200)
                .map(|_| f.decide("GET", "/c").is_some())
                .collect::<Vec<_>>()
        };
        assert_eq!(draws(1), draws(1));
        let fired = draws(1).iter().filter(|x| **x).count();
        assert!((60..140).contains(&fired), "{fired}");
        assert_eq!(f.to_json()["rules"][0]["fired"], 2);
    }
}
