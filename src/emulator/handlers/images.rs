//! Gallery image definitions (`galleries/{g}/images/{i}`) and versions (`.../versions/{v}`).

use std::collections::BTreeMap;
use std::time::Instant;

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use super::galleries::{gallery_id, valid_name};
use super::resource_groups;
use crate::emulator::arm::{
    json_response, lro_response, method_not_allowed, no_content, ArmError, ArmResult, Ctx,
};
use crate::emulator::lro;
use crate::emulator::path::{self, Route};
use crate::emulator::store::{key, Gallery, ImageDefinition, Provisioning, Version, World};

pub(super) fn handle(ctx: &Ctx, route: &Route) -> ArmResult {
    match (route, &ctx.method) {
        (Route::Images { sub, rg, gallery }, &Method::GET) => list_images(ctx, sub, rg, gallery),
        (
            Route::Image {
                sub,
                rg,
                gallery,
                image,
            },
            &Method::GET,
        ) => get_image(ctx, sub, rg, gallery, image),
        (
            Route::Image {
                sub,
                rg,
                gallery,
                image,
            },
            &Method::PUT,
        ) => put_image(ctx, sub, rg, gallery, image),
        (
            Route::Image {
                sub,
                rg,
                gallery,
                image,
            },
            &Method::DELETE,
        ) => delete_image(ctx, sub, rg, gallery, image),
        (
            Route::Versions {
                sub,
                rg,
                gallery,
                image,
            },
            &Method::GET,
        ) => list_versions(ctx, sub, rg, gallery, image),
        (
            Route::Version {
                sub,
                rg,
                gallery,
                image,
                version,
            },
            m,
        ) => version_request(ctx, m, [sub, rg, gallery, image, version]),
        _ => Err(method_not_allowed(ctx)),
    }
}

fn parent_not_found(parent: &str) -> ArmError {
    ArmError::not_found(
        "ParentResourceNotFound",
        format!("Can not perform requested operation on nested resource. Parent resource '{parent}' not found."),
    )
}

fn gallery<'w>(
    world: &'w World,
    sub: &str,
    rg: &str,
    g: &str,
) -> Result<(&'w str, &'w Gallery), ArmError> {
    let group = world
        .resource_group(sub, rg)
        .ok_or_else(|| resource_groups::not_found(rg))?;
    let gallery = group
        .galleries
        .get(&key(g))
        .ok_or_else(|| parent_not_found(g))?;
    Ok((&group.name, gallery))
}

fn gallery_mut<'w>(
    world: &'w mut World,
    sub: &str,
    rg: &str,
    g: &str,
) -> Result<&'w mut Gallery, ArmError> {
    let group = world
        .resource_group_mut(sub, rg)
        .ok_or_else(|| resource_groups::not_found(rg))?;
    group
        .galleries
        .get_mut(&key(g))
        .ok_or_else(|| parent_not_found(g))
}

fn with_state(properties: &Value, state: &str) -> Value {
    let mut props = properties.clone();
    props["provisioningState"] = json!(state);
    props
}

fn render_image(sub: &str, rg: &str, g: &Gallery, i: &ImageDefinition) -> Value {
    json!({"name": i.name, "id": format!("{}/images/{}", gallery_id(sub, rg, &g.name), i.name),
           "type": "Microsoft.Compute/galleries/images", "location": i.location, "tags": i.tags,
           "properties": with_state(&i.properties, i.provisioning.state())})
}

fn list_images(ctx: &Ctx, sub: &str, rg: &str, g: &str) -> ArmResult {
    let world = ctx.shared.world.lock();
    let (rg_name, gallery) = gallery(&world, sub, rg, g)?;
    let items = gallery
        .images
        .values()
        .map(|i| render_image(sub, rg_name, gallery, i))
        .collect();
    Ok(json_response(StatusCode::OK, ctx.page(items)))
}

fn image_not_found(rg: &str, g: &str, image: &str) -> ArmError {
    ArmError::resource_not_found(
        "Microsoft.Compute/galleries/images",
        &format!("{g}/{image}"),
        rg,
    )
}

