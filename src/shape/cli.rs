//! The Azure CLI's output shape: `properties` flattened one level into the object, a shared/community
//! item's `identifier` flattened (so it exposes `uniqueId`), `resourceGroup` added from the id, and keys
//! sorted as `az -o json` prints them.
//!
//! The rules run while the JSON is read — a response body's bytes (`from_slice`, `page_items`) or a
//! value already parsed (`shape`, `sort`) — and every node is built once, finished, by a `Build`: a
//! result reaches Python without a parsed tree, a reshaped copy and a conversion in between.

use super::build::{Build, ValueBuild};
use crate::ids::ResourceId;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;

/// How a result is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `az -o json`: the rules above.
    Cli,
    /// Keys sorted at every depth, nothing flattened (models the CLI does not flatten).
    Sorted,
    /// As the service sent it.
    AsSent,
}

/// The CLI shape of a parsed value.
pub fn shape(v: Value) -> Value {
    reshape(v, Layout::Cli)
}

/// Keys sorted at every depth (`az` prints with sort_keys).
pub fn sort(v: Value) -> Value {
    reshape(v, Layout::Sorted)
}

/// A parsed value read into `layout`, built by `b` (the value stays as it is).
pub fn from_value<B: Build>(v: &Value, layout: Layout, b: B) -> serde_json::Result<B::Node> {
    Seed::new(b, layout).deserialize(v)
}

fn reshape(v: Value, layout: Layout) -> Value {
    Seed::new(ValueBuild, layout)
        .deserialize(v)
        .expect("a parsed value reads back")
}

/// A response body read into `layout`, built by `b`. No body is null, as for `Response::json`.
pub fn from_slice<B: Build>(json: &[u8], layout: Layout, b: B) -> serde_json::Result<B::Node> {
    if json.is_empty() {
        return b.null().map_err(de::Error::custom);
    }
    let mut de = serde_json::Deserializer::from_str(utf8(json)?);
    let node = Seed::new(b, layout).deserialize(&mut de)?;
    de.end()?;
    Ok(node)
}

/// A body as text. JSON is UTF-8; checked here in one pass over the body, serde then takes each string
/// as it is instead of checking it again (which reading the bytes does, string by string).
pub fn utf8(json: &[u8]) -> serde_json::Result<&str> {
    std::str::from_utf8(json).map_err(|e| de::Error::custom(format!("the body is not UTF-8 ({e})")))
}

/// The items of one page of an ARM list (`{"value": [...], ...}`), each read into `layout`, appended
/// to `out`. The rest of the page is skipped unbuilt.
pub fn page_items<B: Build>(
    json: &[u8],
    layout: Layout,
    b: B,
    out: &mut Vec<B::Node>,
) -> serde_json::Result<()> {
    let mut de = serde_json::Deserializer::from_str(utf8(json)?);
    (&mut de).deserialize_map(PageItems {
        b,
        mode: layout.mode(),
        out,
    })?;
    de.end()
}

/// Where a value sits, which decides how its objects come out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A result, or an item of a result list: a consumer-view item's `identifier` is lifted, then as Nested.
    Top,
    /// Every level below, as the CLI's models and `_add_resource_group` do: sub-resources (NIC ip
    /// configurations, subnets, rules) flatten their `properties` too, and any object with an `id` in a
    /// resource group gains `resourceGroup`.
    Nested,
    /// Sorted only: `tags` (user data) and `sourceVault`, and everything in them.
    Sorted,
    AsSent,
}

impl Mode {
    /// The mode of the value under `key` of an object in this mode.
    fn child(self, key: &str) -> Mode {
        match self {
            Mode::Top | Mode::Nested if key == "tags" || key == "sourceVault" => Mode::Sorted,
            Mode::Top | Mode::Nested => Mode::Nested,
            m => m,
        }
    }
}

/// What a value tells the object it sits in, besides its node.
enum Report<'r, N> {
    Nothing,
    /// The top level's `identifier`: how many distinct keys it was sent with, and its `uniqueId` (shaped).
    Identifier(&'r RefCell<Option<(usize, Option<N>)>>),
    /// An `id`: the resource group it names (read from the text as it goes by).
    Id(&'r RefCell<Option<String>>),
}

/// Reads one value in `mode`; a list's items sit where the list does.
struct Seed<'r, B: Build> {
    b: B,
    mode: Mode,
    report: Report<'r, B::Node>,
}

