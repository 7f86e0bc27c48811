//! A client session: one cloud, one HTTP client and pipeline, and the logins `az login` /
//! `Connect-AzAccount` keep (one per tenant). Every operation in `ops` runs through it.

use crate::cloud::Cloud;
use crate::credentials::{
    unverified_claims, AzureCli, Cached, ClientCertificate, ClientSecret, Credential, Federated,
    FederatedToken, Login, ManagedIdentity, PrincipalKind, Profile, Subscription,
    UserPasswordCredential,
};
use crate::error::{Error, Result};
use crate::pipeline::{
    self, Auth, Context, Pipeline, Request, Response, RetryOptions, TokenProvider,
};
use async_trait::async_trait;
use azure_core::credentials::Secret;
use parking_lot::RwLock;
use reqwest::Method;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use url::Url;

/// Default api-versions by operation family; any can be overridden per family or per operation.
pub const API_VERSIONS: &[(&str, &str)] = &[
    ("gallery", "2025-03-03"),
    ("compute", "2025-04-01"),
    ("resources", "2024-11-01"),
    ("subscriptions", "2022-12-01"),
    ("authorization", "2022-04-01"),
    ("network", "2024-05-01"),
    ("resourcegraph", "2021-03-01"),
];

/// What `az account list` shows: subscriptions, the current one, and (tenant, principal, kind) per login.
pub type ProfileSnapshot = (
    Vec<Subscription>,
    Option<String>,
    Vec<(String, String, PrincipalKind)>,
);

pub struct Client {
    pub cloud: Cloud,
    http: pipeline::Http,
    pipeline: Pipeline,
    profile: RwLock<Profile>,
    api_versions: HashMap<String, String>,
    aux_separator: String,
    /// Tenants of subscriptions no login lists, learnt from ARM's 401 challenges.
    discovered_tenants: RwLock<HashMap<String, String>>,
    /// Credentials handed in from outside (Python objects), waiting for the `login` that names them.
    external: parking_lot::Mutex<HashMap<String, Arc<dyn Credential>>>,
    /// The ARM endpoint parsed once (`None` if it does not parse): a request URL is a copy of it with
    /// path and query set, so scheme and host (IDNA included) are not parsed again for every request.
    arm_base: Option<Url>,
}

impl Client {
    pub fn new(
        cloud: Cloud,
        api_versions: HashMap<String, String>,
        aux_separator: &str,
    ) -> Result<Client> {
        let http = pipeline::Http::new(cloud.ca_pem.as_deref())?;
        let pipeline = Pipeline::new(http.clone(), RetryOptions::default());
        let arm_base = Url::parse(cloud.arm())
            .ok()
            .filter(|u| u.query().is_none() && u.fragment().is_none() && !u.cannot_be_a_base());
        Ok(Client {
            arm_base,
            cloud,
            http,
            pipeline,
            profile: RwLock::new(Profile::default()),
            api_versions,
            aux_separator: aux_separator.to_string(),
            discovered_tenants: RwLock::new(HashMap::new()),
            external: Default::default(),
        })
    }

    /// The api-version for an operation (`sig.show`) of a family (`gallery`): per-operation override,
    /// then per-family override, then the default.
    pub fn api_version(&self, op: &str, family: &str) -> String {
        self.api_versions
            .get(op)
            .or_else(|| self.api_versions.get(family))
            .cloned()
            .or_else(|| {
                API_VERSIONS
                    .iter()
                    .find(|(f, _)| *f == family)
                    .map(|(_, v)| v.to_string())
            })
            .unwrap_or_else(|| "2025-03-03".to_string())
    }

