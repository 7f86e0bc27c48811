//! Long-running operations, as ARM runs them: poll `Azure-AsyncOperation`, else `Location`, else the
//! resource's `provisioningState`; honour Retry-After; then fetch the final result (the resource for
//! PUT/PATCH, the Location for POST). The state is plain data so it can be resumed from a JSON token.

use crate::client::Client;
use crate::error::{Error, ErrorKind, Result, ServiceError};
use crate::pipeline::{Auth, Request, Response};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;
use url::Url;

pub const TOKEN_VERSION: u32 = 1;
const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PollState {
    pub v: u32,
    pub method: String,
    pub resource_url: String,
    pub async_url: Option<String>,
    pub location_url: Option<String>,
    pub tenant: String,
    pub status: String,
    pub retry_after_ms: Option<u64>,
    /// The final result, once fetched.
    pub result: Option<Value>,
    pub error: Option<FailedOperation>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FailedOperation {
    pub code: String,
    pub message: String,
}

pub fn is_terminal(status: &str) -> bool {
    ["succeeded", "failed", "canceled", "cancelled"].contains(&status.to_ascii_lowercase().as_str())
}

impl PollState {
    /// Reads the first response of a long-running call.
    pub fn from_initial(
        method: &Method,
        resource_url: &Url,
        tenant: &str,
        resp: &Response,
    ) -> Result<PollState> {
        let body = resp.json()?;
        let async_url = resp.header("azure-asyncoperation").map(str::to_string);
        let location_url = resp.header("location").map(str::to_string);
        let provisioning = body
            .pointer("/properties/provisioningState")
            .and_then(Value::as_str);
        let status = if async_url.is_some() || location_url.is_some() {
            "InProgress".to_string()
        } else {
            match provisioning {
                Some(p) if !is_terminal(p) && *method != Method::DELETE => "InProgress".to_string(),
                Some(p) if !p.eq_ignore_ascii_case("succeeded") => p.to_string(),
                _ => "Succeeded".to_string(),
            }
        };
        let done = status.eq_ignore_ascii_case("succeeded");
        Ok(PollState {
            v: TOKEN_VERSION,
            method: method.to_string(),
            resource_url: resource_url.to_string(),
            async_url,
            location_url,
            tenant: tenant.to_string(),
            status,
            retry_after_ms: super::retry::retry_after(resp).map(|d| d.as_millis() as u64),
            result: done.then_some(body),
            error: None,
        })
    }

    pub fn to_token(&self) -> String {
        serde_json::to_string(self).expect("poll state serializes")
    }

    pub fn from_token(token: &str) -> Result<PollState> {
        let state: PollState = serde_json::from_str(token).map_err(|e| {
            Error::invalid_param(
                "continuation_token",
                format!("Not a galleryshare continuation token: {e}"),
            )
        })?;
        if state.v != TOKEN_VERSION {
            return Err(Error::invalid_param(
                "continuation_token",
                format!(
                    "Continuation token version {} is not supported (expected {TOKEN_VERSION}).",
                    state.v
                ),
            ));
        }
        Ok(state)
    }

    pub fn done(&self) -> bool {
        is_terminal(&self.status)
            && (self.result.is_some()
                || self.error.is_some()
                || !self.status.eq_ignore_ascii_case("succeeded"))
    }

    pub fn next_delay(&self) -> Duration {
        self.retry_after_ms
            .map(Duration::from_millis)
            .unwrap_or(DEFAULT_INTERVAL)
    }

    /// One status check.
    pub async fn poll_once(&mut self, client: &Client) -> Result<()> {
        if is_terminal(&self.status) {
            return self.finish(client).await;
        }
        let (url, kind) = match (&self.async_url, &self.location_url) {
            (Some(a), _) => (a.clone(), Probe::AsyncOperation),
            (None, Some(l)) => (l.clone(), Probe::Location),
            (None, None) => (self.resource_url.clone(), Probe::Resource),
        };
        let resp = client.send_raw(get(&url, &self.tenant)?).await?;
        self.retry_after_ms = super::retry::retry_after(&resp).map(|d| d.as_millis() as u64);
        if !resp.is_success() {
            return Err(Error::from_response(resp.status, &resp.body));
        }
        let body = resp.json()?;
        self.status = match kind {
            Probe::AsyncOperation => body
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or("InProgress")
                .to_string(),
            Probe::Location if resp.status == 202 => "InProgress".into(),
            Probe::Location => {
                self.result = Some(body.clone());
                "Succeeded".into()
            }
            Probe::Resource => body
                .pointer("/properties/provisioningState")
                .and_then(Value::as_str)
                .unwrap_or("Succeeded")
                .to_string(),
        };
        if let Some(err) = body.get("error") {
            self.error = Some(FailedOperation {
                code: err
                    .get("code")
                    .and_then(Value::as_str)
                    .unwrap_or("OperationFailed")
                    .to_string(),
                message: err
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            });
        }
        if is_terminal(&self.status) {
            self.finish(client).await?;
        }
        Ok(())
    }

    /// Fetches the final result once the operation succeeded, or turns a failure into an error.
    async fn finish(&mut self, client: &Client) -> Result<()> {
        if !self.status.eq_ignore_ascii_case("succeeded") {
            return Err(self.failure());
        }
        if self.result.is_some() {
            return Ok(());
        }
        let final_url = match self.method.as_str() {
            "PUT" | "PATCH" => Some(self.resource_url.clone()),
            "POST" => self.location_url.clone(),
            _ => None,
        };
        self.result = Some(match final_url {
            Some(url) => {
                let resp = client.send_raw(get(&url, &self.tenant)?).await?;
                if !resp.is_success() {
                    return Err(Error::from_response(resp.status, &resp.body));
                }
                resp.json()?
            }
            None => Value::Null,
        });
        Ok(())
    }

    pub fn failure(&self) -> Error {
        let failed = self.error.clone().unwrap_or(FailedOperation {
            code: "OperationFailed".into(),
            message: format!("The operation ended in state '{}'.", self.status),
        });
        let mut e = Error::new(
            ErrorKind::HttpResponse,
            format!("({}) {}", failed.code, failed.message),
        );
        e.service = Some(Box::new(ServiceError {
            code: failed.code,
            message: failed.message,
            ..Default::default()
        }));
        e
    }

    /// Polls until done, honouring Retry-After, then returns the final result.
    pub async fn wait(&mut self, client: &Client) -> Result<Value> {
        while !self.done() {
            crate::progress::report(&self.status);
            if !is_terminal(&self.status) {
                tokio::time::sleep(self.next_delay()).await;
            }
            self.poll_once(client).await?;
        }
        if !self.status.eq_ignore_ascii_case("succeeded") {
            return Err(self.failure());
        }
        Ok(self.result.clone().unwrap_or(Value::Null))
    }
}

enum Probe {
    AsyncOperation,
    Location,
    Resource,
}

fn get(url: &str, tenant: &str) -> Result<Request> {
    let url = Url::parse(url).map_err(|e| {
        Error::new(
            ErrorKind::ServiceResponse,
            format!("The service sent an unusable polling URL '{url}': {e}"),
        )
    })?;
    Ok(Request::new(
        Method::GET,
        url,
        Auth::Arm(tenant.to_string()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn resp(status: u16, headers: &[(&'static str, &str)], body: &str) -> Response {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        Response {
            status,
            headers: h,
            body: bytes::Bytes::from(body.to_string()),
        }
    }

    #[test]
    fn initial_response_with_async_header_is_in_progress() {
        let url = Url::parse("https://x/r").unwrap();
        let r = resp(
            202,
            &[
                ("azure-asyncoperation", "https://x/op"),
                ("retry-after", "2"),
            ],
            "",
        );
        let s = PollState::from_initial(&Method::POST, &url, "t", &r).unwrap();
        assert_eq!(s.status, "InProgress");
        assert_eq!(s.async_url.as_deref(), Some("https://x/op"));
        assert_eq!(s.next_delay(), Duration::from_secs(2));
        assert!(!s.done());
        let back = PollState::from_token(&s.to_token()).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn plain_200_is_done_with_its_body() {
        let url = Url::parse("https://x/r").unwrap();
        let r = resp(
            200,
            &[],
            r#"{"properties":{"provisioningState":"Succeeded"}}"#,
        );
        let s = PollState::from_initial(&Method::PUT, &url, "t", &r).unwrap();
        assert!(s.done());
    }

    #[test]
    fn tokens_of_other_versions_are_refused() {
        assert!(PollState::from_token(r#"{"v":9}"#).is_err());
        assert!(PollState::from_token("nonsense").is_err());
    }
}
