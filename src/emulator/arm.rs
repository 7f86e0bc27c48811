//! ARM front door: api-version, bearer authentication, subscription tenancy, RBAC, then dispatch to
//! the handler of the resource family. Also the ARM error shape and paging.

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Value};

use super::directory::Subscription;
use super::handlers;
use super::identity::{Claims, TokenError, ARM_AUDIENCES};
use super::path::{self, Parsed, Route};
use super::rbac;
use super::requestlog::LoggedCaller;
use super::server::Shared;
use super::store::World;

/// An ARM error response: `{"error":{"code","message","target"?,"details"?}}`.
#[derive(Debug)]
pub(crate) struct ArmError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub target: Option<String>,
    pub details: Option<Box<Value>>,
    /// Boxed to keep `Result<_, ArmError>` small; only 401s carry headers.
    pub headers: Option<Box<HeaderMap>>,
}

impl ArmError {
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ArmError {
            status,
            code: code.to_string(),
            message: message.into(),
            target: None,
            details: None,
            headers: None,
        }
    }

    pub(crate) fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 400 `InvalidParameter` naming the offending property.
    pub(crate) fn invalid_parameter(target: &str, message: impl Into<String>) -> Self {
        let mut e = Self::bad_request("InvalidParameter", message);
        e.target = Some(target.to_string());
        e
    }

    pub(crate) fn not_found(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub(crate) fn conflict(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 404 `ResourceNotFound` as ARM words it for a missing resource.
    pub(crate) fn resource_not_found(resource_type: &str, name: &str, rg: &str) -> Self {
        Self::not_found(
            "ResourceNotFound",
            format!("The Resource '{resource_type}/{name}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"),
        )
    }

    fn unauthorized(
        code: &str,
        message: impl Into<String>,
        authority: &str,
        description: &str,
    ) -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, code, message);
        let challenge = format!(
            "Bearer authorization_uri=\"{authority}\", error=\"invalid_token\", error_description=\"{description}\""
        );
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            let mut headers = HeaderMap::new();
            headers.insert("www-authenticate", v);
            e.headers = Some(Box::new(headers));
        }
        e
    }
}

impl IntoResponse for ArmError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(target) = self.target {
            error["target"] = json!(target);
        }
        if let Some(details) = self.details {
            error["details"] = *details;
        }
        (
            self.status,
            self.headers.map(|h| *h).unwrap_or_default(),
            Json(json!({ "error": error })),
        )
            .into_response()
    }
}

pub(crate) type ArmResult = Result<Response, ArmError>;

/// One authenticated ARM request, as handlers see it.
pub(crate) struct Ctx<'a> {
    pub shared: &'a Shared,
    pub method: Method,
    /// The request path with the caller's casing, without a trailing slash.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Value,
    pub caller: Claims,
    /// Valid tokens of `x-ms-authorization-auxiliary` (signature, expiry and ARM audience checked);
    /// ARM consults them only when a request links a resource in another tenant.
    pub aux: Vec<Claims>,
    pub api_version: String,
}

const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

