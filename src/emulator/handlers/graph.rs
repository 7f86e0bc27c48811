//! The Microsoft Graph v1.0 subset galleryshare (and `az role assignment create --assignee`) uses
//! to resolve principals: users, service principals and `directoryObjects/getByIds`.
//!
//! Graph is not ARM: it has its own audience, its own error shape (with `innerError`), no
//! api-version, and every answer is scoped to the caller's tenant (`tid`), never a subscription.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::emulator::arm::parse_query;
use crate::emulator::directory::{service_principal_id, App, Directory, Tenant, User};
use crate::emulator::identity::{Claims, TokenError, GRAPH_AUDIENCE};
use crate::emulator::odata::{self, Filter, Schema};
use crate::emulator::requestlog::LoggedCaller;
use crate::emulator::server::Shared;

/// Audiences Graph accepts: its URL with or without the slash, and its well-known app id.
const GRAPH_AUDIENCES: [&str; 3] = [
    GRAPH_AUDIENCE,
    "https://graph.microsoft.com/",
    "00000003-0000-0000-c000-000000000000",
];
const METADATA: &str = "https://graph.microsoft.com/v1.0/$metadata";
/// Graph answers with OData JSON; clients accept it as plain JSON.
const CONTENT_TYPE: &str =
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";
/// Request bodies are small id lists; anything bigger is not a getByIds call.
const MAX_BODY: usize = 1024 * 1024;
/// Graph's own limit on `getByIds`.
const MAX_IDS: usize = 1000;

const USER_SCHEMA: Schema = Schema {
    scalars: &["id", "displayName", "userPrincipalName", "mail"],
    collections: &[],
};
const SERVICE_PRINCIPAL_SCHEMA: Schema = Schema {
    scalars: &["id", "appId", "displayName"],
    collections: &["servicePrincipalNames"],
};

/// A Graph error before the per-request `innerError` is attached.
#[derive(Debug)]
struct GraphError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl GraphError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        GraphError {
            status,
            code,
            message: message.into(),
        }
    }

    fn unauthorized(message: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        )
    }

    fn not_found(key: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!("Resource '{key}' does not exist or one of its queried reference-property objects are not present."),
        )
    }

    fn unsupported_query() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            "Unsupported query.",
        )
    }

    fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
}

type GraphResult = Result<Value, GraphError>;

/// The ids Graph stamps on every response (headers, and `innerError` of errors).
struct RequestIds {
    request_id: String,
    /// Echoes the caller's `client-request-id` when it sent one, as Graph does.
    client_request_id: String,
}

impl RequestIds {
    fn from_headers(headers: &HeaderMap) -> Self {
        let request_id = uuid::Uuid::new_v4().to_string();
        let client_request_id = headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok())
            .map_or_else(|| request_id.clone(), str::to_string);
        RequestIds {
            request_id,
            client_request_id,
        }
    }

    fn stamp(&self, response: &mut Response) {
        let headers = response.headers_mut();
        for (name, value) in [
            ("request-id", &self.request_id),
            ("client-request-id", &self.client_request_id),
        ] {
            if let Ok(v) = HeaderValue::from_str(value) {
                headers.insert(name, v);
            }
        }
    }
}

/// Graph's `innerError.date`: UTC to the second, without an offset.
fn graph_date() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

fn respond(ids: &RequestIds, result: GraphResult) -> Response {
    let (status, body) = match result {
        Ok(body) => (StatusCode::OK, body),
        Err(e) => {
            let inner = json!({"date": graph_date(), "request-id": ids.request_id,
                               "client-request-id": ids.client_request_id});
            let body =
                json!({"error": {"code": e.code, "message": e.message, "innerError": inner}});
            (e.status, body)
        }
    };
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static(CONTENT_TYPE));
    if status == StatusCode::UNAUTHORIZED {
        // The challenge clients (MSAL, the CLI) read to know where to get a Graph token.
        response.headers_mut().insert(
            "www-authenticate",
            HeaderValue::from_static(
                "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", \
                 client_id=\"00000003-0000-0000-c000-000000000000\"",
            ),
        );
    }
    ids.stamp(&mut response);
    response
}

