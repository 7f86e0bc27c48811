//! Workload identity federation: a service principal presents a token from a trusted issuer (a
//! Kubernetes service account, a CI job) as its client assertion. `az login --federated-token TOKEN`
//! sends a given token; `AZURE_FEDERATED_TOKEN_FILE` (AKS workload identity) names a file that is re-read
//! as it rotates — azure_identity's `WorkloadIdentityCredential`, on our transport.

use super::{client_options, first_line, identity_token, ExpiringTokenSource};
use crate::cloud::Cloud;
use crate::error::{Error, Result};
use async_trait::async_trait;
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::ClientMethodOptions;
use std::sync::Arc;

pub struct Federated(Arc<dyn TokenCredential>);

/// Where the federated token comes from.
pub enum FederatedToken<'a> {
    Given(&'a str),
    File(&'a str),
}

impl Federated {
    pub fn new(
        cloud: &Cloud,
        http: crate::pipeline::Http,
        tenant: &str,
        client_id: &str,
        token: FederatedToken<'_>,
    ) -> Result<Self> {
        let credential_options = azure_identity::ClientAssertionCredentialOptions {
            client_options: client_options(cloud, http),
        };
        let made: azure_core::Result<Arc<dyn TokenCredential>> = match token {
            FederatedToken::Given(t) => azure_identity::ClientAssertionCredential::new(
                tenant.to_string(),
                client_id.to_string(),
                GivenToken(Secret::new(t.trim().to_string())),
                Some(credential_options),
            )
            .map(|c| c as Arc<dyn TokenCredential>),
            FederatedToken::File(path) => azure_identity::WorkloadIdentityCredential::new(Some(
                azure_identity::WorkloadIdentityCredentialOptions {
                    credential_options,
                    client_id: Some(client_id.to_string()),
                    tenant_id: Some(tenant.to_string()),
                    token_file_path: Some(path.into()),
                },
            ))
            .map(|c| c as Arc<dyn TokenCredential>),
        };
        let cred = made.map_err(|e| {
            Error::auth(format!(
                "Cannot create a workload identity credential for tenant '{tenant}': {}",
                first_line(&e.to_string())
            ))
        })?;
        Ok(Federated(cred))
    }
}

#[async_trait]
impl ExpiringTokenSource for Federated {
    async fn fetch(&self, scope: &str) -> Result<(Secret, i64)> {
        identity_token(&*self.0, scope).await
    }
}

/// The token `--federated-token` passed, sent as it is.
struct GivenToken(Secret);

impl std::fmt::Debug for GivenToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GivenToken(<hidden>)")
    }
}

#[async_trait]
impl azure_identity::ClientAssertion for GivenToken {
    async fn secret(
        &self,
        _options: Option<ClientMethodOptions<'_>>,
    ) -> azure_core::Result<String> {
        Ok(self.0.secret().to_string())
    }
}
