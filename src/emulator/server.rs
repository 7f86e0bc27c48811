//! The shared state of one emulator and its axum app on rustls.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::middleware;
use axum::response::Response;
use axum::routing::{any, get, post};
use axum::Router;
use parking_lot::Mutex;
use rand::distr::{Alphanumeric, SampleString};

use super::directory::Directory;
use super::handlers::graph;
use super::identity::{self, Signer};
use super::requestlog::{self, RequestLog};
use super::store::World;
use super::tls::{self, TlsMaterial};
use super::{arm, control, EmulatorError, Options};

pub(crate) struct Config {
    pub lro_delay: Duration,
    pub page_size: usize,
}

/// Everything one emulator serves from; handlers get it through `Arc`.
pub(crate) struct Shared {
    pub endpoint: String,
    pub ca_pem: String,
    pub control_key: String,
    pub signer: Signer,
    pub directory: Directory,
    pub world: Mutex<World>,
    pub log: RequestLog,
    pub config: Mutex<Config>,
}

impl Shared {
    pub(crate) fn new(
        endpoint: String,
        ca_pem: String,
        directory: Directory,
        options: &Options,
    ) -> Result<Shared, EmulatorError> {
        Ok(Shared {
            endpoint,
            ca_pem,
            control_key: Alphanumeric.sample_string(&mut rand::rng(), 48),
            signer: Signer::generate()?,
            world: Mutex::new(World::seeded(&directory)),
            directory,
            log: RequestLog::default(),
            config: Mutex::new(Config {
                lro_delay: options.lro_delay,
                page_size: options.page_size.max(1),
            }),
        })
    }

    /// Back to the seeded state (secrets and keys stay), with the log cleared.
    pub(crate) fn reset(&self) {
        *self.world.lock() = World::seeded(&self.directory);
        self.log.clear();
    }
}

/// Every path that is not identity, Graph or control is ARM (paths are parsed case-insensitively there).
async fn arm_fallback(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body: Bytes = axum::body::to_bytes(body, 16 * 1024 * 1024)
        .await
        .unwrap_or_default();
    arm::handle(
        &shared,
        parts.method,
        parts.uri.path(),
        parts.uri.query(),
        &parts.headers,
        &body,
    )
}

fn app(shared: Arc<Shared>) -> Router {
    let logged = Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(identity::token))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(identity::openid_configuration),
        )
        .route("/discovery/v2.0/keys", get(identity::jwks))
        .route("/{tenant}/discovery/v2.0/keys", get(identity::jwks))
        .route(
            "/{tenant}/discovery/instance",
            get(identity::instance_discovery),
        )
        // Graph lives beside ARM on the same listener, told apart by its `/v1.0` root.
        .route("/v1.0/{*rest}", any(graph::serve))
        .fallback(arm_fallback)
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            requestlog::record,
        ))
        .with_state(shared.clone());
    control::router(shared).merge(logged)
}

/// Spawns the HTTPS server on the current runtime.
pub(crate) fn spawn(
    shared: Arc<Shared>,
    listener: std::net::TcpListener,
    material: &TlsMaterial,
    handle: axum_server::Handle<SocketAddr>,
) -> Result<tokio::task::JoinHandle<()>, EmulatorError> {
    let config = axum_server::tls_rustls::RustlsConfig::from_config(tls::server_config(material)?);
    // TCP_NODELAY, as Azure's front ends answer: without it Nagle holds a response's last segment
    // until the client's delayed ACK (~40 ms) whenever a response goes out in more than one write.
    let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(config)
        .acceptor(axum_server::accept::NoDelayAcceptor);
    let server = axum_server::from_tcp(listener)
        .map_err(|e| EmulatorError::new(format!("cannot serve on the listener: {e}")))?
        .acceptor(acceptor)
        .handle(handle);
    let service = app(shared).into_make_service_with_connect_info::<SocketAddr>();
    Ok(tokio::spawn(async move {
        if let Err(e) = server.serve(service).await {
            log::error!("azure emulator stopped: {e}");
        }
    }))
}