/// The caller's claims, or Graph's 401 for a missing, invalid, expired or non-Graph token.
fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<Claims, GraphError> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .ok_or_else(|| GraphError::unauthorized("Access token is empty."))?;
    shared
        .signer
        .verify(token, &GRAPH_AUDIENCES)
        .map_err(|e| match e {
            TokenError::Invalid => GraphError::unauthorized("Access token validation failure."),
            TokenError::Expired { .. } => {
                GraphError::unauthorized("Lifetime validation failed, the token is expired.")
            }
            TokenError::WrongAudience(_) => {
                GraphError::unauthorized("Access token validation failure. Invalid audience.")
            }
        })
}

/// What a Graph path names.
#[derive(Debug, PartialEq)]
enum GraphRoute {
    Users,
    User(String),
    Me,
    ServicePrincipals,
    ServicePrincipal(String),
    ServicePrincipalByAppId(String),
    GetByIds,
}

/// `servicePrincipals(appId='…')`: Graph's alternate key for a service principal.
fn app_id_key(segment: &str) -> Option<Result<String, GraphError>> {
    const PREFIX: &str = "servicePrincipals(";
    let prefix = segment.get(..PREFIX.len())?;
    if !prefix.eq_ignore_ascii_case(PREFIX) {
        return None;
    }
    let key = segment[PREFIX.len()..]
        .strip_suffix(')')
        .and_then(|inner| inner.split_once('='))
        .filter(|(name, _)| name.trim().eq_ignore_ascii_case("appId"))
        .and_then(|(_, value)| odata::string_literal(value).ok())
        .ok_or_else(|| {
            GraphError::bad_request(
                "BadRequest",
                format!("Bad request. Please fix the request before retrying: '{segment}'."),
            )
        });
    Some(key)
}

/// Parses the path after `/v1.0` (segments percent-decoded, names case-insensitive).
fn parse_route(path: &str) -> Result<GraphRoute, GraphError> {
    let rest = path.get(5..).unwrap_or_default().trim_matches('/');
    let segments: Vec<String> = rest
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let is = |i: usize, name: &str| {
        segments
            .get(i)
            .is_some_and(|s| s.eq_ignore_ascii_case(name))
    };
    let route = match segments.len() {
        1 if is(0, "users") => GraphRoute::Users,
        1 if is(0, "me") => GraphRoute::Me,
        1 if is(0, "servicePrincipals") => GraphRoute::ServicePrincipals,
        1 => match app_id_key(&segments[0]) {
            Some(key) => GraphRoute::ServicePrincipalByAppId(key?),
            None => return Err(segment_not_found(&segments[0])),
        },
        2 if is(0, "users") => GraphRoute::User(segments[1].clone()),
        2 if is(0, "servicePrincipals") => GraphRoute::ServicePrincipal(segments[1].clone()),
        2 if is(0, "directoryObjects")
            && (is(1, "getByIds") || is(1, "microsoft.graph.getByIds")) =>
        {
            GraphRoute::GetByIds
        }
        _ => {
            return Err(segment_not_found(
                segments.last().map_or("", String::as_str),
            ))
        }
    };
    Ok(route)
}

fn segment_not_found(segment: &str) -> GraphError {
    GraphError::bad_request(
        "BadRequest",
        format!("Resource not found for the segment '{segment}'."),
    )
}

/// One authenticated Graph request, scoped to the caller's tenant.
struct Call<'a> {
    directory: &'a Directory,
    tenant: &'a Tenant,
    caller: &'a Claims,
    query: Vec<(String, String)>,
}

