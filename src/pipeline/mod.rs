//! The request pipeline: an ordered list of policies ending in the transport, as in azure-core.
//! Order: request id → retry → (per try) auth → logging → transport.

pub mod auth;
mod http;
mod logging;
pub mod lro;
pub mod pager;
mod retry;
mod transport;

pub use auth::TokenProvider;
pub use http::{in_local_pool, Http, LocalPool};
pub use logging::TARGET as LOG_TARGET;
#[cfg(test)]
pub(crate) use retry::parse_retry_after;
pub use retry::RetryOptions;

use crate::error::Result;
use async_trait::async_trait;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;
use std::sync::Arc;
use url::Url;

/// Which token a request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    /// An ARM token for this tenant.
    Arm(String),
    /// A Microsoft Graph token for this tenant.
    Graph(String),
}

#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Option<bytes::Bytes>,
    pub auth: Auth,
    /// Tenants whose tokens go in `x-ms-authorization-auxiliary` (at most 3).
    pub aux_tenants: Vec<String>,
    /// Whether sending it twice is harmless (GET/PUT/DELETE, and the `/share` POST).
    pub idempotent: bool,
}

impl Request {
    pub fn new(method: Method, url: Url, auth: Auth) -> Self {
        let idempotent = method != Method::POST && method != Method::PATCH;
        Request {
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            auth,
            aux_tenants: vec![],
            idempotent,
        }
    }

    pub fn json(mut self, body: &serde_json::Value) -> Self {
        self.headers.insert(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        self.body = Some(bytes::Bytes::from(
            serde_json::to_vec(body).expect("JSON values serialize"),
        ));
        self
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.insert(HeaderName::from_static(name), v);
        }
        self
    }
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> Result<serde_json::Value> {
        Response::parse(&self.body)
    }

    /// A body as a value: no body is null.
    pub fn parse(body: &[u8]) -> Result<serde_json::Value> {
        if body.is_empty() {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_slice(body).map_err(unreadable_json)
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A body that is not JSON: the service's fault, reported as such.
pub fn unreadable_json(e: serde_json::Error) -> crate::error::Error {
    crate::error::Error::new(
        crate::error::ErrorKind::ServiceResponse,
        format!("The service returned unreadable JSON: {e}"),
    )
}

/// One step of the pipeline; it calls `next` to go on.
#[async_trait]
pub trait Policy: Send + Sync {
    async fn send(
        &self,
        ctx: &Context<'_>,
        req: &mut Request,
        next: &[Arc<dyn Policy>],
    ) -> Result<Response>;
}

/// What policies may consult while sending.
pub struct Context<'a> {
    pub tokens: &'a dyn TokenProvider,
}

/// Calls the first policy of `chain`, handing it the rest.
pub async fn next(
    ctx: &Context<'_>,
    req: &mut Request,
    chain: &[Arc<dyn Policy>],
) -> Result<Response> {
    let (first, rest) = chain
        .split_first()
        .expect("the pipeline ends in a transport");
    first.send(ctx, req, rest).await
}

pub struct Pipeline {
    policies: Vec<Arc<dyn Policy>>,
}

impl Pipeline {
    pub fn new(http: Http, retry: RetryOptions) -> Self {
        Pipeline {
            policies: vec![
                Arc::new(retry::RetryPolicy::new(retry)),
                Arc::new(auth::AuthPolicy::default()),
                Arc::new(logging::LoggingPolicy),
                Arc::new(transport::Transport(http)),
            ],
        }
    }

    pub async fn send(&self, ctx: &Context<'_>, mut req: Request) -> Result<Response> {
        // Before the retry policy: a refused endpoint is a mistake, not a transient failure.
        if req.auth != Auth::None {
            auth::check_secure(&req.url, ctx.tokens.allow_http_loopback())?;
        }
        next(ctx, &mut req, &self.policies).await
    }
}
