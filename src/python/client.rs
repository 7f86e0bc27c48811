//! `_core.Client` (one session: cloud, logins, pipeline) and `_core.Poller` (a running operation).
//! Arguments arrive as the facade's keyword dict and results leave as Python objects, both converted
//! here directly (no JSON text in between).

use super::convert::text_of;
use super::convert::PyBuild;
use super::errors::to_py;
use super::runtime::{awaitable, block_on, wait, Progress};
use crate::client::Client as CoreClient;
use crate::cloud::Cloud;
use crate::error::Error;
use crate::ops::{self, Outcome, Shape};
use crate::pipeline::lro::PollState;
use crate::pipeline::pager::Pager;
use crate::pipeline::{unreadable_json, Response};
use crate::shape::cli;
use bytes::Bytes;
use futures::future::BoxFuture;
use parking_lot::Mutex;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::gc::PyVisit;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};
use pyo3::PyTraverseError;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

#[pyclass(module = "galleryshare._core", frozen)]
pub struct Client {
    inner: Arc<CoreClient>,
}

#[pymethods]
impl Client {
    /// `cloud`: the endpoints, as `galleryshare.Cloud`'s fields; `aux_separator`: ", " (CLI) or ";"
    /// (PowerShell).
    #[new]
    #[pyo3(signature = (cloud, api_versions=None, aux_separator=", "))]
    fn new(
        cloud: &Bound<'_, PyDict>,
        api_versions: Option<HashMap<String, String>>,
        aux_separator: &str,
    ) -> PyResult<Self> {
        let cloud: Cloud = serde_json::from_value(super::convert::value(cloud)?).map_err(|e| {
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

    /// Runs command `op` with the facade's keyword arguments (`args`: its `locals()`; see
    /// `convert::arguments` for the keys left out) and waits; returns the result, a Poller when the command was
    /// asked not to wait, or Pages when `stream` is set and the command lists. `pwsh`: present the result
    /// as this PowerShell object kind instead of the CLI shape. `timeout`: seconds before the call is
    /// cancelled with OperationTimeoutError. `progress`: called with `op` to make a progress display
    /// if a long-running operation is polled (see `runtime::wait`).
    #[pyo3(signature = (op, args, pwsh=None, stream=false, timeout=None, progress=None))]
    #[allow(clippy::too_many_arguments)]
    fn invoke(
        &self,
        py: Python<'_>,
        op: &Bound<'_, PyString>,
        args: &Bound<'_, PyDict>,
        pwsh: Option<&str>,
        stream: bool,
        timeout: Option<&Bound<'_, PyAny>>,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        super::connect_if_loaded(py);
        let op = text_of(op)?;
        let (call, fut) = Call::new(&self.inner, &op, args, pwsh, stream)?;
        let limit = seconds("timeout", timeout)?;
        let progress = progress.map(|factory| Progress {
            factory,
            label: &op,
        });
        match wait(py, fut, limit, progress)? {
            Some(outcome) => call.to_py_result(py, outcome.map_err(to_py)?),
            None => Err(to_py(timed_out("call", limit))),
        }
    }

    /// `invoke` as an asyncio awaitable (same arguments but `progress`).
    #[pyo3(signature = (op, args, pwsh=None, stream=false, timeout=None))]
    fn invoke_async<'py>(
        &self,
        py: Python<'py>,
        op: &Bound<'_, PyString>,
        args: &Bound<'_, PyDict>,
        pwsh: Option<&str>,
        stream: bool,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        super::connect_if_loaded(py);
        let (call, fut) = Call::new(&self.inner, &text_of(op)?, args, pwsh, stream)?;
        let limit = seconds("timeout", timeout)?;
        awaitable(py, async move {
            let outcome = within(limit, "call", fut).await;
            Python::attach(|py| call.to_py_result(py, outcome.map_err(to_py)?))
        })
    }

    /// Keeps a Python credential (anything with azure-core's `get_token`) for a later `login` op, which
    /// names it by the returned handle: `invoke("login", {"credential": handle, "tenant": ...})`.
    fn register_credential(&self, credential: &Bound<'_, PyAny>) -> PyResult<String> {
        let cred = super::credential::from_python(credential)?;
        Ok(self.inner.register_credential(cred))
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

/// `Session.call` of the blocking facades, in native code for the calls that need nothing but the
/// core's result (no query, nothing to apply, a finished value: nearly every call), so these run no
/// Python frame of the session's (~3.5k instructions of a ~185k `sig.show`). A call with a query or
/// `then=` is handed to the session's own `call`; a poller or pages to its `_settle`, an error to its
/// `_renamed`, as the Python path would have them.
#[pyclass(module = "galleryshare._core")]
pub struct Caller {
    client: Py<Client>,
    /// The session, which holds this caller: a cycle, hence the GC hooks below.
    session: Option<Py<PyAny>>,
    /// What makes a call's progress display, if it shows one (`Progress.factory`).
    display: Option<Py<PyAny>>,
    /// The classes a finished dict or list result is returned as, as `result_table` returns them
    /// (`ResultDict`, `ResultList`).
    tables: (Py<PyAny>, Py<PyAny>),
}

#[pymethods]
impl Caller {
    #[new]
    fn new(
        client: Py<Client>,
        session: Py<PyAny>,
        display: Option<Py<PyAny>>,
        tables: (Py<PyAny>, Py<PyAny>),
    ) -> Self {
        Caller {
            client,
            session: Some(session),
            display,
            tables,
        }
    }

    /// `Session.call(op, args, query=None, *, then=None)`.
    #[pyo3(signature = (op, args, query=None, *, then=None))]
    fn __call__(
        &self,
        py: Python<'_>,
        op: &Bound<'_, PyString>,
        args: &Bound<'_, PyDict>,
        query: Option<&Bound<'_, PyAny>>,
        then: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let Some(session) = &self.session else {
            return Err(PyRuntimeError::new_err("this session has been collected"));
        };
        let session = session.bind(py);
        if query.is_some() || then.is_some() {
            let kwargs = PyDict::new(py);
            kwargs.set_item("then", then)?;
            let call = session.get_type().getattr("call")?;
            return Ok(call
                .call((session, op, args, query), Some(&kwargs))?
                .unbind());
        }
        let stream = match args.get_item(pyo3::intern!(py, "stream"))? {
            Some(s) => s.is_truthy()?,
            None => false,
        };
        let timeout = args.get_item(pyo3::intern!(py, "timeout"))?;
        let display = self.display.as_ref().map(|d| d.bind(py));
        let client = self.client.get();
        match client.invoke(py, op, args, None, stream, timeout.as_ref(), display) {
            Ok(out) => {
                let out = out.into_bound(py);
                let settled = if out.is_exact_instance_of::<PyDict>() {
                    self.tables.0.bind(py).call1((out,))?
                } else if out.is_exact_instance_of::<PyList>() {
                    self.tables.1.bind(py).call1((out,))?
                } else if out.is_exact_instance_of::<Pages>()
                    || out.is_exact_instance_of::<Poller>()
                {
                    session.call_method1("_settle", (op, args, out))?
                } else {
                    out
                };
                Ok(settled.unbind())
            }
            Err(e) => {
                let e = session.call_method1("_renamed", (op, args, e.into_value(py)))?;
                Err(PyErr::from_value(e))
            }
        }
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.client)?;
        visit.call(&self.session)?;
        visit.call(&self.display)?;
        visit.call(&self.tables.0)?;
        visit.call(&self.tables.1)
    }

    fn __clear__(&mut self) {
        self.session = None;
    }

    fn __repr__(&self) -> String {
        "<galleryshare._core.Caller>".to_string()
    }
}

/// What a command's result needs once its future is done: the session (for a Poller or Pages) and the
/// PowerShell object kind, if any.
struct Call {
    client: Arc<CoreClient>,
    kind: Option<crate::shape::pwsh::Kind>,
}

/// A command's future, boxed once: the state of the largest command is several KB, and the wrappers a
/// wait adds (progress, panic catching) then move a pointer rather than copy it.
type Run = BoxFuture<'static, crate::error::Result<Outcome>>;

impl Call {
    /// The command parsed (arguments and kind checked before anything runs) and its future, which owns
    /// the arguments.
    fn new(
        client: &Arc<CoreClient>,
        op: &str,
        args: &Bound<'_, PyDict>,
        pwsh: Option<&str>,
        stream: bool,
    ) -> PyResult<(Self, Run)> {
        let kind = pwsh.map(pwsh_kind).transpose()?;
        let args = super::convert::arguments(op, args)?;
        let (session, op) = (client.clone(), op.to_string());
        let run = Box::pin(async move {
            if stream {
                ops::dispatch(&session, &op, args).await
            } else {
                ops::invoke(&session, &op, args).await
            }
        });
        let call = Call {
            client: client.clone(),
            kind,
        };
        Ok((call, run))
    }

    /// The outcome as Python sees it: the result as Python objects, a Poller or Pages.
    fn to_py_result(&self, py: Python<'_>, outcome: Outcome) -> PyResult<Py<PyAny>> {
        let outcome = match self.kind {
            // A PowerShell object is made from the CLI-shaped value.
            Some(_) => outcome.settled().map_err(to_py)?,
            None => outcome,
        };
        match (outcome, self.kind) {
            (Outcome::Value(v), None) => to_python(py, &v),
            (Outcome::Value(v), Some(k)) => to_python(py, &Shape::Pwsh(k).apply(v)),
            (Outcome::Body(body, shape), _) => body_to_py(py, &body, shape),
            (Outcome::Items(pages, shape), _) => items_to_py(py, &pages, shape),
            (Outcome::Poll(state, shape), k) => {
                let shape = k.map(Shape::Pwsh).unwrap_or(shape);
                Ok(Py::new(py, Poller::new(self.client.clone(), *state, shape))?.into_any())
            }
            (Outcome::Pages(pager, shape), k) => {
                let shape = k.map(Shape::Pwsh).unwrap_or(shape);
                Ok(Py::new(py, Pages::new(self.client.clone(), *pager, shape))?.into_any())
            }
        }
    }
}

fn pwsh_kind(k: &str) -> PyResult<crate::shape::pwsh::Kind> {
    crate::shape::pwsh::Kind::parse(k).ok_or_else(|| {
        to_py(Error::type_error(format!(
            "unknown PowerShell object kind '{k}'"
        )))
    })
}

/// A `timeout=` as the facades take it: None, or a number of seconds ≥ 0. A bool is refused although
/// Python counts it an int, and so is anything else that is not an int or a float.
fn seconds(param: &str, t: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Duration>> {
    let Some(t) = t.filter(|t| !t.is_none()) else {
        return Ok(None);
    };
    if t.is_instance_of::<PyBool>()
        || !(t.is_instance_of::<PyInt>() || t.is_instance_of::<PyFloat>())
    {
        return Err(PyTypeError::new_err(format!(
            "{param} must be a number of seconds, not {}",
            t.get_type().name()?
        )));
    }
    match t.extract::<f64>()? {
        t if t.is_finite() && t >= 0.0 => Ok(Some(Duration::from_secs_f64(t))),
        t => Err(to_py(Error::invalid_param(
            param,
            format!("{param} must be a number of seconds ≥ 0, not {t}"),
        ))),
    }
}

fn timed_out(what: &str, limit: Option<Duration>) -> Error {
    Error::new(
        crate::error::ErrorKind::Timeout,
        format!(
            "The {what} did not finish within {} seconds.",
            limit.unwrap_or_default().as_secs_f64()
        ),
    )
}

/// Runs `fut`, cancelling it after `limit`.
async fn within<T>(
    limit: Option<Duration>,
    what: &str,
    fut: impl std::future::Future<Output = crate::error::Result<T>>,
) -> crate::error::Result<T> {
    match limit {
        None => fut.await,
        Some(l) => tokio::time::timeout(l, fut)
            .await
            .unwrap_or_else(|_| Err(timed_out(what, limit))),
    }
}

/// Presents a CLI-shaped JSON value as a PowerShell object of `kind` (no request).
#[pyfunction]
pub fn shape_pwsh(kind: &str, value_json: &str) -> PyResult<String> {
    let kind = pwsh_kind(kind)?;
    let v: serde_json::Value =
        serde_json::from_str(value_json).map_err(|e| to_py(Error::type_error(e.to_string())))?;
    Ok(Shape::Pwsh(kind).apply(v).to_string())
}

/// The endpoints of a named cloud, as `galleryshare.Cloud`'s fields.
#[pyfunction]
pub fn cloud_named<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyDict>> {
    let c = Cloud::named(name).map_err(to_py)?;
    let fields = PyDict::new(py);
    for (k, v) in [
        ("name", &c.name),
        ("resource_manager", &c.resource_manager),
        ("active_directory", &c.active_directory),
        ("microsoft_graph", &c.microsoft_graph),
        ("arm_scope", &c.arm_scope),
        ("graph_scope", &c.graph_scope),
    ] {
        fields.set_item(k, v)?;
    }
    Ok(fields)
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

    /// Polls to the end, keeping the shared state current after every poll (so a cancelled wait
    /// loses nothing), and shapes the result.
    fn finish(
        &self,
    ) -> impl std::future::Future<Output = crate::error::Result<serde_json::Value>> + 'static {
        let (client, state, shape) = (self.client.clone(), self.state.clone(), self.shape);
        async move {
            let mut s = state.lock().clone();
            let r = s.wait(&client).await;
            *state.lock() = s;
            r.map(|v| shape.apply(v))
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

    /// Waits for the end and returns the result; raises OperationTimeoutError after
    /// `timeout` seconds (the operation goes on in Azure and can be waited for again).
    #[pyo3(signature = (timeout=None, progress=None))]
    fn result(
        &self,
        py: Python<'_>,
        timeout: Option<&Bound<'_, PyAny>>,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let limit = seconds("timeout", timeout)?;
        let progress = progress.map(|factory| Progress {
            factory,
            label: "operation",
        });
        match wait(py, self.finish(), limit, progress)? {
            Some(r) => to_python(py, &r.map_err(to_py)?),
            None => Err(to_py(timed_out("operation", limit))),
        }
    }

    /// `result` as an asyncio awaitable.
    #[pyo3(signature = (timeout=None))]
    fn result_async<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let limit = seconds("timeout", timeout)?;
        let fut = self.finish();
        awaitable(py, async move {
            let value = within(limit, "operation", fut).await.map_err(to_py)?;
            Python::attach(|py| to_python(py, &value))
        })
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

/// A list read page by page (`stream=True`): each page arrives shaped, as a Python list.
#[pyclass(module = "galleryshare._core", frozen)]
pub struct Pages {
    client: Arc<CoreClient>,
    pager: Arc<tokio::sync::Mutex<Pager>>,
    shape: Shape,
}

impl Pages {
    fn new(client: Arc<CoreClient>, pager: Pager, shape: Shape) -> Self {
        Pages {
            client,
            pager: Arc::new(tokio::sync::Mutex::new(pager)),
            shape,
        }
    }

    /// The next page's body (its items are read when it reaches Python).
    fn next(
        &self,
    ) -> impl std::future::Future<Output = crate::error::Result<Option<Bytes>>> + 'static {
        let (client, pager) = (self.client.clone(), self.pager.clone());
        async move { pager.lock().await.next_body(&client).await }
    }
}

#[pymethods]
impl Pages {
    /// The next page as a list, or None after the last page.
    fn next_page(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let page = wait(py, self.next(), None, None)?
            .expect("no timeout was set")
            .map_err(to_py)?;
        page_to_py(py, page, self.shape)
    }

    /// `next_page` as an asyncio awaitable.
    fn next_page_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let fut = self.next();
        let shape = self.shape;
        awaitable(py, async move {
            let page = fut.await.map_err(to_py)?;
            Python::attach(|py| page_to_py(py, page, shape))
        })
    }

    fn __repr__(&self) -> String {
        "<galleryshare._core.Pages>".to_string()
    }
}

/// A response body as the Python objects of its shape, read once (see `shape::cli`).
fn body_to_py(py: Python<'_>, body: &[u8], shape: Shape) -> PyResult<Py<PyAny>> {
    match shape.layout() {
        Some(layout) => Ok(cli::from_slice(body, layout, PyBuild(py))
            .map_err(|e| to_py(unreadable_json(e)))?
            .unbind()),
        None => to_python(py, &shape.apply(Response::parse(body).map_err(to_py)?)),
    }
}

/// The items of a list's pages as one Python list, each item read once into the list's shape.
fn items_to_py(py: Python<'_>, pages: &[Bytes], shape: Shape) -> PyResult<Py<PyAny>> {
    let Some(layout) = shape.layout() else {
        return to_python(py, &ops::items_value(pages, shape).map_err(to_py)?);
    };
    let mut items = Vec::new();
    for page in pages {
        cli::page_items(page, layout, PyBuild(py), &mut items)
            .map_err(|e| to_py(unreadable_json(e)))?;
    }
    Ok(PyList::new(py, items)?.into_any().unbind())
}

/// A page from `Pages`: its items as a Python list, or None after the last page.
fn page_to_py(py: Python<'_>, page: Option<Bytes>, shape: Shape) -> PyResult<Py<PyAny>> {
    match page {
        None => Ok(py.None()),
        Some(body) => items_to_py(py, &[body], shape),
    }
}

/// A result as the Python objects `json.loads` would give, built directly: writing JSON text for
/// Python to parse again costs more (a page of image versions is ~100 KB).
fn to_python(py: Python<'_>, v: &serde_json::Value) -> PyResult<Py<PyAny>> {
    Ok(super::convert::to_python(py, v)?.unbind())
}
