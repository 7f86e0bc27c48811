//! Built-in role definitions and Azure's action matching, inherited down the scope hierarchy.

use serde_json::{json, Value};

use super::store::RoleAssignment;

pub(crate) struct RoleDefinition {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub actions: &'static [&'static str],
    pub not_actions: &'static [&'static str],
}

pub(crate) const OWNER: RoleDefinition = RoleDefinition {
    id: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    name: "Owner",
    description: "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
    actions: &["*"],
    not_actions: &[],
};

pub(crate) const CONTRIBUTOR: RoleDefinition = RoleDefinition {
    id: "b24988ac-6180-42a0-ab88-20f7382dd24c",
    name: "Contributor",
    description: "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, \
                  manage assignments in Azure Blueprints, or share image galleries.",
    actions: &["*"],
    not_actions: &[
        "Microsoft.Authorization/*/Delete",
        "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/elevateAccess/Action",
        "Microsoft.Blueprint/blueprintAssignments/write",
        "Microsoft.Blueprint/blueprintAssignments/delete",
        "Microsoft.Compute/galleries/share/action",
        "Microsoft.Purview/consents/write",
        "Microsoft.Purview/consents/delete",
        "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
        "Microsoft.Subscription/cancel/action",
        "Microsoft.Subscription/enable/action",
    ],
};

pub(crate) const READER: RoleDefinition = RoleDefinition {
    id: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    name: "Reader",
    description: "View all resources, but does not allow you to make any changes.",
    actions: &["*/read"],
    not_actions: &[],
};

pub(crate) const USER_ACCESS_ADMINISTRATOR: RoleDefinition = RoleDefinition {
    id: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    name: "User Access Administrator",
    description: "Lets you manage user access to Azure resources.",
    actions: &["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"],
    not_actions: &[],
};

pub(crate) const BUILT_IN_ROLES: [&RoleDefinition; 4] =
    [&OWNER, &CONTRIBUTOR, &READER, &USER_ACCESS_ADMINISTRATOR];

pub(crate) fn role_by_name(name: &str) -> Option<&'static RoleDefinition> {
    BUILT_IN_ROLES
        .iter()
        .copied()
        .find(|r| r.name.eq_ignore_ascii_case(name))
}

pub(crate) fn role_by_id(id: &str) -> Option<&'static RoleDefinition> {
    BUILT_IN_ROLES
        .iter()
        .copied()
        .find(|r| r.id.eq_ignore_ascii_case(id))
}

/// Case-insensitive glob where `*` matches any run of characters (as in Azure actions).
pub(crate) fn action_matches(pattern: &str, action: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let action = action.to_ascii_lowercase();
    glob(pattern.as_bytes(), action.as_bytes())
}

fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| glob(rest, &text[i..])),
        Some((c, rest)) => text.first() == Some(c) && glob(rest, &text[1..]),
    }
}

impl RoleDefinition {
    pub(crate) fn permits(&self, action: &str) -> bool {
        self.actions.iter().any(|a| action_matches(a, action))
            && !self.not_actions.iter().any(|n| action_matches(n, action))
    }

    /// The ARM representation of this definition at `scope` ("" for the root).
    pub(crate) fn to_json(&self, scope: &str) -> Value {
        json!({
            "properties": {
                "roleName": self.name,
                "type": "BuiltInRole",
                "description": self.description,
                "assignableScopes": ["/"],
                "permissions": [{"actions": self.actions, "notActions": self.not_actions,
                                 "dataActions": [], "notDataActions": []}],
                "createdOn": "2015-02-02T21:55:09.8806423Z",
                "updatedOn": "2024-01-01T00:00:00.0000000Z",
                "createdBy": null,
                "updatedBy": null
            },
            "id": format!("{scope}/providers/Microsoft.Authorization/roleDefinitions/{}", self.id),
            "type": "Microsoft.Authorization/roleDefinitions",
            "name": self.id
        })
    }
}

/// True if `scope` is `ancestor` or lies below it (segment-wise, case-insensitive).
pub(crate) fn scope_contains(ancestor: &str, scope: &str) -> bool {
    let a = ancestor.trim_end_matches('/').to_ascii_lowercase();
    let s = scope.trim_end_matches('/').to_ascii_lowercase();
    a.is_empty() || s == a || (s.starts_with(&a) && s.as_bytes().get(a.len()) == Some(&b'/'))
}

/// Whether `principal` may perform `action` on `scope` through assignments at or above it.
pub(crate) fn is_allowed(
    assignments: &[RoleAssignment],
    principal: &str,
    action: &str,
    scope: &str,
) -> bool {
    assignments
        .iter()
        .filter(|ra| {
            ra.principal_id.eq_ignore_ascii_case(principal) && scope_contains(&ra.scope, scope)
        })
        .filter_map(|ra| role_by_id(&ra.role_id))
        .any(|role| role.permits(action))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contributor_cannot_share_but_owner_can() {
        let share = "Microsoft.Compute/galleries/share/action";
        assert!(OWNER.permits(share));
        assert!(!CONTRIBUTOR.permits(share));
        assert!(CONTRIBUTOR.permits("Microsoft.Compute/galleries/write"));
        assert!(!CONTRIBUTOR.permits("Microsoft.Authorization/roleAssignments/write"));
        assert!(USER_ACCESS_ADMINISTRATOR.permits("Microsoft.Authorization/roleAssignments/write"));
        assert!(READER.permits("Microsoft.Compute/galleries/read"));
        assert!(!READER.permits("Microsoft.Compute/galleries/write"));
    }

    #[test]
    fn scopes_inherit_by_segment() {
        assert!(scope_contains(
            "/subscriptions/a",
            "/subscriptions/a/resourceGroups/x"
        ));
        assert!(scope_contains("/subscriptions/A", "/subscriptions/a"));
        assert!(!scope_contains("/subscriptions/a", "/subscriptions/ab"));
        assert!(!scope_contains(
            "/subscriptions/a/resourceGroups/x",
            "/subscriptions/a"
        ));
    }
}