    /// `{arm}{path}?api-version=..&extra..` — `path` must already be built from encoded segments.
    /// Query keys are constants (`$select` stays literal, as the CLI sends it); values are encoded.
    pub fn arm_url(&self, path: &str, api_version: &str, query: &[(&str, &str)]) -> Result<Url> {
        crate::ids::check_path(path)?;
        let mut q = String::with_capacity(32 + 24 * query.len());
        q.push_str("api-version=");
        q.push_str(&encode_query(api_version));
        for (k, v) in query {
            q.push('&');
            q.push_str(k);
            q.push('=');
            q.push_str(&encode_query(v));
        }
        if let Some(base) = &self.arm_base {
            let mut url = base.clone();
            let prefix = base.path().trim_end_matches('/');
            if prefix.is_empty() {
                url.set_path(path);
            } else {
                url.set_path(&format!("{prefix}{path}"));
            }
            url.set_query(Some(&q));
            return Ok(url);
        }
        Url::parse(&format!("{}{}?{}", self.cloud.arm(), path, q))
            .map_err(|e| Error::validation(format!("Cannot build a request URL for '{path}': {e}")))
    }

    /// Sends through the pipeline; any status comes back as a response.
    pub async fn send_raw(&self, req: Request) -> Result<Response> {
        let ctx = Context { tokens: self };
        self.pipeline.send(&ctx, req).await
    }

    /// Sends and turns an error status into an error.
    pub async fn send(&self, req: Request) -> Result<Response> {
        let resp = self.send_raw(req).await?;
        if resp.is_success() {
            Ok(resp)
        } else {
            Err(Error::from_response(resp.status, &resp.body))
        }
    }

    pub async fn send_json(&self, req: Request) -> Result<Value> {
        self.send(req).await?.json()
    }

    // ---- logins and subscriptions -------------------------------------------------------------------

    /// A secret, password or client assertion goes to the authority only over https (or an opted-in
    /// loopback http).
    fn check_authority(&self) -> Result<()> {
        let url = Url::parse(&self.cloud.active_directory).map_err(|e| {
            Error::invalid_param(
                "cloud",
                format!("The cloud's active_directory endpoint is not a URL: {e}"),
            )
        })?;
        crate::pipeline::auth::check_secure(&url, self.cloud.allow_http_loopback)
    }

    pub async fn login_service_principal(
        &self,
        tenant: &str,
        client_id: &str,
        secret: &str,
    ) -> Result<Vec<Subscription>> {
        self.check_authority()?;
        let cred: Arc<dyn Credential> = Arc::new(Cached::new(ClientSecret::new(
            &self.cloud,
            self.http.clone(),
            tenant,
            client_id,
            secret,
        )?));
        self.login(tenant, client_id, PrincipalKind::ServicePrincipal, cred)
            .await
    }

    /// `az login --service-principal -u APP_ID --certificate FILE.pem --tenant T` (`pem`: the file's text).
    pub async fn login_certificate(
        &self,
        tenant: &str,
        client_id: &str,
        pem: &str,
    ) -> Result<Vec<Subscription>> {
        self.check_authority()?;
        let cred: Arc<dyn Credential> = Arc::new(Cached::new(ClientCertificate::new(
            &self.cloud,
            self.http.clone(),
            tenant,
            client_id,
            pem,
        )?));
        self.login(tenant, client_id, PrincipalKind::ServicePrincipal, cred)
            .await
    }

    /// `az login --service-principal -u APP_ID --federated-token TOKEN --tenant T`, or a token file.
    pub async fn login_federated(
        &self,
        tenant: &str,
        client_id: &str,
        token: FederatedToken<'_>,
    ) -> Result<Vec<Subscription>> {
        self.check_authority()?;
        let cred: Arc<dyn Credential> = Arc::new(Cached::new(Federated::new(
            &self.cloud,
            self.http.clone(),
            tenant,
            client_id,
            token,
        )?));
        self.login(tenant, client_id, PrincipalKind::ServicePrincipal, cred)
            .await
    }

    /// Keeps a credential made outside (a Python object) until a `login` names it by the returned handle.
    pub fn register_credential(&self, cred: Arc<dyn Credential>) -> String {
        let handle = format!("credential-{}", uuid::Uuid::new_v4().simple());
        self.external.lock().insert(handle.clone(), cred);
        handle
    }

