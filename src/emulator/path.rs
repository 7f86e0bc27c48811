//! Parses ARM request paths (case-insensitively, as ARM does) into typed routes, plus the RBAC
//! action they need. Keywords are matched by position in the grammar
//! `/subscriptions/{s}[/resourceGroups/{rg}][/providers/{ns}/{type}/{name}...]`, never by index.

use percent_encoding::percent_decode_str;

/// A parsed ARM request target. Names keep the caller's casing.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Route {
    Subscriptions,
    Tenants,
    Subscription {
        sub: String,
    },
    ResourceGroups {
        sub: String,
    },
    ResourceGroup {
        sub: String,
        rg: String,
    },
    RoleDefinitions {
        scope: String,
    },
    RoleDefinition {
        scope: String,
        id: String,
    },
    RoleAssignments {
        scope: String,
    },
    RoleAssignment {
        scope: String,
        name: String,
    },
    ManagedImage {
        sub: String,
        rg: String,
        name: String,
    },
    Galleries {
        sub: String,
        rg: Option<String>,
    },
    Gallery {
        sub: String,
        rg: String,
        gallery: String,
    },
    GalleryShare {
        sub: String,
        rg: String,
        gallery: String,
    },
    Images {
        sub: String,
        rg: String,
        gallery: String,
    },
    Image {
        sub: String,
        rg: String,
        gallery: String,
        image: String,
    },
    Versions {
        sub: String,
        rg: String,
        gallery: String,
        image: String,
    },
    Version {
        sub: String,
        rg: String,
        gallery: String,
        image: String,
        version: String,
    },
    CapsOperation {
        sub: String,
        location: String,
        id: String,
    },
    SharedGalleries {
        sub: String,
        location: String,
    },
    SharedGallery {
        sub: String,
        location: String,
        unique: String,
    },
    SharedImages {
        sub: String,
        location: String,
        unique: String,
    },
    SharedImage {
        sub: String,
        location: String,
        unique: String,
        image: String,
    },
    SharedVersions {
        sub: String,
        location: String,
        unique: String,
        image: String,
    },
    SharedVersion {
        sub: String,
        location: String,
        unique: String,
        image: String,
        version: String,
    },
    /// Consumer views of community galleries, addressed by public name (`{prefix}-{guid}`).
    CommunityGallery {
        sub: String,
        location: String,
        public: String,
    },
    CommunityImages {
        sub: String,
        location: String,
        public: String,
    },
    CommunityImage {
        sub: String,
        location: String,
        public: String,
        image: String,
    },
    CommunityVersions {
        sub: String,
        location: String,
        public: String,
        image: String,
    },
    CommunityVersion {
        sub: String,
        location: String,
        public: String,
        image: String,
        version: String,
    },
    /// `POST /providers/Microsoft.ResourceGraph/resources`: the only way to list community galleries.
    ResourceGraph,
    /// A Network or Compute provider's own async-operation URL:
    /// `.../providers/{ns}/locations/{loc}/operations/{id}` (status) or `.../operationResults/{id}` (result).
    ProviderOperation {
        sub: String,
        id: String,
        result: bool,
    },
    /// Top-level resources of one kind in a resource group.
    Resources {
        sub: String,
        rg: String,
        kind: Kind,
    },
    Resource {
        sub: String,
        rg: String,
        kind: Kind,
        name: String,
    },
    /// Child resources kept inline in their parent (subnets, security rules).
    Children {
        sub: String,
        rg: String,
        kind: Kind,
        name: String,
        child: ChildKind,
    },
    Child {
        sub: String,
        rg: String,
        kind: Kind,
        name: String,
        child: ChildKind,
        child_name: String,
    },
}