impl Ctx<'_> {
    /// A query parameter by case-insensitive name.
    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn lro_delay(&self) -> std::time::Duration {
        self.shared.config.lock().lro_delay
    }

    /// One page of `items` as ARM lists them, with an absolute `nextLink` unless it is the last.
    pub(crate) fn page(&self, items: Vec<Value>) -> Value {
        self.page_of(items.into_iter(), |v| v)
    }

    /// `page` rendering only the items of the requested page, so reading a long list page by page
    /// costs O(n), not O(n²).
    pub(crate) fn page_of<I: ExactSizeIterator>(
        &self,
        items: I,
        render: impl FnMut(I::Item) -> Value,
    ) -> Value {
        let (value, next_link) = self.window(items, render);
        let mut body = serde_json::Map::new();
        body.insert("value".into(), Value::Array(value));
        if let Some(link) = next_link {
            body.insert("nextLink".into(), Value::String(link));
        }
        Value::Object(body)
    }

    /// `page_of` for items that serialize themselves: the 200 response, written straight to bytes.
    pub(crate) fn page_response<I: ExactSizeIterator, R: serde::Serialize>(
        &self,
        items: I,
        render: impl FnMut(I::Item) -> R,
    ) -> Response {
        #[derive(serde::Serialize)]
        struct Page<R> {
            value: Vec<R>,
            #[serde(rename = "nextLink", skip_serializing_if = "Option::is_none")]
            next_link: Option<String>,
        }
        let (value, next_link) = self.window(items, render);
        let body = serde_json::to_vec(&Page { value, next_link }).expect("a page serializes");
        (
            StatusCode::OK,
            [(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response()
    }

    /// The requested page's items, rendered, and the link to the next page unless it is the last.
    fn window<I: ExactSizeIterator, R>(
        &self,
        items: I,
        render: impl FnMut(I::Item) -> R,
    ) -> (Vec<R>, Option<String>) {
        let size = self.shared.config.lock().page_size.max(1);
        let skip: usize = self
            .query("$skiptoken")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let next = skip + size;
        let total = items.len();
        let value = items.skip(skip).take(size).map(render).collect();
        (value, (next < total).then(|| self.next_link(next)))
    }

    fn next_link(&self, skip: usize) -> String {
        let mut query: Vec<String> = self
            .query
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("$skiptoken"))
            .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, QUERY_VALUE)))
            .collect();
        query.push(format!("$skiptoken={skip}"));
        format!("{}{}?{}", self.shared.endpoint, self.path, query.join("&"))
    }

    /// The caller as ARM names it in AuthorizationFailed: the upn for users, else the object id.
    fn client_name(&self) -> &str {
        self.caller.upn.as_deref().unwrap_or(&self.caller.oid)
    }

    /// 403 `AuthorizationFailed` unless the caller may perform `action` over `scope`.
    pub(crate) fn authorize(
        &self,
        world: &World,
        action: &str,
        scope: &str,
    ) -> Result<(), ArmError> {
        if rbac::is_allowed(&world.role_assignments, &self.caller.oid, action, scope) {
            return Ok(());
        }
        Err(ArmError::new(
            StatusCode::FORBIDDEN,
            "AuthorizationFailed",
            format!(
                "The client '{}' with object id '{}' does not have authorization to perform action '{action}' over \
                 scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
                self.client_name(),
                self.caller.oid
            ),
        ))
    }

    /// 403 `LinkedAuthorizationFailed`: the request links a resource in another tenant and no
    /// auxiliary token for that tenant came with it.
    pub(crate) fn linked_tenant_failed(
        &self,
        write_action: &str,
        scope: &str,
        linked_subscription: &str,
    ) -> ArmError {
        let oid = &self.caller.oid;
        ArmError::new(
            StatusCode::FORBIDDEN,
            "LinkedAuthorizationFailed",
            format!(
                "The client '{oid}' with object id '{oid}' has permission to perform action '{write_action}' on scope \
                 '{scope}'; however, the current tenant '{}' is not authorized to access linked subscription \
                 '{linked_subscription}'.",
                self.caller.tid
            ),
        )
    }

    /// 403 `LinkedAuthorizationFailed`: the principal allowed to reach the linked resource lacks `action` on it.
    pub(crate) fn linked_permission_failed(
        &self,
        write_action: &str,
        scope: &str,
        action: &str,
        linked_scope: &str,
    ) -> ArmError {
        let oid = &self.caller.oid;
        ArmError::new(
            StatusCode::FORBIDDEN,
            "LinkedAuthorizationFailed",
            format!(
                "The client '{oid}' with object id '{oid}' has permission to perform action '{write_action}' on scope \
                 '{scope}'; however, it does not have permission to perform action(s) '{action}' on the linked \
                 scope(s) '{linked_scope}' (respectively) or the linked scope(s) are invalid."
            ),
        )
    }

    /// The request body as a JSON object, or 400 `InvalidRequestContent`.
    pub(crate) fn body_object(&self) -> Result<&serde_json::Map<String, Value>, ArmError> {
        self.body.as_object().ok_or_else(|| {
            ArmError::bad_request(
                "InvalidRequestContent",
                "The request content was invalid and could not be deserialized.",
            )
        })
    }
}