fn get_image(ctx: &Ctx, sub: &str, rg: &str, g: &str, image: &str) -> ArmResult {
    let world = ctx.shared.world.lock();
    let (rg_name, gallery) = gallery(&world, sub, rg, g)?;
    let i = gallery
        .images
        .get(&key(image))
        .ok_or_else(|| image_not_found(rg, g, image))?;
    Ok(json_response(
        StatusCode::OK,
        render_image(sub, rg_name, gallery, i),
    ))
}

fn required<'a>(props: &'a Value, pointer: &str, name: &str) -> Result<&'a Value, ArmError> {
    props
        .pointer(pointer)
        .filter(|v| !v.is_null())
        .ok_or_else(|| {
            ArmError::invalid_parameter(
                name,
                format!("Required parameter '{name}' is missing (null)."),
            )
        })
}

/// Checks an image definition's required properties and applies defaults.
fn image_properties(ctx: &Ctx) -> Result<Value, ArmError> {
    let mut props = ctx
        .body_object()?
        .get("properties")
        .cloned()
        .unwrap_or_else(|| json!({}));
    for (pointer, name) in [
        ("/osType", "galleryImage.properties.osType"),
        ("/osState", "galleryImage.properties.osState"),
        (
            "/identifier/publisher",
            "galleryImage.properties.identifier.publisher",
        ),
        (
            "/identifier/offer",
            "galleryImage.properties.identifier.offer",
        ),
        ("/identifier/sku", "galleryImage.properties.identifier.sku"),
    ] {
        required(&props, pointer, name)?;
    }
    if props.get("hyperVGeneration").is_none() {
        props["hyperVGeneration"] = json!("V1");
    }
    if let Some(obj) = props.as_object_mut() {
        obj.remove("provisioningState");
    }
    Ok(props)
}

fn put_image(ctx: &Ctx, sub: &str, rg: &str, g: &str, image: &str) -> ArmResult {
    if !valid_name(image, "-._", 80) {
        return Err(ArmError::invalid_parameter(
            "galleryImageName",
            format!("The gallery image name '{image}' is invalid."),
        ));
    }
    let props = image_properties(ctx)?;
    let delay = ctx.lro_delay();
    let mut world = ctx.shared.world.lock();
    let rg_name = world
        .resource_group(sub, rg)
        .map(|r| r.name.clone())
        .ok_or_else(|| resource_groups::not_found(rg))?;
    let gallery = gallery_mut(&mut world, sub, rg, g)?;
    let location = ctx
        .body
        .get("location")
        .and_then(Value::as_str)
        .unwrap_or(&gallery.location)
        .to_string();
    let existing = gallery.images.remove(&key(image));
    let (status, verb) = if existing.is_some() {
        (StatusCode::OK, "Updating")
    } else {
        (StatusCode::CREATED, "Creating")
    };
    let definition = ImageDefinition {
        name: existing
            .as_ref()
            .map_or(image.to_string(), |e| e.name.clone()),
        location,
        tags: ctx.body.get("tags").cloned().unwrap_or_else(|| json!({})),
        properties: props,
        provisioning: Provisioning {
            verb,
            done_at: Instant::now() + delay,
        },
        versions: existing.map(|e| e.versions).unwrap_or_else(BTreeMap::new),
    };
    let mut rendered = render_image(sub, &rg_name, gallery, &definition);
    rendered["properties"]["provisioningState"] = json!(verb);
    let op_location = gallery.location.clone();
    gallery.images.insert(key(image), definition);
    let op = lro::begin(
        &mut world,
        sub,
        &op_location,
        &ctx.api_version,
        delay,
        Some(rendered.clone()),
    );
    Ok(lro_response(
        status,
        op.headers(&ctx.shared.endpoint),
        Some(rendered),
    ))
}

