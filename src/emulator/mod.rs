//! The embedded Azure emulator: Entra ID token issuance, the ARM and Microsoft Graph subsets
//! galleryshare uses, and a control plane for tests, all on one HTTPS listener bound to 127.0.0.1.
//!
//! Each [`Emulator`] is an independent server with its own CA, signing key, directory and state.

mod arm;
mod control;
mod directory;
mod faults;
mod handlers;
mod identity;
mod lro;
mod odata;
mod path;
mod persist;
mod rbac;
mod requestlog;
mod server;
mod store;
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::Value;

pub use directory::default_seed;

/// Checks a list of fault rules without starting anything; the error says which rule is wrong.
pub fn validate_faults(rules: &Value) -> Result<(), String> {
    faults::parse_rules(rules).map(|_| ())
}

/// How an emulator starts.
#[derive(Debug, Clone)]
pub struct Options {
    /// Port to bind on 127.0.0.1; 0 picks a free port.
    pub port: u16,
    /// Directory and resources to seed; `None` uses [`default_seed`].
    pub seed: Option<Value>,
    /// How long long-running operations report `InProgress`.
    pub lro_delay: Duration,
    /// Items per page of every list.
    pub page_size: usize,
    /// Fault rules (a JSON list, see `faults` and EMULATOR.md "Faults"); checked at start.
    pub faults: Value,
    /// Seed of the generator behind probabilistic fault rules.
    pub fault_seed: u64,
    /// Keep state here across restarts (and crashes); `None` keeps it in memory only.
    pub state_dir: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            port: 0,
            seed: None,
            lro_delay: Duration::from_millis(200),
            page_size: 10,
            faults: Value::Array(vec![]),
            fault_seed: faults::DEFAULT_SEED,
            state_dir: None,
        }
    }
}

/// Why an emulator could not start.
#[derive(Debug, thiserror::Error)]
#[error("azure emulator: {0}")]
pub struct EmulatorError(String);

impl EmulatorError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        EmulatorError(message.into())
    }
}

/// A running emulator. Dropping it does not stop the server; call [`Emulator::stop`].
pub struct Emulator {
    shared: Arc<server::Shared>,
    handle: axum_server::Handle<SocketAddr>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Emulator {
    /// Binds 127.0.0.1, generates the CA and keys, and serves HTTPS on the current tokio runtime.
    pub async fn start(options: Options) -> Result<Emulator, EmulatorError> {
        let rules = faults::parse_rules(&options.faults).map_err(EmulatorError::new)?;
        let seed = options.seed.clone().unwrap_or_else(default_seed);
        let boot = match &options.state_dir {
            Some(dir) => persist::boot(dir, &seed)?,
            None => persist::ephemeral(&seed)?,
        };
        let listener = std::net::TcpListener::bind(("127.0.0.1", options.port)).map_err(|e| {
            EmulatorError::new(format!("cannot bind 127.0.0.1:{}: {e}", options.port))
        })?;
        listener
            .set_nonblocking(true)
            .map_err(|e| EmulatorError::new(format!("cannot configure the listener: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| EmulatorError::new(format!("cannot read the bound address: {e}")))?
            .port();
        let endpoint = format!("https://127.0.0.1:{port}");
        let fault_state = faults::Faults::new(rules, options.fault_seed);
        let (shared, tls) = server::Shared::new(endpoint, boot, fault_state, &options);
        let shared = Arc::new(shared);
        let handle = axum_server::Handle::new();
        let task = server::spawn(shared.clone(), listener, &tls, handle.clone())?;
        Ok(Emulator {
            shared,
            handle,
            task: Mutex::new(Some(task)),
        })
    }

    /// Base URL of ARM, the token authority and Graph: `https://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.shared.endpoint
    }

    /// PEM of the certificate authority that signed the listener's certificate.
    pub fn ca_pem(&self) -> &str {
        &self.shared.ca_pem
    }

    /// The key that `/_emulator/*` requests must send in `x-emulator-key`.
    pub fn control_key(&self) -> &str {
        &self.shared.control_key
    }

    /// The seeded directory, including app secrets and user passwords.
    pub fn directory(&self) -> Value {
        self.shared.directory.to_json(true)
    }

    /// An app's certificate and private key as PEM (made on first use); the app by name or client id.
    pub fn app_certificate_pem(&self, app: &str) -> Result<String, EmulatorError> {
        let found = self.shared.directory.app(app).ok_or_else(|| {
            EmulatorError::new(format!("no app '{app}' in the emulator's directory"))
        })?;
        Ok(found.certificate()?.pem.clone())
    }

    /// A fresh workload identity token for an app (name or client id), from the emulator's own issuer,
    /// which every app's federated credential trusts for the subject `system:serviceaccount:default:{app}`.
    pub fn federated_token(&self, app: &str) -> Result<String, EmulatorError> {
        let found = self.shared.directory.app(app).ok_or_else(|| {
            EmulatorError::new(format!("no app '{app}' in the emulator's directory"))
        })?;
        Ok(identity::federated_token(&self.shared, found))
    }

    /// Every request served so far (never headers, tokens, secrets or bodies).
    pub fn request_log(&self) -> Vec<Value> {
        self.shared.log.entries()
    }

    pub fn clear_request_log(&self) {
        self.shared.log.clear();
    }

    /// Back to the seeded state, with the request log cleared.
    pub fn reset(&self) {
        self.shared.reset();
    }

    pub fn set_lro_delay(&self, d: Duration) {
        self.shared.config.lock().lro_delay = d;
    }

    pub fn set_page_size(&self, n: usize) {
        self.shared.config.lock().page_size = n.max(1);
    }

    /// Replaces the fault rules (counters restart, the generator is reseeded with `seed`).
    pub fn set_faults(&self, rules: &Value, seed: u64) -> Result<(), EmulatorError> {
        let rules = faults::parse_rules(rules).map_err(EmulatorError::new)?;
        *self.shared.faults.lock() = faults::Faults::new(rules, seed);
        Ok(())
    }

    pub fn clear_faults(&self) {
        let seed = self.shared.faults.lock().seed();
        *self.shared.faults.lock() = faults::Faults::new(vec![], seed);
    }

    /// The fault rules in force, with how often each matched and fired.
    pub fn faults(&self) -> Value {
        self.shared.faults.lock().to_json()
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits for the server task.
    pub async fn stop(&self) {
        self.handle.graceful_shutdown(Some(Duration::from_secs(2)));
        let task = self.task.lock().take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("endpoint", &self.shared.endpoint)
            .finish_non_exhaustive()
    }
}
