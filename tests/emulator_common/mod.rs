//! Shared helpers for the emulator integration tests: start, HTTPS client trusting the CA, tokens.
#![allow(dead_code)]

use std::time::Duration;

use _core::emulator::{Emulator, Options};
use serde_json::{json, Value};

pub const API: &str = "2025-03-03";

pub struct Harness {
    pub emu: Emulator,
    pub http: reqwest::Client,
    pub dir: Value,
}

impl Harness {
    pub async fn start() -> Harness {
        Self::with(Options {
            lro_delay: Duration::ZERO,
            ..Options::default()
        })
        .await
    }

    pub async fn with(options: Options) -> Harness {
        let emu = Emulator::start(options).await.expect("emulator starts");
        let certs = reqwest::Certificate::from_pem_bundle(emu.ca_pem().as_bytes()).unwrap();
        let http = reqwest::Client::builder()
            .tls_certs_merge(certs)
            .build()
            .unwrap();
        let dir = emu.directory();
        Harness { emu, http, dir }
    }

    pub fn find(&self, kind: &str, name: &str) -> Value {
        let key = if kind == "users" { "upn" } else { "name" };
        self.dir[kind]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v[key] == name)
            .unwrap()
            .clone()
    }

    pub fn sub(&self, name: &str) -> String {
        self.find("subscriptions", name)["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub fn tenant(&self, name: &str) -> String {
        self.find("tenants", name)["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn token_response(&self, tenant: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let url = format!("{}/{tenant}/oauth2/v2.0/token", self.emu.endpoint());
        self.http.post(url).form(form).send().await.unwrap()
    }

    /// An ARM token for a seeded app in a tenant (by domain).
    pub async fn app_token(&self, app: &str, tenant_domain: &str) -> String {
        let app = self.find("apps", app);
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", app["client_id"].as_str().unwrap()),
            ("client_secret", app["secret"].as_str().unwrap()),
            ("scope", "https://management.azure.com/.default"),
        ];
        let resp = self.token_response(tenant_domain, &form).await;
        assert_eq!(resp.status(), 200);
        resp.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn call(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = if path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{path}{sep}api-version={API}", self.emu.endpoint())
        };
        let mut req = self.http.request(method, url).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let (s, _, b) = self.call(token, reqwest::Method::GET, path, None).await;
        (s, b)
    }

    pub async fn put(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        let (s, _, b) = self
            .call(token, reqwest::Method::PUT, path, Some(body))
            .await;
        (s, b)
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        let (s, _, b) = self
            .call(token, reqwest::Method::POST, path, Some(body))
            .await;
        (s, b)
    }

    pub fn gallery_path(&self, sub: &str, gallery: &str) -> String {
        format!("/subscriptions/{sub}/resourceGroups/images/providers/Microsoft.Compute/galleries/{gallery}")
    }

    /// Creates a gallery (with `permissions`), a Linux definition and version 1.0.0 in eastus+westus.
    pub async fn publish(&self, token: &str, gallery: &str, permissions: &str) -> String {
        let sub = self.sub("contoso-prod");
        let g = self.gallery_path(&sub, gallery);
        let (s, _) = self.put(token, &g, json!({"location": "eastus", "properties": {"sharingProfile": {"permissions": permissions}}})).await;
        assert_eq!(s, 201);
        let (s, b) = self
            .put(
                token,
                &format!("{g}/images/linux"),
                json!({"location": "eastus", "properties": {
            "osType": "Linux", "osState": "Generalized",
            "identifier": {"publisher": "contoso", "offer": "ubuntu", "sku": "22"}}}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        let source = format!("/subscriptions/{sub}/resourceGroups/images/providers/Microsoft.Compute/images/ubuntu-base");
        let (s, b) = self
            .put(
                token,
                &format!("{g}/images/linux/versions/1.0.0"),
                json!({"location": "eastus", "properties": {
            "publishingProfile": {"targetRegions": [{"name": "East US"}, {"name": "westus"}]},
            "storageProfile": {"source": {"id": source}}}}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        g
    }
}
