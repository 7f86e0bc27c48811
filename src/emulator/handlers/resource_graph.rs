//! Azure Resource Graph, as much of it as `az sig list-community` needs:
//! `POST /providers/Microsoft.ResourceGraph/resources` with a query over the
//! `communitygalleryresources` table, filtered to community galleries and optionally to one
//! location. Compute has no list of community galleries, so this is the only way to find them.
//!
//! Anything else is refused with Resource Graph's 400 error shape, so a client relying on more
//! KQL than the emulator models fails loudly instead of getting wrong rows.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};

use super::community::{gallery_properties, published};
use super::images::target_regions;
use crate::emulator::arm::{json_response, method_not_allowed, ArmError, ArmResult, Ctx};
use crate::emulator::store::{normalize_location, Gallery, World};

const TABLE: &str = "communitygalleryresources";
/// The row type of a community gallery, lower-cased as Resource Graph stores types.
const GALLERY_TYPE: &str = "microsoft.compute/locations/communitygalleries";
/// Resource Graph's defaults and limit for `options.$top`.
const DEFAULT_TOP: usize = 100;
const MAX_TOP: usize = 1000;

pub(super) fn handle(ctx: &Ctx) -> ArmResult {
    if ctx.method != Method::POST {
        return Err(method_not_allowed(ctx));
    }
    let request = QueryRequest::parse(&ctx.body)?;
    let filter = Filter::parse(&request.query)?;
    let rows = {
        let world = ctx.shared.world.lock();
        gallery_rows(&world, &filter)
    };
    Ok(json_response(StatusCode::OK, request.page(rows)))
}

/// The request body: `{"query", "options": {"$top", "$skip", "$skipToken", "resultFormat"}, "subscriptions"?}`.
/// `subscriptions` is accepted and ignored: community galleries belong to no consumer subscription.
struct QueryRequest {
    query: String,
    top: usize,
    skip: usize,
}

impl QueryRequest {
    fn parse(body: &Value) -> Result<QueryRequest, ArmError> {
        let query = body
            .get("query")
            .and_then(Value::as_str)
            .filter(|q| !q.trim().is_empty())
            .ok_or_else(|| {
                graph_error(
                    "InvalidQuery",
                    "The request body must have a non-empty 'query' string.",
                )
            })?;
        let options = body.get("options").cloned().unwrap_or_else(|| json!({}));
        if let Some(format) = options.get("resultFormat").and_then(Value::as_str) {
            if !format.eq_ignore_ascii_case("objectArray") {
                return Err(graph_error(
                    "UnsupportedResultFormat",
                    format!(
                        "The emulator returns only resultFormat 'objectArray', not '{format}'."
                    ),
                ));
            }
        }
        let top = match options.get("$top") {
            None | Some(Value::Null) => DEFAULT_TOP,
            Some(v) => v
                .as_u64()
                .map(|n| n as usize)
                .filter(|n| (1..=MAX_TOP).contains(n))
                .ok_or_else(|| {
                    graph_error(
                        "InvalidParameter",
                        format!("'options.$top' must be an integer from 1 to {MAX_TOP}, not {v}."),
                    )
                })?,
        };
        let skip = match options.get("$skipToken").and_then(Value::as_str) {
            Some(token) if !token.is_empty() => decode_skip_token(token)?,
            _ => options
                .get("$skip")
                .and_then(Value::as_u64)
                .map_or(0, |n| n as usize),
        };
        Ok(QueryRequest {
            query: query.to_string(),
            top,
            skip,
        })
    }

    /// One page of rows in Resource Graph's shape, with `$skipToken` while more rows remain.
    fn page(&self, rows: Vec<Value>) -> Value {
        let total = rows.len();
        let data: Vec<Value> = rows.into_iter().skip(self.skip).take(self.top).collect();
        let next = self.skip + data.len();
        let mut body = json!({"totalRecords": total, "count": data.len(), "data": data,
                              "facets": [], "resultTruncated": "false"});
        if next < total {
            body["$skipToken"] = json!(encode_skip_token(next));
        }
        body
    }
}

/// Skip tokens are opaque to clients; like Resource Graph's, these are base64 JSON.
fn encode_skip_token(skip: usize) -> String {
    STANDARD.encode(json!({"RowsToSkip": skip}).to_string())
}

