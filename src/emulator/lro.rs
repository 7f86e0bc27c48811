//! Long-running operations as each provider reports them: the gallery service's `capsOperations`
//! and the VM service's `operations` (async-status URL plus a `monitor=true` location URL), and
//! Network's `operations` / `operationResults`. Completion is computed from timestamps; there are no timers.

use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::store::World;

/// Which provider's URLs and status document an operation uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Flavor {
    /// Galleries: `Microsoft.Compute/locations/{loc}/capsOperations/{id}`.
    Caps,
    /// Virtual machines and scale sets: `Microsoft.Compute/locations/{loc}/operations/{id}`.
    Compute,
    /// `Microsoft.Network/locations/{loc}/operations/{id}`; DELETE adds a `Location` at `operationResults/{id}`.
    Network,
}

/// An injected fault that changes how an operation ends (see `faults`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum OperationFault {
    /// Ends `Failed` with this error once its delay is over.
    Fail { code: String, message: String },
    /// Never leaves `InProgress`.
    Hang,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Operation {
    pub id: String,
    pub flavor: Flavor,
    pub subscription: String,
    pub location: String,
    pub api_version: String,
    #[serde(with = "super::persist::unix_time")]
    pub start: OffsetDateTime,
    pub delay: Duration,
    #[serde(with = "super::persist::instant")]
    pub started_at: Instant,
    /// Body of the monitor URL once done; `None` answers an empty 200.
    pub result: Option<Value>,
    #[serde(default)]
    pub fault: Option<OperationFault>,
}

fn timestamp(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Operation {
    pub(crate) fn is_done(&self) -> bool {
        self.fault != Some(OperationFault::Hang) && self.started_at.elapsed() >= self.delay
    }

    /// The error an injected `lro_fail` fault ends the operation with, once it is over.
    fn failure(&self) -> Option<(&str, &str)> {
        match &self.fault {
            Some(OperationFault::Fail { code, message }) if self.is_done() => {
                Some((code.as_str(), message.as_str()))
            }
            _ => None,
        }
    }

    fn remaining(&self) -> Duration {
        self.delay.saturating_sub(self.started_at.elapsed())
    }

    /// `Azure-AsyncOperation`, `Location` and `Retry-After` for this operation. Network sends a
    /// `Location` only for DELETE (`with_location`), as Azure does; Compute always sends a monitor URL.
    pub(crate) fn headers(&self, endpoint: &str) -> HeaderMap {
        self.headers_with(endpoint, true)
    }

    pub(crate) fn headers_with(&self, endpoint: &str, with_location: bool) -> HeaderMap {
        let provider = format!(
            "{endpoint}/subscriptions/{}/providers/{}/locations/{}",
            self.subscription,
            if self.flavor == Flavor::Network {
                "Microsoft.Network"
            } else {
                "Microsoft.Compute"
            },
            self.location
        );
        let api = &self.api_version;
        let (status_url, location_url) = match self.flavor {
            Flavor::Caps => {
                let base = format!("{provider}/capsOperations/{}", self.id);
                (
                    format!("{base}?api-version={api}"),
                    format!("{base}?monitor=true&api-version={api}"),
                )
            }
            Flavor::Compute => {
                let base = format!("{provider}/operations/{}", self.id);
                (
                    format!("{base}?api-version={api}"),
                    format!("{base}?monitor=true&api-version={api}"),
                )
            }
            Flavor::Network => (
                format!("{provider}/operations/{}?api-version={api}", self.id),
                format!("{provider}/operationResults/{}?api-version={api}", self.id),
            ),
        };
        let retry_after = self.remaining().as_millis().div_ceil(1000).to_string();
        let mut headers = HeaderMap::new();
        let mut put = |name: &'static str, value: String| {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), v);
            }
        };
        put("azure-asyncoperation", status_url);
        if with_location {
            put("location", location_url);
        }
        put("retry-after", retry_after);
        headers
    }

    /// The async-operation status document.
    pub(crate) fn status(&self) -> Value {
        if let Some((code, message)) = self.failure() {
            let error = json!({"code": code, "message": message});
            return if self.flavor == Flavor::Network {
                json!({"status": "Failed", "error": error})
            } else {
                let end = self.start + self.delay;
                json!({"startTime": timestamp(self.start), "endTime": timestamp(end), "status": "Failed", "name": self.id, "error": error})
            };
        }
        if self.flavor == Flavor::Network {
            // Network's status document carries nothing but the status.
            let status = if self.is_done() {
                "Succeeded"
            } else {
                "InProgress"
            };
            return json!({ "status": status });
        }
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
        if let Some((code, message)) = self.failure() {
            let error = json!({"error": {"code": code, "message": message}});
            return (StatusCode::BAD_REQUEST, Some(error));
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

/// Records a new gallery (`capsOperations`) operation in `world` and returns it.
pub(crate) fn begin(
    world: &mut World,
    subscription: &str,
    location: &str,
    api_version: &str,
    delay: Duration,
    result: Option<Value>,
) -> Operation {
    begin_as(
        Flavor::Caps,
        world,
        subscription,
        location,
        api_version,
        delay,
        result,
    )
}

/// Records a new operation of a provider's `flavor` in `world` and returns it.
pub(crate) fn begin_as(
    flavor: Flavor,
    world: &mut World,
    subscription: &str,
    location: &str,
    api_version: &str,
    delay: Duration,
    result: Option<Value>,
) -> Operation {
    let op = Operation {
        id: uuid::Uuid::new_v4().to_string(),
        flavor,
        subscription: subscription.to_string(),
        location: super::store::normalize_location(location),
        api_version: api_version.to_string(),
        start: OffsetDateTime::now_utc(),
        delay,
        started_at: Instant::now(),
        result,
        fault: None,
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

    #[test]
    fn network_operations_use_network_urls_and_a_bare_status() {
        let mut world = World::default();
        let op = begin_as(
            Flavor::Network,
            &mut world,
            "s",
            "West US",
            "v",
            Duration::ZERO,
            None,
        );
        let headers = op.headers_with("https://e", false);
        assert_eq!(
            headers["azure-asyncoperation"],
            format!("https://e/subscriptions/s/providers/Microsoft.Network/locations/westus/operations/{}?api-version=v", op.id)
        );
        assert!(headers.get("location").is_none());
        assert!(op.headers("https://e")["location"]
            .to_str()
            .unwrap()
            .contains("/operationResults/"));
        assert_eq!(op.status(), json!({"status": "Succeeded"}));
    }
}
