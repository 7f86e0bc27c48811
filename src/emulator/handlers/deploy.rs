//! The deployment rules for the image of a VM or scale set (`storageProfile.imageReference`).
//!
//! Two stages, in the order Azure applies them:
//! 1. ARM's linked-access check, before the resource provider sees the request: an `id` must be a
//!    fully qualified resource id, and the caller must be able to read the image it names — through
//!    an `x-ms-authorization-auxiliary` token when the image lives in another tenant.
//! 2. Compute's resolution: exactly one reference kind; the image must exist, be visible to the
//!    VM's subscription (direct share or community), and have a version replicated to its region.

use axum::http::StatusCode;
use serde_json::Value;

use super::galleries::unique_name;
use super::shared::in_location;
use crate::emulator::arm::{ArmError, Ctx};
use crate::emulator::path::{self, Route};
use crate::emulator::rbac;
use crate::emulator::store::{key, Gallery, ImageDefinition, Version, World};

/// The VM or scale set being written, as the rules see it.
pub(super) struct Deployment<'a> {
    pub ctx: &'a Ctx<'a>,
    pub world: &'a World,
    /// Subscription and region of the VM.
    pub sub: &'a str,
    pub location: &'a str,
    /// `Microsoft.Compute/virtualMachines/write` and the VM id, for `LinkedAuthorizationFailed`.
    pub write_action: String,
    pub scope: &'a str,
    /// JSON path of the image reference in the body, e.g. `properties.storageProfile.imageReference`.
    pub property_path: &'static str,
}

/// What the image reference resolved to.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Resolved {
    pub os_type: String,
    /// The gallery image version used (`latest` resolved), reported as `exactVersion`.
    pub exact_version: Option<String>,
}

/// The one kind of reference a valid `imageReference` holds.
enum Reference<'v> {
    Id(&'v str),
    Shared(&'v str),
    Community(&'v str),
    Marketplace,
}

const MARKETPLACE_FIELDS: [&str; 4] = ["publisher", "offer", "sku", "version"];

fn text<'v>(reference: &'v Value, field: &str) -> Option<&'v str> {
    reference
        .get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// A gallery image (`version` None: its latest) or a managed image, parsed from an `id`.
enum ImageId {
    Gallery {
        sub: String,
        rg: String,
        gallery: String,
        image: String,
        version: Option<String>,
    },
    Managed {
        sub: String,
        rg: String,
        name: String,
    },
}

impl ImageId {
    fn parse(id: &str) -> Option<ImageId> {
        match path::parse(id)?.route {
            Route::Image {
                sub,
                rg,
                gallery,
                image,
            } => Some(ImageId::Gallery {
                sub,
                rg,
                gallery,
                image,
                version: None,
            }),
            Route::Version {
                sub,
                rg,
                gallery,
                image,
                version,
            } => Some(ImageId::Gallery {
                sub,
                rg,
                gallery,
                image,
                version: Some(version),
            }),
            Route::ManagedImage { sub, rg, name } => Some(ImageId::Managed { sub, rg, name }),
            _ => None,
        }
    }

    fn subscription(&self) -> &str {
        match self {
            ImageId::Gallery { sub, .. } | ImageId::Managed { sub, .. } => sub,
        }
    }

    /// The read action ARM requires on the linked image.
    fn read_action(&self) -> &'static str {
        match self {
            ImageId::Gallery {
                version: Some(_), ..
            } => "Microsoft.Compute/galleries/images/versions/read",
            ImageId::Gallery { version: None, .. } => "Microsoft.Compute/galleries/images/read",
            ImageId::Managed { .. } => "Microsoft.Compute/images/read",
        }
    }
}

