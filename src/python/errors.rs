//! Maps the core's errors to the exception classes of `galleryshare.exceptions` (azure-core's names).

use crate::error::{Error, ErrorKind};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

fn class_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Validation => "ValidationError",
        ErrorKind::Type => "TypeError",
        ErrorKind::Authentication => "ClientAuthenticationError",
        ErrorKind::NotFound => "ResourceNotFoundError",
        ErrorKind::Exists => "ResourceExistsError",
        ErrorKind::HttpResponse => "HttpResponseError",
        ErrorKind::ServiceRequest => "ServiceRequestError",
        ErrorKind::ServiceResponse => "ServiceResponseError",
        ErrorKind::Timeout => "OperationTimeoutError",
        ErrorKind::Internal => "AzureError",
    }
}

pub fn to_py(e: Error) -> PyErr {
    if e.kind == ErrorKind::Type {
        return PyTypeError::new_err(e.message);
    }
    Python::attach(|py| build(py, &e).unwrap_or_else(|err| err))
}

/// A Rust panic caught at the boundary, as a `gs.AzureError` (the interpreter never aborts).
pub fn from_panic(payload: Box<dyn std::any::Any + Send>) -> PyErr {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".into());
    to_py(Error::new(
        ErrorKind::Internal,
        format!("Internal error in galleryshare (a Rust panic: {what}). Please report it."),
    ))
}

fn build(py: Python<'_>, e: &Error) -> PyResult<PyErr> {
    let module = py.import("galleryshare.exceptions")?;
    let class = module.getattr(class_name(e.kind))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("status_code", e.status)?;
    kwargs.set_item("parameter", e.parameter.as_deref())?;
    if let Some(s) = &e.service {
        let details = PyList::empty(py);
        for d in &s.details {
            details.append(super::convert::to_python(py, d)?)?;
        }
        let error = module
            .getattr("ODataV4Format")?
            .call((&s.code, &s.message, s.target.as_deref(), details), None)?;
        kwargs.set_item("error", error)?;
    }
    let instance = class.call((&e.message,), Some(&kwargs))?;
    Ok(PyErr::from_value(instance))
}
