//! Entra ID imitation: the v2.0 token endpoint (client credentials and password grants), OpenID
//! discovery and JWKS, and verification of the tokens it signs (ES256).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::directory::{service_principal_id, App, Directory, Tenant};
use super::server::Shared;
use super::EmulatorError;

pub(crate) const ARM_AUDIENCE: &str = "https://management.azure.com/";
pub(crate) const GRAPH_AUDIENCE: &str = "https://graph.microsoft.com";
/// Audiences ARM accepts, as its error message lists them.
pub(crate) const ARM_AUDIENCES: [&str; 4] = [
    "https://management.core.windows.net/",
    "https://management.core.windows.net",
    "https://management.azure.com/",
    "https://management.azure.com",
];
const LIFETIME_SECS: i64 = 3599;

/// Claims of every access token the emulator signs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub tid: String,
    pub oid: String,
    pub appid: String,
    pub sub: String,
    pub idtyp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Why a bearer token was refused.
#[derive(Debug, PartialEq)]
pub(crate) enum TokenError {
    Invalid,
    Expired { exp: i64 },
    WrongAudience(String),
}

/// The per-emulator signing key, published in the JWKS.
pub(crate) struct Signer {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    jwk: Value,
    /// Claims of access tokens whose signature already verified: an ES256 check per request would
    /// dominate a GET's cost. Expiry and audience are still checked on every use.
    verified_tokens: parking_lot::Mutex<HashMap<String, Claims>>,
}

/// Bound on `Signer::verified_tokens`; it is simply emptied when full (tokens live an hour, callers are few).
const VERIFIED_CAPACITY: usize = 1024;

impl Signer {
    pub(crate) fn generate() -> Result<Signer, EmulatorError> {
        let key = rcgen::KeyPair::generate().map_err(|e| {
            EmulatorError::new(format!("cannot generate the token signing key: {e}"))
        })?;
        Self::from_key(&key, &uuid::Uuid::new_v4().simple().to_string())
    }

    /// A signer for a kept key, so an emulator restored from its `state_dir` verifies the tokens it
    /// issued before the restart.
    pub(crate) fn from_key(key: &rcgen::KeyPair, kid: &str) -> Result<Signer, EmulatorError> {
        let raw = key.public_key_raw();
        let (x, y) = (
            URL_SAFE_NO_PAD.encode(&raw[1..33]),
            URL_SAFE_NO_PAD.encode(&raw[33..65]),
        );
        let decoding = DecodingKey::from_ec_components(&x, &y)
            .map_err(|e| EmulatorError::new(format!("bad token signing key: {e}")))?;
        let jwk = json!({"kty": "EC", "use": "sig", "kid": kid, "crv": "P-256", "x": x, "y": y, "alg": "ES256"});
        Ok(Signer {
            kid: kid.to_string(),
            encoding: EncodingKey::from_ec_der(&key.serialize_der()),
            decoding,
            jwk,
            verified_tokens: parking_lot::Mutex::new(HashMap::new()),
        })
    }

    pub(crate) fn sign<T: Serialize>(&self, claims: &T) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .expect("ES256 signing with a valid key cannot fail")
    }

    /// Checks signature, expiry and that the audience is one of `audiences`.
    pub(crate) fn verify(&self, token: &str, audiences: &[&str]) -> Result<Claims, TokenError> {
        let claims = self.signed_claims(token)?;
        if claims.exp <= now() {
            return Err(TokenError::Expired { exp: claims.exp });
        }
        if !audiences
            .iter()
            .any(|a| a.eq_ignore_ascii_case(&claims.aud))
        {
            return Err(TokenError::WrongAudience(claims.aud));
        }
        Ok(claims)
    }

    /// The claims of an access token this signer signed (signature checked once per token).
    fn signed_claims(&self, token: &str) -> Result<Claims, TokenError> {
        if let Some(claims) = self.verified_tokens.lock().get(token) {
            return Ok(claims.clone());
        }
        let claims: Claims = self.verified(token).ok_or(TokenError::Invalid)?;
        let mut cache = self.verified_tokens.lock();
        if cache.len() >= VERIFIED_CAPACITY {
            cache.clear();
        }
        cache.insert(token.to_string(), claims.clone());
        Ok(claims)
    }

    /// The claims of a token this signer signed (signature only; the caller checks the claims).
    fn verified<T: serde::de::DeserializeOwned>(&self, token: &str) -> Option<T> {
        let mut validation = Validation::new(Algorithm::ES256);
        validation.validate_aud = false;
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        jsonwebtoken::decode::<T>(token, &self.decoding, &validation)
            .ok()
            .map(|d| d.claims)
    }

    pub(crate) fn jwks(&self) -> Value {
        json!({"keys": [self.jwk]})
    }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// An Entra-shaped OAuth error: `{"error","error_description","error_codes",...}`.