/// Network and Compute resource types stored generically (see `store::Resource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Kind {
    VirtualNetwork,
    PublicIpAddress,
    SecurityGroup,
    NetworkInterface,
    VirtualMachine,
    ScaleSet,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Kind::VirtualNetwork,
        Kind::PublicIpAddress,
        Kind::SecurityGroup,
        Kind::NetworkInterface,
        Kind::VirtualMachine,
        Kind::ScaleSet,
    ];

    pub(crate) fn namespace(self) -> &'static str {
        match self {
            Kind::VirtualMachine | Kind::ScaleSet => "Microsoft.Compute",
            _ => "Microsoft.Network",
        }
    }

    /// The type segment of the path, as ARM spells it.
    pub(crate) fn segment(self) -> &'static str {
        match self {
            Kind::VirtualNetwork => "virtualNetworks",
            Kind::PublicIpAddress => "publicIPAddresses",
            Kind::SecurityGroup => "networkSecurityGroups",
            Kind::NetworkInterface => "networkInterfaces",
            Kind::VirtualMachine => "virtualMachines",
            Kind::ScaleSet => "virtualMachineScaleSets",
        }
    }

    /// `Microsoft.Network/virtualNetworks`, the `type` of the resource and the stem of its RBAC actions.
    pub(crate) fn resource_type(self) -> String {
        format!("{}/{}", self.namespace(), self.segment())
    }

    fn parse(namespace: &str, segment: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| is(namespace, k.namespace()) && is(segment, k.segment()))
    }
}

/// Child resources that live inline in their parent's `properties`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChildKind {
    Subnet,
    SecurityRule,
}

impl ChildKind {
    pub(crate) fn parent(self) -> Kind {
        match self {
            ChildKind::Subnet => Kind::VirtualNetwork,
            ChildKind::SecurityRule => Kind::SecurityGroup,
        }
    }

    /// The path segment, which is also the parent's property holding the children.
    pub(crate) fn segment(self) -> &'static str {
        match self {
            ChildKind::Subnet => "subnets",
            ChildKind::SecurityRule => "securityRules",
        }
    }

    fn parse(parent: Kind, segment: &str) -> Option<ChildKind> {
        [ChildKind::Subnet, ChildKind::SecurityRule]
            .into_iter()
            .find(|c| c.parent() == parent && is(segment, c.segment()))
    }
}

/// A parsed path with the action an RBAC check uses (`{ns}/{types}/` + verb).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parsed {
    pub route: Route,
    /// e.g. `Microsoft.Compute/galleries/images`.
    pub resource_type: String,
}

pub(crate) fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect()
}

fn is(segment: &str, keyword: &str) -> bool {
    segment.eq_ignore_ascii_case(keyword)
}

/// Splits `{scope}/providers/Microsoft.Authorization/{rest}` at the last such provider segment.
fn split_authorization(segs: &[String]) -> Option<(String, &[String])> {
    let at = (0..segs.len().saturating_sub(1))
        .rev()
        .find(|&i| is(&segs[i], "providers") && is(&segs[i + 1], "Microsoft.Authorization"))?;
    let scope: String = segs[..at].iter().map(|s| format!("/{s}")).collect();
    Some((scope, &segs[at + 2..]))
}

fn authorization_route(scope: String, rest: &[String]) -> Option<Parsed> {
    let (kind, route) = match rest {
        [t] if is(t, "roleDefinitions") => ("roleDefinitions", Route::RoleDefinitions { scope }),
        [t, id] if is(t, "roleDefinitions") => (
            "roleDefinitions",
            Route::RoleDefinition {
                scope,
                id: id.clone(),
            },
        ),
        [t] if is(t, "roleAssignments") => ("roleAssignments", Route::RoleAssignments { scope }),
        [t, n] if is(t, "roleAssignments") => (
            "roleAssignments",
            Route::RoleAssignment {
                scope,
                name: n.clone(),
            },
        ),
        _ => return None,
    };
    Some(Parsed {
        route,
        resource_type: format!("Microsoft.Authorization/{kind}"),
    })
}

/// Parses a request path into a route, or `None` for an unknown resource type.
pub(crate) fn parse(path: &str) -> Option<Parsed> {
    let segs = segments(path);
    if let Some((scope, rest)) = split_authorization(&segs) {
        return authorization_route(scope, rest);
    }
    match segs.as_slice() {
        [s] if is(s, "subscriptions") => Some(resources(Route::Subscriptions, "subscriptions")),
        [t] if is(t, "tenants") => Some(resources(Route::Tenants, "tenants")),
        [p, ns, r]
            if is(p, "providers") && is(ns, "Microsoft.ResourceGraph") && is(r, "resources") =>
        {
            Some(Parsed {
                route: Route::ResourceGraph,
                resource_type: "Microsoft.ResourceGraph/resources".into(),
            })
        }
        [s, sub, rest @ ..] if is(s, "subscriptions") => subscription_route(sub.clone(), rest),
        _ => None,
    }
}