fn delete_image(ctx: &Ctx, sub: &str, rg: &str, g: &str, image: &str) -> ArmResult {
    let mut world = ctx.shared.world.lock();
    let gallery = gallery_mut(&mut world, sub, rg, g)?;
    let Some(definition) = gallery.images.get(&key(image)) else {
        return Ok(no_content());
    };
    if !definition.versions.is_empty() {
        return Err(ArmError::conflict(
            "CannotDeleteResource",
            "Can not delete resource before nested resources are deleted.",
        ));
    }
    gallery.images.remove(&key(image));
    let location = gallery.location.clone();
    let op = lro::begin(
        &mut world,
        sub,
        &location,
        &ctx.api_version,
        ctx.lro_delay(),
        None,
    );
    Ok(lro_response(
        StatusCode::ACCEPTED,
        op.headers(&ctx.shared.endpoint),
        None,
    ))
}

/// A version as ARM shows it, serialized straight from the store: built as a `Value`, a page of 100
/// versions would copy every version's properties twice before a byte is written.
struct VersionView<'a> {
    id: String,
    v: &'a Version,
    properties: Overlaid<'a>,
}

impl serde::Serialize for VersionView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(6))?;
        m.serialize_entry("name", &self.v.name)?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("type", "Microsoft.Compute/galleries/images/versions")?;
        m.serialize_entry("location", &self.v.location)?;
        m.serialize_entry("tags", &self.v.tags)?;
        m.serialize_entry("properties", &self.properties)?;
        m.end()
    }
}

/// An object with some keys set, as `props[key] = value` would leave it (a key it has keeps its
/// place; a new one goes last), without copying it.
struct Overlaid<'a> {
    base: &'a Value,
    set: Vec<(&'static str, Value)>,
}

impl serde::Serialize for Overlaid<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let empty = serde_json::Map::new();
        let base = self.base.as_object().unwrap_or(&empty);
        let mut m = s.serialize_map(None)?;
        for (k, v) in base {
            match self.set.iter().find(|(name, _)| name == k) {
                Some((_, new)) => m.serialize_entry(k, new)?,
                None => m.serialize_entry(k, v)?,
            }
        }
        for (k, v) in &self.set {
            if !base.contains_key(*k) {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }
}

fn version_view<'a>(ctx: &Ctx, image_id: &str, v: &'a Version) -> VersionView<'a> {
    let mut set = vec![("provisioningState", json!(v.provisioning.state()))];
    if ctx
        .query("$expand")
        .is_some_and(|e| e.eq_ignore_ascii_case("ReplicationStatus"))
    {
        let summary: Vec<Value> = target_regions(&v.properties)
            .iter()
            .map(|r| json!({"region": r, "state": "Completed", "details": "", "progress": 100}))
            .collect();
        set.push((
            "replicationStatus",
            json!({"aggregatedState": "Completed", "summary": summary}),
        ));
    }
    VersionView {
        id: format!("{image_id}/versions/{}", v.name),
        v,
        properties: Overlaid {
            base: &v.properties,
            set,
        },
    }
}

fn render_version(ctx: &Ctx, image_id: &str, v: &Version) -> Value {
    serde_json::to_value(version_view(ctx, image_id, v)).expect("a version serializes")
}

