//! In-memory ARM state, keyed by subscription, then resource group; names are case-insensitive
//! (keys are lower-cased, the display name is kept).

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::directory::{derived_id, Directory};
use super::lro::Operation;
use super::path::Kind;
use super::rbac;

/// When a resource's `provisioningState` leaves `Creating`/`Updating` (computed lazily on read).
#[derive(Debug, Clone)]
pub(crate) struct Provisioning {
    pub verb: &'static str,
    pub done_at: Instant,
}

/// [`Provisioning`] on disk: the verb by name and the time left, since an `Instant` has no meaning
/// after a restart.
#[derive(Serialize, Deserialize)]
struct StoredProvisioning {
    verb: String,
    #[serde(with = "super::persist::instant")]
    done_at: Instant,
}

impl Serialize for Provisioning {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        StoredProvisioning {
            verb: self.verb.to_string(),
            done_at: self.done_at,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Provisioning {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let p = StoredProvisioning::deserialize(d)?;
        let verb = ["Creating", "Updating", "Deleting"]
            .into_iter()
            .find(|v| *v == p.verb)
            .unwrap_or("Succeeded");
        Ok(Provisioning {
            verb,
            done_at: p.done_at,
        })
    }
}

impl Provisioning {
    pub(crate) fn succeeded() -> Self {
        Provisioning {
            verb: "Succeeded",
            done_at: Instant::now(),
        }
    }

