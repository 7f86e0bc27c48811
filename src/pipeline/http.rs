//! The session's HTTP client, with a connection pool per calling thread for blocking calls.
//!
//! A reqwest connection's task runs on the runtime that opened it. A blocking call polls its request on
//! the caller's thread (on that thread's own current-thread runtime, see `python/runtime.rs`); if its
//! connection belonged to the shared multi-thread runtime, every call would pay two cross-thread
//! wake-ups (request → connection task on a worker, response → caller), which is most of a short call's
//! cost over a raw GET. So inside a blocking wait (`in_local_pool`) requests go out on a client of that
//! thread, whose connections live on that thread's runtime; everywhere else (asyncio, tasks spawned on
//! the shared runtime) on the shared client. Both are built from the same settings.

use crate::error::{Error, ErrorKind, Result};
use async_trait::async_trait;
use std::future::Future;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

/// A cheap handle (an `Arc`); every clone shares the settings, the shared client and the per-thread ones.
#[derive(Clone)]
pub struct Http(Arc<Settings>);

struct Settings {
    certs: Vec<reqwest::Certificate>,
    shared: OnceLock<reqwest::Client>,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Http")
    }
}

/// The clients of one thread's runtime, one per session (`Http`) used on it.
#[derive(Default)]
pub struct LocalPool(parking_lot::Mutex<Vec<(Weak<Settings>, reqwest::Client)>>);

tokio::task_local! {
    static LOCAL: Arc<LocalPool>;
}

/// Runs `fut` with `pool` as the place its requests take their connections from. `pool` must belong to
/// the runtime that polls `fut` (connections opened here are driven only by it).
pub fn in_local_pool<F: Future>(pool: Arc<LocalPool>, fut: F) -> impl Future<Output = F::Output> {
    LOCAL.scope(pool, fut)
}

impl Http {
    /// rustls, HTTP/2 where offered, trusting the cloud's extra CA (PEM) on these clients only, never globally.
    pub fn new(ca_pem: Option<&str>) -> Result<Http> {
        let certs = match ca_pem {
            Some(pem) => reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| {
                Error::invalid_param(
                    "cloud",
                    format!("The cloud's CA certificate is not valid PEM: {e}"),
                )
            })?,
            None => vec![],
        };
        Ok(Http(Arc::new(Settings {
            certs,
            shared: OnceLock::new(),
        })))
    }

    /// The client for a request made here: this thread's inside a blocking wait, else the shared one.
    /// Both are built on first use.
    pub fn client(&self) -> Result<reqwest::Client> {
        match LOCAL.try_with(|pool| self.local(pool)) {
            Ok(client) => client,
            Err(_) => self.shared(),
        }
    }

    fn shared(&self) -> Result<reqwest::Client> {
        if let Some(c) = self.0.shared.get() {
            return Ok(c.clone());
        }
        let built = self.build()?;
        Ok(self.0.shared.get_or_init(|| built).clone())
    }

    fn local(&self, pool: &LocalPool) -> Result<reqwest::Client> {
        let mut clients = pool.0.lock();
        if let Some((_, c)) = clients
            .iter()
            .find(|(s, _)| std::ptr::eq(s.as_ptr(), Arc::as_ptr(&self.0)))
        {
            return Ok(c.clone());
        }
        // Sessions dropped since: their clients (and idle connections) go with them.
        clients.retain(|(s, _)| s.strong_count() > 0);
        let c = self.build()?;
        clients.push((Arc::downgrade(&self.0), c.clone()));
        Ok(c)
    }

    fn build(&self) -> Result<reqwest::Client> {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("galleryshare/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(90))
            .connect_timeout(Duration::from_secs(10));
        if !self.0.certs.is_empty() {
            builder = builder.tls_certs_merge(self.0.certs.iter().cloned());
        }
        builder.build().map_err(|e| {
            Error::new(
                ErrorKind::ServiceRequest,
                format!("Cannot build the HTTP client: {e}"),
            )
        })
    }
}

/// azure_identity's token requests go through the same clients.
#[async_trait]
impl azure_core::http::HttpClient for Http {
    async fn execute_request(
        &self,
        request: &azure_core::http::Request,
    ) -> azure_core::Result<azure_core::http::AsyncRawResponse> {
        let client = self.client().map_err(|e| {
            azure_core::Error::with_message(azure_core::error::ErrorKind::Io, e.to_string())
        })?;
        client.execute_request(request).await
    }
}