    /// `az login --identity [--username CLIENT_ID]`: the tenant and principal come from the token.
    pub async fn login_managed_identity(
        &self,
        client_id: Option<&str>,
    ) -> Result<Vec<Subscription>> {
        let cred: Arc<dyn Credential> = Arc::new(Cached::new(ManagedIdentity::new(
            &self.cloud,
            self.http.clone(),
            client_id,
        )?));
        self.login_learning_tenant(cred, None).await
    }

    /// Reuses the Azure CLI's login (`az account get-access-token`); the tenant is `tenant` or the CLI's.
    pub async fn login_azure_cli(&self, tenant: Option<&str>) -> Result<Vec<Subscription>> {
        let cred: Arc<dyn Credential> = Arc::new(Cached::new(AzureCli::new(tenant)?));
        self.login_learning_tenant(cred, tenant).await
    }

    /// Logs in with a registered credential (see `login_learning_tenant`).
    pub async fn login_registered(
        &self,
        handle: &str,
        tenant: Option<&str>,
    ) -> Result<Vec<Subscription>> {
        let cred = self.external.lock().remove(handle).ok_or_else(|| {
            Error::invalid_param(
                "credential",
                "This credential was already used for a login, or was registered with another session.",
            )
        })?;
        self.login_learning_tenant(cred, tenant).await
    }

    /// The tenant is `tenant` or, when not given, the `tid` of the credential's first ARM token; the
    /// principal and its kind are read from the token too.
    async fn login_learning_tenant(
        &self,
        cred: Arc<dyn Credential>,
        tenant: Option<&str>,
    ) -> Result<Vec<Subscription>> {
        let token = cred.token(&self.cloud.arm_scope).await?;
        let claims = unverified_claims(token.secret()).unwrap_or_default();
        let claim = |k: &str| claims.get(k).and_then(Value::as_str).map(str::to_string);
        let tenant = match tenant.map(str::to_string).or_else(|| claim("tid")) {
            Some(t) => t,
            None => return Err(Error::invalid_param(
                "tenant",
                "The credential's token does not name its tenant (no 'tid' claim); pass tenant=...",
            )),
        };
        let (principal, kind) = match claim("upn").or_else(|| claim("unique_name")) {
            Some(upn) => (upn, PrincipalKind::User),
            None => (
                claim("appid").or_else(|| claim("azp")).unwrap_or_default(),
                PrincipalKind::ServicePrincipal,
            ),
        };
        self.login(&tenant, &principal, kind, cred).await
    }

    pub async fn login_user(
        &self,
        tenant: &str,
        username: &str,
        password: &str,
    ) -> Result<Vec<Subscription>> {
        self.check_authority()?;
        let cred: Arc<dyn Credential> = Arc::new(UserPasswordCredential::new(
            self.http.clone(),
            &self.cloud.active_directory,
            tenant,
            username,
            password,
        ));
        self.login(tenant, username, PrincipalKind::User, cred)
            .await
    }