struct AadError {
    status: StatusCode,
    error: &'static str,
    code: u32,
    message: String,
}

impl AadError {
    fn new(status: StatusCode, error: &'static str, code: u32, message: impl Into<String>) -> Self {
        AadError {
            status,
            error,
            code,
            message: message.into(),
        }
    }

    fn tenant_not_found(tenant: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into \
                 the correct cloud. Check with your subscription administrator, this may happen if there are no \
                 active subscriptions for the tenant."
            ),
        )
    }
}

impl IntoResponse for AadError {
    fn into_response(self) -> Response {
        let trace_id = uuid::Uuid::new_v4().to_string();
        let correlation_id = uuid::Uuid::new_v4().to_string();
        let timestamp = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let description = format!(
            "AADSTS{}: {} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}",
            self.code, self.message
        );
        let body = json!({
            "error": self.error, "error_description": description, "error_codes": [self.code],
            "timestamp": timestamp, "trace_id": trace_id, "correlation_id": correlation_id,
            "error_uri": format!("https://login.microsoftonline.com/error?code={}", self.code)
        });
        (self.status, Json(body)).into_response()
    }
}

/// Maps a requested scope to the audience of the token.
fn audience_for(scope: &str) -> Option<&'static str> {
    scope
        .split_whitespace()
        .find_map(|s| match s.to_ascii_lowercase().as_str() {
            "https://management.azure.com/.default"
            | "https://management.azure.com//.default"
            | "https://management.core.windows.net/.default"
            | "https://management.core.windows.net//.default" => Some(ARM_AUDIENCE),
            "https://graph.microsoft.com/.default" | "https://graph.microsoft.com//.default" => {
                Some(GRAPH_AUDIENCE)
            }
            _ => None,
        })
}

fn base_claims(tenant: &Tenant, audience: &str, oid: String, appid: &str, idtyp: &str) -> Claims {
    let iat = now();
    Claims {
        aud: audience.to_string(),
        iss: format!("https://sts.windows.net/{}/", tenant.id),
        iat,
        nbf: iat,
        exp: iat + LIFETIME_SECS + 1,
        tid: tenant.id.clone(),
        sub: oid.clone(),
        oid,
        appid: appid.to_string(),
        idtyp: idtyp.to_string(),
        upn: None,
        name: None,
    }
}

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Clock skew Entra tolerates on a client assertion's `nbf`/`exp`.
const ASSERTION_SKEW_SECS: i64 = 300;

fn client_credentials(
    shared: &Shared,
    tenant: &Tenant,
    tenant_ref: &str,
    form: &HashMap<String, String>,
) -> Result<Claims, AadError> {
    let dir = &shared.directory;
    let client_id = form
        .get("client_id")
        .map(String::as_str)
        .unwrap_or_default();
    let app = dir.app_by_client_id(client_id).filter(|a| a.tenants.contains(&tenant.name)).ok_or_else(|| {
        AadError::new(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if \
                 the application has not been installed by the administrator of the tenant or consented to by any \
                 user in the tenant. You may have sent your authentication request to the wrong tenant.",
                tenant.name
            ),
        )
    })?;
    match (form.get("client_secret"), form.get("client_assertion")) {
        (Some(secret), _) => check_secret(app, secret)?,
        (None, Some(assertion)) => {
            let audience = Audience {
                endpoint: &shared.endpoint,
                signer: &shared.signer,
                tenant,
                tenant_ref,
                dir,
            };
            check_assertion(
                app,
                form.get("client_assertion_type").map(String::as_str),
                assertion,
                &audience,
            )?
        }
        (None, None) => {
            return Err(AadError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000216,
                "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
            ))
        }
    }
    Ok(base_claims(
        tenant,
        "",
        service_principal_id(&app.name, &tenant.name),
        &app.client_id,
        "app",
    ))
}

fn check_secret(app: &App, secret: &str) -> Result<(), AadError> {
    if secret == app.secret {
        return Ok(());
    }
    Err(AadError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        7000215,
        format!(
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret \
             value, not the client secret ID, for a secret added to app '{}'.",
            app.client_id
        ),
    ))
}

