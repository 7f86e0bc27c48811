//! `az login --identity [--username CLIENT_ID]` / `Connect-AzAccount -Identity [-AccountId CLIENT_ID]`:
//! azure_identity's `ManagedIdentityCredential` on our transport — App Service's endpoint when
//! `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` are set (the emulator serves one), IMDS on a VM otherwise.
//! Also the Azure CLI's login, reused (`AzureCli`): another identity the machine already has.

use super::{client_options, first_line, identity_token, map_identity_error, ExpiringTokenSource};
use crate::cloud::Cloud;
use crate::error::{Error, Result};
use async_trait::async_trait;
use azure_core::credentials::{Secret, TokenCredential};
use std::sync::Arc;

pub struct ManagedIdentity(Arc<azure_identity::ManagedIdentityCredential>);

impl ManagedIdentity {
    /// `client_id`: a user-assigned identity; None for the host's system-assigned one.
    pub fn new(
        cloud: &Cloud,
        http: crate::pipeline::Http,
        client_id: Option<&str>,
    ) -> Result<Self> {
        let options = azure_identity::ManagedIdentityCredentialOptions {
            user_assigned_id: client_id
                .map(|c| azure_identity::UserAssignedId::ClientId(c.to_string())),
            client_options: client_options(cloud, http),
        };
        let cred = azure_identity::ManagedIdentityCredential::new(Some(options)).map_err(|e| {
            Error::auth(format!(
                "Cannot use a managed identity here: {}",
                first_line(&e.to_string())
            ))
        })?;
        Ok(ManagedIdentity(cred))
    }
}

#[async_trait]
impl ExpiringTokenSource for ManagedIdentity {
    async fn fetch(&self, scope: &str) -> Result<(Secret, i64)> {
        identity_token(&*self.0, scope).await
    }
}

/// The Azure CLI's own login, reused: `az account get-access-token` per scope (azure_identity's
/// `AzureCliCredential`, which does not cache — `Cached` keeps each token until 5 minutes before expiry).
pub struct AzureCli(Arc<azure_identity::AzureCliCredential>);

impl AzureCli {
    pub fn new(tenant: Option<&str>) -> Result<Self> {
        let options = azure_identity::AzureCliCredentialOptions {
            tenant_id: tenant.map(str::to_string),
            ..Default::default()
        };
        let cred = azure_identity::AzureCliCredential::new(Some(options)).map_err(|e| {
            Error::invalid_param(
                "tenant",
                format!(
                    "Cannot use the Azure CLI's login: {}",
                    first_line(&e.to_string())
                ),
            )
        })?;
        Ok(AzureCli(cred))
    }
}

#[async_trait]
impl super::ExpiringTokenSource for AzureCli {
    async fn fetch(&self, scope: &str) -> Result<(Secret, i64)> {
        let token = self
            .0
            .get_token(&[scope], None)
            .await
            .map_err(map_identity_error)?;
        Ok((token.token, token.expires_on.unix_timestamp()))
    }
}
