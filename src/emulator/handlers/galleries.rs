//! Galleries: create/update, get (with `$select=Permissions` / `$expand=sharingProfile/Groups`),
//! list, delete, and the `/share` action.

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use serde_json::{json, Map, Value};

use super::resource_groups;
use crate::emulator::arm::{
    json_response, lro_response, method_not_allowed, no_content, ArmError, ArmResult, Ctx,
};
use crate::emulator::lro;
use crate::emulator::path::Route;
use crate::emulator::store::{key, normalize_location, Community, Gallery, Provisioning, Sharing};

pub(super) fn handle(ctx: &Ctx, route: &Route) -> ArmResult {
    match (route, &ctx.method) {
        (Route::Galleries { sub, rg }, &Method::GET) => list(ctx, sub, rg.as_deref()),
        (Route::Gallery { sub, rg, gallery }, &Method::GET) => get(ctx, sub, rg, gallery),
        (Route::Gallery { sub, rg, gallery }, &Method::PUT) => put(ctx, sub, rg, gallery),
        (Route::Gallery { sub, rg, gallery }, &Method::DELETE) => delete(ctx, sub, rg, gallery),
        (Route::GalleryShare { sub, rg, gallery }, &Method::POST) => share(ctx, sub, rg, gallery),
        _ => Err(method_not_allowed(ctx)),
    }
}

pub(crate) fn gallery_id(sub: &str, rg: &str, gallery: &str) -> String {
    format!(
        "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/galleries/{gallery}"
    )
}

/// `{subscriptionId}-{GALLERYNAME}`, upper-cased as Azure does.
pub(crate) fn unique_name(sub: &str, gallery: &str) -> String {
    format!("{sub}-{}", gallery.to_ascii_uppercase())
}

pub(crate) fn gallery_not_found(rg: &str, gallery: &str) -> ArmError {
    ArmError::resource_not_found("Microsoft.Compute/galleries", gallery, rg)
}

/// Alphanumeric runs joined by single separators from `separators`; at most `max` characters.
pub(crate) fn valid_name(name: &str, separators: &str, max: usize) -> bool {
    let bytes = name.as_bytes();
    let is_sep = |c: &u8| separators.as_bytes().contains(c);
    !name.is_empty()
        && name.len() <= max
        && bytes.iter().all(|c| c.is_ascii_alphanumeric() || is_sep(c))
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && !bytes.windows(2).any(|w| is_sep(&w[0]) && is_sep(&w[1]))
}

fn groups_json(sharing: &Sharing) -> Value {
    let mut groups = Vec::new();
    if !sharing.subscriptions.is_empty() {
        groups.push(json!({"type": "Subscriptions", "ids": sharing.subscriptions}));
    }
    if !sharing.tenants.is_empty() {
        groups.push(json!({"type": "AADTenants", "ids": sharing.tenants}));
    }
    Value::Array(groups)
}

/// `communityGalleryInfo` as Azure returns it: the prefix is write-only (recorded `sig create` and
/// `sig show`, and the spec's CommunityGallery_Get); `publicNames` exists from creation on.
fn community_json(c: &Community) -> Value {
    let mut info = json!({"publisherUri": c.publisher_uri, "publisherContact": c.publisher_contact, "eula": c.eula,
                          "communityGalleryEnabled": c.enabled});
    if !c.public_names.is_empty() {
        info["publicNames"] = json!(c.public_names);
    }
    info
}

/// `{prefix}-{guid}`, the name consumers use once community sharing is enabled.
fn new_public_name(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4())
}

/// The gallery as ARM returns it; `with_groups` for `$select=Permissions` / `$expand=sharingProfile/Groups`.
pub(crate) fn render(sub: &str, rg: &str, g: &Gallery, with_groups: bool) -> Value {
    let mut props = Map::new();
    if let Some(d) = &g.description {
        props.insert("description".into(), json!(d));
    }
    props.insert(
        "identifier".into(),
        json!({"uniqueName": unique_name(sub, &g.name)}),
    );
    let mut profile = json!({"permissions": g.sharing.permissions});
    if with_groups {
        profile["groups"] = groups_json(&g.sharing);
    }
    if let Some(c) = &g.sharing.community {
        profile["communityGalleryInfo"] = community_json(c);
    }
    props.insert("sharingProfile".into(), profile);
    if g.sharing.permissions != "Private" {
        let region = normalize_location(&g.location);
        props.insert(
            "sharingStatus".into(),
            json!({"aggregatedState": "Succeeded", "summary": [{"region": region, "state": "Succeeded", "details": ""}]}),
        );
    }
    props.insert("provisioningState".into(), json!(g.provisioning.state()));
    json!({"name": g.name, "id": gallery_id(sub, rg, &g.name), "type": "Microsoft.Compute/galleries",
           "location": g.location, "tags": g.tags, "properties": props})
}

