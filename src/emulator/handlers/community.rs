//! Consumer views of community galleries: `.../locations/{loc}/communityGalleries/{publicName}/...`.
//!
//! A community gallery is public: once its owner ran `EnableCommunity`, every authenticated caller of
//! every tenant reads it by its public name (`{prefix}-{guid}`), with no role and no share. The
//! front door still applies the tenancy rule to the subscription in the path, as ARM does.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use super::shared::{gallery_in_location, image_properties, in_location, version_properties};
use crate::emulator::arm::{json_response, method_not_allowed, ArmError, ArmResult, Ctx};
use crate::emulator::path::Route;
use crate::emulator::store::{key, normalize_location, Gallery, ImageDefinition, Version, World};

const GALLERY_TYPE: &str = "Microsoft.Compute/locations/communityGallery";
const IMAGE_TYPE: &str = "Microsoft.Compute/locations/communityGalleryImage";
const VERSION_TYPE: &str = "Microsoft.Compute/locations/communityGalleryImageVersion";

pub(super) fn handle(ctx: &Ctx, route: &Route) -> ArmResult {
    if ctx.method != Method::GET {
        return Err(method_not_allowed(ctx));
    }
    let world = ctx.shared.world.lock();
    let body = match route {
        Route::CommunityGallery {
            location, public, ..
        } => {
            let (name, g) = find(&world, location, public)?;
            gallery_item(name, location, g)
        }
        Route::CommunityImages {
            location, public, ..
        } => {
            let (name, g) = find(&world, location, public)?;
            ctx.page(
                g.images
                    .values()
                    .map(|i| image_item(name, location, i))
                    .collect(),
            )
        }
        Route::CommunityImage {
            location,
            public,
            image,
            ..
        } => {
            let (name, g) = find(&world, location, public)?;
            image_item(name, location, image_of(g, location, public, image)?)
        }
        Route::CommunityVersions {
            location,
            public,
            image,
            ..
        } => {
            let (name, g) = find(&world, location, public)?;
            let i = image_of(g, location, public, image)?;
            ctx.page(
                i.versions
                    .values()
                    .filter(|v| in_location(v, location))
                    .map(|v| version_item(name, location, i, v))
                    .collect(),
            )
        }
        Route::CommunityVersion {
            location,
            public,
            image,
            version,
            ..
        } => {
            let (name, g) = find(&world, location, public)?;
            let i = image_of(g, location, public, image)?;
            // A version is visible only in the regions it is replicated to, like a shared one.
            let v = i
                .versions
                .get(&key(version))
                .filter(|v| in_location(v, location))
                .ok_or_else(|| {
                    not_found(
                        location,
                        &format!("{public}/images/{image}/versions/{version}"),
                    )
                })?;
            version_item(name, location, i, v)
        }
        _ => unreachable!("dispatch sends only community-gallery routes here"),
    };
    Ok(json_response(StatusCode::OK, body))
}

/// The public name of a gallery published to the community; `None` while it is not (not
/// Community, not yet enabled, or reset).
pub(super) fn public_name(g: &Gallery) -> Option<&str> {
    if g.sharing.permissions != "Community" {
        return None;
    }
    let community = g.sharing.community.as_ref().filter(|c| c.enabled)?;
    community.public_names.first().map(String::as_str)
}

/// Every gallery published to the community, with its public name.
pub(super) fn published(world: &World) -> impl Iterator<Item = (&str, &Gallery)> {
    world
        .all_galleries()
        .filter_map(|(_, _, g)| public_name(g).map(|name| (name, g)))
}

/// The published gallery with this public name (case-insensitive) that lives in `location`.
fn find<'w>(
    world: &'w World,
    location: &str,
    public: &str,
) -> Result<(&'w str, &'w Gallery), ArmError> {
    published(world)
        .find(|(name, g)| name.eq_ignore_ascii_case(public) && gallery_in_location(g, location))
        .ok_or_else(|| not_found(location, public))
}

fn image_of<'g>(
    g: &'g Gallery,
    location: &str,
    public: &str,
    image: &str,
) -> Result<&'g ImageDefinition, ArmError> {
    g.images
        .get(&key(image))
        .ok_or_else(|| not_found(location, &format!("{public}/images/{image}")))
}

/// 404 `ResourceNotFound` naming the public path, the same answer for "unknown", "not enabled"
/// and "not in this region", so a consumer learns nothing about unpublished galleries.
fn not_found(location: &str, name: &str) -> ArmError {
    ArmError::not_found(
        "ResourceNotFound",
        format!("The Resource 'Microsoft.Compute/locations/{location}/communityGalleries/{name}' was not found."),
    )
}

/// `communityMetadata` as consumers see it: the publisher fields and the public names, never the
/// owner's subscription, resource group or gallery name.
/// A gallery owner cannot set a privacy statement (`communityGalleryInfo` has no such field), so the
/// publisher's URI stands in for it: the one place the publisher's policies are known to live.
fn metadata(g: &Gallery) -> Value {
    let c = g.sharing.community.clone().unwrap_or_default();
    json!({"publisherUri": c.publisher_uri, "publisherContact": c.publisher_contact, "eula": c.eula,
           "publicNames": c.public_names, "privacyStatementUri": c.publisher_uri})
}

/// What every community item carries for consumers, as the spec examples show; Azure sets the text,
/// not the owner, so the emulator states what the publisher model means.
const DISCLAIMER: &str =
    "Community gallery images are published by their publishers, not by Microsoft. \
    Review the publisher's terms (EULA) before you deploy them.";

/// Adds the `disclaimer` every community item carries.
fn with_disclaimer(mut properties: Value) -> Value {
    if let Some(p) = properties.as_object_mut() {
        p.insert("disclaimer".into(), json!(DISCLAIMER));
    }
    properties
}

/// The properties of a community gallery, shared by the Compute view and Resource Graph rows.
pub(super) fn gallery_properties(g: &Gallery) -> Value {
    with_disclaimer(json!({"communityMetadata": metadata(g), "artifactTags": {}}))
}

fn item(kind: &str, name: &str, location: &str, unique_id: String, properties: Value) -> Value {
    json!({"name": name, "location": normalize_location(location), "type": kind,
           "identifier": {"uniqueId": unique_id}, "properties": properties})
}

fn gallery_item(public: &str, location: &str, g: &Gallery) -> Value {
    item(
        GALLERY_TYPE,
        public,
        location,
        format!("/CommunityGalleries/{public}"),
        gallery_properties(g),
    )
}

fn image_item(public: &str, location: &str, i: &ImageDefinition) -> Value {
    item(
        IMAGE_TYPE,
        &i.name,
        location,
        format!("/CommunityGalleries/{public}/Images/{}", i.name),
        with_disclaimer(image_properties(i)),
    )
}

fn version_item(public: &str, location: &str, i: &ImageDefinition, v: &Version) -> Value {
    item(
        VERSION_TYPE,
        &v.name,
        location,
        format!(
            "/CommunityGalleries/{public}/Images/{}/Versions/{}",
            i.name, v.name
        ),
        with_disclaimer(version_properties(v)),
    )
}
