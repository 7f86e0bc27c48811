//! Retries 408/429/500/502/503/504 and connection failures with exponential backoff and jitter, never
//! sooner than the service's Retry-After. Only idempotent requests are retried after they may have been
//! processed; a request that never reached the service, or a 429, is always safe to send again.

use super::{next, Context, Policy, Request, Response};
use crate::error::{ErrorKind, Result};
use async_trait::async_trait;
use rand::Rng;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct RetryOptions {
    pub max_retries: u32,
    pub initial_delay: Duration,
    pub max_delay: Duration,
    /// No retry starts once this much time has passed since the first try.
    pub max_total: Duration,
}

/// azure-core's defaults: 10 retries, 0.8 s backoff factor; and a bound on the whole call's time.
impl Default for RetryOptions {
    fn default() -> Self {
        RetryOptions {
            max_retries: 10,
            initial_delay: Duration::from_millis(800),
            max_delay: Duration::from_secs(60),
            max_total: Duration::from_secs(180),
        }
    }
}

pub struct RetryPolicy {
    options: RetryOptions,
}

impl RetryPolicy {
    pub fn new(options: RetryOptions) -> Self {
        RetryPolicy { options }
    }
}

const RETRYABLE: &[u16] = &[408, 429, 500, 502, 503, 504];

#[async_trait]
impl Policy for RetryPolicy {
    async fn send(
        &self,
        ctx: &Context<'_>,
        req: &mut Request,
        rest: &[Arc<dyn Policy>],
    ) -> Result<Response> {
        let start = Instant::now();
        let mut attempt = 0u32;
        loop {
            // Each try sends `req` itself: the policies below only set their own headers on it (auth puts the
            // current token on every try), so no copy per try is needed.
            let outcome = next(ctx, req, rest).await;
            let retry = match &outcome {
                Ok(resp) => {
                    RETRYABLE.contains(&resp.status) && (req.idempotent || resp.status == 429)
                }
                Err(e) => {
                    e.kind == ErrorKind::ServiceRequest
                        || (req.idempotent && e.kind == ErrorKind::ServiceResponse)
                }
            };
            if !retry || attempt >= self.options.max_retries {
                return outcome;
            }
            let server_delay = outcome.as_ref().ok().and_then(retry_after);
            let delay = backoff(&self.options, attempt, server_delay);
            if start.elapsed() + delay > self.options.max_total {
                return outcome;
            }
            log::info!(target: "galleryshare::retry", "Retrying {} {} in {:.1} s (attempt {} of {}): {}", req.method, req.url.path(), delay.as_secs_f64(), attempt + 2, self.options.max_retries + 1, describe(&outcome));
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }
}

fn describe(outcome: &Result<Response>) -> String {
    match outcome {
        Ok(r) => format!("status {}", r.status),
        Err(e) => e.message.clone(),
    }
}

/// The wait before the next try: the server's Retry-After when it gave one (never sooner), otherwise
/// exponential backoff with ±20 % jitter, capped.
pub fn backoff(options: &RetryOptions, attempt: u32, server: Option<Duration>) -> Duration {
    if let Some(d) = server {
        return d;
    }
    let base = options.initial_delay.as_secs_f64() * 2f64.powi(attempt.min(16) as i32);
    let jitter = rand::rng().random_range(0.8..1.2);
    Duration::from_secs_f64((base * jitter).min(options.max_delay.as_secs_f64()))
}

/// `retry-after-ms`, `x-ms-retry-after-ms`, then `Retry-After` (seconds or an HTTP date).
pub fn retry_after(resp: &Response) -> Option<Duration> {
    for ms_header in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = resp
            .header(ms_header)
            .and_then(|v| v.trim().parse::<f64>().ok())
        {
            return (ms >= 0.0 && ms.is_finite()).then(|| Duration::from_secs_f64(ms / 1000.0));
        }
    }
    parse_retry_after(resp.header("retry-after")?)
}

pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs >= 0.0 && secs.is_finite() && secs < 86_400.0)
            .then(|| Duration::from_secs_f64(secs));
    }
    let when =
        time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822).ok()?;
    let delta = when - time::OffsetDateTime::now_utc();
    Some(Duration::from_secs_f64(
        delta.as_seconds_f64().clamp(0.0, 86_400.0),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("soon"), None);
        let past = parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(past, Duration::ZERO);
    }

    #[test]
    fn server_delay_wins_and_backoff_grows_within_cap() {
        let o = RetryOptions::default();
        assert_eq!(
            backoff(&o, 5, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        let d0 = backoff(&o, 0, None).as_secs_f64();
        assert!((0.64..=0.96).contains(&d0), "{d0}");
        let d3 = backoff(&o, 3, None).as_secs_f64();
        assert!((5.12..=7.68).contains(&d3), "{d3}");
        assert!(backoff(&o, 30, None) <= o.max_delay);
        // A sub-second Retry-After is honoured as given, not rounded up to the backoff.
        assert_eq!(
            backoff(&o, 0, Some(Duration::from_millis(50))),
            Duration::from_millis(50)
        );
        assert_eq!((o.max_retries, o.max_total), (10, Duration::from_secs(180)));
    }
}