fn wants_groups(ctx: &Ctx) -> bool {
    ctx.query("$select")
        .is_some_and(|s| s.eq_ignore_ascii_case("Permissions"))
        || ctx
            .query("$expand")
            .is_some_and(|s| s.eq_ignore_ascii_case("sharingProfile/Groups"))
}

fn list(ctx: &Ctx, sub: &str, rg: Option<&str>) -> ArmResult {
    let world = ctx.shared.world.lock();
    let state = world.subscription(sub);
    let groups: Vec<_> = match rg {
        Some(rg) => vec![world
            .resource_group(sub, rg)
            .ok_or_else(|| resource_groups::not_found(rg))?],
        None => state
            .map(|s| s.resource_groups.values().collect())
            .unwrap_or_default(),
    };
    let items = groups
        .iter()
        .flat_map(|group| {
            group
                .galleries
                .values()
                .map(|g| render(sub, &group.name, g, false))
        })
        .collect();
    Ok(json_response(StatusCode::OK, ctx.page(items)))
}

fn get(ctx: &Ctx, sub: &str, rg: &str, gallery: &str) -> ArmResult {
    let world = ctx.shared.world.lock();
    let group = world
        .resource_group(sub, rg)
        .ok_or_else(|| resource_groups::not_found(rg))?;
    let g = group
        .galleries
        .get(&key(gallery))
        .ok_or_else(|| gallery_not_found(rg, gallery))?;
    Ok(json_response(
        StatusCode::OK,
        render(sub, &group.name, g, wants_groups(ctx)),
    ))
}

fn canonical_permissions(value: Option<&Value>) -> Result<String, ArmError> {
    let Some(value) = value else {
        return Ok("Private".into());
    };
    let text = value.as_str().unwrap_or_default();
    ["Private", "Groups", "Community"]
        .iter()
        .find(|p| p.eq_ignore_ascii_case(text))
        .map(|p| p.to_string())
        .ok_or_else(|| {
            ArmError::invalid_parameter(
                "gallery.properties.sharingProfile.permissions",
                format!("The value '{text}' of parameter 'gallery.properties.sharingProfile.permissions' is invalid. Allowed values are 'Private', 'Groups', 'Community'."),
            )
        })
}