impl Deployment<'_> {
    /// Stage 1: ARM's linked-access check of `imageReference.id`.
    pub(super) fn authorize_linked(&self, reference: &Value) -> Result<(), ArmError> {
        let Some(id) = text(reference, "id") else {
            return Ok(());
        };
        if !is_fully_qualified(id) {
            return Err(self.invalid_property_id(id));
        }
        let Some(image) = ImageId::parse(id) else {
            // Not an image id at all: Compute's validation names it.
            return Ok(());
        };
        let action = image.read_action();
        let vm_tenant = &self.ctx.caller.tid;
        let image_tenant = self
            .ctx
            .shared
            .directory
            .subscription(image.subscription())
            .map(|s| s.tenant_id.as_str());
        let Some(image_tenant) = image_tenant else {
            return Err(self.linked_permission_failed(action, id));
        };
        let allowed = |oid: &str| rbac::is_allowed(&self.world.role_assignments, oid, action, id);
        if image_tenant.eq_ignore_ascii_case(vm_tenant) {
            return match allowed(&self.ctx.caller.oid) {
                true => Ok(()),
                false => Err(self.linked_permission_failed(action, id)),
            };
        }
        let mut aux = self
            .ctx
            .aux
            .iter()
            .filter(|c| c.tid.eq_ignore_ascii_case(image_tenant))
            .peekable();
        if aux.peek().is_none() {
            return Err(self.ctx.linked_tenant_failed(
                &self.write_action,
                self.scope,
                image.subscription(),
            ));
        }
        match aux.any(|c| allowed(&c.oid)) {
            true => Ok(()),
            false => Err(self.linked_permission_failed(action, id)),
        }
    }

    fn linked_permission_failed(&self, action: &str, id: &str) -> ArmError {
        self.ctx
            .linked_permission_failed(&self.write_action, self.scope, action, id)
    }

    fn invalid_property_id(&self, id: &str) -> ArmError {
        ArmError::bad_request(
            "LinkedInvalidPropertyId",
            format!(
                "Property id '{id}' at path '{}.id' is invalid. Expect fully qualified resource Id that start with \
                 '/subscriptions/{{subscriptionId}}' or '/providers/{{resourceProviderNamespace}}/'.",
                self.property_path
            ),
        )
    }

    /// Stage 2: Compute's resolution of the reference.
    pub(super) fn resolve(&self, reference: &Value) -> Result<Resolved, ArmError> {
        match select(reference)? {
            Reference::Marketplace => marketplace(reference),
            Reference::Id(id) => self.resolve_id(id),
            Reference::Shared(id) => self.resolve_shared(id),
            Reference::Community(id) => self.resolve_community(id),
        }
    }

    fn resolve_id(&self, id: &str) -> Result<Resolved, ArmError> {
        let image = ImageId::parse(id).ok_or_else(|| {
            ArmError::invalid_parameter(
                "imageReference.id",
                format!(
                    "The value '{id}' of parameter 'imageReference.id' is invalid: expected the id of a gallery image, \
                     a gallery image version or a managed image."
                ),
            )
        })?;
        match image {
            ImageId::Managed { sub, rg, name } => {
                let found = self
                    .world
                    .resource_group(&sub, &rg)
                    .and_then(|g| g.managed_images.get(&key(&name)))
                    .ok_or_else(|| {
                        ArmError::not_found(
                            "NotFound",
                            format!("The image '{id}' could not be found."),
                        )
                    })?;
                Ok(Resolved {
                    os_type: found.os_type.clone(),
                    exact_version: None,
                })
            }
            ImageId::Gallery {
                sub,
                rg,
                gallery,
                image,
                version,
            } => {
                let definition = self
                    .world
                    .resource_group(&sub, &rg)
                    .and_then(|g| g.galleries.get(&key(&gallery)))
                    .and_then(|g| g.images.get(&key(&image)))
                    .ok_or_else(|| self.gallery_image_not_found(id))?;
                self.pick(id, definition, version.as_deref())
            }
        }
    }

    fn resolve_shared(&self, id: &str) -> Result<Resolved, ArmError> {
        let (unique, image, version) =
            parse_gallery_path(id, "SharedGalleries").ok_or_else(|| {
                malformed(
                    "imageReference.sharedGalleryImageId",
                    id,
                    "/SharedGalleries/{galleryUniqueName}/Images/{image}/Versions/{version|latest}",
                )
            })?;
        let tenant = self
            .ctx
            .shared
            .directory
            .subscription(self.sub)
            .map(|s| s.tenant_id.clone())
            .unwrap_or_default();
        let definition = self
            .world
            .all_galleries()
            .find(|(owner, _, g)| unique_name(owner, &g.name).eq_ignore_ascii_case(unique))
            .filter(|(_, _, g)| shared_with(g, self.sub, &tenant))
            .and_then(|(_, _, g)| g.images.get(&key(image)))
            .ok_or_else(|| self.gallery_image_not_found(id))?;
        self.pick(id, definition, version)
    }

    fn resolve_community(&self, id: &str) -> Result<Resolved, ArmError> {
        let (public_name, image, version) =
            parse_gallery_path(id, "CommunityGalleries").ok_or_else(|| {
                malformed("imageReference.communityGalleryImageId", id, "/CommunityGalleries/{publicGalleryName}/Images/{image}/Versions/{version|latest}")
            })?;
        let definition = self
            .world
            .all_galleries()
            .find(|(_, _, g)| community_name_is(g, public_name))
            .and_then(|(_, _, g)| g.images.get(&key(image)))
            .ok_or_else(|| self.gallery_image_not_found(id))?;
        self.pick(id, definition, version)
    }

    /// The version to deploy: the named one, or the newest not excluded from latest, in the VM's region.
    fn pick(
        &self,
        id: &str,
        definition: &ImageDefinition,
        version: Option<&str>,
    ) -> Result<Resolved, ArmError> {
        let os_type = definition
            .properties
            .get("osType")
            .and_then(Value::as_str)
            .unwrap_or("Linux")
            .to_string();
        let chosen = match version.filter(|v| !v.eq_ignore_ascii_case("latest")) {
            Some(v) => {
                let found = definition
                    .versions
                    .get(&key(v))
                    .ok_or_else(|| self.gallery_image_not_found(id))?;
                Some(found).filter(|found| in_location(found, self.location))
            }
            None => {
                let candidates = latest_candidates(definition);
                if candidates.is_empty() {
                    return Err(self.gallery_image_not_found(id));
                }
                candidates
                    .into_iter()
                    .find(|v| in_location(v, self.location))
            }
        };
        match chosen {
            Some(v) => Ok(Resolved {
                os_type,
                exact_version: Some(v.name.clone()),
            }),
            None => Err(self.not_in_region(id)),
        }
    }

    /// 404 `GalleryImageNotFound`: missing, or not shared with the VM's subscription or its tenant.
    fn gallery_image_not_found(&self, id: &str) -> ArmError {
        ArmError::new(
            StatusCode::NOT_FOUND,
            "GalleryImageNotFound",
            format!(
                "The gallery image {id} is not found or is not accessible from subscription '{}'. Please make sure \
                 that the image and version exist and that the gallery is shared with this subscription or its \
                 tenant (a community gallery must be enabled for community sharing).",
                self.sub
            ),
        )
    }

    /// 400 `GalleryImageVersionNotAvailableInRegion`: the version is not replicated to the VM's region.
    fn not_in_region(&self, id: &str) -> ArmError {
        let mut e = ArmError::bad_request(
            "GalleryImageVersionNotAvailableInRegion",
            format!(
                "The gallery image {id} is not available in {} region. Please contact image owner to replicate to \
                 this region, or change your requested region.",
                self.location
            ),
        );
        e.target = Some("imageReference".into());
        e
    }
}