fn resources(route: Route, kind: &str) -> Parsed {
    Parsed {
        route,
        resource_type: format!("Microsoft.Resources/{kind}"),
    }
}

fn compute(route: Route, kind: &str) -> Option<Parsed> {
    Some(Parsed {
        route,
        resource_type: format!("Microsoft.Compute/{kind}"),
    })
}

fn subscription_route(sub: String, rest: &[String]) -> Option<Parsed> {
    match rest {
        [] => Some(resources(Route::Subscription { sub }, "subscriptions")),
        [r] if is(r, "resourceGroups") => Some(resources(
            Route::ResourceGroups { sub },
            "subscriptions/resourceGroups",
        )),
        [r, rg] if is(r, "resourceGroups") => Some(resources(
            Route::ResourceGroup {
                sub,
                rg: rg.clone(),
            },
            "subscriptions/resourceGroups",
        )),
        [r, rg, p, ns, t, rest @ ..]
            if is(r, "resourceGroups") && is(p, "providers") && Kind::parse(ns, t).is_some() =>
        {
            let kind = Kind::parse(ns, t)?;
            resource_route(sub, rg.clone(), kind, rest)
        }
        [r, rg, p, ns, tail @ ..]
            if is(r, "resourceGroups") && is(p, "providers") && is(ns, "Microsoft.Compute") =>
        {
            resource_group_compute(sub, rg.clone(), tail)
        }
        [p, ns, tail @ ..] if is(p, "providers") && is(ns, "Microsoft.Compute") => {
            subscription_compute(sub, tail)
        }
        [p, ns, l, _location, o, id]
            if is(p, "providers")
                && is(ns, "Microsoft.Network")
                && is(l, "locations")
                && (is(o, "operations") || is(o, "operationResults")) =>
        {
            Some(Parsed {
                route: Route::ProviderOperation {
                    sub,
                    id: id.clone(),
                    result: is(o, "operationResults"),
                },
                resource_type: "Microsoft.Network/locations/operations".into(),
            })
        }
        _ => None,
    }
}

/// `{kind}[/{name}[/{children}[/{child}]]]` under a resource group.
fn resource_route(sub: String, rg: String, kind: Kind, rest: &[String]) -> Option<Parsed> {
    let (route, resource_type) = match rest {
        [] => (Route::Resources { sub, rg, kind }, kind.resource_type()),
        [name] => (
            Route::Resource {
                sub,
                rg,
                kind,
                name: name.clone(),
            },
            kind.resource_type(),
        ),
        [name, c, tail @ ..] => {
            let child = ChildKind::parse(kind, c)?;
            let resource_type = format!("{}/{}", kind.resource_type(), child.segment());
            let name = name.clone();
            match tail {
                [] => (
                    Route::Children {
                        sub,
                        rg,
                        kind,
                        name,
                        child,
                    },
                    resource_type,
                ),
                [child_name] => (
                    Route::Child {
                        sub,
                        rg,
                        kind,
                        name,
                        child,
                        child_name: child_name.clone(),
                    },
                    resource_type,
                ),
                _ => return None,
            }
        }
    };
    Some(Parsed {
        route,
        resource_type,
    })
}

fn resource_group_compute(sub: String, rg: String, tail: &[String]) -> Option<Parsed> {
    match tail {
        [t, name] if is(t, "images") => compute(
            Route::ManagedImage {
                sub,
                rg,
                name: name.clone(),
            },
            "images",
        ),
        [t] if is(t, "galleries") => compute(Route::Galleries { sub, rg: Some(rg) }, "galleries"),
        [t, g, rest @ ..] if is(t, "galleries") => gallery_route(sub, rg, g.clone(), rest),
        _ => None,
    }
}

fn gallery_route(sub: String, rg: String, gallery: String, rest: &[String]) -> Option<Parsed> {
    match rest {
        [] => compute(Route::Gallery { sub, rg, gallery }, "galleries"),
        [s] if is(s, "share") => {
            compute(Route::GalleryShare { sub, rg, gallery }, "galleries/share")
        }
        [i] if is(i, "images") => compute(Route::Images { sub, rg, gallery }, "galleries/images"),
        [i, image] if is(i, "images") => compute(
            Route::Image {
                sub,
                rg,
                gallery,
                image: image.clone(),
            },
            "galleries/images",
        ),
        [i, image, v] if is(i, "images") && is(v, "versions") => compute(
            Route::Versions {
                sub,
                rg,
                gallery,
                image: image.clone(),
            },
            "galleries/images/versions",
        ),
        [i, image, v, version] if is(i, "images") && is(v, "versions") => compute(
            Route::Version {
                sub,
                rg,
                gallery,
                image: image.clone(),
                version: version.clone(),
            },
            "galleries/images/versions",
        ),
        _ => None,
    }
}

