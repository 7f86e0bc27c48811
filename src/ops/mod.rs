//! Operations: one typed function per command. Arguments arrive as JSON with the CLI's dest names, are
//! validated before anything is sent, become one request (or a long-running one), and the result is
//! shaped once. `invoke` is the table of contents from command name to function.

pub mod account;
pub mod authorization;
pub mod community;
pub mod explain;
pub mod galleries;
pub mod graph;
pub mod images;
pub mod network;
pub mod report;
pub mod resources;
pub mod rest;
pub mod shared;
pub mod sharing;
pub mod sync;
pub mod versions;
pub mod vm;

use crate::client::Client;
use crate::credentials::Subscription;
use crate::error::{Error, Result};
use crate::ids::{self, seg};
use crate::pipeline::lro::PollState;
use crate::pipeline::pager::Pager;
use crate::pipeline::{unreadable_json, Auth, Request, Response};
use crate::shape::build::ValueBuild;
use crate::shape::cli::{self, Layout};
use bytes::Bytes;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How a result is presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Shape {
    /// `az -o json`: flattened properties, resourceGroup, sorted keys.
    Cli,
    /// Keys sorted, nothing flattened (models the CLI does not flatten, e.g. resource groups).
    Sorted,
    /// `{}` (what `az sig share add` prints).
    Empty,
    /// Nothing (`None`).
    Nothing,
    /// The body as the service sent it (`az rest`).
    Raw,
    /// An Azure PowerShell object (derived from the CLI shape).
    Pwsh(crate::shape::pwsh::Kind),
}

impl Shape {
    /// How a body is read into this shape in one pass; None for the shapes made from a value
    /// (`Pwsh`) or from nothing (`Empty`, `Nothing`).
    pub fn layout(self) -> Option<Layout> {
        match self {
            Shape::Cli => Some(Layout::Cli),
            Shape::Sorted => Some(Layout::Sorted),
            Shape::Raw => Some(Layout::AsSent),
            Shape::Empty | Shape::Nothing | Shape::Pwsh(_) => None,
        }
    }

    pub fn apply(self, v: Value) -> Value {
        match self {
            Shape::Cli => crate::shape::cli::shape(v),
            Shape::Sorted => crate::shape::cli::sort(v),
            Shape::Empty => Value::Object(Default::default()),
            Shape::Nothing => Value::Null,
            Shape::Raw => v,
            Shape::Pwsh(kind) => crate::shape::pwsh::shape(kind, crate::shape::cli::shape(v)),
        }
    }
}

/// A finished result, a running operation handed back because of `no_wait`, or a list still to be
/// walked page by page (each page is shaped on its own, so a stream never holds the whole list).
/// A result read from one response (`Body`) or from the pages of a list (`Items`) stays JSON text until
/// it is presented, and is then read once, straight into its shape (see `shape::cli`).
pub enum Outcome {
    Value(Value),
    /// One response body, in this shape.
    Body(Bytes, Shape),
    /// A list read to its end: the bodies of its pages, whose `value` items make the list.
    Items(Vec<Bytes>, Shape),
    Poll(Box<PollState>, Shape),
    Pages(Box<Pager>, Shape),
}

impl Outcome {
    /// `Body` and `Items` as a shaped value; the others as they are.
    pub fn settled(self) -> Result<Outcome> {
        Ok(match self {
            Outcome::Body(body, shape) => Outcome::Value(shape.apply(Response::parse(&body)?)),
            Outcome::Items(pages, shape) => Outcome::Value(items_value(&pages, shape)?),
            other => other,
        })
    }
}

/// The items of a list's pages, as sent, then shaped as one list.
pub fn items_value(pages: &[Bytes], shape: Shape) -> Result<Value> {
    let mut items = Vec::new();
    for page in pages {
        cli::page_items(page, Layout::AsSent, ValueBuild, &mut items).map_err(unreadable_json)?;
    }
    Ok(shape.apply(Value::Array(items)))
}

/// Runs one command by name; a list is read to its end.
pub async fn invoke(client: &Client, op: &str, args: Value) -> Result<Outcome> {
    match dispatch(client, op, args).await? {
        Outcome::Pages(pager, shape) => {
            Ok(Outcome::Items(pager.collect_bodies(client).await?, shape))
        }
        other => Ok(other),
    }
}

