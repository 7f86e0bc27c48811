//! Consumer views of directly shared galleries: `.../locations/{loc}/sharedGalleries/...`.

use axum::http::{Method, StatusCode};
use serde_json::{json, Map, Value};

use super::galleries::unique_name;
use super::images::target_regions;
use crate::emulator::arm::{json_response, method_not_allowed, ArmError, ArmResult, Ctx};
use crate::emulator::path::Route;
use crate::emulator::store::{key, normalize_location, Gallery, ImageDefinition, Version, World};

/// How a consumer subscription may see a gallery.
#[derive(Clone, Copy, PartialEq)]
enum Audience {
    Subscription,
    Tenant,
    Either,
}

pub(super) fn handle(ctx: &Ctx, route: &Route) -> ArmResult {
    if ctx.method != Method::GET {
        return Err(method_not_allowed(ctx));
    }
    let list_audience = if ctx
        .query("sharedTo")
        .is_some_and(|s| s.eq_ignore_ascii_case("tenant"))
    {
        Audience::Tenant
    } else {
        Audience::Subscription
    };
    let world = ctx.shared.world.lock();
    let view = View { ctx, world: &world };
    let body = match route {
        Route::SharedGalleries { sub, location } => {
            ctx.page(view.galleries(sub, location, list_audience))
        }
        Route::SharedGallery {
            sub,
            location,
            unique,
        } => {
            let (u, _) = view.gallery(sub, location, unique, Audience::Either)?;
            gallery_item(&u, location)
        }
        Route::SharedImages {
            sub,
            location,
            unique,
        } => {
            let (u, g) = view.gallery(sub, location, unique, list_audience)?;
            ctx.page(
                g.images
                    .values()
                    .map(|i| image_item(&u, location, i))
                    .collect(),
            )
        }
        Route::SharedImage {
            sub,
            location,
            unique,
            image,
        } => {
            let (u, g) = view.gallery(sub, location, unique, Audience::Either)?;
            image_item(
                &u,
                location,
                g.images
                    .get(&key(image))
                    .ok_or_else(|| not_found(location, &format!("{unique}/images/{image}")))?,
            )
        }
        Route::SharedVersions {
            sub,
            location,
            unique,
            image,
        } => {
            let (u, g) = view.gallery(sub, location, unique, list_audience)?;
            let i = g
                .images
                .get(&key(image))
                .ok_or_else(|| not_found(location, &format!("{unique}/images/{image}")))?;
            ctx.page(
                i.versions
                    .values()
                    .filter(|v| in_location(v, location))
                    .map(|v| version_item(&u, location, i, v))
                    .collect(),
            )
        }
        Route::SharedVersion {
            sub,
            location,
            unique,
            image,
            version,
        } => {
            let (u, g) = view.gallery(sub, location, unique, Audience::Either)?;
            let missing = || {
                not_found(
                    location,
                    &format!("{unique}/images/{image}/versions/{version}"),
                )
            };
            let i = g.images.get(&key(image)).ok_or_else(missing)?;
            let v = i
                .versions
                .get(&key(version))
                .filter(|v| in_location(v, location))
                .ok_or_else(missing)?;
            version_item(&u, location, i, v)
        }
        _ => unreachable!("dispatch sends only shared-gallery routes here"),
    };
    Ok(json_response(StatusCode::OK, body))
}

fn not_found(location: &str, name: &str) -> ArmError {
    ArmError::not_found(
        "ResourceNotFound",
        format!("The Resource 'Microsoft.Compute/locations/{location}/sharedGalleries/{name}' was not found."),
    )
}

pub(super) fn in_location(v: &Version, location: &str) -> bool {
    let wanted = normalize_location(location);
    target_regions(&v.properties)
        .iter()
        .any(|r| normalize_location(r) == wanted)
}

/// A gallery lives where it was created and wherever any of its versions is replicated.
pub(super) fn gallery_in_location(g: &Gallery, location: &str) -> bool {
    normalize_location(&g.location) == normalize_location(location)
        || g.images
            .values()
            .flat_map(|i| i.versions.values())
            .any(|v| in_location(v, location))
}

struct View<'a> {
    ctx: &'a Ctx<'a>,
    world: &'a World,
}

impl<'a> View<'a> {
    fn tenant_of(&self, sub: &str) -> String {
        self.ctx
            .shared
            .directory
            .subscription(sub)
            .map(|s| s.tenant_id.clone())
            .unwrap_or_default()
    }

