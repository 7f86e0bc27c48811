//! Long-running operations as Compute reports them: `capsOperations` with an async-status URL and
//! a `monitor=true` location URL. Completion is computed from timestamps; there are no timers.

use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::store::World;

#[derive(Debug, Clone)]
pub(crate) struct Operation {
    pub id: String,
    pub subscription: String,
    pub location: String,
    pub api_version: String,
    pub start: OffsetDateTime,
    pub delay: Duration,
    pub started_at: Instant,
    /// Body of the monitor URL once done; `None` answers an empty 200.
    pub result: Option<Value>,
}

fn timestamp(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Operation {
    pub(crate) fn is_done(&self) -> bool {
        self.started_at.elapsed() >= self.delay
    }

    fn remaining(&self) -> Duration {
        self.delay.saturating_sub(self.started_at.elapsed())
    }

    /// `Azure-AsyncOperation`, `Location` (monitor) and `Retry-After` for this operation.
    pub(crate) fn headers(&self, endpoint: &str) -> HeaderMap {
        let base = format!(
            "{endpoint}/subscriptions/{}/providers/Microsoft.Compute/locations/{}/capsOperations/{}",
            self.subscription, self.location, self.id
        );
        let retry_after = self.remaining().as_millis().div_ceil(1000).to_string();
        let mut headers = HeaderMap::new();
        let mut put = |name: &'static str, value: String| {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), v);
            }
        };
        put(
            "azure-asyncoperation",
            format!("{base}?api-version={}", self.api_version),
        );
        put(
            "location",
            format!("{base}?monitor=true&api-version={}", self.api_version),
        );
        put("retry-after", retry_after);
        headers
    }

    /// The async-operation status document.
    pub(crate) fn status(&self) -> Value {
        if self.is_done() {
            let end = self.start + self.delay;
            json!({"startTime": timestamp(self.start), "endTime": timestamp(end), "status": "Succeeded", "name": self.id})
        } else {
            json!({"startTime": timestamp(self.start), "status": "InProgress", "name": self.id})
        }
    }

    /// Status and body of the monitor URL: 202 while running, then 200 with the result.
    pub(crate) fn monitor(&self) -> (StatusCode, Option<Value>) {
        if !self.is_done() {
            return (StatusCode::ACCEPTED, None);
        }
        let mut result = self.result.clone();
        if let Some(state) = result
            .as_mut()
            .and_then(|r| r.pointer_mut("/properties/provisioningState"))
        {
            *state = json!("Succeeded");
        }
        (StatusCode::OK, result)
    }
}

/// Records a new operation in `world` and returns it.
pub(crate) fn begin(
    world: &mut World,
    subscription: &str,
    location: &str,
    api_version: &str,
    delay: Duration,
    result: Option<Value>,
) -> Operation {
    let op = Operation {
        id: uuid::Uuid::new_v4().to_string(),
        subscription: subscription.to_string(),
        location: super::store::normalize_location(location),
        api_version: api_version.to_string(),
        start: OffsetDateTime::now_utc(),
        delay,
        started_at: Instant::now(),
        result,
    };
    world.operations.insert(op.id.clone(), op.clone());
    op
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_and_is_zero_without_delay() {
        let mut world = World::default();
        let op = begin(&mut world, "s", "East US", "v", Duration::ZERO, None);
        assert_eq!(op.headers("https://e")["retry-after"], "0");
        assert!(op.headers("https://e")["location"]
            .to_str()
            .unwrap()
            .contains("locations/eastus/capsOperations"));
        assert_eq!(op.status()["status"], "Succeeded");
        let slow = begin(
            &mut world,
            "s",
            "eastus",
            "v",
            Duration::from_millis(1500),
            None,
        );
        assert_eq!(slow.headers("https://e")["retry-after"], "2");
        assert_eq!(slow.status()["status"], "InProgress");
        assert_eq!(slow.monitor().0, StatusCode::ACCEPTED);
    }
}