/// Runs one command by name; a list comes back as `Outcome::Pages`, unread.
pub async fn dispatch(client: &Client, op: &str, args: Value) -> Result<Outcome> {
    match op {
        "login" => account::login(client, parse(args)?).await,
        "rest" => rest::rest(client, parse(args)?).await,
        "account.list" => account::list(client),
        "account.show" => account::show(client, parse(args)?),
        "account.set" => account::set(client, parse(args)?),
        "account.clear" => account::clear(client),
        "group.create" => resources::group_create(client, parse(args)?).await,
        "group.show" => resources::group_show(client, parse(args)?).await,
        "group.list" => resources::group_list(client, parse(args)?).await,
        "ad.user.show" => graph::user_show(client, parse(args)?).await,
        "ad.user.list" => graph::user_list(client, parse(args)?).await,
        "ad.sp.show" => graph::sp_show(client, parse(args)?).await,
        "ad.sp.list" => graph::sp_list(client, parse(args)?).await,
        "role.definition.list" => authorization::definition_list(client, parse(args)?).await,
        "role.assignment.create" => authorization::assignment_create(client, parse(args)?).await,
        "role.assignment.list" => authorization::assignment_list(client, parse(args)?).await,
        "role.assignment.delete" => authorization::assignment_delete(client, parse(args)?).await,
        "network.vnet.create" => network::vnet_create(client, parse(args)?).await,
        "network.vnet.subnet.create" => network::subnet_create(client, parse(args)?).await,
        "network.public_ip.create" => network::public_ip_create(client, parse(args)?).await,
        "network.nsg.create" => network::nsg_create(client, parse(args)?).await,
        "network.nsg.rule.create" => network::nsg_rule_create(client, parse(args)?).await,
        "network.nic.create" => network::nic_create(client, parse(args)?).await,
        "network.put" => network::put_raw(client, parse(args)?).await,
        "network.show" => network::item(client, "show", parse(args)?).await,
        "network.list" => network::item(client, "list", parse(args)?).await,
        "network.delete" => network::item(client, "delete", parse(args)?).await,
        "vm.create" => vm::create(client, parse(args)?).await,
        "vm.put" => vm::put_vm(client, parse(args)?).await,
        "vm.show" => vm::item(client, "vm", "show", parse(args)?).await,
        "vm.list" => vm::item(client, "vm", "list", parse(args)?).await,
        "vm.delete" => vm::item(client, "vm", "delete", parse(args)?).await,
        "vmss.create" => vm::vmss_create(client, parse(args)?).await,
        "vmss.put" => vm::put_vmss(client, parse(args)?).await,
        "vmss.show" => vm::item(client, "vmss", "show", parse(args)?).await,
        "vmss.list" => vm::item(client, "vmss", "list", parse(args)?).await,
        "vmss.delete" => vm::item(client, "vmss", "delete", parse(args)?).await,
        "sig.create" => galleries::create(client, parse(args)?).await,
        "sig.show" => galleries::show(client, parse(args)?).await,
        "sig.list" => galleries::list(client, parse(args)?).await,
        "sig.delete" => galleries::delete(client, parse(args)?).await,
        "sig.update" => galleries::update(client, parse(args)?).await,
        "sig.share.add" => sharing::add(client, parse(args)?).await,
        "sig.share.remove" => sharing::remove(client, parse(args)?).await,
        "sig.share.reset" => sharing::reset(client, parse(args)?).await,
        "sig.share.enable_community" => sharing::enable_community(client, parse(args)?).await,
        "sig.explain_access" => explain::explain(client, parse(args)?).await,
        "sig.sharing_report" => report::report(client, parse(args)?).await,
        "sig.share.sync" => sync::sync(client, parse(args)?).await,
        "sig.share.wait" => sharing::wait(client, parse(args)?).await,
        "sig.list_shared" => shared::list_galleries(client, parse(args)?).await,
        "sig.show_shared" => shared::show_gallery(client, parse(args)?).await,
        "sig.image_definition.list_shared" => shared::list_images(client, parse(args)?).await,
        "sig.image_definition.show_shared" => shared::show_image(client, parse(args)?).await,
        "sig.image_version.list_shared" => shared::list_versions(client, parse(args)?).await,
        "sig.image_version.show_shared" => shared::show_version(client, parse(args)?).await,
        "sig.show_community" => community::show_gallery(client, parse(args)?).await,
        "sig.list_community" => community::list_galleries(client, parse(args)?).await,
        "sig.image_definition.list_community" => community::list_images(client, parse(args)?).await,
        "sig.image_definition.show_community" => community::show_image(client, parse(args)?).await,
        "sig.image_version.list_community" => community::list_versions(client, parse(args)?).await,
        "sig.image_version.show_community" => community::show_version(client, parse(args)?).await,
        "sig.image_definition.create" => images::create(client, parse(args)?).await,
        "sig.image_definition.show" => images::show(client, parse(args)?).await,
        "sig.image_definition.list" => images::list(client, parse(args)?).await,
        "sig.image_definition.delete" => images::delete(client, parse(args)?).await,
        "sig.image_version.create" => versions::create(client, parse(args)?).await,
        "sig.image_version.show" => versions::show(client, parse(args)?).await,
        "sig.image_version.list" => versions::list(client, parse(args)?).await,
        "sig.image_version.update" => versions::update(client, parse(args)?).await,
        "sig.image_version.delete" => versions::delete(client, parse(args)?).await,
        _ => Err(Error::type_error(format!("Unknown command '{op}'."))),
    }
}

