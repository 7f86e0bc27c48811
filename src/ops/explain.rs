//! `az.sig.explain_access(...)` / `Test_AzGalleryAccess`: why can (or can't) a consumer see or deploy an
//! image? Read calls only; every blocking finding carries the exact CLI, PowerShell and Python line that
//! fixes it.

use super::vm::image_tenant;
use super::{arm, gallery_path, get, Outcome};
use crate::client::Client;
use crate::credentials::Subscription;
use crate::error::{Error, Result};
use crate::ids::{self, ResourceId};
use crate::pipeline::pager::Pager;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
pub struct ExplainArgs {
    image: String,
    subscription: String,
    location: Option<String>,
    principal: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Shared,
    Community,
    Resource,
}

/// Where the image lives, once found.
struct Target {
    kind: Kind,
    owner: Subscription,
    rg: String,
    gallery: String,
    image: Option<String>,
    /// A version name, `latest`, or none (a definition id deploys its latest).
    version: Option<String>,
}

struct Finding {
    check: &'static str,
    verdict: &'static str,
    detail: String,
    fix: Option<Fix>,
}

struct Fix {
    cli: String,
    powershell: String,
    python: String,
}

impl Finding {
    fn ok(check: &'static str, detail: String) -> Self {
        Finding {
            check,
            verdict: "ok",
            detail,
            fix: None,
        }
    }
    fn info(check: &'static str, detail: String) -> Self {
        Finding {
            check,
            verdict: "info",
            detail,
            fix: None,
        }
    }
    fn blocked(check: &'static str, detail: String, fix: Fix) -> Self {
        Finding {
            check,
            verdict: "blocked",
            detail,
            fix: Some(fix),
        }
    }
    fn warning(check: &'static str, detail: String, fix: Fix) -> Self {
        Finding {
            check,
            verdict: "warning",
            detail,
            fix: Some(fix),
        }
    }
    fn json(&self) -> Value {
        let f = self.fix.as_ref();
        json!({"check": self.check, "verdict": self.verdict, "detail": self.detail,
               "fixCli": f.map(|f| f.cli.clone()), "fixPowerShell": f.map(|f| f.powershell.clone()),
               "fixPython": f.map(|f| f.python.clone())})
    }
}

/// The subscription record (with its tenant) for an id no login may list.
async fn subscription_record(client: &Client, anchor: &Subscription, id: &str) -> Subscription {
    let tenant = image_tenant(client, anchor, id)
        .await
        .unwrap_or_else(|| anchor.tenant_id.clone());
    Subscription {
        id: id.to_ascii_lowercase(),
        name: id.to_string(),
        tenant_id: tenant,
        state: "Enabled".into(),
        login: 0,
    }
}

fn segments(id: &str) -> Vec<String> {
    id.trim_start_matches('/')
        .split('/')
        .map(str::to_string)
        .collect()
}

/// Finds the gallery behind any image form.
async fn locate(client: &Client, anchor: &Subscription, image: &str) -> Result<Target> {
    let lower = image.to_ascii_lowercase();
    if lower.starts_with("/sharedgalleries/") || lower.starts_with("/communitygalleries/") {
        let parts = segments(image);
        let kind = if lower.starts_with("/shared") {
            Kind::Shared
        } else {
            Kind::Community
        };
        let (image_name, version) = (parts.get(3).cloned(), parts.get(5).cloned());
        let found = if kind == Kind::Shared {
            find_by_unique_name(client, anchor, &parts[1]).await?
        } else {
            find_by_public_name(client, anchor, &parts[1]).await?
        };
        let (owner, rg, gallery) = found.ok_or_else(|| {
            Error::invalid_param("image", format!("No gallery behind '{image}' can be read with this session's logins; log in to the owner's tenant to explain it."))
        })?;
        return Ok(Target {
            kind,
            owner,
            rg,
            gallery,
            image: image_name,
            version,
        });
    }
    let rid = ResourceId::parse(image).filter(|r| {
        r.types
            .first()
            .is_some_and(|(t, _)| t.eq_ignore_ascii_case("galleries"))
    });
    let rid = rid.ok_or_else(|| Error::invalid_param("image", format!("'{image}' is not a gallery, image or version id, nor a /SharedGalleries/… or /CommunityGalleries/… id.")))?;
    let owner = subscription_record(client, anchor, &rid.subscription).await;
    let name = |i: usize| rid.types.get(i).map(|(_, n)| n.clone());
    Ok(Target {
        kind: Kind::Resource,
        owner,
        rg: rid.resource_group.clone().unwrap_or_default(),
        gallery: name(0).unwrap_or_default(),
        image: name(1),
        version: name(2),
    })
}