/// ARM accepts only `/subscriptions/...` and `/providers/...` ids in an `id` property.
fn is_fully_qualified(id: &str) -> bool {
    let lower = id.to_ascii_lowercase();
    lower.starts_with("/subscriptions/") || lower.starts_with("/providers/")
}

/// Exactly one of `id`, `sharedGalleryImageId`, `communityGalleryImageId` or a marketplace image.
fn select(reference: &Value) -> Result<Reference<'_>, ArmError> {
    let marketplace = MARKETPLACE_FIELDS
        .iter()
        .any(|f| text(reference, f).is_some());
    let mut kinds = Vec::new();
    if let Some(id) = text(reference, "id") {
        kinds.push(Reference::Id(id));
    }
    if let Some(id) = text(reference, "sharedGalleryImageId") {
        kinds.push(Reference::Shared(id));
    }
    if let Some(id) = text(reference, "communityGalleryImageId") {
        kinds.push(Reference::Community(id));
    }
    if marketplace {
        kinds.push(Reference::Marketplace);
    }
    if kinds.len() != 1 {
        return Err(ArmError::invalid_parameter(
            "imageReference",
            "Exactly one of 'id', 'sharedGalleryImageId', 'communityGalleryImageId' or a marketplace image \
             ('publisher', 'offer', 'sku', 'version') must be specified in 'imageReference'.",
        ));
    }
    Ok(kinds.remove(0))
}

/// Any marketplace image is accepted once all four fields are given.
fn marketplace(reference: &Value) -> Result<Resolved, ArmError> {
    for field in MARKETPLACE_FIELDS {
        if text(reference, field).is_none() {
            let target = format!("imageReference.{field}");
            return Err(ArmError::invalid_parameter(
                &target,
                format!("Required parameter '{target}' is missing (null)."),
            ));
        }
    }
    let windows = ["publisher", "offer"]
        .iter()
        .any(|f| text(reference, f).is_some_and(|v| v.to_ascii_lowercase().contains("windows")));
    Ok(Resolved {
        os_type: if windows { "Windows" } else { "Linux" }.into(),
        exact_version: None,
    })
}

