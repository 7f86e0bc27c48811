//! `credential=`: any Python object with azure-core's `get_token(*scopes, **kwargs)` (an
//! `azure.identity` credential, say) as a token source for the core.
//!
//! `get_token` blocks (it may make HTTP requests), so it runs on tokio's blocking pool and takes the GIL
//! there; the thread that waits on the runtime has released the GIL (`runtime::wait`), so this cannot
//! deadlock. Tokens are kept per scope by `Cached` until 5 minutes before `expires_on`.

use crate::credentials::{Cached, Credential, ExpiringTokenSource};
use crate::error::{Error, ErrorKind, Result};
use async_trait::async_trait;
use azure_core::credentials::Secret;
use pyo3::prelude::*;
use std::sync::Arc;

pub struct PyTokenSource {
    // An Arc so the blocking task can own a handle without taking the GIL to clone the object.
    credential: Arc<Py<PyAny>>,
}

/// Wraps `obj` as a caching `Credential`; a TypeError (before any request) if it has no `get_token`.
pub fn from_python(obj: &Bound<'_, PyAny>) -> PyResult<Arc<dyn Credential>> {
    let callable = obj
        .getattr("get_token")
        .map(|f| f.is_callable())
        .unwrap_or(false);
    if !callable {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "credential must have a get_token(*scopes, **kwargs) method, as azure-core's TokenCredential \
             (e.g. azure.identity.DefaultAzureCredential()); got {}",
            obj.get_type().name()?
        )));
    }
    Ok(Arc::new(Cached::new(PyTokenSource {
        credential: Arc::new(obj.clone().unbind()),
    })))
}

/// `credential.get_token(scope)` → (token, expires_on), with the GIL held only for the call.
fn call_get_token(credential: &Py<PyAny>, scope: &str) -> Result<(Secret, i64)> {
    Python::attach(|py| {
        let fail = |e: PyErr| {
            let kind = e
                .get_type(py)
                .name()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| "Exception".into());
            let text = e.value(py).to_string();
            let first = text.lines().next().unwrap_or_default();
            Error::auth(format!(
                "The credential's get_token failed: {kind}: {first}"
            ))
        };
        let token = credential
            .call_method1(py, "get_token", (scope,))
            .map_err(fail)?;
        let token = token.bind(py);
        if token.hasattr("__await__").unwrap_or(false) {
            // An asyncio credential (azure.identity.aio): close the coroutine so it is not left unawaited.
            let _ = token.call_method0("close");
            return Err(Error::new(
                ErrorKind::Type,
                "get_token returned a coroutine: pass a synchronous credential (azure.identity, not \
                 azure.identity.aio); gs.aio sessions take the synchronous one too",
            ));
        }
        let shape = || {
            Error::new(
                ErrorKind::Type,
                "get_token must return an object with .token (str) and .expires_on (int), as azure.core.credentials.AccessToken",
            )
        };
        let value: String = token
            .getattr("token")
            .and_then(|t| t.extract())
            .map_err(|_| shape())?;
        let expires_on: i64 = token
            .getattr("expires_on")
            .and_then(|t| t.extract())
            .map_err(|_| shape())?;
        Ok((Secret::new(value), expires_on))
    })
}

#[async_trait]
impl ExpiringTokenSource for PyTokenSource {
    async fn fetch(&self, scope: &str) -> Result<(Secret, i64)> {
        let (credential, scope) = (self.credential.clone(), scope.to_string());
        tokio::task::spawn_blocking(move || call_get_token(&credential, &scope))
            .await
            .map_err(|e| Error::auth(format!("The credential's get_token did not finish: {e}")))?
    }
}
