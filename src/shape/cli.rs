//! The Azure CLI's output shape: `properties` flattened one level into the object, a shared/community
//! item's `identifier` flattened (so it exposes `uniqueId`), `resourceGroup` added from the id, and keys
//! sorted as `az -o json` prints them.

use crate::ids::ResourceId;
use serde_json::{Map, Value};

pub fn shape(v: Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.into_iter().map(shape).collect()),
        Value::Object(obj) => sort(Value::Object(flatten(obj))),
        other => other,
    }
}

fn flatten(mut obj: Map<String, Value>) -> Map<String, Value> {
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
    if let Some(Value::Object(props)) = obj.remove("properties") {
        for (k, v) in props {
            obj.entry(k).or_insert(v);
        }
    }
    if let Some(rg) = obj
        .get("id")
        .and_then(Value::as_str)
        .and_then(ResourceId::resource_group_of)
    {
        obj.insert("resourceGroup".into(), Value::String(rg));
    }
    obj
}

/// Sorts keys at every depth (`az` prints with sort_keys).
pub fn sort(v: Value) -> Value {
    match v {
        Value::Object(obj) => {
            let mut entries: Vec<(String, Value)> = obj.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sort(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sort).collect()),
        other => other,
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