impl Call<'_> {
    /// A system query option; Graph v1.0 accepts it with or without the `$`.
    fn option(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| {
                let k = k.strip_prefix('$').unwrap_or(k);
                k.eq_ignore_ascii_case(name)
            })
            .map(|(_, v)| v.as_str())
    }

    fn filter(&self, schema: &Schema) -> Result<Option<Filter>, GraphError> {
        self.option("filter")
            .map(|f| odata::parse(f, schema).map_err(|_| GraphError::unsupported_query()))
            .transpose()
    }

    /// `$select` property names, when given.
    fn select(&self) -> Option<Vec<String>> {
        self.option("select").map(|s| {
            s.split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect()
        })
    }

    fn users(&self) -> impl Iterator<Item = &User> {
        self.directory
            .users
            .iter()
            .filter(|u| u.tenant == self.tenant.name)
    }

    /// Apps with a service principal (consent) in the caller's tenant.
    fn apps(&self) -> impl Iterator<Item = &App> {
        self.directory
            .apps
            .iter()
            .filter(|a| a.tenants.contains(&self.tenant.name))
    }

    fn user_json(&self, user: &User) -> Value {
        // The directory keeps one display name; Graph's given name and surname are its first word and the rest.
        let (given, surname) = user
            .display_name
            .split_once(' ')
            .map_or((user.display_name.as_str(), None), |(g, s)| (g, Some(s)));
        json!({
            "id": user.id, "displayName": user.display_name, "userPrincipalName": user.upn,
            "mail": user.mail, "givenName": given, "surname": surname, "jobTitle": null,
            "businessPhones": [], "mobilePhone": null, "officeLocation": null, "preferredLanguage": null
        })
    }

    fn service_principal_json(&self, app: &App) -> Value {
        let owner = self
            .directory
            .tenant(&app.home_tenant)
            .map(|t| t.id.clone());
        json!({
            "id": service_principal_id(&app.name, &self.tenant.name), "appId": app.client_id,
            "displayName": app.name,
            "servicePrincipalNames": [app.client_id, format!("api://{}", app.client_id)],
            "servicePrincipalType": "Application", "appOwnerOrganizationId": owner, "accountEnabled": true
        })
    }

    fn users_json(&self) -> Vec<Value> {
        self.users().map(|u| self.user_json(u)).collect()
    }

    fn service_principals_json(&self) -> Vec<Value> {
        self.apps()
            .map(|a| self.service_principal_json(a))
            .collect()
    }

    /// A collection answer: filtered, projected by `$select`, with its OData context.
    fn collection(&self, entity_set: &str, schema: &Schema, items: Vec<Value>) -> GraphResult {
        let filter = self.filter(schema)?;
        let select = self.select();
        let value: Vec<Value> = items
            .into_iter()
            .filter(|item| filter.as_ref().is_none_or(|f| f.matches(item)))
            .map(|item| project(item, select.as_deref()))
            .collect();
        Ok(json!({"@odata.context": context(entity_set, select.as_deref(), false), "value": value}))
    }

    /// A single-entity answer: the object's properties next to its OData context.
    fn entity(&self, entity_set: &str, item: Value) -> GraphResult {
        let select = self.select();
        let mut body = Map::new();
        body.insert(
            "@odata.context".into(),
            json!(context(entity_set, select.as_deref(), true)),
        );
        if let Value::Object(fields) = project(item, select.as_deref()) {
            body.extend(fields);
        }
        Ok(Value::Object(body))
    }

    /// A user by object id or user principal name.
    fn find_user(&self, key: &str) -> Option<&User> {
        self.users()
            .find(|u| u.id.eq_ignore_ascii_case(key) || u.upn.eq_ignore_ascii_case(key))
    }

    fn find_service_principal(&self, id: &str) -> Option<&App> {
        self.apps()
            .find(|a| service_principal_id(&a.name, &self.tenant.name).eq_ignore_ascii_case(id))
    }
}

/// Graph's `@odata.context`, naming the selected properties when `$select` was given.
fn context(entity_set: &str, select: Option<&[String]>, single: bool) -> String {
    let selected = select.map_or(String::new(), |s| format!("({})", s.join(",")));
    let entity = if single { "/$entity" } else { "" };
    format!("{METADATA}#{entity_set}{selected}{entity}")
}

