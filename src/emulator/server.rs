//! The shared state of one emulator and its axum app on rustls.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tower::ServiceExt;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::middleware;
use axum::response::Response;
use axum::routing::{any, get, post};
use axum::Router;
use parking_lot::Mutex;

use super::directory::Directory;
use super::faults::{self, Faults};
use super::handlers::graph;
use super::identity::{self, Signer};
use super::persist::{self, Boot, Store};
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
    pub faults: Mutex<Faults>,
    /// Where the world is saved after every write (`state_dir`), if anywhere.
    pub store: Option<Store>,
}

impl Shared {
    /// The shared state of an emulator built from `boot`; returns the TLS material to serve with.
    pub(crate) fn new(
        endpoint: String,
        boot: Boot,
        faults: Faults,
        options: &Options,
    ) -> (Shared, TlsMaterial) {
        let shared = Shared {
            endpoint,
            ca_pem: boot.tls.ca_pem.clone(),
            control_key: boot.control_key,
            signer: boot.signer,
            world: Mutex::new(boot.world),
            directory: boot.directory,
            log: RequestLog::default(),
            config: Mutex::new(Config {
                lro_delay: options.lro_delay,
                page_size: options.page_size.max(1),
            }),
            faults: Mutex::new(faults),
            store: boot.store,
        };
        (shared, boot.tls)
    }

    /// Saves the world now when the emulator has a `state_dir`.
    pub(crate) fn persist_now(&self) -> Result<(), EmulatorError> {
        match &self.store {
            Some(store) => store.save_current(&self.world),
            None => Ok(()),
        }
    }

    /// Back to the seeded state (secrets and keys stay), with the log cleared.
    pub(crate) fn reset(&self) {
        *self.world.lock() = World::seeded(&self.directory);
        self.log.clear();
        if let Err(e) = self.persist_now() {
            log::error!("azure emulator: {e}");
        }
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
        .route("/msi/token", get(identity::managed_identity_token))
        .route("/{tenant}/discovery/v2.0/keys", get(identity::jwks))
        .route(
            "/{tenant}/discovery/instance",
            get(identity::instance_discovery),
        )
        // Graph lives beside ARM on the same listener, told apart by its `/v1.0` root.
        .route("/v1.0/{*rest}", any(graph::serve))
        .fallback(arm_fallback)
        // Innermost first: save after a write, then faults, then the log (which sees every attempt).
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            persist::after_write,
        ))
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            faults::apply,
        ))
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
    let service = DroppingMakeService(app(shared));
    Ok(tokio::spawn(async move {
        if let Err(e) = server.serve(service).await {
            log::error!("azure emulator stopped: {e}");
        }
    }))
}

/// Makes one [`Dropping`] service per connection, as `into_make_service_with_connect_info` would.
#[derive(Clone)]
struct DroppingMakeService(Router);

impl tower_service::Service<SocketAddr> for DroppingMakeService {
    type Response = Dropping;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Dropping, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, peer: SocketAddr) -> Self::Future {
        std::future::ready(Ok(Dropping {
            router: self.0.clone(),
            peer,
        }))
    }
}

/// The app for one connection: adds the peer address (`ConnectInfo`) and turns a response marked by a
/// `drop` fault into a service error, on which hyper closes the connection (HTTP/1.1) or resets the
/// stream (HTTP/2) without answering — what a client sees when a connection is lost mid-request.
#[derive(Clone)]
struct Dropping {
    router: Router,
    peer: SocketAddr,
}

impl<B> tower_service::Service<axum::http::Request<B>> for Dropping
where
    B: axum::body::HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, std::io::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: axum::http::Request<B>) -> Self::Future {
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(self.peer));
        let request = request.map(axum::body::Body::new);
        let router = self.router.clone();
        Box::pin(async move {
            let response = match router.oneshot(request).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            if faults::must_drop(&response) {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "connection dropped by an injected fault",
                ));
            }
            Ok(response)
        })
    }
}
