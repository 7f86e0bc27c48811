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

use super::directory::{service_principal_id, Directory, Tenant};
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
    /// Claims of tokens whose signature already verified: an ES256 check per request would dominate a
    /// GET's cost. Expiry and audience are still checked on every use.
    verified: parking_lot::Mutex<HashMap<String, Claims>>,
}

/// Bound on `Signer::verified`; it is simply emptied when full (tokens live an hour, callers are few).
const VERIFIED_CAPACITY: usize = 1024;

impl Signer {
    pub(crate) fn generate() -> Result<Signer, EmulatorError> {
        let key = rcgen::KeyPair::generate().map_err(|e| {
            EmulatorError::new(format!("cannot generate the token signing key: {e}"))
        })?;
        let raw = key.public_key_raw();
        let (x, y) = (
            URL_SAFE_NO_PAD.encode(&raw[1..33]),
            URL_SAFE_NO_PAD.encode(&raw[33..65]),
        );
        let kid = uuid::Uuid::new_v4().simple().to_string();
        let decoding = DecodingKey::from_ec_components(&x, &y)
            .map_err(|e| EmulatorError::new(format!("bad token signing key: {e}")))?;
        let jwk = json!({"kty": "EC", "use": "sig", "kid": kid, "crv": "P-256", "x": x, "y": y, "alg": "ES256"});
        Ok(Signer {
            kid,
            encoding: EncodingKey::from_ec_der(&key.serialize_der()),
            decoding,
            jwk,
            verified: parking_lot::Mutex::new(HashMap::new()),
        })
    }

    pub(crate) fn sign(&self, claims: &Claims) -> String {
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

    /// The claims of `token` if this signer signed it (signature checked once per token).
    fn signed_claims(&self, token: &str) -> Result<Claims, TokenError> {
        if let Some(claims) = self.verified.lock().get(token) {
            return Ok(claims.clone());
        }
        let mut validation = Validation::new(Algorithm::ES256);
        validation.validate_aud = false;
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| TokenError::Invalid)?
            .claims;
        let mut verified = self.verified.lock();
        if verified.len() >= VERIFIED_CAPACITY {
            verified.clear();
        }
        verified.insert(token.to_string(), claims.clone());
        Ok(claims)
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

fn client_credentials(
    dir: &Directory,
    tenant: &Tenant,
    form: &HashMap<String, String>,
) -> Result<Claims, AadError> {
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
    match form.get("client_secret") {
        None => Err(AadError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000216,
            "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
        )),
        Some(secret) if secret != &app.secret => Err(AadError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret \
                 value, not the client secret ID, for a secret added to app '{}'.",
                app.client_id
            ),
        )),
        Some(_) => Ok(base_claims(tenant, "", service_principal_id(&app.name, &tenant.name), &app.client_id, "app")),
    }
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
        "client_credentials" => client_credentials(dir, tenant.expect("checked above"), form)?,
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
    let mut body = json!({"token_type": "Bearer", "expires_in": LIFETIME_SECS, "ext_expires_in": LIFETIME_SECS,
                          "access_token": shared.signer.sign(&claims)});
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

    #[test]
    fn signed_tokens_verify_and_audience_is_checked() {
        let signer = Signer::generate().unwrap();
        let tenant = Tenant {
            name: "t".into(),
            id: "tid".into(),
            domain: "t.com".into(),
        };
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
        let tenant = Tenant {
            name: "t".into(),
            id: "tid".into(),
            domain: "t.com".into(),
        };
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
