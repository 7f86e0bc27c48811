//! Azure PowerShell's output objects, derived from the CLI shape (same fields, PowerShell's names):
//! PascalCase keys (`sharingProfile.permissions` → `SharingProfile.Permissions`), `resourceGroup` →
//! `ResourceGroupName`, plus the few objects PowerShell builds differently (role assignments, resource
//! groups, contexts). Tag keys are data and keep their case.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Which PowerShell object a result becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// PSGallery, PSGalleryImage, PSGalleryImageVersion, PSSharedGallery…: the generic mapping.
    Resource,
    ResourceGroup,
    RoleAssignment,
    RoleDefinition,
    /// MicrosoftGraphUser / MicrosoftGraphServicePrincipal.
    GraphObject,
    Context,
}

impl Kind {
    pub fn parse(name: &str) -> Option<Kind> {
        Some(match name {
            "Resource" => Kind::Resource,
            "ResourceGroup" => Kind::ResourceGroup,
            "RoleAssignment" => Kind::RoleAssignment,
            "RoleDefinition" => Kind::RoleDefinition,
            "GraphObject" => Kind::GraphObject,
            "Context" => Kind::Context,
            _ => return None,
        })
    }
}

/// Built-in role names by definition GUID (PowerShell shows `RoleDefinitionName`).
pub(crate) const BUILT_IN_ROLES: &[(&str, &str)] = &[
    ("acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader"),
    ("b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor"),
    ("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner"),
    (
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        "User Access Administrator",
    ),
];

pub fn shape(kind: Kind, v: Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.into_iter().map(|i| shape(kind, i)).collect()),
        Value::Null => Value::Null,
        one => match kind {
            Kind::Resource | Kind::RoleDefinition | Kind::GraphObject => pascal(one),
            Kind::ResourceGroup => resource_group(&one),
            Kind::RoleAssignment => role_assignment(&one),
            Kind::Context => context(&one),
        },
    }
}

fn pascal_key(k: &str) -> String {
    match k {
        "id" => "Id".into(),
        "resourceGroup" => "ResourceGroupName".into(),
        _ => {
            let mut c = k.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }
    }
}

/// PascalCase at every depth, except inside `tags` (user data); OData annotations are dropped.
fn pascal(v: Value) -> Value {
    match v {
        Value::Object(obj) => Value::Object(
            obj.into_iter()
                .filter(|(k, _)| !k.starts_with("@odata"))
                .map(|(k, v)| {
                    let v = if k == "tags" { v } else { pascal(v) };
                    (pascal_key(&k), v)
                })
                .collect::<Map<String, Value>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(pascal).collect()),
        other => other,
    }
}

fn text(v: &Value, pointer: &str) -> Value {
    v.pointer(pointer).cloned().unwrap_or(Value::Null)
}

fn resource_group(v: &Value) -> Value {
    json!({
        "ResourceGroupName": text(v, "/name"),
        "Location": text(v, "/location"),
        // Shaping runs on the CLI shape, where `properties` is already flattened.
        "ProvisioningState": v.get("provisioningState").cloned().unwrap_or_else(|| text(v, "/properties/provisioningState")),
        "Tags": text(v, "/tags"),
        "ResourceId": text(v, "/id"),
    })
}

fn role_assignment(v: &Value) -> Value {
    let definition = v
        .get("roleDefinitionId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let guid = definition
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let name = BUILT_IN_ROLES
        .iter()
        .find(|(g, _)| *g == guid)
        .map(|(_, n)| Value::from(*n))
        .unwrap_or(Value::Null);
    json!({
        "RoleAssignmentName": text(v, "/name"),
        "RoleAssignmentId": text(v, "/id"),
        "Scope": text(v, "/scope"),
        "DisplayName": Value::Null,
        "SignInName": Value::Null,
        "RoleDefinitionName": name,
        "RoleDefinitionId": guid,
        "ObjectId": text(v, "/principalId"),
        "ObjectType": text(v, "/principalType"),
        "Description": text(v, "/description"),
        "CanDelegate": false,
    })
}

/// `Get-AzContext` from `az account show`.
fn context(v: &Value) -> Value {
    let s = |p: &str| {
        v.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    json!({
        "Name": format!("{} ({}) - {} - {}", s("/name"), s("/id"), s("/tenantId"), s("/user/name")),
        "Account": s("/user/name"),
        "Environment": s("/cloudName"),
        "Subscription": s("/id"),
        "SubscriptionName": s("/name"),
        "Tenant": s("/tenantId"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gallery_fields_get_powershell_names() {
        let cli = json!({"id":"/x","name":"g","resourceGroup":"rg","identifier":{"uniqueName":"U"},
            "sharingProfile":{"permissions":"Groups","groups":[{"type":"Subscriptions","ids":["s"]}]},"tags":{"env":"prod"}});
        let ps = shape(Kind::Resource, cli);
        assert_eq!(ps["ResourceGroupName"], "rg");
        assert_eq!(ps["Identifier"]["UniqueName"], "U");
        assert_eq!(ps["SharingProfile"]["Groups"][0]["Ids"][0], "s");
        assert_eq!(ps["Tags"]["env"], "prod");
    }

    #[test]
    fn role_assignment_names_its_built_in_role() {
        let cli = json!({"name":"n","id":"/s/x","scope":"/s","principalId":"p","principalType":"User",
            "roleDefinitionId":"/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"});
        let ps = shape(Kind::RoleAssignment, cli);
        assert_eq!(ps["RoleDefinitionName"], "Reader");
        assert_eq!(ps["ObjectId"], "p");
        assert_eq!(
            ps["RoleDefinitionId"],
            "acdd72a7-3385-48ef-bd42-f606fba81ae7"
        );
    }
}