fn decode_skip_token(token: &str) -> Result<usize, ArmError> {
    STANDARD
        .decode(token)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|v| v.get("RowsToSkip").and_then(Value::as_u64))
        .map(|n| n as usize)
        .ok_or_else(|| {
            graph_error(
                "InvalidSkipToken",
                "The '$skipToken' is invalid; pass back the token of the previous page unchanged.",
            )
        })
}

/// What a supported query selects: community galleries, maybe in one location or by name.
#[derive(Debug, Default, PartialEq)]
struct Filter {
    location: Option<String>,
    name: Option<String>,
}

impl Filter {
    /// Accepts `communitygalleryresources | where type == '...communitygalleries' [| where location =~ 'x']`,
    /// with `==` or `=~`, conditions joined by `and` or spread over several `where` stages.
    fn parse(query: &str) -> Result<Filter, ArmError> {
        let stages = split_unquoted(query, "|").ok_or_else(|| unsupported(query))?;
        let (table, wheres) = stages.split_first().ok_or_else(|| unsupported(query))?;
        if !table.trim().eq_ignore_ascii_case(TABLE) {
            return Err(unsupported(query));
        }
        let mut filter = Filter::default();
        let mut typed = false;
        for stage in wheres {
            let condition =
                strip_keyword(stage.trim(), "where").ok_or_else(|| unsupported(query))?;
            for clause in split_unquoted(condition, " and ").ok_or_else(|| unsupported(query))? {
                let (field, value) = comparison(clause).ok_or_else(|| unsupported(query))?;
                match field.to_ascii_lowercase().as_str() {
                    "type" if value.eq_ignore_ascii_case(GALLERY_TYPE) => typed = true,
                    "location" => filter.location = Some(normalize_location(&value)),
                    "name" => filter.name = Some(value),
                    _ => return Err(unsupported(query)),
                }
            }
        }
        if !typed {
            return Err(unsupported(query));
        }
        Ok(filter)
    }

    fn admits(&self, name: &str, location: &str) -> bool {
        self.location.as_deref().is_none_or(|l| l == location)
            && self
                .name
                .as_deref()
                .is_none_or(|n| n.eq_ignore_ascii_case(name))
    }
}

/// `keyword rest` → `rest`, the keyword matched case-insensitively as a whole word.
fn strip_keyword<'a>(text: &'a str, keyword: &str) -> Option<&'a str> {
    let head = text.get(..keyword.len())?;
    let rest = &text[keyword.len()..];
    (head.eq_ignore_ascii_case(keyword) && rest.starts_with(char::is_whitespace))
        .then(|| rest.trim())
}

/// `field == 'value'` or `field =~ "value"` → (field, value).
fn comparison(clause: &str) -> Option<(String, String)> {
    let (field, value) = ["==", "=~"].iter().find_map(|op| clause.split_once(op))?;
    let field = field.trim();
    let value = value.trim();
    let quote = value.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let inner = value.strip_prefix(quote)?.strip_suffix(quote)?;
    let is_identifier =
        !field.is_empty() && field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (is_identifier && !inner.contains(quote)).then(|| (field.to_string(), inner.to_string()))
}

/// Splits at `separator` (case-insensitive) outside single- or double-quoted literals; `None`
/// when a quote is left open.
fn split_unquoted<'a>(text: &'a str, separator: &str) -> Option<Vec<&'a str>> {
    let mut parts = Vec::new();
    let mut quote: Option<char> = None;
    let mut start = 0;
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if text[i..]
                .get(..separator.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(separator)) =>
            {
                parts.push(&text[start..i]);
                start = i + separator.len();
                // Skip the rest of the separator so its characters are not read again.
                for _ in 1..separator.chars().count() {
                    chars.next();
                }
            }
            None => {}
        }
    }
    if quote.is_some() {
        return None;
    }
    parts.push(&text[start..]);
    Some(parts)
}

/// One row per (published gallery, region where it is visible), sorted by name then location.
fn gallery_rows(world: &World, filter: &Filter) -> Vec<Value> {
    let mut rows: Vec<(String, String, Value)> = published(world)
        .flat_map(|(name, g)| {
            regions(g)
                .into_iter()
                .filter(|loc| filter.admits(name, loc))
                .map(|loc| (name.to_ascii_lowercase(), loc.clone(), row(name, &loc, g)))
                .collect::<Vec<_>>()
        })
        .collect();
    rows.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    rows.into_iter().map(|(_, _, row)| row).collect()
}