fn malformed(target: &str, id: &str, shape: &str) -> ArmError {
    ArmError::invalid_parameter(
        target,
        format!(
            "The value '{id}' of parameter '{target}' is invalid. Expected the format '{shape}'."
        ),
    )
}

/// `/{root}/{name}/Images/{image}[/Versions/{version}]`, keywords case-insensitive.
fn parse_gallery_path<'a>(id: &'a str, root: &str) -> Option<(&'a str, &'a str, Option<&'a str>)> {
    let segs: Vec<&str> = id.split('/').filter(|s| !s.is_empty()).collect();
    let is = |s: &str, k: &str| s.eq_ignore_ascii_case(k);
    match segs.as_slice() {
        [r, name, i, image] if is(r, root) && is(i, "Images") => Some((name, image, None)),
        [r, name, i, image, v, version] if is(r, root) && is(i, "Images") && is(v, "Versions") => {
            Some((name, image, Some(version)))
        }
        _ => None,
    }
}

/// Direct sharing: the Subscriptions group names the VM's subscription, or AADTenants its tenant.
fn shared_with(g: &Gallery, sub: &str, tenant: &str) -> bool {
    g.sharing.permissions == "Groups"
        && (g
            .sharing
            .subscriptions
            .iter()
            .any(|s| s.eq_ignore_ascii_case(sub))
            || g.sharing
                .tenants
                .iter()
                .any(|t| t.eq_ignore_ascii_case(tenant)))
}

fn community_name_is(g: &Gallery, public_name: &str) -> bool {
    g.sharing.permissions == "Community"
        && g.sharing.community.as_ref().is_some_and(|c| {
            c.enabled
                && c.public_names
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(public_name))
        })
}

/// `major.minor.patch` as numbers, so 1.10.0 sorts after 1.9.0.
fn version_order(name: &str) -> Vec<u64> {
    name.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// Versions eligible for `latest`, newest first.
fn latest_candidates(definition: &ImageDefinition) -> Vec<&Version> {
    let mut versions: Vec<&Version> = definition
        .versions
        .values()
        .filter(|v| {
            !v.properties
                .pointer("/publishingProfile/excludeFromLatest")
                .and_then(Value::as_bool)
                .unwrap_or(false)
        })
        .collect();
    versions.sort_by_key(|v| std::cmp::Reverse(version_order(&v.name)));
    versions
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn exactly_one_reference_kind() {
        assert!(matches!(
            select(&json!({"id": "/subscriptions/s"})),
            Ok(Reference::Id(_))
        ));
        assert!(matches!(
            select(&json!({"publisher": "p", "offer": "o", "sku": "s", "version": "latest"})),
            Ok(Reference::Marketplace)
        ));
        let both = json!({"id": "/x", "sharedGalleryImageId": "/SharedGalleries/u"});
        let error = select(&both).err().unwrap();
        assert_eq!(error.target.as_deref(), Some("imageReference"));
        assert!(select(&json!({})).is_err());
        let partial = marketplace(&json!({"publisher": "p", "offer": "o"})).unwrap_err();
        assert_eq!(partial.target.as_deref(), Some("imageReference.sku"));
    }

    #[test]
    fn gallery_paths_parse_case_insensitively() {
        assert_eq!(
            parse_gallery_path(
                "/sharedgalleries/U/images/img/VERSIONS/latest",
                "SharedGalleries"
            ),
            Some(("U", "img", Some("latest")))
        );
        assert_eq!(
            parse_gallery_path("/CommunityGalleries/p-1/Images/img", "CommunityGalleries"),
            Some(("p-1", "img", None))
        );
        assert!(parse_gallery_path("/SharedGalleries/U/Images", "SharedGalleries").is_none());
        assert!(parse_gallery_path("/SharedGalleries/U/Images/i", "CommunityGalleries").is_none());
    }

    #[test]
    fn versions_order_numerically() {
        assert!(version_order("1.10.0") > version_order("1.9.0"));
        assert!(is_fully_qualified("/Subscriptions/x"));
        assert!(!is_fully_qualified("/SharedGalleries/x"));
    }
}
