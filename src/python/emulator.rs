//! `_core.Emulator`: the embedded Azure emulator, started on the shared runtime.

use super::runtime::block_on;
use crate::emulator::{default_seed, Emulator as Core, Options};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use std::sync::Arc;
use std::time::Duration;

#[pyclass(module = "galleryshare._core", frozen)]
pub struct Emulator {
    inner: Arc<Core>,
}

fn seed_value(seed_json: Option<&str>) -> PyResult<Option<serde_json::Value>> {
    seed_json
        .map(|s| {
            serde_json::from_str(s).map_err(|e| {
                pyo3::exceptions::PyValueError::new_err(format!("seed is not valid JSON: {e}"))
            })
        })
        .transpose()
}

#[pymethods]
impl Emulator {
    /// Starts an emulator on 127.0.0.1 (`port` 0 picks a free one).
    #[staticmethod]
    #[pyo3(signature = (seed_json=None, lro_delay_ms=200, page_size=None, port=0))]
    fn start(
        py: Python<'_>,
        seed_json: Option<&str>,
        lro_delay_ms: u64,
        page_size: Option<usize>,
        port: u16,
    ) -> PyResult<Emulator> {
        let mut options = Options {
            port,
            seed: seed_value(seed_json)?,
            lro_delay: Duration::from_millis(lro_delay_ms),
            ..Options::default()
        };
        if let Some(n) = page_size {
            options.page_size = n;
        }
        let core = block_on(py, Core::start(options))?
            .map_err(|e| PyRuntimeError::new_err(format!("The emulator could not start: {e}")))?;
        Ok(Emulator {
            inner: Arc::new(core),
        })
    }

    #[getter]
    fn endpoint(&self) -> &str {
        self.inner.endpoint()
    }

    #[getter]
    fn ca_pem(&self) -> &str {
        self.inner.ca_pem()
    }

    #[getter]
    fn control_key(&self) -> &str {
        self.inner.control_key()
    }

    fn directory_json(&self) -> String {
        self.inner.directory().to_string()
    }

    /// An app's certificate and private key as PEM, made on first use (name or client id).
    fn app_certificate_pem(&self, py: Python<'_>, app: &str) -> PyResult<String> {
        let inner = self.inner.clone();
        let app = app.to_string();
        py.detach(move || inner.app_certificate_pem(&app))
            .map_err(|e| pyo3::exceptions::PyKeyError::new_err(e.to_string()))
    }

    /// A fresh workload identity token for an app (name or client id).
    fn app_federated_token(&self, app: &str) -> PyResult<String> {
        self.inner
            .federated_token(app)
            .map_err(|e| pyo3::exceptions::PyKeyError::new_err(e.to_string()))
    }

    fn request_log_json(&self) -> String {
        serde_json::Value::Array(self.inner.request_log()).to_string()
    }

    fn clear_request_log(&self) {
        self.inner.clear_request_log();
    }

    fn reset(&self) {
        self.inner.reset();
    }

    fn set_lro_delay_ms(&self, ms: u64) {
        self.inner.set_lro_delay(Duration::from_millis(ms));
    }

    fn set_page_size(&self, n: usize) {
        self.inner.set_page_size(n);
    }

    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        let inner = self.inner.clone();
        block_on(py, async move { inner.stop().await })
    }

    fn __repr__(&self) -> String {
        format!("<galleryshare emulator at {}>", self.inner.endpoint())
    }
}

/// The default seed (tenants, subscriptions, apps, users, roles) as JSON, without secrets.
#[pyfunction]
fn default_seed_json() -> String {
    default_seed().to_string()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Emulator>()?;
    m.add_function(wrap_pyfunction!(default_seed_json, m)?)?;
    Ok(())
}
