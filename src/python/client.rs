//! `_core.Client` (one session: cloud, logins, pipeline) and `_core.Poller` (a running operation).
//! Results cross the boundary as JSON text; the facade parses it (C-speed `json.loads`).

use super::errors::to_py;
use super::runtime::{block_on, wait};
use crate::client::Client as CoreClient;
use crate::cloud::Cloud;
use crate::error::Error;
use crate::ops::{self, Outcome, Shape};
use crate::pipeline::lro::PollState;
use parking_lot::Mutex;
use pyo3::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

#[pyclass(module = "galleryshare._core", frozen)]
pub struct Client {
    inner: Arc<CoreClient>,
}

#[pymethods]
impl Client {
    /// `cloud_json`: the endpoints (see `galleryshare.Cloud`); `aux_separator`: ", " (CLI) or ";" (PowerShell).
    #[new]
    #[pyo3(signature = (cloud_json, api_versions=None, aux_separator=", "))]
    fn new(
        cloud_json: &str,
        api_versions: Option<HashMap<String, String>>,
        aux_separator: &str,
    ) -> PyResult<Self> {
        let cloud: Cloud = serde_json::from_str(cloud_json).map_err(|e| {
            to_py(Error::invalid_param(
                "cloud",
                format!("Not a cloud description: {e}"),
            ))
        })?;
        let inner = CoreClient::new(cloud, api_versions.unwrap_or_default(), aux_separator)
            .map_err(to_py)?;
        Ok(Client {
            inner: Arc::new(inner),
        })
    }

    /// Runs command `op` with JSON arguments; returns JSON text, or a Poller when the command was asked
    /// not to wait. `pwsh`: present the result as this PowerShell object kind instead of the CLI shape.
    #[pyo3(signature = (op, args_json, pwsh=None))]
    fn invoke(
        &self,
        py: Python<'_>,
        op: &str,
        args_json: &str,
        pwsh: Option<&str>,
    ) -> PyResult<Py<PyAny>> {
        let kind = pwsh
            .map(|k| {
                crate::shape::pwsh::Kind::parse(k).ok_or_else(|| {
                    to_py(Error::type_error(format!(
                        "unknown PowerShell object kind '{k}'"
                    )))
                })
            })
            .transpose()?;
        let args: serde_json::Value = serde_json::from_str(args_json)
            .map_err(|e| to_py(Error::type_error(format!("arguments are not JSON: {e}"))))?;
        let client = self.inner.clone();
        let op = op.to_string();
        let outcome =
            block_on(py, async move { ops::invoke(&client, &op, args).await })?.map_err(to_py)?;
        match (outcome, kind) {
            (Outcome::Value(v), None) => Ok(v.to_string().into_pyobject(py)?.into_any().unbind()),
            (Outcome::Value(v), Some(k)) => Ok(Shape::Pwsh(k)
                .apply(v)
                .to_string()
                .into_pyobject(py)?
                .into_any()
                .unbind()),
            (Outcome::Poll(state, shape), k) => {
                let shape = k.map(Shape::Pwsh).unwrap_or(shape);
                Ok(Py::new(py, Poller::new(self.inner.clone(), *state, shape))?.into_any())
            }
        }
    }

    /// Resumes a running operation from `Poller.continuation_token()`.
    fn resume(&self, token: &str) -> PyResult<Poller> {
        let (state, shape) = Poller::parse_token(token).map_err(to_py)?;
        Ok(Poller::new(self.inner.clone(), state, shape))
    }

    fn __repr__(&self) -> String {
        format!(
            "<galleryshare._core.Client cloud={:?}>",
            self.inner.cloud.name
        )
    }
}

/// Presents a CLI-shaped JSON value as a PowerShell object of `kind` (no request).
#[pyfunction]
pub fn shape_pwsh(kind: &str, value_json: &str) -> PyResult<String> {
    let kind = crate::shape::pwsh::Kind::parse(kind).ok_or_else(|| {
        to_py(Error::type_error(format!(
            "unknown PowerShell object kind '{kind}'"
        )))
    })?;
    let v: serde_json::Value =
        serde_json::from_str(value_json).map_err(|e| to_py(Error::type_error(e.to_string())))?;
    Ok(Shape::Pwsh(kind).apply(v).to_string())
}

/// The endpoints of a named cloud, as JSON.
#[pyfunction]
pub fn cloud_named(name: &str) -> PyResult<String> {
    let c = Cloud::named(name).map_err(to_py)?;
    Ok(serde_json::json!({
        "name": c.name, "resource_manager": c.resource_manager, "active_directory": c.active_directory,
        "microsoft_graph": c.microsoft_graph, "arm_scope": c.arm_scope, "graph_scope": c.graph_scope,
    })
    .to_string())
}

#[pyclass(module = "galleryshare._core", frozen)]
pub struct Poller {
    client: Arc<CoreClient>,
    state: Arc<Mutex<PollState>>,
    shape: Shape,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Token {
    state: PollState,
    shape: Shape,
}

impl Poller {
    fn new(client: Arc<CoreClient>, state: PollState, shape: Shape) -> Self {
        Poller {
            client,
            state: Arc::new(Mutex::new(state)),
            shape,
        }
    }

    fn parse_token(token: &str) -> crate::error::Result<(PollState, Shape)> {
        let t: Token = serde_json::from_str(token).map_err(|e| {
            Error::invalid_param(
                "continuation_token",
                format!("Not a galleryshare continuation token: {e}"),
            )
        })?;
        let state =
            PollState::from_token(&serde_json::to_string(&t.state).expect("state serializes"))?;
        Ok((state, t.shape))
    }
}

#[pymethods]
impl Poller {
    /// Whether the operation has finished (no request is made).
    fn done(&self) -> bool {
        self.state.lock().done()
    }

    /// The last known status: InProgress, Succeeded, Failed or Canceled.
    fn status(&self) -> String {
        self.state.lock().status.clone()
    }

    /// Checks once and returns the status.
    fn poll(&self, py: Python<'_>) -> PyResult<String> {
        let (client, state) = (self.client.clone(), self.state.clone());
        block_on(py, async move {
            let mut s = state.lock().clone();
            let r = s.poll_once(&client).await;
            *state.lock() = s.clone();
            r.map(|_| s.status)
        })?
        .map_err(to_py)
    }

    /// Waits for the end and returns the result as JSON text; raises OperationTimeoutError after
    /// `timeout` seconds (the operation goes on in Azure and can be waited for again).
    #[pyo3(signature = (timeout=None))]
    fn result(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<String> {
        let (client, state, shape) = (self.client.clone(), self.state.clone(), self.shape);
        let limit = timeout.map(|t| Duration::from_secs_f64(t.max(0.0)));
        let fut = async move {
            let mut s = state.lock().clone();
            let r = s.wait(&client).await;
            *state.lock() = s;
            r.map(|v| shape.apply(v).to_string())
        };
        match wait(py, fut, limit)? {
            Some(r) => r.map_err(to_py),
            None => Err(to_py(Error::new(
                crate::error::ErrorKind::Timeout,
                format!(
                    "The operation did not finish within {} seconds.",
                    timeout.unwrap_or_default()
                ),
            ))),
        }
    }

    /// A versioned JSON token from which `Client.resume` continues the operation.
    fn continuation_token(&self) -> String {
        serde_json::to_string(&Token {
            state: self.state.lock().clone(),
            shape: self.shape,
        })
        .expect("token serializes")
    }

    fn __repr__(&self) -> String {
        let s = self.state.lock();
        format!("<Poller {} status={}>", s.method, s.status)
    }
}