/// Galleries of a subscription some login can read.
async fn galleries_of(client: &Client, sub: &Subscription) -> Vec<Value> {
    if !client.has_login_for(&sub.tenant_id) {
        return vec![];
    }
    let Ok(url) = client.arm_url(
        &format!(
            "/subscriptions/{}/providers/Microsoft.Compute/galleries",
            sub.id
        ),
        &client.api_version("sig.list", "gallery"),
        &[],
    ) else {
        return vec![];
    };
    Pager::new(url, arm(sub))
        .collect(client)
        .await
        .unwrap_or_default()
}

fn owner_of(g: &Value, sub: Subscription) -> Option<(Subscription, String, String)> {
    let id = g.get("id")?.as_str()?;
    Some((
        sub,
        ResourceId::resource_group_of(id)?,
        g.get("name")?.as_str()?.to_string(),
    ))
}

/// `{subscriptionId}-{GALLERYNAME}`: the owner's subscription is the first 36 characters.
async fn find_by_unique_name(
    client: &Client,
    anchor: &Subscription,
    unique: &str,
) -> Result<Option<(Subscription, String, String)>> {
    let Some(owner_id) = unique.get(..36).filter(|s| ids::is_guid(s)) else {
        return Ok(None);
    };
    let owner = subscription_record(client, anchor, owner_id).await;
    let found = galleries_of(client, &owner).await.into_iter().find(|g| {
        g.pointer("/properties/identifier/uniqueName")
            .and_then(Value::as_str)
            .is_some_and(|u| u.eq_ignore_ascii_case(unique))
    });
    Ok(found.and_then(|g| owner_of(&g, owner)))
}

/// A community gallery's owner is not in its name: search the subscriptions this session reaches.
async fn find_by_public_name(
    client: &Client,
    _anchor: &Subscription,
    public: &str,
) -> Result<Option<(Subscription, String, String)>> {
    let (subs, _, _) = client.subscriptions();
    for sub in subs {
        let hit = galleries_of(client, &sub).await.into_iter().find(|g| {
            g.pointer("/properties/sharingProfile/communityGalleryInfo/publicNames")
                .and_then(Value::as_array)
                .is_some_and(|names| {
                    names
                        .iter()
                        .any(|n| n.as_str().is_some_and(|n| n.eq_ignore_ascii_case(public)))
                })
        });
        if let Some(g) = hit {
            return Ok(owner_of(&g, sub));
        }
    }
    Ok(None)
}

