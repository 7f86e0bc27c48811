//! Credentials: one per tenant (a credential serves one tenant, so cross-tenant work keeps one per login),
//! each caching its tokens per scope and refreshing them 5 minutes before expiry.
//!
//! Service principals with a secret use azure_identity's `ClientSecretCredential`, with a certificate its
//! `ClientAssertionCredential` (`certificate.rs`), with a workload identity token `federated.rs`, a managed identity `managed.rs`; a user's password uses the OAuth2 password grant, which
//! azure_identity does not offer, so `password.rs` does that one request. Any other token source (a Python
//! azure-identity credential, say) comes in as a `Credential` from outside, wrapped in `Cached`.

mod certificate;
mod federated;
mod managed;
mod password;
mod profile;

pub use certificate::{CertificateAssertion, ClientCertificate};
pub use federated::{Federated, FederatedToken};
pub use managed::{AzureCli, ManagedIdentity};
pub use password::UserPasswordCredential;
pub use profile::{Login, PrincipalKind, Profile, Subscription};

use crate::cloud::Cloud;
use crate::error::{Error, ErrorKind, Result};
use async_trait::async_trait;
use azure_core::credentials::{Secret, TokenCredential};
use std::sync::Arc;

/// Anything that can produce a bearer token for one tenant.
#[async_trait]
pub trait Credential: Send + Sync {
    async fn token(&self, scope: &str) -> Result<Secret>;
}

/// azure_identity's client-secret credential, on our transport (which trusts the cloud's CA, if any).
pub struct ClientSecret(Arc<azure_identity::ClientSecretCredential>);

impl ClientSecret {
    pub fn new(
        cloud: &Cloud,
        http: crate::pipeline::Http,
        tenant: &str,
        client_id: &str,
        secret: &str,
    ) -> Result<Self> {
        let options = azure_identity::ClientSecretCredentialOptions {
            client_options: client_options(cloud, http),
        };
        let cred = azure_identity::ClientSecretCredential::new(
            tenant,
            client_id.to_string(),
            Secret::new(secret.to_string()),
            Some(options),
        )
        .map_err(|e| {
            Error::auth(format!(
                "Cannot create a credential for tenant '{tenant}': {}",
                first_line(&e.to_string())
            ))
        })?;
        Ok(ClientSecret(cred))
    }
}

#[async_trait]
impl ExpiringTokenSource for ClientSecret {
    async fn fetch(&self, scope: &str) -> Result<(Secret, i64)> {
        identity_token(&*self.0, scope).await
    }
}

/// azure_identity options: the cloud's authority, our transport (which trusts the cloud's CA, if any).
fn client_options(cloud: &Cloud, http: crate::pipeline::Http) -> azure_core::http::ClientOptions {
    use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
    use azure_core::http::{ClientOptions, RetryOptions, Transport};
    let mut custom = CustomConfiguration::default();
    custom.authority_host = cloud.active_directory.trim_end_matches('/').to_string();
    ClientOptions {
        cloud: Some(Arc::new(CloudConfiguration::Custom(custom))),
        transport: Some(Transport::new(Arc::new(http))),
        // Our own pipeline decides about retries; azure_core's default retries TLS failures for a minute.
        retry: RetryOptions::none(),
        ..Default::default()
    }
}

/// A token from a source that does not cache (a Python callback), kept per scope until 5 minutes
/// before it expires, so the source is asked once an hour rather than per request.
pub struct Cached<S> {
    source: S,
    cache: parking_lot::Mutex<std::collections::HashMap<String, (Secret, i64)>>,
}

/// A token source that says when its token expires (unix seconds).
#[async_trait]
pub trait ExpiringTokenSource: Send + Sync {
    async fn fetch(&self, scope: &str) -> Result<(Secret, i64)>;
}

impl<S> Cached<S> {
    pub fn new(source: S) -> Self {
        Cached {
            source,
            cache: Default::default(),
        }
    }
}

#[async_trait]
impl<S: ExpiringTokenSource> Credential for Cached<S> {
    async fn token(&self, scope: &str) -> Result<Secret> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        if let Some((token, expires)) = self.cache.lock().get(scope) {
            if expires - 300 > now {
                return Ok(token.clone());
            }
        }
        let (token, expires) = self.source.fetch(scope).await?;
        self.cache
            .lock()
            .insert(scope.to_string(), (token.clone(), expires));
        Ok(token)
    }
}

/// The claims of a JWT access token, read without verifying it: only to route (which tenant, which
/// principal), never to trust. None when the token is not a readable JWT.
pub fn unverified_claims(token: &str) -> Option<serde_json::Value> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A token from any azure_identity credential and when it expires (unix seconds), its errors mapped to
/// ours. The credentials keep tokens too, but are asked through `Cached` all the same: reading their
/// cache is several times the cost of `Cached`'s, on every request.
async fn identity_token(cred: &dyn TokenCredential, scope: &str) -> Result<(Secret, i64)> {
    let token = cred
        .get_token(&[scope], None)
        .await
        .map_err(map_identity_error)?;
    Ok((token.token, token.expires_on.unix_timestamp()))
}

/// Turns an azure_identity error into ours, keeping Entra's AADSTS code and description.
fn map_identity_error(e: azure_core::Error) -> Error {
    use azure_core::error::ErrorKind as K;
    let text = first_line(&e.to_string());
    let mut err = match e.kind() {
        K::HttpResponse {
            status, error_code, ..
        } => {
            let mut err = Error::auth(text.clone());
            err.status = Some(u16::from(*status));
            if let Some(code) = error_code {
                err.service = Some(Box::new(crate::error::ServiceError {
                    code: code.clone(),
                    message: text.clone(),
                    ..Default::default()
                }));
            }
            err
        }
        K::Io | K::Connection => Error::new(ErrorKind::ServiceRequest, text),
        _ => Error::auth(text),
    };
    if err.message.is_empty() {
        err.message = "Authentication failed.".into();
    }
    err
}

pub(crate) fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counting(AtomicUsize, i64);

    #[async_trait]
    impl ExpiringTokenSource for Counting {
        async fn fetch(&self, scope: &str) -> Result<(Secret, i64)> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            Ok((Secret::new(format!("{scope}-{n}")), now + self.1))
        }
    }

    #[tokio::test]
    async fn cached_tokens_are_reused_until_five_minutes_before_expiry() {
        let hour = Cached::new(Counting(AtomicUsize::new(0), 3600));
        assert_eq!(hour.token("a").await.unwrap().secret(), "a-0");
        assert_eq!(hour.token("a").await.unwrap().secret(), "a-0");
        assert_eq!(hour.token("b").await.unwrap().secret(), "b-1");
        let short = Cached::new(Counting(AtomicUsize::new(0), 200));
        short.token("a").await.unwrap();
        assert_eq!(short.token("a").await.unwrap().secret(), "a-1");
    }

    #[test]
    fn claims_are_read_from_the_payload() {
        use base64::Engine;
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"tid":"t1"}"#);
        let claims = unverified_claims(&format!("h.{body}.s")).unwrap();
        assert_eq!(claims["tid"], "t1");
        assert!(unverified_claims("not-a-jwt").is_none());
    }
}