/// What a client assertion's `aud` must name: this tenant's token endpoint (v2.0 or v1, by any name of
/// the tenant).
struct Audience<'a> {
    endpoint: &'a str,
    signer: &'a Signer,
    tenant: &'a Tenant,
    tenant_ref: &'a str,
    dir: &'a Directory,
}

impl Audience<'_> {
    fn expected(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.endpoint, self.tenant_ref)
    }

    fn accepts(&self, aud: &str) -> bool {
        let Some(rest) = aud.trim_end_matches('/').strip_prefix(self.endpoint) else {
            return false;
        };
        let mut parts = rest.trim_start_matches('/').splitn(2, '/');
        let (tenant, path) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        matches!(path, "oauth2/v2.0/token" | "oauth2/token")
            && self
                .dir
                .tenant(tenant)
                .is_some_and(|t| t.id == self.tenant.id)
    }
}

/// Claims Entra reads from a client assertion.
#[derive(Deserialize)]
struct AssertionClaims {
    #[serde(default)]
    aud: String,
    #[serde(default)]
    iss: String,
    #[serde(default)]
    sub: String,
    // MSAL Python sends fractional seconds.
    exp: Option<f64>,
    nbf: Option<f64>,
}

fn assertion_error(code: u32, message: impl Into<String>) -> AadError {
    AadError::new(StatusCode::UNAUTHORIZED, "invalid_client", code, message)
}

/// A certificate credential (`private_key_jwt`): a JWT signed with the app's key, naming the key by
/// `x5t` (SHA-1) or `x5t#S256`, issued by and about the app, for this token endpoint, not expired.
fn check_assertion(
    app: &App,
    assertion_type: Option<&str>,
    assertion: &str,
    audience: &Audience<'_>,
) -> Result<(), AadError> {
    if assertion_type != Some(JWT_BEARER) {
        return Err(AadError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50027,
            format!("Invalid JWT token. 'client_assertion_type' must be '{JWT_BEARER}'."),
        ));
    }
    let malformed = || assertion_error(50027, "JWT token is invalid or malformed.");
    let header = jsonwebtoken::decode_header(assertion).map_err(|_| malformed())?;
    let from_signer = header.kid.as_deref() == Some(audience.signer.kid.as_str());
    if header.x5t.is_none() && header.x5t_s256.is_none() && from_signer {
        return check_federated(app, assertion, audience);
    }
    let cert = app.certificate().map_err(|e| {
        AadError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            90033,
            e.to_string(),
        )
    })?;
    let (presented, expected) = match (&header.x5t, &header.x5t_s256) {
        (Some(t), _) => (t, &cert.sha1),
        (None, Some(t)) => (t, &cert.sha256),
        (None, None) => {
            return Err(assertion_error(
                50027,
                "Invalid JWT token. No certificate thumbprint specified in token header.",
            ))
        }
    };
    let presented = URL_SAFE_NO_PAD
        .decode(presented.trim_end_matches('='))
        .map_err(|_| malformed())?;
    if &presented != expected {
        let shown: String = presented.iter().map(|b| format!("{b:02X}")).collect();
        return Err(assertion_error(
            700027,
            format!(
                "The certificate with identifier used to sign the client assertion is not registered on \
                 application. [Reason - The key was not found., Thumbprint of key used by client: '{shown}', \
                 Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for \
                 app Id '{}'.]",
                app.client_id
            ),
        ));
    }
    let claims = verified_assertion(assertion, header.alg, &cert.public_key)?;
    if !claims.iss.eq_ignore_ascii_case(&app.client_id)
        || !claims.sub.eq_ignore_ascii_case(&app.client_id)
    {
        return Err(assertion_error(
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter. Review the \
             documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
        ));
    }
    if !audience.accepts(&claims.aud) {
        return Err(assertion_error(
            700016,
            format!(
                "Client assertion audience claim does not match Realm issuer. The audience in the assertion was \
                 '{}' and the expected audience is '{}'.",
                claims.aud,
                audience.expected()
            ),
        ));
    }
    check_assertion_time(&claims)
}

