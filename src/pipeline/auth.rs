//! Bearer auth: the token for the request's tenant, plus auxiliary tokens for other tenants.
//! Tokens are only ever sent over https (or to a loopback http endpoint the cloud opted into).

use super::{next, Auth, Context, Policy, Request, Response};
use crate::error::{Error, ErrorKind, Result};
use async_trait::async_trait;
use azure_core::credentials::Secret;
use reqwest::header::{HeaderValue, AUTHORIZATION};
use std::sync::Arc;
use url::Url;

/// Where tokens come from (the session's logins).
#[async_trait]
pub trait TokenProvider: Send + Sync {
    async fn arm_token(&self, tenant: &str) -> Result<Secret>;
    async fn graph_token(&self, tenant: &str) -> Result<Secret>;
    /// Separator between auxiliary tokens: ", " for the CLI mirror, ";" for PowerShell.
    fn aux_separator(&self) -> &str {
        ", "
    }
    /// Whether the cloud opted into plain http for loopback endpoints (see `check_secure`).
    fn allow_http_loopback(&self) -> bool {
        false
    }
}

/// Tokens and secrets go only over https, or over http to a loopback host when the cloud opted in.
/// Checked before a token is even requested, so a bad endpoint costs no request.
pub fn check_secure(url: &Url, allow_http_loopback: bool) -> Result<()> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_http_loopback && is_loopback(url) => Ok(()),
        "http" if is_loopback(url) => Err(Error::new(
            ErrorKind::ServiceRequest,
            format!("Refusing to send a bearer token or secret over plain http to {}; this loopback endpoint needs Cloud(..., allow_http_loopback=True).", origin(url)),
        )),
        _ => Err(Error::new(
            ErrorKind::ServiceRequest,
            format!("Refusing to send a bearer token or secret over plain http to {}; use https.", origin(url)),
        )),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// Puts the bearer token (and any auxiliary tokens) on each request.
#[derive(Default)]
pub struct AuthPolicy {
    /// The last `Authorization` value built and the token in it: reused while the credential hands out
    /// the same token, since formatting and checking a ~1.5 KB header value is most of this policy's work.
    last: parking_lot::Mutex<Option<(Secret, HeaderValue)>>,
}

impl AuthPolicy {
    fn bearer(&self, token: Secret) -> Result<HeaderValue> {
        let mut last = self.last.lock();
        if let Some((t, header)) = last.as_ref() {
            if t.secret() == token.secret() {
                return Ok(header.clone());
            }
        }
        let header = sensitive(&format!("Bearer {}", token.secret()))?;
        *last = Some((token, header.clone()));
        Ok(header)
    }
}

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
            req.headers.insert(AUTHORIZATION, self.bearer(token)?);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_go_over_https_or_an_opted_in_loopback_only() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(check_secure(&u("https://example.com/x"), false).is_ok());
        assert!(check_secure(&u("http://example.invalid/x"), true).is_err());
        assert!(check_secure(&u("http://127.0.0.1:8080/x"), false).is_err());
        assert!(check_secure(&u("http://127.0.0.1:8080/x"), true).is_ok());
        assert!(check_secure(&u("http://[::1]:8080/x"), true).is_ok());
        assert!(check_secure(&u("http://localhost/x"), true).is_ok());
        assert!(check_secure(&u("http://localhost.example.com/x"), true).is_err());
        assert!(check_secure(&u("ftp://127.0.0.1/x"), true).is_err());
    }
}