fn version_key(name: &str) -> Vec<u64> {
    name.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

fn regions_of(v: &Value) -> Vec<String> {
    v.pointer("/properties/publishingProfile/targetRegions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("name").and_then(Value::as_str))
        .map(|r| r.to_ascii_lowercase().replace(' ', ""))
        .collect()
}

fn excluded(v: &Value) -> bool {
    v.pointer("/properties/publishingProfile/excludeFromLatest")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn name_of(v: &Value) -> String {
    v.get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

pub async fn explain(client: &Client, a: ExplainArgs) -> Result<Outcome> {
    let location = a.location.as_deref().map(ids::location).transpose()?;
    let anchor = client
        .subscription(None)
        .or_else(|_| client.subscription(Some(&a.subscription)))?;
    let consumer = match client.subscription(Some(&a.subscription)) {
        Ok(s) if client.tenant_of_subscription(&s.id).is_some() => s,
        _ => {
            subscription_record(
                client,
                &anchor,
                &ids::guid("subscription", "subscription id", &a.subscription)?,
            )
            .await
        }
    };
    let t = locate(client, &anchor, &a.image).await?;
    let mut findings = Vec::new();
    let gallery_id = gallery_path(&t.owner, &t.rg, &t.gallery);
    let ctx = Ctx {
        t: &t,
        consumer: &consumer,
        location: location.as_deref(),
        gallery_id: &gallery_id,
    };
    // The auxiliary-token check needs only the image's tenant, so it holds even when the gallery is unreadable.
    if t.kind == Kind::Resource {
        ctx.cross_tenant(client, &mut findings);
    }
    let gallery = match get(
        client,
        &t.owner,
        &gallery_id,
        &client.api_version("sig.show", "gallery"),
        &[("$expand", "sharingProfile/Groups")],
    )
    .await
    {
        Ok(g) => g,
        Err(e) => {
            findings.push(Finding::info("gallery", format!("The gallery '{gallery_id}' cannot be read with this session's logins ({}); the owner's checks are skipped.", e.message)));
            return Ok(Outcome::Value(Value::Array(
                findings.iter().map(Finding::json).collect(),
            )));
        }
    };
    findings.insert(
        0,
        Finding::ok(
            "gallery",
            format!(
                "Image is in gallery '{}' (resource group '{}', subscription '{}', tenant '{}').",
                t.gallery, t.rg, t.owner.id, t.owner.tenant_id
            ),
        ),
    );
    let mode = gallery
        .pointer("/properties/sharingProfile/permissions")
        .and_then(Value::as_str)
        .unwrap_or("Private")
        .to_string();
    match t.kind {
        Kind::Shared => ctx.direct_sharing(&gallery, &mode, &mut findings),
        Kind::Community => ctx.community(&gallery, &mode, &mut findings),
        Kind::Resource => {
            ctx.direct_sharing_info(&gallery, &mode, &mut findings);
            ctx.rbac(client, a.principal.as_deref(), &mut findings)
                .await?;
        }
    }
    ctx.versions(client, &mut findings).await;
    Ok(Outcome::Value(Value::Array(
        findings.iter().map(Finding::json).collect(),
    )))
}

struct Ctx<'a> {
    t: &'a Target,
    consumer: &'a Subscription,
    location: Option<&'a str>,
    gallery_id: &'a str,
}

impl Ctx<'_> {
    fn args(&self) -> String {
        format!(
            "resource_group=\"{}\", gallery_name=\"{}\"",
            self.t.rg, self.t.gallery
        )
    }

    fn share_fix(&self) -> Fix {
        let (rg, g, s) = (&self.t.rg, &self.t.gallery, &self.consumer.id);
        Fix {
            cli: format!(
                "az sig share add --resource-group {rg} --gallery-name {g} --subscription-ids {s}"
            ),
            powershell: format!(
                "Update-AzGallery -ResourceGroupName {rg} -Name {g} -Share -Subscription {s}"
            ),
            python: format!(
                "az.sig.share.add({}, subscription_ids=[\"{s}\"])",
                self.args()
            ),
        }
    }

    /// A `/SharedGalleries/…` image: the mode must be Groups, and the consumer in a group.
    fn direct_sharing(&self, gallery: &Value, mode: &str, out: &mut Vec<Finding>) {
        if !mode.eq_ignore_ascii_case("Groups") {
            let (rg, g) = (&self.t.rg, &self.t.gallery);
            out.push(Finding::blocked("permissions", format!("The gallery's sharing mode is '{mode}'; direct sharing needs 'Groups'."), Fix {
                cli: format!("az sig update --resource-group {rg} --gallery-name {g} --permissions groups"),
                powershell: format!("Update-AzGallery -ResourceGroupName {rg} -Name {g} -Permission groups"),
                python: format!("az.sig.share.sync({}, subscription_ids=[\"{}\"])", self.args(), self.consumer.id),
            }));
            return;
        }
        out.push(Finding::ok(
            "permissions",
            "The gallery's sharing mode is 'Groups' (direct sharing).".into(),
        ));
        let by_sub = super::sync::live_ids(gallery, "Subscriptions").contains(&self.consumer.id);
        let by_tenant = super::sync::live_ids(gallery, "AADTenants")
            .contains(&self.consumer.tenant_id.to_ascii_lowercase());
        let loc = self.location.unwrap_or("LOCATION");
        match (by_sub, by_tenant) {
            (true, _) => out.push(Finding::ok("shared", format!("Shared with subscription '{}'{}.", self.consumer.id, if by_tenant { " and with its tenant" } else { "" }))),
            (false, true) => out.push(Finding::warning(
                "shared",
                format!("Shared with the consumer's tenant '{}', not with subscription '{}': deployments work, but it is listed only with shared_to=\"tenant\".", self.consumer.tenant_id, self.consumer.id),
                Fix {
                    cli: format!("az sig list-shared --location {loc} --shared-to tenant"),
                    powershell: format!("Get-AzGallery -Location {loc} -Scope tenant"),
                    python: format!("az.sig.list_shared(location=\"{loc}\", shared_to=\"tenant\")"),
                },
            )),
            (false, false) => out.push(Finding::blocked("shared", format!("Not shared with subscription '{}' nor with its tenant '{}'.", self.consumer.id, self.consumer.tenant_id), self.share_fix())),
        }
    }

    /// A full resource id: direct sharing does not apply (RBAC does), but say what it is.
    fn direct_sharing_info(&self, _gallery: &Value, mode: &str, out: &mut Vec<Finding>) {
        out.push(Finding::info("permissions", format!("The gallery's sharing mode is '{mode}'; a full image id is reached through RBAC on the gallery, not through direct sharing.")));
    }

    fn community(&self, gallery: &Value, mode: &str, out: &mut Vec<Finding>) {
        let enabled = gallery
            .pointer("/properties/sharingProfile/communityGalleryInfo/communityGalleryEnabled")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let (rg, g) = (&self.t.rg, &self.t.gallery);
        if !mode.eq_ignore_ascii_case("Community") {
            out.push(Finding::info("community", format!("The gallery's sharing mode is '{mode}', not 'Community': recreate it with permissions=\"community\" and the publisher fields.")));
        } else if !enabled {
            out.push(Finding::blocked("community", "The gallery is a Community gallery, but community sharing is not enabled: nobody outside sees it.".into(), Fix {
                cli: format!("az sig share enable-community --resource-group {rg} --gallery-name {g}"),
                powershell: format!("Update-AzGallery -ResourceGroupName {rg} -Name {g} -Share -Community"),
                python: format!("az.sig.share.enable_community({})", self.args()),
            }));
        } else {
            out.push(Finding::ok(
                "community",
                "Community sharing is enabled: every Azure subscription can see and deploy it."
                    .into(),
            ));
        }
    }

    /// Which principal deploys: the one given, else the login for the consumer's tenant.
    async fn rbac(
        &self,
        client: &Client,
        principal: Option<&str>,
        out: &mut Vec<Finding>,
    ) -> Result<()> {
        let principal = match principal {
            Some(p) => p.to_string(),
            None => match client
                .subscriptions()
                .2
                .into_iter()
                .find(|l| l.0.eq_ignore_ascii_case(&self.consumer.tenant_id))
            {
                Some(l) => l.1,
                None => {
                    out.push(Finding::info("rbac", "No principal given and no login for the consumer's tenant: RBAC on the gallery was not checked (pass principal=…).".into()));
                    return Ok(());
                }
            },
        };
        let owner_tenant = &self.t.owner.tenant_id;
        let object_id = match super::graph::resolve_assignee(client, owner_tenant, &principal).await
        {
            Ok((id, _)) => id,
            Err(_) => {
                out.push(Finding::info("rbac", format!("'{principal}' could not be looked up in the gallery's tenant '{owner_tenant}': RBAC was not checked.")));
                return Ok(());
            }
        };
        let filter = format!("principalId eq '{object_id}'");
        let url = client.arm_url(
            &format!(
                "{}/providers/Microsoft.Authorization/roleAssignments",
                self.gallery_id
            ),
            &client.api_version("role.assignment.list", "authorization"),
            &[("$filter", &filter)],
        )?;
        let assignments = Pager::new(url, arm(&self.t.owner))
            .collect(client)
            .await
            .unwrap_or_default();
        let covering: Vec<String> = assignments
            .iter()
            .filter_map(|ra| ra.pointer("/properties/scope").and_then(Value::as_str))
            .filter(|scope| {
                self.gallery_id
                    .to_ascii_lowercase()
                    .starts_with(&scope.trim_end_matches('/').to_ascii_lowercase())
            })
            .map(str::to_string)
            .collect();
        if let Some(scope) = covering.first() {
            out.push(Finding::ok("rbac", format!("'{principal}' holds a role on the gallery (assigned at '{scope}'), so it may read the image.")));
        } else {
            out.push(Finding::blocked("rbac", format!("'{principal}' has no role on the gallery: deploying from the full image id needs read access (Reader) on it."), Fix {
                cli: format!("az role assignment create --role Reader --assignee {principal} --scope {}", self.gallery_id),
                powershell: format!("New-AzRoleAssignment -ApplicationId {principal} -RoleDefinitionName Reader -Scope {}", self.gallery_id),
                python: format!("az.role.assignment.create(role=\"Reader\", assignee=\"{principal}\", scope=\"{}\")", self.gallery_id),
            }));
        }
        Ok(())
    }

    fn cross_tenant(&self, client: &Client, out: &mut Vec<Finding>) {
        let (image_tenant, consumer_tenant) = (&self.t.owner.tenant_id, &self.consumer.tenant_id);
        if image_tenant.eq_ignore_ascii_case(consumer_tenant) {
            out.push(Finding::ok(
                "auxiliary token",
                "The image and the consumer are in the same tenant: no auxiliary token is needed."
                    .into(),
            ));
        } else if client.has_login_for(image_tenant) {
            out.push(Finding::ok("auxiliary token", format!("The image is in tenant '{image_tenant}'; this session has a login there, so its token is sent as x-ms-authorization-auxiliary.")));
        } else {
            out.push(Finding::blocked("auxiliary token", format!("The image is in tenant '{image_tenant}' and the consumer in '{consumer_tenant}': ARM needs an auxiliary token for '{image_tenant}', and this session has no login there (LinkedAuthorizationFailed)."), Fix {
                cli: format!("az login --service-principal --username APP_ID --password SECRET --tenant {image_tenant}"),
                powershell: format!("Connect-AzAccount -ServicePrincipal -Credential $cred -Tenant {image_tenant}"),
                python: format!("az.login(service_principal=True, username=APP_ID, password=SECRET, tenant=\"{image_tenant}\")"),
            }));
        }
    }

    /// Regions of the version that will be deployed, and what `latest` resolves to.
    async fn versions(&self, client: &Client, out: &mut Vec<Finding>) {
        let Some(image) = &self.t.image else { return };
        let path = format!("{}/images/{}/versions", self.gallery_id, ids::seg(image));
        let Ok(url) = client.arm_url(
            &path,
            &client.api_version("sig.image_version.list", "gallery"),
            &[],
        ) else {
            return;
        };
        let mut versions = Pager::new(url, arm(&self.t.owner))
            .collect(client)
            .await
            .unwrap_or_default();
        versions.sort_by_key(|v| version_key(&name_of(v)));
        let wants_latest = self
            .t
            .version
            .as_deref()
            .is_none_or(|v| v.eq_ignore_ascii_case("latest"));
        let newest = versions.last().cloned();
        let latest = versions.iter().rev().find(|v| !excluded(v)).cloned();
        let chosen = if wants_latest {
            latest.clone()
        } else {
            versions
                .iter()
                .find(|v| {
                    name_of(v).eq_ignore_ascii_case(self.t.version.as_deref().unwrap_or_default())
                })
                .cloned()
        };
        let args = |v: &str| {
            format!(
                "{}, gallery_image_definition=\"{image}\", gallery_image_version=\"{v}\"",
                self.args()
            )
        };
        let (rg, g) = (&self.t.rg, &self.t.gallery);
        if wants_latest {
            if let (Some(n), Some(l)) = (&newest, &latest) {
                if name_of(n) != name_of(l) {
                    let v = name_of(n);
                    out.push(Finding::warning("latest", format!("'latest' resolves to {}: the newer {v} is excluded from latest.", name_of(l)), Fix {
                        cli: format!("az sig image-version update --resource-group {rg} --gallery-name {g} --gallery-image-definition {image} --gallery-image-version {v} --set publishingProfile.excludeFromLatest=false"),
                        powershell: format!("Update-AzGalleryImageVersion -ResourceGroupName {rg} -GalleryName {g} -GalleryImageDefinitionName {image} -Name {v} -PublishingProfileExcludeFromLatest:$false"),
                        python: format!("az.sig.image_version.update({}, exclude_from_latest=False)", args(&v)),
                    }));
                } else {
                    out.push(Finding::ok(
                        "latest",
                        format!("'latest' resolves to {}.", name_of(l)),
                    ));
                }
            }
        }
        let Some(chosen) = chosen else {
            out.push(Finding::info(
                "version",
                "The requested version does not exist (or every version is excluded from latest)."
                    .into(),
            ));
            return;
        };
        let regions = regions_of(&chosen);
        let name = name_of(&chosen);
        match self.location {
            None => out.push(Finding::info(
                "region",
                format!(
                    "Version {name} is replicated to {}; pass location=… to check a region.",
                    regions.join(", ")
                ),
            )),
            Some(loc) if regions.iter().any(|r| r == loc) => out.push(Finding::ok(
                "region",
                format!("Version {name} is replicated to {loc}."),
            )),
            Some(loc) => {
                let all: Vec<String> = regions
                    .iter()
                    .cloned()
                    .chain(std::iter::once(loc.to_string()))
                    .collect();
                let list = all
                    .iter()
                    .map(|r| format!("\"{r}\""))
                    .collect::<Vec<_>>()
                    .join(", ");
                out.push(Finding::blocked("region", format!("Version {name} is replicated to {} but not to {loc}: it cannot be seen or deployed there.", regions.join(", ")), Fix {
                    cli: format!("az sig image-version update --resource-group {rg} --gallery-name {g} --gallery-image-definition {image} --gallery-image-version {name} --target-regions {}", all.join(" ")),
                    powershell: format!("Update-AzGalleryImageVersion -ResourceGroupName {rg} -GalleryName {g} -GalleryImageDefinitionName {image} -Name {name} -TargetRegion {}", all.iter().map(|r| format!("@{{Name='{r}'}}")).collect::<Vec<_>>().join(",")),
                    python: format!("az.sig.image_version.update({}, target_regions=[{list}])", args(&name)),
                }));
            }
        }
    }
}
