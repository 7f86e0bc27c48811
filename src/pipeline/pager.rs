//! ARM lists: `{"value": [...], "nextLink": "<absolute url>"}`, followed verbatim until absent.

use crate::client::Client;
use crate::error::{Error, ErrorKind, Result};
use crate::pipeline::{unreadable_json, Auth, Request};
use crate::shape::build::ValueBuild;
use crate::shape::cli::{page_items, Layout};
use bytes::Bytes;
use reqwest::Method;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

/// Walks the pages of one list, one request per page.
pub struct Pager {
    next: Option<Url>,
    auth: Auth,
}

impl Pager {
    pub fn new(first: Url, auth: Auth) -> Self {
        Pager {
            next: Some(first),
            auth,
        }
    }

    /// The next page's body, or `None` after the last page. Only `nextLink` is read here (and that
    /// `value` is an array): the items are read once, where they are presented.
    pub async fn next_body(&mut self, client: &Client) -> Result<Option<Bytes>> {
        let Some(url) = self.next.take() else {
            return Ok(None);
        };
        let body = client
            .send(Request::new(Method::GET, url, self.auth.clone()))
            .await?
            .body;
        let head: Head = if body.is_empty() {
            Head::default()
        } else {
            serde_json::from_str(crate::shape::cli::utf8(&body).map_err(unreadable_json)?)
                .map_err(unreadable_json)?
        };
        self.next = link(head.next_link.as_ref())?;
        if !head.value_is_array {
            return Err(Error::new(
                ErrorKind::ServiceResponse,
                "The service returned a list without a 'value' array.",
            ));
        }
        Ok(Some(body))
    }

    /// The next page's items as sent, or `None` after the last page.
    pub async fn next_page(&mut self, client: &Client) -> Result<Option<Vec<Value>>> {
        let Some(body) = self.next_body(client).await? else {
            return Ok(None);
        };
        let mut items = Vec::new();
        page_items(&body, Layout::AsSent, ValueBuild, &mut items).map_err(unreadable_json)?;
        Ok(Some(items))
    }

    pub async fn collect(mut self, client: &Client) -> Result<Vec<Value>> {
        let mut all = Vec::new();
        while let Some(page) = self.next_page(client).await? {
            all.extend(page);
        }
        Ok(all)
    }

    /// Every page's body, to the end.
    pub async fn collect_bodies(mut self, client: &Client) -> Result<Vec<Bytes>> {
        let mut all = Vec::new();
        while let Some(body) = self.next_body(client).await? {
            all.push(body);
        }
        Ok(all)
    }
}

/// What the pager reads of a page: the link to the next one, and whether `value` is an array (its
/// items are skipped, not built).
#[derive(Default, Deserialize)]
struct Head {
    #[serde(rename = "nextLink", default)]
    next_link: Option<Value>,
    #[serde(rename = "value", default, deserialize_with = "is_array")]
    value_is_array: bool,
}

fn is_array<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
    struct IsArray;
    impl<'de> Visitor<'de> for IsArray {
        type Value = bool;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<bool, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(true)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<bool, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(false)
        }
        fn visit_unit<E>(self) -> std::result::Result<bool, E> {
            Ok(false)
        }
        fn visit_bool<E>(self, _: bool) -> std::result::Result<bool, E> {
            Ok(false)
        }
        fn visit_i64<E>(self, _: i64) -> std::result::Result<bool, E> {
            Ok(false)
        }
        fn visit_u64<E>(self, _: u64) -> std::result::Result<bool, E> {
            Ok(false)
        }
        fn visit_f64<E>(self, _: f64) -> std::result::Result<bool, E> {
            Ok(false)
        }
        fn visit_str<E>(self, _: &str) -> std::result::Result<bool, E> {
            Ok(false)
        }
    }
    d.deserialize_any(IsArray)
}

/// Reads a page's `nextLink`; it must be an absolute URL (tokens still go only over https: see auth).
pub fn next_link(body: &Value) -> Result<Option<Url>> {
    link(body.get("nextLink"))
}

fn link(next_link: Option<&Value>) -> Result<Option<Url>> {
    match next_link {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => match Url::parse(s) {
            Ok(u) if u.has_host() => Ok(Some(u)),
            _ => Err(Error::new(
                ErrorKind::ServiceResponse,
                format!("The service returned an unusable nextLink '{s}'."),
            )),
        },
        Some(_) => Err(Error::new(
            ErrorKind::ServiceResponse,
            "The service returned a nextLink that is not a string.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn next_links() {
        assert_eq!(next_link(&json!({"value": []})).unwrap(), None);
        assert_eq!(next_link(&json!({"nextLink": null})).unwrap(), None);
        assert!(next_link(&json!({"nextLink": "https://h/p?$skiptoken=1"}))
            .unwrap()
            .is_some());
        assert!(next_link(&json!({"nextLink": "/relative"})).is_err());
        assert!(next_link(&json!({"nextLink": 5})).is_err());
    }
}
