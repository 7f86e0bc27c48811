//! Credentials: one per tenant (a credential serves one tenant, so cross-tenant work keeps one per login),
//! each caching its tokens per scope and refreshing them 5 minutes before expiry.
//!
//! Service principals with a secret use azure_identity's `ClientSecretCredential`; a user's password uses
//! the OAuth2 password grant, which azure_identity does not offer, so `password.rs` does that one request.

mod password;
mod profile;

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
        http: reqwest::Client,
        tenant: &str,
        client_id: &str,
        secret: &str,
    ) -> Result<Self> {
        use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
        use azure_core::http::{ClientOptions, RetryOptions, Transport};
        let mut custom = CustomConfiguration::default();
        custom.authority_host = cloud.active_directory.trim_end_matches('/').to_string();
        let client_options = ClientOptions {
            cloud: Some(Arc::new(CloudConfiguration::Custom(custom))),
            transport: Some(Transport::new(Arc::new(http))),
            // Our own pipeline decides about retries; azure_core's default retries TLS failures for a minute.
            retry: RetryOptions::none(),
            ..Default::default()
        };
        let options = azure_identity::ClientSecretCredentialOptions { client_options };
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
impl Credential for ClientSecret {
    async fn token(&self, scope: &str) -> Result<Secret> {
        let token = self
            .0
            .get_token(&[scope], None)
            .await
            .map_err(map_identity_error)?;
        Ok(token.token)
    }
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

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}
