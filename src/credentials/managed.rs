//! `az login --identity [--username CLIENT_ID]` / `Connect-AzAccount -Identity [-AccountId CLIENT_ID]`:
//! azure_identity's `ManagedIdentityCredential` on our transport — App Service's endpoint when
//! `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` are set (the emulator serves one), IMDS on a VM otherwise.

use super::{client_options, first_line, map_identity_error, Credential};
use crate::cloud::Cloud;
use crate::error::{Error, Result};
use async_trait::async_trait;
use azure_core::credentials::{Secret, TokenCredential};
use std::sync::Arc;

pub struct ManagedIdentity(Arc<azure_identity::ManagedIdentityCredential>);

impl ManagedIdentity {
    /// `client_id`: a user-assigned identity; None for the host's system-assigned one.
    pub fn new(cloud: &Cloud, http: reqwest::Client, client_id: Option<&str>) -> Result<Self> {
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
impl Credential for ManagedIdentity {
    async fn token(&self, scope: &str) -> Result<Secret> {
        let token = self
            .0
            .get_token(&[scope], None)
            .await
            .map_err(map_identity_error)?;
        Ok(token.token)
    }
}