/// Keeps only the `$select`ed properties (matched case-insensitively) and the OData annotations.
fn project(item: Value, select: Option<&[String]>) -> Value {
    let (Some(select), Value::Object(fields)) = (select, &item) else {
        return item;
    };
    let kept: Map<String, Value> = fields
        .iter()
        .filter(|(k, _)| {
            k.starts_with("@odata.") || select.iter().any(|s| s.eq_ignore_ascii_case(k))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Value::Object(kept)
}

fn with_type(mut object: Value, odata_type: &str) -> Value {
    if let Value::Object(fields) = &mut object {
        let mut typed = Map::new();
        typed.insert("@odata.type".into(), json!(odata_type));
        typed.extend(std::mem::take(fields));
        *fields = typed;
    }
    object
}

#[derive(Deserialize)]
struct GetByIdsBody {
    ids: Vec<String>,
    #[serde(default)]
    types: Option<Vec<String>>,
}

/// `user`, `microsoft.graph.user` and `#microsoft.graph.user` all name the same type.
fn normalized_type(name: &str) -> String {
    let name = name.trim().trim_start_matches('#').to_ascii_lowercase();
    name.strip_prefix("microsoft.graph.")
        .map_or(name.clone(), str::to_string)
}

fn get_by_ids(call: &Call, body: &Bytes) -> GraphResult {
    let request: GetByIdsBody = serde_json::from_slice(body).map_err(|_| {
        GraphError::bad_request(
            "Request_BadRequest",
            "Invalid value specified for property 'ids' of resource 'DirectoryObject'.",
        )
    })?;
    if request.ids.len() > MAX_IDS {
        return Err(GraphError::bad_request(
            "Request_BadRequest",
            format!("The number of ids exceeds the limit of {MAX_IDS}."),
        ));
    }
    let types: Option<Vec<String>> = request
        .types
        .map(|t| t.iter().map(|name| normalized_type(name)).collect());
    let wanted = |kind: &str| types.as_ref().is_none_or(|t| t.iter().any(|n| n == kind));
    let mut seen: Vec<String> = Vec::new();
    let mut value = Vec::new();
    for id in &request.ids {
        // Unknown ids are skipped silently, and a repeated id answers once, as Graph does.
        if seen.iter().any(|s| s.eq_ignore_ascii_case(id)) {
            continue;
        }
        seen.push(id.clone());
        let user = call.users().find(|u| u.id.eq_ignore_ascii_case(id));
        if let Some(user) = user.filter(|_| wanted("user")) {
            value.push(with_type(call.user_json(user), "#microsoft.graph.user"));
        } else if let Some(app) = call
            .find_service_principal(id)
            .filter(|_| wanted("serviceprincipal"))
        {
            value.push(with_type(
                call.service_principal_json(app),
                "#microsoft.graph.servicePrincipal",
            ));
        }
    }
    Ok(json!({"@odata.context": format!("{METADATA}#directoryObjects"), "value": value}))
}

/// `GET /me`: only meaningful for a signed-in user, as Graph insists.
fn me(call: &Call) -> GraphResult {
    if call.caller.idtyp != "user" {
        return Err(GraphError::bad_request(
            "BadRequest",
            "/me request is only valid with delegated authentication flow.",
        ));
    }
    let user = call
        .find_user(&call.caller.oid)
        .ok_or_else(|| GraphError::not_found(&call.caller.oid))?;
    call.entity("users", call.user_json(user))
}

fn method_not_allowed() -> GraphError {
    GraphError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Request_BadRequest",
        "Specified HTTP method is not allowed for the request target.",
    )
}

fn dispatch(call: &Call, method: &Method, route: GraphRoute, body: &Bytes) -> GraphResult {
    let wants_post = route == GraphRoute::GetByIds;
    let is_read = matches!(*method, Method::GET | Method::HEAD);
    if (wants_post && *method != Method::POST) || (!wants_post && !is_read) {
        return Err(method_not_allowed());
    }
    match route {
        GraphRoute::Users => call.collection("users", &USER_SCHEMA, call.users_json()),
        GraphRoute::User(key) => {
            let user = call
                .find_user(&key)
                .ok_or_else(|| GraphError::not_found(&key))?;
            call.entity("users", call.user_json(user))
        }
        GraphRoute::Me => me(call),
        GraphRoute::ServicePrincipals => call.collection(
            "servicePrincipals",
            &SERVICE_PRINCIPAL_SCHEMA,
            call.service_principals_json(),
        ),
        GraphRoute::ServicePrincipal(id) => {
            let app = call
                .find_service_principal(&id)
                .ok_or_else(|| GraphError::not_found(&id))?;
            call.entity("servicePrincipals", call.service_principal_json(app))
        }
        GraphRoute::ServicePrincipalByAppId(app_id) => {
            let app = call
                .apps()
                .find(|a| a.client_id.eq_ignore_ascii_case(&app_id))
                .ok_or_else(|| GraphError::not_found(&app_id))?;
            call.entity("servicePrincipals", call.service_principal_json(app))
        }
        GraphRoute::GetByIds => get_by_ids(call, body),
    }
}

/// Authenticates, resolves the caller's tenant and answers; also reports the caller to the log.
fn handle(
    shared: &Shared,
    method: &Method,
    path: &str,
    raw_query: Option<&str>,
    headers: &HeaderMap,
    body: &Bytes,
) -> (GraphResult, Option<LoggedCaller>) {
    let caller = match authenticate(shared, headers) {
        Ok(c) => c,
        Err(e) => return (Err(e), None),
    };
    let logged = LoggedCaller {
        tenant: caller.tid.clone(),
        principal: caller.oid.clone(),
        aux_tenants: Vec::new(),
    };
    let Some(tenant) = shared.directory.tenant_by_id(&caller.tid) else {
        return (
            Err(GraphError::unauthorized("Access token validation failure.")),
            Some(logged),
        );
    };
    let call = Call {
        directory: &shared.directory,
        tenant,
        caller: &caller,
        query: parse_query(raw_query),
    };
    let result = parse_route(path).and_then(|route| dispatch(&call, method, route, body));
    (result, Some(logged))
}

/// Axum handler for everything under `/v1.0/`.
pub(crate) async fn serve(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let ids = RequestIds::from_headers(&parts.headers);
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        let too_large = GraphError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request_BadRequest",
            "The request body is too large.",
        );
        return respond(&ids, Err(too_large));
    };
    let (result, logged) = handle(
        &shared,
        &parts.method,
        parts.uri.path(),
        parts.uri.query(),
        &parts.headers,
        &body,
    );
    let mut response = respond(&ids, result);
    if let Some(logged) = logged {
        response.extensions_mut().insert(logged);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_parse_case_insensitively_and_decode_keys() {
        assert_eq!(parse_route("/v1.0/Users").unwrap(), GraphRoute::Users);
        assert_eq!(
            parse_route("/v1.0/users/a%23EXT%23%40t.com/").unwrap(),
            GraphRoute::User("a#EXT#@t.com".into())
        );
        assert_eq!(
            parse_route("/v1.0/servicePrincipals(appId='ab''c')").unwrap(),
            GraphRoute::ServicePrincipalByAppId("ab'c".into())
        );
        assert_eq!(
            parse_route("/v1.0/servicePrincipals(appId=%27x%27)").unwrap(),
            GraphRoute::ServicePrincipalByAppId("x".into())
        );
        assert_eq!(
            parse_route("/v1.0/directoryObjects/microsoft.graph.getByIds").unwrap(),
            GraphRoute::GetByIds
        );
        assert_eq!(parse_route("/v1.0/groups").unwrap_err().code, "BadRequest");
        assert_eq!(
            parse_route("/v1.0/servicePrincipals(displayName='x')")
                .unwrap_err()
                .code,
            "BadRequest"
        );
    }

    #[test]
    fn select_projects_and_names_the_context() {
        let select = vec!["displayName".to_string()];
        let item = json!({"@odata.type": "#t", "id": "1", "displayName": "A"});
        assert_eq!(
            project(item, Some(&select)),
            json!({"@odata.type": "#t", "displayName": "A"})
        );
        assert_eq!(
            context("users", Some(&select), true),
            "https://graph.microsoft.com/v1.0/$metadata#users(displayName)/$entity"
        );
    }

    #[test]
    fn types_normalize() {
        for t in ["user", "microsoft.graph.user", "#Microsoft.Graph.User"] {
            assert_eq!(normalized_type(t), "user");
        }
    }
}
