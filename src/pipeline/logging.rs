//! Request/response lines at DEBUG under the `galleryshare` logger, with credentials redacted.

use super::{next, Context, Policy, Request, Response};
use crate::error::Result;
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Instant;

pub const TARGET: &str = "galleryshare::http";
const REDACTED: &[&str] = &[
    "authorization",
    "x-ms-authorization-auxiliary",
    "cookie",
    "set-cookie",
];

pub struct LoggingPolicy;

#[async_trait]
impl Policy for LoggingPolicy {
    async fn send(
        &self,
        ctx: &Context<'_>,
        req: &mut Request,
        rest: &[Arc<dyn Policy>],
    ) -> Result<Response> {
        let enabled = log::log_enabled!(target: TARGET, log::Level::Debug);
        if enabled {
            log::debug!(target: TARGET, "Request: {} {}", req.method, req.url);
            for (name, value) in &req.headers {
                log::debug!(target: TARGET, "    {}: {}", name, shown(name.as_str(), value.to_str().unwrap_or("<binary>")));
            }
        }
        let start = Instant::now();
        let result = next(ctx, req, rest).await;
        if enabled {
            match &result {
                Ok(resp) => {
                    log::debug!(target: TARGET, "Response: {} from {} {} in {:.1} ms", resp.status, req.method, req.url.path(), start.elapsed().as_secs_f64() * 1e3)
                }
                Err(e) => log::debug!(target: TARGET, "No response: {e}"),
            }
        }
        result
    }
}

fn shown<'a>(name: &str, value: &'a str) -> &'a str {
    if REDACTED.iter().any(|r| name.eq_ignore_ascii_case(r)) {
        "REDACTED"
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn credentials_are_redacted() {
        assert_eq!(super::shown("Authorization", "Bearer x"), "REDACTED");
        assert_eq!(
            super::shown("x-ms-authorization-auxiliary", "Bearer y"),
            "REDACTED"
        );
        assert_eq!(
            super::shown("content-type", "application/json"),
            "application/json"
        );
    }
}