    /// Gets a token (so a bad secret fails here, like `az login`), reads the tenant id and the
    /// subscriptions the login reaches, and remembers them.
    async fn login(
        &self,
        tenant: &str,
        principal: &str,
        kind: PrincipalKind,
        cred: Arc<dyn Credential>,
    ) -> Result<Vec<Subscription>> {
        let probe = Login {
            tenant_id: tenant.to_string(),
            principal: principal.to_string(),
            kind,
            credential: cred,
        };
        let tokens = SingleLogin(&probe, &self.cloud);
        let ctx = Context { tokens: &tokens };
        let version = self.api_version("account.list", "subscriptions");
        let tenants = self
            .pipeline
            .send(
                &ctx,
                Request::new(
                    Method::GET,
                    self.arm_url("/tenants", &version, &[])?,
                    Auth::Arm(tenant.into()),
                ),
            )
            .await?;
        let tenants = ok_json(tenants)?;
        let tenant_id = tenants
            .pointer("/value/0/tenantId")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| tenant.to_string());
        let subs = self
            .pipeline
            .send(
                &ctx,
                Request::new(
                    Method::GET,
                    self.arm_url("/subscriptions", &version, &[])?,
                    Auth::Arm(tenant.into()),
                ),
            )
            .await?;
        let subscriptions: Vec<Subscription> = ok_json(subs)?
            .get("value")
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(subscription_of).collect())
            .unwrap_or_default();
        let login = Login { tenant_id, ..probe };
        self.profile.write().add_login(login, subscriptions.clone());
        Ok(subscriptions)
    }

    /// The subscription a command runs in: the `subscription=` argument (id or name) or the current one.
    pub fn subscription(&self, explicit: Option<&str>) -> Result<Subscription> {
        let profile = self.profile.read();
        if profile.logins.is_empty() {
            return Err(Error::auth(
                "Please run 'az.login(...)' to set up an account.",
            ));
        }
        match explicit {
            Some(s) => match profile.find(s) {
                Some(found) => Ok(found.clone()),
                // An id no login lists (e.g. access granted since login) is tried with the current login.
                None if crate::ids::is_guid(s) => Ok(Subscription {
                    id: s.to_ascii_lowercase(),
                    name: s.to_string(),
                    tenant_id: profile.current_tenant().unwrap_or_else(|| profile.logins[0].tenant_id.clone()),
                    state: "Enabled".into(),
                    login: 0,
                }),
                None => Err(Error::invalid_param("subscription", format!("Subscription '{s}' not found. Check the spelling and case, or run az.account.list() to see the subscriptions your logins reach."))),
            },
            None => {
                let current = profile.current.as_deref().ok_or_else(|| Error::validation("No subscription is selected; pass subscription=... or run az.account.set(subscription=...)."))?;
                profile.find(current).cloned().ok_or_else(|| Error::validation("The current subscription is no longer available."))
            }
        }
    }

    pub fn set_subscription(&self, id_or_name: &str) -> Result<Subscription> {
        let sub = self.subscription(Some(id_or_name))?;
        self.profile.write().current = Some(sub.id.clone());
        Ok(sub)
    }

    /// The subscriptions, the current one, and (tenant, principal, kind) of each login.
    pub fn subscriptions(&self) -> ProfileSnapshot {
        let p = self.profile.read();
        let users = p
            .logins
            .iter()
            .map(|l| (l.tenant_id.clone(), l.principal.clone(), l.kind))
            .collect();
        (p.subscriptions.clone(), p.current.clone(), users)
    }

    pub fn clear_logins(&self) {
        *self.profile.write() = Profile::default();
    }

    /// The tenant of a subscription: from a login that lists it, or from an earlier ARM challenge.
    pub fn tenant_of_subscription(&self, subscription_id: &str) -> Option<String> {
        let listed = self
            .profile
            .read()
            .find(subscription_id)
            .map(|s| s.tenant_id.clone());
        listed.or_else(|| {
            self.discovered_tenants
                .read()
                .get(&subscription_id.to_ascii_lowercase())
                .cloned()
        })
    }

    pub fn remember_tenant(&self, subscription_id: &str, tenant_id: &str) {
        self.discovered_tenants
            .write()
            .insert(subscription_id.to_ascii_lowercase(), tenant_id.to_string());
    }

    pub fn has_login_for(&self, tenant_id: &str) -> bool {
        self.profile.read().login_for_tenant(tenant_id).is_some()
    }

    fn credential_for(&self, tenant: &str) -> Result<Arc<dyn Credential>> {
        let profile = self.profile.read();
        profile.login_for_tenant(tenant).map(|l| l.credential.clone()).ok_or_else(|| {
            Error::auth(format!("There is no login for tenant '{tenant}'. Log in to it first: az.login(service_principal=True, username=APP_ID, password=SECRET, tenant=\"{tenant}\")."))
        })
    }
}

