//! One error type for the client core. Its `kind` decides the Python exception class, which is chosen only
//! at the boundary (`src/python/errors.rs`), so the core stays free of PyO3.

use serde_json::Value;
use std::fmt;

/// What went wrong, in the terms of azure-core's exception hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad input caught before any request was sent (`gs.ValidationError`).
    Validation,
    /// An argument of the wrong type (`TypeError`).
    Type,
    /// 401, or a token could not be obtained (`ClientAuthenticationError`).
    Authentication,
    /// 404 (`ResourceNotFoundError`).
    NotFound,
    /// 409 (`ResourceExistsError`).
    Exists,
    /// Any other error status from the service (`HttpResponseError`).
    HttpResponse,
    /// The request never reached the service (`ServiceRequestError`).
    ServiceRequest,
    /// The service answered with something unreadable, or the connection broke (`ServiceResponseError`).
    ServiceResponse,
    /// A blocking wait ran past its timeout (`TimeoutError`).
    Timeout,
    /// A bug in galleryshare itself, e.g. a Rust panic caught at the boundary (`AzureError`).
    Internal,
}

/// The ARM error envelope, `{"error": {code, message, target, details}}`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceError {
    pub code: String,
    pub message: String,
    pub target: Option<String>,
    pub details: Vec<Value>,
}

#[derive(Debug, Clone)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub status: Option<u16>,
    pub service: Option<Box<ServiceError>>,
    /// The parameter a validation error is about, when there is one.
    pub parameter: Option<String>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            status: None,
            service: None,
            parameter: None,
        }
    }

    /// Bad input, worded as the Azure CLI words it where it has a wording.
    pub fn validation(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Validation, message)
    }

    pub fn invalid_param(parameter: &str, message: impl Into<String>) -> Self {
        Error {
            parameter: Some(parameter.to_string()),
            ..Error::validation(message)
        }
    }

    pub fn type_error(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Type, message)
    }

    pub fn auth(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Authentication, message)
    }

    /// Builds the error for an unexpected HTTP status from the response body (ARM or Entra shape).
    pub fn from_response(status: u16, body: &[u8]) -> Self {
        let service = parse_service_error(body).map(Box::new);
        let kind = match status {
            401 => ErrorKind::Authentication,
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Exists,
            _ => ErrorKind::HttpResponse,
        };
        let message = match &service {
            Some(e) => format!("({}) {}", e.code, e.message),
            None => format!("Operation returned an invalid status code {status}"),
        };
        Error {
            kind,
            message,
            status: Some(status),
            service,
            parameter: None,
        }
    }

    pub fn code(&self) -> Option<&str> {
        self.service.as_ref().map(|e| e.code.as_str())
    }
}

/// Reads `{"error": {...}}` (ARM), or `{"error": "...", "error_description": "..."}` (Entra).
pub fn parse_service_error(body: &[u8]) -> Option<ServiceError> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let err = v.get("error")?;
    if let Some(code) = err.as_str() {
        let message = v
            .get("error_description")
            .and_then(Value::as_str)
            .unwrap_or(code);
        return Some(ServiceError {
            code: code.to_string(),
            message: message.to_string(),
            ..Default::default()
        });
    }
    let text = |k: &str| err.get(k).and_then(Value::as_str).map(str::to_string);
    Some(ServiceError {
        code: text("code").unwrap_or_default(),
        message: text("message").unwrap_or_default(),
        target: text("target"),
        details: err
            .get("details")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
    })
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_envelope_maps_status_to_kind_and_keeps_code() {
        let body = br#"{"error":{"code":"AuthorizationFailed","message":"no","target":"x","details":[{"code":"a"}]}}"#;
        let e = Error::from_response(403, body);
        assert_eq!(e.kind, ErrorKind::HttpResponse);
        assert_eq!(e.code(), Some("AuthorizationFailed"));
        assert_eq!(e.message, "(AuthorizationFailed) no");
        assert_eq!(e.service.unwrap().details.len(), 1);
        assert_eq!(Error::from_response(404, b"").kind, ErrorKind::NotFound);
    }

    #[test]
    fn entra_error_shape_is_read() {
        let e = Error::from_response(
            401,
            br#"{"error":"invalid_client","error_description":"AADSTS7000215: bad"}"#,
        );
        assert_eq!(e.kind, ErrorKind::Authentication);
        assert_eq!(e.code(), Some("invalid_client"));
    }
}