/// Where consumers see a community gallery: its own location and every version's target region.
fn regions(g: &Gallery) -> BTreeSet<String> {
    let mut out = BTreeSet::from([normalize_location(&g.location)]);
    for v in g.images.values().flat_map(|i| i.versions.values()) {
        out.extend(
            target_regions(&v.properties)
                .iter()
                .map(|r| normalize_location(r)),
        );
    }
    out
}

/// A `communitygalleryresources` row with Resource Graph's standard columns. The gallery has no
/// subscription or resource group from a consumer's point of view, so those columns are empty.
fn row(public: &str, location: &str, g: &Gallery) -> Value {
    let mut row = Map::new();
    row.insert("id".into(), json!(format!("/CommunityGalleries/{public}")));
    row.insert("name".into(), json!(public));
    row.insert("type".into(), json!(GALLERY_TYPE));
    for empty in [
        "tenantId",
        "kind",
        "resourceGroup",
        "subscriptionId",
        "managedBy",
    ] {
        row.insert(empty.into(), json!(""));
    }
    row.insert("location".into(), json!(location));
    for null in [
        "sku",
        "plan",
        "tags",
        "identity",
        "zones",
        "extendedLocation",
    ] {
        row.insert(null.into(), Value::Null);
    }
    row.insert("properties".into(), gallery_properties(g));
    Value::Object(row)
}

/// Resource Graph's 400: a generic `BadRequest` carrying a support line, the reason in `details`.
fn graph_error(detail_code: &str, detail: impl Into<String>) -> ArmError {
    let timestamp = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let mut e = ArmError::bad_request(
        "BadRequest",
        format!(
            "Please provide below info when asking for support: timestamp = {timestamp}, correlationId = {}.",
            uuid::Uuid::new_v4()
        ),
    );
    e.details = Some(Box::new(
        json!([{"code": detail_code, "message": detail.into()}]),
    ));
    e
}

fn unsupported(query: &str) -> ArmError {
    graph_error(
        "InvalidQuery",
        format!(
            "Query is invalid or not supported by the emulator: '{query}'. Supported: \
             \"{TABLE} | where type == '{GALLERY_TYPE}'\" optionally followed by \
             \"| where location =~ '<location>'\" (or name); '==' and '=~' compare case-insensitively."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_cli_query_with_and_without_location() {
        let q = "communitygalleryresources | where type == 'microsoft.compute/locations/communitygalleries'";
        assert_eq!(Filter::parse(q).unwrap(), Filter::default());
        let with_loc = format!("{q} | where location =~ 'East US'");
        assert_eq!(
            Filter::parse(&with_loc).unwrap().location.as_deref(),
            Some("eastus")
        );
        let joined = "CommunityGalleryResources | WHERE type =~ \"Microsoft.Compute/locations/communityGalleries\" and name == 'p-1'";
        assert_eq!(Filter::parse(joined).unwrap().name.as_deref(), Some("p-1"));
    }

    #[test]
    fn refuses_other_tables_types_and_operators() {
        for q in [
            "resources | where type == 'microsoft.compute/galleries'",
            "communitygalleryresources",
            "communitygalleryresources | where type == 'microsoft.compute/locations/communitygalleries/images'",
            "communitygalleryresources | where type == 'microsoft.compute/locations/communitygalleries' | project name",
            "communitygalleryresources | where type == 'microsoft.compute/locations/communitygalleries' | where location contains 'us'",
            "communitygalleryresources | where type == 'microsoft.compute/locations/communitygalleries",
        ] {
            let e = Filter::parse(q).unwrap_err();
            assert_eq!((e.status.as_u16(), e.code.as_str()), (400, "BadRequest"), "{q}");
        }
    }

    #[test]
    fn separators_inside_quotes_do_not_split() {
        assert_eq!(
            split_unquoted("a | where x == 'b | c'", "|").unwrap(),
            vec!["a ", " where x == 'b | c'"]
        );
        assert_eq!(
            split_unquoted("x == 'p and q' AND y == 'z'", " and ").unwrap(),
            vec!["x == 'p and q'", "y == 'z'"]
        );
    }

    #[test]
    fn skip_tokens_round_trip() {
        assert_eq!(decode_skip_token(&encode_skip_token(7)).unwrap(), 7);
        assert!(decode_skip_token("not a token").is_err());
    }
}
