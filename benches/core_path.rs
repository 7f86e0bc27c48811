//! Where a blocking call's time goes below Python: one process, one emulator, one thread, the same
//! GET timed at four depths, each on the calling thread's current-thread runtime inside a local
//! connection pool, exactly as `python/runtime.rs` polls a blocking call:
//!
//! - `raw`: a bare reqwest GET with the bearer header (the in-process floor);
//! - `pipeline`: the same GET through `Client::send` (retry → auth → logging → transport);
//! - `op`: `ops::dispatch("sig.show")` (arguments, URL building, pipeline, JSON parse, CLI shape);
//! - `wrapped`: `op` inside the timeout and task-local scope a blocking wait adds.
//!
//!     cargo bench --bench core_path [-- ROUNDS CALLS]
//!
//! Prints one line per depth: the median wall time over ROUNDS × CALLS calls (rounds alternating), and
//! the median over rounds of the calling thread's CPU time per call, which the server's time and the
//! scheduler's wake-ups do not blur.

use _core::client::Client;
use _core::cloud::Cloud;
use _core::emulator::{Emulator, Options};
use _core::ops;
use _core::pipeline::{in_local_pool, Auth, LocalPool, Request};
use reqwest::header::HeaderValue;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

const ARM_SCOPE: &str = "https://management.azure.com/.default";

fn find<'a>(dir: &'a Value, kind: &str, name: &str) -> &'a Value {
    dir[kind]
        .as_array()
        .and_then(|items| items.iter().find(|v| v["name"] == name))
        .unwrap_or_else(|| panic!("the seed has no {kind} named {name}"))
}

fn field(v: &Value, key: &str) -> String {
    v[key].as_str().expect("a string field").to_string()
}

/// The emulator on a multi-thread runtime of its own (as the Python module runs it on the shared one).
fn start_emulator(server: &tokio::runtime::Runtime) -> Emulator {
    server
        .block_on(Emulator::start(Options {
            lro_delay: Duration::ZERO,
            ..Options::default()
        }))
        .expect("the emulator starts")
}

fn client_for(emu: &Emulator) -> Client {
    let e = emu.endpoint().to_string();
    let cloud: Cloud = serde_json::from_value(json!({
        "name": "GalleryshareEmulator", "resource_manager": e, "active_directory": e, "microsoft_graph": e,
        "arm_scope": ARM_SCOPE, "graph_scope": "https://graph.microsoft.com/.default", "ca_pem": emu.ca_pem(),
    }))
    .expect("a cloud description");
    Client::new(cloud, HashMap::new(), ", ").expect("a client")
}

/// This thread's CPU time (user + system) in microseconds: what a call costs its caller, whatever the
/// server and the scheduler add to its latency.
fn thread_cpu_us() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; RUSAGE_THREAD is the calling thread.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_THREAD, usage.as_mut_ptr());
        usage.assume_init()
    };
    let us = |t: libc::timeval| t.tv_sec as f64 * 1e6 + t.tv_usec as f64;
    us(usage.ru_utime) + us(usage.ru_stime)
}

