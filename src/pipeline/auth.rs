//! Bearer auth: the token for the request's tenant, plus auxiliary tokens for other tenants.
//! Tokens are only ever sent over https.

use super::{next, Auth, Context, Policy, Request, Response};
use crate::error::{Error, ErrorKind, Result};
use async_trait::async_trait;
use azure_core::credentials::Secret;
use reqwest::header::{HeaderValue, AUTHORIZATION};
use std::sync::Arc;

/// Where tokens come from (the session's logins).
#[async_trait]
pub trait TokenProvider: Send + Sync {
    async fn arm_token(&self, tenant: &str) -> Result<Secret>;
    async fn graph_token(&self, tenant: &str) -> Result<Secret>;
    /// Separator between auxiliary tokens: ", " for the CLI mirror, ";" for PowerShell.
    fn aux_separator(&self) -> &str {
        ", "
    }
}

pub struct AuthPolicy;

#[async_trait]
impl Policy for AuthPolicy {
    async fn send(
        &self,
        ctx: &Context<'_>,
        req: &mut Request,
        rest: &[Arc<dyn Policy>],
    ) -> Result<Response> {
        let token = match &req.auth {
            Auth::None => None,
            Auth::Arm(t) => Some(ctx.tokens.arm_token(t).await?),
            Auth::Graph(t) => Some(ctx.tokens.graph_token(t).await?),
        };
        if let Some(token) = token {
            if req.url.scheme() != "https" {
                return Err(Error::new(
                    ErrorKind::ServiceRequest,
                    "Refusing to send a bearer token over plain http; use https.",
                ));
            }
            req.headers.insert(
                AUTHORIZATION,
                sensitive(&format!("Bearer {}", token.secret()))?,
            );
            if !req.aux_tenants.is_empty() {
                let mut parts = Vec::with_capacity(req.aux_tenants.len());
                for tenant in req.aux_tenants.iter().take(3) {
                    parts.push(format!(
                        "Bearer {}",
                        ctx.tokens.arm_token(tenant).await?.secret()
                    ));
                }
                let value = sensitive(&parts.join(ctx.tokens.aux_separator()))?;
                req.headers.insert("x-ms-authorization-auxiliary", value);
            }
        }
        next(ctx, req, rest).await
    }
}

/// Header values holding tokens are marked sensitive so no Debug output prints them.
fn sensitive(value: &str) -> Result<HeaderValue> {
    let mut v = HeaderValue::from_str(value)
        .map_err(|_| Error::auth("The token contains characters not allowed in a header."))?;
    v.set_sensitive(true);
    Ok(v)
}