/// The assertion's claims once its RS256/PS256 signature checks out against the app's public key.
fn verified_assertion(
    assertion: &str,
    alg: Algorithm,
    public_key: &[u8],
) -> Result<AssertionClaims, AadError> {
    let bad_signature = || assertion_error(700027, "Client assertion failed signature validation.");
    if !matches!(alg, Algorithm::RS256 | Algorithm::PS256) {
        return Err(bad_signature());
    }
    let mut validation = Validation::new(alg);
    validation.validate_aud = false;
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let key = DecodingKey::from_rsa_der(public_key);
    jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &validation)
        .map(|d| d.claims)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => bad_signature(),
            _ => assertion_error(50027, "JWT token is invalid or malformed."),
        })
}

/// The audience of workload identity tokens, as Entra's federated credentials expect it.
pub(crate) const TOKEN_EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";
const FEDERATED_LIFETIME_SECS: i64 = 3600;

/// The OIDC issuer the emulator plays for workload identity (a Kubernetes cluster, a CI system).
pub(crate) fn federated_issuer(endpoint: &str) -> String {
    format!("{endpoint}/workload-identity")
}

/// The subject every seeded app's federated credential trusts: a Kubernetes service account named after it.
pub(crate) fn federated_subject(app: &App) -> String {
    format!("system:serviceaccount:default:{}", app.name)
}

#[derive(Serialize, Deserialize)]
struct FederatedClaims {
    #[serde(default)]
    iss: String,
    #[serde(default)]
    sub: String,
    #[serde(default)]
    aud: Value,
    #[serde(default)]
    iat: Option<f64>,
    exp: Option<f64>,
    nbf: Option<f64>,
}

/// A workload identity token for `app`, as its cluster would project it into a pod (an hour's validity).
pub(crate) fn federated_token(shared: &Shared, app: &App) -> String {
    let now = now() as f64;
    shared.signer.sign(&FederatedClaims {
        iss: federated_issuer(&shared.endpoint),
        sub: federated_subject(app),
        aud: json!([TOKEN_EXCHANGE_AUDIENCE]),
        iat: Some(now),
        nbf: Some(now),
        exp: Some(now + FEDERATED_LIFETIME_SECS as f64),
    })
}

fn no_federated_match(what: &str, value: &str) -> AadError {
    let code = match what {
        "issuer" => 700211,
        "audience" => 700212,
        _ => 700213,
    };
    AadError::new(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        code,
        format!(
            "No matching federated identity record found for presented assertion {what} '{value}'. Please check \
             your federated identity credential Subject, Audience and Issuer against the presented assertion. \
             https://learn.microsoft.com/entra/workload-id/workload-identity-federation"
        ),
    )
}