/// Times `n` sequential runs of `make()` on `rt` inside `pool`, wrapped as a blocking wait wraps them:
/// each call's wall time, and the thread's CPU time per call over the `n`.
fn timed<F, Fut>(
    rt: &tokio::runtime::Runtime,
    pool: &Arc<LocalPool>,
    n: usize,
    make: F,
) -> (Vec<f64>, f64)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    let cpu = thread_cpu_us();
    let walls = (0..n)
        .map(|_| {
            let t = Instant::now();
            rt.block_on(in_local_pool(pool.clone(), make()));
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    (walls, (thread_cpu_us() - cpu) / n as f64)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    v[v.len() / 2]
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (rounds, calls) = (
        args.first().copied().unwrap_or(5),
        args.get(1).copied().unwrap_or(400),
    );
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("server runtime");
    let emu = start_emulator(&server);
    let dir = emu.directory();
    let app = find(&dir, "apps", "contoso-admin");
    let tenant = field(find(&dir, "tenants", "contoso"), "id");
    let sub = field(find(&dir, "subscriptions", "contoso-prod"), "id");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("caller runtime");
    let pool: Arc<LocalPool> = Arc::default();
    let client = Arc::new(client_for(&emu));
    let run = |op: &'static str, args: Value| {
        let client = client.clone();
        rt.block_on(in_local_pool(pool.clone(), async move {
            ops::dispatch(&client, op, args).await
        }))
        .unwrap_or_else(|e| panic!("{op}: {e}"))
    };
    run(
        "login",
        json!({"service_principal": true, "username": field(app, "client_id"),
               "password": field(app, "secret"), "tenant": tenant}),
    );
    run("account.set", json!({ "subscription": sub }));
    run(
        "group.create",
        json!({"name": "benchRG", "location": "eastus"}),
    );
    run(
        "sig.create",
        json!({"resource_group": "benchRG", "gallery_name": "benchGallery"}),
    );

    let path = format!(
        "/subscriptions/{sub}/resourceGroups/benchRG/providers/Microsoft.Compute/galleries/benchGallery"
    );
    let url = client
        .arm_url(&path, "2025-03-03", &[])
        .expect("a request URL");
    let token = rt
        .block_on(in_local_pool(pool.clone(), {
            let client = client.clone();
            let tenant = tenant.clone();
            async move {
                use _core::pipeline::TokenProvider;
                client.arm_token(&tenant).await
            }
        }))
        .expect("a token");
    let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.secret())).expect("a header");
    auth.set_sensitive(true);
    let raw_http = reqwest::Client::builder()
        .tls_certs_merge(
            reqwest::Certificate::from_pem_bundle(emu.ca_pem().as_bytes()).expect("CA"),
        )
        .build()
        .expect("raw client");

    let raw = || {
        let (http, url, auth) = (raw_http.clone(), url.clone(), auth.clone());
        async move {
            let resp = http
                .get(url)
                .header("authorization", auth)
                .send()
                .await
                .expect("GET");
            assert!(resp.status().is_success());
            resp.bytes().await.expect("body");
        }
    };
    let pipeline = || {
        let (client, url, tenant) = (client.clone(), url.clone(), tenant.clone());
        async move {
            client
                .send(Request::new(reqwest::Method::GET, url, Auth::Arm(tenant)))
                .await
                .expect("pipeline GET");
        }
    };
    let op = || {
        let client = client.clone();
        async move {
            ops::dispatch(
                &client,
                "sig.show",
                json!({"resource_group": "benchRG", "gallery_name": "benchGallery"}),
            )
            .await
            .expect("sig.show");
        }
    };
    let wrapped = || {
        let fut = op();
        async move {
            tokio::time::timeout(Duration::from_millis(100), fut)
                .await
                .expect("within a slice");
        }
    };

    for _ in 0..2 {
        timed(&rt, &pool, 50, raw);
        timed(&rt, &pool, 50, pipeline);
    }
    // Per depth: every call's wall time, and the CPU time per call of each round.
    let mut samples: [(&str, Vec<f64>, Vec<f64>); 4] = [
        ("raw", vec![], vec![]),
        ("pipeline", vec![], vec![]),
        ("op", vec![], vec![]),
        ("wrapped", vec![], vec![]),
    ];
    for _ in 0..rounds {
        for (i, s) in samples.iter_mut().enumerate() {
            let (walls, cpu) = match i {
                0 => timed(&rt, &pool, calls, raw),
                1 => timed(&rt, &pool, calls, pipeline),
                2 => timed(&rt, &pool, calls, op),
                _ => timed(&rt, &pool, calls, wrapped),
            };
            s.1.extend(walls);
            s.2.push(cpu);
        }
    }
    println!("depth      wall median  caller CPU per call");
    for (name, walls, cpus) in samples {
        println!("{name:9} {:9.1} us {:11.1} us", median(walls), median(cpus));
    }
}