    fn shared_with(&self, g: &Gallery, sub: &str, audience: Audience) -> bool {
        if g.sharing.permissions != "Groups" {
            return false;
        }
        let tenant = self.tenant_of(sub);
        let by_sub = g
            .sharing
            .subscriptions
            .iter()
            .any(|s| s.eq_ignore_ascii_case(sub));
        let by_tenant = g
            .sharing
            .tenants
            .iter()
            .any(|t| t.eq_ignore_ascii_case(&tenant));
        match audience {
            Audience::Subscription => by_sub,
            Audience::Tenant => by_tenant,
            Audience::Either => by_sub || by_tenant,
        }
    }

    fn visible<'s>(
        &'s self,
        sub: &'s str,
        location: &'s str,
        audience: Audience,
    ) -> impl Iterator<Item = (String, &'a Gallery)> + 's {
        self.world
            .all_galleries()
            .filter(move |(_, _, g)| {
                self.shared_with(g, sub, audience) && gallery_in_location(g, location)
            })
            .map(|(owner, _, g)| (unique_name(owner, &g.name), g))
    }

    fn galleries(&self, sub: &str, location: &str, audience: Audience) -> Vec<Value> {
        let mut items: Vec<(String, Value)> = self
            .visible(sub, location, audience)
            .map(|(u, _)| (u.clone(), gallery_item(&u, location)))
            .collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        items.into_iter().map(|(_, v)| v).collect()
    }

    fn gallery(
        &self,
        sub: &str,
        location: &str,
        unique: &str,
        audience: Audience,
    ) -> Result<(String, &'a Gallery), ArmError> {
        self.visible(sub, location, audience)
            .find(|(u, _)| u.eq_ignore_ascii_case(unique))
            .ok_or_else(|| not_found(location, unique))
    }
}

fn item(name: &str, location: &str, unique_id: String, properties: Value) -> Value {
    json!({"name": name, "location": normalize_location(location), "identifier": {"uniqueId": unique_id},
           "properties": properties})
}

fn gallery_item(unique: &str, location: &str) -> Value {
    item(
        unique,
        location,
        format!("/SharedGalleries/{unique}"),
        json!({"artifactTags": {}}),
    )
}

fn image_item(unique: &str, location: &str, i: &ImageDefinition) -> Value {
    item(
        &i.name,
        location,
        format!("/SharedGalleries/{unique}/Images/{}", i.name),
        image_properties(i),
    )
}

/// What a consumer (shared or community) sees of an image definition's properties.
pub(super) fn image_properties(i: &ImageDefinition) -> Value {
    let mut props = Map::new();
    for field in [
        "osType",
        "osState",
        "hyperVGeneration",
        "identifier",
        "eula",
        "architecture",
        "features",
        "endOfLifeDate",
        "purchasePlan",
        "privacyStatementUri",
    ] {
        if let Some(v) = i.properties.get(field) {
            props.insert(field.into(), v.clone());
        }
    }
    props.insert("artifactTags".into(), json!({}));
    Value::Object(props)
}

fn version_item(unique: &str, location: &str, i: &ImageDefinition, v: &Version) -> Value {
    item(
        &v.name,
        location,
        format!(
            "/SharedGalleries/{unique}/Images/{}/Versions/{}",
            i.name, v.name
        ),
        version_properties(v),
    )
}

/// What a consumer (shared or community) sees of an image version's properties: dates, the
/// latest flag and disk sizes, never the source or the replication details.
pub(super) fn version_properties(v: &Version) -> Value {
    let profile = v
        .properties
        .get("publishingProfile")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let mut props = json!({"publishedDate": profile.get("publishedDate"),
                           "excludeFromLatest": profile.get("excludeFromLatest").cloned().unwrap_or(json!(false))});
    if let Some(eol) = profile.get("endOfLifeDate") {
        props["endOfLifeDate"] = eol.clone();
    }
    let os = v.properties.pointer("/storageProfile/osDiskImage");
    let mut storage = json!({"osDiskImage": {
        "diskSizeGB": os.and_then(|o| o.get("sizeInGB")).cloned().unwrap_or(json!(30)),
        "hostCaching": os.and_then(|o| o.get("hostCaching")).cloned().unwrap_or(json!("ReadWrite"))}});
    if let Some(data) = v
        .properties
        .pointer("/storageProfile/dataDiskImages")
        .and_then(Value::as_array)
    {
        let disks: Vec<Value> = data
            .iter()
            .map(|d| json!({"lun": d.get("lun"), "diskSizeGB": d.get("sizeInGB"), "hostCaching": d.get("hostCaching")}))
            .collect();
        storage["dataDiskImages"] = json!(disks);
    }
    props["storageProfile"] = storage;
    props["artifactTags"] = json!({});
    props
}
