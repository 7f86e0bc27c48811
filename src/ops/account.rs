//! `az login` and `az account …`.

use super::{Outcome, Shape};
use crate::client::Client;
use crate::credentials::{FederatedToken, PrincipalKind};
use crate::error::{Error, Result};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
pub struct LoginArgs {
    #[serde(default)]
    service_principal: bool,
    username: Option<String>,
    password: Option<String>,
    tenant: Option<String>,
    /// PEM text of the certificate and its key (the facade reads a path).
    certificate: Option<String>,
    /// Handle of a credential registered with the client (`credential=` in Python).
    credential: Option<String>,
    /// `--federated-token`: a workload identity token.
    federated_token: Option<String>,
    /// A file holding the workload identity token (`AZURE_FEDERATED_TOKEN_FILE`), re-read as it rotates.
    federated_token_file: Option<String>,
    /// `--identity`: the host's managed identity (`username`: a user-assigned identity's client id).
    #[serde(default)]
    identity: bool,
    /// Reuse the Azure CLI's own login (`az account get-access-token`).
    #[serde(default)]
    azure_cli: bool,
}

pub async fn login(client: &Client, a: LoginArgs) -> Result<Outcome> {
    if let Some(handle) = &a.credential {
        client
            .login_registered(handle, a.tenant.as_deref().filter(|t| !t.is_empty()))
            .await?;
        return list(client);
    }
    if a.azure_cli {
        let tenant = a.tenant.as_deref().filter(|t| !t.is_empty());
        client.login_azure_cli(tenant).await?;
        return list(client);
    }
    if a.identity {
        let client_id = a.username.as_deref().filter(|u| !u.is_empty());
        client.login_managed_identity(client_id).await?;
        return list(client);
    }
    if let Some(token) = a.federated_token.as_deref() {
        let (tenant, username) = service_principal_of(&a, "--federated-token")?;
        let token = FederatedToken::Given(token);
        client.login_federated(&tenant, &username, token).await?;
        return list(client);
    }
    if let Some(path) = a.federated_token_file.as_deref() {
        let (tenant, username) = service_principal_of(&a, "AZURE_FEDERATED_TOKEN_FILE")?;
        let token = FederatedToken::File(path);
        client.login_federated(&tenant, &username, token).await?;
        return list(client);
    }
    if let Some(pem) = a.certificate.as_deref() {
        let (tenant, username) = service_principal_of(&a, "--certificate")?;
        client.login_certificate(&tenant, &username, pem).await?;
        return list(client);
    }
    let username = a.username.filter(|u| !u.is_empty()).ok_or_else(|| Error::invalid_param("username", "usage error: --username is required (the app id for a service principal, the user name otherwise)."))?;
    let password = a.password.filter(|p| !p.is_empty()).ok_or_else(|| {
        Error::invalid_param(
            "password",
            "usage error: --password is required with --username.",
        )
    })?;
    if a.service_principal {
        let tenant = a.tenant.filter(|t| !t.is_empty()).ok_or_else(|| {
            Error::invalid_param(
                "tenant",
                "usage error: --tenant is required when logging in with --service-principal.",
            )
        })?;
        let tenant = crate::ids::tenant(&tenant)?;
        client
            .login_service_principal(&tenant, &username, &password)
            .await?;
    } else {
        let tenant = crate::ids::tenant(a.tenant.as_deref().unwrap_or("organizations"))?;
        client.login_user(&tenant, &username, &password).await?;
    }
    list(client)
}

/// The tenant and app id a service-principal login needs, with the CLI's usage errors.
fn service_principal_of(a: &LoginArgs, how: &str) -> Result<(String, String)> {
    if !a.service_principal {
        return Err(Error::invalid_param(
            "service_principal",
            format!("usage error: {how} is only used with --service-principal."),
        ));
    }
    let username = a
        .username
        .clone()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            Error::invalid_param(
                "username",
                "usage error: --username (the app id) is required with --service-principal.",
            )
        })?;
    let tenant = a.tenant.clone().filter(|t| !t.is_empty()).ok_or_else(|| {
        Error::invalid_param(
            "tenant",
            "usage error: --tenant is required when logging in with --service-principal.",
        )
    })?;
    Ok((tenant, username))
}

/// `az account list`: every subscription the logins reach.
pub fn list(client: &Client) -> Result<Outcome> {
    let (subs, current, logins) = client.subscriptions();
    let accounts: Vec<Value> = subs
        .iter()
        .map(|s| {
            let (principal, kind) = logins
                .iter()
                .find(|l| l.0 == s.tenant_id)
                .map(|l| (l.1.clone(), l.2))
                .unwrap_or((String::new(), PrincipalKind::User));
            json!({
                "cloudName": client.cloud.name,
                "homeTenantId": s.tenant_id,
                "id": s.id,
                "isDefault": current.as_deref() == Some(s.id.as_str()),
                "managedByTenants": [],
                "name": s.name,
                "state": s.state,
                "tenantId": s.tenant_id,
                "user": {"name": principal, "type": kind_name(kind)},
            })
        })
        .collect();
    Ok(Outcome::Value(Value::Array(accounts)))
}

fn kind_name(k: PrincipalKind) -> &'static str {
    match k {
        PrincipalKind::ServicePrincipal => "servicePrincipal",
        PrincipalKind::User => "user",
    }
}

#[derive(Deserialize)]
pub struct ShowArgs {
    subscription: Option<String>,
}

pub fn show(client: &Client, a: ShowArgs) -> Result<Outcome> {
    let sub = client.subscription(a.subscription.as_deref())?;
    let Outcome::Value(Value::Array(all)) = list(client)? else {
        unreachable!()
    };
    let found = all
        .into_iter()
        .find(|v| v["id"] == sub.id.as_str())
        .unwrap_or(Value::Null);
    Ok(Outcome::Value(found))
}

#[derive(Deserialize)]
pub struct SetArgs {
    subscription: String,
}

pub fn set(client: &Client, a: SetArgs) -> Result<Outcome> {
    client.set_subscription(&a.subscription)?;
    Ok(Outcome::Value(Shape::Nothing.apply(Value::Null)))
}

/// `Clear-AzContext` / `az account clear`: forgets every login.
pub fn clear(client: &Client) -> Result<Outcome> {
    client.clear_logins();
    Ok(Outcome::Value(Value::Null))
}