/// The four publisher fields a Community gallery needs. An update may leave out the prefix (GET
/// never returns it, so a read-modify-write cannot send it back): the gallery keeps its public name.
fn parse_community(
    info: Option<&Value>,
    existing: Option<&Community>,
) -> Result<Community, ArmError> {
    let text = |name: &str| {
        info.and_then(|i| i.get(name))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let missing = |name: &str| {
        ArmError::invalid_parameter(
            &format!("gallery.properties.sharingProfile.communityGalleryInfo.{name}"),
            format!("Required parameter 'communityGalleryInfo.{name}' is missing (null)."),
        )
    };
    let field = |name: &str| text(name).ok_or_else(|| missing(name));
    let prefix = match (text("publicNamePrefix"), existing) {
        (Some(p), _) => p,
        (None, Some(old)) if !old.public_names.is_empty() => old.public_name_prefix.clone(),
        (None, _) => return Err(missing("publicNamePrefix")),
    };
    Ok(Community {
        publisher_uri: field("publisherUri")?,
        publisher_contact: field("publisherContact")?,
        eula: field("eula")?,
        public_name_prefix: prefix,
        enabled: false,
        public_names: Vec::new(),
    })
}

/// The community settings after a PUT: new publisher fields, but the enabled flag and the public
/// name survive updates; a gallery that becomes Community gets its public name at once, as Azure
/// answers `sig create` with `publicNames` already set.
fn updated_community(new: Option<Community>, old: Option<&Community>) -> Option<Community> {
    let mut community = new?;
    match old.filter(|o| !o.public_names.is_empty()) {
        Some(old) => {
            community.enabled = old.enabled;
            community.public_names = old.public_names.clone();
        }
        None => community.public_names = vec![new_public_name(&community.public_name_prefix)],
    }
    Some(community)
}

fn put(ctx: &Ctx, sub: &str, rg: &str, gallery: &str) -> ArmResult {
    if !valid_name(gallery, "._", 80) {
        return Err(ArmError::invalid_parameter(
            "galleryName",
            format!("The gallery name '{gallery}' is invalid. It must begin and end with a letter or number, may contain letters, numbers, underscores and periods, and be at most 80 characters."),
        ));
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
    let props = body.get("properties").cloned().unwrap_or_else(|| json!({}));
    let profile = props.get("sharingProfile");
    let permissions = canonical_permissions(profile.and_then(|p| p.get("permissions")))?;
    let delay = ctx.lro_delay();
    let mut world = ctx.shared.world.lock();
    let group = world
        .resource_group_mut(sub, rg)
        .ok_or_else(|| resource_groups::not_found(rg))?;
    let rg_name = group.name.clone();
    let existing = group.galleries.get(&key(gallery)).cloned();
    let old_community = existing.as_ref().and_then(|g| g.sharing.community.as_ref());
    let community = match permissions.as_str() {
        "Community" => Some(parse_community(
            profile.and_then(|p| p.get("communityGalleryInfo")),
            old_community,
        )?),
        _ => None,
    };
    let community = updated_community(community, old_community);
    let (status, verb) = if existing.is_some() {
        (StatusCode::OK, "Updating")
    } else {
        (StatusCode::CREATED, "Creating")
    };
    let mut g = existing.unwrap_or_else(|| Gallery {
        name: gallery.to_string(),
        location: location.to_string(),
        tags: json!({}),
        description: None,
        sharing: Sharing {
            permissions: "Private".into(),
            subscriptions: vec![],
            tenants: vec![],
            community: None,
        },
        provisioning: Provisioning::succeeded(),
        images: BTreeMap::new(),
    });
    g.tags = body.get("tags").cloned().unwrap_or_else(|| json!({}));
    g.description = props
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_string);
    g.sharing.community = community;
    g.sharing.permissions = permissions;
    g.provisioning = Provisioning {
        verb,
        done_at: std::time::Instant::now() + delay,
    };
    let mut rendered = render(sub, &rg_name, &g, false);
    rendered["properties"]["provisioningState"] = json!(verb);
    let location = g.location.clone();
    group.galleries.insert(key(gallery), g);
    let op = lro::begin(
        &mut world,
        sub,
        &location,
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

fn delete(ctx: &Ctx, sub: &str, rg: &str, gallery: &str) -> ArmResult {
    let mut world = ctx.shared.world.lock();
    let group = world
        .resource_group_mut(sub, rg)
        .ok_or_else(|| resource_groups::not_found(rg))?;
    let Some(g) = group.galleries.get(&key(gallery)) else {
        return Ok(no_content());
    };
    if !g.images.is_empty() {
        return Err(ArmError::conflict(
            "CannotDeleteResource",
            "Can not delete resource before nested resources are deleted.",
        ));
    }
    let location = g.location.clone();
    group.galleries.remove(&key(gallery));
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

/// A parsed `SharingUpdate`.
struct SharingUpdate {
    operation: &'static str,
    subscriptions: Vec<String>,
    tenants: Vec<String>,
}

fn parse_update(body: &Value) -> Result<SharingUpdate, ArmError> {
    let op_text = body
        .get("operationType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let operation = ["Add", "Remove", "Reset", "EnableCommunity"]
        .into_iter()
        .find(|o| o.eq_ignore_ascii_case(op_text))
        .ok_or_else(|| {
            ArmError::invalid_parameter(
                "sharingUpdate.operationType",
                format!(
                    "The value '{op_text}' of parameter 'sharingUpdate.operationType' is invalid."
                ),
            )
        })?;
    let mut update = SharingUpdate {
        operation,
        subscriptions: vec![],
        tenants: vec![],
    };
    for group in body
        .get("groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let kind = group
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let ids = group
            .get("ids")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string);
        match kind.to_ascii_lowercase().as_str() {
            "subscriptions" => update.subscriptions.extend(ids),
            "aadtenants" => update.tenants.extend(ids),
            _ => {
                return Err(ArmError::invalid_parameter(
                    "sharingUpdate.groups.type",
                    format!(
                        "The value '{kind}' of parameter 'sharingUpdate.groups.type' is invalid."
                    ),
                ))
            }
        }
    }
    Ok(update)
}

fn merge(into: &mut Vec<String>, ids: &[String]) {
    for id in ids {
        if !into.iter().any(|x| x.eq_ignore_ascii_case(id)) {
            into.push(id.clone());
        }
    }
}

fn not_allowed(
    update: &SharingUpdate,
    gallery: &str,
    current: &str,
    needed: &str,
    kind: &str,
) -> ArmError {
    ArmError::conflict(
        "OperationNotAllowed",
        format!(
            "Operation '{}' is not allowed on gallery '{gallery}' because its sharing profile permission is '{current}'. {kind} sharing needs permissions '{needed}'.",
            update.operation
        ),
    )
}

/// Applies a sharing update to a gallery (the effect is visible to consumers at once).
fn apply(update: &SharingUpdate, g: &mut Gallery) -> Result<(), ArmError> {
    let sharing = &mut g.sharing;
    match update.operation {
        "Add" | "Remove" if sharing.permissions != "Groups" => Err(not_allowed(
            update,
            &g.name,
            &sharing.permissions,
            "Groups",
            "Direct",
        )),
        "Add" => {
            merge(&mut sharing.subscriptions, &update.subscriptions);
            merge(&mut sharing.tenants, &update.tenants);
            Ok(())
        }
        "Remove" => {
            sharing.subscriptions.retain(|s| {
                !update
                    .subscriptions
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(s))
            });
            sharing
                .tenants
                .retain(|t| !update.tenants.iter().any(|r| r.eq_ignore_ascii_case(t)));
            Ok(())
        }
        "Reset" => {
            *sharing = Sharing {
                permissions: "Private".into(),
                subscriptions: vec![],
                tenants: vec![],
                community: None,
            };
            Ok(())
        }
        _ => match sharing.community.as_mut() {
            Some(c) if sharing.permissions == "Community" => {
                c.enabled = true;
                if c.public_names.is_empty() {
                    c.public_names = vec![new_public_name(&c.public_name_prefix)];
                }
                Ok(())
            }
            _ => Err(not_allowed(
                update,
                &g.name,
                &sharing.permissions,
                "Community",
                "Community",
            )),
        },
    }
}

fn share(ctx: &Ctx, sub: &str, rg: &str, gallery: &str) -> ArmResult {
    ctx.body_object()?;
    let update = parse_update(&ctx.body)?;
    let mut world = ctx.shared.world.lock();
    let group = world
        .resource_group_mut(sub, rg)
        .ok_or_else(|| resource_groups::not_found(rg))?;
    let g = group
        .galleries
        .get_mut(&key(gallery))
        .ok_or_else(|| gallery_not_found(rg, gallery))?;
    apply(&update, g)?;
    let location = g.location.clone();
    let op = lro::begin(
        &mut world,
        sub,
        &location,
        &ctx.api_version,
        ctx.lro_delay(),
        Some(ctx.body.clone()),
    );
    Ok(lro_response(
        StatusCode::ACCEPTED,
        op.headers(&ctx.shared.endpoint),
        Some(ctx.body.clone()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gallery_names_follow_azure_rules() {
        assert!(valid_name("myGallery.v1_x", "._", 80));
        assert!(!valid_name("my-gallery", "._", 80));
        assert!(!valid_name("a..b", "._", 80));
        assert!(!valid_name(".a", "._", 80));
        assert!(!valid_name(&"a".repeat(81), "._", 80));
    }

    #[test]
    fn unique_name_upper_cases_the_gallery() {
        assert_eq!(unique_name("s-1", "myGallery"), "s-1-MYGALLERY");
    }
}