/// Workload identity federation: a token from the emulator's issuer, for the token-exchange audience,
/// about the app's service account, not expired.
fn check_federated(app: &App, assertion: &str, audience: &Audience<'_>) -> Result<(), AadError> {
    let claims: FederatedClaims = audience
        .signer
        .verified(assertion)
        .ok_or_else(|| assertion_error(700027, "Client assertion failed signature validation."))?;
    if claims.iss != federated_issuer(audience.endpoint) {
        return Err(no_federated_match("issuer", &claims.iss));
    }
    let audiences: Vec<&str> = match &claims.aud {
        Value::String(a) => vec![a.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !audiences.contains(&TOKEN_EXCHANGE_AUDIENCE) {
        return Err(no_federated_match("audience", &audiences.join(",")));
    }
    if claims.sub != federated_subject(app) {
        return Err(no_federated_match("subject", &claims.sub));
    }
    check_assertion_time(&AssertionClaims {
        aud: String::new(),
        iss: claims.iss,
        sub: claims.sub,
        exp: claims.exp,
        nbf: claims.nbf,
    })
}

fn check_assertion_time(claims: &AssertionClaims) -> Result<(), AadError> {
    let now = now();
    let exp = claims.exp.unwrap_or(0.0) as i64;
    let nbf = claims.nbf.unwrap_or(0.0) as i64;
    if exp + ASSERTION_SKEW_SECS > now && nbf - ASSERTION_SKEW_SECS <= now {
        return Ok(());
    }
    let at = |t: i64| {
        time::OffsetDateTime::from_unix_timestamp(t)
            .ok()
            .and_then(|d| {
                d.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default()
    };
    Err(assertion_error(
        700024,
        format!(
            "Client assertion is not within its valid time range. Current time: {}, assertion valid from {}, \
             expiry time of assertion {}. Review the documentation at \
             https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
            at(now),
            at(nbf),
            at(exp)
        ),
    ))
}

fn password_grant(
    dir: &Directory,
    tenant_ref: &str,
    form: &HashMap<String, String>,
) -> Result<Claims, AadError> {
    let username = form.get("username").map(String::as_str).unwrap_or_default();
    let any_tenant = matches!(
        tenant_ref.to_ascii_lowercase().as_str(),
        "organizations" | "common"
    );
    let tenant = if any_tenant {
        None
    } else {
        Some(
            dir.tenant(tenant_ref)
                .ok_or_else(|| AadError::tenant_not_found(tenant_ref))?,
        )
    };
    let user = dir.user_by_upn(username).filter(|u| tenant.is_none_or(|t| t.name == u.tenant)).ok_or_else(|| {
        AadError::new(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            50034,
            format!(
                "The user account {username} does not exist in the {} directory. To sign into this application, \
                 the account must be added to the directory.",
                tenant.map_or(tenant_ref, |t| t.id.as_str())
            ),
        )
    })?;
    if form.get("password") != Some(&user.password) {
        return Err(AadError::new(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            50126,
            "Error validating credentials due to invalid username or password.",
        ));
    }
    let home = dir
        .tenant(&user.tenant)
        .expect("seed validation ensures users have a tenant");
    let client_id = form
        .get("client_id")
        .map(String::as_str)
        .unwrap_or_default();
    let mut claims = base_claims(home, "", user.id.clone(), client_id, "user");
    claims.upn = Some(user.upn.clone());
    claims.name = Some(user.display_name.clone());
    Ok(claims)
}

fn issue(
    shared: &Shared,
    tenant_ref: &str,
    form: &HashMap<String, String>,
) -> Result<Value, AadError> {
    let dir = &shared.directory;
    let grant = form
        .get("grant_type")
        .map(String::as_str)
        .unwrap_or_default();
    let scope = form.get("scope").map(String::as_str).unwrap_or_default();
    let tenant = dir.tenant(tenant_ref);
    if tenant.is_none()
        && !(grant == "password" && matches!(tenant_ref, "organizations" | "common"))
    {
        return Err(AadError::tenant_not_found(tenant_ref));
    }
    if scope.is_empty() {
        return Err(AadError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.",
        ));
    }
    let audience = audience_for(scope).ok_or_else(|| {
        AadError::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
            format!("The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."),
        )
    })?;
    let mut claims = match grant {
        "client_credentials" => {
            client_credentials(shared, tenant.expect("checked above"), tenant_ref, form)?
        }
        "password" => password_grant(dir, tenant_ref, form)?,
        other => {
            return Err(AadError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                70003,
                format!("The app requested an unsupported grant type '{other}'."),
            ))
        }
    };
    claims.aud = audience.to_string();
    let access_token = shared.signer.sign(&claims);
    super::control::record_issued_token(shared, &access_token);
    let mut body = json!({"token_type": "Bearer", "expires_in": LIFETIME_SECS, "ext_expires_in": LIFETIME_SECS,
                          "access_token": access_token});
    if grant == "password" {
        body["scope"] = json!(scope);
    }
    Ok(body)
}

/// `POST /{tenant}/oauth2/v2.0/token`. The form is never logged: it carries secrets.
pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    match issue(&shared, &tenant, &form) {
        Ok(body) => Json(body).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`.
pub(crate) async fn openid_configuration(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
) -> Response {
    let tid = match shared.directory.tenant(&tenant) {
        Some(t) => t.id.clone(),
        None if matches!(tenant.as_str(), "organizations" | "common") => "{tenantid}".to_string(),
        None => return AadError::tenant_not_found(&tenant).into_response(),
    };
    let base = format!("{}/{tid}", shared.endpoint);
    Json(json!({
        "token_endpoint": format!("{}/{tenant}/oauth2/v2.0/token", shared.endpoint),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{}/{tenant}/discovery/v2.0/keys", shared.endpoint),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{base}/v2.0"),
        "request_uri_parameter_supported": false,
        "authorization_endpoint": format!("{}/{tenant}/oauth2/v2.0/authorize", shared.endpoint),
        "device_authorization_endpoint": format!("{}/{tenant}/oauth2/v2.0/devicecode", shared.endpoint),
        "end_session_endpoint": format!("{}/{tenant}/oauth2/v2.0/logout", shared.endpoint),
        "tenant_region_scope": "NA",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com"
    }))
    .into_response()
}

/// `GET /discovery/v2.0/keys` and `GET /{tenant}/discovery/v2.0/keys`.
pub(crate) async fn jwks(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.signer.jwks()).into_response()
}

/// `GET /msi/token?api-version=2019-08-01&resource=R&client_id=C` with `X-IDENTITY-HEADER`: App Service's
/// managed identity endpoint (`IDENTITY_ENDPOINT`). Every seeded app can be used as a user-assigned
/// identity of the host (by `client_id`, or its service principal's `object_id` in the home tenant); the
/// host has no system-assigned identity, so a request naming none is refused, as App Service does.
pub(crate) async fn managed_identity_token(
    State(shared): State<Arc<Shared>>,
    headers: axum::http::HeaderMap,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let refuse = |status: StatusCode, message: &str| {
        (
            status,
            Json(json!({"statusCode": status.as_u16(), "message": message})),
        )
            .into_response()
    };
    let header = headers
        .get("x-identity-header")
        .and_then(|h| h.to_str().ok());
    if header != Some(shared.directory.identity_header.as_str()) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER.",
        );
    }
    let resource = q.get("resource").map(String::as_str).unwrap_or_default();
    let Some(audience) = audience_for(&format!("{}/.default", resource.trim_end_matches('/')))
    else {
        return refuse(
            StatusCode::BAD_REQUEST,
            &format!(
                "The resource '{resource}' is not a resource this endpoint issues tokens for."
            ),
        );
    };
    let dir = &shared.directory;
    let app = match (q.get("client_id"), q.get("object_id")) {
        (Some(id), _) => dir.app_by_client_id(id),
        (None, Some(oid)) => dir
            .apps
            .iter()
            .find(|a| service_principal_id(&a.name, &a.home_tenant).eq_ignore_ascii_case(oid)),
        (None, None) => None,
    };
    let Some(tenant) = app.and_then(|a| dir.tenant(&a.home_tenant)) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "No managed identity matches the request: this host has no system-assigned identity; name a \
             user-assigned one with client_id or object_id.",
        );
    };
    let app = app.expect("found above");
    let mut claims = base_claims(
        tenant,
        audience,
        service_principal_id(&app.name, &tenant.name),
        &app.client_id,
        "app",
    );
    claims.aud = audience.to_string();
    Json(json!({
        "access_token": shared.signer.sign(&claims), "expires_on": claims.exp.to_string(),
        "resource": resource, "token_type": "Bearer", "client_id": app.client_id,
    }))
    .into_response()
}

/// `GET /{tenant}/discovery/instance` (MSAL's instance discovery), pointing back at this authority.
pub(crate) async fn instance_discovery(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
) -> Response {
    let host = shared.endpoint.trim_start_matches("https://").to_string();
    Json(json!({
        "tenant_discovery_endpoint": format!("{}/{tenant}/v2.0/.well-known/openid-configuration", shared.endpoint),
        "api-version": "1.1",
        "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}]
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_map_to_audiences() {
        assert_eq!(
            audience_for("https://management.core.windows.net//.default"),
            Some(ARM_AUDIENCE)
        );
        assert_eq!(
            audience_for("https://management.azure.com/.default"),
            Some(ARM_AUDIENCE)
        );
        assert_eq!(
            audience_for("https://graph.microsoft.com/.default"),
            Some(GRAPH_AUDIENCE)
        );
        assert_eq!(audience_for("https://vault.azure.net/.default"), None);
    }

    fn assertion_code(app: &App, jwt: &str, audience: &Audience<'_>) -> Option<u32> {
        check_assertion(app, Some(JWT_BEARER), jwt, audience)
            .err()
            .map(|e| e.code)
    }

    #[test]
    fn client_assertions_are_checked_as_entra_does() {
        use crate::credentials::CertificateAssertion;
        let dir = Directory::from_seed(&super::super::default_seed()).unwrap();
        let signer = Signer::generate().unwrap();
        let (mine, other) = (&dir.apps[0], &dir.apps[1]);
        let tenant = dir.tenant(&mine.home_tenant).unwrap();
        let audience = Audience {
            endpoint: "https://127.0.0.1:1",
            signer: &signer,
            tenant,
            tenant_ref: &tenant.id,
            dir: &dir,
        };
        let assertion = |pem: &str, client_id: &str, aud: &str| {
            CertificateAssertion::from_pem(pem, client_id, aud.to_string())
                .unwrap()
                .sign()
                .unwrap()
        };
        let pem = &mine.certificate().unwrap().pem;
        let good_aud = format!("https://127.0.0.1:1/{}/oauth2/v2.0/token", tenant.domain);
        assert_eq!(
            assertion_code(mine, &assertion(pem, &mine.client_id, &good_aud), &audience),
            None
        );
        let others = &other.certificate().unwrap().pem;
        assert_eq!(
            assertion_code(
                mine,
                &assertion(others, &mine.client_id, &good_aud),
                &audience
            ),
            Some(700027)
        );
        assert_eq!(
            assertion_code(
                mine,
                &assertion(pem, &other.client_id, &good_aud),
                &audience
            ),
            Some(700021)
        );
        let wrong_aud = "https://login.microsoftonline.com/common/oauth2/v2.0/token";
        assert_eq!(
            assertion_code(mine, &assertion(pem, &mine.client_id, wrong_aud), &audience),
            Some(700016)
        );
        assert_eq!(assertion_code(mine, "not.a.jwt", &audience), Some(50027));
        // A workload identity token from the emulator's issuer, for this app's service account.
        let now = now() as f64;
        let federated = |sub: String, aud: &str, exp: f64| {
            signer.sign(&FederatedClaims {
                iss: federated_issuer(audience.endpoint),
                sub,
                aud: json!(aud),
                iat: Some(now),
                nbf: Some(now),
                exp: Some(exp),
            })
        };
        let sub = federated_subject(mine);
        let hour = now + 3600.0;
        assert_eq!(
            assertion_code(
                mine,
                &federated(sub.clone(), TOKEN_EXCHANGE_AUDIENCE, hour),
                &audience
            ),
            None
        );
        assert_eq!(
            assertion_code(
                mine,
                &federated(federated_subject(other), TOKEN_EXCHANGE_AUDIENCE, hour),
                &audience
            ),
            Some(700213)
        );
        assert_eq!(
            assertion_code(
                mine,
                &federated(sub.clone(), "api://other", hour),
                &audience
            ),
            Some(700212)
        );
        assert_eq!(
            assertion_code(
                mine,
                &federated(sub, TOKEN_EXCHANGE_AUDIENCE, now - 3600.0),
                &audience
            ),
            Some(700024)
        );
    }

    fn test_tenant() -> Tenant {
        Tenant {
            name: "t".into(),
            id: "tid".into(),
            domain: "t.com".into(),
        }
    }

    #[test]
    fn signed_tokens_verify_and_audience_is_checked() {
        let signer = Signer::generate().unwrap();
        let tenant = test_tenant();
        let claims = base_claims(&tenant, ARM_AUDIENCE, "oid".into(), "app", "app");
        let token = signer.sign(&claims);
        assert_eq!(signer.verify(&token, &ARM_AUDIENCES).unwrap().oid, "oid");
        assert!(matches!(
            signer.verify(&token, &[GRAPH_AUDIENCE]),
            Err(TokenError::WrongAudience(_))
        ));
        let other = Signer::generate().unwrap();
        assert_eq!(
            other.verify(&token, &ARM_AUDIENCES).unwrap_err(),
            TokenError::Invalid
        );
    }

    #[test]
    fn a_cached_signature_still_has_expiry_and_audience_checked_on_every_use() {
        let signer = Signer::generate().unwrap();
        let tenant = test_tenant();
        let mut claims = base_claims(&tenant, ARM_AUDIENCE, "oid".into(), "app", "app");
        let fresh = signer.sign(&claims);
        claims.exp = now() - 10;
        let expired = signer.sign(&claims);
        for _ in 0..2 {
            assert_eq!(signer.verify(&fresh, &ARM_AUDIENCES).unwrap().oid, "oid");
            assert!(matches!(
                signer.verify(&fresh, &[GRAPH_AUDIENCE]),
                Err(TokenError::WrongAudience(_))
            ));
            assert!(matches!(
                signer.verify(&expired, &ARM_AUDIENCES),
                Err(TokenError::Expired { .. })
            ));
        }
        // A token differing from a verified one only in its signature is not taken from the cache.
        let (head, sig) = fresh.rsplit_once('.').unwrap();
        let forged = format!("{head}.{}", sig.chars().rev().collect::<String>());
        assert_eq!(
            signer.verify(&forged, &ARM_AUDIENCES).unwrap_err(),
            TokenError::Invalid
        );
    }
}
