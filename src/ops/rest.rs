//! `az rest`: any ARM or Microsoft Graph request (the REST tab of the docs), with the login's token for
//! the right tenant, the pipeline's retries, and long-running responses polled to the end.

use super::{long_running, Outcome, Shape};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::pipeline::{Auth, Request};
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use url::Url;

#[derive(Deserialize)]
pub struct RestArgs {
    pub method: Option<String>,
    pub url: String,
    pub body: Option<Value>,
    pub headers: Option<BTreeMap<String, String>>,
    pub subscription: Option<String>,
    #[serde(default)]
    pub skip_authorization_header: bool,
    #[serde(default)]
    pub no_wait: bool,
}

pub async fn rest(client: &Client, a: RestArgs) -> Result<Outcome> {
    let method = method(a.method.as_deref().unwrap_or("get"))?;
    let sub = client.subscription(a.subscription.as_deref()).ok();
    let url = url(client, &a.url, sub.as_ref().map(|s| s.id.as_str()))?;
    let auth = if a.skip_authorization_header {
        Auth::None
    } else {
        auth_for(client, &url, sub.as_ref().map(|s| s.tenant_id.as_str()))?
    };
    let mut req = Request::new(method.clone(), url.clone(), auth.clone());
    if let Some(body) = &a.body {
        req = req.json(&body_json(body)?);
    }
    for (name, value) in a.headers.iter().flatten() {
        let (n, v) = header(name, value)?;
        req.headers.insert(n, v);
    }
    let Auth::Arm(tenant) = &auth else {
        // Graph and unauthenticated calls have no long-running protocol: the body is the answer.
        return Ok(Outcome::Value(client.send(req).await?.json()?));
    };
    if method == Method::GET || method == Method::HEAD {
        return Ok(Outcome::Value(client.send(req).await?.json()?));
    }
    let sub = crate::credentials::Subscription {
        id: String::new(),
        name: String::new(),
        tenant_id: tenant.clone(),
        state: String::new(),
        login: 0,
    };
    long_running(client, &sub, req, a.no_wait, Shape::Raw).await
}

fn method(m: &str) -> Result<Method> {
    const ALLOWED: [&str; 7] = ["delete", "get", "head", "options", "patch", "post", "put"];
    let lower = m.to_ascii_lowercase();
    if !ALLOWED.contains(&lower.as_str()) {
        return Err(Error::invalid_param(
            "method",
            format!(
                "argument --method/-m: invalid choice: '{m}' (choose from {})",
                ALLOWED.map(|a| format!("'{a}'")).join(", ")
            ),
        ));
    }
    Ok(Method::from_bytes(lower.to_ascii_uppercase().as_bytes()).expect("a known method"))
}

/// An absolute URL, or a path on the cloud's ARM endpoint; `{subscriptionId}` is replaced by the
/// current subscription, as `az rest` does.
fn url(client: &Client, raw: &str, subscription: Option<&str>) -> Result<Url> {
    let mut text = raw.trim().to_string();
    if text.contains("{subscriptionId}") {
        let id = subscription.ok_or_else(|| {
            Error::invalid_param(
                "url",
                "The url has {subscriptionId} but there is no current subscription: run az.login(...) first.",
            )
        })?;
        text = text.replace("{subscriptionId}", id);
    }
    if text.starts_with('/') {
        text = format!("{}{text}", client.cloud.arm());
    }
    match Url::parse(&text) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && u.has_host() => Ok(u),
        _ => Err(Error::invalid_param(
            "url",
            format!("argument --url/--uri/-u: '{raw}' is not an absolute http(s) URL or a path starting with '/'"),
        )),
    }
}

/// The token the URL's host takes: ARM (for the tenant of the subscription in the path when the logins
/// know it) or Microsoft Graph; any other host needs `skip_authorization_header`.
fn auth_for(client: &Client, url: &Url, default_tenant: Option<&str>) -> Result<Auth> {
    let same_host = |base: &str| {
        Url::parse(base)
            .ok()
            .and_then(|b| b.host_str().map(str::to_string))
    };
    let host = url.host_str().map(str::to_string);
    let tenant_in_path = subscription_in_path(url).and_then(|s| client.tenant_of_subscription(&s));
    let tenant = tenant_in_path
        .or(default_tenant.map(str::to_string))
        .ok_or_else(|| {
            Error::new(
                crate::error::ErrorKind::Authentication,
                "Please run az.login(...) to set up an account.",
            )
        })?;
    // Graph first: a cloud may serve both from one host (the emulator does), told apart by Graph's
    // versioned paths.
    let graph_path = url.path().starts_with("/v1.0/") || url.path().starts_with("/beta/");
    let graph_host = host.is_some() && host == same_host(&client.cloud.microsoft_graph);
    let arm_host = host.is_some() && host == same_host(client.cloud.arm());
    if graph_host && (graph_path || !arm_host) {
        Ok(Auth::Graph(tenant))
    } else if arm_host {
        Ok(Auth::Arm(tenant))
    } else {
        Err(Error::invalid_param(
            "url",
            "Can't derive appropriate Azure AD resource from --url to acquire an access token. \
             If access token is required, use --resource to specify the resource",
        ))
    }
}

fn subscription_in_path(url: &Url) -> Option<String> {
    let mut segs = url.path_segments()?;
    while let Some(s) = segs.next() {
        if s.eq_ignore_ascii_case("subscriptions") {
            return segs.next().filter(|s| !s.is_empty()).map(str::to_string);
        }
    }
    None
}

/// A body given as an object or list is sent as JSON; a string must itself be JSON, as with `--body`.
fn body_json(body: &Value) -> Result<Value> {
    match body {
        Value::String(s) => serde_json::from_str(s).map_err(|e| {
            Error::invalid_param("body", format!("argument --body/-b: not valid JSON: {e}"))
        }),
        other => Ok(other.clone()),
    }
}

fn header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue)> {
    let bad = |what: &str| Error::invalid_param("headers", format!("argument --headers: {what}"));
    let n = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| bad(&format!("'{name}' is not a valid header name")))?;
    if n == reqwest::header::AUTHORIZATION {
        return Err(bad(
            "Authorization is set from the login; it cannot be given",
        ));
    }
    let v = HeaderValue::from_str(value).map_err(|_| {
        bad(&format!(
            "the value of '{name}' is not a valid header value"
        ))
    })?;
    Ok((n, v))
}
