//! ARM lists: `{"value": [...], "nextLink": "<absolute url>"}`, followed verbatim until absent.

use crate::client::Client;
use crate::error::{Error, ErrorKind, Result};
use crate::pipeline::{Auth, Request};
use reqwest::Method;
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

    /// The next page's items, or `None` after the last page.
    pub async fn next_page(&mut self, client: &Client) -> Result<Option<Vec<Value>>> {
        let Some(url) = self.next.take() else {
            return Ok(None);
        };
        let mut body = client
            .send_json(Request::new(Method::GET, url, self.auth.clone()))
            .await?;
        self.next = next_link(&body)?;
        // Taken, not copied: a page of image versions is ~100 KB of JSON.
        let items = match body.get_mut("value").map(Value::take) {
            Some(Value::Array(items)) => items,
            Some(_) | None => {
                return Err(Error::new(
                    ErrorKind::ServiceResponse,
                    "The service returned a list without a 'value' array.",
                ))
            }
        };
        Ok(Some(items))
    }

    pub async fn collect(mut self, client: &Client) -> Result<Vec<Value>> {
        let mut all = Vec::new();
        while let Some(page) = self.next_page(client).await? {
            all.extend(page);
        }
        Ok(all)
    }
}

/// Reads `nextLink`; it must be an absolute URL (tokens still go only over https: see auth).
pub fn next_link(body: &Value) -> Result<Option<Url>> {
    match body.get("nextLink") {
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
