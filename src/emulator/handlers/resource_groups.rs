//! Resource groups (`/subscriptions/{s}/resourcegroups[/{rg}]`) and the seeded managed images.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::emulator::arm::{
    json_response, lro_response, method_not_allowed, no_content, ArmError, ArmResult, Ctx,
};
use crate::emulator::lro;
use crate::emulator::path::Route;
use crate::emulator::store::{key, ManagedImage, ResourceGroup};

pub(super) fn handle(ctx: &Ctx, route: &Route) -> ArmResult {
    match (route, &ctx.method) {
        (Route::ResourceGroups { sub }, &Method::GET) => list(ctx, sub),
        (Route::ResourceGroup { sub, rg }, &Method::GET) => get(ctx, sub, rg),
        (Route::ResourceGroup { sub, rg }, &Method::PUT) => put(ctx, sub, rg),
        (Route::ResourceGroup { sub, rg }, &Method::DELETE) => delete(ctx, sub, rg),
        (Route::ManagedImage { sub, rg, name }, &Method::GET) => managed_image(ctx, sub, rg, name),
        _ => Err(method_not_allowed(ctx)),
    }
}

pub(crate) fn not_found(rg: &str) -> ArmError {
    ArmError::not_found(
        "ResourceGroupNotFound",
        format!("Resource group '{rg}' could not be found."),
    )
}

fn render(sub: &str, rg: &ResourceGroup) -> Value {
    json!({
        "id": format!("/subscriptions/{sub}/resourceGroups/{}", rg.name),
        "name": rg.name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": rg.location,
        "tags": rg.tags,
        "properties": {"provisioningState": "Succeeded"}
    })
}

fn list(ctx: &Ctx, sub: &str) -> ArmResult {
    let world = ctx.shared.world.lock();
    let items = world.subscription(sub).map(|s| {
        s.resource_groups
            .values()
            .map(|rg| render(sub, rg))
            .collect()
    });
    Ok(json_response(
        StatusCode::OK,
        ctx.page(items.unwrap_or_default()),
    ))
}

fn get(ctx: &Ctx, sub: &str, rg: &str) -> ArmResult {
    let world = ctx.shared.world.lock();
    let group = world.resource_group(sub, rg).ok_or_else(|| not_found(rg))?;
    Ok(json_response(StatusCode::OK, render(sub, group)))
}

/// Resource group names: 1-90 of letters, digits, `_-.()`, not ending in a period.
fn valid_name(name: &str) -> bool {
    (1..=90).contains(&name.len())
        && !name.ends_with('.')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "_-.()".contains(c))
}

fn put(ctx: &Ctx, sub: &str, rg: &str) -> ArmResult {
    if !valid_name(rg) {
        let mut e = ArmError::bad_request(
            "InvalidResourceGroupName",
            format!("Resource group name '{rg}' is invalid."),
        );
        e.target = Some("resourceGroupName".into());
        return Err(e);
    }
    let body = ctx.body_object()?;
    let location = body
        .get("location")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ArmError::bad_request(
                "LocationRequired",
                "The location property is required for this definition.",
            )
        })?;
    let tags = body.get("tags").cloned().unwrap_or_else(|| json!({}));
    let mut world = ctx.shared.world.lock();
    let groups = &mut world
        .subscriptions
        .entry(key(sub))
        .or_default()
        .resource_groups;
    let status = if groups.contains_key(&key(rg)) {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let group = groups
        .entry(key(rg))
        .or_insert_with(|| ResourceGroup::new(rg, location));
    group.tags = tags;
    Ok(json_response(status, render(sub, group)))
}

fn delete(ctx: &Ctx, sub: &str, rg: &str) -> ArmResult {
    let mut world = ctx.shared.world.lock();
    let removed = world
        .subscriptions
        .get_mut(&key(sub))
        .and_then(|s| s.resource_groups.remove(&key(rg)));
    let Some(group) = removed else {
        return Ok(no_content());
    };
    let op = lro::begin(
        &mut world,
        sub,
        &group.location,
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

fn render_image(sub: &str, rg: &str, image: &ManagedImage) -> Value {
    let id = format!(
        "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/images/{}",
        image.name
    );
    json!({
        "name": image.name,
        "id": id,
        "type": "Microsoft.Compute/images",
        "location": image.location,
        "tags": {},
        "properties": {
            "storageProfile": {
                "osDisk": {
                    "osType": image.os_type, "osState": "Generalized", "diskSizeGB": 30,
                    "managedDisk": {"id": format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/disks/{}-osdisk", image.name)},
                    "caching": "ReadWrite", "storageAccountType": "Standard_LRS"
                },
                "dataDisks": [],
                "zoneResilient": false
            },
            "provisioningState": "Succeeded",
            "hyperVGeneration": "V1"
        }
    })
}

fn managed_image(ctx: &Ctx, sub: &str, rg: &str, name: &str) -> ArmResult {
    let world = ctx.shared.world.lock();
    let group = world.resource_group(sub, rg).ok_or_else(|| not_found(rg))?;
    let image = group
        .managed_images
        .get(&key(name))
        .ok_or_else(|| ArmError::resource_not_found("Microsoft.Compute/images", name, rg))?;
    Ok(json_response(
        StatusCode::OK,
        render_image(sub, &group.name, image),
    ))
}