/// Deserializes arguments; a value of the wrong JSON type is a TypeError naming the parameter.
fn parse<T: DeserializeOwned>(args: Value) -> Result<T> {
    // Most calls are well-formed: read them plainly, and only read again tracking the path (which copies
    // every key) to say where a bad one went wrong.
    if let Ok(parsed) = T::deserialize(&args) {
        return Ok(parsed);
    }
    serde_path_to_error::deserialize(args).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        if inner.starts_with("missing field") {
            Error::type_error(format!(
                "missing required argument: {}",
                inner.trim_start_matches("missing field ").replace('`', "'")
            ))
        } else if is_secret_field(&path) {
            // serde quotes the offending value; a mistyped secret must not end up in the message.
            let expected = inner.split(", expected ").nth(1).unwrap_or("a string");
            Error::type_error(format!(
                "{path}: invalid type (value not shown), expected {expected}"
            ))
        } else {
            Error::type_error(format!("{path}: {inner}"))
        }
    })
}

/// Argument names whose values are secrets (passwords, client secrets, tokens).
fn is_secret_field(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    ["password", "secret", "token"]
        .iter()
        .any(|w| p.contains(w))
}

// ---- shared helpers for the operation files -------------------------------------------------------

/// Built with `push_str` into one buffer sized for the longer paths built from it (a gallery's, an
/// image version's): `format!` costs more than the path's bytes on every call.
pub(crate) fn rg_path(sub: &Subscription, rg: &str) -> String {
    let mut path = String::with_capacity(192);
    path.push_str("/subscriptions/");
    path.push_str(&seg(&sub.id));
    path.push_str("/resourceGroups/");
    path.push_str(&seg(rg));
    path
}

pub(crate) fn gallery_path(sub: &Subscription, rg: &str, gallery: &str) -> String {
    let mut path = rg_path(sub, rg);
    path.push_str("/providers/Microsoft.Compute/galleries/");
    path.push_str(&seg(gallery));
    path
}

pub(crate) fn arm(sub: &Subscription) -> Auth {
    Auth::Arm(sub.tenant_id.clone())
}

pub(crate) async fn get(
    client: &Client,
    sub: &Subscription,
    path: &str,
    version: &str,
    query: &[(&str, &str)],
) -> Result<Value> {
    Response::parse(&get_body(client, sub, path, version, query).await?)
}

/// GET one resource; its body is left unread (see `Outcome::Body`).
pub(crate) async fn get_body(
    client: &Client,
    sub: &Subscription,
    path: &str,
    version: &str,
    query: &[(&str, &str)],
) -> Result<Bytes> {
    let url = client.arm_url(path, version, query)?;
    Ok(client
        .send(Request::new(Method::GET, url, arm(sub)))
        .await?
        .body)
}

pub(crate) async fn list(
    client: &Client,
    sub: &Subscription,
    path: &str,
    version: &str,
    query: &[(&str, &str)],
) -> Result<Vec<Value>> {
    let url = client.arm_url(path, version, query)?;
    Pager::new(url, arm(sub)).collect(client).await
}

