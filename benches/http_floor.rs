//! The raw HTTP floor and the emulator's capacity: the same authenticated GET, issued `count` times over
//! kept-alive connections by `concurrency` workers (each with its own connection), with the same reqwest +
//! rustls stack (and allocator) galleryshare uses. Prints one JSON object: median and p99 latency,
//! requests per second.
//!
//!     GS_FLOOR_TOKEN=<bearer> [GS_FLOOR_HTTP1=1] [GS_FLOOR_THREADS=1] \
//!         cargo bench --bench http_floor -- URL CA_PEM_PATH COUNT CONCURRENCY
//!
//! The token comes from the environment so it never shows in a process listing; it is never printed.

use reqwest::header::HeaderValue;
use std::time::{Duration, Instant};

/// The allocator galleryshare's module uses (see src/lib.rs), so the floor differs from it only in what
/// galleryshare does on top of the GET.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn usage() -> ! {
    eprintln!("usage: GS_FLOOR_TOKEN=... http_floor URL CA_PEM_PATH COUNT CONCURRENCY");
    std::process::exit(2)
}

/// One kept-alive connection per worker: a client of its own, HTTP/2 as the server offers it (as
/// galleryshare does), or HTTP/1.1 with `GS_FLOOR_HTTP1=1` (as requests/aiohttp in the SDK do).
fn client(ca_pem: &[u8], http1: bool) -> reqwest::Client {
    let certs = reqwest::Certificate::from_pem_bundle(ca_pem).expect("CA PEM");
    let builder = reqwest::Client::builder()
        .tls_certs_merge(certs)
        .pool_idle_timeout(Duration::from_secs(90));
    let builder = if http1 { builder.http1_only() } else { builder };
    builder.build().expect("HTTP client")
}

async fn get(http: &reqwest::Client, url: &str, auth: &HeaderValue) -> Duration {
    let t = Instant::now();
    let resp = http
        .get(url)
        .header("authorization", auth.clone())
        .send()
        .await
        .expect("GET");
    let status = resp.status();
    let body = resp.bytes().await.expect("body");
    assert!(
        status.is_success(),
        "GET answered {status}: {} bytes",
        body.len()
    );
    t.elapsed()
}

/// `count` GETs spread over the workers, each worker sequential on its own connection (after one warm-up).
async fn run(
    url: String,
    auth: HeaderValue,
    ca: Vec<u8>,
    count: usize,
    workers: usize,
) -> serde_json::Value {
    let http1 = std::env::var("GS_FLOOR_HTTP1").is_ok_and(|v| v == "1");
    let per = count.div_ceil(workers);
    let mut clients = Vec::with_capacity(workers);
    for _ in 0..workers {
        let http = client(&ca, http1);
        for _ in 0..5 {
            get(&http, &url, &auth).await;
        }
        clients.push(http);
    }
    let start = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|http| {
            let (url, auth) = (url.clone(), auth.clone());
            tokio::spawn(async move {
                let mut samples = Vec::with_capacity(per);
                for _ in 0..per {
                    samples.push(get(&http, &url, &auth).await);
                }
                samples
            })
        })
        .collect();
    let mut samples = Vec::with_capacity(per * workers);
    for t in tasks {
        samples.extend(t.await.expect("worker"));
    }
    let wall = start.elapsed().as_secs_f64();
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    serde_json::json!({
        "requests": samples.len(),
        "protocol": if http1 { "HTTP/1.1" } else { "HTTP/2" },
        "concurrency": workers,
        "seconds": wall,
        "requests_per_second": samples.len() as f64 / wall,
        "median_us": at(0.5),
        "p99_us": at(0.99),
    })
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [url, ca_path, count, workers] = args.as_slice() else {
        usage()
    };
    let token = std::env::var("GS_FLOOR_TOKEN").unwrap_or_else(|_| usage());
    let ca = std::fs::read(ca_path).expect("CA PEM file");
    let count: usize = count.parse().unwrap_or_else(|_| usage());
    let workers: usize = workers.parse::<usize>().unwrap_or_else(|_| usage()).max(1);
    let threads = std::env::var("GS_FLOOR_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("runtime");
    // Marked sensitive as galleryshare marks it: HPACK then never indexes it, so every request carries the
    // whole token on the wire, as galleryshare's do.
    let mut auth = HeaderValue::from_str(&format!("Bearer {token}")).expect("token fits a header");
    auth.set_sensitive(true);
    let out = rt.block_on(run(url.clone(), auth, ca, count, workers));
    println!("{out}");
}
