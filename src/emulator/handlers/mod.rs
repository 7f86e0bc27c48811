//! One handler file per resource family; `dispatch` picks the handler of a parsed route.

mod authorization;
mod community;
mod compute;
mod deploy;
mod galleries;
pub(crate) mod graph;
mod images;
mod network;
mod operations;
mod resource_graph;
mod resource_groups;
mod shared;
mod subscriptions;

use super::arm::{ArmResult, Ctx};
use super::path::Route;

pub(crate) fn dispatch(ctx: &Ctx, route: &Route) -> ArmResult {
    use Route::*;
    match route {
        Subscriptions | Tenants | Subscription { .. } => subscriptions::handle(ctx, route),
        ResourceGroups { .. } | ResourceGroup { .. } | ManagedImage { .. } => {
            resource_groups::handle(ctx, route)
        }
        RoleDefinitions { .. }
        | RoleDefinition { .. }
        | RoleAssignments { .. }
        | RoleAssignment { .. } => authorization::handle(ctx, route),
        Galleries { .. } | Gallery { .. } | GalleryShare { .. } => galleries::handle(ctx, route),
        Images { .. } | Image { .. } | Versions { .. } | Version { .. } => {
            images::handle(ctx, route)
        }
        CapsOperation { .. } | ProviderOperation { .. } => operations::handle(ctx, route),
        Resources { kind, .. }
        | Resource { kind, .. }
        | Children { kind, .. }
        | Child { kind, .. } => {
            if kind.namespace() == "Microsoft.Network" {
                network::handle(ctx, route)
            } else {
                compute::handle(ctx, route)
            }
        }
        SharedGalleries { .. }
        | SharedGallery { .. }
        | SharedImages { .. }
        | SharedImage { .. }
        | SharedVersions { .. }
        | SharedVersion { .. } => shared::handle(ctx, route),
        CommunityGallery { .. }
        | CommunityImages { .. }
        | CommunityImage { .. }
        | CommunityVersions { .. }
        | CommunityVersion { .. } => community::handle(ctx, route),
        ResourceGraph => resource_graph::handle(ctx),
    }
}
