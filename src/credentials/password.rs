//! A user's password login (`az login -u -p`): the OAuth2 resource-owner password grant.

use super::Credential;
use crate::error::{Error, ErrorKind, Result};
use async_trait::async_trait;
use azure_core::credentials::Secret;
use parking_lot::Mutex;
use std::collections::HashMap;
use time::{Duration, OffsetDateTime};

/// The Azure CLI's public client id, which the password grant is made for.
pub const AZURE_CLI_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

pub struct UserPasswordCredential {
    http: crate::pipeline::Http,
    token_url: String,
    username: String,
    password: Secret,
    cache: Mutex<HashMap<String, (Secret, OffsetDateTime)>>,
}

impl UserPasswordCredential {
    pub fn new(
        http: crate::pipeline::Http,
        authority: &str,
        tenant: &str,
        username: &str,
        password: &str,
    ) -> Self {
        UserPasswordCredential {
            http,
            token_url: format!(
                "{}/{}/oauth2/v2.0/token",
                authority.trim_end_matches('/'),
                crate::ids::seg(tenant)
            ),
            username: username.to_string(),
            password: Secret::new(password.to_string()),
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, scope: &str) -> Option<Secret> {
        let cache = self.cache.lock();
        let (token, expires) = cache.get(scope)?;
        (*expires - Duration::minutes(5) > OffsetDateTime::now_utc()).then(|| token.clone())
    }

    async fn request(&self, scope: &str) -> Result<(Secret, OffsetDateTime)> {
        let form = [
            ("grant_type", "password"),
            ("client_id", AZURE_CLI_CLIENT_ID),
            ("username", self.username.as_str()),
            ("password", self.password.secret()),
            ("scope", scope),
        ];
        let resp = self
            .http
            .client()?
            .post(&self.token_url)
            .form(&form)
            .send()
            .await
            .map_err(|e| {
                Error::new(
                    ErrorKind::ServiceRequest,
                    format!("Cannot reach the token endpoint {}: {e}", self.token_url),
                )
            })?;
        let status = resp.status().as_u16();
        let body = resp
            .bytes()
            .await
            .map_err(|e| Error::new(ErrorKind::ServiceResponse, e.to_string()))?;
        if status != 200 {
            let mut err = Error::from_response(status, &body);
            err.kind = ErrorKind::Authentication;
            return Err(err);
        }
        #[derive(serde::Deserialize)]
        struct TokenResponse {
            access_token: String,
            expires_in: i64,
        }
        let t: TokenResponse = serde_json::from_slice(&body).map_err(|e| {
            Error::new(
                ErrorKind::ServiceResponse,
                format!("Unreadable token response: {e}"),
            )
        })?;
        Ok((
            Secret::new(t.access_token),
            OffsetDateTime::now_utc() + Duration::seconds(t.expires_in),
        ))
    }
}

#[async_trait]
impl Credential for UserPasswordCredential {
    async fn token(&self, scope: &str) -> Result<Secret> {
        if let Some(token) = self.cached(scope) {
            return Ok(token);
        }
        let (token, expires) = self.request(scope).await?;
        self.cache
            .lock()
            .insert(scope.to_string(), (token.clone(), expires));
        Ok(token)
    }
}
