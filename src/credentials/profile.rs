//! What `az login` / `Connect-AzAccount` remember: one login per tenant, the subscriptions they reach, and
//! the current one. Auxiliary tokens for other tenants are chosen from here.

use super::Credential;
use serde::Serialize;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PrincipalKind {
    ServicePrincipal,
    User,
}

#[derive(Clone)]
pub struct Login {
    pub tenant_id: String,
    /// App id or user name; never a secret.
    pub principal: String,
    pub kind: PrincipalKind,
    pub credential: Arc<dyn Credential>,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("tenant_id", &self.tenant_id)
            .field("principal", &self.principal)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Subscription {
    pub id: String,
    pub name: String,
    pub tenant_id: String,
    pub state: String,
    /// Index into `Profile::logins` of the login that reaches it.
    #[serde(skip)]
    pub login: usize,
}

#[derive(Debug, Default)]
pub struct Profile {
    pub logins: Vec<Login>,
    pub subscriptions: Vec<Subscription>,
    pub current: Option<String>,
}

impl Profile {
    /// Adds or replaces the login for a tenant, and the subscriptions it reaches; the first subscription
    /// of the newest login becomes current, as `az login` does.
    pub fn add_login(&mut self, login: Login, subscriptions: Vec<Subscription>) {
        let index = match self
            .logins
            .iter()
            .position(|l| l.tenant_id == login.tenant_id)
        {
            Some(i) => {
                self.logins[i] = login;
                self.subscriptions.retain(|s| s.login != i);
                i
            }
            None => {
                self.logins.push(login);
                self.logins.len() - 1
            }
        };
        let first = subscriptions.first().map(|s| s.id.clone());
        for mut s in subscriptions {
            s.login = index;
            self.subscriptions.retain(|x| x.id != s.id);
            self.subscriptions.push(s);
        }
        if first.is_some() {
            self.current = first;
        }
    }

    /// A subscription by id or name, case-insensitively (as `az account set --subscription`).
    pub fn find(&self, id_or_name: &str) -> Option<&Subscription> {
        self.subscriptions
            .iter()
            .find(|s| s.id.eq_ignore_ascii_case(id_or_name))
            .or_else(|| {
                self.subscriptions
                    .iter()
                    .find(|s| s.name.eq_ignore_ascii_case(id_or_name))
            })
    }

    /// The tenant of the current subscription.
    pub fn current_tenant(&self) -> Option<String> {
        self.current
            .as_deref()
            .and_then(|c| self.find(c))
            .map(|s| s.tenant_id.clone())
    }

    pub fn login_for_tenant(&self, tenant_id: &str) -> Option<&Login> {
        self.logins
            .iter()
            .find(|l| l.tenant_id.eq_ignore_ascii_case(tenant_id))
    }
}
