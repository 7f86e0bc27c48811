//! Endpoints of the Azure clouds, and custom ones (how the embedded emulator is reached).

use crate::error::{Error, Result};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Cloud {
    pub name: String,
    /// ARM base URL, e.g. `https://management.azure.com`.
    pub resource_manager: String,
    /// Entra ID authority host, e.g. `https://login.microsoftonline.com`.
    pub active_directory: String,
    /// Microsoft Graph base URL.
    pub microsoft_graph: String,
    /// Token scope for ARM.
    #[serde(default = "default_arm_scope")]
    pub arm_scope: String,
    /// Token scope for Graph.
    #[serde(default = "default_graph_scope")]
    pub graph_scope: String,
    /// PEM of an extra certificate authority to trust (the emulator's); never trusted globally.
    #[serde(default)]
    pub ca_pem: Option<String>,
    /// Lets tokens and secrets go over plain http, to loopback endpoints only (a local test server the
    /// caller runs); every other http endpoint is refused before anything is sent.
    #[serde(default)]
    pub allow_http_loopback: bool,
}

fn default_arm_scope() -> String {
    "https://management.azure.com/.default".into()
}

fn default_graph_scope() -> String {
    "https://graph.microsoft.com/.default".into()
}

impl Cloud {
    /// The clouds `az cloud list` knows, by the CLI's names.
    pub fn named(name: &str) -> Result<Cloud> {
        let (rm, ad, graph, arm_scope, graph_scope) = match name.to_ascii_lowercase().as_str() {
            "azurecloud" => (
                "https://management.azure.com",
                "https://login.microsoftonline.com",
                "https://graph.microsoft.com",
                "https://management.azure.com/.default",
                "https://graph.microsoft.com/.default",
            ),
            "azureusgovernment" => (
                "https://management.usgovcloudapi.net",
                "https://login.microsoftonline.us",
                "https://graph.microsoft.us",
                "https://management.usgovcloudapi.net/.default",
                "https://graph.microsoft.us/.default",
            ),
            "azurechinacloud" => (
                "https://management.chinacloudapi.cn",
                "https://login.chinacloudapi.cn",
                "https://microsoftgraph.chinacloudapi.cn",
                "https://management.chinacloudapi.cn/.default",
                "https://microsoftgraph.chinacloudapi.cn/.default",
            ),
            _ => {
                return Err(Error::invalid_param(
                    "cloud",
                    format!(
                        "Unknown cloud '{name}'. Use AzureCloud, AzureUSGovernment, AzureChinaCloud or a custom endpoints object."
                    ),
                ))
            }
        };
        Ok(Cloud {
            name: name.to_string(),
            resource_manager: rm.into(),
            active_directory: ad.into(),
            microsoft_graph: graph.into(),
            arm_scope: arm_scope.into(),
            graph_scope: graph_scope.into(),
            ca_pem: None,
            allow_http_loopback: false,
        })
    }

    /// ARM base without a trailing slash.
    pub fn arm(&self) -> &str {
        self.resource_manager.trim_end_matches('/')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_clouds_resolve_case_insensitively() {
        assert_eq!(
            Cloud::named("azurecloud").unwrap().arm(),
            "https://management.azure.com"
        );
        assert!(Cloud::named("AzureUSGovernment")
            .unwrap()
            .active_directory
            .ends_with(".us"));
        assert!(Cloud::named("Mars").is_err());
    }
}
