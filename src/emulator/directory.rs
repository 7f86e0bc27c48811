//! The seeded directory: tenants, subscriptions, app registrations with their service principals,
//! users, and the resources and role assignments present at start.

use rand::distr::{Alphanumeric, SampleString};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::EmulatorError;

/// Namespace of every derived id: `uuid v5(NAMESPACE, name)`, so docs can cite default-seed ids.
pub(crate) const NAMESPACE: Uuid = Uuid::from_u128(0x6a1e_5a7e_9a11_4e2b_8c5d_6761_6c6c_6572);

/// `uuid v5(NAMESPACE, name)`.
pub(crate) fn derived_id(name: &str) -> String {
    Uuid::new_v5(&NAMESPACE, name.as_bytes()).to_string()
}

/// Object id of an app's service principal in a tenant: `uuid v5(NAMESPACE, "{app}@{tenant}")`.
pub(crate) fn service_principal_id(app: &str, tenant: &str) -> String {
    derived_id(&format!("{app}@{tenant}"))
}

fn random_secret() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 40)
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Tenant {
    pub name: String,
    #[serde(default)]
    pub id: String,
    pub domain: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Subscription {
    pub name: String,
    #[serde(default)]
    pub id: String,
    pub tenant: String,
    #[serde(skip)]
    pub tenant_id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct App {
    pub name: String,
    #[serde(default)]
    pub client_id: String,
    pub home_tenant: String,
    pub tenants: Vec<String>,
    #[serde(skip)]
    pub secret: String,
    /// Made on first use (an RSA key takes a while), then kept for the emulator's life, resets included.
    #[serde(skip)]
    pub certificate: std::sync::OnceLock<AppCertificate>,
}

/// An app's certificate credential: a self-signed RSA 2048 certificate, as Entra requires RSA keys.
#[derive(Clone)]
pub(crate) struct AppCertificate {
    /// Certificate then private key, as `az login --certificate` reads a PEM file.
    pub pem: String,
    /// SHA-1 of the DER certificate: what `x5t` carries and the portal shows (upper-case hex).
    pub sha1: Vec<u8>,
    pub sha256: Vec<u8>,
    /// PKCS#1 RSAPublicKey DER, to verify client assertions.
    pub public_key: Vec<u8>,
}

impl std::fmt::Debug for AppCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCertificate")
            .field("thumbprint", &self.thumbprint())
            .finish_non_exhaustive()
    }
}

impl AppCertificate {
    fn generate(app_name: &str) -> Result<AppCertificate, EmulatorError> {
        use aws_lc_rs::digest::{digest, SHA1_FOR_LEGACY_USE_ONLY, SHA256};
        let err = |e: rcgen::Error| {
            EmulatorError::new(format!(
                "cannot make a certificate for app '{app_name}': {e}"
            ))
        };
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).map_err(err)?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("CN={app_name}"));
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(365);
        let cert = params.self_signed(&key).map_err(err)?;
        Ok(AppCertificate {
            pem: format!("{}{}", cert.pem(), key.serialize_pem()),
            sha1: digest(&SHA1_FOR_LEGACY_USE_ONLY, cert.der())
                .as_ref()
                .to_vec(),
            sha256: digest(&SHA256, cert.der()).as_ref().to_vec(),
            public_key: key.public_key_raw().to_vec(),
        })
    }

    /// The thumbprint as the portal and `az ad app credential list` show it.
    pub(crate) fn thumbprint(&self) -> String {
        self.sha1.iter().map(|b| format!("{b:02X}")).collect()
    }
}