/// The region names a version is replicated to.
pub(crate) fn target_regions(properties: &Value) -> Vec<String> {
    properties
        .pointer("/publishingProfile/targetRegions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("name").and_then(Value::as_str).map(str::to_string))
        .collect()
}

fn list_versions(ctx: &Ctx, sub: &str, rg: &str, g: &str, image: &str) -> ArmResult {
    let world = ctx.shared.world.lock();
    let (rg_name, gallery) = gallery(&world, sub, rg, g)?;
    let i = gallery
        .images
        .get(&key(image))
        .ok_or_else(|| parent_not_found(image))?;
    let image_id = format!(
        "{}/images/{}",
        gallery_id(sub, rg_name, &gallery.name),
        i.name
    );
    Ok(ctx.page_response(i.versions.values(), |v| version_view(ctx, &image_id, v)))
}

fn version_request(
    ctx: &Ctx,
    method: &Method,
    [sub, rg, g, image, version]: [&String; 5],
) -> ArmResult {
    let mut world = ctx.shared.world.lock();
    let rg_name = world
        .resource_group(sub, rg)
        .map(|r| r.name.clone())
        .ok_or_else(|| resource_groups::not_found(rg))?;
    let props = if *method == Method::PUT {
        Some(version_properties(ctx, &world, version)?)
    } else {
        None
    };
    let gallery = gallery_mut(&mut world, sub, rg, g)?;
    let (gallery_name, gallery_location) = (gallery.name.clone(), gallery.location.clone());
    let i = gallery
        .images
        .get_mut(&key(image))
        .ok_or_else(|| parent_not_found(image))?;
    let image_id = format!(
        "{}/images/{}",
        gallery_id(sub, &rg_name, &gallery_name),
        i.name
    );
    let not_found = || {
        ArmError::resource_not_found(
            "Microsoft.Compute/galleries/images/versions",
            &format!("{g}/{image}/{version}"),
            rg,
        )
    };
    match (method, props) {
        (&Method::GET, _) => {
            let v = i.versions.get(&key(version)).ok_or_else(not_found)?;
            Ok(json_response(
                StatusCode::OK,
                render_version(ctx, &image_id, v),
            ))
        }
        (&Method::PUT, Some(mut props)) => {
            apply_version_defaults(&mut props, &gallery_location);
            let delay = ctx.lro_delay();
            let existing = i.versions.get(&key(version));
            let (status, verb) = if existing.is_some() {
                (StatusCode::OK, "Updating")
            } else {
                (StatusCode::CREATED, "Creating")
            };
            let v = Version {
                name: version.to_string(),
                location: ctx
                    .body
                    .get("location")
                    .and_then(Value::as_str)
                    .unwrap_or(&gallery_location)
                    .to_string(),
                tags: ctx.body.get("tags").cloned().unwrap_or_else(|| json!({})),
                properties: props,
                provisioning: Provisioning {
                    verb,
                    done_at: Instant::now() + delay,
                },
            };
            let mut rendered = render_version(ctx, &image_id, &v);
            rendered["properties"]["provisioningState"] = json!(verb);
            i.versions.insert(key(version), v);
            let op = lro::begin(
                &mut world,
                sub,
                &gallery_location,
                &ctx.api_version,
                delay,
                Some(rendered.clone()),
            );
            Ok(lro_response(
                status,
                op.headers(&ctx.shared.endpoint),
                Some(rendered),
            ))
        }
        (&Method::DELETE, _) => {
            if i.versions.remove(&key(version)).is_none() {
                return Ok(no_content());
            }
            let op = lro::begin(
                &mut world,
                sub,
                &gallery_location,
                &ctx.api_version,
                ctx.lro_delay(),
                None,
            );
            Ok(lro_response(
                StatusCode::ACCEPTED,
                op.headers(&ctx.shared.endpoint),
                None,
            ))
        }
        _ => Err(method_not_allowed(ctx)),
    }
}

/// `major.minor.patch`, each an int32.
fn valid_version_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<i32>().is_ok()
        })
}

/// Checks the version body: a valid name and a storage profile whose source exists.
fn version_properties(ctx: &Ctx, world: &World, version: &str) -> Result<Value, ArmError> {
    if !valid_version_name(version) {
        return Err(ArmError::invalid_parameter(
            "galleryImageVersionName",
            format!("The gallery image version name '{version}' is invalid. It must follow the format Major(int32).Minor(int32).Patch(int32)."),
        ));
    }
    let mut props = ctx
        .body_object()?
        .get("properties")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let storage = required(
        &props,
        "/storageProfile",
        "galleryImageVersion.properties.storageProfile",
    )?;
    let source = storage.pointer("/source/id").and_then(Value::as_str);
    match source {
        Some(id) if !source_exists(world, id) => {
            return Err(ArmError::invalid_parameter(
                "galleryImageVersion.properties.storageProfile.source.id",
                format!("The source resource '{id}' could not be found."),
            ))
        }
        None if storage.get("osDiskImage").is_none() => {
            return Err(ArmError::invalid_parameter(
                "galleryImageVersion.properties.storageProfile",
                "The storage profile needs a source id or an osDiskImage.",
            ))
        }
        _ => {}
    }
    if source.is_some() && props.pointer("/storageProfile/osDiskImage").is_none() {
        props["storageProfile"]["osDiskImage"] =
            json!({"sizeInGB": 30, "hostCaching": "ReadWrite"});
    }
    if let Some(obj) = props.as_object_mut() {
        obj.remove("provisioningState");
    }
    Ok(props)
}