fn subscription_compute(sub: String, tail: &[String]) -> Option<Parsed> {
    match tail {
        [t] if is(t, "galleries") => compute(Route::Galleries { sub, rg: None }, "galleries"),
        [l, location, rest @ ..] if is(l, "locations") => {
            location_route(sub, location.clone(), rest)
        }
        _ => None,
    }
}

fn location_route(sub: String, location: String, rest: &[String]) -> Option<Parsed> {
    let shared = "locations/sharedGalleries";
    match rest {
        [c, id] if is(c, "capsOperations") => compute(
            Route::CapsOperation {
                sub,
                location,
                id: id.clone(),
            },
            "locations/capsOperations",
        ),
        [o, id] if is(o, "operations") => compute(
            Route::ProviderOperation {
                sub,
                id: id.clone(),
                result: false,
            },
            "locations/operations",
        ),
        [s] if is(s, "sharedGalleries") => {
            compute(Route::SharedGalleries { sub, location }, shared)
        }
        [s, unique, tail @ ..] if is(s, "sharedGalleries") => {
            shared_route(sub, location, unique.clone(), tail)
        }
        [c, public, tail @ ..] if is(c, "communityGalleries") => {
            community_route(sub, location, public.clone(), tail)
        }
        _ => None,
    }
}

fn shared_route(sub: String, location: String, unique: String, rest: &[String]) -> Option<Parsed> {
    let route = match rest {
        [] => Route::SharedGallery {
            sub,
            location,
            unique,
        },
        [i] if is(i, "images") => Route::SharedImages {
            sub,
            location,
            unique,
        },
        [i, image] if is(i, "images") => Route::SharedImage {
            sub,
            location,
            unique,
            image: image.clone(),
        },
        [i, image, v] if is(i, "images") && is(v, "versions") => Route::SharedVersions {
            sub,
            location,
            unique,
            image: image.clone(),
        },
        [i, image, v, version] if is(i, "images") && is(v, "versions") => Route::SharedVersion {
            sub,
            location,
            unique,
            image: image.clone(),
            version: version.clone(),
        },
        _ => return None,
    };
    compute(route, "locations/sharedGalleries")
}

/// `communityGalleries/{public}[/images[/{i}[/versions[/{v}]]]]`; there is no list of community
/// galleries in Compute (Resource Graph lists them).
fn community_route(
    sub: String,
    location: String,
    public: String,
    rest: &[String],
) -> Option<Parsed> {
    let route = match rest {
        [] => Route::CommunityGallery {
            sub,
            location,
            public,
        },
        [i] if is(i, "images") => Route::CommunityImages {
            sub,
            location,
            public,
        },
        [i, image] if is(i, "images") => Route::CommunityImage {
            sub,
            location,
            public,
            image: image.clone(),
        },
        [i, image, v] if is(i, "images") && is(v, "versions") => Route::CommunityVersions {
            sub,
            location,
            public,
            image: image.clone(),
        },
        [i, image, v, version] if is(i, "images") && is(v, "versions") => Route::CommunityVersion {
            sub,
            location,
            public,
            image: image.clone(),
            version: version.clone(),
        },
        _ => return None,
    };
    compute(route, "locations/communityGalleries")
}