impl App {
    /// The app's certificate, generated the first time it is asked for.
    pub(crate) fn certificate(&self) -> Result<&AppCertificate, EmulatorError> {
        if let Some(c) = self.certificate.get() {
            return Ok(c);
        }
        let made = AppCertificate::generate(&self.name)?;
        Ok(self.certificate.get_or_init(|| made))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct User {
    pub upn: String,
    pub display_name: String,
    #[serde(default)]
    pub mail: Option<String>,
    pub tenant: String,
    #[serde(default)]
    pub id: String,
    #[serde(skip)]
    pub password: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SeedAssignment {
    pub principal: String,
    pub role: String,
    pub scope: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SeedResourceGroup {
    pub subscription: String,
    pub name: String,
    pub location: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SeedManagedImage {
    pub subscription: String,
    pub resource_group: String,
    pub name: String,
    pub os_type: String,
    pub location: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Directory {
    pub tenants: Vec<Tenant>,
    pub subscriptions: Vec<Subscription>,
    #[serde(default)]
    pub apps: Vec<App>,
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub role_assignments: Vec<SeedAssignment>,
    #[serde(default)]
    pub resource_groups: Vec<SeedResourceGroup>,
    #[serde(default)]
    pub managed_images: Vec<SeedManagedImage>,
    /// The `X-IDENTITY-HEADER` secret of the emulator's App Service managed identity endpoint.
    #[serde(skip)]
    pub identity_header: String,
}

/// Who a token or a role assignment names.
#[derive(Debug, Clone)]
pub(crate) enum Principal<'a> {
    ServicePrincipal(&'a App),
    User(&'a User),
}

/// The default seed: two tenants, three subscriptions, three apps, one user (see the crate docs).
pub fn default_seed() -> Value {
    let contoso_prod = derived_id("contoso-prod");
    let contoso_dev = derived_id("contoso-dev");
    let fabrikam_prod = derived_id("fabrikam-prod");
    json!({
        "tenants": [
            {"name": "contoso", "id": derived_id("contoso"), "domain": "contoso.com"},
            {"name": "fabrikam", "id": derived_id("fabrikam"), "domain": "fabrikam.com"}
        ],
        "subscriptions": [
            {"name": "contoso-prod", "id": contoso_prod, "tenant": "contoso"},
            {"name": "contoso-dev", "id": contoso_dev, "tenant": "contoso"},
            {"name": "fabrikam-prod", "id": fabrikam_prod, "tenant": "fabrikam"}
        ],
        "apps": [
            {"name": "contoso-admin", "client_id": derived_id("contoso-admin"), "home_tenant": "contoso", "tenants": ["contoso"]},
            {"name": "fabrikam-admin", "client_id": derived_id("fabrikam-admin"), "home_tenant": "fabrikam", "tenants": ["fabrikam"]},
            {"name": "myGalleryApp", "client_id": derived_id("myGalleryApp"), "home_tenant": "contoso", "tenants": ["contoso", "fabrikam"]}
        ],
        "users": [
            {"upn": "alinne_montes@contoso.com", "display_name": "Alinne Montes", "mail": "alinne_montes@contoso.com",
             "tenant": "contoso", "id": derived_id("alinne_montes@contoso.com")}
        ],
        "role_assignments": [
            {"principal": "contoso-admin", "role": "Owner", "scope": format!("/subscriptions/{contoso_prod}")},
            {"principal": "contoso-admin", "role": "Owner", "scope": format!("/subscriptions/{contoso_dev}")},
            {"principal": "fabrikam-admin", "role": "Owner", "scope": format!("/subscriptions/{fabrikam_prod}")}
        ],
        "resource_groups": [
            {"subscription": "contoso-prod", "name": "images", "location": "eastus"}
        ],
        "managed_images": [
            {"subscription": "contoso-prod", "resource_group": "images", "name": "ubuntu-base", "os_type": "Linux", "location": "eastus"},
            {"subscription": "contoso-prod", "resource_group": "images", "name": "windows-base", "os_type": "Windows", "location": "eastus"}
        ]
    })
}

fn fill_id(id: &mut String, name: &str) {
    if id.is_empty() {
        *id = derived_id(name);
    }
}

impl Directory {
    /// Parses a seed, derives missing ids, checks references, and generates fresh secrets.
    pub(crate) fn from_seed(seed: &Value) -> Result<Directory, EmulatorError> {
        let mut dir: Directory = serde_json::from_value(seed.clone())
            .map_err(|e| EmulatorError::new(format!("invalid seed: {e}")))?;
        dir.tenants
            .iter_mut()
            .for_each(|t| fill_id(&mut t.id, &t.name));
        for app in &mut dir.apps {
            fill_id(&mut app.client_id, &app.name);
            app.secret = random_secret();
        }
        for user in &mut dir.users {
            fill_id(&mut user.id, &user.upn);
            user.password = random_secret();
        }
        dir.identity_header = random_secret();
        let tenant_ids: Vec<(String, String)> = dir
            .tenants
            .iter()
            .map(|t| (t.name.clone(), t.id.clone()))
            .collect();
        let tenant_id = |name: &str| {
            tenant_ids
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, id)| id.clone())
                .ok_or_else(|| EmulatorError::new(format!("invalid seed: unknown tenant '{name}'")))
        };
        for sub in &mut dir.subscriptions {
            fill_id(&mut sub.id, &sub.name);
            sub.tenant_id = tenant_id(&sub.tenant)?;
        }
        for app in &dir.apps {
            app.tenants
                .iter()
                .try_for_each(|t| tenant_id(t).map(drop))?;
        }
        for user in &dir.users {
            tenant_id(&user.tenant)?;
        }
        dir.check_resources()?;
        Ok(dir)
    }

    fn check_resources(&self) -> Result<(), EmulatorError> {
        let subs = self.resource_groups.iter().map(|rg| &rg.subscription);
        for sub in subs.chain(self.managed_images.iter().map(|i| &i.subscription)) {
            if self.subscription(sub).is_none() {
                return Err(EmulatorError::new(format!(
                    "invalid seed: unknown subscription '{sub}'"
                )));
            }
        }
        for ra in &self.role_assignments {
            if self.principal_by_name(&ra.principal).is_none() {
                return Err(EmulatorError::new(format!(
                    "invalid seed: unknown principal '{}'",
                    ra.principal
                )));
            }
            if super::rbac::role_by_name(&ra.role).is_none() {
                return Err(EmulatorError::new(format!(
                    "invalid seed: unknown role '{}'",
                    ra.role
                )));
            }
        }
        Ok(())
    }

    /// A tenant by GUID, domain, `{name}.onmicrosoft.com` or name (case-insensitive).
    pub(crate) fn tenant(&self, reference: &str) -> Option<&Tenant> {
        let r = reference.to_ascii_lowercase();
        self.tenants.iter().find(|t| {
            t.id.eq_ignore_ascii_case(&r)
                || t.domain.eq_ignore_ascii_case(&r)
                || t.name.eq_ignore_ascii_case(&r)
                || format!("{}.onmicrosoft.com", t.name).eq_ignore_ascii_case(&r)
        })
    }

    pub(crate) fn tenant_by_id(&self, id: &str) -> Option<&Tenant> {
        self.tenants.iter().find(|t| t.id.eq_ignore_ascii_case(id))
    }

    /// A subscription by id or name.
    pub(crate) fn subscription(&self, reference: &str) -> Option<&Subscription> {
        self.subscriptions.iter().find(|s| {
            s.id.eq_ignore_ascii_case(reference) || s.name.eq_ignore_ascii_case(reference)
        })
    }

    pub(crate) fn app_by_client_id(&self, client_id: &str) -> Option<&App> {
        self.apps
            .iter()
            .find(|a| a.client_id.eq_ignore_ascii_case(client_id))
    }

    /// An app by name or client id.
    pub(crate) fn app(&self, reference: &str) -> Option<&App> {
        self.apps
            .iter()
            .find(|a| a.name == reference || a.client_id.eq_ignore_ascii_case(reference))
    }

    pub(crate) fn user_by_upn(&self, upn: &str) -> Option<&User> {
        self.users.iter().find(|u| u.upn.eq_ignore_ascii_case(upn))
    }

    /// An app (by name or client id) or a user (by upn), as seeds name principals.
    pub(crate) fn principal_by_name(&self, name: &str) -> Option<Principal<'_>> {
        if let Some(app) = self
            .apps
            .iter()
            .find(|a| a.name == name || a.client_id.eq_ignore_ascii_case(name))
        {
            return Some(Principal::ServicePrincipal(app));
        }
        self.user_by_upn(name).map(Principal::User)
    }

    /// The principal with this object id in this tenant (a service principal or a user).
    pub(crate) fn principal_by_object_id(
        &self,
        tenant: &Tenant,
        oid: &str,
    ) -> Option<Principal<'_>> {
        let app = self.apps.iter().find(|a| {
            a.tenants.contains(&tenant.name)
                && service_principal_id(&a.name, &tenant.name).eq_ignore_ascii_case(oid)
        });
        if let Some(app) = app {
            return Some(Principal::ServicePrincipal(app));
        }
        self.users
            .iter()
            .find(|u| u.tenant == tenant.name && u.id.eq_ignore_ascii_case(oid))
            .map(Principal::User)
    }

    /// The object id a seeded principal has in a tenant, if it exists there.
    pub(crate) fn object_id_in(
        &self,
        principal: &Principal<'_>,
        tenant: &Tenant,
    ) -> Option<String> {
        match principal {
            Principal::ServicePrincipal(app) if app.tenants.contains(&tenant.name) => {
                Some(service_principal_id(&app.name, &tenant.name))
            }
            Principal::User(user) if user.tenant == tenant.name => Some(user.id.clone()),
            _ => None,
        }
    }

    /// The directory as `Emulator::directory()` shows it; secrets only when asked.
    pub(crate) fn to_json(&self, with_secrets: bool) -> Value {
        let tenants: Vec<Value> = self
            .tenants
            .iter()
            .map(|t| json!({"name": t.name, "id": t.id, "domain": t.domain}))
            .collect();
        let subscriptions: Vec<Value> = self
            .subscriptions
            .iter()
            .map(|s| json!({"name": s.name, "id": s.id, "tenant": s.tenant, "tenant_id": s.tenant_id}))
            .collect();
        let apps: Vec<Value> = self
            .apps
            .iter()
            .map(|a| self.app_json(a, with_secrets))
            .collect();
        let users: Vec<Value> = self
            .users
            .iter()
            .map(|u| {
                let mut v = json!({"upn": u.upn, "display_name": u.display_name, "mail": u.mail,
                                   "tenant": u.tenant, "id": u.id});
                if with_secrets {
                    v["password"] = json!(u.password);
                }
                v
            })
            .collect();
        let role_assignments: Vec<Value> = self
            .role_assignments
            .iter()
            .map(|r| json!({"principal": r.principal, "role": r.role, "scope": r.scope}))
            .collect();
        let resource_groups: Vec<Value> = self
            .resource_groups
            .iter()
            .map(
                |r| json!({"subscription": r.subscription, "name": r.name, "location": r.location}),
            )
            .collect();
        let managed_images: Vec<Value> = self
            .managed_images
            .iter()
            .map(|m| {
                json!({"subscription": m.subscription, "resource_group": m.resource_group, "name": m.name,
                       "os_type": m.os_type, "location": m.location})
            })
            .collect();
        let mut v = json!({"tenants": tenants, "subscriptions": subscriptions, "apps": apps, "users": users,
               "role_assignments": role_assignments, "resource_groups": resource_groups,
               "managed_images": managed_images});
        if with_secrets {
            v["identity_header"] = json!(self.identity_header);
        }
        v
    }

    fn app_json(&self, app: &App, with_secrets: bool) -> Value {
        let sps: serde_json::Map<String, Value> = app
            .tenants
            .iter()
            .map(|t| (t.clone(), json!(service_principal_id(&app.name, t))))
            .collect();
        let mut v = json!({"name": app.name, "client_id": app.client_id, "home_tenant": app.home_tenant,
                           "tenants": app.tenants, "service_principals": sps});
        if with_secrets {
            v["secret"] = json!(app.secret);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_seed_ids_are_deterministic_and_secrets_fresh() {
        assert_eq!(default_seed(), default_seed());
        let a = Directory::from_seed(&default_seed()).unwrap();
        let b = Directory::from_seed(&default_seed()).unwrap();
        assert_eq!(a.tenants[0].id, b.tenants[0].id);
        assert_ne!(a.apps[0].secret, b.apps[0].secret);
        assert!(a.apps[0].secret.len() >= 32);
        assert!(default_seed().to_string().find("secret").is_none());
    }

    #[test]
    fn app_certificates_are_rsa_made_once_and_never_debug_printed() {
        let dir = Directory::from_seed(&default_seed()).unwrap();
        let app = &dir.apps[0];
        let cert = app.certificate().unwrap();
        assert!(cert.pem.contains("BEGIN CERTIFICATE") && cert.pem.contains("BEGIN PRIVATE KEY"));
        assert_eq!(cert.sha1.len(), 20);
        assert_eq!(cert.thumbprint().len(), 40);
        assert!(std::ptr::eq(cert, app.certificate().unwrap()));
        let key_pem = &cert.pem[cert.pem.find("-----BEGIN PRIVATE KEY-----").unwrap()..];
        let key = rcgen::KeyPair::from_pem(key_pem).unwrap();
        assert!(key.is_compatible(&rcgen::PKCS_RSA_SHA256));
        assert!(!format!("{cert:?}").contains("PRIVATE"));
        assert_ne!(
            dir.apps[1].certificate().unwrap().sha1,
            cert.sha1,
            "each app has its own key"
        );
    }

    #[test]
    fn custom_seed_without_ids_derives_them() {
        let seed = json!({"tenants": [{"name": "t", "domain": "t.com"}],
                          "subscriptions": [{"name": "s", "tenant": "t"}]});
        let dir = Directory::from_seed(&seed).unwrap();
        assert_eq!(dir.subscriptions[0].id, derived_id("s"));
        assert_eq!(dir.subscriptions[0].tenant_id, derived_id("t"));
        assert!(dir.tenant("t.onmicrosoft.com").is_some());
    }

    #[test]
    fn unknown_tenant_in_seed_is_an_error() {
        let seed = json!({"tenants": [], "subscriptions": [{"name": "s", "tenant": "nope"}]});
        assert!(Directory::from_seed(&seed).is_err());
    }
}