/// The RBAC action of a request: `{resource type}/read|write|delete|action`.
fn action_of(method: &Method, resource_type: &str) -> String {
    let verb = match *method {
        Method::GET | Method::HEAD => "read",
        Method::PUT | Method::PATCH => "write",
        Method::DELETE => "delete",
        _ => "action",
    };
    format!("{resource_type}/{verb}")
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// At most this many tokens may ride in `x-ms-authorization-auxiliary`, as in ARM.
const MAX_AUX_TOKENS: usize = 3;

/// The raw tokens of `x-ms-authorization-auxiliary`: `Bearer a, Bearer b` (CLI) or `Bearer a;Bearer b`
/// (PowerShell).
fn auxiliary_tokens(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get("x-ms-authorization-auxiliary")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split([',', ';'])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| match t.split_once(' ') {
                    Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
                    _ => t,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The claims of the valid auxiliary tokens. Invalid ones are ignored here: they simply do not
/// authorize anything, and the linked-access check reports what is missing.
fn verify_auxiliary(shared: &Shared, headers: &HeaderMap) -> Result<Vec<Claims>, ArmError> {
    let tokens = auxiliary_tokens(headers);
    if tokens.len() > MAX_AUX_TOKENS {
        return Err(ArmError::bad_request(
            "TooManyAuxiliaryTokens",
            format!(
                "The request has {} tokens in header 'x-ms-authorization-auxiliary'; at most {MAX_AUX_TOKENS} are allowed.",
                tokens.len()
            ),
        ));
    }
    Ok(tokens
        .into_iter()
        .filter_map(|t| shared.signer.verify(t, &ARM_AUDIENCES).ok())
        .collect())
}

fn authenticate(shared: &Shared, headers: &HeaderMap, authority: &str) -> Result<Claims, ArmError> {
    let Some(token) = bearer(headers) else {
        return Err(ArmError::unauthorized(
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
            authority,
            "The authentication failed because of missing 'Authorization' header.",
        ));
    };
    shared.signer.verify(token, &ARM_AUDIENCES).map_err(|e| match e {
        TokenError::Invalid => ArmError::unauthorized(
            "InvalidAuthenticationToken",
            "The access token is invalid.",
            authority,
            "The access token is invalid.",
        ),
        TokenError::Expired { exp } => ArmError::unauthorized(
            "ExpiredAuthenticationToken",
            format!("The access token expiry UTC time '{exp}' is earlier than current UTC time."),
            authority,
            "The access token has expired.",
        ),
        TokenError::WrongAudience(aud) => ArmError::unauthorized(
            "InvalidAuthenticationTokenAudience",
            format!(
                "The access token has been obtained for wrong audience or resource '{aud}'. It should exactly match \
                 with one of the allowed audiences '{}'.",
                ARM_AUDIENCES.join("','")
            ),
            authority,
            "The access token has an invalid audience.",
        ),
    })
}

/// The subscription a request targets, checked against the token's tenant.
fn check_subscription<'a>(
    shared: &'a Shared,
    caller: &Claims,
    sub: &str,
) -> Result<&'a Subscription, ArmError> {
    let subscription = shared
        .directory
        .subscriptions
        .iter()
        .find(|s| s.id.eq_ignore_ascii_case(sub))
        .ok_or_else(|| {
            ArmError::not_found(
                "SubscriptionNotFound",
                format!("The subscription '{sub}' could not be found."),
            )
        })?;
    if !subscription.tenant_id.eq_ignore_ascii_case(&caller.tid) {
        return Err(ArmError::unauthorized(
            "InvalidAuthenticationTokenTenant",
            format!(
                "The access token is from the wrong issuer 'https://sts.windows.net/{}/'. It must match the tenant \
                 'https://sts.windows.net/{}/' associated with this subscription. Please use the authority (URL) \
                 'https://login.windows.net/{}' to get the token. Note, if the subscription is transferred to another \
                 tenant there is no impact to the services, but information about new tenant could take time to \
                 propagate (up to an hour). If you just transferred your subscription and see this error message, \
                 please try back later.",
                caller.tid, subscription.tenant_id, subscription.tenant_id
            ),
            &format!("{}/{}", shared.endpoint, subscription.tenant_id),
            "The access token is from the wrong issuer.",
        ));
    }
    Ok(subscription)
}

/// The authority a 401 challenge points to: the subscription's tenant when the path names one.
fn challenge_authority(shared: &Shared, parsed: Option<&Parsed>) -> String {
    let tenant = parsed
        .and_then(|p| path::subscription_of(&p.route))
        .and_then(|sub| shared.directory.subscription(sub))
        .map_or("common", |s| s.tenant_id.as_str());
    format!("{}/{tenant}", shared.endpoint)
}

/// Parses the raw query string into ordered pairs.
pub(crate) fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    raw.map(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect()
    })
    .unwrap_or_default()
}

