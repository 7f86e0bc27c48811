//! The last policy: sends the request with reqwest.

use super::{Context, Policy, Request, Response};
use crate::error::{Error, ErrorKind, Result};
use async_trait::async_trait;
use std::sync::Arc;

pub struct Transport(pub super::Http);

#[async_trait]
impl Policy for Transport {
    async fn send(
        &self,
        _ctx: &Context<'_>,
        req: &mut Request,
        _next: &[Arc<dyn Policy>],
    ) -> Result<Response> {
        // A request made whole (its headers set as they are, not merged one by one into an empty map);
        // `req` stays for a retry.
        let mut request = reqwest::Request::new(req.method.clone(), req.url.clone());
        *request.headers_mut() = req.headers.clone();
        *request.body_mut() = req.body.clone().map(reqwest::Body::from);
        let mut resp = self
            .0
            .client()?
            .execute(request)
            .await
            .map_err(|e| classify(&e, req))?;
        let status = resp.status().as_u16();
        let headers = std::mem::take(resp.headers_mut());
        let body = resp.bytes().await.map_err(|e| {
            Error::new(
                ErrorKind::ServiceResponse,
                format!(
                    "The connection broke while reading the response of {} {}: {e}",
                    req.method,
                    redacted_url(req)
                ),
            )
        })?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// A request that never reached the service is a ServiceRequestError (safe to retry); one that broke
/// after sending is a ServiceResponseError.
fn classify(e: &reqwest::Error, req: &Request) -> Error {
    let kind = if e.is_connect() || e.is_builder() {
        ErrorKind::ServiceRequest
    } else {
        ErrorKind::ServiceResponse
    };
    let mut source = String::new();
    let mut cur: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = cur {
        source = s.to_string();
        cur = s.source();
    }
    let why = if source.is_empty() {
        e.to_string()
    } else {
        format!("{e}: {source}")
    };
    Error::new(
        kind,
        format!("{} {} failed: {why}", req.method, redacted_url(req)),
    )
}

/// URLs carry no secrets in ARM, but strip the query anyway: it is noise in messages.
pub fn redacted_url(req: &Request) -> String {
    let mut u = req.url.clone();
    u.set_query(None);
    u.to_string()
}