/// The subscription a route acts in, for the tenant check.
pub(crate) fn subscription_of(route: &Route) -> Option<&str> {
    use Route::*;
    match route {
        Subscriptions | Tenants | ResourceGraph => None,
        RoleDefinitions { scope }
        | RoleDefinition { scope, .. }
        | RoleAssignments { scope }
        | RoleAssignment { scope, .. } => scope_subscription(scope),
        Subscription { sub }
        | ResourceGroups { sub }
        | ResourceGroup { sub, .. }
        | ManagedImage { sub, .. }
        | Galleries { sub, .. }
        | Gallery { sub, .. }
        | GalleryShare { sub, .. }
        | Images { sub, .. }
        | Image { sub, .. }
        | Versions { sub, .. }
        | Version { sub, .. }
        | CapsOperation { sub, .. }
        | SharedGalleries { sub, .. }
        | SharedGallery { sub, .. }
        | SharedImages { sub, .. }
        | SharedImage { sub, .. }
        | SharedVersions { sub, .. }
        | SharedVersion { sub, .. }
        | CommunityGallery { sub, .. }
        | CommunityImages { sub, .. }
        | CommunityImage { sub, .. }
        | CommunityVersions { sub, .. }
        | CommunityVersion { sub, .. }
        | ProviderOperation { sub, .. }
        | Resources { sub, .. }
        | Resource { sub, .. }
        | Children { sub, .. }
        | Child { sub, .. } => Some(sub),
    }
}

/// The subscription id of a scope `/subscriptions/{id}[/...]`.
pub(crate) fn scope_subscription(scope: &str) -> Option<&str> {
    let rest = scope.strip_prefix('/')?;
    let (keyword, rest) = rest.split_once('/')?;
    if !is(keyword, "subscriptions") {
        return None;
    }
    let id = rest.split_once('/').map_or(rest, |(id, _)| id);
    (!id.is_empty()).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_case_insensitively_and_keeps_names() {
        let p = parse("/SUBSCRIPTIONS/s/resourcegroups/RG/providers/microsoft.compute/Galleries/G1/IMAGES/i/versions/1.0.0")
            .unwrap();
        assert_eq!(
            p.route,
            Route::Version {
                sub: "s".into(),
                rg: "RG".into(),
                gallery: "G1".into(),
                image: "i".into(),
                version: "1.0.0".into()
            }
        );
        assert_eq!(
            p.resource_type,
            "Microsoft.Compute/galleries/images/versions"
        );
    }

    #[test]
    fn authorization_scope_may_be_any_resource() {
        let p = parse("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/providers/Microsoft.Authorization/roleAssignments/x")
            .unwrap();
        assert_eq!(
            p.route,
            Route::RoleAssignment {
                scope: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g"
                    .into(),
                name: "x".into()
            }
        );
        assert_eq!(
            scope_subscription("/subscriptions/s/resourceGroups/rg"),
            Some("s")
        );
    }

    #[test]
    fn network_and_compute_resources_parse_with_children() {
        let p = parse("/subscriptions/s/resourcegroups/rg/providers/microsoft.network/VIRTUALNETWORKS/v/Subnets/default")
            .unwrap();
        assert_eq!(
            p.route,
            Route::Child {
                sub: "s".into(),
                rg: "rg".into(),
                kind: Kind::VirtualNetwork,
                name: "v".into(),
                child: ChildKind::Subnet,
                child_name: "default".into()
            }
        );
        assert_eq!(p.resource_type, "Microsoft.Network/virtualNetworks/subnets");
        let vm = parse(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1",
        )
        .unwrap();
        assert_eq!(vm.resource_type, "Microsoft.Compute/virtualMachines");
        assert!(parse("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/p/subnets/x").is_none());
        assert!(matches!(
            parse(
                "/subscriptions/s/providers/Microsoft.Network/locations/eastus/operationResults/1"
            )
            .unwrap()
            .route,
            Route::ProviderOperation { result: true, .. }
        ));
    }

    #[test]
    fn community_views_and_resource_graph_parse() {
        let p = parse("/subscriptions/s/providers/microsoft.compute/Locations/eastus/COMMUNITYGALLERIES/Pub-1/images/i/versions/latest")
            .unwrap();
        assert_eq!(
            p.route,
            Route::CommunityVersion {
                sub: "s".into(),
                location: "eastus".into(),
                public: "Pub-1".into(),
                image: "i".into(),
                version: "latest".into()
            }
        );
        assert!(parse(
            "/subscriptions/s/providers/Microsoft.Compute/locations/eastus/communityGalleries"
        )
        .is_none());
        let rg = parse("/providers/microsoft.resourcegraph/RESOURCES").unwrap();
        assert_eq!(rg.route, Route::ResourceGraph);
        assert_eq!(subscription_of(&rg.route), None);
    }

    #[test]
    fn unknown_paths_do_not_parse() {
        assert!(parse("/subscriptions/s/providers/Microsoft.Storage/storageAccounts").is_none());
        assert!(parse("/foo").is_none());
    }
}