/// Whether a managed image or gallery image version with this id exists.
fn source_exists(world: &World, id: &str) -> bool {
    match path::parse(id).map(|p| p.route) {
        Some(Route::ManagedImage { sub, rg, name }) => world
            .resource_group(&sub, &rg)
            .is_some_and(|g| g.managed_images.contains_key(&key(&name))),
        Some(Route::Version {
            sub,
            rg,
            gallery,
            image,
            version,
        }) => world
            .resource_group(&sub, &rg)
            .and_then(|g| g.galleries.get(&key(&gallery)))
            .and_then(|g| g.images.get(&key(&image)))
            .is_some_and(|i| i.versions.contains_key(&key(&version))),
        _ => false,
    }
}

fn apply_version_defaults(props: &mut Value, gallery_location: &str) {
    if !props.get("publishingProfile").is_some_and(Value::is_object) {
        props["publishingProfile"] = json!({});
    }
    let profile = &mut props["publishingProfile"];
    let has_regions = profile
        .get("targetRegions")
        .and_then(Value::as_array)
        .is_some_and(|r| !r.is_empty());
    if !has_regions {
        profile["targetRegions"] = json!([{"name": gallery_location, "regionalReplicaCount": 1, "storageAccountType": "Standard_LRS"}]);
    }
    for region in profile["targetRegions"]
        .as_array_mut()
        .into_iter()
        .flatten()
    {
        if region.get("regionalReplicaCount").is_none() {
            region["regionalReplicaCount"] = json!(1);
        }
        if region.get("storageAccountType").is_none() {
            region["storageAccountType"] = json!("Standard_LRS");
        }
    }
    for (field, default) in [
        ("replicaCount", json!(1)),
        ("excludeFromLatest", json!(false)),
        ("storageAccountType", json!("Standard_LRS")),
    ] {
        if profile.get(field).is_none() {
            profile[field] = default;
        }
    }
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    profile["publishedDate"] = json!(now);
    apply_safety_defaults(props);
}

/// Azure always reports a version's safety profile: `reportedForPolicyViolation` is read-only (the
/// emulator never flags an image, so it is `false` and `policyViolations` is absent), and
/// `allowDeletionOfReplicatedLocations` defaults to `false`.
fn apply_safety_defaults(props: &mut Value) {
    if !props.get("safetyProfile").is_some_and(Value::is_object) {
        props["safetyProfile"] = json!({});
    }
    let safety = &mut props["safetyProfile"];
    if safety.get("allowDeletionOfReplicatedLocations").is_none() {
        safety["allowDeletionOfReplicatedLocations"] = json!(false);
    }
    safety["reportedForPolicyViolation"] = json!(false);
    if let Some(obj) = safety.as_object_mut() {
        obj.remove("policyViolations");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safety_profile_reports_no_policy_violation() {
        let mut props =
            json!({"safetyProfile": {"reportedForPolicyViolation": true, "policyViolations": []}});
        apply_version_defaults(&mut props, "westus");
        assert_eq!(
            props["safetyProfile"],
            json!({"allowDeletionOfReplicatedLocations": false, "reportedForPolicyViolation": false})
        );
    }

    #[test]
    fn version_names_are_three_int32_parts() {
        assert!(valid_version_name("1.0.0"));
        assert!(valid_version_name("2147483647.0.1"));
        assert!(!valid_version_name("2147483648.0.0"));
        assert!(!valid_version_name("1.0"));
        assert!(!valid_version_name("1.0.a"));
    }
}