/// Starts a long-running call; waits for it unless `no_wait`, then shapes the result.
pub(crate) async fn long_running(
    client: &Client,
    sub: &Subscription,
    req: Request,
    no_wait: bool,
    shape: Shape,
) -> Result<Outcome> {
    let method = req.method.clone();
    let url = req.url.clone();
    let resp = client.send(req).await?;
    let mut state = PollState::from_initial(&method, &url, &sub.tenant_id, &resp)?;
    if no_wait {
        return Ok(Outcome::Poll(Box::new(state), shape));
    }
    let result = state.wait(client).await?;
    Ok(Outcome::Value(shape.apply(result)))
}

/// GET one resource and shape it for the CLI.
pub(crate) async fn show_shaped(
    client: &Client,
    sub: &Subscription,
    path: &str,
    op: &str,
    query: &[(&str, &str)],
) -> Result<Outcome> {
    let version = client.api_version(op, "gallery");
    let body = get_body(client, sub, path, &version, query).await?;
    Ok(Outcome::Body(body, Shape::Cli))
}

/// A list of gallery resources, shaped for the CLI page by page.
pub(crate) async fn list_shaped(
    client: &Client,
    sub: &Subscription,
    path: &str,
    op: &str,
    query: &[(&str, &str)],
) -> Result<Outcome> {
    pages(client, sub, path, &client.api_version(op, "gallery"), query)
}

/// The pages of a list, not yet read.
pub(crate) fn pages(
    client: &Client,
    sub: &Subscription,
    path: &str,
    version: &str,
    query: &[(&str, &str)],
) -> Result<Outcome> {
    let url = client.arm_url(path, version, query)?;
    Ok(Outcome::Pages(
        Box::new(Pager::new(url, arm(sub))),
        Shape::Cli,
    ))
}

/// PUT a gallery resource (long-running) and shape the result for the CLI.
pub(crate) async fn put_resource(
    client: &Client,
    sub: &Subscription,
    path: &str,
    op: &str,
    body: &Value,
    no_wait: bool,
) -> Result<Outcome> {
    let url = client.arm_url(path, &client.api_version(op, "gallery"), &[])?;
    long_running(
        client,
        sub,
        Request::new(Method::PUT, url, arm(sub)).json(body),
        no_wait,
        Shape::Cli,
    )
    .await
}

/// DELETE a gallery resource (long-running); the CLI prints nothing.
pub(crate) async fn delete_resource(
    client: &Client,
    sub: &Subscription,
    path: &str,
    op: &str,
    no_wait: bool,
) -> Result<Outcome> {
    let url = client.arm_url(path, &client.api_version(op, "gallery"), &[])?;
    long_running(
        client,
        sub,
        Request::new(Method::DELETE, url, arm(sub)),
        no_wait,
        Shape::Nothing,
    )
    .await
}

/// A consumer view of galleries: `sharedGalleries` (by unique name) or `communityGalleries` (by public name).
pub(crate) struct ConsumerView<'a> {
    pub collection: &'a str,
    pub gallery_param: &'a str,
    pub gallery: &'a Option<String>,
    pub image: &'a Option<String>,
    pub version: &'a Option<String>,
}

pub(crate) fn required<'a>(param: &str, v: &'a Option<String>) -> Result<&'a str> {
    v.as_deref()
        .ok_or_else(|| Error::type_error(format!("missing required argument: '{param}'")))
}

/// `/providers/Microsoft.Compute/locations/{loc}/{collection}` down to `depth` (1 a gallery, 2 an image,
/// 3 a version): the path after `/subscriptions/{sub}`. Every name is validated here, before the
/// subscription is looked up, so bad input is reported as such even before a login; the location is
/// validated but sent as given.
pub(crate) fn consumer_view_tail(
    location: &str,
    v: &ConsumerView<'_>,
    depth: usize,
) -> Result<String> {
    ids::location(location)?;
    let mut path = format!(
        "/providers/Microsoft.Compute/locations/{}/{}",
        seg(location.trim()),
        v.collection
    );
    if depth >= 1 {
        let gallery = ids::name(v.gallery_param, required(v.gallery_param, v.gallery)?)?;
        path.push('/');
        path.push_str(&seg(&gallery));
    }
    if depth >= 2 {
        let image = ids::image_definition_name(required("gallery_image_definition", v.image)?)?;
        path.push_str("/images/");
        path.push_str(&seg(image));
    }
    if depth >= 3 {
        let version = ids::name(
            "gallery_image_version",
            required("gallery_image_version", v.version)?,
        )?;
        path.push_str("/versions/");
        path.push_str(&seg(&version));
    }
    Ok(path)
}