    pub(crate) fn state(&self) -> &'static str {
        if Instant::now() >= self.done_at {
            "Succeeded"
        } else {
            self.verb
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RoleAssignment {
    pub name: String,
    pub scope: String,
    pub role_id: String,
    pub principal_id: String,
    pub principal_type: String,
    pub created: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ManagedImage {
    pub name: String,
    pub location: String,
    pub os_type: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Community {
    pub publisher_uri: String,
    pub publisher_contact: String,
    pub eula: String,
    pub public_name_prefix: String,
    pub enabled: bool,
    pub public_names: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Sharing {
    /// Canonical: `Private`, `Groups` or `Community`.
    pub permissions: String,
    pub subscriptions: Vec<String>,
    pub tenants: Vec<String>,
    pub community: Option<Community>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Version {
    pub name: String,
    pub location: String,
    pub tags: Value,
    /// Stored `properties` (defaults applied), without `provisioningState`.
    pub properties: Value,
    pub provisioning: Provisioning,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ImageDefinition {
    pub name: String,
    pub location: String,
    pub tags: Value,
    pub properties: Value,
    pub provisioning: Provisioning,
    pub versions: BTreeMap<String, Version>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Gallery {
    pub name: String,
    pub location: String,
    pub tags: Value,
    pub description: Option<String>,
    pub sharing: Sharing,
    pub provisioning: Provisioning,
    pub images: BTreeMap<String, ImageDefinition>,
}

/// A Network or Compute resource (VNet, public IP, NSG, NIC, VM, scale set). Child resources
/// (subnets, security rules) stay inline in `properties`, as Azure returns them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Resource {
    pub kind: Kind,
    pub name: String,
    pub location: String,
    pub tags: Value,
    /// Top-level `sku` (public IPs, scale sets).
    pub sku: Option<Value>,
    /// Stored `properties` without `provisioningState` (computed from `provisioning`).
    pub properties: Value,
    /// Changes on every write, as Network's `W/"{guid}"` etags do.
    pub etag: String,
    pub provisioning: Provisioning,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ResourceGroup {
    pub name: String,
    pub location: String,
    pub tags: Value,
    pub managed_images: BTreeMap<String, ManagedImage>,
    pub galleries: BTreeMap<String, Gallery>,
    /// Keyed by [`resource_key`].
    pub resources: BTreeMap<String, Resource>,
}

impl ResourceGroup {
    pub(crate) fn new(name: &str, location: &str) -> Self {
        ResourceGroup {
            name: name.to_string(),
            location: location.to_string(),
            tags: Value::Object(Default::default()),
            managed_images: BTreeMap::new(),
            galleries: BTreeMap::new(),
            resources: BTreeMap::new(),
        }
    }
}

/// The key of a resource in [`ResourceGroup::resources`]: type and name, case-insensitive.
pub(crate) fn resource_key(kind: Kind, name: &str) -> String {
    key(&format!("{}/{name}", kind.segment()))
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct SubscriptionState {
    pub resource_groups: BTreeMap<String, ResourceGroup>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct World {
    /// Keyed by lower-cased subscription id.
    pub subscriptions: HashMap<String, SubscriptionState>,
    pub role_assignments: Vec<RoleAssignment>,
    pub operations: HashMap<String, Operation>,
}

pub(crate) fn key(name: &str) -> String {
    name.to_ascii_lowercase()
}

impl World {
    /// The state a seed describes: its resource groups, managed images and role assignments.
    pub(crate) fn seeded(dir: &Directory) -> World {
        let mut world = World::default();
        for sub in &dir.subscriptions {
            world
                .subscriptions
                .insert(key(&sub.id), SubscriptionState::default());
        }
        for rg in &dir.resource_groups {
            let sub = dir.subscription(&rg.subscription).expect("seed validated");
            let state = world.subscriptions.entry(key(&sub.id)).or_default();
            state
                .resource_groups
                .insert(key(&rg.name), ResourceGroup::new(&rg.name, &rg.location));
        }
        for img in &dir.managed_images {
            let sub = dir.subscription(&img.subscription).expect("seed validated");
            if let Some(rg) = world.resource_group_mut(&sub.id, &img.resource_group) {
                let image = ManagedImage {
                    name: img.name.clone(),
                    location: img.location.clone(),
                    os_type: img.os_type.clone(),
                };
                rg.managed_images.insert(key(&img.name), image);
            }
        }
        world.role_assignments = seeded_assignments(dir);
        world
    }

    pub(crate) fn subscription(&self, sub: &str) -> Option<&SubscriptionState> {
        self.subscriptions.get(&key(sub))
    }

    pub(crate) fn resource_group(&self, sub: &str, rg: &str) -> Option<&ResourceGroup> {
        self.subscription(sub)?.resource_groups.get(&key(rg))
    }

    pub(crate) fn resource_group_mut(&mut self, sub: &str, rg: &str) -> Option<&mut ResourceGroup> {
        self.subscriptions
            .get_mut(&key(sub))?
            .resource_groups
            .get_mut(&key(rg))
    }

    pub(crate) fn resource(
        &self,
        sub: &str,
        rg: &str,
        kind: Kind,
        name: &str,
    ) -> Option<&Resource> {
        self.resource_group(sub, rg)?
            .resources
            .get(&resource_key(kind, name))
    }

    /// Every stored resource of `kind`, with the subscription id and resource group name that hold it.
    pub(crate) fn all_resources(
        &self,
        kind: Kind,
    ) -> impl Iterator<Item = (&str, &ResourceGroup, &Resource)> {
        self.subscriptions.iter().flat_map(move |(sub, state)| {
            state.resource_groups.values().flat_map(move |rg| {
                rg.resources
                    .values()
                    .filter(move |r| r.kind == kind)
                    .map(move |r| (sub.as_str(), rg, r))
            })
        })
    }

    /// Every gallery with the subscription id and resource group name that hold it.
    pub(crate) fn all_galleries(&self) -> impl Iterator<Item = (&str, &ResourceGroup, &Gallery)> {
        self.subscriptions.iter().flat_map(|(sub, state)| {
            state
                .resource_groups
                .values()
                .flat_map(move |rg| rg.galleries.values().map(move |g| (sub.as_str(), rg, g)))
        })
    }
}

fn seeded_assignments(dir: &Directory) -> Vec<RoleAssignment> {
    let mut out = Vec::new();
    for ra in &dir.role_assignments {
        let principal = dir
            .principal_by_name(&ra.principal)
            .expect("seed validated");
        let role = rbac::role_by_name(&ra.role).expect("seed validated");
        let Some(sub) =
            super::path::scope_subscription(&ra.scope).and_then(|s| dir.subscription(s))
        else {
            continue;
        };
        let tenant = dir.tenant(&sub.tenant).expect("seed validated");
        let Some(oid) = dir.object_id_in(&principal, tenant) else {
            continue;
        };
        let principal_type = match principal {
            super::directory::Principal::ServicePrincipal(_) => "ServicePrincipal",
            super::directory::Principal::User(_) => "User",
        };
        out.push(RoleAssignment {
            name: derived_id(&format!(
                "{}|{}|{}",
                ra.principal,
                role.name,
                ra.scope.to_ascii_lowercase()
            )),
            scope: ra.scope.clone(),
            role_id: role.id.to_string(),
            principal_id: oid,
            principal_type: principal_type.to_string(),
            created: "2024-01-01T00:00:00.0000000Z".to_string(),
        });
    }
    out
}

/// Azure location names compare without case or spaces ("East US" == "eastus").
pub(crate) fn normalize_location(location: &str) -> String {
    location
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}
