//! `_core.Emulator`: the embedded Azure emulator, started on the shared runtime.

use super::runtime::block_on_shared;
use crate::emulator::{default_seed, validate_faults, Emulator as Core, Options};
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

/// Parses and checks fault rules, so a bad rule is a ValueError before anything starts.
fn fault_rules(rules_json: &str) -> PyResult<serde_json::Value> {
    let rules: serde_json::Value = serde_json::from_str(rules_json).map_err(|e| {
        pyo3::exceptions::PyValueError::new_err(format!("faults are not valid JSON: {e}"))
    })?;
    validate_faults(&rules).map_err(pyo3::exceptions::PyValueError::new_err)?;
    Ok(rules)
}

#[pymethods]
impl Emulator {
    /// Starts an emulator on 127.0.0.1 (`port` 0 picks a free one). `faults_json`: a JSON list of
    /// fault rules; `state_dir`: keep state there across restarts.
    #[staticmethod]
    #[pyo3(signature = (seed_json=None, lro_delay_ms=200, page_size=None, port=0, faults_json=None, fault_seed=None, state_dir=None))]
    #[allow(clippy::too_many_arguments)]
    fn start(
        py: Python<'_>,
        seed_json: Option<&str>,
        lro_delay_ms: u64,
        page_size: Option<usize>,
        port: u16,
        faults_json: Option<&str>,
        fault_seed: Option<u64>,
        state_dir: Option<std::path::PathBuf>,
    ) -> PyResult<Emulator> {
        super::connect_if_loaded(py);
        let mut options = Options {
            port,
            seed: seed_value(seed_json)?,
            lro_delay: Duration::from_millis(lro_delay_ms),
            state_dir,
            ..Options::default()
        };
        if let Some(rules) = faults_json {
            options.faults = fault_rules(rules)?;
        }
        if let Some(seed) = fault_seed {
            options.fault_seed = seed;
        }
        if let Some(n) = page_size {
            options.page_size = n;
        }
        let core = block_on_shared(py, Core::start(options))?
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

    /// Replaces the fault rules; `seed` reseeds the generator of probabilistic rules.
    #[pyo3(signature = (rules_json, seed=None))]
    fn set_faults(&self, rules_json: &str, seed: Option<u64>) -> PyResult<()> {
        let rules = fault_rules(rules_json)?;
        let seed = seed.unwrap_or_else(|| {
            self.inner.faults()["seed"]
                .as_u64()
                .expect("the fault state has a seed")
        });
        self.inner
            .set_faults(&rules, seed)
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
    }

    fn clear_faults(&self) {
        self.inner.clear_faults();
    }

    fn faults_json(&self) -> String {
        self.inner.faults().to_string()
    }

    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        let inner = self.inner.clone();
        block_on_shared(py, async move { inner.stop().await })
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