impl Layout {
    /// The mode of a result (or of each item of a result list).
    fn mode(self) -> Mode {
        match self {
            Layout::Cli => Mode::Top,
            Layout::Sorted => Mode::Sorted,
            Layout::AsSent => Mode::AsSent,
        }
    }
}

impl<B: Build> Seed<'_, B> {
    fn new(b: B, layout: Layout) -> Self {
        Seed {
            b,
            mode: layout.mode(),
            report: Report::Nothing,
        }
    }

    fn at<'x>(&self, mode: Mode) -> Seed<'x, B> {
        Seed {
            b: self.b,
            mode,
            report: Report::Nothing,
        }
    }

    /// The seed of the value under `key` of an object in this seed's mode, reporting to `id` if the
    /// value is an id whose resource group the object may show.
    fn child<'x>(&self, key: &str, id: &'x RefCell<Option<String>>) -> Seed<'x, B> {
        let mut child = self.at(self.mode.child(key));
        if key == "id" && matches!(self.mode, Mode::Top | Mode::Nested) {
            id.replace(None);
            child.report = Report::Id(id);
        }
        child
    }
}

fn built<N, E: de::Error>(r: Result<N, impl fmt::Display>) -> Result<N, E> {
    r.map_err(E::custom)
}

impl<'de, B: Build> DeserializeSeed<'de> for Seed<'_, B> {
    type Value = B::Node;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<B::Node, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, B: Build> Visitor<'de> for Seed<'_, B> {
    type Value = B::Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<B::Node, E> {
        built(self.b.null())
    }
    fn visit_none<E: de::Error>(self) -> Result<B::Node, E> {
        built(self.b.null())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<B::Node, E> {
        built(self.b.bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<B::Node, E> {
        built(self.b.i64(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<B::Node, E> {
        built(self.b.u64(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<B::Node, E> {
        built(self.b.f64(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<B::Node, E> {
        if let Report::Id(rg) = self.report {
            rg.replace(ResourceId::resource_group_of(v));
        }
        built(self.b.str(v))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<B::Node, E> {
        if let Report::Id(rg) = self.report {
            rg.replace(ResourceId::resource_group_of(&v));
        }
        built(self.b.string(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<B::Node, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(self.at(self.mode))? {
            items.push(item);
        }
        built(self.b.list(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<B::Node, A::Error> {
        let entries = object(&self, map)?;
        built(self.b.object(entries))
    }
}

type Entries<'de, N> = Vec<(Cow<'de, str>, N)>;

/// The entries of an object in `seed`'s mode, finished: flattened, completed and sorted as the mode says.
fn object<'de, B: Build, A: MapAccess<'de>>(
    seed: &Seed<'_, B>,
    mut map: A,
) -> Result<Entries<'de, B::Node>, A::Error> {
    let (b, mode) = (seed.b, seed.mode);
    let flatten = matches!(mode, Mode::Top | Mode::Nested);
    let identifier = RefCell::new(None);
    let id = RefCell::new(None);
    let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(16));
    let mut properties = None;
    let mut had_properties = false;
    while let Some(key) = map.next_key_seed(Key)? {
        if flatten && key == "properties" {
            // A later `properties` replaces an earlier one; one that is not an object is dropped.
            had_properties = true;
            properties = map.next_value_seed(Properties(b))?;
            continue;
        }
        let mut child = seed.child(&key, &id);
        if mode == Mode::Top && key == "identifier" {
            identifier.replace(None);
            child.report = Report::Identifier(&identifier);
        }
        let node = map.next_value_seed(child)?;
        entries.push((key, node));
    }
    if mode == Mode::AsSent {
        return Ok(entries);
    }
    sort_distinct(&mut entries);
    if let Report::Identifier(report) = seed.report {
        let unique_id = find(&entries, "uniqueId")
            .ok()
            .map(|i| entries[i].1.clone());
        report.replace(Some((
            entries.len() + usize::from(had_properties),
            unique_id,
        )));
    }
    if !flatten {
        return Ok(entries);
    }
    // A consumer-view item's top-level `identifier` holds only `uniqueId`; it is lifted out first so the
    // image's own `properties.identifier` (publisher/offer/sku) takes its place, as the CLI shows.
    if let Some((keys, Some(unique_id))) = identifier.into_inner() {
        if keys == 1 {
            if let Ok(i) = find(&entries, "identifier") {
                entries.remove(i);
            }
        }
        upsert(&mut entries, Cow::Borrowed("uniqueId"), unique_id);
    }
    // The resource group comes from the `id` the object ends up with: its own, else its properties'.
    let mut rg = match find(&entries, "id") {
        Ok(_) => id.into_inner(),
        Err(_) => None,
    };
    if let Some(mut flattened) = properties {
        sort_distinct(&mut flattened.entries);
        if find(&entries, "id").is_err() && find(&flattened.entries, "id").is_ok() {
            rg = flattened.id_resource_group;
        }
        for (k, v) in flattened.entries {
            if let Err(i) = find(&entries, &k) {
                entries.insert(i, (k, v));
            }
        }
    }
    if let Some(rg) = rg {
        if !entries
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("resourceGroup"))
        {
            upsert(
                &mut entries,
                Cow::Borrowed("resourceGroup"),
                built(b.string(rg))?,
            );
        }
    }
    Ok(entries)
}

/// Sorted by key; of a repeated key the last value stays, as in a parsed map.
fn sort_distinct<N>(entries: &mut Entries<'_, N>) {
    entries.sort_by(|x, y| x.0.cmp(&y.0)); // stable: a repeated key's values stay in the order sent
    entries.dedup_by(|later, earlier| {
        let same = later.0 == earlier.0;
        if same {
            std::mem::swap(later, earlier);
        }
        same
    });
}

fn find<N>(sorted: &Entries<'_, N>, key: &str) -> Result<usize, usize> {
    sorted.binary_search_by(|(k, _)| k.as_ref().cmp(key))
}

fn upsert<'de, N>(sorted: &mut Entries<'de, N>, key: Cow<'de, str>, node: N) {
    match find(sorted, &key) {
        Ok(i) => sorted[i].1 = node,
        Err(i) => sorted.insert(i, (key, node)),
    }
}

/// An object key, borrowed from the body when it has no escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(Key)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v))
    }
}

/// An object's `properties`: its entries (each value read as a child of the object it is flattened
/// into), or nothing when it is not an object.
struct Properties<B>(B);

struct Flattened<'de, N> {
    entries: Entries<'de, N>,
    /// The resource group named by its `id`, if it has one.
    id_resource_group: Option<String>,
}

impl<'de, B: Build> DeserializeSeed<'de> for Properties<B> {
    type Value = Option<Flattened<'de, B::Node>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, B: Build> Visitor<'de> for Properties<B> {
    type Value = Option<Flattened<'de, B::Node>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // Read as the children of the object they join.
        let parent = Seed {
            b: self.0,
            mode: Mode::Nested,
            report: Report::Nothing,
        };
        let id = RefCell::new(None);
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(16));
        while let Some(key) = map.next_key_seed(Key)? {
            let node = map.next_value_seed(parent.child(&key, &id))?;
            entries.push((key, node));
        }
        Ok(Some(Flattened {
            entries,
            id_resource_group: id.into_inner(),
        }))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// The items of a list page's `value` array, each read in `mode` and appended to `out`: the visitor of the
/// page (whose other keys are skipped unbuilt) and the seed of the array.
struct PageItems<'o, B: Build> {
    b: B,
    mode: Mode,
    out: &'o mut Vec<B::Node>,
}

impl<'de, B: Build> DeserializeSeed<'de> for PageItems<'_, B> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, B: Build> Visitor<'de> for PageItems<'_, B> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list page and its 'value' array")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let start = self.out.len();
        while let Some(key) = map.next_key_seed(Key)? {
            if key == "value" {
                // As in a parsed map, a repeated `value` replaces the first.
                self.out.truncate(start);
                map.next_value_seed(PageItems {
                    b: self.b,
                    mode: self.mode,
                    out: &mut *self.out,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let seed = || Seed {
            b: self.b,
            mode: self.mode,
            report: Report::Nothing,
        };
        while let Some(item) = seq.next_element_seed(seed())? {
            self.out.push(item);
        }
        Ok(())
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

    /// The corners of the rules, each pinned: what the top level, `properties` and repeated keys do.
    const CORNERS: &str = r#"{
        "name": "first", "name": "last",
        "identifier": {"uniqueId": "/SharedGalleries/u", "extra": 1},
        "uniqueId": "replaced",
        "properties": {"ignored": "an earlier properties is replaced"},
        "properties": {"name": "top level wins", "properties": {"inner": {"x": 1}},
                       "tags": {"b": {"properties": 1}, "a": 2}, "dup": 1, "dup": 2},
        "sub": {"id": "/subscriptions/s/resourceGroups/InSub/providers/P/t/n", "properties": "dropped"},
        "ResourceGroup": "already there", "id": "/subscriptions/s/resourceGroups/x/providers/P/t/n",
        "sourceVault": {"id": "/subscriptions/s/resourceGroups/kv/providers/P/v/k", "z": 1, "a": 0},
        "list": [{"properties": {"a": 1}}, 3, null, "s", 1.5, -2, true]
    }"#;

    #[test]
    fn corners_of_the_cli_shape() {
        let v = from_slice(CORNERS.as_bytes(), Layout::Cli, ValueBuild).unwrap();
        assert_eq!(v["name"], "last");
        // `identifier` had more than `uniqueId`: it stays, and its uniqueId is lifted over the top level's.
        assert_eq!(v["identifier"]["extra"], 1);
        assert_eq!(v["uniqueId"], "/SharedGalleries/u");
        assert!(v.get("ignored").is_none());
        assert_eq!(v["dup"], 2);
        // A `properties` inside `properties` is an ordinary child, itself flattened.
        assert_eq!(v["properties"], json!({"inner": {"x": 1}}));
        assert_eq!(v["tags"]["b"], json!({"properties": 1}));
        let tag_keys: Vec<&String> = v["tags"].as_object().unwrap().keys().collect();
        assert_eq!(tag_keys, ["a", "b"]);
        assert_eq!(
            v["sub"],
            json!({"id": "/subscriptions/s/resourceGroups/InSub/providers/P/t/n", "resourceGroup": "InSub"})
        );
        assert!(v.get("resourceGroup").is_none(), "ResourceGroup counts");
        assert!(v["sourceVault"].get("resourceGroup").is_none());
        let vault_keys: Vec<&String> = v["sourceVault"].as_object().unwrap().keys().collect();
        assert_eq!(vault_keys, ["a", "id", "z"]);
        assert_eq!(v["list"], json!([{"a": 1}, 3, null, "s", 1.5, -2, true]));
        // The same rules from a parsed value.
        let parsed: Value = serde_json::from_str(CORNERS).unwrap();
        assert_eq!(shape(parsed), v);
    }

    #[test]
    fn sorted_and_as_sent_layouts() {
        let text = r#"{"b": {"properties": {"d": 1, "c": 2}}, "a": [{"z": 1, "y": 2}], "b": {"properties": 0}}"#;
        let sorted = from_slice(text.as_bytes(), Layout::Sorted, ValueBuild).unwrap();
        assert_eq!(
            sorted.to_string(),
            r#"{"a":[{"y":2,"z":1}],"b":{"properties":0}}"#
        );
        let sent = from_slice(text.as_bytes(), Layout::AsSent, ValueBuild).unwrap();
        assert_eq!(sent, serde_json::from_str::<Value>(text).unwrap());
        assert_eq!(
            from_slice(b"", Layout::Cli, ValueBuild).unwrap(),
            Value::Null
        );
        assert!(from_slice(b"{} x", Layout::Cli, ValueBuild).is_err());
        let not_utf8 = from_slice(b"{\"a\": \"\xff\"}", Layout::Cli, ValueBuild).unwrap_err();
        assert!(not_utf8.to_string().contains("not UTF-8"), "{not_utf8}");
    }

    #[test]
    fn page_items_are_the_value_array() {
        let page = br#"{"nextLink": "https://h/x", "value": [{"properties": {"a": 1}, "id": "/subscriptions/s/resourceGroups/r/providers/P/t/n"}], "other": {"deep": [1]}}"#;
        let mut out = vec![json!("kept")];
        page_items(page, Layout::Cli, ValueBuild, &mut out).unwrap();
        assert_eq!(
            out,
            [
                json!("kept"),
                json!({"a": 1, "id": "/subscriptions/s/resourceGroups/r/providers/P/t/n", "resourceGroup": "r"})
            ]
        );
    }
}