/// A consumer-view path in `sub`, from its validated tail.
pub(crate) fn consumer_view_path(sub: &Subscription, tail: &str) -> String {
    format!("/subscriptions/{}{tail}", seg(&sub.id))
}

/// A resource type under `providers/{provider}/{type_path}` and its api-version family.
pub(crate) struct ResourceType<'a> {
    pub provider: &'a str,
    pub type_path: &'a str,
    pub family: &'a str,
}

#[derive(Deserialize)]
pub struct ItemArgs {
    pub kind: Option<String>,
    pub name: Option<String>,
    pub resource_group: Option<String>,
    pub subscription: Option<String>,
    #[serde(default)]
    pub no_wait: bool,
}

/// `show`, `list` (in a group or the subscription) and `delete` of one resource type.
pub(crate) async fn resource_item(
    client: &Client,
    rt: &ResourceType<'_>,
    op: &str,
    verb: &str,
    a: &ItemArgs,
) -> Result<Outcome> {
    let sub = client.subscription(a.subscription.as_deref())?;
    let version = client.api_version(op, rt.family);
    let (provider, type_path) = (rt.provider, rt.type_path);
    if verb == "list" {
        let path = match &a.resource_group {
            Some(rg) => format!(
                "{}/providers/{provider}/{type_path}",
                rg_path(&sub, ids::resource_group(rg)?)
            ),
            None => format!(
                "/subscriptions/{}/providers/{provider}/{type_path}",
                seg(&sub.id)
            ),
        };
        return pages(client, &sub, &path, &version, &[]);
    }
    let rg = a
        .resource_group
        .as_deref()
        .ok_or_else(|| Error::type_error("missing required argument: 'resource_group'"))?;
    ids::resource_group(rg)?;
    let name = a
        .name
        .as_deref()
        .ok_or_else(|| Error::type_error("missing required argument: 'name'"))?;
    ids::name("name", name)?;
    let path = format!(
        "{}/providers/{provider}/{type_path}/{}",
        rg_path(&sub, rg),
        seg(name)
    );
    if verb == "show" {
        let body = get_body(client, &sub, &path, &version, &[]).await?;
        return Ok(Outcome::Body(body, Shape::Cli));
    }
    let url = client.arm_url(&path, &version, &[])?;
    long_running(
        client,
        &sub,
        Request::new(Method::DELETE, url, arm(&sub)),
        a.no_wait,
        Shape::Nothing,
    )
    .await
}

/// The location of a resource group (commands default `location` to it, as the CLI does).
pub(crate) async fn resource_group_location(
    client: &Client,
    sub: &Subscription,
    rg: &str,
) -> Result<String> {
    let path = format!("/subscriptions/{}/resourcegroups/{}", seg(&sub.id), seg(rg));
    let version = client.api_version("group.show", "resources");
    let body = get(client, sub, &path, &version, &[]).await?;
    body.get("location")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| {
            Error::validation(format!(
                "Resource group '{rg}' has no location; pass location=..."
            ))
        })
}

/// Tags as the CLI sends them: always an object.
pub(crate) fn tags(t: Option<serde_json::Map<String, Value>>) -> Value {
    Value::Object(t.unwrap_or_default())
}

/// A case-insensitive choice among `choices`, returned in canonical spelling, with argparse's wording.
pub(crate) fn choice(param: &str, value: &str, choices: &[&str]) -> Result<String> {
    choices
        .iter()
        .find(|c| c.eq_ignore_ascii_case(value))
        .map(|c| c.to_string())
        .ok_or_else(|| {
            let list = choices
                .iter()
                .map(|c| format!("'{c}'"))
                .collect::<Vec<_>>()
                .join(", ");
            Error::invalid_param(
                param,
                format!(
                    "argument {}: invalid choice: '{value}' (choose from {list})",
                    crate::ids::flag(param)
                ),
            )
        })
}