#[async_trait]
impl TokenProvider for Client {
    async fn arm_token(&self, tenant: &str) -> Result<Secret> {
        self.credential_for(tenant)?
            .token(&self.cloud.arm_scope)
            .await
    }

    async fn graph_token(&self, tenant: &str) -> Result<Secret> {
        self.credential_for(tenant)?
            .token(&self.cloud.graph_scope)
            .await
    }

    fn aux_separator(&self) -> &str {
        &self.aux_separator
    }

    fn allow_http_loopback(&self) -> bool {
        self.cloud.allow_http_loopback
    }
}

/// Token source for the requests made while a login is being set up.
struct SingleLogin<'a>(&'a Login, &'a Cloud);

#[async_trait]
impl TokenProvider for SingleLogin<'_> {
    async fn arm_token(&self, _tenant: &str) -> Result<Secret> {
        self.0.credential.token(&self.1.arm_scope).await
    }

    async fn graph_token(&self, _tenant: &str) -> Result<Secret> {
        self.0.credential.token(&self.1.graph_scope).await
    }

    fn allow_http_loopback(&self) -> bool {
        self.1.allow_http_loopback
    }
}

/// Encodes a query value, leaving `/` and `$` readable as ARM clients send them.
fn encode_query(v: &str) -> std::borrow::Cow<'_, str> {
    use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
    const QUERY: &AsciiSet = &CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'&')
        .add(b'+')
        .add(b'=')
        .add(b'<')
        .add(b'>')
        .add(b'\'')
        .add(b'?');
    // Borrowed when nothing needs encoding (api-versions, most values).
    utf8_percent_encode(v, QUERY).into()
}

fn ok_json(resp: Response) -> Result<Value> {
    if resp.is_success() {
        resp.json()
    } else {
        Err(Error::from_response(resp.status, &resp.body))
    }
}

fn subscription_of(v: &Value) -> Option<Subscription> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    Some(Subscription {
        id: s("subscriptionId")?,
        name: s("displayName").unwrap_or_default(),
        tenant_id: s("tenantId").unwrap_or_default(),
        state: s("state").unwrap_or_else(|| "Enabled".into()),
        login: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(arm: &str) -> Client {
        let cloud: Cloud = serde_json::from_value(serde_json::json!({
            "name": "Test", "resource_manager": arm, "active_directory": "https://login.example",
            "microsoft_graph": "https://graph.example",
        }))
        .unwrap();
        Client::new(cloud, HashMap::new(), ", ").unwrap()
    }

    /// The URL built on the parsed endpoint is the one a full parse of the same text gives.
    #[test]
    fn arm_url_equals_a_full_parse() {
        let paths = [
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g",
            "/subscriptions/s/resourceGroups/a%20b/providers/Microsoft.Compute/galleries/%C3%BC",
            "/subscriptions/s/resourceGroups/a b/providers/x/ü",
            "/providers/Microsoft.Compute/operations",
        ];
        let query: &[(&str, &str)] = &[("$select", "Permissions"), ("$filter", "a eq 'b&c'")];
        for arm in [
            "https://management.example",
            "https://management.example/",
            "https://127.0.0.1:8443",
            "https://host/prefix/",
        ] {
            let c = client(arm);
            assert!(c.arm_base.is_some(), "{arm} parses");
            for path in paths {
                let built = c.arm_url(path, "2025-03-03", query).unwrap();
                let mut text = format!(
                    "{}{}?api-version=2025-03-03",
                    arm.trim_end_matches('/'),
                    path
                );
                for (k, v) in query {
                    text.push_str(&format!("&{k}={}", encode_query(v)));
                }
                assert_eq!(built, Url::parse(&text).unwrap(), "{arm} {path}");
            }
        }
    }

    #[test]
    fn arm_url_refuses_a_path_that_escapes() {
        let c = client("https://management.example");
        assert!(c.arm_url("/subscriptions/s/../x", "1", &[]).is_err());
        assert!(c.arm_url("/subscriptions/s?x=1", "1", &[]).is_err());
    }
}
