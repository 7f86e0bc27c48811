//! The Azure CLI's output shape: `properties` flattened one level into the object, a shared/community
//! item's `identifier` flattened (so it exposes `uniqueId`), `resourceGroup` added from the id, and keys
//! sorted as `az -o json` prints them.

use crate::ids::ResourceId;
use serde_json::Value;

pub fn shape(v: Value) -> Value {
    top(v)
}

/// The top level: a consumer-view item's `uniqueId` is lifted, then every level is flattened.
fn top(v: Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.into_iter().map(top).collect()),
        Value::Object(mut obj) => {
            // A consumer-view item's top-level `identifier` holds only `uniqueId`; lift it out first so the
            // image's own `properties.identifier` (publisher/offer/sku) takes its place, as the CLI shows.
            let unique_id = obj
                .get("identifier")
                .and_then(|i| i.get("uniqueId"))
                .cloned();
            if let Some(uid) = unique_id {
                if obj
                    .get("identifier")
                    .and_then(Value::as_object)
                    .is_some_and(|i| i.len() == 1)
                {
                    obj.remove("identifier");
                }
                obj.insert("uniqueId".into(), uid);
            }
            nested(Value::Object(obj))
        }
        other => other,
    }
}

/// Every level, as the CLI's models and `_add_resource_group` do: sub-resources (NIC ip configurations,
/// subnets, rules) flatten their `properties` too, and any object with an `id` in a resource group gains
/// `resourceGroup` (except under `sourceVault`). Tags are user data and stay as they are. Keys come out
/// sorted at every depth.
fn nested(mut v: Value) -> Value {
    nested_in_place(&mut v);
    v
}

/// `nested` on a value in place: each object is flattened, then sorted where it stands (its entries
/// and their hashes are reused, nothing is rebuilt).
fn nested_in_place(v: &mut Value) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(nested_in_place),
        Value::Object(obj) => {
            if let Some(Value::Object(props)) = obj.remove("properties") {
                for (k, v) in props {
                    obj.entry(k).or_insert(v);
                }
            }
            let has_rg = obj.keys().any(|k| k.eq_ignore_ascii_case("resourceGroup"));
            if !has_rg {
                if let Some(rg) = obj
                    .get("id")
                    .and_then(Value::as_str)
                    .and_then(ResourceId::resource_group_of)
                {
                    obj.insert("resourceGroup".into(), Value::String(rg));
                }
            }
            obj.sort_keys();
            for (k, v) in obj.iter_mut() {
                if k == "tags" || k == "sourceVault" {
                    sort_in_place(v);
                } else {
                    nested_in_place(v);
                }
            }
        }
        _ => {}
    }
}

/// Sorts keys at every depth (`az` prints with sort_keys).
pub fn sort(mut v: Value) -> Value {
    sort_in_place(&mut v);
    v
}

fn sort_in_place(v: &mut Value) {
    match v {
        Value::Object(obj) => {
            obj.sort_keys();
            obj.values_mut().for_each(sort_in_place);
        }
        Value::Array(items) => items.iter_mut().for_each(sort_in_place),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn gallery_is_flattened_with_resource_group() {
        let v = shape(
            json!({"name":"g","id":"/subscriptions/s/resourceGroups/RG/providers/Microsoft.Compute/galleries/g",
            "properties":{"identifier":{"uniqueName":"S-G"},"provisioningState":"Succeeded"}}),
        );
        assert_eq!(v["resourceGroup"], "RG");
        assert_eq!(v["identifier"]["uniqueName"], "S-G");
        assert_eq!(v["provisioningState"], "Succeeded");
        assert!(v.get("properties").is_none());
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn sub_resources_are_flattened_with_their_resource_group() {
        let v = shape(
            json!({"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/n",
            "properties":{"ipConfigurations":[{"name":"c","properties":{"subnet":{"id":"/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/x"}}}]},
            "tags":{"properties":{"keep":"me"}}}),
        );
        assert_eq!(v["ipConfigurations"][0]["subnet"]["resourceGroup"], "net");
        assert_eq!(v["tags"]["properties"]["keep"], "me");
    }

    #[test]
    fn shared_items_expose_unique_id() {
        let v = shape(
            json!([{"name":"u","location":"eastus","identifier":{"uniqueId":"/SharedGalleries/u"}}]),
        );
        assert_eq!(v[0]["uniqueId"], "/SharedGalleries/u");
        assert!(v[0].get("identifier").is_none());
        assert!(v[0].get("resourceGroup").is_none());
    }

    #[test]
    fn shared_image_keeps_its_publisher_identifier() {
        let v = shape(
            json!({"name":"i","identifier":{"uniqueId":"/SharedGalleries/u/Images/i"},
            "properties":{"identifier":{"publisher":"p","offer":"o","sku":"s"}}}),
        );
        assert_eq!(v["uniqueId"], "/SharedGalleries/u/Images/i");
        assert_eq!(v["identifier"]["publisher"], "p");
    }
}