/// Handles one ARM request end to end.
pub(crate) fn handle(
    shared: &Shared,
    method: Method,
    raw_path: &str,
    raw_query: Option<&str>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let path = raw_path.trim_end_matches('/').to_string();
    let query = parse_query(raw_query);
    let Some(api_version) = query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("api-version"))
        .map(|(_, v)| v.clone())
    else {
        return ArmError::bad_request(
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
        .into_response();
    };
    let parsed = path::parse(&path);
    let caller = match authenticate(
        shared,
        headers,
        &challenge_authority(shared, parsed.as_ref()),
    ) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let aux = match verify_auxiliary(shared, headers) {
        Ok(aux) => aux,
        Err(e) => return e.into_response(),
    };
    let logged = LoggedCaller {
        tenant: caller.tid.clone(),
        principal: caller.oid.clone(),
        aux_tenants: aux.iter().map(|c| c.tid.clone()).collect(),
    };
    let body = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(body).unwrap_or(Value::Bool(false))
    };
    let ctx = Ctx {
        shared,
        method,
        path,
        query,
        body,
        caller,
        aux,
        api_version,
    };
    let mut response = match parsed {
        None => unknown_route(&ctx).into_response(),
        Some(parsed) => route(&ctx, &parsed).unwrap_or_else(IntoResponse::into_response),
    };
    response.extensions_mut().insert(logged);
    response
}

fn unknown_route(ctx: &Ctx) -> ArmError {
    ArmError::not_found(
        "InvalidResourceType",
        format!(
            "The resource type could not be found for api version '{}' at '{}'.",
            ctx.api_version, ctx.path
        ),
    )
}

fn route(ctx: &Ctx, parsed: &Parsed) -> ArmResult {
    if let Some(sub) = path::subscription_of(&parsed.route) {
        check_subscription(ctx.shared, &ctx.caller, sub)?;
    }
    // Operation status is readable by whoever can reach the subscription: a caller with a role on
    // one resource group only must still be able to poll the operations it started there.
    // Community galleries are public: any valid token (of the path subscription's tenant) reads
    // them, with no role anywhere, and Resource Graph filters by what the caller may see itself.
    let needs_rbac = !matches!(
        parsed.route,
        Route::Subscriptions
            | Route::Tenants
            | Route::Subscription { .. }
            | Route::CapsOperation { .. }
            | Route::ProviderOperation { .. }
            | Route::CommunityGallery { .. }
            | Route::CommunityImages { .. }
            | Route::CommunityImage { .. }
            | Route::CommunityVersions { .. }
            | Route::CommunityVersion { .. }
            | Route::ResourceGraph
    );
    if needs_rbac {
        let world = ctx.shared.world.lock();
        ctx.authorize(
            &world,
            &action_of(&ctx.method, &parsed.resource_type),
            &ctx.path,
        )?;
    }
    handlers::dispatch(ctx, &parsed.route)
}

/// 405 for a method a resource does not support.
pub(crate) fn method_not_allowed(ctx: &Ctx) -> ArmError {
    ArmError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        format!(
            "The requested resource does not support http method '{}'.",
            ctx.method
        ),
    )
}

/// A JSON response with a status.
pub(crate) fn json_response(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

/// A JSON response carrying LRO headers.
pub(crate) fn lro_response(
    status: StatusCode,
    headers: HeaderMap,
    body: Option<Value>,
) -> Response {
    match body {
        Some(body) => (status, headers, Json(body)).into_response(),
        None => (status, headers).into_response(),
    }
}

/// 204 with no body.
pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}
